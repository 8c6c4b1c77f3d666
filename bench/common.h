/*
 * Shared pieces of the benchmark programs: the corpus on disk, the query file,
 * timing, scoring against the oracle's expected paragraphs.
 *
 * Paragraph ids: the corpus is read once ("base") and may be indexed several
 * times ("copies"); paragraph p of copy c has the global id c * nparas + p.
 * Every engine reports hits as global ids, so one scorer serves them all.
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bench_file {
	char *path;           /* relative to the corpus root, e.g. "fortunes-zh/chinese.txt" */
	char *data;           /* the file's bytes */
	size_t len;
	uint32_t first_para;  /* base id of its first paragraph */
	uint32_t nparas;
} bench_file;

typedef struct bench_corpus {
	bench_file *files;    /* sorted by path */
	size_t nfiles;
	uint32_t nparas;      /* paragraphs in the base corpus */
	uint32_t *para_file;  /* per base paragraph: index into files */
	uint32_t *para_off;   /* per base paragraph: byte offset in its file */
	uint32_t *para_len;   /* per base paragraph: byte length (its lines, without the final newline) */
	uint64_t bytes;       /* bytes of the base corpus */
	unsigned copies;      /* how many times it is indexed (>= 1) */
} bench_corpus;

/* Reads every regular file under root (recursively, in byte order of path).
 * Paragraphs are maximal runs of non-blank lines, as zhfts's default. */
int bench_corpus_load(bench_corpus *c, const char *root, unsigned copies);
void bench_corpus_free(bench_corpus *c);
/* The fields every document of the bench carries, from a hash of its path
 * (the same in every copy): a year from 2016 to 2024, and one of
 * BENCH_DISTRICTS districts. */
#define BENCH_YEAR_FIRST 2016
#define BENCH_YEARS 9
#define BENCH_DISTRICTS 8
void bench_doc_fields(const bench_corpus *c, size_t file, unsigned *year, const char **district);

/* The id a document gets in every engine: the path, prefixed by "NNN/" when copies > 1.
 * Writes into buf (NUL-terminated). */
void bench_doc_id(const bench_corpus *c, unsigned copy, size_t file, char *buf, size_t size);
/* Inverse of bench_doc_id: the global id of the paragraph of that document that starts at
 * byte offset off, or -1 if there is none. */
int64_t bench_para_lookup(const bench_corpus *c, const char *doc_id, uint64_t off);
/* The same by paragraph number (from 1, in the order the corpus splits them). */
int64_t bench_para_number(const bench_corpus *c, const char *doc_id, uint32_t number);

typedef enum bench_op {
	OP_TERM = 1,  /* one Han run, 1-2 characters, unquoted */
	OP_PHRASE,    /* one Han run, 3-6 characters, quoted */
	OP_AND,       /* two Han runs: both */
	OP_OR,        /* either */
	OP_NOT,       /* the first, not the second */
	OP_LONG,      /* a long unspaced Han run: paragraphs holding all of it must rank first */
	OP_WORD,      /* a Latin word or a number: whole tokens, case-insensitively */
	/* the document fields of bench_doc_fields(), for engines that have fields */
	OP_FILTER,    /* a Han run, in documents whose field passes b ("year:2019", "year:2017..2019",
	                 "district:海淀区") */
	OP_SORT,      /* a Han run, newest first (b: "-year"), relevance breaking ties */
	OP_FACET      /* a Han run, with the matches counted per year over every match */
} bench_op;

typedef struct bench_query {
	char cls[16];         /* class name for the table: han1, han2, phrase, and, or, not, long, latin, digit */
	bench_op op;
	char *a, *b;          /* normalized terms (b NULL unless AND/OR/NOT) */
	uint32_t *expect;     /* sorted base ids of the expected paragraphs */
	size_t nexpect;
} bench_query;

typedef struct bench_queries {
	bench_query *q;
	size_t n;
} bench_queries;

int bench_queries_load(bench_queries *qs, const char *path);
void bench_queries_free(bench_queries *qs);
const char *bench_op_name(bench_op op);
int bench_op_parse(const char *s, bench_op *out);

/* The query in the zhfts / Xapian QueryParser syntax (they share it): caller frees. */
char *bench_query_string(const bench_query *q);

/* Hits of one run of one query: global ids, in rank order. */
typedef struct bench_hits {
	int64_t *id;
	size_t n, cap;
	/* OP_FACET: matches per year (year - BENCH_YEAR_FIRST), over every match */
	uint64_t facet[BENCH_YEARS];
} bench_hits;
void bench_hits_push(bench_hits *h, int64_t id);
void bench_hits_clear(bench_hits *h);
void bench_hits_free(bench_hits *h);

/* Does the engine's facet count equal the expected one (the expected paragraphs
 * per year, times the copies)? */
int bench_facets_ok(const bench_corpus *c, const bench_query *q, const bench_hits *h);

/* Scores hits against the query's expected set expanded to every copy.
 * top: the hits are the first `limit` hits (limit 0: all of them).
 * recall = found expected / min(limit, expected); precision = expected among hits / hits.
 * For OP_LONG only the first min(limit, expected) hits count: they must be the expected ones.
 * For OP_SORT recall is the share of hits whose year is the year the expected set, sorted
 * newest first, has at that rank. */
void bench_score(const bench_corpus *c, const bench_query *q, const bench_hits *h,
                 size_t limit, double *recall, double *precision);

double bench_now(void);
double bench_percentile(double *v, size_t n, double p); /* sorts v */
double bench_cpu_seconds(void);     /* user + system, this process and waited-for children */
long bench_peak_rss_kb(void);       /* this process */
long bench_children_rss_kb(void);   /* largest waited-for child */
uint64_t bench_du(const char *path); /* bytes of a file or a tree */
void bench_die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void *bench_xmalloc(size_t n);
char *bench_xstrdup(const char *s);

#ifdef __cplusplus
}
#endif
#endif
