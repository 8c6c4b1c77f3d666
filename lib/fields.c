/*
 * Document fields: names, the normalized and sortable forms of values, and
 * the title and date a report states in its first lines.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include "zhfts-private.h"

bool zhfts__field_name_ok(const char *name, size_t len)
{
	if (len < 1 || len > ZHFTS_MAX_FIELD_NAME || !(name[0] >= 'a' && name[0] <= 'z'))
		return false;
	for (size_t i = 1; i < len; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return !((len == 3 && !memcmp(name, "doc", 3)) || (len == 7 && !memcmp(name, "section", 7)));
}

unsigned zhfts__field_slot(const char *name, size_t len)
{
	/* Slots 0-15 are the library's own; keep clear of Xapian's BAD_VALUENO. */
	return 16u + (unsigned)(zhfts__hash(name, len) % 0x7fff0000u);
}

static bool is_space_at(const char *s, size_t i, size_t len, size_t *n)
{
	UChar32 c;
	int32_t k = 0, lim = len - i > 4 ? 4 : (int32_t)(len - i);
	U8_NEXT((const uint8_t *)s + i, k, lim, c);
	*n = (size_t)(k ? k : 1);
	return c >= 0 && (u_hasBinaryProperty(c, UCHAR_WHITE_SPACE) || c == 0xfeff);
}

int zhfts__field_normalize(struct zhfts_tokenizer *t, const char *v, size_t len, zbuf *out)
{
	int rc = zhfts__normalize(&t->norm, v, len, out);
	if (rc)
		return rc;
	/* Trim white space at both ends. */
	size_t a = 0, b = out->len, n;
	while (a < b && is_space_at(out->data, a, b, &n))
		a += n;
	while (b > a) {
		size_t k = b - 1;
		while (k > a && ((unsigned char)out->data[k] & 0xc0) == 0x80)
			k--;
		if (!is_space_at(out->data, k, b, &n))
			break;
		b = k;
	}
	memmove(out->data, out->data + a, b - a);
	out->len = b - a;
	out->data[out->len] = '\0';
	return ZHFTS_OK;
}

bool zhfts__field_number(const char *s, size_t len, double *num)
{
	size_t i = 0, digits = 0;
	if (i < len && (s[i] == '+' || s[i] == '-'))
		i++;
	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++, digits++;
	if (!digits)
		return false;
	if (i < len && s[i] == '.') {
		size_t frac = 0;
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			frac++;
		if (!frac)
			return false;
	}
	if (i != len || len > 64)
		return false;
	char buf[72];
	memcpy(buf, s, len);
	buf[len] = '\0';
	double d = strtod(buf, NULL);
	if (!isfinite(d))
		return false;
	if (num)
		*num = d;
	return true;
}

int zhfts__field_sortable(const char *norm, size_t len, zbuf *out)
{
	double d;
	out->len = 0;
	if (zhfts__field_number(norm, len, &d)) {
		char enc[9];
		size_t n = zx_sortable_serialise(d, enc);
		if (zbuf_addc(out, 'N') || zbuf_add(out, enc, n))
			return ZHFTS_ENOMEM;
		return ZHFTS_OK;
	}
	if (zbuf_addc(out, 'S') || zbuf_add(out, norm, len))
		return ZHFTS_ENOMEM;
	return ZHFTS_OK;
}

/* The shortest decimal that reads back as d, written without an exponent
 * (as values are given): 2020, 0.5, 0.00000000000000000001. */
static void decimal(double d, char *buf, size_t cap)
{
	char e[40];
	int p = 0;
	for (; p <= 16; p++) {
		snprintf(e, sizeof e, "%.*e", p, d);
		if (strtod(e, NULL) == d)
			break;
	}
	/* e is [-]D[.DDD]e[+-]XX: the digits, and where the point goes. */
	const char *m = e;
	bool neg = *m == '-';
	if (neg)
		m++;
	char digits[24];
	size_t nd = 0;
	for (; *m && *m != 'e' && nd + 1 < sizeof digits; m++)
		if (*m >= '0' && *m <= '9')
			digits[nd++] = *m;
	int exp10 = *m == 'e' ? atoi(m + 1) : 0;
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	size_t o = 0;
	if (neg && !(nd == 1 && digits[0] == '0'))
		buf[o++] = '-';
	if (exp10 >= 0) {
		for (int i = 0; i <= exp10 && o + 2 < cap; i++)
			buf[o++] = (size_t)i < nd ? digits[i] : '0';
		if ((size_t)exp10 + 1 < nd && o + 2 < cap) {
			buf[o++] = '.';
			for (size_t i = (size_t)exp10 + 1; i < nd && o + 1 < cap; i++)
				buf[o++] = digits[i];
		}
	} else {
		buf[o++] = '0';
		buf[o++] = '.';
		for (int i = 0; i < -exp10 - 1 && o + 2 < cap; i++)
			buf[o++] = '0';
		for (size_t i = 0; i < nd && o + 1 < cap; i++)
			buf[o++] = digits[i];
	}
	buf[o] = '\0';
}

int zhfts__field_display(const char *s, size_t len, zbuf *out)
{
	out->len = 0;
	if (len >= 1 && s[0] == 'N') {
		double d = zx_sortable_unserialise(s + 1, len - 1);
		char buf[400];
		decimal(d, buf, sizeof buf);
		return zbuf_adds(out, buf) ? ZHFTS_ENOMEM : ZHFTS_OK;
	}
	if (len >= 1 && s[0] == 'S')
		return zbuf_add(out, s + 1, len - 1) ? ZHFTS_ENOMEM : ZHFTS_OK;
	return zbuf_add(out, s, len) ? ZHFTS_ENOMEM : ZHFTS_OK;
}

/* ---- what a report says of itself ------------------------------------------ */

typedef struct line {
	size_t start, end; /* byte range, white space trimmed */
} line;

/* The next non-blank line at or after *pos. */
static bool next_line(const char *s, size_t len, size_t *pos, line *out)
{
	while (*pos < len) {
		size_t a = *pos, e = a;
		while (e < len && s[e] != '\n' && s[e] != '\r')
			e++;
		*pos = e < len ? e + 1 : len;
		size_t b = e, n;
		while (a < b && is_space_at(s, a, b, &n))
			a += n;
		while (b > a) {
			size_t k = b - 1;
			while (k > a && ((unsigned char)s[k] & 0xc0) == 0x80)
				k--;
			if (!is_space_at(s, k, b, &n))
				break;
			b = k;
		}
		if (b > a) {
			out->start = a;
			out->end = b;
			return true;
		}
	}
	return false;
}

int zhfts__guess_title(const char *s, size_t len, zbuf *out, bool *found)
{
	size_t pos = 0;
	line l;
	*found = false;
	for (int k = 0; k < 5 && next_line(s, len, &pos, &l); k++) {
		size_t chars = 0, han = 0, i = l.start;
		UChar32 c = 0, last = 0;
		while (i < l.end) {
			U8_NEXT((const uint8_t *)s, i, l.end, c);
			chars++;
			if (c >= 0 && (u_hasBinaryProperty(c, UCHAR_IDEOGRAPHIC)))
				han++;
			last = c;
		}
		bool ends_sentence = last == 0x3002 || last == 0xff01 || last == 0xff1f || last == 0xff1b ||
		                     last == 0xff1a || last == '.' || last == '!' || last == '?' ||
		                     last == ';' || last == ':';
		if (han >= 6 && chars <= 100 && !ends_sentence) {
			*found = true;
			out->len = 0;
			return zbuf_add(out, s + l.start, l.end - l.start) ? ZHFTS_ENOMEM : ZHFTS_OK;
		}
	}
	return ZHFTS_OK;
}

/* A decimal digit, half- or full-width: its value, else -1. */
static int digit_at(const char *s, size_t *i, size_t end)
{
	if (*i >= end)
		return -1;
	UChar32 c;
	size_t j = *i;
	U8_NEXT((const uint8_t *)s, j, end, c);
	int d = c >= '0' && c <= '9' ? c - '0' : c >= 0xff10 && c <= 0xff19 ? c - 0xff10 : -1;
	if (d >= 0)
		*i = j;
	return d;
}

static bool number_at(const char *s, size_t *i, size_t end, int min_digits, int max_digits, int *out)
{
	int n = 0, v = 0, d;
	size_t j = *i;
	while (n < max_digits && (d = digit_at(s, &j, end)) >= 0) {
		v = v * 10 + d;
		n++;
	}
	if (n < min_digits || digit_at(s, &(size_t){j}, end) >= 0)
		return false;
	*i = j;
	*out = v;
	return true;
}

static UChar32 cp_at(const char *s, size_t *i, size_t end)
{
	if (*i >= end)
		return -1;
	UChar32 c;
	U8_NEXT((const uint8_t *)s, *i, end, c);
	return c;
}

static bool valid_date(int y, int m, int d)
{
	static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (y < 1900 || y > 2199 || m < 1 || m > 12 || d < 1 || d > days[m - 1])
		return false;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m != 2 || d <= 28 || leap;
}

static bool date_at(const char *s, size_t i, size_t end, int *y, int *m, int *d)
{
	if (!number_at(s, &i, end, 4, 4, y))
		return false;
	size_t j = i;
	UChar32 sep = cp_at(s, &j, end);
	if (sep == 0x5e74) { /* 年 M 月 D 日 */
		if (!number_at(s, &j, end, 1, 2, m) || cp_at(s, &j, end) != 0x6708 ||
		    !number_at(s, &j, end, 1, 2, d) || cp_at(s, &j, end) != 0x65e5)
			return false;
		return valid_date(*y, *m, *d);
	}
	bool ascii_sep = sep == '.' || sep == '-' || sep == '/';
	bool wide_sep = sep == 0xff0e || sep == 0xff0d || sep == 0xff0f;
	if (!ascii_sep && !wide_sep)
		return false;
	size_t k = j;
	if (!number_at(s, &k, end, 1, 2, m) || cp_at(s, &k, end) != sep || !number_at(s, &k, end, 1, 2, d))
		return false;
	return valid_date(*y, *m, *d);
}

static bool leading_filler(UChar32 c)
{
	return c == '-' || c == 0x2014 || c == 0x2013 || c == 0x2015 || c == '(' || c == '[' ||
	       c == 0xff08 || c == 0x3010 || c == 0x300a || c == ' ' || c == 0x3000 || c == 0xa0;
}

int zhfts__guess_date(const char *s, size_t len, zbuf *out, bool *found)
{
	size_t pos = 0;
	line l;
	*found = false;
	for (int k = 0; k < 10 && next_line(s, len, &pos, &l); k++) {
		size_t i = l.start;
		for (;;) {
			size_t j = i;
			UChar32 c = cp_at(s, &j, l.end);
			if (c < 0 || !leading_filler(c))
				break;
			i = j;
		}
		int y, m, d;
		if (date_at(s, i, l.end, &y, &m, &d)) {
			*found = true;
			out->len = 0;
			return zbuf_printf(out, "%04d-%02d-%02d", y, m, d) ? ZHFTS_ENOMEM : ZHFTS_OK;
		}
	}
	return ZHFTS_OK;
}
