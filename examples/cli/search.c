/* zhfts search: run a query, print ranked paragraphs as text or JSON lines. */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
	"usage: zhfts search [--db DIR|STUB] [--timeout SECONDS] [--limit N] [--offset K] [--all]\n"
	"                    [--sort relevance|doc|FIELD|-FIELD] [--facet NAME]...\n"
	"                    [--format text|json] [--color never|always|auto]\n"
	"                    [--no-traditional] QUERY...\n"
	"\n"
	"Finds the paragraphs that match QUERY (the words are joined with spaces):\n"
	"  科学城 发展          keywords, all of them (ignoring punctuation and spaces)\n"
	"  \"科学城北\"           a phrase\n"
	"  a OR b, a AND b, -a, NOT a, ( ... )\n"
	"  section:任务         the paragraph's section path holds the text\n"
	"  district:海淀区      a field of the document equals the value\n"
	"  year:2019..2020      a field in a range (date:2020-01-01.. , year:..2019)\n"
	"  doc:2020.txt, doc:reports/*   the document id, or its start\n"
	"\n"
	"  --db DIR          the database, or a stub file of shards (default: $ZHFTS_DB,\n"
	"                    else ./zhfts.db)\n"
	"  --timeout SECONDS how long a remote shard may take to answer (default 10)\n"
	"  --limit N         hits to show (default 10)\n"
	"  --offset K        skip the first K hits\n"
	"  --all             show every hit\n"
	"  --sort ORDER      relevance (default: tier, then score), doc (document order),\n"
	"                    FIELD or -FIELD (by a field, ascending or descending)\n"
	"  --facet NAME      count the matches per value of a field, or per document with\n"
	"                    'doc' (repeatable); counted over every match\n"
	"  --format FORMAT   text (default) or json: one object per line with rank, score,\n"
	"                    tier, doc, para, offset, length, section, fields, text, snippet,\n"
	"                    spans; with --facet a last line {\"facets\": ..., \"total\": N}\n"
	"  --color WHEN      highlight matches: never, always, auto (default: on a terminal)\n"
	"  --no-traditional  don't fold Traditional to Simplified in the query\n"
	"\n"
	"Exit status: 0 if something matched, 1 if nothing did, 2 on an error.\n";

/* Colours as grep uses them: file, line number, match. */
#define C_DOC "\033[35m"
#define C_PARA "\033[32m"
#define C_SECTION "\033[36m"
#define C_MATCH "\033[1;31m"
#define C_OFF "\033[0m"

static void print_hit_json(const zhfts_hit *h)
{
	printf("{\"rank\":%zu,\"score\":%.6g,\"tier\":%d,\"doc\":", h->rank, isfinite(h->score) ? h->score : 0.0,
	       h->tier);
	cli_json_string(stdout, h->doc, strlen(h->doc));
	printf(",\"para\":%" PRIu32 ",\"offset\":%" PRIu64 ",\"length\":%" PRIu64 ",\"section\":",
	       h->para, h->offset, h->length);
	cli_json_string(stdout, h->section, strlen(h->section));
	fputs(",\"fields\":{", stdout);
	for (size_t i = 0; i < h->nfields; i++) {
		if (i)
			putchar(',');
		cli_json_string(stdout, h->fields[i].name, strlen(h->fields[i].name));
		putchar(':');
		cli_json_string(stdout, h->fields[i].value, strlen(h->fields[i].value));
	}
	fputs("},\"text\":", stdout);
	cli_json_string(stdout, h->text, h->text_len);
	fputs(",\"snippet\":", stdout);
	cli_json_string(stdout, h->snippet, strlen(h->snippet));
	fputs(",\"spans\":[", stdout);
	for (size_t i = 0; i < h->nspans; i++)
		printf("%s[%zu,%zu]", i ? "," : "", h->spans[i].offset, h->spans[i].length);
	fputs("]}\n", stdout);
}

/* One block per hit:
 *   3  report.txt ¶46  任务 2 › 聚焦科学城建设推动高质量发展  (2.31)
 *      坚持规划引领，完成[科学城]北区控制性详细规划修编…
 * The snippet was made with the markers \x01 and \x02, which
 * cli_print_text() turns into colour or brackets. */
void cli_print_hit(const zhfts_hit *h, bool color)
{
	printf("%zu  %s", h->rank, color ? C_DOC : "");
	cli_print_text(stdout, h->doc, strlen(h->doc), false, NULL, NULL);
	printf("%s %s¶%" PRIu32 "%s", color ? C_OFF : "", color ? C_PARA : "", h->para,
	       color ? C_OFF : "");
	if (h->section[0]) {
		printf("  %s", color ? C_SECTION : "");
		cli_print_text(stdout, h->section, strlen(h->section), false, NULL, NULL);
		fputs(color ? C_OFF : "", stdout);
	}
	for (size_t i = 0; i < h->nfields; i++) {
		if (strcmp(h->fields[i].name, "title") == 0)
			continue;
		printf("  %s=", h->fields[i].name);
		cli_print_text(stdout, h->fields[i].value, strlen(h->fields[i].value), false, NULL, NULL);
	}
	if (h->tier > 1)
		printf("  (tier %d, %.2f)\n     ", h->tier, h->score);
	else
		printf("  (%.2f)\n     ", h->score);
	cli_print_text(stdout, h->snippet, strlen(h->snippet), true, color ? C_MATCH : "[",
	               color ? C_OFF : "]");
	fputs("\n\n", stdout);
}

static void print_facets_json(const zhfts_results *res)
{
	uint64_t estimate, lower, upper;

	zhfts_results_total(res, &estimate, &lower, &upper);
	fputs("{\"facets\":{", stdout);
	for (size_t k = 0; k < zhfts_results_facet_count(res); k++) {
		const zhfts_facet *f = zhfts_results_facet(res, k);
		if (k)
			putchar(',');
		cli_json_string(stdout, f->name, strlen(f->name));
		fputs(":{", stdout);
		for (size_t v = 0; v < f->nvalues; v++) {
			if (v)
				putchar(',');
			cli_json_string(stdout, f->values[v].value, strlen(f->values[v].value));
			printf(":%" PRIu64, f->values[v].count);
		}
		putchar('}');
	}
	printf("},\"total\":%" PRIu64 "}\n", estimate);
}

/* facets:
 *   district  海淀区 12 · 朝阳区 3 */
static void print_facets_text(const zhfts_results *res, bool color)
{
	size_t n = zhfts_results_facet_count(res);
	if (!n)
		return;
	fputs("facets:\n", stdout);
	for (size_t k = 0; k < n; k++) {
		const zhfts_facet *f = zhfts_results_facet(res, k);
		printf("  %s%s%s ", color ? C_SECTION : "", f->name, color ? C_OFF : "");
		for (size_t v = 0; v < f->nvalues; v++) {
			fputs(v ? " · " : " ", stdout);
			cli_print_text(stdout, f->values[v].value, strlen(f->values[v].value), false, NULL, NULL);
			printf(" %" PRIu64, f->values[v].count);
		}
		if (f->distinct > f->nvalues)
			printf(" · (%" PRIu64 " more)", f->distinct - f->nvalues);
		putchar('\n');
	}
}

static void print_more(const zhfts_results *res, const cli_args *a, size_t shown)
{
	uint64_t estimate, lower, upper;

	zhfts_results_total(res, &estimate, &lower, &upper);
	if (shown == 0 || a->offset + shown >= upper)
		return;
	printf("-- hits %zu-%zu of %s%" PRIu64 "; --offset %zu or --all for more\n",
	       a->offset + 1, a->offset + shown, lower == upper ? "" : "about ", estimate,
	       a->offset + shown);
}

int cmd_search(int argc, char **argv)
{
	cli_args a;
	zhfts_options opts = ZHFTS_OPTIONS_INIT;
	zhfts_search_options so = ZHFTS_SEARCH_OPTIONS_INIT;
	zhfts_db *db;
	zhfts_results *res = NULL;
	char *query;
	size_t n;
	bool color;
	int rc;

	if (cli_parse(argc, argv, OPT_DB | OPT_LIMIT | OPT_OFFSET | OPT_ALL | OPT_FORMAT | OPT_COLOR |
	                                  OPT_NO_TRADITIONAL | OPT_SORT | OPT_FACET | OPT_TIMEOUT, &a) != 0)
		return EXIT_TROUBLE;
	if (a.help) {
		fputs(usage, stdout);
		return cli_finish(EXIT_MATCH);
	}
	if (a.npos == 0) {
		cli_error("search: no QUERY given (see zhfts search --help)");
		return EXIT_TROUBLE;
	}
	if (a.limit == 0) {
		/* The library would read 0 as "the default". */
		cli_error("search: --limit must be at least 1");
		return EXIT_TROUBLE;
	}
	if (!(query = cli_join(a.pos, a.npos))) {
		cli_error("search: out of memory");
		return EXIT_TROUBLE;
	}
	opts.traditional = a.no_traditional ? ZHFTS_OFF : ZHFTS_DEFAULT;
	if (cli_open_db(&a, ZHFTS_OPEN_READONLY, &opts, &db) != 0) {
		free(query);
		return EXIT_TROUBLE;
	}

	color = !a.json && cli_use_color(a.color, stdout);
	so.offset = a.offset;
	so.limit = a.all ? SIZE_MAX : a.limit;
	so.sort = a.sort;
	so.facets = a.facets;
	so.nfacets = a.nfacets;
	if (!a.json) {
		so.mark_open = "\x01";
		so.mark_close = "\x02";
	}
	rc = zhfts_db_search(db, query, strlen(query), &so, &res);
	if (rc != ZHFTS_OK) {
		/* Not echoing the query: it may not be valid UTF-8. */
		if (rc == ZHFTS_EQUERY || rc == ZHFTS_ELIMIT)
			cli_error("search: bad query: %s", zhfts_db_errmsg(db));
		else
			cli_error("search: %s", zhfts_db_errmsg(db));
		free(query);
		zhfts_db_close(db);
		return EXIT_TROUBLE;
	}
	n = zhfts_results_count(res);
	for (size_t i = 0; i < n; i++) {
		const zhfts_hit *h = zhfts_results_hit(res, i);
		if (!h) {
			cli_error("search: hit %zu: %s", i + 1, zhfts_results_errmsg(res));
			continue;
		}
		if (a.json)
			print_hit_json(h);
		else
			cli_print_hit(h, color);
	}
	if (!a.json)
		print_more(res, &a, n);
	if (a.json && a.nfacets)
		print_facets_json(res);
	else if (!a.json)
		print_facets_text(res, color);
	rc = n > 0 ? EXIT_MATCH : EXIT_NOMATCH;
	zhfts_results_free(res);
	zhfts_db_close(db);
	free(query);
	return cli_finish(rc);
}
