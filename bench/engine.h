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
} bench_engine;

extern const bench_engine bench_engine_zhfts;
extern const bench_engine bench_engine_fts5;
extern const bench_engine bench_engine_groonga;
extern const bench_engine bench_engine_xapian;

#ifdef __cplusplus
}
#endif
#endif
