/*
 * Fuzz target: the query language (text, filters, ranges, doc:, section:)
 * and the search options (sort strings, facets, pages) on an in-memory
 * database that holds a few documents with fields.
 *
 * Input: QUERY, optionally followed by a NUL and control bytes
 *   c[0] sort (an index into `sorts`; 0xff: the rest of the input, c[5...],
 *        is the sort string itself), c[1] facets (a bit per `facet_names`),
 *   c[2] offset, c[3] limit, c[4] facet_limit and flags.
 * (The last NUL separates them, so a query may hold NUL bytes too.)  With
 * no NUL, the options come from a hash of the query.
 *
 * Invariants:
 * - parsing gives OK, a syntax error or a limit; a failure has a status,
 *   a message, `where` QUERY and, for a syntax error, an offset inside the
 *   query that the message names when it names a byte; explain agrees;
 * - searching fails only for an unknown sort or facet (EINVAL, an option),
 *   which is known here independently;
 * - the results are consistent: the page is the slice of the whole answer
 *   (offset, limit, ranks), the count and exact totals equal the number of
 *   hits, the order is the one asked (relevance: tier then score never
 *   increase; doc: document order; a field: its values, computed here from
 *   the fixture's own table), the facets are the counts of the whole answer
 *   (computed here from the hits and the table), a second run gives the
 *   same page; hits are well-formed (text, fields, spans, snippets) and
 *   live: the fixture replaces one document and deletes another, and no
 *   hit, count or facet may show their dead paragraphs.
 */
#include <math.h>
#include <stdlib.h>

#include "fuzz-common.h"
#include "zhfts.h"

static zhfts_db *db;

/* ---- the fixture ----------------------------------------------------------- */

#define NFIX 6
#define NF 6
static const char *const fnames[NF] = {"district", "year", "score", "source", "title", "date"};

/* A field value as this target knows it: its kind for sorting (0 missing,
 * 1 number, 2 text), the number, and the text a facet shows. */
typedef struct known {
	int kind;
	double num;
	const char *shown;
} known;

typedef struct fixture {
	const char *id;
	const char *text;
	unsigned flags;
	const char *given[NF];
	known k[NF];
} fixture;

static char long_id[320];

static fixture fix[NFIX] = {
	{"a.txt",
	 "一、总体要求\n\n坚持创新驱动，建设科学城北区。\nRISC-V 与 5G 产业 2024 年增长 12.5%。\n\n"
	 "（二）重点任务\n\n推进學習型城市建設，發展数字经济。\n",
	 0,
	 {"海淀区", "2020", "-1.5", NULL, NULL, NULL},
	 {{2, 0, "海淀区"}, {1, 2020, "2020"}, {1, -1.5, "-1.5"}, {0, 0, NULL}, {0, 0, NULL}, {0, 0, NULL}}},
	{"b.txt", "任务 3\n\n聚焦科学城建设\n\n北京市中关村科学城建设加快推进，新增企业一千家。\n", 0,
	 {"海淀區", "2020.0", NULL, "XINHUA", NULL, NULL},
	 {{2, 0, "海淀区"}, {1, 2020, "2020"}, {0, 0, NULL}, {2, 0, "xinhua"}, {2, 0, "聚焦科学城建设"}, {0, 0, NULL}}},
	{"c.txt",
	 "海淀区政府工作报告（2021年）\n\n——2021年1月8日在海淀区人民代表大会上\n\n推进科学城北区建设，发展人工智能与芯片产业。\n\n"
	 "任务 2\n\n聚焦中关村科学城建设。\n",
	 0,
	 {"朝阳区", "２０２１", "n/a", NULL, NULL, NULL},
	 {{2, 0, "朝阳区"}, {1, 2021, "2021"}, {2, 0, "n/a"}, {0, 0, NULL}, {2, 0, "海淀区政府工作报告(2021年)"},
	  {2, 0, "2021-01-08"}}},
	{long_id, "数字经济发展。\n\n科学城 0.5 与 AI。\n", 0,
	 {"Xicheng", "未知", "0.5", NULL, NULL, "2019-12-31"},
	 {{2, 0, "xicheng"}, {2, 0, "未知"}, {1, 0.5, "0.5"}, {0, 0, NULL}, {0, 0, NULL}, {2, 0, "2019-12-31"}}},
	{"d.txt", "海淀区政府工作报告（2022年）\n\n没有字段的文档，科学城。\n", ZHFTS_DOC_NO_GUESS, {NULL}, {{0, 0, NULL}}},
	/* Replaced (see setup): the first version's paragraphs are dead. */
	{"e.txt", "新的版本：科学城建设。\n", 0,
	 {"海淀区", NULL, "7", NULL, NULL, NULL},
	 {{2, 0, "海淀区"}, {0, 0, NULL}, {1, 7, "7"}, {0, 0, NULL}, {0, 0, NULL}, {0, 0, NULL}}},
};

/* Each fixture document's paragraphs as the database gives them back. */
static char *texts[NFIX][8];
static size_t ntexts[NFIX];

/* The scratch database lives in a temporary directory: remove it at exit. */
static void teardown(void)
{
	zhfts_db_close(db);
	db = NULL;
	for (int d = 0; d < NFIX; d++)
		for (size_t i = 0; i < ntexts[d]; i++)
			free(texts[d][i]);
}

static void setup(void)
{
	memcpy(long_id, "long/", 5);
	memset(long_id + 5, 'x', 290);
	strcpy(long_id + 295, ".txt");
	char *err = NULL;
	int rc = zhfts_db_open(&db, NULL, ZHFTS_OPEN_INMEMORY, NULL, &err);
	FZ_CHECK(rc == ZHFTS_OK, "in-memory open -> %d %s", rc, err ? err : "");
	atexit(teardown);
	/* Documents that are replaced or deleted, so that the index holds dead
	 * paragraphs that no answer may show. */
	static const char old_e[] = "旧的版本：科学城北区建设，数字经济。\n\n第二段旧文本，任务。\n\n第三段。\n";
	static const char gone[] = "将被删除的文档：科学城北区。\n\n任务 9\n\n数字经济。\n";
	zhfts_field fe[] = {{"district", "东城区"}, {"year", "1999"}, {"source", "旧"}};
	zhfts_field ff[] = {{"district", "西城区"}, {"score", "-100"}};
	zhfts_doc_options od = ZHFTS_DOC_OPTIONS_INIT;
	od.fields = fe;
	od.nfields = 3;
	rc = zhfts_db_add_document(db, "e.txt", old_e, sizeof old_e - 1, &od, NULL);
	od.fields = ff;
	od.nfields = 2;
	rc = rc ? rc : zhfts_db_add_document(db, "f.txt", gone, sizeof gone - 1, &od, NULL);
	rc = rc ? rc : zhfts_db_commit(db);
	rc = rc ? rc : zhfts_db_delete_document(db, "f.txt");
	for (int d = 0; d < NFIX && rc == ZHFTS_OK; d++) {
		zhfts_field f[NF];
		size_t n = 0;
		for (int k = 0; k < NF; k++)
			if (fix[d].given[k])
				f[n++] = (zhfts_field){fnames[k], fix[d].given[k]};
		zhfts_doc_options o = ZHFTS_DOC_OPTIONS_INIT;
		o.flags = fix[d].flags;
		o.fields = f;
		o.nfields = n;
		rc = zhfts_db_add_document(db, fix[d].id, fix[d].text, strlen(fix[d].text), &o, NULL);
	}
	rc = rc ? rc : zhfts_db_commit(db);
	FZ_CHECK(rc == ZHFTS_OK, "indexing the fixture -> %d %s", rc, zhfts_db_errmsg(db));
	for (int d = 0; d < NFIX; d++) {
		zhfts_results *r = NULL;
		rc = zhfts_db_get_document(db, fix[d].id, &r);
		FZ_CHECK(rc == ZHFTS_OK && zhfts_results_count(r) <= 8, "reading %s back -> %d", fix[d].id, rc);
		ntexts[d] = zhfts_results_count(r);
		for (size_t i = 0; i < ntexts[d]; i++) {
			const zhfts_hit *h = zhfts_results_hit(r, i);
			FZ_CHECK(h && h->para == i + 1, "%s paragraph %zu", fix[d].id, i + 1);
			texts[d][i] = strdup(h->text);
		}
		zhfts_results_free(r);
	}
}

static int fixture_of(const char *id)
{
	for (int d = 0; d < NFIX; d++)
		if (!strcmp(fix[d].id, id))
			return d;
	return -1;
}

static int field_of(const char *name)
{
	for (int k = 0; k < NF; k++)
		if (!strcmp(fnames[k], name))
			return k;
	return -1;
}

/* ---- options ---------------------------------------------------------------- */

static const char *const sorts[] = {NULL,      "relevance", "doc",    "district", "-district", "year",
                                    "-year",   "score",     "-score", "title",    "-date",     "source",
                                    "",        "nosuch",    "-",      "--year",   "Year",      "-doc",
                                    "section", "relevance "};
static const char *const facet_names[] = {"district", "year", "score", "doc", "title", "date", "nosuch", "section"};

/* Is the sort string one the database knows (computed here, not asked)? */
static bool sort_valid(const char *s)
{
	if (!s || !*s || !strcmp(s, "relevance") || !strcmp(s, "doc"))
		return true;
	return field_of(s[0] == '-' ? s + 1 : s) >= 0;
}

static bool facet_valid(const char *f)
{
	return !strcmp(f, "doc") || field_of(f) >= 0;
}

/* ---- checks -------------------------------------------------------------------- */

static bool same_hit(const zhfts_hit *a, const zhfts_hit *b)
{
	return a && b && !strcmp(a->doc, b->doc) && a->para == b->para && a->tier == b->tier &&
	       (a->score == b->score || (isnan(a->score) && isnan(b->score)));
}

/* Sort key order of two documents by field k (missing < numbers < text). */
static int key_cmp(int da, int db_, int k)
{
	const known *x = &fix[da].k[k], *y = &fix[db_].k[k];
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->kind == 1)
		return (x->num > y->num) - (x->num < y->num);
	if (x->kind == 2) {
		/* The normalized texts of this fixture sort as shown. */
		return strcmp(x->shown, y->shown);
	}
	return 0;
}

static void check_hit(const zhfts_hit *h, size_t i, size_t rank)
{
	FZ_CHECK(h && h->doc && h->text && h->snippet && h->section, "hit %zu incomplete", i);
	FZ_CHECK(h->rank == rank, "hit %zu has rank %zu, want %zu", i, h->rank, rank);
	FZ_CHECK(fz_utf8_valid(h->text, h->text_len) && strlen(h->text) == h->text_len, "hit %zu: bad text", i);
	FZ_CHECK(fz_utf8_valid(h->snippet, strlen(h->snippet)), "hit %zu: snippet not UTF-8", i);
	FZ_CHECK(h->tier >= 1 && isfinite(h->score) && h->score >= 0, "hit %zu: tier %d score %g", i, h->tier, h->score);
	int d = fixture_of(h->doc);
	FZ_CHECK(d >= 0, "hit %zu: unknown document %s", i, h->doc);
	/* A live paragraph (never one of a replaced or deleted version). */
	FZ_CHECK(h->para >= 1 && h->para <= ntexts[d] && !strcmp(h->text, texts[d][h->para - 1]),
	         "hit %zu (%s ¶%u) is not the paragraph the document has", i, h->doc, h->para);
	size_t nf = 0;
	for (int j = 0; j < NF; j++)
		nf += fix[d].k[j].kind != 0;
	FZ_CHECK(h->nfields == nf, "hit %zu (%s): %zu fields, want %zu", i, h->doc, h->nfields, nf);
	for (size_t k = 0; k < h->nfields; k++) {
		const zhfts_field *f = &h->fields[k];
		FZ_CHECK(f->name && f->value && field_of(f->name) >= 0 && fz_utf8_valid(f->value, strlen(f->value)),
		         "hit %zu: field %zu", i, k);
		int j = field_of(f->name);
		FZ_CHECK(fix[d].k[j].kind != 0, "hit %zu (%s): field %s it does not have", i, h->doc, f->name);
		FZ_CHECK(!fix[d].given[j] || !strcmp(fix[d].given[j], f->value), "hit %zu: field %s is '%s', given '%s'",
		         i, f->name, f->value, fix[d].given[j]);
	}
	size_t prev = 0;
	for (size_t k = 0; k < h->nspans; k++) {
		const zhfts_span *s = &h->spans[k];
		FZ_CHECK(s->length > 0 && s->offset >= prev && s->offset + s->length <= h->text_len &&
		             fz_is_boundary(h->text, h->text_len, s->offset) &&
		             fz_is_boundary(h->text, h->text_len, s->offset + s->length),
		         "hit %zu span %zu [%zu, +%zu) in %zu bytes (previous end %zu)", i, k, s->offset, s->length,
		         h->text_len, prev);
		prev = s->offset + s->length;
	}
}

/* The order of two consecutive hits of the whole answer. */
static void check_order(const char *sort, const zhfts_hit *a, const zhfts_hit *b, size_t i)
{
	int da = fixture_of(a->doc), dbb = fixture_of(b->doc);
	int docc = strcmp(a->doc, b->doc);
	bool doc_before = docc < 0 || (docc == 0 && a->para < b->para);
	if (sort && !strcmp(sort, "doc")) {
		FZ_CHECK(doc_before, "sort doc: hit %zu (%s ¶%u) after (%s ¶%u)", i, b->doc, b->para, a->doc, a->para);
		return;
	}
	int r = 0;
	if (sort && *sort && strcmp(sort, "relevance")) {
		bool desc = sort[0] == '-';
		r = key_cmp(da, dbb, field_of(sort + desc));
		if (desc)
			r = -r;
		FZ_CHECK(r <= 0, "sort %s: hit %zu (%s) before hit %zu (%s)", sort, i - 1, a->doc, i, b->doc);
	}
	if (r == 0) {
		FZ_CHECK(b->tier <= a->tier, "hit %zu: tier %d after tier %d", i, b->tier, a->tier);
		if (b->tier == a->tier)
			FZ_CHECK(b->score <= a->score, "hit %zu: score %g after %g in tier %d", i, b->score, a->score, a->tier);
		if (b->tier == a->tier && b->score == a->score)
			FZ_CHECK(doc_before, "hit %zu: equal keys out of document order", i);
	}
}

typedef struct tally {
	const char *value;
	uint64_t count;
} tally;

static int by_count(const void *x, const void *y)
{
	const tally *a = x, *b = y;
	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return strcmp(a->value, b->value);
}

/* A facet against the counts of the whole answer. */
static void check_facet(const zhfts_facet *f, const char *name, zhfts_results *all, size_t limit)
{
	FZ_CHECK(f && f->name && !strcmp(f->name, name), "facet %s missing", name);
	tally t[64];
	size_t nt = 0;
	int k = field_of(name);
	for (size_t i = 0; i < zhfts_results_count(all); i++) {
		const zhfts_hit *h = zhfts_results_hit(all, i);
		int d = fixture_of(h->doc);
		const char *v = k < 0 ? h->doc : fix[d].k[k].shown;
		if (!v)
			continue;
		size_t j = 0;
		while (j < nt && strcmp(t[j].value, v))
			j++;
		if (j == nt) {
			FZ_CHECK(nt < 64, "too many values");
			t[nt++] = (tally){v, 0};
		}
		t[j].count++;
	}
	qsort(t, nt, sizeof *t, by_count);
	size_t keep = limit && limit < nt ? limit : nt;
	FZ_CHECK(f->distinct == nt && f->nvalues == keep, "facet %s: %zu of %llu values, want %zu of %zu", name,
	         f->nvalues, (unsigned long long)f->distinct, keep, nt);
	for (size_t j = 0; j < keep; j++)
		FZ_CHECK(f->values[j].value && !strcmp(f->values[j].value, t[j].value) && f->values[j].count == t[j].count,
		         "facet %s value %zu: '%s' %llu, want '%s' %llu", name, j,
		         f->values[j].value ? f->values[j].value : "(null)", (unsigned long long)f->values[j].count,
		         t[j].value, (unsigned long long)t[j].count);
}

static void check_failure(int rc, size_t size, const char *what)
{
	const zhfts_error *e = zhfts_db_error(db);
	char msg[1024];
	snprintf(msg, sizeof msg, "%s", e->message);
	FZ_CHECK(e->status == rc && msg[0] && !strcmp(e->message, zhfts_db_errmsg(db)),
	         "%s -> %d: error status %d message '%s'", what, rc, e->status, msg);
	size_t at = 0;
	bool named = fz_msg_byte(msg, &at);
	FZ_CHECK(!named || at <= size, "message names byte %zu of a %zu-byte query: %s", at, size, msg);
	if (rc == ZHFTS_EQUERY) {
		FZ_CHECK(e->where == ZHFTS_WHERE_QUERY, "%s -> %d: where %d '%s'", what, rc, (int)e->where, msg);
		FZ_CHECK(e->offset >= 0 && (uint64_t)e->offset <= size, "%s: offset %lld of a %zu-byte query: %s", what,
		         (long long)e->offset, size, msg);
		FZ_CHECK(!named || at == (size_t)e->offset, "%s: offset %lld but the message says byte %zu: %s", what,
		         (long long)e->offset, at, msg);
		/* A syntax error says where, unless there is nothing to point at. */
		if (!strstr(msg, "nothing to search for"))
			FZ_CHECK(named, "syntax error without a position: %s", msg);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!db)
		setup();
	const char *q = (const char *)data;
	size_t qlen = size;
	const uint8_t *c = NULL;
	size_t clen = 0;
	for (size_t i = size; i > 0; i--) {
		if (data[i - 1] == 0) {
			qlen = i - 1;
			c = data + i;
			clen = size - i;
			break;
		}
	}
	uint8_t h[5] = {0};
	if (c) {
		for (size_t i = 0; i < 5 && i < clen; i++)
			h[i] = c[i];
	} else {
		uint32_t x = 2166136261u;
		for (size_t i = 0; i < size; i++)
			x = (x ^ data[i]) * 16777619u;
		for (int i = 0; i < 5; i++, x >>= 6)
			h[i] = (uint8_t)(x & 0x3f);
	}
	char sortbuf[64];
	const char *sort;
	if (h[0] == 0xff && c) {
		size_t n = clen > 5 ? clen - 5 : 0;
		if (n >= sizeof sortbuf)
			n = sizeof sortbuf - 1;
		if (n)
			memcpy(sortbuf, c + 5, n);
		sortbuf[n] = '\0';
		sort = sortbuf; /* may end early at a NUL: so be it */
	} else {
		sort = sorts[h[0] % (sizeof sorts / sizeof *sorts)];
	}
	const char *facets[8];
	size_t nfacets = 0;
	for (size_t k = 0; k < 8; k++)
		if (h[1] & (1u << k))
			facets[nfacets++] = facet_names[k];
	size_t offset = h[2] % 12;
	size_t limit = h[3] == 0xff ? SIZE_MAX : h[3] % 9;
	size_t facet_limit = h[4] % 4;
	unsigned flags = (h[4] >> 2) & (ZHFTS_SEARCH_EXACT_COUNT | ZHFTS_SEARCH_NO_SNIPPETS);

	/* Parse. */
	zhfts_query *qo = NULL;
	int rc = zhfts_query_new(&qo, db, q, qlen);
	FZ_CHECK(rc == ZHFTS_OK || rc == ZHFTS_EQUERY || rc == ZHFTS_ELIMIT, "query_new -> %d '%s'", rc,
	         zhfts_db_errmsg(db));
	if (rc) {
		FZ_CHECK(!qo, "a failed query_new returned a query");
		check_failure(rc, qlen, "query_new");
	}
	char *desc = NULL;
	int rc2 = zhfts_db_explain(db, q, qlen, &desc);
	FZ_CHECK(rc2 == rc, "query_new -> %d but explain -> %d '%s'", rc, rc2, zhfts_db_errmsg(db));
	FZ_CHECK((rc2 == ZHFTS_OK) == (desc != NULL), "explain -> %d with description %p", rc2, (void *)desc);
	zhfts_free(desc);
	zhfts_results *res = NULL;
	if (rc) {
		rc2 = zhfts_db_search(db, q, qlen, NULL, &res);
		FZ_CHECK(rc2 == rc && !res, "query_new -> %d but search -> %d", rc, rc2);
		return 0;
	}

	/* Search: fails exactly when an option names something unknown. */
	bool valid = sort_valid(sort);
	for (size_t k = 0; k < nfacets; k++)
		valid = valid && facet_valid(facets[k]);
	zhfts_search_options o = ZHFTS_SEARCH_OPTIONS_INIT;
	o.sort = sort;
	o.facets = facets;
	o.nfacets = nfacets;
	o.facet_limit = facet_limit;
	o.offset = offset;
	o.limit = limit;
	o.flags = flags;
	o.snippet_chars = size % 7;
	rc = zhfts_query_search(qo, &o, &res);
	FZ_CHECK(rc == (valid ? ZHFTS_OK : ZHFTS_EINVAL), "search (sort '%s', %zu facets) -> %d '%s'",
	         sort ? sort : "(null)", nfacets, rc, zhfts_db_errmsg(db));
	if (rc) {
		FZ_CHECK(!res && zhfts_db_error(db)->where == ZHFTS_WHERE_OPTION && zhfts_db_errmsg(db)[0],
		         "a bad option: results %p, where %d", (void *)res, (int)zhfts_db_error(db)->where);
		zhfts_query_free(qo);
		return 0;
	}

	/* The whole answer, in the same order, from another query object. */
	zhfts_search_options oa = ZHFTS_SEARCH_OPTIONS_INIT;
	oa.sort = sort;
	oa.limit = SIZE_MAX;
	oa.flags = ZHFTS_SEARCH_NO_SNIPPETS;
	zhfts_results *all = NULL;
	rc = zhfts_db_search(db, q, qlen, &oa, &all);
	FZ_CHECK(rc == ZHFTS_OK, "search for every hit -> %d '%s'", rc, zhfts_db_errmsg(db));
	size_t n = zhfts_results_count(all);
	for (size_t i = 0; i < n; i++) {
		const zhfts_hit *a = zhfts_results_hit(all, i);
		check_hit(a, i, i + 1);
		if (i)
			check_order(sort, zhfts_results_hit(all, i - 1), a, i);
		/* No paragraph twice. */
		for (size_t j = 0; j < i; j++) {
			const zhfts_hit *b = zhfts_results_hit(all, j);
			FZ_CHECK(b->para != a->para || strcmp(b->doc, a->doc), "hit %zu repeats hit %zu", i, j);
		}
	}
	uint64_t est, lo, hi;
	zhfts_results_total(all, &est, &lo, &hi);
	FZ_CHECK(est == n && lo == n && hi == n, "every hit: %zu, but totals %llu [%llu, %llu]", n,
	         (unsigned long long)est, (unsigned long long)lo, (unsigned long long)hi);

	/* The page is the slice. */
	size_t want = offset >= n ? 0 : n - offset < (limit ? limit : 10) ? n - offset : (limit ? limit : 10);
	FZ_CHECK(zhfts_results_count(res) == want, "page at %zu of %zu: %zu hits, want %zu", offset, limit,
	         zhfts_results_count(res), want);
	for (size_t i = 0; i < zhfts_results_count(res); i++) {
		const zhfts_hit *p = zhfts_results_hit(res, i);
		check_hit(p, i, offset + i + 1);
		FZ_CHECK(same_hit(p, zhfts_results_hit(all, offset + i)), "page hit %zu is not hit %zu of the whole answer",
		         i, offset + i);
		FZ_CHECK(p->nspans == 0 && !strcmp(p->snippet, ""), "query_search hit %zu has spans or a snippet", i);
		const zhfts_span *sp = NULL;
		size_t nsp = 0;
		FZ_CHECK(zhfts_results_spans(res, i, &sp, &nsp) == ZHFTS_OK, "spans of hit %zu", i);
		check_hit(p, i, offset + i + 1);
		char *snip = NULL;
		FZ_CHECK(zhfts_results_snippet(res, i, NULL, &snip) == ZHFTS_OK && snip && fz_utf8_valid(snip, strlen(snip)),
		         "snippet of hit %zu", i);
		zhfts_free(snip);
	}
	zhfts_results_total(res, &est, &lo, &hi);
	if (nfacets || (flags & ZHFTS_SEARCH_EXACT_COUNT))
		FZ_CHECK(est == n && lo == n && hi == n, "exact totals %llu [%llu, %llu] of %zu hits", (unsigned long long)est,
		         (unsigned long long)lo, (unsigned long long)hi, n);
	else
		FZ_CHECK(lo <= n && n <= hi && lo <= est && est <= hi, "totals %llu [%llu, %llu] of %zu hits",
		         (unsigned long long)est, (unsigned long long)lo, (unsigned long long)hi, n);
	FZ_CHECK(zhfts_results_facet_count(res) == nfacets, "%zu facets, asked %zu", zhfts_results_facet_count(res),
	         nfacets);
	for (size_t k = 0; k < nfacets; k++)
		check_facet(zhfts_results_facet(res, k), facets[k], all, facet_limit);
	FZ_CHECK(!zhfts_results_facet(res, nfacets), "a facet past the end");

	/* The count, and the same page again from the same object. */
	uint64_t count = 0;
	FZ_CHECK(zhfts_query_count(qo, &count) == ZHFTS_OK && count == n, "count %llu of %zu hits",
	         (unsigned long long)count, n);
	zhfts_results *again = NULL;
	o.nfacets = 0;
	FZ_CHECK(zhfts_query_search(qo, &o, &again) == ZHFTS_OK, "the page again -> '%s'", zhfts_db_errmsg(db));
	FZ_CHECK(zhfts_results_count(again) == zhfts_results_count(res), "the page again: %zu hits, then %zu",
	         zhfts_results_count(res), zhfts_results_count(again));
	for (size_t i = 0; i < zhfts_results_count(again); i++)
		FZ_CHECK(same_hit(zhfts_results_hit(again, i), zhfts_results_hit(res, i)), "the page again: hit %zu", i);
	/* The eager convenience: the same hits, with spans as the lazy ones. */
	zhfts_results *eager = NULL;
	FZ_CHECK(zhfts_db_search(db, q, qlen, &o, &eager) == ZHFTS_OK, "db_search -> '%s'", zhfts_db_errmsg(db));
	FZ_CHECK(zhfts_results_count(eager) == zhfts_results_count(res), "db_search: %zu hits, query_search %zu",
	         zhfts_results_count(eager), zhfts_results_count(res));
	for (size_t i = 0; i < zhfts_results_count(eager); i++) {
		const zhfts_hit *e = zhfts_results_hit(eager, i), *l = zhfts_results_hit(res, i);
		check_hit(e, i, offset + i + 1);
		FZ_CHECK(same_hit(e, l), "db_search hit %zu differs", i);
		if (!(flags & ZHFTS_SEARCH_NO_SNIPPETS))
			FZ_CHECK(e->nspans == l->nspans && (!e->nspans || !memcmp(e->spans, l->spans, e->nspans * sizeof *e->spans)),
			         "hit %zu: eager spans differ from lazy ones", i);
	}
	zhfts_results_free(eager);
	zhfts_results_free(again);
	zhfts_results_free(all);
	zhfts_results_free(res);
	zhfts_query_free(qo);
	return 0;
}
