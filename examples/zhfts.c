/*
 * zhfts — index and search Chinese reports from a terminal.
 *
 * The reference example of libzhfts's public API (zhfts.h): each command
 * lives in its own file under cli/.
 *
 *   zhfts index report.txt       zhfts search 科学城 发展
 *   zhfts demo                   zhfts search --format json '"科学城北"'
 */
#include <string.h>

#include "cli/cli.h"

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{"index", cmd_index, "index or re-index files and directories"},
	{"search", cmd_search, "find paragraphs (text or JSON lines)"},
	{"delete", cmd_delete, "remove documents"},
	{"stats", cmd_stats, "count documents, paragraphs and terms"},
	{"compact", cmd_compact, "rewrite the database without its dead paragraphs"},
	{"shard", cmd_shard, "lay a collection out over shards, or merge them"},
	{"tokenize", cmd_tokenize, "show the tokens the index sees"},
	{"demo", cmd_demo, "index the bundled sample report and query it"},
};

static void usage(FILE *f)
{
	fputs("usage: zhfts COMMAND [OPTIONS] [ARGS]\n\ncommands:\n", f);
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fputs("\n'zhfts COMMAND --help' describes a command; 'zhfts --version'.\n"
	      "The database is --db DIR, else $ZHFTS_DB, else ./zhfts.db.\n"
	      "Exit status: 0 success or a match, 1 no match, 2 an error.\n", f);
}

static const struct command *find(const char *name)
{
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const struct command *cmd;

	if (argc < 2) {
		usage(stderr);
		return EXIT_TROUBLE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return cli_finish(EXIT_MATCH);
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("zhfts %s (libzhfts %s)\n", ZHFTS_VERSION_STRING, zhfts_version());
		return cli_finish(EXIT_MATCH);
	}
	if (strcmp(argv[1], "help") == 0 && argc > 2 && (cmd = find(argv[2])) != NULL) {
		static char help_opt[] = "--help";
		char *help_argv[] = {argv[2], help_opt, NULL};
		return cmd->run(2, help_argv);
	}
	if (!(cmd = find(argv[1]))) {
		cli_error("unknown command '%s' (see zhfts --help)", argv[1]);
		return EXIT_TROUBLE;
	}
	return cmd->run(argc - 1, argv + 1);
}
