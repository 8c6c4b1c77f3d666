/*
 * The hit map: the document and paragraph number of every paragraph, by
 * docid, without reading paragraph records.  It lets a caller list every
 * hit of a query (zhfts_results_locate) at the cost of the match, where
 * reading each hit's record costs a B-tree lookup and an inflate.
 *
 * It is built in one pass over the value stream of document ids
 * (ZHFTS_SLOT_DOC) of each local part.  A paragraph's number is its place
 * among the live paragraphs of its document, in docid order: a document's
 * version is written in one transaction, paragraph 1 first, and merging,
 * compaction and splitting keep that order (tests/test-search.c checks the
 * map against every hit's record over databases written each way).  Dead
 * paragraphs and those of remote parts (whose value streams Xapian reads
 * document by document) are left out: a caller gets them from their
 * records, as zhfts_results_hit() does.
 *
 * What a docid names never changes within one database (a replaced
 * document gets new paragraphs), so a map built at one revision answers
 * for results of any other, as long as the database is the same one (its
 * UUID: compaction renumbers); paragraphs written since are not in it.  The
 * handle keeps its map until a reopen finds a local part at a new revision;
 * results keep a reference to the one they used.
 */
#include <stdlib.h>
#include <string.h>

#include "zhfts-private.h"

struct zhitmap {
	unsigned refs;
	uint64_t *revisions; /* of each part when built (remote parts: 0) */
	size_t nparts;
	char uuid[48];
	uint32_t ndocids;   /* entries: docids 1 .. ndocids */
	uint32_t *doc;      /* per docid - 1: 1 + index in ids, 0 if not known */
	uint32_t *para;
	char **ids;
	size_t nids, idcap;
};

typedef struct idslot {
	uint32_t index; /* 1 + index in ids; 0: empty */
	uint32_t count; /* live paragraphs met so far */
} idslot;

typedef struct building {
	zhitmap *m;
	zhfts_db *db;
	size_t part;
	idslot *table; /* open addressing over ids */
	size_t cap;    /* a power of two */
	uint32_t last; /* the slot of the previous paragraph's id (the common case: the same) */
	int rc;
} building;

void zhfts__hitmap_release(zhitmap *m)
{
	if (!m || --m->refs)
		return;
	for (size_t i = 0; i < m->nids; i++)
		free(m->ids[i]);
	free(m->ids);
	free(m->revisions);
	free(m->doc);
	free(m->para);
	free(m);
}

static int grow_table(building *b)
{
	size_t cap = b->cap ? b->cap * 2 : 1024;
	idslot *t = calloc(cap, sizeof *t);
	if (!t)
		return ZHFTS_ENOMEM;
	for (size_t i = 0; i < b->cap; i++) {
		if (!b->table[i].index)
			continue;
		const char *id = b->m->ids[b->table[i].index - 1];
		size_t h = (size_t)zhfts__hash(id, strlen(id)) & (cap - 1);
		while (t[h].index)
			h = (h + 1) & (cap - 1);
		t[h] = b->table[i];
	}
	free(b->table);
	b->table = t;
	b->cap = cap;
	b->last = UINT32_MAX;
	return ZHFTS_OK;
}

/* The table slot of an id, added if new; UINT32_MAX when out of memory. */
static uint32_t slot_of(building *b, const char *v, size_t len)
{
	if (b->last != UINT32_MAX) {
		const char *id = b->m->ids[b->table[b->last].index - 1];
		if (!strncmp(id, v, len) && !id[len])
			return b->last;
	}
	if ((b->m->nids + 1) * 2 > b->cap && grow_table(b))
		return UINT32_MAX;
	size_t h = (size_t)zhfts__hash(v, len) & (b->cap - 1);
	for (; b->table[h].index; h = (h + 1) & (b->cap - 1)) {
		const char *id = b->m->ids[b->table[h].index - 1];
		if (!strncmp(id, v, len) && !id[len])
			return b->last = (uint32_t)h;
	}
	void *ids = b->m->ids;
	char *copy = zhfts__strndup(v, len);
	if (!copy || zvec_grow(&ids, &b->m->idcap, b->m->nids + 1, sizeof *b->m->ids)) {
		free(copy);
		return UINT32_MAX;
	}
	b->m->ids = ids;
	b->m->ids[b->m->nids++] = copy;
	b->table[h] = (idslot){(uint32_t)b->m->nids, 0};
	return b->last = (uint32_t)h;
}

/* Runs inside Xapian's iteration: touches only the map being built. */
static int take_value(void *ctx, uint32_t local, const char *v, size_t len)
{
	building *b = ctx;
	uint32_t docid = zhfts__docid_of(b->db, b->part, local);
	if (!len || docid == 0 || docid > b->m->ndocids || zhfts__dead_has(&b->db->dead, docid))
		return 0;
	uint32_t s = slot_of(b, v, len);
	if (s == UINT32_MAX)
		return b->rc = ZHFTS_ENOMEM;
	b->m->doc[docid - 1] = b->table[s].index;
	b->m->para[docid - 1] = ++b->table[s].count;
	return 0;
}

static int build(zhfts_db *db, void *ctx)
{
	zhitmap **out = ctx;
	zhitmap *m = calloc(1, sizeof *m);
	uint64_t last = 0;
	int rc = m ? ZHFTS_OK : ZHFTS_ENOMEM;
	rc = rc ? rc : zhfts__dead_refresh(db);
	rc = rc ? rc : zx_uuid(db->x, m->uuid, sizeof m->uuid, &db->err);
	if (rc == ZHFTS_OK && !(m->revisions = calloc(db->nparts, sizeof *m->revisions)))
		rc = ZHFTS_ENOMEM;
	if (m)
		m->nparts = db->nparts;
	for (size_t k = 0; rc == ZHFTS_OK && k < db->nparts; k++)
		if (db->parts[k].path)
			rc = zx_revision(db->parts[k].x, &m->revisions[k], &db->err);
	rc = rc ? rc : zx_lastdocid(db->x, &last, &db->err);
	if (rc == ZHFTS_OK && last > UINT32_MAX - 1)
		rc = zerr_set(&db->err, ZHFTS_ELIMIT, "%s: too many paragraphs to map", db->path);
	if (rc == ZHFTS_OK && last) {
		m->ndocids = (uint32_t)last;
		m->doc = calloc(last, sizeof *m->doc);
		m->para = malloc(last * sizeof *m->para);
		if (!m->doc || !m->para)
			rc = ZHFTS_ENOMEM;
	}
	building b = {m, db, 0, NULL, 0, UINT32_MAX, ZHFTS_OK};
	for (size_t k = 0; rc == ZHFTS_OK && last && k < db->nparts; k++) {
		if (!db->parts[k].path)
			continue; /* remote: read from the records */
		b.part = k;
		b.last = UINT32_MAX;
		/* A part's value stream is read alone: the combined view would
		 * interleave the parts' documents. */
		rc = zx_value_scan(db->parts[k].x, ZHFTS_SLOT_DOC, take_value, &b, &db->err);
		if (rc == ZHFTS_ENOMEM && b.rc)
			rc = zerr_set(&db->err, ZHFTS_ENOMEM, "out of memory mapping paragraphs");
	}
	free(b.table);
	if (m)
		m->refs = 1;
	if (rc) {
		zhfts__hitmap_release(m);
		return rc;
	}
	*out = m;
	return ZHFTS_OK;
}

/* Is the handle's map still that of the database as the handle sees it?
 * (A reopen that found no new commit keeps it.) */
static bool current(zhfts_db *db, const zhitmap *m)
{
	if (!m || m->nparts != db->nparts)
		return false;
	zerr tmp;
	char uuid[48];
	if (zx_uuid(db->x, uuid, sizeof uuid, &tmp) != ZHFTS_OK || strcmp(uuid, m->uuid))
		return false;
	for (size_t k = 0; k < db->nparts; k++) {
		uint64_t rev = 0;
		if (db->parts[k].path && (zx_revision(db->parts[k].x, &rev, &tmp) != ZHFTS_OK || rev != m->revisions[k]))
			return false;
	}
	return true;
}

int zhfts__hitmap_get(zhfts_db *db, zhitmap **out)
{
	*out = NULL;
	if (!current(db, db->hitmap)) {
		zhitmap *fresh = NULL;
		int rc = zhfts__read(db, build, &fresh);
		if (rc)
			return rc;
		zhfts__hitmap_release(db->hitmap);
		db->hitmap = fresh;
	}
	db->hitmap->refs++;
	*out = db->hitmap;
	return ZHFTS_OK;
}

bool zhfts__hitmap_find(const zhitmap *m, const char *uuid, uint32_t docid, const char **doc, uint32_t *para)
{
	if (!m || docid == 0 || docid > m->ndocids || !m->doc[docid - 1] || strcmp(uuid, m->uuid))
		return false;
	*doc = m->ids[m->doc[docid - 1] - 1];
	*para = m->para[docid - 1];
	return true;
}
