/*
 * Query -> ranked hits: runs the query tree through Xapian (BM25) and turns
 * each hit's stored record into a zhfts_hit with spans and a snippet.
 */
#include <stdlib.h>
#include <string.h>

#include "zhfts-private.h"

#define DEFAULT_LIMIT 10
#define DEFAULT_CONTEXT 40

typedef struct collect {
	zhfts_db *db;
	zhfts_results *res;
	const zquery *q;          /* NULL: no spans or snippet */
	const zhfts_search_options *opts;
	size_t rank;
	zspans spans;
	zunits units;
	zbuf snippet;
} collect;

static void hit_free(zhfts_hit *h)
{
	free((char *)h->doc);
	free((char *)h->section);
	free((char *)h->text);
	free((char *)h->snippet);
	free((zhfts_span *)h->spans);
}

void zhfts_results_free(zhfts_results *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		hit_free(&r->hits[i]);
	free(r->hits);
	free(r);
}

size_t zhfts_results_count(const zhfts_results *r)
{
	return r ? r->n : 0;
}

const zhfts_hit *zhfts_results_hit(const zhfts_results *r, size_t i)
{
	return r && i < r->n ? &r->hits[i] : NULL;
}

void zhfts_results_total(const zhfts_results *r, uint64_t *estimate, uint64_t *lower, uint64_t *upper)
{
	if (estimate)
		*estimate = r ? r->estimate : 0;
	if (lower)
		*lower = r ? r->lower : 0;
	if (upper)
		*upper = r ? r->upper : 0;
}

static int on_hit(void *ctx, double weight, const char *data, size_t len)
{
	collect *c = ctx;
	zrecord r;
	if (zhfts__record_decode(&r, data, len))
		return zerr_set(&c->db->err, ZHFTS_ECORRUPT, "%s: unreadable paragraph record", c->db->path);
	zhfts_results *res = c->res;
	void *p = res->hits;
	if (zvec_grow(&p, &res->cap, res->n + 1, sizeof(zhfts_hit)))
		return ZHFTS_ENOMEM;
	res->hits = p;
	zhfts_hit *h = &res->hits[res->n];
	memset(h, 0, sizeof *h);
	h->rank = ++c->rank;
	h->score = weight;
	h->para = r.para;
	h->offset = r.offset;
	h->length = r.length;
	h->text_len = r.text_len;
	h->doc = zhfts__strndup(r.doc, r.doc_len);
	h->section = zhfts__strndup(r.section, r.section_len);
	h->text = zhfts__strndup(r.text, r.text_len);
	int rc = h->doc && h->section && h->text ? ZHFTS_OK : ZHFTS_ENOMEM;
	if (rc == ZHFTS_OK && !c->q && !(h->snippet = zhfts__strdup("")))
		rc = ZHFTS_ENOMEM;
	if (rc == ZHFTS_OK && c->q) {
		const zhfts_search_options *o = c->opts;
		rc = zhfts__find_spans(&c->db->tok, c->q, r.text, r.text_len, &c->units, &c->spans);
		rc = rc ? rc : zhfts__make_snippet(&c->snippet, r.text, r.text_len, &c->spans,
		                                   o->mark_open ? o->mark_open : "[",
		                                   o->mark_close ? o->mark_close : "]",
		                                   o->snippet_chars ? o->snippet_chars : DEFAULT_CONTEXT);
		if (rc == ZHFTS_OK && c->spans.n) {
			zhfts_span *s = malloc(c->spans.n * sizeof *s);
			if (s) {
				memcpy(s, c->spans.items, c->spans.n * sizeof *s);
				h->spans = s;
				h->nspans = c->spans.n;
			} else {
				rc = ZHFTS_ENOMEM;
			}
		}
		if (rc == ZHFTS_OK && !(h->snippet = zbuf_detach(&c->snippet)))
			rc = ZHFTS_ENOMEM;
	}
	res->n++; /* counted even when incomplete, so that it is freed */
	if (rc == ZHFTS_ENOMEM)
		return zerr_set(&c->db->err, rc, "out of memory reading hits");
	return rc;
}

/* ---- section: filters --------------------------------------------------------
 * A paragraph carries its section path as one term.  A filter matches the
 * distinct paths whose normalized units contain the filter's units: the
 * same substring semantics as the text, over a list that is short next to
 * the paragraphs (cached on the handle until the database changes). */

void zhfts__sections_free(zhfts_db *db)
{
	for (size_t i = 0; i < db->nsections; i++) {
		free(db->sections[i].term);
		free(db->sections[i].units);
	}
	free(db->sections);
	db->sections = NULL;
	db->nsections = db->seccap = 0;
	db->sec_valid = false;
}

static int first_section(void *ctx, double w, const char *data, size_t len)
{
	zrecord r;
	if (zhfts__record_decode(&r, data, len))
		return ZHFTS_ECORRUPT;
	*(char **)ctx = zhfts__strndup(r.section, r.section_len);
	return *(char **)ctx ? 1 : ZHFTS_ENOMEM;
}

static int load_path(void *ctx, const char *term, size_t len, uint32_t tf)
{
	zhfts_db *db = ctx;
	char *path = NULL;
	int rc = ZHFTS_OK;
	if (len >= 2 && term[1] == '#') {
		/* Hashed (too long for a term): the path is in its paragraphs. */
		rc = zx_postlist_data(db->x, term, len, first_section, &path, &db->err);
		rc = rc == 1 ? ZHFTS_OK : rc;
	} else {
		path = zhfts__strndup(term + 1, len - 1);
	}
	if (rc == ZHFTS_OK && !path)
		rc = ZHFTS_ENOMEM;
	zbuf u = {0};
	if (rc == ZHFTS_OK) {
		zhfts__units_reset(&db->units);
		rc = zhfts__units_fast(&db->tok, path, strlen(path), &db->units);
	}
	rc = rc ? rc : zhfts__units_joined(&u, &db->units, 0, db->units.n);
	void *v = db->sections;
	if (rc == ZHFTS_OK && zvec_grow(&v, &db->seccap, db->nsections + 1, sizeof *db->sections))
		rc = ZHFTS_ENOMEM;
	if (rc == ZHFTS_OK) {
		db->sections = v;
		struct zsection *z = &db->sections[db->nsections];
		z->term = zhfts__strndup(term, len);
		z->units = zbuf_detach(&u);
		if (z->term && z->units)
			db->nsections++;
		else {
			free(z->term);
			free(z->units);
			rc = ZHFTS_ENOMEM;
		}
	}
	zbuf_free(&u);
	free(path);
	return rc;
}

static int load_sections(zhfts_db *db)
{
	uint64_t n = 0, last = 0;
	int rc = zx_doccount(db->x, &n, &db->err);
	rc = rc ? rc : zx_lastdocid(db->x, &last, &db->err);
	if (rc || (db->sec_valid && n == db->sec_doccount && last == db->sec_lastdocid))
		return rc;
	zhfts__sections_free(db);
	rc = zx_allterms(db->x, "P", 1, load_path, db, &db->err);
	if (rc) {
		zhfts__sections_free(db);
		return rc;
	}
	db->sec_doccount = n;
	db->sec_lastdocid = last;
	db->sec_valid = true;
	return ZHFTS_OK;
}

/* Gives every ZQ_SECTION node the matching path terms as kids. */
static int expand_sections(zhfts_db *db, zqnode *n)
{
	if (n->op != ZQ_SECTION) {
		int rc = ZHFTS_OK;
		for (size_t i = 0; rc == ZHFTS_OK && i < n->nkids; i++)
			rc = expand_sections(db, n->kids[i]);
		return rc;
	}
	int rc = load_sections(db);
	for (size_t i = 0; rc == ZHFTS_OK && i < db->nsections; i++) {
		if (!strstr(db->sections[i].units, n->units))
			continue;
		void *v = n->kids;
		zqnode *k = calloc(1, sizeof *k);
		if (!k || zvec_grow(&v, &n->kidcap, n->nkids + 1, sizeof(zqnode *))) {
			free(k);
			rc = ZHFTS_ENOMEM;
			break;
		}
		n->kids = v;
		k->op = ZQ_TERM;
		k->term_len = strlen(db->sections[i].term);
		k->term = zhfts__strdup(db->sections[i].term);
		n->kids[n->nkids++] = k;
		if (!k->term)
			rc = ZHFTS_ENOMEM;
	}
	if (rc == ZHFTS_ENOMEM)
		zerr_set(&db->err, rc, "out of memory expanding a section: filter");
	return rc;
}

/* ---- checking candidates -------------------------------------------------------
 * Xapian matches a run of three or more units by its pair terms, which a
 * paragraph may hold without holding the run.  Such candidates are checked
 * against the paragraph's own normalized units: the same substring test as
 * the definition of a match, applied to the whole query. */

typedef struct check {
	zhfts_db *db;
	const zqnode *root;
	zunits units;
	zbuf text, section;
} check;

/* Whether the answer needs the text: a run outside ranking parts, or a
 * scaled-up run in one (whose boost Xapian may grant on the pairs alone). */
static bool has_run(const zqnode *n)
{
	if (n->op == ZQ_RUN)
		return true;
	for (size_t i = 0; i < n->nkids; i++)
		if (has_run(n->kids[i]))
			return true;
	return false;
}

static bool eval(const zqnode *n, const check *c)
{
	switch (n->op) {
	case ZQ_TERM:
	case ZQ_RUN:
		return n->units && strstr(c->text.data, n->units);
	case ZQ_AND:
	case ZQ_FILTER:
		for (size_t i = 0; i < n->nkids; i++)
			if (!eval(n->kids[i], c))
				return false;
		return true;
	case ZQ_OR:
		for (size_t i = 0; i < n->nkids; i++)
			if (eval(n->kids[i], c))
				return true;
		return false;
	case ZQ_AND_NOT:
		for (size_t i = 1; i < n->nkids; i++)
			if (eval(n->kids[i], c))
				return false;
		return eval(n->kids[0], c);
	case ZQ_AND_MAYBE:
	case ZQ_SCALE:
		return eval(n->kids[0], c);
	case ZQ_SECTION:
		for (size_t i = 0; c->section.len && i < n->nkids; i++)
			if (n->kids[i]->term_len == c->section.len &&
			    !memcmp(n->kids[i]->term, c->section.data, c->section.len))
				return true;
		return false;
	case ZQ_MATCH_NOTHING:
		break;
	}
	return false;
}

/* What Xapian matched for a run: all of its pairs. */
static bool eval_pairs(const zqnode *n, const check *c)
{
	if (n->op != ZQ_RUN)
		return eval(n, c);
	for (size_t i = 0; i < n->nkids; i++)
		if (!eval(n->kids[i], c))
			return false;
	return true;
}

/* The scaled-up runs that weigh in on a matching paragraph: whether Xapian
 * boosted it (*granted) and whether it holds such a run (*holds). */
static void boosts(const zqnode *n, const check *c, bool *granted, bool *holds)
{
	switch (n->op) {
	case ZQ_AND_NOT:
		boosts(n->kids[0], c, granted, holds);
		return;
	case ZQ_AND_MAYBE:
		if (!eval(n->kids[0], c))
			return;
		for (size_t i = 1; i < n->nkids; i++) {
			const zqnode *k = n->kids[i];
			if (k->op == ZQ_SCALE && eval_pairs(k->kids[0], c)) {
				*granted = true;
				*holds = *holds || eval(k->kids[0], c);
			}
		}
		boosts(n->kids[0], c, granted, holds);
		return;
	default:
		for (size_t i = 0; i < n->nkids; i++)
			boosts(n->kids[i], c, granted, holds);
	}
}

/* For a candidate that does not match: whether Xapian may have boosted it
 * (saying yes too often only keeps demoted hits back a little longer). */
static bool pairs_anywhere(const zqnode *n, const check *c)
{
	if (n->op == ZQ_SCALE && eval_pairs(n->kids[0], c))
		return true;
	for (size_t i = 0; i < n->nkids; i++)
		if (pairs_anywhere(n->kids[i], c))
			return true;
	return false;
}

static int accept(void *ctx, const char *data, size_t len)
{
	check *c = ctx;
	zrecord r;
	if (zhfts__record_decode(&r, data, len))
		return zerr_set(&c->db->err, ZHFTS_ECORRUPT, "%s: unreadable paragraph record", c->db->path);
	zhfts__units_reset(&c->units);
	c->section.len = 0;
	int rc = zhfts__units_fast(&c->db->tok, r.text, r.text_len, &c->units);
	rc = rc ? rc : zhfts__units_joined(&c->text, &c->units, 0, c->units.n);
	if (rc == ZHFTS_OK && r.section_len)
		rc = zhfts__term_section(&c->section, r.section, r.section_len);
	if (rc == ZHFTS_ENOMEM)
		return zerr_set(&c->db->err, rc, "out of memory checking hits");
	if (rc)
		return zerr_set(&c->db->err, rc, "%s: %s", c->db->path, c->db->tok.err.msg);
	if (!eval(c->root, c))
		return pairs_anywhere(c->root, c) ? ZX_BOOSTED : 0;
	bool granted = false, holds = false;
	boosts(c->root, c, &granted, &holds);
	return ZX_ACCEPT | (granted ? ZX_BOOSTED : 0) | (granted && !holds ? ZX_DEMOTE : 0);
}

static void collect_free(collect *c)
{
	free(c->spans.items);
	zhfts__units_free(&c->units);
	zbuf_free(&c->snippet);
}

int zhfts_db_search(zhfts_db *db, const char *query, size_t query_len,
                    const zhfts_search_options *opts, zhfts_results **out)
{
	if (!out)
		return ZHFTS_EINVAL;
	*out = NULL;
	if (!db)
		return ZHFTS_EINVAL;
	zerr_clear(&db->err);
	zhfts_search_options o = ZHFTS_SEARCH_OPTIONS_INIT;
	if (opts) {
		if (opts->version < 1 || opts->version > ZHFTS_SEARCH_OPTIONS_VERSION)
			return zerr_set(&db->err, ZHFTS_EINVAL,
			                "zhfts_search_options.version is not ZHFTS_SEARCH_OPTIONS_VERSION");
		o = *opts;
	}
	zquery q;
	int rc = zhfts__query_parse(&q, &db->tok, query, query_len, &db->err);
	rc = rc ? rc : expand_sections(db, q.root);
	if (rc) {
		zhfts__query_free(&q);
		return rc;
	}
	uint64_t paras = 0;
	rc = zx_doccount(db->x, &paras, &db->err);
	size_t limit = o.limit ? o.limit : DEFAULT_LIMIT;
	size_t check_at_least = o.flags & ZHFTS_SEARCH_EXACT_COUNT ? (size_t)paras : 0;
	zhfts_results *res = calloc(1, sizeof *res);
	if (!res)
		rc = ZHFTS_ENOMEM;
	collect c = {.db = db, .res = res, .q = &q, .opts = &o, .rank = o.offset};
	if (o.flags & ZHFTS_SEARCH_NO_SNIPPETS)
		c.q = NULL;
	check chk = {.db = db, .root = q.root};
	if (rc == ZHFTS_OK)
		rc = zx_search(db->x, q.root, o.offset, limit, check_at_least,
		               has_run(q.root) ? accept : NULL, &chk, on_hit, &c,
		               &res->estimate, &res->lower, &res->upper, &db->err);
	zhfts__units_free(&chk.units);
	zbuf_free(&chk.text);
	zbuf_free(&chk.section);
	collect_free(&c);
	zhfts__query_free(&q);
	if (rc) {
		zhfts_results_free(res);
		return rc;
	}
	*out = res;
	return ZHFTS_OK;
}

static int by_para(const void *a, const void *b)
{
	const zhfts_hit *x = a, *y = b;
	return x->para < y->para ? -1 : x->para > y->para;
}

int zhfts_db_get_document(zhfts_db *db, const char *id, zhfts_results **out)
{
	if (!out)
		return ZHFTS_EINVAL;
	*out = NULL;
	if (!db || !id)
		return ZHFTS_EINVAL;
	zerr_clear(&db->err);
	zbuf idterm = {0};
	zhfts_results *res = calloc(1, sizeof *res);
	int rc = res ? zhfts__term_docid(&idterm, id) : ZHFTS_ENOMEM;
	collect c = {.db = db, .res = res};
	rc = rc ? rc : zx_postlist_data(db->x, idterm.data, idterm.len, on_hit, &c, &db->err);
	zbuf_free(&idterm);
	collect_free(&c);
	/* A hashed id term could in principle be shared: keep this id only. */
	size_t m = 0;
	for (size_t i = 0; rc == ZHFTS_OK && i < res->n; i++) {
		if (!strcmp(res->hits[i].doc, id))
			res->hits[m++] = res->hits[i];
		else
			hit_free(&res->hits[i]);
	}
	if (rc == ZHFTS_OK) {
		res->n = m;
		if (!m)
			rc = zerr_set(&db->err, ZHFTS_ENOTFOUND, "%s: no such document", id);
	}
	if (rc) {
		zhfts_results_free(res);
		return rc;
	}
	qsort(res->hits, res->n, sizeof *res->hits, by_para);
	for (size_t i = 0; i < res->n; i++)
		res->hits[i].rank = i + 1;
	res->estimate = res->lower = res->upper = res->n;
	*out = res;
	return ZHFTS_OK;
}

int zhfts_db_explain(zhfts_db *db, const char *query, size_t query_len, char **out)
{
	if (!out)
		return ZHFTS_EINVAL;
	*out = NULL;
	if (!db)
		return ZHFTS_EINVAL;
	zerr_clear(&db->err);
	zquery q;
	int rc = zhfts__query_parse(&q, &db->tok, query, query_len, &db->err);
	rc = rc ? rc : expand_sections(db, q.root);
	rc = rc ? rc : zx_describe(q.root, out, &db->err);
	zhfts__query_free(&q);
	return rc;
}
