/*
 * Hostile documents and queries, through the public API only.
 *
 * Expected results come from the inputs themselves: where a bad byte was
 * put, where a paragraph's text sits in the bytes given, how many times a
 * character was written.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostile-util.h"

static zhfts_db *mem_db(void)
{
	zhfts_db *db = NULL;
	char *err = NULL;
	int rc = zhfts_db_open(&db, NULL, ZHFTS_OPEN_INMEMORY, NULL, &err);
	if (rc)
		fprintf(stderr, "in-memory open: %d %s\n", rc, err ? err : "");
	zhfts_free(err);
	CU_ASSERT_FATAL(rc == ZHFTS_OK && db);
	return db;
}

/* A glass database in a fresh directory: the in-memory backend is far too
 * slow for a paragraph with millions of positions (see docs/robustness.md). */
static zhfts_db *disk_db(char **path)
{
	*path = hu_tmppath("big");
	zhfts_db *db = NULL;
	zhfts_options o = ZHFTS_OPTIONS_INIT;
	o.auto_commit_bytes = SIZE_MAX;
	int rc = zhfts_db_open(&db, *path, ZHFTS_OPEN_CREATE | ZHFTS_OPEN_NO_SYNC, &o, NULL);
	CU_ASSERT_FATAL(rc == ZHFTS_OK && db);
	return db;
}

static void disk_db_close(zhfts_db *db, char *path)
{
	HU_OK(db, zhfts_db_close(db));
	hu_rmrf(path);
	free(path);
}

/* The number after "byte" or "byte offset" in msg, or -1. */
static long msg_byte(const char *msg)
{
	const char *p = strstr(msg, "byte");
	while (p) {
		const char *q = p + 4;
		if (!strncmp(q, " offset", 7))
			q += 7;
		if (*q == ' ' && q[1] >= '0' && q[1] <= '9')
			return strtol(q + 1, NULL, 10);
		p = strstr(p + 4, "byte");
	}
	return -1;
}

static size_t count_hits(zhfts_db *db, const char *q, size_t qlen, int *rc_out)
{
	zhfts_search_options o = ZHFTS_SEARCH_OPTIONS_INIT;
	o.limit = SIZE_MAX;
	zhfts_results *res = NULL;
	int rc = zhfts_db_search(db, q, qlen, &o, &res);
	if (rc_out)
		*rc_out = rc;
	size_t n = zhfts_results_count(res);
	zhfts_results_free(res);
	return n;
}

/* Checks that the document's paragraphs are exactly `want` (NUL-separated
 * list of texts, each found in order in the source: that gives its offset). */
static void expect_paragraphs(zhfts_db *db, const char *id, const char *src, size_t srclen,
                              const char *const *want, const size_t *want_len, size_t n)
{
	zhfts_results *res = NULL;
	int rc = zhfts_db_get_document(db, id, &res);
	if (n == 0) {
		CU_ASSERT_EQUAL(rc, ZHFTS_ENOTFOUND);
		zhfts_results_free(res);
		return;
	}
	HU_OK(db, rc);
	CU_ASSERT_EQUAL(zhfts_results_count(res), n);
	const char *cursor = src;
	for (size_t i = 0; i < n && i < zhfts_results_count(res); i++) {
		const zhfts_hit *h = zhfts_results_hit(res, i);
		const char *at = memmem(cursor, srclen - (size_t)(cursor - src), want[i], want_len[i]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(at);
		CU_ASSERT_EQUAL(h->para, i + 1);
		CU_ASSERT_EQUAL(h->text_len, want_len[i]);
		CU_ASSERT(h->text_len == want_len[i] && !memcmp(h->text, want[i], want_len[i]));
		CU_ASSERT_EQUAL(h->offset, (uint64_t)(at - src));
		CU_ASSERT_EQUAL(h->length, want_len[i]);
		cursor = at + want_len[i];
	}
	zhfts_results_free(res);
}

/* ---- invalid UTF-8 ---------------------------------------------------------- */

static const struct bad_utf8 {
	const char *what, *bytes;
	size_t len, bad; /* where the first invalid sequence starts */
} bad_utf8[] = {
	{"truncated at the end", "\xe4\xb8\xad\xe6\x96\x87\xe4\xb8", 8, 6},
	{"truncated in the middle", "\xe4\xb8\xad\xe4\xb8\xe6\x96\x87", 8, 3},
	{"overlong 2-byte '/'", "ab\xc0\xaf", 4, 2},
	{"overlong 3-byte '/'", "\xe4\xb8\xad\xe0\x80\xaf", 6, 3},
	{"overlong 4-byte '/'", "\xf0\x80\x80\xaf", 4, 0},
	{"high surrogate", "x\xed\xa0\x80y", 5, 1},
	{"low surrogate", "\xe4\xb8\xad\xed\xbf\xbf", 6, 3},
	{"surrogate pair (CESU-8)", "\xed\xa0\xbd\xed\xb8\x80", 6, 0},
	{"above U+10FFFF", "ok\xf4\x90\x80\x80", 6, 2},
	{"5-byte form", "\xf8\x88\x80\x80\x80", 5, 0},
	{"lone continuation", "\xe4\xb8\xad\x80", 4, 3},
	{"0xFF", "\xe4\xb8\xad\xff\xe6\x96\x87", 7, 3},
};

static int count_tokens(void *ctx, const zhfts_token *t)
{
	(*(size_t *)ctx)++;
	return 0;
}

static void test_invalid_utf8(void)
{
	zhfts_tokenizer *tok = NULL;
	CU_ASSERT_EQUAL_FATAL(zhfts_tokenizer_new(&tok, NULL), ZHFTS_OK);
	zhfts_db *db = mem_db();
	for (size_t i = 0; i < sizeof bad_utf8 / sizeof bad_utf8[0]; i++) {
		const struct bad_utf8 *c = &bad_utf8[i];
		size_t ntok = 0;
		int rc = zhfts_tokenize(tok, c->bytes, c->len, count_tokens, &ntok);
		if (rc != ZHFTS_EENCODING || msg_byte(zhfts_tokenizer_errmsg(tok)) != (long)c->bad)
			fprintf(stderr, "\ntokenize, %s: %d '%s' (bad byte at %zu)\n", c->what, rc,
			        zhfts_tokenizer_errmsg(tok), c->bad);
		CU_ASSERT_EQUAL(rc, ZHFTS_EENCODING);
		CU_ASSERT_EQUAL(ntok, 0);
		CU_ASSERT_EQUAL(msg_byte(zhfts_tokenizer_errmsg(tok)), (long)c->bad);

		/* Strict: refused, the message names the id and the offset, nothing indexed. */
		zhfts_doc_options o = ZHFTS_DOC_OPTIONS_INIT;
		o.encoding = "UTF-8";
		rc = zhfts_db_add_document(db, "bad.txt", c->bytes, c->len, &o, NULL);
		const char *msg = zhfts_db_errmsg(db);
		if (rc != ZHFTS_EENCODING || msg_byte(msg) != (long)c->bad)
			fprintf(stderr, "\nadd, %s: %d '%s' (bad byte at %zu)\n", c->what, rc, msg, c->bad);
		CU_ASSERT_EQUAL(rc, ZHFTS_EENCODING);
		CU_ASSERT_PTR_NOT_NULL(strstr(msg, "bad.txt"));
		CU_ASSERT_EQUAL(msg_byte(msg), (long)c->bad);
		zhfts_results *res = NULL;
		CU_ASSERT_EQUAL(zhfts_db_get_document(db, "bad.txt", &res), ZHFTS_ENOTFOUND);
		zhfts_results_free(res);

		/* Lenient: indexed, with U+FFFD where the bad bytes were. */
		o.flags = ZHFTS_DOC_LENIENT;
		HU_OK(db, zhfts_db_add_document(db, "bad.txt", c->bytes, c->len, &o, NULL));
		HU_OK(db, zhfts_db_get_document(db, "bad.txt", &res));
		const zhfts_hit *h = zhfts_results_hit(res, 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(h);
		CU_ASSERT_PTR_NOT_NULL(memmem(h->text, h->text_len, "\xef\xbf\xbd", 3));
		zhfts_results_free(res);
		HU_OK(db, zhfts_db_delete_document(db, "bad.txt"));

		/* Detected charset: too few bad bytes to guess another charset, so
		 * refused the same way (see lib/decode.c). */
		rc = zhfts_db_add_document(db, "bad.txt", c->bytes, c->len, NULL, NULL);
		msg = zhfts_db_errmsg(db);
		if (rc != ZHFTS_EENCODING || msg_byte(msg) != (long)c->bad)
			fprintf(stderr, "\nadd (detect), %s: %d '%s' (bad byte at %zu)\n", c->what, rc, msg, c->bad);
		CU_ASSERT_EQUAL(rc, ZHFTS_EENCODING);
		CU_ASSERT_PTR_NOT_NULL(strstr(msg, "bad.txt"));
		CU_ASSERT_EQUAL(msg_byte(msg), (long)c->bad);
		CU_ASSERT_EQUAL(zhfts_db_get_document(db, "bad.txt", &res), ZHFTS_ENOTFOUND);
		zhfts_results_free(res);
	}
	/* Issue 11: 中, FF FE, a blank line, 文 was indexed as UTF-16. */
	static const char issue[] = "\xe4\xb8\xad\xff\xfe\n\n\xe6\x96\x87";
	for (size_t cut = 0; cut < 2; cut++) { /* as filed, and with one newline (odd length) */
		hbuf d = {0};
		hb_add(&d, issue, 4 + 1);
		hb_add(&d, issue + 5 + cut, sizeof issue - 1 - 5 - cut);
		int irc = zhfts_db_add_document(db, "issue-11.txt", d.s, d.len, NULL, NULL);
		const char *msg = zhfts_db_errmsg(db);
		if (irc != ZHFTS_EENCODING || msg_byte(msg) != 3)
			fprintf(stderr, "\nissue 11 (%zu bytes): %d '%s'\n", d.len, irc, msg);
		CU_ASSERT_EQUAL(irc, ZHFTS_EENCODING);
		CU_ASSERT_PTR_NOT_NULL(strstr(msg, "issue-11.txt"));
		CU_ASSERT_EQUAL(msg_byte(msg), 3);
		zhfts_results *res = NULL;
		CU_ASSERT_EQUAL(zhfts_db_get_document(db, "issue-11.txt", &res), ZHFTS_ENOTFOUND);
		zhfts_results_free(res);
		/* Lenient, charset still detected: UTF-8 with U+FFFD. */
		zhfts_doc_options o = ZHFTS_DOC_OPTIONS_INIT;
		o.flags = ZHFTS_DOC_LENIENT;
		zhfts_doc_info info = ZHFTS_DOC_INFO_INIT;
		HU_OK(db, zhfts_db_add_document(db, "issue-11.txt", d.s, d.len, &o, &info));
		CU_ASSERT_STRING_EQUAL(info.encoding, "UTF-8");
		HU_OK(db, zhfts_db_get_document(db, "issue-11.txt", &res));
		CU_ASSERT_EQUAL(zhfts_results_count(res), cut ? 1 : 2);
		const zhfts_hit *h = zhfts_results_hit(res, 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(h);
		CU_ASSERT_STRING_EQUAL(h->text, cut ? "中\xef\xbf\xbd\xef\xbf\xbd\n文" : "中\xef\xbf\xbd\xef\xbf\xbd");
		zhfts_results_free(res);
		HU_OK(db, zhfts_db_delete_document(db, "issue-11.txt"));
		free(d.s);
	}
	/* Mostly Chinese UTF-8 with one bad byte: named as UTF-8, at the right place. */
	hbuf b = {0};
	for (int i = 0; i < 50; i++)
		hb_adds(&b, "科学城建设");
	size_t bad_at = b.len;
	hb_add(&b, "\xff", 1);
	hb_adds(&b, "发展");
	int rc = zhfts_db_add_document(db, "mostly.txt", b.s, b.len, NULL, NULL);
	CU_ASSERT_EQUAL(rc, ZHFTS_EENCODING);
	CU_ASSERT_EQUAL(msg_byte(zhfts_db_errmsg(db)), (long)bad_at);
	free(b.s);
	zhfts_db_close(db);
	zhfts_tokenizer_free(tok);
}

/* ---- UTF-16 with lone surrogates --------------------------------------------- */

static void test_utf16_lone_surrogates(void)
{
	static const struct {
		const char *what, *bytes;
		size_t len, bad;
		const char *lenient_text; /* what lenient decoding must give */
	} cases[] = {
		/* BOM, 中, lone high surrogate D800, 文 */
		{"LE lone high", "\xff\xfe\x2d\x4e\x00\xd8\x87\x65", 8, 4, "中\xef\xbf\xbd文"},
		/* BOM, 中, lone low surrogate DC00, 文 */
		{"LE lone low", "\xff\xfe\x2d\x4e\x00\xdc\x87\x65", 8, 4, "中\xef\xbf\xbd文"},
		/* BOM, 中, high surrogate at the very end */
		{"LE high at end", "\xff\xfe\x2d\x4e\x00\xd8", 6, 4, "中\xef\xbf\xbd"},
		{"BE lone high", "\xfe\xff\x4e\x2d\xd8\x00\x65\x87", 8, 4, "中\xef\xbf\xbd文"},
		/* odd length: half a code unit at the end */
		{"LE odd length", "\xff\xfe\x2d\x4e\x87", 5, 4, "中\xef\xbf\xbd"},
	};
	zhfts_db *db = mem_db();
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		zhfts_doc_info info = ZHFTS_DOC_INFO_INIT;
		int rc = zhfts_db_add_document(db, "u16.txt", cases[i].bytes, cases[i].len, NULL, &info);
		const char *msg = zhfts_db_errmsg(db);
		if (rc != ZHFTS_EENCODING || msg_byte(msg) != (long)cases[i].bad)
			fprintf(stderr, "\n%s: %d '%s' (bad unit at byte %zu)\n", cases[i].what, rc, msg, cases[i].bad);
		CU_ASSERT_EQUAL(rc, ZHFTS_EENCODING);
		CU_ASSERT_EQUAL(msg_byte(msg), (long)cases[i].bad);

		zhfts_doc_options o = ZHFTS_DOC_OPTIONS_INIT;
		o.flags = ZHFTS_DOC_LENIENT;
		HU_OK(db, zhfts_db_add_document(db, "u16.txt", cases[i].bytes, cases[i].len, &o, &info));
		CU_ASSERT_PTR_NOT_NULL(strstr(info.encoding, "UTF-16"));
		zhfts_results *res = NULL;
		HU_OK(db, zhfts_db_get_document(db, "u16.txt", &res));
		const zhfts_hit *h = zhfts_results_hit(res, 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(h);
		if (strcmp(h->text, cases[i].lenient_text))
			fprintf(stderr, "\n%s, lenient: got '%s', want '%s'\n", cases[i].what, h->text,
			        cases[i].lenient_text);
		CU_ASSERT_STRING_EQUAL(h->text, cases[i].lenient_text);
		/* The paragraph starts after the 2-byte BOM and ends with the input. */
		CU_ASSERT_EQUAL(h->offset, 2);
		CU_ASSERT_EQUAL(h->length, cases[i].len - 2);
		zhfts_results_free(res);
	}
	zhfts_db_close(db);
}

/* ---- NUL bytes ------------------------------------------------------------------ */

static void test_nul_bytes(void)
{
	static const char doc[] = "科学城\0建设\n\n第二\0段落\0";
	size_t len = sizeof doc - 1;
	zhfts_db *db = mem_db();
	HU_OK(db, zhfts_db_add_document(db, "nul.txt", doc, len, NULL, NULL));
	/* 科学城 NUL 建设 is 16 bytes; the second paragraph starts after "\n\n". */
	const char *want[] = {doc, doc + 18};
	size_t want_len[] = {16, len - 18};
	expect_paragraphs(db, "nul.txt", doc, len, want, want_len, 2);
	int rc;
	CU_ASSERT_EQUAL(count_hits(db, "科学城", strlen("科学城"), &rc), 1);
	CU_ASSERT_EQUAL(count_hits(db, "建设", strlen("建设"), &rc), 1);
	CU_ASSERT_EQUAL(count_hits(db, "段落", strlen("段落"), &rc), 1);
	/* A NUL inside a query: an answer, not a crash. */
	count_hits(db, "科学\0城", 7, &rc);
	CU_ASSERT(rc == ZHFTS_OK || rc == ZHFTS_EQUERY);
	zhfts_db_close(db);
}

/* ---- sizes ----------------------------------------------------------------------- */

/* One paragraph is one Xapian document: these check that a huge one, or a
 * great many, work. */
static void test_big_paragraph(void)
{
	/* meson runs 50 MB (5 MB in sanitized builds); by hand the default is
	 * 5 MB unless ZHFTS_HOSTILE_PARAGRAPH_MB asks for more. */
	const char *env = getenv("ZHFTS_HOSTILE_PARAGRAPH_MB");
	size_t mb = env ? (size_t)atoi(env) : 5;
	hbuf b = {0};
	size_t lines = 0;
	while (b.len < mb << 20) {
		hb_printf(&b, "第%zu行科学城建设发展数字经济。\n", lines++);
	}
	char *path;
	zhfts_db *db = disk_db(&path);
	uint64_t t0 = hu_now_ms();
	zhfts_doc_info info = ZHFTS_DOC_INFO_INIT;
	HU_OK(db, zhfts_db_add_document(db, "big.txt", b.s, b.len, NULL, &info));
	fprintf(stderr, "\n  %zu MB paragraph (%zu lines): indexed in %llu ms\n", mb, lines,
	        (unsigned long long)(hu_now_ms() - t0));
	CU_ASSERT_EQUAL(info.paragraphs, 1);
	const char *want[] = {b.s};
	size_t want_len[] = {b.len - 1};
	expect_paragraphs(db, "big.txt", b.s, b.len, want, want_len, 1);
	int rc;
	CU_ASSERT_EQUAL(count_hits(db, "\"数字经济\"", strlen("\"数字经济\""), &rc), 1);
	CU_ASSERT_EQUAL(rc, ZHFTS_OK);
	disk_db_close(db, path);
	free(b.s);
}

static void test_200k_paragraphs(void)
{
	static const char *const chars[] = {"甲", "乙", "丙", "丁", "戊"};
	hbuf b = {0};
	size_t n = 200000, count0 = 0;
	for (size_t i = 0; i < n; i++) {
		hb_adds(&b, chars[i % 5]);
		hb_adds(&b, "\n\n");
		count0 += i % 5 == 0;
	}
	char *path;
	zhfts_db *db = disk_db(&path);
	uint64_t t0 = hu_now_ms();
	zhfts_doc_info info = ZHFTS_DOC_INFO_INIT;
	HU_OK(db, zhfts_db_add_document(db, "many.txt", b.s, b.len, NULL, &info));
	fprintf(stderr, "\n  200,000 paragraphs: indexed in %llu ms\n", (unsigned long long)(hu_now_ms() - t0));
	CU_ASSERT_EQUAL(info.paragraphs, n);
	zhfts_stats st = ZHFTS_STATS_INIT;
	HU_OK(db, zhfts_db_stats(db, 0, &st));
	CU_ASSERT_EQUAL(st.paragraphs, n);
	CU_ASSERT_EQUAL(st.documents, 1);
	zhfts_search_options o = ZHFTS_SEARCH_OPTIONS_INIT;
	o.flags = ZHFTS_SEARCH_EXACT_COUNT;
	zhfts_results *res = NULL;
	HU_OK(db, zhfts_db_search(db, "甲", strlen("甲"), &o, &res));
	uint64_t est, lo, hi;
	zhfts_results_total(res, &est, &lo, &hi);
	CU_ASSERT_EQUAL(lo, count0);
	CU_ASSERT_EQUAL(hi, count0);
	zhfts_results_free(res);
	HU_OK(db, zhfts_db_get_document(db, "many.txt", &res));
	CU_ASSERT_EQUAL(zhfts_results_count(res), n);
	const zhfts_hit *last = zhfts_results_hit(res, n - 1);
	CU_ASSERT(last && last->para == n && last->offset == b.len - 5 && last->length == 3);
	zhfts_results_free(res);
	/* Re-indexing replaces all of them. */
	HU_OK(db, zhfts_db_add_document(db, "many.txt", "只有一段", strlen("只有一段"), NULL, &info));
	CU_ASSERT_EQUAL(info.replaced, n);
	HU_OK(db, zhfts_db_stats(db, 0, &st));
	CU_ASSERT_EQUAL(st.paragraphs, 1);
	disk_db_close(db, path);
	free(b.s);
}

static void test_10mb_line(void)
{
	hbuf b = {0};
	while (b.len < 10u << 20)
		hb_adds(&b, "科学城建设推进");
	hb_adds(&b, "尾声");
	char *path;
	zhfts_db *db = disk_db(&path);
	HU_OK(db, zhfts_db_add_document(db, "line.txt", b.s, b.len, NULL, NULL));
	const char *want[] = {b.s};
	size_t want_len[] = {b.len};
	expect_paragraphs(db, "line.txt", b.s, b.len, want, want_len, 1);
	int rc;
	CU_ASSERT_EQUAL(count_hits(db, "尾声", strlen("尾声"), &rc), 1);
	disk_db_close(db, path);
	free(b.s);
}

/* ---- line ends and BOMs -------------------------------------------------------------- */

static void one_split(const char *doc, int mode, const char *const *want, size_t n)
{
	zhfts_options opts = ZHFTS_OPTIONS_INIT;
	opts.paragraph_mode = mode;
	zhfts_db *db = NULL;
	CU_ASSERT_EQUAL_FATAL(zhfts_db_open(&db, NULL, ZHFTS_OPEN_INMEMORY, &opts, NULL), ZHFTS_OK);
	HU_OK(db, zhfts_db_add_document(db, "d", doc, strlen(doc), NULL, NULL));
	size_t lens[8];
	for (size_t i = 0; i < n; i++)
		lens[i] = strlen(want[i]);
	expect_paragraphs(db, "d", doc, strlen(doc), want, lens, n);
	zhfts_db_close(db);
}

static void test_line_ends(void)
{
	const char *cr[] = {"甲一\r乙二", "丙三"};
	one_split("甲一\r乙二\r\r丙三\r", ZHFTS_PARAGRAPH_BLANK_LINE, cr, 2);
	const char *crlf[] = {"甲一\r\n乙二", "丙三"};
	one_split("甲一\r\n乙二\r\n\r\n丙三\r\n", ZHFTS_PARAGRAPH_BLANK_LINE, crlf, 2);
	const char *mixed[] = {"甲", "乙\r\n丙", "丁"};
	/* LF then CR is two line ends: the empty line between them is blank. */
	one_split("\r\n甲\n\r乙\r\n丙\r\r\n丁", ZHFTS_PARAGRAPH_BLANK_LINE, mixed, 3);
	const char *lines[] = {"甲", "乙", "丙", "丁"};
	one_split("甲\r乙\r\n丙\n\n\r丁\r\n", ZHFTS_PARAGRAPH_LINE, lines, 4);
	const char *spaces[] = {"甲", "乙"};
	one_split("甲\n\xe3\x80\x80\xc2\xa0\t \n乙", ZHFTS_PARAGRAPH_BLANK_LINE, spaces, 2);
}

static void test_boms(void)
{
	zhfts_db *db = mem_db();
	zhfts_doc_info info = ZHFTS_DOC_INFO_INIT;
	/* UTF-8 BOM: offsets count it. */
	static const char u8[] = "\xef\xbb\xbf第一段\n\n第二段";
	HU_OK(db, zhfts_db_add_document(db, "u8", u8, sizeof u8 - 1, NULL, &info));
	CU_ASSERT_STRING_EQUAL(info.encoding, "UTF-8");
	const char *want[] = {"第一段", "第二段"};
	size_t wl[] = {9, 9};
	expect_paragraphs(db, "u8", u8, sizeof u8 - 1, want, wl, 2);
	/* UTF-16 with either BOM: offsets are in the UTF-16 bytes. */
	static const char le[] = "\xff\xfe\x2c\x7b\x00\x4e\xb5\x6b\x0a\x00\x0a\x00\x2c\x7b\x8c\x4e\xb5\x6b";
	static const char be[] = "\xfe\xff\x7b\x2c\x4e\x00\x6b\xb5\x00\x0a\x00\x0a\x7b\x2c\x4e\x8c\x6b\xb5";
	const char *docs[] = {le, be};
	for (int k = 0; k < 2; k++) {
		HU_OK(db, zhfts_db_add_document(db, "u16", docs[k], sizeof le - 1, NULL, &info));
		CU_ASSERT_STRING_EQUAL(info.encoding, k ? "UTF-16BE" : "UTF-16LE");
		zhfts_results *res = NULL;
		HU_OK(db, zhfts_db_get_document(db, "u16", &res));
		CU_ASSERT_EQUAL_FATAL(zhfts_results_count(res), 2);
		const zhfts_hit *a = zhfts_results_hit(res, 0), *b = zhfts_results_hit(res, 1);
		CU_ASSERT_STRING_EQUAL(a->text, "第一段");
		CU_ASSERT_STRING_EQUAL(b->text, "第二段");
		CU_ASSERT(a->offset == 2 && a->length == 6);
		CU_ASSERT(b->offset == 12 && b->length == 6);
		zhfts_results_free(res);
	}
	/* A BOM and nothing else; a BOM twice. */
	HU_OK(db, zhfts_db_add_document(db, "bom-only", "\xef\xbb\xbf", 3, NULL, &info));
	CU_ASSERT_EQUAL(info.paragraphs, 0);
	HU_OK(db, zhfts_db_add_document(db, "bom-twice", "\xef\xbb\xbf\xef\xbb\xbf文字", 12, NULL, &info));
	CU_ASSERT_EQUAL(info.paragraphs, 1);
	int rc;
	CU_ASSERT_EQUAL(count_hits(db, "文字", strlen("文字"), &rc), 1);
	zhfts_db_close(db);
}

/* ---- queries -------------------------------------------------------------------------- */

static zhfts_db *query_db(void)
{
	zhfts_db *db = mem_db();
	static const char doc[] = "一、总体要求\n\n坚持创新驱动，建设科学城北区。\n\n推进数字经济 RISC-V 发展。\n";
	HU_OK(db, zhfts_db_add_document(db, "q.txt", doc, sizeof doc - 1, NULL, NULL));
	return db;
}

/* Runs a query that must fail with `want`; the message is non-empty and any
 * position it names lies inside the query. */
static void expect_query_error(zhfts_db *db, const char *what, const char *q, size_t len, int want)
{
	zhfts_results *res = NULL;
	int rc = zhfts_db_search(db, q, len, NULL, &res);
	const char *msg = zhfts_db_errmsg(db);
	long at = msg_byte(msg);
	if (rc != want || !*msg || at > (long)len)
		fprintf(stderr, "\nquery %s: %d '%s' (want %d)\n", what, rc, msg, want);
	CU_ASSERT_EQUAL(rc, want);
	CU_ASSERT_PTR_NULL(res);
	CU_ASSERT(*msg != '\0');
	CU_ASSERT(at <= (long)len);
	zhfts_results_free(res);
}

static void test_query_syntax(void)
{
	zhfts_db *db = query_db();
	static const struct {
		const char *what, *q;
		int want;
		long at; /* the position the message must name; -1: none required */
	} cases[] = {
		{"empty", "", ZHFTS_EQUERY, -1},
		{"punctuation", "，。！？、“”《》", ZHFTS_EQUERY, -1},
		{"spaces", " \t \xe3\x80\x80 ", ZHFTS_EQUERY, -1},
		{"open quote", "科学 \"城北", ZHFTS_EQUERY, 7},
		{"curly open quote", "\xe2\x80\x9c科学", ZHFTS_EQUERY, 0},
		{"OR", "OR", ZHFTS_EQUERY, 0},
		{"OR at the end", "科学 OR", ZHFTS_EQUERY, 7},
		{"AND", "AND", ZHFTS_EQUERY, 0},
		{"minus", "-", ZHFTS_EQUERY, -1},
		{"NOT NOT", "NOT NOT", ZHFTS_EQUERY, 0},
		{"NOT NOT a", "NOT NOT 科学", ZHFTS_EQUERY, 0},
		{"only a negation", "-科学", ZHFTS_EQUERY, 0},
		{"NOT at the end", "科学 NOT", ZHFTS_EQUERY, 7},
		{"unbalanced (", "(科学", ZHFTS_EQUERY, 0},
		{"unbalanced )", "科学)", ZHFTS_EQUERY, 6},
		{"empty ()", "()", ZHFTS_EQUERY, 0},
		{"section: alone", "section:", ZHFTS_EQUERY, 0},
		{"invalid UTF-8", "科学\xff", ZHFTS_EQUERY, 6},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		expect_query_error(db, cases[i].what, cases[i].q, strlen(cases[i].q), cases[i].want);
		if (cases[i].at >= 0) {
			long at = msg_byte(zhfts_db_errmsg(db));
			if (at != cases[i].at)
				fprintf(stderr, "\nquery %s: message '%s' should name byte %ld\n", cases[i].what,
				        zhfts_db_errmsg(db), cases[i].at);
			CU_ASSERT_EQUAL(at, cases[i].at);
		}
	}
	zhfts_db_close(db);
}

static void test_query_sizes(void)
{
	zhfts_db *db = query_db();
	int rc;
	/* 10,000 terms: answered or refused with a limit, never a crash. */
	hbuf b = {0};
	for (int i = 0; i < 10000; i++)
		hb_printf(&b, "w%d ", i);
	count_hits(db, b.s, b.len, &rc);
	CU_ASSERT(rc == ZHFTS_OK || rc == ZHFTS_ELIMIT);
	if (rc == ZHFTS_ELIMIT)
		CU_ASSERT_PTR_NOT_NULL(strpbrk(zhfts_db_errmsg(db), "0123456789"));
	b.len = 0;
	for (int i = 0; i < 10000; i++)
		hb_adds(&b, "科学 OR ");
	hb_adds(&b, "城");
	count_hits(db, b.s, b.len, &rc);
	CU_ASSERT(rc == ZHFTS_OK || rc == ZHFTS_ELIMIT);

	/* Parentheses 10,000 deep: a limit, with its number and a position. */
	b.len = 0;
	for (int i = 0; i < 10000; i++)
		hb_adds(&b, "(");
	hb_adds(&b, "科学");
	for (int i = 0; i < 10000; i++)
		hb_adds(&b, ")");
	expect_query_error(db, "10,000 parentheses", b.s, b.len, ZHFTS_ELIMIT);
	CU_ASSERT(msg_byte(zhfts_db_errmsg(db)) >= 0);
	b.len = 0;
	for (int i = 0; i < 10000; i++)
		hb_adds(&b, ")");
	expect_query_error(db, "10,000 ')'", b.s, b.len, ZHFTS_EQUERY);
	b.len = 0;
	for (int i = 0; i < 10000; i++)
		hb_adds(&b, "NOT ");
	expect_query_error(db, "10,000 NOT", b.s, b.len, ZHFTS_EQUERY);
	b.len = 0;
	for (int i = 0; i < 10000; i++)
		hb_adds(&b, "\"");
	count_hits(db, b.s, b.len, &rc);
	CU_ASSERT(rc == ZHFTS_OK || rc == ZHFTS_EQUERY);

	/* 1 MB: spaces around one term are fine; over the limit is refused. */
	b.len = 0;
	while (b.len < 1000000)
		hb_adds(&b, "          ");
	hb_adds(&b, "科学城");
	CU_ASSERT_EQUAL(count_hits(db, b.s, b.len, &rc), 1);
	CU_ASSERT_EQUAL(rc, ZHFTS_OK);
	while (b.len <= 1u << 20)
		hb_adds(&b, "          ");
	count_hits(db, b.s, b.len, &rc);
	CU_ASSERT_EQUAL(rc, ZHFTS_ELIMIT);
	b.len = 0;
	while (b.len < 1000000)
		hb_adds(&b, "科学城建设");
	count_hits(db, b.s, b.len, &rc);
	CU_ASSERT(rc == ZHFTS_OK || rc == ZHFTS_ELIMIT);
	b.len = 0;
	while (b.len < 1000000)
		hb_adds(&b, "\"科学城\" ");
	count_hits(db, b.s, b.len, &rc);
	CU_ASSERT(rc == ZHFTS_OK || rc == ZHFTS_ELIMIT);
	free(b.s);
	zhfts_db_close(db);
}

static void setup(void)
{
	CU_pSuite s = CU_add_suite("hostile-documents", NULL, NULL);
	CU_add_test(s, "invalid UTF-8", test_invalid_utf8);
	CU_add_test(s, "UTF-16 lone surrogates", test_utf16_lone_surrogates);
	CU_add_test(s, "NUL bytes", test_nul_bytes);
	CU_add_test(s, "line ends", test_line_ends);
	CU_add_test(s, "BOMs", test_boms);
	CU_add_test(s, "10 MB line", test_10mb_line);
	CU_add_test(s, "200,000 paragraphs", test_200k_paragraphs);
	CU_add_test(s, "big paragraph (ZHFTS_HOSTILE_PARAGRAPH_MB=50)", test_big_paragraph);
	s = CU_add_suite("hostile-queries", NULL, NULL);
	CU_add_test(s, "syntax", test_query_syntax);
	CU_add_test(s, "sizes", test_query_sizes);
}

int main(void)
{
	return hu_run(setup);
}
