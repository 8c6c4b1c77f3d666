/*
 * zhfts-bench-queries: benchmark queries with their expected answers.
 *
 *   zhfts-bench-queries CORPUS OUT.tsv [--seed N] [--per-class N]
 *
 * Queries are cut from random paragraphs (a fixed seed, our own PRNG, so every
 * machine gets the same file).  The expected paragraphs come from plain substring
 * search over normalized text, written here with ICU alone and sharing nothing with
 * libzhfts:
 *   normalized = Traditional-Simplified(NFKC_Casefold(paragraph))
 *   stripped   = normalized without punctuation, symbols, white space and controls
 *   Han query  q matches when stripped contains q
 *   Latin/digit query w matches when normalized contains w as a whole word by UAX #29
 *              (no letter, digit or connector run across either end)
 *
 * Output: one query per line, tab-separated: class, operator, term a, term b ("-" if
 * none), number of expected paragraphs, their base ids (comma-separated, ascending).
 */
#define _GNU_SOURCE /* memmem */
#include "common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/uscript.h>
#include <unicode/ustring.h>
#include <unicode/utrans.h>
#include <unicode/utf8.h>

typedef struct para_text {
	char *norm;     /* normalized, UTF-8 */
	size_t norm_len;
	char *strip;    /* normalized, letters/digits/marks only */
	size_t strip_len;
} para_text;

static const UNormalizer2 *nfkc_cf;
static UTransliterator *t2s;

static void icu_check(UErrorCode e, const char *what)
{
	if (U_FAILURE(e))
		bench_die("ICU: %s: %s", what, u_errorName(e));
}

static void oracle_init(void)
{
	UErrorCode e = U_ZERO_ERROR;
	nfkc_cf = unorm2_getNFKCCasefoldInstance(&e);
	icu_check(e, "NFKC_Casefold");
	UChar id[64];
	u_uastrcpy(id, "Traditional-Simplified");
	t2s = utrans_openU(id, -1, UTRANS_FORWARD, NULL, 0, NULL, &e);
	icu_check(e, "Traditional-Simplified transliterator");
}

static int kept(UChar32 c)
{
	int8_t t = u_charType(c);
	return (U_GC_L_MASK | U_GC_N_MASK | U_GC_M_MASK) & U_MASK(t);
}

/* Normalizes one paragraph; fills both forms. */
static void normalize(const char *s, size_t len, para_text *out)
{
	UErrorCode e = U_ZERO_ERROR;
	int32_t n16 = 0;
	u_strFromUTF8(NULL, 0, &n16, s, (int32_t)len, &e);
	e = U_ZERO_ERROR;
	UChar *in = bench_xmalloc(((size_t)n16 + 1) * sizeof(UChar));
	u_strFromUTF8(in, n16 + 1, NULL, s, (int32_t)len, &e);
	icu_check(e, "UTF-8 to UTF-16");
	/* NFKC_Casefold grows text at most ~18x (ligatures); leave room and retry if short */
	int32_t cap = n16 * 3 + 16;
	UChar *nf = bench_xmalloc((size_t)cap * sizeof(UChar));
	int32_t nlen = unorm2_normalize(nfkc_cf, in, n16, nf, cap, &e);
	if (e == U_BUFFER_OVERFLOW_ERROR) {
		e = U_ZERO_ERROR;
		cap = nlen + 16;
		nf = realloc(nf, (size_t)cap * sizeof(UChar));
		nlen = unorm2_normalize(nfkc_cf, in, n16, nf, cap, &e);
	}
	icu_check(e, "normalize");
	/* Traditional-Simplified maps characters one to one in practice; give it room anyway */
	int32_t tcap = nlen * 2 + 16, tlen = nlen, limit = nlen;
	nf = realloc(nf, (size_t)tcap * sizeof(UChar));
	utrans_transUChars(t2s, nf, &tlen, tcap, 0, &limit, &e);
	icu_check(e, "Traditional-Simplified");

	out->norm = bench_xmalloc((size_t)tlen * 3 + 1);
	out->strip = bench_xmalloc((size_t)tlen * 3 + 1);
	size_t a = 0, b = 0;
	for (int32_t i = 0; i < tlen;) {
		UChar32 c;
		U16_NEXT(nf, i, tlen, c);
		UBool err = 0;
		U8_APPEND((uint8_t *)out->norm, a, (size_t)tlen * 3, c, err);
		if (kept(c))
			U8_APPEND((uint8_t *)out->strip, b, (size_t)tlen * 3, c, err);
		(void)err;
	}
	out->norm[a] = 0;
	out->strip[b] = 0;
	out->norm_len = a;
	out->strip_len = b;
	free(in);
	free(nf);
}

static int is_han(UChar32 c)
{
	UErrorCode e = U_ZERO_ERROR;
	return uscript_getScript(c, &e) == USCRIPT_HAN;
}

/* ------------------------------------------------------------------ whole-word test (UAX #29, simplified) */

/* L letter, D digit, E connector (ExtendNumLet), m MidLetter, b MidNumLet, n MidNum,
 * I ideograph or other letter that never joins Latin, O anything else */
static char wb_class(UChar32 c)
{
	switch (c) {
	/* CLDR's root tailoring (what ICU uses for zh) drops ':' from MidLetter */
	case 0xB7: case 0x387: case 0x5F4: case 0x2027:
		return 'm';
	case '.': case '\'': case 0x2018: case 0x2019: case 0x2024: case 0xFE52: case 0xFF07: case 0xFF0E:
		return 'b';
	case ',': case ';': case 0x37E: case 0x589: case 0x60C: case 0x60D: case 0x66C: case 0x7F8:
	case 0x2044: case 0xFE10: case 0xFE14: case 0xFE50: case 0xFE54: case 0xFF0C: case 0xFF1B:
		return 'n';
	default: break;
	}
	/* ICU 72 (CLDR 42) joins '@' like '_': "@set", "a@b", "328@0" are single words */
	if (u_charType(c) == U_CONNECTOR_PUNCTUATION || c == '@')
		return 'E';
	if (u_isdigit(c))
		return 'D';
	if (u_hasBinaryProperty(c, UCHAR_ALPHABETIC)) {
		UErrorCode e = U_ZERO_ERROR;
		UScriptCode sc = uscript_getScript(c, &e);
		if (sc == USCRIPT_HAN || sc == USCRIPT_HIRAGANA || sc == USCRIPT_KATAKANA || sc == USCRIPT_THAI)
			return 'I';
		return 'L';
	}
	return 'O';
}

static char prev_class(const char *s, size_t *i)
{
	if (*i == 0)
		return 'O';
	int32_t k = (int32_t)*i;
	UChar32 c;
	U8_PREV((const uint8_t *)s, 0, k, c);
	*i = (size_t)k;
	return wb_class(c);
}

static char next_class(const char *s, size_t len, size_t *i)
{
	if (*i >= len)
		return 'O';
	int32_t k = (int32_t)*i;
	UChar32 c;
	U8_NEXT((const uint8_t *)s, k, (int32_t)len, c);
	*i = (size_t)k;
	return wb_class(c);
}

/* Would the word s[start, end) run into its neighbour at this side? */
static int joins(char neighbour, char beyond, char edge)
{
	if (neighbour == 'L' || neighbour == 'D' || neighbour == 'E')
		return 1;
	if ((neighbour == 'm' || neighbour == 'b') && beyond == 'L' && edge == 'L')
		return 1;
	if ((neighbour == 'n' || neighbour == 'b') && beyond == 'D' && edge == 'D')
		return 1;
	return 0;
}

static int whole_word_at(const char *s, size_t len, size_t start, size_t end)
{
	size_t i = start;
	char first = next_class(s, len, &i);
	i = end;
	char last = prev_class(s, &i);
	i = start;
	char p1 = prev_class(s, &i), p2 = prev_class(s, &i);
	i = end;
	char n1 = next_class(s, len, &i), n2 = next_class(s, len, &i);
	return !joins(p1, p2, first) && !joins(n1, n2, last);
}

static int has_word(const para_text *t, const char *w, size_t wlen)
{
	const char *p = t->norm, *end = t->norm + t->norm_len;
	while (p < end) {
		const char *hit = memmem(p, (size_t)(end - p), w, wlen);
		if (!hit)
			return 0;
		size_t at = (size_t)(hit - t->norm);
		if (whole_word_at(t->norm, t->norm_len, at, at + wlen))
			return 1;
		p = hit + 1;
	}
	return 0;
}

static int has_han(const para_text *t, const char *q)
{
	return memmem(t->strip, t->strip_len, q, strlen(q)) != NULL;
}

/* ------------------------------------------------------------------ generation */

static uint64_t rng_state;
static uint64_t rng(void) /* splitmix64 */
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}
static size_t rnd(size_t n) { return n ? (size_t)(rng() % n) : 0; }

static bench_corpus corpus;
static para_text *texts;

/* A random run of k Han characters from paragraph p's stripped text, or NULL. */
static char *han_cut(uint32_t p, size_t k)
{
	const char *s = texts[p].strip;
	size_t len = texts[p].strip_len;
	/* collect character starts that begin a run of k Han characters */
	size_t *starts = bench_xmalloc((len + 1) * sizeof *starts), nstarts = 0;
	size_t *cps = bench_xmalloc((len + 2) * sizeof *cps), ncp = 0;
	size_t run = 0;
	for (size_t i = 0; i < len;) {
		size_t at = i;
		UChar32 c;
		U8_NEXT((const uint8_t *)s, i, len, c);
		cps[ncp++] = at;
		run = is_han(c) ? run + 1 : 0;
		if (run >= k)
			starts[nstarts++] = ncp - k; /* index into cps */
	}
	cps[ncp] = len;
	char *out = NULL;
	if (nstarts) {
		size_t from = starts[rnd(nstarts)];
		size_t a = cps[from], b = cps[from + k];
		out = bench_xmalloc(b - a + 1);
		memcpy(out, s + a, b - a);
		out[b - a] = 0;
	}
	free(starts);
	free(cps);
	return out;
}

/* A random whole ASCII word (digits: want_digits) from paragraph p, or NULL. */
static char *word_cut(uint32_t p, int want_digits)
{
	const char *s = texts[p].norm;
	size_t len = texts[p].norm_len;
	size_t found[256], nfound = 0, flen[256];
	for (size_t i = 0; i < len && nfound < 256;) {
		if (!(s[i] >= 'a' && s[i] <= 'z') && !(s[i] >= '0' && s[i] <= '9')) {
			i++;
			continue;
		}
		size_t j = i;
		int letters = 0, digits = 0;
		while (j < len && ((s[j] >= 'a' && s[j] <= 'z') || (s[j] >= '0' && s[j] <= '9'))) {
			letters += s[j] >= 'a';
			digits += s[j] <= '9';
			j++;
		}
		size_t n = j - i;
		int ok = want_digits ? (letters == 0 && n <= 6) : (digits == 0 && n >= 3 && n <= 12);
		if (ok && whole_word_at(s, len, i, j)) {
			found[nfound] = i;
			flen[nfound++] = n;
		}
		i = j;
	}
	if (!nfound)
		return NULL;
	size_t k = rnd(nfound);
	char *w = bench_xmalloc(flen[k] + 1);
	memcpy(w, s + found[k], flen[k]);
	w[flen[k]] = 0;
	/* the query language's operators, however spelled, are not search words */
	if (!strcmp(w, "and") || !strcmp(w, "or") || !strcmp(w, "not") || !strncmp(w, "section", 7)) {
		free(w);
		return NULL;
	}
	return w;
}

typedef struct idlist {
	uint32_t *v;
	size_t n;
} idlist;

/* Paragraphs matching a term (Han or word). */
static idlist matching(const char *term, int word)
{
	idlist r = {bench_xmalloc(corpus.nparas * sizeof(uint32_t)), 0};
	size_t tl = strlen(term);
	for (uint32_t p = 0; p < corpus.nparas; p++)
		if (word ? has_word(&texts[p], term, tl) : has_han(&texts[p], term))
			r.v[r.n++] = p;
	return r;
}

static idlist combine(idlist a, idlist b, bench_op op)
{
	idlist r = {bench_xmalloc((a.n + b.n + 1) * sizeof(uint32_t)), 0};
	size_t i = 0, j = 0;
	while (i < a.n || j < b.n) {
		int take_a = j >= b.n || (i < a.n && a.v[i] < b.v[j]);
		int take_b = i >= a.n || (j < b.n && b.v[j] < a.v[i]);
		int both = !take_a && !take_b;
		uint32_t id = both || take_a ? a.v[i] : b.v[j];
		if ((op == OP_AND && both) || op == OP_OR || (op == OP_NOT && take_a))
			r.v[r.n++] = id;
		if (both || take_a)
			i++;
		if (both || take_b)
			j++;
	}
	return r;
}

static int contains_str(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}

typedef struct seen_set {
	char **v;
	size_t n, cap;
} seen_set;

static int seen_add(seen_set *s, const char *key)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], key))
			return 0;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->v = realloc(s->v, s->cap * sizeof *s->v);
	}
	s->v[s->n++] = bench_xstrdup(key);
	return 1;
}

static void emit(FILE *out, const char *cls, bench_op op, const char *a, const char *b, idlist ids)
{
	fprintf(out, "%s\t%s\t%s\t%s\t%zu\t", cls, bench_op_name(op), a, b ? b : "-", ids.n);
	for (size_t i = 0; i < ids.n; i++)
		fprintf(out, i ? ",%u" : "%u", ids.v[i]);
	fputc('\n', out);
}

/* The paragraphs of ids whose document passes a filter: year in [lo, hi], or
 * the district named. */
static idlist keep_fields(idlist ids, unsigned lo, unsigned hi, const char *district)
{
	idlist r = {bench_xmalloc((ids.n + 1) * sizeof(uint32_t)), 0};
	for (size_t i = 0; i < ids.n; i++) {
		unsigned y;
		const char *d;
		bench_doc_fields(&corpus, corpus.para_file[ids.v[i]], &y, &d);
		if (district ? !strcmp(d, district) : y >= lo && y <= hi)
			r.v[r.n++] = ids.v[i];
	}
	free(ids.v);
	return r;
}

/* A field query (filter, sort, facet) on a Han run of 1-2 characters from p. */
static int make_field_query(FILE *out, const char *cls, uint32_t p, seen_set *seen)
{
	bench_op op = cls[1] == 'i' ? OP_FILTER : cls[1] == 'o' ? OP_SORT : OP_FACET;
	char *a = han_cut(p, op == OP_FILTER ? 2 : 1 + rnd(2)), b[64];
	if (!a)
		return 0;
	unsigned y;
	const char *d;
	bench_doc_fields(&corpus, corpus.para_file[p], &y, &d);
	unsigned lo = 0, hi = 0, kind = (unsigned)rnd(3);
	if (op == OP_SORT)
		snprintf(b, sizeof b, "-year");
	else if (op == OP_FACET)
		snprintf(b, sizeof b, "year");
	else if (kind == 0)
		snprintf(b, sizeof b, "year:%u", lo = hi = y);
	else if (kind == 1)
		snprintf(b, sizeof b, "year:%u..%u", lo = y > BENCH_YEAR_FIRST ? y - 1 : y, hi = y + 1);
	else
		snprintf(b, sizeof b, "district:%s", d);
	char key[512];
	snprintf(key, sizeof key, "%s|%s|%s", cls, a, b);
	int ok = 0;
	if (seen_add(seen, key)) {
		idlist ids = matching(a, 0);
		if (op == OP_FILTER)
			ids = keep_fields(ids, lo, hi, kind == 2 ? d : NULL);
		if (ids.n > 0) {
			emit(out, cls, op, a, b, ids);
			ok = 1;
		}
		free(ids.v);
	}
	free(a);
	return ok;
}

/* Makes one query of the class; returns 1 if it was written. */
static int make_query(FILE *out, const char *cls, seen_set *seen)
{
	uint32_t p = (uint32_t)rnd(corpus.nparas);
	char *a = NULL, *b = NULL;
	bench_op op;
	idlist ids = {NULL, 0};
	int word = 0;
	if (!strcmp(cls, "filter") || !strcmp(cls, "sort") || !strcmp(cls, "facet"))
		return make_field_query(out, cls, p, seen);
	if (!strcmp(cls, "han1") || !strcmp(cls, "han2") || !strcmp(cls, "phrase") || !strcmp(cls, "long")) {
		size_t k = cls[3] == '1' ? 1 : cls[3] == '2' ? 2 : cls[0] == 'p' ? 3 + rnd(4) : 8 + rnd(7);
		op = cls[0] == 'h' ? OP_TERM : cls[0] == 'p' ? OP_PHRASE : OP_LONG;
		a = han_cut(p, k);
	} else if (!strcmp(cls, "latin") || !strcmp(cls, "digit")) {
		op = OP_WORD;
		word = 1;
		a = word_cut(p, cls[0] == 'd');
	} else {
		op = !strcmp(cls, "and") ? OP_AND : !strcmp(cls, "or") ? OP_OR : OP_NOT;
		a = han_cut(p, 2 + rnd(2));
		if (a && op == OP_AND) {
			b = han_cut(p, 2 + rnd(2));
		} else if (a && op == OP_OR) {
			b = han_cut((uint32_t)rnd(corpus.nparas), 2 + rnd(2));
		} else if (a) {
			/* exclude a word that some paragraphs holding a also hold, but p does not */
			idlist with_a = matching(a, 0);
			for (int tries = 0; tries < 20 && !b && with_a.n > 1; tries++) {
				uint32_t q = with_a.v[rnd(with_a.n)];
				if (q == p)
					continue;
				b = han_cut(q, 2);
				if (b && has_han(&texts[p], b)) {
					free(b);
					b = NULL;
				}
			}
			free(with_a.v);
		}
		if (b && (contains_str(a, b) || contains_str(b, a))) {
			free(b);
			b = NULL; /* "科学 科学城" says little; draw again */
		}
		if (!b) {
			free(a);
			a = NULL;
		}
	}
	int ok = 0;
	if (a) {
		char key[512];
		snprintf(key, sizeof key, "%s|%s|%s", cls, a, b ? b : "");
		if (seen_add(seen, key)) {
			idlist ia = matching(a, word);
			if (b) {
				idlist ib = matching(b, 0);
				ids = combine(ia, ib, op);
				free(ia.v);
				free(ib.v);
			} else {
				ids = ia;
			}
			if (ids.n > 0) {
				emit(out, cls, op, a, b, ids);
				ok = 1;
			}
			free(ids.v);
		}
	}
	free(a);
	free(b);
	return ok;
}

int main(int argc, char **argv)
{
	const char *root = NULL, *outpath = NULL;
	unsigned long seed = 20261126, per_class = 40;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--per-class") && i + 1 < argc)
			per_class = strtoul(argv[++i], NULL, 10);
		else if (!root)
			root = argv[i];
		else if (!outpath)
			outpath = argv[i];
		else
			bench_die("usage: zhfts-bench-queries CORPUS OUT.tsv [--seed N] [--per-class N]");
	}
	if (!root || !outpath)
		bench_die("usage: zhfts-bench-queries CORPUS OUT.tsv [--seed N] [--per-class N]");
	rng_state = seed;
	oracle_init();
	bench_corpus_load(&corpus, root, 1);
	texts = bench_xmalloc(corpus.nparas * sizeof *texts);
	for (uint32_t p = 0; p < corpus.nparas; p++) {
		const bench_file *f = &corpus.files[corpus.para_file[p]];
		normalize(f->data + corpus.para_off[p], corpus.para_len[p], &texts[p]);
	}
	FILE *out = fopen(outpath, "w");
	if (!out)
		bench_die("%s: cannot write", outpath);
	fprintf(out, "# class\top\ta\tb\tn\texpected base paragraph ids (seed %lu, %u paragraphs)\n",
	        seed, corpus.nparas);
	static const char *const classes[] = {"han1", "han2",  "phrase", "and",    "or",   "not",
	                                      "long", "latin", "digit",  "filter", "sort", "facet"};
	seen_set seen = {0};
	for (size_t c = 0; c < sizeof classes / sizeof *classes; c++) {
		unsigned long made = 0, attempts = 0;
		while (made < per_class && attempts < per_class * 200)
			made += (unsigned long)make_query(out, classes[c], &seen), attempts++;
		if (made < per_class)
			fprintf(stderr, "zhfts-bench-queries: only %lu %s queries found\n", made, classes[c]);
	}
	if (fclose(out) != 0)
		bench_die("%s: write failed", outpath);
	for (size_t i = 0; i < seen.n; i++)
		free(seen.v[i]);
	free(seen.v);
	for (uint32_t p = 0; p < corpus.nparas; p++) {
		free(texts[p].norm);
		free(texts[p].strip);
	}
	free(texts);
	bench_corpus_free(&corpus);
	utrans_close(t2s);
	return 0;
}
