/*
 * Results: a ranked page of (docid, tier, score), read into hits only when a
 * caller asks for them; totals and facets.
 *
 * A paragraph never changes once indexed (a replaced document gets new
 * paragraphs), so reading a hit after the search gives the paragraph that
 * was found, whatever the writer did since, unless it was deleted and the
 * handle reopened.
 */
#include <stdlib.h>
#include <string.h>

#include "zhfts-private.h"

#define DEFAULT_CONTEXT 40
#define FETCH_BATCH 32

int zhfts__results_new(zhfts_results **out, zhfts_db *db, zitem *items, size_t n, size_t first_rank,
                       const zplan *plan)
{
	*out = NULL;
	zhfts_results *r = calloc(1, sizeof *r);
	if (!r) {
		free(items);
		return ZHFTS_ENOMEM;
	}
	r->db = db;
	r->generation = db->generation;
	zerr tmp;
	if (zx_uuid(db->x, r->uuid, sizeof r->uuid, &tmp) != ZHFTS_OK)
		r->uuid[0] = '\0';
	r->items = items;
	r->n = n;
	r->first_rank = first_rank;
	zerr_clear(&r->err);
	if (plan && plan->nkw) {
		r->kw = calloc(plan->nkw, sizeof *r->kw);
		for (size_t i = 0; r->kw && i < plan->nkw; i++) {
			r->kw[i].units = zhfts__strndup(plan->kw[i].units, plan->kw[i].len);
			r->kw[i].len = plan->kw[i].len;
			r->nkw = i + 1;
			if (!r->kw[i].units)
				break;
		}
		if (!r->kw || r->nkw < plan->nkw || !r->kw[r->nkw - 1].units) {
			zhfts_results_free(r);
			return ZHFTS_ENOMEM;
		}
	}
	*out = r;
	return ZHFTS_OK;
}

static void slot_free(zhit_slot *s)
{
	free(s->data);
	free((char *)s->hit.doc);
	free((char *)s->hit.section);
	free((char *)s->hit.text);
	free((zhfts_span *)s->hit.spans);
	if (s->hit.snippet && *s->hit.snippet)
		free((char *)s->hit.snippet);
	for (size_t k = 0; k < s->hit.nfields; k++) {
		free((char *)s->fields[k].name);
		free((char *)s->fields[k].value);
	}
	free(s->fields);
	memset(s, 0, sizeof *s);
}

void zhfts_results_free(zhfts_results *r)
{
	if (!r)
		return;
	for (size_t i = 0; r->slots && i < r->n; i++)
		slot_free(&r->slots[i]);
	free(r->slots);
	free(r->items);
	zhfts__hitmap_release(r->map);
	for (size_t i = 0; i < r->nkw; i++)
		free(r->kw[i].units);
	free(r->kw);
	for (size_t k = 0; k < r->nfacets; k++) {
		for (size_t v = 0; v < r->facets[k].nvalues; v++)
			free((char *)r->facets[k].values[v].value);
		free((zhfts_facet_value *)r->facets[k].values);
		free((char *)r->facets[k].name);
	}
	free(r->facets);
	zhfts__units_free(&r->units);
	free(r->spans.items);
	free(r);
}

size_t zhfts_results_count(const zhfts_results *r)
{
	return r ? r->n : 0;
}

void zhfts_results_total(const zhfts_results *r, uint64_t *estimate, uint64_t *lower, uint64_t *upper)
{
	if (estimate)
		*estimate = r ? r->estimate : 0;
	if (lower)
		*lower = r ? r->lower : 0;
	if (upper)
		*upper = r ? r->upper : 0;
}

const char *zhfts_results_errmsg(const zhfts_results *r)
{
	return r ? r->err.msg : "";
}

/* The hits' slots, made when the first hit is read: a list of every hit
 * that only locates them (zhfts_results_locate) never touches them. */
static int need_slots(zhfts_results *r)
{
	if (!r->slots && r->n && !(r->slots = calloc(r->n, sizeof *r->slots)))
		return zerr_set(&r->err, ZHFTS_ENOMEM, "out of memory reading hits");
	return ZHFTS_OK;
}

void zhfts__results_prime(zhfts_results *r, size_t i, char *data, size_t len, const char *doc, size_t doc_len)
{
	if (need_slots(r) != ZHFTS_OK) {
		free(data); /* read again when asked for */
		return;
	}
	zhit_slot *s = &r->slots[i];
	if (s->data || s->loaded) {
		free(data);
		return;
	}
	s->data = data;
	s->data_len = len;
	s->hit.doc = zhfts__strndup(doc, doc_len); /* checked when the hit is built */
}

/* ---- reading hits ---------------------------------------------------------------- */

typedef struct fetching {
	zhfts_results *r;
	size_t from, to;
} fetching;

static const unsigned doc_slot[1] = {ZHFTS_SLOT_DOC};

static int fetch_some(zhfts_db *db, void *ctx)
{
	fetching *f = ctx;
	zhfts_results *r = f->r;
	size_t n = 0;
	char uuid[48];
	int urc = zx_uuid(db->x, uuid, sizeof uuid, &db->err);
	if (urc)
		return urc;
	if (r->uuid[0] && strcmp(uuid, r->uuid)) {
		/* Compacted since: its docids name other paragraphs now. */
		for (size_t i = f->from; i < f->to; i++)
			if (!r->slots[i].data && !r->slots[i].loaded)
				r->slots[i].gone = true;
		return ZHFTS_OK;
	}
	uint32_t ids[FETCH_BATCH];
	size_t at[FETCH_BATCH];
	for (size_t i = f->from; i < f->to && n < FETCH_BATCH; i++) {
		if (!r->slots[i].data && !r->slots[i].loaded && !r->slots[i].gone) {
			ids[n] = r->items[i].docid;
			at[n++] = i;
		}
	}
	if (!n)
		return ZHFTS_OK;
	zx_fetched got[FETCH_BATCH];
	int rc = zx_fetch(db->x, ids, n, true, doc_slot, 1, got, &db->err);
	bool fetched = rc == ZHFTS_OK; /* else zx_fetch freed what it read */
	for (size_t k = 0; rc == ZHFTS_OK && k < n; k++) {
		zrecord rec;
		if (!got[k].missing &&
		    (!got[k].value_lens[0] || zhfts__record_decode(&rec, got[k].data, got[k].data_len) != ZHFTS_OK)) {
			rc = zhfts__overtaken(db, "%s: unreadable paragraph record", db->path);
			break;
		}
	}
	for (size_t k = 0; rc == ZHFTS_OK && k < n; k++) {
		zhit_slot *s = &r->slots[at[k]];
		if (got[k].missing) {
			s->gone = true;
			continue;
		}
		zhfts__results_prime(r, at[k], got[k].data, got[k].data_len, got[k].values[0], got[k].value_lens[0]);
		got[k].data = NULL;
	}
	if (fetched)
		zx_fetched_free(got, n);
	return rc;
}

static char *dup_or_empty(const char *s, size_t n, bool *ok)
{
	char *p = zhfts__strndup(s ? s : "", s ? n : 0);
	*ok = *ok && p;
	return p;
}

/* Decodes a primed slot into its hit. */
static int build_hit(zhfts_results *r, size_t i)
{
	zhit_slot *s = &r->slots[i];
	zhfts_hit *h = &s->hit;
	zrecord rec;
	if (!h->doc)
		return zerr_set(&r->err, ZHFTS_ENOMEM, "out of memory reading hits");
	if (zhfts__record_decode(&rec, s->data, s->data_len) != ZHFTS_OK)
		return zerr_set(&r->err, ZHFTS_ECORRUPT, "%s: hit %zu: unreadable paragraph record", r->db->path, i);
	bool ok = true;
	h->rank = r->first_rank + i + 1;
	h->tier = r->items[i].tier;
	h->score = r->items[i].score;
	h->para = rec.para;
	h->offset = rec.offset;
	h->length = rec.length;
	h->section = dup_or_empty(rec.section, rec.section_len, &ok);
	h->text = dup_or_empty(rec.text, rec.text_len, &ok);
	h->text_len = rec.text_len;
	h->snippet = "";
	if (rec.nfields) {
		s->fields = calloc(rec.nfields, sizeof *s->fields);
		ok = ok && s->fields;
		for (uint32_t k = 0; ok && k < rec.nfields; k++) {
			const char *fn, *fv;
			size_t fnl, fvl;
			zhfts__record_field(&rec, k, &fn, &fnl, &fv, &fvl);
			s->fields[k].name = dup_or_empty(fn, fnl, &ok);
			s->fields[k].value = dup_or_empty(fv, fvl, &ok);
			h->nfields = k + 1;
		}
		h->fields = s->fields;
	}
	free(s->data);
	s->data = NULL;
	s->loaded = true;
	return ok ? ZHFTS_OK : zerr_set(&r->err, ZHFTS_ENOMEM, "out of memory reading hits");
}

static int load_hit(zhfts_results *r, size_t i)
{
	int rc = need_slots(r);
	if (rc)
		return rc;
	zhit_slot *s = &r->slots[i];
	if (s->loaded)
		return ZHFTS_OK;
	if (s->gone)
		return zerr_set(&r->err, ZHFTS_ENOTFOUND,
		                "hit %zu: its document was deleted, or the database compacted, since the search", i);
	if (!s->data) {
		fetching f = {r, i, i + FETCH_BATCH < r->n ? i + FETCH_BATCH : r->n};
		zhfts_db *db = r->db;
		zhfts__db_begin(db);
		rc = zhfts__read(db, fetch_some, &f);
		if (rc) {
			zerr_set(&r->err, rc, "%s", db->err.msg);
			return rc;
		}
		if (s->gone)
			return zerr_set(&r->err, ZHFTS_ENOTFOUND,
			                "hit %zu: its document was deleted, or the database compacted, since the search", i);
	}
	return build_hit(r, i);
}

const zhfts_hit *zhfts_results_hit(zhfts_results *r, size_t i)
{
	if (!r || i >= r->n)
		return NULL;
	zerr_clear(&r->err);
	return load_hit(r, i) == ZHFTS_OK ? &r->slots[i].hit : NULL;
}

int zhfts_results_locate(zhfts_results *r, size_t i, const char **doc, uint32_t *para)
{
	if (doc)
		*doc = NULL;
	if (para)
		*para = 0;
	if (!r || i >= r->n)
		return ZHFTS_EINVAL;
	zerr_clear(&r->err);
	const char *d = NULL;
	uint32_t p = 0;
	if ((!r->slots || (!r->slots[i].loaded && !r->slots[i].gone)) && r->uuid[0]) {
		if (!r->map) {
			zhfts__db_begin(r->db);
			int rc = zhfts__hitmap_get(r->db, &r->map);
			if (rc)
				return zerr_set(&r->err, rc, "%s", r->db->err.msg);
		}
		if (zhfts__hitmap_find(r->map, r->uuid, r->items[i].docid, &d, &p)) {
			if (doc)
				*doc = d;
			if (para)
				*para = p;
			return ZHFTS_OK;
		}
	}
	/* Not in the map (a remote shard's, deleted since, or read already):
	 * from the record. */
	int rc = load_hit(r, i);
	if (rc == ZHFTS_OK) {
		if (doc)
			*doc = r->slots[i].hit.doc;
		if (para)
			*para = r->slots[i].hit.para;
	}
	return rc;
}

/* ---- spans and snippets ------------------------------------------------------------- */

int zhfts_results_spans(zhfts_results *r, size_t i, const zhfts_span **spans, size_t *nspans)
{
	if (spans)
		*spans = NULL;
	if (nspans)
		*nspans = 0;
	if (!r || i >= r->n)
		return ZHFTS_EINVAL;
	zerr_clear(&r->err);
	int rc = load_hit(r, i);
	zhit_slot *s = &r->slots[i];
	if (rc == ZHFTS_OK && !s->spans_done) {
		rc = zhfts__find_spans(&r->db->tok, r->kw, r->nkw, s->hit.text, s->hit.text_len, &r->units, &r->spans);
		if (rc == ZHFTS_OK && r->spans.n) {
			zhfts_span *copy = malloc(r->spans.n * sizeof *copy);
			if (copy) {
				memcpy(copy, r->spans.items, r->spans.n * sizeof *copy);
				s->hit.spans = copy;
				s->hit.nspans = r->spans.n;
			} else {
				rc = ZHFTS_ENOMEM;
			}
		}
		if (rc == ZHFTS_OK)
			s->spans_done = true;
		else if (!r->err.msg[0])
			zerr_set(&r->err, rc, "finding matches in hit %zu: %s", i, zhfts_strerror(rc));
	}
	if (rc == ZHFTS_OK) {
		if (spans)
			*spans = s->hit.spans;
		if (nspans)
			*nspans = s->hit.nspans;
	}
	return rc;
}

int zhfts_results_snippet(zhfts_results *r, size_t i, const zhfts_snippet_options *opts, char **out)
{
	if (out)
		*out = NULL;
	if (!r || !out || i >= r->n)
		return ZHFTS_EINVAL;
	if (opts && opts->version != ZHFTS_SNIPPET_OPTIONS_VERSION)
		return zerr_set(&r->err, ZHFTS_EINVAL, "zhfts_snippet_options.version is not ZHFTS_SNIPPET_OPTIONS_VERSION");
	int rc = zhfts_results_spans(r, i, NULL, NULL);
	if (rc)
		return rc;
	zhit_slot *s = &r->slots[i];
	zspans sp = {(zhfts_span *)s->hit.spans, s->hit.nspans, s->hit.nspans};
	zbuf b = {0};
	rc = zhfts__make_snippet(&b, s->hit.text, s->hit.text_len, &sp,
	                         opts && opts->mark_open ? opts->mark_open : "[",
	                         opts && opts->mark_close ? opts->mark_close : "]",
	                         opts && opts->context_chars ? opts->context_chars : DEFAULT_CONTEXT);
	if (rc == ZHFTS_OK && !(*out = zbuf_detach(&b)))
		rc = ZHFTS_ENOMEM;
	zbuf_free(&b);
	return rc ? zerr_set(&r->err, rc, "making a snippet of hit %zu: %s", i, zhfts_strerror(rc)) : ZHFTS_OK;
}

/* For zhfts_db_search(): the snippet kept in the hit. */
int zhfts__results_keep_snippet(zhfts_results *r, size_t i, const zhfts_snippet_options *o)
{
	char *snip = NULL;
	int rc = zhfts_results_snippet(r, i, o, &snip);
	if (rc == ZHFTS_OK) {
		zhit_slot *s = &r->slots[i];
		if (s->hit.snippet && *s->hit.snippet)
			free((char *)s->hit.snippet);
		s->hit.snippet = *snip ? snip : "";
		if (!*snip)
			free(snip);
	}
	return rc;
}

/* ---- facets --------------------------------------------------------------------------- */

size_t zhfts_results_facet_count(const zhfts_results *r)
{
	return r ? r->nfacets : 0;
}

const zhfts_facet *zhfts_results_facet(const zhfts_results *r, size_t k)
{
	return r && k < r->nfacets ? &r->facets[k] : NULL;
}
