/*
 * Rewriting a database from its records: compaction, and splitting into
 * shards.
 *
 * Compaction: a database rewritten without its dead paragraphs, and without
 * the slack that updating a B-tree in place leaves.
 *
 * Every live paragraph is rebuilt from its stored record (its text, section
 * and fields give the same terms and values as when it was indexed) into a
 * new database, which Xapian then compacts; the new one takes the old one's
 * place with one atomic exchange of directories, while the old one's writer
 * lock keeps other writers out.  Readers that had the old one open go on
 * reading it until they reopen.
 *
 * Splitting (zhfts_db_split): the live paragraphs go to N new databases,
 * each document to the shard its id hashes to, which is where a stub
 * naming the shards in that order would put it (shards.c).
 */
#define _GNU_SOURCE /* renameat2 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "zhfts-private.h"

#define BATCH 512
#define COMMIT_BYTES (256u << 10)

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void remove_tree(const char *path)
{
	nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Copies the metadata that says what the database is. */
static int copy_meta(zhfts_db *src, zx_db *dst, zerr *err)
{
	static const char *const keys[] = {ZHFTS_SETTINGS_KEY, ZHFTS_FIELDS_KEY, ZHFTS_STORAGE_KEY};
	int rc = ZHFTS_OK;
	for (size_t i = 0; rc == ZHFTS_OK && i < sizeof keys / sizeof *keys; i++) {
		char *v = NULL;
		size_t n = 0;
		rc = zx_metadata_get_bytes(src->x, keys[i], &v, &n, err);
		if (rc == ZHFTS_OK && n)
			rc = zx_metadata_set(dst, keys[i], v, n, err);
		free(v);
	}
	return rc;
}

/* One live paragraph into dst. */
static int rebuild_one(zhfts_db *src, zx_db *dst, const zx_fetched *f, zdocfields *df, zbuf *idterm, zerr *err)
{
	zrecord r;
	if (zhfts__record_decode(&r, f->data, f->data_len) != ZHFTS_OK)
		return zerr_set(err, ZHFTS_ECORRUPT, "%s: unreadable paragraph record", src->path);
	char *id = zhfts__strndup(f->values[0], f->value_lens[0]);
	int rc = id ? ZHFTS_OK : ZHFTS_ENOMEM;
	zhfts__docfields_free(df);
	memset(df, 0, sizeof *df);
	for (uint32_t k = 0; rc == ZHFTS_OK && k < r.nfields && k < ZHFTS_MAX_FIELDS + 2; k++) {
		const char *fn, *fv;
		size_t fnl, fvl;
		zhfts__record_field(&r, k, &fn, &fnl, &fv, &fvl);
		/* guessed[] holds the names, norm[] is filled by prepare: keep the
		 * strings in the sortable buffers until then. */
		char *name = zhfts__strndup(fn, fnl), *value = zhfts__strndup(fv, fvl);
		if (!name || !value) {
			free(name);
			free(value);
			rc = ZHFTS_ENOMEM;
			break;
		}
		df->f[df->n++] = (zhfts_field){name, value};
	}
	rc = rc ? rc : zhfts__docfields_prepare(src, df);
	rc = rc ? rc : zhfts__term_docid(idterm, id, src->id_hash_bits);
	zx_doc *xd = NULL;
	rc = rc ? rc : zx_doc_new(&xd);
	zdocctx c = {.id = id, .idterm = idterm, .df = df, .record = f->data, .record_len = f->data_len};
	rc = rc ? rc : zhfts__paragraph_doc(src, xd, &r, &c);
	rc = rc ? rc : zx_add(dst, xd, NULL, err);
	zx_doc_free(xd);
	zhfts__docctx_free(&c);
	for (size_t k = 0; k < df->n; k++) {
		free((char *)df->f[k].name);
		free((char *)df->f[k].value);
	}
	df->n = 0;
	free(id);
	if (rc == ZHFTS_ENOMEM)
		zerr_set(err, rc, "out of memory compacting");
	return rc;
}

/* A live paragraph, by its document id. */
typedef struct livepara {
	char *id;
	size_t len;
	uint32_t docid;
} livepara;

static int by_document(const void *a, const void *b)
{
	const livepara *x = a, *y = b;
	int r = memcmp(x->id, y->id, x->len < y->len ? x->len : y->len);
	if (!r)
		r = x->len < y->len ? -1 : x->len > y->len;
	return r ? r : x->docid < y->docid ? -1 : x->docid > y->docid;
}

/* src's live paragraphs, in document order (id, then docid, which is
 * paragraph order within a document). */
static int live_in_order(zhfts_db *src, livepara **out, size_t *nout, zerr *err)
{
	uint32_t first = 0, last = 0;
	int rc = zx_used_range(src->x, &first, &last, err);
	livepara *l = NULL;
	size_t n = 0, cap = 0;
	for (uint64_t at = first; rc == ZHFTS_OK && first && at <= last; at += BATCH) {
		uint32_t ids[BATCH];
		char *vals[BATCH];
		size_t lens[BATCH], m = 0;
		for (uint64_t d = at; d < at + BATCH && d <= last; d++)
			if (!zhfts__dead_has(&src->dead, (uint32_t)d))
				ids[m++] = (uint32_t)d;
		rc = m ? zx_values(src->x, ZHFTS_SLOT_DOC, ids, m, vals, lens, err) : ZHFTS_OK;
		if (rc)
			break;
		void *v = l;
		bool grown = !zvec_grow(&v, &cap, n + m, sizeof *l);
		l = v;
		for (size_t i = 0; i < m; i++) {
			if (grown && lens[i]) /* else deleted (a database with a termlist) */
				l[n++] = (livepara){vals[i], lens[i], ids[i]};
			else
				free(vals[i]);
		}
		if (!grown)
			rc = zerr_set(err, ZHFTS_ENOMEM, "out of memory listing paragraphs to compact");
	}
	if (rc == ZHFTS_OK)
		qsort(l, n, sizeof *l, by_document);
	*out = l;
	*nout = n;
	return rc;
}

static void live_free(livepara *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(l[i].id);
	free(l);
}

/* Every live paragraph of src, in document order, into the databases dst:
 * a document to dst[hash of its id % ndst] (to dst[0] when ndst is 1). */
static int rebuild_into(zhfts_db *src, zx_db **dst, size_t ndst, uint64_t *kept, zerr *err)
{
	livepara *live = NULL;
	size_t nlive = 0;
	int rc = live_in_order(src, &live, &nlive, err);
	static const unsigned doc_slot[1] = {ZHFTS_SLOT_DOC};
	zdocfields *df = calloc(1, sizeof *df);
	zbuf idterm = {0};
	zorder *order = calloc(ndst, sizeof *order);
	size_t *pending = calloc(ndst, sizeof *pending);
	if (rc == ZHFTS_OK && (!df || !order || !pending))
		rc = zerr_set(err, ZHFTS_ENOMEM, "out of memory rewriting %s", src->path);
	for (size_t k = 0; order && k < ndst; k++)
		order[k] = (zorder){.valid = true, .ordered = true, .empty = true};
	*kept = 0;
	for (size_t at = 0; rc == ZHFTS_OK && at < nlive; at += BATCH) {
		uint32_t ids[BATCH];
		size_t n = nlive - at < BATCH ? nlive - at : BATCH;
		for (size_t i = 0; i < n; i++)
			ids[i] = live[at + i].docid;
		zx_fetched f[BATCH];
		rc = zx_fetch(src->x, ids, n, true, doc_slot, 1, f, err);
		bool fetched = rc == ZHFTS_OK;
		for (size_t i = 0; rc == ZHFTS_OK && i < n; i++) {
			if (f[i].missing)
				continue;
			const livepara *l = &live[at + i];
			size_t k = ndst > 1 ? (size_t)(zhfts__hash(l->id, l->len) % ndst) : 0;
			rc = rebuild_one(src, dst[k], &f[i], df, &idterm, err);
			if (rc == ZHFTS_OK && zhfts__order_note(&order[k], l->id))
				rc = zerr_set(err, ZHFTS_ENOMEM, "out of memory rewriting %s", src->path);
			pending[k] += f[i].data_len;
			(*kept)++;
			if (rc == ZHFTS_OK && pending[k] >= COMMIT_BYTES) {
				rc = zx_commit(dst[k], err);
				pending[k] = 0;
			}
		}
		if (fetched)
			zx_fetched_free(f, n);
	}
	for (size_t k = 0; rc == ZHFTS_OK && k < ndst; k++) {
		order[k].dirty = true;
		rc = zhfts__order_store(&order[k], dst[k], err);
	}
	for (size_t k = 0; order && k < ndst; k++)
		zhfts__order_free(&order[k]);
	free(order);
	free(pending);
	live_free(live, nlive);
	zbuf_free(&idterm);
	if (df)
		zhfts__docfields_free(df);
	free(df);
	return rc;
}

/* Every live paragraph of src, in document order, into a new database at
 * dir. */
static int rebuild(zhfts_db *src, const char *dir, uint64_t *kept, zerr *err)
{
	zx_db *dst = NULL;
	unsigned flags = ZX_NO_SYNC | (src->tombstones ? ZX_NO_TERMLIST : 0);
	int rc = zx_open(&dst, dir, ZX_OVERWRITE, flags, err);
	rc = rc ? rc : copy_meta(src, dst, err);
	rc = rc ? rc : rebuild_into(src, &dst, 1, kept, err);
	int rc2 = dst ? zx_close(dst, err) : ZHFTS_OK;
	return rc ? rc : rc2;
}

/* dest and src change places; falls back to two renames where the file
 * system cannot exchange. */
static int exchange(const char *a, const char *b, zerr *err)
{
	if (renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) == 0)
		return ZHFTS_OK;
	if (errno != EINVAL && errno != ENOSYS)
		return zerr_set(err, ZHFTS_EIO, "%s: cannot put the compacted database in place: %s", a, strerror(errno));
	zbuf side = {0};
	if (zbuf_printf(&side, "%s.old-%ld", a, (long)getpid()))
		return ZHFTS_ENOMEM;
	int rc = ZHFTS_OK;
	if (rename(a, side.data) != 0 || rename(b, a) != 0 || rename(side.data, b) != 0)
		rc = zerr_set(err, ZHFTS_EIO, "%s: cannot put the compacted database in place: %s", a, strerror(errno));
	zbuf_free(&side);
	return rc;
}

int zhfts_db_compact(const char *path, char **errmsg)
{
	if (errmsg)
		*errmsg = NULL;
	zerr err = {{0}, 0, 0, -1};
	zhfts_db *src = NULL;
	char *msg = NULL;
	struct stat st;
	int rc = path && *path ? ZHFTS_OK : zerr_set(&err, ZHFTS_EINVAL, "no database path given");
	if (rc == ZHFTS_OK && (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)))
		rc = zerr_set(&err, ZHFTS_EINVAL, "%s: compaction works on a database directory", path);
	if (rc == ZHFTS_OK && (rc = zhfts_db_open(&src, path, ZHFTS_OPEN_WRITE, NULL, &msg)) != ZHFTS_OK)
		zerr_set(&err, rc, "%s", msg ? msg : zhfts_strerror(rc));
	zhfts_free(msg);
	zbuf built = {0}, done = {0};
	if (rc == ZHFTS_OK && (zbuf_printf(&built, "%s.rebuild-%ld", path, (long)getpid()) ||
	                       zbuf_printf(&done, "%s.compact-%ld", path, (long)getpid())))
		rc = ZHFTS_ENOMEM;
	uint64_t kept = 0;
	/* With dead paragraphs, or docids out of document order, rebuild; else
	 * Xapian's compaction alone. */
	zorder order = {0};
	if (rc == ZHFTS_OK)
		rc = zhfts__order_load(&order, src->x, path, &err);
	bool dead = rc == ZHFTS_OK && (src->dead.count > 0 || !order.ordered);
	zhfts__order_free(&order);
	if (rc == ZHFTS_OK && dead)
		rc = rebuild(src, built.data, &kept, &err);
	if (rc == ZHFTS_OK) {
		const char *from = dead ? built.data : path;
		rc = zx_compact(done.data, &from, 1, &err);
	}
	if (rc == ZHFTS_OK)
		rc = exchange(path, done.data, &err);
	if (built.data)
		remove_tree(built.data);
	/* The writer's lock went with the old database; done holds it now. */
	zerr tmp;
	if (src) {
		zx_close(src->x, &tmp);
		src->x = NULL;
	}
	zhfts_db_close(src);
	if (done.data)
		remove_tree(done.data);
	zbuf_free(&built);
	zbuf_free(&done);
	if (rc && errmsg)
		*errmsg = zhfts__strdup(err.msg[0] ? err.msg : zhfts_strerror(rc));
	return rc;
}

int zhfts_db_split(const char *path, const char *const *dests, size_t n, unsigned int flags, char **errmsg)
{
	if (errmsg)
		*errmsg = NULL;
	zerr err = {{0}, 0, 0, -1};
	zhfts_db *src = NULL;
	char *msg = NULL;
	struct stat st;
	int rc = path && *path && dests && n ? ZHFTS_OK
	                                     : zerr_set(&err, ZHFTS_EINVAL, "split needs a database and shard paths");
	for (size_t k = 0; rc == ZHFTS_OK && k < n; k++) {
		if (!dests[k] || !*dests[k])
			rc = zerr_set(&err, ZHFTS_EINVAL, "shard %zu has no path", k + 1);
		else if (stat(dests[k], &st) == 0)
			rc = zerr_set(&err, ZHFTS_EINVAL, "%s exists already: split writes new databases", dests[k]);
	}
	if (rc == ZHFTS_OK && (rc = zhfts_db_open(&src, path, ZHFTS_OPEN_READONLY, NULL, &msg)) != ZHFTS_OK)
		zerr_set(&err, rc, "%s", msg ? msg : zhfts_strerror(rc));
	zhfts_free(msg);
	zx_db **dst = rc ? NULL : calloc(n, sizeof *dst);
	if (rc == ZHFTS_OK && !dst)
		rc = zerr_set(&err, ZHFTS_ENOMEM, "out of memory");
	/* Shards for xapian-tcpsrv need a termlist table (remote reads list a
	 * document's values through it). */
	bool termlist = flags & ZHFTS_OPEN_TERMLIST;
	for (size_t k = 0; rc == ZHFTS_OK && k < n; k++) {
		rc = zx_open(&dst[k], dests[k], ZX_CREATE, ZX_NO_SYNC | (termlist ? 0 : ZX_NO_TERMLIST), &err);
		rc = rc ? rc : copy_meta(src, dst[k], &err);
		rc = rc ? rc
		        : termlist ? zx_metadata_set(dst[k], ZHFTS_STORAGE_KEY, "", 0, &err)
		                   : zx_metadata_set(dst[k], ZHFTS_STORAGE_KEY, "tombstones", 10, &err);
	}
	uint64_t kept = 0;
	rc = rc ? rc : rebuild_into(src, dst, n, &kept, &err);
	for (size_t k = 0; dst && k < n; k++) {
		int r = dst[k] ? zx_close(dst[k], &err) : ZHFTS_OK;
		rc = rc ? rc : r;
	}
	free(dst);
	zhfts_db_close(src);
	if (rc) {
		/* Nothing half-written is left behind. */
		for (size_t k = 0; k < n && dests && dests[k]; k++)
			remove_tree(dests[k]);
		if (errmsg)
			*errmsg = zhfts__strdup(err.msg[0] ? err.msg : zhfts_strerror(rc));
	}
	return rc;
}
