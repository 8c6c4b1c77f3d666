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
	ZQ_PHRASE,     /* kids are terms at consecutive positions, in order */
	ZQ_SCALE,      /* kids[0] with its weight multiplied by `scale` */
	ZQ_SECTION,    /* a section: filter, expanded by search.c before it comes here */
	ZQ_MATCH_NOTHING
};

typedef struct zqnode {
	enum zq_op op;
	char *term;
	size_t term_len;
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
int zx_doc_posting(zx_doc *d, const char *term, size_t len, uint32_t pos);
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

/* Runs a query: fn gets each hit of [first, first + max) in rank order. */
int zx_search(zx_db *db, const zqnode *q, size_t first, size_t max, size_t check_at_least,
              zx_data_fn fn, void *ctx, uint64_t *estimate, uint64_t *lower, uint64_t *upper,
              zerr *err);
/* Merges and compacts databases into a new one at dest. */
int zx_compact(const char *dest, const char *const *sources, size_t n, zerr *err);

/* Xapian's description of the query; *out is malloc'd. */
int zx_describe(const zqnode *q, char **out, zerr *err);

#ifdef __cplusplus
}
#endif
#endif
