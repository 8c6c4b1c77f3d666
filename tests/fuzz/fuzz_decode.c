/*
 * Fuzz target: charset detection and decoding (zhfts__decode), paragraph
 * splitting (zhfts__split_paragraphs) and section paths
 * (zhfts__assign_sections).
 *
 * Input: one control byte (bits 0-2 the charset to ask for, bit 3 lenient,
 * bit 4 line mode), then the document bytes.
 *
 * Besides crash-freedom and the shape of the result, the charset *decision*
 * is checked when none was asked for, against the rule at the top of
 * lib/decode.c recomputed here with this file's own code: a BOM decides;
 * input that is not clearly other than UTF-8 (at most 32 bytes outside valid
 * UTF-8, or multi-byte UTF-8 more than twice that) is refused at the first
 * bad byte or read as UTF-8; an odd length without a BOM is never UTF-16 or
 * UTF-32; UTF-16/32 without a BOM only where their byte rules fit (and
 * wherever they fit); another charset only where ICU converts the whole
 * input from it without an error, to the same text.
 */
#include <unicode/ucnv.h>
#include <unicode/ustring.h>

#include "fuzz-common.h"
#include "zhfts-private.h"

static const char *const charsets[8] = {
	NULL, "UTF-8", "GB18030", "GBK", "UTF-16LE", "UTF-16BE", "Big5", "no-such-charset",
};

static bool is_line_break(char c)
{
	return c == '\n' || c == '\r';
}

static void check_paragraphs(const zdecoded *d, int mode, const char *orig, size_t orig_len)
{
	zparas ps;
	int rc = zhfts__split_paragraphs(&ps, d->text, d->len, mode);
	FZ_CHECK(rc == ZHFTS_OK, "split_paragraphs -> %d", rc);
	size_t prev_end = 0;
	uint64_t prev_orig = 0;
	for (size_t i = 0; i < ps.n; i++) {
		const zpara *p = &ps.items[i];
		FZ_CHECK(p->number == i + 1, "paragraph %zu numbered %u", i, p->number);
		FZ_CHECK(p->start < p->end && p->end <= d->len, "paragraph %zu: [%zu, %zu) of %zu", i, p->start,
		         p->end, d->len);
		FZ_CHECK(i == 0 || p->start > prev_end, "paragraph %zu starts at %zu, before %zu", i, p->start,
		         prev_end);
		FZ_CHECK(fz_is_boundary(d->text, d->len, p->start) && fz_is_boundary(d->text, d->len, p->end),
		         "paragraph %zu [%zu, %zu) cuts a character", i, p->start, p->end);
		FZ_CHECK(!is_line_break(d->text[p->start]) && !is_line_break(d->text[p->end - 1]),
		         "paragraph %zu begins or ends with a line break", i);
		if (mode == ZHFTS_PARAGRAPH_LINE)
			FZ_CHECK(!memchr(d->text + p->start, '\n', p->end - p->start) &&
			             !memchr(d->text + p->start, '\r', p->end - p->start),
			         "line-mode paragraph %zu spans lines", i);
		/* Offsets into the caller's bytes: inside them and in order. */
		size_t os = zhfts__decoded_orig(d, p->start), oe = zhfts__decoded_orig(d, p->end);
		FZ_CHECK(os <= oe && oe <= orig_len && (i == 0 || os >= prev_orig),
		         "paragraph %zu maps to [%zu, %zu) of %zu (previous end %llu)", i, os, oe, orig_len,
		         (unsigned long long)prev_orig);
		if (!d->owned)
			FZ_CHECK(oe - os == p->end - p->start && !memcmp(orig + os, d->text + p->start, oe - os),
			         "in-place paragraph %zu does not map onto its own bytes", i);
		prev_end = p->end;
		prev_orig = oe;
	}
	/* Nothing visible is left out: every ASCII graphic character is inside a paragraph. */
	size_t k = 0;
	for (size_t i = 0; i < d->len; i++) {
		unsigned char c = (unsigned char)d->text[i];
		while (k < ps.n && ps.items[k].end <= i)
			k++;
		bool inside = k < ps.n && ps.items[k].start <= i;
		FZ_CHECK(!(c > 0x20 && c < 0x7f) || inside, "byte %zu ('%c') is in no paragraph", i, c);
	}
	rc = zhfts__assign_sections(&ps, d->text);
	FZ_CHECK(rc == ZHFTS_OK, "assign_sections -> %d", rc);
	for (size_t i = 0; i < ps.n; i++) {
		const char *s = ps.items[i].section;
		FZ_CHECK(s && fz_utf8_valid(s, strlen(s)), "paragraph %zu: section path is not UTF-8", i);
		/* A heading names itself in its path. */
		FZ_CHECK(!ps.items[i].heading || *s, "heading %zu has an empty section path", i);
	}
	zhfts__paras_free(&ps);
}

/* ---- the charset decision, recomputed ------------------------------------ */

static const char *bom_charset(const unsigned char *u, size_t len)
{
	if (len >= 3 && u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf)
		return "UTF-8";
	if (len >= 4 && !memcmp(u, "\0\0\xfe\xff", 4))
		return "UTF-32BE";
	if (len >= 4 && !memcmp(u, "\xff\xfe\0\0", 4))
		return "UTF-32LE";
	if (len >= 2 && u[0] == 0xff && u[1] == 0xfe)
		return "UTF-16LE";
	if (len >= 2 && u[0] == 0xfe && u[1] == 0xff)
		return "UTF-16BE";
	return NULL;
}

/* More than 32 bytes outside valid UTF-8 (each invalid byte counted, the scan
 * resumed after it) and at most twice as many in valid multi-byte sequences. */
static bool clearly_not_utf8(const char *s, size_t len)
{
	size_t bad = 0, multi = 0, i = 0;
	uint32_t cp;
	while (i < len) {
		size_t n = fz_utf8_next((const unsigned char *)s + i, len - i, &cp);
		if (!n) {
			bad++;
			i++;
		} else {
			multi += n > 1 ? n : 0;
			i += n;
		}
	}
	return bad > 32 && multi <= 2 * bad;
}

/* Characters of Chinese text, as the rule lists them. */
static bool cjk(uint32_t c)
{
	return (c >= 0x09 && c <= 0x0d) || (c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0x2ff) ||
	       (c >= 0x370 && c <= 0x4ff) || (c >= 0x2000 && c <= 0x27bf) || (c >= 0x2e80 && c <= 0x9fff) ||
	       (c >= 0xf900 && c <= 0xfaff) || (c >= 0xfe10 && c <= 0xfe6f) || (c >= 0xff00 && c <= 0xffef) ||
	       (c >= 0x1f100 && c <= 0x1faff) || (c >= 0x20000 && c <= 0x3ffff);
}

static bool never_text(uint32_t c)
{
	bool allowed_control = c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
	return (c <= 0x9f && (c < 0x20 || c >= 0x7f) && !allowed_control) || c == 0xfffe || c == 0xffff;
}

/* Do the bytes fit UTF-32 (width 4) or UTF-16 (width 2) in this byte order? */
static bool unicode_fits(const unsigned char *u, size_t len, int width, bool be)
{
	if (!len || len % (size_t)width)
		return false;
	size_t units = len / (size_t)width, chars = 0, cjk_chars = 0, printable_pairs = 0, low_zero = 0;
	uint32_t pending_high = 0;
	for (size_t i = 0; i < units; i++) {
		const unsigned char *p = u + i * (size_t)width;
		uint32_t v = 0;
		for (int k = 0; k < width; k++)
			v = v << 8 | p[be ? k : width - 1 - k];
		if (width == 2) {
			printable_pairs += p[0] >= 0x20 && p[0] < 0x7f && p[1] >= 0x20 && p[1] < 0x7f;
			low_zero += (v & 0xff) == 0 && v != 0x3000;
			if (pending_high) {
				if (v < 0xdc00 || v > 0xdfff)
					return false;
				v = 0x10000 + (pending_high - 0xd800) * 0x400 + (v - 0xdc00);
				pending_high = 0;
			} else if (v >= 0xd800 && v <= 0xdbff) {
				pending_high = v;
				continue;
			}
		}
		if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff) || never_text(v))
			return false;
		chars++;
		cjk_chars += cjk(v);
	}
	if (pending_high)
		return false;
	if (cjk_chars * 100 < chars * 95)
		return false;
	return width == 4 || (printable_pairs * 2 < units && low_zero * 8 <= units);
}

/* The text ICU makes of the whole input with no error tolerated, or NULL. */
static char *icu_strict(const char *cs, const char *s, size_t len, size_t *out_len)
{
	UErrorCode e = U_ZERO_ERROR;
	UConverter *cnv = ucnv_open(cs, &e);
	if (U_FAILURE(e))
		return NULL;
	ucnv_setToUCallBack(cnv, UCNV_TO_U_CALLBACK_STOP, NULL, NULL, NULL, &e);
	UChar *w = malloc((2 * len + 1) * sizeof *w);
	int32_t n = w ? ucnv_toUChars(cnv, w, (int32_t)(2 * len + 1), s, (int32_t)len, &e) : 0;
	ucnv_close(cnv);
	char *out = NULL;
	int32_t m = 0;
	if (w && U_SUCCESS(e) && (out = malloc((size_t)n * 3 + 1)))
		u_strToUTF8(out, n * 3 + 1, &m, w, n, &e);
	free(w);
	if (!out || U_FAILURE(e)) {
		free(out);
		return NULL;
	}
	*out_len = (size_t)m;
	return out;
}

static void check_decision(const char *doc, size_t len, bool lenient, int rc, const zdecoded *d,
                           const char *msg)
{
	const unsigned char *u = (const unsigned char *)doc;
	const char *bom = bom_charset(u, len);
	const char *got = rc == ZHFTS_OK ? d->encoding : "";
	if (rc == ZHFTS_ENOMEM)
		return;
	if (bom) {
		FZ_CHECK(rc != ZHFTS_OK || !strcmp(got, bom), "BOM of %s, decoded as %s", bom, got);
		return;
	}
	size_t bad = fz_utf8_bad(doc, len), at = 0;
	bool is_utf16 = !strncmp(got, "UTF-16", 6), is_utf32 = !strncmp(got, "UTF-32", 6);
	FZ_CHECK(len % 2 == 0 || !(is_utf16 || is_utf32), "odd length (%zu), no BOM, decoded as %s", len, got);
	if (rc != ZHFTS_OK) {
		FZ_CHECK(rc == ZHFTS_EENCODING && bad < len && fz_msg_byte(msg, &at) && at == bad,
		         "refused (%d) '%s', but the first bad UTF-8 byte is at %zu of %zu", rc, msg, bad, len);
		FZ_CHECK(!lenient, "lenient decoding failed: '%s'", msg);
	}
	bool other = clearly_not_utf8(doc, len);
	if (!other) {
		/* UTF-8, perhaps with bad bytes: UTF-8 or refused at the first one. */
		FZ_CHECK(rc != ZHFTS_OK || !strcmp(got, "UTF-8"), "mostly UTF-8, decoded as %s", got);
		return;
	}
	FZ_CHECK(rc != ZHFTS_OK || lenient || strcmp(got, "UTF-8"), "invalid UTF-8 strictly decoded as UTF-8");
	bool f32[2], f16[2];
	for (int be = 0; be < 2; be++) {
		f32[be] = unicode_fits(u, len, 4, be);
		f16[be] = unicode_fits(u, len, 2, be);
	}
	const char *want = f32[0] != f32[1] ? (f32[1] ? "UTF-32BE" : "UTF-32LE")
	                   : f32[0]         ? NULL
	                   : f16[0] != f16[1] ? (f16[1] ? "UTF-16BE" : "UTF-16LE")
	                                      : NULL;
	if (want) {
		FZ_CHECK(rc == ZHFTS_OK && !strcmp(got, want), "the bytes fit %s only, decoded as %s (%d '%s')", want,
		         got, rc, msg);
		return;
	}
	FZ_CHECK(!is_utf16 && !is_utf32, "decoded as %s without the evidence", got);
	if (rc == ZHFTS_OK && strcmp(got, "UTF-8")) {
		/* A legacy charset: ICU reads the whole input from it, to this text. */
		size_t n = 0;
		char *t = icu_strict(got, doc, len, &n);
		FZ_CHECK(t != NULL, "decoded as %s, which ICU does not convert without errors", got);
		FZ_CHECK(n == d->len && !memcmp(t, d->text, n), "decoded as %s, not to ICU's text", got);
		free(t);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned ctl = data[0];
	const char *cs = charsets[ctl & 7];
	bool lenient = ctl & 8;
	int mode = ctl & 16 ? ZHFTS_PARAGRAPH_LINE : ZHFTS_PARAGRAPH_BLANK_LINE;
	const char *doc = (const char *)data + 1;
	size_t len = size - 1;

	zdecoded d;
	zerr err = {0};
	int rc = zhfts__decode(&d, doc, len, cs, lenient, &err);
	bool valid = fz_utf8_valid(doc, len);
	if ((!cs || !strcmp(cs, "UTF-8")) && valid && !(len >= 2 && (!memcmp(doc, "\xff\xfe", 2) ||
	                                                              !memcmp(doc, "\xfe\xff", 2))))
		FZ_CHECK(rc == ZHFTS_OK && !d.owned, "valid UTF-8 (charset %s) -> %d '%s'", cs ? cs : "detect",
		         rc, err.msg);
	if (cs && !strcmp(cs, "UTF-8") && lenient)
		FZ_CHECK(rc == ZHFTS_OK, "lenient UTF-8 failed: %d '%s'", rc, err.msg);
	if (cs && !strcmp(cs, "no-such-charset"))
		FZ_CHECK(rc == ZHFTS_EENCODING, "unknown charset -> %d", rc);
	if (!cs)
		check_decision(doc, len, lenient, rc, &d, err.msg);
	if (rc == ZHFTS_OK) {
		FZ_CHECK(fz_utf8_valid(d.text, d.len), "decoded text is not valid UTF-8 (charset %s)", d.encoding);
		FZ_CHECK(d.encoding[0], "no charset name");
		check_paragraphs(&d, mode, doc, len);
	} else {
		FZ_CHECK(rc == ZHFTS_EENCODING || rc == ZHFTS_ENOMEM, "decode -> %d", rc);
		FZ_CHECK(err.msg[0], "decode failed (%d) without a message", rc);
		size_t at = 0;
		if (fz_msg_byte(err.msg, &at))
			FZ_CHECK(at <= len, "message names byte %zu of %zu: %s", at, len, err.msg);
	}
	zhfts__decoded_free(&d);
	return 0;
}
