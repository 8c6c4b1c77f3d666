/*
 * Merging databases into one: Xapian's compaction over several sources, once
 * zhfts has checked that they agree on their settings and share no document.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "zhfts-private.h"

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

typedef struct dup_ctx {
	zhfts_db **dbs;
	size_t n, self;
	const char *const *paths;
	zerr *err;
} dup_ctx;

/* Fails if a live document of source `self` is also live in a later source. */
static int check_unique(void *ctx, const char *id, uint32_t paragraphs)
{
	dup_ctx *d = ctx;
	(void)paragraphs;
	for (size_t k = d->self + 1; k < d->n; k++) {
		uint32_t *docids = NULL;
		size_t n = 0;
		int rc = zhfts__doc_paragraphs(d->dbs[k], id, &docids, &n);
		free(docids);
		if (rc)
			return zerr_set(d->err, rc, "%s", d->dbs[k]->err.msg);
		if (n)
			return zerr_set(d->err, ZHFTS_EINVAL, "document %s is in both %s and %s", id, d->paths[d->self],
			                d->paths[k]);
	}
	return ZHFTS_OK;
}

/* The merged database's dead paragraphs: each source's, at the docids
 * Xapian's compaction gives them (it shifts each source's used range to
 * follow the previous one's). */
static int merge_dead(zhfts_db **dbs, size_t n, zdead *out, zerr *err)
{
	uint32_t tot_off = 0;
	int rc = ZHFTS_OK;
	for (size_t i = 0; rc == ZHFTS_OK && i < n; i++) {
		uint32_t first = 0, last = 0;
		rc = zx_used_range(dbs[i]->x, &first, &last, err);
		if (rc || !first)
			continue;
		tot_off -= first - 1;
		const zdead *d = &dbs[i]->dead;
		for (size_t b = 0; rc == ZHFTS_OK && b < d->nblocks; b++) {
			for (uint32_t o = 0; d->blocks[b] && o < 65536 && rc == ZHFTS_OK; o++) {
				uint32_t docid = (uint32_t)(b << 16) | o;
				if (docid && zhfts__dead_has(d, docid))
					rc = zhfts__dead_add(out, docid + tot_off);
			}
		}
		tot_off += last;
	}
	if (rc == ZHFTS_ENOMEM)
		zerr_set(err, rc, "out of memory merging deleted paragraphs");
	return rc;
}

/* In document order if every source is and their ids ascend from one
 * source to the next (docorder.c). */
static int merge_order(zhfts_db **dbs, size_t n, zorder *out, zerr *err)
{
	out->ordered = out->empty = true;
	int rc = ZHFTS_OK;
	for (size_t i = 0; rc == ZHFTS_OK && i < n; i++) {
		zorder o = {0};
		rc = zhfts__order_load(&o, dbs[i]->x, dbs[i]->path, err);
		if (rc == ZHFTS_OK && zhfts__order_follow(out, &o))
			rc = zerr_set(err, ZHFTS_ENOMEM, "out of memory merging the document order");
		zhfts__order_free(&o);
	}
	return rc;
}

static int merge_fields(zhfts_db **dbs, size_t n, zbuf *names, zerr *err)
{
	/* The merged database knows every field name a source knows. */
	names->len = 0;
	int rc = zbuf_reserve(names, 0);
	for (size_t i = 0; rc == ZHFTS_OK && i < n; i++) {
		for (size_t k = 0; rc == ZHFTS_OK && k < dbs[i]->nfields; k++) {
			const char *nm = dbs[i]->fields[k].name;
			size_t nl = strlen(nm);
			bool have = false;
			for (const char *p = names->data; *p && !have;) {
				size_t l = strcspn(p, " ");
				have = l == nl && !memcmp(p, nm, nl);
				p += l;
				while (*p == ' ')
					p++;
			}
			if (!have && ((names->len && zbuf_addc(names, ' ')) || zbuf_adds(names, nm)))
				rc = ZHFTS_ENOMEM;
		}
	}
	if (rc)
		zerr_set(err, rc, "out of memory merging field names");
	return rc;
}

/* The sources, each stub replaced by the local shards it lists (in order).
 * *out and its strings are malloc'd. */
static int expand_stubs(const char *const *sources, size_t n, char ***out, size_t *nout, zerr *err)
{
	char **l = NULL;
	size_t m = 0, cap = 0;
	int rc = ZHFTS_OK;
	for (size_t i = 0; rc == ZHFTS_OK && i < n; i++) {
		zpart *parts = NULL;
		size_t np = 0;
		if (!sources[i]) {
			rc = zerr_set(err, ZHFTS_EINVAL, "NULL source");
			break;
		}
		bool stub = zhfts__is_stub(sources[i]);
		if (stub && (rc = zhfts__stub_parse(sources[i], &parts, &np, err)) != ZHFTS_OK)
			break;
		for (size_t k = 0; rc == ZHFTS_OK && k < (stub ? np : 1); k++) {
			if (stub && !parts[k].path) {
				rc = zerr_set(err, ZHFTS_EINVAL, "%s: shard %s is remote: merge reads local shards (copy its directory here)",
				              sources[i], parts[k].name);
				break;
			}
			void *v = l;
			char *copy = zhfts__strdup(stub ? parts[k].path : sources[i]);
			if (!copy || zvec_grow(&v, &cap, m + 1, sizeof *l)) {
				free(copy);
				rc = zerr_set(err, ZHFTS_ENOMEM, "out of memory");
				break;
			}
			l = v;
			l[m++] = copy;
		}
		zhfts__parts_free(parts, np);
	}
	*out = l;
	*nout = m;
	return rc;
}

int zhfts_db_merge(const char *dest, const char *const *given, size_t ngiven, char **errmsg)
{
	zerr err = {{0}, 0, 0, -1};
	int rc = ZHFTS_OK;
	struct stat st;
	char **expanded = NULL;
	size_t nsources = 0;
	if (errmsg)
		*errmsg = NULL;
	if (!dest || !*dest || !given || !ngiven)
		rc = zerr_set(&err, ZHFTS_EINVAL, "merge needs a destination and at least one source");
	else
		rc = expand_stubs(given, ngiven, &expanded, &nsources, &err);
	const char *const *sources = (const char *const *)expanded;
	if (rc == ZHFTS_OK && !nsources)
		rc = zerr_set(&err, ZHFTS_EINVAL, "merge needs at least one source");
	if (rc == ZHFTS_OK && stat(dest, &st) == 0)
		rc = zerr_set(&err, ZHFTS_EINVAL, "%s exists already: merge writes a new database", dest);
	zhfts_db **dbs = rc ? NULL : calloc(nsources, sizeof *dbs);
	if (!rc && !dbs)
		rc = ZHFTS_ENOMEM;
	char first[256] = "";
	for (size_t i = 0; rc == ZHFTS_OK && i < nsources; i++) {
		char *msg = NULL, *stored = NULL;
		rc = sources[i] ? zhfts_db_open(&dbs[i], sources[i], ZHFTS_OPEN_READONLY, NULL, &msg) : ZHFTS_EINVAL;
		if (rc) {
			zerr_set(&err, rc, "%s", msg ? msg : "NULL source");
			zhfts_free(msg);
			break;
		}
		rc = zx_metadata_get(dbs[i]->x, ZHFTS_SETTINGS_KEY, &stored, &err);
		if (rc == ZHFTS_OK && i == 0)
			snprintf(first, sizeof first, "%s", stored);
		else if (rc == ZHFTS_OK && strcmp(first, stored))
			rc = zerr_set(&err, ZHFTS_ESETTINGS, "%s was built with '%s', %s with '%s'", sources[0], first,
			              sources[i], stored);
		free(stored);
	}
	for (size_t i = 1; rc == ZHFTS_OK && i < nsources; i++)
		if (dbs[i]->tombstones != dbs[0]->tombstones)
			rc = zerr_set(&err, ZHFTS_EINVAL, "%s has %s termlist, %s %s: merge databases of one kind", sources[0],
			              dbs[0]->tombstones ? "no" : "a", sources[i], dbs[i]->tombstones ? "none" : "one");
	for (size_t i = 0; rc == ZHFTS_OK && i + 1 < nsources; i++) {
		dup_ctx d = {dbs, nsources, i, sources, &err};
		rc = zhfts_db_foreach_document(dbs[i], check_unique, &d);
		if (rc && !err.msg[0])
			zerr_set(&err, rc, "%s", dbs[i]->err.msg);
	}
	zbuf names = {0};
	zdead dead = {0};
	zorder order = {0};
	rc = rc ? rc : merge_fields(dbs, nsources, &names, &err);
	rc = rc ? rc : merge_dead(dbs, nsources, &dead, &err);
	rc = rc ? rc : merge_order(dbs, nsources, &order, &err);
	for (size_t i = 0; dbs && i < nsources; i++)
		zhfts_db_close(dbs[i]);
	free(dbs);
	/* Compact next to dest and rename, so that a failure (disk full) never
	 * leaves a half-written database at dest. */
	zbuf tmp = {0};
	if (rc == ZHFTS_OK && zbuf_printf(&tmp, "%s.merging-%ld", dest, (long)getpid()))
		rc = ZHFTS_ENOMEM;
	if (rc == ZHFTS_OK)
		rc = zx_compact(tmp.data, sources, nsources, &err);
	if (rc == ZHFTS_OK && (nsources > 1 || dead.count)) {
		/* The first source's metadata is what compaction keeps: give the
		 * result every source's field names and dead paragraphs. */
		zx_db *x = NULL;
		rc = zx_open(&x, tmp.data, ZX_OPEN, ZX_NO_SYNC, &err);
		rc = rc ? rc : zx_metadata_set(x, ZHFTS_FIELDS_KEY, names.data, names.len, &err);
		if (rc == ZHFTS_OK)
			dead.changed = true; /* every block, and the count (also 0) */
		for (size_t b = 0; b < dead.nblocks; b++)
			dead.dirty[b] = dead.blocks[b] != NULL;
		rc = rc ? rc : zhfts__dead_store(&dead, x, &err);
		rc = rc ? rc : zhfts__order_store(&order, x, &err);
		int rc2 = x ? zx_close(x, &err) : ZHFTS_OK;
		rc = rc ? rc : rc2;
	}
	zhfts__dead_free(&dead);
	zhfts__order_free(&order);
	if (rc == ZHFTS_OK && rename(tmp.data, dest) != 0)
		rc = zerr_set(&err, ZHFTS_EIO, "%s: cannot rename the merged database into place: %s", dest,
		              strerror(errno));
	if (rc && tmp.data)
		nftw(tmp.data, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	zbuf_free(&tmp);
	zbuf_free(&names);
	for (size_t i = 0; i < nsources; i++)
		free(expanded[i]);
	free(expanded);
	if (rc && errmsg)
		*errmsg = zhfts__strdup(err.msg[0] ? err.msg : zhfts_strerror(rc));
	return rc;
}
