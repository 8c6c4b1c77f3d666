/*
 * filter_search: fields, a filtered query, sorting, facets and lazy
 * snippets.  Indexes each FILE as a report of the district and year given
 * before it, then runs QUERY newest first, with the matches counted per
 * district and per year.
 *
 *   filter_search DISTRICT YEAR FILE [DISTRICT YEAR FILE ...] -- QUERY
 *   filter_search 海淀区 2020 a.txt 朝阳区 2021 b.txt -- '科学城 year:2020..'
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
	    (data = malloc((size_t)size + 1)) != NULL && (*len = fread(data, 1, (size_t)size, f)) != (size_t)size) {
		free(data);
		data = NULL;
	}
	if (f)
		fclose(f);
	return data;
}

int main(int argc, char **argv)
{
	zhfts_db *db;
	char *msg = NULL;
	int i = 1, rc = zhfts_db_open(&db, NULL, ZHFTS_OPEN_INMEMORY, NULL, &msg);

	if (rc != ZHFTS_OK) {
		fprintf(stderr, "cannot open a database: %s\n", msg ? msg : zhfts_strerror(rc));
		return 2;
	}
	for (; i + 2 < argc && strcmp(argv[i], "--"); i += 3) {
		size_t len;
		char *data = read_file(argv[i + 2], &len);
		/* Each report is tagged with its district and year; its title and
		 * date are read from its first lines. */
		zhfts_field fields[] = {{"district", argv[i]}, {"year", argv[i + 1]}};
		zhfts_doc_options o = ZHFTS_DOC_OPTIONS_INIT;
		o.fields = fields;
		o.nfields = 2;
		if (!data || zhfts_db_add_document(db, argv[i + 2], data, len, &o, NULL) != ZHFTS_OK) {
			fprintf(stderr, "%s: %s\n", argv[i + 2], data ? zhfts_db_errmsg(db) : "cannot read");
			free(data);
			zhfts_db_close(db);
			return 2;
		}
		free(data);
	}
	if (i + 1 >= argc || strcmp(argv[i], "--")) {
		fprintf(stderr, "usage: %s DISTRICT YEAR FILE... -- QUERY\n", argv[0]);
		zhfts_db_close(db);
		return 2;
	}
	const char *query = argv[i + 1], *facets[] = {"district", "year"};
	zhfts_query *q;
	zhfts_results *res = NULL;
	zhfts_search_options so = ZHFTS_SEARCH_OPTIONS_INIT;
	so.limit = 5;
	so.sort = "-year"; /* newest first; relevance breaks ties */
	so.facets = facets;
	so.nfacets = 2;
	rc = zhfts_query_new(&q, db, query, strlen(query));
	rc = rc ? rc : zhfts_query_search(q, &so, &res);
	if (rc != ZHFTS_OK) {
		const zhfts_error *e = zhfts_db_error(db); /* e->offset: where in the query */
		fprintf(stderr, "%s\n%*s^\n%s\n", query, (int)(e->offset > 0 ? e->offset : 0), "", e->message);
		zhfts_query_free(q);
		zhfts_db_close(db);
		return 2;
	}
	size_t n = zhfts_results_count(res);
	for (size_t k = 0; k < n; k++) {
		const zhfts_hit *h = zhfts_results_hit(res, k);
		char *snippet = NULL; /* made only now, for the hits shown */
		if (h && zhfts_results_snippet(res, k, NULL, &snippet) == ZHFTS_OK)
			printf("%zu. %s ¶%u %s=%s (%.2f)\n   %s\n", h->rank, h->doc, (unsigned)h->para, h->fields[1].name,
			       h->fields[1].value, h->score, snippet);
		zhfts_free(snippet);
	}
	for (size_t k = 0; k < zhfts_results_facet_count(res); k++) {
		const zhfts_facet *f = zhfts_results_facet(res, k);
		printf("%s:", f->name);
		for (size_t v = 0; v < f->nvalues; v++)
			printf(" %s (%llu)", f->values[v].value, (unsigned long long)f->values[v].count);
		printf("\n");
	}
	zhfts_results_free(res);
	zhfts_query_free(q);
	return zhfts_db_close(db) != ZHFTS_OK ? 2 : n > 0 ? 0 : 1;
}
