/* zhfts shard: lay a collection out over shards (a Xapian stub file), and
 * put shards back together. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

static const char usage[] =
	"usage: zhfts shard init [--termlist] [--timeout SECONDS] STUB SHARD...\n"
	"       zhfts shard split [--termlist] DB N DIR\n"
	"       zhfts shard merge STUB|SHARD... DB\n"
	"\n"
	"A database of shards is a stub file in Xapian's format: one line per shard,\n"
	"'auto DIR' for a local directory or 'remote HOST:PORT' for a database that\n"
	"xapian-tcpsrv --writable serves.  Every --db takes a stub where it takes a\n"
	"database.\n"
	"\n"
	"  init   writes STUB naming each SHARD (a directory, or HOST:PORT) and makes\n"
	"         every shard a zhfts database (settings, format) ready for indexing\n"
	"  split  divides DB into N new shard directories DIR/shard-1 ... DIR/shard-N,\n"
	"         each document on the shard a stub would put it on, and writes\n"
	"         DIR/shards.stub naming them\n"
	"  merge  compacts the shards (local directories, or a stub listing them)\n"
	"         into one new database DB\n"
	"\n"
	"  --termlist        shards get Xapian's termlist table, which xapian-tcpsrv\n"
	"                    needs to serve them\n"
	"  --timeout SECONDS how long a remote shard may take to answer (default 10)\n";

/* HOST:PORT (a colon, digits after it, and no slash) or a directory. */
static bool is_address(const char *s)
{
	const char *colon = strrchr(s, ':');
	if (!colon || colon == s || !colon[1] || strchr(s, '/'))
		return false;
	for (const char *p = colon + 1; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

static int shard_init(cli_args *a)
{
	struct stat st;
	FILE *f;
	zhfts_db *db;

	if (a->npos < 3) {
		cli_error("shard init: give a STUB and at least one SHARD (see zhfts shard --help)");
		return EXIT_TROUBLE;
	}
	const char *stub = a->pos[1];
	if (stat(stub, &st) == 0) {
		cli_error("shard init: %s exists already", stub);
		return EXIT_TROUBLE;
	}
	if (!(f = fopen(stub, "w"))) {
		cli_error("shard init: %s: %s", stub, strerror(errno));
		return EXIT_TROUBLE;
	}
	fputs("# zhfts shards (Xapian stub format)\n", f);
	for (int i = 2; i < a->npos; i++)
		fprintf(f, "%s %s\n", is_address(a->pos[i]) ? "remote" : "auto", a->pos[i]);
	if (fclose(f) != 0) {
		cli_error("shard init: %s: %s", stub, strerror(errno));
		remove(stub);
		return EXIT_TROUBLE;
	}
	a->db = stub;
	if (cli_open_db(a, ZHFTS_OPEN_CREATE | (a->termlist ? ZHFTS_OPEN_TERMLIST : 0), NULL, &db) != 0) {
		remove(stub);
		return EXIT_TROUBLE;
	}
	int rc = zhfts_db_close(db);
	if (rc != ZHFTS_OK) {
		cli_error("shard init: %s: %s", stub, zhfts_strerror(rc));
		return EXIT_TROUBLE;
	}
	printf("%s: %d shard%s ready\n", stub, a->npos - 2, a->npos == 3 ? "" : "s");
	return 0;
}

static int shard_split(cli_args *a)
{
	if (a->npos != 4) {
		cli_error("shard split: give DB, N and DIR (see zhfts shard --help)");
		return EXIT_TROUBLE;
	}
	const char *src = a->pos[1], *dir = a->pos[3];
	char *end;
	unsigned long n = strtoul(a->pos[2], &end, 10);
	if (*end || n < 1 || n > 1024) {
		cli_error("shard split: N is a number of shards from 1 to 1024, not '%s'", a->pos[2]);
		return EXIT_TROUBLE;
	}
	if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
		cli_error("shard split: %s: %s", dir, strerror(errno));
		return EXIT_TROUBLE;
	}
	char **paths = calloc(n, sizeof *paths), *stub = malloc(strlen(dir) + 16);
	int status = EXIT_TROUBLE;
	bool ok = paths && stub;
	for (unsigned long k = 0; ok && k < n; k++) {
		size_t len = strlen(dir) + 32;
		ok = (paths[k] = malloc(len)) != NULL;
		if (ok)
			snprintf(paths[k], len, "%s/shard-%lu", dir, k + 1);
	}
	if (!ok) {
		cli_error("shard split: out of memory");
		goto done;
	}
	char *msg = NULL;
	int rc = zhfts_db_split(src, (const char *const *)paths, n, a->termlist ? ZHFTS_OPEN_TERMLIST : 0, &msg);
	if (rc != ZHFTS_OK) {
		cli_error("shard split: %s", msg ? msg : zhfts_strerror(rc));
		zhfts_free(msg);
		goto done;
	}
	sprintf(stub, "%s/shards.stub", dir);
	FILE *f = fopen(stub, "w");
	if (f) {
		fputs("# zhfts shards (Xapian stub format); paths are relative to this file\n", f);
		for (unsigned long k = 0; k < n; k++)
			fprintf(f, "auto shard-%lu\n", k + 1);
	}
	if (!f || fclose(f) != 0) {
		cli_error("shard split: %s: %s", stub, strerror(errno));
		goto done;
	}
	printf("%s: %lu shards; serve each with xapian-tcpsrv --writable, or search the stub\n", stub, n);
	status = 0;
done:
	for (unsigned long k = 0; paths && k < n; k++)
		free(paths[k]);
	free(paths);
	free(stub);
	return status;
}

static int shard_merge(cli_args *a)
{
	if (a->npos < 3) {
		cli_error("shard merge: give the shards (or a stub) and the new DB (see zhfts shard --help)");
		return EXIT_TROUBLE;
	}
	const char *dest = a->pos[a->npos - 1];
	char *msg = NULL;
	int rc = zhfts_db_merge(dest, (const char *const *)a->pos + 1, (size_t)a->npos - 2, &msg);
	if (rc != ZHFTS_OK) {
		cli_error("shard merge: %s", msg ? msg : zhfts_strerror(rc));
		zhfts_free(msg);
		return EXIT_TROUBLE;
	}
	printf("%s: merged %d source%s\n", dest, a->npos - 2, a->npos == 3 ? "" : "s");
	return 0;
}

int cmd_shard(int argc, char **argv)
{
	cli_args a;

	if (cli_parse(argc, argv, OPT_TERMLIST | OPT_TIMEOUT, &a) != 0)
		return EXIT_TROUBLE;
	if (a.help || a.npos == 0) {
		fputs(usage, a.help ? stdout : stderr);
		return a.help ? cli_finish(EXIT_MATCH) : EXIT_TROUBLE;
	}
	int rc;
	if (strcmp(a.pos[0], "init") == 0)
		rc = shard_init(&a);
	else if (strcmp(a.pos[0], "split") == 0)
		rc = shard_split(&a);
	else if (strcmp(a.pos[0], "merge") == 0)
		rc = shard_merge(&a);
	else {
		cli_error("shard: '%s' is not init, split or merge (see zhfts shard --help)", a.pos[0]);
		return EXIT_TROUBLE;
	}
	return rc ? rc : cli_finish(EXIT_MATCH);
}
