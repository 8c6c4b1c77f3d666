/*
 * The thin C binding over libxapian.  xapian-binding.cc is the only file of
 * libzhfts that includes a Xapian header.  It holds no policy: what a query
 * means, what is checked, retried or ranked is decided by the C side; this
 * side translates calls and turns every exception into a status with the
 * message in `err`.
 *
 * A reader that races a writer's commits gets ZX_EMODIFIED (Xapian's
 * DatabaseModifiedError, and the corrupt-block and short-read errors a
 * reader two commits behind can meet); the caller reopens (zx_reopen) and
 * starts the whole read again.
 *
 * Callbacks (zx_term_fn) run inside a Xapian iteration: they must not call
 * any zx_ function on the same zx_db, and must return (not longjmp); a
 * non-zero return stops the iteration and is returned as is.
 *
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

/* A status's message, kept on each handle.  For ZX_EMODIFIED, `lasting` is
 * the status to report if the condition outlives the caller's retries.
 * `where` (a zhfts_where) and `offset` locate the failure (status.c sets
 * them to nowhere and -1 unless told). */
typedef struct zerr {
	char msg[512];
	int lasting;
	int where;
	long long offset;
} zerr;

/* Records `status` with a formatted message and returns `status` (status.c). */
int zerr_set(zerr *e, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void zerr_clear(zerr *e);

/* Internal status: the database changed under a reader; reopen and retry. */
#define ZX_EMODIFIED (-100)

/* ---- query trees, as Xapian sees them ------------------------------------ */
enum zq_op {
	ZQ_TERM,          /* term */
	ZQ_AND,
	ZQ_OR,
	ZQ_AND_NOT,       /* kids[0] minus the rest */
	ZQ_AND_MAYBE,     /* kids[0], weighted up by the rest */
	ZQ_FILTER,        /* kids[0], restricted by the rest without weight */
	ZQ_SCALE,         /* kids[0] with its weight multiplied by `weight` (0: boolean) */
	ZQ_FIXED,         /* every document, with weight `weight` (AND it with something) */
	ZQ_VALUE_RANGE,   /* value in `slot` within [lo, hi]; lo or hi NULL: open */
	ZQ_WILDCARD,      /* every term starting with `term` (a prefix), ORed */
	ZQ_MATCH_ALL,
	ZQ_MATCH_NOTHING
};

typedef struct zqnode {
	enum zq_op op;
	char *term;        /* ZQ_TERM, ZQ_WILDCARD */
	size_t term_len;
	double weight;     /* ZQ_SCALE, ZQ_FIXED */
	unsigned slot;     /* ZQ_VALUE_RANGE */
	char *lo, *hi;     /* ZQ_VALUE_RANGE */
	size_t lo_len, hi_len;
	struct zqnode **kids;
	size_t nkids, kidcap;
} zqnode;

/* ---- databases -------------------------------------------------------------- */
typedef struct zx_db zx_db;
typedef struct zx_doc zx_doc;
typedef int (*zx_term_fn)(void *ctx, const char *term, size_t len, uint32_t termfreq);

enum zx_mode { ZX_READ, ZX_OPEN, ZX_CREATE, ZX_OVERWRITE };
#define ZX_NO_SYNC 0x1u
#define ZX_NO_TERMLIST 0x2u /* a new database without a termlist table (no deletes) */

int zx_open(zx_db **out, const char *path, enum zx_mode mode, unsigned flags, zerr *err);
/* A database served by xapian-tcpsrv at host:port, or by a program run with
 * args (prog non-NULL); each message and the connection time out after
 * timeout_ms (0: 10 s).  Errors name the shard. */
int zx_open_remote(zx_db **out, const char *host, unsigned port, const char *prog, const char *args,
                   bool writable, unsigned timeout_ms, zerr *err);
/* A reading view over several handles (shards), as one database: Xapian
 * numbers their documents round robin (docid d of part k of n is
 * (d - 1) * n + k + 1).  The parts must outlive it. */
int zx_combine(zx_db **out, zx_db *const *parts, size_t n, zerr *err);
/* Commits pending changes of a writable database, then frees the handle. */
int zx_close(zx_db *db, zerr *err);
int zx_commit(zx_db *db, zerr *err);
int zx_reopen(zx_db *db, zerr *err);
/* The database's UUID (a new one after compaction) into out (at least 37 bytes). */
int zx_uuid(zx_db *db, char *out, size_t cap, zerr *err);
/* The sub-databases a read through this handle combines (1 unless a stub). */
size_t zx_shards(const zx_db *db);
/* *value is malloc'd ("" when the key is absent). */
int zx_metadata_get(zx_db *db, const char *key, char **value, zerr *err);
int zx_metadata_set(zx_db *db, const char *key, const char *value, size_t len, zerr *err);
/* The same, with the value's length (it may hold NUL bytes). */
int zx_metadata_get_bytes(zx_db *db, const char *key, char **value, size_t *len, zerr *err);
/* Every metadata key starting with prefix, in byte order (see the top of
 * the file for what fn may do). */
int zx_metadata_keys(zx_db *db, const char *prefix, zx_term_fn fn, void *ctx, zerr *err);

/* The revision a local database is at (it grows with each commit). */
int zx_revision(zx_db *db, uint64_t *out, zerr *err);
int zx_doccount(zx_db *db, uint64_t *out, zerr *err);
int zx_lastdocid(zx_db *db, uint64_t *out, zerr *err);
int zx_termfreq(zx_db *db, const char *term, size_t len, uint64_t *out, zerr *err);

/* Every term starting with prefix, in byte order, starting after `after`
 * (NULL: from the first).  See the top of the file for what fn may do. */
int zx_allterms(zx_db *db, const char *prefix, size_t prefix_len, const char *after, size_t after_len,
                zx_term_fn fn, void *ctx, zerr *err);

/* Every value of a slot, in docid order: fn(ctx, docid, value, len) for
 * each document that has one (see the top of the file for what fn may do;
 * non-zero stops and is returned).  One pass over the slot's value stream
 * on a local database; a remote one reads document by document. */
typedef int (*zx_value_fn)(void *ctx, uint32_t docid, const char *value, size_t len);
int zx_value_scan(zx_db *db, unsigned slot, zx_value_fn fn, void *ctx, zerr *err);

/* The documents a term indexes, in docid order: *docids is malloc'd. */
int zx_postlist(zx_db *db, const char *term, size_t len, uint32_t **docids, size_t *n, zerr *err);

/* One document as read: its data and the values asked for.  Buffers are
 * malloc'd and belong to the struct (zx_fetched_free). */
typedef struct zx_fetched {
	char *data;
	size_t data_len;
	char **values;     /* one per slot asked for; "" when the document has none */
	size_t *value_lens;
	size_t nvalues;
	bool missing;      /* no such document (deleted) */
} zx_fetched;

/* Reads documents by docid: their data (unless !data) and the values in
 * slots (nslots may be 0).  A missing document is marked, not an error. */
int zx_fetch(zx_db *db, const uint32_t *docids, size_t n, bool data, const unsigned *slots, size_t nslots,
             zx_fetched *out, zerr *err);
/* The values in slot of documents, through the slot's value stream (far
 * cheaper than reading each document): docids ascending; values[i] is
 * malloc'd ("" when the document has none). */
int zx_values(zx_db *db, unsigned slot, const uint32_t *docids, size_t n, char **values, size_t *lens, zerr *err);
/* The lowest and highest docid holding a document (0, 0 if none). */
int zx_used_range(zx_db *db, uint32_t *first, uint32_t *last, zerr *err);
void zx_fetched_free(zx_fetched *f, size_t n);

/* ---- writing ---------------------------------------------------------------- */
/* Documents under construction: plain memory, no database involved. */
int zx_doc_new(zx_doc **out);
int zx_doc_term(zx_doc *d, const char *term, size_t len);
/* Adds the term with this wdf (added to any it has). */
int zx_doc_term_wdf(zx_doc *d, const char *term, size_t len, uint32_t wdf);
int zx_doc_value(zx_doc *d, unsigned slot, const char *value, size_t len);
int zx_doc_data(zx_doc *d, const char *data, size_t len);
void zx_doc_free(zx_doc *d);

/* Unflushed transactions group one zhfts document's changes; cancelling one
 * drops every change since the last commit (Xapian's semantics). */
int zx_txn_begin(zx_db *db, zerr *err);
int zx_txn_commit(zx_db *db, zerr *err);
int zx_txn_cancel(zx_db *db, zerr *err);
/* Drops every change since the last commit. */
int zx_rollback(zx_db *db, zerr *err);
int zx_add(zx_db *db, const zx_doc *d, uint32_t *docid, zerr *err);
int zx_delete_docid(zx_db *db, uint32_t docid, zerr *err);

/* Merges and compacts databases into a new one at dest. */
int zx_compact(const char *dest, const char *const *sources, size_t n, zerr *err);

/* Xapian's sortable encoding of a number (as Xapian::sortable_serialise):
 * writes at most 9 bytes into out and returns how many. */
size_t zx_sortable_serialise(double v, char out[9]);
double zx_sortable_unserialise(const char *s, size_t len);

/* ---- searching -------------------------------------------------------------- */
enum zx_order_kind {
	ZX_ORDER_RELEVANCE,      /* weight descending, then docid */
	ZX_ORDER_REL_THEN_VALUE, /* weight, then value of `slot`, then docid */
	ZX_ORDER_VALUE,          /* value of `slot` (ascending unless reverse), then docid */
	ZX_ORDER_VALUE_THEN_REL  /* value of `slot`, then weight, then docid */
};

/* Values compare as byte strings; an empty (missing) value is the lowest. */
typedef struct zx_order {
	enum zx_order_kind kind;
	unsigned slot;
	bool reverse;
} zx_order;

typedef struct zx_item {
	uint32_t docid;
	double weight;
	char *sort_key;          /* malloc'd: the value sorted by (orders with a value) */
	size_t sort_key_len;
} zx_item;

typedef struct zx_facet_count {
	char *value;             /* malloc'd */
	size_t len;
	uint64_t count;
} zx_facet_count;

typedef struct zx_spy {
	unsigned slot;           /* in: the value slot to count */
	zx_facet_count *counts;  /* out: malloc'd, every value seen */
	size_t n;
	uint64_t seen;           /* out: documents the spy saw */
} zx_spy;

typedef struct zx_match {
	zx_item *items;          /* the window [first, first + n) of the ranked matches */
	size_t n;
	uint64_t estimate, lower, upper;
} zx_match;

/* Xapian's BM25Weight with these parameters (k2 = 0, k3 = 1). */
typedef struct zx_weight {
	double k1, b;
} zx_weight;

/* Runs q, weighed by w.  check_at_least: as Xapian's (the spies see at least that many
 * matches).  The items and the spies' counts are copied out before return. */
int zx_search(zx_db *db, const zqnode *q, const zx_weight *w, const zx_order *order, size_t first, size_t max,
              size_t check_at_least, zx_spy *spies, size_t nspies, zx_match *out, zerr *err);
void zx_match_free(zx_match *m);
void zx_spy_free(zx_spy *s);

/* Xapian's description of the query; *out is malloc'd. */
int zx_describe(const zqnode *q, char **out, zerr *err);

#ifdef __cplusplus
}
#endif
#endif
