// Xapian 1.4's own CJK support: TermGenerator and QueryParser with FLAG_CJK_NGRAM
// (character unigrams with positions plus bigrams), one document per paragraph,
// no stored text, docid = global id + 1.  The same query syntax as zhfts.
#include "engine.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <xapian.h>

namespace {

int xapian_build(const bench_corpus *c, const char *path, int jobs)
{
	(void)jobs; // one WritableDatabase
	try {
		Xapian::WritableDatabase db(path, Xapian::DB_CREATE_OR_OVERWRITE | Xapian::DB_NO_SYNC);
		Xapian::TermGenerator tg;
		tg.set_flags(Xapian::TermGenerator::FLAG_CJK_NGRAM);
		for (unsigned k = 0; k < c->copies; k++)
			for (uint32_t p = 0; p < c->nparas; p++) {
				Xapian::Document doc;
				tg.set_document(doc);
				tg.index_text(std::string(c->files[c->para_file[p]].data + c->para_off[p], c->para_len[p]));
				db.add_document(doc);
			}
		db.commit();
		return 0;
	} catch (const Xapian::Error &e) {
		std::fprintf(stderr, "xapian: %s: %s\n", path, e.get_description().c_str());
	} catch (const std::exception &e) {
		std::fprintf(stderr, "xapian: %s: %s\n", path, e.what());
	}
	return -1;
}

struct handle {
	Xapian::Database db;
	Xapian::QueryParser qp;
};

void *xapian_open(const bench_corpus *c, const char *path)
{
	(void)c;
	try {
		handle *h = new handle;
		h->db = Xapian::Database(path);
		h->qp.set_database(h->db);
		h->qp.set_default_op(Xapian::Query::OP_AND);
		return h;
	} catch (const Xapian::Error &e) {
		std::fprintf(stderr, "xapian: %s: %s\n", path, e.get_description().c_str());
	} catch (const std::exception &e) {
		std::fprintf(stderr, "xapian: %s: %s\n", path, e.what());
	}
	return nullptr;
}

int xapian_search(void *vh, const bench_query *q, size_t limit, bench_hits *out)
{
	handle *h = static_cast<handle *>(vh);
	char *qs = bench_query_string(q);
	int rc = -1;
	try {
		Xapian::Query query = h->qp.parse_query(qs, Xapian::QueryParser::FLAG_DEFAULT |
		                                                Xapian::QueryParser::FLAG_CJK_NGRAM);
		Xapian::Enquire enquire(h->db);
		enquire.set_query(query);
		Xapian::MSet m = enquire.get_mset(0, limit ? limit : h->db.get_doccount());
		for (Xapian::MSetIterator i = m.begin(); i != m.end(); ++i)
			bench_hits_push(out, static_cast<int64_t>(*i) - 1);
		rc = 0;
	} catch (const Xapian::Error &e) {
		std::fprintf(stderr, "xapian: %s: %s\n", qs, e.get_description().c_str());
	} catch (const std::exception &e) {
		std::fprintf(stderr, "xapian: %s: %s\n", qs, e.what());
	}
	std::free(qs);
	return rc;
}

void xapian_close(void *vh)
{
	delete static_cast<handle *>(vh);
}

} // namespace

extern "C" const bench_engine bench_engine_xapian = {"xapian-ngram", xapian_build, xapian_open, xapian_search,
                                                     xapian_close, nullptr, 0};
