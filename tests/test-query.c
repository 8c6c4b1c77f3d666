/*
 * Query parsing: syntax errors carry their byte position, limits hold, and
 * nothing ever matches "everything" by accident.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static zhfts_db *db;

static int setup(void)
{
	if (zhfts_db_open(&db, NULL, ZHFTS_OPEN_INMEMORY, NULL, NULL))
		return 1;
	const char *docs[] = {"科学城北区的建设\n\n海淀区的发展", "任务 2\n\n聚焦科学城\n\n推进建设。"};
	return zhfts_db_add_document(db, "a", docs[0], strlen(docs[0]), NULL, NULL) ||
	       zhfts_db_add_document(db, "b", docs[1], strlen(docs[1]), NULL, NULL);
}

static int teardown(void)
{
	return zhfts_db_close(db);
}

static int search(const char *q, size_t len, size_t *hits)
{
	zhfts_results *r = NULL;
	zhfts_search_options o = ZHFTS_SEARCH_OPTIONS_INIT;
	o.limit = SIZE_MAX;
	int rc = zhfts_db_search(db, q, len, &o, &r);
	if (hits)
		*hits = zhfts_results_count(r);
	if (rc)
		CU_ASSERT_PTR_NULL(r);
	zhfts_results_free(r);
	return rc;
}

static void test_syntax_errors(void)
{
	static const struct { const char *q; int rc; const char *where; } cases[] = {
		{"", ZHFTS_EQUERY, "nothing to search"},
		{"   ", ZHFTS_EQUERY, "nothing to search"},
		{"，。！", ZHFTS_EQUERY, "nothing to search"},
		{"(科学", ZHFTS_EQUERY, "byte 0"},
		{"科学 )", ZHFTS_EQUERY, "byte 7"},
		{"科学 ()", ZHFTS_EQUERY, "byte 7"},
		{"\"科学", ZHFTS_EQUERY, "byte 0"},
		{"OR", ZHFTS_EQUERY, "byte 0"},
		{"科学 OR", ZHFTS_EQUERY, "byte 7"},
		{"OR 科学", ZHFTS_EQUERY, "byte 0"},
		{"科学 AND", ZHFTS_EQUERY, "byte 7"},
		{"-", ZHFTS_EQUERY, "byte 0"},
		{"科学 -", ZHFTS_EQUERY, "byte 7"},
		{"NOT NOT 科学", ZHFTS_EQUERY, "byte 0"},
		{"NOT 科学", ZHFTS_EQUERY, "byte 0"},
		{"-科学", ZHFTS_EQUERY, "byte 0"},
		{"建设 (-科学)", ZHFTS_EQUERY, "byte 8"},
		{"section:", ZHFTS_EQUERY, "byte 0"},
		{"科学 section: 任务", ZHFTS_EQUERY, "byte 7"},
		{"科学 section:，", ZHFTS_EQUERY, "byte 7"},
		{"科学\xff", ZHFTS_EQUERY, "byte 6"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		int rc = search(cases[i].q, strlen(cases[i].q), NULL);
		const char *msg = zhfts_db_errmsg(db);
		if (rc != cases[i].rc || !strstr(msg, cases[i].where))
			fprintf(stderr, "\nquery '%s': %d '%s', want %d '%s'\n", cases[i].q, rc, msg, cases[i].rc,
			        cases[i].where);
		CU_ASSERT_EQUAL(rc, cases[i].rc);
		CU_ASSERT(strstr(msg, cases[i].where) != NULL);
	}
}

static void test_valid_forms(void)
{
	static const struct { const char *q; size_t hits; } cases[] = {
		{"科学城", 2}, {"\"科学城\"", 2}, {"“科学城”", 2}, {"科学城 建设", 1}, {"科学城 AND 建设", 1},
		{"科学城 -北区", 1}, {"科学城 NOT 北区", 1}, {"(海淀 OR 任务) 建设", 0}, {"海淀 OR 任务", 2},
		{"section:任务", 3}, {"section:\"任务 2\" 建设", 1}, {"科学城 section:任务", 1},
		{"((((科学城))))", 2}, {"科学城 ，", 2}, {"科学城 OR ，", 2}, {"-北区 科学城", 1},
		{"RISC-V", 0}, {"a-b", 0}, {"or and not", 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		size_t hits;
		int rc = search(cases[i].q, strlen(cases[i].q), &hits);
		if (rc || hits != cases[i].hits)
			fprintf(stderr, "\nquery '%s': %d hits %zu (%s), want %zu\n", cases[i].q, rc, hits,
			        zhfts_db_errmsg(db), cases[i].hits);
		CU_ASSERT_EQUAL(rc, 0);
		CU_ASSERT_EQUAL(hits, cases[i].hits);
	}
}

static void test_limits(void)
{
	/* Deep nesting is refused with a limit, not a stack overflow. */
	size_t depth = 10000;
	char *q = malloc(2 * depth + 16);
	memset(q, '(', depth);
	memcpy(q + depth, "科学", 6);
	memset(q + depth + 6, ')', depth);
	CU_ASSERT_EQUAL(search(q, 2 * depth + 6, NULL), ZHFTS_ELIMIT);
	CU_ASSERT(strstr(zhfts_db_errmsg(db), "nested") != NULL);
	free(q);
	/* 10,000 terms: over the term limit, refused. */
	size_t n = 10000;
	q = malloc(n * 7 + 1);
	for (size_t i = 0; i < n; i++)
		memcpy(q + 7 * i, "科学 ", 7);
	CU_ASSERT_EQUAL(search(q, n * 7, NULL), ZHFTS_ELIMIT);
	free(q);
	/* Over a megabyte. */
	size_t big = (1u << 20) + 1;
	q = malloc(big);
	memset(q, 'a', big);
	CU_ASSERT_EQUAL(search(q, big, NULL), ZHFTS_ELIMIT);
	/* A long phrase within limits works (and finds nothing). */
	size_t hits = 1;
	CU_ASSERT_EQUAL(search(q, 4000, &hits), 0);
	CU_ASSERT_EQUAL(hits, 0);
	free(q);
	/* Embedded NUL is a separator, not the end of the query. */
	CU_ASSERT_EQUAL(search("海淀\0科学城", 13, &hits), 0);
	CU_ASSERT_EQUAL(hits, 0);
}

static void test_explain(void)
{
	char *d = NULL;
	TU_OK(db, zhfts_db_explain(db, "中关村科学城建设", strlen("中关村科学城建设"), &d));
	/* Split into keywords, each found by its pairs, plus the whole run
	 * (a pair across keywords) as a tier; the runs are checked in the text. */
	CU_ASSERT(d && strstr(d, "B中关") && strstr(d, "B学城") && strstr(d, "B建设") && strstr(d, "B村科") &&
	          strstr(d, "FixedWeightPostingSource") && strstr(d, "AND_MAYBE") && !strstr(d, "PHRASE") &&
	          strstr(d, "checked against the text") && strstr(d, "tiers: 1 run"));
	zhfts_free(d);
	CU_ASSERT_EQUAL(zhfts_db_explain(db, "(", 1, &d), ZHFTS_EQUERY);
	CU_ASSERT_PTR_NULL(d);
}

static void suites(void)
{
	CU_pSuite s = CU_add_suite("query", setup, teardown);
	CU_add_test(s, "syntax errors name their position", test_syntax_errors);
	CU_add_test(s, "operators, quotes, sections", test_valid_forms);
	CU_add_test(s, "limits: nesting, terms, size", test_limits);
	CU_add_test(s, "explain", test_explain);
}

int main(void)
{
	return tu_run(suites);
}
