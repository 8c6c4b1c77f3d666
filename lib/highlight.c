/*
 * Highlighting, a consumer of the match: a hit's spans and snippet, made
 * only when asked for.
 *
 * The paragraph is tokenized again (the same units as the index), and each
 * positive keyword's unit sequence (plan.c) is looked for in it; a match
 * covers the original bytes of its first to last unit, so offsets never
 * drift whatever normalization did.
 */
#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include "zhfts-private.h"

static int add_span(zspans *s, size_t off, size_t len)
{
	void *p = s->items;
	if (zvec_grow(&p, &s->cap, s->n + 1, sizeof(zhfts_span)))
		return ZHFTS_ENOMEM;
	s->items = p;
	s->items[s->n++] = (zhfts_span){off, len};
	return ZHFTS_OK;
}

static int by_offset(const void *a, const void *b)
{
	const zhfts_span *x = a, *y = b;
	return x->offset < y->offset ? -1 : x->offset > y->offset ? 1 : 0;
}

/* Does the keyword (units joined by 0x1f) match units starting at i? */
static bool match_at(const zunits *us, size_t i, const char *kw, size_t kwlen, size_t *nunits)
{
	size_t k = 0, n = 0;
	while (k <= kwlen) {
		const char *e = memchr(kw + k, '\x1f', kwlen - k);
		size_t l = e ? (size_t)(e - (kw + k)) : kwlen - k;
		if (i + n >= us->n || us->u[i + n].len != l || memcmp(zunit_text(us, i + n), kw + k, l))
			return false;
		n++;
		k += l + 1;
	}
	*nunits = n;
	return true;
}

int zhfts__find_spans(struct zhfts_tokenizer *tok, const zkeyword *kw, size_t nkw, const char *text,
                      size_t len, zunits *us, zspans *out)
{
	out->n = 0;
	if (!nkw)
		return ZHFTS_OK;
	zhfts__units_reset(us);
	int rc = zhfts__units_fast(tok, text, len, us);
	for (size_t i = 0; rc == ZHFTS_OK && i < us->n; i++) {
		for (size_t k = 0; rc == ZHFTS_OK && k < nkw; k++) {
			size_t n;
			if (match_at(us, i, kw[k].units, kw[k].len, &n)) {
				const zunit *a = &us->u[i], *b = &us->u[i + n - 1];
				size_t end = (size_t)b->src_off + b->src_len;
				rc = add_span(out, a->src_off, end > a->src_off ? end - a->src_off : 0);
			}
		}
	}
	if (rc || !out->n)
		return rc;
	qsort(out->items, out->n, sizeof *out->items, by_offset);
	size_t m = 0;
	for (size_t i = 0; i < out->n; i++) {
		zhfts_span s = out->items[i];
		if (m && s.offset <= out->items[m - 1].offset + out->items[m - 1].length) {
			size_t end = s.offset + s.length, prev = out->items[m - 1].offset + out->items[m - 1].length;
			if (end > prev)
				out->items[m - 1].length = end - out->items[m - 1].offset;
		} else {
			out->items[m++] = s;
		}
	}
	out->n = m;
	return ZHFTS_OK;
}

static size_t cp_len(const char *s, size_t i, size_t len)
{
	size_t j = i + 1;
	while (j < len && ((unsigned char)s[j] & 0xc0) == 0x80)
		j++;
	return j - i;
}

static size_t back_chars(const char *s, size_t i, size_t n)
{
	while (i > 0 && n > 0) {
		i--;
		while (i > 0 && ((unsigned char)s[i] & 0xc0) == 0x80)
			i--;
		n--;
	}
	return i;
}

static size_t forward_chars(const char *s, size_t i, size_t len, size_t n)
{
	while (i < len && n > 0) {
		i += cp_len(s, i, len);
		n--;
	}
	return i;
}

static bool space_at(const char *s, size_t i, size_t len, size_t *n)
{
	UChar32 c;
	int32_t k = 0, lim = len - i > 4 ? 4 : (int32_t)(len - i);
	U8_NEXT((const uint8_t *)s + i, k, lim, c);
	*n = (size_t)k;
	return c >= 0 && (u_hasBinaryProperty(c, UCHAR_WHITE_SPACE) || c == 0xfeff);
}

int zhfts__make_snippet(zbuf *out, const char *text, size_t len, const zspans *spans,
                        const char *open, const char *close, size_t ctx)
{
	out->len = 0;
	size_t start = 0, end;
	if (spans->n) {
		start = back_chars(text, spans->items[0].offset, ctx);
		end = forward_chars(text, spans->items[0].offset + spans->items[0].length, len, ctx);
	} else {
		end = forward_chars(text, 0, len, 2 * ctx);
	}
	size_t n;
	while (start < end && space_at(text, start, len, &n))
		start += n;
	int rc = start > 0 ? zbuf_adds(out, "\xe2\x80\xa6") : zbuf_reserve(out, 0);
	size_t si = 0;
	bool inside = false, pending_space = false, pending_break = false, last_ascii = false;
	/* Spans that began before the window. */
	while (si < spans->n && spans->items[si].offset + spans->items[si].length <= start)
		si++;
	for (size_t i = start; rc == ZHFTS_OK && i < end;) {
		if (inside && i >= spans->items[si].offset + spans->items[si].length) {
			rc = zbuf_adds(out, close);
			inside = false;
			si++;
		}
		if (space_at(text, i, len, &n)) {
			pending_space = true;
			pending_break = pending_break || text[i] == '\n' || text[i] == '\r';
			i += n;
			continue;
		}
		/* White space runs become one space; a line break between two
		 * Han characters (hard-wrapped Chinese) becomes nothing. */
		bool ascii = (unsigned char)text[i] < 0x80;
		if (pending_space && rc == ZHFTS_OK && out->len && (!pending_break || ascii || last_ascii))
			rc = zbuf_addc(out, ' ');
		pending_space = pending_break = false;
		last_ascii = ascii;
		if (rc == ZHFTS_OK && !inside && si < spans->n && i >= spans->items[si].offset) {
			rc = zbuf_adds(out, open);
			inside = true;
		}
		n = cp_len(text, i, len);
		rc = rc ? rc : zbuf_add(out, text + i, n);
		i += n;
	}
	if (rc == ZHFTS_OK && inside)
		rc = zbuf_adds(out, close);
	if (rc == ZHFTS_OK && end < len)
		rc = zbuf_adds(out, "\xe2\x80\xa6");
	return rc;
}
