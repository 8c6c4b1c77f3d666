/* zhfts index: add files to a database, replacing earlier versions. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static const char usage[] =
	"usage: zhfts index [--db DIR|STUB] [--id ID] [--encoding NAME] [--lenient] [--lines]\n"
	"                   [--field NAME=VALUE]... [--no-traditional] [--termlist] [--quiet]\n"
	"                   [--jobs N] [--timeout SECONDS] FILE|DIR...\n"
	"\n"
	"Indexes each file as one document, replacing an earlier version with the\n"
	"same id.  Directories are walked for *.txt and *.md files.\n"
	"\n"
	"  --db DIR          the database, or a stub file of shards (default: $ZHFTS_DB,\n"
	"                    else ./zhfts.db)\n"
	"  --id ID           document id for a single FILE (default: the path as given)\n"
	"  --encoding NAME   charset of the files, e.g. GB18030 (default: detect)\n"
	"  --lenient         replace invalid bytes with U+FFFD instead of skipping the file\n"
	"  --field NAME=VALUE  a field of every file indexed (repeatable): district=海淀区,\n"
	"                    year=2020; title and date are read from a report's first lines\n"
	"                    when not given\n"
	"  --lines           every non-blank line is a paragraph (new databases only)\n"
	"  --no-traditional  don't fold Traditional to Simplified (new databases only)\n"
	"  --termlist        keep Xapian's termlist, so that xapian-tcpsrv can serve the\n"
	"                    database (new databases only; about 40%% larger)\n"
	"  --quiet           no progress bar and no summary line\n"
	"  --jobs N          index a new database with N processes (default: one per\n"
	"                    core); a new database is compacted at the end, whatever N.\n"
	"                    With a stub and N > 1: one writer process per shard\n"
	"  --timeout SECONDS how long a remote shard may take to answer (default 10)\n"
	"\n"
	"Ctrl-C stops after the current file and keeps every file indexed so far.\n"
	"Exit status: 0 if every file was indexed, 2 if any failed or on interrupt.\n";

/* ---- the files to index ------------------------------------------------- */

typedef struct file_entry {
	char *path;
	uint64_t size;
	size_t seq; /* as listed */
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
	l->items[l->n].seq = l->n;
	l->n++;
	l->bytes += size;
}

static void list_free(file_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i].path);
	free(l->items);
}

/* A directory's files in id order (the path is the id): a database filled
 * in id order has its docids in document order, which makes ties in the
 * ranking cost nothing (see the library's docorder.c).  Files named on the
 * command line keep the order given. */
static int by_path(const void *a, const void *b)
{
	const file_entry *x = a, *y = b;
	int c = strcmp(x->path, y->path);

	return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
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
	if (S_ISDIR(st.st_mode)) {
		size_t first = l->n;
		int rc = walk(l, path);

		if (l->n - first > 1)
			qsort(l->items + first, l->n - first, sizeof *l->items, by_path);
		return rc;
	}
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

/* ---- indexing files --------------------------------------------------------- */

typedef struct totals {
	size_t documents, failed, unchanged;
	uint64_t paragraphs, replaced, bytes;
	bool fatal;
} totals;

static void index_one(zhfts_db *db, const char *path, const char *id,
                      const zhfts_doc_options *dopts, totals *t)
{
	zhfts_doc_info info = ZHFTS_DOC_INFO_INIT;
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
		t->unchanged += info.unchanged;
		t->bytes += len;
		return;
	}
	msg = zhfts_db_errmsg(db);
	const char *hint = rc == ZHFTS_EENCODING && !dopts->encoding && !(dopts->flags & ZHFTS_DOC_LENIENT)
	                       ? " (name the charset with --encoding, or --lenient to replace bad bytes)"
	                       : "";
	if (strncmp(msg, id, strlen(id)) == 0) /* the message names the document already */
		cli_error("%s; skipped%s", msg, hint);
	else
		cli_error("%s: %s; skipped%s", path, msg, hint);
	t->failed++;
	/* Bad bytes or a bad id spoil one document; anything else (I/O, memory,
	 * a --field the library refuses) will spoil the next ones too. */
	if ((rc != ZHFTS_EENCODING && rc != ZHFTS_EINVAL && rc != ZHFTS_ELIMIT) ||
	    (rc == ZHFTS_EINVAL && zhfts_db_error(db)->field))
		t->fatal = true;
}

/* One job: files go straight into the database, in the order given. */
static int index_serial(const cli_args *a, unsigned int flags, const file_list *files,
                        const zhfts_options *opts, const zhfts_doc_options *dopts, progress *p,
                        totals *t)
{
	zhfts_db *db = NULL;
	int rc;

	if (cli_open_db(a, ZHFTS_OPEN_CREATE | (a->termlist ? ZHFTS_OPEN_TERMLIST : 0) | flags, opts, &db) != 0)
		return EXIT_TROUBLE;
	for (size_t i = 0; i < files->n && !interrupted && !t->fatal; i++) {
		const char *path = files->items[i].path;
		index_one(db, path, a->id ? a->id : path, dopts, t);
		p->files_done++;
		p->bytes_done += files->items[i].size;
		progress_draw(p, i + 1 == files->n);
	}
	progress_clear();

	/* Closing commits: everything indexed so far becomes durable. */
	rc = zhfts_db_close(db);
	if (rc != ZHFTS_OK) {
		cli_error("%s: commit failed, the changes of this run may be lost: %s", a->db,
		          zhfts_strerror(rc));
		return EXIT_TROUBLE;
	}
	return 0;
}

/* ---- several jobs: a shard per worker process, merged at the end ---------- */

/* Xapian lets one writer at a time into a database, and its write path is
 * most of the work; so each worker writes its own shard, and the shards are
 * merged (compacted) into the new database when all are done. */

/* What a worker tells the parent after each file: small enough (< PIPE_BUF)
 * that each write arrives whole. */
typedef struct report {
	uint64_t size; /* the file's listed size, for the progress bar */
	totals t;      /* what this one file added */
} report;

typedef struct worker_pipe {
	pid_t pid;
	int fd;      /* read end of the worker's pipe; -1 once it is reaped */
	report r;    /* the report being read */
	size_t have; /* bytes of it read so far */
} worker_pipe;

static int by_path_ptr(const void *a, const void *b)
{
	return by_path(*(const file_entry *const *)a, *(const file_entry *const *)b);
}

/* owner[i] is the worker of file i: consecutive runs of about as many bytes
 * each, so that the shards, merged in worker order, keep the files' order.
 * A path listed twice goes to the worker of its first listing: a replace
 * within one shard rather than the same id in two shards, which cannot be
 * merged.  NULL if out of memory. */
static size_t *assign(const file_list *l, size_t jobs)
{
	size_t *owner = malloc((l->n ? l->n : 1) * sizeof *owner);
	const file_entry **order = malloc((l->n ? l->n : 1) * sizeof *order);
	uint64_t before = 0;

	if (!owner || !order) {
		free(owner);
		free(order);
		return NULL;
	}
	for (size_t i = 0; i < l->n; i++) {
		size_t k = l->bytes ? (size_t)((double)before / (double)l->bytes * (double)jobs) : i * jobs / l->n;

		if (k >= jobs)
			k = jobs - 1;
		if (i && k < owner[i - 1])
			k = owner[i - 1];
		/* every worker gets a file while there are enough left */
		if (i && l->n - i <= jobs - 1 - owner[i - 1] && k == owner[i - 1])
			k = owner[i - 1] + 1;
		owner[i] = k;
		before += l->items[i].size;
		order[i] = &l->items[i];
	}
	qsort(order, l->n, sizeof *order, by_path_ptr);
	for (size_t i = 1; i < l->n; i++)
		if (strcmp(order[i]->path, order[i - 1]->path) == 0)
			owner[order[i] - l->items] = owner[order[i - 1] - l->items];
	free(order);
	return owner;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *b = buf;

	while (len > 0) {
		ssize_t n = write(fd, b, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The worker process: indexes its files into its shard, reporting each file
 * on @out.  Returns its exit status: 0 once the shard is committed (some files
 * may have failed; they were reported), else EXIT_TROUBLE. */
static int worker(const char *shard, const file_list *files, const char *id, const size_t *owner,
                  size_t self, const zhfts_options *opts, const zhfts_doc_options *dopts, bool bar,
                  unsigned flags, int out)
{
	/* shard: a new database of its own, or (with opts->write_shard) the stub
	 * whose shard it alone writes. */
	static char errbuf[8192];
	zhfts_db *db;
	char *msg = NULL;
	int rc;

	/* Each message leaves in one write, so lines of two workers don't mix. */
	setvbuf(stderr, errbuf, _IOFBF, sizeof errbuf);
	rc = zhfts_db_open(&db, shard, ZHFTS_OPEN_CREATE | flags, opts, &msg);
	if (rc != ZHFTS_OK) {
		cli_error("%s: %s", shard, msg ? msg : zhfts_strerror(rc));
		zhfts_free(msg);
		fflush(stderr);
		return EXIT_TROUBLE;
	}
	for (size_t i = 0; i < files->n && !interrupted; i++) {
		report r = {files->items[i].size, {0}};

		if (owner[i] != self)
			continue;
		cli_progress_shown = bar; /* the parent's bar: a message clears it first */
		index_one(db, files->items[i].path, id ? id : files->items[i].path, dopts, &r.t);
		fflush(stderr);
		if (write_all(out, &r, sizeof r) != 0 || r.t.fatal)
			break;
	}
	/* The shard holds every file reported as indexed once this commits.
	 * (Committed before closing, so that a failure's message, which names
	 * the shard of a stub, is still on the handle.) */
	rc = zhfts_db_commit(db);
	if (rc != ZHFTS_OK)
		cli_error("%s: commit failed: %s", shard, zhfts_db_errmsg(db));
	if (zhfts_db_close(db) != ZHFTS_OK && rc == ZHFTS_OK) {
		cli_error("%s: closing failed", shard);
		rc = ZHFTS_EIO;
	}
	if (rc != ZHFTS_OK) {
		fflush(stderr);
		return EXIT_TROUBLE;
	}
	return 0;
}

/* Reads what a worker sent into the totals; false once it closed its pipe. */
static bool drain(worker_pipe *w, totals *t, progress *p)
{
	ssize_t got = read(w->fd, (char *)&w->r + w->have, sizeof w->r - w->have);

	if (got < 0)
		return errno == EINTR || errno == EAGAIN;
	if (got == 0)
		return false;
	w->have += (size_t)got;
	if (w->have == sizeof w->r) {
		t->documents += w->r.t.documents;
		t->failed += w->r.t.failed;
		t->paragraphs += w->r.t.paragraphs;
		t->replaced += w->r.t.replaced;
		t->unchanged += w->r.t.unchanged;
		t->bytes += w->r.t.bytes;
		t->fatal = t->fatal || w->r.t.fatal;
		p->files_done++;
		p->bytes_done += w->r.size;
		progress_draw(p, p->files_done == p->files);
		w->have = 0;
	}
	return true;
}

/* Waits for a worker that closed its pipe; true if its shard is good. */
static bool reap(worker_pipe *w, size_t k)
{
	int st;

	close(w->fd);
	w->fd = -1;
	while (waitpid(w->pid, &st, 0) < 0) {
		if (errno != EINTR) {
			cli_error("index: worker %zu: %s", k + 1, strerror(errno));
			return false;
		}
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return true;
	if (WIFSIGNALED(st))
		cli_error("index: worker %zu (pid %ld) was killed by signal %d", k + 1, (long)w->pid,
		          WTERMSIG(st));
	return false; /* else it said why */
}

/* Removes a shard: a directory of plain files (Xapian's glass backend). */
static void remove_shard(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d) {
		if (errno != ENOENT)
			cli_error("%s: %s; remove it by hand", dir, strerror(errno));
		return;
	}
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(dir) + strlen(e->d_name) + 2;
		char *path;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if ((path = malloc(len)) != NULL) {
			snprintf(path, len, "%s/%s", dir, e->d_name);
			unlink(path);
			free(path);
		}
	}
	closedir(d);
	if (rmdir(dir) != 0)
		cli_error("%s: %s; remove it by hand", dir, strerror(errno));
}

/* One job into a new database: the files go into a shard next to it (as
 * with --jobs), which is then compacted into place.  Ctrl-C keeps what was
 * indexed, as in index_serial(); if the merge fails the shard is kept. */
static int index_fresh(const cli_args *a, const file_list *files, const zhfts_options *opts,
                       const zhfts_doc_options *dopts, progress *p, totals *t)
{
	size_t base = strlen(a->db);
	char *shard = malloc(base + 64), *msg = NULL;
	cli_args b = *a;
	int rc;

	if (!shard) {
		cli_error("index: out of memory");
		return EXIT_TROUBLE;
	}
	while (base > 1 && a->db[base - 1] == '/')
		base--;
	snprintf(shard, base + 64, "%.*s.shard-1-%ld", (int)base, a->db, (long)getpid());
	b.db = shard;
	rc = index_serial(&b, ZHFTS_OPEN_NO_SYNC, files, opts, dopts, p, t);
	if (access(shard, F_OK) == 0) { /* whatever it committed, even after a failure */
		int merged = zhfts_db_merge(a->db, (const char *const *)&shard, 1, &msg);

		if (merged != ZHFTS_OK) {
			cli_error("%s: compacting the new database failed: %s; the indexed documents are in %s",
			          a->db, msg ? msg : zhfts_strerror(merged), shard);
			rc = EXIT_TROUBLE;
		} else {
			remove_shard(shard);
		}
	}
	zhfts_free(msg);
	free(shard);
	return rc;
}

/* Runs `jobs` worker processes, worker k writing paths[k] with its files
 * (owner[i] == k) and opts[k], and gathers their reports.  On Ctrl-C the
 * workers stop after their current file.  Returns false if a worker failed
 * or could not start (after a message); *nstarted says how many ran.  In a
 * worker it does not return. */
static bool run_workers(const cli_args *a, const file_list *files, const size_t *owner, size_t jobs,
                        char *const *paths, const zhfts_options *opts, unsigned flags,
                        const zhfts_doc_options *dopts, progress *p, totals *t, size_t *nstarted)
{
	worker_pipe *w = calloc(jobs, sizeof *w);
	struct pollfd *pfd = calloc(jobs, sizeof *pfd);
	size_t started = 0, running;
	bool broken = !w || !pfd, lost = false, stopping = false;

	if (broken)
		cli_error("index: out of memory");
	fflush(stdout); /* or the workers would write it again */
	fflush(stderr);
	for (; !broken && started < jobs; started++) {
		int fds[2];
		pid_t pid;

		if (pipe(fds) != 0) {
			cli_error("index: cannot start a worker: %s", strerror(errno));
			broken = true;
			break;
		}
		if ((pid = fork()) < 0) {
			cli_error("index: cannot start a worker: %s", strerror(errno));
			close(fds[0]);
			close(fds[1]);
			broken = true;
			break;
		}
		if (pid == 0) {
			int rc;

			for (size_t k = 0; k < started; k++)
				close(w[k].fd);
			close(fds[0]);
			rc = worker(paths[started], files, a->id, owner, started, &opts[started], dopts, p->on, flags,
			            fds[1]);
			free(pfd);
			free(w);
			exit(rc);
		}
		close(fds[1]);
		w[started].pid = pid;
		w[started].fd = fds[0];
	}

	for (running = started; running > 0;) {
		if ((interrupted || t->fatal || broken || lost) && !stopping) {
			/* Ctrl-C on a terminal reached the workers already; kill(1) did not. */
			stopping = true;
			for (size_t k = 0; k < started; k++)
				if (w[k].fd >= 0)
					kill(w[k].pid, SIGINT);
		}
		for (size_t k = 0; k < started; k++) {
			pfd[k].fd = w[k].fd; /* poll skips the -1 of a reaped worker */
			pfd[k].events = POLLIN;
		}
		if (poll(pfd, started, -1) < 0) {
			if (errno == EINTR)
				continue;
			cli_error("index: %s", strerror(errno));
			broken = true;
			break;
		}
		for (size_t k = 0; k < started; k++) {
			if (w[k].fd < 0 || !pfd[k].revents || drain(&w[k], t, p))
				continue;
			lost = !reap(&w[k], k) || lost;
			running--;
		}
	}
	for (size_t k = 0; w && k < started; k++) { /* only after a failed poll */
		if (w[k].fd >= 0) {
			kill(w[k].pid, SIGINT);
			lost = !reap(&w[k], k) || lost;
		}
	}
	progress_clear();
	free(pfd);
	free(w);
	*nstarted = started;
	return !broken && !lost;
}

/* Several jobs into a new database: a worker per shard next to it, then the
 * shards merged into @a->db and removed.  On Ctrl-C the shards (whole
 * documents only) are merged all the same; if a worker fails, nothing is
 * merged. */
static int index_parallel(const cli_args *a, const file_list *files, const zhfts_options *opts,
                          const zhfts_doc_options *dopts, size_t jobs, progress *p, totals *t)
{
	char **shards = calloc(jobs, sizeof *shards);
	zhfts_options *each = calloc(jobs, sizeof *each);
	size_t *owner = assign(files, jobs);
	size_t started = 0, base = strlen(a->db);
	bool ok = shards && each && owner;

	for (size_t k = 0; ok && k < jobs; k++) {
		ok = (shards[k] = malloc(base + 64)) != NULL;
		each[k] = *opts;
	}
	if (!ok) {
		cli_error("index: out of memory");
		goto done;
	}
	/* The shards sit next to the database: the same file system, so the
	 * merge reads and writes locally, and a leftover is easy to spot. */
	while (base > 1 && a->db[base - 1] == '/')
		base--;
	for (size_t k = 0; k < jobs; k++)
		snprintf(shards[k], base + 64, "%.*s.shard-%zu-%ld", (int)base, a->db, k + 1, (long)getpid());
	ok = run_workers(a, files, owner, jobs, shards, each,
	                 ZHFTS_OPEN_NO_SYNC | (a->termlist ? ZHFTS_OPEN_TERMLIST : 0), dopts, p, t, &started);
	if (!ok)
		cli_error("index: a worker failed: nothing is written to %s", a->db);
	if (ok) {
		char *msg = NULL;
		int merged = zhfts_db_merge(a->db, (const char *const *)shards, started, &msg);

		if (merged != ZHFTS_OK) {
			cli_error("%s: merging the shards failed: %s", a->db, msg ? msg : zhfts_strerror(merged));
			ok = false;
		}
		zhfts_free(msg);
	}
	for (size_t k = 0; k < started; k++)
		remove_shard(shards[k]);
done:
	for (size_t k = 0; shards && k < jobs; k++)
		free(shards[k]);
	free(shards);
	free(each);
	free(owner);
	return ok ? 0 : EXIT_TROUBLE;
}

/* A stub of shards, one writer process per shard: each file goes to the
 * worker of the shard that holds its document, or that its id hashes to
 * (the library says which).  A worker that fails loses only its shard's
 * uncommitted documents; the others keep theirs. */
static int index_stub_parallel(const cli_args *a, const file_list *files, const zhfts_options *opts,
                               const zhfts_doc_options *dopts, progress *p, totals *t)
{
	zhfts_db *db = NULL;
	size_t nshards, started = 0;
	int status = EXIT_TROUBLE;

	/* Open it for writing once, so that shards never written become zhfts
	 * databases, then read it to place the files. */
	if (cli_open_db(a, ZHFTS_OPEN_CREATE | (a->termlist ? ZHFTS_OPEN_TERMLIST : 0), opts, &db) != 0)
		return EXIT_TROUBLE;
	zhfts_db_close(db);
	if (cli_open_db(a, ZHFTS_OPEN_READONLY, opts, &db) != 0)
		return EXIT_TROUBLE;
	nshards = zhfts_db_shard_count(db);
	size_t *owner = calloc(files->n ? files->n : 1, sizeof *owner);
	char **paths = calloc(nshards, sizeof *paths);
	zhfts_options *each = calloc(nshards, sizeof *each);
	bool ok = owner && paths && each;

	if (!ok)
		cli_error("index: out of memory");
	for (size_t i = 0; ok && i < files->n; i++) {
		const char *id = a->id ? a->id : files->items[i].path;

		if (zhfts_db_shard_of(db, id, &owner[i]) != ZHFTS_OK) {
			cli_error("%s: %s", a->db, zhfts_db_errmsg(db));
			ok = false;
		}
	}
	zhfts_db_close(db);
	for (size_t k = 0; ok && k < nshards; k++) {
		paths[k] = (char *)a->db;
		each[k] = *opts;
		each[k].version = ZHFTS_OPTIONS_VERSION;
		each[k].remote_timeout_ms = a->timeout_ms;
		each[k].write_shard = (unsigned)k + 1;
	}
	if (ok && !run_workers(a, files, owner, nshards, paths, each, a->termlist ? ZHFTS_OPEN_TERMLIST : 0, dopts,
	                       p, t, &started))
		cli_error("index: a worker failed: the other shards keep what they indexed");
	else if (ok)
		status = 0;
	free(owner);
	free(paths);
	free(each);
	return status;
}

/* ---- the command ---------------------------------------------------------- */

int cmd_index(int argc, char **argv)
{
	cli_args a;
	file_list files = {0};
	zhfts_options opts = ZHFTS_OPTIONS_INIT;
	zhfts_doc_options dopts = ZHFTS_DOC_OPTIONS_INIT;
	totals t = {0};
	progress p = {0};
	struct sigaction sa, old_int, old_term;
	struct stat st;
	size_t jobs;
	bool fresh, stub;
	int collect_errors = 0, rc;

	if (cli_parse(argc, argv, OPT_DB | OPT_ID | OPT_ENCODING | OPT_LINES | OPT_QUIET |
	                                  OPT_NO_TRADITIONAL | OPT_JOBS | OPT_FIELD | OPT_LENIENT | OPT_TERMLIST |
	                                  OPT_TIMEOUT,
	              &a) != 0)
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
	dopts.flags = a.lenient ? ZHFTS_DOC_LENIENT : 0;
	dopts.fields = a.fields;
	dopts.nfields = a.nfields;
	/* Merging builds a new database: an existing one is updated in place, by
	 * one writer, so that each re-indexed document is replaced atomically.
	 * A new one is built in shards, one per core unless --jobs says (one
	 * with one job), and compacted into place. */
	fresh = stat(a.db, &st) != 0 && errno == ENOENT;
	stub = !fresh && S_ISREG(st.st_mode);
	if (stub) {
		/* A stub of shards: one writer, or one per shard with --jobs. */
		if (a.jobs == 0)
			a.jobs = 1;
	} else if (a.jobs == 0) {
		long cores = sysconf(_SC_NPROCESSORS_ONLN);
		a.jobs = fresh && cores > 1 ? (size_t)cores : 1;
	} else if (a.jobs > 1 && !fresh) {
		cli_error("index: parallel indexing needs a new database and %s exists; using one job",
		          a.db);
		a.jobs = 1;
	}
	jobs = a.jobs < files.n ? a.jobs : files.n;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);

	p.on = !a.quiet && isatty(STDERR_FILENO);
	p.files = files.n;
	p.bytes = files.bytes;
	progress_draw(&p, true);
	if (stub && jobs > 1)
		rc = index_stub_parallel(&a, &files, &opts, &dopts, &p, &t);
	else if (jobs > 1)
		rc = index_parallel(&a, &files, &opts, &dopts, jobs, &p, &t);
	else if (fresh && files.n)
		rc = index_fresh(&a, &files, &opts, &dopts, &p, &t);
	else
		rc = index_serial(&a, 0, &files, &opts, &dopts, &p, &t);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (rc != 0) {
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
		if (t.unchanged)
			printf("; %zu unchanged, not rewritten", t.unchanged);
		if (t.failed + (size_t)collect_errors)
			printf("; %zu failed", t.failed + (size_t)collect_errors);
		putchar('\n');
	}
	list_free(&files);
	return cli_finish(interrupted || t.failed || collect_errors ? EXIT_TROUBLE : EXIT_MATCH);
}
