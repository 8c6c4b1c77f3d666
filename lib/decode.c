/*
 * Stage 1: bytes -> valid UTF-8.
 *
 * Valid UTF-8 is used in place (no copy).  Anything else (another charset,
 * or UTF-8 with replacements in lenient mode) is converted into a new
 * buffer; the input offsets of line starts and line ends are kept as
 * checkpoints, which is all that paragraph offsets need.
 *
 * Which charset, when the caller names none.  A charset is guessed only on
 * evidence that holds; when in doubt the document is refused, never read
 * as something it may not be:
 *
 *  1. A byte order mark decides: EF BB BF is UTF-8, 00 00 FE FF UTF-32BE,
 *     FF FE 00 00 UTF-32LE, FF FE UTF-16LE, FE FF UTF-16BE.
 *  2. Valid UTF-8 is UTF-8.
 *  3. Anything else is UTF-8 with bad bytes (refused with the offset of the
 *     first bad byte, or decoded leniently with U+FFFD) unless it is clearly
 *     not UTF-8: more than 32 of its bytes lie outside valid UTF-8 sequences
 *     (counting each invalid byte and resuming at the next), and the bytes
 *     of valid multi-byte sequences are at most twice as many.  A bad byte
 *     spoils at most the one sequence it falls in, 4 bytes, so UTF-8 with up
 *     to 8 bad bytes is never taken for another charset, and a short input
 *     (32 or fewer non-UTF-8 bytes) is never guessed at.
 *  4. Clearly-not-UTF-8 input is UTF-32 (LE or BE) when its length is a
 *     multiple of 4 and the units fit: each a Unicode scalar value, no
 *     control other than TAB, LF, VT, FF, CR, no U+FFFE or U+FFFF, and at
 *     least 95% of the characters from the ranges Chinese text uses
 *     (cjk_ranges below).
 *  5. Else it is UTF-16 (LE or BE) when its length is even and the units
 *     fit: surrogates paired, the same control and range rules, and the
 *     byte pattern of real UTF-16 -- fewer than half of the code units are
 *     two printable ASCII bytes (ASCII text read as UTF-16 would be), and at
 *     most an eighth are U+xx00 other than U+3000 (ASCII in the other byte
 *     order would be).  Exactly one byte order must fit.  ICU's detector is
 *     never asked about UTF-16 or UTF-32.
 *  6. Else it is the legacy charset ICU's detector ranks highest among
 *     GB18030, Big5, EUC-JP, Shift_JIS and EUC-KR, if the detector's
 *     confidence is at least 50 and the whole input converts from it
 *     without a single error.
 *  7. Else nothing is guessed: refused (strict) or decoded as UTF-8 with
 *     U+FFFD (lenient).
 *
 * A refusal names the first invalid UTF-8 byte: "invalid UTF-8 at byte
 * offset N; name the charset, or decode leniently to replace bad bytes with
 * U+FFFD".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <unicode/ucnv.h>
#include <unicode/ucsdet.h>
#include <unicode/utf8.h>

#include "zhfts-private.h"

size_t zhfts__utf8_check(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < len) {
		unsigned char c = p[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t need;
		uint32_t cp, min;
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1; cp = c & 0x1f; min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2; cp = c & 0x0f; min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3; cp = c & 0x07; min = 0x10000;
		} else {
			return i;
		}
		if (len - i <= need)
			return i;
		for (size_t k = 1; k <= need; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return i;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return i;
		i += need + 1;
	}
	return len;
}

static int map_add(zdecoded *d, size_t utf8, size_t orig)
{
	if (d->map_len == d->map_cap) {
		size_t cap = d->map_cap;
		void *a = d->map_utf8, *b = d->map_orig;
		if (zvec_grow(&a, &cap, d->map_len + 1, sizeof(size_t)))
			return ZHFTS_ENOMEM;
		d->map_utf8 = a;
		cap = d->map_cap;
		if (zvec_grow(&b, &cap, d->map_len + 1, sizeof(size_t)))
			return ZHFTS_ENOMEM;
		d->map_orig = b;
		d->map_cap = cap;
	}
	d->map_utf8[d->map_len] = utf8;
	d->map_orig[d->map_len] = orig;
	d->map_len++;
	return ZHFTS_OK;
}

size_t zhfts__decoded_orig(const zdecoded *d, size_t off)
{
	if (!d->map_len)
		return off + d->shift;
	/* Last checkpoint at or before off. */
	size_t lo = 0, hi = d->map_len;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (d->map_utf8[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	return d->map_orig[lo] + (off - d->map_utf8[lo]);
}

void zhfts__decoded_free(zdecoded *d)
{
	free(d->owned);
	free(d->map_utf8);
	free(d->map_orig);
	memset(d, 0, sizeof *d);
}

static bool is_utf8_name(const char *n)
{
	return !strcasecmp(n, "UTF-8") || !strcasecmp(n, "UTF8");
}

/* ---- the evidence ---------------------------------------------------------- */

/* Step 3's thresholds: more than GUESS_MIN_BAD bytes outside valid UTF-8,
 * and valid multi-byte bytes at most GUESS_MAX_MULTI times as many. */
enum { GUESS_MIN_BAD = 32, GUESS_MAX_MULTI = 2 };

/* Bytes outside valid UTF-8 sequences (each invalid byte counted, and the
 * scan resumed at the next byte) and bytes inside valid multi-byte ones. */
static void utf8_census(const char *s, size_t len, size_t *bad, size_t *multi)
{
	*bad = *multi = 0;
	size_t i = 0;
	while (i < len) {
		size_t ok = zhfts__utf8_check(s + i, len - i);
		for (size_t k = i; k < i + ok; k++)
			*multi += (unsigned char)s[k] >= 0x80;
		i += ok;
		if (i < len) {
			(*bad)++;
			i++;
		}
	}
}

static bool clearly_not_utf8(const char *s, size_t len)
{
	size_t bad, multi;
	utf8_census(s, len, &bad, &multi);
	return bad > GUESS_MIN_BAD && multi <= GUESS_MAX_MULTI * bad;
}

/* The characters Chinese documents are written with. */
static const struct { uint32_t lo, hi; } cjk_ranges[] = {
	{0x09, 0x0d},       /* TAB LF VT FF CR */
	{0x20, 0x7e},       /* ASCII */
	{0xa0, 0x2ff},      /* Latin-1, Latin Extended (pinyin), spacing modifiers */
	{0x370, 0x4ff},     /* Greek, Cyrillic */
	{0x2000, 0x27bf},   /* punctuation, letterlike, number forms, arrows, math, enclosed, box, shapes, symbols */
	{0x2e80, 0x9fff},   /* radicals, CJK punctuation, kana, bopomofo, enclosed, compatibility, Ext A, unified */
	{0xf900, 0xfaff},   /* compatibility ideographs */
	{0xfe10, 0xfe6f},   /* vertical, compatibility and small forms */
	{0xff00, 0xffef},   /* half- and full-width forms */
	{0x1f100, 0x1faff}, /* enclosed supplements, emoji */
	{0x20000, 0x3ffff}, /* Ext B and later */
};

static bool cjk_char(uint32_t c)
{
	for (size_t i = 0; i < sizeof cjk_ranges / sizeof *cjk_ranges; i++)
		if (c >= cjk_ranges[i].lo && c <= cjk_ranges[i].hi)
			return true;
	return false;
}

/* Never in text: C0 and C1 controls but TAB LF VT FF CR; U+FFFE, U+FFFF. */
static bool forbidden_char(uint32_t c)
{
	return (c < 0x20 && (c < 0x09 || c > 0x0d)) || (c >= 0x7f && c <= 0x9f) || c == 0xfffe ||
	       c == 0xffff;
}

static uint32_t unit16(const unsigned char *p, bool be)
{
	return be ? (uint32_t)p[0] << 8 | p[1] : (uint32_t)p[1] << 8 | p[0];
}

static uint32_t unit32(const unsigned char *p, bool be)
{
	return be ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
	          : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* Step 4 for one byte order. */
static bool utf32_fits(const unsigned char *u, size_t len, bool be)
{
	if (len == 0 || len % 4)
		return false;
	size_t chars = len / 4, fit = 0;
	for (size_t i = 0; i < len; i += 4) {
		uint32_t c = unit32(u + i, be);
		if (c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff) || forbidden_char(c))
			return false;
		fit += cjk_char(c);
	}
	return 20 * fit >= 19 * chars;
}

/* Step 5 for one byte order. */
static bool utf16_fits(const unsigned char *u, size_t len, bool be)
{
	if (len == 0 || len % 2)
		return false;
	size_t units = len / 2, chars = 0, fit = 0, ascii_pairs = 0, swapped = 0;
	for (size_t i = 0; i < units; i++) {
		uint32_t c = unit16(u + 2 * i, be);
		if (c >= 0xdc00 && c <= 0xdfff)
			return false;
		if (c >= 0xd800 && c <= 0xdbff) {
			uint32_t lo = i + 1 < units ? unit16(u + 2 * (i + 1), be) : 0;
			if (lo < 0xdc00 || lo > 0xdfff)
				return false;
			c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
			i++;
		}
		if (forbidden_char(c))
			return false;
		chars++;
		fit += cjk_char(c);
	}
	if (20 * fit < 19 * chars)
		return false;
	/* The byte pattern, over all code units. */
	for (size_t i = 0; i < units; i++) {
		const unsigned char *p = u + 2 * i;
		uint32_t c = unit16(p, be);
		ascii_pairs += p[0] >= 0x20 && p[0] <= 0x7e && p[1] >= 0x20 && p[1] <= 0x7e;
		swapped += (c & 0xff) == 0 && c != 0x3000;
	}
	return 2 * ascii_pairs < units && 8 * swapped <= units;
}

/* Steps 4 and 5: the UTF-32 or UTF-16 the bytes fit, or NULL. */
static const char *unicode_fits(const char *data, size_t len)
{
	const unsigned char *u = (const unsigned char *)data;
	bool le = utf32_fits(u, len, false), be = utf32_fits(u, len, true);
	if (le != be)
		return le ? "UTF-32LE" : "UTF-32BE";
	if (le)
		return NULL;
	le = utf16_fits(u, len, false);
	be = utf16_fits(u, len, true);
	if (le != be)
		return le ? "UTF-16LE" : "UTF-16BE";
	return NULL;
}

/* Converts from `cs` (or lenient UTF-8 when cs is NULL) starting at `start`. */
static int convert(zdecoded *d, const char *data, size_t len, size_t start, const char *cs,
                   bool lenient, zerr *err)
{
	UErrorCode uerr = U_ZERO_ERROR;
	UConverter *cnv = NULL;
	if (cs) {
		cnv = ucnv_open(cs, &uerr);
		if (U_FAILURE(uerr)) {
			if (cnv)
				ucnv_close(cnv);
			return zerr_set_at(err, ZHFTS_EENCODING, ZHFTS_WHERE_OPTION, -1, "unknown charset '%s'", cs);
		}
		ucnv_setToUCallBack(cnv, UCNV_TO_U_CALLBACK_STOP, NULL, NULL, NULL, &uerr);
	}
	zbuf out = {0};
	int rc = zbuf_reserve(&out, len + len / 2 + 4);
	rc = rc ? rc : map_add(d, 0, start);
	const char *src = data + start, *limit = data + len;
	while (rc == ZHFTS_OK && src < limit) {
		size_t before = (size_t)(src - data);
		UChar32 c;
		if (cnv) {
			uerr = U_ZERO_ERROR;
			c = ucnv_getNextUChar(cnv, &src, limit, &uerr);
			if (U_FAILURE(uerr)) {
				if (!lenient) {
					rc = zerr_set_at(err, ZHFTS_EENCODING, ZHFTS_WHERE_DOCUMENT, (long long)before,
					                 "invalid %s bytes at byte offset %zu", cs, before);
					break;
				}
				ucnv_resetToUnicode(cnv);
				if (src == data + before)
					src++;
				c = 0xfffd;
			}
		} else {
			int32_t i = 0, n = (int32_t)((size_t)(limit - src) > INT32_MAX ? INT32_MAX : limit - src);
			U8_NEXT((const uint8_t *)src, i, n, c);
			src += i;
			if (c < 0)
				c = 0xfffd;
		}
		size_t utf8_before = out.len;
		char tmp[4];
		int32_t k = 0;
		UBool bad = 0;
		U8_APPEND((uint8_t *)tmp, k, 4, c, bad);
		if (bad)
			tmp[0] = '?', k = 1;
		rc = zbuf_add(&out, tmp, (size_t)k);
		if (rc == ZHFTS_OK && (c == '\n' || c == '\r')) {
			rc = map_add(d, utf8_before, before);
			rc = rc ? rc : map_add(d, out.len, (size_t)(src - data));
		}
	}
	if (rc == ZHFTS_OK)
		rc = map_add(d, out.len, len);
	if (cnv)
		ucnv_close(cnv);
	if (rc) {
		zbuf_free(&out);
		return rc;
	}
	d->len = out.len;
	d->owned = zbuf_detach(&out);
	d->text = d->owned;
	return ZHFTS_OK;
}

/* Step 6's detector ranking: ICU's most confident legacy charset, if its
 * confidence is at least 50; "" if none. */
static int detect_legacy(const char *data, size_t len, char *name, size_t cap, zerr *err)
{
	static const char *const legacy[] = {"GB18030", "Big5", "EUC-JP", "Shift_JIS", "EUC-KR"};
	*name = '\0';
	UErrorCode uerr = U_ZERO_ERROR;
	UCharsetDetector *det = ucsdet_open(&uerr);
	if (U_FAILURE(uerr))
		return zerr_set(err, ZHFTS_ERROR, "charset detector: %s", u_errorName(uerr));
	/* The detector reads an int32 length; a prefix is plenty. */
	int32_t n = len > (1u << 20) ? (1 << 20) : (int32_t)len;
	ucsdet_setText(det, data, n, &uerr);
	int32_t nmatches = 0;
	const UCharsetMatch **m = ucsdet_detectAll(det, &nmatches, &uerr);
	for (int32_t i = 0; U_SUCCESS(uerr) && m && i < nmatches; i++) {
		const char *cs = ucsdet_getName(m[i], &uerr);
		bool known = false;
		for (size_t k = 0; cs && k < sizeof legacy / sizeof *legacy; k++)
			known = known || !strcmp(cs, legacy[k]);
		if (!known)
			continue;
		if (ucsdet_getConfidence(m[i], &uerr) >= 50 && U_SUCCESS(uerr))
			snprintf(name, cap, "%s", cs);
		break;
	}
	ucsdet_close(det);
	return ZHFTS_OK;
}

static int in_place(zdecoded *d, const char *data, size_t len, size_t start)
{
	snprintf(d->encoding, sizeof d->encoding, "UTF-8");
	d->text = data + start;
	d->len = len - start;
	d->shift = start;
	return ZHFTS_OK;
}

/* Converts from cs; the charset is recorded on success. */
static int convert_as(zdecoded *d, const char *data, size_t len, size_t start, const char *cs,
                      bool lenient, zerr *err)
{
	int rc = convert(d, data, len, start, cs, lenient, err);
	if (rc == ZHFTS_OK)
		snprintf(d->encoding, sizeof d->encoding, "%s", cs ? cs : "UTF-8");
	return rc;
}

static const char *const guess_hint = "name the charset, or decode leniently to replace bad bytes with U+FFFD";

/* No charset named: steps 1-7 of the rule at the top. */
static int decode_detect(zdecoded *d, const char *data, size_t len, bool lenient, zerr *err)
{
	const unsigned char *u = (const unsigned char *)data;
	if (len >= 3 && u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf) {
		size_t bad = zhfts__utf8_check(data + 3, len - 3);
		if (bad == len - 3)
			return in_place(d, data, len, 3);
		if (!lenient)
			return zerr_set_at(err, ZHFTS_EENCODING, ZHFTS_WHERE_DOCUMENT, (long long)(3 + bad),
			                "invalid UTF-8 at byte offset %zu; %s", 3 + bad, guess_hint);
		return convert_as(d, data, len, 3, NULL, true, err);
	}
	if (len >= 4 && u[0] == 0 && u[1] == 0 && u[2] == 0xfe && u[3] == 0xff)
		return convert_as(d, data, len, 4, "UTF-32BE", lenient, err);
	if (len >= 4 && u[0] == 0xff && u[1] == 0xfe && u[2] == 0 && u[3] == 0)
		return convert_as(d, data, len, 4, "UTF-32LE", lenient, err);
	if (len >= 2 && u[0] == 0xff && u[1] == 0xfe)
		return convert_as(d, data, len, 2, "UTF-16LE", lenient, err);
	if (len >= 2 && u[0] == 0xfe && u[1] == 0xff)
		return convert_as(d, data, len, 2, "UTF-16BE", lenient, err);

	size_t bad = zhfts__utf8_check(data, len);
	if (bad == len)
		return in_place(d, data, len, 0);
	bool other = clearly_not_utf8(data, len);
	if (other) {
		const char *cs = unicode_fits(data, len);
		if (cs)
			return convert_as(d, data, len, 0, cs, false, err);
		char name[32];
		int rc = detect_legacy(data, len, name, sizeof name, err);
		if (rc)
			return rc;
		if (*name) {
			zerr trial;
			memset(&trial, 0, sizeof trial);
			rc = convert_as(d, data, len, 0, name, false, &trial);
			if (rc == ZHFTS_OK)
				return rc;
			if (rc != ZHFTS_EENCODING)
				return zerr_set(err, rc, "%s", trial.msg);
			/* Not wholly that charset after all: no guess. */
			zhfts__decoded_free(d);
		}
	}
	if (lenient)
		return convert_as(d, data, len, 0, NULL, true, err);
	return zerr_set_at(err, ZHFTS_EENCODING, ZHFTS_WHERE_DOCUMENT, (long long)bad,
	                   "invalid UTF-8 at byte offset %zu%s; %s", bad, other ? ", and no other charset fits" : "",
	                   guess_hint);
}

int zhfts__decode(zdecoded *d, const char *data, size_t len, const char *encoding,
                  bool lenient, zerr *err)
{
	memset(d, 0, sizeof *d);
	if (!encoding || !*encoding)
		return decode_detect(d, data, len, lenient, err);
	const unsigned char *u = (const unsigned char *)data;
	if (is_utf8_name(encoding)) {
		size_t start = len >= 3 && u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf ? 3 : 0;
		size_t bad = zhfts__utf8_check(data + start, len - start);
		if (bad == len - start)
			return in_place(d, data, len, start);
		if (!lenient)
			return zerr_set_at(err, ZHFTS_EENCODING, ZHFTS_WHERE_DOCUMENT, (long long)(start + bad),
			                   "invalid UTF-8 at byte offset %zu", start + bad);
		return convert_as(d, data, len, start, NULL, true, err);
	}
	char cs[32];
	snprintf(cs, sizeof cs, "%s", encoding);
	return convert_as(d, data, len, 0, cs, lenient, err);
}
