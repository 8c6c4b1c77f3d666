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
 * - Structs the caller allocates (options, zhfts_doc_info, zhfts_stats) start
 *   with a version field; initialise them with their _INIT macro so that
 *   fields added later get their defaults.  Structs the library allocates
 *   (zhfts_hit, zhfts_error, zhfts_facet) may grow at the end.
 *
 * Thread safety
 * -------------
 * The library has no global mutable state.  One handle (zhfts_db,
 * zhfts_tokenizer, zhfts_results) must not be used from two threads at the same
 * time; different handles may be used from different threads freely, also on
 * the same database.  A query or results belong to the zhfts_db they came
 * from: using or freeing them is a use of that handle (they share its
 * Xapian objects), so serialize them with its other calls.  Any number of processes may open a database read-only
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
#define ZHFTS_VERSION_MINOR 3
#define ZHFTS_VERSION_PATCH 0
#define ZHFTS_VERSION_STRING "0.3.0"

/** The version of the library that is running, e.g. "0.3.0".  Static string. */
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

#define ZHFTS_OPTIONS_VERSION 2
typedef struct zhfts_options {
	unsigned int version;   /**< ZHFTS_OPTIONS_VERSION */
	int normalize;          /**< NFKC + case folding: ZHFTS_ON (default) / ZHFTS_OFF */
	int traditional;        /**< fold Traditional to Simplified: ZHFTS_ON (default) / ZHFTS_OFF */
	int paragraph_mode;     /**< ZHFTS_PARAGRAPH_BLANK_LINE (default) / ZHFTS_PARAGRAPH_LINE */
	unsigned int lock_timeout_ms; /**< writers: wait this long for the lock (0: fail at once) */
	size_t auto_commit_bytes; /**< writers: commit between documents once this much
	                               text is pending (0: 16 MiB, or 256 KiB with
	                               ZHFTS_OPEN_NO_SYNC, where commits are cheap and keep
	                               Xapian's buffers small; SIZE_MAX: never) */
	/* version 2 */
	unsigned int remote_timeout_ms; /**< a remote shard that does not answer within this
	                                     (each message, and connecting) fails the call with
	                                     ZHFTS_EIO naming the shard (0: 10 s) */
	unsigned int write_shard; /**< a stub opened for writing: only shard N (from 1) is
	                               opened for writing, the others read, and a document
	                               whose shard is another is refused (ZHFTS_EINVAL): one
	                               writer process per shard (0: every shard) */
} zhfts_options;
#define ZHFTS_OPTIONS_INIT {ZHFTS_OPTIONS_VERSION, 0, 0, 0, 0, 0, 0, 0}
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
#define ZHFTS_OPEN_TERMLIST 0x20u /**< a new database keeps Xapian's termlist table, which
                                        xapian-tcpsrv needs to serve it.  Without one (the
                                        default) a database is about 40% smaller and faster to
                                        write, deleted and replaced paragraphs stay in it as
                                        dead ones until zhfts_db_compact(), and only local
                                        readers can open it.  No effect on an existing one. */

/**
 * Opens a database.
 *
 * @p path is a directory (Xapian's glass backend) or a Xapian stub file
 * naming several shards (`auto PATH` lines) or databases served by
 * xapian-tcpsrv (`remote HOST:PORT` lines).  A stub opens for reading and
 * for writing (docs/scale-out.md): each document lives on one shard
 * (zhfts_db_shard_of()), and every shard gets the settings.
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

/** The message of the handle's last failure ("" after a success); valid until
 * the next call on it.  The same as zhfts_db_error(db)->message. */
ZHFTS_EXTERN const char *zhfts_db_errmsg(const zhfts_db *db);

/** Where a failure is located. */
typedef enum zhfts_where {
	ZHFTS_WHERE_NONE = 0,     /**< nowhere in particular */
	ZHFTS_WHERE_QUERY = 1,    /**< `offset` is a byte offset in the query text */
	ZHFTS_WHERE_DOCUMENT = 2, /**< `offset` (when >= 0) is a byte offset in the document's bytes */
	ZHFTS_WHERE_OPTION = 3    /**< an option or argument; `field` names it when it can */
} zhfts_where;

/** The last failure on a handle, as data.  Owned by the handle; valid until
 * the next call on it.  Fields may be added at the end in later versions. */
typedef struct zhfts_error {
	int status;            /**< ZHFTS_OK after a success */
	const char *message;   /**< never NULL; "" after a success */
	zhfts_where where;
	int64_t offset;        /**< byte offset (see `where`), or -1 */
	const char *doc;       /**< the document id concerned, or NULL */
	const char *field;     /**< the field or option concerned, or NULL */
	uint64_t lost;         /**< documents added or deleted by earlier calls since the last
	                            commit that this failure discarded (see zhfts_db_add_document()) */
} zhfts_error;

/** The detail of the handle's last call; never NULL (also for a NULL handle). */
ZHFTS_EXTERN const zhfts_error *zhfts_db_error(const zhfts_db *db);

/** The settings the database was built with (normalize, traditional,
 * paragraph_mode filled in; never ZHFTS_DEFAULT). */
ZHFTS_EXTERN int zhfts_db_settings(zhfts_db *db, zhfts_options *out);

/** A document field: a name and a UTF-8 value. */
typedef struct zhfts_field {
	const char *name;   /**< 1 to 32 bytes of [a-z0-9_], starting with a letter;
	                         not "doc" or "section", which the query language reserves */
	const char *value;  /**< 1 to 1024 bytes of valid UTF-8 (NUL-terminated) */
} zhfts_field;

#define ZHFTS_DOC_LENIENT 0x1u  /**< replace invalid bytes with U+FFFD instead of failing */
#define ZHFTS_DOC_LINES 0x2u    /**< every non-blank line of this document is a paragraph,
                                     whatever the database's paragraph_mode (its default) */
#define ZHFTS_DOC_NO_GUESS 0x4u /**< don't fill in `title` and `date` from the text */

#define ZHFTS_DOC_OPTIONS_VERSION 2
/**
 * How to read one document.
 *
 * Fields are stored with every paragraph of the document, returned with each
 * hit, and can be filtered on (`district:海淀区`, `date:2020-01-01..`),
 * sorted by and counted (facets).  Unless ZHFTS_DOC_NO_GUESS is set, a
 * document given no `title` or no `date` gets them from its first lines
 * when they state them:
 * - `title`: the first of the first five non-blank lines that holds at least
 *   six Han characters, is at most 100 characters long and does not end a
 *   sentence (。！？；： or . ! ? ; :), with white space trimmed
 *   (`云川区政府工作报告（2026年）`);
 * - `date`: the first date that begins one of the first ten non-blank lines, after
 *   any dashes, spaces and brackets: YYYY.MM.DD, YYYY-MM-DD, YYYY/MM/DD or
 *   YYYY年M月D日, in half- or full-width digits, as YYYY-MM-DD
 *   (`2020.01.06`, `——2026年1月8日在…` give 2020-01-06, 2026-01-08).
 */
typedef struct zhfts_doc_options {
	unsigned int version;  /**< ZHFTS_DOC_OPTIONS_VERSION (1 is accepted: no fields) */
	const char *encoding;  /**< "UTF-8", "GB18030", "GBK", "UTF-16LE", ...; NULL: detect */
	unsigned int flags;    /**< ZHFTS_DOC_* */
	/* version 2 */
	const zhfts_field *fields; /**< the document's fields; a name may appear once */
	size_t nfields;
} zhfts_doc_options;
#define ZHFTS_DOC_OPTIONS_INIT {ZHFTS_DOC_OPTIONS_VERSION, NULL, 0, NULL, 0}

#define ZHFTS_DOC_INFO_VERSION 2
/** What zhfts_db_add_document() did (filled in only on success). */
typedef struct zhfts_doc_info {
	unsigned int version;  /**< ZHFTS_DOC_INFO_VERSION */
	uint32_t paragraphs;   /**< paragraphs indexed */
	uint32_t replaced;     /**< paragraphs of an earlier version that were removed */
	const char *encoding;  /**< the charset used ("UTF-8", "GB18030", ...); valid until
	                            the next call on the handle */
	unsigned int committed; /**< 1 if this call committed (auto_commit_bytes reached) */
	/* version 2 */
	unsigned int unchanged; /**< 1 if the document was stored already exactly so (the same
	                             paragraphs, offsets, sections and fields): nothing was
	                             written, and `paragraphs` counts the stored ones */
} zhfts_doc_info;
#define ZHFTS_DOC_INFO_INIT {ZHFTS_DOC_INFO_VERSION, 0, 0, NULL, 0, 0}

/**
 * Adds a document, or replaces every paragraph of an earlier document with
 * the same id.  The change is atomic: a reader sees all of the old
 * paragraphs or all of the new ones, never a mix; it becomes visible to other
 * handles at the next commit.
 *
 * Failures:
 * - bad input (ZHFTS_EENCODING, ZHFTS_EINVAL, ZHFTS_ELIMIT) changes nothing:
 *   every earlier uncommitted document is still pending;
 * - any other failure (the database failed: ZHFTS_EIO, ZHFTS_ENOMEM,
 *   ZHFTS_ERROR...) leaves the database as it was at the last successful
 *   commit: this document and every change since that commit are
 *   discarded, and zhfts_db_error()->lost says how many earlier documents
 *   (added or deleted by earlier calls) that was.  This includes the commit
 *   that auto_commit_bytes triggers at the end of a call: when it fails, the
 *   call fails.
 * So after ZHFTS_OK every document added since the last commit is pending,
 * and after any failure the caller knows exactly which documents to add again.
 *
 * @param[in]  id    the document's id (a path, say): 1 to 4096 bytes of valid UTF-8
 * @param[in]  data  the document's bytes, in any supported charset
 * @param[in]  opts  NULL: detect the charset, fail on invalid bytes, no fields
 * @param[out] info  optional; initialise with ZHFTS_DOC_INFO_INIT
 * @retval ZHFTS_OK
 * @retval ZHFTS_EENCODING  invalid bytes (the error gives the byte offset) or unknown charset
 * @retval ZHFTS_EINVAL     bad id, field name or value, or options version
 * @retval ZHFTS_EREADONLY, ZHFTS_ELIMIT, ZHFTS_EIO, ZHFTS_ENOMEM, ZHFTS_ERROR
 */
ZHFTS_EXTERN int zhfts_db_add_document(zhfts_db *db, const char *id, const char *data, size_t len,
                                       const zhfts_doc_options *opts, zhfts_doc_info *info);

/**
 * Deletes every paragraph of a document.  A failure of the database (not
 * ZHFTS_ENOTFOUND) discards every change since the last commit, as
 * zhfts_db_add_document() does.
 * @retval ZHFTS_OK, ZHFTS_ENOTFOUND (no such document), ZHFTS_EREADONLY, ZHFTS_EINVAL, ZHFTS_EIO
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

#define ZHFTS_STATS_VERSION 1
typedef struct zhfts_stats {
	unsigned int version;  /**< ZHFTS_STATS_VERSION */
	uint64_t documents;    /**< distinct document ids */
	uint64_t paragraphs;   /**< paragraphs (Xapian documents) */
	uint64_t terms;        /**< distinct terms (0 unless asked with ZHFTS_STATS_TERMS) */
	uint64_t disk_bytes;   /**< size of the database files (0 for in-memory and remote) */
	uint64_t dead;         /**< dead paragraphs (deleted or replaced) still in the index:
	                            zhfts_db_compact() removes them */
} zhfts_stats;
#define ZHFTS_STATS_INIT {ZHFTS_STATS_VERSION, 0, 0, 0, 0, 0}
#define ZHFTS_STATS_TERMS 0x1u /**< also count distinct terms (reads the whole term list) */

/** Counts documents and paragraphs (and terms, on request).
 * @param[in,out] out  initialise with ZHFTS_STATS_INIT
 * @retval ZHFTS_OK, ZHFTS_EINVAL (unknown version), ZHFTS_EIO, ZHFTS_ECORRUPT */
ZHFTS_EXTERN int zhfts_db_stats(zhfts_db *db, unsigned int flags, zhfts_stats *out);

/** The shards of a database opened through a stub file (a Xapian stub
 * listing local directories and `remote` shards); 1 for a plain database. */
ZHFTS_EXTERN size_t zhfts_db_shard_count(zhfts_db *db);

/** Counts for one shard (from 0) alone, as zhfts_db_stats() does for the
 * whole; disk_bytes is 0 for a remote shard.
 * @param[out] address  the shard as its stub names it (a path, HOST:PORT or
 *                      a program), owned by the handle; may be NULL
 * @retval ZHFTS_OK, ZHFTS_EINVAL (no such shard), ZHFTS_EIO (naming the shard) */
ZHFTS_EXTERN int zhfts_db_shard_stats(zhfts_db *db, size_t shard, unsigned int flags, zhfts_stats *out,
                                      const char **address);

/** The shard (from 0) that holds the document, or the one it goes to when
 * it is added: the hash of its id, modulo the number of shards.  A document
 * stays on its shard when it is re-indexed, also after shards are added.
 * With this, a program can run one writer per shard (zhfts_options
 * .write_shard) and hand each the documents of its shard. */
ZHFTS_EXTERN int zhfts_db_shard_of(zhfts_db *db, const char *id, size_t *shard);

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

/**
 * Splits a database into n new shard databases (which must not exist),
 * rebuilt from its stored paragraphs: each document goes to the shard its
 * id hashes to, as writing through a stub that lists the shards in this
 * order would place it.  Dead paragraphs are left out.  With
 * ZHFTS_OPEN_TERMLIST in flags the shards get a termlist table, which
 * xapian-tcpsrv needs to serve them.  On failure nothing is left at dests.
 * zhfts_db_merge() turns the shards back into one database.
 * @retval ZHFTS_OK, ZHFTS_EINVAL (a destination exists), ZHFTS_EIO, ...
 */
ZHFTS_EXTERN int zhfts_db_split(const char *path, const char *const *dests, size_t n, unsigned int flags,
                                char **errmsg);

/**
 * Compacts a database in place: rewrites it without its dead paragraphs
 * (those deleted or replaced since it was built) and without the slack that
 * updates leave in Xapian's B-trees.  Each live paragraph is rebuilt from
 * its stored record into a new database, which Xapian then compacts; the new
 * one replaces the old one with one atomic exchange of directories.  It
 * takes the writer's lock for the whole run (a writer that holds it makes it
 * fail with ZHFTS_ELOCKED), and needs room for a second copy.  Readers that
 * have the database open go on reading the old one until they reopen; hits
 * of results from before it are then gone (zhfts_results_hit() returns NULL).
 * It costs about as much as indexing the live paragraphs again (less the
 * decoding and paragraph splitting) when there are dead ones, else a Xapian
 * compaction (zhfts_db_merge() of one source).
 *
 * @param[in]  path    a database directory
 * @param[out] errmsg  optional: on failure, a message for the caller to zhfts_free()
 * @retval ZHFTS_OK, ZHFTS_ELOCKED, ZHFTS_EINVAL (not a directory), ZHFTS_ENOTFOUND,
 *         ZHFTS_EIO, ZHFTS_ECORRUPT, ZHFTS_EVERSION, ZHFTS_ENOMEM
 */
ZHFTS_EXTERN int zhfts_db_compact(const char *path, char **errmsg);

/** Called per document by zhfts_db_foreach_document(); non-zero stops. */
typedef int (*zhfts_doc_fn)(void *ctx, const char *id, uint32_t paragraphs);

/** Lists the documents in the database, in byte order of their ids (ids longer
 * than 239 bytes are stored hashed and sort by the hash).  The callback runs
 * outside any database read and may call the library, also on this handle.
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
 *   holding the whole run come first (see `tier`).
 * - `"科学城北"`: a phrase, matched as one contiguous run.
 * - `a OR b`, `-a`, `NOT a`, `a AND b`, `( ... )`.
 * - Filters, which restrict the matches and never change their scores:
 *   - `section:任务` (or `section:"任务 2"`): the section path holds the text;
 *   - `NAME:VALUE` (or `NAME:"..."`): the document's field NAME equals VALUE,
 *     both normalized as text is (NFKC, case, Traditional), so that
 *     `district:海淀區` finds 海淀区;
 *   - `NAME:LOW..HIGH`, `NAME:LOW..`, `NAME:..HIGH`: an inclusive range.
 *     Values that are numbers compare as numbers, with ends that are numbers;
 *     values that are text compare in byte order of their normalized text,
 *     with the ends' text (when the ends are numbers, only text that begins
 *     with a digit).  So `year:2019..2020` and `score:..0.5` compare numbers,
 *     ISO dates work (`date:2020-01-01..2020-06-30`, `date:2020..` from 2020
 *     on), `year:2021..` does not find `未知`, and a range whose ends are text
 *     matches no number;
 *   - `doc:ID` and `doc:PREFIX*`: the document id is ID, or starts with PREFIX.
 *   Filters combine with everything else: `(5G OR 芯片) district:海淀区 -year:2019`.
 *   A query of filters alone lists the paragraphs that pass them.
 * Errors (ZHFTS_EQUERY) carry the byte offset in the query: syntax errors,
 * a field name the database has never seen, a range whose ends are of
 * different kinds (`year:2019..abc`).
 *
 * Ranking: hits are ordered by `tier`, then `score` (BM25), then document id
 * and paragraph; see zhfts_hit.  The score is BM25 with k1 = 1.2 and
 * b = 0.75 over paragraphs: a paragraph's length is its units, normalised
 * against a fixed 64 (a constant of the index format, so that scores do not
 * drift as the collection grows and shards agree), and its term
 * frequencies are normalised when it is indexed and kept to 1/30; the idf
 * is Xapian's, from the whole collection (every shard of a stub).
 */
/**@{*/
typedef struct zhfts_span {
	size_t offset;  /**< byte offset inside the hit's text */
	size_t length;  /**< bytes */
} zhfts_span;

/** One ranked hit.  Owned by its results; fields may be added at the end. */
typedef struct zhfts_hit {
	size_t rank;          /**< from 1, counting from the first hit of the whole result */
	double score;         /**< the paragraph's BM25 weight for the query (0 for a query of
	                           filters only); within a tier, scores never increase down the list */
	const char *doc;      /**< document id */
	uint32_t para;        /**< paragraph number, from 1 */
	uint64_t offset;      /**< byte offset of the paragraph's first line in the original document */
	uint64_t length;      /**< byte length of the paragraph in the original document */
	const char *section;  /**< section path, components joined by " › "; "" if none */
	const char *text;     /**< the paragraph as UTF-8 (NUL-terminated) */
	size_t text_len;      /**< bytes in text */
	const char *snippet;  /**< zhfts_db_search(): text around the best match with matches
	                           between the markers ("" with ZHFTS_SEARCH_NO_SNIPPETS);
	                           zhfts_query_search(): "" (see zhfts_results_snippet()) */
	const zhfts_span *spans; /**< matches, sorted, not overlapping, as byte ranges in text:
	                              filled in by zhfts_db_search() and zhfts_results_spans() */
	size_t nspans;
	/* since 0.2 */
	int tier;             /**< 1 + the number of the query's unspaced runs split into
	                           keywords (`中关村科学城建设`) that this paragraph holds whole,
	                           counting the runs of the parts of the query it matches (in
	                           `a OR 中关村科学城建设`, a paragraph matching only `a` is tier 1);
	                           1 for every hit of a query without such runs.  Higher tiers
	                           come first. */
	const zhfts_field *fields; /**< the document's fields: those given, in their order, then any
	                                guessed (title, date) */
	size_t nfields;
} zhfts_hit;

#define ZHFTS_SEARCH_EXACT_COUNT 0x1u /**< count every match (slower on common terms) */
#define ZHFTS_SEARCH_NO_SNIPPETS 0x2u /**< zhfts_db_search(): no spans and an empty snippet */

#define ZHFTS_SEARCH_OPTIONS_VERSION 2
typedef struct zhfts_search_options {
	unsigned int version;    /**< ZHFTS_SEARCH_OPTIONS_VERSION (1 is accepted) */
	size_t offset;           /**< hits to skip */
	size_t limit;            /**< hits to return (0: 10; SIZE_MAX: all) */
	const char *mark_open;   /**< zhfts_db_search() snippets: before each match (NULL: "[") */
	const char *mark_close;  /**< ... after each match (NULL: "]") */
	size_t snippet_chars;    /**< ... characters of context around the match (0: 40 each side) */
	unsigned int flags;      /**< ZHFTS_SEARCH_* */
	/* version 2 */
	const char *sort;        /**< NULL or "relevance": tier, score, then document order;
	                              "doc": document id, then paragraph number;
	                              "FIELD" / "-FIELD": by a field, ascending / descending (numbers
	                              before text, numbers numerically; a paragraph without the field
	                              counts as lowest: first ascending, last descending), relevance
	                              (tier, score), then document order breaking ties */
	const char *const *facets; /**< field names to count over every match ("doc": per document) */
	size_t nfacets;
	size_t facet_limit;      /**< values kept per facet, the most frequent first (0: all) */
} zhfts_search_options;
#define ZHFTS_SEARCH_OPTIONS_INIT {ZHFTS_SEARCH_OPTIONS_VERSION, 0, 0, NULL, NULL, 0, 0, NULL, NULL, 0, 0}

typedef struct zhfts_results zhfts_results;
typedef struct zhfts_query zhfts_query;

/**
 * Parses a query for a database, to run it as many times as needed: pages,
 * counts, facets.  A query that pages forward (each search's offset at or
 * past the previous page's end, same sort) goes on from where the previous
 * page stopped: candidates already checked against the text are not checked
 * again.
 *
 * The query borrows @p db: free it before closing the database, and do not use
 * the two from different threads at the same time.
 *
 * @param[out] out  the query; free with zhfts_query_free()
 * @retval ZHFTS_OK
 * @retval ZHFTS_EQUERY   syntax error, unknown field, mixed range (zhfts_db_error() has the offset)
 * @retval ZHFTS_ELIMIT   query too long or too deeply nested
 * @retval ZHFTS_EIO, ZHFTS_ECORRUPT, ZHFTS_ENOMEM, ZHFTS_EINVAL
 */
ZHFTS_EXTERN int zhfts_query_new(zhfts_query **out, zhfts_db *db, const char *query, size_t query_len);
ZHFTS_EXTERN void zhfts_query_free(zhfts_query *q);

/**
 * Runs the query: one page of hits, the total, and the facets asked for.
 *
 * Hits come without snippets (zhfts_results_snippet()) and spans
 * (zhfts_results_spans()), which are made only when asked for.  Each hit's
 * paragraph is read from the database when zhfts_results_hit() first asks
 * for it (zhfts_results_locate() gives its document and number without
 * reading it).  A paragraph never changes once indexed: a hit read later is
 * the paragraph as it was found, unless its document was deleted and the
 * database reopened meanwhile (zhfts_results_hit() then returns NULL).
 * Shards that delete for real (remote shards, databases with a termlist
 * table) would lose such hits at once: there the page's paragraphs are read
 * with the search, from the same snapshot, one round trip each for a remote
 * shard.
 *
 * Facets count the paragraphs that match, over every match and not only the
 * page: asking for them costs about as much as asking for every hit (for a
 * query with a run of three or more units, whose candidates are checked
 * against their text, every candidate is checked).
 *
 * @param[out] out  results; free with zhfts_results_free()
 * @retval ZHFTS_OK      also when nothing matched
 * @retval ZHFTS_EINVAL  bad options: unknown sort field or facet, options version
 * @retval ZHFTS_EIO, ZHFTS_ECORRUPT, ZHFTS_ENOMEM, ZHFTS_ERROR
 */
ZHFTS_EXTERN int zhfts_query_search(zhfts_query *q, const zhfts_search_options *opts,
                                    zhfts_results **out);

/** Counts every match exactly (the candidates of runs of three or more units
 * are checked against their text). */
ZHFTS_EXTERN int zhfts_query_count(zhfts_query *q, uint64_t *out);

/**
 * Describes how the query is understood (the Xapian query and what is checked
 * in the text), for debugging.
 * @param[out] out  a string for the caller to zhfts_free()
 */
ZHFTS_EXTERN int zhfts_query_explain(zhfts_query *q, char **out);

/**
 * The convenience: zhfts_query_new(), zhfts_query_search(), and for every
 * hit of the page its spans and a snippet (unless ZHFTS_SEARCH_NO_SNIPPETS).
 * Errors as those two functions.
 */
ZHFTS_EXTERN int zhfts_db_search(zhfts_db *db, const char *query, size_t query_len,
                                 const zhfts_search_options *opts, zhfts_results **out);

/** Hits in this page. */
ZHFTS_EXTERN size_t zhfts_results_count(const zhfts_results *res);
/** Hit @p i (from 0) of this page, read on first use; NULL past the end or
 * when it cannot be read (zhfts_results_errmsg() says why).  Valid until
 * zhfts_results_free(). */
ZHFTS_EXTERN const zhfts_hit *zhfts_results_hit(zhfts_results *res, size_t i);
/** Where hit @p i (from 0) is, without reading the paragraph: its document
 * id and paragraph number (as zhfts_results_hit() gives them).  What a list
 * of every hit needs: each costs a lookup, where reading a hit reads its
 * stored record (a B-tree lookup and an inflate).
 *
 * The first call maps every paragraph of the handle's local databases to
 * its document, in one pass over their value stream of document ids (about
 * 6 to 10 ms per 100,000 paragraphs here), held by the handle, 8 bytes a
 * paragraph, until a call after a reopen finds a commit it has not seen
 * and maps again.  Hits the map does not know (of remote shards, or written
 * since it was made) are read from their records, as zhfts_results_hit()
 * reads them.
 * @param[out] doc   the document id, valid until zhfts_results_free(); may be NULL
 * @param[out] para  the paragraph number, from 1; may be NULL
 * @retval ZHFTS_OK, ZHFTS_EINVAL (no such hit), ZHFTS_ENOTFOUND (its
 *         document was deleted, or the database compacted, since the
 *         search), ZHFTS_EIO, ZHFTS_ECORRUPT, ZHFTS_ENOMEM
 * @since 0.4 */
ZHFTS_EXTERN int zhfts_results_locate(zhfts_results *res, size_t i, const char **doc, uint32_t *para);
/** Matches in the whole database: an estimate with bounds; exact when
 * lower == upper (always with ZHFTS_SEARCH_EXACT_COUNT or facets, which for
 * a query with a run of three or more units checks the text of every
 * candidate).  Any out may be NULL. */
ZHFTS_EXTERN void zhfts_results_total(const zhfts_results *res, uint64_t *estimate,
                                      uint64_t *lower, uint64_t *upper);
/** Why the last call on the results failed ("" if it did not). */
ZHFTS_EXTERN const char *zhfts_results_errmsg(const zhfts_results *res);

/**
 * The matches in hit @p i, computed on first use and stored in the hit
 * (its `spans` and `nspans`).
 * @param[out] spans  borrowed until zhfts_results_free(); NULL when there are none
 * @retval ZHFTS_OK, ZHFTS_EINVAL (no such hit), ZHFTS_ENOMEM, ZHFTS_EIO
 */
ZHFTS_EXTERN int zhfts_results_spans(zhfts_results *res, size_t i, const zhfts_span **spans,
                                     size_t *nspans);

#define ZHFTS_SNIPPET_OPTIONS_VERSION 1
typedef struct zhfts_snippet_options {
	unsigned int version;    /**< ZHFTS_SNIPPET_OPTIONS_VERSION */
	const char *mark_open;   /**< before each match (NULL: "[") */
	const char *mark_close;  /**< after each match (NULL: "]") */
	size_t context_chars;    /**< characters of context around the first match (0: 40) */
} zhfts_snippet_options;
#define ZHFTS_SNIPPET_OPTIONS_INIT {ZHFTS_SNIPPET_OPTIONS_VERSION, NULL, NULL, 0}

/**
 * A snippet of hit @p i: its text around the first match, matches marked.
 * @param[in]  opts  NULL for the defaults
 * @param[out] out   a string for the caller to zhfts_free()
 * @retval ZHFTS_OK, ZHFTS_EINVAL, ZHFTS_ENOMEM, ZHFTS_EIO
 */
ZHFTS_EXTERN int zhfts_results_snippet(zhfts_results *res, size_t i, const zhfts_snippet_options *opts,
                                       char **out);

/** One value of a facet and the number of matching paragraphs that have it. */
typedef struct zhfts_facet_value {
	const char *value;   /**< the normalized value (a number as the shortest
	                          decimal that reads back the same); for "doc", the id */
	uint64_t count;
} zhfts_facet_value;

/** The counts of one facet, most frequent first (ties in byte order of value). */
typedef struct zhfts_facet {
	const char *name;                 /**< the field ("doc" for documents) */
	const zhfts_facet_value *values;
	size_t nvalues;                   /**< at most facet_limit when one was given */
	uint64_t distinct;                /**< distinct values among all matches */
} zhfts_facet;

/** Facets asked for, in the order asked. */
ZHFTS_EXTERN size_t zhfts_results_facet_count(const zhfts_results *res);
/** Facet @p k, or NULL past the end; valid until zhfts_results_free(). */
ZHFTS_EXTERN const zhfts_facet *zhfts_results_facet(const zhfts_results *res, size_t k);

ZHFTS_EXTERN void zhfts_results_free(zhfts_results *res);

/**
 * Reads the paragraphs of one document, in order, as hits without score,
 * snippet or spans.
 * @param[out] out  results; free with zhfts_results_free()
 * @retval ZHFTS_OK, ZHFTS_ENOTFOUND (no such document), ZHFTS_EIO, ZHFTS_ENOMEM
 */
ZHFTS_EXTERN int zhfts_db_get_document(zhfts_db *db, const char *id, zhfts_results **out);

/** zhfts_query_new() and zhfts_query_explain() in one call. */
ZHFTS_EXTERN int zhfts_db_explain(zhfts_db *db, const char *query, size_t query_len, char **out);
/**@}*/

#ifdef __cplusplus
}
#endif
#endif /* ZHFTS_H */
