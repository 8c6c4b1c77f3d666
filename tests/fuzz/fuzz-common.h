/*
 * Helpers shared by the fuzz targets.  The checks here are computed
 * independently of the library (its own UTF-8 validator, its own notion of
 * a Han character), so a target compares the library against something else.
 */
#ifndef ZHFTS_FUZZ_COMMON_H
#define ZHFTS_FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A failed invariant: say which, then abort so that libFuzzer keeps the input. */
#define FZ_CHECK(cond, ...)                                                    \
	do {                                                                       \
		if (!(cond)) {                                                         \
			fprintf(stderr, "%s:%d: invariant failed: %s\n  ", __FILE__,       \
			        __LINE__, #cond);                                          \
			fprintf(stderr, __VA_ARGS__);                                      \
			fputc('\n', stderr);                                               \
			abort();                                                           \
		}                                                                      \
	} while (0)

/* Decodes one UTF-8 code point strictly (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF).  Returns its length, or 0 when the
 * bytes at s are not a valid sequence. */
static inline size_t fz_utf8_next(const unsigned char *s, size_t len, uint32_t *cp)
{
	if (!len)
		return 0;
	unsigned char c = s[0];
	size_t n;
	uint32_t v;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xe0) == 0xc0) {
		n = 2, v = c & 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		n = 3, v = c & 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		n = 4, v = c & 0x07;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
	if (v < min[n] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

static inline bool fz_utf8_valid(const char *s, size_t len)
{
	size_t i = 0;
	uint32_t cp;
	while (i < len) {
		size_t n = fz_utf8_next((const unsigned char *)s + i, len - i, &cp);
		if (!n)
			return false;
		i += n;
	}
	return true;
}

/* Offset of the first invalid sequence, or len. */
static inline size_t fz_utf8_bad(const char *s, size_t len)
{
	size_t i = 0;
	uint32_t cp;
	while (i < len) {
		size_t n = fz_utf8_next((const unsigned char *)s + i, len - i, &cp);
		if (!n)
			return i;
		i += n;
	}
	return len;
}

static inline bool fz_is_boundary(const char *s, size_t len, size_t off)
{
	return off == 0 || off == len || ((unsigned char)s[off] & 0xc0) != 0x80;
}

/* The largest "byte N" number in a message; false if there is none. */
static inline bool fz_msg_byte(const char *msg, size_t *out)
{
	bool found = false;
	for (const char *p = msg; (p = strstr(p, "byte")); p += 4) {
		const char *q = p + 4;
		if (!strncmp(q, " offset", 7))
			q += 7;
		if (*q != ' ' || q[1] < '0' || q[1] > '9')
			continue;
		size_t v = strtoull(q + 1, NULL, 10);
		if (!found || v > *out)
			*out = v;
		found = true;
	}
	return found;
}

#endif
