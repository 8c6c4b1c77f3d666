/* Internal declarations shared by the C sources of libzhfts.  Not installed. */
#ifndef ZHFTS_PRIVATE_H
#define ZHFTS_PRIVATE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <unicode/ubrk.h>
#include <unicode/unorm2.h>
#include <unicode/utext.h>
#include <unicode/utrans.h>

#include "zhfts.h"
#include "xapian-binding.h"

#define ZHFTS_HIDDEN __attribute__((visibility("hidden")))

/* The version of the term scheme and stored data.  Bump it whenever the terms
 * or the document data a database holds would change. */
#define ZHFTS_INDEX_FORMAT 5

/* Section paths join their components with this. */
#define ZHFTS_SECTION_SEP " \xe2\x80\xba " /* " › " */

/* ---- buf.c: growable byte buffers and vectors ---------------------------- */
typedef struct zbuf {
	char *data; /* NUL-terminated whenever len > 0 or data != NULL */
	size_t len, cap;
} zbuf;

int zbuf_reserve(zbuf *b, size_t extra);
int zbuf_add(zbuf *b, const void *p, size_t n);
int zbuf_addc(zbuf *b, char c);
int zbuf_adds(zbuf *b, const char *s);
int zbuf_printf(zbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int zbuf_add_varint(zbuf *b, uint64_t v);
char *zbuf_detach(zbuf *b); /* caller frees; never NULL unless out of memory */
void zbuf_free(zbuf *b);

/* A 64-bit hash of bytes (FNV-1a): stable, part of the index format. */
uint64_t zhfts__hash(const char *s, size_t n);

/* Grows a vector (*items, *cap) so that it holds at least `need` items. */
int zvec_grow(void **items, size_t *cap, size_t need, size_t item_size);

/* ---- status.c (zerr is declared in xapian-binding.h) --------------------- */
char *zhfts__strdup(const char *s);
char *zhfts__strndup(const char *s, size_t n);
/* zerr_set() that also records where the failure is (zhfts_where, offset). */
int zerr_set_at(zerr *e, int status, int where, long long offset, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* ---- decode.c: bytes in some charset -> UTF-8 with an offset map -------- */
typedef struct zdecoded {
	const char *text;    /* UTF-8, valid; points into the input or into `owned` */
	size_t len;
	char *owned;         /* non-NULL when the text was converted */
	/* Where text offsets are not input offsets, checkpoints map them back:
	 * one at every line start and line end (see decode.c). */
	size_t *map_utf8, *map_orig;
	size_t map_len, map_cap;
	size_t shift;        /* input offset = text offset + shift when no map */
	char encoding[32];
} zdecoded;

int zhfts__decode(zdecoded *out, const char *data, size_t len, const char *encoding,
                  bool lenient, zerr *err);
/* The input byte offset of a text offset at a line start or line end. */
size_t zhfts__decoded_orig(const zdecoded *d, size_t text_off);
void zhfts__decoded_free(zdecoded *d);
/* Offset of the first invalid UTF-8 sequence in s, or len if it is valid. */
size_t zhfts__utf8_check(const char *s, size_t len);

/* ---- paragraph.c: paragraphs; section.c: their section paths ------------ */
typedef struct zpara {
	size_t start, end;     /* byte range in the decoded text */
	uint32_t number;       /* from 1 */
	bool heading;
	char *section;         /* owned; "" when none */
} zpara;

typedef struct zparas {
	zpara *items;
	size_t n, cap;
} zparas;

int zhfts__split_paragraphs(zparas *out, const char *text, size_t len, int mode);
int zhfts__assign_sections(zparas *ps, const char *text);
void zhfts__paras_free(zparas *ps);

/* Heading recognition, exposed for tests.  Returns 0 when the line is not a
 * heading, else a family key > 0; numbered headings have family >= 2. */
int zhfts__heading_family(const char *s, size_t len, char *key, size_t keycap);

/* ---- normalize.c: NFKC + case folding + Traditional -> Simplified ------- */
typedef struct znorm {
	bool normalize, traditional;
	const UNormalizer2 *nfkc_cf;
	UTransliterator *t2s;
	uint32_t *t2s_cache;   /* per BMP code point: 0 unknown, else mapped + 1 */
	UChar *u16a, *u16b;    /* scratch */
	size_t u16cap;
} znorm;

int zhfts__norm_init(znorm *n, bool normalize, bool traditional, zerr *err);
void zhfts__norm_free(znorm *n);
/* Normalizes UTF-8 s into out (replacing its contents). */
int zhfts__normalize(znorm *n, const char *s, size_t len, zbuf *out);

/* ---- tokenize.c ----------------------------------------------------------- */
struct zhfts_tokenizer {
	znorm norm;
	UBreakIterator *bi;
	UText *ut;
	zbuf scratch;
	zerr err;
};

int zhfts__tokenizer_init(struct zhfts_tokenizer *t, const zhfts_options *opts, zerr *err);
void zhfts__tokenizer_fini(struct zhfts_tokenizer *t);

/* A matching unit: one Han character, or one whole non-Han token.  Units are
 * what positions count and what terms are built from. */
typedef struct zunit {
	uint32_t off, len;         /* normalized bytes, in the units' text buffer */
	uint32_t src_off, src_len; /* the original bytes it came from */
	uint32_t token;            /* index of the ICU token it belongs to */
	bool han;
} zunit;

typedef struct ztoken {
	uint32_t first_unit, nunits;
	uint32_t src_off, src_len;
	zhfts_token_kind kind;
} ztoken;

typedef struct zunits {
	zbuf text;         /* normalized units, back to back */
	zunit *u;
	size_t n, cap;
	ztoken *tok;
	size_t ntok, tokcap;
} zunits;

/* Tokenizes valid UTF-8 into units and tokens (appending; positions continue
 * from what `out` already holds). */
int zhfts__units(struct zhfts_tokenizer *t, const char *s, size_t len, zunits *out);
/* The same units, faster, but with every token one ICU word or one Han
 * character (no dictionary words): for finding matches, not for W terms. */
int zhfts__units_fast(struct zhfts_tokenizer *t, const char *s, size_t len, zunits *out);
/* Units [a, b) as "\x1fu1\x1fu2\x1f" into out (replacing its contents): a
 * run of them is then a plain substring of a paragraph's whole string. */
int zhfts__units_joined(zbuf *out, const zunits *us, size_t a, size_t b);
void zhfts__units_reset(zunits *u);
void zhfts__units_free(zunits *u);
static inline const char *zunit_text(const zunits *us, size_t i) { return us->text.data + us->u[i].off; }

/* ---- terms.c: the term scheme ------------------------------------------- */
/* Every unit is a term without prefix; every pair of adjacent units is a
 * bigram term (neither has positions); ICU words of two or more
 * units are "W" terms for ranking; the section path is one "P" term. */

/* Writes the unigram term of unit i into out (replacing contents). */
int zhfts__term_unigram(zbuf *out, const zunits *us, size_t i);
int zhfts__term_bigram(zbuf *out, const zunits *us, size_t i);
int zhfts__term_word(zbuf *out, const zunits *us, size_t tok);
/* "Q" + id, or "Q#" + a hash of it (of `hash_bits` bits) when the id is
 * too long for a term: such terms can be shared by several ids. */
int zhfts__term_docid(zbuf *out, const char *id, unsigned hash_bits);
bool zhfts__term_is_hashed(const char *term, size_t len);
/* "F" + field name + ":" + normalized value (hashed when too long). */
int zhfts__term_field(zbuf *out, const char *name, const char *value, size_t len);
/* "P" + the path, or "P#" + a hash of it when that is too long a term. */
int zhfts__term_section(zbuf *out, const char *path, size_t len);

/* ---- weight.c: the ranking model (BM25, normalised at indexing) ---------- */
/* The wdf of a text term seen freq times in a paragraph of `units` units. */
uint32_t zhfts__wdf(uint32_t freq, size_t units);
/* How Xapian weighs text, and the factor that makes its weights BM25's. */
zx_weight zhfts__weight(void);
double zhfts__weight_scale(void);

/* ---- fields.c: document fields --------------------------------------------
 * A field is stored three ways with every paragraph of its document: the
 * value as given in the record (for hits), a term "F" name ":" normalized
 * value (equality filters), and a value slot holding the normalized value
 * in sortable form (ranges, sorting, facets): 'N' + Xapian's sortable
 * encoding for a number, 'S' + the normalized text otherwise.  The slot is
 * a hash of the name, so that writers of different shards agree on it
 * without talking; the database lists its field names in its metadata. */
#define ZHFTS_SLOT_DOC 0          /* every paragraph: its document's id */
#define ZHFTS_MAX_FIELDS 64       /* per document */
#define ZHFTS_MAX_FIELD_NAME 32
#define ZHFTS_MAX_FIELD_VALUE 1024

bool zhfts__field_name_ok(const char *name, size_t len);
unsigned zhfts__field_slot(const char *name, size_t len);
/* The value normalized as text is (NFKC, case, Traditional), white space
 * trimmed, into out. */
int zhfts__field_normalize(struct zhfts_tokenizer *t, const char *v, size_t len, zbuf *out);
/* Is a normalized value a number ([+-]digits[.digits])?  Its value in *num. */
bool zhfts__field_number(const char *norm, size_t len, double *num);
/* The sortable form of a normalized value ('N' or 'S' + ...), into out. */
int zhfts__field_sortable(const char *norm, size_t len, zbuf *out);
/* A sortable form back as text, for facets: numbers as the shortest decimal
 * that reads back the same. */
int zhfts__field_display(const char *sortable, size_t len, zbuf *out);
/* title and date as zhfts_doc_options describes; *found false when the
 * text states none. */
int zhfts__guess_title(const char *text, size_t len, zbuf *out, bool *found);
int zhfts__guess_date(const char *text, size_t len, zbuf *out, bool *found);

/* ---- record.c: the stored paragraph record (the Xapian document data) ---- */
typedef struct zrecord {
	uint32_t para;
	uint64_t offset, length;
	const char *section; size_t section_len;
	const char *text; size_t text_len;
	const char *fields; size_t fields_len; /* (name, value) pairs, encoded */
	uint32_t nfields;
} zrecord;

/* fields: the document's fields (NULL when none). */
int zhfts__record_encode(zbuf *out, const zrecord *r, const zhfts_field *fields, size_t nfields);
int zhfts__record_decode(zrecord *r, const char *data, size_t len);
/* The k-th field of a decoded record (k < r->nfields). */
bool zhfts__record_field(const zrecord *r, uint32_t k, const char **name, size_t *name_len,
                         const char **value, size_t *value_len);

/* ---- settings.c: what shapes the terms, recorded in every database ------- */
#define ZHFTS_SETTINGS_KEY "zhfts.settings"
#define ZHFTS_FIELDS_KEY "zhfts.fields"
#define ZHFTS_STORAGE_KEY "zhfts.storage" /* "tombstones": see dead.c */
/* The settings string of s ("format=5 normalize=1 ..."). */
void zhfts__settings_string(const zhfts_options *s, char *buf, size_t cap);
/* Resolves opts against a stored settings string ("" for a new database)
 * into *out; `who` names the database in messages. */
int zhfts__settings_resolve(zhfts_options *out, const zhfts_options *opts, const char *stored,
                            const char *who, zerr *err);

/* ---- dead.c: paragraphs deleted or replaced, still in the index ----------- */
typedef struct zdead {
	uint8_t **blocks;   /* per 65,536 docids: a bitmap, or NULL */
	size_t nblocks;
	bool *dirty;        /* blocks changed since the last store */
	bool changed;
	uint64_t count;
} zdead;

bool zhfts__dead_has(const zdead *d, uint32_t docid);
int zhfts__dead_add(zdead *d, uint32_t docid);
/* Writes the changed blocks and the count into x's metadata (pending until
 * x commits). */
int zhfts__dead_store(zdead *d, zx_db *x, zerr *err);
/* Reads the set from x's metadata (a reader may get ZX_EMODIFIED). */
int zhfts__dead_load(zdead *d, zx_db *x, bool writer, const char *who, zerr *err);
void zhfts__dead_free(zdead *d);
/* Calls fn for each dead docid, ascending, until it returns non-zero. */
int zhfts__dead_each(const zdead *d, int (*fn)(void *ctx, uint32_t docid), void *ctx);

/* ---- docorder.c: whether docids run in document order --------------------- */
#define ZHFTS_ORDER_KEY "zhfts.order"
typedef struct zorder {
	bool valid;       /* loaded */
	bool ordered;     /* every docid in (document id, paragraph) order */
	bool empty;       /* no document yet (first and last unset) */
	bool dirty;       /* changed since stored */
	zbuf first, last; /* the lowest and highest document ids added */
} zorder;

/* Reads the record from x's metadata (a reader may get ZX_EMODIFIED). */
int zhfts__order_load(zorder *o, zx_db *x, const char *who, zerr *err);
/* A document `id` was just added (after every earlier one). */
int zhfts__order_note(zorder *o, const char *id);
/* The documents of `next` follow o's (a merge): o becomes the whole. */
int zhfts__order_follow(zorder *o, const zorder *next);
/* Writes the record into x's metadata if it changed (pending until x
 * commits); ENOMEM is set in err. */
int zhfts__order_store(zorder *o, zx_db *x, zerr *err);
void zhfts__order_free(zorder *o);

/* ---- db.c: the database handle ------------------------------------------- */
typedef struct zfieldname {
	char *name;
	unsigned slot;
} zfieldname;

/* One Xapian database of a zhfts database: all of it, or one shard of a
 * stub (shards.c). */
typedef struct zpart {
	char *name;                /* in messages: its path, HOST:PORT, or program */
	char *path;                /* a local directory (else NULL) */
	char *host, *prog, *args;  /* a remote shard: xapian-tcpsrv, or a program */
	unsigned port;
	struct zx_db *x;           /* this part alone (db->x itself for a plain database) */
	bool writable;             /* opened for writing */
	bool tombstones;           /* deletes are recorded as dead paragraphs (dead.c) */
	int holdoff_fd;            /* lock file that holds off commits for readers; -1 if none */
	bool committed_under_readers; /* the last commit went ahead while readers held it */
	bool touched;              /* changed since its last commit */
	bool dead_changed;         /* paragraphs of it marked dead since its last commit */
	uint64_t pending_docs;     /* documents added or deleted in it since its last commit */
} zpart;

struct zhfts_db {
	struct zx_db *x;           /* the reading view: the database, or its shards combined */
	struct zhfts_tokenizer tok;
	zhfts_options settings;    /* resolved: never ZHFTS_DEFAULT */
	unsigned int flags;
	bool writable;
	char *path;
	char *scratch_dir;         /* ZHFTS_OPEN_INMEMORY: removed on close */
	zpart *parts;              /* one, or the shards of a stub, in its order */
	size_t nparts;
	bool stub;                 /* opened through a stub file (x combines the parts) */
	uint64_t generation;       /* bumped on every reopen: caches keyed by it */
	bool tombstones;           /* some part records deletes as dead paragraphs */
	zdead dead;                /* by docids of x */
	uint64_t dead_generation;
	bool dead_valid;
	zorder order;              /* writers: kept up to date; readers: per generation */
	uint64_t order_generation;
	/* writers */
	size_t pending_bytes, auto_commit_bytes;
	uint64_t pending_docs;     /* documents added or deleted since the last commit */
	unsigned id_hash_bits;     /* of hashed document id terms: 64 (tests lower it) */
	zunits units;              /* reused per paragraph */
	/* field names the database knows, and their slots */
	zfieldname *fields;
	size_t nfields, fieldcap;
	uint64_t fields_generation;
	bool fields_valid;
	/* section: filters match the distinct section paths; their units are
	 * cached per generation */
	struct zsection { char *term, *units; } *sections;
	size_t nsections, seccap;
	uint64_t sec_generation;
	bool sec_valid;
	struct zhitmap *hitmap;    /* where each paragraph is (hitmap.c); NULL until asked */
	/* the last failure */
	zerr err;
	zhfts_error error;
	char *err_doc, *err_field;
	char encoding[32];         /* zhfts_doc_info.encoding of the last add */
};

/* ---- shards.c: a database made of shards (a stub file) ------------------- */
/* Is path a stub file (text listing shards), not a directory or a
 * single-file database? */
bool zhfts__is_stub(const char *path);
/* The shards a stub lists, local paths made relative to the stub's
 * directory; errors name the stub's line. */
int zhfts__stub_parse(const char *path, zpart **parts, size_t *n, zerr *err);
void zhfts__parts_free(zpart *parts, size_t n);
/* db->x becomes the parts' handles combined (db.c). */
int zhfts__parts_combine(zhfts_db *db, zerr *err);
/* The part holding docid (of db->x), and the docid there; and back. */
size_t zhfts__part_of(const zhfts_db *db, uint32_t docid, uint32_t *local);
uint32_t zhfts__docid_of(const zhfts_db *db, size_t part, uint32_t local);
/* The part a document id not in the database yet goes to. */
size_t zhfts__part_for_new(const zhfts_db *db, const char *id);
/* Writers of a stub: the parts they only read, at their newest revisions
 * (other writers commit to them). */
int zhfts__parts_refresh(zhfts_db *db, zerr *err);
/* A network failure whose message names no shard: names the remote shards
 * that fail on their own (a round trip each), if any. */
void zhfts__name_failed_shards(zhfts_db *db, int status);
/* Dead paragraphs: every part's, into db->dead; part k's, from db->dead
 * into its metadata (pending until it commits). */
int zhfts__dead_load_parts(zhfts_db *db, zerr *err);
int zhfts__dead_store_part(zhfts_db *db, size_t k, zerr *err);

/* Starts a call on the handle: clears the last failure. */
void zhfts__db_begin(zhfts_db *db);
int zhfts__need_writable(zhfts_db *db);
/* Records the status of a call (the message is already in db->err) with
 * its document and field, and returns status. */
int zhfts__db_fail(zhfts_db *db, int status, const char *doc, const char *field);
/* Runs fn(db, ctx) as a read: on ZX_EMODIFIED it reopens and runs fn again
 * from the start, with backoff; after the first retries it holds off the
 * writer's commits while it reads (see db.c).  Damage that lasts is
 * reported with its own status. */
int zhfts__read(zhfts_db *db, int (*fn)(zhfts_db *db, void *ctx), void *ctx);
/* What a read met that a writer's commit explains (a paragraph that
 * vanished, a record or list that does not decode): for a reader
 * ZX_EMODIFIED, read again by zhfts__read and ZHFTS_ECORRUPT if it lasts;
 * for a writer, whose view never moves, ZHFTS_ECORRUPT at once.  Sets the
 * failure's message. */
int zhfts__overtaken(zhfts_db *db, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Writers: commits, holding off nothing but waiting (bounded) for readers
 * that asked for a stable snapshot. */
int zhfts__commit(zhfts_db *db);
/* Drops every change since the last commit after a failure, counting what
 * was lost into db->error.lost. */
void zhfts__discard_pending(zhfts_db *db);
/* The dead paragraphs, current for this generation (inside a read). */
int zhfts__dead_refresh(zhfts_db *db);
/* Removes a paragraph: a dead paragraph, or a real delete where the
 * database can (a remote database with a termlist). */
int zhfts__remove_paragraph(zhfts_db *db, uint32_t docid);

/* The known field names (loaded from the metadata, cached per generation):
 * zhfts__fields_load() as a read of its own, zhfts__fields_refresh()
 * inside one (it may return ZX_EMODIFIED). */
int zhfts__fields_load(zhfts_db *db);
int zhfts__fields_refresh(zhfts_db *db);
const zfieldname *zhfts__field_find(zhfts_db *db, const char *name, size_t len);
/* Writers: records new field names in the metadata (with the next commit). */
int zhfts__fields_register(zhfts_db *db, const zhfts_field *fields, size_t n);

/* ---- indexer.c: documents -> Xapian documents ---------------------------- */
/* The fields of one document (the caller's, then the guessed ones), with
 * their normalized and sortable forms. */
typedef struct zdocfields {
	zhfts_field f[ZHFTS_MAX_FIELDS + 2];
	size_t n;
	zbuf guessed[2];
	zbuf norm[ZHFTS_MAX_FIELDS + 2];
	zbuf sortable[ZHFTS_MAX_FIELDS + 2];
} zdocfields;

int zhfts__docfields_prepare(zhfts_db *db, zdocfields *df);
void zhfts__docfields_free(zdocfields *df);

/* What a paragraph's Xapian document is made of, besides its record. */
typedef struct zdocctx {
	const char *id;
	const zbuf *idterm;
	const zdocfields *df;
	const char *record;     /* the stored record to keep as is (compaction), or NULL */
	size_t record_len;
	/* scratch */
	zbuf term, data;
	zbuf bag;               /* the paragraph's text terms, each once per occurrence */
	struct zbagterm *bagged;
	size_t nbagged, bagcap;
} zdocctx;
void zhfts__docctx_free(zdocctx *c);

/* The terms, values and data of one paragraph (db gives the tokenizer). */
int zhfts__paragraph_doc(zhfts_db *db, zx_doc *xd, const zrecord *r, zdocctx *c);

/* ---- documents.c: listing, reading and counting documents ---------------- */
/* The paragraphs (docids) of a document, whatever its id term's hash may
 * share with other ids: *docids is malloc'd, in docid order. */
int zhfts__doc_paragraphs(zhfts_db *db, const char *id, uint32_t **docids, size_t *n);
/* The same, read from one part alone (docids are still the whole's). */
int zhfts__doc_paragraphs_part(zhfts_db *db, size_t part, const char *id, uint32_t **docids, size_t *n);


/* ---- parse.c: query text -> syntax tree ---------------------------------- */
enum qn_kind {
	QN_TEXT,        /* a word or a quoted phrase */
	QN_AND,
	QN_OR,
	QN_NOT,         /* kids[0] minus the rest (the rest are the negated items) */
	QN_SECTION,     /* section:TEXT */
	QN_FIELD,       /* NAME:VALUE, NAME:LOW..HIGH */
	QN_DOC          /* doc:ID, doc:PREFIX* */
};

typedef struct qnode {
	enum qn_kind kind;
	size_t pos;             /* byte offset in the query */
	const char *text;       /* into the query: the word, phrase, value, id */
	size_t len;
	bool quoted;            /* QN_TEXT: a phrase */
	bool range;             /* QN_FIELD: LOW..HIGH (text = LOW, text2 = HIGH; either may be empty) */
	const char *text2;
	size_t len2, pos2;
	bool prefix;            /* QN_DOC: PREFIX* */
	const char *name;       /* QN_FIELD */
	size_t name_len;
	struct qnode **kids;
	size_t nkids, kidcap;
} qnode;

#define ZHFTS_QUERY_MAX_BYTES (1u << 20)
#define ZHFTS_QUERY_MAX_DEPTH 100
#define ZHFTS_QUERY_MAX_TERMS 4096

/* Parses q (which must outlive the tree). */
int zhfts__parse(qnode **out, const char *q, size_t len, zerr *err);
void zhfts__qnode_free(qnode *n);

/* ---- plan.c: what a query means ------------------------------------------
 * One place decides it: the Xapian query (which matches a superset of the
 * hits, with the tier boosts), the exact test a candidate must pass when
 * Xapian's answer is not exact, and the keys that highlighting looks for. */
enum ck_kind {
	CK_UNITS,       /* the text holds `units` ("\x1fu1\x1fu2\x1f") */
	CK_AND,
	CK_OR,
	CK_NOT,         /* kids[0] and none of the rest */
	CK_SECTION,     /* the section path's term is one of `terms` */
	CK_FIELD_EQ,    /* field `name` equals `value` (normalized) */
	CK_FIELD_RANGE, /* field `name`'s sortable form in [lo, hi] (either NULL: open) */
	CK_DOC_EQ,      /* the document id is `value` */
	CK_DOC_PREFIX,  /* the document id starts with `value` */
	CK_TRUE
};

typedef struct zcheck {
	enum ck_kind kind;
	char *units; size_t units_len;
	char *name; size_t name_len;
	char *value; size_t value_len;
	char *lo, *hi; size_t lo_len, hi_len;
	char **terms; size_t nterms;
	struct zcheck **kids;
	size_t nkids, kidcap;
} zcheck;

/* A positive keyword's units, joined by '\x1f', for match spans. */
typedef struct zkeyword {
	char *units;
	size_t len;
} zkeyword;

/* The weight of one tier: above any BM25 weight a query of
 * ZHFTS_QUERY_MAX_TERMS terms can reach. */
#define ZHFTS_TIER_WEIGHT 1e6

typedef struct zplan {
	zqnode *xq;            /* what Xapian runs */
	zcheck *check;         /* the exact meaning */
	bool inexact;          /* Xapian's matches are a superset: check each candidate */
	zcheck **tiers;        /* runs that each add a tier when held whole */
	size_t ntiers;
	bool tiers_inexact;    /* some tier run is granted by Xapian on its pairs alone */
	bool scored;           /* the query has text (else every score is 0) */
	zkeyword *kw;
	size_t nkw, kwcap;
	size_t nterms;
} zplan;

/* Runs inside a read (zhfts__read): it may return ZX_EMODIFIED. */
int zhfts__plan(zplan *out, zhfts_db *db, const qnode *root, const char *q, zerr *err);
void zhfts__plan_free(zplan *p);
void zhfts__check_free(zcheck *c);
void zhfts__zqnode_free(zqnode *n);
/* Section paths (cached on the handle): those whose units contain `units`.
 * Like zhfts__plan(), it runs inside a read (zhfts__read) and may return
 * ZX_EMODIFIED. */
int zhfts__sections_matching(zhfts_db *db, const char *units, char ***terms, size_t *n);
void zhfts__sections_free(zhfts_db *db);

/* ---- verify.c: does a candidate match? ----------------------------------- */
typedef struct zcandidate {
	const char *doc; size_t doc_len;
	const zrecord *rec;
	/* scratch, reused */
	zunits units;
	zbuf text, section, norm, sortable;
} zcandidate;

/* Prepares a candidate for checks (its text as units, its section term). */
int zhfts__candidate_load(zhfts_db *db, zcandidate *c, const char *doc, size_t doc_len,
                          const zrecord *rec);
bool zhfts__check(zhfts_db *db, const zcheck *k, zcandidate *c);
void zhfts__candidate_free(zcandidate *c);

/* ---- highlight.c: match spans and snippets ------------------------------- */
typedef struct zspans {
	zhfts_span *items;
	size_t n, cap;
} zspans;

int zhfts__find_spans(struct zhfts_tokenizer *tok, const zkeyword *kw, size_t nkw, const char *text,
                      size_t len, zunits *scratch, zspans *out);
int zhfts__make_snippet(zbuf *out, const char *text, size_t len, const zspans *spans,
                        const char *open, const char *close, size_t context_chars);

/* ---- facets.c: counting values -------------------------------------------- */
typedef struct zfacet_counter zfacet_counter;
zfacet_counter *zhfts__facet_counter_new(void);
void zhfts__facet_counter_free(zfacet_counter *c);
/* Adds n paragraphs with the value v (a sortable form, or a document id). */
int zhfts__facet_count(zfacet_counter *c, const char *v, size_t len, uint64_t n);
/* The counts as a facet (doc: the values are document ids). */
int zhfts__facet_finish(zfacet_counter *c, const char *name, bool doc, size_t limit, zhfts_facet *out);

/* ---- results.c ------------------------------------------------------------ */
typedef struct zitem {
	uint32_t docid;
	int tier;
	double score;
} zitem;

typedef struct zhit_slot {
	zhfts_hit hit;
	bool loaded, spans_done, gone;
	char *data;              /* the record's bytes, when read */
	size_t data_len;
	zhfts_field *fields;
} zhit_slot;

/* ---- hitmap.c: each paragraph's document and number, by docid ------------ */
typedef struct zhitmap zhitmap;
/* The map of db's generation, built on first use: a reference for the
 * caller to release. */
int zhfts__hitmap_get(zhfts_db *db, zhitmap **out);
void zhfts__hitmap_release(zhitmap *m);
/* docid's document id (owned by the map) and paragraph number, if the map
 * of the database with this UUID knows it. */
bool zhfts__hitmap_find(const zhitmap *m, const char *uuid, uint32_t docid, const char **doc, uint32_t *para);

struct zhfts_results {
	zhfts_db *db;            /* borrowed */
	zhitmap *map;            /* a reference, once a hit is located */
	uint64_t generation;     /* of the read the items come from */
	char uuid[48];           /* of the database they come from: docids change with it */
	zitem *items;
	size_t n;
	zhit_slot *slots;        /* one per item */
	size_t first_rank;       /* rank of items[0] - 1 */
	uint64_t estimate, lower, upper;
	zkeyword *kw;            /* highlight keys (a copy) */
	size_t nkw;
	zhfts_facet *facets;
	size_t nfacets;
	zerr err;
	zunits units;            /* scratch */
	zspans spans;
};

/* New results over items (taken). */
int zhfts__results_new(zhfts_results **out, zhfts_db *db, zitem *items, size_t n, size_t first_rank,
                       const zplan *plan);
/* Gives hit i its record (data taken) before anyone asks. */
void zhfts__results_prime(zhfts_results *r, size_t i, char *data, size_t len, const char *doc,
                          size_t doc_len);
/* zhfts_db_search(): spans and a snippet kept in hit i. */
int zhfts__results_keep_snippet(zhfts_results *r, size_t i, const zhfts_snippet_options *o);

#endif
