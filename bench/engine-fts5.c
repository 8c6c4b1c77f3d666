/* SQLite FTS5 with the trigram tokenizer: one row per paragraph, rowid = global id. */
#include "engine.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int check(sqlite3 *db, int rc, const char *what)
{
	if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
		fprintf(stderr, "fts5: %s: %s\n", what, sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}

static int fts5_build(const bench_corpus *c, const char *path, int jobs)
{
	(void)jobs; /* SQLite has one writer */
	sqlite3 *db;
	unlink(path);
	if (sqlite3_open(path, &db) != SQLITE_OK) {
		fprintf(stderr, "fts5: %s: cannot create\n", path);
		return -1;
	}
	/* like zhfts's ZHFTS_OPEN_NO_SYNC: a bulk load that can be redone */
	int rc = sqlite3_exec(db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; BEGIN;"
	                          "CREATE VIRTUAL TABLE p USING fts5(text, tokenize='trigram');",
	                      NULL, NULL, NULL);
	if (check(db, rc, "create table"))
		goto fail;
	sqlite3_stmt *ins;
	if (check(db, sqlite3_prepare_v2(db, "INSERT INTO p(rowid, text) VALUES (?, ?)", -1, &ins, NULL), "prepare"))
		goto fail;
	for (unsigned k = 0; k < c->copies; k++)
		for (uint32_t p = 0; p < c->nparas; p++) {
			const char *text = c->files[c->para_file[p]].data + c->para_off[p];
			sqlite3_bind_int64(ins, 1, (sqlite3_int64)k * c->nparas + p);
			sqlite3_bind_text(ins, 2, text, (int)c->para_len[p], SQLITE_STATIC);
			if (check(db, sqlite3_step(ins), "insert")) {
				sqlite3_finalize(ins);
				goto fail;
			}
			sqlite3_reset(ins);
		}
	sqlite3_finalize(ins);
	/* merge the b-tree segments, as a bulk load should end */
	rc = sqlite3_exec(db, "INSERT INTO p(p) VALUES('optimize'); COMMIT;", NULL, NULL, NULL);
	if (check(db, rc, "optimize"))
		goto fail;
	return sqlite3_close(db) == SQLITE_OK ? 0 : -1;
fail:
	sqlite3_close(db);
	return -1;
}

typedef struct fts5_handle {
	sqlite3 *db;
	sqlite3_stmt *match;       /* MATCH expression, ranked */
	sqlite3_stmt *like[5];     /* full scans by operator: 1 term, and, or, not */
} fts5_handle;

static void *fts5_open(const bench_corpus *c, const char *path)
{
	(void)c;
	fts5_handle *h = calloc(1, sizeof *h);
	if (!h || sqlite3_open_v2(path, &h->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		fprintf(stderr, "fts5: %s: cannot open\n", path);
		free(h);
		return NULL;
	}
	static const char *const sql[5] = {
		"SELECT rowid FROM p WHERE p MATCH ?1 ORDER BY rank LIMIT ?3",
		"SELECT rowid FROM p WHERE instr(text, ?1) LIMIT ?3",
		"SELECT rowid FROM p WHERE instr(text, ?1) AND instr(text, ?2) LIMIT ?3",
		"SELECT rowid FROM p WHERE instr(text, ?1) OR instr(text, ?2) LIMIT ?3",
		"SELECT rowid FROM p WHERE instr(text, ?1) AND NOT instr(text, ?2) LIMIT ?3",
	};
	sqlite3_stmt **st[5] = {&h->match, &h->like[1], &h->like[2], &h->like[3], &h->like[4]};
	for (int i = 0; i < 5; i++)
		if (check(h->db, sqlite3_prepare_v2(h->db, sql[i], -1, st[i], NULL), sql[i])) {
			sqlite3_close(h->db);
			free(h);
			return NULL;
		}
	return h;
}

static size_t chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

static int fts5_search(void *vh, const bench_query *q, size_t limit, bench_hits *out)
{
	fts5_handle *h = vh;
	sqlite3_stmt *st;
	/* the trigram index answers only terms of 3 or more characters (and LIKE with a
	 * shorter pattern finds nothing in SQLite 3.40); shorter ones scan every row */
	int short_terms = chars(q->a) < 3 || (q->b && chars(q->b) < 3);
	if (!short_terms) {
		char expr[600];
		const char *op = q->op == OP_AND ? "AND" : q->op == OP_OR ? "OR" : "NOT";
		if (q->b)
			snprintf(expr, sizeof expr, "\"%s\" %s \"%s\"", q->a, op, q->b);
		else
			snprintf(expr, sizeof expr, "\"%s\"", q->a);
		st = h->match;
		sqlite3_bind_text(st, 1, expr, -1, SQLITE_TRANSIENT);
	} else {
		st = h->like[q->op == OP_AND ? 2 : q->op == OP_OR ? 3 : q->op == OP_NOT ? 4 : 1];
		sqlite3_bind_text(st, 1, q->a, -1, SQLITE_STATIC);
		if (q->b)
			sqlite3_bind_text(st, 2, q->b, -1, SQLITE_STATIC);
	}
	sqlite3_bind_int64(st, 3, limit ? (sqlite3_int64)limit : -1);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		bench_hits_push(out, sqlite3_column_int64(st, 0));
	int bad = check(h->db, rc, "query");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return bad;
}

static void fts5_close(void *vh)
{
	fts5_handle *h = vh;
	if (!h)
		return;
	sqlite3_finalize(h->match);
	for (int i = 1; i < 5; i++)
		sqlite3_finalize(h->like[i]);
	sqlite3_close(h->db);
	free(h);
}

const bench_engine bench_engine_fts5 = {"fts5-trigram", fts5_build, fts5_open, fts5_search, fts5_close, NULL, 0};
