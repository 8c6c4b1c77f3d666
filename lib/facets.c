/*
 * Facets: how many matching paragraphs have each value of a field (or each
 * document id).  Xapian's ValueCountMatchSpy counts them when Xapian's
 * matches are the hits; when candidates are checked against their text,
 * search.c counts the accepted ones here instead.  Either way the values
 * are the sortable forms of ZHFTS_SLOT_DOC or the field's slot, shown as
 * text (fields.c).
 */
#include <stdlib.h>
#include <string.h>

#include "zhfts-private.h"

typedef struct fentry {
	char *value; /* sortable form; NULL: empty bucket */
	size_t len;
	uint64_t count;
} fentry;

struct zfacet_counter {
	fentry *t;
	size_t cap, n;
};

zfacet_counter *zhfts__facet_counter_new(void)
{
	zfacet_counter *c = calloc(1, sizeof *c);
	if (c && !(c->t = calloc(64, sizeof *c->t))) {
		free(c);
		return NULL;
	}
	if (c)
		c->cap = 64;
	return c;
}

void zhfts__facet_counter_free(zfacet_counter *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->cap; i++)
		free(c->t[i].value);
	free(c->t);
	free(c);
}

static fentry *slot_for(fentry *t, size_t cap, const char *v, size_t len)
{
	size_t i = (size_t)(zhfts__hash(v, len) & (cap - 1));
	while (t[i].value && !(t[i].len == len && !memcmp(t[i].value, v, len)))
		i = (i + 1) & (cap - 1);
	return &t[i];
}

int zhfts__facet_count(zfacet_counter *c, const char *v, size_t len, uint64_t n)
{
	if (2 * (c->n + 1) > c->cap) {
		size_t ncap = c->cap * 2;
		fentry *nt = calloc(ncap, sizeof *nt);
		if (!nt)
			return ZHFTS_ENOMEM;
		for (size_t i = 0; i < c->cap; i++)
			if (c->t[i].value)
				*slot_for(nt, ncap, c->t[i].value, c->t[i].len) = c->t[i];
		free(c->t);
		c->t = nt;
		c->cap = ncap;
	}
	fentry *e = slot_for(c->t, c->cap, v, len);
	if (!e->value) {
		if (!(e->value = zhfts__strndup(v, len)))
			return ZHFTS_ENOMEM;
		e->len = len;
		c->n++;
	}
	e->count += n;
	return ZHFTS_OK;
}

typedef struct shown {
	char *text;
	uint64_t count;
} shown;

static int by_count(const void *a, const void *b)
{
	const shown *x = a, *y = b;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->text, y->text);
}

static int by_text(const void *a, const void *b)
{
	return strcmp(((const shown *)a)->text, ((const shown *)b)->text);
}

/* The counter as a facet: values shown as text, most frequent first. */
int zhfts__facet_finish(zfacet_counter *c, const char *name, bool doc, size_t limit, zhfts_facet *out)
{
	memset(out, 0, sizeof *out);
	shown *s = c->n ? calloc(c->n, sizeof *s) : NULL;
	size_t n = 0;
	int rc = c->n && !s ? ZHFTS_ENOMEM : ZHFTS_OK;
	zbuf b = {0};
	for (size_t i = 0; rc == ZHFTS_OK && i < c->cap; i++) {
		if (!c->t[i].value)
			continue;
		if (doc)
			rc = zbuf_add(&b, c->t[i].value, c->t[i].len) ? ZHFTS_ENOMEM : (b.len = c->t[i].len, ZHFTS_OK);
		else
			rc = zhfts__field_display(c->t[i].value, c->t[i].len, &b);
		if (rc == ZHFTS_OK && !(s[n].text = zhfts__strndup(b.data ? b.data : "", b.len)))
			rc = ZHFTS_ENOMEM;
		if (rc == ZHFTS_OK)
			s[n++].count = c->t[i].count;
		b.len = 0;
	}
	zbuf_free(&b);
	if (rc == ZHFTS_OK && n > 1) {
		/* Two sortable forms may show alike (a number given as 2020 and as
		 * 2020.0): one value, their counts added. */
		qsort(s, n, sizeof *s, by_text);
		size_t m = 0;
		for (size_t i = 0; i < n; i++) {
			if (m && !strcmp(s[m - 1].text, s[i].text)) {
				s[m - 1].count += s[i].count;
				free(s[i].text);
			} else {
				s[m++] = s[i];
			}
		}
		n = m;
		qsort(s, n, sizeof *s, by_count);
	}
	out->name = rc ? NULL : zhfts__strdup(name);
	if (rc == ZHFTS_OK && !out->name)
		rc = ZHFTS_ENOMEM;
	size_t keep = limit && limit < n ? limit : n;
	zhfts_facet_value *v = rc || !keep ? NULL : calloc(keep, sizeof *v);
	if (rc == ZHFTS_OK && keep && !v)
		rc = ZHFTS_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (rc == ZHFTS_OK && i < keep) {
			v[i].value = s[i].text;
			v[i].count = s[i].count;
		} else {
			free(s[i].text);
		}
	}
	free(s);
	if (rc) {
		free(v);
		free((char *)out->name);
		memset(out, 0, sizeof *out);
		return rc;
	}
	out->values = v;
	out->nvalues = keep;
	out->distinct = n;
	return ZHFTS_OK;
}
