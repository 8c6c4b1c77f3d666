/*
 * Syntax tree -> plan: the one place that knows what a query means.
 *
 * For each item it decides, once:
 * - what Xapian runs.  Xapian matches a superset of the hits: a run of k
 *   units is one term (k = 1), one pair term (k = 2), or for k >= 3 the AND
 *   of its pair terms, which a paragraph may hold without holding the run.
 *   Under a negation the subset is needed instead (a run of three or more
 *   excludes nothing there), so the tree is built both ways.  Filters weigh
 *   nothing.
 * - what a candidate must really hold (the check tree, verify.c), used
 *   whenever Xapian's answer is a superset;
 * - the tiers: an unspaced run that was split into keywords (中关村科学城建设
 *   -> 中关村 科学城 建设) adds ZHFTS_TIER_WEIGHT to the paragraphs holding it
 *   whole, through a FixedWeightPostingSource ANDed with the run, so that
 *   Xapian ranks by (tier, BM25) in one pass and the score stays plain BM25;
 *   for runs of three or more units Xapian grants it on the pairs alone, and
 *   the check says which candidates really hold the run;
 * - ranking words: ICU words of the query as "W" terms (AND_MAYBE), so that
 *   paragraphs where the query's words are words rank higher;
 * - the keys that highlighting looks for.
 */
#include <stdlib.h>
#include <string.h>

#include "zhfts-private.h"

/* ---- Xapian nodes ----------------------------------------------------------- */

static zqnode *zq(enum zq_op op)
{
	zqnode *n = calloc(1, sizeof *n);
	if (n)
		n->op = op;
	return n;
}

void zhfts__zqnode_free(zqnode *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nkids; i++)
		zhfts__zqnode_free(n->kids[i]);
	free(n->kids);
	free(n->term);
	free(n->lo);
	free(n->hi);
	free(n);
}

/* Adds kid to n; frees kid (and fails) when it cannot. */
static int zq_add(zqnode *n, zqnode *kid)
{
	void *p = n ? n->kids : NULL;
	if (!n || !kid || zvec_grow(&p, &n->kidcap, n->nkids + 1, sizeof(zqnode *))) {
		zhfts__zqnode_free(kid);
		return ZHFTS_ENOMEM;
	}
	n->kids = p;
	n->kids[n->nkids++] = kid;
	return ZHFTS_OK;
}

static zqnode *zq_term(const char *t, size_t len)
{
	zqnode *n = zq(ZQ_TERM);
	if (n && !(n->term = zhfts__strndup(t, len))) {
		free(n);
		return NULL;
	}
	if (n)
		n->term_len = len;
	return n;
}

/* n with weight times w (0: a filter). */
static zqnode *zq_scale(zqnode *n, double w)
{
	if (!n)
		return NULL;
	zqnode *s = zq(ZQ_SCALE);
	if (!s) {
		zhfts__zqnode_free(n);
		return NULL;
	}
	if (zq_add(s, n)) {
		free(s);
		return NULL;
	}
	s->weight = w;
	return s;
}

static zqnode *zq_copy(const zqnode *n)
{
	zqnode *c = zq(n->op);
	if (!c)
		return NULL;
	c->weight = n->weight;
	c->slot = n->slot;
	if ((n->term && !(c->term = zhfts__strndup(n->term, n->term_len))) ||
	    (n->lo && !(c->lo = zhfts__strndup(n->lo, n->lo_len))) ||
	    (n->hi && !(c->hi = zhfts__strndup(n->hi, n->hi_len)))) {
		zhfts__zqnode_free(c);
		return NULL;
	}
	c->term_len = n->term_len;
	c->lo_len = n->lo_len;
	c->hi_len = n->hi_len;
	for (size_t i = 0; i < n->nkids; i++) {
		if (zq_add(c, zq_copy(n->kids[i]))) {
			zhfts__zqnode_free(c);
			return NULL;
		}
	}
	return c;
}

/* ---- check nodes ------------------------------------------------------------- */

static zcheck *ck(enum ck_kind kind)
{
	zcheck *c = calloc(1, sizeof *c);
	if (c)
		c->kind = kind;
	return c;
}

void zhfts__check_free(zcheck *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nkids; i++)
		zhfts__check_free(c->kids[i]);
	for (size_t i = 0; i < c->nterms; i++)
		free(c->terms[i]);
	free(c->terms);
	free(c->kids);
	free(c->units);
	free(c->name);
	free(c->value);
	free(c->lo);
	free(c->hi);
	free(c);
}

static int ck_add(zcheck *n, zcheck *kid)
{
	void *p = n ? n->kids : NULL;
	if (!n || !kid || zvec_grow(&p, &n->kidcap, n->nkids + 1, sizeof(zcheck *))) {
		zhfts__check_free(kid);
		return ZHFTS_ENOMEM;
	}
	n->kids = p;
	n->kids[n->nkids++] = kid;
	return ZHFTS_OK;
}

/* ---- the planner --------------------------------------------------------------- */

typedef struct planner {
	zhfts_db *db;
	const char *q;
	zerr *err;
	zplan *out;
	zunits units;
	zbuf term, tmp;
} planner;

/* What a syntax node becomes. */
typedef struct pnode {
	zqnode *up, *lo;   /* Xapian's superset and subset */
	zcheck *ck;        /* the exact meaning */
	bool scored;       /* holds text that weighs (not only filters) */
} pnode;

static void pnode_free(pnode *n)
{
	zhfts__zqnode_free(n->up);
	zhfts__zqnode_free(n->lo);
	zhfts__check_free(n->ck);
	memset(n, 0, sizeof *n);
}

static int count_terms(planner *p, size_t n, size_t at)
{
	p->out->nterms += n;
	if (p->out->nterms > ZHFTS_QUERY_MAX_TERMS)
		return zerr_set_at(p->err, ZHFTS_ELIMIT, ZHFTS_WHERE_QUERY, (long long)at,
		                   "query has more than %d terms (at byte %zu)", ZHFTS_QUERY_MAX_TERMS, at);
	return ZHFTS_OK;
}

static char *units_pattern(const zunits *us, size_t a, size_t b, size_t *len)
{
	zbuf k = {0};
	if (zhfts__units_joined(&k, us, a, b)) {
		zbuf_free(&k);
		return NULL;
	}
	*len = k.len;
	return zbuf_detach(&k);
}

static zcheck *ck_units(const zunits *us, size_t a, size_t b)
{
	zcheck *c = ck(CK_UNITS);
	if (c && !(c->units = units_pattern(us, a, b, &c->units_len))) {
		free(c);
		return NULL;
	}
	return c;
}

/* Units [a, b) as one contiguous run, for Xapian: *exact false when the
 * query is only a superset (three or more units). */
static int run_query(planner *p, size_t a, size_t b, zqnode **up, zqnode **lo, bool *exact)
{
	const zunits *us = &p->units;
	int rc;
	*up = *lo = NULL;
	*exact = b - a <= 2;
	if (b - a <= 2) {
		rc = b - a == 1 ? zhfts__term_unigram(&p->term, us, a) : zhfts__term_bigram(&p->term, us, a);
		*up = rc ? NULL : zq_term(p->term.data, p->term.len);
		*lo = *up ? zq_copy(*up) : NULL;
		return rc ? rc : *up && *lo ? ZHFTS_OK : ZHFTS_ENOMEM;
	}
	zqnode *and = zq(ZQ_AND);
	rc = and ? ZHFTS_OK : ZHFTS_ENOMEM;
	for (size_t i = a; rc == ZHFTS_OK && i + 1 < b; i++) {
		rc = zhfts__term_bigram(&p->term, us, i);
		rc = rc ? rc : zq_add(and, zq_term(p->term.data, p->term.len));
	}
	*up = and;
	*lo = zq(ZQ_MATCH_NOTHING);
	if (rc == ZHFTS_OK && !*lo)
		rc = ZHFTS_ENOMEM;
	return rc;
}

typedef struct group {
	size_t a, b;
	bool singles; /* a run of one-character Han tokens */
} group;

/* Splits an unspaced word into keywords: ICU words, with runs of single
 * characters kept together, and a lone single character joined to its Han
 * neighbour (so 中|关|村|科学|城|建设 gives 中关村, 科学城, 建设). */
static size_t group_tokens(const zunits *us, group *g)
{
	size_t n = 0;
	for (size_t t = 0; t < us->ntok; t++) {
		const ztoken *tk = &us->tok[t];
		bool han = tk->kind == ZHFTS_TOKEN_HAN;
		if (han && tk->nunits == 1 && n && g[n - 1].singles) {
			g[n - 1].b++;
			continue;
		}
		g[n++] = (group){tk->first_unit, tk->first_unit + tk->nunits, han && tk->nunits == 1};
	}
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		bool lone = g[i].singles && g[i].b - g[i].a == 1;
		bool prev_han = m && us->u[g[m - 1].b - 1].han;
		bool next_han = i + 1 < n && us->u[g[i + 1].a].han;
		if (lone && prev_han) {
			g[m - 1].b = g[i].b;
		} else if (lone && next_han) {
			g[i + 1].a = g[i].a;
			g[i + 1].singles = false;
		} else {
			g[m++] = g[i];
		}
	}
	return m;
}

static int remember_keyword(planner *p, size_t a, size_t b)
{
	zbuf k = {0};
	for (size_t i = a; i < b; i++) {
		if ((i > a && zbuf_addc(&k, '\x1f')) || zbuf_add(&k, zunit_text(&p->units, i), p->units.u[i].len)) {
			zbuf_free(&k);
			return ZHFTS_ENOMEM;
		}
	}
	zplan *o = p->out;
	void *v = o->kw;
	if (zvec_grow(&v, &o->kwcap, o->nkw + 1, sizeof(zkeyword))) {
		zbuf_free(&k);
		return ZHFTS_ENOMEM;
	}
	o->kw = v;
	o->kw[o->nkw].len = k.len;
	o->kw[o->nkw].units = zbuf_detach(&k);
	if (!o->kw[o->nkw].units)
		return ZHFTS_ENOMEM;
	o->nkw++;
	return ZHFTS_OK;
}

static int add_tier(planner *p, zcheck *whole)
{
	zplan *o = p->out;
	zcheck **t = realloc(o->tiers, (o->ntiers + 1) * sizeof *t);
	if (!t) {
		zhfts__check_free(whole);
		return ZHFTS_ENOMEM;
	}
	o->tiers = t;
	o->tiers[o->ntiers++] = whole;
	return ZHFTS_OK;
}

/* A word or phrase.  Empty (only punctuation) leaves out->up NULL. */
static int plan_text(planner *p, const qnode *n, bool neg, pnode *out)
{
	memset(out, 0, sizeof *out);
	zhfts__units_reset(&p->units);
	int rc = zhfts__units(&p->db->tok, n->text, n->len, &p->units);
	if (rc)
		return rc == ZHFTS_ENOMEM ? rc : zerr_set_at(p->err, rc, ZHFTS_WHERE_QUERY, (long long)n->pos, "%s",
		                                             p->db->tok.err.msg);
	const zunits *us = &p->units;
	if (!us->n)
		return ZHFTS_OK;
	group *g = malloc(us->ntok * sizeof *g);
	if (!g)
		return ZHFTS_ENOMEM;
	size_t ng = n->quoted ? 1 : group_tokens(us, g);
	if (n->quoted)
		g[0] = (group){0, us->n, false};
	zqnode *core_up = ng > 1 ? zq(ZQ_AND) : NULL, *core_lo = ng > 1 ? zq(ZQ_AND) : NULL;
	zcheck *check = ng > 1 ? ck(CK_AND) : NULL;
	rc = ng == 1 || (core_up && core_lo && check) ? ZHFTS_OK : ZHFTS_ENOMEM;
	for (size_t i = 0; rc == ZHFTS_OK && i < ng; i++) {
		zqnode *up, *lo;
		bool exact;
		rc = run_query(p, g[i].a, g[i].b, &up, &lo, &exact);
		if (!exact)
			p->out->inexact = true;
		rc = rc ? rc : count_terms(p, g[i].b - g[i].a > 1 ? g[i].b - g[i].a - 1 : 1, n->pos);
		zcheck *k = rc ? NULL : ck_units(us, g[i].a, g[i].b);
		if (rc == ZHFTS_OK && !k)
			rc = ZHFTS_ENOMEM;
		if (rc) {
			zhfts__zqnode_free(up);
			zhfts__zqnode_free(lo);
			zhfts__check_free(k);
		} else if (ng == 1) {
			core_up = up, core_lo = lo, check = k;
		} else {
			rc = zq_add(core_up, up);
			rc = rc ? rc : zq_add(core_lo, lo);
			rc = rc ? rc : ck_add(check, k);
		}
		if (rc == ZHFTS_OK && !neg)
			rc = remember_keyword(p, g[i].a, g[i].b);
	}
	/* Ranking, for positive text only: words and the whole run. */
	zqnode *maybe = rc == ZHFTS_OK && !neg ? zq(ZQ_AND_MAYBE) : NULL;
	if (maybe) {
		/* Xapian's weights for text, made BM25's (weight.c). */
		rc = zq_add(maybe, zq_scale(core_up, zhfts__weight_scale()));
		core_up = NULL;
		if (rc == ZHFTS_OK && ng > 1) {
			/* The whole run, held whole: one tier up. */
			zqnode *up, *lo;
			bool exact;
			rc = run_query(p, 0, us->n, &up, &lo, &exact);
			zhfts__zqnode_free(lo);
			rc = rc ? rc : count_terms(p, us->n - 1, n->pos);
			zqnode *boost = rc ? NULL : zq(ZQ_AND), *fixed = rc ? NULL : zq(ZQ_FIXED);
			if (fixed)
				fixed->weight = ZHFTS_TIER_WEIGHT;
			if (rc == ZHFTS_OK && boost && fixed) {
				rc = zq_add(boost, fixed);
				rc = rc ? rc : zq_add(boost, zq_scale(up, 0));
				up = NULL;
				rc = rc ? rc : zq_add(maybe, boost);
			} else {
				zhfts__zqnode_free(boost);
				zhfts__zqnode_free(fixed);
				rc = rc ? rc : ZHFTS_ENOMEM;
			}
			zhfts__zqnode_free(up);
			if (!exact)
				p->out->tiers_inexact = true;
			zcheck *whole = rc ? NULL : ck_units(us, 0, us->n);
			rc = rc ? rc : whole ? add_tier(p, whole) : ZHFTS_ENOMEM;
		}
		for (size_t t = 0; rc == ZHFTS_OK && t < us->ntok; t++) {
			/* Words as ICU segments them rank above runs across words. */
			if (us->tok[t].kind == ZHFTS_TOKEN_HAN && us->tok[t].nunits >= 2) {
				rc = zhfts__term_word(&p->term, us, t);
				rc = rc ? rc : zq_add(maybe, zq_scale(zq_term(p->term.data, p->term.len), zhfts__weight_scale()));
				rc = rc ? rc : count_terms(p, 1, n->pos);
			}
		}
		if (rc == ZHFTS_OK && maybe->nkids == 1) {
			core_up = maybe->kids[0];
			maybe->nkids = 0;
			zhfts__zqnode_free(maybe);
			maybe = NULL;
		}
	} else if (rc == ZHFTS_OK && !neg) {
		rc = ZHFTS_ENOMEM;
	}
	free(g);
	if (rc) {
		zhfts__zqnode_free(maybe);
		zhfts__zqnode_free(core_up);
		zhfts__zqnode_free(core_lo);
		zhfts__check_free(check);
		return rc;
	}
	out->up = maybe ? maybe : core_up;
	out->lo = core_lo;
	out->ck = check;
	out->scored = true;
	return ZHFTS_OK;
}

/* A filter: the same node both ways, weighing nothing. */
static int filter_node(pnode *out, zqnode *x, zcheck *c)
{
	out->up = x;
	out->lo = x ? zq_copy(x) : NULL;
	out->ck = c;
	out->scored = false;
	if (!out->up || !out->lo || !out->ck) {
		pnode_free(out);
		return ZHFTS_ENOMEM;
	}
	return ZHFTS_OK;
}

static int plan_section(planner *p, const qnode *n, pnode *out)
{
	memset(out, 0, sizeof *out);
	zhfts__units_reset(&p->units);
	int rc = zhfts__units(&p->db->tok, n->text, n->len, &p->units);
	if (rc)
		return rc == ZHFTS_ENOMEM ? rc : zerr_set_at(p->err, rc, ZHFTS_WHERE_QUERY, (long long)n->pos, "%s",
		                                             p->db->tok.err.msg);
	if (!p->units.n)
		return zerr_set_at(p->err, ZHFTS_EQUERY, ZHFTS_WHERE_QUERY, (long long)n->pos,
		                   "'section:' at byte %zu has no searchable text", n->pos);
	size_t ulen;
	char *units = units_pattern(&p->units, 0, p->units.n, &ulen);
	zcheck *c = units ? ck(CK_SECTION) : NULL;
	rc = c ? zhfts__sections_matching(p->db, units, &c->terms, &c->nterms) : ZHFTS_ENOMEM;
	free(units);
	zqnode *x = NULL;
	if (rc == ZHFTS_OK) {
		x = c->nterms ? zq(ZQ_OR) : zq(ZQ_MATCH_NOTHING);
		for (size_t i = 0; x && rc == ZHFTS_OK && i < c->nterms; i++)
			rc = zq_add(x, zq_term(c->terms[i], strlen(c->terms[i])));
		rc = rc ? rc : count_terms(p, c->nterms ? c->nterms : 1, n->pos);
		x = c->nterms ? zq_scale(x, 0) : x;
	}
	if (rc) {
		zhfts__zqnode_free(x);
		zhfts__check_free(c);
		return rc;
	}
	return filter_node(out, x, c);
}

static int unknown_field(planner *p, const qnode *n)
{
	zbuf known = {0};
	for (size_t i = 0; i < p->db->nfields; i++)
		if ((i && zbuf_adds(&known, ", ")) || zbuf_adds(&known, p->db->fields[i].name))
			break;
	int rc = zerr_set_at(p->err, ZHFTS_EQUERY, ZHFTS_WHERE_QUERY, (long long)n->pos,
	                     "unknown field '%.*s' at byte %zu (fields: %s)", (int)n->name_len, n->name, n->pos,
	                     known.len ? known.data : "none");
	zbuf_free(&known);
	free(p->db->err_field);
	p->db->err_field = zhfts__strndup(n->name, n->name_len);
	return rc;
}

/* A range end: its sortable form, and its kind ('N' or 'S'). */
static int range_end(planner *p, const char *s, size_t len, zbuf *out, char *kind)
{
	int rc = zhfts__field_normalize(&p->db->tok, s, len, &p->tmp);
	rc = rc ? rc : zhfts__field_sortable(p->tmp.data, p->tmp.len, out);
	if (rc == ZHFTS_OK)
		*kind = out->data[0];
	return rc;
}

static bool bytes_lt(const char *a, size_t al, const char *b, size_t bl)
{
	int r = memcmp(a, b, al < bl ? al : bl);
	return r < 0 || (r == 0 && al < bl);
}

static zqnode *value_range(unsigned slot, const char *lo, size_t lo_len, const char *hi, size_t hi_len)
{
	zqnode *x = zq(ZQ_VALUE_RANGE);
	if (!x)
		return NULL;
	x->slot = slot;
	x->lo = zhfts__strndup(lo, lo_len);
	x->hi = zhfts__strndup(hi, hi_len);
	x->lo_len = lo_len;
	x->hi_len = hi_len;
	if (!x->lo || !x->hi) {
		zhfts__zqnode_free(x);
		return NULL;
	}
	return x;
}

static int plan_field(planner *p, const qnode *n, pnode *out)
{
	memset(out, 0, sizeof *out);
	const zfieldname *f = zhfts__field_find(p->db, n->name, n->name_len);
	if (!f)
		return unknown_field(p, n);
	int rc = count_terms(p, 1, n->pos);
	if (rc)
		return rc;
	if (!n->range) {
		rc = zhfts__field_normalize(&p->db->tok, n->text, n->len, &p->tmp);
		if (rc == ZHFTS_OK && !p->tmp.len)
			return zerr_set_at(p->err, ZHFTS_EQUERY, ZHFTS_WHERE_QUERY, (long long)n->pos,
			                   "'%.*s:' at byte %zu has an empty value", (int)n->name_len, n->name, n->pos);
		rc = rc ? rc : zhfts__term_field(&p->term, f->name, p->tmp.data, p->tmp.len);
		if (rc)
			return rc;
		if (zhfts__term_is_hashed(p->term.data, p->term.len))
			p->out->inexact = true; /* a hashed term may be shared */
		zcheck *c = ck(CK_FIELD_EQ);
		if (c) {
			c->name = zhfts__strdup(f->name);
			c->value = zhfts__strndup(p->tmp.data, p->tmp.len);
			c->value_len = p->tmp.len;
		}
		if (c && (!c->name || !c->value)) {
			zhfts__check_free(c);
			c = NULL;
		}
		return filter_node(out, zq_scale(zq_term(p->term.data, p->term.len), 0), c);
	}
	zbuf lo = {0}, hi = {0}, tlo = {0}, thi = {0};
	char klo = 0, khi = 0;
	rc = n->len ? range_end(p, n->text, n->len, &lo, &klo) : ZHFTS_OK;
	rc = rc ? rc : n->len2 ? range_end(p, n->text2, n->len2, &hi, &khi) : ZHFTS_OK;
	if (rc == ZHFTS_OK && klo && khi && klo != khi)
		rc = zerr_set_at(p->err, ZHFTS_EQUERY, ZHFTS_WHERE_QUERY, (long long)n->pos,
		                 "the range at byte %zu compares a %s with a %s: give two numbers or two texts", n->pos,
		                 klo == 'N' ? "number" : "text", khi == 'N' ? "number" : "text");
	char kind = klo ? klo : khi;
	if (rc == ZHFTS_OK && kind == 'N') {
		/* Number ends: numeric values in the range, and (values that are
		 * text comparing in byte order, as the header says) text values
		 * that begin with a digit in the range of the ends' text:
		 * date:2020.. finds 2020-01-06, and year:2021.. does not find n/a. */
		if (n->len && (zhfts__field_normalize(&p->db->tok, n->text, n->len, &p->tmp) ||
		               zbuf_addc(&tlo, 'S') || zbuf_add(&tlo, p->tmp.data, p->tmp.len)))
			rc = ZHFTS_ENOMEM;
		if (rc == ZHFTS_OK && n->len2 &&
		    (zhfts__field_normalize(&p->db->tok, n->text2, n->len2, &p->tmp) || zbuf_addc(&thi, 'S') ||
		     zbuf_add(&thi, p->tmp.data, p->tmp.len)))
			rc = ZHFTS_ENOMEM;
	}
	/* An open end stops at the edge of its kind: numbers ('N' + at most 9
	 * bytes) sort before texts ('S' + UTF-8, which never holds 0xff). */
	static const char top_n[] = "N\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff";
	if (rc == ZHFTS_OK && !klo && zbuf_addc(&lo, kind))
		rc = ZHFTS_ENOMEM;
	if (rc == ZHFTS_OK && !khi && (kind == 'N' ? zbuf_add(&hi, top_n, sizeof top_n - 1) : zbuf_adds(&hi, "S\xff")))
		rc = ZHFTS_ENOMEM;
	/* ... text that begins with a digit, that is: ["S0", "S9\xff"]. */
	if (rc == ZHFTS_OK && kind == 'N' && (!tlo.len || bytes_lt(tlo.data, tlo.len, "S0", 2))) {
		tlo.len = 0;
		if (zbuf_adds(&tlo, "S0"))
			rc = ZHFTS_ENOMEM;
	}
	if (rc == ZHFTS_OK && kind == 'N' && (!thi.len || bytes_lt("S9\xff", 3, thi.data, thi.len))) {
		thi.len = 0;
		if (zbuf_adds(&thi, "S9\xff"))
			rc = ZHFTS_ENOMEM;
	}
	zqnode *x = NULL;
	zcheck *c = NULL;
	for (int pass = 0; rc == ZHFTS_OK && pass < (kind == 'N' ? 2 : 1); pass++) {
		const zbuf *a = pass ? &tlo : &lo, *b = pass ? &thi : &hi;
		zqnode *xr = value_range(f->slot, a->data, a->len, b->data, b->len);
		zcheck *cr = ck(CK_FIELD_RANGE);
		if (cr) {
			cr->name = zhfts__strdup(f->name);
			cr->lo = zhfts__strndup(a->data, a->len);
			cr->hi = zhfts__strndup(b->data, b->len);
			cr->lo_len = a->len;
			cr->hi_len = b->len;
		}
		if (!xr || !cr || !cr->name || !cr->lo || !cr->hi) {
			zhfts__zqnode_free(xr);
			zhfts__check_free(cr);
			rc = ZHFTS_ENOMEM;
			break;
		}
		if (!pass) {
			x = xr, c = cr;
			continue;
		}
		zqnode *both = zq(ZQ_OR);
		zcheck *either = ck(CK_OR);
		if (!both || !either) {
			free(both);
			free(either);
			zhfts__zqnode_free(xr);
			zhfts__check_free(cr);
			rc = ZHFTS_ENOMEM;
			break;
		}
		rc = zq_add(both, x);
		rc = rc ? rc : zq_add(both, xr);
		rc = rc ? rc : ck_add(either, c);
		rc = rc ? rc : ck_add(either, cr);
		x = both, c = either;
	}
	zbuf_free(&lo);
	zbuf_free(&hi);
	zbuf_free(&tlo);
	zbuf_free(&thi);
	if (rc) {
		zhfts__zqnode_free(x);
		zhfts__check_free(c);
		return rc;
	}
	return filter_node(out, x, c);
}

static int plan_doc(planner *p, const qnode *n, pnode *out)
{
	memset(out, 0, sizeof *out);
	int rc = count_terms(p, 1, n->pos);
	char *id = rc ? NULL : zhfts__strndup(n->text, n->len);
	if (rc == ZHFTS_OK && !id)
		rc = ZHFTS_ENOMEM;
	zqnode *x = NULL;
	zcheck *c = NULL;
	if (rc == ZHFTS_OK && n->prefix) {
		/* Every paragraph holds its document's id in ZHFTS_SLOT_DOC: the
		 * ids that start so are a range of it (UTF-8 never holds 0xff). */
		zbuf hi = {0};
		if (zbuf_add(&hi, id, n->len) || zbuf_addc(&hi, '\xff'))
			rc = ZHFTS_ENOMEM;
		x = rc ? NULL : value_range(ZHFTS_SLOT_DOC, id, n->len, hi.data, hi.len);
		zbuf_free(&hi);
		if (rc == ZHFTS_OK && !x)
			rc = ZHFTS_ENOMEM;
		c = ck(CK_DOC_PREFIX);
	} else if (rc == ZHFTS_OK) {
		rc = zhfts__term_docid(&p->term, id, p->db->id_hash_bits);
		if (rc == ZHFTS_OK && zhfts__term_is_hashed(p->term.data, p->term.len))
			p->out->inexact = true;
		x = rc ? NULL : zq_scale(zq_term(p->term.data, p->term.len), 0);
		c = ck(CK_DOC_EQ);
	}
	if (c) {
		c->value = id;
		c->value_len = n->len;
		id = NULL;
	}
	free(id);
	if (rc) {
		zhfts__zqnode_free(x);
		zhfts__check_free(c);
		return rc;
	}
	return filter_node(out, x, c);
}

static int plan_node(planner *p, const qnode *n, bool neg, pnode *out);

/* AND and OR: the kids that are there, combined. */
static int plan_list(planner *p, const qnode *n, bool neg, pnode *out)
{
	memset(out, 0, sizeof *out);
	bool and = n->kind == QN_AND;
	zqnode *up = zq(and ? ZQ_AND : ZQ_OR), *lo = zq(and ? ZQ_AND : ZQ_OR);
	zcheck *c = ck(and ? CK_AND : CK_OR);
	int rc = up && lo && c ? ZHFTS_OK : ZHFTS_ENOMEM;
	bool scored = false;
	for (size_t i = 0; rc == ZHFTS_OK && i < n->nkids; i++) {
		pnode k;
		rc = plan_node(p, n->kids[i], neg, &k);
		if (rc || !k.up)
			continue;
		scored = scored || k.scored;
		rc = zq_add(up, k.up);
		rc = rc ? rc : zq_add(lo, k.lo);
		rc = rc ? rc : ck_add(c, k.ck);
		k.up = k.lo = NULL;
		k.ck = NULL;
	}
	if (rc || !c->nkids) {
		zhfts__zqnode_free(up);
		zhfts__zqnode_free(lo);
		zhfts__check_free(c);
		return rc;
	}
	if (c->nkids == 1) {
		/* One kid: itself. */
		out->up = up->kids[0], up->nkids = 0;
		out->lo = lo->kids[0], lo->nkids = 0;
		out->ck = c->kids[0], c->nkids = 0;
		zhfts__zqnode_free(up);
		zhfts__zqnode_free(lo);
		zhfts__check_free(c);
	} else {
		out->up = up, out->lo = lo, out->ck = c;
	}
	out->scored = scored;
	return ZHFTS_OK;
}

static int plan_not(planner *p, const qnode *n, bool neg, pnode *out)
{
	memset(out, 0, sizeof *out);
	pnode base;
	int rc = plan_node(p, n->kids[0], neg, &base);
	if (rc)
		return rc;
	if (!base.up)
		return zerr_set_at(p->err, ZHFTS_EQUERY, ZHFTS_WHERE_QUERY, (long long)n->pos,
		                   "the exclusion at byte %zu has nothing to exclude from: add a term to search for",
		                   n->pos);
	zqnode *nup = zq(ZQ_OR), *nlo = zq(ZQ_OR);
	zcheck *nck = ck(CK_OR);
	rc = nup && nlo && nck ? ZHFTS_OK : ZHFTS_ENOMEM;
	for (size_t i = 1; rc == ZHFTS_OK && i < n->nkids; i++) {
		pnode k;
		rc = plan_node(p, n->kids[i], !neg, &k);
		if (rc || !k.up)
			continue;
		/* Under NOT, superset and subset change places. */
		rc = zq_add(nup, k.lo);
		rc = rc ? rc : zq_add(nlo, k.up);
		rc = rc ? rc : ck_add(nck, k.ck);
		k.up = k.lo = NULL;
		k.ck = NULL;
	}
	if (rc == ZHFTS_OK && !nck->nkids) {
		/* Only punctuation was excluded: nothing is. */
		zhfts__zqnode_free(nup);
		zhfts__zqnode_free(nlo);
		zhfts__check_free(nck);
		*out = base;
		return ZHFTS_OK;
	}
	zqnode *up = rc ? NULL : zq(ZQ_AND_NOT), *lo = rc ? NULL : zq(ZQ_AND_NOT);
	zcheck *c = rc ? NULL : ck(CK_NOT);
	if (rc == ZHFTS_OK && (!up || !lo || !c))
		rc = ZHFTS_ENOMEM;
	if (rc == ZHFTS_OK) {
		rc = zq_add(up, base.up);
		rc = rc ? rc : zq_add(up, nup);
		rc = rc ? rc : zq_add(lo, base.lo);
		rc = rc ? rc : zq_add(lo, nlo);
		rc = rc ? rc : ck_add(c, base.ck);
		rc = rc ? rc : ck_add(c, nck);
		base.up = base.lo = NULL;
		base.ck = NULL;
		nup = nlo = NULL;
		nck = NULL;
	}
	out->scored = base.scored;
	pnode_free(&base);
	zhfts__zqnode_free(nup);
	zhfts__zqnode_free(nlo);
	zhfts__check_free(nck);
	if (rc) {
		zhfts__zqnode_free(up);
		zhfts__zqnode_free(lo);
		zhfts__check_free(c);
		return rc;
	}
	out->up = up, out->lo = lo, out->ck = c;
	return ZHFTS_OK;
}

static int plan_node(planner *p, const qnode *n, bool neg, pnode *out)
{
	int rc;
	switch (n->kind) {
	case QN_TEXT:
		rc = plan_text(p, n, neg, out);
		break;
	case QN_SECTION:
		rc = plan_section(p, n, out);
		break;
	case QN_FIELD:
		rc = plan_field(p, n, out);
		break;
	case QN_DOC:
		rc = plan_doc(p, n, out);
		break;
	case QN_AND:
	case QN_OR:
		rc = plan_list(p, n, neg, out);
		break;
	case QN_NOT:
		rc = plan_not(p, n, neg, out);
		break;
	default:
		rc = ZHFTS_ERROR;
	}
	if (rc)
		pnode_free(out);
	return rc;
}

int zhfts__plan(zplan *out, zhfts_db *db, const qnode *root, const char *q, zerr *err)
{
	memset(out, 0, sizeof *out);
	planner p = {.db = db, .q = q, .err = err, .out = out};
	int rc = zhfts__fields_refresh(db);
	pnode top = {0};
	rc = rc ? rc : plan_node(&p, root, false, &top);
	if (rc == ZHFTS_OK && !top.up)
		rc = zerr_set_at(err, ZHFTS_EQUERY, ZHFTS_WHERE_QUERY, 0,
		                 "the query has nothing to search for (only punctuation or spaces)");
	if (rc == ZHFTS_OK) {
		out->xq = top.up;
		out->check = top.ck;
		out->scored = top.scored;
		top.up = NULL;
		top.ck = NULL;
	}
	pnode_free(&top);
	zhfts__units_free(&p.units);
	zbuf_free(&p.term);
	zbuf_free(&p.tmp);
	if (rc) {
		if (rc == ZHFTS_ENOMEM)
			zerr_set(err, rc, "out of memory planning the query");
		zhfts__plan_free(out);
	}
	return rc;
}

void zhfts__plan_free(zplan *p)
{
	zhfts__zqnode_free(p->xq);
	zhfts__check_free(p->check);
	for (size_t i = 0; i < p->ntiers; i++)
		zhfts__check_free(p->tiers[i]);
	free(p->tiers);
	for (size_t i = 0; i < p->nkw; i++)
		free(p->kw[i].units);
	free(p->kw);
	memset(p, 0, sizeof *p);
}

/* ---- section paths -------------------------------------------------------------
 * A paragraph carries its section path as one term.  A filter matches the
 * distinct paths whose normalized units contain the filter's units: the
 * same substring semantics as the text, over a list that is short next to
 * the paragraphs (cached on the handle until it reopens). */

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

typedef struct pathlist {
	char **terms;
	size_t n, cap;
} pathlist;

static int take_path(void *ctx, const char *term, size_t len, uint32_t tf)
{
	pathlist *l = ctx;
	(void)tf;
	void *v = l->terms;
	char *t = zhfts__strndup(term, len);
	if (!t || zvec_grow(&v, &l->cap, l->n + 1, sizeof *l->terms)) {
		free(t);
		return ZHFTS_ENOMEM;
	}
	l->terms = v;
	l->terms[l->n++] = t;
	return ZHFTS_OK;
}

static void pathlist_free(pathlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->terms[i]);
	free(l->terms);
	memset(l, 0, sizeof *l);
}

/* The path a term stands for: in the term, or (hashed) in a paragraph. */
static int path_of(zhfts_db *db, const char *term, char **path)
{
	size_t len = strlen(term);
	*path = NULL;
	if (!zhfts__term_is_hashed(term, len)) {
		size_t skip = len >= 2 && term[1] == ':' ? 2 : 1;
		*path = zhfts__strndup(term + skip, len - skip);
		return *path ? ZHFTS_OK : ZHFTS_ENOMEM;
	}
	uint32_t *docids = NULL;
	size_t n = 0;
	int rc = zx_postlist(db->x, term, len, &docids, &n, &db->err);
	zx_fetched f = {0};
	rc = rc || !n ? rc : zx_fetch(db->x, docids, 1, true, NULL, 0, &f, &db->err);
	zrecord r;
	if (rc == ZHFTS_OK && n && !f.missing) {
		if (zhfts__record_decode(&r, f.data, f.data_len) == ZHFTS_OK)
			*path = zhfts__strndup(r.section, r.section_len);
		else
			rc = zhfts__overtaken(db, "%s: unreadable paragraph record", db->path);
	}
	zx_fetched_free(&f, 1);
	free(docids);
	if (rc == ZHFTS_OK && n && !*path)
		rc = ZHFTS_ENOMEM;
	return rc;
}

static int load_sections(zhfts_db *db, void *ctx)
{
	(void)ctx;
	pathlist l = {0};
	zhfts__sections_free(db);
	int rc = zx_allterms(db->x, "P", 1, NULL, 0, take_path, &l, &db->err);
	zbuf u = {0};
	for (size_t i = 0; rc == ZHFTS_OK && i < l.n; i++) {
		char *path = NULL;
		rc = path_of(db, l.terms[i], &path);
		if (rc || !path)
			continue;
		zhfts__units_reset(&db->units);
		rc = zhfts__units_fast(&db->tok, path, strlen(path), &db->units);
		rc = rc ? rc : zhfts__units_joined(&u, &db->units, 0, db->units.n);
		free(path);
		void *v = db->sections;
		if (rc == ZHFTS_OK && zvec_grow(&v, &db->seccap, db->nsections + 1, sizeof *db->sections))
			rc = ZHFTS_ENOMEM;
		if (rc == ZHFTS_OK) {
			db->sections = v;
			struct zsection *z = &db->sections[db->nsections++];
			z->term = l.terms[i];
			l.terms[i] = NULL;
			z->units = zbuf_detach(&u);
			if (!z->units)
				rc = ZHFTS_ENOMEM;
		}
	}
	zbuf_free(&u);
	pathlist_free(&l);
	if (rc)
		zhfts__sections_free(db);
	return rc;
}

int zhfts__sections_matching(zhfts_db *db, const char *units, char ***terms, size_t *n)
{
	*terms = NULL;
	*n = 0;
	int rc = ZHFTS_OK;
	if (!db->sec_valid || db->sec_generation != db->generation || db->writable) {
		rc = load_sections(db, NULL);
		if (rc == ZHFTS_OK) {
			db->sec_valid = true;
			db->sec_generation = db->generation;
		}
	}
	pathlist l = {0};
	for (size_t i = 0; rc == ZHFTS_OK && i < db->nsections; i++)
		if (strstr(db->sections[i].units, units))
			rc = take_path(&l, db->sections[i].term, strlen(db->sections[i].term), 0);
	if (rc) {
		pathlist_free(&l);
		return rc == ZHFTS_ENOMEM ? zerr_set(&db->err, rc, "out of memory expanding a section: filter") : rc;
	}
	*terms = l.terms;
	*n = l.n;
	return ZHFTS_OK;
}
