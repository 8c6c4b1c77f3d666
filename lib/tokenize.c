/*
 * Stage 3: UTF-8 text -> tokens (ICU dictionary word breaking) -> units.
 *
 * ICU segments the original text in place (utext_openUTF8: no copy), so every
 * token's offsets are offsets into the caller's bytes.  Punctuation and white
 * space (UBRK_WORD_NONE) are not tokens.  Each token is normalized, then cut
 * into matching units: one per Han or kana character, one per run of
 * anything else (`risc`, `1.2`, `5g`).
 */
#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>

#include "zhfts-private.h"

int zhfts__tokenizer_init(struct zhfts_tokenizer *t, const zhfts_options *opts, zerr *err)
{
	memset(t, 0, sizeof *t);
	bool normalize = !opts || opts->normalize != ZHFTS_OFF;
	bool traditional = !opts || opts->traditional != ZHFTS_OFF;
	int rc = zhfts__norm_init(&t->norm, normalize, traditional, err);
	if (rc)
		return rc;
	UErrorCode e = U_ZERO_ERROR;
	t->bi = ubrk_open(UBRK_WORD, "zh", NULL, 0, &e);
	if (U_FAILURE(e))
		return zerr_set(err, ZHFTS_ERROR, "ICU word break iterator: %s", u_errorName(e));
	return ZHFTS_OK;
}

void zhfts__tokenizer_fini(struct zhfts_tokenizer *t)
{
	if (t->bi)
		ubrk_close(t->bi);
	if (t->ut)
		utext_close(t->ut);
	zhfts__norm_free(&t->norm);
	zbuf_free(&t->scratch);
	memset(t, 0, sizeof *t);
}

static bool splits(UChar32 c)
{
	if (c < 0x2e80)
		return false;
	UErrorCode e = U_ZERO_ERROR;
	UScriptCode s = uscript_getScript(c, &e);
	return s == USCRIPT_HAN || s == USCRIPT_HIRAGANA || s == USCRIPT_KATAKANA ||
	       s == USCRIPT_BOPOMOFO || u_hasBinaryProperty(c, UCHAR_IDEOGRAPHIC);
}

static bool is_mark(UChar32 c)
{
	int8_t t = c >= 0 ? u_charType(c) : 0;
	return t == U_NON_SPACING_MARK || t == U_ENCLOSING_MARK || t == U_COMBINING_SPACING_MARK;
}

/* Is there Han text in this non-word, or could there be after NFKC?
 * Compatibility characters can: CJK radicals, enclosed and squared
 * ideographs. */
static bool maybe_han(const char *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		UChar32 c;
		U8_NEXT((const uint8_t *)s, i, len, c);
		if ((c >= 0x2e80 && c <= 0x2fdf) || (c >= 0x3190 && c <= 0x319f) || (c >= 0x3200 && c <= 0x33ff) ||
		    (c >= 0x1f200 && c <= 0x1f2ff) || splits(c))
			return true; /* splits(): a lone 々, which ICU leaves out */
	}
	return false;
}

static size_t count_cps(const char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xc0) != 0x80;
	return n;
}

/* Emitted per ICU token. */
typedef int (*emit_fn)(void *ctx, const ztoken *tok, const zunit *units, const char *norm);

typedef struct scan {
	zunit *u;
	size_t cap;
} scan;

static int push_unit(scan *sc, size_t *n, zunit u)
{
	void *p = sc->u;
	if (zvec_grow(&p, &sc->cap, *n + 1, sizeof(zunit)))
		return ZHFTS_ENOMEM;
	sc->u = p;
	sc->u[(*n)++] = u;
	return ZHFTS_OK;
}

/* Cuts one normalized token into units.  When normalization kept the number
 * of code points, each unit maps back to its own original characters;
 * otherwise to the whole token. */
static int cut(scan *sc, size_t *nu, const char *orig, size_t olen, size_t ooff, const char *norm,
               size_t nlen)
{
	bool per_cp = count_cps(orig, olen) == count_cps(norm, nlen);
	size_t oi = 0, ni = 0;
	bool in_run = false, run_alnum = false;
	zunit run = {0};
	*nu = 0;
	while (ni < nlen) {
		UChar32 c, oc = 0;
		size_t nstart = ni, ostart = oi;
		U8_NEXT((const uint8_t *)norm, ni, nlen, c);
		if (per_cp)
			U8_NEXT((const uint8_t *)orig, oi, olen, oc);
		(void)oc;
		uint32_t so = (uint32_t)(per_cp ? ooff + ostart : ooff);
		uint32_t sl = (uint32_t)(per_cp ? oi - ostart : olen);
		if (c >= 0 && splits(c)) {
			if (in_run && run_alnum && push_unit(sc, nu, run))
				return ZHFTS_ENOMEM;
			in_run = false;
			zunit u = {(uint32_t)nstart, (uint32_t)(ni - nstart), so, sl, 0, true};
			if (push_unit(sc, nu, u))
				return ZHFTS_ENOMEM;
			continue;
		}
		if (c >= 0 && u_hasBinaryProperty(c, UCHAR_WHITE_SPACE)) {
			if (in_run && run_alnum && push_unit(sc, nu, run))
				return ZHFTS_ENOMEM;
			in_run = false;
			continue;
		}
		if (!in_run && is_mark(c))
			continue; /* a mark left over from a Han character starts nothing */
		if (!in_run) {
			run = (zunit){(uint32_t)nstart, 0, so, 0, 0, false};
			run_alnum = false;
			in_run = true;
		}
		run.len = (uint32_t)(ni - run.off);
		run.src_len = so + sl - run.src_off;
		run_alnum = run_alnum || (c >= 0 && (u_isalnum(c) || u_charType(c) == U_NON_SPACING_MARK));
	}
	if (in_run && run_alnum && push_unit(sc, nu, run))
		return ZHFTS_ENOMEM;
	return ZHFTS_OK;
}

static zhfts_token_kind kind_of(int32_t status, const zunit *u, size_t nu, const char *norm)
{
	for (size_t i = 0; i < nu; i++)
		if (u[i].han)
			return ZHFTS_TOKEN_HAN;
	if (status >= UBRK_WORD_NUMBER && status < UBRK_WORD_NUMBER_LIMIT)
		return ZHFTS_TOKEN_NUMBER;
	bool digit = false, alpha = false;
	for (size_t i = 0; i < nu; i++)
		for (uint32_t k = 0; k < u[i].len; k++) {
			char c = norm[u[i].off + k];
			digit = digit || (c >= '0' && c <= '9');
			alpha = alpha || !(c >= '0' && c <= '9');
		}
	return digit && alpha ? ZHFTS_TOKEN_MIXED : digit ? ZHFTS_TOKEN_NUMBER : ZHFTS_TOKEN_WORD;
}

static int scan_text(struct zhfts_tokenizer *t, const char *s, size_t len, emit_fn fn, void *ctx)
{
	if (len > INT32_MAX)
		return zerr_set(&t->err, ZHFTS_ELIMIT, "text of %zu bytes is over the 2 GiB limit", len);
	UErrorCode e = U_ZERO_ERROR;
	t->ut = utext_openUTF8(t->ut, s ? s : "", (int64_t)len, &e);
	ubrk_setUText(t->bi, t->ut, &e);
	if (U_FAILURE(e))
		return zerr_set(&t->err, ZHFTS_ERROR, "ICU word break: %s", u_errorName(e));
	scan sc = {0};
	int rc = ZHFTS_OK;
	int32_t p = ubrk_first(t->bi), q;
	while (rc == ZHFTS_OK && (q = ubrk_next(t->bi)) != UBRK_DONE) {
		int32_t status = ubrk_getRuleStatus(t->bi);
		/* Not a word for ICU, but maybe a Han character after normalization
		 * (Kangxi radicals such as U+2F00 are NFKC-equivalent to 一). */
		bool han_only = status < UBRK_WORD_NONE_LIMIT;
		if (!han_only || maybe_han(s + p, (size_t)(q - p))) {
			rc = zhfts__normalize(&t->norm, s + p, (size_t)(q - p), &t->scratch);
			size_t nu = 0;
			if (rc == ZHFTS_OK)
				rc = cut(&sc, &nu, s + p, (size_t)(q - p), (size_t)p, t->scratch.data, t->scratch.len);
			if (han_only) {
				size_t m = 0;
				for (size_t i = 0; i < nu; i++)
					if (sc.u[i].han)
						sc.u[m++] = sc.u[i];
				nu = m;
			}
			if (rc == ZHFTS_OK && nu) {
				ztoken tok = {0, (uint32_t)nu, (uint32_t)p, (uint32_t)(q - p),
				              kind_of(status, sc.u, nu, t->scratch.data)};
				rc = fn(ctx, &tok, sc.u, t->scratch.data);
			}
		}
		p = q;
	}
	free(sc.u);
	/* Don't keep a pointer to the caller's text. */
	t->ut = utext_openUTF8(t->ut, "", 0, &e);
	ubrk_setUText(t->bi, t->ut, &e);
	return rc;
}

/* ---- into zunits ---------------------------------------------------------- */

typedef struct shifted {
	emit_fn fn;
	void *ctx;
	uint32_t base;
	scan units; /* scratch */
} shifted;

/* Moves the offsets of a piece's tokens to the whole text's. */
static int emit_shifted(void *ctx, const ztoken *tok, const zunit *units, const char *norm)
{
	shifted *sh = ctx;
	ztoken t = *tok;
	t.src_off += sh->base;
	void *p = sh->units.u;
	if (zvec_grow(&p, &sh->units.cap, tok->nunits, sizeof(zunit)))
		return ZHFTS_ENOMEM;
	sh->units.u = p;
	for (uint32_t i = 0; i < tok->nunits; i++) {
		sh->units.u[i] = units[i];
		sh->units.u[i].src_off += sh->base;
	}
	return sh->fn(sh->ctx, &t, sh->units.u, norm);
}

static bool only_punctuation(const char *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		UChar32 c;
		U8_NEXT((const uint8_t *)s, i, len, c);
		int8_t t = c >= 0 ? u_charType(c) : 0;
		if (!(t == U_DASH_PUNCTUATION || t == U_START_PUNCTUATION || t == U_END_PUNCTUATION ||
		      t == U_INITIAL_PUNCTUATION || t == U_FINAL_PUNCTUATION || t == U_OTHER_PUNCTUATION ||
		      u_hasBinaryProperty(c, UCHAR_WHITE_SPACE)))
			return false;
	}
	return true;
}

/* The same units as scan_text(), without ICU's dictionary: every Han or
 * kana character (with the marks that follow it) is a token of its own, and
 * only the text between them goes through the word break iterator, where
 * the dictionary never runs.  Words are lost; units are not. */
static int scan_units_only(struct zhfts_tokenizer *t, const char *s, size_t len, emit_fn fn, void *ctx)
{
	scan sc = {0};
	shifted sh = {fn, ctx, 0, {0}};
	int rc = ZHFTS_OK;
	size_t i = 0;
	while (rc == ZHFTS_OK && i < len) {
		size_t j = i, k;
		UChar32 c;
		U8_NEXT((const uint8_t *)s, j, len, c);
		bool han = c >= 0 && splits(c);
		for (k = j; k < len;) {
			size_t next = k;
			UChar32 m;
			U8_NEXT((const uint8_t *)s, next, len, m);
			if (han ? !is_mark(m) : (m >= 0 && splits(m)))
				break;
			k = next;
		}
		if (han) {
			size_t nu = 0;
			rc = zhfts__normalize(&t->norm, s + i, k - i, &t->scratch);
			rc = rc ? rc : cut(&sc, &nu, s + i, k - i, i, t->scratch.data, t->scratch.len);
			if (rc == ZHFTS_OK && nu) {
				ztoken tok = {0, (uint32_t)nu, (uint32_t)i, (uint32_t)(k - i),
				              kind_of(UBRK_WORD_IDEO, sc.u, nu, t->scratch.data)};
				rc = fn(ctx, &tok, sc.u, t->scratch.data);
			}
		} else if (!only_punctuation(s + i, k - i)) {
			sh.base = (uint32_t)i;
			rc = scan_text(t, s + i, k - i, emit_shifted, &sh);
		}
		i = k;
	}
	free(sc.u);
	free(sh.units.u);
	return rc;
}

static int append_units(void *ctx, const ztoken *tok, const zunit *units, const char *norm)
{
	zunits *out = ctx;
	void *p = out->u;
	if (zvec_grow(&p, &out->cap, out->n + tok->nunits, sizeof(zunit)))
		return ZHFTS_ENOMEM;
	out->u = p;
	p = out->tok;
	if (zvec_grow(&p, &out->tokcap, out->ntok + 1, sizeof(ztoken)))
		return ZHFTS_ENOMEM;
	out->tok = p;
	ztoken t = *tok;
	t.first_unit = (uint32_t)out->n;
	for (uint32_t i = 0; i < tok->nunits; i++) {
		zunit u = units[i];
		size_t at = out->text.len;
		if (zbuf_add(&out->text, norm + u.off, u.len))
			return ZHFTS_ENOMEM;
		u.off = (uint32_t)at;
		u.token = (uint32_t)out->ntok;
		out->u[out->n++] = u;
	}
	out->tok[out->ntok++] = t;
	return ZHFTS_OK;
}

int zhfts__units(struct zhfts_tokenizer *t, const char *s, size_t len, zunits *out)
{
	return scan_text(t, s, len, append_units, out);
}

int zhfts__units_fast(struct zhfts_tokenizer *t, const char *s, size_t len, zunits *out)
{
	if (len > INT32_MAX)
		return zerr_set(&t->err, ZHFTS_ELIMIT, "text of %zu bytes is over the 2 GiB limit", len);
	return scan_units_only(t, s, len, append_units, out);
}

int zhfts__units_joined(zbuf *out, const zunits *us, size_t a, size_t b)
{
	out->len = 0;
	int rc = zbuf_addc(out, '\x1f');
	for (size_t i = a; rc == ZHFTS_OK && i < b; i++) {
		rc = zbuf_add(out, zunit_text(us, i), us->u[i].len);
		rc = rc ? rc : zbuf_addc(out, '\x1f');
	}
	return rc;
}

void zhfts__units_reset(zunits *u)
{
	u->text.len = 0;
	u->n = 0;
	u->ntok = 0;
}

void zhfts__units_free(zunits *u)
{
	zbuf_free(&u->text);
	free(u->u);
	free(u->tok);
	memset(u, 0, sizeof *u);
}

/* ---- the public tokenizer ------------------------------------------------- */

typedef struct pub {
	zhfts_token_fn fn;
	void *ctx;
	uint32_t position;
} pub;

static int emit_public(void *ctx, const ztoken *tok, const zunit *units, const char *norm)
{
	pub *p = ctx;
	size_t start = units[0].off, end = units[tok->nunits - 1].off + units[tok->nunits - 1].len;
	zhfts_token out = {norm + start, end - start, tok->src_off, tok->src_len, p->position,
	                   tok->nunits, tok->kind};
	p->position += tok->nunits;
	return p->fn(p->ctx, &out);
}

int zhfts_tokenizer_new(zhfts_tokenizer **out, const zhfts_options *opts)
{
	if (!out)
		return ZHFTS_EINVAL;
	*out = NULL;
	zhfts_tokenizer *t = calloc(1, sizeof *t);
	if (!t)
		return ZHFTS_ENOMEM;
	zerr err;
	int rc = zhfts__tokenizer_init(t, opts, &err);
	if (rc) {
		zhfts__tokenizer_fini(t);
		free(t);
		return rc;
	}
	*out = t;
	return ZHFTS_OK;
}

void zhfts_tokenizer_free(zhfts_tokenizer *t)
{
	if (!t)
		return;
	zhfts__tokenizer_fini(t);
	free(t);
}

const char *zhfts_tokenizer_errmsg(const zhfts_tokenizer *t)
{
	return t && t->err.msg[0] ? t->err.msg : "";
}

int zhfts_tokenize(zhfts_tokenizer *t, const char *text, size_t len, zhfts_token_fn fn, void *ctx)
{
	if (!t || !fn || (!text && len))
		return ZHFTS_EINVAL;
	zerr_clear(&t->err);
	size_t bad = zhfts__utf8_check(text, len);
	if (bad != len)
		return zerr_set(&t->err, ZHFTS_EENCODING, "invalid UTF-8 at byte offset %zu", bad);
	pub p = {fn, ctx, 0};
	return scan_text(t, text, len, emit_public, &p);
}
