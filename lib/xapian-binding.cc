// The one C++ file of libzhfts: a thin C binding over libxapian.
//
// Every entry point catches every exception (Xapian's, std::bad_alloc, and
// anything else) before it can reach a C frame, and turns it into a
// zhfts_status with the message on the caller's zerr.  No entry point
// retries, ranks or decides: that is the C side's policy.

#include <xapian.h>

#include <cerrno>
#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "xapian-binding.h"
#include "zhfts.h"

struct zx_db {
	Xapian::Database rd;          // always valid: the reading view
	Xapian::WritableDatabase wr;  // valid when writable
	bool writable = false;
	bool in_txn = false;
	bool remote = false;          // is, or combines, a remote database
};

struct zx_doc {
	Xapian::Document doc;
};

namespace {

// Copies a message into err without allocating (handlers must not throw).
int fail(zerr *err, int status, const char *what, const char *msg, const char *extra = nullptr)
{
	if (extra && *extra)
		return zerr_set(err, status, "%s: %s (%s)", what, msg, extra);
	return zerr_set(err, status, "%s: %s", what, msg);
}

// What a reader meets when a writer's commits overtake it: the revision it
// reads was modified, or (two commits on) its blocks were reused, which
// reads as corruption or a short read.  Not for writers: their view never
// moves under them.
bool racing_reader(const zx_db *db, const Xapian::DatabaseError &e)
{
	if (!db || db->writable)
		return false;
	const std::string &m = e.get_msg();
	const char *type = e.get_type(); // Xapian::Error has no virtual functions to cast by
	return !strcmp(type, "DatabaseModifiedError") || !strcmp(type, "DatabaseCorruptError") ||
	       m.find("EOF reading block") != std::string::npos || m.find("orrupt") != std::string::npos;
}

// Maps the exception being handled to a status.  Called only from a catch.
// The shard a network error is about: its context, "remote:tcp(HOST:PORT)"
// or "remote:prog(PROGRAM ARGS)", as HOST:PORT or the program.
std::string shard_of(const Xapian::Error &e, const char *what)
{
	std::string c = e.get_context();
	for (const char *kind : {"remote:tcp(", "remote:prog("}) {
		size_t n = strlen(kind);
		if (c.compare(0, n, kind) == 0 && c.size() > n && c.back() == ')')
			return c.substr(n, c.size() - n - 1);
	}
	return c.empty() ? std::string(what) : c;
}

// "what: " unless what is the shard itself.
std::string prefix(const char *what, const std::string &shard)
{
	return shard == what ? std::string() : std::string(what) + ": ";
}

int map_exception(zerr *err, const char *what, const zx_db *db = nullptr)
{
	try {
		throw;
	} catch (const Xapian::DatabaseLockError &e) {
		return fail(err, ZHFTS_ELOCKED, what, "database is locked by another writer", e.get_msg().c_str());
	} catch (const Xapian::DatabaseNotFoundError &e) {
		return fail(err, ZHFTS_ENOTFOUND, what, e.get_msg().c_str());
	} catch (const Xapian::DatabaseVersionError &e) {
		return fail(err, ZHFTS_EVERSION, what, e.get_msg().c_str());
	} catch (const Xapian::DatabaseOpeningError &e) {
		// Not a database at all, or one we cannot read.
		const char *es = e.get_error_string();
		if (es && *es)
			return fail(err, ZHFTS_EIO, what, e.get_msg().c_str(), es);
		return fail(err, ZHFTS_ECORRUPT, what, "not a usable database", e.get_msg().c_str());
	} catch (const Xapian::DatabaseError &e) {
		bool corrupt = !strcmp(e.get_type(), "DatabaseCorruptError");
		int lasting = corrupt ? ZHFTS_ECORRUPT : ZHFTS_EIO;
		const char *es = e.get_error_string();
		if (racing_reader(db, e)) {
			int rc = fail(err, ZX_EMODIFIED, what, "database changed while reading", e.get_msg().c_str());
			err->lasting = lasting;
			return rc;
		}
		if (corrupt)
			return fail(err, ZHFTS_ECORRUPT, what, "database is corrupt", e.get_msg().c_str());
		return fail(err, ZHFTS_EIO, what, e.get_msg().c_str(), es);
	} catch (const Xapian::NetworkTimeoutError &e) {
		std::string shard = shard_of(e, what);
		return zerr_set(err, ZHFTS_EIO, "%s%s: timed out (%s)", prefix(what, shard).c_str(), shard.c_str(),
		                e.get_msg().c_str());
	} catch (const Xapian::NetworkError &e) {
		std::string shard = shard_of(e, what);
		const char *es = e.get_error_string();
		if (es && *es)
			return zerr_set(err, ZHFTS_EIO, "%s%s: %s (%s)", prefix(what, shard).c_str(), shard.c_str(), es,
			                e.get_msg().c_str());
		return zerr_set(err, ZHFTS_EIO, "%s%s: %s", prefix(what, shard).c_str(), shard.c_str(), e.get_msg().c_str());
	} catch (const Xapian::DocNotFoundError &e) {
		return fail(err, ZHFTS_ENOTFOUND, what, e.get_msg().c_str());
	} catch (const Xapian::InvalidArgumentError &e) {
		return fail(err, ZHFTS_EINVAL, what, e.get_msg().c_str());
	} catch (const Xapian::Error &e) {
		return fail(err, ZHFTS_ERROR, what, e.get_type(), e.get_msg().c_str());
	} catch (const std::bad_alloc &) {
		return zerr_set(err, ZHFTS_ENOMEM, "%s: out of memory", what);
	} catch (const std::exception &e) {
		return fail(err, ZHFTS_ERROR, what, e.what());
	} catch (...) {
		return zerr_set(err, ZHFTS_ERROR, "%s: unknown exception", what);
	}
}

char *copy_out(const std::string &s)
{
	char *p = static_cast<char *>(malloc(s.size() + 1));
	if (p) {
		memcpy(p, s.data(), s.size());
		p[s.size()] = '\0';
	}
	return p;
}

// A node, as Xapian sees it; depth is bounded by the parser.
Xapian::Query build(const zqnode *n)
{
	switch (n->op) {
	case ZQ_TERM:
		return Xapian::Query(std::string(n->term, n->term_len));
	case ZQ_MATCH_NOTHING:
		return Xapian::Query::MatchNothing;
	case ZQ_MATCH_ALL:
		return Xapian::Query::MatchAll;
	case ZQ_FIXED:
		// Released: the query owns and frees the source.
		return Xapian::Query((new Xapian::FixedWeightPostingSource(n->weight))->release());
	case ZQ_WILDCARD:
		return Xapian::Query(Xapian::Query::OP_WILDCARD, std::string(n->term, n->term_len));
	case ZQ_VALUE_RANGE:
		if (n->lo && n->hi)
			return Xapian::Query(Xapian::Query::OP_VALUE_RANGE, n->slot, std::string(n->lo, n->lo_len),
			                     std::string(n->hi, n->hi_len));
		if (n->lo)
			return Xapian::Query(Xapian::Query::OP_VALUE_GE, n->slot, std::string(n->lo, n->lo_len));
		if (n->hi)
			return Xapian::Query(Xapian::Query::OP_VALUE_LE, n->slot, std::string(n->hi, n->hi_len));
		return Xapian::Query::MatchAll;
	default:
		break;
	}
	std::vector<Xapian::Query> kids;
	kids.reserve(n->nkids);
	for (size_t i = 0; i < n->nkids; i++)
		kids.push_back(build(n->kids[i]));
	if (kids.empty())
		return Xapian::Query::MatchNothing;
	Xapian::Query::op op = Xapian::Query::OP_AND;
	switch (n->op) {
	case ZQ_AND: op = Xapian::Query::OP_AND; break;
	case ZQ_OR: op = Xapian::Query::OP_OR; break;
	case ZQ_AND_NOT: op = Xapian::Query::OP_AND_NOT; break;
	case ZQ_AND_MAYBE: op = Xapian::Query::OP_AND_MAYBE; break;
	case ZQ_FILTER: op = Xapian::Query::OP_FILTER; break;
	case ZQ_SCALE: return Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT, kids[0], n->weight);
	default: break;
	}
	return Xapian::Query(op, kids.begin(), kids.end());
}

} // namespace

extern "C" {

int zx_open(zx_db **out, const char *path, enum zx_mode mode, unsigned flags, zerr *err)
{
	*out = nullptr;
	zx_db *db = new (std::nothrow) zx_db;
	if (!db)
		return zerr_set(err, ZHFTS_ENOMEM, "%s: out of memory", path);
	try {
		int xf = (flags & ZX_NO_SYNC) ? Xapian::DB_NO_SYNC : 0;
		// DB_NO_TERMLIST creates a database without a termlist table, and
		// lets an existing one without it open for writing (an existing
		// termlist table opens as usual).
		int create_xf = (flags & ZX_NO_TERMLIST) ? Xapian::DB_NO_TERMLIST : 0;
		switch (mode) {
		case ZX_READ:
			db->rd = Xapian::Database(path);
			break;
		case ZX_OPEN:
			db->wr = Xapian::WritableDatabase(path, xf | Xapian::DB_NO_TERMLIST | Xapian::DB_OPEN);
			db->writable = true;
			break;
		case ZX_CREATE:
		{
			// An existing database keeps what it has; a new one gets create_xf.
			std::string version = std::string(path) + "/iamglass";
			bool exists = access(version.c_str(), F_OK) == 0;
			db->wr = Xapian::WritableDatabase(path, xf | (exists ? Xapian::DB_NO_TERMLIST : create_xf) |
			                                            Xapian::DB_CREATE_OR_OPEN | Xapian::DB_BACKEND_GLASS);
		}
			db->writable = true;
			break;
		case ZX_OVERWRITE:
			db->wr = Xapian::WritableDatabase(path, xf | create_xf | Xapian::DB_CREATE_OR_OVERWRITE | Xapian::DB_BACKEND_GLASS);
			db->writable = true;
			break;
		}
		if (db->writable)
			db->rd = db->wr;
		*out = db;
		return ZHFTS_OK;
	} catch (...) {
		// A reader opening while a writer commits may race it as any read
		// does (the writable flag is still false for it).
		const char *what = path && *path ? path : "database";
		int rc = map_exception(err, what, mode == ZX_READ ? db : nullptr);
		int lasting = err->lasting;
		delete db;
		// Xapian's messages often name the path already: say it once.
		size_t n = strlen(what);
		if (!strncmp(err->msg, what, n) && !strncmp(err->msg + n, ": ", 2) && strstr(err->msg + n + 2, what))
			memmove(err->msg, err->msg + n + 2, strlen(err->msg + n + 2) + 1);
		if (strncmp(err->msg, what, n)) {
			char tmp[sizeof err->msg];
			memcpy(tmp, err->msg, sizeof tmp);
			zerr_set(err, rc, "%s: %s", what, tmp);
		}
		err->lasting = lasting;
		return rc;
	}
}

int zx_open_remote(zx_db **out, const char *host, unsigned port, const char *prog, const char *args,
                   bool writable, unsigned timeout_ms, zerr *err)
{
	*out = nullptr;
	zx_db *db = new (std::nothrow) zx_db;
	if (!db)
		return zerr_set(err, ZHFTS_ENOMEM, "out of memory");
	try {
		// The timeout bounds each message, and the connection; 0 means none
		// to Xapian, so it is never passed on as 0.
		unsigned ms = timeout_ms ? timeout_ms : 10000;
		if (prog && writable)
			db->wr = Xapian::Remote::open_writable(prog, args ? args : "", ms);
		else if (prog)
			db->rd = Xapian::Remote::open(prog, args ? args : "", ms);
		else if (writable)
			db->wr = Xapian::Remote::open_writable(host, port, ms, ms);
		else
			db->rd = Xapian::Remote::open(host, port, ms, ms);
		if (writable) {
			db->rd = db->wr;
			db->writable = true;
		}
		db->remote = true;
		*out = db;
		return ZHFTS_OK;
	} catch (...) {
		char what[300];
		if (prog)
			snprintf(what, sizeof what, "%s", prog);
		else
			snprintf(what, sizeof what, "%s:%u", host, port);
		// A server opening its database for a reader races commits as a
		// local reader does.
		db->writable = false;
		int rc = map_exception(err, what, writable ? nullptr : db);
		delete db;
		return rc;
	}
}

int zx_combine(zx_db **out, zx_db *const *parts, size_t n, zerr *err)
{
	*out = nullptr;
	zx_db *db = new (std::nothrow) zx_db;
	if (!db)
		return zerr_set(err, ZHFTS_ENOMEM, "out of memory");
	try {
		for (size_t i = 0; i < n; i++) {
			db->rd.add_database(parts[i]->rd);
			db->remote |= parts[i]->remote;
		}
		*out = db;
		return ZHFTS_OK;
	} catch (...) {
		delete db;
		return map_exception(err, "combining shards");
	}
}

int zx_close(zx_db *db, zerr *err)
{
	if (!db)
		return ZHFTS_OK;
	int rc = ZHFTS_OK;
	try {
		if (db->writable) {
			if (db->in_txn)
				db->wr.cancel_transaction();
			db->wr.close();
		}
	} catch (...) {
		rc = map_exception(err, "close");
	}
	try {
		delete db;
	} catch (...) {
		if (rc == ZHFTS_OK)
			rc = map_exception(err, "close");
	}
	return rc;
}

int zx_commit(zx_db *db, zerr *err)
{
	try {
		db->wr.commit();
		return ZHFTS_OK;
	} catch (...) {
		return map_exception(err, "commit");
	}
}

int zx_reopen(zx_db *db, zerr *err)
{
	try {
		db->rd.reopen();
		return ZHFTS_OK;
	} catch (...) {
		return map_exception(err, "reopen", db);
	}
}

int zx_uuid(zx_db *db, char *out, size_t cap, zerr *err)
{
	try {
		std::string u = db->rd.get_uuid();
		snprintf(out, cap, "%s", u.c_str());
		return ZHFTS_OK;
	} catch (...) {
		return map_exception(err, "reading the database's id", db);
	}
}

size_t zx_shards(const zx_db *db)
{
	try {
		// Xapian numbers the documents of n sub-databases round robin.
		return db->rd.size();
	} catch (...) {
		return 1;
	}
}

int zx_metadata_get(zx_db *db, const char *key, char **value, zerr *err)
{
	*value = nullptr;
	try {
		*value = copy_out(db->rd.get_metadata(key));
		return *value ? ZHFTS_OK : zerr_set(err, ZHFTS_ENOMEM, "out of memory");
	} catch (...) {
		return map_exception(err, "reading database settings", db);
	}
}

int zx_metadata_get_bytes(zx_db *db, const char *key, char **value, size_t *len, zerr *err)
{
	*value = nullptr;
	*len = 0;
	try {
		std::string v = db->rd.get_metadata(key);
		if (!(*value = copy_out(v)))
			return zerr_set(err, ZHFTS_ENOMEM, "out of memory");
		*len = v.size();
		return ZHFTS_OK;
	} catch (...) {
		return map_exception(err, "reading database metadata", db);
	}
}

int zx_metadata_keys(zx_db *db, const char *prefix, zx_term_fn fn, void *ctx, zerr *err)
{
	try {
		for (auto k = db->rd.metadata_keys_begin(prefix); k != db->rd.metadata_keys_end(prefix); ++k) {
			const std::string &s = *k;
			int rc = fn(ctx, s.data(), s.size(), 0);
			if (rc)
				return rc;
		}
		return ZHFTS_OK;
	} catch (...) {
		return map_exception(err, "listing database metadata", db);
	}
}

int zx_metadata_set(zx_db *db, const char *key, const char *value, size_t len, zerr *err)
{
	try {
		db->wr.set_metadata(key, std::string(value, len));
		return ZHFTS_OK;
	} catch (...) {
		return map_exception(err, "writing database settings");
	}
}

int zx_doccount(zx_db *db, uint64_t *out, zerr *err)
{
	try {
		*out = db->rd.get_doccount();
		return ZHFTS_OK;
	} catch (...) {
		return map_exception(err, "count", db);
	}
}

int zx_revision(zx_db *db, uint64_t *out, zerr *err)
{
	try {
		*out = db->rd.get_revision();
		return ZHFTS_OK;
	} catch (...) {
		return map_exception(err, "revision", db);
	}
}

int zx_lastdocid(zx_db *db, uint64_t *out, zerr *err)
{
	try {
		*out = db->rd.get_lastdocid();
		return ZHFTS_OK;
	} catch (...) {
		return map_exception(err, "count", db);
	}
}

int zx_termfreq(zx_db *db, const char *term, size_t len, uint64_t *out, zerr *err)
{
	try {
		*out = db->rd.get_termfreq(std::string(term, len));
		return ZHFTS_OK;
	} catch (...) {
		return map_exception(err, "term frequency", db);
	}
}

int zx_allterms(zx_db *db, const char *prefix, size_t prefix_len, const char *after, size_t after_len,
                zx_term_fn fn, void *ctx, zerr *err)
{
	try {
		std::string p(prefix, prefix_len);
		auto t = db->rd.allterms_begin(p);
		if (after)
			t.skip_to(std::string(after, after_len) + std::string(1, '\0'));
		for (; t != db->rd.allterms_end(p); ++t) {
			const std::string &s = *t;
			int rc = fn(ctx, s.data(), s.size(), t.get_termfreq());
			if (rc)
				return rc;
		}
		return ZHFTS_OK;
	} catch (...) {
		return map_exception(err, "listing terms", db);
	}
}

int zx_value_scan(zx_db *db, unsigned slot, zx_value_fn fn, void *ctx, zerr *err)
{
	try {
		for (auto v = db->rd.valuestream_begin(slot); v != db->rd.valuestream_end(slot); ++v) {
			const std::string &s = *v;
			int rc = fn(ctx, v.get_docid(), s.data(), s.size());
			if (rc)
				return rc;
		}
		return ZHFTS_OK;
	} catch (...) {
		return map_exception(err, "reading values", db);
	}
}

int zx_postlist(zx_db *db, const char *term, size_t len, uint32_t **docids, size_t *n, zerr *err)
{
	*docids = nullptr;
	*n = 0;
	try {
		std::string t(term, len);
		std::vector<uint32_t> v;
		for (auto p = db->rd.postlist_begin(t); p != db->rd.postlist_end(t); ++p)
			v.push_back(*p);
		if (v.empty())
			return ZHFTS_OK;
		uint32_t *a = static_cast<uint32_t *>(malloc(v.size() * sizeof *a));
		if (!a)
			return zerr_set(err, ZHFTS_ENOMEM, "out of memory");
		memcpy(a, v.data(), v.size() * sizeof *a);
		*docids = a;
		*n = v.size();
		return ZHFTS_OK;
	} catch (...) {
		return map_exception(err, "reading a posting list", db);
	}
}

void zx_fetched_free(zx_fetched *f, size_t n)
{
	for (size_t i = 0; f && i < n; i++) {
		free(f[i].data);
		for (size_t k = 0; f[i].values && k < f[i].nvalues; k++)
			free(f[i].values[k]);
		free(f[i].values);
		free(f[i].value_lens);
		memset(&f[i], 0, sizeof f[i]);
	}
}

int zx_fetch(zx_db *db, const uint32_t *docids, size_t n, bool data, const unsigned *slots, size_t nslots,
             zx_fetched *out, zerr *err)
{
	memset(out, 0, n * sizeof *out);
	size_t i = 0;
	try {
		for (; i < n; i++) {
			zx_fetched *f = &out[i];
			Xapian::Document d;
			try {
				d = db->rd.get_document(docids[i]);
			} catch (const Xapian::DocNotFoundError &) {
				f->missing = true;
				continue;
			}
			if (data) {
				std::string bytes = d.get_data();
				if (!(f->data = copy_out(bytes)))
					throw std::bad_alloc();
				f->data_len = bytes.size();
			}
			if (nslots) {
				f->values = static_cast<char **>(calloc(nslots, sizeof *f->values));
				f->value_lens = static_cast<size_t *>(calloc(nslots, sizeof *f->value_lens));
				if (!f->values || !f->value_lens)
					throw std::bad_alloc();
				f->nvalues = nslots;
				for (size_t k = 0; k < nslots; k++) {
					std::string v = d.get_value(slots[k]);
					f->values[k] = copy_out(v);
					if (!f->values[k])
						throw std::bad_alloc();
					f->value_lens[k] = v.size();
				}
			}
		}
		return ZHFTS_OK;
	} catch (...) {
		zx_fetched_free(out, i + 1 < n ? i + 1 : n);
		return map_exception(err, "reading documents", db);
	}
}

int zx_values(zx_db *db, unsigned slot, const uint32_t *docids, size_t n, char **values, size_t *lens, zerr *err)
{
	size_t i = 0;
	for (size_t k = 0; k < n; k++)
		values[k] = nullptr;
	try {
		if (db->remote) {
			// Xapian reads a remote value stream document by document, every
			// docid in turn: one document each is far cheaper.
			for (; i < n; i++) {
				std::string s;
				try {
					s = db->rd.get_document(docids[i]).get_value(slot);
				} catch (const Xapian::DocNotFoundError &) {
				}
				if (!(values[i] = copy_out(s)))
					throw std::bad_alloc();
				lens[i] = s.size();
			}
			return ZHFTS_OK;
		}
		Xapian::ValueIterator v = db->rd.valuestream_begin(slot), end = db->rd.valuestream_end(slot);
		for (; i < n; i++) {
			std::string s;
			if (v != end && v.get_docid() < docids[i])
				v.skip_to(docids[i]);
			if (v != end && v.get_docid() == docids[i])
				s = *v;
			if (!(values[i] = copy_out(s)))
				throw std::bad_alloc();
			lens[i] = s.size();
		}
		return ZHFTS_OK;
	} catch (...) {
		for (size_t k = 0; k < i; k++) {
			free(values[k]);
			values[k] = nullptr;
		}
		return map_exception(err, "reading values", db);
	}
}

int zx_used_range(zx_db *db, uint32_t *first, uint32_t *last, zerr *err)
{
	*first = *last = 0;
	try {
		Xapian::PostingIterator p = db->rd.postlist_begin(std::string());
		if (p == db->rd.postlist_end(std::string()))
			return ZHFTS_OK;
		*first = *p;
		// The highest docid holding a document: bisect with skip_to.
		Xapian::docid lo = *p, hi = db->rd.get_lastdocid();
		while (lo < hi) {
			Xapian::docid mid = lo + (hi - lo + 1) / 2;
			Xapian::PostingIterator q = db->rd.postlist_begin(std::string());
			q.skip_to(mid);
			if (q == db->rd.postlist_end(std::string()))
				hi = mid - 1;
			else
				lo = *q;
		}
		*last = lo;
		return ZHFTS_OK;
	} catch (...) {
		return map_exception(err, "reading document ids", db);
	}
}

int zx_doc_new(zx_doc **out)
{
	*out = nullptr;
	try {
		*out = new zx_doc;
		return ZHFTS_OK;
	} catch (const std::bad_alloc &) {
		return ZHFTS_ENOMEM;
	} catch (...) {
		return ZHFTS_ERROR;
	}
}

int zx_doc_term(zx_doc *d, const char *term, size_t len)
{
	try {
		d->doc.add_term(std::string(term, len));
		return ZHFTS_OK;
	} catch (const std::bad_alloc &) {
		return ZHFTS_ENOMEM;
	} catch (...) {
		return ZHFTS_ERROR;
	}
}

int zx_doc_term_wdf(zx_doc *d, const char *term, size_t len, uint32_t wdf)
{
	try {
		d->doc.add_term(std::string(term, len), wdf);
		return ZHFTS_OK;
	} catch (const std::bad_alloc &) {
		return ZHFTS_ENOMEM;
	} catch (...) {
		return ZHFTS_ERROR;
	}
}

int zx_doc_value(zx_doc *d, unsigned slot, const char *value, size_t len)
{
	try {
		d->doc.add_value(slot, std::string(value, len));
		return ZHFTS_OK;
	} catch (const std::bad_alloc &) {
		return ZHFTS_ENOMEM;
	} catch (...) {
		return ZHFTS_ERROR;
	}
}

int zx_doc_data(zx_doc *d, const char *data, size_t len)
{
	try {
		d->doc.set_data(std::string(data, len));
		return ZHFTS_OK;
	} catch (const std::bad_alloc &) {
		return ZHFTS_ENOMEM;
	} catch (...) {
		return ZHFTS_ERROR;
	}
}

void zx_doc_free(zx_doc *d)
{
	try {
		delete d;
	} catch (...) {
	}
}

int zx_txn_begin(zx_db *db, zerr *err)
{
	try {
		db->wr.begin_transaction(false);
		db->in_txn = true;
		return ZHFTS_OK;
	} catch (...) {
		return map_exception(err, "begin transaction");
	}
}

int zx_txn_commit(zx_db *db, zerr *err)
{
	try {
		db->in_txn = false;
		db->wr.commit_transaction();
		return ZHFTS_OK;
	} catch (...) {
		return map_exception(err, "end transaction");
	}
}

int zx_txn_cancel(zx_db *db, zerr *err)
{
	try {
		db->in_txn = false;
		db->wr.cancel_transaction();
		return ZHFTS_OK;
	} catch (...) {
		return map_exception(err, "cancel transaction");
	}
}

int zx_rollback(zx_db *db, zerr *err)
{
	try {
		// Cancelling an unflushed transaction discards all that is uncommitted.
		db->wr.begin_transaction(false);
		db->wr.cancel_transaction();
		return ZHFTS_OK;
	} catch (...) {
		return map_exception(err, "rollback");
	}
}

int zx_add(zx_db *db, const zx_doc *d, uint32_t *docid, zerr *err)
{
	try {
		Xapian::docid did = db->wr.add_document(d->doc);
		if (docid)
			*docid = did;
		return ZHFTS_OK;
	} catch (...) {
		return map_exception(err, "add paragraph");
	}
}

int zx_delete_docid(zx_db *db, uint32_t docid, zerr *err)
{
	try {
		db->wr.delete_document(docid);
		return ZHFTS_OK;
	} catch (...) {
		return map_exception(err, "delete");
	}
}

int zx_compact(const char *dest, const char *const *sources, size_t n, zerr *err)
{
	try {
		Xapian::Database all;
		for (size_t i = 0; i < n; i++)
			all.add_database(Xapian::Database(sources[i]));
		all.compact(dest, Xapian::Compactor::FULL);
		return ZHFTS_OK;
	} catch (...) {
		return map_exception(err, dest);
	}
}

size_t zx_sortable_serialise(double v, char out[9])
{
	try {
		std::string s = Xapian::sortable_serialise(v);
		size_t n = s.size() > 9 ? 9 : s.size();
		memcpy(out, s.data(), n);
		return n;
	} catch (...) {
		return 0;
	}
}

double zx_sortable_unserialise(const char *s, size_t len)
{
	try {
		return Xapian::sortable_unserialise(std::string(s, len));
	} catch (...) {
		return 0.0;
	}
}

void zx_match_free(zx_match *m)
{
	for (size_t i = 0; m && i < m->n; i++)
		free(m->items[i].sort_key);
	if (m) {
		free(m->items);
		memset(m, 0, sizeof *m);
	}
}

void zx_spy_free(zx_spy *s)
{
	for (size_t i = 0; s && i < s->n; i++)
		free(s->counts[i].value);
	if (s) {
		free(s->counts);
		s->counts = nullptr;
		s->n = 0;
		s->seen = 0;
	}
}

int zx_search(zx_db *db, const zqnode *q, const zx_weight *w, const zx_order *order, size_t first, size_t max,
              size_t check_at_least, zx_spy *spies, size_t nspies, zx_match *out, zerr *err)
{
	memset(out, 0, sizeof *out);
	for (size_t k = 0; k < nspies; k++)
		spies[k].counts = nullptr, spies[k].n = 0, spies[k].seen = 0;
	try {
		// The Enquire owns the spies (released to it); these point at them.
		std::vector<Xapian::ValueCountMatchSpy *> spy;
		Xapian::Enquire enq(db->rd);
		enq.set_query(build(q));
		enq.set_weighting_scheme(Xapian::BM25Weight(w->k1, 0, 1, w->b, 0.5));
		if (order && order->kind == ZX_ORDER_REL_THEN_VALUE)
			enq.set_sort_by_relevance_then_value(order->slot, order->reverse);
		else if (order && order->kind == ZX_ORDER_VALUE)
			enq.set_sort_by_value(order->slot, order->reverse);
		else if (order && order->kind == ZX_ORDER_VALUE_THEN_REL)
			enq.set_sort_by_value_then_relevance(order->slot, order->reverse);
		// Xapian 1.4 over-counts a match spy over several databases of which
		// one is remote when the MSet is sorted by a value and holds fewer
		// than all the matches: those remote ones then count in a match of
		// their own that returns no documents.
		Xapian::Enquire counting(db->rd);
		bool apart = nspies && db->remote;
		spy.reserve(nspies);
		for (size_t k = 0; k < nspies; k++) {
			spy.push_back(new Xapian::ValueCountMatchSpy(spies[k].slot));
			(apart ? counting : enq).add_matchspy(spy.back()->release());
		}
		Xapian::doccount total = db->rd.get_doccount();
		Xapian::doccount f = first > total ? total : (Xapian::doccount)first;
		Xapian::doccount m = max > total ? total : (Xapian::doccount)max;
		Xapian::doccount c = check_at_least > total ? total : (Xapian::doccount)check_at_least;
		if (apart) {
			counting.set_query(enq.get_query());
			counting.set_weighting_scheme(Xapian::BM25Weight(w->k1, 0, 1, w->b, 0.5));
			counting.get_mset(0, 0, total);
		}
		Xapian::MSet ms = enq.get_mset(f, m, c);
		out->estimate = ms.get_matches_estimated();
		out->lower = ms.get_matches_lower_bound();
		out->upper = ms.get_matches_upper_bound();
		if (ms.size()) {
			out->items = static_cast<zx_item *>(calloc(ms.size(), sizeof *out->items));
			if (!out->items)
				throw std::bad_alloc();
		}
		bool keys = order && order->kind != ZX_ORDER_RELEVANCE;
		for (auto it = ms.begin(); it != ms.end(); ++it) {
			zx_item *item = &out->items[out->n++];
			item->docid = *it;
			item->weight = it.get_weight();
			if (keys) {
				std::string k = it.get_sort_key();
				if (!(item->sort_key = copy_out(k)))
					throw std::bad_alloc();
				item->sort_key_len = k.size();
			}
		}
		for (size_t k = 0; k < nspies; k++) {
			spies[k].seen = spy[k]->get_total();
			size_t nv = 0;
			for (auto v = spy[k]->values_begin(); v != spy[k]->values_end(); ++v)
				nv++;
			if (nv) {
				spies[k].counts = static_cast<zx_facet_count *>(calloc(nv, sizeof *spies[k].counts));
				if (!spies[k].counts)
					throw std::bad_alloc();
			}
			for (auto v = spy[k]->values_begin(); v != spy[k]->values_end(); ++v) {
				zx_facet_count *fc = &spies[k].counts[spies[k].n];
				const std::string &s = *v;
				if (!(fc->value = copy_out(s)))
					throw std::bad_alloc();
				fc->len = s.size();
				fc->count = v.get_termfreq();
				spies[k].n++;
			}
		}
		return ZHFTS_OK;
	} catch (...) {
		zx_match_free(out);
		for (size_t k = 0; k < nspies; k++)
			zx_spy_free(&spies[k]);
		return map_exception(err, "search", db);
	}
}

int zx_describe(const zqnode *q, char **out, zerr *err)
{
	*out = nullptr;
	try {
		*out = copy_out(build(q).get_description());
		return *out ? ZHFTS_OK : zerr_set(err, ZHFTS_ENOMEM, "out of memory");
	} catch (...) {
		return map_exception(err, "describe query");
	}
}

} // extern "C"
