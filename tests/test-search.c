/*
 * Index and search end to end, measured against the oracle: for many
 * generated queries the set of paragraphs the index returns must equal the
 * set that plain substring search over normalized text finds (recall and
 * precision both 100%).  Also ranking, spans, snippets, paging and totals.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "oracle.h"
#include "testutil.h"

#define NDOCS 30

static zhfts_db *db;
static oracle *orc;

typedef struct para {
	char *doc;
	uint32_t number;
	char *text;
	char *units;   /* oracle units of text */
	char *section_units;
} para;

static para *paras;
static size_t nparas;

/* ---- a generated corpus ----------------------------------------------------- */

static uint64_t rng = 0x2545f4914f6cdd1dull;
static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static const char *const words[] = {
	"科学城", "科学", "城北", "中关村", "建设", "发展", "创新", "海淀", "十九大", "大和",
	"人工智能", "芯片", "产业", "园区", "治理", "民生", "教育", "医疗", "生态", "绿色",
	"交通", "改革", "开放", "服务", "企业", "人才", "研发", "平台", "数字", "经济",
	"學", "科學城", "發展", "創新", "產業", "經濟", "開放", "醫療", "數字", "關",
	"的", "了", "和", "在", "是", "推进", "加快", "持续", "全面", "深化",
	"新区", "北区", "计算", "中心", "高质量", "城市", "乡村", "振兴", "文化", "体育",
};
static const char *const latin[] = {
	"RISC-V", "RISC-Ⅴ", "5G", "５Ｇ", "AI", "ＡＩ", "e", "IoT", "Xapian", "iPhone",
	"2026", "２０２６", "1.2", "3.14", "100", "GDP", "don't", "ICU", "risc", "V",
};
static const char *const punct[] = {"，", "。", "、", "；", "“", "”", "（", "）", " ", "：", "——", "\n"};

static void gen_paragraph(char *buf, size_t cap)
{
	size_t n = 0;
	unsigned len = 3 + rnd(25);
	buf[0] = '\0';
	for (unsigned i = 0; i < len; i++) {
		const char *w;
		unsigned r = rnd(10);
		if (r < 7)
			w = words[rnd(sizeof words / sizeof *words)];
		else if (r < 9)
			w = latin[rnd(sizeof latin / sizeof *latin)];
		else
			w = punct[rnd(sizeof punct / sizeof *punct)];
		/* Latin words need a space from their neighbours to stay whole. */
		bool space = r >= 7 && r < 9;
		size_t wl = strlen(w);
		if (n + wl + 3 >= cap)
			break;
		if (space && n)
			buf[n++] = ' ';
		memcpy(buf + n, w, wl);
		n += wl;
		if (space)
			buf[n++] = ' ';
		if (n > 1 && buf[n - 1] == '\n' && buf[n - 2] == '\n')
			n--;
	}
	/* No line may be blank inside a paragraph. */
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	memcpy(buf + n, "。", 3);
	buf[n + 3] = '\0';
}

static char *gen_document(unsigned d)
{
	size_t cap = 64 * 1024, n = 0;
	char *doc = malloc(cap);
	unsigned np = 5 + rnd(20);
	for (unsigned i = 0; i < np; i++) {
		char p[2048];
		if (i == 0 || rnd(6) == 0)
			snprintf(p, sizeof p, "%s %u", rnd(2) ? "任务" : "亮点", 1 + rnd(5));
		else
			gen_paragraph(p, sizeof p);
		n += (size_t)snprintf(doc + n, cap - n, "%s\n\n", p);
	}
	(void)d;
	return doc;
}

static int load_paragraphs(const char *id)
{
	zhfts_results *r;
	if (zhfts_db_get_document(db, id, &r)) {
		fprintf(stderr, "%s: %s\n", id, zhfts_db_errmsg(db));
		return 1;
	}
	for (size_t i = 0; i < zhfts_results_count(r); i++) {
		const zhfts_hit *h = zhfts_results_hit(r, i);
		paras = realloc(paras, (nparas + 1) * sizeof *paras);
		para *p = &paras[nparas++];
		p->doc = strdup(h->doc);
		p->number = h->para;
		p->text = strdup(h->text);
		p->units = oracle_units(orc, h->text, h->text_len);
		p->section_units = oracle_units(orc, h->section, strlen(h->section));
	}
	zhfts_results_free(r);
	return 0;
}

static int setup(void)
{
	orc = oracle_new(true);
	char *err = NULL;
	if (zhfts_db_open(&db, NULL, ZHFTS_OPEN_INMEMORY, NULL, &err)) {
		fprintf(stderr, "open: %s\n", err);
		return 1;
	}
	size_t len;
	char *sample = tu_sample(&len);
	if (zhfts_db_add_document(db, "sample", sample, len, NULL, NULL))
		return 1;
	free(sample);
	if (load_paragraphs("sample"))
		return 1;
	for (unsigned d = 0; d < NDOCS; d++) {
		char id[32];
		snprintf(id, sizeof id, "gen/%02u.txt", d);
		char *doc = gen_document(d);
		if (zhfts_db_add_document(db, id, doc, strlen(doc), NULL, NULL)) {
			fprintf(stderr, "add %s: %s\n", id, zhfts_db_errmsg(db));
			return 1;
		}
		free(doc);
		if (load_paragraphs(id))
			return 1;
	}
	return 0;
}

static int teardown(void)
{
	for (size_t i = 0; i < nparas; i++) {
		free(paras[i].doc);
		free(paras[i].text);
		free(paras[i].units);
		free(paras[i].section_units);
	}
	free(paras);
	oracle_free(orc);
	return zhfts_db_close(db);
}

/* ---- comparing result sets ------------------------------------------------------ */

static size_t find_para(const char *doc, uint32_t number)
{
	for (size_t i = 0; i < nparas; i++)
		if (paras[i].number == number && !strcmp(paras[i].doc, doc))
			return i;
	return SIZE_MAX;
}

/* Runs a query for every hit; fills got[] (one flag per paragraph). */
static int search_all(const char *q, bool *got, zhfts_results **keep)
{
	zhfts_search_options o = ZHFTS_SEARCH_OPTIONS_INIT;
	o.limit = SIZE_MAX;
	zhfts_results *r;
	int rc = zhfts_db_search(db, q, strlen(q), &o, &r);
	if (rc)
		return rc;
	memset(got, 0, nparas * sizeof *got);
	for (size_t i = 0; i < zhfts_results_count(r); i++) {
		const zhfts_hit *h = zhfts_results_hit(r, i);
		size_t k = find_para(h->doc, h->para);
		CU_ASSERT_FATAL(k != SIZE_MAX);
		CU_ASSERT(!got[k]); /* no paragraph twice */
		got[k] = true;
	}
	if (keep)
		*keep = r;
	else
		zhfts_results_free(r);
	return 0;
}

typedef struct tally {
	size_t queries, expected, returned, correct;
} tally;

static void compare(const char *q, const bool *want, tally *t)
{
	bool *got = calloc(nparas, sizeof *got);
	int rc = search_all(q, got, NULL);
	if (rc)
		fprintf(stderr, "\nquery %s: %s\n", q, zhfts_db_errmsg(db));
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	t->queries++;
	size_t miss = 0, extra = 0;
	for (size_t i = 0; i < nparas; i++) {
		t->expected += want[i];
		t->returned += got[i];
		t->correct += want[i] && got[i];
		miss += want[i] && !got[i];
		extra += got[i] && !want[i];
	}
	if (miss || extra)
		fprintf(stderr, "\nquery %s: %zu missed, %zu extra\n", q, miss, extra);
	CU_ASSERT(miss == 0 && extra == 0);
	free(got);
}

static void report(const char *what, const tally *t)
{
	printf("\n  %s: %zu queries, %zu expected hits, recall %.4f, precision %.4f ", what, t->queries,
	       t->expected, t->expected ? (double)t->correct / (double)t->expected : 1.0,
	       t->returned ? (double)t->correct / (double)t->returned : 1.0);
	CU_ASSERT(t->correct == t->expected && t->correct == t->returned);
}

/* A query text for units [a, b) of a unit string: Han units back to back,
 * others with a space on each side. */
static bool cut_query(const char *units, size_t a, size_t b, char *out, size_t cap)
{
	size_t n = 0, idx = 0;
	const char *p = units + 1;
	bool prev_latin = false;
	out[0] = '\0';
	while (*p) {
		const char *e = strchr(p, '\x1f');
		size_t l = (size_t)(e - p);
		if (idx >= a && idx < b) {
			bool is_latin = (unsigned char)p[0] < 0x80;
			if ((is_latin || prev_latin) && n && n + 1 < cap)
				out[n++] = ' ';
			if (n + l + 1 >= cap)
				return false;
			memcpy(out + n, p, l);
			n += l;
			prev_latin = is_latin;
		}
		idx++;
		p = e + 1;
	}
	out[n] = '\0';
	return idx >= b && n > 0;
}

static size_t count_units(const char *units)
{
	size_t n = 0;
	for (const char *p = units + 1; *p; p++)
		n += *p == '\x1f';
	return n;
}

/* A random run of 1..maxlen units from a random paragraph. */
static bool random_phrase(char *out, size_t cap, unsigned maxlen)
{
	for (int tries = 0; tries < 50; tries++) {
		const para *p = &paras[rnd((unsigned)nparas)];
		size_t n = count_units(p->units);
		if (!n)
			continue;
		size_t len = 1 + rnd(maxlen);
		if (len > n)
			len = n;
		size_t a = rnd((unsigned)(n - len + 1));
		if (cut_query(p->units, a, a + len, out, cap))
			return true;
	}
	return false;
}

static void want_phrase(const char *phrase, bool *want)
{
	char *q = oracle_units(orc, phrase, strlen(phrase));
	for (size_t i = 0; i < nparas; i++)
		want[i] = q[1] && strstr(paras[i].units, q);
	free(q);
}

/* ---- the tests ------------------------------------------------------------------- */

static void test_phrases(void)
{
	tally t = {0};
	bool *want = calloc(nparas, sizeof *want);
	for (unsigned len = 1; len <= 6; len++) {
		for (int i = 0; i < 80; i++) {
			char ph[256], q[300];
			CU_ASSERT_FATAL(random_phrase(ph, sizeof ph, len));
			snprintf(q, sizeof q, "\"%s\"", ph);
			want_phrase(ph, want);
			compare(q, want, &t);
		}
	}
	report("phrases of 1-6 units", &t);
	free(want);
}

static void test_variant_forms(void)
{
	/* Traditional, full-width and upper-case forms find what the plain form finds. */
	tally t = {0};
	bool *want = calloc(nparas, sizeof *want);
	for (int i = 0; i < 120; i++) {
		char ph[256], q[600];
		CU_ASSERT_FATAL(random_phrase(ph, sizeof ph, 4));
		want_phrase(ph, want);
		char *variant;
		if (i % 3 == 0) {
			variant = oracle_transform("Simplified-Traditional", ph);
		} else if (i % 3 == 1) {
			variant = oracle_transform("Halfwidth-Fullwidth", ph);
		} else {
			variant = oracle_transform("Upper", ph);
		}
		snprintf(q, sizeof q, "\"%s\"", variant);
		compare(q, want, &t);
		free(variant);
	}
	report("Traditional, full-width and upper-case variants", &t);
	free(want);
}

static void test_absent_and_latin(void)
{
	tally t = {0};
	bool *want = calloc(nparas, sizeof *want);
	static const char *const qs[] = {
		"risc", "isc", "RISC-V", "risc v", "5g", "５Ｇ", "ai", "1.2", "1", "2", "3.14",
		"don't", "xapian", "iphone", "IPHONE", "e", "2026", "gdp", "ICU", "v", "AI计算",
		"科学", "学", "科學城北", "城北", "十九大", "大和", "海", "淀", "关村", "中关村科学城",
		"建设发展", "不存在的词", "量子", "城市乡村",
	};
	for (size_t i = 0; i < sizeof qs / sizeof *qs; i++) {
		char q[128];
		snprintf(q, sizeof q, "\"%s\"", qs[i]);
		want_phrase(qs[i], want);
		compare(q, want, &t);
	}
	/* Random runs of characters, most of them found nowhere. */
	for (int i = 0; i < 100; i++) {
		char ph[64], q[80];
		const char *a = words[rnd(sizeof words / sizeof *words)], *b = words[rnd(sizeof words / sizeof *words)];
		snprintf(ph, sizeof ph, "%s%s", a, b);
		snprintf(q, sizeof q, "\"%s\"", ph);
		want_phrase(ph, want);
		compare(q, want, &t);
	}
	report("Latin, digits and absent phrases", &t);
	free(want);
}

static void test_boolean(void)
{
	tally t = {0};
	bool *want = calloc(nparas, sizeof *want), *wa = calloc(nparas, 1), *wb = calloc(nparas, 1);
	for (int i = 0; i < 150; i++) {
		char a[128], b[128], q[400];
		CU_ASSERT_FATAL(random_phrase(a, sizeof a, 3));
		CU_ASSERT_FATAL(random_phrase(b, sizeof b, 3));
		want_phrase(a, wa);
		want_phrase(b, wb);
		int op = i % 4;
		const char *fmt = op == 0 ? "\"%s\" \"%s\"" : op == 1 ? "\"%s\" OR \"%s\""
		                : op == 2 ? "\"%s\" -\"%s\"" : "(\"%s\" OR \"%s\") AND NOT \"学\"";
		snprintf(q, sizeof q, fmt, a, b);
		bool *wx = calloc(nparas, 1);
		if (op == 3)
			want_phrase("学", wx);
		for (size_t k = 0; k < nparas; k++)
			want[k] = op == 0 ? wa[k] && wb[k] : op == 1 ? wa[k] || wb[k]
			        : op == 2 ? wa[k] && !wb[k] : (wa[k] || wb[k]) && !wx[k];
		free(wx);
		compare(q, want, &t);
	}
	report("AND, OR, NOT", &t);
	free(want);
	free(wa);
	free(wb);
}

static void test_section_filter(void)
{
	tally t = {0};
	bool *want = calloc(nparas, sizeof *want), *wa = calloc(nparas, 1);
	static const char *const secs[] = {"任务", "亮点 2", "任务 3", "回顾", "科技创新", "不存在"};
	for (size_t s = 0; s < sizeof secs / sizeof *secs; s++) {
		for (int i = 0; i < 10; i++) {
			char a[128], q[300];
			CU_ASSERT_FATAL(random_phrase(a, sizeof a, 2));
			want_phrase(a, wa);
			char *su = oracle_units(orc, secs[s], strlen(secs[s]));
			for (size_t k = 0; k < nparas; k++)
				want[k] = wa[k] && strstr(paras[k].section_units, su);
			free(su);
			snprintf(q, sizeof q, "\"%s\" section:\"%s\"", a, secs[s]);
			compare(q, want, &t);
		}
	}
	report("section filter", &t);
	free(want);
	free(wa);
}

typedef struct toks {
	char *units[64];
	size_t n;
} toks;

static int grab(void *ctx, const zhfts_token *tok)
{
	toks *t = ctx;
	if (t->n < 64)
		t->units[t->n++] = strndup(tok->text, tok->text_len);
	return 0;
}

static void test_unspaced_runs(void)
{
	/* An unspaced run is split into keywords: every paragraph holding the
	 * whole run is found and ranks first; every hit holds each ICU token. */
	zhfts_tokenizer *tk;
	CU_ASSERT_FATAL(zhfts_tokenizer_new(&tk, NULL) == 0);
	bool *whole = calloc(nparas, 1), *got = calloc(nparas, 1), *tokw = calloc(nparas, 1);
	static const char *const qs[] = {"中关村科学城建设", "科学城北区", "人工智能芯片产业", "数字经济发展",
	                                 "绿色生态城市", "AI计算中心", "教育医疗民生"};
	for (size_t i = 0; i < sizeof qs / sizeof *qs; i++) {
		zhfts_results *r;
		want_phrase(qs[i], whole);
		CU_ASSERT_FATAL(search_all(qs[i], got, &r) == 0);
		toks t = {0};
		CU_ASSERT(zhfts_tokenize(tk, qs[i], strlen(qs[i]), grab, &t) == 0);
		for (size_t k = 0; k < nparas; k++) {
			if (whole[k])
				CU_ASSERT(got[k]);
			if (!got[k])
				continue;
			for (size_t j = 0; j < t.n; j++)
				CU_ASSERT(oracle_contains(orc, paras[k].units, t.units[j], strlen(t.units[j])));
		}
		bool seen_partial = false;
		for (size_t h = 0; h < zhfts_results_count(r); h++) {
			const zhfts_hit *hit = zhfts_results_hit(r, h);
			bool w = whole[find_para(hit->doc, hit->para)];
			if (w)
				CU_ASSERT(!seen_partial); /* no whole-run hit after a partial one */
			seen_partial = seen_partial || !w;
			/* The tier says it: 2 for the whole run, 1 for its keywords. */
			CU_ASSERT_EQUAL(hit->tier, w ? 2 : 1);
		}
		for (size_t j = 0; j < t.n; j++)
			free(t.units[j]);
		zhfts_results_free(r);
	}
	free(whole);
	free(got);
	free(tokw);
	zhfts_tokenizer_free(tk);
}

static bool utf8_boundary(const char *s, size_t i)
{
	return ((unsigned char)s[i] & 0xc0) != 0x80;
}

static void test_spans_and_snippets(void)
{
	for (int i = 0; i < 100; i++) {
		char ph[128], q[200];
		CU_ASSERT_FATAL(random_phrase(ph, sizeof ph, 4));
		snprintf(q, sizeof q, "\"%s\"", ph);
		zhfts_search_options o = ZHFTS_SEARCH_OPTIONS_INIT;
		o.limit = 20;
		o.mark_open = "<<";
		o.mark_close = ">>";
		zhfts_results *r;
		CU_ASSERT_FATAL(zhfts_db_search(db, q, strlen(q), &o, &r) == 0);
		char *qu = oracle_units(orc, ph, strlen(ph));
		for (size_t h = 0; h < zhfts_results_count(r); h++) {
			const zhfts_hit *hit = zhfts_results_hit(r, h);
			CU_ASSERT(hit->nspans >= 1);
			size_t prev_end = 0;
			for (size_t s = 0; s < hit->nspans; s++) {
				zhfts_span sp = hit->spans[s];
				CU_ASSERT(sp.offset >= prev_end && sp.offset + sp.length <= hit->text_len);
				CU_ASSERT(utf8_boundary(hit->text, sp.offset));
				CU_ASSERT(sp.offset + sp.length == hit->text_len ||
				          utf8_boundary(hit->text, sp.offset + sp.length));
				/* The span's own text holds the phrase. */
				char *su = oracle_units(orc, hit->text + sp.offset, sp.length);
				CU_ASSERT(strstr(su, qu) != NULL);
				free(su);
				prev_end = sp.offset + sp.length;
			}
			/* The first marked part of the snippet holds the phrase too. */
			const char *a = strstr(hit->snippet, "<<"), *b = a ? strstr(a, ">>") : NULL;
			CU_ASSERT_FATAL(a && b);
			char *mu = oracle_units(orc, a + 2, (size_t)(b - a - 2));
			CU_ASSERT(strstr(mu, qu) != NULL);
			free(mu);
		}
		free(qu);
		zhfts_results_free(r);
	}
}

static void test_paging_and_totals(void)
{
	/* Runs of three or more units are checked against the text after Xapian
	 * finds their pairs: paging and counts must not see the difference. */
	static const char *const qs[] = {"\"学\"", "\"发展\"", "\"的\" OR \"科学\"", "\"城\"",
	                                 "\"科学城\"", "发展 -\"科学城\"", "\"中关村\" OR \"高质量\"",
	                                 "科学城建设"};
	for (size_t i = 0; i < sizeof qs / sizeof *qs; i++) {
		zhfts_search_options o = ZHFTS_SEARCH_OPTIONS_INIT;
		o.limit = SIZE_MAX;
		zhfts_results *all;
		CU_ASSERT_FATAL(zhfts_db_search(db, qs[i], strlen(qs[i]), &o, &all) == 0);
		size_t n = zhfts_results_count(all);
		CU_ASSERT(n > 7);
		uint64_t est, lo, hi;
		o.limit = 7;
		zhfts_results *top;
		CU_ASSERT_FATAL(zhfts_db_search(db, qs[i], strlen(qs[i]), &o, &top) == 0);
		zhfts_results_total(top, &est, &lo, &hi);
		CU_ASSERT(lo <= n && n <= hi && lo <= est && est <= hi);
		zhfts_results_free(top);
		o.flags = ZHFTS_SEARCH_EXACT_COUNT;
		for (size_t off = 0; off < n + 7; off += 7) {
			o.offset = off;
			zhfts_results *page;
			CU_ASSERT_FATAL(zhfts_db_search(db, qs[i], strlen(qs[i]), &o, &page) == 0);
			zhfts_results_total(page, &est, &lo, &hi);
			CU_ASSERT(est == n && lo == n && hi == n);
			size_t want = off >= n ? 0 : (n - off < 7 ? n - off : 7);
			CU_ASSERT_EQUAL(zhfts_results_count(page), want);
			for (size_t k = 0; k < zhfts_results_count(page); k++) {
				const zhfts_hit *p = zhfts_results_hit(page, k), *a = zhfts_results_hit(all, off + k);
				CU_ASSERT(p->rank == off + k + 1);
				CU_ASSERT(!strcmp(p->doc, a->doc) && p->para == a->para);
			}
			zhfts_results_free(page);
		}
		/* Without snippets: the same hits, no spans, empty snippets. */
		o.offset = 0;
		o.limit = SIZE_MAX;
		o.flags = ZHFTS_SEARCH_NO_SNIPPETS;
		zhfts_results *bare;
		CU_ASSERT_FATAL(zhfts_db_search(db, qs[i], strlen(qs[i]), &o, &bare) == 0);
		CU_ASSERT_EQUAL(zhfts_results_count(bare), n);
		for (size_t k = 0; k < zhfts_results_count(bare); k++) {
			const zhfts_hit *p = zhfts_results_hit(bare, k), *a = zhfts_results_hit(all, k);
			CU_ASSERT(!strcmp(p->doc, a->doc) && p->para == a->para && p->nspans == 0 && !strcmp(p->snippet, ""));
		}
		zhfts_results_free(bare);
		/* Ordered by (tier, score), then document order: scores never
		 * increase down the list within a tier. */
		for (size_t k = 1; k < n; k++) {
			const zhfts_hit *a = zhfts_results_hit(all, k - 1), *b = zhfts_results_hit(all, k);
			CU_ASSERT(b->tier <= a->tier);
			if (b->tier == a->tier)
				CU_ASSERT(b->score <= a->score);
			if (b->tier == a->tier && b->score == a->score) {
				int c = strcmp(a->doc, b->doc);
				CU_ASSERT(c < 0 || (c == 0 && a->para < b->para));
			}
		}
		zhfts_results_free(all);
	}
}

static void test_offsets_point_into_source(void)
{
	size_t len;
	char *sample = tu_sample(&len);
	for (size_t i = 0; i < nparas; i++) {
		if (strcmp(paras[i].doc, "sample"))
			continue;
		zhfts_results *r;
		TU_OK(db, zhfts_db_get_document(db, "sample", &r));
		for (size_t k = 0; k < zhfts_results_count(r); k++) {
			const zhfts_hit *h = zhfts_results_hit(r, k);
			CU_ASSERT(h->offset + h->length <= len);
			CU_ASSERT(h->length == h->text_len && !memcmp(sample + h->offset, h->text, h->text_len));
			CU_ASSERT(h->para == k + 1);
		}
		zhfts_results_free(r);
		break;
	}
	free(sample);
}

/* Scores are BM25's (k1 1.2, b 0.75, paragraph length in units against a
 * fixed 64, Xapian's idf), computed here from the oracle's units: each
 * within what rounding tf/L to 1/30 can move it (BM25's slope in tf/L is at
 * most idf (k1 + 1) / k1). */
static size_t occurrences(const char *units, const char *u)
{
	char pat[64];
	snprintf(pat, sizeof pat, "\x1f%s\x1f", u);
	size_t n = 0, pl = strlen(pat);
	for (const char *p = units; (p = strstr(p, pat)); p += pl - 1)
		n++;
	return n;
}

static void test_scores_are_bm25(void)
{
	const double k1 = 1.2, b = 0.75, avg = 64.0, step = 1.0 / 30;
	size_t checked = 0;
	for (unsigned q = 0; q < 40; q++) {
		/* a Han unit of a random paragraph */
		const para *src = &paras[rnd((unsigned)nparas)];
		const char *u = src->units + 1;
		size_t nu = count_units(src->units);
		for (unsigned skip = nu ? rnd((unsigned)nu) : 0; skip && strchr(u, '\x1f'); skip--)
			u = strchr(u, '\x1f') + 1;
		char unit[16];
		size_t ul = strcspn(u, "\x1f");
		if (ul != 3 || (unsigned char)u[0] < 0xe4 || (unsigned char)u[0] > 0xe9)
			continue;
		memcpy(unit, u, ul);
		unit[ul] = 0;
		size_t df = 0;
		for (size_t i = 0; i < nparas; i++)
			df += occurrences(paras[i].units, unit) > 0;
		double tw = ((double)nparas - (double)df + 0.5) / ((double)df + 0.5);
		if (tw < 2)
			tw = tw * 0.5 + 1;
		double idf = log(tw);
		zhfts_results *r;
		bool *got = calloc(nparas, sizeof *got);
		CU_ASSERT_EQUAL_FATAL(search_all(unit, got, &r), 0);
		CU_ASSERT(zhfts_results_count(r) == df);
		double prev = INFINITY;
		for (size_t i = 0; i < zhfts_results_count(r); i++) {
			const zhfts_hit *h = zhfts_results_hit(r, i);
			const para *p = &paras[find_para(h->doc, h->para)];
			double f = (double)occurrences(p->units, unit);
			double t = f / (1 - b + b * (double)count_units(p->units) / avg);
			double want = idf * (k1 + 1) * t / (k1 + t);
			double slack = idf * (k1 + 1) / k1 * step / 2 + 1e-9;
			if (fabs(h->score - want) > slack)
				fprintf(stderr, "\n%s in %s #%u: score %.6f, BM25 %.6f (tf %.0f)\n", unit, h->doc, h->para,
				        h->score, want, f);
			CU_ASSERT(fabs(h->score - want) <= slack);
			CU_ASSERT(h->score <= prev);
			prev = h->score;
			checked++;
		}
		zhfts_results_free(r);
		free(got);
	}
	printf("\n  %zu scores checked ", checked);
	CU_ASSERT(checked > 100);
}

/* Ties come in document order whether or not the docids are in it: the
 * same documents with many tied paragraphs, added in id order (docids in
 * document order: Xapian's order is final) and in reverse (a sort key
 * orders ties), give the same hits and scores, and both lists are ordered
 * by (score, document, paragraph).  test-index checks which of the two
 * each database is. */
static int open_mem(zhfts_db **out)
{
	char *err = NULL;
	int rc = zhfts_db_open(out, NULL, ZHFTS_OPEN_INMEMORY, NULL, &err);
	if (rc)
		fprintf(stderr, "open: %s\n", err);
	zhfts_free(err);
	return rc;
}

/* A query of one or two units of a pool paragraph, into qs; false if none. */
static bool pool_query(char pool[][512], size_t npool, char *qs, size_t cap)
{
	unsigned from = rnd((unsigned)npool);
	char *u = oracle_units(orc, pool[from], strlen(pool[from]));
	size_t nu = count_units(u), at = nu ? rnd((unsigned)nu) : 0, len = 1 + rnd(2);
	if (at + len > nu)
		len = nu - at;
	bool ok = nu && cut_query(u, at, at + len, qs, cap);
	free(u);
	return ok;
}

static void test_tie_order(void)
{
	enum { NPOOL = 12, NDOC = 40 };
	char pool[NPOOL][512], *docs[NDOC];
	for (int i = 0; i < NPOOL; i++)
		gen_paragraph(pool[i], sizeof pool[i]);
	for (int d = 0; d < NDOC; d++) {
		docs[d] = calloc(1, 8192);
		for (unsigned k = 0, n = 2 + rnd(6); k < n; k++) {
			strcat(docs[d], pool[rnd(NPOOL)]);
			strcat(docs[d], "\n\n");
		}
	}
	zhfts_db *a, *b;
	CU_ASSERT_FATAL(open_mem(&a) == 0 && open_mem(&b) == 0);
	for (int d = 0; d < NDOC; d++) {
		char id[32];
		snprintf(id, sizeof id, "t/%02d", d);
		TU_OK(a, zhfts_db_add_document(a, id, docs[d], strlen(docs[d]), NULL, NULL));
		snprintf(id, sizeof id, "t/%02d", NDOC - 1 - d);
		TU_OK(b, zhfts_db_add_document(b, id, docs[NDOC - 1 - d], strlen(docs[NDOC - 1 - d]), NULL, NULL));
	}
	TU_OK(a, zhfts_db_commit(a));
	TU_OK(b, zhfts_db_commit(b));
	size_t compared = 0, ties = 0;
	for (int q = 0; q < 60; q++) {
		char qs[64];
		if (!pool_query(pool, NPOOL, qs, sizeof qs))
			continue;
		zhfts_search_options o = ZHFTS_SEARCH_OPTIONS_INIT;
		o.limit = q % 2 ? 5 : SIZE_MAX;
		o.offset = q % 3 == 0 ? 3 : 0;
		o.flags = ZHFTS_SEARCH_NO_SNIPPETS;
		zhfts_results *ra, *rb;
		TU_OK(a, zhfts_db_search(a, qs, strlen(qs), &o, &ra));
		TU_OK(b, zhfts_db_search(b, qs, strlen(qs), &o, &rb));
		CU_ASSERT_EQUAL(zhfts_results_count(ra), zhfts_results_count(rb));
		for (size_t i = 0; i < zhfts_results_count(ra) && i < zhfts_results_count(rb); i++) {
			const zhfts_hit *x = zhfts_results_hit(ra, i), *y = zhfts_results_hit(rb, i);
			CU_ASSERT(!strcmp(x->doc, y->doc) && x->para == y->para && x->score == y->score);
			if (i) {
				const zhfts_hit *p = zhfts_results_hit(ra, i - 1);
				int c = strcmp(p->doc, x->doc);
				CU_ASSERT(p->score > x->score || (p->score == x->score && (c < 0 || (!c && p->para < x->para))));
				ties += p->score == x->score;
			}
			compared++;
		}
		zhfts_results_free(ra);
		zhfts_results_free(rb);
	}
	printf("\n  %zu hits compared, %zu ties ", compared, ties);
	CU_ASSERT(compared > 200 && ties > 100);
	zhfts_db_close(a);
	zhfts_db_close(b);
	for (int d = 0; d < NDOC; d++)
		free(docs[d]);
}

/* Every hit's zhfts_results_locate() against its record (zhfts_results_hit
 * of the same search run again), for 1- and 2-unit queries of the pool.
 * Returns the hits compared. */
static size_t compare_locate(zhfts_db *d, char pool[][512], size_t npool, const char *label)
{
	size_t compared = 0;
	for (int q = 0; q < 30; q++) {
		char qs[64];
		if (!pool_query(pool, npool, qs, sizeof qs))
			continue;
		zhfts_search_options o = ZHFTS_SEARCH_OPTIONS_INIT;
		o.limit = SIZE_MAX;
		o.flags = ZHFTS_SEARCH_NO_SNIPPETS;
		zhfts_results *located, *read;
		TU_OK(d, zhfts_db_search(d, qs, strlen(qs), &o, &located));
		TU_OK(d, zhfts_db_search(d, qs, strlen(qs), &o, &read));
		CU_ASSERT_EQUAL_FATAL(zhfts_results_count(located), zhfts_results_count(read));
		for (size_t i = 0; i < zhfts_results_count(read); i++) {
			const char *doc = NULL;
			uint32_t number = 0;
			int rc = zhfts_results_locate(located, i, &doc, &number);
			const zhfts_hit *h = zhfts_results_hit(read, i);
			CU_ASSERT_EQUAL(rc, ZHFTS_OK);
			CU_ASSERT_PTR_NOT_NULL_FATAL(h);
			if (rc != ZHFTS_OK || strcmp(doc, h->doc) || number != h->para) {
				printf("\n  %s: '%s' hit %zu: located %s #%u, read %s #%u", label, qs, i, rc ? "?" : doc, number,
				       h->doc, h->para);
				CU_FAIL("located hit differs from its record");
				break;
			}
			compared++;
		}
		CU_ASSERT_EQUAL(zhfts_results_locate(located, zhfts_results_count(located), NULL, NULL), ZHFTS_EINVAL);
		zhfts_results_free(located);
		zhfts_results_free(read);
	}
	return compared;
}

/* A document of 2 to 7 pool paragraphs (buf holds 8192 bytes). */
static void pool_doc(char *buf, char pool[][512], size_t npool)
{
	buf[0] = '\0';
	for (unsigned k = 0, n = 2 + rnd(6); k < n; k++) {
		strcat(buf, pool[rnd((unsigned)npool)]);
		strcat(buf, "\n\n");
	}
}

static void test_locate(void)
{
	enum { NPOOL = 12, NDOC = 30 };
	char pool[NPOOL][512], text[8192], id[300];
	for (int i = 0; i < NPOOL; i++)
		gen_paragraph(pool[i], sizeof pool[i]);
	char *dir = tu_tmpdir("locate");
	CU_ASSERT_FATAL(mkdir(dir, 0755) == 0);
	char path[512], stub[600], merged[600], shards[3][600];
	snprintf(path, sizeof path, "%s/a.db", dir);
	zhfts_db *w;
	char *err = NULL;
	CU_ASSERT_FATAL(zhfts_db_open(&w, path, ZHFTS_OPEN_CREATE, NULL, &err) == ZHFTS_OK);
	/* Ids over 239 bytes are hashed: two of them share their term. */
	for (int d = 0; d < NDOC; d++) {
		if (d < 2)
			snprintf(id, sizeof id, "%0260d", d);
		else
			snprintf(id, sizeof id, "doc/%02d", d);
		pool_doc(text, pool, NPOOL);
		TU_OK(w, zhfts_db_add_document(w, id, text, strlen(text), NULL, NULL));
		if (d % 7 == 3) {
			/* re-indexed at once: its old and new paragraphs are neighbours */
			pool_doc(text, pool, NPOOL);
			TU_OK(w, zhfts_db_add_document(w, id, text, strlen(text), NULL, NULL));
		}
	}
	TU_OK(w, zhfts_db_commit(w));
	for (int d = 0; d < NDOC; d += 3) {
		snprintf(id, sizeof id, "doc/%02d", d + 2);
		if (d % 2) {
			TU_OK(w, zhfts_db_delete_document(w, id));
		} else {
			pool_doc(text, pool, NPOOL);
			TU_OK(w, zhfts_db_add_document(w, id, text, strlen(text), NULL, NULL));
		}
	}
	TU_OK(w, zhfts_db_commit(w));
	size_t n = compare_locate(w, pool, NPOOL, "writer, committed");
	/* Pending on the writer: paragraphs the map it made has not seen. */
	for (int d = 0; d < 6; d++) {
		snprintf(id, sizeof id, "doc/%02d", d < 3 ? d + 4 : NDOC + d);
		pool_doc(text, pool, NPOOL);
		TU_OK(w, zhfts_db_add_document(w, id, text, strlen(text), NULL, NULL));
	}
	n += compare_locate(w, pool, NPOOL, "writer, pending");
	TU_OK(w, zhfts_db_close(w));

	zhfts_db *r;
	CU_ASSERT_FATAL(zhfts_db_open(&r, path, ZHFTS_OPEN_READONLY, NULL, &err) == ZHFTS_OK);
	n += compare_locate(r, pool, NPOOL, "reader, dead paragraphs");
	/* Results of before a compaction: their docids name other paragraphs. */
	zhfts_search_options o = ZHFTS_SEARCH_OPTIONS_INIT;
	o.limit = SIZE_MAX;
	o.flags = ZHFTS_SEARCH_NO_SNIPPETS;
	zhfts_results *before;
	TU_OK(r, zhfts_db_search(r, "\"的\" OR \"发\" OR \"展\"", strlen("\"的\" OR \"发\" OR \"展\""), &o, &before));
	CU_ASSERT_EQUAL(zhfts_db_compact(path, &err), ZHFTS_OK);
	TU_OK(r, zhfts_db_reopen(r));
	for (size_t i = 0; i < zhfts_results_count(before); i++)
		CU_ASSERT_EQUAL(zhfts_results_locate(before, i, NULL, NULL), ZHFTS_ENOTFOUND);
	zhfts_results_free(before);
	n += compare_locate(r, pool, NPOOL, "reader, compacted");
	zhfts_db_close(r);

	const char *dests[3];
	for (int k = 0; k < 3; k++) {
		snprintf(shards[k], sizeof shards[k], "%s/shard-%d", dir, k + 1);
		dests[k] = shards[k];
	}
	CU_ASSERT_FATAL(zhfts_db_split(path, dests, 3, 0, &err) == ZHFTS_OK);
	snprintf(stub, sizeof stub, "%s/shards.stub", dir);
	FILE *f = fopen(stub, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fprintf(f, "auto shard-1\nauto shard-2\nauto shard-3\n");
	fclose(f);
	CU_ASSERT_FATAL(zhfts_db_open(&r, stub, ZHFTS_OPEN_READONLY, NULL, &err) == ZHFTS_OK);
	n += compare_locate(r, pool, NPOOL, "stub of 3 shards");
	zhfts_db_close(r);
	snprintf(merged, sizeof merged, "%s/merged.db", dir);
	CU_ASSERT_FATAL(zhfts_db_merge(merged, dests, 3, &err) == ZHFTS_OK);
	CU_ASSERT_FATAL(zhfts_db_open(&r, merged, ZHFTS_OPEN_READONLY, NULL, &err) == ZHFTS_OK);
	n += compare_locate(r, pool, NPOOL, "merged");
	zhfts_db_close(r);
	printf("\n  %zu hits located ", n);
	CU_ASSERT(n > 1000);
	zhfts_free(err);
	tu_rmrf(dir);
	free(dir);
}

static void suites(void)
{
	CU_pSuite s = CU_add_suite("search against the substring oracle", setup, teardown);
	CU_add_test(s, "phrases of 1 to 6 units", test_phrases);
	CU_add_test(s, "Traditional, full-width and case variants", test_variant_forms);
	CU_add_test(s, "Latin words, digits, absent phrases", test_absent_and_latin);
	CU_add_test(s, "AND, OR, NOT", test_boolean);
	CU_add_test(s, "section filter", test_section_filter);
	CU_add_test(s, "unspaced runs split and rank", test_unspaced_runs);
	CU_add_test(s, "spans and snippets", test_spans_and_snippets);
	CU_add_test(s, "paging and totals", test_paging_and_totals);
	CU_add_test(s, "offsets point into the source", test_offsets_point_into_source);
	CU_add_test(s, "scores are BM25's", test_scores_are_bm25);
	CU_add_test(s, "ties in document order", test_tie_order);
	CU_add_test(s, "hits located without their records", test_locate);
}

int main(void)
{
	return tu_run(suites);
}
