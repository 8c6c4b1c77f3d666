/*
 * zhfts-bench: indexing and query figures for zhfts and its peers, with
 * recall and precision against the expected answers from zhfts-bench-queries.
 *
 *   zhfts-bench index ENGINE CORPUS DB [--copies N] [--jobs J]
 *   zhfts-bench search ENGINE CORPUS DB QUERIES [--copies N] [--qps-seconds S]
 *   zhfts-bench update ENGINE CORPUS DB [--copies N]
 *   zhfts-bench tokenize CORPUS [--rounds R]
 *   zhfts-bench gen-corpus DIR [--paragraphs N]
 *
 * Every figure is printed as "RESULT <engine> <metric> <value>" (tab-separated)
 * for bench/run.sh to collect; everything else on stdout/stderr is commentary.
 * Each phase runs in its own process so that peak RSS belongs to that phase.
 */
#include "engine.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int bench_tokenize_main(int argc, char **argv);
int bench_gen_corpus_main(int argc, char **argv);

static const bench_engine *const engines[] = {
#ifdef HAVE_ZHFTS
	&bench_engine_zhfts,
#endif
#ifdef HAVE_SQLITE
	&bench_engine_fts5,
#endif
#ifdef HAVE_XAPIAN
	&bench_engine_xapian,
#endif
	&bench_engine_groonga,
};

static const bench_engine *find_engine(const char *name)
{
	for (size_t i = 0; i < sizeof engines / sizeof *engines; i++)
		if (!strcmp(engines[i]->name, name))
			return engines[i];
	fprintf(stderr, "bench: unknown or not built engine '%s'; built:", name);
	for (size_t i = 0; i < sizeof engines / sizeof *engines; i++)
		fprintf(stderr, " %s", engines[i]->name);
	fputc('\n', stderr);
	exit(2);
}

static void result(const char *engine, const char *metric, const char *cls, double v)
{
	if (cls)
		printf("RESULT\t%s\t%s.%s\t%.6g\n", engine, metric, cls, v);
	else
		printf("RESULT\t%s\t%s\t%.6g\n", engine, metric, v);
}

static void usage(void)
{
	fputs("usage: zhfts-bench index ENGINE CORPUS DB [--copies N] [--jobs J]\n"
	      "       zhfts-bench search ENGINE CORPUS DB QUERIES [--copies N] [--qps-seconds S]\n"
	      "       zhfts-bench update ENGINE CORPUS DB [--copies N]\n"
	      "       zhfts-bench tokenize CORPUS [--rounds R]\n"
	      "       zhfts-bench gen-corpus DIR [--paragraphs N]\n"
	      "       zhfts-bench engines\n", stderr);
	exit(2);
}

/* Options shared by index and search; positional arguments are left in pos[]. */
typedef struct cli {
	const char *pos[8];
	int npos;
	unsigned copies;
	int jobs;
	double qps_seconds;
} cli;

static void parse(cli *o, int argc, char **argv)
{
	memset(o, 0, sizeof *o);
	o->copies = 1;
	o->jobs = 1;
	o->qps_seconds = 3;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--copies") && i + 1 < argc)
			o->copies = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--jobs") && i + 1 < argc)
			o->jobs = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--qps-seconds") && i + 1 < argc)
			o->qps_seconds = atof(argv[++i]);
		else if (argv[i][0] == '-' && argv[i][1] == '-')
			usage();
		else if (o->npos < 8)
			o->pos[o->npos++] = argv[i];
	}
	if (o->copies < 1)
		o->copies = 1;
}

static int cmd_index(int argc, char **argv)
{
	cli o;
	parse(&o, argc, argv);
	if (o.npos != 3)
		usage();
	const bench_engine *e = find_engine(o.pos[0]);
	bench_corpus c;
	bench_corpus_load(&c, o.pos[1], o.copies);
	long base_rss = bench_peak_rss_kb();
	double t0 = bench_now(), cpu0 = bench_cpu_seconds();
	if (e->build(&c, o.pos[2], o.jobs) != 0)
		bench_die("%s: indexing failed", e->name);
	double dt = bench_now() - t0, cpu = bench_cpu_seconds() - cpu0;
	double input = (double)c.bytes * c.copies;
	uint64_t size = bench_du(o.pos[2]);
	long rss = bench_peak_rss_kb();
	long child = bench_children_rss_kb(); /* groonga indexes in its own process */
	char m[64];
	snprintf(m, sizeof m, "j%d", o.jobs);
	result(e->name, "index_mb_s", m, input / 1e6 / dt);
	result(e->name, "index_paras_s", m, (double)c.nparas * c.copies / dt);
	result(e->name, "index_seconds", m, dt);
	/* CPU time: less at the mercy of other load on a shared machine than wall time */
	result(e->name, "index_mb_cpu_s", m, input / 1e6 / cpu);
	/* the bench holds the corpus in memory; count only what the engine added */
	result(e->name, "index_rss_mb", m, (double)((rss - base_rss) > child ? rss - base_rss : child) / 1024.0);
	result(e->name, "index_size_x", m, (double)size / input);
	printf("# %s: %.1f MB, %u paragraphs x %u in %.2f s (jobs %d); index %.1f MB; corpus in memory %.1f MB\n",
	       e->name, input / 1e6, c.nparas, c.copies, dt, o.jobs, (double)size / 1e6, (double)base_rss / 1024.0);
	bench_corpus_free(&c);
	return 0;
}

/* ------------------------------------------------------------------ update */

static int cmd_update(int argc, char **argv)
{
	cli o;
	parse(&o, argc, argv);
	if (o.npos != 3)
		usage();
	const bench_engine *e = find_engine(o.pos[0]);
	if (!e->update) {
		printf("# %s: no update step in the bench\n", e->name);
		return 0;
	}
	bench_corpus c;
	bench_corpus_load(&c, o.pos[1], o.copies);
	double input = (double)c.bytes * c.copies;
	uint64_t before = bench_du(o.pos[2]);
	bench_update u;
	if (e->update(&c, o.pos[2], &u) != 0)
		bench_die("%s: updating failed", e->name);
	uint64_t after = bench_du(o.pos[2]);
	result(e->name, "update_docs_s", NULL, (double)(u.reindexed + u.deleted) / u.update_seconds);
	result(e->name, "update_seconds", NULL, u.update_seconds);
	result(e->name, "update_size_x", NULL, (double)u.size_updated / input);
	result(e->name, "change_docs_s", NULL, (double)u.changed / u.change_seconds);
	result(e->name, "change_seconds", NULL, u.change_seconds);
	result(e->name, "change_size_x", NULL, (double)u.size_changed / input);
	if (u.compact_seconds >= 0) {
		result(e->name, "compact_seconds", NULL, u.compact_seconds);
		result(e->name, "compact_size_x", NULL, (double)after / input);
	}
	printf("# %s: %.1f MB; re-indexed %zu unchanged and deleted %zu in %.2f s: %.1f MB; re-indexed %zu changed "
	       "in %.2f s: %.1f MB; compacted in %.2f s: %.1f MB\n",
	       e->name, (double)before / 1e6, u.reindexed, u.deleted, u.update_seconds, (double)u.size_updated / 1e6,
	       u.changed, u.change_seconds, (double)u.size_changed / 1e6, u.compact_seconds, (double)after / 1e6);
	bench_corpus_free(&c);
	return 0;
}

/* ------------------------------------------------------------------ search */

typedef struct class_stats {
	char name[16];
	double *lat10, *latall;
	size_t n;
	double r10, p10, rall, pall;
	size_t errors, perfect, facets_ok, facets;
} class_stats;

typedef struct qps_job {
	const bench_engine *e;
	const bench_corpus *c;
	const char *db;
	const bench_queries *qs;
	size_t start;
	double seconds;
	size_t done;
	int failed;
} qps_job;

static void *qps_worker(void *arg)
{
	qps_job *j = arg;
	void *h = j->e->open(j->c, j->db);
	if (!h) {
		j->failed = 1;
		return NULL;
	}
	bench_hits hits = {0};
	double end = bench_now() + j->seconds;
	size_t i = j->start;
	while (bench_now() < end) {
		bench_hits_clear(&hits);
		if (j->e->search(h, &j->qs->q[i % j->qs->n], 10, &hits) != 0)
			j->failed = 1;
		i++;
		j->done++;
	}
	bench_hits_free(&hits);
	j->e->close(h);
	return NULL;
}

static double qps(const bench_engine *e, const bench_corpus *c, const char *db, const bench_queries *qs,
                  int threads, double seconds)
{
	qps_job j[8];
	pthread_t t[8];
	for (int i = 0; i < threads; i++) {
		j[i] = (qps_job){e, c, db, qs, (size_t)i * qs->n / (size_t)threads, seconds, 0, 0};
		pthread_create(&t[i], NULL, qps_worker, &j[i]);
	}
	size_t done = 0;
	for (int i = 0; i < threads; i++) {
		pthread_join(t[i], NULL);
		done += j[i].done;
	}
	return (double)done / seconds;
}

static void show_para(const bench_corpus *c, const char *what, int64_t id)
{
	uint32_t p = (uint32_t)(id % c->nparas);
	printf("#   %s: %s paragraph at byte %u: %.*s\n", what, c->files[c->para_file[p]].path, c->para_off[p],
	       (int)(c->para_len[p] < 300 ? c->para_len[p] : 300), c->files[c->para_file[p]].data + c->para_off[p]);
}

/* For debugging a recall or precision below 1: one missed and one unexpected paragraph. */
static void show_difference(const bench_corpus *c, const bench_query *q, const bench_hits *h)
{
	int64_t missed = -1, extra = -1;
	for (size_t i = 0; i < q->nexpect && missed < 0; i++) {
		size_t k = 0;
		while (k < h->n && h->id[k] != (int64_t)q->expect[i])
			k++;
		if (k == h->n)
			missed = q->expect[i];
	}
	for (size_t k = 0; k < h->n && extra < 0; k++) {
		size_t i = 0;
		while (i < q->nexpect && (int64_t)q->expect[i] != h->id[k] % c->nparas)
			i++;
		if (i == q->nexpect)
			extra = h->id[k];
	}
	if (missed >= 0)
		show_para(c, "missed", missed);
	if (extra >= 0)
		show_para(c, "unexpected", extra);
}

static int cmd_search(int argc, char **argv)
{
	cli o;
	parse(&o, argc, argv);
	if (o.npos != 4)
		usage();
	const bench_engine *e = find_engine(o.pos[0]);
	bench_corpus c;
	bench_queries qs;
	bench_corpus_load(&c, o.pos[1], o.copies);
	bench_queries_load(&qs, o.pos[3]);
	if (!e->fields) {
		/* the field classes need document fields this engine does not index */
		size_t kept = 0;
		for (size_t i = 0; i < qs.n; i++) {
			if (qs.q[i].op < OP_FILTER) {
				qs.q[kept++] = qs.q[i];
				continue;
			}
			free(qs.q[i].a);
			free(qs.q[i].b);
			free(qs.q[i].expect);
		}
		qs.n = kept;
	}
	if (qs.n == 0)
		bench_die("%s: no queries", o.pos[3]);
	void *h = e->open(&c, o.pos[2]);
	if (!h)
		bench_die("%s: cannot open %s", e->name, o.pos[2]);

	class_stats cls[16];
	size_t ncls = 0;
	size_t *which = bench_xmalloc(qs.n * sizeof *which);
	for (size_t i = 0; i < qs.n; i++) {
		size_t k = 0;
		while (k < ncls && strcmp(cls[k].name, qs.q[i].cls))
			k++;
		if (k == ncls) {
			if (ncls == 16)
				bench_die("too many query classes");
			memset(&cls[k], 0, sizeof cls[k]);
			snprintf(cls[k].name, sizeof cls[k].name, "%s", qs.q[i].cls);
			cls[k].lat10 = bench_xmalloc(qs.n * sizeof(double));
			cls[k].latall = bench_xmalloc(qs.n * sizeof(double));
			ncls++;
		}
		which[i] = k;
	}

	bench_hits hits = {0};
	/* warm: every query once, top 10, untimed */
	for (size_t i = 0; i < qs.n; i++) {
		bench_hits_clear(&hits);
		e->search(h, &qs.q[i], 10, &hits);
	}
	int complained = 0;
	for (int pass = 0; pass < 2; pass++) {
		size_t limit = pass == 0 ? 10 : 0;
		for (size_t i = 0; i < qs.n; i++) {
			class_stats *s = &cls[which[i]];
			bench_hits_clear(&hits);
			double t0 = bench_now();
			int rc = e->search(h, &qs.q[i], limit, &hits);
			double ms = (bench_now() - t0) * 1e3;
			double r = 0, p = 0;
			if (rc == 0)
				bench_score(&c, &qs.q[i], &hits, limit, &r, &p);
			else
				s->errors++;
			if (pass == 0) {
				s->lat10[s->n++] = ms;
				s->r10 += r;
				s->p10 += p;
				if (qs.q[i].op == OP_FACET) {
					s->facets++;
					s->facets_ok += rc == 0 && bench_facets_ok(&c, &qs.q[i], &hits);
				}
			} else {
				s->latall[s->n++] = ms;
				s->rall += r;
				s->pall += p;
				s->perfect += r == 1.0 && p == 1.0;
				if ((r < 1.0 || p < 1.0) && complained++ < 5 && getenv("BENCH_VERBOSE"))
					printf("# %s: %s '%s' '%s': recall %.3f precision %.3f (%zu hits, %zu expected)\n",
					       e->name, qs.q[i].cls, qs.q[i].a, qs.q[i].b ? qs.q[i].b : "", r, p, hits.n,
					       qs.q[i].nexpect * c.copies);
				if ((r < 1.0 || p < 1.0) && complained <= 5 && getenv("BENCH_VERBOSE"))
					show_difference(&c, &qs.q[i], &hits);
			}
		}
		if (pass == 0)
			for (size_t k = 0; k < ncls; k++)
				cls[k].n = 0;
	}
	bench_hits_free(&hits);
	e->close(h);

	/* the text classes, and the field classes (which visit every match) */
	double all10[4096], fields10[4096];
	size_t nall = 0, nfields = 0;
	for (size_t k = 0; k < ncls; k++) {
		class_stats *s = &cls[k];
		double n = (double)s->n;
		result(e->name, "recall10", s->name, s->r10 / n);
		result(e->name, "precision10", s->name, s->p10 / n);
		result(e->name, "recall", s->name, s->rall / n);
		result(e->name, "precision", s->name, s->pall / n);
		result(e->name, "perfect", s->name, (double)s->perfect / n);
		result(e->name, "errors", s->name, (double)s->errors);
		if (s->facets)
			result(e->name, "facets_ok", s->name, (double)s->facets_ok / (double)s->facets);
		bool field_class = !strcmp(s->name, "filter") || !strcmp(s->name, "sort") || !strcmp(s->name, "facet");
		for (size_t i = 0; i < s->n && nall < 4096 && nfields < 4096; i++) {
			if (field_class)
				fields10[nfields++] = s->lat10[i];
			else
				all10[nall++] = s->lat10[i];
		}
		result(e->name, "p50_ms", s->name, bench_percentile(s->lat10, s->n, 50));
		result(e->name, "p95_ms", s->name, bench_percentile(s->lat10, s->n, 95));
		result(e->name, "p99_ms", s->name, bench_percentile(s->lat10, s->n, 99));
		result(e->name, "max_ms", s->name, bench_percentile(s->lat10, s->n, 100));
		result(e->name, "all_p50_ms", s->name, bench_percentile(s->latall, s->n, 50));
		result(e->name, "all_p99_ms", s->name, bench_percentile(s->latall, s->n, 99));
		result(e->name, "all_max_ms", s->name, bench_percentile(s->latall, s->n, 100));
		free(s->lat10);
		free(s->latall);
	}
	result(e->name, "p50_ms", "any", bench_percentile(all10, nall, 50));
	result(e->name, "p99_ms", "any", bench_percentile(all10, nall, 99));
	if (nfields) {
		result(e->name, "p50_ms", "fields", bench_percentile(fields10, nfields, 50));
		result(e->name, "p99_ms", "fields", bench_percentile(fields10, nfields, 99));
	}
	if (o.qps_seconds > 0) {
		result(e->name, "qps", "t1", qps(e, &c, o.pos[2], &qs, 1, o.qps_seconds));
		result(e->name, "qps", "t2", qps(e, &c, o.pos[2], &qs, 2, o.qps_seconds));
	}
	free(which);
	bench_queries_free(&qs);
	bench_corpus_free(&c);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "index"))
		return cmd_index(argc - 2, argv + 2);
	if (!strcmp(argv[1], "search"))
		return cmd_search(argc - 2, argv + 2);
	if (!strcmp(argv[1], "update"))
		return cmd_update(argc - 2, argv + 2);
	if (!strcmp(argv[1], "engines")) {
		for (size_t i = 0; i < sizeof engines / sizeof *engines; i++)
			printf("%s\n", engines[i]->name);
		return 0;
	}
#ifdef HAVE_ZHFTS
	if (!strcmp(argv[1], "tokenize"))
		return bench_tokenize_main(argc - 2, argv + 2);
#endif
	if (!strcmp(argv[1], "gen-corpus"))
		return bench_gen_corpus_main(argc - 2, argv + 2);
	usage();
}
