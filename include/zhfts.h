/*
 * zhfts — full-text search over Chinese documents at paragraph granularity.
 *
 * The one public header of libzhfts.
 *
 * Conventions
 * -----------
 * - Functions return ZHFTS_OK (0) or a negative zhfts_status.  The detail of
 *   the last failure (which document, which byte offset, which query position)
 *   is kept on the handle: zhfts_db_errmsg(), zhfts_tokenizer_errmsg().  Those
 *   accessors never return NULL.
 * - Text is UTF-8 given as (pointer, length); it need not be NUL-terminated and
 *   may contain NUL bytes.  Every offset is a byte offset.
 * - Objects returned through an `out` parameter belong to the caller and are
 *   released with their own _free()/_close(), which accept NULL.  Pointers
 *   returned by getters are borrowed: each getter says how long they stay valid.
 * - Options structs start with a version field; initialise them with their
 *   _INIT macro so that fields added later get their defaults.
 *
 * Thread safety
 * -------------
 * The library has no global mutable state.  One handle (zhfts_db,
 * zhfts_tokenizer, zhfts_results) must not be used from two threads at the same
 * time; different handles may be used from different threads freely, also on
 * the same database.  Any number of processes may open a database read-only
 * while one process writes to it; a second writer gets ZHFTS_ELOCKED.
 */
#ifndef ZHFTS_H
#define ZHFTS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && __GNUC__ >= 4
#define ZHFTS_EXTERN __attribute__((visibility("default")))
#else
#define ZHFTS_EXTERN
#endif

/** @name Version */
/**@{*/
#define ZHFTS_VERSION_MAJOR 0
#define ZHFTS_VERSION_MINOR 1
#define ZHFTS_VERSION_PATCH 0
#define ZHFTS_VERSION_STRING "0.1.0"

/** The version of the library that is running, e.g. "0.1.0".  Static string. */
ZHFTS_EXTERN const char *zhfts_version(void);
/**@}*/

/** Status codes.  ZHFTS_OK is 0; every failure is negative. */
typedef enum zhfts_status {
	ZHFTS_OK = 0,
	ZHFTS_ERROR = -1,     /**< unexpected failure; see the handle's message */
	ZHFTS_ENOMEM = -2,    /**< out of memory */
	ZHFTS_EINVAL = -3,    /**< invalid argument or option */
	ZHFTS_EENCODING = -4, /**< invalid bytes in a document, unknown charset */
	ZHFTS_EQUERY = -5,    /**< query syntax error; the message names the position */
	ZHFTS_ELOCKED = -6,   /**< another writer holds the database */
	ZHFTS_ENOTFOUND = -7, /**< no such database, document or paragraph */
	ZHFTS_EIO = -8,       /**< I/O failure (disk full, permissions, ...) */
	ZHFTS_ECORRUPT = -9,  /**< the database is damaged or not a zhfts database */
	ZHFTS_ESETTINGS = -10, /**< options differ from those the database was built with */
	ZHFTS_EREADONLY = -11, /**< a write on a database opened read-only */
	ZHFTS_ELIMIT = -12,   /**< input beyond a documented limit */
	ZHFTS_EVERSION = -13, /**< database written by another index format version */
	ZHFTS_ITEROVER = -14, /**< not an error: an iteration has no more items */
	ZHFTS_LAST_STATUS = -15
} zhfts_status;

/** A static, human-readable name for a status ("locked", "query syntax error"). */
ZHFTS_EXTERN const char *zhfts_strerror(int status);

/** Frees a string the library returned as caller-owned (see each function). */
ZHFTS_EXTERN void zhfts_free(void *p);

/* ------------------------------------------------------------------------- */
/** @name Options that shape the index terms
 *
 * A database records these when it is created.  Opening it with a setting
 * that would produce other terms fails with ZHFTS_ESETTINGS; a field left at
 * ZHFTS_DEFAULT takes the database's value (or the default for a new one).
 */
/**@{*/
#define ZHFTS_DEFAULT 0
#define ZHFTS_ON 1
#define ZHFTS_OFF 2

/** How a document is split into paragraphs. */
#define ZHFTS_PARAGRAPH_BLANK_LINE 1 /**< maximal runs of non-blank lines (default) */
#define ZHFTS_PARAGRAPH_LINE 2       /**< every non-blank line is a paragraph */

#define ZHFTS_OPTIONS_VERSION 1
typedef struct zhfts_options {
	unsigned int version;   /**< ZHFTS_OPTIONS_VERSION */
	int normalize;          /**< NFKC + case folding: ZHFTS_ON (default) / ZHFTS_OFF */
	int traditional;        /**< fold Traditional to Simplified: ZHFTS_ON (default) / ZHFTS_OFF */
	int paragraph_mode;     /**< ZHFTS_PARAGRAPH_BLANK_LINE (default) / ZHFTS_PARAGRAPH_LINE */
	unsigned int lock_timeout_ms; /**< writers: wait this long for the lock (0: fail at once) */
	size_t auto_commit_bytes; /**< writers: commit between documents once this much
	                               text is pending (0: 16 MiB; SIZE_MAX: never) */
} zhfts_options;
#define ZHFTS_OPTIONS_INIT {ZHFTS_OPTIONS_VERSION, 0, 0, 0, 0, 0}
/**@}*/

/* ------------------------------------------------------------------------- */
/** @name Tokenizer
 *
 * The exact tokens the index sees, in the spirit of SQLite FTS5's xTokenize.
 * Text is segmented with ICU's dictionary word breaking; punctuation and white
 * space are not tokens.  Each token's text is normalized (NFKC with case
 * folding, Traditional to Simplified) while its offset and length point into
 * the original input.
 *
 * Positions count matching units: a Han token takes one position per
 * character (every character is matched on its own), any other token one
 * position.  So `科学城` at position 7 covers positions 7, 8 and 9.
 */
/**@{*/
typedef enum zhfts_token_kind {
	ZHFTS_TOKEN_HAN = 1,    /**< Han (and kana) text */
	ZHFTS_TOKEN_WORD = 2,   /**< letters: `RISC`, `don't` */
	ZHFTS_TOKEN_NUMBER = 3, /**< digits: `2020`, `1.2` */
	ZHFTS_TOKEN_MIXED = 4   /**< letters and digits: `5G` */
} zhfts_token_kind;

typedef struct zhfts_token {
	const char *text;   /**< normalized UTF-8, NOT NUL-terminated; valid during the callback */
	size_t text_len;    /**< bytes in text */
	size_t offset;      /**< byte offset of the token in the input */
	size_t length;      /**< byte length of the token in the input */
	uint32_t position;  /**< position of the token's first unit, from 0 */
	uint32_t units;     /**< positions the token takes */
	zhfts_token_kind kind;
} zhfts_token;

/** Called once per token in text order.  A non-zero return stops the
 * tokenizer, and zhfts_tokenize() returns that value as is. */
typedef int (*zhfts_token_fn)(void *ctx, const zhfts_token *token);

typedef struct zhfts_tokenizer zhfts_tokenizer;

/**
 * Creates a tokenizer.  Only `normalize` and `traditional` of @p opts matter.
 * @param[out] out   the new tokenizer; free with zhfts_tokenizer_free()
 * @param[in]  opts  NULL for the defaults
 * @retval ZHFTS_OK, ZHFTS_ENOMEM, ZHFTS_EINVAL, ZHFTS_ERROR (ICU data missing)
 */
ZHFTS_EXTERN int zhfts_tokenizer_new(zhfts_tokenizer **out, const zhfts_options *opts);
ZHFTS_EXTERN void zhfts_tokenizer_free(zhfts_tokenizer *tok);
/** Detail of the tokenizer's last failure; valid until its next call. */
ZHFTS_EXTERN const char *zhfts_tokenizer_errmsg(const zhfts_tokenizer *tok);

/**
 * Tokenizes UTF-8 text.
 * @retval ZHFTS_OK         all tokens were reported
 * @retval ZHFTS_EENCODING  the text is not valid UTF-8 (the message gives the byte offset)
 * @retval other            a callback's non-zero return, or ZHFTS_ENOMEM
 */
ZHFTS_EXTERN int zhfts_tokenize(zhfts_tokenizer *tok, const char *text, size_t len,
                                zhfts_token_fn fn, void *ctx);
/**@}*/

/* ------------------------------------------------------------------------- */
/** @name Databases */
/**@{*/
typedef struct zhfts_db zhfts_db;

#define ZHFTS_OPEN_READONLY 0x0u  /**< search only */
#define ZHFTS_OPEN_WRITE 0x1u     /**< open an existing database for writing */
#define ZHFTS_OPEN_CREATE 0x2u    /**< create it if missing (implies WRITE) */
#define ZHFTS_OPEN_OVERWRITE 0x4u /**< start from an empty database (implies WRITE) */
#define ZHFTS_OPEN_NO_SYNC 0x8u   /**< don't fsync on commit: for bulk loads that can be redone */
#define ZHFTS_OPEN_INMEMORY 0x10u /**< a private scratch database, gone on close; path is
                                        ignored (implies WRITE).  It lives in a temporary
                                        directory ($TMPDIR, else /tmp): Xapian's in-memory
                                        backend has no transactions and is very slow on big
                                        paragraphs. */

/**
 * Opens a database.
 *
 * @p path is a directory (Xapian's glass backend) or a Xapian stub file
 * naming several shards (`auto PATH` lines) or databases served by
 * xapian-tcpsrv (`remote HOST:PORT` lines); stubs open read-only.
 *
 * @param[out] out     the handle, or NULL on failure; close with zhfts_db_close()
 * @param[in]  path    the database
 * @param[in]  flags   ZHFTS_OPEN_*
 * @param[in]  opts    NULL for the defaults / the database's own settings
 * @param[out] errmsg  optional: on failure, a message for the caller to zhfts_free()
 * @retval ZHFTS_OK
 * @retval ZHFTS_ENOTFOUND  no database at @p path (and no ZHFTS_OPEN_CREATE)
 * @retval ZHFTS_ELOCKED    another writer holds it (after lock_timeout_ms)
 * @retval ZHFTS_ESETTINGS  @p opts differ from the settings it was built with
 * @retval ZHFTS_EVERSION   built by another index format or Unicode version
 * @retval ZHFTS_ECORRUPT, ZHFTS_EIO, ZHFTS_EINVAL, ZHFTS_ENOMEM, ZHFTS_ERROR
 */
ZHFTS_EXTERN int zhfts_db_open(zhfts_db **out, const char *path, unsigned int flags,
                               const zhfts_options *opts, char **errmsg);

/**
 * Commits pending changes (as zhfts_db_commit()) and frees the handle.
 * @retval ZHFTS_OK, or the commit's failure (the handle is freed regardless)
 */
ZHFTS_EXTERN int zhfts_db_close(zhfts_db *db);

/** Detail of the handle's last failure; valid until the next call on it. */
ZHFTS_EXTERN const char *zhfts_db_errmsg(const zhfts_db *db);

/** The settings the database was built with (normalize, traditional,
 * paragraph_mode filled in; never ZHFTS_DEFAULT). */
ZHFTS_EXTERN int zhfts_db_settings(zhfts_db *db, zhfts_options *out);

#define ZHFTS_DOC_LENIENT 0x1u /**< replace invalid bytes with U+FFFD instead of failing */
#define ZHFTS_DOC_LINES 0x2u   /**< every non-blank line of this document is a paragraph,
                                    whatever the database's paragraph_mode (its default) */

#define ZHFTS_DOC_OPTIONS_VERSION 1
typedef struct zhfts_doc_options {
	unsigned int version;  /**< ZHFTS_DOC_OPTIONS_VERSION */
	const char *encoding;  /**< "UTF-8", "GB18030", "GBK", "UTF-16LE", ...; NULL: detect */
	unsigned int flags;    /**< ZHFTS_DOC_* */
} zhfts_doc_options;
#define ZHFTS_DOC_OPTIONS_INIT {ZHFTS_DOC_OPTIONS_VERSION, NULL, 0}

/** What zhfts_db_add_document() did. */
typedef struct zhfts_doc_info {
	uint32_t paragraphs;   /**< paragraphs indexed */
	uint32_t replaced;     /**< paragraphs of an earlier version that were removed */
	char encoding[32];     /**< the charset that was used, e.g. "UTF-8", "GB18030" */
} zhfts_doc_info;

/**
 * Adds a document, or replaces every paragraph of an earlier document with
 * the same id.  The change is atomic: a reader sees all of the old
 * paragraphs or all of the new ones, never a mix; it becomes visible to other
 * handles at the next commit.  If the document cannot be decoded, nothing
 * changes.  If Xapian fails part-way, every change since the last commit is
 * rolled back and the message says so.
 *
 * @param[in]  id    the document's id (a path, say): 1 to 4096 bytes of valid UTF-8
 * @param[in]  data  the document's bytes, in any supported charset
 * @param[in]  opts  NULL: detect the charset, fail on invalid bytes
 * @param[out] info  optional
 * @retval ZHFTS_OK
 * @retval ZHFTS_EENCODING  invalid bytes (message: id and byte offset) or unknown charset
 * @retval ZHFTS_EREADONLY, ZHFTS_EINVAL, ZHFTS_EIO, ZHFTS_ENOMEM, ZHFTS_ERROR
 */
ZHFTS_EXTERN int zhfts_db_add_document(zhfts_db *db, const char *id, const char *data, size_t len,
                                       const zhfts_doc_options *opts, zhfts_doc_info *info);

/**
 * Deletes every paragraph of a document.
 * @retval ZHFTS_OK, ZHFTS_ENOTFOUND (no such document), ZHFTS_EREADONLY, ZHFTS_EIO
 */
ZHFTS_EXTERN int zhfts_db_delete_document(zhfts_db *db, const char *id);

/** Makes pending changes durable and visible to readers that reopen.
 * @retval ZHFTS_OK, ZHFTS_EIO (e.g. disk full: the pending changes are lost,
 * what was committed before stays), ZHFTS_EREADONLY */
ZHFTS_EXTERN int zhfts_db_commit(zhfts_db *db);

/** Discards every change since the last commit (writers).
 * @retval ZHFTS_OK, ZHFTS_EREADONLY, ZHFTS_ERROR */
ZHFTS_EXTERN int zhfts_db_rollback(zhfts_db *db);

/** Reads the latest committed state (readers). */
ZHFTS_EXTERN int zhfts_db_reopen(zhfts_db *db);

typedef struct zhfts_stats {
	uint64_t documents;   /**< distinct document ids */
	uint64_t paragraphs;  /**< paragraphs (Xapian documents) */
	uint64_t terms;       /**< distinct terms (0 unless asked with ZHFTS_STATS_TERMS) */
	uint64_t disk_bytes;  /**< size of the database files (0 for in-memory and remote) */
} zhfts_stats;
#define ZHFTS_STATS_TERMS 0x1u /**< also count distinct terms (reads the whole term list) */

/** Counts documents and paragraphs (and terms, on request). */
ZHFTS_EXTERN int zhfts_db_stats(zhfts_db *db, unsigned int flags, zhfts_stats *out);

/**
 * Merges databases into a new, compacted database (Xapian's compaction:
 * typically half the size of a database written document by document).
 * The way to use all cores for a bulk load: index shards in parallel, each
 * with its own writer, then merge them.  The sources must have the same
 * settings and no document id in common; they are left as they are.
 *
 * @param[in]  dest     the new database's directory; it must not exist yet
 * @param[in]  sources  paths of zhfts databases (directories)
 * @param[out] errmsg   optional: on failure, a message for the caller to zhfts_free()
 * @retval ZHFTS_OK
 * @retval ZHFTS_EINVAL     dest exists, no sources, or an id is in two sources
 * @retval ZHFTS_ESETTINGS  the sources were built with different settings
 * @retval ZHFTS_ENOTFOUND, ZHFTS_ECORRUPT, ZHFTS_EVERSION, ZHFTS_EIO, ZHFTS_ENOMEM
 */
ZHFTS_EXTERN int zhfts_db_merge(const char *dest, const char *const *sources, size_t nsources,
                                char **errmsg);

/** Called per document by zhfts_db_foreach_document(); non-zero stops. */
typedef int (*zhfts_doc_fn)(void *ctx, const char *id, uint32_t paragraphs);

/** Lists the documents in the database, in byte order of their ids (ids longer
 * than 239 bytes are stored hashed and sort by the hash).
 * @retval ZHFTS_OK, a callback's non-zero return, or a failure */
ZHFTS_EXTERN int zhfts_db_foreach_document(zhfts_db *db, zhfts_doc_fn fn, void *ctx);
/**@}*/

/* ------------------------------------------------------------------------- */
/** @name Searching
 *
 * Query language:
 * - `科学城 发展`: keywords, ANDed; each matches as a contiguous run of the
 *   normalized text, at any Han character, ignoring punctuation and white
 *   space.  Latin words and numbers match whole tokens, case-insensitively.
 * - `中关村科学城建设`: an unspaced run is split into keywords by the same ICU
 *   segmentation (single characters stay with their neighbours); paragraphs
 *   holding the whole run rank first.
 * - `"科学城北"`: a phrase, matched as one contiguous run.
 * - `a OR b`, `-a`, `NOT a`, `a AND b`, `( ... )`, `section:任务` (or
 *   `section:"任务 2"`): the paragraph's section path holds the text.
 * Errors carry the byte offset in the query.
 */
/**@{*/
typedef struct zhfts_span {
	size_t offset;  /**< byte offset inside the hit's text */
	size_t length;  /**< bytes */
} zhfts_span;

/** One ranked hit.  Fields may be added at the end in later versions. */
typedef struct zhfts_hit {
	size_t rank;          /**< from 1, counting from the first hit of the whole result */
	double score;         /**< BM25 weight; a paragraph holding a whole unspaced query run
	                           (`中关村科学城建设`) has that run's weight scaled by 1000 so
	                           that it ranks first.  A paragraph holding every pair of the
	                           run but not the run gets that weight too, and is placed after
	                           the paragraphs that hold it: scores are then not monotonic. */
	const char *doc;      /**< document id */
	uint32_t para;        /**< paragraph number, from 1 */
	uint64_t offset;      /**< byte offset of the paragraph's first line in the original document */
	uint64_t length;      /**< byte length of the paragraph in the original document */
	const char *section;  /**< section path, components joined by " › "; "" if none */
	const char *text;     /**< the paragraph as UTF-8 (NUL-terminated) */
	size_t text_len;      /**< bytes in text */
	const char *snippet;  /**< text around the best match with matches between the markers
	                           ("" with ZHFTS_SEARCH_NO_SNIPPETS) */
	const zhfts_span *spans; /**< matches, sorted, not overlapping, as byte ranges in text */
	size_t nspans;
} zhfts_hit;

#define ZHFTS_SEARCH_EXACT_COUNT 0x1u /**< count every match (slower on common terms) */
#define ZHFTS_SEARCH_NO_SNIPPETS 0x2u /**< no spans and an empty snippet: much faster when
                                           asking for thousands of hits */

#define ZHFTS_SEARCH_OPTIONS_VERSION 1
typedef struct zhfts_search_options {
	unsigned int version;    /**< ZHFTS_SEARCH_OPTIONS_VERSION */
	size_t offset;           /**< hits to skip */
	size_t limit;            /**< hits to return (0: 10; SIZE_MAX: all) */
	const char *mark_open;   /**< put before each match in snippets (NULL: "[") */
	const char *mark_close;  /**< put after each match in snippets (NULL: "]") */
	size_t snippet_chars;    /**< characters of context around the match (0: 40 each side) */
	unsigned int flags;      /**< ZHFTS_SEARCH_* */
} zhfts_search_options;
#define ZHFTS_SEARCH_OPTIONS_INIT {ZHFTS_SEARCH_OPTIONS_VERSION, 0, 0, NULL, NULL, 0, 0}

typedef struct zhfts_results zhfts_results;

/**
 * Runs a query.
 * @param[out] out    results; free with zhfts_results_free()
 * @param[in]  query  UTF-8 query text
 * @retval ZHFTS_OK         also when nothing matched (zhfts_results_count() is 0)
 * @retval ZHFTS_EQUERY     syntax error; the message gives the byte offset
 * @retval ZHFTS_ELIMIT     query too long or too deeply nested
 * @retval ZHFTS_EIO, ZHFTS_ECORRUPT, ZHFTS_ENOMEM, ZHFTS_ERROR
 */
ZHFTS_EXTERN int zhfts_db_search(zhfts_db *db, const char *query, size_t query_len,
                                 const zhfts_search_options *opts, zhfts_results **out);

/** Hits in this page. */
ZHFTS_EXTERN size_t zhfts_results_count(const zhfts_results *res);
/** Hit @p i (from 0) of this page, or NULL past the end; valid until
 * zhfts_results_free(). */
ZHFTS_EXTERN const zhfts_hit *zhfts_results_hit(const zhfts_results *res, size_t i);
/** Matches in the whole database: an estimate with bounds; exact when
 * lower == upper (always with ZHFTS_SEARCH_EXACT_COUNT, which for a query
 * with a run of three or more units checks the text of every candidate).
 * Any out may be NULL. */
ZHFTS_EXTERN void zhfts_results_total(const zhfts_results *res, uint64_t *estimate,
                                      uint64_t *lower, uint64_t *upper);
ZHFTS_EXTERN void zhfts_results_free(zhfts_results *res);

/**
 * Reads the paragraphs of one document, in order, as hits without score,
 * snippet or spans.
 * @param[out] out  results; free with zhfts_results_free()
 * @retval ZHFTS_OK, ZHFTS_ENOTFOUND (no such document), ZHFTS_EIO, ZHFTS_ENOMEM
 */
ZHFTS_EXTERN int zhfts_db_get_document(zhfts_db *db, const char *id, zhfts_results **out);

/**
 * Describes how a query is understood (the Xapian query), for debugging.
 * Runs of three or more units show as the AND of their pairs: the hits are
 * the paragraphs among those whose text holds the run.
 * @param[out] out  a string for the caller to zhfts_free()
 * @retval ZHFTS_OK, ZHFTS_EQUERY, ZHFTS_ELIMIT, ZHFTS_ENOMEM
 */
ZHFTS_EXTERN int zhfts_db_explain(zhfts_db *db, const char *query, size_t query_len, char **out);
/**@}*/

#ifdef __cplusplus
}
#endif
#endif /* ZHFTS_H */
