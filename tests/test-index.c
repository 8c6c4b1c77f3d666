/*
 * The database: add, replace, delete, commit, reopen, counts, settings,
 * locking, read-only access and errors.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <unicode/ucnv.h>

#include "testutil.h"
#include "zhfts-private.h"

static char *dir;

static zhfts_db *open_db(unsigned flags, const zhfts_options *o)
{
	zhfts_db *db = NULL;
	char *err = NULL;
	int rc = zhfts_db_open(&db, dir, flags, o, &err);
	if (rc)
		fprintf(stderr, "\nopen %s: %d %s\n", dir, rc, err);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	zhfts_free(err);
	return db;
}

static uint64_t count_hits(zhfts_db *db, const char *q)
{
	zhfts_search_options o = ZHFTS_SEARCH_OPTIONS_INIT;
	o.limit = SIZE_MAX;
	zhfts_results *r;
	TU_OK(db, zhfts_db_search(db, q, strlen(q), &o, &r));
	uint64_t n = zhfts_results_count(r);
	zhfts_results_free(r);
	return n;
}

static void add(zhfts_db *db, const char *id, const char *text)
{
	TU_OK(db, zhfts_db_add_document(db, id, text, strlen(text), NULL, NULL));
}

static int fresh(void)
{
	free(dir);
	dir = tu_tmpdir("index");
	return 0;
}

static int cleanup(void)
{
	tu_rmrf(dir);
	free(dir);
	dir = NULL;
	return 0;
}

static void test_add_replace_delete(void)
{
	zhfts_db *db = open_db(ZHFTS_OPEN_CREATE, NULL);
	add(db, "a.txt", "甲乙丙\n\n丁戊己\n\n庚辛壬");
	add(db, "b.txt", "科学城北区\n\n海淀");
	zhfts_stats st = ZHFTS_STATS_INIT;
	TU_OK(db, zhfts_db_stats(db, 0, &st));
	CU_ASSERT(st.documents == 2 && st.paragraphs == 5);
	CU_ASSERT_EQUAL(count_hits(db, "丁戊"), 1);
	/* Replacing removes every old paragraph. */
	zhfts_doc_info info = ZHFTS_DOC_INFO_INIT;
	TU_OK(db, zhfts_db_add_document(db, "a.txt", "新的内容", strlen("新的内容"), NULL, &info));
	CU_ASSERT(info.paragraphs == 1 && info.replaced == 3);
	CU_ASSERT_STRING_EQUAL(info.encoding, "UTF-8");
	CU_ASSERT_EQUAL(count_hits(db, "丁戊"), 0);
	CU_ASSERT_EQUAL(count_hits(db, "新的"), 1);
	TU_OK(db, zhfts_db_stats(db, 0, &st));
	CU_ASSERT(st.documents == 2 && st.paragraphs == 3);
	/* The same document again: stored already, nothing written.  Another
	 * field, or another line, and it is replaced. */
	uint64_t dead = st.dead;
	TU_OK(db, zhfts_db_add_document(db, "a.txt", "新的内容", strlen("新的内容"), NULL, &info));
	CU_ASSERT(info.unchanged == 1 && info.paragraphs == 1 && info.replaced == 0);
	TU_OK(db, zhfts_db_stats(db, 0, &st));
	CU_ASSERT(st.paragraphs == 3 && st.dead == dead);
	zhfts_field year = {"year", "2021"};
	zhfts_doc_options with_year = ZHFTS_DOC_OPTIONS_INIT;
	with_year.fields = &year;
	with_year.nfields = 1;
	TU_OK(db, zhfts_db_add_document(db, "a.txt", "新的内容", strlen("新的内容"), &with_year, &info));
	CU_ASSERT(info.unchanged == 0 && info.replaced == 1);
	CU_ASSERT_EQUAL(count_hits(db, "year:2021"), 1);
	TU_OK(db, zhfts_db_add_document(db, "a.txt", "新的内容\n\n再一段", strlen("新的内容\n\n再一段"), &with_year,
	                                &info));
	CU_ASSERT(info.unchanged == 0 && info.replaced == 1 && info.paragraphs == 2);
	TU_OK(db, zhfts_db_add_document(db, "a.txt", "新的内容", strlen("新的内容"), NULL, &info));
	CU_ASSERT(info.unchanged == 0 && info.replaced == 2 && info.paragraphs == 1);
	/* A caller of version 1 gets what version 1 has. */
	struct {
		zhfts_doc_info v1;
		unsigned guard;
	} old = {{1, 0, 0, NULL, 0, 0xdeadbeef}, 0xdeadbeef};
	TU_OK(db, zhfts_db_add_document(db, "a.txt", "新的内容", strlen("新的内容"), NULL, (zhfts_doc_info *)&old.v1));
	CU_ASSERT(old.v1.paragraphs == 1 && old.v1.unchanged == 0xdeadbeef);
	TU_OK(db, zhfts_db_stats(db, 0, &st));
	CU_ASSERT(st.documents == 2 && st.paragraphs == 3);
	/* Delete. */
	CU_ASSERT_EQUAL(zhfts_db_delete_document(db, "nope.txt"), ZHFTS_ENOTFOUND);
	CU_ASSERT(strstr(zhfts_db_errmsg(db), "nope.txt") != NULL);
	TU_OK(db, zhfts_db_delete_document(db, "b.txt"));
	CU_ASSERT_EQUAL(count_hits(db, "海淀"), 0);
	TU_OK(db, zhfts_db_close(db));
	/* Durable across close and reopen, read-only. */
	db = open_db(ZHFTS_OPEN_READONLY, NULL);
	TU_OK(db, zhfts_db_stats(db, ZHFTS_STATS_TERMS, &st));
	CU_ASSERT(st.documents == 1 && st.paragraphs == 1 && st.terms > 3 && st.disk_bytes > 0);
	CU_ASSERT_EQUAL(count_hits(db, "新的"), 1);
	CU_ASSERT_EQUAL(zhfts_db_add_document(db, "c", "x", 1, NULL, NULL), ZHFTS_EREADONLY);
	CU_ASSERT_EQUAL(zhfts_db_commit(db), ZHFTS_EREADONLY);
	TU_OK(db, zhfts_db_close(db));
}

static void test_readers_see_whole_documents(void)
{
	zhfts_db *w = open_db(ZHFTS_OPEN_CREATE, NULL);
	add(w, "doc", "旧版第一段\n\n旧版第二段\n\n旧版第三段");
	TU_OK(w, zhfts_db_commit(w));
	zhfts_db *r = open_db(ZHFTS_OPEN_READONLY, NULL);
	CU_ASSERT_EQUAL(count_hits(r, "旧版"), 3);
	add(w, "doc", "新版第一段\n\n新版第二段");
	/* Not committed: the reader still sees the whole old version. */
	TU_OK(r, zhfts_db_reopen(r));
	CU_ASSERT_EQUAL(count_hits(r, "旧版"), 3);
	CU_ASSERT_EQUAL(count_hits(r, "新版"), 0);
	TU_OK(w, zhfts_db_commit(w));
	TU_OK(r, zhfts_db_reopen(r));
	CU_ASSERT_EQUAL(count_hits(r, "旧版"), 0);
	CU_ASSERT_EQUAL(count_hits(r, "新版"), 2);
	/* Rolled back changes never appear. */
	add(w, "doc", "作废的版本");
	add(w, "other", "作废的文档");
	TU_OK(w, zhfts_db_rollback(w));
	CU_ASSERT_EQUAL(count_hits(w, "作废"), 0);
	CU_ASSERT_EQUAL(count_hits(w, "新版"), 2);
	TU_OK(w, zhfts_db_commit(w));
	TU_OK(r, zhfts_db_reopen(r));
	CU_ASSERT_EQUAL(count_hits(r, "作废"), 0);
	zhfts_results *doc;
	TU_OK(r, zhfts_db_get_document(r, "doc", &doc));
	CU_ASSERT_EQUAL(zhfts_results_count(doc), 2);
	CU_ASSERT_STRING_EQUAL(zhfts_results_hit(doc, 1)->text, "新版第二段");
	zhfts_results_free(doc);
	CU_ASSERT_EQUAL(zhfts_db_get_document(r, "missing", &doc), ZHFTS_ENOTFOUND);
	CU_ASSERT_PTR_NULL(doc);
	TU_OK(r, zhfts_db_close(r));
	TU_OK(w, zhfts_db_close(w));
}

static void test_failed_document_changes_nothing(void)
{
	zhfts_db *db = open_db(ZHFTS_OPEN_CREATE, NULL);
	add(db, "good", "第一段\n\n第二段");
	const char bad[] = "第一段\n\n坏\xff字节";
	CU_ASSERT_EQUAL(zhfts_db_add_document(db, "good", bad, sizeof bad - 1, NULL, NULL), ZHFTS_EENCODING);
	const char *msg = zhfts_db_errmsg(db);
	CU_ASSERT(strstr(msg, "good") && strstr(msg, "byte offset 14"));
	CU_ASSERT_EQUAL(count_hits(db, "第二段"), 1);
	/* Lenient mode indexes it, with U+FFFD in place of the bad byte. */
	zhfts_doc_options o = ZHFTS_DOC_OPTIONS_INIT;
	o.flags = ZHFTS_DOC_LENIENT;
	TU_OK(db, zhfts_db_add_document(db, "good", bad, sizeof bad - 1, &o, NULL));
	CU_ASSERT_EQUAL(count_hits(db, "第二段"), 0);
	CU_ASSERT_EQUAL(count_hits(db, "字节"), 1);
	CU_ASSERT_EQUAL(zhfts_db_add_document(db, "", "x", 1, NULL, NULL), ZHFTS_EINVAL);
	CU_ASSERT_EQUAL(zhfts_db_add_document(db, NULL, "x", 1, NULL, NULL), ZHFTS_EINVAL);
	CU_ASSERT_EQUAL(zhfts_db_add_document(db, "x", NULL, 5, NULL, NULL), ZHFTS_EINVAL);
	o.encoding = "NO-SUCH";
	CU_ASSERT_EQUAL(zhfts_db_add_document(db, "x", "abc", 3, &o, NULL), ZHFTS_EENCODING);
	TU_OK(db, zhfts_db_close(db));
}

static void test_gbk_document(void)
{
	zhfts_db *db = open_db(ZHFTS_OPEN_CREATE, NULL);
	const char *u = "第一章 总则\n\n本办法适用于中关村科学城的建设项目。\n\n附则";
	char g[256];
	UErrorCode e = U_ZERO_ERROR;
	int32_t gl = ucnv_convert("GB18030", "UTF-8", g, sizeof g, u, (int32_t)strlen(u), &e);
	CU_ASSERT_FATAL(U_SUCCESS(e));
	zhfts_doc_info info = ZHFTS_DOC_INFO_INIT;
	TU_OK(db, zhfts_db_add_document(db, "gbk.txt", g, (size_t)gl, NULL, &info));
	CU_ASSERT(strstr(info.encoding, "GB") != NULL);
	zhfts_results *r;
	TU_OK(db, zhfts_db_search(db, "科学城", strlen("科学城"), NULL, &r));
	CU_ASSERT_EQUAL_FATAL(zhfts_results_count(r), 1);
	const zhfts_hit *h = zhfts_results_hit(r, 0);
	CU_ASSERT_EQUAL(h->para, 2);
	CU_ASSERT_STRING_EQUAL(h->section, "第一章 总则");
	/* offset and length are GB18030 bytes of the original. */
	char back[256];
	e = U_ZERO_ERROR;
	int32_t bl = ucnv_convert("UTF-8", "GB18030", back, sizeof back, g + h->offset, (int32_t)h->length, &e);
	CU_ASSERT((size_t)bl == h->text_len && !memcmp(back, h->text, h->text_len));
	zhfts_results_free(r);
	TU_OK(db, zhfts_db_close(db));
}

static void test_second_writer_is_locked(void)
{
	zhfts_db *w = open_db(ZHFTS_OPEN_CREATE, NULL);
	zhfts_db *other = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL(zhfts_db_open(&other, dir, ZHFTS_OPEN_WRITE, NULL, &err), ZHFTS_ELOCKED);
	CU_ASSERT(err && strstr(err, "lock"));
	CU_ASSERT_PTR_NULL(other);
	zhfts_free(err);
	/* Readers are welcome. */
	zhfts_db *r = open_db(ZHFTS_OPEN_READONLY, NULL);
	TU_OK(r, zhfts_db_close(r));
	TU_OK(w, zhfts_db_close(w));
	/* A writer in another process holds the lock briefly; a timeout waits for it. */
	int fds[2];
	CU_ASSERT_FATAL(pipe(fds) == 0);
	pid_t pid = fork();
	if (pid == 0) {
		zhfts_db *c = NULL;
		if (zhfts_db_open(&c, dir, ZHFTS_OPEN_WRITE, NULL, NULL))
			_exit(1);
		if (write(fds[1], "x", 1) != 1)
			_exit(1);
		usleep(300 * 1000);
		zhfts_db_close(c);
		_exit(0);
	}
	char x;
	CU_ASSERT_FATAL(read(fds[0], &x, 1) == 1);
	CU_ASSERT_EQUAL(zhfts_db_open(&other, dir, ZHFTS_OPEN_WRITE, NULL, NULL), ZHFTS_ELOCKED);
	zhfts_options o = ZHFTS_OPTIONS_INIT;
	o.lock_timeout_ms = 10000;
	CU_ASSERT_EQUAL(zhfts_db_open(&other, dir, ZHFTS_OPEN_WRITE, &o, NULL), ZHFTS_OK);
	zhfts_db_close(other);
	int status;
	waitpid(pid, &status, 0);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(fds[0]);
	close(fds[1]);
}

static void test_settings(void)
{
	zhfts_options o = ZHFTS_OPTIONS_INIT;
	o.traditional = ZHFTS_OFF;
	o.paragraph_mode = ZHFTS_PARAGRAPH_LINE;
	zhfts_db *db = open_db(ZHFTS_OPEN_CREATE, &o);
	add(db, "t", "科學城\n發展");
	TU_OK(db, zhfts_db_close(db));
	/* Asking for folding on a database built without it is an error. */
	zhfts_options want = ZHFTS_OPTIONS_INIT;
	want.traditional = ZHFTS_ON;
	char *err = NULL;
	CU_ASSERT_EQUAL(zhfts_db_open(&db, dir, ZHFTS_OPEN_READONLY, &want, &err), ZHFTS_ESETTINGS);
	CU_ASSERT(err && strstr(err, "traditional"));
	zhfts_free(err);
	/* The default takes the database's own settings. */
	db = open_db(ZHFTS_OPEN_READONLY, NULL);
	zhfts_options got;
	TU_OK(db, zhfts_db_settings(db, &got));
	CU_ASSERT(got.traditional == ZHFTS_OFF && got.normalize == ZHFTS_ON &&
	          got.paragraph_mode == ZHFTS_PARAGRAPH_LINE);
	CU_ASSERT_EQUAL(count_hits(db, "科學"), 1);
	CU_ASSERT_EQUAL(count_hits(db, "科学"), 0);
	CU_ASSERT_EQUAL(count_hits(db, "發展"), 1); /* line mode: two paragraphs */
	TU_OK(db, zhfts_db_close(db));
	/* A document can ask for line mode in a blank-line database. */
	tu_rmrf(dir);
	db = open_db(ZHFTS_OPEN_CREATE, NULL);
	zhfts_doc_options d = ZHFTS_DOC_OPTIONS_INIT;
	d.flags = ZHFTS_DOC_LINES;
	zhfts_doc_info info = ZHFTS_DOC_INFO_INIT;
	TU_OK(db, zhfts_db_add_document(db, "lines", "一\n二\n\n三", strlen("一\n二\n\n三"), &d, &info));
	CU_ASSERT_EQUAL(info.paragraphs, 3);
	TU_OK(db, zhfts_db_add_document(db, "blank", "一\n二\n\n三", strlen("一\n二\n\n三"), NULL, &info));
	CU_ASSERT_EQUAL(info.paragraphs, 2);
	TU_OK(db, zhfts_db_close(db));
}

static void test_foreign_and_future_databases(void)
{
	/* A database from a later index format. */
	zhfts_db *db = open_db(ZHFTS_OPEN_CREATE, NULL);
	add(db, "x", "内容");
	zerr e;
	const char *future = "format=999 normalize=1";
	CU_ASSERT_FATAL(zx_metadata_set(db->x, "zhfts.settings", future, strlen(future), &e) == 0);
	TU_OK(db, zhfts_db_close(db));
	char *err = NULL;
	CU_ASSERT_EQUAL(zhfts_db_open(&db, dir, ZHFTS_OPEN_READONLY, NULL, &err), ZHFTS_EVERSION);
	CU_ASSERT(err && strstr(err, "format 999"));
	zhfts_free(err);
	/* No database at all, and a plain file. */
	char *missing = tu_tmpdir("missing");
	CU_ASSERT_EQUAL(zhfts_db_open(&db, missing, ZHFTS_OPEN_READONLY, NULL, &err), ZHFTS_ENOTFOUND);
	CU_ASSERT(err && strstr(err, missing));
	zhfts_free(err);
	FILE *f = fopen(missing, "w");
	fputs("not a database", f);
	fclose(f);
	int rc = zhfts_db_open(&db, missing, ZHFTS_OPEN_READONLY, NULL, &err);
	CU_ASSERT(rc == ZHFTS_ECORRUPT || rc == ZHFTS_EIO);
	CU_ASSERT(err != NULL);
	zhfts_free(err);
	remove(missing);
	free(missing);
	CU_ASSERT_EQUAL(zhfts_db_open(NULL, dir, 0, NULL, NULL), ZHFTS_EINVAL);
	CU_ASSERT_EQUAL(zhfts_db_open(&db, NULL, 0, NULL, NULL), ZHFTS_EINVAL);
	CU_ASSERT_EQUAL(zhfts_db_close(NULL), ZHFTS_OK);
	CU_ASSERT_STRING_EQUAL(zhfts_db_errmsg(NULL), "");
}

typedef struct listing {
	char ids[8][32];
	uint32_t paras[8];
	int n;
} listing;

static int list_one(void *ctx, const char *id, uint32_t paragraphs)
{
	listing *l = ctx;
	if (l->n < 8) {
		snprintf(l->ids[l->n], 32, "%s", id);
		l->paras[l->n++] = paragraphs;
	}
	return 0;
}

static void test_listing(void)
{
	zhfts_db *db = open_db(ZHFTS_OPEN_CREATE, NULL);
	add(db, "b", "一\n\n二");
	add(db, "a", "一");
	add(db, "c", "一\n\n二\n\n三");
	listing l = {0};
	TU_OK(db, zhfts_db_foreach_document(db, list_one, &l));
	CU_ASSERT_EQUAL_FATAL(l.n, 3);
	CU_ASSERT(!strcmp(l.ids[0], "a") && !strcmp(l.ids[1], "b") && !strcmp(l.ids[2], "c"));
	CU_ASSERT(l.paras[0] == 1 && l.paras[1] == 2 && l.paras[2] == 3);
	TU_OK(db, zhfts_db_close(db));
}

static void test_merge(void)
{
	char *a = tu_tmpdir("shard-a"), *b = tu_tmpdir("shard-b"), *c = tu_tmpdir("shard-c");
	char *saved = dir;
	zhfts_db *db;
	dir = a;
	db = open_db(ZHFTS_OPEN_CREATE, NULL);
	add(db, "one", "科学城北区\n\n海淀");
	add(db, "two", "中关村");
	TU_OK(db, zhfts_db_close(db));
	dir = b;
	db = open_db(ZHFTS_OPEN_CREATE, NULL);
	add(db, "three", "科学城\n\n建设\n\n发展");
	TU_OK(db, zhfts_db_close(db));
	const char *srcs[] = {a, b};
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(zhfts_db_merge(saved, srcs, 2, &err), ZHFTS_OK);
	dir = saved;
	db = open_db(ZHFTS_OPEN_READONLY, NULL);
	zhfts_stats st = ZHFTS_STATS_INIT;
	TU_OK(db, zhfts_db_stats(db, 0, &st));
	CU_ASSERT(st.documents == 3 && st.paragraphs == 6);
	CU_ASSERT_EQUAL(count_hits(db, "科学城"), 2);
	zhfts_results *r;
	TU_OK(db, zhfts_db_get_document(db, "three", &r));
	CU_ASSERT_EQUAL(zhfts_results_count(r), 3);
	zhfts_results_free(r);
	TU_OK(db, zhfts_db_close(db));
	/* The destination must be new; ids must not repeat; settings must agree. */
	CU_ASSERT_EQUAL(zhfts_db_merge(saved, srcs, 2, &err), ZHFTS_EINVAL);
	CU_ASSERT(err && strstr(err, "exists"));
	zhfts_free(err);
	const char *twice[] = {a, a};
	CU_ASSERT_EQUAL(zhfts_db_merge(c, twice, 2, &err), ZHFTS_EINVAL);
	CU_ASSERT(err && strstr(err, "document one is in both"));
	zhfts_free(err);
	dir = c;
	zhfts_options o = ZHFTS_OPTIONS_INIT;
	o.traditional = ZHFTS_OFF;
	db = open_db(ZHFTS_OPEN_CREATE, &o);
	add(db, "four", "科學");
	TU_OK(db, zhfts_db_close(db));
	char *d2 = tu_tmpdir("merged");
	const char *mixed[] = {a, c};
	CU_ASSERT_EQUAL(zhfts_db_merge(d2, mixed, 2, &err), ZHFTS_ESETTINGS);
	zhfts_free(err);
	dir = saved;
	tu_rmrf(a);
	tu_rmrf(b);
	tu_rmrf(c);
	tu_rmrf(d2);
	free(a);
	free(b);
	free(c);
	free(d2);
}

/* The set of (doc, para) a query finds, as "doc:para doc:para ..." in rank
 * order, and its total. */
static char *hit_keys(zhfts_db *db, const char *q, uint64_t *total)
{
	zhfts_search_options o = ZHFTS_SEARCH_OPTIONS_INIT;
	o.limit = SIZE_MAX;
	o.flags = ZHFTS_SEARCH_NO_SNIPPETS | ZHFTS_SEARCH_EXACT_COUNT;
	zhfts_results *r;
	TU_OK(db, zhfts_db_search(db, q, strlen(q), &o, &r));
	size_t cap = 64, n = 0;
	char *out = calloc(1, cap);
	for (size_t i = 0; i < zhfts_results_count(r); i++) {
		const zhfts_hit *h = zhfts_results_hit(r, i);
		CU_ASSERT_PTR_NOT_NULL_FATAL(h);
		/* Ids may be long (the hashed ids' test): the key is sized to it. */
		int len = snprintf(NULL, 0, "%s:%u ", h->doc, h->para);
		while (n + (size_t)len + 1 > cap)
			out = realloc(out, cap *= 2);
		snprintf(out + n, cap - n, "%s:%u ", h->doc, h->para);
		n += (size_t)len;
	}
	zhfts_results_total(r, NULL, total, NULL);
	zhfts_results_free(r);
	return out;
}

static void stats_of(zhfts_db *db, zhfts_stats *st)
{
	*st = (zhfts_stats)ZHFTS_STATS_INIT;
	TU_OK(db, zhfts_db_stats(db, 0, st));
}

/* 60 documents of 3 paragraphs: i, then the ones replaced and deleted. */
static void build_and_update(zhfts_db *db)
{
	char id[32], text[256];
	for (int i = 0; i < 60; i++) {
		snprintf(id, sizeof id, "d%02d", i);
		snprintf(text, sizeof text, "科学城建设第%d段。\n\n发展经济%d。\n\n民生%d。", i, i, i % 7);
		add(db, id, text);
	}
	TU_OK(db, zhfts_db_commit(db));
	for (int i = 0; i < 12; i++) {
		snprintf(id, sizeof id, "d%02d", i);
		snprintf(text, sizeof text, "改写的第%d份。\n\n科学城。", i);
		add(db, id, text);
	}
	for (int i = 12; i < 18; i++) {
		snprintf(id, sizeof id, "d%02d", i);
		TU_OK(db, zhfts_db_delete_document(db, id));
	}
	TU_OK(db, zhfts_db_commit(db));
}

static const char *const probe_queries[] = {"科学城", "民生", "改写", "\"经济1\"", "发展 -民生", "doc:d1*", "科学城建设"};

static void test_dead_paragraphs_and_compaction(void)
{
	zhfts_db *db = open_db(ZHFTS_OPEN_CREATE, NULL);
	build_and_update(db);
	/* Replaced and deleted paragraphs are dead: counted, never found. */
	zhfts_stats st;
	stats_of(db, &st);
	CU_ASSERT_EQUAL(st.documents, 54);
	CU_ASSERT_EQUAL(st.paragraphs, 48 * 3 + 12 * 2 - 6 * 3 + 6 * 3 - 6 * 3); /* 150 */
	CU_ASSERT_EQUAL(st.dead, 12 * 3 + 6 * 3);
	TU_OK(db, zhfts_db_close(db));
	db = open_db(ZHFTS_OPEN_READONLY, NULL);
	size_t nq = sizeof probe_queries / sizeof *probe_queries;
	char *before[16];
	uint64_t totals[16];
	for (size_t i = 0; i < nq; i++)
		before[i] = hit_keys(db, probe_queries[i], &totals[i]);
	/* Independent of the library: what the documents hold now. */
	CU_ASSERT_EQUAL(totals[0], 42 + 12); /* 科学城: d18-d59 once, d00-d11 once */
	CU_ASSERT_EQUAL(totals[2], 12);
	CU_ASSERT_PTR_NULL(strstr(before[0], "d12:") );
	CU_ASSERT_PTR_NULL(strstr(before[1], "d00:"));
	uint64_t disk = st.disk_bytes;
	/* Compaction with a reader open: the reader reads on, then reopens. */
	char *err = NULL;
	int rc = zhfts_db_compact(dir, &err);
	if (rc)
		fprintf(stderr, "\ncompact: %s\n", err);
	CU_ASSERT_EQUAL_FATAL(rc, ZHFTS_OK);
	for (size_t i = 0; i < nq; i++) {
		uint64_t t;
		char *during = hit_keys(db, probe_queries[i], &t);
		CU_ASSERT_STRING_EQUAL(during, before[i]);
		free(during);
	}
	TU_OK(db, zhfts_db_reopen(db));
	stats_of(db, &st);
	CU_ASSERT_EQUAL(st.documents, 54);
	CU_ASSERT_EQUAL(st.paragraphs, 150);
	CU_ASSERT_EQUAL(st.dead, 0);
	CU_ASSERT(st.disk_bytes < disk);
	for (size_t i = 0; i < nq; i++) {
		uint64_t t;
		char *after = hit_keys(db, probe_queries[i], &t);
		/* The same paragraphs in the same order, and the same total. */
		CU_ASSERT_STRING_EQUAL(after, before[i]);
		CU_ASSERT_EQUAL(t, totals[i]);
		free(after);
		free(before[i]);
	}
	TU_OK(db, zhfts_db_close(db));
	/* A writer holding the lock makes compaction wait for nobody. */
	db = open_db(ZHFTS_OPEN_WRITE, NULL);
	CU_ASSERT_EQUAL(zhfts_db_compact(dir, &err), ZHFTS_ELOCKED);
	zhfts_free(err);
	err = NULL;
	TU_OK(db, zhfts_db_close(db));
	CU_ASSERT_EQUAL(zhfts_db_compact("/nonexistent/zhfts", &err), ZHFTS_EINVAL);
	zhfts_free(err);
}

static void test_merge_keeps_dead_paragraphs_out(void)
{
	char *saved = dir, *a = tu_tmpdir("dead-a"), *b = tu_tmpdir("dead-b"), *m = tu_tmpdir("dead-m");
	dir = a;
	zhfts_db *db = open_db(ZHFTS_OPEN_CREATE, NULL);
	build_and_update(db);
	TU_OK(db, zhfts_db_close(db));
	dir = b;
	db = open_db(ZHFTS_OPEN_CREATE, NULL);
	add(db, "e1", "科学城在别处。\n\n民生。");
	add(db, "e2", "废弃的文字。");
	TU_OK(db, zhfts_db_delete_document(db, "e2"));
	TU_OK(db, zhfts_db_close(db));
	const char *srcs[] = {a, b};
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(zhfts_db_merge(m, srcs, 2, &err), ZHFTS_OK);
	dir = m;
	db = open_db(ZHFTS_OPEN_READONLY, NULL);
	zhfts_stats st;
	stats_of(db, &st);
	CU_ASSERT_EQUAL(st.documents, 55);
	CU_ASSERT_EQUAL(st.paragraphs, 152);
	CU_ASSERT_EQUAL(st.dead, 54 + 1);
	uint64_t t;
	free(hit_keys(db, "科学城", &t));
	CU_ASSERT_EQUAL(t, 55);
	free(hit_keys(db, "废弃", &t));
	CU_ASSERT_EQUAL(t, 0);
	free(hit_keys(db, "改写", &t));
	CU_ASSERT_EQUAL(t, 12);
	TU_OK(db, zhfts_db_close(db));
	dir = saved;
	tu_rmrf(a);
	tu_rmrf(b);
	tu_rmrf(m);
	free(a);
	free(b);
	free(m);
}

/* Ids too long for a term are hashed; two that share a hash stay apart. */
static void test_hashed_ids_that_collide(void)
{
	zhfts_db *db = open_db(ZHFTS_OPEN_CREATE, NULL);
	db->id_hash_bits = 1; /* two hash values: long ids collide */
	char a[400], b[400], c[400];
	memset(a, 'a', 299), a[299] = '\0';
	memset(b, 'b', 299), b[299] = '\0';
	memset(c, 'c', 299), c[299] = '\0';
	add(db, a, "甲文件。\n\n科学城。");
	add(db, b, "乙文件。");
	add(db, c, "丙文件。");
	zbuf t1 = {0}, t2 = {0}, t3 = {0};
	zhfts__term_docid(&t1, a, 1);
	zhfts__term_docid(&t2, b, 1);
	zhfts__term_docid(&t3, c, 1);
	/* Of three ids and two hash values, two share a term. */
	bool shared = !strcmp(t1.data, t2.data) || !strcmp(t1.data, t3.data) || !strcmp(t2.data, t3.data);
	CU_ASSERT(shared);
	zbuf_free(&t1);
	zbuf_free(&t2);
	zbuf_free(&t3);
	zhfts_results *r;
	TU_OK(db, zhfts_db_get_document(db, a, &r));
	CU_ASSERT_EQUAL(zhfts_results_count(r), 2);
	zhfts_results_free(r);
	/* Replacing and deleting one leaves the others alone. */
	add(db, b, "乙文件的新版。");
	TU_OK(db, zhfts_db_delete_document(db, c));
	TU_OK(db, zhfts_db_get_document(db, a, &r));
	CU_ASSERT_EQUAL(zhfts_results_count(r), 2);
	zhfts_results_free(r);
	TU_OK(db, zhfts_db_get_document(db, b, &r));
	CU_ASSERT_EQUAL(zhfts_results_count(r), 1);
	CU_ASSERT(r && strstr(zhfts_results_hit(r, 0)->text, "新版"));
	zhfts_results_free(r);
	CU_ASSERT_EQUAL(zhfts_db_get_document(db, c, &r), ZHFTS_ENOTFOUND);
	CU_ASSERT_EQUAL(zhfts_db_delete_document(db, c), ZHFTS_ENOTFOUND);
	uint64_t t;
	char *k = hit_keys(db, "文件", &t);
	CU_ASSERT_EQUAL(t, 2);
	free(k);
	char q[420];
	snprintf(q, sizeof q, "doc:%s", a);
	k = hit_keys(db, q, &t);
	CU_ASSERT_EQUAL(t, 2);
	free(k);
	zhfts_stats st;
	stats_of(db, &st);
	CU_ASSERT_EQUAL(st.documents, 2);
	TU_OK(db, zhfts_db_close(db));
}

/* Bad input changes nothing pending; its error says where it is. */
static void test_bad_input_keeps_pending(void)
{
	zhfts_db *db = open_db(ZHFTS_OPEN_CREATE, NULL);
	add(db, "kept1", "第一份。");
	add(db, "kept2", "第二份。");
	zhfts_field bad[1] = {{"Bad-Name", "x"}};
	zhfts_doc_options o = ZHFTS_DOC_OPTIONS_INIT;
	o.fields = bad;
	o.nfields = 1;
	CU_ASSERT_EQUAL(zhfts_db_add_document(db, "bad", "第三份。", 12, &o, NULL), ZHFTS_EINVAL);
	CU_ASSERT_EQUAL(zhfts_db_error(db)->where, ZHFTS_WHERE_OPTION);
	CU_ASSERT_EQUAL(zhfts_db_error(db)->lost, 0);
	CU_ASSERT_EQUAL(zhfts_db_add_document(db, "bad2", "坏\xff的", 7, NULL, NULL), ZHFTS_EENCODING);
	CU_ASSERT_EQUAL(zhfts_db_error(db)->where, ZHFTS_WHERE_DOCUMENT);
	CU_ASSERT_EQUAL(zhfts_db_error(db)->offset, 3);
	CU_ASSERT_STRING_EQUAL(zhfts_db_error(db)->doc, "bad2");
	TU_OK(db, zhfts_db_commit(db));
	zhfts_stats st;
	stats_of(db, &st);
	if (st.documents != 2)
		fprintf(stderr, "\ndocuments %llu paragraphs %llu\n", (unsigned long long)st.documents,
		        (unsigned long long)st.paragraphs);
	CU_ASSERT_EQUAL(st.documents, 2);
	TU_OK(db, zhfts_db_close(db));
}

/* Whether docids are in document order (docorder.c), as the search reads it. */
static const char *order_of(const char *path)
{
	static char out[128];
	zhfts_db *db = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(zhfts_db_open(&db, path, ZHFTS_OPEN_READONLY, NULL, &err), ZHFTS_OK);
	zorder o = {0};
	zerr e = {{0}, 0, 0, -1};
	CU_ASSERT_EQUAL_FATAL(zhfts__order_load(&o, db->x, path, &e), ZHFTS_OK);
	if (!o.ordered)
		snprintf(out, sizeof out, "unordered");
	else if (o.empty)
		snprintf(out, sizeof out, "empty");
	else
		snprintf(out, sizeof out, "%.*s..%.*s", (int)o.first.len, o.first.data, (int)o.last.len, o.last.data);
	zhfts__order_free(&o);
	zhfts_db_close(db);
	return out;
}

static void test_document_order(void)
{
	char *saved = dir, *a = tu_tmpdir("order-a"), *b = tu_tmpdir("order-b"), *m = tu_tmpdir("order-m");
	char *m2 = tu_tmpdir("order-m2");
	zhfts_db *db;
	dir = a;
	db = open_db(ZHFTS_OPEN_CREATE, NULL);
	TU_OK(db, zhfts_db_commit(db));
	CU_ASSERT_STRING_EQUAL(order_of(a), "empty");
	add(db, "a1", "科学城\n\n海淀");
	add(db, "a2", "中关村");
	add(db, "a3", "建设");
	add(db, "a3", "建设科学城"); /* the last again: still in order */
	zhfts_db_delete_document(db, "a1");
	TU_OK(db, zhfts_db_close(db));
	CU_ASSERT_STRING_EQUAL(order_of(a), "a1..a3");
	dir = b;
	db = open_db(ZHFTS_OPEN_CREATE, NULL);
	add(db, "b1", "科学");
	add(db, "b2", "城市");
	TU_OK(db, zhfts_db_close(db));
	/* Shards whose ranges ascend merge in order; the other way round not. */
	const char *up[] = {a, b}, *down[] = {b, a};
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(zhfts_db_merge(m, up, 2, &err), ZHFTS_OK);
	CU_ASSERT_STRING_EQUAL(order_of(m), "a1..b2");
	CU_ASSERT_EQUAL_FATAL(zhfts_db_merge(m2, down, 2, &err), ZHFTS_OK);
	CU_ASSERT_STRING_EQUAL(order_of(m2), "unordered");
	/* Replacing an earlier document spoils it, and the commit keeps that. */
	dir = b;
	db = open_db(ZHFTS_OPEN_WRITE, NULL);
	add(db, "b1", "科学城");
	TU_OK(db, zhfts_db_close(db));
	CU_ASSERT_STRING_EQUAL(order_of(b), "unordered");
	/* Compaction rebuilds in document order, with the same hits. */
	dir = m2;
	db = open_db(ZHFTS_OPEN_READONLY, NULL);
	char *before = NULL;
	uint64_t t0 = 0, t1 = 0;
	before = hit_keys(db, "科学", &t0);
	TU_OK(db, zhfts_db_close(db));
	CU_ASSERT_EQUAL_FATAL(zhfts_db_compact(m2, &err), ZHFTS_OK);
	CU_ASSERT_STRING_EQUAL(order_of(m2), "a2..b2"); /* a1 was deleted */
	db = open_db(ZHFTS_OPEN_READONLY, NULL);
	char *after = hit_keys(db, "科学", &t1);
	CU_ASSERT_STRING_EQUAL(after, before);
	CU_ASSERT(t0 == t1 && t0 == 2); /* a3 and b1 */
	TU_OK(db, zhfts_db_close(db));
	free(before);
	free(after);
	char *dirs[] = {a, b, m, m2};
	for (int i = 0; i < 4; i++) {
		tu_rmrf(dirs[i]);
		free(dirs[i]);
	}
	dir = saved;
}

static void suites(void)
{
	CU_pSuite s = CU_add_suite("database", fresh, cleanup);
	CU_add_test(s, "add, replace, delete, reopen", test_add_replace_delete);
	s = CU_add_suite("readers", fresh, cleanup);
	CU_add_test(s, "readers see whole documents", test_readers_see_whole_documents);
	s = CU_add_suite("failures", fresh, cleanup);
	CU_add_test(s, "a failed document changes nothing", test_failed_document_changes_nothing);
	s = CU_add_suite("charsets", fresh, cleanup);
	CU_add_test(s, "GB18030 document, offsets in its bytes", test_gbk_document);
	s = CU_add_suite("locking", fresh, cleanup);
	CU_add_test(s, "a second writer is locked out", test_second_writer_is_locked);
	s = CU_add_suite("settings", fresh, cleanup);
	CU_add_test(s, "settings are recorded and enforced", test_settings);
	s = CU_add_suite("foreign", fresh, cleanup);
	CU_add_test(s, "foreign, future and missing databases", test_foreign_and_future_databases);
	s = CU_add_suite("merge", fresh, cleanup);
	CU_add_test(s, "shards merge into one compacted database", test_merge);
	s = CU_add_suite("listing", fresh, cleanup);
	CU_add_test(s, "documents are listed with their paragraphs", test_listing);
	s = CU_add_suite("dead paragraphs", fresh, cleanup);
	CU_add_test(s, "replaced and deleted paragraphs are dead until compaction", test_dead_paragraphs_and_compaction);
	CU_add_test(s, "merging leaves dead paragraphs out", test_merge_keeps_dead_paragraphs_out);
	s = CU_add_suite("ids", fresh, cleanup);
	CU_add_test(s, "hashed ids that share a term stay apart", test_hashed_ids_that_collide);
	s = CU_add_suite("pending", fresh, cleanup);
	CU_add_test(s, "bad input keeps what is pending", test_bad_input_keeps_pending);
	CU_add_test(s, "docids in document order", test_document_order);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	return tu_run(suites);
}
