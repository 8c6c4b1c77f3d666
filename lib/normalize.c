/*
 * Stage 4: normalization of one token: NFKC with case folding (`５Ｇ` = `5g`,
 * `Ⅴ` = `v`), then Traditional -> Simplified (`學` = `学`).
 *
 * ICU's Traditional-Simplified transliterator maps characters one to one,
 * so its answer per code point is cached: transliterating a token is then a
 * table look-up per character.
 */
#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>

#include "zhfts-private.h"

#define T2S_UNKNOWN 0u
#define T2S_COMPLEX 0xffffffffu /* maps to other than one code point */

int zhfts__norm_init(znorm *n, bool normalize, bool traditional, zerr *err)
{
	memset(n, 0, sizeof *n);
	n->normalize = normalize;
	n->traditional = traditional;
	UErrorCode e = U_ZERO_ERROR;
	if (normalize) {
		n->nfkc_cf = unorm2_getNFKCCasefoldInstance(&e);
		if (U_FAILURE(e))
			return zerr_set(err, ZHFTS_ERROR, "ICU NFKC_Casefold data: %s", u_errorName(e));
	}
	if (traditional) {
		static const UChar id[] = {'T', 'r', 'a', 'd', 'i', 't', 'i', 'o', 'n', 'a', 'l', '-',
		                           'S', 'i', 'm', 'p', 'l', 'i', 'f', 'i', 'e', 'd', 0};
		n->t2s = utrans_openU(id, -1, UTRANS_FORWARD, NULL, 0, NULL, &e);
		if (U_FAILURE(e))
			return zerr_set(err, ZHFTS_ERROR, "ICU Traditional-Simplified transliterator: %s",
			                u_errorName(e));
		n->t2s_cache = calloc(0x10000, sizeof *n->t2s_cache);
		if (!n->t2s_cache)
			return zerr_set(err, ZHFTS_ENOMEM, "out of memory");
	}
	return ZHFTS_OK;
}

void zhfts__norm_free(znorm *n)
{
	if (n->t2s)
		utrans_close(n->t2s);
	free(n->t2s_cache);
	free(n->u16a);
	free(n->u16b);
	memset(n, 0, sizeof *n);
}

static int ensure16(znorm *n, size_t need)
{
	if (need <= n->u16cap)
		return ZHFTS_OK;
	size_t cap = need * 2 + 16;
	UChar *a = realloc(n->u16a, cap * sizeof(UChar));
	if (!a)
		return ZHFTS_ENOMEM;
	n->u16a = a;
	UChar *b = realloc(n->u16b, cap * sizeof(UChar));
	if (!b)
		return ZHFTS_ENOMEM;
	n->u16b = b;
	n->u16cap = cap;
	return ZHFTS_OK;
}

/* Transliterates one Han code point; returns T2S_COMPLEX when the result is
 * not a single code point. */
static uint32_t t2s_one(znorm *n, UChar32 c)
{
	UChar buf[16];
	int32_t len = 0, limit;
	UBool err = 0;
	U16_APPEND(buf, len, 16, c, err);
	limit = len;
	int32_t textlen = len;
	UErrorCode e = U_ZERO_ERROR;
	utrans_transUChars(n->t2s, buf, &textlen, 16, 0, &limit, &e);
	if (U_FAILURE(e) || err)
		return (uint32_t)c;
	UChar32 out;
	int32_t i = 0;
	U16_NEXT(buf, i, textlen, out);
	return i == textlen ? (uint32_t)out : T2S_COMPLEX;
}

static bool is_ideograph(UChar32 c)
{
	return (c >= 0x3400 && c <= 0x9fff) || (c >= 0xf900 && c <= 0xfaff) || c >= 0x20000;
}

/* Appends a UTF-16 string as UTF-8, folding Traditional characters. */
static int emit(znorm *n, const UChar *s, int32_t len, zbuf *out)
{
	int32_t i = 0;
	while (i < len) {
		UChar32 c;
		U16_NEXT(s, i, len, c);
		if (n->t2s && is_ideograph(c)) {
			uint32_t m;
			if (c < 0x10000) {
				m = n->t2s_cache[c];
				if (m == T2S_UNKNOWN) {
					uint32_t r = t2s_one(n, c);
					m = n->t2s_cache[c] = r == T2S_COMPLEX ? T2S_COMPLEX : r + 1;
				}
				m = m == T2S_COMPLEX ? T2S_COMPLEX : m - 1;
			} else {
				m = t2s_one(n, c);
			}
			if (m == T2S_COMPLEX) {
				/* Rare: let ICU rewrite it in full. */
				UChar buf[64];
				int32_t bl = 0, limit, tl;
				UBool err = 0;
				U16_APPEND(buf, bl, 64, c, err);
				tl = limit = bl;
				UErrorCode e = U_ZERO_ERROR;
				utrans_transUChars(n->t2s, buf, &tl, 64, 0, &limit, &e);
				if (U_SUCCESS(e) && !err) {
					char tmp[256];
					int32_t ol = 0;
					u_strToUTF8(tmp, sizeof tmp, &ol, buf, tl, &e);
					if (U_SUCCESS(e) && zbuf_add(out, tmp, (size_t)ol))
						return ZHFTS_ENOMEM;
					continue;
				}
				m = (uint32_t)c;
			}
			c = (UChar32)m;
		}
		char tmp[4];
		int32_t k = 0;
		UBool err = 0;
		U8_APPEND((uint8_t *)tmp, k, 4, c, err);
		if (!err && zbuf_add(out, tmp, (size_t)k))
			return ZHFTS_ENOMEM;
	}
	return ZHFTS_OK;
}

/* CJK Unified Ideographs (and Extension A): no decomposition, no case, no
 * composition, so NFKC_Casefold leaves a string of them as it is. */
static bool is_unified_ideograph(UChar32 c)
{
	return (c >= 0x4e00 && c <= 0x9fff) || (c >= 0x3400 && c <= 0x4dbf);
}

/* The common case of Chinese text: only unified ideographs, each a table
 * look-up.  Returns false (having written nothing) for anything else. */
static bool han_fast(znorm *n, const char *s, size_t len, zbuf *out)
{
	for (size_t i = 0; i < len; i += 3) {
		const unsigned char *p = (const unsigned char *)s + i;
		if (len - i < 3 || (p[0] & 0xf0) != 0xe0)
			return false;
		UChar32 c = ((p[0] & 0x0f) << 12) | ((p[1] & 0x3f) << 6) | (p[2] & 0x3f);
		if (!is_unified_ideograph(c))
			return false;
		if (n->t2s && n->t2s_cache[c] == T2S_UNKNOWN) {
			uint32_t r = t2s_one(n, c);
			n->t2s_cache[c] = r == T2S_COMPLEX ? T2S_COMPLEX : r + 1;
		}
		if (n->t2s && (n->t2s_cache[c] == T2S_COMPLEX || n->t2s_cache[c] - 1 >= 0x10000 ||
		               !is_unified_ideograph((UChar32)(n->t2s_cache[c] - 1))))
			return false;
	}
	/* Valid UTF-8 (the callers' promise): three bytes each, mapped in place. */
	for (size_t i = 0; i < len; i += 3) {
		const unsigned char *p = (const unsigned char *)s + i;
		UChar32 c = ((p[0] & 0x0f) << 12) | ((p[1] & 0x3f) << 6) | (p[2] & 0x3f);
		if (n->t2s)
			c = (UChar32)(n->t2s_cache[c] - 1);
		out->data[i] = (char)(0xe0 | (c >> 12));
		out->data[i + 1] = (char)(0x80 | ((c >> 6) & 0x3f));
		out->data[i + 2] = (char)(0x80 | (c & 0x3f));
	}
	out->len = len;
	out->data[len] = '\0';
	return true;
}

int zhfts__normalize(znorm *n, const char *s, size_t len, zbuf *out)
{
	out->len = 0;
	if (zbuf_reserve(out, len))
		return ZHFTS_ENOMEM;
	out->data[0] = '\0';
	if (len && han_fast(n, s, len, out))
		return ZHFTS_OK;
	bool ascii = true;
	for (size_t i = 0; i < len && ascii; i++)
		ascii = (unsigned char)s[i] < 0x80;
	if (ascii) {
		/* NFKC_Casefold of ASCII is ASCII lower case. */
		for (size_t i = 0; i < len; i++) {
			char c = s[i];
			out->data[i] = (n->normalize && c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
		}
		out->len = len;
		out->data[len] = '\0';
		return ZHFTS_OK;
	}
	if (len > INT32_MAX / 4)
		return ZHFTS_ELIMIT;
	UErrorCode e = U_ZERO_ERROR;
	int32_t n16 = 0;
	if (ensure16(n, len + 1))
		return ZHFTS_ENOMEM;
	u_strFromUTF8(n->u16a, (int32_t)n->u16cap, &n16, s, (int32_t)len, &e);
	if (U_FAILURE(e))
		return ZHFTS_EENCODING;
	const UChar *src = n->u16a;
	int32_t srclen = n16;
	if (n->normalize) {
		int32_t need = unorm2_normalize(n->nfkc_cf, n->u16a, n16, n->u16b, (int32_t)n->u16cap, &e);
		if (e == U_BUFFER_OVERFLOW_ERROR) {
			/* NFKC can expand (e.g. ㍻); grow and redo from the UTF-8. */
			size_t keep = (size_t)n16;
			UChar *copy = malloc(keep * sizeof(UChar));
			if (!copy || ensure16(n, (size_t)need + 1)) {
				free(copy);
				return ZHFTS_ENOMEM;
			}
			memcpy(copy, n->u16a, keep * sizeof(UChar));
			e = U_ZERO_ERROR;
			need = unorm2_normalize(n->nfkc_cf, copy, (int32_t)keep, n->u16b, (int32_t)n->u16cap, &e);
			free(copy);
		}
		if (U_FAILURE(e))
			return ZHFTS_ERROR;
		src = n->u16b;
		srclen = need;
	}
	return emit(n, src, srclen, out);
}
