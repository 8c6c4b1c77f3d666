/* zhfts delete, zhfts stats and zhfts compact: the database's housekeeping. */
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"

static const char delete_usage[] =
	"usage: zhfts delete [--db DIR|STUB] [--timeout SECONDS] ID...\n"
	"\n"
	"Removes every paragraph of the documents with these ids (the paths they\n"
	"were indexed under, or their --id).\n"
	"\n"
	"  --db DIR          the database, or a stub file of shards (default: $ZHFTS_DB,\n"
	"                    else ./zhfts.db)\n"
	"  --timeout SECONDS how long a remote shard may take to answer (default 10)\n"
	"\n"
	"Exit status: 0 if every document was deleted, 2 otherwise.\n";

static const char stats_usage[] =
	"usage: zhfts stats [--db DIR|STUB] [--timeout SECONDS]\n"
	"\n"
	"Shows the number of documents, paragraphs and distinct terms, the size on\n"
	"disk and the settings the database was built with; for a stub of shards,\n"
	"the same for every shard, with its address.\n"
	"\n"
	"  --db DIR          the database, or a stub file of shards (default: $ZHFTS_DB,\n"
	"                    else ./zhfts.db)\n"
	"  --timeout SECONDS how long a remote shard may take to answer (default 10)\n";

int cmd_delete(int argc, char **argv)
{
	cli_args a;
	zhfts_db *db;
	int status = EXIT_MATCH, rc;

	if (cli_parse(argc, argv, OPT_DB | OPT_TIMEOUT, &a) != 0)
		return EXIT_TROUBLE;
	if (a.help) {
		fputs(delete_usage, stdout);
		return cli_finish(EXIT_MATCH);
	}
	if (a.npos == 0) {
		cli_error("delete: no ID given (see zhfts delete --help)");
		return EXIT_TROUBLE;
	}
	if (cli_open_db(&a, ZHFTS_OPEN_WRITE, NULL, &db) != 0)
		return EXIT_TROUBLE;
	for (int i = 0; i < a.npos; i++) {
		rc = zhfts_db_delete_document(db, a.pos[i]);
		if (rc == ZHFTS_ENOTFOUND) {
			cli_error("delete: %s: no such document in %s", a.pos[i], a.db);
			status = EXIT_TROUBLE;
		} else if (rc != ZHFTS_OK) {
			cli_error("delete: %s: %s", a.pos[i], zhfts_db_errmsg(db));
			status = EXIT_TROUBLE;
		}
	}
	rc = zhfts_db_close(db);
	if (rc != ZHFTS_OK) {
		cli_error("%s: commit failed: %s", a.db, zhfts_strerror(rc));
		status = EXIT_TROUBLE;
	}
	return cli_finish(status);
}

/* A stub file: a regular file (a database is a directory). */
static bool is_stub_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static const char *on_off(int v)
{
	return v == ZHFTS_OFF ? "off" : "on";
}

int cmd_stats(int argc, char **argv)
{
	cli_args a;
	zhfts_db *db;
	zhfts_stats st = ZHFTS_STATS_INIT;
	zhfts_options set = ZHFTS_OPTIONS_INIT;
	int rc;

	if (cli_parse(argc, argv, OPT_DB | OPT_TIMEOUT, &a) != 0)
		return EXIT_TROUBLE;
	if (a.help) {
		fputs(stats_usage, stdout);
		return cli_finish(EXIT_MATCH);
	}
	if (a.npos > 0) {
		cli_error("stats: unexpected argument '%s' (see zhfts stats --help)", a.pos[0]);
		return EXIT_TROUBLE;
	}
	if (cli_open_db(&a, ZHFTS_OPEN_READONLY, NULL, &db) != 0)
		return EXIT_TROUBLE;
	rc = zhfts_db_stats(db, ZHFTS_STATS_TERMS, &st);
	if (rc == ZHFTS_OK)
		rc = zhfts_db_settings(db, &set);
	if (rc != ZHFTS_OK) {
		cli_error("%s: %s", a.db, zhfts_db_errmsg(db));
		zhfts_db_close(db);
		return EXIT_TROUBLE;
	}
	printf("database    %s\n", a.db);
	printf("documents   %" PRIu64 "\n", st.documents);
	printf("paragraphs  %" PRIu64 "\n", st.paragraphs);
	if (st.dead)
		printf("dead        %" PRIu64 " replaced or deleted paragraphs (zhfts compact removes them)\n", st.dead);
	printf("terms       %" PRIu64 "\n", st.terms);
	printf("disk        %.2f MB (%" PRIu64 " bytes)\n", (double)st.disk_bytes / 1e6, st.disk_bytes);
	printf("settings    normalize %s, traditional %s, paragraphs %s\n", on_off(set.normalize),
	       on_off(set.traditional),
	       set.paragraph_mode == ZHFTS_PARAGRAPH_LINE ? "per line" : "blank-line separated");
	if (zhfts_db_shard_count(db) > 1 || is_stub_file(a.db)) {
		printf("shards      %zu\n", zhfts_db_shard_count(db));
		printf("  %-4s %10s %11s %9s %10s  %s\n", "", "documents", "paragraphs", "dead", "disk MB", "address");
		for (size_t k = 0; k < zhfts_db_shard_count(db); k++) {
			zhfts_stats ss = ZHFTS_STATS_INIT;
			const char *addr = NULL;

			if (zhfts_db_shard_stats(db, k, 0, &ss, &addr) != ZHFTS_OK) {
				cli_error("%s: shard %zu: %s", a.db, k + 1, zhfts_db_errmsg(db));
				zhfts_db_close(db);
				return EXIT_TROUBLE;
			}
			if (ss.disk_bytes)
				printf("  %-4zu %10" PRIu64 " %11" PRIu64 " %9" PRIu64 " %10.2f  %s\n", k + 1, ss.documents,
				       ss.paragraphs, ss.dead, (double)ss.disk_bytes / 1e6, addr);
			else
				printf("  %-4zu %10" PRIu64 " %11" PRIu64 " %9" PRIu64 " %10s  %s\n", k + 1, ss.documents,
				       ss.paragraphs, ss.dead, "-", addr);
		}
	}
	zhfts_db_close(db);
	return cli_finish(EXIT_MATCH);
}

static const char compact_usage[] =
	"usage: zhfts compact [--db DIR|STUB]\n"
	"\n"
	"Rewrites the database without its dead paragraphs (those replaced or\n"
	"deleted since it was built) and without the slack updates leave, in\n"
	"document order, then puts it in place in one step: readers go on with\n"
	"the old one until they reopen.  It takes the writer's lock and needs room\n"
	"for a second copy; it costs about as much as indexing the live paragraphs\n"
	"again.  With a stub, every local shard is compacted in turn; a remote\n"
	"shard is compacted on its own machine (zhfts compact --db DIR there, with\n"
	"its server stopped).\n"
	"\n"
	"  --db DIR          the database, or a stub file of shards (default: $ZHFTS_DB,\n"
	"                    else ./zhfts.db)\n";

static double seconds_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Compacts one local database, with a line of before and after. */
static int compact_one(const char *path)
{
	zhfts_db *db;
	zhfts_stats before = ZHFTS_STATS_INIT, after = ZHFTS_STATS_INIT;
	char *msg = NULL;

	if (zhfts_db_open(&db, path, ZHFTS_OPEN_READONLY, NULL, &msg) != ZHFTS_OK) {
		cli_error("compact: %s", msg ? msg : path);
		zhfts_free(msg);
		return EXIT_TROUBLE;
	}
	int rc = zhfts_db_stats(db, 0, &before);
	zhfts_db_close(db);
	double t = seconds_now();
	rc = rc ? rc : zhfts_db_compact(path, &msg);
	if (rc != ZHFTS_OK) {
		cli_error("compact: %s: %s", path, msg ? msg : zhfts_strerror(rc));
		zhfts_free(msg);
		return EXIT_TROUBLE;
	}
	t = seconds_now() - t;
	if (zhfts_db_open(&db, path, ZHFTS_OPEN_READONLY, NULL, &msg) == ZHFTS_OK) {
		zhfts_db_stats(db, 0, &after);
		zhfts_db_close(db);
	}
	zhfts_free(msg);
	printf("%s: compacted in %.2f s: %" PRIu64 " paragraphs, %" PRIu64 " dead ones removed, %.2f MB -> %.2f MB\n",
	       path, t, after.paragraphs, before.dead, (double)before.disk_bytes / 1e6, (double)after.disk_bytes / 1e6);
	return EXIT_MATCH;
}

int cmd_compact(int argc, char **argv)
{
	cli_args a;
	zhfts_db *db;

	if (cli_parse(argc, argv, OPT_DB, &a) != 0)
		return EXIT_TROUBLE;
	if (a.help) {
		fputs(compact_usage, stdout);
		return cli_finish(EXIT_MATCH);
	}
	if (a.npos > 0) {
		cli_error("compact: unexpected argument '%s' (see zhfts compact --help)", a.pos[0]);
		return EXIT_TROUBLE;
	}
	if (!is_stub_file(a.db))
		return cli_finish(compact_one(a.db));
	/* A stub: its local shards, by the paths the library resolved. */
	if (cli_open_db(&a, ZHFTS_OPEN_READONLY, NULL, &db) != 0)
		return EXIT_TROUBLE;
	size_t n = zhfts_db_shard_count(db);
	char **local = calloc(n, sizeof *local);
	int status = local ? EXIT_MATCH : EXIT_TROUBLE;
	for (size_t k = 0; local && k < n; k++) {
		zhfts_stats ss = ZHFTS_STATS_INIT;
		const char *addr = NULL;
		if (zhfts_db_shard_stats(db, k, 0, &ss, &addr) != ZHFTS_OK) {
			cli_error("compact: %s: shard %zu: %s", a.db, k + 1, zhfts_db_errmsg(db));
			status = EXIT_TROUBLE;
		} else if (!ss.disk_bytes) {
			printf("%s: remote: compact it on its own machine\n", addr);
		} else if (!(local[k] = strdup(addr))) {
			status = EXIT_TROUBLE;
		}
	}
	zhfts_db_close(db);
	for (size_t k = 0; local && k < n; k++) {
		if (local[k] && status == EXIT_MATCH)
			status = compact_one(local[k]);
		free(local[k]);
	}
	free(local);
	return cli_finish(status);
}
