/* Command-line options: a small parser so that every command reads the same
 * way and a query may contain words that start with '-'. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct option {
	const char *name;
	unsigned int bit;
	bool has_value;
} options[] = {
	{"db", OPT_DB, true},
	{"id", OPT_ID, true},
	{"encoding", OPT_ENCODING, true},
	{"lines", OPT_LINES, false},
	{"quiet", OPT_QUIET, false},
	{"limit", OPT_LIMIT, true},
	{"offset", OPT_OFFSET, true},
	{"all", OPT_ALL, false},
	{"format", OPT_FORMAT, true},
	{"color", OPT_COLOR, true},
	{"colour", OPT_COLOR, true},
	{"no-traditional", OPT_NO_TRADITIONAL, false},
	{"jobs", OPT_JOBS, true},
	{"field", OPT_FIELD, true},
	{"sort", OPT_SORT, true},
	{"facet", OPT_FACET, true},
	{"lenient", OPT_LENIENT, false},
	{"termlist", OPT_TERMLIST, false},
	{"timeout", OPT_TIMEOUT, true},
};

static int parse_count(const char *cmd, const char *name, const char *v, size_t *out)
{
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(v, &end, 10);
	if (*v < '0' || *v > '9' || *end != '\0' || errno != 0 || n > SIZE_MAX - 1) {
		cli_error("%s: --%s wants a non-negative number, not '%s'", cmd, name, v);
		return EXIT_TROUBLE;
	}
	*out = (size_t)n;
	return 0;
}

/* --field NAME=VALUE: the name is cut off in place (argv is ours). */
static int add_field(const char *cmd, char *v, cli_args *a)
{
	char *eq = strchr(v, '=');
	if (!eq || eq == v || !eq[1]) {
		cli_error("%s: --field wants NAME=VALUE, not '%s'", cmd, v);
		return EXIT_TROUBLE;
	}
	if (a->nfields == CLI_MAX_REPEATS) {
		cli_error("%s: at most %d --field options", cmd, CLI_MAX_REPEATS);
		return EXIT_TROUBLE;
	}
	*eq = '\0';
	a->fields[a->nfields++] = (zhfts_field){v, eq + 1};
	return 0;
}

static int set_value(const char *cmd, const struct option *o, char *v, cli_args *a)
{
	switch (o->bit) {
	case OPT_FIELD: return add_field(cmd, v, a);
	case OPT_SORT: a->sort = v; return 0;
	case OPT_FACET:
		if (a->nfacets == CLI_MAX_REPEATS) {
			cli_error("%s: at most %d --facet options", cmd, CLI_MAX_REPEATS);
			return EXIT_TROUBLE;
		}
		a->facets[a->nfacets++] = v;
		return 0;
	case OPT_DB: a->db = v; return 0;
	case OPT_ID: a->id = v; return 0;
	case OPT_ENCODING: a->encoding = v; return 0;
	case OPT_LIMIT: return parse_count(cmd, o->name, v, &a->limit);
	case OPT_OFFSET: return parse_count(cmd, o->name, v, &a->offset);
	case OPT_JOBS:
		if (parse_count(cmd, o->name, v, &a->jobs) != 0)
			return EXIT_TROUBLE;
		if (a->jobs == 0) {
			cli_error("%s: --jobs wants at least 1, not '%s'", cmd, v);
			return EXIT_TROUBLE;
		}
		return 0;
	case OPT_TIMEOUT: {
		char *end;
		errno = 0;
		double sec = strtod(v, &end);
		if (*end || errno || !(sec > 0) || sec > 4e6) {
			cli_error("%s: --timeout wants a number of seconds above 0, not '%s'", cmd, v);
			return EXIT_TROUBLE;
		}
		a->timeout_ms = sec * 1000 < 1 ? 1 : (unsigned)(sec * 1000);
		return 0;
	}
	case OPT_FORMAT:
		if (strcmp(v, "text") == 0 || strcmp(v, "json") == 0) {
			a->json = strcmp(v, "json") == 0;
			return 0;
		}
		cli_error("%s: --format is text or json, not '%s'", cmd, v);
		return EXIT_TROUBLE;
	case OPT_COLOR:
		if (strcmp(v, "auto") == 0) a->color = CLI_COLOR_AUTO;
		else if (strcmp(v, "never") == 0) a->color = CLI_COLOR_NEVER;
		else if (strcmp(v, "always") == 0) a->color = CLI_COLOR_ALWAYS;
		else {
			cli_error("%s: --color is never, always or auto, not '%s'", cmd, v);
			return EXIT_TROUBLE;
		}
		return 0;
	}
	return 0;
}

static void set_flag(unsigned int bit, cli_args *a)
{
	switch (bit) {
	case OPT_LINES: a->lines = true; break;
	case OPT_QUIET: a->quiet = true; break;
	case OPT_ALL: a->all = true; break;
	case OPT_NO_TRADITIONAL: a->no_traditional = true; break;
	case OPT_LENIENT: a->lenient = true; break;
	case OPT_TERMLIST: a->termlist = true; break;
	}
}

int cli_parse(int argc, char **argv, unsigned int allowed, cli_args *a)
{
	const char *cmd = argv[0];
	const char *env = getenv("ZHFTS_DB");
	bool only_positional = false;

	memset(a, 0, sizeof *a);
	a->db = env && *env ? env : "./zhfts.db";
	a->limit = 10;
	a->jobs = 0; /* the command decides */
	a->pos = argv + 1; /* argv[0], the command name, stays */

	for (int i = 1; i < argc; i++) {
		char *arg = argv[i];
		const struct option *o = NULL;
		char *eq, *value;
		size_t name_len;

		if (only_positional || strncmp(arg, "--", 2) != 0) {
			if (!only_positional && strcmp(arg, "-h") == 0)
				a->help = true;
			else
				a->pos[a->npos++] = arg;
			continue;
		}
		if (arg[2] == '\0') {
			only_positional = true;
			continue;
		}
		if (strcmp(arg, "--help") == 0) {
			a->help = true;
			continue;
		}
		eq = strchr(arg, '=');
		name_len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
		for (size_t k = 0; k < sizeof options / sizeof options[0]; k++)
			if ((allowed & options[k].bit) && strlen(options[k].name) == name_len &&
			    memcmp(options[k].name, arg + 2, name_len) == 0)
				o = &options[k];
		if (!o) {
			cli_error("%s: unknown option '%.*s' (see zhfts %s --help)", cmd,
			          (int)(name_len + 2), arg, cmd);
			return EXIT_TROUBLE;
		}
		if (!o->has_value) {
			if (eq) {
				cli_error("%s: --%s takes no value", cmd, o->name);
				return EXIT_TROUBLE;
			}
			set_flag(o->bit, a);
			continue;
		}
		if (eq) {
			value = eq + 1;
		} else if (i + 1 < argc) {
			value = argv[++i];
		} else {
			cli_error("%s: --%s needs a value", cmd, o->name);
			return EXIT_TROUBLE;
		}
		if (set_value(cmd, o, value, a) != 0)
			return EXIT_TROUBLE;
	}
	return 0;
}
