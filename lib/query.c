/*
 * Query text -> query tree.
 *
 *   query   := or
 *   or      := and ("OR" and)*
 *   and     := unary (["AND"] unary)*
 *   unary   := ("NOT" | "-") primary | primary
 *   primary := "(" or ")" | "\"" phrase "\"" | "section:" (word | "\"" phrase "\"") | word
 *
 * A keyword or phrase becomes the same units the indexer makes.  A run of
 * k units must appear contiguously: one term (k = 1), one pair term (k = 2),
 * or, for k >= 3, a ZQ_RUN: Xapian finds the paragraphs holding all of its
 * pair terms, and search.c keeps those whose text holds the run.
 */
#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include "zhfts-private.h"

#define WHOLE_RUN_BOOST 1000.0

typedef enum { T_END, T_WORD, T_PHRASE, T_LPAREN, T_RPAREN, T_OR, T_AND, T_NOT, T_MINUS, T_SECTION } ttype;

typedef struct qtok {
	ttype type;
	size_t pos;          /* byte offset of the token in the query */
	size_t start, len;   /* the text of a word or phrase */
} qtok;

typedef struct parser {
	const char *q;
	size_t len, pos;
	qtok tok;            /* the current token */
	bool have_tok;
	struct zhfts_tokenizer *t;
	zunits units;
	zbuf term;
	zquery *out;
	zerr *err;
	size_t nterms;
} parser;

/* ---- the tree ------------------------------------------------------------- */

static zqnode *node(enum zq_op op)
{
	zqnode *n = calloc(1, sizeof *n);
	if (n)
		n->op = op;
	return n;
}

void zhfts__qnode_free(zqnode *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nkids; i++)
		zhfts__qnode_free(n->kids[i]);
	free(n->kids);
	free(n->term);
	free(n->units);
	free(n);
}

/* Adds kid to n; on failure frees kid and returns ENOMEM. */
static int add_kid(zqnode *n, zqnode *kid)
{
	void *p = n->kids;
	if (!kid || zvec_grow(&p, &n->kidcap, n->nkids + 1, sizeof(zqnode *))) {
		zhfts__qnode_free(kid);
		return ZHFTS_ENOMEM;
	}
	n->kids = p;
	n->kids[n->nkids++] = kid;
	return ZHFTS_OK;
}

static zqnode *term_node(parser *p, const zbuf *term)
{
	zqnode *n = node(ZQ_TERM);
	if (n && !(n->term = zhfts__strndup(term->data, term->len))) {
		free(n);
		return NULL;
	}
	if (n)
		n->term_len = term->len;
	p->nterms++;
	return n;
}

/* Collapses an n-ary node with a single child into the child. */
static zqnode *simplify(zqnode *n)
{
	if (n && n->op != ZQ_TERM && n->op != ZQ_RUN && n->op != ZQ_SECTION && n->nkids == 1) {
		zqnode *k = n->kids[0];
		n->nkids = 0;
		zhfts__qnode_free(n);
		return k;
	}
	return n;
}

/* ---- units -> terms ------------------------------------------------------- */

static int too_many(parser *p)
{
	if (p->nterms > ZHFTS_QUERY_MAX_TERMS)
		return zerr_set(p->err, ZHFTS_ELIMIT, "query has more than %d terms", ZHFTS_QUERY_MAX_TERMS);
	return ZHFTS_OK;
}

/* Units [a, b) as what a text leaf must match (zhfts__units_joined). */
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

/* Units [a, b) as one contiguous run. */
static int run_node(parser *p, size_t a, size_t b, zqnode **out)
{
	const zunits *us = &p->units;
	size_t k = b - a;
	int rc;
	*out = NULL;
	zqnode *n;
	if (k == 1 || k == 2) {
		rc = k == 1 ? zhfts__term_unigram(&p->term, us, a) : zhfts__term_bigram(&p->term, us, a);
		n = rc ? NULL : term_node(p, &p->term);
	} else {
		n = node(ZQ_RUN);
		rc = n ? ZHFTS_OK : ZHFTS_ENOMEM;
		for (size_t i = a; rc == ZHFTS_OK && i + 1 < b; i++) {
			rc = zhfts__term_bigram(&p->term, us, i);
			zqnode *pair = rc ? NULL : term_node(p, &p->term);
			if (rc == ZHFTS_OK && (!pair || !(pair->units = units_pattern(us, i, i + 2, &pair->units_len))))
				rc = ZHFTS_ENOMEM;
			rc = rc ? rc : add_kid(n, pair);
		}
	}
	if (rc == ZHFTS_OK && (!n || !(n->units = units_pattern(us, a, b, &n->units_len))))
		rc = ZHFTS_ENOMEM;
	rc = rc ? rc : too_many(p);
	if (rc) {
		zhfts__qnode_free(n);
		return rc;
	}
	*out = n;
	return ZHFTS_OK;
}

/* Remembers a positive keyword's units, for match spans. */
static int remember(parser *p, size_t a, size_t b)
{
	zbuf k = {0};
	for (size_t i = a; i < b; i++) {
		if ((i > a && zbuf_addc(&k, '\x1f')) || zbuf_add(&k, zunit_text(&p->units, i), p->units.u[i].len)) {
			zbuf_free(&k);
			return ZHFTS_ENOMEM;
		}
	}
	zquery *q = p->out;
	void *v = q->kw;
	if (zvec_grow(&v, &q->kwcap, q->nkw + 1, sizeof(zkeyword))) {
		zbuf_free(&k);
		return ZHFTS_ENOMEM;
	}
	q->kw = v;
	q->kw[q->nkw].len = k.len;
	q->kw[q->nkw].units = zbuf_detach(&k);
	if (!q->kw[q->nkw].units)
		return ZHFTS_ENOMEM;
	q->nkw++;
	return ZHFTS_OK;
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

/* A word or phrase of the query -> a node, or NULL when it has no units. */
static int text_node(parser *p, size_t start, size_t len, bool quoted, bool negated, zqnode **out)
{
	*out = NULL;
	zhfts__units_reset(&p->units);
	int rc = zhfts__units(p->t, p->q + start, len, &p->units);
	if (rc)
		return rc == ZHFTS_ENOMEM ? rc : zerr_set(p->err, rc, "%s", p->t->err.msg);
	const zunits *us = &p->units;
	if (!us->n)
		return ZHFTS_OK;
	group *g = malloc(us->ntok * sizeof *g);
	if (!g)
		return ZHFTS_ENOMEM;
	size_t ng = quoted ? 1 : group_tokens(us, g);
	if (quoted)
		g[0] = (group){0, us->n, false};
	zqnode *core = NULL, *maybe = node(ZQ_AND_MAYBE);
	rc = maybe ? ZHFTS_OK : ZHFTS_ENOMEM;
	if (rc == ZHFTS_OK && ng == 1) {
		rc = run_node(p, g[0].a, g[0].b, &core);
	} else if (rc == ZHFTS_OK) {
		core = node(ZQ_AND);
		rc = core ? ZHFTS_OK : ZHFTS_ENOMEM;
		for (size_t i = 0; rc == ZHFTS_OK && i < ng; i++) {
			zqnode *k;
			rc = run_node(p, g[i].a, g[i].b, &k);
			rc = rc ? rc : add_kid(core, k);
		}
	}
	if (rc == ZHFTS_OK) {
		rc = add_kid(maybe, core);
		core = NULL;
	}
	if (rc == ZHFTS_OK && ng > 1) {
		/* The whole run, contiguous, ranks first: BM25 weights of the
		 * other terms stay far below this scaled one. */
		zqnode *whole = NULL, *scaled = node(ZQ_SCALE);
		rc = scaled ? run_node(p, 0, us->n, &whole) : ZHFTS_ENOMEM;
		rc = rc ? rc : add_kid(scaled, whole);
		if (rc == ZHFTS_OK) {
			scaled->scale = WHOLE_RUN_BOOST;
			rc = add_kid(maybe, scaled);
			scaled = NULL;
		}
		zhfts__qnode_free(scaled);
	}
	for (size_t t = 0; rc == ZHFTS_OK && t < us->ntok; t++) {
		/* Words as ICU segments them rank above runs across words. */
		if (us->tok[t].kind == ZHFTS_TOKEN_HAN && us->tok[t].nunits >= 2) {
			rc = zhfts__term_word(&p->term, us, t);
			rc = rc ? rc : add_kid(maybe, term_node(p, &p->term));
		}
	}
	for (size_t i = 0; rc == ZHFTS_OK && !negated && i < ng; i++)
		rc = remember(p, g[i].a, g[i].b);
	free(g);
	rc = rc ? rc : too_many(p);
	if (rc) {
		zhfts__qnode_free(core);
		zhfts__qnode_free(maybe);
		return rc;
	}
	*out = simplify(maybe);
	return ZHFTS_OK;
}

static int section_node(parser *p, size_t start, size_t len, zqnode **out)
{
	*out = NULL;
	zhfts__units_reset(&p->units);
	int rc = zhfts__units(p->t, p->q + start, len, &p->units);
	if (rc)
		return rc == ZHFTS_ENOMEM ? rc : zerr_set(p->err, rc, "%s", p->t->err.msg);
	if (!p->units.n)
		return ZHFTS_OK;
	/* search.c turns the units into the section paths that contain them. */
	zqnode *n = node(ZQ_SECTION);
	if (!n || !(n->units = units_pattern(&p->units, 0, p->units.n, &n->units_len))) {
		free(n);
		return ZHFTS_ENOMEM;
	}
	p->nterms++;
	*out = n;
	return too_many(p);
}

/* ---- the lexer ------------------------------------------------------------- */

static UChar32 cp_at(const parser *p, size_t i, size_t *n)
{
	UChar32 c;
	int32_t k = 0, lim = p->len - i > 4 ? 4 : (int32_t)(p->len - i);
	U8_NEXT((const uint8_t *)p->q + i, k, lim, c);
	*n = (size_t)k;
	return c;
}

static bool is_quote_open(UChar32 c) { return c == '"' || c == 0x201c; }
static bool is_quote_close(UChar32 c) { return c == '"' || c == 0x201d; }
static bool is_sep(UChar32 c)
{
	return c == '(' || c == ')' || is_quote_open(c) || is_quote_close(c) ||
	       u_hasBinaryProperty(c, UCHAR_WHITE_SPACE);
}

static int lex(parser *p)
{
	size_t n;
	while (p->pos < p->len && u_hasBinaryProperty(cp_at(p, p->pos, &n), UCHAR_WHITE_SPACE))
		p->pos += n;
	qtok *t = &p->tok;
	memset(t, 0, sizeof *t);
	t->pos = p->pos;
	p->have_tok = true;
	if (p->pos >= p->len) {
		t->type = T_END;
		return ZHFTS_OK;
	}
	UChar32 c = cp_at(p, p->pos, &n);
	if (c == '(' || c == ')') {
		t->type = c == '(' ? T_LPAREN : T_RPAREN;
		p->pos += n;
		return ZHFTS_OK;
	}
	if (is_quote_open(c) || is_quote_close(c)) {
		size_t i = p->pos + n, m;
		while (i < p->len && !is_quote_close(cp_at(p, i, &m)))
			i += m;
		if (i >= p->len)
			return zerr_set(p->err, ZHFTS_EQUERY, "unclosed quote at byte %zu", p->pos);
		t->type = T_PHRASE;
		t->start = p->pos + n;
		t->len = i - t->start;
		p->pos = i + m;
		return ZHFTS_OK;
	}
	size_t i = p->pos;
	while (i < p->len && !is_sep(cp_at(p, i, &n)))
		i += n;
	const char *w = p->q + p->pos;
	size_t wl = i - p->pos;
	t->start = p->pos;
	t->len = wl;
	if (wl == 2 && !memcmp(w, "OR", 2))
		t->type = T_OR;
	else if (wl == 3 && !memcmp(w, "AND", 3))
		t->type = T_AND;
	else if (wl == 3 && !memcmp(w, "NOT", 3))
		t->type = T_NOT;
	else if (w[0] == '-') {
		/* `-x`, `-(...)`, `-"..."`; a '-' alone excludes nothing. */
		if (wl == 1 && (i >= p->len || u_hasBinaryProperty(cp_at(p, i, &n), UCHAR_WHITE_SPACE)))
			return zerr_set(p->err, ZHFTS_EQUERY, "'-' at byte %zu has nothing after it", p->pos);
		t->type = T_MINUS;
		p->pos += 1;
		return ZHFTS_OK;
	} else if (wl >= 8 && !memcmp(w, "section:", 8)) {
		t->type = T_SECTION;
		p->pos += 8;
		return ZHFTS_OK;
	} else
		t->type = T_WORD;
	p->pos = i;
	return ZHFTS_OK;
}

static int peek(parser *p, qtok *out)
{
	int rc = p->have_tok ? ZHFTS_OK : lex(p);
	*out = p->tok;
	return rc;
}

static void consume(parser *p)
{
	p->have_tok = false;
}

/* ---- the parser ------------------------------------------------------------- */

static int parse_or(parser *p, int depth, bool negated, zqnode **out);

static int parse_primary(parser *p, int depth, bool negated, zqnode **out, bool *is_filter)
{
	qtok t;
	int rc = peek(p, &t);
	*out = NULL;
	*is_filter = false;
	if (rc)
		return rc;
	switch (t.type) {
	case T_LPAREN: {
		if (depth >= ZHFTS_QUERY_MAX_DEPTH)
			return zerr_set(p->err, ZHFTS_ELIMIT, "parentheses nested deeper than %d at byte %zu",
			                ZHFTS_QUERY_MAX_DEPTH, t.pos);
		consume(p);
		qtok u;
		if ((rc = peek(p, &u)))
			return rc;
		if (u.type == T_RPAREN)
			return zerr_set(p->err, ZHFTS_EQUERY, "empty parentheses at byte %zu", t.pos);
		rc = parse_or(p, depth + 1, negated, out);
		if (rc == ZHFTS_OK && (rc = peek(p, &u)) == ZHFTS_OK && u.type != T_RPAREN)
			rc = zerr_set(p->err, ZHFTS_EQUERY, "'(' at byte %zu is never closed", t.pos);
		if (rc) {
			zhfts__qnode_free(*out);
			*out = NULL;
			return rc;
		}
		consume(p);
		return ZHFTS_OK;
	}
	case T_WORD:
	case T_PHRASE:
		consume(p);
		return text_node(p, t.start, t.len, t.type == T_PHRASE, negated, out);
	case T_SECTION: {
		consume(p);
		qtok u;
		if ((rc = peek(p, &u)))
			return rc;
		if ((u.type != T_WORD && u.type != T_PHRASE) || u.pos != t.pos + 8)
			return zerr_set(p->err, ZHFTS_EQUERY, "'section:' at byte %zu needs text right after it", t.pos);
		consume(p);
		rc = section_node(p, u.start, u.len, out);
		if (rc == ZHFTS_OK && !*out)
			return zerr_set(p->err, ZHFTS_EQUERY, "'section:' at byte %zu has no searchable text", t.pos);
		*is_filter = true;
		return rc;
	}
	case T_END:
		return zerr_set(p->err, ZHFTS_EQUERY, "the query ends where a term was expected (byte %zu)", t.pos);
	case T_RPAREN:
		return zerr_set(p->err, ZHFTS_EQUERY, "unexpected ')' at byte %zu", t.pos);
	default:
		return zerr_set(p->err, ZHFTS_EQUERY, "'%.*s' at byte %zu needs a term after it",
		                (int)(t.type == T_MINUS ? 1 : t.len), p->q + t.pos, t.pos);
	}
}

static int parse_and(parser *p, int depth, bool negated, zqnode **out)
{
	*out = NULL;
	zqnode *pos = node(ZQ_AND), *neg = node(ZQ_OR), *filt = node(ZQ_AND);
	int rc = pos && neg && filt ? ZHFTS_OK : ZHFTS_ENOMEM;
	size_t items = 0;
	size_t neg_pos = 0;
	while (rc == ZHFTS_OK) {
		qtok t;
		if ((rc = peek(p, &t)))
			break;
		if (t.type == T_END || t.type == T_RPAREN || t.type == T_OR)
			break;
		if (t.type == T_AND) {
			consume(p);
			qtok u;
			if ((rc = peek(p, &u)))
				break;
			if (!items || u.type == T_END || u.type == T_RPAREN || u.type == T_OR || u.type == T_AND)
				rc = zerr_set(p->err, ZHFTS_EQUERY, "AND at byte %zu needs a term on both sides", t.pos);
			continue;
		}
		bool not = t.type == T_NOT || t.type == T_MINUS;
		if (not) {
			consume(p);
			qtok u;
			if ((rc = peek(p, &u)))
				break;
			if (u.type == T_NOT || u.type == T_MINUS) {
				rc = zerr_set(p->err, ZHFTS_EQUERY, "'%s' at byte %zu is followed by another negation",
				              t.type == T_NOT ? "NOT" : "-", t.pos);
				break;
			}
			if (u.type == T_END || u.type == T_RPAREN || u.type == T_OR || u.type == T_AND) {
				rc = zerr_set(p->err, ZHFTS_EQUERY, "'%s' at byte %zu has nothing after it",
				              t.type == T_NOT ? "NOT" : "-", t.pos);
				break;
			}
			if (!neg->nkids)
				neg_pos = t.pos;
		}
		zqnode *n;
		bool is_filter;
		rc = parse_primary(p, depth, negated != not, &n, &is_filter);
		items++;
		if (rc == ZHFTS_OK && n)
			rc = add_kid(not ? neg : is_filter ? filt : pos, n);
	}
	if (rc == ZHFTS_OK && !pos->nkids && !filt->nkids && neg->nkids)
		rc = zerr_set(p->err, ZHFTS_EQUERY,
		              "the exclusion at byte %zu has nothing to exclude from: add a term to search for",
		              neg_pos);
	zqnode *res = NULL;
	if (rc == ZHFTS_OK && (pos->nkids || filt->nkids)) {
		if (!pos->nkids) {
			res = simplify(filt);
			filt = NULL;
		} else if (filt->nkids) {
			res = node(ZQ_FILTER);
			rc = res ? add_kid(res, simplify(pos)) : ZHFTS_ENOMEM;
			if (res)
				pos = NULL; /* add_kid took it, or freed it on failure */
			for (size_t i = 0; rc == ZHFTS_OK && i < filt->nkids; i++) {
				rc = add_kid(res, filt->kids[i]);
				filt->kids[i] = NULL;
			}
		} else {
			res = simplify(pos);
			pos = NULL;
		}
		if (rc == ZHFTS_OK && neg->nkids) {
			zqnode *an = node(ZQ_AND_NOT);
			if (an) {
				rc = add_kid(an, res); /* frees res on failure */
				res = an;
				if (rc == ZHFTS_OK) {
					rc = add_kid(an, simplify(neg));
					neg = NULL;
				}
			} else {
				rc = ZHFTS_ENOMEM;
			}
		}
	}
	zhfts__qnode_free(pos);
	zhfts__qnode_free(neg);
	zhfts__qnode_free(filt);
	if (rc) {
		zhfts__qnode_free(res);
		return rc;
	}
	*out = res;
	return ZHFTS_OK;
}

static int parse_or(parser *p, int depth, bool negated, zqnode **out)
{
	*out = NULL;
	zqnode *or = node(ZQ_OR);
	int rc = or ? ZHFTS_OK : ZHFTS_ENOMEM;
	for (;;) {
		qtok t;
		if (rc || (rc = peek(p, &t)))
			break;
		if (t.type == T_OR) {
			rc = zerr_set(p->err, ZHFTS_EQUERY, "OR at byte %zu needs a term before it", t.pos);
			break;
		}
		zqnode *n;
		rc = parse_and(p, depth, negated, &n);
		if (rc)
			break;
		if (n)
			rc = add_kid(or, n);
		if (rc || (rc = peek(p, &t)) || t.type != T_OR)
			break;
		consume(p);
		qtok u;
		if ((rc = peek(p, &u)))
			break;
		if (u.type == T_END || u.type == T_RPAREN || u.type == T_OR) {
			rc = zerr_set(p->err, ZHFTS_EQUERY, "OR at byte %zu needs a term after it", t.pos);
			break;
		}
	}
	if (rc || !or->nkids) {
		zhfts__qnode_free(or);
		return rc;
	}
	*out = simplify(or);
	return ZHFTS_OK;
}

int zhfts__query_parse(zquery *out, struct zhfts_tokenizer *t, const char *q, size_t len, zerr *err)
{
	memset(out, 0, sizeof *out);
	if (!q && len)
		return zerr_set(err, ZHFTS_EINVAL, "NULL query");
	if (len > ZHFTS_QUERY_MAX_BYTES)
		return zerr_set(err, ZHFTS_ELIMIT, "query of %zu bytes is over the %u byte limit", len,
		                ZHFTS_QUERY_MAX_BYTES);
	size_t bad = zhfts__utf8_check(q, len);
	if (bad != len)
		return zerr_set(err, ZHFTS_EQUERY, "query is not valid UTF-8 at byte %zu", bad);
	parser p = {.q = q ? q : "", .len = len, .t = t, .out = out, .err = err};
	int rc = parse_or(&p, 0, false, &out->root);
	qtok tk;
	if (rc == ZHFTS_OK && (rc = peek(&p, &tk)) == ZHFTS_OK && tk.type != T_END)
		rc = zerr_set(err, ZHFTS_EQUERY, "unexpected ')' at byte %zu", tk.pos);
	if (rc == ZHFTS_OK && !out->root)
		rc = zerr_set(err, ZHFTS_EQUERY, "the query has nothing to search for (only punctuation or spaces)");
	zhfts__units_free(&p.units);
	zbuf_free(&p.term);
	if (rc) {
		if (rc == ZHFTS_ENOMEM)
			zerr_set(err, rc, "out of memory parsing the query");
		zhfts__query_free(out);
	}
	return rc;
}

void zhfts__query_free(zquery *q)
{
	zhfts__qnode_free(q->root);
	for (size_t i = 0; i < q->nkw; i++)
		free(q->kw[i].units);
	free(q->kw);
	memset(q, 0, sizeof *q);
}
