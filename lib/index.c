/*
 * Stage 5: documents -> Xapian documents, one per paragraph; and the
 * database handle itself (open, settings, add, delete, commit, stats).
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <dirent.h>
#include <ftw.h>
#include <unistd.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <unicode/uchar.h>
#include <unicode/uversion.h>

#include "zhfts-private.h"

#define SETTINGS_KEY "zhfts.settings"
#define MAX_ID_BYTES 4096
#define DEFAULT_AUTO_COMMIT (16u << 20)

/* ---- stored paragraph records -------------------------------------------- */

int zhfts__record_encode(zbuf *out, const zrecord *r)
{
	out->len = 0;
	int rc = zbuf_addc(out, 'Z');
	rc = rc ? rc : zbuf_add_varint(out, r->doc_len);
	rc = rc ? rc : zbuf_add(out, r->doc, r->doc_len);
	rc = rc ? rc : zbuf_add_varint(out, r->para);
	rc = rc ? rc : zbuf_add_varint(out, r->offset);
	rc = rc ? rc : zbuf_add_varint(out, r->length);
	rc = rc ? rc : zbuf_add_varint(out, r->section_len);
	rc = rc ? rc : zbuf_add(out, r->section, r->section_len);
	rc = rc ? rc : zbuf_add_varint(out, r->text_len);
	rc = rc ? rc : zbuf_add(out, r->text, r->text_len);
	return rc;
}

static bool get_varint(const char **p, const char *end, uint64_t *v)
{
	*v = 0;
	for (int shift = 0; shift < 64 && *p < end; shift += 7) {
		unsigned char b = (unsigned char)*(*p)++;
		*v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return true;
	}
	return false;
}

static bool get_bytes(const char **p, const char *end, const char **s, size_t *n)
{
	uint64_t len;
	if (!get_varint(p, end, &len) || len > (uint64_t)(end - *p))
		return false;
	*s = *p;
	*n = (size_t)len;
	*p += len;
	return true;
}

int zhfts__record_decode(zrecord *r, const char *data, size_t len)
{
	const char *p = data, *end = data + len;
	uint64_t para;
	if (len < 1 || *p++ != 'Z' || !get_bytes(&p, end, &r->doc, &r->doc_len) ||
	    !get_varint(&p, end, &para) || !get_varint(&p, end, &r->offset) ||
	    !get_varint(&p, end, &r->length) || !get_bytes(&p, end, &r->section, &r->section_len) ||
	    !get_bytes(&p, end, &r->text, &r->text_len) || para > UINT32_MAX)
		return ZHFTS_ECORRUPT;
	r->para = (uint32_t)para;
	return ZHFTS_OK;
}

/* ---- settings --------------------------------------------------------------*/

static void settings_string(const zhfts_options *s, char *buf, size_t cap)
{
	UVersionInfo uv, iv;
	char ustr[U_MAX_VERSION_STRING_LENGTH], istr[U_MAX_VERSION_STRING_LENGTH];
	u_getUnicodeVersion(uv);
	u_versionToString(uv, ustr);
	u_getVersion(iv);
	snprintf(istr, sizeof istr, "%d", iv[0]);
	snprintf(buf, cap, "format=%d normalize=%d traditional=%d paragraphs=%s unicode=%s icu=%s",
	         ZHFTS_INDEX_FORMAT, s->normalize == ZHFTS_ON, s->traditional == ZHFTS_ON,
	         s->paragraph_mode == ZHFTS_PARAGRAPH_LINE ? "line" : "blank", ustr, istr);
}

static bool setting(const char *s, const char *key, char *val, size_t cap)
{
	size_t kl = strlen(key);
	for (const char *p = s; (p = strstr(p, key)); p += kl) {
		if ((p == s || p[-1] == ' ') && p[kl] == '=') {
			const char *v = p + kl + 1;
			size_t n = strcspn(v, " ");
			snprintf(val, cap, "%.*s", (int)n, v);
			return true;
		}
	}
	return false;
}

/* Resolves opts against what the database recorded (`stored`, "" if new). */
static int resolve_settings(zhfts_db *db, const zhfts_options *opts, const char *stored)
{
	zhfts_options want = opts ? *opts : (zhfts_options)ZHFTS_OPTIONS_INIT;
	zhfts_options *s = &db->settings;
	memset(s, 0, sizeof *s);
	s->version = ZHFTS_OPTIONS_VERSION;
	s->lock_timeout_ms = want.lock_timeout_ms;
	s->auto_commit_bytes = want.auto_commit_bytes;
	if (!*stored) {
		s->normalize = want.normalize ? want.normalize : ZHFTS_ON;
		s->traditional = want.traditional ? want.traditional : ZHFTS_ON;
		s->paragraph_mode = want.paragraph_mode ? want.paragraph_mode : ZHFTS_PARAGRAPH_BLANK_LINE;
		return ZHFTS_OK;
	}
	char v[64], mine[256], m[64];
	settings_string(s, mine, sizeof mine);
	if (!setting(stored, "format", v, sizeof v))
		return zerr_set(&db->err, ZHFTS_ECORRUPT, "%s: unreadable zhfts settings '%s'", db->path, stored);
	if (atoi(v) != ZHFTS_INDEX_FORMAT)
		return zerr_set(&db->err, ZHFTS_EVERSION,
		                "%s: index format %s, this library reads format %d: rebuild the index",
		                db->path, v, ZHFTS_INDEX_FORMAT);
	static const char *const unicode_keys[] = {"unicode", "icu"};
	for (int k = 0; k < 2; k++) {
		if (setting(stored, unicode_keys[k], v, sizeof v) && setting(mine, unicode_keys[k], m, sizeof m) &&
		    strcmp(v, m))
			return zerr_set(&db->err, ZHFTS_EVERSION,
			                "%s: built with %s %s, this library has %s %s; normalization may differ: rebuild the index",
			                db->path, unicode_keys[k], v, unicode_keys[k], m);
	}
	struct { const char *key; int *field; int want; int on, off; const char *on_s, *off_s; } f[] = {
		{"normalize", &s->normalize, want.normalize, ZHFTS_ON, ZHFTS_OFF, "1", "0"},
		{"traditional", &s->traditional, want.traditional, ZHFTS_ON, ZHFTS_OFF, "1", "0"},
		{"paragraphs", &s->paragraph_mode, want.paragraph_mode, ZHFTS_PARAGRAPH_LINE,
		 ZHFTS_PARAGRAPH_BLANK_LINE, "line", "blank"},
	};
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
		if (!setting(stored, f[i].key, v, sizeof v))
			return zerr_set(&db->err, ZHFTS_ECORRUPT, "%s: settings lack '%s'", db->path, f[i].key);
		*f[i].field = !strcmp(v, f[i].on_s) ? f[i].on : f[i].off;
		if (f[i].want != ZHFTS_DEFAULT && f[i].want != *f[i].field)
			return zerr_set(&db->err, ZHFTS_ESETTINGS,
			                "%s: the database was built with %s=%s; the options ask otherwise "
			                "(open it with the default, or rebuild it)",
			                db->path, f[i].key, v);
	}
	return ZHFTS_OK;
}

/* ---- open and close ----------------------------------------------------------*/

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void remove_tree(const char *path)
{
	nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A scratch database for ZHFTS_OPEN_INMEMORY: a glass database in a new
 * temporary directory, removed on close.  Xapian's own in-memory backend
 * has no transactions and takes minutes over a paragraph of a megabyte. */
static int make_scratch(zhfts_db *db)
{
	const char *base = getenv("TMPDIR");
	zbuf b = {0};
	if (zbuf_printf(&b, "%s/zhfts-scratch-XXXXXX", base && *base ? base : "/tmp"))
		return ZHFTS_ENOMEM;
	if (!mkdtemp(b.data)) {
		int e = errno;
		zbuf_free(&b);
		return zerr_set(&db->err, ZHFTS_EIO, "cannot make a scratch database directory: %s", strerror(e));
	}
	db->scratch_dir = zbuf_detach(&b);
	return db->scratch_dir ? ZHFTS_OK : ZHFTS_ENOMEM;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static int open_xapian(zhfts_db *db, const char *path, unsigned flags)
{
	enum zx_mode mode = ZX_READ;
	if (flags & (ZHFTS_OPEN_OVERWRITE | ZHFTS_OPEN_INMEMORY))
		mode = ZX_OVERWRITE;
	else if (flags & ZHFTS_OPEN_CREATE)
		mode = ZX_CREATE;
	else if (flags & ZHFTS_OPEN_WRITE)
		mode = ZX_OPEN;
	if (mode == ZX_READ || mode == ZX_OPEN) {
		struct stat st;
		if (stat(path, &st) != 0 && errno == ENOENT)
			return zerr_set(&db->err, ZHFTS_ENOTFOUND, "%s: no database here", path);
	}
	unsigned waited = 0;
	for (;;) {
		int rc = zx_open(&db->x, path, mode, flags & (ZHFTS_OPEN_NO_SYNC | ZHFTS_OPEN_INMEMORY), &db->err);
		if (rc != ZHFTS_ELOCKED || waited >= db->settings.lock_timeout_ms)
			return rc;
		unsigned step = db->settings.lock_timeout_ms - waited < 20 ? db->settings.lock_timeout_ms - waited : 20;
		sleep_ms(step);
		waited += step;
	}
}

int zhfts_db_open(zhfts_db **out, const char *path, unsigned int flags, const zhfts_options *opts,
                  char **errmsg)
{
	if (errmsg)
		*errmsg = NULL;
	if (!out)
		return ZHFTS_EINVAL;
	*out = NULL;
	if (opts && (opts->version < 1 || opts->version > ZHFTS_OPTIONS_VERSION)) {
		if (errmsg)
			*errmsg = zhfts__strdup("zhfts_options.version is not ZHFTS_OPTIONS_VERSION");
		return ZHFTS_EINVAL;
	}
	if (!(flags & ZHFTS_OPEN_INMEMORY) && (!path || !*path)) {
		if (errmsg)
			*errmsg = zhfts__strdup("no database path given");
		return ZHFTS_EINVAL;
	}
	zhfts_db *db = calloc(1, sizeof *db);
	if (!db)
		return ZHFTS_ENOMEM;
	db->flags = flags;
	db->writable = flags & (ZHFTS_OPEN_WRITE | ZHFTS_OPEN_CREATE | ZHFTS_OPEN_OVERWRITE | ZHFTS_OPEN_INMEMORY);
	db->path = zhfts__strdup(flags & ZHFTS_OPEN_INMEMORY ? ":memory:" : path);
	db->settings.lock_timeout_ms = opts ? opts->lock_timeout_ms : 0;
	char *stored = NULL;
	int rc = db->path ? ZHFTS_OK : ZHFTS_ENOMEM;
	if (rc == ZHFTS_OK && (flags & ZHFTS_OPEN_INMEMORY))
		rc = make_scratch(db);
	rc = rc ? rc : open_xapian(db, db->scratch_dir ? db->scratch_dir : db->path, flags);
	rc = rc ? rc : zx_metadata_get(db->x, SETTINGS_KEY, &stored, &db->err);
	if (rc == ZHFTS_OK && !*stored) {
		/* A new database, or a directory that holds something else. */
		uint64_t n = 0;
		rc = zx_doccount(db->x, &n, &db->err);
		if (rc == ZHFTS_OK && n > 0)
			rc = zerr_set(&db->err, ZHFTS_ECORRUPT, "%s: a Xapian database, but not one zhfts built", db->path);
		if (rc == ZHFTS_OK && !db->writable && !(flags & ZHFTS_OPEN_INMEMORY))
			rc = zerr_set(&db->err, ZHFTS_ENOTFOUND, "%s: an empty database that zhfts never wrote", db->path);
	}
	rc = rc ? rc : resolve_settings(db, opts, stored);
	if (rc == ZHFTS_OK && !*stored && db->writable) {
		char s[256];
		settings_string(&db->settings, s, sizeof s);
		rc = zx_metadata_set(db->x, SETTINGS_KEY, s, &db->err);
		rc = rc ? rc : zx_commit(db->x, &db->err);
	}
	rc = rc ? rc : zhfts__tokenizer_init(&db->tok, &db->settings, &db->err);
	free(stored);
	if (rc) {
		if (errmsg)
			*errmsg = zhfts__strdup(db->err.msg[0] ? db->err.msg : zhfts_strerror(rc));
		zerr dummy;
		zx_close(db->x, &dummy);
		db->x = NULL;
		zhfts__tokenizer_fini(&db->tok);
		if (db->scratch_dir)
			remove_tree(db->scratch_dir);
		free(db->scratch_dir);
		free(db->path);
		free(db);
		return rc;
	}
	db->auto_commit_bytes = db->settings.auto_commit_bytes ? db->settings.auto_commit_bytes : DEFAULT_AUTO_COMMIT;
	*out = db;
	return ZHFTS_OK;
}

int zhfts_db_close(zhfts_db *db)
{
	if (!db)
		return ZHFTS_OK;
	int rc = zx_close(db->x, &db->err);
	zhfts__sections_free(db);
	if (db->scratch_dir)
		remove_tree(db->scratch_dir);
	free(db->scratch_dir);
	zhfts__tokenizer_fini(&db->tok);
	zhfts__units_free(&db->units);
	free(db->path);
	free(db);
	return rc;
}

const char *zhfts_db_errmsg(const zhfts_db *db)
{
	return db && db->err.msg[0] ? db->err.msg : "";
}

int zhfts_db_settings(zhfts_db *db, zhfts_options *out)
{
	if (!db || !out)
		return ZHFTS_EINVAL;
	*out = db->settings;
	return ZHFTS_OK;
}

static int need_writable(zhfts_db *db)
{
	if (!db->writable)
		return zerr_set(&db->err, ZHFTS_EREADONLY, "%s: opened read-only", db->path);
	return ZHFTS_OK;
}

int zhfts_db_commit(zhfts_db *db)
{
	if (!db)
		return ZHFTS_EINVAL;
	zerr_clear(&db->err);
	int rc = need_writable(db);
	rc = rc ? rc : zx_commit(db->x, &db->err);
	if (rc == ZHFTS_OK)
		db->pending_bytes = 0;
	return rc;
}

int zhfts_db_rollback(zhfts_db *db)
{
	if (!db)
		return ZHFTS_EINVAL;
	zerr_clear(&db->err);
	int rc = need_writable(db);
	rc = rc ? rc : zx_rollback(db->x, &db->err);
	if (rc == ZHFTS_OK)
		db->pending_bytes = 0;
	return rc;
}

int zhfts_db_reopen(zhfts_db *db)
{
	if (!db)
		return ZHFTS_EINVAL;
	zerr_clear(&db->err);
	return zx_reopen(db->x, &db->err);
}

/* ---- adding documents ---------------------------------------------------------*/

static int check_id(zhfts_db *db, const char *id)
{
	if (!id || !*id)
		return zerr_set(&db->err, ZHFTS_EINVAL, "a document id must not be empty");
	size_t n = strnlen(id, MAX_ID_BYTES + 1);
	if (n > MAX_ID_BYTES)
		return zerr_set(&db->err, ZHFTS_EINVAL, "document id is longer than %d bytes", MAX_ID_BYTES);
	if (zhfts__utf8_check(id, n) != n)
		return zerr_set(&db->err, ZHFTS_EINVAL, "document id is not valid UTF-8 (byte %zu)",
		                zhfts__utf8_check(id, n));
	return ZHFTS_OK;
}

/* Adds the unigram and bigram terms of a paragraph's units. */
static int add_units(zx_doc *xd, zbuf *term, const zunits *us)
{
	int rc = ZHFTS_OK;
	for (size_t i = 0; i < us->n && rc == ZHFTS_OK; i++) {
		rc = zhfts__term_unigram(term, us, i);
		rc = rc ? rc : zx_doc_term(xd, term->data, term->len);
		if (rc == ZHFTS_OK && i + 1 < us->n) {
			rc = zhfts__term_bigram(term, us, i);
			rc = rc ? rc : zx_doc_term(xd, term->data, term->len);
		}
	}
	return rc;
}

static int build_paragraph(zhfts_db *db, zx_doc *xd, const zrecord *r, const char *idterm,
                           size_t idterm_len, zbuf *term)
{
	zunits *us = &db->units;
	zhfts__units_reset(us);
	int rc = zhfts__units(&db->tok, r->text, r->text_len, us);
	rc = rc ? rc : add_units(xd, term, us);
	for (size_t t = 0; rc == ZHFTS_OK && t < us->ntok; t++) {
		if (us->tok[t].kind == ZHFTS_TOKEN_HAN && us->tok[t].nunits >= 2) {
			rc = zhfts__term_word(term, us, t);
			rc = rc ? rc : zx_doc_term(xd, term->data, term->len);
		}
	}
	if (rc == ZHFTS_OK && r->section_len) {
		rc = zhfts__term_section(term, r->section, r->section_len);
		rc = rc ? rc : zx_doc_term(xd, term->data, term->len);
	}
	rc = rc ? rc : zx_doc_term(xd, idterm, idterm_len);
	zbuf data = {0};
	rc = rc ? rc : zhfts__record_encode(&data, r);
	rc = rc ? rc : zx_doc_data(xd, data.data, data.len);
	zbuf_free(&data);
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

/* Turns a decoded document into Xapian documents, touching no database. */
static int build_document(zhfts_db *db, const char *id, const zdecoded *d, int mode,
                          const zbuf *idterm, built *out)
{
	zparas ps;
	int rc = zhfts__split_paragraphs(&ps, d->text, d->len, mode);
	if (rc)
		return zerr_set(&db->err, rc, "%s: out of memory splitting paragraphs", id);
	rc = zhfts__assign_sections(&ps, d->text);
	zbuf term = {0};
	for (size_t i = 0; rc == ZHFTS_OK && i < ps.n; i++) {
		const zpara *p = &ps.items[i];
		uint64_t off = zhfts__decoded_orig(d, p->start);
		zrecord r = {id, strlen(id), p->number, off, zhfts__decoded_orig(d, p->end) - off,
		             p->section, strlen(p->section), d->text + p->start, p->end - p->start};
		void *v = out->docs;
		rc = zvec_grow(&v, &out->cap, out->n + 1, sizeof(zx_doc *));
		out->docs = v;
		zx_doc *xd = rc ? NULL : zx_doc_new();
		if (!xd) {
			rc = ZHFTS_ENOMEM;
			break;
		}
		out->docs[out->n++] = xd;
		rc = build_paragraph(db, xd, &r, idterm->data, idterm->len, &term);
		if (rc && !db->err.msg[0])
			zerr_set(&db->err, rc, "%s: paragraph %u: %s", id, p->number, zhfts_strerror(rc));
	}
	zbuf_free(&term);
	zhfts__paras_free(&ps);
	if (rc && !db->err.msg[0])
		zerr_set(&db->err, rc, "%s: %s", id, zhfts_strerror(rc));
	return rc;
}

/* Replaces the document's paragraphs in one transaction. */
static int apply(zhfts_db *db, const char *id, const zbuf *idterm, const built *b, uint32_t *replaced)
{
	uint64_t old = 0;
	int rc = zx_termfreq(db->x, idterm->data, idterm->len, &old, &db->err);
	rc = rc ? rc : zx_txn_begin(db->x, &db->err);
	if (rc)
		return rc;
	if (old)
		rc = zx_delete_term(db->x, idterm->data, idterm->len, &db->err);
	for (size_t i = 0; rc == ZHFTS_OK && i < b->n; i++)
		rc = zx_add(db->x, b->docs[i], &db->err);
	if (rc == ZHFTS_OK)
		rc = zx_txn_commit(db->x, &db->err);
	if (rc) {
		char why[sizeof db->err.msg];
		snprintf(why, sizeof why, "%s", db->err.msg);
		zerr tmp;
		zx_txn_cancel(db->x, &tmp);
		db->pending_bytes = 0;
		return zerr_set(&db->err, rc, "%s: %s; every change since the last commit was rolled back", id, why);
	}
	*replaced = (uint32_t)old;
	return ZHFTS_OK;
}

int zhfts_db_add_document(zhfts_db *db, const char *id, const char *data, size_t len,
                          const zhfts_doc_options *opts, zhfts_doc_info *info)
{
	if (!db)
		return ZHFTS_EINVAL;
	zerr_clear(&db->err);
	if (info)
		memset(info, 0, sizeof *info);
	int rc = need_writable(db);
	rc = rc ? rc : check_id(db, id);
	if (rc)
		return rc;
	if (!data && len)
		return zerr_set(&db->err, ZHFTS_EINVAL, "%s: NULL data with length %zu", id, len);
	if (opts && (opts->version < 1 || opts->version > ZHFTS_DOC_OPTIONS_VERSION))
		return zerr_set(&db->err, ZHFTS_EINVAL, "zhfts_doc_options.version is not ZHFTS_DOC_OPTIONS_VERSION");
	zdecoded d;
	rc = zhfts__decode(&d, data ? data : "", len, opts ? opts->encoding : NULL,
	                   opts && (opts->flags & ZHFTS_DOC_LENIENT), &db->err);
	if (rc) {
		char why[sizeof db->err.msg];
		snprintf(why, sizeof why, "%s", db->err.msg);
		zhfts__decoded_free(&d);
		return zerr_set(&db->err, rc, "%s: %s", id, why);
	}
	zbuf idterm = {0};
	built b = {0};
	uint32_t replaced = 0;
	rc = zhfts__term_docid(&idterm, id);
	int mode = opts && (opts->flags & ZHFTS_DOC_LINES) ? ZHFTS_PARAGRAPH_LINE : db->settings.paragraph_mode;
	rc = rc ? rc : build_document(db, id, &d, mode, &idterm, &b);
	rc = rc ? rc : apply(db, id, &idterm, &b, &replaced);
	if (rc == ZHFTS_OK && info) {
		info->paragraphs = (uint32_t)b.n;
		info->replaced = replaced;
		snprintf(info->encoding, sizeof info->encoding, "%s", d.encoding);
	}
	built_free(&b);
	zbuf_free(&idterm);
	zhfts__decoded_free(&d);
	if (rc == ZHFTS_OK) {
		db->pending_bytes += len;
		if (db->pending_bytes >= db->auto_commit_bytes)
			rc = zhfts_db_commit(db);
	}
	return rc;
}

int zhfts_db_delete_document(zhfts_db *db, const char *id)
{
	if (!db)
		return ZHFTS_EINVAL;
	zerr_clear(&db->err);
	int rc = need_writable(db);
	rc = rc ? rc : check_id(db, id);
	if (rc)
		return rc;
	zbuf idterm = {0};
	uint64_t n = 0;
	rc = zhfts__term_docid(&idterm, id);
	rc = rc ? rc : zx_termfreq(db->x, idterm.data, idterm.len, &n, &db->err);
	if (rc == ZHFTS_OK && n == 0)
		rc = zerr_set(&db->err, ZHFTS_ENOTFOUND, "%s: no such document", id);
	rc = rc ? rc : zx_delete_term(db->x, idterm.data, idterm.len, &db->err);
	zbuf_free(&idterm);
	return rc;
}

/* ---- counting and listing -------------------------------------------------------*/

static int count_term(void *ctx, const char *term, size_t len, uint32_t tf)
{
	(*(uint64_t *)ctx)++;
	return 0;
}

static uint64_t dir_bytes(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return 0;
	uint64_t total = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		char p[4096];
		struct stat st;
		snprintf(p, sizeof p, "%s/%s", path, e->d_name);
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
			total += (uint64_t)st.st_size;
	}
	closedir(d);
	return total;
}

int zhfts_db_stats(zhfts_db *db, unsigned int flags, zhfts_stats *out)
{
	if (!db || !out)
		return ZHFTS_EINVAL;
	zerr_clear(&db->err);
	memset(out, 0, sizeof *out);
	int rc = zx_doccount(db->x, &out->paragraphs, &db->err);
	rc = rc ? rc : zx_allterms(db->x, "Q", 1, count_term, &out->documents, &db->err);
	if (rc == ZHFTS_OK && (flags & ZHFTS_STATS_TERMS))
		rc = zx_allterms(db->x, "", 0, count_term, &out->terms, &db->err);
	if (rc == ZHFTS_OK && !(db->flags & ZHFTS_OPEN_INMEMORY))
		out->disk_bytes = dir_bytes(db->path);
	return rc;
}

typedef struct foreach_ctx {
	zhfts_db *db;
	zhfts_doc_fn fn;
	void *ctx;
	char *id;
} foreach_ctx;

static int first_id(void *ctx, double w, const char *data, size_t len)
{
	foreach_ctx *f = ctx;
	zrecord r;
	if (zhfts__record_decode(&r, data, len))
		return ZHFTS_ECORRUPT;
	f->id = zhfts__strndup(r.doc, r.doc_len);
	return f->id ? 1 : ZHFTS_ENOMEM;
}

static int each_doc(void *ctx, const char *term, size_t len, uint32_t tf)
{
	foreach_ctx *f = ctx;
	/* The id is in the term, unless it was too long and hashed. */
	int rc = zx_postlist_data(f->db->x, term, len, first_id, f, &f->db->err);
	if (rc < 0)
		return rc == ZHFTS_ECORRUPT ? zerr_set(&f->db->err, rc, "unreadable paragraph record") : rc;
	if (!f->id)
		return ZHFTS_OK; /* deleted in the meantime */
	rc = f->fn(f->ctx, f->id, tf);
	free(f->id);
	f->id = NULL;
	return rc;
}

int zhfts_db_foreach_document(zhfts_db *db, zhfts_doc_fn fn, void *ctx)
{
	if (!db || !fn)
		return ZHFTS_EINVAL;
	zerr_clear(&db->err);
	foreach_ctx f = {db, fn, ctx, NULL};
	return zx_allterms(db->x, "Q", 1, each_doc, &f, &db->err);
}

/* ---- merging ------------------------------------------------------------------ */

static int asprintf_tmp(char **out, const char *dest)
{
	zbuf b = {0};
	if (zbuf_printf(&b, "%s.merging-%ld", dest, (long)getpid()))
		return ZHFTS_ENOMEM;
	*out = zbuf_detach(&b);
	return *out ? ZHFTS_OK : ZHFTS_ENOMEM;
}


typedef struct dup_ctx {
	zhfts_db **dbs;
	size_t n, self;
	const char *const *paths;
	zerr *err;
} dup_ctx;

/* Fails if a source's document id term is also in a later source. */
static int check_unique(void *ctx, const char *term, size_t len, uint32_t tf)
{
	dup_ctx *d = ctx;
	for (size_t k = d->self + 1; k < d->n; k++) {
		uint64_t n = 0;
		int rc = zx_termfreq(d->dbs[k]->x, term, len, &n, d->err);
		if (rc)
			return rc;
		if (n)
			return zerr_set(d->err, ZHFTS_EINVAL, "document %.*s is in both %s and %s",
			                (int)(len - 1), term + 1, d->paths[d->self], d->paths[k]);
	}
	return ZHFTS_OK;
}

int zhfts_db_merge(const char *dest, const char *const *sources, size_t nsources, char **errmsg)
{
	zerr err = {{0}};
	int rc = ZHFTS_OK;
	struct stat st;
	if (errmsg)
		*errmsg = NULL;
	if (!dest || !*dest || !sources || !nsources)
		rc = zerr_set(&err, ZHFTS_EINVAL, "merge needs a destination and at least one source");
	else if (stat(dest, &st) == 0)
		rc = zerr_set(&err, ZHFTS_EINVAL, "%s exists already: merge writes a new database", dest);
	zhfts_db **dbs = rc ? NULL : calloc(nsources, sizeof *dbs);
	if (!rc && !dbs)
		rc = ZHFTS_ENOMEM;
	char first[256] = "";
	for (size_t i = 0; rc == ZHFTS_OK && i < nsources; i++) {
		char *msg = NULL, *stored = NULL;
		rc = sources[i] ? zhfts_db_open(&dbs[i], sources[i], ZHFTS_OPEN_READONLY, NULL, &msg) : ZHFTS_EINVAL;
		if (rc) {
			zerr_set(&err, rc, "%s", msg ? msg : "NULL source");
			zhfts_free(msg);
			break;
		}
		rc = zx_metadata_get(dbs[i]->x, SETTINGS_KEY, &stored, &err);
		if (rc == ZHFTS_OK && i == 0)
			snprintf(first, sizeof first, "%s", stored);
		else if (rc == ZHFTS_OK && strcmp(first, stored))
			rc = zerr_set(&err, ZHFTS_ESETTINGS, "%s was built with '%s', %s with '%s'", sources[0],
			              first, sources[i], stored);
		free(stored);
	}
	for (size_t i = 0; rc == ZHFTS_OK && i + 1 < nsources; i++) {
		dup_ctx d = {dbs, nsources, i, sources, &err};
		rc = zx_allterms(dbs[i]->x, "Q", 1, check_unique, &d, &err);
	}
	for (size_t i = 0; dbs && i < nsources; i++)
		zhfts_db_close(dbs[i]);
	free(dbs);
	/* Compact next to dest and rename, so that a failure (disk full) never
	 * leaves a half-written database at dest. */
	char *tmp = NULL;
	if (rc == ZHFTS_OK && asprintf_tmp(&tmp, dest) != 0)
		rc = ZHFTS_ENOMEM;
	if (rc == ZHFTS_OK)
		rc = zx_compact(tmp, sources, nsources, &err);
	if (rc == ZHFTS_OK && rename(tmp, dest) != 0)
		rc = zerr_set(&err, ZHFTS_EIO, "%s: cannot rename the merged database into place: %s", dest,
		              strerror(errno));
	if (rc && tmp)
		remove_tree(tmp);
	free(tmp);
	if (rc && errmsg)
		*errmsg = zhfts__strdup(err.msg[0] ? err.msg : zhfts_strerror(rc));
	return rc;
}
