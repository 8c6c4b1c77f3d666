/*
 * phrase_search: a phrase query, and where its matches are.  Indexes one
 * file in an in-memory database, searches for PHRASE as one contiguous run
 * and prints each hit's snippet, its byte offset in the file and the exact
 * text of every match (the spans are byte ranges in the hit's text).
 *
 *   phrase_search FILE [PHRASE]      (PHRASE defaults to 科学城北)
 *
 * Exit status: 0 hits, 1 no hits, 2 error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zhfts.h"

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	long size;

	if (f && fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (data = malloc((size_t)size + 1)) != NULL) {
		*len = fread(data, 1, (size_t)size, f);
		if (*len != (size_t)size) {
			free(data);
			data = NULL;
		}
	}
	if (f)
		fclose(f);
	return data;
}

int main(int argc, char **argv)
{
	const char *phrase = argc > 2 ? argv[2] : "科学城北";
	zhfts_db *db;
	zhfts_results *res;
	char query[1024], *data, *msg = NULL;
	size_t len, n;
	int rc;

	if (argc < 2 || strchr(phrase, '"') || strlen(phrase) + 3 > sizeof query) {
		fprintf(stderr, "usage: %s FILE [PHRASE]   (PHRASE without '\"')\n", argv[0]);
		return 2;
	}
	snprintf(query, sizeof query, "\"%s\"", phrase); /* quotes make it a phrase */
	if (!(data = read_file(argv[1], &len))) {
		perror(argv[1]);
		return 2;
	}
	rc = zhfts_db_open(&db, ":memory:", ZHFTS_OPEN_INMEMORY, NULL, &msg);
	if (rc != ZHFTS_OK) {
		fprintf(stderr, "cannot open a database: %s\n", msg ? msg : zhfts_strerror(rc));
		zhfts_free(msg);
		free(data);
		return 2;
	}
	rc = zhfts_db_add_document(db, argv[1], data, len, NULL, NULL);
	free(data);
	if (rc != ZHFTS_OK) {
		fprintf(stderr, "%s\n", zhfts_db_errmsg(db));
		zhfts_db_close(db);
		return 2;
	}

	rc = zhfts_db_search(db, query, strlen(query), NULL, &res); /* NULL: the first 10 hits */
	if (rc != ZHFTS_OK) {
		fprintf(stderr, "query %s: %s\n", query, zhfts_db_errmsg(db));
		zhfts_db_close(db);
		return 2;
	}
	n = zhfts_results_count(res);
	for (size_t i = 0; i < n; i++) {
		const zhfts_hit *h = zhfts_results_hit(res, i);
		printf("%zu. %s paragraph %u at byte %llu  %s\n   %s\n", h->rank, h->doc,
		       (unsigned)h->para, (unsigned long long)h->offset, h->section, h->snippet);
		for (size_t k = 0; k < h->nspans; k++)
			printf("   match at +%zu: %.*s\n", h->spans[k].offset, (int)h->spans[k].length,
			       h->text + h->spans[k].offset);
	}
	if (n == 0)
		printf("no paragraph holds the phrase %s\n", phrase);
	zhfts_results_free(res);
	if (zhfts_db_close(db) != ZHFTS_OK)
		return 2;
	return n > 0 ? 0 : 1;
}
