/*
 * Candidate checks: does a paragraph really match?
 *
 * Xapian finds a run of three or more units by its pair terms, which a
 * paragraph may hold without holding the run; the plan's check tree says
 * what a match is, and this evaluates it on the paragraph's own stored
 * text, cut into the same units as the index: the same substring test as
 * the definition of a match.
 */
#include <stdlib.h>
#include <string.h>

#include "zhfts-private.h"

int zhfts__candidate_load(zhfts_db *db, zcandidate *c, const char *doc, size_t doc_len, const zrecord *rec)
{
	c->doc = doc;
	c->doc_len = doc_len;
	c->rec = rec;
	c->section.len = 0;
	zhfts__units_reset(&c->units);
	int rc = zhfts__units_fast(&db->tok, rec->text, rec->text_len, &c->units);
	rc = rc ? rc : zhfts__units_joined(&c->text, &c->units, 0, c->units.n);
	if (rc == ZHFTS_OK && rec->section_len)
		rc = zhfts__term_section(&c->section, rec->section, rec->section_len);
	if (rc == ZHFTS_ENOMEM)
		return zerr_set(&db->err, rc, "out of memory checking hits");
	if (rc)
		return zerr_set(&db->err, rc, "%s: %s", db->path, db->tok.err.msg);
	return ZHFTS_OK;
}

void zhfts__candidate_free(zcandidate *c)
{
	zhfts__units_free(&c->units);
	zbuf_free(&c->text);
	zbuf_free(&c->section);
	zbuf_free(&c->norm);
	zbuf_free(&c->sortable);
}

/* The candidate's field `name`, normalized into c->norm; false if absent. */
static bool field_value(zhfts_db *db, zcandidate *c, const char *name)
{
	size_t nl = strlen(name);
	for (uint32_t k = 0; k < c->rec->nfields; k++) {
		const char *fn, *fv;
		size_t fnl, fvl;
		if (!zhfts__record_field(c->rec, k, &fn, &fnl, &fv, &fvl))
			return false;
		if (fnl == nl && !memcmp(fn, name, nl))
			return zhfts__field_normalize(&db->tok, fv, fvl, &c->norm) == ZHFTS_OK;
	}
	return false;
}

static int bytes_cmp(const char *a, size_t al, const char *b, size_t bl)
{
	int r = memcmp(a, b, al < bl ? al : bl);
	return r ? r : al < bl ? -1 : al > bl;
}

bool zhfts__check(zhfts_db *db, const zcheck *k, zcandidate *c)
{
	switch (k->kind) {
	case CK_TRUE:
		return true;
	case CK_UNITS:
		return c->text.data && strstr(c->text.data, k->units);
	case CK_AND:
		for (size_t i = 0; i < k->nkids; i++)
			if (!zhfts__check(db, k->kids[i], c))
				return false;
		return true;
	case CK_OR:
		for (size_t i = 0; i < k->nkids; i++)
			if (zhfts__check(db, k->kids[i], c))
				return true;
		return false;
	case CK_NOT:
		for (size_t i = 1; i < k->nkids; i++)
			if (zhfts__check(db, k->kids[i], c))
				return false;
		return zhfts__check(db, k->kids[0], c);
	case CK_SECTION:
		for (size_t i = 0; c->section.len && i < k->nterms; i++)
			if (strlen(k->terms[i]) == c->section.len && !memcmp(k->terms[i], c->section.data, c->section.len))
				return true;
		return false;
	case CK_FIELD_EQ:
		return field_value(db, c, k->name) && c->norm.len == k->value_len &&
		       !memcmp(c->norm.data, k->value, k->value_len);
	case CK_FIELD_RANGE:
		if (!field_value(db, c, k->name) || zhfts__field_sortable(c->norm.data, c->norm.len, &c->sortable))
			return false;
		return bytes_cmp(c->sortable.data, c->sortable.len, k->lo, k->lo_len) >= 0 &&
		       bytes_cmp(c->sortable.data, c->sortable.len, k->hi, k->hi_len) <= 0;
	case CK_DOC_EQ:
		return c->doc_len == k->value_len && !memcmp(c->doc, k->value, k->value_len);
	case CK_DOC_PREFIX:
		return c->doc_len >= k->value_len && !memcmp(c->doc, k->value, k->value_len);
	}
	return false;
}
