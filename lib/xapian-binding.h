/*
 * The thin C binding over libxapian.  xapian-binding.cc is the only file of
 * libzhfts that includes a Xapian header; every function here catches every
 * exception and returns a zhfts_status with the message in `err`.
 * This header is plain C (no ICU, no Xapian) so that both sides include it.
 */
#ifndef ZHFTS_XAPIAN_BINDING_H
#define ZHFTS_XAPIAN_BINDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A status's detail, kept on each handle. */
typedef struct zerr {
	char msg[512];
} zerr;

/* Records `status` with a formatted message and returns `status` (status.c). */
int zerr_set(zerr *e, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void zerr_clear(zerr *e);

/* A query tree, built by query.c and turned into a Xapian::Query here. */
enum zq_op {
	ZQ_TERM,       /* a single term */
	ZQ_AND,
	ZQ_OR,
	ZQ_AND_NOT,    /* kids[0] minus the rest */
	ZQ_AND_MAYBE,  /* kids[0], boosted by the rest */
	ZQ_FILTER,     /* kids[0], restricted by the rest without adding weight */
	ZQ_RUN,        /* a run of three or more units: Xapian sees the AND of its
	                  pair terms (kids), a superset; `units` is checked against
	                  the stored text (search.c) */
	ZQ_SCALE,      /* kids[0] with its weight multiplied by `scale` */
	ZQ_SECTION,    /* a section: filter; search.c puts the matching path terms
	                  in kids, and Xapian sees their OR */
	ZQ_MATCH_NOTHING
};

typedef struct zqnode {
	enum zq_op op;
	char *term;
	size_t term_len;
	/* A text leaf (ZQ_TERM of one or two units, ZQ_RUN) or ZQ_SECTION: the
	 * normalized units it must match contiguously, as "\x1fu1\x1fu2\x1f". */
	char *units;
	size_t units_len;
	double scale;
	struct zqnode **kids;
	size_t nkids, kidcap;
} zqnode;

typedef struct zx_db zx_db;
typedef struct zx_doc zx_doc;

enum zx_mode { ZX_READ, ZX_OPEN, ZX_CREATE, ZX_OVERWRITE };

int zx_open(zx_db **out, const char *path, enum zx_mode mode, bool nosync, zerr *err);
/* Commits pending changes of a writable database, then frees the handle. */
int zx_close(zx_db *db, zerr *err);
int zx_commit(zx_db *db, zerr *err);
int zx_reopen(zx_db *db, zerr *err);
/* *value is malloc'd ("" when the key is absent). */
int zx_metadata_get(zx_db *db, const char *key, char **value, zerr *err);
int zx_metadata_set(zx_db *db, const char *key, const char *value, zerr *err);

/* Documents under construction: plain memory, no database involved. */
zx_doc *zx_doc_new(void);
int zx_doc_term(zx_doc *d, const char *term, size_t len);
int zx_doc_data(zx_doc *d, const char *data, size_t len);
void zx_doc_free(zx_doc *d);

/* Unflushed transactions group one zhfts document's changes; cancelling one
 * drops every change since the last commit (Xapian's semantics). */
int zx_txn_begin(zx_db *db, zerr *err);
int zx_txn_commit(zx_db *db, zerr *err);
int zx_txn_cancel(zx_db *db, zerr *err);
/* Drops every change since the last commit. */
int zx_rollback(zx_db *db, zerr *err);
int zx_add(zx_db *db, const zx_doc *d, zerr *err);
int zx_delete_term(zx_db *db, const char *term, size_t len, zerr *err);

int zx_doccount(zx_db *db, uint64_t *out, zerr *err);
int zx_lastdocid(zx_db *db, uint64_t *out, zerr *err);
int zx_termfreq(zx_db *db, const char *term, size_t len, uint64_t *out, zerr *err);

typedef int (*zx_term_fn)(void *ctx, const char *term, size_t len, uint32_t termfreq);
/* Every term starting with prefix, in byte order; a non-zero return stops. */
int zx_allterms(zx_db *db, const char *prefix, size_t prefix_len, zx_term_fn fn, void *ctx, zerr *err);

typedef int (*zx_data_fn)(void *ctx, double weight, const char *data, size_t len);
/* The data of every document indexed by term, in docid order, all read
 * from one snapshot of the database. */
int zx_postlist_data(zx_db *db, const char *term, size_t len, zx_data_fn fn, void *ctx, zerr *err);

/* Decides whether a candidate's data really matches: a negative status, or
 * ZX_* flags.  Must have no side effects: it may run again on a retry. */
typedef int (*zx_accept_fn)(void *ctx, const char *data, size_t len);
#define ZX_ACCEPT 1  /* it matches */
#define ZX_BOOSTED 2 /* Xapian scaled its weight up for a ZQ_RUN it appears to hold */
#define ZX_DEMOTE 4  /* ... but it holds no such run: it goes after the boosted hits */

/* Runs a query: fn gets each hit of [first, first + max) in rank order.
 * Xapian matches a superset of q (ZQ_RUN as the AND of its pairs; a subset
 * under negation).  With accept, hits are the candidates it accepts, and the
 * totals count accepted candidates: exact when every candidate was checked
 * (check_at_least covers them all), else the estimate is scaled by the
 * share accepted.  Hits accepted with ZX_DEMOTE come after the other
 * boosted hits, before the first hit that is not boosted.  Without accept,
 * q must contain no ZQ_RUN. */
int zx_search(zx_db *db, const zqnode *q, size_t first, size_t max, size_t check_at_least,
              zx_accept_fn accept, void *actx, zx_data_fn fn, void *ctx,
              uint64_t *estimate, uint64_t *lower, uint64_t *upper, zerr *err);
/* Merges and compacts databases into a new one at dest. */
int zx_compact(const char *dest, const char *const *sources, size_t n, zerr *err);

/* Xapian's description of the query; *out is malloc'd. */
int zx_describe(const zqnode *q, char **out, zerr *err);

#ifdef __cplusplus
}
#endif
#endif
