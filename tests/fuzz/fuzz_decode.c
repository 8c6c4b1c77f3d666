/*
 * Fuzz target: charset detection and decoding (zhfts__decode), paragraph
 * splitting (zhfts__split_paragraphs) and section paths
 * (zhfts__assign_sections).
 *
 * Input: one control byte (bits 0-2 the charset to ask for, bit 3 lenient,
 * bit 4 line mode), then the document bytes.
 */
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
