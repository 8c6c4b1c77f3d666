/*
 * Fuzz target: the query parser, through zhfts_db_search on an in-memory
 * database that holds a few paragraphs.
 *
 * Invariants: the status is OK, a syntax error or a limit; an error has a
 * message, and a position it names lies inside the query (at most its
 * length); zhfts_db_explain agrees; hits are well-formed (spans inside the
 * text, sorted, not overlapping; text and snippet valid UTF-8).
 */
#include <stdlib.h>

#include "fuzz-common.h"
#include "zhfts.h"

static zhfts_db *db;

/* The scratch database lives in a temporary directory: remove it at exit. */
static void teardown(void)
{
	zhfts_db_close(db);
	db = NULL;
}

static void setup(void)
{
	static const char doc1[] = "一、总体要求\n\n坚持创新驱动，建设科学城北区。\nRISC-V 与 5G 产业 2024 年增长 12.5%。\n\n"
	                           "（二）重点任务\n\n推进學習型城市建設，發展数字经济。\n";
	static const char doc2[] = "任务 3\n\n聚焦科学城建设\n\n北京市中关村科学城建设加快推进，新增企业一千家。\n";
	char *err = NULL;
	int rc = zhfts_db_open(&db, NULL, ZHFTS_OPEN_INMEMORY, NULL, &err);
	FZ_CHECK(rc == ZHFTS_OK, "in-memory open -> %d %s", rc, err ? err : "");
	atexit(teardown);
	rc = zhfts_db_add_document(db, "a.txt", doc1, sizeof doc1 - 1, NULL, NULL);
	rc = rc ? rc : zhfts_db_add_document(db, "b.txt", doc2, sizeof doc2 - 1, NULL, NULL);
	rc = rc ? rc : zhfts_db_commit(db);
	FZ_CHECK(rc == ZHFTS_OK, "indexing the fixture -> %d %s", rc, zhfts_db_errmsg(db));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!db)
		setup();
	const char *q = (const char *)data;
	zhfts_search_options o = ZHFTS_SEARCH_OPTIONS_INIT;
	o.limit = 20;
	o.snippet_chars = size % 7;
	zhfts_results *res = NULL;
	int rc = zhfts_db_search(db, q, size, &o, &res);
	char msg[1024];
	snprintf(msg, sizeof msg, "%s", zhfts_db_errmsg(db));
	FZ_CHECK(rc == ZHFTS_OK || rc == ZHFTS_EQUERY || rc == ZHFTS_ELIMIT, "search -> %d '%s'", rc, msg);
	if (rc) {
		size_t at = 0;
		FZ_CHECK(!res, "a failed search returned results");
		FZ_CHECK(msg[0], "status %d without a message", rc);
		FZ_CHECK(!fz_msg_byte(msg, &at) || at <= size, "message names byte %zu of a %zu-byte query: %s", at,
		         size, msg);
		/* A syntax error says where, unless there is nothing to point at. */
		if (rc == ZHFTS_EQUERY && !strstr(msg, "nothing to search for"))
			FZ_CHECK(fz_msg_byte(msg, &at), "syntax error without a position: %s", msg);
	}
	for (size_t i = 0; i < zhfts_results_count(res); i++) {
		const zhfts_hit *h = zhfts_results_hit(res, i);
		FZ_CHECK(h && h->doc && h->text && h->snippet && h->section, "hit %zu incomplete", i);
		FZ_CHECK(fz_utf8_valid(h->text, h->text_len) && strlen(h->text) == h->text_len, "hit %zu: bad text", i);
		FZ_CHECK(fz_utf8_valid(h->snippet, strlen(h->snippet)), "hit %zu: snippet not UTF-8", i);
		size_t prev = 0;
		for (size_t k = 0; k < h->nspans; k++) {
			const zhfts_span *s = &h->spans[k];
			FZ_CHECK(s->length > 0 && s->offset >= prev && s->offset + s->length <= h->text_len &&
			             fz_is_boundary(h->text, h->text_len, s->offset) &&
			             fz_is_boundary(h->text, h->text_len, s->offset + s->length),
			         "hit %zu span %zu [%zu, +%zu) in %zu bytes (previous end %zu)", i, k, s->offset,
			         s->length, h->text_len, prev);
			prev = s->offset + s->length;
		}
	}
	zhfts_results_free(res);

	char *desc = NULL;
	int rc2 = zhfts_db_explain(db, q, size, &desc);
	FZ_CHECK(rc2 == rc, "search -> %d but explain -> %d '%s'", rc, rc2, zhfts_db_errmsg(db));
	FZ_CHECK((rc2 == ZHFTS_OK) == (desc != NULL), "explain -> %d with description %p", rc2, (void *)desc);
	zhfts_free(desc);
	return 0;
}
