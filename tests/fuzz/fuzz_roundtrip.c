/*
 * Fuzz target: index and search round trip on an in-memory database.
 *
 * The input is one document (invalid UTF-8 is indexed leniently).  After
 * indexing: zhfts_db_get_document returns paragraphs whose text is valid
 * UTF-8 and, when the input was indexed in place, equals the input bytes at
 * the paragraph's offset; and every paragraph is found by a quoted phrase of
 * each 1-4 character run of adjacent Han characters it contains (the runs
 * are found here with ICU's script and Ideographic properties, on the stored
 * text), with at least one match span.
 */
#include <unicode/uchar.h>
#include <unicode/uscript.h>

#include "fuzz-common.h"
#include "zhfts.h"

#define MAX_QUERIES 48

/* A Han ideograph: Han script and the Ideographic property.  (Kangxi and
 * CJK radicals are Han script but not ideographs; ICU does not make words
 * of them when they stand alone, see docs/robustness.md.) */
static bool is_han(uint32_t c)
{
	UErrorCode e = U_ZERO_ERROR;
	return uscript_getScript((UChar32)c, &e) == USCRIPT_HAN && u_hasBinaryProperty((UChar32)c, UCHAR_IDEOGRAPHIC);
}

/* Searches `"phrase"` and checks that (doc, para) is among the hits. */
static void expect_found(zhfts_db *db, const zhfts_hit *para, const char *phrase, size_t plen)
{
	char q[64];
	FZ_CHECK(plen + 3 <= sizeof q, "phrase too long");
	q[0] = '"';
	memcpy(q + 1, phrase, plen);
	q[plen + 1] = '"';
	zhfts_search_options o = ZHFTS_SEARCH_OPTIONS_INIT;
	o.limit = SIZE_MAX;
	zhfts_results *res = NULL;
	int rc = zhfts_db_search(db, q, plen + 2, &o, &res);
	FZ_CHECK(rc == ZHFTS_OK, "search %.*s -> %d '%s'", (int)plen + 2, q, rc, zhfts_db_errmsg(db));
	const zhfts_hit *found = NULL;
	for (size_t i = 0; i < zhfts_results_count(res) && !found; i++) {
		const zhfts_hit *h = zhfts_results_hit(res, i);
		if (h->para == para->para && !strcmp(h->doc, para->doc))
			found = h;
	}
	FZ_CHECK(found, "paragraph %u (\"%s\") not found by %.*s (%zu hits)", para->para, para->text,
	         (int)plen + 2, q, zhfts_results_count(res));
	FZ_CHECK(found->nspans > 0, "paragraph %u found by %.*s but without a match span", para->para,
	         (int)plen + 2, q);
	zhfts_results_free(res);
}

static void check_paragraph(zhfts_db *db, const zhfts_hit *h, size_t *queries)
{
	const unsigned char *t = (const unsigned char *)h->text;
	/* Start of each code point and whether it is Han. */
	size_t starts[4096 + 1];
	bool han[4096];
	size_t n = 0, i = 0;
	uint32_t cp;
	while (i < h->text_len && n < 4096) {
		size_t k = fz_utf8_next(t + i, h->text_len - i, &cp);
		FZ_CHECK(k, "stored text of paragraph %u is not UTF-8 at %zu", h->para, i);
		starts[n] = i;
		han[n++] = is_han(cp);
		i += k;
	}
	starts[n] = i;
	/* Each run of adjacent Han characters, of length 1..4, from each start. */
	for (size_t a = 0; a < n && *queries < MAX_QUERIES; a++) {
		for (size_t len = 1; len <= 4 && a + len <= n && han[a + len - 1]; len++) {
			if (*queries >= MAX_QUERIES)
				break;
			(*queries)++;
			expect_found(db, h, h->text + starts[a], starts[a + len] - starts[a]);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *doc = (const char *)data;
	zhfts_db *db = NULL;
	char *err = NULL;
	int rc = zhfts_db_open(&db, NULL, ZHFTS_OPEN_INMEMORY, NULL, &err);
	FZ_CHECK(rc == ZHFTS_OK, "in-memory open -> %d %s", rc, err ? err : "");

	bool valid = fz_utf8_valid(doc, size);
	zhfts_doc_options dopt = ZHFTS_DOC_OPTIONS_INIT;
	dopt.encoding = "UTF-8";
	dopt.flags = valid ? 0 : ZHFTS_DOC_LENIENT;
	zhfts_doc_info info = ZHFTS_DOC_INFO_INIT;
	rc = zhfts_db_add_document(db, "fuzz.txt", doc, size, &dopt, &info);
	FZ_CHECK(rc == ZHFTS_OK, "add_document -> %d '%s'", rc, zhfts_db_errmsg(db));
	rc = zhfts_db_commit(db);
	FZ_CHECK(rc == ZHFTS_OK, "commit -> %d '%s'", rc, zhfts_db_errmsg(db));

	zhfts_results *paras = NULL;
	rc = zhfts_db_get_document(db, "fuzz.txt", &paras);
	if (info.paragraphs == 0) {
		FZ_CHECK(rc == ZHFTS_ENOTFOUND, "no paragraphs, get_document -> %d", rc);
	} else {
		FZ_CHECK(rc == ZHFTS_OK && zhfts_results_count(paras) == info.paragraphs,
		         "indexed %u paragraphs, get_document -> %d with %zu", info.paragraphs, rc,
		         zhfts_results_count(paras));
	}
	size_t queries = 0;
	for (size_t i = 0; i < zhfts_results_count(paras); i++) {
		const zhfts_hit *h = zhfts_results_hit(paras, i);
		FZ_CHECK(h->para == i + 1, "paragraph %zu numbered %u", i + 1, h->para);
		FZ_CHECK(h->offset + h->length <= size, "paragraph %u at [%llu, +%llu) of %zu", h->para,
		         (unsigned long long)h->offset, (unsigned long long)h->length, size);
		if (valid)
			FZ_CHECK(h->length == h->text_len && !memcmp(doc + h->offset, h->text, h->text_len),
			         "paragraph %u: offset/length do not point at its text", h->para);
		check_paragraph(db, h, &queries);
	}
	zhfts_results_free(paras);
	rc = zhfts_db_close(db);
	FZ_CHECK(rc == ZHFTS_OK, "close -> %d", rc);
	return 0;
}
