/*
 * Whether a database's docids run in document order.
 *
 * Hits of equal score come in document order: document id (as bytes), then
 * paragraph.  Xapian gives equal weights in docid order at no cost, but with
 * the document id as a sort key it reads that value for every candidate that
 * ties, and a chunk of the value stream for most of them: a group of 10,000
 * tied paragraphs cost 5 ms of block reads.  So a database records whether
 * its docids are in document order; when they are, Xapian's own order is
 * the final one.  They are when documents were added in ascending id order
 * (replacing the last again is fine; deleting never spoils it), after a
 * merge of such databases whose id ranges ascend, and after zhfts_db_compact,
 * which rebuilds in document order.  `zhfts index` adds files in id order.
 *
 * In the metadata, committed with the documents: ZHFTS_ORDER_KEY is
 * "ordered" followed by the first and last ids (each as "<length>:<bytes>"),
 * or "unordered".  A database without it is in order when empty (new).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zhfts-private.h"

void zhfts__order_free(zorder *o)
{
	zbuf_free(&o->first);
	zbuf_free(&o->last);
	memset(o, 0, sizeof *o);
}

static int set_id(zbuf *b, const char *id, size_t len)
{
	b->len = 0;
	return zbuf_add(b, id, len) || zbuf_reserve(b, 1) ? ZHFTS_ENOMEM : ZHFTS_OK;
}

/* "<length>:<bytes>" at *p, or false. */
static bool take_id(const char **p, const char *end, zbuf *out)
{
	char *colon;
	unsigned long n = strtoul(*p, &colon, 10);
	if (colon == *p || colon >= end || *colon != ':' || n > (unsigned long)(end - colon - 1))
		return false;
	if (set_id(out, colon + 1, n))
		return false;
	*p = colon + 1 + n;
	return true;
}

int zhfts__order_load(zorder *o, zx_db *x, const char *who, zerr *err)
{
	char *v = NULL;
	size_t n = 0;
	uint64_t docs = 0;
	int rc = zx_metadata_get_bytes(x, ZHFTS_ORDER_KEY, &v, &n, err);
	rc = rc ? rc : zx_doccount(x, &docs, err);
	if (rc) {
		free(v);
		return rc;
	}
	o->ordered = o->empty = false;
	o->dirty = false;
	o->first.len = o->last.len = 0;
	if (!n) {
		o->ordered = o->empty = docs == 0;
	} else if (n >= 7 && !memcmp(v, "ordered", 7)) {
		const char *p = v + 7, *end = v + n;
		if (p == end) {
			o->ordered = o->empty = true;
		} else if (take_id(&p, end, &o->first) && take_id(&p, end, &o->last) && p == end) {
			o->ordered = true;
		} else {
			free(v);
			return zerr_set(err, ZHFTS_ECORRUPT, "%s: unreadable document order record", who);
		}
	} else if (!(n == 9 && !memcmp(v, "unordered", 9))) {
		free(v);
		return zerr_set(err, ZHFTS_ECORRUPT, "%s: unreadable document order record", who);
	}
	free(v);
	o->valid = true;
	return ZHFTS_OK;
}

static int id_cmp(const char *a, size_t al, const char *b, size_t bl)
{
	int r = memcmp(a, b, al < bl ? al : bl);
	return r ? r : al < bl ? -1 : al > bl;
}

int zhfts__order_note(zorder *o, const char *id)
{
	size_t len = strlen(id);
	if (!o->ordered)
		return ZHFTS_OK;
	o->dirty = true;
	if (o->empty) {
		o->empty = false;
		return set_id(&o->first, id, len) || set_id(&o->last, id, len) ? ZHFTS_ENOMEM : ZHFTS_OK;
	}
	if (id_cmp(id, len, o->last.data, o->last.len) >= 0)
		return set_id(&o->last, id, len);
	o->ordered = false;
	return ZHFTS_OK;
}

int zhfts__order_store(zorder *o, zx_db *x, zerr *err)
{
	if (!o->dirty)
		return ZHFTS_OK;
	zbuf v = {0};
	int rc = ZHFTS_OK;
	if (!o->ordered)
		rc = zbuf_adds(&v, "unordered");
	else if (o->empty)
		rc = zbuf_adds(&v, "ordered");
	else
		rc = zbuf_printf(&v, "ordered%zu:", o->first.len) || zbuf_add(&v, o->first.data, o->first.len) ||
		     zbuf_printf(&v, "%zu:", o->last.len) || zbuf_add(&v, o->last.data, o->last.len);
	rc = rc ? zerr_set(err, ZHFTS_ENOMEM, "out of memory recording the document order")
	        : zx_metadata_set(x, ZHFTS_ORDER_KEY, v.data, v.len, err);
	zbuf_free(&v);
	if (rc == ZHFTS_OK)
		o->dirty = false;
	return rc;
}

int zhfts__order_follow(zorder *o, const zorder *next)
{
	o->dirty = true;
	if (!o->ordered || next->empty)
		return ZHFTS_OK;
	if (!next->ordered) {
		o->ordered = false;
		return ZHFTS_OK;
	}
	if (o->empty) {
		o->empty = false;
		return set_id(&o->first, next->first.data, next->first.len) ||
		               set_id(&o->last, next->last.data, next->last.len)
		           ? ZHFTS_ENOMEM
		           : ZHFTS_OK;
	}
	if (id_cmp(next->first.data, next->first.len, o->last.data, o->last.len) <= 0) {
		o->ordered = false;
		return ZHFTS_OK;
	}
	return set_id(&o->last, next->last.data, next->last.len);
}
