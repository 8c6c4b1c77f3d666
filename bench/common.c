#define _GNU_SOURCE /* memmem, nftw */
#include "common.h"

#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

void bench_die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("bench: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

void *bench_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		bench_die("out of memory (%zu bytes)", n);
	return p;
}

char *bench_xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(bench_xmalloc(n), s, n);
}

double bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

double bench_percentile(double *v, size_t n, double p)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof *v, cmp_double);
	/* nearest rank: the smallest value with at least p% of the values at or below it */
	size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1];
}

double bench_cpu_seconds(void)
{
	struct rusage self, kids;
	if (getrusage(RUSAGE_SELF, &self) || getrusage(RUSAGE_CHILDREN, &kids))
		return 0;
	return (double)(self.ru_utime.tv_sec + self.ru_stime.tv_sec + kids.ru_utime.tv_sec + kids.ru_stime.tv_sec) +
	       (double)(self.ru_utime.tv_usec + self.ru_stime.tv_usec + kids.ru_utime.tv_usec + kids.ru_stime.tv_usec) * 1e-6;
}

long bench_peak_rss_kb(void)
{
	struct rusage ru;
	return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
}

long bench_children_rss_kb(void)
{
	struct rusage ru;
	return getrusage(RUSAGE_CHILDREN, &ru) == 0 ? ru.ru_maxrss : -1;
}

static uint64_t du_total;
static int du_add(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)path; (void)ftw;
	if (flag == FTW_F)
		du_total += (uint64_t)st->st_size;
	return 0;
}

uint64_t bench_du(const char *path)
{
	du_total = 0;
	if (nftw(path, du_add, 32, FTW_PHYS) != 0)
		return 0;
	return du_total;
}

/* ------------------------------------------------------------------ corpus */

typedef struct pathlist {
	char **v;
	size_t n, cap;
} pathlist;
static pathlist walk_paths;
static size_t walk_root_len;

static int walk_add(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)ftw;
	if (flag != FTW_F)
		return 0;
	if (walk_paths.n == walk_paths.cap) {
		walk_paths.cap = walk_paths.cap ? 2 * walk_paths.cap : 1024;
		walk_paths.v = realloc(walk_paths.v, walk_paths.cap * sizeof *walk_paths.v);
		if (!walk_paths.v)
			bench_die("out of memory");
	}
	walk_paths.v[walk_paths.n++] = bench_xstrdup(path + walk_root_len);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int blank_line(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

int bench_corpus_load(bench_corpus *c, const char *root, unsigned copies)
{
	memset(c, 0, sizeof *c);
	c->copies = copies ? copies : 1;
	walk_paths.n = 0;
	walk_root_len = strlen(root);
	while (walk_root_len > 1 && root[walk_root_len - 1] == '/')
		walk_root_len--;
	walk_root_len++; /* the slash after the root */
	if (nftw(root, walk_add, 32, FTW_PHYS) != 0)
		bench_die("%s: cannot read the corpus: %s", root, strerror(errno));
	if (walk_paths.n == 0)
		bench_die("%s: no files", root);
	qsort(walk_paths.v, walk_paths.n, sizeof *walk_paths.v, cmp_str);

	c->nfiles = walk_paths.n;
	c->files = calloc(c->nfiles, sizeof *c->files);
	size_t pcap = 1024;
	c->para_file = bench_xmalloc(pcap * sizeof(uint32_t));
	c->para_off = bench_xmalloc(pcap * sizeof(uint32_t));
	c->para_len = bench_xmalloc(pcap * sizeof(uint32_t));
	for (size_t i = 0; i < c->nfiles; i++) {
		bench_file *f = &c->files[i];
		f->path = walk_paths.v[i];
		char full[8192];
		snprintf(full, sizeof full, "%.*s/%s", (int)(walk_root_len - 1), root, f->path);
		FILE *fp = fopen(full, "rb");
		if (!fp)
			bench_die("%s: %s", full, strerror(errno));
		fseek(fp, 0, SEEK_END);
		long size = ftell(fp);
		fseek(fp, 0, SEEK_SET);
		if (size < 0)
			bench_die("%s: cannot tell its size", full);
		f->len = (size_t)size;
		f->data = bench_xmalloc(f->len + 1);
		if (fread(f->data, 1, f->len, fp) != f->len)
			bench_die("%s: short read", full);
		f->data[f->len] = 0;
		fclose(fp);
		c->bytes += f->len;

		f->first_para = c->nparas;
		size_t pos = 0;
		int in_para = 0;
		while (pos < f->len) {
			const char *nl = memchr(f->data + pos, '\n', f->len - pos);
			size_t end = nl ? (size_t)(nl - f->data) : f->len;
			if (blank_line(f->data + pos, end - pos)) {
				in_para = 0;
			} else if (!in_para) {
				if (c->nparas == pcap) {
					pcap *= 2;
					c->para_file = realloc(c->para_file, pcap * sizeof(uint32_t));
					c->para_off = realloc(c->para_off, pcap * sizeof(uint32_t));
					c->para_len = realloc(c->para_len, pcap * sizeof(uint32_t));
					if (!c->para_file || !c->para_off || !c->para_len)
						bench_die("out of memory");
				}
				c->para_file[c->nparas] = (uint32_t)i;
				c->para_off[c->nparas] = (uint32_t)pos;
				c->para_len[c->nparas] = (uint32_t)(end - pos);
				c->nparas++;
				f->nparas++;
				in_para = 1;
			} else {
				c->para_len[c->nparas - 1] = (uint32_t)(end - c->para_off[c->nparas - 1]);
			}
			pos = end + 1;
		}
	}
	free(walk_paths.v);
	walk_paths.v = NULL;
	walk_paths.cap = 0;
	return 0;
}

void bench_corpus_free(bench_corpus *c)
{
	for (size_t i = 0; i < c->nfiles; i++) {
		free(c->files[i].path);
		free(c->files[i].data);
	}
	free(c->files);
	free(c->para_file);
	free(c->para_off);
	free(c->para_len);
	memset(c, 0, sizeof *c);
}

void bench_doc_fields(const bench_corpus *c, size_t file, unsigned *year, const char **district)
{
	static const char *const names[BENCH_DISTRICTS] = {"海淀区", "朝阳区", "西城区", "东城区",
	                                                   "丰台区", "通州区", "昌平区", "顺义区"};
	uint64_t h = 1469598103934665603ull;
	for (const char *p = c->files[file].path; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	*year = BENCH_YEAR_FIRST + (unsigned)(h % BENCH_YEARS);
	*district = names[(h / BENCH_YEARS) % BENCH_DISTRICTS];
}

void bench_doc_id(const bench_corpus *c, unsigned copy, size_t file, char *buf, size_t size)
{
	if (c->copies > 1)
		snprintf(buf, size, "%03u/%s", copy + 1, c->files[file].path);
	else
		snprintf(buf, size, "%s", c->files[file].path);
}

/* The file a document id names, and which copy of the corpus; NULL if none. */
static const bench_file *file_of(const bench_corpus *c, const char *doc_id, unsigned *copy)
{
	*copy = 0;
	if (c->copies > 1) {
		char *end;
		unsigned long k = strtoul(doc_id, &end, 10);
		if (end == doc_id || *end != '/' || k < 1 || k > c->copies)
			return NULL;
		*copy = (unsigned)(k - 1);
		doc_id = end + 1;
	}
	size_t lo = 0, hi = c->nfiles;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int r = strcmp(c->files[mid].path, doc_id);
		if (r == 0)
			return &c->files[mid];
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int64_t bench_para_lookup(const bench_corpus *c, const char *doc_id, uint64_t off)
{
	unsigned copy;
	const bench_file *f = file_of(c, doc_id, &copy);
	if (!f)
		return -1;
	size_t a = f->first_para, b = f->first_para + f->nparas;
	while (a < b) {
		size_t m = (a + b) / 2;
		if (c->para_off[m] == off)
			return (int64_t)copy * c->nparas + (int64_t)m;
		if (c->para_off[m] < off)
			a = m + 1;
		else
			b = m;
	}
	return -1;
}

int64_t bench_para_number(const bench_corpus *c, const char *doc_id, uint32_t number)
{
	unsigned copy;
	const bench_file *f = file_of(c, doc_id, &copy);
	if (!f || number < 1 || number > f->nparas)
		return -1;
	return (int64_t)copy * c->nparas + (int64_t)(f->first_para + number - 1);
}

/* ------------------------------------------------------------------ queries */

static const char *const op_names[] = {NULL, "term", "phrase", "and", "or", "not", "long", "word",
                                       "filter", "sort", "facet"};

const char *bench_op_name(bench_op op)
{
	return op >= OP_TERM && op <= OP_FACET ? op_names[op] : "?";
}

int bench_op_parse(const char *s, bench_op *out)
{
	for (int i = OP_TERM; i <= OP_FACET; i++)
		if (strcmp(s, op_names[i]) == 0) {
			*out = (bench_op)i;
			return 0;
		}
	return -1;
}

/* Splits a line on tabs in place; returns the number of fields. */
static size_t split_tabs(char *line, char **field, size_t max)
{
	size_t n = 0;
	field[n++] = line;
	for (char *p = line; *p && n < max; p++)
		if (*p == '\t') {
			*p = 0;
			field[n++] = p + 1;
		}
	return n;
}

int bench_queries_load(bench_queries *qs, const char *path)
{
	memset(qs, 0, sizeof *qs);
	FILE *fp = fopen(path, "r");
	if (!fp)
		bench_die("%s: %s", path, strerror(errno));
	char *line = NULL;
	size_t cap = 0, lineno = 0, qcap = 0;
	ssize_t len;
	while ((len = getline(&line, &cap, fp)) > 0) {
		lineno++;
		if (line[len - 1] == '\n')
			line[--len] = 0;
		if (line[0] == '#' || line[0] == 0)
			continue;
		char *f[6];
		if (split_tabs(line, f, 6) != 6)
			bench_die("%s:%zu: want 6 tab-separated fields", path, lineno);
		if (qs->n == qcap) {
			qcap = qcap ? 2 * qcap : 64;
			qs->q = realloc(qs->q, qcap * sizeof *qs->q);
			if (!qs->q)
				bench_die("out of memory");
		}
		bench_query *q = &qs->q[qs->n];
		memset(q, 0, sizeof *q);
		snprintf(q->cls, sizeof q->cls, "%s", f[0]);
		if (bench_op_parse(f[1], &q->op) != 0)
			bench_die("%s:%zu: unknown operator '%s'", path, lineno, f[1]);
		q->a = bench_xstrdup(f[2]);
		q->b = strcmp(f[3], "-") ? bench_xstrdup(f[3]) : NULL;
		q->nexpect = strtoul(f[4], NULL, 10);
		q->expect = bench_xmalloc(q->nexpect * sizeof *q->expect);
		char *p = f[5];
		for (size_t i = 0; i < q->nexpect; i++) {
			char *end;
			q->expect[i] = (uint32_t)strtoul(p, &end, 10);
			if (end == p)
				bench_die("%s:%zu: %zu expected ids announced, fewer given", path, lineno, q->nexpect);
			p = *end == ',' ? end + 1 : end;
		}
		qs->n++;
	}
	free(line);
	fclose(fp);
	return 0;
}

void bench_queries_free(bench_queries *qs)
{
	for (size_t i = 0; i < qs->n; i++) {
		free(qs->q[i].a);
		free(qs->q[i].b);
		free(qs->q[i].expect);
	}
	free(qs->q);
	memset(qs, 0, sizeof *qs);
}

char *bench_query_string(const bench_query *q)
{
	size_t n = strlen(q->a) + (q->b ? strlen(q->b) : 0) + 16;
	char *s = bench_xmalloc(n);
	switch (q->op) {
	case OP_PHRASE: snprintf(s, n, "\"%s\"", q->a); break;
	case OP_AND: snprintf(s, n, "%s %s", q->a, q->b); break;
	case OP_OR: snprintf(s, n, "%s OR %s", q->a, q->b); break;
	case OP_NOT: snprintf(s, n, "%s -%s", q->a, q->b); break;
	case OP_FILTER: snprintf(s, n, "%s %s", q->a, q->b); break;
	default: snprintf(s, n, "%s", q->a); break;
	}
	return s;
}

/* ------------------------------------------------------------------ hits and scoring */

void bench_hits_push(bench_hits *h, int64_t id)
{
	if (h->n == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 64;
		h->id = realloc(h->id, h->cap * sizeof *h->id);
		if (!h->id)
			bench_die("out of memory");
	}
	h->id[h->n++] = id;
}

void bench_hits_clear(bench_hits *h)
{
	h->n = 0;
	memset(h->facet, 0, sizeof h->facet);
}

void bench_hits_free(bench_hits *h)
{
	free(h->id);
	memset(h, 0, sizeof *h);
}

static int expected(const bench_corpus *c, const bench_query *q, int64_t id)
{
	if (id < 0)
		return 0;
	uint32_t base = (uint32_t)(id % c->nparas);
	size_t lo = 0, hi = q->nexpect;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (q->expect[mid] == base)
			return 1;
		if (q->expect[mid] < base)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static unsigned year_of(const bench_corpus *c, uint32_t base)
{
	unsigned y;
	const char *d;
	bench_doc_fields(c, c->para_file[base], &y, &d);
	return y;
}

int bench_facets_ok(const bench_corpus *c, const bench_query *q, const bench_hits *h)
{
	uint64_t want[BENCH_YEARS] = {0};
	for (size_t i = 0; i < q->nexpect; i++)
		want[year_of(c, q->expect[i]) - BENCH_YEAR_FIRST] += c->copies;
	return !memcmp(want, h->facet, sizeof want);
}

/* OP_SORT: hits whose year is the one the expected set, newest first, has at
 * their rank. */
static size_t sorted_right(const bench_corpus *c, const bench_query *q, const bench_hits *h)
{
	uint64_t per[BENCH_YEARS] = {0};
	for (size_t i = 0; i < q->nexpect; i++)
		per[year_of(c, q->expect[i]) - BENCH_YEAR_FIRST] += c->copies;
	size_t right = 0;
	int y = BENCH_YEARS - 1;
	for (size_t i = 0; i < h->n; i++) {
		while (y >= 0 && !per[y])
			y--;
		if (y < 0 || h->id[i] < 0)
			break;
		right += year_of(c, (uint32_t)(h->id[i] % c->nparas)) == (unsigned)(BENCH_YEAR_FIRST + y);
		per[y]--;
	}
	return right;
}

void bench_score(const bench_corpus *c, const bench_query *q, const bench_hits *h,
                 size_t limit, double *recall, double *precision)
{
	size_t want = q->nexpect * c->copies;
	if (limit && want > limit)
		want = limit;
	size_t consider = h->n;
	if (q->op == OP_LONG && consider > want)
		consider = want; /* the rest may hold the keywords apart: ranked after, not wrong */
	/* ids are unique within one result; count the expected ones */
	size_t good = 0;
	for (size_t i = 0; i < consider; i++)
		good += expected(c, q, h->id[i]);
	size_t found = good;
	if (q->op == OP_SORT && sorted_right(c, q, h) < found)
		found = sorted_right(c, q, h);
	*recall = want ? (double)(found < want ? found : want) / (double)want : 1.0;
	*precision = consider ? (double)good / (double)consider : (want ? 0.0 : 1.0);
}
