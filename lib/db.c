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
#include <stdarg.h>
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
#define REMOTE_READ_ATTEMPTS 40

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
	if (status == ZX_EMODIFIED)
		status = ZHFTS_EIO; /* internal: never returned (a read that kept losing a race) */
	if (!db->err.msg[0])
		zerr_set(&db->err, status, "%s", zhfts_strerror(status));
	else if (status == ZHFTS_EIO && db->stub)
		zhfts__name_failed_shards(db, status);
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

static bool part_lock(zpart *p, int how, unsigned wait_ms)
{
	if (p->holdoff_fd < 0)
		return false;
	for (unsigned waited = 0;; waited++) {
		if (flock(p->holdoff_fd, how | LOCK_NB) == 0)
			return true;
		if ((errno != EWOULDBLOCK && errno != EINTR) || waited >= wait_ms)
			return false;
		sleep_ms(1);
	}
}

static void part_unlock(zpart *p)
{
	if (p->holdoff_fd >= 0)
		flock(p->holdoff_fd, LOCK_UN);
}

/* A reader's hold on every local part (in stub order, so that two readers
 * never wait for each other).  True if any is held. */
static bool holdoff_lock(zhfts_db *db, unsigned wait_ms)
{
	bool any = false;
	for (size_t i = 0; i < db->nparts; i++)
		any |= part_lock(&db->parts[i], LOCK_SH, wait_ms);
	return any;
}

static void holdoff_unlock(zhfts_db *db)
{
	for (size_t i = 0; i < db->nparts; i++)
		part_unlock(&db->parts[i]);
}

/* A reader whose reopen keeps failing: the database may have been replaced
 * whole (compacted into place), which a reopen of the files it has open
 * does not see.  Each local part is opened again by its path. */
static int reopen_hard(zhfts_db *db, zerr *err)
{
	if (!db->stub) {
		zx_db *fresh = NULL;
		int rc = zx_open(&fresh, db->path, ZX_READ, 0, err);
		if (rc == ZHFTS_OK) {
			zx_close(db->x, err);
			db->x = db->parts[0].x = fresh;
		}
		return rc;
	}
	for (size_t i = 0; i < db->nparts; i++) {
		zpart *p = &db->parts[i];
		zx_db *fresh = NULL;
		if (!p->path)
			continue;
		int rc = zx_open(&fresh, p->path, ZX_READ, 0, err);
		if (rc)
			return rc;
		zx_close(p->x, err);
		p->x = fresh;
	}
	return zhfts__parts_combine(db, err);
}

/* A reader whose remote shards failed: Xapian never reconnects a remote
 * database, and after a failure (a timeout, a server restarted) the
 * connection is closed or out of step, so every remote shard is connected
 * again. */
static int reconnect_remote(zhfts_db *db)
{
	bool any = false;
	for (size_t k = 0; k < db->nparts; k++) {
		zpart *p = &db->parts[k];
		zx_db *fresh = NULL;
		if (p->path)
			continue;
		int rc = zx_open_remote(&fresh, p->host, p->port, p->prog, p->args, false, db->settings.remote_timeout_ms,
		                        &db->err);
		if (rc)
			return rc;
		zerr tmp;
		zx_close(p->x, &tmp);
		p->x = fresh;
		any = true;
	}
	return any ? zhfts__parts_combine(db, &db->err) : ZHFTS_EIO;
}

int zhfts__read(zhfts_db *db, int (*fn)(zhfts_db *db, void *ctx), void *ctx)
{
	int rc = ZHFTS_OK;
	/* A remote shard's server cannot be held off: its readers have only
	 * the retries, so they get more. */
	bool remote = false;
	for (size_t k = 0; k < db->nparts; k++)
		remote |= !db->parts[k].path;
	int attempts = remote && !db->writable ? REMOTE_READ_ATTEMPTS : READ_ATTEMPTS;
	for (int attempt = 0; attempt < attempts; attempt++) {
		/* The lock is taken before the reopen, so that the revision read is
		 * one the writer may commit over only once.  (A writer holds it
		 * exclusively only while it commits.) */
		bool held = attempt >= 2 && holdoff_lock(db, 2 * ZHFTS_HOLDOFF_MS);
		if (attempt > 0) {
			zerr tmp = {{0}, 0, 0, -1};
			/* A failed exchange can leave a remote connection out of step
			 * (Xapian's remote protocol does not recover mid-reply): remote
			 * shards are connected again, at their newest revisions. */
			int r = remote && !db->writable ? reconnect_remote(db) : ZHFTS_OK;
			if (r != ZHFTS_OK) {
				db->generation++;
				if (held)
					holdoff_unlock(db);
				if (r != ZX_EMODIFIED)
					return r; /* db->err says which shard */
				rc = r; /* its server lost the race opening: again */
				sleep_ms(1u << (attempt < 6 ? attempt : 6));
				continue;
			}
			r = zx_reopen(db->x, &tmp);
			if (attempt >= 3 && !db->writable && reopen_hard(db, &tmp) == ZHFTS_OK)
				r = ZHFTS_OK;
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
	return zerr_set(&db->err, lasting, "%.480s (after %d attempts)", why, attempts);
}

int zhfts__overtaken(zhfts_db *db, const char *fmt, ...)
{
	char msg[sizeof db->err.msg];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	int rc = zerr_set(&db->err, db->writable ? ZHFTS_ECORRUPT : ZX_EMODIFIED, "%s", msg);
	db->err.lasting = ZHFTS_ECORRUPT;
	return rc;
}

/* Commits one part: its dead paragraphs, then Xapian's commit, held off
 * (boundedly) by readers that asked for a stable snapshot. */
static int commit_part(zhfts_db *db, size_t k)
{
	zpart *p = &db->parts[k];
	int rc = ZHFTS_OK;
	if (p->tombstones && p->dead_changed)
		rc = zhfts__dead_store_part(db, k, &db->err);
	if (rc == ZHFTS_OK && db->nparts == 1 && db->order.valid)
		rc = zhfts__order_store(&db->order, p->x, &db->err);
	if (rc)
		return rc;
	bool locked = false;
	if (p->holdoff_fd >= 0) {
		/* Readers that asked for a stable snapshot hold the lock shared: one
		 * more commit leaves their revision readable, a second may not. */
		locked = part_lock(p, LOCK_EX, 0);
		if (!locked && p->committed_under_readers)
			locked = part_lock(p, LOCK_EX, ZHFTS_HOLDOFF_MS);
		p->committed_under_readers = !locked;
	}
	rc = zx_commit(p->x, &db->err);
	if (locked)
		part_unlock(p);
	if (rc == ZHFTS_OK) {
		db->pending_docs -= p->pending_docs < db->pending_docs ? p->pending_docs : db->pending_docs;
		p->pending_docs = 0;
		p->touched = p->dead_changed = false;
	} else if (db->stub) {
		char why[sizeof db->err.msg];
		snprintf(why, sizeof why, "%s", db->err.msg);
		zerr_set(&db->err, rc, "shard %s: %.400s", p->name, why);
	}
	return rc;
}

int zhfts__commit(zhfts_db *db)
{
	int rc = ZHFTS_OK;
	for (size_t k = 0; rc == ZHFTS_OK && k < db->nparts; k++)
		if (db->parts[k].writable && (db->parts[k].touched || !db->stub))
			rc = commit_part(db, k);
	if (rc == ZHFTS_OK) {
		db->pending_bytes = 0;
		db->pending_docs = 0;
	}
	return rc;
}

void zhfts__discard_pending(zhfts_db *db)
{
	zerr tmp;
	for (size_t k = 0; k < db->nparts; k++) {
		zpart *p = &db->parts[k];
		if (p->writable && (p->touched || !db->stub))
			zx_rollback(p->x, &tmp);
		p->touched = p->dead_changed = false;
		p->pending_docs = 0;
	}
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
	int rc = db->nparts == 1 ? zhfts__dead_load(&db->dead, db->x, db->writable, db->path, &db->err)
	                         : zhfts__dead_load_parts(db, &db->err);
	if (rc == ZHFTS_OK) {
		db->dead_valid = true;
		db->dead_generation = db->generation;
	}
	return rc;
}

int zhfts__remove_paragraph(zhfts_db *db, uint32_t docid)
{
	uint32_t local;
	zpart *p = &db->parts[zhfts__part_of(db, docid, &local)];
	p->touched = true;
	if (!p->tombstones)
		return zx_delete_docid(p->x, local, &db->err);
	int rc = zhfts__dead_refresh(db);
	rc = rc ? rc : zhfts__dead_add(&db->dead, docid);
	if (rc == ZHFTS_OK)
		p->dead_changed = true;
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

/* The field names of every part (a shard that has seen fewer documents may
 * know fewer names). */
static int load_fields(zhfts_db *db, void *ctx)
{
	int rc = ZHFTS_OK;
	fields_clear(db);
	for (size_t k = 0; rc == ZHFTS_OK && k < db->nparts; k++) {
		char *list = NULL;
		rc = zx_metadata_get(db->parts[k].x, ZHFTS_FIELDS_KEY, &list, &db->err);
		for (char *p = list; rc == ZHFTS_OK && p && *p;) {
			size_t n = strcspn(p, " ");
			if (n && !zhfts__field_name_ok(p, n))
				rc = zhfts__overtaken(db, "%s: unreadable field list", db->parts[k].name);
			else if (n && !zhfts__field_find(db, p, n))
				rc = fields_add(db, p, n);
			p += n;
			while (*p == ' ')
				p++;
		}
		free(list);
	}
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
		/* Every shard knows every name: a filter on any shard means the same. */
		for (size_t k = 0; rc == ZHFTS_OK && k < db->nparts; k++) {
			if (!db->parts[k].writable)
				continue;
			rc = zx_metadata_set(db->parts[k].x, ZHFTS_FIELDS_KEY, list.data, list.len, &db->err);
			db->parts[k].touched = true;
		}
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

static enum zx_mode open_mode(unsigned flags)
{
	if (flags & (ZHFTS_OPEN_OVERWRITE | ZHFTS_OPEN_INMEMORY))
		return ZX_OVERWRITE;
	if (flags & ZHFTS_OPEN_CREATE)
		return ZX_CREATE;
	return flags & ZHFTS_OPEN_WRITE ? ZX_OPEN : ZX_READ;
}

/* The hold-off file of a local part: writers create it, readers use it
 * when it is there. */
static void open_holdoff(zpart *p, bool writer)
{
	struct stat st;
	if (p->holdoff_fd >= 0)
		return; /* a reader's, opened to open the part (open_part) */
	if (!p->path || stat(p->path, &st) != 0 || !S_ISDIR(st.st_mode))
		return;
	zbuf b = {0};
	if (zbuf_printf(&b, "%s/%s", p->path, HOLDOFF_FILE) == ZHFTS_OK)
		p->holdoff_fd = writer ? open(b.data, O_RDWR | O_CREAT | O_CLOEXEC, 0644) : open(b.data, O_RDONLY | O_CLOEXEC);
	zbuf_free(&b);
}

/* Opens one part, a local directory or a remote shard, waiting for a
 * writer's lock up to the lock timeout (the server of a remote shard reports
 * its lock at once: the wait is ours, as for a local one). */
static int open_part(zhfts_db *db, zpart *p, unsigned flags, bool writable)
{
	p->writable = writable;
	enum zx_mode mode = writable ? open_mode(flags) : ZX_READ;
	if (p->path && (mode == ZX_READ || mode == ZX_OPEN)) {
		struct stat st;
		if (stat(p->path, &st) != 0 && errno == ENOENT)
			return zerr_set(&db->err, ZHFTS_ENOTFOUND, "%s: no database here", p->path);
	}
	unsigned xf = flags & (ZHFTS_OPEN_NO_SYNC | ZHFTS_OPEN_INMEMORY) ? ZX_NO_SYNC : 0;
	/* A database zhfts creates has no termlist table unless asked: see dead.c. */
	if ((mode == ZX_CREATE || mode == ZX_OVERWRITE) && !(flags & ZHFTS_OPEN_TERMLIST))
		xf |= ZX_NO_TERMLIST;
	unsigned waited = 0;
	for (int raced = 0;;) {
		/* A reader that opens while a writer commits back to back may read
		 * blocks the commits reuse: it opens again, holding the writer off
		 * (zhfts__read) from its third attempt on. */
		bool held = raced >= 2 && part_lock(p, LOCK_SH, 2 * ZHFTS_HOLDOFF_MS);
		int rc = p->path ? zx_open(&p->x, p->path, mode, xf, &db->err)
		                 : zx_open_remote(&p->x, p->host, p->port, p->prog, p->args, writable,
		                                  db->settings.remote_timeout_ms, &db->err);
		if (held)
			part_unlock(p);
		if (rc == ZX_EMODIFIED && ++raced < READ_ATTEMPTS) {
			if (raced == 2)
				open_holdoff(p, false);
			if (raced >= 3)
				sleep_ms(1u << (raced - 3 < 6 ? raced - 3 : 6));
			continue;
		}
		if (rc == ZX_EMODIFIED) {
			char why[sizeof db->err.msg];
			snprintf(why, sizeof why, "%s", db->err.msg);
			rc = zerr_set(&db->err, db->err.lasting ? db->err.lasting : ZHFTS_EIO, "%.440s (after %d attempts)", why,
			              READ_ATTEMPTS);
		}
		if (rc != ZHFTS_ELOCKED || waited >= db->settings.lock_timeout_ms)
			return rc;
		unsigned step = db->settings.lock_timeout_ms - waited < 20 ? db->settings.lock_timeout_ms - waited : 20;
		sleep_ms(step);
		waited += step;
	}
}

typedef struct saved {
	char **settings, **storage;
	uint64_t *docs;
} saved;

static int read_settings(zhfts_db *db, void *ctx)
{
	saved *s = ctx;
	int rc = ZHFTS_OK;
	for (size_t k = 0; rc == ZHFTS_OK && k < db->nparts; k++) {
		zx_db *x = db->parts[k].x;
		free(s->settings[k]);
		free(s->storage[k]);
		s->settings[k] = s->storage[k] = NULL;
		rc = zx_metadata_get(x, ZHFTS_SETTINGS_KEY, &s->settings[k], &db->err);
		rc = rc ? rc : zx_metadata_get(x, ZHFTS_STORAGE_KEY, &s->storage[k], &db->err);
		rc = rc ? rc : zx_doccount(x, &s->docs[k], &db->err);
	}
	return rc;
}

static int refresh_dead(zhfts_db *db, void *ctx)
{
	(void)ctx;
	return zhfts__dead_refresh(db);
}

static void free_handle(zhfts_db *db)
{
	zhfts__hitmap_release(db->hitmap);
	zhfts__dead_free(&db->dead);
	zhfts__order_free(&db->order);
	zhfts__sections_free(db);
	fields_clear(db);
	free(db->fields);
	zerr dummy;
	if (db->stub) {
		zx_close(db->x, &dummy);
		for (size_t k = 0; k < db->nparts; k++)
			zx_close(db->parts[k].x, &dummy);
	} else {
		zx_close(db->x, &dummy);
	}
	zhfts__parts_free(db->parts, db->nparts);
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

/* Resolves each part's settings against opts, and the parts against each
 * other: one database, one set of terms.  A part that was never written
 * (no settings, no documents) gets them when written to. */
static int resolve_settings(zhfts_db *db, const zhfts_options *opts, saved *st, bool *fresh)
{
	const char *first = NULL;
	size_t first_k = 0;
	int rc = ZHFTS_OK;
	zhfts_options resolved;
	*fresh = false;
	for (size_t k = 0; rc == ZHFTS_OK && k < db->nparts; k++) {
		zpart *p = &db->parts[k];
		const char *who = p->name;
		if (!*st->settings[k]) {
			if (st->docs[k] > 0)
				rc = zerr_set(&db->err, ZHFTS_ECORRUPT, "%s: a Xapian database, but not one zhfts built", who);
			continue;
		}
		rc = zhfts__settings_resolve(&resolved, opts, st->settings[k], who, &db->err);
		if (rc == ZHFTS_OK && first && strcmp(first, st->settings[k]))
			rc = zerr_set(&db->err, ZHFTS_ESETTINGS, "%s: shard %s was built with '%s', shard %s with '%s'",
			              db->path, db->parts[first_k].name, first, who, st->settings[k]);
		if (rc == ZHFTS_OK && !first) {
			first = st->settings[k];
			first_k = k;
			db->settings = resolved;
		}
		p->tombstones = !strcmp(st->storage[k], "tombstones");
		if (rc == ZHFTS_OK && p->tombstones && !p->path)
			rc = zerr_set(&db->err, ZHFTS_EINVAL,
			              "%s: this shard has no termlist table, which a remote shard needs: build it with "
			              "ZHFTS_OPEN_TERMLIST (zhfts index --termlist)",
			              who);
	}
	if (rc == ZHFTS_OK && !first) {
		if (!db->writable)
			return zerr_set(&db->err, ZHFTS_ENOTFOUND, "%s: an empty database that zhfts never wrote", db->path);
		rc = zhfts__settings_resolve(&db->settings, opts, "", db->path, &db->err);
		*fresh = true;
	}
	return rc;
}

/* Writes the settings into every part opened for writing that has none
 * yet: the first write makes a shard a zhfts database. */
static int init_parts(zhfts_db *db, saved *st, unsigned flags)
{
	char s[256];
	zhfts__settings_string(&db->settings, s, sizeof s);
	int rc = ZHFTS_OK;
	for (size_t k = 0; rc == ZHFTS_OK && k < db->nparts; k++) {
		zpart *p = &db->parts[k];
		if (*st->settings[k] || !p->writable)
			continue;
		rc = zx_metadata_set(p->x, ZHFTS_SETTINGS_KEY, s, strlen(s), &db->err);
		/* A local part zhfts creates has no termlist unless asked; one a
		 * server created (xapian-tcpsrv --writable) has one. */
		p->tombstones = p->path && !(flags & ZHFTS_OPEN_TERMLIST);
		if (rc == ZHFTS_OK && p->tombstones)
			rc = zx_metadata_set(p->x, ZHFTS_STORAGE_KEY, "tombstones", 10, &db->err);
		rc = rc ? rc : zx_commit(p->x, &db->err);
		if (rc && db->stub) {
			char why[sizeof db->err.msg];
			snprintf(why, sizeof why, "%s", db->err.msg);
			zerr_set(&db->err, rc, "shard %s: %.400s", p->name, why);
		}
	}
	return rc;
}

int zhfts__parts_combine(zhfts_db *db, zerr *err)
{
	zx_db **xs = malloc(db->nparts * sizeof *xs);
	if (!xs)
		return zerr_set(err, ZHFTS_ENOMEM, "out of memory");
	for (size_t k = 0; k < db->nparts; k++)
		xs[k] = db->parts[k].x;
	zx_db *c = NULL;
	int rc = zx_combine(&c, xs, db->nparts, err);
	free(xs);
	if (rc == ZHFTS_OK) {
		zx_close(db->x, err);
		db->x = c;
	}
	return rc;
}

/* The parts of db: the database at path, or the shards its stub lists. */
static int open_parts(zhfts_db *db, const char *where, unsigned flags, const zhfts_options *opts)
{
	int rc = ZHFTS_OK;
	db->stub = !(flags & ZHFTS_OPEN_INMEMORY) && zhfts__is_stub(where);
	if (db->stub) {
		rc = zhfts__stub_parse(where, &db->parts, &db->nparts, &db->err);
		if (rc == ZHFTS_OK && (flags & ZHFTS_OPEN_OVERWRITE))
			rc = zerr_set(&db->err, ZHFTS_EINVAL, "%s: a stub's shards cannot be overwritten: remove them one by one",
			              where);
	} else {
		db->parts = calloc(1, sizeof *db->parts);
		db->nparts = db->parts ? 1 : 0;
		if (db->parts) {
			db->parts[0].holdoff_fd = -1;
			db->parts[0].path = zhfts__strdup(where);
			db->parts[0].name = zhfts__strdup(where);
		}
		rc = db->parts && db->parts[0].path && db->parts[0].name ? ZHFTS_OK : ZHFTS_ENOMEM;
	}
	unsigned only = opts && opts->version >= 2 ? opts->write_shard : 0;
	if (rc == ZHFTS_OK && only > db->nparts)
		rc = zerr_set_at(&db->err, ZHFTS_EINVAL, ZHFTS_WHERE_OPTION, -1, "%s: write_shard %u, but it has %zu shard%s",
		                 where, only, db->nparts, db->nparts == 1 ? "" : "s");
	for (size_t k = 0; rc == ZHFTS_OK && k < db->nparts; k++) {
		zpart *p = &db->parts[k];
		bool w = db->writable && (!only || only == k + 1);
		rc = open_part(db, p, flags, w);
		if (rc == ZHFTS_OK)
			open_holdoff(p, w);
		else if (db->stub && !strstr(db->err.msg, p->name)) {
			char why[sizeof db->err.msg];
			snprintf(why, sizeof why, "%s", db->err.msg);
			zerr_set(&db->err, rc, "shard %s: %.400s", p->name, why);
		}
	}
	if (rc == ZHFTS_OK && db->stub)
		rc = zhfts__parts_combine(db, &db->err);
	else if (rc == ZHFTS_OK)
		db->x = db->parts[0].x;
	return rc;
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
	db->id_hash_bits = 64;
	db->flags = flags;
	db->writable = flags & (ZHFTS_OPEN_WRITE | ZHFTS_OPEN_CREATE | ZHFTS_OPEN_OVERWRITE | ZHFTS_OPEN_INMEMORY);
	if ((flags & ZHFTS_OPEN_TERMLIST) && !db->writable)
		flags &= ~ZHFTS_OPEN_TERMLIST;
	db->path = zhfts__strdup(flags & ZHFTS_OPEN_INMEMORY ? ":memory:" : path);
	db->settings.lock_timeout_ms = opts ? opts->lock_timeout_ms : 0;
	db->settings.remote_timeout_ms = opts && opts->version >= 2 ? opts->remote_timeout_ms : 0;
	zerr_clear(&db->err);
	int rc = db->path ? ZHFTS_OK : ZHFTS_ENOMEM;
	if (rc == ZHFTS_OK && (flags & ZHFTS_OPEN_INMEMORY))
		rc = make_scratch(db);
	const char *where = db->scratch_dir ? db->scratch_dir : db->path;
	rc = rc ? rc : open_parts(db, where, flags, opts);
	saved st = {calloc(db->nparts + 1, sizeof(char *)), calloc(db->nparts + 1, sizeof(char *)),
	            calloc(db->nparts + 1, sizeof(uint64_t))};
	if (rc == ZHFTS_OK && (!st.settings || !st.storage || !st.docs))
		rc = ZHFTS_ENOMEM;
	rc = rc ? rc : zhfts__read(db, read_settings, &st);
	bool fresh = false;
	rc = rc ? rc : resolve_settings(db, opts, &st, &fresh);
	/* Resolving takes what shapes the terms from the database: the options
	 * of this handle alone are put back. */
	if (rc == ZHFTS_OK) {
		db->settings.remote_timeout_ms = opts && opts->version >= 2 ? opts->remote_timeout_ms : 0;
		db->settings.write_shard = db->writable && opts && opts->version >= 2 ? opts->write_shard : 0;
	}
	rc = rc ? rc : init_parts(db, &st, flags);
	for (size_t k = 0; rc == ZHFTS_OK && k < db->nparts; k++)
		db->tombstones |= db->parts[k].tombstones;
	rc = rc ? rc : zhfts__tokenizer_init(&db->tok, &db->settings, &db->err);
	rc = rc ? rc : zhfts__fields_load(db);
	rc = rc ? rc : zhfts__read(db, refresh_dead, NULL);
	for (size_t k = 0; k < db->nparts && st.settings && st.storage; k++) {
		free(st.settings[k]);
		free(st.storage[k]);
	}
	free(st.settings);
	free(st.storage);
	free(st.docs);
	(void)fresh;
	if (rc) {
		if (errmsg)
			*errmsg = zhfts__strdup(db->err.msg[0] ? db->err.msg : zhfts_strerror(rc));
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
	int rc2 = ZHFTS_OK;
	if (db->stub) {
		zerr dummy;
		zx_close(db->x, &dummy); /* the combined view: nothing to commit */
		for (size_t k = 0; k < db->nparts; k++) {
			int r = zx_close(db->parts[k].x, &db->err);
			db->parts[k].x = NULL;
			rc2 = rc2 ? rc2 : r;
		}
	} else {
		rc2 = zx_close(db->x, &db->err);
		if (db->nparts)
			db->parts[0].x = NULL;
	}
	db->x = NULL;
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
	for (size_t k = 0; rc == ZHFTS_OK && k < db->nparts; k++) {
		zpart *p = &db->parts[k];
		if (p->writable)
			rc = zx_rollback(p->x, &db->err);
		p->touched = p->dead_changed = false;
		p->pending_docs = 0;
	}
	if (rc == ZHFTS_OK) {
		db->pending_bytes = 0;
		db->pending_docs = 0;
		db->fields_valid = false;
		db->dead_valid = false;
		db->order.valid = false;
	}
	return zhfts__db_fail(db, rc, NULL, NULL);
}

int zhfts_db_reopen(zhfts_db *db)
{
	if (!db)
		return ZHFTS_EINVAL;
	zhfts__db_begin(db);
	int rc = ZHFTS_OK;
	bool reconnected = false;
	for (int attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
		rc = zx_reopen(db->x, &db->err);
		if (rc == ZHFTS_EIO && db->stub && !db->writable && !reconnected) {
			/* Once: a failure that reconnecting does not cure is reported. */
			reconnected = true;
			char why[sizeof db->err.msg];
			snprintf(why, sizeof why, "%s", db->err.msg);
			if (reconnect_remote(db) == ZHFTS_OK)
				continue;
			char again[sizeof db->err.msg];
			snprintf(again, sizeof again, "%s", db->err.msg);
			zerr_set(&db->err, ZHFTS_EIO, "%.250s; connecting again: %.250s", why, again);
			break;
		}
		if (rc != ZX_EMODIFIED)
			break;
		sleep_ms(1);
	}
	if (rc == ZX_EMODIFIED)
		rc = zerr_set(&db->err, ZHFTS_EIO, "%s: reopen kept failing while the database changed", db->path);
	db->generation++;
	return zhfts__db_fail(db, rc, NULL, NULL);
}
