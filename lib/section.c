/*
 * Stage 2b: paragraphs -> section paths.
 *
 * A heading is a one-line paragraph that is either numbered (`一、`, `（二）`,
 * `(3)`, `4.`, `第三章`, or a short word and a number: `任务 3`, `亮点 1`,
 * `回顾 2019`) or short, without sentence punctuation and mostly Han.  Each
 * numbering style has a rank, as Chinese official documents nest them:
 * 第X章 > 第X节 > 一、 and `任务 3` > （一） > 1. > (1).  A numbered heading
 * closes every open level of its rank or deeper and opens its own.  An
 * unnumbered heading is the title of the numbered heading just above it
 * (`任务 2` › `聚焦科学城建设`), or a sibling of the unnumbered heading
 * before it.  Unnumbered headings have no white space inside.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>

#include "zhfts-private.h"

#define MAX_HEADING_CHARS 40
#define MAX_UNNUMBERED_CHARS 30
#define MAX_DEPTH 8

typedef struct cps {
	UChar32 c[MAX_HEADING_CHARS + 2];
	size_t n;
} cps;

static bool is_space(UChar32 c)
{
	return u_hasBinaryProperty(c, UCHAR_WHITE_SPACE) || c == 0x200b || c == 0xfeff;
}

static bool is_han(UChar32 c)
{
	UErrorCode e = U_ZERO_ERROR;
	return uscript_getScript(c, &e) == USCRIPT_HAN;
}

static bool is_cn_numeral(UChar32 c)
{
	static const char *const digits = "〇零一二三四五六七八九十百千两";
	const char *p = digits;
	while (*p) {
		UChar32 d;
		int32_t i = 0;
		U8_NEXT((const uint8_t *)p, i, 4, d);
		if (c == d)
			return true;
		p += i;
	}
	return false;
}

static bool is_digit(UChar32 c)
{
	return u_isdigit(c);
}

/* Decodes a trimmed line into code points; false if it is too long, spans
 * several lines, or is not valid UTF-8. */
static bool decode_line(const char *s, size_t len, cps *out)
{
	out->n = 0;
	size_t i = 0;
	while (i < len) {
		UChar32 c;
		int32_t k = 0, n = len - i > 4 ? 4 : (int32_t)(len - i);
		U8_NEXT((const uint8_t *)s + i, k, n, c);
		if (c < 0 || c == '\n' || c == '\r')
			return false;
		i += (size_t)k;
		if (out->n == 0 && is_space(c))
			continue;
		if (out->n >= MAX_HEADING_CHARS + 1)
			return false;
		out->c[out->n++] = c;
	}
	while (out->n && is_space(out->c[out->n - 1]))
		out->n--;
	return out->n > 0 && out->n <= MAX_HEADING_CHARS;
}

static bool sentence_end(UChar32 c)
{
	return c == 0x3002 || c == 0xff01 || c == 0xff1f || c == 0xff1b || c == 0xff1a ||
	       c == 0xff0c || c == 0x3001 || c == '.' || c == '!' || c == '?' || c == ';' ||
	       c == ':' || c == ',' || c == 0x2026;
}

/* Length of a run of numerals (Chinese or digits) at i. */
static size_t numerals(const cps *l, size_t i, bool cn)
{
	size_t j = i;
	while (j < l->n && (cn ? is_cn_numeral(l->c[j]) : is_digit(l->c[j])))
		j++;
	return j - i;
}

static int family(const cps *l, char *key, size_t cap)
{
	size_t n;
	UChar32 last = l->c[l->n - 1];
	if (sentence_end(last))
		return 0;
	/* 第三章, 第2节, 第一部分 */
	if (l->c[0] == 0x7b2c /* 第 */ && l->n >= 3) {
		n = numerals(l, 1, true);
		if (!n)
			n = numerals(l, 1, false);
		if (n && 1 + n < l->n) {
			UChar32 u = l->c[1 + n];
			if (u == 0x7ae0 || u == 0x8282 || u == 0x7bc7 || u == 0x7f16 || u == 0x90e8) {
				char ub[8];
				int32_t k = 0;
				U8_APPEND_UNSAFE((uint8_t *)ub, k, u);
				snprintf(key, cap, "di-%.*s", (int)k, ub);
				return 2;
			}
		}
	}
	/* 一、 and 1、 1. 1． */
	for (int cn = 1; cn >= 0; cn--) {
		n = numerals(l, 0, cn);
		if (n && n < l->n) {
			UChar32 p = l->c[n];
			bool next_digit = n + 1 < l->n && is_digit(l->c[n + 1]);
			if (p == 0x3001 /* 、 */ || ((p == '.' || p == 0xff0e) && !cn && !next_digit)) {
				snprintf(key, cap, "%s%s", cn ? "cn" : "num", p == 0x3001 ? "-dun" : "-dot");
				return 2;
			}
		}
	}
	/* （二） (2) */
	if (l->c[0] == '(' || l->c[0] == 0xff08) {
		for (int cn = 1; cn >= 0; cn--) {
			n = numerals(l, 1, cn);
			if (n && 1 + n < l->n && (l->c[1 + n] == ')' || l->c[1 + n] == 0xff09)) {
				snprintf(key, cap, "%s-paren", cn ? "cn" : "num");
				return 2;
			}
		}
	}
	/* 任务 3, 亮点 1, 回顾 2019: up to four Han characters and a number. */
	size_t h = 0;
	while (h < l->n && h < 5 && is_han(l->c[h]) && !is_cn_numeral(l->c[h]))
		h++;
	if (h >= 1 && h <= 4) {
		size_t j = h;
		while (j < l->n && is_space(l->c[j]))
			j++;
		n = numerals(l, j, false);
		if (!n && j > h)
			n = numerals(l, j, true);
		if (n && (j + n == l->n || is_space(l->c[j + n]))) {
			snprintf(key, cap, "word-num");
			return 2;
		}
	}
	/* Unnumbered: short, no punctuation but quotes, dashes and brackets. */
	if (l->n > MAX_UNNUMBERED_CHARS)
		return 0;
	size_t han = 0;
	for (size_t i = 0; i < l->n; i++) {
		UChar32 c = l->c[i];
		if (is_han(c)) {
			han++;
		} else if (is_space(c)) {
			return 0; /* "区长　林某": a name line, not a title */
		} else if (!(u_isalnum(c) || c == 0x300a || c == 0x300b || c == 0x201c ||
		             c == 0x201d || c == 0x2014 || c == 0xb7 || c == '-' || c == '(' ||
		             c == ')' || c == 0xff08 || c == 0xff09 || c == 0x3001 || c == '"')) {
			return 0;
		}
	}
	if (han < 2 || 2 * han < l->n)
		return 0;
	snprintf(key, cap, "title");
	return 1;
}

int zhfts__heading_family(const char *s, size_t len, char *key, size_t keycap)
{
	cps l;
	if (!decode_line(s, len, &l))
		return 0;
	return family(&l, key, keycap);
}

/* The heading's title: trimmed, inner white space runs as one space. */
static char *title_of(const char *s, size_t len)
{
	zbuf b = {0};
	bool space = false;
	size_t i = 0;
	while (i < len) {
		UChar32 c;
		int32_t k = 0, n = len - i > 4 ? 4 : (int32_t)(len - i);
		U8_NEXT((const uint8_t *)s + i, k, n, c);
		if (c >= 0 && is_space(c)) {
			space = b.len > 0;
		} else {
			if (space && zbuf_addc(&b, ' '))
				break;
			space = false;
			if (zbuf_add(&b, s + i, (size_t)k))
				break;
		}
		i += (size_t)k;
	}
	return zbuf_detach(&b);
}

/* How deep a numbering style nests. */
static int rank_of(const char *key)
{
	static const struct { const char *key; int rank; } ranks[] = {
		{"di-章", 0}, {"di-篇", 0}, {"di-编", 0}, {"di-部", 0}, {"di-节", 1},
		{"word-num", 2}, {"cn-dun", 2}, {"cn-paren", 3}, {"num-dot", 4}, {"num-dun", 4},
		{"num-paren", 5},
	};
	for (size_t i = 0; i < sizeof ranks / sizeof ranks[0]; i++)
		if (!strcmp(ranks[i].key, key))
			return ranks[i].rank;
	return 6;
}

typedef struct level {
	char key[32];
	bool numbered;
	char *title;
} level;

int zhfts__assign_sections(zparas *ps, const char *text)
{
	level st[MAX_DEPTH];
	size_t depth = 0;
	int rc = ZHFTS_OK;
	for (size_t i = 0; i < ps->n && rc == ZHFTS_OK; i++) {
		zpara *p = &ps->items[i];
		char key[32];
		int fam = zhfts__heading_family(text + p->start, p->end - p->start, key, sizeof key);
		if (fam) {
			char *title = title_of(text + p->start, p->end - p->start);
			if (!title) {
				rc = ZHFTS_ENOMEM;
				break;
			}
			size_t at = depth;
			if (fam >= 2) {
				int r = rank_of(key);
				at = 0;
				while (at < depth && st[at].numbered && rank_of(st[at].key) < r)
					at++;
			} else if (at > 0 && !st[at - 1].numbered) {
				at--;
			}
			if (at >= MAX_DEPTH)
				at = MAX_DEPTH - 1;
			for (size_t k = at; k < depth; k++)
				free(st[k].title);
			snprintf(st[at].key, sizeof st[at].key, "%s", key);
			st[at].numbered = fam >= 2;
			st[at].title = title;
			depth = at + 1;
			p->heading = true;
		}
		zbuf path = {0};
		for (size_t k = 0; k < depth && rc == ZHFTS_OK; k++) {
			if (k)
				rc = zbuf_adds(&path, ZHFTS_SECTION_SEP);
			rc = rc ? rc : zbuf_adds(&path, st[k].title);
		}
		p->section = rc ? NULL : zbuf_detach(&path);
		if (!p->section)
			rc = ZHFTS_ENOMEM;
		zbuf_free(&path);
	}
	for (size_t k = 0; k < depth; k++)
		free(st[k].title);
	return rc;
}
