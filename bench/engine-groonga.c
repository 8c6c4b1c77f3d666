/*
 * Groonga with TokenBigram and NormalizerAuto, driven through its command-line
 * program (`groonga DB`, commands on stdin, one JSON answer per line on stdout).
 * Paragraphs live in a TABLE_NO_KEY, so _id - 1 is the global id.  The
 * full-text index is built after the load (Groonga's static index construction,
 * its fast path for bulk loads).  Latencies include one pipe round trip.
 */
#include "engine.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef GROONGA_PROGRAM
#define GROONGA_PROGRAM "groonga"
#endif

typedef struct gproc {
	pid_t pid;
	FILE *in;   /* commands to groonga */
	FILE *out;  /* its answers */
	char *line;
	size_t cap;
} gproc;

static int gproc_start(gproc *g, const char *path, int create)
{
	int to[2], from[2];
	if (pipe(to) || pipe(from)) {
		fprintf(stderr, "groonga: pipe: %s\n", strerror(errno));
		return -1;
	}
	g->pid = fork();
	if (g->pid < 0)
		return -1;
	if (g->pid == 0) {
		dup2(to[0], 0);
		dup2(from[1], 1);
		close(to[0]); close(to[1]); close(from[0]); close(from[1]);
		if (create)
			execlp(GROONGA_PROGRAM, GROONGA_PROGRAM, "-n", path, (char *)NULL);
		else
			execlp(GROONGA_PROGRAM, GROONGA_PROGRAM, path, (char *)NULL);
		fprintf(stderr, "groonga: cannot run %s: %s\n", GROONGA_PROGRAM, strerror(errno));
		_exit(127);
	}
	close(to[0]);
	close(from[1]);
	g->in = fdopen(to[1], "w");
	g->out = fdopen(from[0], "r");
	g->line = NULL;
	g->cap = 0;
	return g->in && g->out ? 0 : -1;
}

/* Reads one answer; returns its status (0 ok) or -1 if groonga went away. */
static int gproc_answer(gproc *g)
{
	if (fflush(g->in) != 0)
		return -1;
	if (getline(&g->line, &g->cap, g->out) < 0) {
		fprintf(stderr, "groonga: no answer (did it exit?)\n");
		return -1;
	}
	int status = -1;
	if (sscanf(g->line, "[[%d", &status) != 1)
		return -1;
	if (status != 0)
		fprintf(stderr, "groonga: %.300s\n", g->line);
	return status;
}

static int gproc_stop(gproc *g)
{
	int st = 0;
	if (g->in)
		fclose(g->in);
	if (g->out)
		fclose(g->out);
	if (g->pid > 0)
		waitpid(g->pid, &st, 0);
	free(g->line);
	memset(g, 0, sizeof *g);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* Writes s as a JSON string body. */
static void json_text(FILE *fp, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '"' || ch == '\\')
			fputc('\\', fp), fputc(ch, fp);
		else if (ch < 0x20)
			fprintf(fp, "\\u%04x", ch);
		else
			fputc(ch, fp);
	}
}

static int groonga_build(const bench_corpus *c, const char *path, int jobs)
{
	(void)jobs;
	char cmd[4096];
	snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", path, path);
	if (system(cmd) != 0)
		return -1;
	char db[4096];
	snprintf(db, sizeof db, "%s/db", path);
	gproc g;
	if (gproc_start(&g, db, 1))
		return -1;
	fputs("table_create Paras TABLE_NO_KEY\n", g.in);
	int bad = gproc_answer(&g);
	fputs("column_create Paras text COLUMN_SCALAR LongText\n", g.in);
	bad |= gproc_answer(&g);
	fputs("load --table Paras\n[\n", g.in);
	for (unsigned k = 0; k < c->copies && !bad; k++)
		for (uint32_t p = 0; p < c->nparas; p++) {
			fputs("{\"text\":\"", g.in);
			json_text(g.in, c->files[c->para_file[p]].data + c->para_off[p], c->para_len[p]);
			fputs("\"},\n", g.in);
		}
	fputs("]\n", g.in);
	bad |= gproc_answer(&g);
	fputs("table_create Terms TABLE_PAT_KEY ShortText --default_tokenizer TokenBigram"
	      " --normalizer NormalizerAuto\n", g.in);
	bad |= gproc_answer(&g);
	fputs("column_create Terms paras_text COLUMN_INDEX|WITH_POSITION Paras text\n", g.in);
	bad |= gproc_answer(&g);
	bad |= gproc_stop(&g);
	return bad ? -1 : 0;
}

static void *groonga_open(const bench_corpus *c, const char *path)
{
	(void)c;
	char db[4096];
	snprintf(db, sizeof db, "%s/db", path);
	gproc *g = calloc(1, sizeof *g);
	if (!g || gproc_start(g, db, 0)) {
		free(g);
		return NULL;
	}
	return g;
}

/* A term of the Groonga query syntax: phrases quoted, nothing else needs it (Han, a-z, 0-9). */
static int groonga_search(void *vh, const bench_query *q, size_t limit, bench_hits *out)
{
	gproc *g = vh;
	char query[600];
	switch (q->op) {
	case OP_PHRASE: snprintf(query, sizeof query, "\\\"%s\\\"", q->a); break;
	case OP_AND: snprintf(query, sizeof query, "%s %s", q->a, q->b); break;
	case OP_OR: snprintf(query, sizeof query, "%s OR %s", q->a, q->b); break;
	case OP_NOT: snprintf(query, sizeof query, "%s - %s", q->a, q->b); break;
	default: snprintf(query, sizeof query, "%s", q->a); break;
	}
	fprintf(g->in, "select Paras --match_columns text --query \"%s\" --output_columns _id"
	               " --sort_keys -_score --limit %ld\n", query, limit ? (long)limit : -1L);
	if (gproc_answer(g) != 0)
		return -1;
	/* [[0,t,e],[[[N],[["_id","UInt32"]],[id],[id],...]]] */
	const char *p = strstr(g->line, "\"UInt32\"]]");
	if (!p)
		return -1;
	p += strlen("\"UInt32\"]]");
	while ((p = strchr(p, '[')) != NULL) {
		char *end;
		long id = strtol(p + 1, &end, 10);
		if (end == p + 1)
			break;
		bench_hits_push(out, id - 1);
		p = end;
	}
	return 0;
}

static void groonga_close(void *vh)
{
	if (vh) {
		gproc *g = vh;
		fputs("quit\n", g->in);
		gproc_stop(g);
		free(g);
	}
}

const bench_engine bench_engine_groonga = {"groonga-bigram", groonga_build, groonga_open, groonga_search,
                                           groonga_close, NULL, 0};
