/* zhfts demo: index the bundled sample report in memory and query it. */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* Set by meson: the source tree's examples/data and the installed copy. */
#ifndef ZHFTS_SAMPLE_DIR
#define ZHFTS_SAMPLE_DIR "examples/data"
#endif
#ifndef ZHFTS_DATADIR
#define ZHFTS_DATADIR "/usr/local/share/zhfts"
#endif
#define SAMPLE_NAME "sample-report.txt"

static const char usage[] =
	"usage: zhfts demo [--color never|always|auto]\n"
	"\n"
	"Indexes the bundled sample report (a fictional district government work\n"
	"report) into an in-memory database and runs a few queries on it.\n"
	"The sample is looked for in $ZHFTS_SAMPLE, then " ZHFTS_SAMPLE_DIR ",\n"
	"then " ZHFTS_DATADIR ".\n";

static const struct demo_query {
	const char *query;
	const char *what;
} queries[] = {
	{"科学城", "a keyword"},
	{"学位 医院", "two keywords: a paragraph must hold both"},
	{"\"科学城北\"", "a phrase"},
	{"中关村科学城", "Simplified finds Traditional: the report writes 中關村科學城"},
	{"5G OR 人工智能", "OR; full-width ５Ｇ counts as 5G"},
	{"risc-v", "case and compatibility forms are folded: RISC-Ⅴ is RISC-V"},
	{"养老 -驿站", "NOT: paragraphs about 养老 without 驿站"},
	{"section:任务 科学城", "only in the sections named 任务 …"},
};

static const char *find_sample(void)
{
	static const char *const dirs[] = {ZHFTS_SAMPLE_DIR "/" SAMPLE_NAME,
	                                   ZHFTS_DATADIR "/" SAMPLE_NAME};
	const char *env = getenv("ZHFTS_SAMPLE");

	if (env && *env)
		return env;
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
		if (access(dirs[i], R_OK) == 0)
			return dirs[i];
	return NULL;
}

static int run_query(zhfts_db *db, const struct demo_query *q, bool color)
{
	zhfts_search_options so = ZHFTS_SEARCH_OPTIONS_INIT;
	zhfts_results *res;
	uint64_t total;
	int rc;

	so.limit = 3;
	so.mark_open = "\x01";
	so.mark_close = "\x02";
	so.flags = ZHFTS_SEARCH_EXACT_COUNT;
	printf("%s$ zhfts search '%s'%s    # %s\n\n", color ? "\033[1m" : "", q->query,
	       color ? "\033[0m" : "", q->what);
	rc = zhfts_db_search(db, q->query, strlen(q->query), &so, &res);
	if (rc != ZHFTS_OK) {
		cli_error("demo: query '%s': %s", q->query, zhfts_db_errmsg(db));
		return EXIT_TROUBLE;
	}
	for (size_t i = 0; i < zhfts_results_count(res); i++)
		cli_print_hit(zhfts_results_hit(res, i), color);
	zhfts_results_total(res, &total, NULL, NULL);
	printf("-- %zu of %" PRIu64 " matching paragraphs shown\n\n", zhfts_results_count(res), total);
	zhfts_results_free(res);
	return 0;
}

int cmd_demo(int argc, char **argv)
{
	cli_args a;
	zhfts_db *db = NULL;
	zhfts_doc_info info = ZHFTS_DOC_INFO_INIT;
	const char *path;
	char *data, *msg = NULL;
	size_t len;
	bool color;
	int rc, status = EXIT_MATCH;

	if (cli_parse(argc, argv, OPT_COLOR, &a) != 0)
		return EXIT_TROUBLE;
	if (a.help) {
		fputs(usage, stdout);
		return cli_finish(EXIT_MATCH);
	}
	if (!(path = find_sample())) {
		cli_error("demo: %s not found in " ZHFTS_SAMPLE_DIR " or " ZHFTS_DATADIR
		          "; set ZHFTS_SAMPLE to its path", SAMPLE_NAME);
		return EXIT_TROUBLE;
	}
	if (cli_read_file(path, &data, &len) != 0) {
		cli_error("demo: %s: %s", path, strerror(errno));
		return EXIT_TROUBLE;
	}
	rc = zhfts_db_open(&db, ":memory:", ZHFTS_OPEN_INMEMORY, NULL, &msg);
	if (rc != ZHFTS_OK) {
		cli_error("demo: in-memory database: %s", msg ? msg : zhfts_strerror(rc));
		zhfts_free(msg);
		free(data);
		return EXIT_TROUBLE;
	}
	rc = zhfts_db_add_document(db, SAMPLE_NAME, data, len, NULL, &info);
	free(data);
	if (rc != ZHFTS_OK) {
		cli_error("demo: %s: %s", path, zhfts_db_errmsg(db));
		zhfts_db_close(db);
		return EXIT_TROUBLE;
	}
	color = cli_use_color(a.color, stdout);
	printf("Indexed %s: %zu bytes, %" PRIu32 " paragraphs (in memory).\n\n", path, len,
	       info.paragraphs);
	for (size_t i = 0; i < sizeof queries / sizeof queries[0] && status == EXIT_MATCH; i++)
		status = run_query(db, &queries[i], color);
	zhfts_db_close(db);
	return cli_finish(status);
}
