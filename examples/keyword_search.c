/*
 * keyword_search: the smallest complete use of libzhfts.  Indexes one file
 * in an in-memory database, runs a keyword query and prints the ranked hits
 * with their section and highlighted snippet.
 *
 *   keyword_search FILE [QUERY]      (QUERY defaults to 科学城 发展)
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
	const char *query = argc > 2 ? argv[2] : "科学城 发展";
	zhfts_search_options so = ZHFTS_SEARCH_OPTIONS_INIT;
	zhfts_db *db;
	zhfts_results *res;
	char *data, *msg = NULL;
	size_t len, n;
	int rc;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE [QUERY]\n", argv[0]);
		return 2;
	}
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
	/* The file's path is its document id; the charset is detected. */
	rc = zhfts_db_add_document(db, argv[1], data, len, NULL, NULL);
	free(data);
	if (rc != ZHFTS_OK) {
		fprintf(stderr, "%s\n", zhfts_db_errmsg(db));
		zhfts_db_close(db);
		return 2;
	}

	so.limit = 5;
	rc = zhfts_db_search(db, query, strlen(query), &so, &res);
	if (rc != ZHFTS_OK) {
		fprintf(stderr, "query %s: %s\n", query, zhfts_db_errmsg(db));
		zhfts_db_close(db);
		return 2;
	}
	n = zhfts_results_count(res);
	for (size_t i = 0; i < n; i++) {
		const zhfts_hit *h = zhfts_results_hit(res, i);
		printf("%zu. %s paragraph %u (score %.2f)\n", h->rank, h->doc, (unsigned)h->para, h->score);
		if (h->section[0])
			printf("   section: %s\n", h->section);
		printf("   %s\n", h->snippet);
	}
	if (n == 0)
		printf("no paragraph matches %s\n", query);
	zhfts_results_free(res);
	if (zhfts_db_close(db) != ZHFTS_OK)
		return 2;
	return n > 0 ? 0 : 1;
}
