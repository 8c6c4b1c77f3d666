/*
 * Query text -> syntax tree.  Only the syntax: what the words mean is
 * plan.c's business.
 *
 *   query   := or
 *   or      := and ("OR" and)*
 *   and     := unary (["AND"] unary)*
 *   unary   := ("NOT" | "-") primary | primary
 *   primary := "(" or ")" | "\"" phrase "\"" | filter | word
 *   filter  := NAME ":" (word | "\"" phrase "\"")
 *              NAME is [a-z][a-z0-9_]*: "section", "doc" or a field; a
 *              field's word may be LOW..HIGH, LOW.. or ..HIGH, and a doc
 *              word may end in "*" (a prefix)
 *
 * An AND node holds the positive items; negated items make it a NOT node
 * (kids[0] minus the rest).  Every node keeps its byte offset in the query.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include "zhfts-private.h"

typedef enum { T_END, T_WORD, T_PHRASE, T_LPAREN, T_RPAREN, T_OR, T_AND, T_NOT, T_MINUS, T_FILTER } ttype;

typedef struct qtok {
	ttype type;
	size_t pos;          /* byte offset of the token in the query */
	size_t start, len;   /* the text of a word or phrase; a filter's name */
} qtok;

typedef struct parser {
	const char *q;
	size_t len, pos;
	qtok tok;            /* the current token */
	bool have_tok;
	zerr *err;
	size_t items;
} parser;

static int syntax(parser *p, size_t at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int syntax(parser *p, size_t at, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return zerr_set_at(p->err, ZHFTS_EQUERY, ZHFTS_WHERE_QUERY, (long long)at, "%s", msg);
}

/* ---- the tree --------------------------------------------------------------- */

static qnode *node(enum qn_kind kind, size_t pos)
{
	qnode *n = calloc(1, sizeof *n);
	if (n) {
		n->kind = kind;
		n->pos = pos;
	}
	return n;
}

void zhfts__qnode_free(qnode *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nkids; i++)
		zhfts__qnode_free(n->kids[i]);
	free(n->kids);
	free(n);
}

/* Adds kid to n; on failure frees kid and returns ENOMEM. */
static int add_kid(qnode *n, qnode *kid)
{
	void *p = n->kids;
	if (!kid || zvec_grow(&p, &n->kidcap, n->nkids + 1, sizeof(qnode *))) {
		zhfts__qnode_free(kid);
		return ZHFTS_ENOMEM;
	}
	n->kids = p;
	n->kids[n->nkids++] = kid;
	return ZHFTS_OK;
}

/* Collapses an AND or OR with a single child into the child. */
static qnode *simplify(qnode *n)
{
	if (n && (n->kind == QN_AND || n->kind == QN_OR) && n->nkids == 1) {
		qnode *k = n->kids[0];
		n->nkids = 0;
		zhfts__qnode_free(n);
		return k;
	}
	return n;
}

/* ---- the lexer --------------------------------------------------------------- */

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
static bool is_space(UChar32 c) { return u_hasBinaryProperty(c, UCHAR_WHITE_SPACE); }
static bool is_sep(UChar32 c)
{
	return c == '(' || c == ')' || is_quote_open(c) || is_quote_close(c) || is_space(c);
}

/* The length of a filter name ([a-z][a-z0-9_]* then ':') at the start of w,
 * or 0. */
static size_t filter_name(const char *w, size_t wl)
{
	if (!wl || !(w[0] >= 'a' && w[0] <= 'z'))
		return 0;
	size_t i = 1;
	while (i < wl && ((w[i] >= 'a' && w[i] <= 'z') || (w[i] >= '0' && w[i] <= '9') || w[i] == '_'))
		i++;
	return i < wl && w[i] == ':' ? i : 0;
}

static int lex(parser *p)
{
	size_t n;
	while (p->pos < p->len && is_space(cp_at(p, p->pos, &n)))
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
		size_t i = p->pos + n, m = 0;
		while (i < p->len && !is_quote_close(cp_at(p, i, &m)))
			i += m;
		if (i >= p->len)
			return syntax(p, p->pos, "unclosed quote at byte %zu", p->pos);
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
	size_t wl = i - p->pos, fl;
	t->start = p->pos;
	t->len = wl;
	if (wl == 2 && !memcmp(w, "OR", 2)) {
		t->type = T_OR;
	} else if (wl == 3 && !memcmp(w, "AND", 3)) {
		t->type = T_AND;
	} else if (wl == 3 && !memcmp(w, "NOT", 3)) {
		t->type = T_NOT;
	} else if (w[0] == '-') {
		/* `-x`, `-(...)`, `-"..."`; a '-' alone excludes nothing. */
		if (wl == 1 && (i >= p->len || is_space(cp_at(p, i, &n))))
			return syntax(p, p->pos, "'-' at byte %zu has nothing after it", p->pos);
		t->type = T_MINUS;
		p->pos += 1;
		return ZHFTS_OK;
	} else if ((fl = filter_name(w, wl))) {
		t->type = T_FILTER;
		t->len = fl;
		p->pos += fl + 1;
		return ZHFTS_OK;
	} else {
		t->type = T_WORD;
	}
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

static const char *find_dots(const char *s, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++)
		if (s[i] == '.' && s[i + 1] == '.')
			return s + i;
	return NULL;
}

/* Items (words, phrases, filters) may be more than the terms they make
 * (plan.c counts those): a phrase of punctuation makes none. */
#define MAX_ITEMS (4 * ZHFTS_QUERY_MAX_TERMS)

static int too_many(parser *p, size_t at)
{
	if (++p->items > MAX_ITEMS)
		return zerr_set_at(p->err, ZHFTS_ELIMIT, ZHFTS_WHERE_QUERY, (long long)at,
		                   "query has more than %d items (at byte %zu)", MAX_ITEMS, at);
	return ZHFTS_OK;
}

/* NAME:VALUE after the name token t. */
static int parse_filter(parser *p, const qtok *t, qnode **out)
{
	/* The value is read as it is (a range may start with '-', a value may
	 * be a word the lexer would take for an operator): a quoted phrase, or
	 * everything up to white space, a parenthesis or a quote. */
	qtok u = {T_WORD, 0, 0, 0};
	size_t vpos = t->pos + t->len + 1, cl;
	const char *name = p->q + t->start;
	int rc;
	UChar32 c = vpos < p->len ? cp_at(p, vpos, &cl) : -1;
	if (c >= 0 && is_quote_open(c)) {
		if ((rc = peek(p, &u)))
			return rc;
		consume(p);
	} else {
		size_t i = vpos;
		while (i < p->len && !is_sep(cp_at(p, i, &cl)))
			i += cl;
		u.pos = u.start = vpos;
		u.len = i - vpos;
		p->pos = i;
		p->have_tok = false;
	}
	if (u.len == 0 && u.type == T_WORD)
		return syntax(p, t->pos, "'%.*s:' at byte %zu needs a value right after it", (int)t->len, name, t->pos);
	if ((rc = too_many(p, t->pos)))
		return rc;
	const char *v = p->q + u.start;
	size_t vl = u.len;
	qnode *n;
	if (t->len == 7 && !memcmp(name, "section", 7)) {
		n = node(QN_SECTION, t->pos);
	} else if (t->len == 3 && !memcmp(name, "doc", 3)) {
		n = node(QN_DOC, t->pos);
		if (n && u.type == T_WORD && vl && v[vl - 1] == '*') {
			n->prefix = true;
			vl--;
		}
		if (n && !vl && !n->prefix) {
			free(n);
			return syntax(p, t->pos, "'doc:' at byte %zu needs a document id", t->pos);
		}
	} else {
		n = node(QN_FIELD, t->pos);
		if (n) {
			n->name = name;
			n->name_len = t->len;
		}
		const char *dots = u.type == T_WORD ? find_dots(v, vl) : NULL;
		if (n && dots) {
			n->range = true;
			n->text2 = dots + 2;
			n->len2 = (size_t)(v + vl - n->text2);
			n->pos2 = u.start + (size_t)(n->text2 - v);
			vl = (size_t)(dots - v);
			if (!vl && !n->len2) {
				free(n);
				return syntax(p, vpos, "the range at byte %zu has neither end", vpos);
			}
			if (find_dots(n->text2, n->len2)) {
				free(n);
				return syntax(p, vpos, "the range at byte %zu has more than one '..'", vpos);
			}
		}
	}
	if (!n)
		return ZHFTS_ENOMEM;
	n->text = v;
	n->len = vl;
	n->quoted = u.type == T_PHRASE;
	*out = n;
	return ZHFTS_OK;
}

static int parse_or(parser *p, int depth, qnode **out);

static int parse_primary(parser *p, int depth, qnode **out)
{
	qtok t;
	int rc = peek(p, &t);
	*out = NULL;
	if (rc)
		return rc;
	switch (t.type) {
	case T_LPAREN: {
		if (depth >= ZHFTS_QUERY_MAX_DEPTH)
			return zerr_set_at(p->err, ZHFTS_ELIMIT, ZHFTS_WHERE_QUERY, (long long)t.pos,
			                   "parentheses nested deeper than %d at byte %zu", ZHFTS_QUERY_MAX_DEPTH, t.pos);
		consume(p);
		qtok u;
		if ((rc = peek(p, &u)))
			return rc;
		if (u.type == T_RPAREN)
			return syntax(p, t.pos, "empty parentheses at byte %zu", t.pos);
		rc = parse_or(p, depth + 1, out);
		if (rc == ZHFTS_OK && (rc = peek(p, &u)) == ZHFTS_OK && u.type != T_RPAREN)
			rc = syntax(p, t.pos, "'(' at byte %zu is never closed", t.pos);
		if (rc) {
			zhfts__qnode_free(*out);
			*out = NULL;
			return rc;
		}
		consume(p);
		return ZHFTS_OK;
	}
	case T_WORD:
	case T_PHRASE: {
		consume(p);
		if ((rc = too_many(p, t.pos)))
			return rc;
		qnode *n = node(QN_TEXT, t.pos);
		if (!n)
			return ZHFTS_ENOMEM;
		n->text = p->q + t.start;
		n->len = t.len;
		n->quoted = t.type == T_PHRASE;
		*out = n;
		return ZHFTS_OK;
	}
	case T_FILTER:
		consume(p);
		return parse_filter(p, &t, out);
	case T_END:
		return syntax(p, t.pos, "the query ends where a term was expected (byte %zu)", t.pos);
	case T_RPAREN:
		return syntax(p, t.pos, "unexpected ')' at byte %zu", t.pos);
	default:
		return syntax(p, t.pos, "'%.*s' at byte %zu needs a term after it", (int)(t.type == T_MINUS ? 1 : t.len),
		              p->q + t.pos, t.pos);
	}
}

static bool ends_and(ttype t)
{
	return t == T_END || t == T_RPAREN || t == T_OR || t == T_AND;
}

static int parse_and(parser *p, int depth, qnode **out)
{
	*out = NULL;
	qtok first;
	int rc = peek(p, &first);
	qnode *pos = node(QN_AND, first.pos), *neg = node(QN_NOT, first.pos);
	rc = rc ? rc : pos && neg ? ZHFTS_OK : ZHFTS_ENOMEM;
	size_t items = 0, neg_pos = 0;
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
			if (!items || ends_and(u.type))
				rc = syntax(p, t.pos, "AND at byte %zu needs a term on both sides", t.pos);
			continue;
		}
		bool not = t.type == T_NOT || t.type == T_MINUS;
		if (not) {
			consume(p);
			qtok u;
			if ((rc = peek(p, &u)))
				break;
			if (u.type == T_NOT || u.type == T_MINUS) {
				rc = syntax(p, t.pos, "'%s' at byte %zu is followed by another negation",
				            t.type == T_NOT ? "NOT" : "-", t.pos);
				break;
			}
			if (ends_and(u.type)) {
				rc = syntax(p, t.pos, "'%s' at byte %zu has nothing after it", t.type == T_NOT ? "NOT" : "-",
				            t.pos);
				break;
			}
		}
		qnode *n;
		rc = parse_primary(p, depth, &n);
		items++;
		if (rc == ZHFTS_OK && n) {
			if (not && neg->nkids == 0) {
				/* kids[0] of a NOT is the positive part, filled in below */
				rc = add_kid(neg, node(QN_AND, t.pos));
				neg_pos = t.pos;
			}
			rc = rc ? rc : add_kid(not ? neg : pos, n);
		}
	}
	if (rc == ZHFTS_OK && !pos->nkids && neg->nkids)
		rc = syntax(p, neg_pos, "the exclusion at byte %zu has nothing to exclude from: add a term to search for",
		            neg_pos);
	qnode *res = NULL;
	if (rc == ZHFTS_OK && pos->nkids) {
		res = simplify(pos);
		pos = NULL;
		if (neg->nkids) {
			zhfts__qnode_free(neg->kids[0]);
			neg->kids[0] = res;
			res = neg;
			neg = NULL;
		}
	}
	zhfts__qnode_free(pos);
	zhfts__qnode_free(neg);
	*out = res;
	return rc;
}

static int parse_or(parser *p, int depth, qnode **out)
{
	*out = NULL;
	qtok first;
	int rc = peek(p, &first);
	qnode *or = rc ? NULL : node(QN_OR, first.pos);
	if (rc == ZHFTS_OK && !or)
		rc = ZHFTS_ENOMEM;
	for (;;) {
		qtok t;
		if (rc || (rc = peek(p, &t)))
			break;
		if (t.type == T_OR) {
			rc = syntax(p, t.pos, "OR at byte %zu needs a term before it", t.pos);
			break;
		}
		qnode *n;
		rc = parse_and(p, depth, &n);
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
			rc = syntax(p, t.pos, "OR at byte %zu needs a term after it", t.pos);
			break;
		}
	}
	if (rc || !or || !or->nkids) {
		zhfts__qnode_free(or);
		return rc;
	}
	*out = simplify(or);
	return ZHFTS_OK;
}

int zhfts__parse(qnode **out, const char *q, size_t len, zerr *err)
{
	*out = NULL;
	if (!q && len)
		return zerr_set_at(err, ZHFTS_EINVAL, ZHFTS_WHERE_OPTION, -1, "NULL query");
	if (len > ZHFTS_QUERY_MAX_BYTES)
		return zerr_set_at(err, ZHFTS_ELIMIT, ZHFTS_WHERE_QUERY, -1, "query of %zu bytes is over the %u byte limit",
		                   len, ZHFTS_QUERY_MAX_BYTES);
	size_t bad = zhfts__utf8_check(q, len);
	if (bad != len)
		return zerr_set_at(err, ZHFTS_EQUERY, ZHFTS_WHERE_QUERY, (long long)bad,
		                   "query is not valid UTF-8 at byte %zu", bad);
	parser p = {.q = q ? q : "", .len = len, .err = err};
	int rc = parse_or(&p, 0, out);
	qtok tk;
	if (rc == ZHFTS_OK && (rc = peek(&p, &tk)) == ZHFTS_OK && tk.type != T_END)
		rc = syntax(&p, tk.pos, "unexpected ')' at byte %zu", tk.pos);
	if (rc == ZHFTS_OK && !*out)
		rc = zerr_set_at(err, ZHFTS_EQUERY, ZHFTS_WHERE_QUERY, 0,
		                 "the query has nothing to search for (only punctuation or spaces)");
	if (rc) {
		if (rc == ZHFTS_ENOMEM)
			zerr_set(err, rc, "out of memory parsing the query");
		zhfts__qnode_free(*out);
		*out = NULL;
	}
	return rc;
}
