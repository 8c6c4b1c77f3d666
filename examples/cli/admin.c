/* zhfts delete and zhfts stats: the database's housekeeping. */
#include <inttypes.h>
#include <stdint.h>

#include "cli.h"

static const char delete_usage[] =
	"usage: zhfts delete [--db DIR] ID...\n"
	"\n"
	"Removes every paragraph of the documents with these ids (the paths they\n"
	"were indexed under, or their --id).\n"
	"\n"
	"  --db DIR  the database (default: $ZHFTS_DB, else ./zhfts.db)\n"
	"\n"
	"Exit status: 0 if every document was deleted, 2 otherwise.\n";

static const char stats_usage[] =
	"usage: zhfts stats [--db DIR]\n"
	"\n"
	"Shows the number of documents, paragraphs and distinct terms, the size on\n"
	"disk and the settings the database was built with.\n"
	"\n"
	"  --db DIR  the database (default: $ZHFTS_DB, else ./zhfts.db)\n";

int cmd_delete(int argc, char **argv)
{
	cli_args a;
	zhfts_db *db;
	int status = EXIT_MATCH, rc;

	if (cli_parse(argc, argv, OPT_DB, &a) != 0)
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

	if (cli_parse(argc, argv, OPT_DB, &a) != 0)
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
	zhfts_db_close(db);
	return cli_finish(EXIT_MATCH);
}
