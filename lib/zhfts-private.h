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
#define ZHFTS_INDEX_FORMAT 3

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

/* Grows a vector (*items, *cap) so that it holds at least `need` items. */
int zvec_grow(void **items, size_t *cap, size_t need, size_t item_size);

/* ---- status.c (zerr is declared in xapian-binding.h) --------------------- */
char *zhfts__strdup(const char *s);
char *zhfts__strndup(const char *s, size_t n);

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
int zhfts__term_docid(zbuf *out, const char *id);
/* "P" + the path, or "P#" + a hash of it when that is too long a term. */
int zhfts__term_section(zbuf *out, const char *path, size_t len);

/* ---- the database handle (index.c) -------------------------------------- */
struct zhfts_db {
	struct zx_db *x;
	struct zhfts_tokenizer tok;
	zhfts_options settings;    /* resolved: never ZHFTS_DEFAULT */
	unsigned int flags;
	bool writable;
	char *path;
	char *scratch_dir;         /* ZHFTS_OPEN_INMEMORY: removed on close */
	size_t pending_bytes, auto_commit_bytes;
	zunits units;              /* reused per paragraph */
	/* section: filters match the distinct section paths; their units are
	 * cached while the database's (doccount, last docid) stay the same. */
	struct zsection { char *term, *units; } *sections;
	size_t nsections, seccap;
	uint64_t sec_doccount, sec_lastdocid;
	bool sec_valid;
	zerr err;
};

/* Stored paragraph record (the Xapian document data). */
typedef struct zrecord {
	const char *doc;  size_t doc_len;
	uint32_t para;
	uint64_t offset, length;
	const char *section; size_t section_len;
	const char *text; size_t text_len;
} zrecord;

int zhfts__record_encode(zbuf *out, const zrecord *r);
int zhfts__record_decode(zrecord *r, const char *data, size_t len);

/* ---- query.c: query text -> query tree ---------------------------------- */
/* The normalized unit sequences that a positive keyword matches, for spans. */
typedef struct zkeyword {
	char *units;        /* units joined by '\x1f' */
	size_t len;
} zkeyword;

typedef struct zquery {
	zqnode *root;
	zkeyword *kw;
	size_t nkw, kwcap;
} zquery;

#define ZHFTS_QUERY_MAX_BYTES (1u << 20)
#define ZHFTS_QUERY_MAX_DEPTH 100
#define ZHFTS_QUERY_MAX_TERMS 4096

int zhfts__query_parse(zquery *out, struct zhfts_tokenizer *tok, const char *q, size_t len, zerr *err);
void zhfts__query_free(zquery *q);
void zhfts__qnode_free(zqnode *n);

/* ---- snippet.c ------------------------------------------------------------ */
typedef struct zspans {
	zhfts_span *items;
	size_t n, cap;
} zspans;

int zhfts__find_spans(struct zhfts_tokenizer *tok, const zquery *q, const char *text, size_t len,
                      zunits *scratch, zspans *out);
int zhfts__make_snippet(zbuf *out, const char *text, size_t len, const zspans *spans,
                        const char *open, const char *close, size_t context_chars);

/* ---- search.c --------------------------------------------------------------*/
void zhfts__sections_free(zhfts_db *db);
struct zhfts_results {
	zhfts_hit *hits;
	size_t n, cap;
	uint64_t estimate, lower, upper;
	/* backing storage */
	char **strings;
	size_t nstrings, strcap;
	zhfts_span **spans;
};

#endif
