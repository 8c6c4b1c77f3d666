/*
 * The zhfts command: what the command files share.
 *
 * Every command is `int cmd_NAME(int argc, char **argv)` with argv[0] the
 * command's name, and returns the process exit status (grep's convention).
 */
#ifndef ZHFTS_CLI_H
#define ZHFTS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "zhfts.h"

enum {
	EXIT_MATCH = 0,   /* a hit, or the command succeeded */
	EXIT_NOMATCH = 1, /* a search matched nothing */
	EXIT_TROUBLE = 2  /* any error */
};

/* Options; each command says which ones it accepts. */
enum {
	OPT_DB = 1u << 0,
	OPT_ID = 1u << 1,
	OPT_ENCODING = 1u << 2,
	OPT_LINES = 1u << 3,
	OPT_QUIET = 1u << 4,
	OPT_LIMIT = 1u << 5,
	OPT_OFFSET = 1u << 6,
	OPT_ALL = 1u << 7,
	OPT_FORMAT = 1u << 8,
	OPT_COLOR = 1u << 9,
	OPT_NO_TRADITIONAL = 1u << 10,
	OPT_JOBS = 1u << 11,
	OPT_FIELD = 1u << 12,
	OPT_SORT = 1u << 13,
	OPT_FACET = 1u << 14,
	OPT_LENIENT = 1u << 15,
	OPT_TERMLIST = 1u << 16,
	OPT_TIMEOUT = 1u << 17
};

#define CLI_MAX_REPEATS 64

typedef struct cli_args {
	const char *db;        /* --db, else $ZHFTS_DB, else ./zhfts.db */
	const char *id;
	const char *encoding;
	bool json;             /* --format json */
	int color;             /* CLI_COLOR_* */
	size_t limit, offset;
	size_t jobs;           /* --jobs (at least 1), or 0 when not given */
	unsigned timeout_ms;   /* --timeout SECONDS for remote shards (0: the library's) */
	bool lines, quiet, all, no_traditional, lenient, termlist, help;
	const char *sort;      /* --sort */
	zhfts_field fields[CLI_MAX_REPEATS]; /* --field NAME=VALUE (values point into argv) */
	size_t nfields;
	const char *facets[CLI_MAX_REPEATS]; /* --facet NAME */
	size_t nfacets;
	char **pos;            /* positional arguments (argv, compacted in place) */
	int npos;
} cli_args;

enum { CLI_COLOR_AUTO, CLI_COLOR_NEVER, CLI_COLOR_ALWAYS };

/* args.c.  Parses argv[1..] of a command; only options in @allowed are
 * accepted.  Arguments that merely start with one '-' are positional, so a
 * query can say `-科学城`.  Returns 0 or EXIT_TROUBLE (after a message). */
int cli_parse(int argc, char **argv, unsigned int allowed, cli_args *out);

/* output.c */
/* "zhfts: MESSAGE" on stderr; clears a progress bar first. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Set while a progress bar occupies the last line of stderr. */
extern bool cli_progress_shown;
/* Opens the database named by --db (with --timeout for remote shards),
 * reporting failures; returns 0 or EXIT_TROUBLE. */
int cli_open_db(const cli_args *a, unsigned int flags, const zhfts_options *opts,
                zhfts_db **out);
/* The arguments joined with single spaces; caller frees.  NULL if out of memory. */
char *cli_join(char **words, int n);
/* Reads a whole stream or file; *out is NUL-terminated; caller frees.  -1 with errno. */
int cli_read_stream(FILE *f, char **out, size_t *len);
int cli_read_file(const char *path, char **out, size_t *len);
/* Writes s as a JSON string, quotes included; invalid UTF-8 becomes U+FFFD. */
void cli_json_string(FILE *f, const char *s, size_t len);
/* Writes text for a terminal: control characters become U+FFFD, line breaks
 * inside the text are joined; when @marks, bytes \x01 and \x02 become
 * mark_on/mark_off. */
void cli_print_text(FILE *f, const char *s, size_t len, bool marks,
                    const char *mark_on, const char *mark_off);
/* Whether to colour a stream given --color. */
bool cli_use_color(int color, FILE *f);
/* Flushes stdout; EXIT_TROUBLE on a write error, else @status. */
int cli_finish(int status);

/* search.c: a hit as a text block; its snippet must have been made with the
 * markers \x01 and \x02. */
void cli_print_hit(const zhfts_hit *h, bool color);

/* The commands. */
int cmd_index(int argc, char **argv);
int cmd_search(int argc, char **argv);
int cmd_delete(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_compact(int argc, char **argv);
int cmd_shard(int argc, char **argv);
int cmd_tokenize(int argc, char **argv);
int cmd_demo(int argc, char **argv);

#endif
