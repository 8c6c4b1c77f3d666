/* Growable byte buffers: the one place that does string memory arithmetic. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zhfts-private.h"

uint64_t zhfts__hash(const char *s, size_t n)
{
	/* FNV-1a, 64 bits */
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

int zvec_grow(void **items, size_t *cap, size_t need, size_t item_size)
{
	if (need <= *cap)
		return ZHFTS_OK;
	size_t ncap = *cap ? *cap : 8;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			return ZHFTS_ENOMEM;
		ncap *= 2;
	}
	if (ncap > SIZE_MAX / item_size)
		return ZHFTS_ENOMEM;
	void *p = realloc(*items, ncap * item_size);
	if (!p)
		return ZHFTS_ENOMEM;
	*items = p;
	*cap = ncap;
	return ZHFTS_OK;
}

int zbuf_reserve(zbuf *b, size_t extra)
{
	if (extra > SIZE_MAX - b->len - 1)
		return ZHFTS_ENOMEM;
	void *p = b->data;
	int rc = zvec_grow(&p, &b->cap, b->len + extra + 1, 1);
	b->data = p;
	if (rc == ZHFTS_OK)
		b->data[b->len] = '\0';
	return rc;
}

int zbuf_add(zbuf *b, const void *p, size_t n)
{
	if (zbuf_reserve(b, n))
		return ZHFTS_ENOMEM;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return ZHFTS_OK;
}

int zbuf_addc(zbuf *b, char c)
{
	return zbuf_add(b, &c, 1);
}

int zbuf_adds(zbuf *b, const char *s)
{
	return zbuf_add(b, s, strlen(s));
}

int zbuf_printf(zbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || zbuf_reserve(b, (size_t)n))
		return ZHFTS_ENOMEM;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return ZHFTS_OK;
}

int zbuf_add_varint(zbuf *b, uint64_t v)
{
	unsigned char tmp[10];
	size_t n = 0;
	do {
		tmp[n] = (unsigned char)(v & 0x7f);
		v >>= 7;
		if (v)
			tmp[n] |= 0x80;
		n++;
	} while (v);
	return zbuf_add(b, tmp, n);
}

char *zbuf_detach(zbuf *b)
{
	if (!b->data && zbuf_reserve(b, 0))
		return NULL;
	char *p = b->data;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

void zbuf_free(zbuf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
