/*
 * Documents as wholes: their paragraphs, the list of them, their counts.
 *
 * A document's paragraphs are the postings of its id term.  An id too long
 * for a term is hashed (terms.c), and two such ids may share a term: their
 * paragraphs are then told apart by the id each holds in ZHFTS_SLOT_DOC.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "zhfts-private.h"

/* The id a Q term names (escapes undone), or NULL for a hashed one. */
static char *id_of_term(const char *term, size_t len)
{
	if (zhfts__term_is_hashed(term, len))
		return NULL;
	size_t skip = len >= 2 && term[1] == ':' ? 2 : 1;
	return zhfts__strndup(term + skip, len - skip);
}

static const unsigned doc_slot[1] = {ZHFTS_SLOT_DOC};

/* Drops the dead paragraphs from a docid list. */
static int drop_dead(zhfts_db *db, uint32_t *docids, size_t *n)
{
	int rc = zhfts__dead_refresh(db);
	if (rc || !db->dead.count)
		return rc;
	size_t m = 0;
	for (size_t i = 0; i < *n; i++)
		if (!zhfts__dead_has(&db->dead, docids[i]))
			docids[m++] = docids[i];
	*n = m;
	return ZHFTS_OK;
}

/* The paragraphs of a document in the whole database (part SIZE_MAX), or
 * in one part alone, whose local docids are then made the whole's. */
static int paragraphs_in(zhfts_db *db, size_t part, const char *id, uint32_t **docids, size_t *n)
{
	zbuf term = {0};
	*docids = NULL;
	*n = 0;
	zx_db *x = part == SIZE_MAX ? db->x : db->parts[part].x;
	int rc = zhfts__term_docid(&term, id, db->id_hash_bits);
	rc = rc ? rc : zx_postlist(x, term.data, term.len, docids, n, &db->err);
	for (size_t i = 0; rc == ZHFTS_OK && part != SIZE_MAX && i < *n; i++)
		(*docids)[i] = zhfts__docid_of(db, part, (*docids)[i]);
	rc = rc ? rc : drop_dead(db, *docids, n);
	if (rc == ZHFTS_OK && *n && zhfts__term_is_hashed(term.data, term.len)) {
		/* Several ids may share this term: keep this one's paragraphs. */
		size_t all = *n, m = 0, idlen = strlen(id);
		zx_fetched *f = calloc(all, sizeof *f);
		rc = f ? zx_fetch(db->x, *docids, all, false, doc_slot, 1, f, &db->err) : ZHFTS_ENOMEM;
		for (size_t i = 0; rc == ZHFTS_OK && i < all; i++)
			if (!f[i].missing && f[i].value_lens[0] == idlen && !memcmp(f[i].values[0], id, idlen))
				(*docids)[m++] = (*docids)[i];
		if (rc == ZHFTS_OK)
			*n = m;
		zx_fetched_free(f, all);
		free(f);
	}
	zbuf_free(&term);
	if (rc) {
		free(*docids);
		*docids = NULL;
		*n = 0;
	}
	return rc;
}

/* A writer of one shard of a stub reads the other shards through handles
 * that their own writers commit under: a read that loses that race (its
 * revision was discarded) is run again on their newest revisions. */
static int paragraphs_again(zhfts_db *db, size_t part, const char *id, uint32_t **docids, size_t *n)
{
	int rc = paragraphs_in(db, part, id, docids, n);
	if (!db->writable)
		return rc; /* a reader's read is run again whole (zhfts__read) */
	for (int attempt = 1; rc == ZX_EMODIFIED && db->stub && attempt < 12; attempt++) {
		rc = zhfts__parts_refresh(db, &db->err);
		rc = rc ? rc : paragraphs_in(db, part, id, docids, n);
	}
	if (rc == ZX_EMODIFIED)
		rc = zerr_set(&db->err, ZHFTS_EIO, "%s: the shards kept changing while read", id);
	return rc;
}

int zhfts__doc_paragraphs(zhfts_db *db, const char *id, uint32_t **docids, size_t *n)
{
	return paragraphs_again(db, SIZE_MAX, id, docids, n);
}

int zhfts__doc_paragraphs_part(zhfts_db *db, size_t part, const char *id, uint32_t **docids, size_t *n)
{
	return paragraphs_again(db, part, id, docids, n);
}

/* ---- reading one document ------------------------------------------------------ */

typedef struct getdoc {
	const char *id;
	uint32_t *docids;
	size_t n;
	zx_fetched *f;
} getdoc;

static void getdoc_clear(getdoc *g)
{
	zx_fetched_free(g->f, g->n);
	free(g->f);
	free(g->docids);
	g->f = NULL;
	g->docids = NULL;
	g->n = 0;
}

static int read_document(zhfts_db *db, void *ctx)
{
	getdoc *g = ctx;
	getdoc_clear(g);
	int rc = zhfts__doc_paragraphs(db, g->id, &g->docids, &g->n);
	if (rc == ZHFTS_OK && g->n) {
		g->f = calloc(g->n, sizeof *g->f);
		rc = g->f ? zx_fetch(db->x, g->docids, g->n, true, doc_slot, 1, g->f, &db->err) : ZHFTS_ENOMEM;
	}
	for (size_t i = 0; rc == ZHFTS_OK && i < g->n; i++) {
		zrecord r;
		if (g->f[i].missing || !g->f[i].value_lens[0] ||
		    zhfts__record_decode(&r, g->f[i].data, g->f[i].data_len) != ZHFTS_OK)
			rc = zhfts__overtaken(db, "%s: unreadable paragraph record", db->path);
	}
	return rc;
}

typedef struct by_para_item {
	uint32_t para;
	size_t index;
} by_para_item;

static int by_para(const void *a, const void *b)
{
	const by_para_item *x = a, *y = b;
	return x->para < y->para ? -1 : x->para > y->para;
}

int zhfts_db_get_document(zhfts_db *db, const char *id, zhfts_results **out)
{
	if (!out)
		return ZHFTS_EINVAL;
	*out = NULL;
	if (!db || !id)
		return ZHFTS_EINVAL;
	zhfts__db_begin(db);
	getdoc g = {id, NULL, 0, NULL};
	int rc = zhfts__read(db, read_document, &g);
	if (rc == ZHFTS_OK && g.n == 0)
		rc = zerr_set(&db->err, ZHFTS_ENOTFOUND, "%s: no such document", id);
	by_para_item *order = rc ? NULL : calloc(g.n, sizeof *order);
	zitem *items = rc ? NULL : calloc(g.n, sizeof *items);
	if (rc == ZHFTS_OK && (!order || !items))
		rc = ZHFTS_ENOMEM;
	for (size_t i = 0; rc == ZHFTS_OK && i < g.n; i++) {
		zrecord r;
		zhfts__record_decode(&r, g.f[i].data, g.f[i].data_len);
		order[i] = (by_para_item){r.para, i};
	}
	if (rc == ZHFTS_OK) {
		qsort(order, g.n, sizeof *order, by_para);
		for (size_t i = 0; i < g.n; i++)
			items[i] = (zitem){g.docids[order[i].index], 1, 0.0};
		rc = zhfts__results_new(out, db, items, g.n, 0, NULL);
		items = NULL;
	}
	for (size_t i = 0; rc == ZHFTS_OK && i < g.n; i++) {
		zx_fetched *f = &g.f[order[i].index];
		zhfts__results_prime(*out, i, f->data, f->data_len, f->values[0], f->value_lens[0]);
		f->data = NULL;
	}
	if (rc == ZHFTS_OK)
		(*out)->estimate = (*out)->lower = (*out)->upper = g.n;
	free(items);
	free(order);
	getdoc_clear(&g);
	return zhfts__db_fail(db, rc, rc == ZHFTS_ENOTFOUND ? id : NULL, NULL);
}

/* ---- listing documents ----------------------------------------------------------- */

#define LIST_BATCH 256

typedef struct listed {
	char *id;
	uint32_t paragraphs;
} listed;

typedef struct lister {
	listed *items;
	size_t n, cap;
	char *after;          /* the last term read */
	size_t after_len;
	char *batch_last;
	size_t batch_last_len;
	bool done;
	/* the terms of this batch, resolved into ids after the term iteration
	 * (whose callback may not read the database) */
	char **hashed;
	size_t nhashed, hashcap;
	bool any_dead;
} lister;

static void lister_clear_batch(lister *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i].id);
	l->n = 0;
	for (size_t i = 0; i < l->nhashed; i++)
		free(l->hashed[i]);
	l->nhashed = 0;
	free(l->batch_last);
	l->batch_last = NULL;
}

static int push_listed(lister *l, char *id, uint32_t paragraphs)
{
	void *v = l->items;
	if (!id || zvec_grow(&v, &l->cap, l->n + 1, sizeof *l->items)) {
		free(id);
		return ZHFTS_ENOMEM;
	}
	l->items = v;
	l->items[l->n++] = (listed){id, paragraphs};
	return ZHFTS_OK;
}

static int take_term(void *ctx, const char *term, size_t len, uint32_t tf)
{
	lister *l = ctx;
	void *v = l->hashed;
	char *t = zhfts__strndup(term, len);
	if (!t || zvec_grow(&v, &l->hashcap, l->nhashed + 1, sizeof *l->hashed)) {
		free(t);
		return ZHFTS_ENOMEM;
	}
	l->hashed = v;
	l->hashed[l->nhashed++] = t;
	free(l->batch_last);
	l->batch_last = zhfts__strndup(term, len);
	l->batch_last_len = len;
	if (!l->batch_last)
		return ZHFTS_ENOMEM;
	(void)tf;
	return l->nhashed >= LIST_BATCH ? 1 : 0;
}

static int by_id(const void *a, const void *b)
{
	return strcmp(((const listed *)a)->id, ((const listed *)b)->id);
}

/* The ids behind a term, each with its live paragraphs. */
static int resolve_hashed(zhfts_db *db, lister *l, const char *term)
{
	uint32_t *docids = NULL;
	size_t n = 0;
	size_t tlen = strlen(term);
	if (!l->any_dead && !zhfts__term_is_hashed(term, tlen)) {
		/* One id, in the term; every posting is a live paragraph. */
		uint64_t tf = 0;
		int rc = zx_termfreq(db->x, term, tlen, &tf, &db->err);
		return rc ? rc : push_listed(l, id_of_term(term, tlen), (uint32_t)tf);
	}
	int rc = zx_postlist(db->x, term, tlen, &docids, &n, &db->err);
	rc = rc ? rc : drop_dead(db, docids, &n);
	if (rc == ZHFTS_OK && n && !zhfts__term_is_hashed(term, tlen)) {
		/* One id, in the term. */
		rc = push_listed(l, id_of_term(term, tlen), (uint32_t)n);
		free(docids);
		return rc;
	}
	zx_fetched *f = rc || !n ? NULL : calloc(n, sizeof *f);
	if (rc == ZHFTS_OK && n && !f)
		rc = ZHFTS_ENOMEM;
	rc = rc || !n ? rc : zx_fetch(db->x, docids, n, false, doc_slot, 1, f, &db->err);
	size_t first = l->n;
	for (size_t i = 0; rc == ZHFTS_OK && i < n; i++) {
		if (f[i].missing)
			continue;
		size_t k = first;
		while (k < l->n && strcmp(l->items[k].id, f[i].values[0]))
			k++;
		if (k < l->n)
			l->items[k].paragraphs++;
		else
			rc = push_listed(l, zhfts__strndup(f[i].values[0], f[i].value_lens[0]), 1);
	}
	if (rc == ZHFTS_OK && l->n > first)
		qsort(l->items + first, l->n - first, sizeof *l->items, by_id);
	zx_fetched_free(f, n);
	free(f);
	free(docids);
	return rc;
}

static int read_batch(zhfts_db *db, void *ctx)
{
	lister *l = ctx;
	lister_clear_batch(l);
	int rc = zhfts__dead_refresh(db);
	l->any_dead = db->dead.count > 0;
	rc = rc ? rc : zx_allterms(db->x, "Q", 1, l->after, l->after_len, take_term, l, &db->err);
	if (rc == ZHFTS_OK)
		l->done = true;
	else if (rc == 1)
		rc = ZHFTS_OK;
	for (size_t i = 0; rc == ZHFTS_OK && i < l->nhashed; i++)
		rc = resolve_hashed(db, l, l->hashed[i]);
	return rc;
}

int zhfts_db_foreach_document(zhfts_db *db, zhfts_doc_fn fn, void *ctx)
{
	if (!db || !fn)
		return ZHFTS_EINVAL;
	zhfts__db_begin(db);
	lister l = {0};
	int rc = ZHFTS_OK;
	while (rc == ZHFTS_OK && !l.done) {
		rc = zhfts__read(db, read_batch, &l);
		/* Deliver outside any read: the callback may use this handle. */
		for (size_t i = 0; rc == ZHFTS_OK && i < l.n; i++)
			rc = fn(ctx, l.items[i].id, l.items[i].paragraphs);
		if (rc == ZHFTS_OK && l.batch_last) {
			free(l.after);
			l.after = l.batch_last;
			l.after_len = l.batch_last_len;
			l.batch_last = NULL;
		}
	}
	lister_clear_batch(&l);
	free(l.items);
	free(l.hashed);
	free(l.after);
	return rc < 0 ? zhfts__db_fail(db, rc, NULL, NULL) : rc;
}

/* ---- counting ---------------------------------------------------------------------- */

static int count_term(void *ctx, const char *term, size_t len, uint32_t tf)
{
	(void)term, (void)len, (void)tf;
	(*(uint64_t *)ctx)++;
	return 0;
}

static uint64_t dir_bytes(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return 0;
	uint64_t total = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		char p[4096];
		struct stat st;
		snprintf(p, sizeof p, "%s/%s", path, e->d_name);
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
			total += (uint64_t)st.st_size;
	}
	closedir(d);
	return total;
}

typedef struct counting {
	unsigned flags;
	zhfts_stats *out;
} counting;

static int count_docs(void *ctx, const char *id, uint32_t paragraphs)
{
	(void)id, (void)paragraphs;
	(*(uint64_t *)ctx)++;
	return 0;
}

static int read_counts(zhfts_db *db, void *ctx)
{
	counting *c = ctx;
	c->out->terms = 0;
	int rc = zx_doccount(db->x, &c->out->paragraphs, &db->err);
	rc = rc ? rc : zhfts__dead_refresh(db);
	if (rc == ZHFTS_OK) {
		c->out->dead = db->dead.count;
		c->out->paragraphs -= db->dead.count < c->out->paragraphs ? db->dead.count : c->out->paragraphs;
	}
	if (rc == ZHFTS_OK && (c->flags & ZHFTS_STATS_TERMS))
		rc = zx_allterms(db->x, "", 0, NULL, 0, count_term, &c->out->terms, &db->err);
	return rc;
}

int zhfts_db_stats(zhfts_db *db, unsigned int flags, zhfts_stats *out)
{
	if (!db || !out)
		return ZHFTS_EINVAL;
	zhfts__db_begin(db);
	if (out->version != ZHFTS_STATS_VERSION) {
		zerr_set_at(&db->err, ZHFTS_EINVAL, ZHFTS_WHERE_OPTION, -1, "zhfts_stats.version is not ZHFTS_STATS_VERSION");
		return zhfts__db_fail(db, ZHFTS_EINVAL, NULL, "stats");
	}
	zhfts_stats s = ZHFTS_STATS_INIT;
	counting c = {flags, &s};
	int rc = zhfts__read(db, read_counts, &c);
	/* Documents: ids, whatever hashing shares (listing tells them apart). */
	rc = rc ? rc : zhfts_db_foreach_document(db, count_docs, &s.documents);
	for (size_t k = 0; rc == ZHFTS_OK && !(db->flags & ZHFTS_OPEN_INMEMORY) && k < db->nparts; k++)
		if (db->parts[k].path)
			s.disk_bytes += dir_bytes(db->parts[k].path);
	if (rc == ZHFTS_OK)
		*out = s;
	return zhfts__db_fail(db, rc, NULL, NULL);
}

/* ---- one shard -------------------------------------------------------------------- */

typedef struct shard_counting {
	size_t part;
	unsigned flags;
	zhfts_stats *out;
	char **ids;        /* its id terms */
	size_t *lens, nids, cap, lencap;
	uint64_t dead;
} shard_counting;

static int take_id_term(void *ctx, const char *term, size_t len, uint32_t tf)
{
	shard_counting *c = ctx;
	(void)tf;
	void *v = c->ids, *l = c->lens;
	char *copy = zhfts__strndup(term, len);
	if (!copy || zvec_grow(&v, &c->cap, c->nids + 1, sizeof *c->ids) ||
	    zvec_grow(&l, &c->lencap, c->nids + 1, sizeof *c->lens)) {
		free(copy);
		c->ids = v;
		c->lens = l;
		return ZHFTS_ENOMEM;
	}
	c->ids = v;
	c->lens = l;
	c->ids[c->nids] = copy;
	c->lens[c->nids++] = len;
	return ZHFTS_OK;
}

typedef struct part_dead {
	const zhfts_db *db;
	size_t part;
	uint64_t n;
} part_dead;

static int count_part_dead(void *ctx, uint32_t docid)
{
	part_dead *d = ctx;
	uint32_t local;
	d->n += zhfts__part_of(d->db, docid, &local) == d->part;
	return ZHFTS_OK;
}

static void shard_counting_clear(shard_counting *c)
{
	for (size_t i = 0; i < c->nids; i++)
		free(c->ids[i]);
	c->nids = 0;
}

static int read_shard_counts(zhfts_db *db, void *ctx)
{
	shard_counting *c = ctx;
	zpart *p = &db->parts[c->part];
	zhfts_stats *o = c->out;
	shard_counting_clear(c);
	o->terms = o->documents = 0;
	int rc = zx_doccount(p->x, &o->paragraphs, &db->err);
	rc = rc ? rc : zhfts__dead_refresh(db);
	part_dead pd = {db, c->part, 0};
	if (rc == ZHFTS_OK && p->tombstones)
		zhfts__dead_each(&db->dead, count_part_dead, &pd);
	o->dead = pd.n;
	o->paragraphs -= pd.n < o->paragraphs ? pd.n : o->paragraphs;
	if (rc == ZHFTS_OK && (c->flags & ZHFTS_STATS_TERMS))
		rc = zx_allterms(p->x, "", 0, NULL, 0, count_term, &o->terms, &db->err);
	rc = rc ? rc : zx_allterms(p->x, "Q", 1, NULL, 0, take_id_term, c, &db->err);
	/* A document is there while one of its paragraphs is alive. */
	for (size_t i = 0; rc == ZHFTS_OK && i < c->nids; i++) {
		if (!pd.n) {
			o->documents++;
			continue;
		}
		uint32_t *ids = NULL;
		size_t n = 0;
		rc = zx_postlist(p->x, c->ids[i], c->lens[i], &ids, &n, &db->err);
		bool live = false;
		for (size_t j = 0; rc == ZHFTS_OK && j < n && !live; j++)
			live = !zhfts__dead_has(&db->dead, zhfts__docid_of(db, c->part, ids[j]));
		o->documents += live;
		free(ids);
	}
	return rc;
}

size_t zhfts_db_shard_count(zhfts_db *db)
{
	return db ? db->nparts : 0;
}

int zhfts_db_shard_stats(zhfts_db *db, size_t shard, unsigned int flags, zhfts_stats *out, const char **address)
{
	if (!db || !out)
		return ZHFTS_EINVAL;
	zhfts__db_begin(db);
	if (address)
		*address = NULL;
	if (out->version != ZHFTS_STATS_VERSION) {
		zerr_set_at(&db->err, ZHFTS_EINVAL, ZHFTS_WHERE_OPTION, -1, "zhfts_stats.version is not ZHFTS_STATS_VERSION");
		return zhfts__db_fail(db, ZHFTS_EINVAL, NULL, "stats");
	}
	if (shard >= db->nparts) {
		zerr_set_at(&db->err, ZHFTS_EINVAL, ZHFTS_WHERE_OPTION, -1, "shard %zu: the database has %zu", shard,
		            db->nparts);
		return zhfts__db_fail(db, ZHFTS_EINVAL, NULL, "shard");
	}
	zhfts_stats s = ZHFTS_STATS_INIT;
	shard_counting c = {shard, flags, &s, NULL, NULL, 0, 0, 0, 0};
	int rc = zhfts__read(db, read_shard_counts, &c);
	shard_counting_clear(&c);
	free(c.ids);
	free(c.lens);
	const zpart *p = &db->parts[shard];
	if (rc == ZHFTS_OK && p->path && !(db->flags & ZHFTS_OPEN_INMEMORY))
		s.disk_bytes = dir_bytes(p->path);
	if (rc == ZHFTS_OK) {
		*out = s;
		if (address)
			*address = p->name;
	}
	if (rc == ZHFTS_ENOMEM)
		zerr_set(&db->err, rc, "out of memory counting a shard");
	return zhfts__db_fail(db, rc, NULL, NULL);
}
