/*
 * Stage 5: a document -> Xapian documents, one per paragraph, replacing the
 * document's earlier paragraphs atomically; and deleting documents.
 *
 *   bytes -> decode.c -> paragraph.c, section.c -> tokenize.c -> terms.c -> here
 *
 * Each paragraph gets the terms of its units (terms.c), its section path
 * and document id as terms, its document's fields (fields.c) as terms and
 * values, the document id in ZHFTS_SLOT_DOC, and its record (record.c) as
 * data.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zhfts-private.h"

#define MAX_ID_BYTES 4096

static int check_id(zhfts_db *db, const char *id)
{
	if (!id || !*id)
		return zerr_set_at(&db->err, ZHFTS_EINVAL, ZHFTS_WHERE_OPTION, -1, "a document id must not be empty");
	size_t n = strnlen(id, MAX_ID_BYTES + 1);
	if (n > MAX_ID_BYTES)
		return zerr_set_at(&db->err, ZHFTS_EINVAL, ZHFTS_WHERE_OPTION, -1,
		                   "document id is longer than %d bytes", MAX_ID_BYTES);
	size_t bad = zhfts__utf8_check(id, n);
	if (bad != n)
		return zerr_set_at(&db->err, ZHFTS_EINVAL, ZHFTS_WHERE_OPTION, -1,
		                   "document id is not valid UTF-8 (byte %zu)", bad);
	return ZHFTS_OK;
}

typedef zdocfields docfields;

void zhfts__docfields_free(docfields *df)
{
	for (size_t i = 0; i < 2; i++)
		zbuf_free(&df->guessed[i]);
	for (size_t i = 0; i < ZHFTS_MAX_FIELDS + 2; i++) {
		zbuf_free(&df->norm[i]);
		zbuf_free(&df->sortable[i]);
	}
}

static int field_error(zhfts_db *db, const char *name, const char *fmt, const char *what)
{
	zerr_set_at(&db->err, ZHFTS_EINVAL, ZHFTS_WHERE_OPTION, -1, fmt, what);
	return zhfts__db_fail(db, ZHFTS_EINVAL, NULL, name);
}

static int check_fields(zhfts_db *db, const zhfts_doc_options *o, docfields *df)
{
	const zhfts_field *f = o && o->version >= 2 ? o->fields : NULL;
	size_t n = o && o->version >= 2 ? o->nfields : 0;
	if (n && !f)
		return zerr_set_at(&db->err, ZHFTS_EINVAL, ZHFTS_WHERE_OPTION, -1, "%zu fields but no array", n);
	if (n > ZHFTS_MAX_FIELDS)
		return zerr_set_at(&db->err, ZHFTS_EINVAL, ZHFTS_WHERE_OPTION, -1,
		                   "%zu fields; a document may have at most %d", n, ZHFTS_MAX_FIELDS);
	for (size_t i = 0; i < n; i++) {
		const char *name = f[i].name, *v = f[i].value;
		if (!name || !zhfts__field_name_ok(name, strnlen(name, ZHFTS_MAX_FIELD_NAME + 1)))
			return field_error(db, name, "field name '%s' is not 1 to 32 of a-z, 0-9 and _ starting with "
			                             "a letter, or is reserved (doc, section)",
			                   name ? name : "(null)");
		if (!v)
			return field_error(db, name, "field '%s' has no value", name);
		size_t vl = strnlen(v, ZHFTS_MAX_FIELD_VALUE + 1);
		if (vl == 0 || vl > ZHFTS_MAX_FIELD_VALUE)
			return field_error(db, name, "field '%s' must have a value of 1 to 1024 bytes", name);
		if (zhfts__utf8_check(v, vl) != vl)
			return field_error(db, name, "field '%s' is not valid UTF-8", name);
		for (size_t k = 0; k < i; k++)
			if (!strcmp(f[k].name, name))
				return field_error(db, name, "field '%s' is given twice", name);
		df->f[df->n++] = f[i];
	}
	return ZHFTS_OK;
}

static bool has_field(const docfields *df, const char *name)
{
	for (size_t i = 0; i < df->n; i++)
		if (!strcmp(df->f[i].name, name))
			return true;
	return false;
}

static int guess_fields(docfields *df, const zdecoded *d)
{
	static const char *const names[2] = {"title", "date"};
	for (int k = 0; k < 2; k++) {
		if (has_field(df, names[k]))
			continue;
		bool found = false;
		int rc = k == 0 ? zhfts__guess_title(d->text, d->len, &df->guessed[k], &found)
		                : zhfts__guess_date(d->text, d->len, &df->guessed[k], &found);
		if (rc)
			return rc;
		if (found && df->guessed[k].len <= ZHFTS_MAX_FIELD_VALUE)
			df->f[df->n++] = (zhfts_field){names[k], df->guessed[k].data};
	}
	return ZHFTS_OK;
}

int zhfts__docfields_prepare(zhfts_db *db, docfields *df)
{
	int rc = ZHFTS_OK;
	for (size_t i = 0; rc == ZHFTS_OK && i < df->n; i++) {
		rc = zhfts__field_normalize(&db->tok, df->f[i].value, strlen(df->f[i].value), &df->norm[i]);
		rc = rc ? rc : zhfts__field_sortable(df->norm[i].data, df->norm[i].len, &df->sortable[i]);
	}
	return rc;
}

/* ---- a paragraph's text terms, counted ---------------------------------------
 * Each occurrence goes into the bag; sorted, equal terms make one Xapian term
 * whose wdf is its normalised frequency (weight.c). */
struct zbagterm {
	size_t off, len;
	const char *p;
};

static int bag_add(zdocctx *c, const zbuf *term)
{
	void *v = c->bagged;
	if (zvec_grow(&v, &c->bagcap, c->nbagged + 1, sizeof *c->bagged))
		return ZHFTS_ENOMEM;
	c->bagged = v;
	c->bagged[c->nbagged++] = (struct zbagterm){c->bag.len, term->len, NULL};
	return zbuf_add(&c->bag, term->data, term->len);
}

static int bagterm_cmp(const void *a, const void *b)
{
	const struct zbagterm *x = a, *y = b;
	int r = memcmp(x->p, y->p, x->len < y->len ? x->len : y->len);
	return r ? r : x->len < y->len ? -1 : x->len > y->len;
}

static int bag_flush(zdocctx *c, zx_doc *xd, size_t units)
{
	int rc = ZHFTS_OK;
	if (!c->nbagged)
		return rc; /* a paragraph with no text to index: nothing bagged yet */
	for (size_t i = 0; i < c->nbagged; i++)
		c->bagged[i].p = c->bag.data + c->bagged[i].off;
	qsort(c->bagged, c->nbagged, sizeof *c->bagged, bagterm_cmp);
	for (size_t i = 0, j; rc == ZHFTS_OK && i < c->nbagged; i = j) {
		for (j = i + 1; j < c->nbagged && !bagterm_cmp(&c->bagged[i], &c->bagged[j]); j++)
			;
		rc = zx_doc_term_wdf(xd, c->bagged[i].p, c->bagged[i].len, zhfts__wdf((uint32_t)(j - i), units));
	}
	c->nbagged = 0;
	c->bag.len = 0;
	return rc;
}

void zhfts__docctx_free(zdocctx *c)
{
	zbuf_free(&c->term);
	zbuf_free(&c->data);
	zbuf_free(&c->bag);
	free(c->bagged);
	c->bagged = NULL;
	c->nbagged = c->bagcap = 0;
}

/* The text's terms: units, adjacent pairs, and ICU words of two or more Han
 * characters. */
static int add_text(zx_doc *xd, zdocctx *c, const zunits *us)
{
	int rc = ZHFTS_OK;
	c->nbagged = 0;
	c->bag.len = 0;
	for (size_t i = 0; i < us->n && rc == ZHFTS_OK; i++) {
		rc = zhfts__term_unigram(&c->term, us, i);
		rc = rc ? rc : bag_add(c, &c->term);
		if (rc == ZHFTS_OK && i + 1 < us->n) {
			rc = zhfts__term_bigram(&c->term, us, i);
			rc = rc ? rc : bag_add(c, &c->term);
		}
	}
	for (size_t t = 0; rc == ZHFTS_OK && t < us->ntok; t++) {
		if (us->tok[t].kind == ZHFTS_TOKEN_HAN && us->tok[t].nunits >= 2) {
			rc = zhfts__term_word(&c->term, us, t);
			rc = rc ? rc : bag_add(c, &c->term);
		}
	}
	return rc ? rc : bag_flush(c, xd, us->n);
}

int zhfts__paragraph_doc(zhfts_db *db, zx_doc *xd, const zrecord *r, zdocctx *c)
{
	zunits *us = &db->units;
	zhfts__units_reset(us);
	int rc = zhfts__units(&db->tok, r->text, r->text_len, us);
	rc = rc ? rc : add_text(xd, c, us);
	if (rc == ZHFTS_OK && r->section_len) {
		rc = zhfts__term_section(&c->term, r->section, r->section_len);
		rc = rc ? rc : zx_doc_term(xd, c->term.data, c->term.len);
	}
	rc = rc ? rc : zx_doc_term(xd, c->idterm->data, c->idterm->len);
	rc = rc ? rc : zx_doc_value(xd, ZHFTS_SLOT_DOC, c->id, strlen(c->id));
	const docfields *df = c->df;
	for (size_t i = 0; rc == ZHFTS_OK && i < df->n; i++) {
		const char *name = df->f[i].name;
		rc = zhfts__term_field(&c->term, name, df->norm[i].data, df->norm[i].len);
		rc = rc ? rc : zx_doc_term(xd, c->term.data, c->term.len);
		rc = rc ? rc : zx_doc_value(xd, zhfts__field_slot(name, strlen(name)), df->sortable[i].data,
		                            df->sortable[i].len);
	}
	if (c->record) /* a paragraph as it is stored already */
		return rc ? rc : zx_doc_data(xd, c->record, c->record_len);
	rc = rc ? rc : zhfts__record_encode(&c->data, r, df->f, df->n);
	rc = rc ? rc : zx_doc_data(xd, c->data.data, c->data.len);
	return rc;
}

typedef struct built {
	zx_doc **docs;
	size_t n, cap;
} built;

static void built_free(built *b)
{
	for (size_t i = 0; i < b->n; i++)
		zx_doc_free(b->docs[i]);
	free(b->docs);
}

/* A paragraph's record, but for its fields. */
static void para_record(const zdecoded *d, const zpara *p, zrecord *r)
{
	uint64_t off = zhfts__decoded_orig(d, p->start);
	memset(r, 0, sizeof *r);
	r->para = p->number;
	r->offset = off;
	r->length = zhfts__decoded_orig(d, p->end) - off;
	r->section = p->section;
	r->section_len = strlen(p->section);
	r->text = d->text + p->start;
	r->text_len = p->end - p->start;
}

/* Is the document stored already as it would be written now: the same
 * paragraphs, offsets, sections and fields?  Re-indexing it then changes
 * nothing, and writes nothing (a collection kept current by indexing its
 * directory again costs a read per unchanged file, and no space). */
static int same_as_stored(zhfts_db *db, const char *id, const zdecoded *d, int mode, const zdocfields *df,
                          bool *same, uint32_t *paragraphs)
{
	*same = false;
	uint32_t *old = NULL;
	size_t nold = 0;
	int rc = zhfts__doc_paragraphs(db, id, &old, &nold);
	if (rc || !nold) {
		free(old);
		return rc;
	}
	zparas ps;
	rc = zhfts__split_paragraphs(&ps, d->text, d->len, mode);
	if (rc) {
		free(old);
		return zerr_set(&db->err, rc, "%s: out of memory splitting paragraphs", id);
	}
	rc = zhfts__assign_sections(&ps, d->text);
	zx_fetched *f = rc == ZHFTS_OK && ps.n == nold ? calloc(nold, sizeof *f) : NULL;
	if (f && (rc = zx_fetch(db->x, old, nold, true, NULL, 0, f, &db->err)) == ZHFTS_OK) {
		zbuf rec = {0};
		bool eq = true;
		for (size_t i = 0; eq && rc == ZHFTS_OK && i < nold; i++) {
			zrecord r;
			para_record(d, &ps.items[i], &r);
			rec.len = 0;
			rc = zhfts__record_encode(&rec, &r, df->f, df->n);
			eq = !f[i].missing && f[i].data_len == rec.len && !memcmp(f[i].data, rec.data, rec.len);
		}
		zbuf_free(&rec);
		zx_fetched_free(f, nold);
		*same = eq && rc == ZHFTS_OK;
		*paragraphs = (uint32_t)nold;
	}
	free(f);
	zhfts__paras_free(&ps);
	free(old);
	return rc == ZHFTS_ENOMEM ? zerr_set(&db->err, rc, "%s: out of memory", id) : rc;
}

/* Turns a decoded document into Xapian documents, touching no database. */
static int build_document(zhfts_db *db, const zdecoded *d, int mode, zdocctx *c, built *out)
{
	zparas ps;
	int rc = zhfts__split_paragraphs(&ps, d->text, d->len, mode);
	if (rc)
		return zerr_set(&db->err, rc, "%s: out of memory splitting paragraphs", c->id);
	rc = zhfts__assign_sections(&ps, d->text);
	for (size_t i = 0; rc == ZHFTS_OK && i < ps.n; i++) {
		const zpara *p = &ps.items[i];
		zrecord r;
		para_record(d, p, &r);
		void *v = out->docs;
		rc = zvec_grow(&v, &out->cap, out->n + 1, sizeof(zx_doc *));
		out->docs = v;
		zx_doc *xd = NULL;
		rc = rc ? rc : zx_doc_new(&xd);
		if (rc)
			break;
		out->docs[out->n++] = xd;
		rc = zhfts__paragraph_doc(db, xd, &r, c);
		if (rc && !db->err.msg[0])
			zerr_set(&db->err, rc, "%s: paragraph %u: %s", c->id, p->number, zhfts_strerror(rc));
	}
	zhfts__paras_free(&ps);
	if (rc && !db->err.msg[0])
		zerr_set(&db->err, rc, "%s: %s", c->id, zhfts_strerror(rc));
	return rc;
}

/* A failure of the database while writing: back to the last commit. */
static int lost(zhfts_db *db, int rc, const char *id, const char *what)
{
	char why[sizeof db->err.msg];
	snprintf(why, sizeof why, "%s", db->err.msg);
	uint64_t earlier = db->pending_docs;
	zhfts__discard_pending(db);
	db->error.lost = earlier;
	zerr_set(&db->err, rc, "%s: %s: %.300s; the database is back at its last commit (%llu earlier "
	                       "document%s since then discarded)",
	         id, what, why, (unsigned long long)earlier, earlier == 1 ? "" : "s");
	return zhfts__db_fail(db, rc, id, NULL);
}

/* The part a document goes to: the one holding it already, else the one
 * its id hashes to (shards.c).  Refused when this handle does not write it. */
static int part_for(zhfts_db *db, const char *id, const uint32_t *old, size_t nold, size_t *out)
{
	uint32_t local;
	size_t k = nold ? zhfts__part_of(db, old[0], &local) : zhfts__part_for_new(db, id);
	*out = k;
	if (db->parts[k].writable)
		return ZHFTS_OK;
	zerr_set_at(&db->err, ZHFTS_EINVAL, ZHFTS_WHERE_OPTION, -1,
	            "%s: the document belongs to shard %zu (%s), which this handle does not write (write_shard %u)", id,
	            k + 1, db->parts[k].name, db->settings.write_shard);
	return ZHFTS_EINVAL;
}

/* A read of a shard this handle does not write failed: nothing was written,
 * so what is pending on the shard it writes stays pending. */
static int unknown(zhfts_db *db, int rc, const char *id, size_t k)
{
	char why[sizeof db->err.msg];
	snprintf(why, sizeof why, "%s", db->err.msg);
	zerr_set(&db->err, rc, "%s: cannot tell whether shard %zu (%s) holds the document: %.300s; nothing was written", id,
	         k + 1, db->parts[k].name, why);
	return zhfts__db_fail(db, rc, id, NULL);
}

/* The paragraphs of a document about to be replaced or deleted.  A handle
 * that writes one shard of a stub (write_shard) reads that shard first and
 * the others only when the document is not on it and could be (new, or
 * placed before shards were added), so that a shard that is down stops no
 * writer but its own.  *soft: the failure was reading another shard. */
static int find_document(zhfts_db *db, const char *id, bool adding, uint32_t **old, size_t *nold, bool *soft)
{
	*soft = false;
	unsigned w = db->settings.write_shard;
	if (!db->stub || db->nparts == 1 || !w)
		return zhfts__doc_paragraphs(db, id, old, nold);
	int rc = zhfts__doc_paragraphs_part(db, w - 1, id, old, nold);
	if (rc || *nold)
		return rc;
	/* Not on the shard written: a new document goes where its id hashes to,
	 * and one that hashes elsewhere is refused (part_for) without a read. */
	if (adding && zhfts__part_for_new(db, id) != w - 1)
		return ZHFTS_OK;
	for (size_t k = 0; k < db->nparts; k++) {
		if (k == w - 1)
			continue;
		free(*old);
		rc = zhfts__doc_paragraphs_part(db, k, id, old, nold);
		if (rc) {
			*soft = true;
			return unknown(db, rc, id, k);
		}
		if (*nold)
			return ZHFTS_OK;
	}
	return ZHFTS_OK;
}

static int apply(zhfts_db *db, const char *id, const built *b, const docfields *df, uint32_t *replaced)
{
	uint32_t *old = NULL;
	size_t nold = 0, k = 0;
	bool soft;
	int rc = find_document(db, id, true, &old, &nold, &soft);
	if (rc) {
		free(old);
		return soft ? rc : lost(db, rc, id, "looking the document up failed");
	}
	if (part_for(db, id, old, nold, &k)) {
		free(old);
		return zhfts__db_fail(db, ZHFTS_EINVAL, id, NULL);
	}
	/* New field names first, outside the transaction: a clash of two names
	 * is bad input and must leave the pending documents alone. */
	rc = zhfts__fields_register(db, df->f, df->n);
	if (rc == ZHFTS_EINVAL) {
		free(old);
		return zhfts__db_fail(db, rc, id, NULL);
	}
	if (rc) {
		free(old);
		return lost(db, rc, id, "recording field names failed");
	}
	if (db->nparts == 1 && !db->order.valid &&
	    (rc = zhfts__order_load(&db->order, db->x, db->path, &db->err)) != ZHFTS_OK) {
		free(old);
		return lost(db, rc, id, "reading the document order failed");
	}
	zpart *p = &db->parts[k];
	rc = zx_txn_begin(p->x, &db->err);
	for (size_t i = 0; rc == ZHFTS_OK && i < nold; i++)
		rc = zhfts__remove_paragraph(db, old[i]);
	for (size_t i = 0; rc == ZHFTS_OK && i < b->n; i++)
		rc = zx_add(p->x, b->docs[i], NULL, &db->err);
	rc = rc ? rc : zx_txn_commit(p->x, &db->err);
	free(old);
	p->touched = true;
	if (rc) {
		zerr tmp;
		zx_txn_cancel(p->x, &tmp);
		/* A connection Xapian closed says so without naming the shard. */
		char what[300];
		snprintf(what, sizeof what, "writing to shard %.260s failed", p->name);
		return lost(db, rc, id, db->stub ? what : "writing failed");
	}
	*replaced = (uint32_t)nold;
	p->pending_docs++;
	if (db->nparts == 1 && zhfts__order_note(&db->order, id))
		return lost(db, ZHFTS_ENOMEM, id, "recording the document order failed");
	return ZHFTS_OK;
}

int zhfts_db_add_document(zhfts_db *db, const char *id, const char *data, size_t len,
                          const zhfts_doc_options *opts, zhfts_doc_info *info)
{
	if (!db)
		return ZHFTS_EINVAL;
	zhfts__db_begin(db);
	if (info && (info->version < 1 || info->version > ZHFTS_DOC_INFO_VERSION)) {
		zerr_set_at(&db->err, ZHFTS_EINVAL, ZHFTS_WHERE_OPTION, -1,
		            "zhfts_doc_info.version is not ZHFTS_DOC_INFO_VERSION");
		return zhfts__db_fail(db, ZHFTS_EINVAL, NULL, "info");
	}
	int rc = zhfts__need_writable(db);
	rc = rc ? rc : check_id(db, id);
	if (rc)
		return zhfts__db_fail(db, rc, rc == ZHFTS_EINVAL ? NULL : id, NULL);
	if (!data && len) {
		zerr_set_at(&db->err, ZHFTS_EINVAL, ZHFTS_WHERE_OPTION, -1, "%s: NULL data with length %zu", id, len);
		return zhfts__db_fail(db, ZHFTS_EINVAL, id, NULL);
	}
	if (opts && (opts->version < 1 || opts->version > ZHFTS_DOC_OPTIONS_VERSION)) {
		zerr_set_at(&db->err, ZHFTS_EINVAL, ZHFTS_WHERE_OPTION, -1,
		            "zhfts_doc_options.version is not ZHFTS_DOC_OPTIONS_VERSION");
		return zhfts__db_fail(db, ZHFTS_EINVAL, id, "opts");
	}
	docfields *df = calloc(1, sizeof *df);
	if (!df)
		return zhfts__db_fail(db, ZHFTS_ENOMEM, id, NULL);
	rc = check_fields(db, opts, df);
	if (rc) {
		zhfts__docfields_free(df);
		free(df);
		return zhfts__db_fail(db, rc, id, NULL);
	}
	zdecoded d;
	zerr derr = {{0}, 0, 0, -1};
	rc = zhfts__decode(&d, data ? data : "", len, opts ? opts->encoding : NULL,
	                   opts && (opts->flags & ZHFTS_DOC_LENIENT), &derr);
	if (rc) {
		zhfts__decoded_free(&d);
		zhfts__docfields_free(df);
		free(df);
		zerr_set_at(&db->err, rc, derr.where ? derr.where : ZHFTS_WHERE_DOCUMENT, derr.offset, "%s: %s", id,
		            derr.msg);
		return zhfts__db_fail(db, rc, id, NULL);
	}
	if (!(opts && (opts->flags & ZHFTS_DOC_NO_GUESS)))
		rc = guess_fields(df, &d);
	rc = rc ? rc : zhfts__docfields_prepare(db, df);
	zbuf idterm = {0};
	built b = {0};
	uint32_t replaced = 0;
	rc = rc ? rc : zhfts__term_docid(&idterm, id, db->id_hash_bits);
	int mode = opts && (opts->flags & ZHFTS_DOC_LINES) ? ZHFTS_PARAGRAPH_LINE : db->settings.paragraph_mode;
	zdocctx c = {.id = id, .idterm = &idterm, .df = df};
	bool same = false;
	uint32_t stored = 0;
	if (rc == ZHFTS_OK && (rc = same_as_stored(db, id, &d, mode, df, &same, &stored)) != ZHFTS_OK)
		rc = zhfts__db_fail(db, rc, id, NULL); /* nothing was written */
	else if (same)
		; /* nothing to write */
	else if (rc == ZHFTS_OK && (rc = build_document(db, &d, mode, &c, &b)) != ZHFTS_OK)
		rc = zhfts__db_fail(db, rc, id, NULL); /* nothing was written */
	else if (rc == ZHFTS_OK)
		rc = apply(db, id, &b, df, &replaced);
	else
		rc = zhfts__db_fail(db, rc, id, NULL);
	zhfts__docctx_free(&c);
	built_free(&b);
	zbuf_free(&idterm);
	zhfts__docfields_free(df);
	free(df);
	snprintf(db->encoding, sizeof db->encoding, "%s", d.encoding);
	zhfts__decoded_free(&d);
	if (rc)
		return rc;
	if (same) {
		if (info) {
			info->paragraphs = stored;
			info->replaced = 0;
			info->encoding = db->encoding;
			info->committed = 0;
			if (info->version >= 2)
				info->unchanged = 1;
		}
		return ZHFTS_OK;
	}
	db->pending_docs++;
	db->pending_bytes += len;
	bool committed = false;
	if (db->pending_bytes >= db->auto_commit_bytes) {
		uint64_t earlier = db->pending_docs - 1;
		rc = zhfts__commit(db);
		if (rc) {
			/* The commit failed: nothing since the last one survives, this
			 * document included. */
			db->pending_docs = earlier;
			return lost(db, rc, id, "committing failed");
		}
		committed = true;
	}
	if (info) {
		info->paragraphs = (uint32_t)b.n;
		info->replaced = replaced;
		info->encoding = db->encoding;
		info->committed = committed;
		if (info->version >= 2)
			info->unchanged = 0;
	}
	return ZHFTS_OK;
}

int zhfts_db_delete_document(zhfts_db *db, const char *id)
{
	if (!db)
		return ZHFTS_EINVAL;
	zhfts__db_begin(db);
	int rc = zhfts__need_writable(db);
	rc = rc ? rc : check_id(db, id);
	if (rc)
		return zhfts__db_fail(db, rc, NULL, NULL);
	uint32_t *docids = NULL;
	size_t n = 0, k = 0;
	bool soft;
	rc = find_document(db, id, false, &docids, &n, &soft);
	if (soft) {
		free(docids);
		return rc;
	}
	if (rc == ZHFTS_OK && n == 0) {
		free(docids);
		zerr_set(&db->err, ZHFTS_ENOTFOUND, "%s: no such document", id);
		return zhfts__db_fail(db, ZHFTS_ENOTFOUND, id, NULL);
	}
	if (rc == ZHFTS_OK && part_for(db, id, docids, n, &k)) {
		free(docids);
		return zhfts__db_fail(db, ZHFTS_EINVAL, id, NULL);
	}
	zpart *p = &db->parts[k];
	rc = rc ? rc : zx_txn_begin(p->x, &db->err);
	for (size_t i = 0; rc == ZHFTS_OK && i < n; i++)
		rc = zhfts__remove_paragraph(db, docids[i]);
	rc = rc ? rc : zx_txn_commit(p->x, &db->err);
	free(docids);
	if (rc) {
		zerr tmp;
		zx_txn_cancel(p->x, &tmp);
		return lost(db, rc, id, "deleting failed");
	}
	p->pending_docs++;
	db->pending_docs++;
	return ZHFTS_OK;
}
