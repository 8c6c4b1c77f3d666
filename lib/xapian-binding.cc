// The one C++ file of libzhfts: a thin C binding over libxapian.
//
// Every entry point catches every exception (Xapian's, std::bad_alloc, and
// anything else) before it can reach a C frame, and turns it into a
// zhfts_status with the message on the caller's zerr.

#include <xapian.h>

#include <cerrno>
#include <unistd.h>
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
};

struct zx_doc {
	Xapian::Document doc;
};

namespace {

int fail(zerr *err, int status, const char *what, const std::string &msg)
{
	return zerr_set(err, status, "%s: %s", what, msg.c_str());
}

// Maps the exception being handled to a status.  Called only from a catch.
int map_exception(zerr *err, const char *what)
{
	try {
		throw;
	} catch (const Xapian::DatabaseLockError &e) {
		return fail(err, ZHFTS_ELOCKED, what, "database is locked by another writer (" + e.get_msg() + ")");
	} catch (const Xapian::DatabaseNotFoundError &e) {
		return fail(err, ZHFTS_ENOTFOUND, what, e.get_msg());
	} catch (const Xapian::DatabaseVersionError &e) {
		return fail(err, ZHFTS_EVERSION, what, e.get_msg());
	} catch (const Xapian::DatabaseCorruptError &e) {
		return fail(err, ZHFTS_ECORRUPT, what, "database is corrupt: " + e.get_msg());
	} catch (const Xapian::DatabaseOpeningError &e) {
		// Not a database at all, or one we cannot read.
		const char *es = e.get_error_string();
		if (es && *es)
			return fail(err, ZHFTS_EIO, what, e.get_msg() + " (" + es + ")");
		return fail(err, ZHFTS_ECORRUPT, what, "not a usable database: " + e.get_msg());
	} catch (const Xapian::DatabaseModifiedError &e) {
		return fail(err, ZHFTS_EIO, what, "database changed while reading; reopen and retry (" + e.get_msg() + ")");
	} catch (const Xapian::DatabaseError &e) {
		const char *es = e.get_error_string();
		return fail(err, ZHFTS_EIO, what, e.get_msg() + (es && *es ? std::string(" (") + es + ")" : std::string()));
	} catch (const Xapian::NetworkError &e) {
		return fail(err, ZHFTS_EIO, what, "remote database: " + e.get_msg());
	} catch (const Xapian::InvalidArgumentError &e) {
		return fail(err, ZHFTS_EINVAL, what, e.get_msg());
	} catch (const Xapian::Error &e) {
		return fail(err, ZHFTS_ERROR, what, e.get_type() + std::string(": ") + e.get_msg());
	} catch (const std::bad_alloc &) {
		return zerr_set(err, ZHFTS_ENOMEM, "%s: out of memory", what);
	} catch (const std::exception &e) {
		return fail(err, ZHFTS_ERROR, what, e.what());
	} catch (...) {
		return zerr_set(err, ZHFTS_ERROR, "%s: unknown exception", what);
	}
}

// Builds the Xapian query for a node; depth is bounded by the parser.
// With `upper`, the query matches a superset of the node's matches, else a
// subset: a run of units becomes the AND of its pairs, or nothing, and a
// negation swaps the two.  Ranking-only parts are left out of subsets.
Xapian::Query build(const zqnode *n, bool upper)
{
	switch (n->op) {
	case ZQ_TERM:
		return Xapian::Query(std::string(n->term, n->term_len));
	case ZQ_MATCH_NOTHING:
		return Xapian::Query::MatchNothing;
	case ZQ_RUN:
		if (!upper)
			return Xapian::Query::MatchNothing;
		break;
	case ZQ_AND_MAYBE:
	case ZQ_SCALE:
		if (!upper)
			return build(n->kids[0], false);
		break;
	default:
		break;
	}
	std::vector<Xapian::Query> kids;
	kids.reserve(n->nkids);
	for (size_t i = 0; i < n->nkids; i++)
		kids.push_back(build(n->kids[i], n->op == ZQ_AND_NOT && i > 0 ? !upper : upper));
	Xapian::Query::op op = Xapian::Query::OP_AND;
	switch (n->op) {
	case ZQ_AND: case ZQ_RUN: op = Xapian::Query::OP_AND; break;
	case ZQ_OR: case ZQ_SECTION: op = Xapian::Query::OP_OR; break;
	case ZQ_AND_NOT: op = Xapian::Query::OP_AND_NOT; break;
	case ZQ_AND_MAYBE: op = Xapian::Query::OP_AND_MAYBE; break;
	case ZQ_FILTER: op = Xapian::Query::OP_FILTER; break;
	case ZQ_SCALE:
		return Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT, kids.at(0), n->scale);
	default: break;
	}
	if (kids.empty())
		return Xapian::Query::MatchNothing;
	return Xapian::Query(op, kids.begin(), kids.end());
}

// Readers race the writer's commits: Xapian then throws DatabaseModifiedError
// (and, when blocks of the revision being read were already reused by a
// second commit, other DatabaseErrors: "corrupt", "EOF reading block"), and
// the answer is to reopen and try again.  Damage that persists through
// several reopens is reported.
template <typename Op>
int with_reopen(zx_db *db, zerr *err, const char *what, Op op)
{
	for (int attempt = 0;; attempt++) {
		try {
			return op();
		} catch (const Xapian::DatabaseModifiedError &) {
			if (attempt >= 8)
				return map_exception(err, what);
		} catch (const Xapian::DatabaseError &) {
			// Corrupt blocks or reads past the end: a reader that fell two
			// commits behind; a writer's own view never does.
			if (attempt >= 8 || db->writable)
				return map_exception(err, what);
		} catch (...) {
			return map_exception(err, what);
		}
		try {
			if (attempt > 2)
				usleep(1000u << (attempt - 2));
			db->rd.reopen();
		} catch (const Xapian::DatabaseError &) {
			// tried again at the top
		} catch (...) {
			return map_exception(err, what);
		}
	}
}

} // namespace

extern "C" {

int zx_open(zx_db **out, const char *path, enum zx_mode mode, bool nosync, zerr *err)
{
	*out = nullptr;
	zx_db *db = nullptr;
	try {
		db = new zx_db;
		int flags = nosync ? Xapian::DB_NO_SYNC : 0;
		switch (mode) {
		case ZX_READ:
			db->rd = Xapian::Database(path);
			break;
		case ZX_OPEN:
			db->wr = Xapian::WritableDatabase(path, flags | Xapian::DB_OPEN);
			db->writable = true;
			break;
		case ZX_CREATE:
			db->wr = Xapian::WritableDatabase(path, flags | Xapian::DB_CREATE_OR_OPEN | Xapian::DB_BACKEND_GLASS);
			db->writable = true;
			break;
		case ZX_OVERWRITE:
			db->wr = Xapian::WritableDatabase(path, flags | Xapian::DB_CREATE_OR_OVERWRITE | Xapian::DB_BACKEND_GLASS);
			db->writable = true;
			break;
		}
		if (db->writable)
			db->rd = db->wr;
		*out = db;
		return ZHFTS_OK;
	} catch (...) {
		delete db;
		const char *what = path && *path ? path : "database";
		int rc = map_exception(err, what);
		// Xapian's messages often name the path already: say it once.
		size_t n = strlen(what);
		if (!strncmp(err->msg, what, n) && !strncmp(err->msg + n, ": ", 2) && strstr(err->msg + n + 2, what))
			memmove(err->msg, err->msg + n + 2, strlen(err->msg + n + 2) + 1);
		if (strncmp(err->msg, what, n))
			zerr_set(err, rc, "%s: %s", what, std::string(err->msg).c_str());
		return rc;
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
	return with_reopen(db, err, "reopen", [&] {
		db->rd.reopen();
		return int(ZHFTS_OK);
	});
}

int zx_metadata_get(zx_db *db, const char *key, char **value, zerr *err)
{
	*value = nullptr;
	return with_reopen(db, err, "reading database settings", [&] {
		std::string v = db->rd.get_metadata(key);
		char *p = static_cast<char *>(malloc(v.size() + 1));
		if (!p)
			return zerr_set(err, ZHFTS_ENOMEM, "out of memory");
		memcpy(p, v.data(), v.size());
		p[v.size()] = '\0';
		*value = p;
		return int(ZHFTS_OK);
	});
}

int zx_metadata_set(zx_db *db, const char *key, const char *value, zerr *err)
{
	try {
		db->wr.set_metadata(key, value);
		return ZHFTS_OK;
	} catch (...) {
		return map_exception(err, "writing database settings");
	}
}

zx_doc *zx_doc_new(void)
{
	return new (std::nothrow) zx_doc;
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
	delete d;
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

int zx_add(zx_db *db, const zx_doc *d, zerr *err)
{
	try {
		db->wr.add_document(d->doc);
		return ZHFTS_OK;
	} catch (...) {
		return map_exception(err, "add paragraph");
	}
}

int zx_delete_term(zx_db *db, const char *term, size_t len, zerr *err)
{
	try {
		db->wr.delete_document(std::string(term, len));
		return ZHFTS_OK;
	} catch (...) {
		return map_exception(err, "delete");
	}
}

int zx_doccount(zx_db *db, uint64_t *out, zerr *err)
{
	return with_reopen(db, err, "count", [&] {
		*out = db->rd.get_doccount();
		return int(ZHFTS_OK);
	});
}

int zx_lastdocid(zx_db *db, uint64_t *out, zerr *err)
{
	return with_reopen(db, err, "count", [&] {
		*out = db->rd.get_lastdocid();
		return int(ZHFTS_OK);
	});
}

int zx_termfreq(zx_db *db, const char *term, size_t len, uint64_t *out, zerr *err)
{
	return with_reopen(db, err, "term frequency", [&] {
		*out = db->rd.get_termfreq(std::string(term, len));
		return int(ZHFTS_OK);
	});
}

int zx_allterms(zx_db *db, const char *prefix, size_t prefix_len, zx_term_fn fn, void *ctx, zerr *err)
{
	std::string p(prefix, prefix_len), last;
	bool started = false;
	return with_reopen(db, err, "listing terms", [&] {
		auto t = db->rd.allterms_begin(p);
		if (started)
			t.skip_to(last + std::string(1, '\0')); // resume after the last term delivered
		for (; t != db->rd.allterms_end(p); ++t) {
			last = *t;
			started = true;
			int rc = fn(ctx, last.data(), last.size(), t.get_termfreq());
			if (rc)
				return rc;
		}
		return int(ZHFTS_OK);
	});
}

int zx_postlist_data(zx_db *db, const char *term, size_t len, zx_data_fn fn, void *ctx, zerr *err)
{
	// Read from one snapshot, then deliver: a retry after a concurrent commit
	// starts over, so a replaced document is never seen half old, half new.
	std::string t(term, len);
	std::vector<std::string> docs;
	int rc = with_reopen(db, err, "reading document", [&] {
		docs.clear();
		for (auto p = db->rd.postlist_begin(t); p != db->rd.postlist_end(t); ++p)
			docs.push_back(db->rd.get_document(*p).get_data());
		return int(ZHFTS_OK);
	});
	for (size_t i = 0; rc == ZHFTS_OK && i < docs.size(); i++)
		rc = fn(ctx, 0.0, docs[i].data(), docs[i].size());
	return rc;
}

int zx_search(zx_db *db, const zqnode *q, size_t first, size_t max, size_t check_at_least,
              zx_accept_fn accept, void *actx, zx_data_fn fn, void *ctx,
              uint64_t *estimate, uint64_t *lower, uint64_t *upper, zerr *err)
{
	// The hits are read completely before the callbacks see them, so that a
	// retry after a concurrent commit never delivers a hit twice.
	std::vector<std::pair<double, std::string>> hits;
	int rc = with_reopen(db, err, "search", [&] {
		hits.clear();
		Xapian::Enquire enq(db->rd);
		enq.set_query(build(q, true));
		enq.set_weighting_scheme(Xapian::BM25Weight());
		Xapian::doccount total = db->rd.get_doccount();
		if (!accept) {
			Xapian::doccount maxitems = max > total ? total : (Xapian::doccount)max;
			Xapian::MSet ms = enq.get_mset((Xapian::doccount)first, maxitems,
			                               (Xapian::doccount)check_at_least);
			*estimate = ms.get_matches_estimated();
			*lower = ms.get_matches_lower_bound();
			*upper = ms.get_matches_upper_bound();
			hits.reserve(ms.size());
			for (auto it = ms.begin(); it != ms.end(); ++it)
				hits.emplace_back(it.get_weight(), it.get_document().get_data());
			return int(ZHFTS_OK);
		}
		// Candidates in rank order, in growing batches, until enough pass
		// (or all of them, for an exact count).
		bool all = check_at_least >= total;
		uint64_t want = first > total || max > total ? (uint64_t)total + 1 : (uint64_t)first + max;
		uint64_t accepted = 0, checked = 0;
		uint64_t cand_estimate = 0, cand_upper = 0;
		Xapian::doccount at = 0, chunk = (Xapian::doccount)(want * 2 + 16 > total ? total : want * 2 + 16);
		bool exhausted = total == 0, enough = false;
		std::vector<std::pair<double, std::string>> demoted;
		auto emit = [&](double w, std::string &&data) {
			if (accepted >= first && accepted < want)
				hits.emplace_back(w, std::move(data));
			accepted++;
			enough = !all && accepted >= want;
		};
		auto flush = [&] {
			for (auto &d : demoted)
				emit(d.first, std::move(d.second));
			demoted.clear();
		};
		while (!exhausted && !enough) {
			Xapian::MSet ms = enq.get_mset(at, chunk);
			if (at == 0) {
				cand_estimate = ms.get_matches_estimated();
				cand_upper = ms.get_matches_upper_bound();
			}
			for (auto it = ms.begin(); it != ms.end() && !enough; ++it) {
				std::string data = it.get_document().get_data();
				checked++;
				int a = accept(actx, data.data(), data.size());
				if (a < 0)
					return a;
				if (!(a & ZX_BOOSTED))
					flush();
				if (!(a & ZX_ACCEPT))
					continue;
				if (a & ZX_DEMOTE)
					demoted.emplace_back(it.get_weight(), std::move(data));
				else
					emit(it.get_weight(), std::move(data));
			}
			if (ms.size() < chunk && !enough) {
				exhausted = true;
				flush();
			}
			at += chunk;
			chunk = chunk > total / 2 ? total : chunk * 2;
		}
		accepted += demoted.size();
		if (exhausted) {
			*estimate = *lower = *upper = accepted;
		} else {
			*lower = accepted;
			*upper = cand_upper > checked - accepted ? cand_upper - (checked - accepted) : accepted;
			double share = checked ? (double)accepted / (double)checked : 1.0;
			uint64_t e = (uint64_t)((double)cand_estimate * share + 0.5);
			*estimate = e < *lower ? *lower : e > *upper ? *upper : e;
		}
		return int(ZHFTS_OK);
	});
	for (size_t i = 0; rc == ZHFTS_OK && i < hits.size(); i++)
		rc = fn(ctx, hits[i].first, hits[i].second.data(), hits[i].second.size());
	return rc;
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

int zx_describe(const zqnode *q, char **out, zerr *err)
{
	*out = nullptr;
	try {
		std::string d = build(q, true).get_description();
		char *p = static_cast<char *>(malloc(d.size() + 1));
		if (!p)
			return zerr_set(err, ZHFTS_ENOMEM, "out of memory");
		memcpy(p, d.c_str(), d.size() + 1);
		*out = p;
		return ZHFTS_OK;
	} catch (...) {
		return map_exception(err, "describe query");
	}
}

} // extern "C"
