/* zhfts index: add files to a database, replacing earlier versions. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static const char usage[] =
	"usage: zhfts index [--db DIR] [--id ID] [--encoding NAME] [--lines]\n"
	"                   [--no-traditional] [--quiet] FILE|DIR...\n"
	"\n"
	"Indexes each file as one document, replacing an earlier version with the\n"
	"same id.  Directories are walked for *.txt and *.md files.\n"
	"\n"
	"  --db DIR          the database (default: $ZHFTS_DB, else ./zhfts.db)\n"
	"  --id ID           document id for a single FILE (default: the path as given)\n"
	"  --encoding NAME   charset of the files, e.g. GB18030 (default: detect)\n"
	"  --lines           every non-blank line is a paragraph (new databases only)\n"
	"  --no-traditional  don't fold Traditional to Simplified (new databases only)\n"
	"  --quiet           no progress bar and no summary line\n"
	"\n"
	"Ctrl-C stops after the current file and keeps every file indexed so far.\n"
	"Exit status: 0 if every file was indexed, 2 if any failed or on interrupt.\n";

/* ---- the files to index ------------------------------------------------- */

typedef struct file_entry {
	char *path;
	uint64_t size;
} file_entry;

typedef struct file_list {
	file_entry *items;
	size_t n, cap;
	uint64_t bytes;
	bool out_of_memory;
} file_list;

static void list_add(file_list *l, const char *path, uint64_t size)
{
	char *copy;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		file_entry *items = realloc(l->items, cap * sizeof *items);
		if (!items) {
			l->out_of_memory = true;
			return;
		}
		l->items = items;
		l->cap = cap;
	}
	copy = strdup(path);
	if (!copy) {
		l->out_of_memory = true;
		return;
	}
	l->items[l->n].path = copy;
	l->items[l->n].size = size;
	l->n++;
	l->bytes += size;
}

static void list_free(file_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i].path);
	free(l->items);
}

static bool indexable(const char *name)
{
	size_t n = strlen(name);

	return (n > 4 && strcmp(name + n - 4, ".txt") == 0) ||
	       (n > 3 && strcmp(name + n - 3, ".md") == 0);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds the *.txt and *.md files under @dir in name order, skipping hidden
 * entries and symbolic links to directories (they could loop).  Returns the
 * number of errors reported. */
static int walk(file_list *l, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int errors = 0;
	bool slash = dir[0] && dir[strlen(dir) - 1] == '/';

	if (!d) {
		cli_error("%s: %s", dir, strerror(errno));
		return 1;
	}
	while ((e = readdir(d)) != NULL && !l->out_of_memory) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			char **more = realloc(names, (cap = cap ? cap * 2 : 32) * sizeof *names);
			if (!more) {
				l->out_of_memory = true;
				break;
			}
			names = more;
		}
		if (!(names[n] = strdup(e->d_name)))
			l->out_of_memory = true;
		else
			n++;
	}
	closedir(d);
	qsort(names, n, sizeof *names, by_name);

	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(dir) + strlen(names[i]) + 2;
		char *path = malloc(len);
		struct stat st;

		if (!path || l->out_of_memory) {
			l->out_of_memory = true;
			free(path);
			continue;
		}
		snprintf(path, len, "%s%s%s", dir, slash ? "" : "/", names[i]);
		if (lstat(path, &st) != 0) {
			cli_error("%s: %s", path, strerror(errno));
			errors++;
		} else if (S_ISDIR(st.st_mode)) {
			errors += walk(l, path);
		} else if (indexable(names[i]) &&
		           (S_ISREG(st.st_mode) || (S_ISLNK(st.st_mode) && stat(path, &st) == 0 &&
		                                    S_ISREG(st.st_mode)))) {
			list_add(l, path, (uint64_t)st.st_size);
		}
		free(path);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return errors;
}

/* A path from the command line: a file is taken whatever its name. */
static int collect(file_list *l, const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		cli_error("%s: %s", path, strerror(errno));
		return 1;
	}
	if (S_ISDIR(st.st_mode))
		return walk(l, path);
	/* A FIFO is fine too: `zhfts index <(zcat report.txt.gz)`. */
	if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode)) {
		cli_error("%s: not a regular file or directory", path);
		return 1;
	}
	list_add(l, path, (uint64_t)st.st_size);
	return 0;
}

/* ---- progress ----------------------------------------------------------- */

typedef struct progress {
	bool on;
	size_t files_done, files;
	uint64_t bytes_done, bytes;
	double start, last_drawn;
} progress;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void progress_draw(progress *p, bool force)
{
	double t = now(), elapsed = t - p->start, frac, rate;
	char bar[25], eta[32] = "--:--";
	size_t filled;

	if (!p->on || (!force && t - p->last_drawn < 0.1))
		return;
	p->last_drawn = t;
	frac = p->bytes ? (double)p->bytes_done / (double)p->bytes
	                : p->files ? (double)p->files_done / (double)p->files : 1.0;
	filled = (size_t)(frac * 24.0 + 0.5);
	for (size_t i = 0; i < 24; i++)
		bar[i] = i < filled ? '#' : '.';
	bar[24] = '\0';
	rate = elapsed > 0 ? (double)p->bytes_done / 1e6 / elapsed : 0.0;
	if (rate > 0 && p->bytes_done > 0) {
		double left = (double)(p->bytes - p->bytes_done) / 1e6 / rate;
		unsigned int s = left < 359999.0 ? (unsigned int)(left + 0.5) : 359999u;
		snprintf(eta, sizeof eta, "%u:%02u", s / 60, s % 60);
	}
	fprintf(stderr, "\r[%s] %zu/%zu files  %.1f/%.1f MB  %.1f MB/s  ETA %s\033[K", bar,
	        p->files_done, p->files, (double)p->bytes_done / 1e6, (double)p->bytes / 1e6, rate,
	        eta);
	fflush(stderr);
	cli_progress_shown = true;
}

static void progress_clear(void)
{
	if (cli_progress_shown) {
		fputs("\r\033[K", stderr);
		cli_progress_shown = false;
	}
}

/* ---- Ctrl-C --------------------------------------------------------------- */

/* The handler only raises a flag: the library call in progress runs to its
 * end, so a document is either completely indexed or not at all. */
static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	interrupted = sig;
}

/* ---- the command ---------------------------------------------------------- */

typedef struct totals {
	size_t documents, failed;
	uint64_t paragraphs, replaced, bytes;
	bool fatal;
} totals;

static void index_one(zhfts_db *db, const char *path, const char *id,
                      const zhfts_doc_options *dopts, totals *t)
{
	zhfts_doc_info info;
	const char *msg;
	char *data;
	size_t len;
	int rc;

	if (cli_read_file(path, &data, &len) != 0) {
		cli_error("%s: %s; skipped", path, strerror(errno));
		t->failed++;
		return;
	}
	rc = zhfts_db_add_document(db, id, data, len, dopts, &info);
	free(data);
	if (rc == ZHFTS_OK) {
		t->documents++;
		t->paragraphs += info.paragraphs;
		t->replaced += info.replaced;
		t->bytes += len;
		return;
	}
	msg = zhfts_db_errmsg(db);
	if (strncmp(msg, id, strlen(id)) == 0) /* the message names the document already */
		cli_error("%s; skipped", msg);
	else
		cli_error("%s: %s; skipped", path, msg);
	t->failed++;
	/* Bad bytes or a bad id spoil one document; anything else (I/O, memory)
	 * will spoil the next ones too. */
	if (rc != ZHFTS_EENCODING && rc != ZHFTS_EINVAL && rc != ZHFTS_ELIMIT)
		t->fatal = true;
}

int cmd_index(int argc, char **argv)
{
	cli_args a;
	file_list files = {0};
	zhfts_options opts = ZHFTS_OPTIONS_INIT;
	zhfts_doc_options dopts = ZHFTS_DOC_OPTIONS_INIT;
	zhfts_db *db = NULL;
	totals t = {0};
	progress p = {0};
	struct sigaction sa, old_int, old_term;
	int collect_errors = 0, rc;

	if (cli_parse(argc, argv, OPT_DB | OPT_ID | OPT_ENCODING | OPT_LINES | OPT_QUIET |
	                                  OPT_NO_TRADITIONAL, &a) != 0)
		return EXIT_TROUBLE;
	if (a.help) {
		fputs(usage, stdout);
		return cli_finish(EXIT_MATCH);
	}
	if (a.npos == 0) {
		cli_error("index: no FILE or DIR given (see zhfts index --help)");
		return EXIT_TROUBLE;
	}
	p.start = now();
	for (int i = 0; i < a.npos; i++)
		collect_errors += collect(&files, a.pos[i]);
	if (files.out_of_memory) {
		cli_error("index: out of memory");
		list_free(&files);
		return EXIT_TROUBLE;
	}
	if (a.id && (a.npos != 1 || files.n != 1)) {
		cli_error("index: --id names one document: give exactly one FILE");
		list_free(&files);
		return EXIT_TROUBLE;
	}

	opts.paragraph_mode = a.lines ? ZHFTS_PARAGRAPH_LINE : ZHFTS_DEFAULT;
	opts.traditional = a.no_traditional ? ZHFTS_OFF : ZHFTS_DEFAULT;
	dopts.encoding = a.encoding;
	if (cli_open_db(&a, ZHFTS_OPEN_CREATE, &opts, &db) != 0) {
		list_free(&files);
		return EXIT_TROUBLE;
	}

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);

	p.on = !a.quiet && isatty(STDERR_FILENO);
	p.files = files.n;
	p.bytes = files.bytes;
	progress_draw(&p, true);
	for (size_t i = 0; i < files.n && !interrupted && !t.fatal; i++) {
		const char *path = files.items[i].path;
		index_one(db, path, a.id ? a.id : path, &dopts, &t);
		p.files_done++;
		p.bytes_done += files.items[i].size;
		progress_draw(&p, i + 1 == files.n);
	}
	progress_clear();

	/* Closing commits: everything indexed so far becomes durable. */
	rc = zhfts_db_close(db);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (rc != ZHFTS_OK) {
		cli_error("%s: commit failed, the changes of this run may be lost: %s", a.db,
		          zhfts_strerror(rc));
		list_free(&files);
		return EXIT_TROUBLE;
	}
	if (interrupted)
		cli_error("index: interrupted; kept the %zu documents indexed before", t.documents);
	if (!a.quiet) {
		printf("indexed %zu document%s, %" PRIu64 " paragraphs, %.2f MB in %.2f s",
		       t.documents, t.documents == 1 ? "" : "s", t.paragraphs, (double)t.bytes / 1e6,
		       now() - p.start);
		if (t.replaced)
			printf(" (replaced %" PRIu64 " old paragraphs)", t.replaced);
		if (t.failed + (size_t)collect_errors)
			printf("; %zu failed", t.failed + (size_t)collect_errors);
		putchar('\n');
	}
	list_free(&files);
	return cli_finish(interrupted || t.failed || collect_errors ? EXIT_TROUBLE : EXIT_MATCH);
}
