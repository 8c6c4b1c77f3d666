/*
 * zhfts through its public API.  Whole files go in (zhfts splits paragraphs);
 * hits come back as (document id, byte offset), mapped to global ids.
 *
 * Each of the jobs worker threads writes its own database (PATH.shard-K),
 * and zhfts_db_merge() compacts them into PATH, as `zhfts index [--jobs N]`
 * does for a new database; the merge is part of the timed run.
 */
#include "engine.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zhfts.h>

typedef struct shard_job {
	const bench_corpus *c;
	char path[4096];
	size_t from, to; /* its documents: (copy * nfiles + file) in [from, to) */
	int failed;
} shard_job;

/* The bench's fields of a document, as zhfts_doc_options. */
typedef struct fields {
	char year[16];
	zhfts_field f[2];
	zhfts_doc_options o;
} fields;

static const zhfts_doc_options *doc_fields(const bench_corpus *c, size_t file, fields *out)
{
	unsigned y;
	const char *d;
	bench_doc_fields(c, file, &y, &d);
	snprintf(out->year, sizeof out->year, "%u", y);
	out->f[0] = (zhfts_field){"year", out->year};
	out->f[1] = (zhfts_field){"district", d};
	out->o = (zhfts_doc_options)ZHFTS_DOC_OPTIONS_INIT;
	out->o.fields = out->f;
	out->o.nfields = 2;
	return &out->o;
}

/* A worker indexes a consecutive run of documents, in id order, so that the
 * shards merged in worker order have their docids in document order (which
 * makes ties in the ranking free: see lib/docorder.c), as `zhfts index`
 * does. */
static void *index_worker(void *arg)
{
	shard_job *j = arg;
	const bench_corpus *c = j->c;
	zhfts_db *db;
	char *err = NULL;
	zhfts_options opts = ZHFTS_OPTIONS_INIT;
	/* an experiment knob (bytes of text between commits), not used by run.sh */
	const char *ac = getenv("ZHFTS_BENCH_AUTO_COMMIT");
	if (ac)
		opts.auto_commit_bytes = (size_t)strtoull(ac, NULL, 10);
	int rc = zhfts_db_open(&db, j->path, ZHFTS_OPEN_CREATE | ZHFTS_OPEN_OVERWRITE | ZHFTS_OPEN_NO_SYNC,
	                       &opts, &err);
	if (rc != ZHFTS_OK) {
		fprintf(stderr, "zhfts: %s: %s\n", j->path, err ? err : zhfts_strerror(rc));
		zhfts_free(err);
		j->failed = 1;
		return NULL;
	}
	fields f;
	for (size_t k = j->from; k < j->to; k++) {
		size_t file = k % c->nfiles;
		char id[4200];
		bench_doc_id(c, (unsigned)(k / c->nfiles), file, id, sizeof id);
		rc = zhfts_db_add_document(db, id, c->files[file].data, c->files[file].len, doc_fields(c, file, &f), NULL);
		if (rc != ZHFTS_OK) {
			fprintf(stderr, "zhfts: %s: %s\n", id, zhfts_db_errmsg(db));
			j->failed = 1;
			break;
		}
	}
	rc = zhfts_db_close(db);
	if (rc != ZHFTS_OK) {
		fprintf(stderr, "zhfts: %s: closing: %s\n", j->path, zhfts_strerror(rc));
		j->failed = 1;
	}
	return NULL;
}

static int zhfts_build(const bench_corpus *c, const char *path, int jobs)
{
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
	if (system(cmd) != 0)
		return -1;
	if (jobs < 1)
		jobs = 1;
	shard_job *j = calloc((size_t)jobs, sizeof *j);
	pthread_t *t = calloc((size_t)jobs, sizeof *t);
	/* consecutive runs of about as many bytes each */
	size_t total = (size_t)c->copies * c->nfiles, k = 0;
	double bytes = (double)c->bytes * c->copies, done = 0;
	for (int i = 0; i < jobs; i++) {
		j[i].c = c;
		j[i].from = k;
		while (k < total && (i == jobs - 1 || done < bytes * (i + 1) / jobs))
			done += (double)c->files[k++ % c->nfiles].len;
		j[i].to = k;
		snprintf(j[i].path, sizeof j[i].path, "%s.shard-%d", path, i);
		pthread_create(&t[i], NULL, index_worker, &j[i]);
	}
	int failed = 0;
	for (int i = 0; i < jobs; i++) {
		pthread_join(t[i], NULL);
		failed |= j[i].failed;
	}
	if (!failed) {
		const char **shards = calloc((size_t)jobs, sizeof *shards);
		char *err = NULL;
		for (int i = 0; shards && i < jobs; i++)
			shards[i] = j[i].path;
		int rc = shards ? zhfts_db_merge(path, shards, (size_t)jobs, &err) : ZHFTS_ENOMEM;
		if (rc != ZHFTS_OK) {
			fprintf(stderr, "zhfts: merging into %s: %s\n", path, err ? err : zhfts_strerror(rc));
			failed = 1;
		}
		zhfts_free(err);
		free(shards);
	}
	for (int i = 0; i < jobs; i++) {
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", j[i].path);
		if (system(cmd) != 0)
			failed = 1;
	}
	free(j);
	free(t);
	return failed ? -1 : 0;
}

typedef struct zh_handle {
	const bench_corpus *c;
	zhfts_db *db;
} zh_handle;

static void *zhfts_open(const bench_corpus *c, const char *path)
{
	zh_handle *h = calloc(1, sizeof *h);
	char *err = NULL;
	int rc = zhfts_db_open(&h->db, path, ZHFTS_OPEN_READONLY, NULL, &err);
	if (rc != ZHFTS_OK) {
		fprintf(stderr, "zhfts: %s: %s\n", path, err ? err : zhfts_strerror(rc));
		zhfts_free(err);
		free(h);
		return NULL;
	}
	h->c = c;
	return h;
}

static int zhfts_search(void *vh, const bench_query *q, size_t limit, bench_hits *out)
{
	zh_handle *h = vh;
	char *qs = bench_query_string(q);
	zhfts_search_options opts = ZHFTS_SEARCH_OPTIONS_INIT;
	opts.limit = limit ? limit : SIZE_MAX;
	/* every hit: what an application that lists them (or counts) needs, no
	 * snippet for each; the top ten as a search page shows them */
	if (!limit)
		opts.flags |= ZHFTS_SEARCH_NO_SNIPPETS;
	static const char *const year[] = {"year"};
	if (q->op == OP_SORT)
		opts.sort = q->b; /* "-year" */
	if (q->op == OP_FACET) {
		opts.facets = year;
		opts.nfacets = 1;
	}
	zhfts_results *res = NULL;
	int rc = zhfts_db_search(h->db, qs, strlen(qs), &opts, &res);
	if (rc != ZHFTS_OK) {
		fprintf(stderr, "zhfts: query '%s': %s\n", qs, zhfts_db_errmsg(h->db));
		free(qs);
		return -1;
	}
	const zhfts_facet *fc = q->op == OP_FACET ? zhfts_results_facet(res, 0) : NULL;
	for (size_t v = 0; fc && v < fc->nvalues; v++) {
		long y = strtol(fc->values[v].value, NULL, 10) - BENCH_YEAR_FIRST;
		if (y >= 0 && y < BENCH_YEARS)
			out->facet[y] = fc->values[v].count;
	}
	size_t n = zhfts_results_count(res);
	for (size_t i = 0; i < n; i++) {
		if (!limit) {
			/* a list of every hit: where each is, not its text */
			const char *doc;
			uint32_t para;
			int64_t p = zhfts_results_locate(res, i, &doc, &para) == ZHFTS_OK ? bench_para_number(h->c, doc, para) : -1;
			bench_hits_push(out, p);
			continue;
		}
		const zhfts_hit *hit = zhfts_results_hit(res, i);
		bench_hits_push(out, hit ? bench_para_lookup(h->c, hit->doc, hit->offset) : -1);
	}
	zhfts_results_free(res);
	free(qs);
	return 0;
}

static void zhfts_close(void *vh)
{
	zh_handle *h = vh;
	if (h) {
		zhfts_db_close(h->db);
		free(h);
	}
}

/* Through the same calls a user makes: add_document replaces a document
 * atomically (or writes nothing when it is stored already, unchanged),
 * delete_document removes one, closing commits (with fsync); then
 * zhfts_db_compact() rewrites the database without the dead paragraphs. */
static int update_pass(const bench_corpus *c, const char *path, int pass, bench_update *out)
{
	zhfts_db *db;
	char *err = NULL;
	int rc = zhfts_db_open(&db, path, ZHFTS_OPEN_WRITE, NULL, &err);
	if (rc != ZHFTS_OK) {
		fprintf(stderr, "zhfts: %s: %s\n", path, err ? err : zhfts_strerror(rc));
		zhfts_free(err);
		return -1;
	}
	static const char added[] = "\n\n修订说明：本文件在这次更新中补充了一段。\n";
	size_t total = (size_t)c->copies * c->nfiles;
	char *buf = NULL;
	for (size_t k = 0; rc == ZHFTS_OK && k < total; k++) {
		size_t file = k % c->nfiles;
		const bench_file *f = &c->files[file];
		char id[4200];
		bench_doc_id(c, (unsigned)(k / c->nfiles), file, id, sizeof id);
		fields df;
		const zhfts_doc_options *o = doc_fields(c, file, &df);
		if (pass == 0 && k % 10 == 0) {
			rc = zhfts_db_add_document(db, id, f->data, f->len, o, NULL);
			out->reindexed++;
		} else if (pass == 0 && k % 20 == 5) {
			rc = zhfts_db_delete_document(db, id);
			out->deleted++;
		} else if (pass == 1 && k % 10 == 1) {
			char *more = realloc(buf, f->len + sizeof added);
			if (!more)
				break;
			buf = more;
			memcpy(buf, f->data, f->len);
			memcpy(buf + f->len, added, sizeof added - 1);
			rc = zhfts_db_add_document(db, id, buf, f->len + sizeof added - 1, o, NULL);
			out->changed++;
		}
		if (rc != ZHFTS_OK)
			fprintf(stderr, "zhfts: update %s: %s\n", id, zhfts_db_errmsg(db));
	}
	free(buf);
	int rc2 = zhfts_db_close(db);
	return rc == ZHFTS_OK && rc2 == ZHFTS_OK ? 0 : -1;
}

static int zhfts_update(const bench_corpus *c, const char *path, bench_update *out)
{
	memset(out, 0, sizeof *out);
	double t0 = bench_now();
	if (update_pass(c, path, 0, out) != 0)
		return -1;
	out->update_seconds = bench_now() - t0;
	out->size_updated = bench_du(path);
	t0 = bench_now();
	if (update_pass(c, path, 1, out) != 0)
		return -1;
	out->change_seconds = bench_now() - t0;
	out->size_changed = bench_du(path);
	char *err = NULL;
	t0 = bench_now();
	int rc = zhfts_db_compact(path, &err);
	out->compact_seconds = bench_now() - t0;
	if (rc != ZHFTS_OK) {
		fprintf(stderr, "zhfts: compacting %s: %s\n", path, err ? err : zhfts_strerror(rc));
		zhfts_free(err);
		return -1;
	}
	return 0;
}

const bench_engine bench_engine_zhfts = {"zhfts",      zhfts_build,  zhfts_open, zhfts_search,
                                         zhfts_close, zhfts_update, 1};
