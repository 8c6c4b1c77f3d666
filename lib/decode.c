/*
 * Stage 1: bytes -> valid UTF-8.
 *
 * Valid UTF-8 is used in place (no copy).  Anything else (another charset,
 * or UTF-8 with replacements in lenient mode) is converted into a new
 * buffer; the input offsets of line starts and line ends are kept as
 * checkpoints, which is all that paragraph offsets need.
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

/* Is this invalid UTF-8 really UTF-8 with a few bad bytes?  Yes when valid
 * multi-byte sequences clearly outnumber the invalid ones. */
static bool mostly_utf8(const char *s, size_t len)
{
	size_t valid_multi = 0, invalid = 0, i = 0;
	while (i < len) {
		size_t bad = zhfts__utf8_check(s + i, len - i);
		for (size_t k = i; k < i + bad; k++)
			if ((unsigned char)s[k] >= 0xc0)
				valid_multi++;
		if (i + bad >= len)
			break;
		invalid++;
		i += bad + 1;
	}
	return valid_multi >= 4 * invalid && valid_multi > 0;
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
			return zerr_set(err, ZHFTS_EENCODING, "unknown charset '%s'", cs);
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
					rc = zerr_set(err, ZHFTS_EENCODING, "invalid %s bytes at byte offset %zu",
					              cs, before);
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

static int detect(const char *data, size_t len, char *name, size_t cap, zerr *err)
{
	UErrorCode uerr = U_ZERO_ERROR;
	UCharsetDetector *det = ucsdet_open(&uerr);
	if (U_FAILURE(uerr))
		return zerr_set(err, ZHFTS_ERROR, "charset detector: %s", u_errorName(uerr));
	/* The detector reads an int32 length; a prefix is plenty. */
	int32_t n = len > (1u << 20) ? (1 << 20) : (int32_t)len;
	ucsdet_setText(det, data, n, &uerr);
	const UCharsetMatch *m = ucsdet_detect(det, &uerr);
	int rc = ZHFTS_OK;
	/* Only charsets Chinese text comes in: guessing Latin-1 for a UTF-8
	 * file with a bad byte would index mojibake without a word. */
	static const char *const plausible[] = {"GB18030", "Big5", "UTF-16LE", "UTF-16BE",
	                                        "UTF-32LE", "UTF-32BE", "EUC-JP", "Shift_JIS", "EUC-KR"};
	const char *cs = U_SUCCESS(uerr) && m ? ucsdet_getName(m, &uerr) : NULL;
	int32_t conf = cs ? ucsdet_getConfidence(m, &uerr) : 0;
	bool ok = false;
	for (size_t i = 0; cs && i < sizeof plausible / sizeof *plausible; i++)
		ok = ok || !strcmp(cs, plausible[i]);
	if (!ok || conf < 10) {
		rc = zerr_set(err, ZHFTS_EENCODING,
		              "invalid UTF-8 at byte offset %zu, and no Chinese charset detected "
		              "(best guess %s, confidence %d); name the encoding explicitly",
		              zhfts__utf8_check(data, len), cs ? cs : "none", (int)conf);
	} else {
		snprintf(name, cap, "%s", cs);
	}
	ucsdet_close(det);
	return rc;
}

int zhfts__decode(zdecoded *d, const char *data, size_t len, const char *encoding,
                  bool lenient, zerr *err)
{
	memset(d, 0, sizeof *d);
	const unsigned char *u = (const unsigned char *)data;
	size_t start = 0;
	char cs[32] = "";

	if (encoding && *encoding) {
		snprintf(cs, sizeof cs, "%s", encoding);
		if (is_utf8_name(cs) && len >= 3 && u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf)
			start = 3;
	} else if (len >= 3 && u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf) {
		strcpy(cs, "UTF-8");
		start = 3;
	} else if (len >= 2 && u[0] == 0xff && u[1] == 0xfe) {
		strcpy(cs, "UTF-16LE");
		start = 2;
	} else if (len >= 2 && u[0] == 0xfe && u[1] == 0xff) {
		strcpy(cs, "UTF-16BE");
		start = 2;
	} else if (zhfts__utf8_check(data, len) == len || mostly_utf8(data, len)) {
		strcpy(cs, "UTF-8");
	} else {
		int rc = detect(data, len, cs, sizeof cs, err);
		if (rc)
			return rc;
	}
	snprintf(d->encoding, sizeof d->encoding, "%s", is_utf8_name(cs) ? "UTF-8" : cs);

	if (is_utf8_name(cs)) {
		size_t bad = zhfts__utf8_check(data + start, len - start);
		if (bad == len - start) {
			d->text = data + start;
			d->len = len - start;
			d->shift = start;
			return ZHFTS_OK;
		}
		if (!lenient)
			return zerr_set(err, ZHFTS_EENCODING, "invalid UTF-8 at byte offset %zu", start + bad);
		return convert(d, data, len, start, NULL, true, err);
	}
	return convert(d, data, len, start, cs, lenient, err);
}
