/*
 * Dead paragraphs: deleted or replaced, still in the index.
 *
 * A database zhfts creates has no termlist table (Xapian's DB_NO_TERMLIST):
 * it is almost half of a database with one, and of the time to write it.
 * Without it Xapian cannot delete a document, so zhfts records the docids
 * of paragraphs that are gone, and every read leaves them out: candidates,
 * counts, facets, listings.  Compaction (zhfts_db_compact) rebuilds the
 * database without them.
 *
 * The set is kept in the database's metadata, committed with the changes
 * that made it: "zhfts.dead" holds the number of dead paragraphs, and
 * "zhfts.dead.XXXXXXXX" (hex of docid >> 16) the dead docids of one block of
 * 65,536, as 16-bit offsets, delta-coded ('L') or, when many, a bitmap ('B').
 * In memory each block with dead docids is a bitmap.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zhfts-private.h"

#define BLOCK_BITS 16
#define BLOCK_DOCS (1u << BLOCK_BITS)
#define BITMAP_BYTES (BLOCK_DOCS / 8)
#define KEY_COUNT "zhfts.dead"
#define KEY_PREFIX "zhfts.dead."

void zhfts__dead_free(zdead *d)
{
	for (size_t i = 0; i < d->nblocks; i++)
		free(d->blocks[i]);
	free(d->blocks);
	free(d->dirty);
	memset(d, 0, sizeof *d);
}

bool zhfts__dead_has(const zdead *d, uint32_t docid)
{
	size_t b = docid >> BLOCK_BITS;
	if (!d->count || b >= d->nblocks || !d->blocks[b])
		return false;
	uint32_t o = docid & (BLOCK_DOCS - 1);
	return d->blocks[b][o >> 3] & (1u << (o & 7));
}

int zhfts__dead_each(const zdead *d, int (*fn)(void *ctx, uint32_t docid), void *ctx)
{
	int rc = ZHFTS_OK;
	for (size_t b = 0; rc == ZHFTS_OK && b < d->nblocks; b++) {
		if (!d->blocks[b])
			continue;
		for (uint32_t o = 0; rc == ZHFTS_OK && o < BLOCK_DOCS; o++)
			if (d->blocks[b][o >> 3] & (1u << (o & 7)))
				rc = fn(ctx, (uint32_t)(b << BLOCK_BITS) | o);
	}
	return rc;
}

static int grow(zdead *d, size_t b)
{
	if (b < d->nblocks)
		return ZHFTS_OK;
	size_t n = b + 1;
	uint8_t **bl = realloc(d->blocks, n * sizeof *bl);
	if (!bl)
		return ZHFTS_ENOMEM;
	d->blocks = bl;
	bool *dirty = realloc(d->dirty, n * sizeof *dirty);
	if (!dirty)
		return ZHFTS_ENOMEM;
	d->dirty = dirty;
	for (size_t i = d->nblocks; i < n; i++) {
		d->blocks[i] = NULL;
		d->dirty[i] = false;
	}
	d->nblocks = n;
	return ZHFTS_OK;
}

int zhfts__dead_add(zdead *d, uint32_t docid)
{
	size_t b = docid >> BLOCK_BITS;
	if (grow(d, b))
		return ZHFTS_ENOMEM;
	if (!d->blocks[b] && !(d->blocks[b] = calloc(1, BITMAP_BYTES)))
		return ZHFTS_ENOMEM;
	uint32_t o = docid & (BLOCK_DOCS - 1);
	uint8_t bit = (uint8_t)(1u << (o & 7));
	if (!(d->blocks[b][o >> 3] & bit)) {
		d->blocks[b][o >> 3] |= bit;
		d->count++;
		d->dirty[b] = true;
		d->changed = true;
	}
	return ZHFTS_OK;
}

/* ---- storing ----------------------------------------------------------------------- */

static void block_key(char *key, size_t cap, size_t b)
{
	snprintf(key, cap, KEY_PREFIX "%08zx", b);
}

static int encode_block(const uint8_t *bits, zbuf *out)
{
	size_t n = 0;
	for (size_t i = 0; i < BITMAP_BYTES; i++)
		n += (size_t)__builtin_popcount(bits[i]);
	out->len = 0;
	if (n * 2 >= BITMAP_BYTES) {
		if (zbuf_addc(out, 'B') || zbuf_add(out, (const char *)bits, BITMAP_BYTES))
			return ZHFTS_ENOMEM;
		return ZHFTS_OK;
	}
	if (zbuf_addc(out, 'L'))
		return ZHFTS_ENOMEM;
	uint32_t prev = 0;
	for (uint32_t o = 0; o < BLOCK_DOCS; o++) {
		if (bits[o >> 3] & (1u << (o & 7))) {
			if (zbuf_add_varint(out, o - prev))
				return ZHFTS_ENOMEM;
			prev = o;
		}
	}
	return ZHFTS_OK;
}

int zhfts__dead_store(zdead *d, zx_db *x, zerr *err)
{
	if (!d->changed)
		return ZHFTS_OK;
	zbuf v = {0};
	char key[64];
	int rc = ZHFTS_OK;
	for (size_t b = 0; rc == ZHFTS_OK && b < d->nblocks; b++) {
		if (!d->dirty[b])
			continue;
		block_key(key, sizeof key, b);
		rc = encode_block(d->blocks[b], &v);
		rc = rc ? rc : zx_metadata_set(x, key, v.data, v.len, err);
	}
	if (rc == ZHFTS_OK) {
		char count[32];
		snprintf(count, sizeof count, "%llu", (unsigned long long)d->count);
		rc = zx_metadata_set(x, KEY_COUNT, count, strlen(count), err);
	}
	zbuf_free(&v);
	if (rc == ZHFTS_OK) {
		for (size_t b = 0; b < d->nblocks; b++)
			d->dirty[b] = false;
		d->changed = false;
	}
	return rc == ZHFTS_ENOMEM ? zerr_set(err, rc, "out of memory recording deleted paragraphs") : rc;
}

/* ---- loading ----------------------------------------------------------------------- */

typedef struct keys {
	char **k;
	size_t n, cap;
} keys;

static int take_key(void *ctx, const char *key, size_t len, uint32_t tf)
{
	keys *ks = ctx;
	(void)tf;
	void *v = ks->k;
	char *copy = zhfts__strndup(key, len);
	if (!copy || zvec_grow(&v, &ks->cap, ks->n + 1, sizeof *ks->k)) {
		free(copy);
		return ZHFTS_ENOMEM;
	}
	ks->k = v;
	ks->k[ks->n++] = copy;
	return ZHFTS_OK;
}

static int decode_block(zdead *d, size_t b, const char *v, size_t len)
{
	if (grow(d, b))
		return ZHFTS_ENOMEM;
	if (!d->blocks[b] && !(d->blocks[b] = calloc(1, BITMAP_BYTES)))
		return ZHFTS_ENOMEM;
	uint8_t *bits = d->blocks[b];
	if (len == 1 + BITMAP_BYTES && v[0] == 'B') {
		memcpy(bits, v + 1, BITMAP_BYTES);
		for (size_t i = 0; i < BITMAP_BYTES; i++)
			d->count += (uint64_t)__builtin_popcount(bits[i]);
		return ZHFTS_OK;
	}
	if (len < 1 || v[0] != 'L')
		return ZHFTS_ECORRUPT;
	const unsigned char *p = (const unsigned char *)v + 1, *end = (const unsigned char *)v + len;
	uint64_t o = 0;
	while (p < end) {
		uint64_t delta = 0;
		int shift = 0;
		for (;;) {
			if (p >= end || shift > 28)
				return ZHFTS_ECORRUPT;
			delta |= (uint64_t)(*p & 0x7f) << shift;
			shift += 7;
			if (!(*p++ & 0x80))
				break;
		}
		o += delta;
		if (o >= BLOCK_DOCS)
			return ZHFTS_ECORRUPT;
		if (!(bits[o >> 3] & (1u << (o & 7))))
			d->count++;
		bits[o >> 3] |= (uint8_t)(1u << (o & 7));
	}
	return ZHFTS_OK;
}

int zhfts__dead_load(zdead *d, zx_db *x, bool writer, const char *who, zerr *err)
{
	zhfts__dead_free(d);
	char *count = NULL;
	int rc = zx_metadata_get(x, KEY_COUNT, &count, err);
	bool any = rc == ZHFTS_OK && count[0] && strcmp(count, "0");
	keys ks = {0};
	if (any)
		rc = zx_metadata_keys(x, KEY_PREFIX, take_key, &ks, err);
	for (size_t i = 0; rc == ZHFTS_OK && i < ks.n; i++) {
		char *v = NULL;
		size_t vlen = 0;
		unsigned long long b = strtoull(ks.k[i] + strlen(KEY_PREFIX), NULL, 16);
		rc = zx_metadata_get_bytes(x, ks.k[i], &v, &vlen, err);
		if (rc == ZHFTS_OK && decode_block(d, (size_t)b, v, vlen) == ZHFTS_ECORRUPT)
			/* For a reader, a half-written block is a writer's commit
			 * overtaking it, unless it lasts. */
			rc = zerr_set(err, writer ? ZHFTS_ECORRUPT : ZX_EMODIFIED, "%s: unreadable list of deleted paragraphs",
			              who);
		free(v);
	}
	if (rc == ZX_EMODIFIED)
		err->lasting = ZHFTS_ECORRUPT;
	if (rc == ZHFTS_OK && any && strtoull(count, NULL, 10) != d->count)
		rc = zerr_set(err, writer ? ZHFTS_ECORRUPT : ZX_EMODIFIED,
		              "%s: the list of deleted paragraphs holds %llu, its count says %s", who,
		              (unsigned long long)d->count, count);
	for (size_t i = 0; i < ks.n; i++)
		free(ks.k[i]);
	free(ks.k);
	free(count);
	if (rc)
		zhfts__dead_free(d);
	return rc;
}
