/*
 * The database handle: open, close, commit, reopen; the failure detail; the
 * field names a database knows; and how reads survive a writer's commits.
 *
 * Readers and a busy writer.  Xapian lets a reader go on reading the
 * revision it opened while a writer commits once; a second commit may reuse
 * that revision's blocks, and the reader then fails (ZX_EMODIFIED).  A read
 * that fails so is run again from the start on the newest revision
 * (zhfts__read).  A reader that keeps losing this race, because the writer
 * commits back to back, holds off the writer: from its third attempt on it
 * holds a shared lock on the database's hold-off file while it reads, and a
 * writer that finds that lock held commits at most once more before it waits
 * for the readers to finish, for at most ZHFTS_HOLDOFF_MS per commit.  So a
 * read that takes less than that bound cannot fail because a writer is busy,
 * and a writer is never delayed by more than the bound per commit.  The lock
 * is flock(2) on a file in the database directory: it holds between the
 * processes of one machine (not over NFS, and not for remote databases).
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "zhfts-private.h"

#define DEFAULT_AUTO_COMMIT (16u << 20)
/* Without fsync a commit is cheap, and frequent commits keep Xapian's
 * in-memory inverter small: faster bulk loads (bench/README.md). */
#define DEFAULT_AUTO_COMMIT_NO_SYNC (256u << 10)
#define HOLDOFF_FILE "zhfts.holdoff"
#define ZHFTS_HOLDOFF_MS 500
#define READ_ATTEMPTS 12

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* ---- failures ------------------------------------------------------------- */

void zhfts__db_begin(zhfts_db *db)
{
	zerr_clear(&db->err);
	free(db->err_doc);
	free(db->err_field);
	db->err_doc = db->err_field = NULL;
	db->error.lost = 0;
	db->error.status = ZHFTS_OK;
}

int zhfts__db_fail(zhfts_db *db, int status, const char *doc, const char *field)
{
	if (status == ZHFTS_OK)
		return status;
	if (!db->err.msg[0])
		zerr_set(&db->err, status, "%s", zhfts_strerror(status));
	if (doc && !db->err_doc)
		db->err_doc = zhfts__strdup(doc);
	if (field && !db->err_field)
		db->err_field = zhfts__strdup(field);
	db->error.status = status;
	return status;
}

const char *zhfts_db_errmsg(const zhfts_db *db)
{
	return db ? db->err.msg : "";
}

const zhfts_error *zhfts_db_error(const zhfts_db *cdb)
{
	static const zhfts_error none = {ZHFTS_EINVAL, "no database handle", ZHFTS_WHERE_OPTION, -1, NULL,
	                                 NULL, 0};
	if (!cdb)
		return &none;
	zhfts_db *db = (zhfts_db *)cdb; /* the view is rebuilt from the detail */
	zhfts_error *e = &db->error;
	e->message = db->err.msg;
	if (e->status == ZHFTS_OK && db->err.msg[0])
		e->status = db->err.lasting ? db->err.lasting : ZHFTS_ERROR;
	e->where = (zhfts_where)db->err.where;
	e->offset = (int64_t)db->err.offset;
	e->doc = db->err_doc;
	e->field = db->err_field;
	return e;
}

/* ---- reading while a writer commits ---------------------------------------- */

static bool holdoff_lock(zhfts_db *db, int how, unsigned wait_ms)
{
	if (db->holdoff_fd < 0)
		return false;
	for (unsigned waited = 0;; waited++) {
		if (flock(db->holdoff_fd, how | LOCK_NB) == 0)
			return true;
		if ((errno != EWOULDBLOCK && errno != EINTR) || waited >= wait_ms)
			return false;
		sleep_ms(1);
	}
}

static void holdoff_unlock(zhfts_db *db)
{
	if (db->holdoff_fd >= 0)
		flock(db->holdoff_fd, LOCK_UN);
}

int zhfts__read(zhfts_db *db, int (*fn)(zhfts_db *db, void *ctx), void *ctx)
{
	int rc = ZHFTS_OK;
	for (int attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
		/* The lock is taken before the reopen, so that the revision read is
		 * one the writer may commit over only once.  (A writer holds it
		 * exclusively only while it commits.) */
		bool held = attempt >= 2 && holdoff_lock(db, LOCK_SH, 2 * ZHFTS_HOLDOFF_MS);
		if (attempt > 0) {
			zerr tmp = {{0}, 0, 0, -1};
			int r = zx_reopen(db->x, &tmp);
			if (attempt >= 3 && !db->writable) {
				/* Still failing: the database may have been replaced whole
				 * (compacted into place), which a reopen of the files it has
				 * open does not see.  Open it again by its path. */
				zx_db *fresh = NULL;
				if (zx_open(&fresh, db->path, ZX_READ, 0, &tmp) == ZHFTS_OK) {
					zx_close(db->x, &tmp);
					db->x = fresh;
					r = ZHFTS_OK;
				}
			}
			db->generation++;
			if (r != ZHFTS_OK && r != ZX_EMODIFIED) {
				if (held)
					holdoff_unlock(db);
				db->err = tmp;
				return r;
			}
		}
		rc = fn(db, ctx);
		if (held)
			holdoff_unlock(db);
		if (rc != ZX_EMODIFIED)
			return rc;
		if (attempt >= 3)
			sleep_ms(1u << (attempt - 3 < 6 ? attempt - 3 : 6));
	}
	/* Still failing after every attempt: damage that lasts. */
	int lasting = db->err.lasting && db->err.lasting != ZX_EMODIFIED ? db->err.lasting : ZHFTS_EIO;
	char why[sizeof db->err.msg];
	snprintf(why, sizeof why, "%s", db->err.msg);
	return zerr_set(&db->err, lasting, "%.480s (after %d attempts)", why, READ_ATTEMPTS);
}

int zhfts__commit(zhfts_db *db)
{
	if (db->tombstones) {
		int rc = zhfts__dead_store(&db->dead, db->x, &db->err);
		if (rc)
			return rc;
	}
	if (db->order.valid) {
		int rc = zhfts__order_store(&db->order, db->x, &db->err);
		if (rc)
			return rc;
	}
	bool locked = false;
	if (db->holdoff_fd >= 0) {
		/* Readers that asked for a stable snapshot hold the lock shared: one
		 * more commit leaves their revision readable, a second may not. */
		locked = holdoff_lock(db, LOCK_EX, 0);
		if (!locked && db->committed_under_readers)
			locked = holdoff_lock(db, LOCK_EX, ZHFTS_HOLDOFF_MS);
		db->committed_under_readers = !locked;
	}
	int rc = zx_commit(db->x, &db->err);
	if (locked)
		holdoff_unlock(db);
	if (rc == ZHFTS_OK) {
		db->pending_bytes = 0;
		db->pending_docs = 0;
	}
	return rc;
}

void zhfts__discard_pending(zhfts_db *db)
{
	zerr tmp;
	zx_rollback(db->x, &tmp);
	db->error.lost += db->pending_docs;
	db->pending_docs = 0;
	db->pending_bytes = 0;
	db->fields_valid = false; /* names registered since the commit are gone too */
	db->dead_valid = false;   /* and paragraphs marked dead */
	db->order.valid = false;  /* and the order of what was added */
}

/* ---- dead paragraphs ---------------------------------------------------------- */

int zhfts__dead_refresh(zhfts_db *db)
{
	if (!db->tombstones || (db->dead_valid && (db->writable || db->dead_generation == db->generation)))
		return ZHFTS_OK;
	int rc = zhfts__dead_load(&db->dead, db->x, db->writable, db->path, &db->err);
	if (rc == ZHFTS_OK) {
		db->dead_valid = true;
		db->dead_generation = db->generation;
	}
	return rc;
}

int zhfts__remove_paragraph(zhfts_db *db, uint32_t docid)
{
	if (!db->tombstones)
		return zx_delete_docid(db->x, docid, &db->err);
	int rc = zhfts__dead_refresh(db);
	rc = rc ? rc : zhfts__dead_add(&db->dead, docid);
	return rc == ZHFTS_ENOMEM ? zerr_set(&db->err, rc, "out of memory recording a deleted paragraph") : rc;
}

/* ---- field names -------------------------------------------------------------- */

static void fields_clear(zhfts_db *db)
{
	for (size_t i = 0; i < db->nfields; i++)
		free(db->fields[i].name);
	db->nfields = 0;
	db->fields_valid = false;
}

static int fields_add(zhfts_db *db, const char *name, size_t len)
{
	void *v = db->fields;
	if (zvec_grow(&v, &db->fieldcap, db->nfields + 1, sizeof *db->fields))
		return ZHFTS_ENOMEM;
	db->fields = v;
	char *n = zhfts__strndup(name, len);
	if (!n)
		return ZHFTS_ENOMEM;
	db->fields[db->nfields].name = n;
	db->fields[db->nfields].slot = zhfts__field_slot(name, len);
	db->nfields++;
	return ZHFTS_OK;
}

static int load_fields(zhfts_db *db, void *ctx)
{
	char *list = NULL;
	int rc = zx_metadata_get(db->x, ZHFTS_FIELDS_KEY, &list, &db->err);
	fields_clear(db);
	for (char *p = list; rc == ZHFTS_OK && p && *p;) {
		size_t n = strcspn(p, " ");
		if (n && !zhfts__field_name_ok(p, n))
			rc = zerr_set(&db->err, db->writable ? ZHFTS_ECORRUPT : ZX_EMODIFIED,
			              "%s: unreadable field list", db->path);
		else if (n)
			rc = fields_add(db, p, n);
		p += n;
		while (*p == ' ')
			p++;
	}
	free(list);
	if (rc == ZHFTS_OK) {
		db->fields_valid = true;
		db->fields_generation = db->generation;
	}
	(void)ctx;
	return rc;
}

int zhfts__fields_load(zhfts_db *db)
{
	if (db->fields_valid && (db->writable || db->fields_generation == db->generation))
		return ZHFTS_OK;
	return zhfts__read(db, load_fields, NULL);
}

int zhfts__fields_refresh(zhfts_db *db)
{
	if (db->fields_valid && (db->writable || db->fields_generation == db->generation))
		return ZHFTS_OK;
	return load_fields(db, NULL);
}

const zfieldname *zhfts__field_find(zhfts_db *db, const char *name, size_t len)
{
	for (size_t i = 0; i < db->nfields; i++)
		if (strlen(db->fields[i].name) == len && !memcmp(db->fields[i].name, name, len))
			return &db->fields[i];
	return NULL;
}

int zhfts__fields_register(zhfts_db *db, const zhfts_field *fields, size_t n)
{
	int rc = zhfts__fields_load(db);
	bool changed = false;
	size_t known = db->nfields;
	for (size_t i = 0; rc == ZHFTS_OK && i < n; i++) {
		size_t len = strlen(fields[i].name);
		if (zhfts__field_find(db, fields[i].name, len))
			continue;
		unsigned slot = zhfts__field_slot(fields[i].name, len);
		for (size_t k = 0; k < db->nfields; k++) {
			if (db->fields[k].slot == slot) {
				zerr_set_at(&db->err, ZHFTS_EINVAL, ZHFTS_WHERE_OPTION, -1,
				            "field names '%s' and '%s' share a value slot: rename one", fields[i].name,
				            db->fields[k].name);
				while (db->nfields > known)
					free(db->fields[--db->nfields].name);
				return ZHFTS_EINVAL;
			}
		}
		rc = fields_add(db, fields[i].name, len);
		changed = true;
	}
	if (rc == ZHFTS_OK && changed) {
		zbuf list = {0};
		for (size_t k = 0; rc == ZHFTS_OK && k < db->nfields; k++)
			if ((k && zbuf_addc(&list, ' ')) || zbuf_adds(&list, db->fields[k].name))
				rc = ZHFTS_ENOMEM;
		rc = rc ? rc : zx_metadata_set(db->x, ZHFTS_FIELDS_KEY, list.data, list.len, &db->err);
		zbuf_free(&list);
	}
	if (rc)
		db->fields_valid = false;
	return rc;
}

/* ---- open and close ------------------------------------------------------------*/

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void remove_tree(const char *path)
{
	nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A scratch database for ZHFTS_OPEN_INMEMORY: a glass database in a new
 * temporary directory, removed on close.  Xapian's own in-memory backend
 * has no transactions and takes minutes over a paragraph of a megabyte. */
static int make_scratch(zhfts_db *db)
{
	const char *base = getenv("TMPDIR");
	zbuf b = {0};
	if (zbuf_printf(&b, "%s/zhfts-scratch-XXXXXX", base && *base ? base : "/tmp"))
		return ZHFTS_ENOMEM;
	if (!mkdtemp(b.data)) {
		int e = errno;
		zbuf_free(&b);
		return zerr_set(&db->err, ZHFTS_EIO, "cannot make a scratch database directory: %s", strerror(e));
	}
	db->scratch_dir = zbuf_detach(&b);
	return db->scratch_dir ? ZHFTS_OK : ZHFTS_ENOMEM;
}

static int open_xapian(zhfts_db *db, const char *path, unsigned flags)
{
	enum zx_mode mode = ZX_READ;
	if (flags & (ZHFTS_OPEN_OVERWRITE | ZHFTS_OPEN_INMEMORY))
		mode = ZX_OVERWRITE;
	else if (flags & ZHFTS_OPEN_CREATE)
		mode = ZX_CREATE;
	else if (flags & ZHFTS_OPEN_WRITE)
		mode = ZX_OPEN;
	if (mode == ZX_READ || mode == ZX_OPEN) {
		struct stat st;
		if (stat(path, &st) != 0 && errno == ENOENT)
			return zerr_set(&db->err, ZHFTS_ENOTFOUND, "%s: no database here", path);
	}
	unsigned xf = flags & (ZHFTS_OPEN_NO_SYNC | ZHFTS_OPEN_INMEMORY) ? ZX_NO_SYNC : 0;
	/* A database zhfts creates has no termlist table unless asked: see dead.c. */
	if ((mode == ZX_CREATE || mode == ZX_OVERWRITE) && !(flags & ZHFTS_OPEN_TERMLIST))
		xf |= ZX_NO_TERMLIST;
	unsigned waited = 0;
	for (;;) {
		int rc = zx_open(&db->x, path, mode, xf, &db->err);
		if (rc != ZHFTS_ELOCKED || waited >= db->settings.lock_timeout_ms)
			return rc;
		unsigned step = db->settings.lock_timeout_ms - waited < 20 ? db->settings.lock_timeout_ms - waited : 20;
		sleep_ms(step);
		waited += step;
	}
}

/* The hold-off file of a database directory: writers create it, readers
 * use it when it is there. */
static void open_holdoff(zhfts_db *db, const char *dir)
{
	struct stat st;
	db->holdoff_fd = -1;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return;
	zbuf p = {0};
	if (zbuf_printf(&p, "%s/%s", dir, HOLDOFF_FILE) == ZHFTS_OK)
		db->holdoff_fd = db->writable ? open(p.data, O_RDWR | O_CREAT | O_CLOEXEC, 0644)
		                              : open(p.data, O_RDONLY | O_CLOEXEC);
	zbuf_free(&p);
}

typedef struct saved {
	char *settings, *storage;
} saved;

static int read_settings(zhfts_db *db, void *ctx)
{
	saved *s = ctx;
	free(s->settings);
	free(s->storage);
	s->settings = s->storage = NULL;
	int rc = zx_metadata_get(db->x, ZHFTS_SETTINGS_KEY, &s->settings, &db->err);
	return rc ? rc : zx_metadata_get(db->x, ZHFTS_STORAGE_KEY, &s->storage, &db->err);
}

static int read_doccount(zhfts_db *db, void *ctx)
{
	return zx_doccount(db->x, ctx, &db->err);
}

static int refresh_dead(zhfts_db *db, void *ctx)
{
	(void)ctx;
	return zhfts__dead_refresh(db);
}

static void free_handle(zhfts_db *db)
{
	zhfts__dead_free(&db->dead);
	zhfts__order_free(&db->order);
	zhfts__sections_free(db);
	fields_clear(db);
	free(db->fields);
	if (db->holdoff_fd >= 0)
		close(db->holdoff_fd);
	if (db->scratch_dir)
		remove_tree(db->scratch_dir);
	free(db->scratch_dir);
	zhfts__tokenizer_fini(&db->tok);
	zhfts__units_free(&db->units);
	free(db->err_doc);
	free(db->err_field);
	free(db->path);
	free(db);
}

int zhfts_db_open(zhfts_db **out, const char *path, unsigned int flags, const zhfts_options *opts,
                  char **errmsg)
{
	if (errmsg)
		*errmsg = NULL;
	if (!out)
		return ZHFTS_EINVAL;
	*out = NULL;
	if (opts && (opts->version < 1 || opts->version > ZHFTS_OPTIONS_VERSION)) {
		if (errmsg)
			*errmsg = zhfts__strdup("zhfts_options.version is not ZHFTS_OPTIONS_VERSION");
		return ZHFTS_EINVAL;
	}
	if (!(flags & ZHFTS_OPEN_INMEMORY) && (!path || !*path)) {
		if (errmsg)
			*errmsg = zhfts__strdup("no database path given");
		return ZHFTS_EINVAL;
	}
	zhfts_db *db = calloc(1, sizeof *db);
	if (!db)
		return ZHFTS_ENOMEM;
	db->holdoff_fd = -1;
	db->id_hash_bits = 64;
	db->flags = flags;
	db->writable = flags & (ZHFTS_OPEN_WRITE | ZHFTS_OPEN_CREATE | ZHFTS_OPEN_OVERWRITE | ZHFTS_OPEN_INMEMORY);
	if ((flags & ZHFTS_OPEN_TERMLIST) && !db->writable)
		flags &= ~ZHFTS_OPEN_TERMLIST;
	db->path = zhfts__strdup(flags & ZHFTS_OPEN_INMEMORY ? ":memory:" : path);
	db->settings.lock_timeout_ms = opts ? opts->lock_timeout_ms : 0;
	zerr_clear(&db->err);
	saved st = {NULL, NULL};
	int rc = db->path ? ZHFTS_OK : ZHFTS_ENOMEM;
	if (rc == ZHFTS_OK && (flags & ZHFTS_OPEN_INMEMORY))
		rc = make_scratch(db);
	const char *where = db->scratch_dir ? db->scratch_dir : db->path;
	rc = rc ? rc : open_xapian(db, where, flags);
	if (rc == ZHFTS_OK)
		open_holdoff(db, where);
	rc = rc ? rc : zhfts__read(db, read_settings, &st);
	const char *stored = st.settings;
	if (rc == ZHFTS_OK && !*stored) {
		/* A new database, or a directory that holds something else. */
		uint64_t n = 0;
		rc = zhfts__read(db, read_doccount, &n);
		if (rc == ZHFTS_OK && n > 0)
			rc = zerr_set(&db->err, ZHFTS_ECORRUPT, "%s: a Xapian database, but not one zhfts built", db->path);
		if (rc == ZHFTS_OK && !db->writable)
			rc = zerr_set(&db->err, ZHFTS_ENOTFOUND, "%s: an empty database that zhfts never wrote", db->path);
	}
	rc = rc ? rc : zhfts__settings_resolve(&db->settings, opts, stored, db->path, &db->err);
	if (rc == ZHFTS_OK && !*stored && db->writable) {
		char s[256];
		zhfts__settings_string(&db->settings, s, sizeof s);
		rc = zx_metadata_set(db->x, ZHFTS_SETTINGS_KEY, s, strlen(s), &db->err);
		db->tombstones = !(flags & ZHFTS_OPEN_TERMLIST);
		if (rc == ZHFTS_OK && db->tombstones)
			rc = zx_metadata_set(db->x, ZHFTS_STORAGE_KEY, "tombstones", 10, &db->err);
		rc = rc ? rc : zx_commit(db->x, &db->err);
	} else if (rc == ZHFTS_OK) {
		db->tombstones = !strcmp(st.storage, "tombstones");
	}
	rc = rc ? rc : zhfts__tokenizer_init(&db->tok, &db->settings, &db->err);
	rc = rc ? rc : zhfts__fields_load(db);
	rc = rc ? rc : zhfts__read(db, refresh_dead, NULL);
	free(st.settings);
	free(st.storage);
	if (rc) {
		if (errmsg)
			*errmsg = zhfts__strdup(db->err.msg[0] ? db->err.msg : zhfts_strerror(rc));
		zerr dummy;
		zx_close(db->x, &dummy);
		db->x = NULL;
		free_handle(db);
		return rc;
	}
	db->auto_commit_bytes = db->settings.auto_commit_bytes ? db->settings.auto_commit_bytes
	                        : flags & (ZHFTS_OPEN_NO_SYNC | ZHFTS_OPEN_INMEMORY) ? DEFAULT_AUTO_COMMIT_NO_SYNC
	                                                                           : DEFAULT_AUTO_COMMIT;
	*out = db;
	return ZHFTS_OK;
}

int zhfts_db_close(zhfts_db *db)
{
	if (!db)
		return ZHFTS_OK;
	int rc = ZHFTS_OK;
	if (db->writable && db->pending_docs)
		rc = zhfts__commit(db);
	int rc2 = zx_close(db->x, &db->err);
	free_handle(db);
	return rc ? rc : rc2;
}

int zhfts_db_settings(zhfts_db *db, zhfts_options *out)
{
	if (!db || !out)
		return ZHFTS_EINVAL;
	*out = db->settings;
	return ZHFTS_OK;
}

int zhfts__need_writable(zhfts_db *db)
{
	if (!db->writable)
		return zerr_set_at(&db->err, ZHFTS_EREADONLY, ZHFTS_WHERE_OPTION, -1, "%s: opened read-only",
		                   db->path);
	return ZHFTS_OK;
}

int zhfts_db_commit(zhfts_db *db)
{
	if (!db)
		return ZHFTS_EINVAL;
	zhfts__db_begin(db);
	int rc = zhfts__need_writable(db);
	if (rc == ZHFTS_OK && (rc = zhfts__commit(db)) != ZHFTS_OK) {
		/* What Xapian failed to write is gone: say so, and start clean. */
		uint64_t pending = db->pending_docs;
		zhfts__discard_pending(db);
		db->error.lost = pending;
	}
	return zhfts__db_fail(db, rc, NULL, NULL);
}

int zhfts_db_rollback(zhfts_db *db)
{
	if (!db)
		return ZHFTS_EINVAL;
	zhfts__db_begin(db);
	int rc = zhfts__need_writable(db);
	rc = rc ? rc : zx_rollback(db->x, &db->err);
	if (rc == ZHFTS_OK) {
		db->pending_bytes = 0;
		db->pending_docs = 0;
		db->fields_valid = false;
		db->dead_valid = false;
	}
	return zhfts__db_fail(db, rc, NULL, NULL);
}

int zhfts_db_reopen(zhfts_db *db)
{
	if (!db)
		return ZHFTS_EINVAL;
	zhfts__db_begin(db);
	int rc = ZHFTS_OK;
	for (int attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
		rc = zx_reopen(db->x, &db->err);
		if (rc != ZX_EMODIFIED)
			break;
		sleep_ms(1);
	}
	if (rc == ZX_EMODIFIED)
		rc = zerr_set(&db->err, ZHFTS_EIO, "%s: reopen kept failing while the database changed", db->path);
	db->generation++;
	return zhfts__db_fail(db, rc, NULL, NULL);
}
