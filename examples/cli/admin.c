/* zhfts delete and zhfts stats: the database's housekeeping. */
#include <inttypes.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

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
