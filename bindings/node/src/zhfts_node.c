/*
 * The native half of the Node.js binding: Node-API (C) over the public
 * libzhfts API.  The JavaScript half (the .js files in zhfts/) validates arguments,
 * shapes results and defines the error classes; everything here re-checks
 * types anyway, so that calling these functions directly cannot crash.
 *
 * Objects.  A database handle (dbh) is shared, by reference count, by its
 * JavaScript box, every query and results box that borrows it (borrower)
 * and every asynchronous call queued on it.  The C objects that borrow the
 * zhfts_db (queries, results) are listed on the handle and freed before
 * zhfts_db_close(), whatever order the garbage collector finalizes the
 * boxes in; after that a borrower is dead and using it throws.
 *
 * Threads.  One handle must not be used from two threads at once (zhfts.h),
 * and its queries and results count as the handle.  Every call on a handle
 * or its borrowers holds h->mu.  Asynchronous calls run on libuv's thread
 * pool one at a time per handle, in the order they were made (h->queue);
 * a synchronous call takes the mutex at once, waiting for the asynchronous
 * call that is running, if any.  A finalizer that cannot take the mutex at
 * once (an asynchronous call is running) does not wait: it hands its C
 * object to h->deferred, freed by the next call on the main thread.  The
 * list, the queue and the reference counts are touched only by the thread
 * that owns the environment.
 *
 * The module is context-aware (NAPI_MODULE_INIT): each environment (the
 * main thread, each worker) has its own state, and a handle belongs to the
 * environment that opened it.
 */
#define NAPI_VERSION 8
#include <node_api.h>

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zhfts.h>

/* ---- small helpers ------------------------------------------------------------ */

#define CHECK(call)                                   \
	do {                                          \
		if ((call) != napi_ok)                \
			goto napi_failed;             \
	} while (0)

static char *dupn(const char *s, size_t n)
{
	char *p = malloc(n + 1);
	if (p) {
		if (n)
			memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

static char *dup0(const char *s)
{
	return s ? dupn(s, strlen(s)) : NULL;
}

/* Throws a plain Error for a failed Node-API call, unless one is pending. */
static void napi_failure(napi_env env)
{
	bool pending = false;
	if (napi_is_exception_pending(env, &pending) == napi_ok && pending)
		return;
	const napi_extended_error_info *info = NULL;
	napi_get_last_error_info(env, &info);
	napi_throw_error(env, NULL, info && info->error_message ? info->error_message : "Node-API call failed");
}

static void throw_type(napi_env env, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void throw_type(napi_env env, const char *fmt, ...)
{
	char msg[300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
}

/* ---- UTF-8 -> UTF-16 ---------------------------------------------------------- */

/* The next sequence at s[i]: its length in bytes (>= 1) and code point; an
 * invalid byte is one U+FFFD.  JavaScript strings made by to_string16() and
 * offsets mapped by u16_mapper agree because both use this. */
static size_t utf8_next(const unsigned char *s, size_t n, size_t i, uint32_t *cp)
{
	unsigned c = s[i];
	*cp = 0xFFFD;
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	size_t len;
	uint32_t v, min;
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2, v = c & 0x1F, min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3, v = c & 0x0F, min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4, v = c & 0x07, min = 0x10000;
	} else {
		return 1;
	}
	if (n - i < len)
		return 1;
	for (size_t k = 1; k < len; k++) {
		unsigned d = s[i + k];
		if ((d & 0xC0) != 0x80)
			return 1;
		v = (v << 6) | (d & 0x3F);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 1;
	*cp = v;
	return len;
}

/* The offset of the first byte that is not part of valid UTF-8, or -1. */
static long long utf8_invalid_at(const char *text, size_t n)
{
	const unsigned char *s = (const unsigned char *)text;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t k = utf8_next(s, n, i, &cp);
		if (cp == 0xFFFD && !(k == 3 && s[i] == 0xEF && s[i + 1] == 0xBF && s[i + 2] == 0xBD))
			return (long long)i;
		i += k;
	}
	return -1;
}

static napi_status to_string16(napi_env env, const char *text, size_t n, napi_value *out)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t ascii = 0;
	while (ascii < n && s[ascii] < 0x80)
		ascii++;
	if (ascii == n)
		return napi_create_string_latin1(env, n ? text : "", n, out);
	char16_t *u = malloc((n ? n : 1) * sizeof *u); /* never more units than bytes */
	if (!u)
		return napi_generic_failure;
	size_t k = 0;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		i += utf8_next(s, n, i, &cp);
		if (cp >= 0x10000) {
			cp -= 0x10000;
			u[k++] = (char16_t)(0xD800 + (cp >> 10));
			u[k++] = (char16_t)(0xDC00 + (cp & 0x3FF));
		} else {
			u[k++] = (char16_t)cp;
		}
	}
	napi_status st = napi_create_string_utf16(env, u, k, out);
	free(u);
	return st;
}

static napi_status to_string(napi_env env, const char *s, napi_value *out)
{
	return s ? to_string16(env, s, strlen(s), out) : napi_get_null(env, out);
}

/* Maps byte offsets to UTF-16 offsets, fast when they come in order. */
typedef struct u16_mapper {
	const unsigned char *s;
	size_t n, byte, unit;
} u16_mapper;

static size_t u16_at(u16_mapper *m, size_t offset)
{
	if (offset > m->n)
		offset = m->n;
	if (offset < m->byte)
		m->byte = m->unit = 0;
	while (m->byte < offset) {
		uint32_t cp;
		size_t k = utf8_next(m->s, m->n, m->byte, &cp);
		if (m->byte + k > offset)
			break; /* inside a sequence: its start */
		m->byte += k;
		m->unit += cp >= 0x10000 ? 2 : 1;
	}
	return m->unit;
}

/* ---- a ledger of live C objects (a test hook: every thread's) ------------------ */

static atomic_long live_handles, live_dbs, live_queries, live_results;

static void note(atomic_long *counter, const void *p)
{
	if (p)
		atomic_fetch_add(counter, 1);
}

static void results_free(zhfts_results *r)
{
	if (r) {
		zhfts_results_free(r);
		atomic_fetch_sub(&live_results, 1);
	}
}

static void query_free(zhfts_query *q)
{
	if (q) {
		zhfts_query_free(q);
		atomic_fetch_sub(&live_queries, 1);
	}
}

static void db_close(zhfts_db *db)
{
	if (db) {
		zhfts_db_close(db);
		atomic_fetch_sub(&live_dbs, 1);
	}
}

static int query_new(zhfts_query **q, zhfts_db *db, const char *text, size_t len)
{
	int rc = zhfts_query_new(q, db, text, len);
	note(&live_queries, *q);
	return rc;
}

static int query_search(zhfts_query *q, const zhfts_search_options *o, zhfts_results **out)
{
	int rc = zhfts_query_search(q, o, out);
	note(&live_results, *out);
	return rc;
}

static int get_document(zhfts_db *db, const char *id, zhfts_results **out)
{
	int rc = zhfts_db_get_document(db, id, out);
	note(&live_results, *out);
	return rc;
}

/* ---- per-environment state ---------------------------------------------------- */

typedef struct modstate {
	napi_ref make_error;          /* the JavaScript error factory (init()) */
	zhfts_tokenizer *tok[4];      /* by (normalize, traditional) on/off */
	bool leak_results;            /* test hook: never free results */
} modstate;

static modstate *state(napi_env env)
{
	void *p = NULL;
	if (napi_get_instance_data(env, &p) != napi_ok)
		return NULL;
	return p;
}

static void modstate_free(napi_env env, void *data, void *hint)
{
	(void)hint;
	modstate *ms = data;
	for (int i = 0; i < 4; i++)
		zhfts_tokenizer_free(ms->tok[i]);
	if (ms->make_error)
		napi_delete_reference(env, ms->make_error);
	free(ms);
}

/* ---- errors as data ------------------------------------------------------------ */

enum { KIND_LIBRARY = 0, KIND_CLOSED = 1 };

typedef struct zerrinfo {
	int status;        /* 0: no error */
	int kind;
	char *message;
	int where;
	long long offset;  /* -1: none */
	char *doc, *field;
	uint64_t lost;
} zerrinfo;

static void zerr_free(zerrinfo *e)
{
	free(e->message);
	free(e->doc);
	free(e->field);
	memset(e, 0, sizeof *e);
}

static void zerr_setf(zerrinfo *e, int status, int kind, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void zerr_setf(zerrinfo *e, int status, int kind, const char *fmt, ...)
{
	zerr_free(e);
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	e->status = status;
	e->kind = kind;
	e->message = dup0(msg);
	e->where = ZHFTS_WHERE_NONE;
	e->offset = -1;
}

/* The detail of a failed call on db (read at once: valid until its next call). */
static void zerr_from_db(zerrinfo *e, zhfts_db *db, int status)
{
	zerr_free(e);
	const zhfts_error *d = zhfts_db_error(db);
	e->status = status;
	e->kind = KIND_LIBRARY;
	e->message = dup0(d->message && d->message[0] ? d->message : zhfts_strerror(status));
	e->where = d->where;
	e->offset = d->offset >= 0 ? (long long)d->offset : -1;
	e->doc = dup0(d->doc);
	e->field = dup0(d->field);
	e->lost = d->lost;
}

static void zerr_from_results(zerrinfo *e, zhfts_results *res, int status)
{
	const char *m = zhfts_results_errmsg(res);
	zerr_setf(e, status, KIND_LIBRARY, "%s", m && m[0] ? m : zhfts_strerror(status));
}

/* Error from a caller-owned message (open, merge, compact). */
static void zerr_from_msg(zerrinfo *e, int status, char *msg, const char *fallback)
{
	zerr_setf(e, status, KIND_LIBRARY, "%s", msg && msg[0] ? msg : fallback);
	zhfts_free(msg);
}

/* The JavaScript error for e, made by the factory init() registered. */
static napi_value error_value(napi_env env, const zerrinfo *e)
{
	modstate *ms = state(env);
	napi_value fn = NULL, argv[8], global, out = NULL;
	if (ms && ms->make_error && napi_get_reference_value(env, ms->make_error, &fn) == napi_ok && fn) {
		bool ok = napi_create_int32(env, e->status, &argv[0]) == napi_ok &&
		          to_string(env, e->message ? e->message : "", &argv[1]) == napi_ok &&
		          napi_create_int32(env, e->where, &argv[2]) == napi_ok &&
		          napi_create_double(env, (double)e->offset, &argv[3]) == napi_ok &&
		          to_string(env, e->doc, &argv[4]) == napi_ok &&
		          to_string(env, e->field, &argv[5]) == napi_ok &&
		          napi_create_double(env, (double)e->lost, &argv[6]) == napi_ok &&
		          napi_get_boolean(env, e->kind == KIND_CLOSED, &argv[7]) == napi_ok &&
		          napi_get_global(env, &global) == napi_ok &&
		          napi_call_function(env, global, fn, 8, argv, &out) == napi_ok;
		if (ok && out)
			return out;
		bool pending = false;
		if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
			napi_get_and_clear_last_exception(env, &out);
			return out;
		}
	}
	napi_value msg;
	if (napi_create_string_utf8(env, e->message ? e->message : "zhfts error", NAPI_AUTO_LENGTH, &msg) != napi_ok ||
	    napi_create_error(env, NULL, msg, &out) != napi_ok)
		return NULL;
	return out;
}

static void throw_zerr(napi_env env, const zerrinfo *e)
{
	napi_value v = error_value(env, e);
	if (v)
		napi_throw(env, v);
	else
		napi_failure(env);
}

static void throw_closed(napi_env env, const char *what)
{
	zerrinfo e = {0};
	zerr_setf(&e, ZHFTS_EINVAL, KIND_CLOSED, "%s", what);
	throw_zerr(env, &e);
	zerr_free(&e);
}

static void throw_einval(napi_env env, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void throw_einval(napi_env env, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	zerrinfo e = {0};
	zerr_setf(&e, ZHFTS_EINVAL, KIND_LIBRARY, "%s", msg);
	e.where = ZHFTS_WHERE_OPTION;
	throw_zerr(env, &e);
	zerr_free(&e);
}

/* ---- handles and borrowers ---------------------------------------------------- */

typedef struct dbh dbh;
typedef struct work work;

enum { B_QUERY = 1, B_RESULTS = 2 };

typedef struct borrower {
	int kind;
	void *ptr;                     /* zhfts_query * or zhfts_results *; NULL once freed */
	dbh *owner;
	struct borrower *prev, *next;  /* in owner->live while ptr is set */
} borrower;

typedef struct deferred_free {
	int kind;
	void *ptr;
} deferred_free;

struct dbh {
	zhfts_db *db;          /* NULL once closed */
	pthread_mutex_t mu;    /* held by every call on db and its borrowers */
	unsigned refs;         /* box + borrowers + queued calls */
	borrower *live;
	deferred_free *deferred;
	size_t ndeferred, capdeferred;
	work *qhead, *qtail;   /* asynchronous calls not yet finished, the first running */
	size_t queued;
	atomic_int executing;  /* a thread-pool call holds the mutex (for tests) */
	napi_env env;
	bool writable;
	bool leak_results;
};

static const napi_type_tag TAG_DB = {0x7a6866747364625fULL, 0x4e4f44455f444201ULL};
static const napi_type_tag TAG_QUERY = {0x7a68667473717279ULL, 0x4e4f44455f515201ULL};
static const napi_type_tag TAG_RESULTS = {0x7a68667473726573ULL, 0x4e4f44455f525301ULL};

static void free_borrowed(dbh *h, int kind, void *ptr)
{
	if (kind == B_QUERY)
		query_free(ptr);
	else if (!h->leak_results)
		results_free(ptr);
}

/* Main thread, after taking h->mu: frees what finalizers could not. */
static void drain_deferred(dbh *h)
{
	for (size_t i = 0; i < h->ndeferred; i++)
		free_borrowed(h, h->deferred[i].kind, h->deferred[i].ptr);
	h->ndeferred = 0;
}

static void lock_main(dbh *h)
{
	pthread_mutex_lock(&h->mu);
	drain_deferred(h);
}

static void unlock(dbh *h)
{
	pthread_mutex_unlock(&h->mu);
}

static void unlink_borrower(borrower *b)
{
	dbh *h = b->owner;
	if (b->prev)
		b->prev->next = b->next;
	else if (h->live == b)
		h->live = b->next;
	if (b->next)
		b->next->prev = b->prev;
	b->prev = b->next = NULL;
}

static void link_borrower(borrower *b)
{
	dbh *h = b->owner;
	b->prev = NULL;
	b->next = h->live;
	if (h->live)
		h->live->prev = b;
	h->live = b;
}

/* Under h->mu: frees b's C object now. */
static void borrower_release(borrower *b)
{
	if (!b->ptr)
		return;
	free_borrowed(b->owner, b->kind, b->ptr);
	b->ptr = NULL;
	unlink_borrower(b);
}

static void dbh_unref(dbh *h)
{
	if (--h->refs)
		return;
	/* Nothing refers to it: it was closed by its box's finalizer, which
	 * freed every borrower first. */
	if (h->db) {
		pthread_mutex_lock(&h->mu);
		drain_deferred(h);
		db_close(h->db);
		h->db = NULL;
		pthread_mutex_unlock(&h->mu);
	}
	drain_deferred(h);
	free(h->deferred);
	pthread_mutex_destroy(&h->mu);
	free(h);
	atomic_fetch_sub(&live_handles, 1);
}

/* Under h->mu: frees every borrower, commits (writers) and closes.  The
 * failure of the commit, if any, goes to err. */
static void dbh_close_locked(dbh *h, zerrinfo *err)
{
	drain_deferred(h);
	while (h->live)
		borrower_release(h->live);
	if (!h->db)
		return;
	if (h->writable) {
		int rc = zhfts_db_commit(h->db);
		if (rc != ZHFTS_OK && err)
			zerr_from_db(err, h->db, rc);
	}
	db_close(h->db);
	h->db = NULL;
}

static void db_box_finalize(napi_env env, void *data, void *hint)
{
	(void)env, (void)hint;
	dbh *h = data;
	/* Nothing queued can be running: each queued call keeps the box alive.
	 * (At the teardown of an environment every finalizer runs: then this
	 * waits for a running call.) */
	pthread_mutex_lock(&h->mu);
	dbh_close_locked(h, NULL);
	pthread_mutex_unlock(&h->mu);
	dbh_unref(h);
}

static void borrower_box_finalize(napi_env env, void *data, void *hint)
{
	(void)env, (void)hint;
	borrower *b = data;
	dbh *h = b->owner;
	if (b->ptr) {
		if (pthread_mutex_trylock(&h->mu) == 0) {
			drain_deferred(h);
			borrower_release(b);
			pthread_mutex_unlock(&h->mu);
		} else {
			/* A thread-pool call holds the handle: free it later. */
			if (h->ndeferred == h->capdeferred) {
				size_t cap = h->capdeferred ? 2 * h->capdeferred : 16;
				deferred_free *p = realloc(h->deferred, cap * sizeof *p);
				if (p) {
					h->deferred = p;
					h->capdeferred = cap;
				}
			}
			if (h->ndeferred < h->capdeferred) {
				h->deferred[h->ndeferred].kind = b->kind;
				h->deferred[h->ndeferred++].ptr = b->ptr;
				b->ptr = NULL;
				unlink_borrower(b);
			} else {
				pthread_mutex_lock(&h->mu);
				borrower_release(b);
				pthread_mutex_unlock(&h->mu);
			}
		}
	}
	dbh_unref(h);
	free(b);
}

/* A new box (a plain object) wrapping ptr, tagged. */
static napi_status make_box(napi_env env, void *ptr, napi_finalize fin, const napi_type_tag *tag, napi_value *out)
{
	napi_status st = napi_create_object(env, out);
	if (st == napi_ok)
		st = napi_type_tag_object(env, *out, tag);
	if (st == napi_ok) /* last: once it succeeds, the finalizer owns ptr */
		st = napi_wrap(env, *out, ptr, fin, NULL, NULL);
	return st;
}

static void *unbox(napi_env env, napi_value v, const napi_type_tag *tag, const char *what)
{
	napi_valuetype t;
	bool ok = false;
	void *p = NULL;
	if (napi_typeof(env, v, &t) != napi_ok || t != napi_object ||
	    napi_check_object_type_tag(env, v, tag, &ok) != napi_ok || !ok ||
	    napi_unwrap(env, v, &p) != napi_ok || !p) {
		throw_type(env, "expected a native %s handle", what);
		return NULL;
	}
	return p;
}

static dbh *unbox_db(napi_env env, napi_value v)
{
	dbh *h = unbox(env, v, &TAG_DB, "database");
	if (h && h->env != env) {
		napi_throw_error(env, "ERR_ZHFTS_THREAD", "a Database belongs to the thread that opened it");
		return NULL;
	}
	return h;
}

static borrower *unbox_borrower(napi_env env, napi_value v, int kind)
{
	borrower *b = unbox(env, v, kind == B_QUERY ? &TAG_QUERY : &TAG_RESULTS, kind == B_QUERY ? "query" : "results");
	if (b && b->owner->env != env) {
		napi_throw_error(env, "ERR_ZHFTS_THREAD", "a Database belongs to the thread that opened it");
		return NULL;
	}
	return b;
}

/* A box for a new borrower of h holding ptr (linked when ptr is set). */
static napi_value new_borrower_box(napi_env env, dbh *h, int kind, void *ptr)
{
	borrower *b = calloc(1, sizeof *b);
	napi_value box;
	if (!b) {
		free_borrowed(h, kind, ptr);
		napi_throw_error(env, NULL, "out of memory");
		return NULL;
	}
	b->kind = kind;
	b->owner = h;
	if (make_box(env, b, borrower_box_finalize, kind == B_QUERY ? &TAG_QUERY : &TAG_RESULTS, &box) != napi_ok) {
		/* napi_wrap failed: nothing owns b */
		free_borrowed(h, kind, ptr);
		free(b);
		napi_failure(env);
		return NULL;
	}
	h->refs++;
	if (ptr) {
		b->ptr = ptr;
		link_borrower(b);
	}
	return box;
}

/* ---- argument helpers ----------------------------------------------------------- */

typedef struct args {
	size_t argc;
	napi_value argv[8];
} args;

static bool get_args(napi_env env, napi_callback_info info, args *a, size_t need)
{
	a->argc = 8;
	if (napi_get_cb_info(env, info, &a->argc, a->argv, NULL, NULL) != napi_ok) {
		napi_failure(env);
		return false;
	}
	if (a->argc < need) {
		throw_type(env, "expected %zu arguments, got %zu", need, a->argc);
		return false;
	}
	for (size_t i = a->argc; i < 8; i++)
		napi_get_undefined(env, &a->argv[i]);
	return true;
}

static bool is_type(napi_env env, napi_value v, napi_valuetype want)
{
	napi_valuetype t;
	return napi_typeof(env, v, &t) == napi_ok && t == want;
}

static bool is_nullish(napi_env env, napi_value v)
{
	napi_valuetype t;
	return napi_typeof(env, v, &t) != napi_ok || t == napi_undefined || t == napi_null;
}

/* A JavaScript string as malloc'd UTF-8 (lone surrogates become U+FFFD). */
static char *get_string(napi_env env, napi_value v, size_t *len, const char *what)
{
	if (!is_type(env, v, napi_string)) {
		throw_type(env, "%s must be a string", what);
		return NULL;
	}
	size_t n = 0;
	if (napi_get_value_string_utf8(env, v, NULL, 0, &n) != napi_ok) {
		napi_failure(env);
		return NULL;
	}
	char *s = malloc(n + 1);
	if (!s) {
		napi_throw_range_error(env, "ERR_ZHFTS_NOMEM", "string too large: out of memory");
		return NULL;
	}
	size_t got = 0;
	if (napi_get_value_string_utf8(env, v, s, n + 1, &got) != napi_ok) {
		free(s);
		napi_failure(env);
		return NULL;
	}
	if (len)
		*len = got;
	return s;
}

/* A string for a NUL-terminated C parameter: NUL inside is refused. */
static char *get_cstring(napi_env env, napi_value v, const char *what)
{
	size_t n;
	char *s = get_string(env, v, &n, what);
	if (s && strlen(s) != n) {
		free(s);
		throw_einval(env, "%s contains a NUL character", what);
		return NULL;
	}
	return s;
}

static char *get_opt_cstring(napi_env env, napi_value v, const char *what, bool *ok)
{
	*ok = true;
	if (is_nullish(env, v))
		return NULL;
	char *s = get_cstring(env, v, what);
	*ok = s != NULL;
	return s;
}

/* Non-negative integers; Infinity is SIZE_MAX. */
static bool get_size(napi_env env, napi_value v, size_t dflt, size_t *out, const char *what)
{
	if (is_nullish(env, v)) {
		*out = dflt;
		return true;
	}
	double d;
	if (!is_type(env, v, napi_number) || napi_get_value_double(env, v, &d) != napi_ok || !(d >= 0)) {
		throw_type(env, "%s must be a non-negative integer", what);
		return false;
	}
	if (d >= 18446744073709551615.0) { /* also Infinity */
		*out = SIZE_MAX;
		return true;
	}
	if ((double)(uint64_t)d != d) {
		throw_type(env, "%s must be a non-negative integer", what);
		return false;
	}
	*out = (uint64_t)d > SIZE_MAX ? SIZE_MAX : (size_t)(uint64_t)d;
	return true;
}

static bool get_u32(napi_env env, napi_value v, uint32_t *out, const char *what)
{
	size_t n;
	if (!get_size(env, v, 0, &n, what))
		return false;
	*out = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
	return true;
}

static bool get_int(napi_env env, napi_value v, int *out, const char *what)
{
	int32_t i = 0;
	if (!is_type(env, v, napi_number) || napi_get_value_int32(env, v, &i) != napi_ok) {
		throw_type(env, "%s must be a number", what);
		return false;
	}
	*out = i;
	return true;
}

static bool get_bool(napi_env env, napi_value v, bool *out, const char *what)
{
	if (is_nullish(env, v)) {
		*out = false;
		return true;
	}
	if (!is_type(env, v, napi_boolean) || napi_get_value_bool(env, v, out) != napi_ok) {
		throw_type(env, "%s must be a boolean", what);
		return false;
	}
	return true;
}

static napi_value prop(napi_env env, napi_value obj, const char *name)
{
	napi_value v = NULL;
	if (is_type(env, obj, napi_object) && napi_get_named_property(env, obj, name, &v) == napi_ok)
		return v;
	napi_get_undefined(env, &v);
	return v;
}

/* Bytes of a string (copied as UTF-8), a Buffer or other ArrayBufferView,
 * or an ArrayBuffer.  *copy says whether *data was malloc'd. */
static bool get_bytes(napi_env env, napi_value v, const char **data, size_t *len, bool *copy, const char *what)
{
	bool yes = false;
	void *p = NULL;
	*copy = false;
	if (is_type(env, v, napi_string)) {
		char *s = get_string(env, v, len, what);
		*data = s;
		*copy = true;
		return s != NULL;
	}
	if (napi_is_typedarray(env, v, &yes) == napi_ok && yes) {
		napi_typedarray_type t;
		size_t n, off;
		napi_value ab;
		if (napi_get_typedarray_info(env, v, &t, &n, &p, &ab, &off) != napi_ok) {
			napi_failure(env);
			return false;
		}
		size_t el = 1;
		switch (t) {
		case napi_int16_array: case napi_uint16_array: el = 2; break;
		case napi_int32_array: case napi_uint32_array: case napi_float32_array: el = 4; break;
		case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: el = 8; break;
		default: el = 1;
		}
		*data = p ? p : "";
		*len = p ? n * el : 0;
		return true;
	}
	if (napi_is_dataview(env, v, &yes) == napi_ok && yes) {
		size_t n, off;
		napi_value ab;
		if (napi_get_dataview_info(env, v, &n, &p, &ab, &off) != napi_ok) {
			napi_failure(env);
			return false;
		}
		*data = p ? p : "";
		*len = p ? n : 0;
		return true;
	}
	if (napi_is_arraybuffer(env, v, &yes) == napi_ok && yes) {
		size_t n;
		if (napi_get_arraybuffer_info(env, v, &p, &n) != napi_ok) {
			napi_failure(env);
			return false;
		}
		*data = p ? p : "";
		*len = p ? n : 0;
		return true;
	}
	throw_type(env, "%s must be a string, a Buffer, a Uint8Array or an ArrayBuffer", what);
	return false;
}

static bool get_array_length(napi_env env, napi_value v, uint32_t *n, const char *what)
{
	bool yes = false;
	if (napi_is_array(env, v, &yes) != napi_ok || !yes || napi_get_array_length(env, v, n) != napi_ok) {
		throw_type(env, "%s must be an array", what);
		return false;
	}
	return true;
}

static bool get_element(napi_env env, napi_value arr, uint32_t i, napi_value *out)
{
	if (napi_get_element(env, arr, i, out) != napi_ok) {
		napi_failure(env);
		return false;
	}
	return true;
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

/* An array of strings as NUL-free C strings. */
static bool get_strv(napi_env env, napi_value v, char ***out, size_t *nout, const char *what)
{
	*out = NULL;
	*nout = 0;
	if (is_nullish(env, v))
		return true;
	uint32_t n;
	if (!get_array_length(env, v, &n, what))
		return false;
	char **s = calloc(n ? n : 1, sizeof *s);
	if (!s) {
		napi_throw_error(env, NULL, "out of memory");
		return false;
	}
	for (uint32_t i = 0; i < n; i++) {
		napi_value e;
		if (!get_element(env, v, i, &e) || !(s[i] = get_cstring(env, e, what))) {
			free_strv(s, i);
			return false;
		}
	}
	*out = s;
	*nout = n;
	return true;
}

static bool set_prop(napi_env env, napi_value obj, const char *name, napi_value v)
{
	return napi_set_named_property(env, obj, name, v) == napi_ok;
}

static bool set_num(napi_env env, napi_value obj, const char *name, double d)
{
	napi_value v;
	return napi_create_double(env, d, &v) == napi_ok && set_prop(env, obj, name, v);
}

static bool set_str(napi_env env, napi_value obj, const char *name, const char *s)
{
	napi_value v;
	return to_string(env, s, &v) == napi_ok && set_prop(env, obj, name, v);
}

static bool set_bool(napi_env env, napi_value obj, const char *name, bool b)
{
	napi_value v;
	return napi_get_boolean(env, b, &v) == napi_ok && set_prop(env, obj, name, v);
}

/* ---- options ------------------------------------------------------------------ */

typedef struct sopts {
	size_t offset, limit, facet_limit;
	unsigned flags;
	char *sort;
	char **facets;
	size_t nfacets;
} sopts;

static void sopts_free(sopts *o)
{
	free(o->sort);
	free_strv(o->facets, o->nfacets);
	memset(o, 0, sizeof *o);
}

/* {offset, limit, sort, facets, facetLimit, exact} as the C API reads them
 * (the JavaScript side has already turned limit 0 and facetLimit 0 into
 * what it means). */
static bool get_sopts(napi_env env, napi_value v, sopts *o)
{
	memset(o, 0, sizeof *o);
	if (!is_nullish(env, v) && !is_type(env, v, napi_object)) {
		throw_type(env, "search options must be an object");
		return false;
	}
	bool exact = false, ok;
	if (!get_size(env, prop(env, v, "offset"), 0, &o->offset, "offset") ||
	    !get_size(env, prop(env, v, "limit"), 10, &o->limit, "limit") ||
	    !get_size(env, prop(env, v, "facetLimit"), 0, &o->facet_limit, "facetLimit") ||
	    !get_bool(env, prop(env, v, "exact"), &exact, "exact"))
		return false;
	o->flags = exact ? ZHFTS_SEARCH_EXACT_COUNT : 0;
	o->sort = get_opt_cstring(env, prop(env, v, "sort"), "sort", &ok);
	if (!ok || !get_strv(env, prop(env, v, "facets"), &o->facets, &o->nfacets, "facets")) {
		sopts_free(o);
		return false;
	}
	return true;
}

static zhfts_search_options c_sopts(const sopts *o)
{
	zhfts_search_options so = ZHFTS_SEARCH_OPTIONS_INIT;
	so.offset = o->offset;
	so.limit = o->limit;
	so.flags = o->flags | ZHFTS_SEARCH_NO_SNIPPETS;
	so.sort = o->sort;
	so.facets = (const char *const *)o->facets;
	so.nfacets = o->nfacets;
	so.facet_limit = o->facet_limit;
	return so;
}

typedef struct fieldset {
	zhfts_field *f;
	size_t n;
} fieldset;

static void fieldset_free(fieldset *fs)
{
	for (size_t i = 0; i < fs->n; i++) {
		free((char *)fs->f[i].name);
		free((char *)fs->f[i].value);
	}
	free(fs->f);
	memset(fs, 0, sizeof *fs);
}

/* [[name, value], ...] */
static bool get_fields(napi_env env, napi_value v, fieldset *fs)
{
	memset(fs, 0, sizeof *fs);
	if (is_nullish(env, v))
		return true;
	uint32_t n;
	if (!get_array_length(env, v, &n, "fields"))
		return false;
	fs->f = calloc(n ? n : 1, sizeof *fs->f);
	if (!fs->f) {
		napi_throw_error(env, NULL, "out of memory");
		return false;
	}
	for (uint32_t i = 0; i < n; i++) {
		napi_value pair, name, value;
		uint32_t two;
		if (!get_element(env, v, i, &pair) || !get_array_length(env, pair, &two, "a field") ||
		    two != 2 || !get_element(env, pair, 0, &name) || !get_element(env, pair, 1, &value)) {
			if (!is_nullish(env, pair))
				throw_type(env, "fields must be [name, value] pairs");
			fieldset_free(fs);
			return false;
		}
		char *cn = get_cstring(env, name, "a field name");
		char *cv = cn ? get_cstring(env, value, "a field value") : NULL;
		if (!cv) {
			free(cn);
			fieldset_free(fs);
			return false;
		}
		fs->f[i].name = cn;
		fs->f[i].value = cv;
		fs->n = i + 1;
	}
	return true;
}

/* ---- results -> JavaScript ------------------------------------------------------ */

static napi_value fields_value(napi_env env, const zhfts_field *f, size_t n)
{
	napi_value obj;
	if (napi_create_object(env, &obj) != napi_ok)
		return NULL;
	for (size_t k = 0; k < n; k++) {
		napi_value v;
		if (to_string(env, f[k].value ? f[k].value : "", &v) != napi_ok ||
		    napi_set_named_property(env, obj, f[k].name ? f[k].name : "", v) != napi_ok)
			return NULL;
	}
	return obj;
}

static napi_value hit_value(napi_env env, const zhfts_hit *h, size_t index)
{
	napi_value obj, text, fields;
	if (napi_create_object(env, &obj) != napi_ok ||
	    !set_num(env, obj, "index", (double)index) ||
	    !set_num(env, obj, "rank", (double)h->rank) ||
	    !set_num(env, obj, "score", h->score) ||
	    !set_num(env, obj, "tier", h->tier) ||
	    !set_str(env, obj, "doc", h->doc ? h->doc : "") ||
	    !set_num(env, obj, "para", h->para) ||
	    !set_num(env, obj, "offset", (double)h->offset) ||
	    !set_num(env, obj, "length", (double)h->length) ||
	    !set_str(env, obj, "section", h->section ? h->section : "") ||
	    to_string16(env, h->text ? h->text : "", h->text ? h->text_len : 0, &text) != napi_ok ||
	    !set_prop(env, obj, "text", text) ||
	    !(fields = fields_value(env, h->fields, h->fields ? h->nfields : 0)) ||
	    !set_prop(env, obj, "fields", fields))
		return NULL;
	return obj;
}

/* Under the mutex: reads every hit of the page (NULL for one whose document
 * is gone since the search).  On another failure, err is set. */
static const zhfts_hit **load_hits(zhfts_results *res, size_t *n, zerrinfo *err)
{
	*n = zhfts_results_count(res);
	const zhfts_hit **hits = calloc(*n ? *n : 1, sizeof *hits);
	if (!hits) {
		zerr_setf(err, ZHFTS_ENOMEM, KIND_LIBRARY, "out of memory reading hits");
		return NULL;
	}
	for (size_t i = 0; i < *n; i++) {
		hits[i] = zhfts_results_hit(res, i);
		if (!hits[i]) {
			/* NULL has a message but no status: the spans call reads the
			 * hit the same way and returns one. */
			int rc = zhfts_results_spans(res, i, NULL, NULL);
			if (rc == ZHFTS_ENOTFOUND)
				continue;
			zerr_from_results(err, res, rc ? rc : ZHFTS_ERROR);
			free(hits);
			return NULL;
		}
	}
	return hits;
}

/* {results, count, hits, total, totalLower, totalUpper, facets} */
static napi_value search_value(napi_env env, napi_value results_box, zhfts_results *res, const zhfts_hit **hits,
                               size_t n)
{
	napi_value obj, arr, facets;
	uint64_t est = 0, lo = 0, hi = 0;
	zhfts_results_total(res, &est, &lo, &hi);
	if (napi_create_object(env, &obj) != napi_ok || !set_prop(env, obj, "results", results_box) ||
	    !set_num(env, obj, "count", (double)n) || !set_num(env, obj, "total", (double)est) ||
	    !set_num(env, obj, "totalLower", (double)lo) || !set_num(env, obj, "totalUpper", (double)hi) ||
	    napi_create_array(env, &arr) != napi_ok)
		return NULL;
	uint32_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (!hits[i])
			continue;
		napi_value h = hit_value(env, hits[i], i);
		if (!h || napi_set_element(env, arr, k++, h) != napi_ok)
			return NULL;
	}
	if (!set_prop(env, obj, "hits", arr))
		return NULL;
	size_t nf = zhfts_results_facet_count(res);
	if (napi_create_array_with_length(env, nf, &facets) != napi_ok)
		return NULL;
	for (size_t f = 0; f < nf; f++) {
		const zhfts_facet *fc = zhfts_results_facet(res, f);
		napi_value fo, values;
		if (!fc)
			break;
		if (napi_create_object(env, &fo) != napi_ok || !set_str(env, fo, "name", fc->name ? fc->name : "") ||
		    !set_num(env, fo, "distinct", (double)fc->distinct) ||
		    napi_create_array_with_length(env, fc->nvalues, &values) != napi_ok)
			return NULL;
		for (size_t v = 0; fc->values && v < fc->nvalues; v++) {
			napi_value vo;
			if (napi_create_object(env, &vo) != napi_ok ||
			    !set_str(env, vo, "value", fc->values[v].value ? fc->values[v].value : "") ||
			    !set_num(env, vo, "count", (double)fc->values[v].count) ||
			    napi_set_element(env, values, (uint32_t)v, vo) != napi_ok)
				return NULL;
		}
		if (!set_prop(env, fo, "values", values) || napi_set_element(env, facets, (uint32_t)f, fo) != napi_ok)
			return NULL;
	}
	if (!set_prop(env, obj, "facets", facets))
		return NULL;
	return obj;
}

/* Wraps fresh results of h in a box and converts them; the results are
 * freed on any failure.  dead: the database closed since they were made
 * (an asynchronous search that finished as it closed): the hits that were
 * read are returned, the rest throws. */
static napi_value wrap_results(napi_env env, dbh *h, zhfts_results *res, const zhfts_hit **hits, size_t n)
{
	napi_value box = new_borrower_box(env, h, B_RESULTS, h->db ? res : NULL);
	if (!box) {
		if (!h->db)
			free_borrowed(h, B_RESULTS, res);
		return NULL;
	}
	napi_value out = search_value(env, box, res, hits, n);
	if (!h->db)
		free_borrowed(h, B_RESULTS, res); /* nothing lazy can be read from it */
	if (!out)
		napi_failure(env);
	return out;
}

/* ---- asynchronous calls ---------------------------------------------------------- */

typedef enum {
	OP_ADD, OP_SEARCH, OP_QSEARCH, OP_COUNT, OP_QCOUNT, OP_COMMIT, OP_COMPACT, OP_MERGE, OP_OPEN
} opkind;

struct work {
	napi_async_work aw;
	napi_deferred deferred;
	napi_ref keep;          /* the box the call is on */
	dbh *h;                 /* NULL for compact, merge, open */
	borrower *q;            /* OP_QSEARCH, OP_QCOUNT */
	opkind op;
	work *next;
	/* in */
	char *s;                /* id, query text, path, dest */
	size_t slen;
	char *data;
	size_t len;
	char *encoding;
	unsigned flags;
	fieldset fields;
	sopts so;
	char **paths;
	size_t npaths;
	zhfts_options oo;
	/* out */
	zerrinfo err;
	zhfts_doc_info info;
	char *used_encoding;
	zhfts_results *res;
	const zhfts_hit **hits;
	size_t nhits;
	uint64_t count;
	zhfts_db *opened;
};

static void work_free(work *w)
{
	free(w->s);
	free(w->data);
	free(w->encoding);
	fieldset_free(&w->fields);
	sopts_free(&w->so);
	free_strv(w->paths, w->npaths);
	zerr_free(&w->err);
	free(w->used_encoding);
	free(w->hits);
	free(w);
}

/* The call itself, under h->mu for calls on a handle. */
static void run_on_handle(work *w)
{
	dbh *h = w->h;
	zhfts_db *db = h->db;
	int rc = ZHFTS_OK;
	if (!db) {
		zerr_setf(&w->err, ZHFTS_EINVAL, KIND_CLOSED, "the database is closed");
		return;
	}
	switch (w->op) {
	case OP_ADD: {
		zhfts_doc_options o = ZHFTS_DOC_OPTIONS_INIT;
		o.encoding = w->encoding;
		o.flags = w->flags;
		o.fields = w->fields.f;
		o.nfields = w->fields.n;
		w->info = (zhfts_doc_info)ZHFTS_DOC_INFO_INIT;
		rc = zhfts_db_add_document(db, w->s, w->data ? w->data : "", w->len, &o, &w->info);
		if (rc == ZHFTS_OK)
			w->used_encoding = dup0(w->info.encoding);
		break;
	}
	case OP_SEARCH:
	case OP_QSEARCH: {
		zhfts_query *q = NULL;
		if (w->op == OP_QSEARCH) {
			if (!(q = w->q->ptr)) {
				zerr_setf(&w->err, ZHFTS_EINVAL, KIND_CLOSED, "the query is closed");
				return;
			}
		} else if ((rc = query_new(&q, db, w->s, w->slen)) != ZHFTS_OK) {
			break;
		}
		zhfts_search_options so = c_sopts(&w->so);
		rc = query_search(q, &so, &w->res);
		if (rc != ZHFTS_OK)
			zerr_from_db(&w->err, db, rc);
		if (w->op == OP_SEARCH)
			query_free(q);
		if (rc != ZHFTS_OK) {
			results_free(w->res);
			w->res = NULL;
			return;
		}
		w->hits = load_hits(w->res, &w->nhits, &w->err);
		if (!w->hits) {
			results_free(w->res);
			w->res = NULL;
		}
		return;
	}
	case OP_COUNT:
	case OP_QCOUNT: {
		zhfts_query *q = NULL;
		if (w->op == OP_QCOUNT) {
			if (!(q = w->q->ptr)) {
				zerr_setf(&w->err, ZHFTS_EINVAL, KIND_CLOSED, "the query is closed");
				return;
			}
		} else if ((rc = query_new(&q, db, w->s, w->slen)) != ZHFTS_OK) {
			break;
		}
		rc = zhfts_query_count(q, &w->count);
		if (rc != ZHFTS_OK)
			zerr_from_db(&w->err, db, rc);
		if (w->op == OP_COUNT)
			query_free(q);
		return;
	}
	case OP_COMMIT:
		rc = zhfts_db_commit(db);
		break;
	default:
		rc = ZHFTS_ERROR;
	}
	if (rc != ZHFTS_OK)
		zerr_from_db(&w->err, db, rc);
}

static void execute(napi_env env, void *data)
{
	(void)env; /* no Node-API call may be made here */
	work *w = data;
	if (w->h) {
		pthread_mutex_lock(&w->h->mu);
		atomic_store(&w->h->executing, 1);
		run_on_handle(w);
		atomic_store(&w->h->executing, 0);
		pthread_mutex_unlock(&w->h->mu);
		return;
	}
	char *msg = NULL;
	int rc;
	switch (w->op) {
	case OP_COMPACT:
		rc = zhfts_db_compact(w->s, &msg);
		if (rc)
			zerr_from_msg(&w->err, rc, msg, "cannot compact the database");
		else
			zhfts_free(msg);
		break;
	case OP_MERGE:
		rc = zhfts_db_merge(w->s, (const char *const *)w->paths, w->npaths, &msg);
		if (rc)
			zerr_from_msg(&w->err, rc, msg, "cannot merge the databases");
		else
			zhfts_free(msg);
		break;
	case OP_OPEN:
		rc = zhfts_db_open(&w->opened, w->s, w->flags, &w->oo, &msg);
		note(&live_dbs, w->opened);
		if (rc) {
			if (w->opened)
				db_close(w->opened);
			w->opened = NULL;
			zerr_from_msg(&w->err, rc, msg, "cannot open the database");
		} else {
			zhfts_free(msg);
		}
		break;
	default:
		break;
	}
}

/* Fails every call still queued on h (none of them started). */
static void fail_queue(napi_env env, dbh *h, const char *why)
{
	while (h->qhead) {
		work *w = h->qhead;
		h->qhead = w->next;
		napi_value e = NULL;
		zerr_setf(&w->err, ZHFTS_ERROR, KIND_LIBRARY, "%s", why);
		if ((e = error_value(env, &w->err)))
			napi_reject_deferred(env, w->deferred, e);
		if (w->keep)
			napi_delete_reference(env, w->keep);
		napi_delete_async_work(env, w->aw);
		h->queued--;
		h->refs--; /* h stays: its box, or the call completing, refers to it */
		work_free(w);
	}
	h->qtail = NULL;
}

static void start_next(napi_env env, dbh *h)
{
	/* cannot fail short of a dying environment */
	if (h->qhead && napi_queue_async_work(env, h->qhead->aw) != napi_ok)
		fail_queue(env, h, "cannot queue the call");
}

static napi_value info_value(napi_env env, work *w)
{
	napi_value o;
	if (napi_create_object(env, &o) != napi_ok || !set_num(env, o, "paragraphs", w->info.paragraphs) ||
	    !set_num(env, o, "replaced", w->info.replaced) ||
	    !set_str(env, o, "encoding", w->used_encoding ? w->used_encoding : "") ||
	    !set_bool(env, o, "committed", w->info.committed != 0))
		return NULL;
	return o;
}

static napi_value db_box_for(napi_env env, zhfts_db *db, bool writable);

static void complete(napi_env env, napi_status status, void *data)
{
	work *w = data;
	dbh *h = w->h;
	napi_value result = NULL;
	if (status != napi_ok && !w->err.status)
		zerr_setf(&w->err, ZHFTS_ERROR, KIND_LIBRARY, "the call was cancelled");
	if (h)
		lock_main(h);
	if (!w->err.status) {
		switch (w->op) {
		case OP_ADD:
			result = info_value(env, w);
			break;
		case OP_SEARCH:
		case OP_QSEARCH:
			result = wrap_results(env, h, w->res, w->hits, w->nhits);
			w->res = NULL;
			break;
		case OP_COUNT:
		case OP_QCOUNT:
			napi_create_double(env, (double)w->count, &result);
			break;
		case OP_OPEN:
			result = db_box_for(env, w->opened, (w->flags & (ZHFTS_OPEN_WRITE | ZHFTS_OPEN_CREATE |
			                                                 ZHFTS_OPEN_OVERWRITE | ZHFTS_OPEN_INMEMORY)) != 0);
			w->opened = NULL;
			break;
		default:
			napi_get_undefined(env, &result);
		}
	} else if (w->res) {
		results_free(w->res);
		w->res = NULL;
	}
	if (h)
		unlock(h);
	if (w->opened) {
		db_close(w->opened);
		w->opened = NULL;
	}
	if (result) {
		napi_resolve_deferred(env, w->deferred, result);
	} else {
		napi_value e = NULL;
		bool pending = false;
		if (!w->err.status && napi_is_exception_pending(env, &pending) == napi_ok && pending)
			napi_get_and_clear_last_exception(env, &e);
		else
			e = error_value(env, &w->err);
		if (!e)
			napi_get_undefined(env, &e);
		napi_reject_deferred(env, w->deferred, e);
	}
	if (w->keep)
		napi_delete_reference(env, w->keep);
	napi_delete_async_work(env, w->aw);
	if (h) {
		h->qhead = w->next;
		if (!h->qhead)
			h->qtail = NULL;
		h->queued--;
		if (status == napi_ok)
			start_next(env, h);
		else
			fail_queue(env, h, "the call was cancelled");
		dbh_unref(h);
	}
	work_free(w);
}

/* Queues w (on h's queue when it is a call on a handle) and returns its
 * promise; frees w on failure. */
static napi_value submit(napi_env env, work *w, napi_value keep_box, const char *name)
{
	napi_value promise, rname;
	if (napi_create_promise(env, &w->deferred, &promise) != napi_ok) {
		work_free(w);
		napi_failure(env);
		return NULL;
	}
	if (napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &rname) != napi_ok ||
	    napi_create_async_work(env, NULL, rname, execute, complete, w, &w->aw) != napi_ok ||
	    (keep_box && napi_create_reference(env, keep_box, 1, &w->keep) != napi_ok)) {
		napi_value e = NULL;
		napi_get_and_clear_last_exception(env, &e);
		if (w->aw)
			napi_delete_async_work(env, w->aw);
		if (!e)
			napi_get_undefined(env, &e);
		napi_reject_deferred(env, w->deferred, e);
		work_free(w);
		return promise;
	}
	if (w->h) {
		w->h->refs++;
		w->h->queued++;
		if (w->h->qtail)
			w->h->qtail->next = w;
		else
			w->h->qhead = w;
		w->h->qtail = w;
		if (w->h->qhead == w)
			start_next(env, w->h);
	} else if (napi_queue_async_work(env, w->aw) != napi_ok) {
		napi_value e = NULL;
		napi_get_and_clear_last_exception(env, &e);
		if (!e)
			napi_get_undefined(env, &e);
		napi_reject_deferred(env, w->deferred, e);
		if (w->keep)
			napi_delete_reference(env, w->keep);
		napi_delete_async_work(env, w->aw);
		work_free(w);
	}
	return promise;
}

static work *new_work(napi_env env, opkind op, dbh *h)
{
	work *w = calloc(1, sizeof *w);
	if (!w) {
		napi_throw_error(env, NULL, "out of memory");
		return NULL;
	}
	w->op = op;
	w->h = h;
	return w;
}

/* ---- module functions: version, errors ------------------------------------------------ */

static napi_value fn_version(napi_env env, napi_callback_info info)
{
	(void)info;
	napi_value v;
	CHECK(napi_create_string_utf8(env, zhfts_version(), NAPI_AUTO_LENGTH, &v));
	return v;
napi_failed:
	napi_failure(env);
	return NULL;
}

static napi_value fn_strerror(napi_env env, napi_callback_info info)
{
	args a;
	int status;
	if (!get_args(env, info, &a, 1) || !get_int(env, a.argv[0], &status, "status"))
		return NULL;
	napi_value v;
	CHECK(napi_create_string_utf8(env, zhfts_strerror(status), NAPI_AUTO_LENGTH, &v));
	return v;
napi_failed:
	napi_failure(env);
	return NULL;
}

/* init(makeError): the factory for errors, called as
 * makeError(status, message, where, offset, doc, field, lost, closed). */
static napi_value fn_init(napi_env env, napi_callback_info info)
{
	args a;
	if (!get_args(env, info, &a, 1))
		return NULL;
	if (!is_type(env, a.argv[0], napi_function)) {
		throw_type(env, "init() takes the error factory");
		return NULL;
	}
	modstate *ms = state(env);
	if (!ms)
		return NULL;
	if (ms->make_error)
		napi_delete_reference(env, ms->make_error);
	ms->make_error = NULL;
	CHECK(napi_create_reference(env, a.argv[0], 1, &ms->make_error));
	return NULL;
napi_failed:
	napi_failure(env);
	return NULL;
}

/* Test hook: results of databases opened from now on are never freed. */
static napi_value fn_leak_results(napi_env env, napi_callback_info info)
{
	args a;
	bool on;
	if (!get_args(env, info, &a, 1) || !get_bool(env, a.argv[0], &on, "on"))
		return NULL;
	modstate *ms = state(env);
	if (ms)
		ms->leak_results = on;
	return NULL;
}

/* ---- databases ----------------------------------------------------------------------- */

static napi_value db_box_for(napi_env env, zhfts_db *db, bool writable)
{
	dbh *h = calloc(1, sizeof *h);
	napi_value box;
	if (!h || pthread_mutex_init(&h->mu, NULL) != 0) {
		free(h);
		db_close(db);
		napi_throw_error(env, NULL, "out of memory");
		return NULL;
	}
	modstate *ms = state(env);
	h->db = db;
	h->refs = 1;
	h->env = env;
	h->writable = writable;
	h->leak_results = ms && ms->leak_results;
	atomic_init(&h->executing, 0);
	if (make_box(env, h, db_box_finalize, &TAG_DB, &box) != napi_ok) {
		/* napi_wrap failed: nothing owns h */
		db_close(db);
		pthread_mutex_destroy(&h->mu);
		free(h);
		napi_failure(env);
		return NULL;
	}
	atomic_fetch_add(&live_handles, 1);
	return box;
}

/* (path, flags, {normalize, traditional, paragraphMode, lockTimeoutMs,
 * autoCommitBytes}) -> the open options; false with an exception. */
static bool get_open_args(napi_env env, args *a, char **path, unsigned *flags, zhfts_options *oo)
{
	uint32_t fl, timeout;
	size_t acb;
	int norm = 0, trad = 0, mode = 0;
	*oo = (zhfts_options)ZHFTS_OPTIONS_INIT;
	*path = get_cstring(env, a->argv[0], "path");
	if (!*path)
		return false;
	napi_value o = a->argv[2];
	if (!get_u32(env, a->argv[1], &fl, "flags") ||
	    (!is_nullish(env, prop(env, o, "normalize")) && !get_int(env, prop(env, o, "normalize"), &norm, "normalize")) ||
	    (!is_nullish(env, prop(env, o, "traditional")) &&
	     !get_int(env, prop(env, o, "traditional"), &trad, "traditional")) ||
	    (!is_nullish(env, prop(env, o, "paragraphMode")) &&
	     !get_int(env, prop(env, o, "paragraphMode"), &mode, "paragraphMode")) ||
	    !get_u32(env, prop(env, o, "lockTimeoutMs"), &timeout, "lockTimeoutMs") ||
	    !get_size(env, prop(env, o, "autoCommitBytes"), 0, &acb, "autoCommitBytes")) {
		free(*path);
		*path = NULL;
		return false;
	}
	*flags = fl;
	oo->normalize = norm;
	oo->traditional = trad;
	oo->paragraph_mode = mode;
	oo->lock_timeout_ms = timeout;
	oo->auto_commit_bytes = acb;
	return true;
}

static bool writable_flags(unsigned flags)
{
	return (flags & (ZHFTS_OPEN_WRITE | ZHFTS_OPEN_CREATE | ZHFTS_OPEN_OVERWRITE | ZHFTS_OPEN_INMEMORY)) != 0;
}

static napi_value fn_open(napi_env env, napi_callback_info info)
{
	args a;
	char *path;
	unsigned flags;
	zhfts_options oo;
	if (!get_args(env, info, &a, 2) || !get_open_args(env, &a, &path, &flags, &oo))
		return NULL;
	zhfts_db *db = NULL;
	char *msg = NULL;
	int rc = zhfts_db_open(&db, path, flags, &oo, &msg);
	note(&live_dbs, db);
	free(path);
	if (rc != ZHFTS_OK) {
		if (db)
			db_close(db);
		zerrinfo e = {0};
		zerr_from_msg(&e, rc, msg, "cannot open the database");
		throw_zerr(env, &e);
		zerr_free(&e);
		return NULL;
	}
	zhfts_free(msg);
	return db_box_for(env, db, writable_flags(flags));
}

static napi_value fn_open_async(napi_env env, napi_callback_info info)
{
	args a;
	work *w;
	if (!get_args(env, info, &a, 2) || !(w = new_work(env, OP_OPEN, NULL)))
		return NULL;
	if (!get_open_args(env, &a, &w->s, &w->flags, &w->oo)) {
		work_free(w);
		return NULL;
	}
	return submit(env, w, NULL, "zhfts.open");
}

static napi_value fn_close(napi_env env, napi_callback_info info)
{
	args a;
	dbh *h;
	if (!get_args(env, info, &a, 1) || !(h = unbox_db(env, a.argv[0])))
		return NULL;
	zerrinfo e = {0};
	lock_main(h);
	dbh_close_locked(h, &e);
	unlock(h);
	if (e.status)
		throw_zerr(env, &e);
	zerr_free(&e);
	return NULL;
}

static napi_value fn_is_open(napi_env env, napi_callback_info info)
{
	args a;
	dbh *h;
	napi_value v;
	if (!get_args(env, info, &a, 1) || !(h = unbox_db(env, a.argv[0])))
		return NULL;
	if (napi_get_boolean(env, h->db != NULL, &v) != napi_ok)
		return NULL;
	return v;
}

/* Test hooks: is a thread-pool call running on the handle; how many are queued. */
static napi_value fn_executing(napi_env env, napi_callback_info info)
{
	args a;
	dbh *h;
	napi_value v;
	if (!get_args(env, info, &a, 1) || !(h = unbox_db(env, a.argv[0])))
		return NULL;
	if (napi_get_boolean(env, atomic_load(&h->executing) != 0, &v) != napi_ok)
		return NULL;
	return v;
}

static napi_value fn_pending(napi_env env, napi_callback_info info)
{
	args a;
	dbh *h;
	napi_value v;
	if (!get_args(env, info, &a, 1) || !(h = unbox_db(env, a.argv[0])))
		return NULL;
	if (napi_create_double(env, (double)h->queued, &v) != napi_ok)
		return NULL;
	return v;
}

static napi_value fn_live(napi_env env, napi_callback_info info)
{
	(void)info;
	napi_value o;
	if (napi_create_object(env, &o) != napi_ok || !set_num(env, o, "handles", (double)atomic_load(&live_handles)) ||
	    !set_num(env, o, "databases", (double)atomic_load(&live_dbs)) ||
	    !set_num(env, o, "queries", (double)atomic_load(&live_queries)) ||
	    !set_num(env, o, "results", (double)atomic_load(&live_results))) {
		napi_failure(env);
		return NULL;
	}
	return o;
}

/* Takes the lock on an open handle, or throws. */
static bool enter(napi_env env, dbh *h)
{
	lock_main(h);
	if (!h->db) {
		unlock(h);
		throw_closed(env, "the database is closed");
		return false;
	}
	return true;
}

/* Unlocks, throwing the handle's error for a failed rc. */
static bool leave(napi_env env, dbh *h, int rc)
{
	zerrinfo e = {0};
	if (rc != ZHFTS_OK)
		zerr_from_db(&e, h->db, rc);
	unlock(h);
	if (rc != ZHFTS_OK) {
		throw_zerr(env, &e);
		zerr_free(&e);
		return false;
	}
	return true;
}

/* (db, id, data, encoding, flags, fields) */
static bool get_add_args(napi_env env, args *a, work *w, const char **data, size_t *len, bool *copied)
{
	bool ok;
	uint32_t fl;
	w->s = get_cstring(env, a->argv[1], "the document id");
	if (!w->s || !get_bytes(env, a->argv[2], data, len, copied, "the document"))
		return false;
	w->encoding = get_opt_cstring(env, a->argv[3], "encoding", &ok);
	if (!ok || !get_u32(env, a->argv[4], &fl, "flags") || !get_fields(env, a->argv[5], &w->fields))
		return false;
	w->flags = fl;
	return true;
}

static napi_value fn_add(napi_env env, napi_callback_info info)
{
	args a;
	dbh *h;
	work *w;
	if (!get_args(env, info, &a, 3) || !(h = unbox_db(env, a.argv[0])) || !(w = new_work(env, OP_ADD, NULL)))
		return NULL;
	const char *data = NULL;
	size_t len = 0;
	bool copied = false;
	napi_value out = NULL;
	if (get_add_args(env, &a, w, &data, &len, &copied) && enter(env, h)) {
		zhfts_doc_options o = ZHFTS_DOC_OPTIONS_INIT;
		o.encoding = w->encoding;
		o.flags = w->flags;
		o.fields = w->fields.f;
		o.nfields = w->fields.n;
		w->info = (zhfts_doc_info)ZHFTS_DOC_INFO_INIT;
		int rc = zhfts_db_add_document(h->db, w->s, data, len, &o, &w->info);
		if (rc == ZHFTS_OK)
			w->used_encoding = dup0(w->info.encoding);
		if (leave(env, h, rc) && !(out = info_value(env, w)))
			napi_failure(env);
	}
	if (copied)
		free((char *)data);
	work_free(w);
	return out;
}

static napi_value fn_add_async(napi_env env, napi_callback_info info)
{
	args a;
	dbh *h;
	work *w;
	if (!get_args(env, info, &a, 3) || !(h = unbox_db(env, a.argv[0])) || !(w = new_work(env, OP_ADD, h)))
		return NULL;
	const char *data = NULL;
	size_t len = 0;
	bool copied = false;
	if (!get_add_args(env, &a, w, &data, &len, &copied)) {
		if (copied)
			free((char *)data);
		work_free(w);
		return NULL;
	}
	/* The bytes are copied: the caller may change or detach its buffer. */
	if (copied) {
		w->data = (char *)data;
	} else if (!(w->data = malloc(len ? len : 1))) {
		work_free(w);
		napi_throw_range_error(env, "ERR_ZHFTS_NOMEM", "document too large: out of memory");
		return NULL;
	} else if (len) {
		memcpy(w->data, data, len);
	}
	w->len = len;
	return submit(env, w, a.argv[0], "zhfts.indexAsync");
}

static napi_value fn_delete(napi_env env, napi_callback_info info)
{
	args a;
	dbh *h;
	char *id;
	if (!get_args(env, info, &a, 2) || !(h = unbox_db(env, a.argv[0])) ||
	    !(id = get_cstring(env, a.argv[1], "the document id")))
		return NULL;
	if (enter(env, h))
		leave(env, h, zhfts_db_delete_document(h->db, id));
	free(id);
	return NULL;
}

static napi_value simple_call(napi_env env, napi_callback_info info, int (*fn)(zhfts_db *))
{
	args a;
	dbh *h;
	if (!get_args(env, info, &a, 1) || !(h = unbox_db(env, a.argv[0])))
		return NULL;
	if (enter(env, h))
		leave(env, h, fn(h->db));
	return NULL;
}

static napi_value fn_commit(napi_env env, napi_callback_info info)
{
	return simple_call(env, info, zhfts_db_commit);
}

static napi_value fn_rollback(napi_env env, napi_callback_info info)
{
	return simple_call(env, info, zhfts_db_rollback);
}

static napi_value fn_reopen(napi_env env, napi_callback_info info)
{
	return simple_call(env, info, zhfts_db_reopen);
}

static napi_value fn_commit_async(napi_env env, napi_callback_info info)
{
	args a;
	dbh *h;
	work *w;
	if (!get_args(env, info, &a, 1) || !(h = unbox_db(env, a.argv[0])) || !(w = new_work(env, OP_COMMIT, h)))
		return NULL;
	return submit(env, w, a.argv[0], "zhfts.commitAsync");
}

static napi_value fn_stats(napi_env env, napi_callback_info info)
{
	args a;
	dbh *h;
	bool terms;
	if (!get_args(env, info, &a, 1) || !(h = unbox_db(env, a.argv[0])) || !get_bool(env, a.argv[1], &terms, "terms"))
		return NULL;
	zhfts_stats st = ZHFTS_STATS_INIT;
	if (!enter(env, h) || !leave(env, h, zhfts_db_stats(h->db, terms ? ZHFTS_STATS_TERMS : 0, &st)))
		return NULL;
	napi_value o;
	if (napi_create_object(env, &o) != napi_ok || !set_num(env, o, "documents", (double)st.documents) ||
	    !set_num(env, o, "paragraphs", (double)st.paragraphs) || !set_num(env, o, "terms", (double)st.terms) ||
	    !set_num(env, o, "diskBytes", (double)st.disk_bytes) || !set_num(env, o, "dead", (double)st.dead)) {
		napi_failure(env);
		return NULL;
	}
	return o;
}

static napi_value fn_settings(napi_env env, napi_callback_info info)
{
	args a;
	dbh *h;
	if (!get_args(env, info, &a, 1) || !(h = unbox_db(env, a.argv[0])))
		return NULL;
	zhfts_options o = ZHFTS_OPTIONS_INIT;
	if (!enter(env, h) || !leave(env, h, zhfts_db_settings(h->db, &o)))
		return NULL;
	napi_value v;
	if (napi_create_object(env, &v) != napi_ok || !set_bool(env, v, "normalize", o.normalize == ZHFTS_ON) ||
	    !set_bool(env, v, "traditional", o.traditional == ZHFTS_ON) ||
	    !set_bool(env, v, "lines", o.paragraph_mode == ZHFTS_PARAGRAPH_LINE)) {
		napi_failure(env);
		return NULL;
	}
	return v;
}

typedef struct doclist {
	char **ids;
	uint32_t *paras;
	size_t n, cap;
	bool nomem;
} doclist;

static int on_document(void *ctx, const char *id, uint32_t paragraphs)
{
	doclist *l = ctx;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		char **ids = realloc(l->ids, cap * sizeof *ids);
		if (ids)
			l->ids = ids;
		uint32_t *p = ids ? realloc(l->paras, cap * sizeof *p) : NULL;
		if (p)
			l->paras = p;
		if (!ids || !p) {
			l->nomem = true;
			return 1;
		}
		l->cap = cap;
	}
	if (!(l->ids[l->n] = dup0(id ? id : ""))) {
		l->nomem = true;
		return 1;
	}
	l->paras[l->n++] = paragraphs;
	return 0;
}

static napi_value fn_documents(napi_env env, napi_callback_info info)
{
	args a;
	dbh *h;
	if (!get_args(env, info, &a, 1) || !(h = unbox_db(env, a.argv[0])))
		return NULL;
	doclist l = {0};
	napi_value arr = NULL;
	if (enter(env, h)) {
		int rc = zhfts_db_foreach_document(h->db, on_document, &l);
		if (l.nomem) {
			unlock(h);
			napi_throw_error(env, NULL, "out of memory listing documents");
		} else if (leave(env, h, rc)) {
			if (napi_create_array_with_length(env, l.n, &arr) != napi_ok)
				arr = NULL;
			for (size_t i = 0; arr && i < l.n; i++) {
				napi_value o;
				if (napi_create_object(env, &o) != napi_ok || !set_str(env, o, "id", l.ids[i]) ||
				    !set_num(env, o, "paragraphs", l.paras[i]) ||
				    napi_set_element(env, arr, (uint32_t)i, o) != napi_ok)
					arr = NULL;
			}
			if (!arr)
				napi_failure(env);
		}
	}
	free_strv(l.ids, l.n);
	free(l.paras);
	return arr;
}

static napi_value fn_get_document(napi_env env, napi_callback_info info)
{
	args a;
	dbh *h;
	char *id;
	if (!get_args(env, info, &a, 2) || !(h = unbox_db(env, a.argv[0])) ||
	    !(id = get_cstring(env, a.argv[1], "the document id")))
		return NULL;
	zhfts_results *res = NULL;
	napi_value arr = NULL;
	if (enter(env, h)) {
		int rc = get_document(h->db, id, &res);
		if (leave(env, h, rc)) {
			/* The results borrow the handle: read them under its lock. */
			zerrinfo e = {0};
			size_t n = 0;
			lock_main(h);
			const zhfts_hit **hits = load_hits(res, &n, &e);
			if (hits && napi_create_array(env, &arr) == napi_ok) {
				uint32_t k = 0;
				for (size_t i = 0; arr && i < n; i++) {
					napi_value v;
					if (!hits[i])
						continue;
					if (!(v = hit_value(env, hits[i], i)) || napi_set_element(env, arr, k++, v) != napi_ok)
						arr = NULL;
				}
			}
			results_free(res);
			unlock(h);
			if (!hits)
				throw_zerr(env, &e);
			else if (!arr)
				napi_failure(env);
			free(hits);
			zerr_free(&e);
		}
	}
	free(id);
	return arr;
}

static napi_value fn_explain(napi_env env, napi_callback_info info)
{
	args a;
	dbh *h;
	size_t qlen;
	char *q;
	if (!get_args(env, info, &a, 2) || !(h = unbox_db(env, a.argv[0])) ||
	    !(q = get_string(env, a.argv[1], &qlen, "the query")))
		return NULL;
	char *out = NULL;
	napi_value v = NULL;
	if (enter(env, h) && leave(env, h, zhfts_db_explain(h->db, q, qlen, &out)) && to_string(env, out ? out : "", &v) != napi_ok)
		napi_failure(env);
	zhfts_free(out);
	free(q);
	return v;
}

/* ---- searching ----------------------------------------------------------------------- */

/* search(db, query, opts) and searchAsync */
static napi_value fn_search(napi_env env, napi_callback_info info)
{
	args a;
	dbh *h;
	size_t qlen;
	char *q;
	sopts o;
	if (!get_args(env, info, &a, 2) || !(h = unbox_db(env, a.argv[0])) ||
	    !(q = get_string(env, a.argv[1], &qlen, "the query")))
		return NULL;
	if (!get_sopts(env, a.argv[2], &o)) {
		free(q);
		return NULL;
	}
	napi_value out = NULL;
	if (enter(env, h)) {
		zhfts_query *query = NULL;
		zhfts_results *res = NULL;
		zhfts_search_options so = c_sopts(&o);
		int rc = query_new(&query, h->db, q, qlen);
		rc = rc ? rc : query_search(query, &so, &res);
		zerrinfo e = {0};
		if (rc != ZHFTS_OK)
			zerr_from_db(&e, h->db, rc);
		query_free(query);
		size_t n = 0;
		const zhfts_hit **hits = rc ? NULL : load_hits(res, &n, &e);
		if (!hits) {
			results_free(res);
			res = NULL;
		}
		unlock(h);
		if (res)
			out = wrap_results(env, h, res, hits, n);
		else
			throw_zerr(env, &e);
		free(hits);
		zerr_free(&e);
	}
	free(q);
	sopts_free(&o);
	return out;
}

static napi_value fn_search_async(napi_env env, napi_callback_info info)
{
	args a;
	dbh *h;
	work *w;
	if (!get_args(env, info, &a, 2) || !(h = unbox_db(env, a.argv[0])) || !(w = new_work(env, OP_SEARCH, h)))
		return NULL;
	if (!(w->s = get_string(env, a.argv[1], &w->slen, "the query")) || !get_sopts(env, a.argv[2], &w->so)) {
		work_free(w);
		return NULL;
	}
	return submit(env, w, a.argv[0], "zhfts.searchAsync");
}

static napi_value count_common(napi_env env, napi_callback_info info, bool async)
{
	args a;
	dbh *h;
	work *w;
	if (!get_args(env, info, &a, 2) || !(h = unbox_db(env, a.argv[0])) ||
	    !(w = new_work(env, OP_COUNT, async ? h : NULL)))
		return NULL;
	if (!(w->s = get_string(env, a.argv[1], &w->slen, "the query"))) {
		work_free(w);
		return NULL;
	}
	if (async)
		return submit(env, w, a.argv[0], "zhfts.countAsync");
	napi_value out = NULL;
	if (enter(env, h)) {
		w->h = h;
		run_on_handle(w);
		w->h = NULL;
		unlock(h);
		if (w->err.status)
			throw_zerr(env, &w->err);
		else if (napi_create_double(env, (double)w->count, &out) != napi_ok)
			napi_failure(env);
	}
	work_free(w);
	return out;
}

static napi_value fn_count(napi_env env, napi_callback_info info)
{
	return count_common(env, info, false);
}

static napi_value fn_count_async(napi_env env, napi_callback_info info)
{
	return count_common(env, info, true);
}

/* ---- Query objects --------------------------------------------------------------------- */

static napi_value fn_query_new(napi_env env, napi_callback_info info)
{
	args a;
	dbh *h;
	size_t qlen;
	char *q;
	if (!get_args(env, info, &a, 2) || !(h = unbox_db(env, a.argv[0])) ||
	    !(q = get_string(env, a.argv[1], &qlen, "the query")))
		return NULL;
	napi_value box = NULL;
	zhfts_query *query = NULL;
	if (enter(env, h)) {
		int rc = query_new(&query, h->db, q, qlen);
		if (rc != ZHFTS_OK && query) {
			query_free(query); /* not promised, but never leak it */
			query = NULL;
		}
		if (leave(env, h, rc))
			box = new_borrower_box(env, h, B_QUERY, query);
	}
	free(q);
	return box;
}

/* The query of a box, under the lock; throws if it or its database is closed. */
static zhfts_query *enter_query(napi_env env, borrower *b)
{
	if (!enter(env, b->owner))
		return NULL;
	if (!b->ptr) {
		unlock(b->owner);
		throw_closed(env, "the query is closed");
		return NULL;
	}
	return b->ptr;
}

static napi_value fn_query_free(napi_env env, napi_callback_info info)
{
	args a;
	borrower *b;
	if (!get_args(env, info, &a, 1) || !(b = unbox_borrower(env, a.argv[0], B_QUERY)))
		return NULL;
	lock_main(b->owner);
	borrower_release(b);
	unlock(b->owner);
	return NULL;
}

static napi_value fn_query_alive(napi_env env, napi_callback_info info)
{
	args a;
	borrower *b;
	napi_value v;
	if (!get_args(env, info, &a, 1) || !(b = unbox_borrower(env, a.argv[0], B_QUERY)))
		return NULL;
	if (napi_get_boolean(env, b->ptr != NULL, &v) != napi_ok)
		return NULL;
	return v;
}

static napi_value fn_query_search(napi_env env, napi_callback_info info)
{
	args a;
	borrower *b;
	sopts o;
	if (!get_args(env, info, &a, 1) || !(b = unbox_borrower(env, a.argv[0], B_QUERY)) || !get_sopts(env, a.argv[1], &o))
		return NULL;
	napi_value out = NULL;
	dbh *h = b->owner;
	zhfts_query *q = enter_query(env, b);
	if (q) {
		zhfts_results *res = NULL;
		zhfts_search_options so = c_sopts(&o);
		zerrinfo e = {0};
		int rc = query_search(q, &so, &res);
		if (rc != ZHFTS_OK)
			zerr_from_db(&e, h->db, rc);
		size_t n = 0;
		const zhfts_hit **hits = rc ? NULL : load_hits(res, &n, &e);
		if (!hits) {
			results_free(res);
			res = NULL;
		}
		unlock(h);
		if (res)
			out = wrap_results(env, h, res, hits, n);
		else
			throw_zerr(env, &e);
		free(hits);
		zerr_free(&e);
	}
	sopts_free(&o);
	return out;
}

static napi_value fn_query_search_async(napi_env env, napi_callback_info info)
{
	args a;
	borrower *b;
	work *w;
	if (!get_args(env, info, &a, 1) || !(b = unbox_borrower(env, a.argv[0], B_QUERY)) ||
	    !(w = new_work(env, OP_QSEARCH, b->owner)))
		return NULL;
	w->q = b;
	if (!get_sopts(env, a.argv[1], &w->so)) {
		work_free(w);
		return NULL;
	}
	return submit(env, w, a.argv[0], "zhfts.Query.searchAsync");
}

static napi_value fn_query_count(napi_env env, napi_callback_info info)
{
	args a;
	borrower *b;
	if (!get_args(env, info, &a, 1) || !(b = unbox_borrower(env, a.argv[0], B_QUERY)))
		return NULL;
	zhfts_query *q = enter_query(env, b);
	uint64_t n = 0;
	napi_value v = NULL;
	if (q && leave(env, b->owner, zhfts_query_count(q, &n)) && napi_create_double(env, (double)n, &v) != napi_ok)
		napi_failure(env);
	return v;
}

static napi_value fn_query_count_async(napi_env env, napi_callback_info info)
{
	args a;
	borrower *b;
	work *w;
	if (!get_args(env, info, &a, 1) || !(b = unbox_borrower(env, a.argv[0], B_QUERY)) ||
	    !(w = new_work(env, OP_QCOUNT, b->owner)))
		return NULL;
	w->q = b;
	return submit(env, w, a.argv[0], "zhfts.Query.countAsync");
}

static napi_value fn_query_explain(napi_env env, napi_callback_info info)
{
	args a;
	borrower *b;
	if (!get_args(env, info, &a, 1) || !(b = unbox_borrower(env, a.argv[0], B_QUERY)))
		return NULL;
	zhfts_query *q = enter_query(env, b);
	char *out = NULL;
	napi_value v = NULL;
	if (q && leave(env, b->owner, zhfts_query_explain(q, &out)) && to_string(env, out ? out : "", &v) != napi_ok)
		napi_failure(env);
	zhfts_free(out);
	return v;
}

/* ---- lazy parts of hits ------------------------------------------------------------------ */

/* The results of a box, under the lock; throws when they are gone. */
static zhfts_results *enter_results(napi_env env, borrower *b, const char *what)
{
	lock_main(b->owner);
	if (!b->ptr || !b->owner->db) {
		unlock(b->owner);
		throw_closed(env, what);
		return NULL;
	}
	return b->ptr;
}

/* resultsSpans(results, i) -> [[start, end] UTF-16..., [start, end] bytes...] */
static napi_value fn_results_spans(napi_env env, napi_callback_info info)
{
	args a;
	borrower *b;
	size_t i;
	if (!get_args(env, info, &a, 2) || !(b = unbox_borrower(env, a.argv[0], B_RESULTS)) ||
	    !get_size(env, a.argv[1], 0, &i, "index"))
		return NULL;
	zhfts_results *res = enter_results(env, b, "the database was closed (or the results freed) before this hit's spans were read");
	if (!res)
		return NULL;
	const zhfts_span *sp = NULL;
	size_t n = 0;
	int rc = zhfts_results_spans(res, i, &sp, &n);
	const zhfts_hit *h = rc ? NULL : zhfts_results_hit(res, i);
	zerrinfo e = {0};
	if (rc || !h)
		zerr_from_results(&e, res, rc ? rc : ZHFTS_ERROR);
	zhfts_span *copy = NULL;
	if (!e.status && n && !(copy = malloc(n * sizeof *copy)))
		zerr_setf(&e, ZHFTS_ENOMEM, KIND_LIBRARY, "out of memory");
	if (copy)
		memcpy(copy, sp, n * sizeof *copy);
	unlock(b->owner);
	if (e.status) {
		throw_zerr(env, &e);
		zerr_free(&e);
		return NULL;
	}
	/* h stays valid (and unchanged) until the results are freed, which
	 * only this thread does. */
	napi_value out = NULL, chars, bytes;
	u16_mapper m = {(const unsigned char *)h->text, h->text_len, 0, 0};
	if (napi_create_array_with_length(env, n, &chars) == napi_ok &&
	    napi_create_array_with_length(env, n, &bytes) == napi_ok && napi_create_array_with_length(env, 2, &out) == napi_ok) {
		for (size_t k = 0; out && k < n; k++) {
			size_t bs = copy[k].offset > h->text_len ? h->text_len : copy[k].offset;
			size_t be = copy[k].length > h->text_len - bs ? h->text_len : bs + copy[k].length;
			napi_value c, bb, v;
			bool ok = napi_create_array_with_length(env, 2, &c) == napi_ok &&
			          napi_create_array_with_length(env, 2, &bb) == napi_ok &&
			          napi_create_double(env, (double)u16_at(&m, bs), &v) == napi_ok &&
			          napi_set_element(env, c, 0, v) == napi_ok &&
			          napi_create_double(env, (double)u16_at(&m, be), &v) == napi_ok &&
			          napi_set_element(env, c, 1, v) == napi_ok &&
			          napi_create_double(env, (double)bs, &v) == napi_ok &&
			          napi_set_element(env, bb, 0, v) == napi_ok &&
			          napi_create_double(env, (double)be, &v) == napi_ok &&
			          napi_set_element(env, bb, 1, v) == napi_ok &&
			          napi_set_element(env, chars, (uint32_t)k, c) == napi_ok &&
			          napi_set_element(env, bytes, (uint32_t)k, bb) == napi_ok;
			if (!ok)
				out = NULL;
		}
		if (out && (napi_set_element(env, out, 0, chars) != napi_ok || napi_set_element(env, out, 1, bytes) != napi_ok))
			out = NULL;
	} else {
		out = NULL;
	}
	free(copy);
	if (!out)
		napi_failure(env);
	return out;
}

/* resultsSnippet(results, i, open, close, context) */
static napi_value fn_results_snippet(napi_env env, napi_callback_info info)
{
	args a;
	borrower *b;
	size_t i, context;
	if (!get_args(env, info, &a, 2) || !(b = unbox_borrower(env, a.argv[0], B_RESULTS)) ||
	    !get_size(env, a.argv[1], 0, &i, "index") || !get_size(env, a.argv[4], 0, &context, "context"))
		return NULL;
	bool ok1, ok2;
	char *mo = get_opt_cstring(env, a.argv[2], "a mark", &ok1);
	char *mc = ok1 ? get_opt_cstring(env, a.argv[3], "a mark", &ok2) : NULL;
	napi_value v = NULL;
	if (ok1 && ok2) {
		zhfts_results *res = enter_results(env, b, "the database was closed (or the results freed) before this hit's snippet was read");
		if (res) {
			zhfts_snippet_options so = ZHFTS_SNIPPET_OPTIONS_INIT;
			so.mark_open = mo;
			so.mark_close = mc;
			so.context_chars = context;
			char *out = NULL;
			zerrinfo e = {0};
			int rc = zhfts_results_snippet(res, i, &so, &out);
			if (rc)
				zerr_from_results(&e, res, rc);
			unlock(b->owner);
			if (rc)
				throw_zerr(env, &e);
			else if (to_string(env, out ? out : "", &v) != napi_ok)
				napi_failure(env);
			zhfts_free(out);
			zerr_free(&e);
		}
	}
	free(mo);
	free(mc);
	return v;
}

static napi_value fn_results_free(napi_env env, napi_callback_info info)
{
	args a;
	borrower *b;
	if (!get_args(env, info, &a, 1) || !(b = unbox_borrower(env, a.argv[0], B_RESULTS)))
		return NULL;
	lock_main(b->owner);
	borrower_release(b);
	unlock(b->owner);
	return NULL;
}

/* ---- compact, merge ------------------------------------------------------------------------ */

static napi_value fn_compact(napi_env env, napi_callback_info info)
{
	args a;
	char *path;
	if (!get_args(env, info, &a, 1) || !(path = get_cstring(env, a.argv[0], "path")))
		return NULL;
	bool async = false;
	if (!get_bool(env, a.argv[1], &async, "async")) {
		free(path);
		return NULL;
	}
	if (async) {
		work *w = new_work(env, OP_COMPACT, NULL);
		if (!w) {
			free(path);
			return NULL;
		}
		w->s = path;
		return submit(env, w, NULL, "zhfts.compactAsync");
	}
	char *msg = NULL;
	int rc = zhfts_db_compact(path, &msg);
	free(path);
	if (rc) {
		zerrinfo e = {0};
		zerr_from_msg(&e, rc, msg, "cannot compact the database");
		throw_zerr(env, &e);
		zerr_free(&e);
	} else {
		zhfts_free(msg);
	}
	return NULL;
}

static napi_value fn_merge(napi_env env, napi_callback_info info)
{
	args a;
	work *w;
	bool async = false;
	if (!get_args(env, info, &a, 2) || !get_bool(env, a.argv[2], &async, "async") ||
	    !(w = new_work(env, OP_MERGE, NULL)))
		return NULL;
	if (is_nullish(env, a.argv[1])) {
		throw_type(env, "sources must be an array");
		work_free(w);
		return NULL;
	}
	if (!(w->s = get_cstring(env, a.argv[0], "dest")) || !get_strv(env, a.argv[1], &w->paths, &w->npaths, "sources")) {
		work_free(w);
		return NULL;
	}
	if (async)
		return submit(env, w, NULL, "zhfts.mergeAsync");
	execute(env, w);
	if (w->err.status)
		throw_zerr(env, &w->err);
	work_free(w);
	return NULL;
}

/* ---- tokenize ---------------------------------------------------------------------------- */

typedef struct toklist {
	zhfts_token *t;  /* text: malloc'd copies */
	size_t n, cap;
	bool nomem;
} toklist;

static int on_token(void *ctx, const zhfts_token *tok)
{
	toklist *l = ctx;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		zhfts_token *p = realloc(l->t, cap * sizeof *p);
		if (!p) {
			l->nomem = true;
			return 1;
		}
		l->t = p;
		l->cap = cap;
	}
	zhfts_token *t = &l->t[l->n];
	*t = *tok;
	if (!(t->text = dupn(tok->text ? tok->text : "", tok->text ? tok->text_len : 0))) {
		l->nomem = true;
		return 1;
	}
	l->n++;
	return 0;
}

static const char *kind_name(zhfts_token_kind k)
{
	switch (k) {
	case ZHFTS_TOKEN_HAN: return "han";
	case ZHFTS_TOKEN_WORD: return "word";
	case ZHFTS_TOKEN_NUMBER: return "number";
	case ZHFTS_TOKEN_MIXED: return "mixed";
	}
	return "other";
}

/* tokenize(text, normalize, traditional) with text a string (start/end
 * in UTF-16 units) or bytes (start/end in bytes). */
static napi_value fn_tokenize(napi_env env, napi_callback_info info)
{
	args a;
	bool norm, trad;
	if (!get_args(env, info, &a, 3) || !get_bool(env, a.argv[1], &norm, "normalize") ||
	    !get_bool(env, a.argv[2], &trad, "traditional"))
		return NULL;
	bool is_string = is_type(env, a.argv[0], napi_string), copied;
	const char *text;
	size_t len;
	if (!get_bytes(env, a.argv[0], &text, &len, &copied, "text"))
		return NULL;
	modstate *ms = state(env);
	napi_value out = NULL;
	int slot = (norm ? 2 : 0) + (trad ? 1 : 0);
	if (ms && !ms->tok[slot]) {
		zhfts_options o = ZHFTS_OPTIONS_INIT;
		o.normalize = norm ? ZHFTS_ON : ZHFTS_OFF;
		o.traditional = trad ? ZHFTS_ON : ZHFTS_OFF;
		int rc = zhfts_tokenizer_new(&ms->tok[slot], &o);
		if (rc) {
			ms->tok[slot] = NULL;
			zerrinfo e = {0};
			zerr_setf(&e, rc, KIND_LIBRARY, "cannot create a tokenizer: %s", zhfts_strerror(rc));
			throw_zerr(env, &e);
			zerr_free(&e);
		}
	}
	if (ms && ms->tok[slot]) {
		toklist l = {0};
		int rc = zhfts_tokenize(ms->tok[slot], text, len, on_token, &l);
		if (l.nomem) {
			napi_throw_error(env, NULL, "out of memory tokenizing");
		} else if (rc) {
			zerrinfo e = {0};
			const char *m = zhfts_tokenizer_errmsg(ms->tok[slot]);
			zerr_setf(&e, rc, KIND_LIBRARY, "%s", m && m[0] ? m : zhfts_strerror(rc));
			if (rc == ZHFTS_EENCODING) {
				/* no zhfts_tokenizer_error(): the input is UTF-8, so the
				 * first invalid byte is where validation stops */
				e.where = ZHFTS_WHERE_DOCUMENT;
				e.offset = utf8_invalid_at(text, len);
			}
			throw_zerr(env, &e);
			zerr_free(&e);
		} else if (napi_create_array_with_length(env, l.n, &out) == napi_ok) {
			u16_mapper m = {(const unsigned char *)text, len, 0, 0};
			for (size_t i = 0; out && i < l.n; i++) {
				const zhfts_token *t = &l.t[i];
				size_t s = is_string ? u16_at(&m, t->offset) : t->offset;
				size_t e = is_string ? u16_at(&m, t->offset + t->length) : t->offset + t->length;
				napi_value o, tt;
				if (napi_create_object(env, &o) != napi_ok ||
				    to_string16(env, t->text, t->text_len, &tt) != napi_ok || !set_prop(env, o, "text", tt) ||
				    !set_num(env, o, "start", (double)s) || !set_num(env, o, "end", (double)e) ||
				    !set_num(env, o, "offset", (double)t->offset) || !set_num(env, o, "length", (double)t->length) ||
				    !set_num(env, o, "position", t->position) || !set_num(env, o, "units", t->units) ||
				    !set_str(env, o, "kind", kind_name(t->kind)) || napi_set_element(env, out, (uint32_t)i, o) != napi_ok)
					out = NULL;
			}
			if (!out)
				napi_failure(env);
		} else {
			napi_failure(env);
		}
		for (size_t i = 0; i < l.n; i++)
			free((char *)l.t[i].text);
		free(l.t);
	}
	if (copied)
		free((char *)text);
	return out;
}

/* ---- the module ----------------------------------------------------------------------------- */

/* node_api.h defines this one without a prototype (clang's -Wmissing-prototypes). */
#ifdef NODE_API_MODULE_GET_API_VERSION
EXTERN_C_START
NAPI_MODULE_EXPORT int32_t NODE_API_MODULE_GET_API_VERSION(void);
EXTERN_C_END
#endif

NAPI_MODULE_INIT()
{
	modstate *ms = calloc(1, sizeof *ms);
	if (!ms || napi_set_instance_data(env, ms, modstate_free, NULL) != napi_ok) {
		free(ms);
		napi_throw_error(env, NULL, "zhfts: cannot initialize the module");
		return NULL;
	}
	static const struct {
		const char *name;
		napi_callback fn;
	} fns[] = {
		{"version", fn_version},
		{"strerror", fn_strerror},
		{"init", fn_init},
		{"open", fn_open},
		{"openAsync", fn_open_async},
		{"close", fn_close},
		{"isOpen", fn_is_open},
		{"add", fn_add},
		{"addAsync", fn_add_async},
		{"remove", fn_delete},
		{"commit", fn_commit},
		{"commitAsync", fn_commit_async},
		{"rollback", fn_rollback},
		{"reopen", fn_reopen},
		{"stats", fn_stats},
		{"settings", fn_settings},
		{"documents", fn_documents},
		{"getDocument", fn_get_document},
		{"explain", fn_explain},
		{"search", fn_search},
		{"searchAsync", fn_search_async},
		{"count", fn_count},
		{"countAsync", fn_count_async},
		{"queryNew", fn_query_new},
		{"queryFree", fn_query_free},
		{"queryAlive", fn_query_alive},
		{"querySearch", fn_query_search},
		{"querySearchAsync", fn_query_search_async},
		{"queryCount", fn_query_count},
		{"queryCountAsync", fn_query_count_async},
		{"queryExplain", fn_query_explain},
		{"resultsSpans", fn_results_spans},
		{"resultsSnippet", fn_results_snippet},
		{"resultsFree", fn_results_free},
		{"compact", fn_compact},
		{"merge", fn_merge},
		{"tokenize", fn_tokenize},
		{"_leakResults", fn_leak_results},
		{"_executing", fn_executing},
		{"_pending", fn_pending},
		{"_live", fn_live},
	};
	for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
		napi_value f;
		if (napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &f) != napi_ok ||
		    napi_set_named_property(env, exports, fns[i].name, f) != napi_ok) {
			napi_failure(env);
			return NULL;
		}
	}
	static const struct {
		const char *name;
		int value;
	} consts[] = {
		{"OPEN_READONLY", ZHFTS_OPEN_READONLY}, {"OPEN_WRITE", ZHFTS_OPEN_WRITE},
		{"OPEN_CREATE", ZHFTS_OPEN_CREATE}, {"OPEN_OVERWRITE", ZHFTS_OPEN_OVERWRITE},
		{"OPEN_NO_SYNC", ZHFTS_OPEN_NO_SYNC}, {"OPEN_INMEMORY", ZHFTS_OPEN_INMEMORY},
		{"OPEN_TERMLIST", ZHFTS_OPEN_TERMLIST}, {"DEFAULT", ZHFTS_DEFAULT}, {"ON", ZHFTS_ON}, {"OFF", ZHFTS_OFF},
		{"PARAGRAPH_BLANK_LINE", ZHFTS_PARAGRAPH_BLANK_LINE}, {"PARAGRAPH_LINE", ZHFTS_PARAGRAPH_LINE},
		{"DOC_LENIENT", ZHFTS_DOC_LENIENT}, {"DOC_LINES", ZHFTS_DOC_LINES}, {"DOC_NO_GUESS", ZHFTS_DOC_NO_GUESS},
		{"WHERE_NONE", ZHFTS_WHERE_NONE}, {"WHERE_QUERY", ZHFTS_WHERE_QUERY},
		{"WHERE_DOCUMENT", ZHFTS_WHERE_DOCUMENT}, {"WHERE_OPTION", ZHFTS_WHERE_OPTION},
		{"LAST_STATUS", ZHFTS_LAST_STATUS},
	};
	for (size_t i = 0; i < sizeof consts / sizeof consts[0]; i++) {
		napi_value v;
		if (napi_create_int32(env, consts[i].value, &v) != napi_ok ||
		    napi_set_named_property(env, exports, consts[i].name, v) != napi_ok) {
			napi_failure(env);
			return NULL;
		}
	}
	return exports;
}
