/*
 * Running a plan: the query object, and the ranked stream of hits.
 *
 *   query text -> parse.c -> plan.c -> here: Xapian (xapian-binding.cc)
 *   -> check (verify.c) -> order -> results.c -> highlight.c
 *
 * Xapian gives candidates in its order: (sort value,) weight, docid.  When
 * its matches are a superset of the hits (runs of three or more units, tiers
 * granted on pairs), each candidate's record is read and checked; a
 * candidate Xapian placed in a tier it does not hold gets its true weight,
 * which is lower.  The final order is (sort value,) tier, score, document
 * id, docid: since a candidate's true key is never above the key Xapian
 * gave it, a candidate can be placed once Xapian's stream has gone strictly
 * below it.  Equal keys are put in document order, which needs the
 * document ids of those candidates only.
 *
 * The stream of a query is kept between searches while the database handle
 * reads the same revision, so that a later page goes on from where the
 * previous one stopped.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "zhfts-private.h"

#define DEFAULT_LIMIT 10
#define DEFAULT_CONTEXT 40

/* ---- the stream ------------------------------------------------------------------ */

typedef struct zcand {
	uint32_t docid;
	double weight;      /* true: (tier - 1) * ZHFTS_TIER_WEIGHT + score */
	int tier;
	double score;
	char *key;          /* Xapian's sort value (field sorts) */
	size_t key_len;
	char *doc;          /* document id, once needed */
	size_t doc_len;
	char *data;         /* the record, kept from the check */
	size_t data_len;
	size_t seq;         /* arrival order */
} zcand;

enum order { ORDER_RELEVANCE, ORDER_DOC, ORDER_FIELD };

typedef struct zstream {
	enum order order;
	unsigned slot;
	bool reverse;
	bool docid_order;      /* docids are in document order (docorder.c): no sort key for ties */
	uint64_t generation;
	bool checked;          /* candidates are read and checked against the text */
	bool dead;             /* dead paragraphs are dropped */
	bool counted;          /* the hits are counted here, not by Xapian */
	bool started, exhausted;
	size_t at, chunk;      /* Xapian candidates consumed; next window */
	uint64_t x_estimate, x_lower, x_upper;
	uint64_t seen, rejected, accepted;
	zcand *pend;           /* accepted, not yet placed */
	size_t npend, pendcap, seq;
	zitem *placed;         /* the final order so far */
	size_t nplaced, placedcap;
	char **placed_data;    /* records of placed items in the kept window, else NULL */
	char **placed_doc;
	size_t *placed_data_len, *placed_doc_len;
	size_t keep_from, keep_to; /* placed positions whose records are kept */
	/* the bound: Xapian's last candidate, which every later one comes after
	 * (or, for a field sort, at: equal values and weights) */
	double bound_w;
	char *bound_key;
	size_t bound_key_len;
	uint32_t bound_docid;
	bool have_bound;
	/* counting facets over checked candidates */
	zfacet_counter **counters;
	size_t ncounters;
	const unsigned *facet_slots;
	const bool *facet_doc;
} zstream;

struct zhfts_query {
	zhfts_db *db;
	char *text;
	size_t len;
	qnode *ast;
	zplan plan;
	bool planned;
	uint64_t plan_generation;
	zstream st;
};

static void cand_free(zcand *c)
{
	free(c->key);
	free(c->doc);
	free(c->data);
}

static void stream_reset(zstream *st)
{
	for (size_t i = 0; i < st->npend; i++)
		cand_free(&st->pend[i]);
	free(st->pend);
	for (size_t i = 0; i < st->nplaced; i++) {
		if (st->placed_data)
			free(st->placed_data[i]);
		if (st->placed_doc)
			free(st->placed_doc[i]);
	}
	free(st->placed);
	free(st->placed_data);
	free(st->placed_doc);
	free(st->placed_data_len);
	free(st->placed_doc_len);
	free(st->bound_key);
	memset(st, 0, sizeof *st);
}

static int bytes_cmp(const char *a, size_t al, const char *b, size_t bl)
{
	size_t n = al < bl ? al : bl;
	int r = memcmp(a ? a : "", b ? b : "", n);
	return r ? r : al < bl ? -1 : al > bl;
}

/* Is a's key before (< 0) or after (> 0) b's, in Xapian's order?  For
 * relevance Xapian orders by weight, then by the document id (its sort
 * key: set_sort_by_relevance_then_value), so that equal weights come in
 * document order; for a field, by its value, then weight. */
static int key_cmp(const zstream *st, const char *ak, size_t al, double aw, const char *bk, size_t bl, double bw)
{
	if (st->order == ORDER_FIELD) {
		int r = bytes_cmp(ak, al, bk, bl);
		if (r)
			return st->reverse ? -r : r;
	}
	if (aw != bw)
		return aw > bw ? -1 : 1;
	return st->order == ORDER_RELEVANCE ? bytes_cmp(ak, al, bk, bl) : 0;
}

static int cand_cmp(const zstream *st, const zcand *a, const zcand *b)
{
	int r = key_cmp(st, a->key, a->key_len, a->weight, b->key, b->key_len, b->weight);
	if (r)
		return r;
	if (a->doc && b->doc) {
		size_t n = a->doc_len < b->doc_len ? a->doc_len : b->doc_len;
		r = memcmp(a->doc, b->doc, n);
		if (!r)
			r = a->doc_len < b->doc_len ? -1 : a->doc_len > b->doc_len;
		if (r)
			return r;
	}
	return a->docid < b->docid ? -1 : a->docid > b->docid;
}

/* A stable merge sort of candidates by cand_cmp (qsort has no context). */
static int sort_cands(const zstream *st, zcand *a, size_t n)
{
	if (n < 2)
		return ZHFTS_OK;
	/* Xapian gives them in this order, unless tiers or a bound reorder
	 * them: then one pass says so. */
	size_t sorted = 1;
	while (sorted < n && cand_cmp(st, &a[sorted - 1], &a[sorted]) <= 0)
		sorted++;
	if (sorted == n)
		return ZHFTS_OK;
	zcand *tmp = malloc(n * sizeof *tmp);
	if (!tmp)
		return ZHFTS_ENOMEM;
	for (size_t w = 1; w < n; w *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * w) {
			size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
			size_t i = lo, j = mid, k = lo;
			while (i < mid && j < hi)
				tmp[k++] = cand_cmp(st, &a[j], &a[i]) < 0 ? a[j++] : a[i++];
			while (i < mid)
				tmp[k++] = a[i++];
			while (j < hi)
				tmp[k++] = a[j++];
		}
		memcpy(a, tmp, n * sizeof *a);
	}
	free(tmp);
	return ZHFTS_OK;
}

static int push_placed(zstream *st, zcand *c)
{
	void *v = st->placed;
	size_t cap = st->placedcap;
	if (zvec_grow(&v, &cap, st->nplaced + 1, sizeof *st->placed))
		return ZHFTS_ENOMEM;
	st->placed = v;
	if (cap != st->placedcap) {
		char **d = realloc(st->placed_data, cap * sizeof *d), **o;
		if (d)
			st->placed_data = d;
		o = d ? realloc(st->placed_doc, cap * sizeof *o) : NULL;
		if (o)
			st->placed_doc = o;
		size_t *dl = o ? realloc(st->placed_data_len, cap * sizeof *dl) : NULL, *ol;
		if (dl)
			st->placed_data_len = dl;
		ol = dl ? realloc(st->placed_doc_len, cap * sizeof *ol) : NULL;
		if (ol)
			st->placed_doc_len = ol;
		if (!ol)
			return ZHFTS_ENOMEM;
		st->placedcap = cap;
	}
	size_t p = st->nplaced++;
	st->placed[p] = (zitem){c->docid, c->tier, c->score};
	bool keep = p >= st->keep_from && p < st->keep_to;
	st->placed_data[p] = keep ? c->data : NULL;
	st->placed_data_len[p] = keep ? c->data_len : 0;
	st->placed_doc[p] = keep ? c->doc : NULL;
	st->placed_doc_len[p] = keep ? c->doc_len : 0;
	if (keep) {
		c->data = NULL;
		c->doc = NULL;
	}
	cand_free(c);
	return ZHFTS_OK;
}

/* ---- reading candidates --------------------------------------------------------------- */

typedef struct run {
	zhfts_query *q;
	const zplan *plan;
	zstream *st;
	size_t want;           /* placed items wanted (SIZE_MAX: all) */
	bool count_all;        /* exact totals (and facets): Xapian checks every match */
	zx_spy *spies;
	size_t nspies;
	zcandidate cand;
} run;

/* The weight Xapian gave, into tier, score and the weight Xapian would give
 * if it granted only the tiers held (`held`; -1: as Xapian granted). */
static void split_weight(zcand *c, double w, int held)
{
	double granted = w >= ZHFTS_TIER_WEIGHT ? floor(w / ZHFTS_TIER_WEIGHT) : 0.0;
	double h = held < 0 || held > granted ? granted : (double)held;
	c->score = w - granted * ZHFTS_TIER_WEIGHT;
	if (c->score < 0)
		c->score = 0;
	c->tier = 1 + (int)h;
	c->weight = w - (granted - h) * ZHFTS_TIER_WEIGHT;
}


/* The slots a window's documents are read for: the document id, then the
 * facets' (when this stream counts them). */
static size_t window_slots(const zstream *st, unsigned *slots)
{
	slots[0] = ZHFTS_SLOT_DOC;
	for (size_t k = 0; k < st->ncounters; k++)
		slots[1 + k] = st->facet_slots[k];
	return 1 + st->ncounters;
}

static int count_facets(zstream *st, const zx_fetched *f)
{
	int rc = ZHFTS_OK;
	for (size_t k = 0; rc == ZHFTS_OK && k < st->ncounters; k++) {
		size_t v = 1 + k;
		if (f->value_lens[v] || st->facet_doc[k])
			rc = zhfts__facet_count(st->counters[k], f->values[v], f->value_lens[v], 1);
	}
	return rc;
}

static zcand *new_cand(zstream *st, const zx_item *it)
{
	void *v = st->pend;
	if (zvec_grow(&v, &st->pendcap, st->npend + 1, sizeof *st->pend))
		return NULL;
	st->pend = v;
	zcand *c = &st->pend[st->npend++];
	memset(c, 0, sizeof *c);
	c->docid = it->docid;
	c->seq = st->seq++;
	return c;
}

/* Reads and checks a window of candidates; accepted ones join st->pend.
 * With `text`, each candidate's record is checked against the plan; else
 * only dead paragraphs are dropped (and facet values read, if counted). */
static int check_window(zhfts_db *db, run *r, zx_match *m, bool text)
{
	zstream *st = r->st;
	const zplan *plan = r->plan;
	unsigned slots[65];
	size_t nslots = window_slots(st, slots);
	bool read = text || st->ncounters;
	zx_fetched *f = m->n && read ? calloc(m->n, sizeof *f) : NULL;
	uint32_t *ids = m->n ? malloc(m->n * sizeof *ids) : NULL;
	size_t *at = m->n ? malloc(m->n * sizeof *at) : NULL;
	int rc = m->n && ((read && !f) || !ids || !at) ? ZHFTS_ENOMEM : ZHFTS_OK;
	size_t n = 0;
	for (size_t i = 0; rc == ZHFTS_OK && i < m->n; i++) {
		st->seen++;
		if (st->dead && zhfts__dead_has(&db->dead, m->items[i].docid)) {
			st->rejected++;
			continue;
		}
		ids[n] = m->items[i].docid;
		at[n++] = i;
	}
	if (rc == ZHFTS_OK && n && read)
		rc = zx_fetch(db->x, ids, n, text, slots, nslots, f, &db->err);
	for (size_t j = 0; rc == ZHFTS_OK && j < n; j++) {
		zx_item *it = &m->items[at[j]];
		zrecord rec;
		int held = -1;
		if (read && (f[j].missing || !f[j].value_lens[0])) {
			/* every paragraph has its document id */
			rc = zhfts__overtaken(db, "%s: a paragraph vanished while read", db->path);
			break;
		}
		if (text) {
			if (zhfts__record_decode(&rec, f[j].data, f[j].data_len) != ZHFTS_OK) {
				rc = zhfts__overtaken(db, "%s: unreadable paragraph record", db->path);
				break;
			}
			rc = zhfts__candidate_load(db, &r->cand, f[j].values[0], f[j].value_lens[0], &rec);
			if (rc)
				break;
			if (plan->inexact && !zhfts__check(db, plan->check, &r->cand)) {
				st->rejected++;
				continue;
			}
			if (plan->tiers_inexact) {
				held = 0;
				for (size_t t = 0; t < plan->ntiers; t++)
					held += zhfts__check(db, plan->tiers[t], &r->cand);
			}
		}
		zcand *c = new_cand(st, it);
		if (!c) {
			rc = ZHFTS_ENOMEM;
			break;
		}
		split_weight(c, it->weight, held);
		c->key = it->sort_key;
		c->key_len = it->sort_key_len;
		it->sort_key = NULL;
		if (read) {
			c->doc = f[j].values[0];
			c->doc_len = f[j].value_lens[0];
			f[j].values[0] = NULL;
			c->data = f[j].data;
			c->data_len = f[j].data_len;
			f[j].data = NULL;
			rc = count_facets(st, &f[j]);
		}
		st->accepted++;
	}
	zx_fetched_free(f, n);
	free(f);
	free(ids);
	free(at);
	if (rc == ZHFTS_ENOMEM)
		zerr_set(&db->err, rc, "out of memory checking hits");
	return rc;
}

/* Takes a window as it is (Xapian's matches are the hits). */
static int take_window(run *r, zx_match *m)
{
	zstream *st = r->st;
	for (size_t i = 0; i < m->n; i++) {
		zcand *c = new_cand(st, &m->items[i]);
		if (!c)
			return ZHFTS_ENOMEM;
		split_weight(c, m->items[i].weight, -1);
		c->key = m->items[i].sort_key;
		c->key_len = m->items[i].sort_key_len;
		m->items[i].sort_key = NULL;
		st->accepted++;
		st->seen++;
	}
	return ZHFTS_OK;
}

/* Gives candidates of equal keys their document ids, to put them in
 * document order (read from the id's value stream, in docid order). */
static int by_docid(const void *a, const void *b)
{
	uint32_t x = (*(zcand *const *)a)->docid, y = (*(zcand *const *)b)->docid;
	return x < y ? -1 : x > y;
}

static int fetch_docs(zhfts_db *db, zcand **cs, size_t n)
{
	zcand **need = malloc(n * sizeof *need);
	uint32_t *ids = malloc(n * sizeof *ids);
	char **vals = malloc(n * sizeof *vals);
	size_t *lens = malloc(n * sizeof *lens);
	size_t m = 0;
	int rc = need && ids && vals && lens ? ZHFTS_OK : ZHFTS_ENOMEM;
	for (size_t i = 0; rc == ZHFTS_OK && i < n; i++)
		if (!cs[i]->doc)
			need[m++] = cs[i];
	if (rc == ZHFTS_OK && m) {
		qsort(need, m, sizeof *need, by_docid);
		for (size_t i = 0; i < m; i++)
			ids[i] = need[i]->docid;
		rc = zx_values(db->x, ZHFTS_SLOT_DOC, ids, m, vals, lens, &db->err);
	}
	for (size_t i = 0; rc == ZHFTS_OK && i < m; i++) {
		need[i]->doc = vals[i];
		need[i]->doc_len = lens[i];
		if (!lens[i] && rc == ZHFTS_OK) {
			/* Every paragraph has its id: a reader met a vanished one. */
			rc = zhfts__overtaken(db, "%s: a paragraph vanished while read", db->path);
		}
	}
	free(need);
	free(ids);
	free(vals);
	free(lens);
	return rc;
}

/* Places the pending candidates whose keys are strictly before the bound
 * (all of them once Xapian's stream is exhausted). */
static int place(zhfts_db *db, run *r)
{
	zstream *st = r->st;
	if (!st->npend)
		return ZHFTS_OK;
	if (st->order == ORDER_DOC) {
		/* Xapian's order is the final order. */
		int rc = ZHFTS_OK;
		for (size_t i = 0; rc == ZHFTS_OK && i < st->npend; i++)
			rc = push_placed(st, &st->pend[i]);
		st->npend = 0;
		return rc;
	}
	/* Order the pending by key (stable on arrival for equal keys). */
	int rc = sort_cands(st, st->pend, st->npend);
	size_t done = 0;
	while (rc == ZHFTS_OK && done < st->npend) {
		zcand *first = &st->pend[done];
		int vs = st->have_bound ? key_cmp(st, first->key, first->key_len, first->weight, st->bound_key,
		                                  st->bound_key_len, st->bound_w)
		                        : -1;
		/* Relevance keys are whole (weight, document, docid): later
		 * candidates come after the bound.  A field sort's are not: a
		 * candidate at the bound waits for the rest of its group. */
		bool waits = st->order == ORDER_RELEVANCE ? vs > 0 || (vs == 0 && first->docid > st->bound_docid) : vs >= 0;
		if (!st->exhausted && st->have_bound && waits)
			break; /* Xapian may still give one that comes before it */
		size_t g = done + 1;
		while (g < st->npend && !key_cmp(st, first->key, first->key_len, first->weight, st->pend[g].key,
		                                 st->pend[g].key_len, st->pend[g].weight))
			g++;
		if (g - done > 1 && st->order == ORDER_FIELD) {
			zcand **grp = malloc((g - done) * sizeof *grp);
			if (!grp)
				return ZHFTS_ENOMEM;
			for (size_t i = done; i < g; i++)
				grp[i - done] = &st->pend[i];
			rc = fetch_docs(db, grp, g - done);
			free(grp);
			if (rc)
				break;
			rc = sort_cands(st, st->pend + done, g - done);
		}
		for (size_t i = done; rc == ZHFTS_OK && i < g; i++)
			rc = push_placed(st, &st->pend[i]);
		done = g;
	}
	memmove(st->pend, st->pend + done, (st->npend - done) * sizeof *st->pend);
	st->npend -= done;
	return rc;
}

static zx_order xorder(const zstream *st)
{
	zx_order o = {st->docid_order ? ZX_ORDER_RELEVANCE : ZX_ORDER_REL_THEN_VALUE, ZHFTS_SLOT_DOC, false};
	if (st->order == ORDER_DOC)
		o = (zx_order){ZX_ORDER_VALUE, ZHFTS_SLOT_DOC, false};
	else if (st->order == ORDER_FIELD)
		o = (zx_order){ZX_ORDER_VALUE_THEN_REL, st->slot, st->reverse};
	return o;
}

/* Pulls one window of candidates from Xapian. */
static int pull(zhfts_db *db, run *r)
{
	zstream *st = r->st;
	uint64_t total = 0;
	int rc = zx_doccount(db->x, &total, &db->err);
	if (rc)
		return rc;
	if (!st->chunk)
		st->chunk = 16;
	size_t check_at_least = !st->started && r->count_all ? (size_t)total : 0;
	zx_order o = xorder(st);
	zx_weight w = zhfts__weight();
	zx_match m;
	rc = zx_search(db->x, r->plan->xq, &w, &o, st->at, st->chunk, check_at_least, st->started ? NULL : r->spies,
	               st->started ? 0 : r->nspies, &m, &db->err);
	if (rc)
		return rc;
	if (!st->started) {
		st->x_estimate = m.estimate;
		st->x_lower = m.lower;
		st->x_upper = m.upper;
		st->started = true;
	}
	if (m.n < st->chunk)
		st->exhausted = true;
	if (m.n) {
		zx_item *last = &m.items[m.n - 1];
		st->bound_w = last->weight;
		st->bound_docid = last->docid;
		free(st->bound_key);
		st->bound_key = NULL;
		st->bound_key_len = 0;
		if (last->sort_key && !(st->bound_key = zhfts__strndup(last->sort_key, last->sort_key_len)))
			rc = ZHFTS_ENOMEM;
		st->bound_key_len = last->sort_key_len;
		st->have_bound = true;
	}
	st->at += m.n;
	rc = rc ? rc : st->counted ? check_window(db, r, &m, st->checked) : take_window(r, &m);
	zx_match_free(&m);
	/* The next window grows, so that a long stream costs a few matches. */
	st->chunk = st->chunk > total / 2 ? (size_t)total + 1 : st->chunk * 2;
	return rc;
}

static int fill(zhfts_db *db, run *r)
{
	zstream *st = r->st;
	int rc = ZHFTS_OK;
	while (rc == ZHFTS_OK && st->nplaced < r->want && !(st->exhausted && !st->npend)) {
		rc = place(db, r);
		if (rc || st->nplaced >= r->want)
			break;
		if (st->exhausted) {
			rc = place(db, r);
			break;
		}
		rc = pull(db, r);
	}
	if (rc == ZHFTS_OK && st->exhausted)
		rc = place(db, r);
	return rc;
}

/* ---- the query object ------------------------------------------------------------------- */

static int plan_read(zhfts_db *db, void *ctx)
{
	zhfts_query *q = ctx;
	zhfts__plan_free(&q->plan);
	q->planned = false;
	int rc = zhfts__plan(&q->plan, db, q->ast, q->text, &db->err);
	if (rc == ZHFTS_OK) {
		q->planned = true;
		q->plan_generation = db->generation;
	}
	return rc;
}

int zhfts_query_new(zhfts_query **out, zhfts_db *db, const char *query, size_t query_len)
{
	if (!out)
		return ZHFTS_EINVAL;
	*out = NULL;
	if (!db)
		return ZHFTS_EINVAL;
	zhfts__db_begin(db);
	zhfts_query *q = calloc(1, sizeof *q);
	if (!q)
		return zhfts__db_fail(db, ZHFTS_ENOMEM, NULL, NULL);
	q->db = db;
	q->len = query_len;
	q->text = query || !query_len ? zhfts__strndup(query ? query : "", query ? query_len : 0) : NULL;
	int rc = q->text ? ZHFTS_OK : query ? ZHFTS_ENOMEM : zerr_set(&db->err, ZHFTS_EINVAL, "NULL query");
	rc = rc ? rc : zhfts__parse(&q->ast, q->text, q->len, &db->err);
	rc = rc ? rc : zhfts__read(db, plan_read, q);
	if (rc) {
		zhfts_query_free(q);
		return zhfts__db_fail(db, rc, NULL, NULL);
	}
	*out = q;
	return ZHFTS_OK;
}

void zhfts_query_free(zhfts_query *q)
{
	if (!q)
		return;
	stream_reset(&q->st);
	zhfts__plan_free(&q->plan);
	zhfts__qnode_free(q->ast);
	free(q->text);
	free(q);
}

/* The sort an options struct asks for. */
static int parse_sort(zhfts_db *db, const char *sort, zstream *want)
{
	want->order = ORDER_RELEVANCE;
	if (!sort || !*sort || !strcmp(sort, "relevance"))
		return ZHFTS_OK;
	if (!strcmp(sort, "doc")) {
		want->order = ORDER_DOC;
		return ZHFTS_OK;
	}
	const char *name = sort[0] == '-' ? sort + 1 : sort;
	const zfieldname *f = zhfts__field_find(db, name, strlen(name));
	if (!f) {
		free(db->err_field);
		db->err_field = zhfts__strdup("sort");
		return zerr_set_at(&db->err, ZHFTS_EINVAL, ZHFTS_WHERE_OPTION, -1,
		                   "cannot sort by '%s': not relevance, doc, or a field of this database (-FIELD for "
		                   "descending)",
		                   sort);
	}
	want->order = ORDER_FIELD;
	want->slot = f->slot;
	want->reverse = sort[0] == '-';
	return ZHFTS_OK;
}

typedef struct search_ctx {
	zhfts_query *q;
	const zhfts_search_options *o;
	zstream want;          /* order asked for */
	size_t offset, limit;
	bool exact, facets;
	zx_spy *spies;
	bool *facet_doc;
	unsigned *facet_slots;
	size_t nfacets;
	zhfts_facet *facet_out;
} search_ctx;

static bool checked_plan(const zplan *p)
{
	return p->inexact || p->tiers_inexact;
}

static void free_facets_in(zhfts_facet *f)
{
	for (size_t v = 0; v < f->nvalues; v++)
		free((char *)f->values[v].value);
	free((zhfts_facet_value *)f->values);
	free((char *)f->name);
	memset(f, 0, sizeof *f);
}

/* Are the docids of this read in document order?  One database only: a
 * stub interleaves its shards' docids. */
static int docid_order(zhfts_db *db, bool *out)
{
	*out = false;
	if (zx_shards(db->x) != 1)
		return ZHFTS_OK;
	if (!db->order.valid || (!db->writable && db->order_generation != db->generation)) {
		int rc = zhfts__order_load(&db->order, db->x, db->path, &db->err);
		if (rc)
			return rc;
		db->order_generation = db->generation;
	}
	*out = db->order.ordered;
	return ZHFTS_OK;
}

/* Where a part deletes for real (remote shards, databases with a termlist
 * table), a hit read after the search may be gone already: a page's records
 * are read with the search, from the same snapshot, so that a page is one
 * answer.  (Dead paragraphs of the other parts stay readable until
 * compaction, which changes the database's UUID.) */
static int prime_page(zhfts_db *db, zstream *st)
{
	bool real_deletes = false;
	for (size_t k = 0; k < db->nparts; k++)
		real_deletes |= !db->parts[k].tombstones;
	size_t to = st->keep_to < st->nplaced ? st->keep_to : st->nplaced;
	if (!real_deletes || st->keep_from >= to)
		return ZHFTS_OK;
	size_t n = 0;
	uint32_t *ids = malloc((to - st->keep_from) * sizeof *ids);
	size_t *at = malloc((to - st->keep_from) * sizeof *at);
	int rc = ids && at ? ZHFTS_OK : ZHFTS_ENOMEM;
	for (size_t p = st->keep_from; rc == ZHFTS_OK && p < to; p++)
		if (!st->placed_data[p]) {
			ids[n] = st->placed[p].docid;
			at[n++] = p;
		}
	zx_fetched *f = n ? calloc(n, sizeof *f) : NULL;
	if (rc == ZHFTS_OK && n && !f)
		rc = ZHFTS_ENOMEM;
	static const unsigned doc_slot[1] = {ZHFTS_SLOT_DOC};
	rc = rc || !n ? rc : zx_fetch(db->x, ids, n, true, doc_slot, 1, f, &db->err);
	for (size_t j = 0; rc == ZHFTS_OK && j < n; j++) {
		zrecord rec;
		if (f[j].missing || !f[j].value_lens[0] || zhfts__record_decode(&rec, f[j].data, f[j].data_len) != ZHFTS_OK) {
			/* matched in this snapshot, gone or unreadable in it */
			rc = zhfts__overtaken(db, "%s: %s while read", db->path,
			                      f[j].missing ? "a paragraph vanished" : "a paragraph record did not decode");
			break;
		}
		size_t p = at[j];
		free(st->placed_doc[p]);
		st->placed_data[p] = f[j].data;
		st->placed_data_len[p] = f[j].data_len;
		st->placed_doc[p] = f[j].values[0];
		st->placed_doc_len[p] = f[j].value_lens[0];
		f[j].data = NULL;
		f[j].values[0] = NULL;
	}
	if (f)
		zx_fetched_free(f, n);
	free(f);
	free(ids);
	free(at);
	return rc == ZHFTS_ENOMEM ? zerr_set(&db->err, rc, "out of memory reading hits") : rc;
}

static int search_read(zhfts_db *db, void *vctx)
{
	search_ctx *s = vctx;
	zhfts_query *q = s->q;
	int rc = ZHFTS_OK;
	if (!q->planned || q->plan_generation != db->generation)
		rc = plan_read(db, q);
	rc = rc ? rc : zhfts__dead_refresh(db);
	bool by_docid = false;
	rc = rc ? rc : docid_order(db, &by_docid);
	if (rc)
		return rc;
	zstream *st = &q->st;
	enum order order = s->want.order;
	/* Filters alone: every score is 0 and relevance is document order. */
	if (order == ORDER_RELEVANCE && !q->plan.scored)
		order = ORDER_DOC;
	for (size_t k = 0; k < s->nfacets; k++) {
		/* a retried read starts the facets over */
		free_facets_in(&s->facet_out[k]);
	}
	bool fresh = !st->started || db->writable || st->generation != db->generation || st->order != order ||
	             st->slot != s->want.slot || st->reverse != s->want.reverse || s->facets ||
	             (s->exact && !st->exhausted && !st->counted);
	if (fresh) {
		stream_reset(st);
		st->order = order;
		st->slot = s->want.slot;
		st->reverse = s->want.reverse;
		st->docid_order = by_docid;
		st->generation = db->generation;
		st->checked = checked_plan(&q->plan);
		st->dead = db->dead.count > 0;
		st->counted = st->checked || st->dead;
		st->chunk = s->limit == SIZE_MAX || s->offset > SIZE_MAX / 4 ? SIZE_MAX / 2
		            : st->counted                                  ? 2 * (s->offset + s->limit) + 16
		                                                           : s->offset + s->limit + 1;
	}
	st->keep_from = s->offset;
	st->keep_to = s->limit > SIZE_MAX - s->offset ? SIZE_MAX : s->offset + s->limit;
	zfacet_counter *counters[64] = {0};
	run r = {q, &q->plan, st, st->keep_to, s->exact || s->facets, NULL, 0, {0}};
	if (s->facets && !st->counted) {
		r.spies = s->spies;
		r.nspies = s->nfacets;
	} else if (s->facets) {
		for (size_t k = 0; k < s->nfacets && rc == ZHFTS_OK; k++)
			if (!(counters[k] = zhfts__facet_counter_new()))
				rc = ZHFTS_ENOMEM;
		st->counters = counters;
		st->ncounters = s->nfacets;
		st->facet_slots = s->facet_slots;
		st->facet_doc = s->facet_doc;
	}
	/* Xapian counts every match of an exact query itself (check_at_least);
	 * checked candidates must all be read. */
	if ((s->exact || s->facets) && st->counted)
		r.want = SIZE_MAX;
	rc = rc ? rc : fill(db, &r);
	zhfts__candidate_free(&r.cand);
	for (size_t k = 0; k < s->nfacets; k++) {
		if (rc == ZHFTS_OK && s->facets) {
			if (st->counted) {
				rc = zhfts__facet_finish(counters[k], s->o->facets[k], s->facet_doc[k], s->o->facet_limit,
				                         &s->facet_out[k]);
			} else {
				zfacet_counter *c = zhfts__facet_counter_new();
				rc = c ? ZHFTS_OK : ZHFTS_ENOMEM;
				for (size_t v = 0; rc == ZHFTS_OK && v < s->spies[k].n; v++)
					rc = zhfts__facet_count(c, s->spies[k].counts[v].value, s->spies[k].counts[v].len,
					                        s->spies[k].counts[v].count);
				rc = rc ? rc : zhfts__facet_finish(c, s->o->facets[k], s->facet_doc[k], s->o->facet_limit,
				                                   &s->facet_out[k]);
				zhfts__facet_counter_free(c);
			}
		}
		zhfts__facet_counter_free(counters[k]);
		zx_spy_free(&s->spies[k]);
	}
	st->counters = NULL;
	st->ncounters = 0;
	rc = rc ? rc : prime_page(db, st);
	if (rc) {
		/* A stream cut off by a failure cannot be continued. */
		stream_reset(st);
	}
	return rc;
}

static void free_facets(zhfts_facet *f, size_t n)
{
	for (size_t k = 0; f && k < n; k++)
		free_facets_in(&f[k]);
	free(f);
}

static int check_options(zhfts_db *db, const zhfts_search_options *opts, zhfts_search_options *o)
{
	*o = (zhfts_search_options)ZHFTS_SEARCH_OPTIONS_INIT;
	if (!opts)
		return ZHFTS_OK;
	if (opts->version < 1 || opts->version > ZHFTS_SEARCH_OPTIONS_VERSION)
		return zerr_set_at(&db->err, ZHFTS_EINVAL, ZHFTS_WHERE_OPTION, -1,
		                   "zhfts_search_options.version is not ZHFTS_SEARCH_OPTIONS_VERSION");
	if (opts->version == 1) {
		memcpy(o, opts, offsetof(zhfts_search_options, sort));
		o->version = ZHFTS_SEARCH_OPTIONS_VERSION;
	} else {
		*o = *opts;
	}
	if (o->nfacets && !o->facets)
		return zerr_set_at(&db->err, ZHFTS_EINVAL, ZHFTS_WHERE_OPTION, -1, "%zu facets but no array", o->nfacets);
	if (o->nfacets > 64)
		return zerr_set_at(&db->err, ZHFTS_EINVAL, ZHFTS_WHERE_OPTION, -1, "%zu facets: at most 64", o->nfacets);
	return ZHFTS_OK;
}

int zhfts_query_search(zhfts_query *q, const zhfts_search_options *opts, zhfts_results **out)
{
	if (!out)
		return ZHFTS_EINVAL;
	*out = NULL;
	if (!q)
		return ZHFTS_EINVAL;
	zhfts_db *db = q->db;
	zhfts__db_begin(db);
	zhfts_search_options o;
	int rc = check_options(db, opts, &o);
	if (rc)
		return zhfts__db_fail(db, rc, NULL, "options");
	
	search_ctx s = {q, &o, {0}, o.offset, o.limit ? o.limit : DEFAULT_LIMIT, !!(o.flags & ZHFTS_SEARCH_EXACT_COUNT),
	                o.nfacets > 0, NULL, NULL, NULL, o.nfacets, NULL};
	rc = zhfts__fields_load(db);
	rc = rc ? rc : parse_sort(db, o.sort, &s.want);
	if (rc == ZHFTS_OK && o.nfacets) {
		s.spies = calloc(o.nfacets, sizeof *s.spies);
		s.facet_doc = calloc(o.nfacets, sizeof *s.facet_doc);
		s.facet_slots = calloc(o.nfacets, sizeof *s.facet_slots);
		s.facet_out = calloc(o.nfacets, sizeof *s.facet_out);
		if (!s.spies || !s.facet_doc || !s.facet_slots || !s.facet_out)
			rc = ZHFTS_ENOMEM;
	}
	for (size_t k = 0; rc == ZHFTS_OK && k < o.nfacets; k++) {
		const char *name = o.facets[k];
		if (name && !strcmp(name, "doc")) {
			s.facet_doc[k] = true;
			s.facet_slots[k] = ZHFTS_SLOT_DOC;
		} else {
			const zfieldname *f = name ? zhfts__field_find(db, name, strlen(name)) : NULL;
			if (!f) {
				free(db->err_field);
				db->err_field = zhfts__strdup("facets");
				rc = zerr_set_at(&db->err, ZHFTS_EINVAL, ZHFTS_WHERE_OPTION, -1,
				                 "cannot count facet '%s': not doc or a field of this database",
				                 name ? name : "(null)");
			} else
				s.facet_slots[k] = f->slot;
		}
		s.spies[k].slot = s.facet_slots[k];
	}
	rc = rc ? rc : zhfts__read(db, search_read, &s);
	zitem *items = NULL;
	size_t n = 0;
	zstream *st = &q->st;
	if (rc == ZHFTS_OK && st->nplaced > s.offset) {
		n = st->nplaced - s.offset < s.limit ? st->nplaced - s.offset : s.limit;
		items = malloc(n * sizeof *items);
		if (items)
			memcpy(items, st->placed + s.offset, n * sizeof *items);
		else
			rc = ZHFTS_ENOMEM;
	}
	zhfts_results *res = NULL;
	rc = rc ? rc : zhfts__results_new(&res, db, items, n, s.offset, &q->plan);
	for (size_t i = 0; rc == ZHFTS_OK && i < n; i++) {
		size_t p = s.offset + i;
		if (st->placed_data[p]) {
			zhfts__results_prime(res, i, st->placed_data[p], st->placed_data_len[p],
			                     st->placed_doc[p] ? st->placed_doc[p] : "", st->placed_doc_len[p]);
			st->placed_data[p] = NULL;
		}
	}
	if (rc == ZHFTS_OK) {
		uint64_t placed = st->nplaced + st->npend;
		if (st->exhausted) {
			res->estimate = res->lower = res->upper = placed;
		} else if (!st->counted) {
			res->lower = st->x_lower > placed ? st->x_lower : placed;
			res->upper = st->x_upper > res->lower ? st->x_upper : res->lower;
			res->estimate = st->x_estimate < res->lower ? res->lower
			                : st->x_estimate > res->upper ? res->upper
			                                              : st->x_estimate;
		} else {
			res->lower = st->accepted;
			res->upper = st->x_upper > st->rejected ? st->x_upper - st->rejected : st->accepted;
			if (res->upper < res->lower)
				res->upper = res->lower;
			double share = st->seen ? (double)st->accepted / (double)st->seen : 1.0;
			uint64_t e = (uint64_t)((double)st->x_estimate * share + 0.5);
			res->estimate = e < res->lower ? res->lower : e > res->upper ? res->upper : e;
		}
		res->facets = s.facet_out;
		res->nfacets = o.nfacets;
		s.facet_out = NULL;
	}
	free_facets(s.facet_out, o.nfacets);
	free(s.spies);
	free(s.facet_doc);
	free(s.facet_slots);
	if (rc) {
		zhfts_results_free(res);
		return zhfts__db_fail(db, rc, NULL, NULL);
	}
	*out = res;
	return ZHFTS_OK;
}

int zhfts_query_count(zhfts_query *q, uint64_t *out)
{
	if (!q || !out)
		return ZHFTS_EINVAL;
	zhfts_search_options o = ZHFTS_SEARCH_OPTIONS_INIT;
	o.limit = 1;
	o.flags = ZHFTS_SEARCH_EXACT_COUNT;
	zhfts_results *r;
	int rc = zhfts_query_search(q, &o, &r);
	if (rc == ZHFTS_OK)
		*out = r->lower;
	zhfts_results_free(r);
	return rc;
}

/* ---- explain ------------------------------------------------------------------------ */

static int describe_check(const zcheck *c, zbuf *b)
{
	int rc = ZHFTS_OK;
	switch (c->kind) {
	case CK_UNITS:
		rc = zbuf_addc(b, '"');
		for (size_t i = 1; rc == ZHFTS_OK && i + 1 < c->units_len; i++)
			rc = c->units[i] == '\x1f' ? zbuf_addc(b, ' ') : zbuf_addc(b, c->units[i]);
		return rc ? rc : zbuf_addc(b, '"');
	case CK_AND:
	case CK_OR:
	case CK_NOT:
		rc = zbuf_adds(b, c->kind == CK_AND ? "(AND" : c->kind == CK_OR ? "(OR" : "(NOT");
		for (size_t i = 0; rc == ZHFTS_OK && i < c->nkids; i++) {
			rc = zbuf_addc(b, ' ');
			rc = rc ? rc : describe_check(c->kids[i], b);
		}
		return rc ? rc : zbuf_addc(b, ')');
	case CK_SECTION:
		return zbuf_printf(b, "section(%zu paths)", c->nterms);
	case CK_FIELD_EQ:
		return zbuf_printf(b, "%s=%.*s", c->name, (int)c->value_len, c->value);
	case CK_FIELD_RANGE:
		return zbuf_printf(b, "%s in range", c->name);
	case CK_DOC_EQ:
		return zbuf_printf(b, "doc=%.*s", (int)c->value_len, c->value);
	case CK_DOC_PREFIX:
		return zbuf_printf(b, "doc=%.*s*", (int)c->value_len, c->value);
	case CK_TRUE:
		return zbuf_adds(b, "true");
	}
	return rc;
}

int zhfts_query_explain(zhfts_query *q, char **out)
{
	if (!out)
		return ZHFTS_EINVAL;
	*out = NULL;
	if (!q)
		return ZHFTS_EINVAL;
	zhfts_db *db = q->db;
	zhfts__db_begin(db);
	char *x = NULL;
	int rc = zx_describe(q->plan.xq, &x, &db->err);
	zbuf b = {0};
	if (rc == ZHFTS_OK && zbuf_adds(&b, x))
		rc = ZHFTS_ENOMEM;
	if (rc == ZHFTS_OK && checked_plan(&q->plan)) {
		rc = zbuf_adds(&b, "\nchecked against the text: ");
		rc = rc ? rc : describe_check(q->plan.check, &b);
	}
	if (rc == ZHFTS_OK && q->plan.ntiers) {
		rc = zbuf_printf(&b, "\ntiers: %zu run%s held whole", q->plan.ntiers, q->plan.ntiers == 1 ? "" : "s");
		for (size_t i = 0; rc == ZHFTS_OK && i < q->plan.ntiers; i++) {
			rc = zbuf_addc(&b, ' ');
			rc = rc ? rc : describe_check(q->plan.tiers[i], &b);
		}
	}
	free(x);
	if (rc == ZHFTS_OK && !(*out = zbuf_detach(&b)))
		rc = ZHFTS_ENOMEM;
	zbuf_free(&b);
	return zhfts__db_fail(db, rc, NULL, NULL);
}

int zhfts_db_explain(zhfts_db *db, const char *query, size_t query_len, char **out)
{
	if (!out)
		return ZHFTS_EINVAL;
	*out = NULL;
	zhfts_query *q;
	int rc = zhfts_query_new(&q, db, query, query_len);
	rc = rc ? rc : zhfts_query_explain(q, out);
	zhfts_query_free(q);
	return rc;
}

/* ---- the convenience ------------------------------------------------------------------ */

int zhfts_db_search(zhfts_db *db, const char *query, size_t query_len, const zhfts_search_options *opts,
                    zhfts_results **out)
{
	if (!out)
		return ZHFTS_EINVAL;
	*out = NULL;
	zhfts_query *q;
	int rc = zhfts_query_new(&q, db, query, query_len);
	zhfts_results *res = NULL;
	rc = rc ? rc : zhfts_query_search(q, opts, &res);
	bool snippets = !(opts && (opts->flags & ZHFTS_SEARCH_NO_SNIPPETS));
	zhfts_snippet_options so = ZHFTS_SNIPPET_OPTIONS_INIT;
	if (opts) {
		so.mark_open = opts->mark_open;
		so.mark_close = opts->mark_close;
		so.context_chars = opts->snippet_chars ? opts->snippet_chars : DEFAULT_CONTEXT;
	}
	for (size_t i = 0; rc == ZHFTS_OK && snippets && i < res->n; i++) {
		rc = zhfts__results_keep_snippet(res, i, &so);
		if (rc)
			zerr_set(&db->err, rc, "%s", res->err.msg);
	}
	zhfts_query_free(q);
	if (rc) {
		zhfts_results_free(res);
		return zhfts__db_fail(db, rc, NULL, NULL);
	}
	*out = res;
	return ZHFTS_OK;
}
