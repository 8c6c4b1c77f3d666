/*
 * Stage 2: UTF-8 text -> paragraphs.
 *
 * A paragraph is a maximal run of non-blank lines (or, in line mode, one
 * non-blank line).  Lines end at LF, CR or CRLF.  A blank line holds only
 * white space, including U+00A0, U+3000 and zero-width spaces.
 */
#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include "zhfts-private.h"

static bool is_blank_char(UChar32 c)
{
	return u_hasBinaryProperty(c, UCHAR_WHITE_SPACE) || c == 0x200b || c == 0x200c ||
	       c == 0x200d || c == 0x2060 || c == 0xfeff;
}

static bool is_blank(const char *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		unsigned char b = (unsigned char)s[i];
		if (b < 0x80) {
			if (b != ' ' && b != '\t' && b != '\v' && b != '\f')
				return false;
			i++;
			continue;
		}
		UChar32 c;
		int32_t k = 0, n = len - i > 4 ? 4 : (int32_t)(len - i);
		U8_NEXT((const uint8_t *)s + i, k, n, c);
		if (c < 0 || !is_blank_char(c))
			return false;
		i += (size_t)k;
	}
	return true;
}

static int push(zparas *ps, size_t start, size_t end)
{
	void *p = ps->items;
	if (zvec_grow(&p, &ps->cap, ps->n + 1, sizeof(zpara)))
		return ZHFTS_ENOMEM;
	ps->items = p;
	zpara *z = &ps->items[ps->n++];
	memset(z, 0, sizeof *z);
	z->start = start;
	z->end = end;
	z->number = (uint32_t)ps->n;
	return ZHFTS_OK;
}

int zhfts__split_paragraphs(zparas *out, const char *text, size_t len, int mode)
{
	memset(out, 0, sizeof *out);
	bool in_para = false;
	size_t para_start = 0, para_end = 0, i = 0;
	while (i <= len) {
		size_t ls = i, le = i;
		while (le < len && text[le] != '\n' && text[le] != '\r')
			le++;
		size_t next = le;
		if (next < len) {
			next += (text[next] == '\r' && next + 1 < len && text[next + 1] == '\n') ? 2 : 1;
		}
		bool blank = is_blank(text + ls, le - ls);
		if (!blank) {
			if (mode == ZHFTS_PARAGRAPH_LINE) {
				if (push(out, ls, le))
					goto oom;
			} else {
				if (!in_para)
					para_start = ls;
				in_para = true;
				para_end = le;
			}
		} else if (in_para) {
			if (push(out, para_start, para_end))
				goto oom;
			in_para = false;
		}
		if (le >= len)
			break;
		i = next;
	}
	if (in_para && push(out, para_start, para_end))
		goto oom;
	return ZHFTS_OK;
oom:
	zhfts__paras_free(out);
	return ZHFTS_ENOMEM;
}

void zhfts__paras_free(zparas *ps)
{
	for (size_t i = 0; i < ps->n; i++)
		free(ps->items[i].section);
	free(ps->items);
	memset(ps, 0, sizeof *ps);
}
