/*
 * One search engine under test.  Each engine indexes the same paragraphs and
 * answers the same structured queries; hits come back as global paragraph ids
 * (see common.h) so that one scorer serves all of them.
 */
#ifndef BENCH_ENGINE_H
#define BENCH_ENGINE_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

struct bench_update;

typedef struct bench_engine {
	const char *name;
	/* Builds a fresh index at path (jobs: writers to use; an engine may ignore it).
	 * Returns 0, or non-zero after printing why. */
	int (*build)(const bench_corpus *c, const char *path, int jobs);
	/* A search handle of its own (one per thread). NULL after printing why. */
	void *(*open)(const bench_corpus *c, const char *path);
	/* Runs q; pushes up to limit hits (0: all) in rank order. Non-zero: the query failed. */
	int (*search)(void *h, const bench_query *q, size_t limit, bench_hits *out);
	void (*close)(void *h);
	/* Optional (NULL): updates the index at path as a user keeping a collection
	 * current would: re-indexes every 10th document unchanged and deletes
	 * every 20th (offset 5); then re-indexes every 10th (offset 1) with a
	 * paragraph added; then compacts it if the engine has a step for that.
	 * Seconds and sizes go to *out.  Non-zero after printing why. */
	int (*update)(const bench_corpus *c, const char *path, struct bench_update *out);
	/* Indexes bench_doc_fields() and answers OP_FILTER, OP_SORT and OP_FACET. */
	int fields;
} bench_engine;

typedef struct bench_update {
	size_t reindexed, deleted, changed;
	double update_seconds;  /* re-indexing unchanged, and deleting */
	uint64_t size_updated;  /* bytes after that */
	double change_seconds;  /* re-indexing changed documents */
	uint64_t size_changed;  /* bytes after that, before compaction */
	double compact_seconds; /* < 0: no compaction step */
} bench_update;

extern const bench_engine bench_engine_zhfts;
extern const bench_engine bench_engine_fts5;
extern const bench_engine bench_engine_groonga;
extern const bench_engine bench_engine_xapian;

#ifdef __cplusplus
}
#endif
#endif
