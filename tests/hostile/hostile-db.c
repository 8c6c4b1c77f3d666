/*
 * Hostile databases: a path that is a file, a directory we may not read,
 * another index format, a Xapian database zhfts did not write, truncated and
 * corrupted files, and a full disk.  Whatever happens must be a clear status
 * with a message, never a crash; each damaged database is opened in a child
 * process so that a crash is seen as such.
 *
 * Links the internal archive only to write foreign metadata and documents
 * through the Xapian binding.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hostile-util.h"
#include "zhfts-private.h"

/* A document of `paras` paragraphs whose text names the document. */
static void make_doc(hbuf *b, int id, int paras)
{
	b->len = 0;
	for (int p = 0; p < paras; p++)
		hb_printf(b, "文档%d第%d段：推进科学城建设，发展数字经济，编号%d。\n\n", id, p + 1, id * 1000 + p);
}

static char *make_db(const char *tag, int docs)
{
	char *path = hu_tmppath(tag);
	zhfts_db *db = NULL;
	int rc = zhfts_db_open(&db, path, ZHFTS_OPEN_CREATE, NULL, NULL);
	CU_ASSERT_EQUAL_FATAL(rc, ZHFTS_OK);
	hbuf b = {0};
	for (int i = 0; i < docs; i++) {
		char id[32];
		snprintf(id, sizeof id, "doc-%03d", i);
		make_doc(&b, i, 1 + i % 5);
		HU_OK(db, zhfts_db_add_document(db, id, b.s, b.len, NULL, NULL));
	}
	HU_OK(db, zhfts_db_close(db));
	free(b.s);
	return path;
}

static bool failure_status(int rc)
{
	return rc == ZHFTS_ENOTFOUND || rc == ZHFTS_ECORRUPT || rc == ZHFTS_EIO || rc == ZHFTS_EVERSION;
}

/* Opens read-only and for writing; each must fail cleanly with a message. */
static void expect_open_fails(const char *path, const char *what)
{
	static const unsigned flags[] = {ZHFTS_OPEN_READONLY, ZHFTS_OPEN_WRITE, ZHFTS_OPEN_CREATE};
	for (size_t i = 0; i < 3; i++) {
		zhfts_db *db = NULL;
		char *msg = NULL;
		int rc = zhfts_db_open(&db, path, flags[i], NULL, &msg);
		if (!failure_status(rc) || !msg || !strstr(msg, path))
			fprintf(stderr, "\n%s, flags %u: %d '%s'\n", what, flags[i], rc, msg ? msg : "(null)");
		CU_ASSERT(failure_status(rc));
		CU_ASSERT_PTR_NULL(db);
		CU_ASSERT(msg && strstr(msg, path));
		zhfts_free(msg);
		zhfts_db_close(db);
	}
}

static void test_path_is_file(void)
{
	char *path = hu_tmppath("file");
	FILE *f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("not a database\n", f);
	fclose(f);
	expect_open_fails(path, "a plain file");
	unlink(path);
	/* An empty directory opened read-only: not found, not created. */
	mkdir(path, 0700);
	zhfts_db *db = NULL;
	char *msg = NULL;
	int rc = zhfts_db_open(&db, path, ZHFTS_OPEN_READONLY, NULL, &msg);
	CU_ASSERT(failure_status(rc));
	zhfts_free(msg);
	/* A directory of junk files. */
	static const char *const junk[] = {"iamglass", "postlist.glass", "docdata.glass", "flintlock"};
	for (int i = 0; i < 4; i++) {
		char p[4096];
		snprintf(p, sizeof p, "%s/%s", path, junk[i]);
		f = fopen(p, "w");
		CU_ASSERT_PTR_NOT_NULL_FATAL(f);
		fputs("junk junk junk", f);
		fclose(f);
	}
	expect_open_fails(path, "a directory of junk");
	hu_rmrf(path);
	free(path);
}

static int open_as_nobody(void *arg)
{
	const char *path = arg;
	if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
		return 10;
	int fails = 0;
	static const unsigned flags[] = {ZHFTS_OPEN_READONLY, ZHFTS_OPEN_WRITE, ZHFTS_OPEN_CREATE};
	for (int i = 0; i < 3; i++) {
		zhfts_db *db = NULL;
		char *msg = NULL;
		int rc = zhfts_db_open(&db, path, flags[i], NULL, &msg);
		if (!(rc == ZHFTS_EIO || rc == ZHFTS_ENOTFOUND) || !msg || !strstr(msg, path)) {
			fprintf(stderr, "\nunreadable directory, flags %u: %d '%s'\n", flags[i], rc, msg ? msg : "");
			fails++;
		}
		zhfts_free(msg);
		zhfts_db_close(db);
	}
	return fails ? 1 : 0;
}

static void test_no_permission(void)
{
	char *dir = hu_tmppath("perm");
	if (!dir || mkdir(dir, 0700) != 0) /* the check keeps gcc -fsanitize from warning */
		CU_FAIL_FATAL("mkdir");
	char *path = make_db("perm-db", 3);
	hbuf inner = {0};
	hb_printf(&inner, "%s/db", dir);
	CU_ASSERT_EQUAL_FATAL(rename(path, inner.s), 0);
	/* Root ignores permissions: the child drops to nobody first. */
	CU_ASSERT_EQUAL_FATAL(chmod(dir, 0), 0);
	CU_ASSERT_EQUAL(hu_in_child(open_as_nobody, inner.s), 0);
	free(inner.s);
	chmod(dir, 0700);
	hu_rmrf(dir);
	free(dir);
	free(path);
}

static void set_settings(const char *path, const char *value)
{
	zx_db *x = NULL;
	zerr err = {0};
	CU_ASSERT_EQUAL_FATAL(zx_open(&x, path, ZX_OPEN, false, &err), ZHFTS_OK);
	CU_ASSERT_EQUAL(zx_metadata_set(x, "zhfts.settings", value, strlen(value), &err), ZHFTS_OK);
	CU_ASSERT_EQUAL(zx_commit(x, &err), ZHFTS_OK);
	CU_ASSERT_EQUAL(zx_close(x, &err), ZHFTS_OK);
}

static void expect_status(const char *path, unsigned flags, int want, const char *needle)
{
	zhfts_db *db = NULL;
	char *msg = NULL;
	int rc = zhfts_db_open(&db, path, flags, NULL, &msg);
	if (rc != want || !msg || !strstr(msg, needle))
		fprintf(stderr, "\nopen %s: %d '%s' (want %d, '%s')\n", path, rc, msg ? msg : "", want, needle);
	CU_ASSERT_EQUAL(rc, want);
	CU_ASSERT(msg && strstr(msg, needle));
	zhfts_free(msg);
	zhfts_db_close(db);
}

static void test_other_formats(void)
{
	char *path = make_db("format", 3);
	/* A newer index format. */
	set_settings(path, "format=999 normalize=1 traditional=1 paragraphs=blank unicode=15.0 icu=72");
	expect_status(path, ZHFTS_OPEN_READONLY, ZHFTS_EVERSION, "999");
	expect_status(path, ZHFTS_OPEN_WRITE, ZHFTS_EVERSION, "999");
	/* Settings that make no sense. */
	set_settings(path, "\xff\xfe garbage");
	expect_status(path, ZHFTS_OPEN_READONLY, ZHFTS_ECORRUPT, path);
	char current[32]; /* this library's format, and nothing else */
	snprintf(current, sizeof current, "format=%d", ZHFTS_INDEX_FORMAT);
	set_settings(path, current);
	expect_status(path, ZHFTS_OPEN_READONLY, ZHFTS_ECORRUPT, path);
	hu_rmrf(path);
	free(path);

	/* A Xapian database with documents that zhfts did not write. */
	path = hu_tmppath("foreign");
	zx_db *x = NULL;
	zerr err = {0};
	CU_ASSERT_EQUAL_FATAL(zx_open(&x, path, ZX_CREATE, false, &err), ZHFTS_OK);
	zx_doc *d = NULL;
	CU_ASSERT_EQUAL_FATAL(zx_doc_new(&d), ZHFTS_OK);
	zx_doc_term(d, "hello", 5);
	zx_doc_data(d, "not a zhfts record", 18);
	CU_ASSERT_EQUAL(zx_add(x, d, NULL, &err), ZHFTS_OK);
	zx_doc_free(d);
	CU_ASSERT_EQUAL(zx_close(x, &err), ZHFTS_OK);
	expect_status(path, ZHFTS_OPEN_READONLY, ZHFTS_ECORRUPT, path);
	expect_status(path, ZHFTS_OPEN_WRITE, ZHFTS_ECORRUPT, path);
	hu_rmrf(path);
	free(path);
}

/* ---- damaged files ---------------------------------------------------------------- */

typedef struct damage {
	const char *path;
	char what[256];
} damage;

static int allowed(int rc)
{
	return rc == ZHFTS_OK || failure_status(rc);
}

/* In a child: use the damaged database every way a reader can. */
static int use_damaged(void *arg)
{
	const damage *d = arg;
	zhfts_db *db = NULL;
	char *msg = NULL;
	int rc = zhfts_db_open(&db, d->path, ZHFTS_OPEN_READONLY, NULL, &msg);
	if (rc) {
		int ok = failure_status(rc) && msg && *msg;
		if (!ok)
			fprintf(stderr, "\n%s: open -> %d '%s'\n", d->what, rc, msg ? msg : "(null)");
		zhfts_free(msg);
		return ok ? 0 : 1;
	}
	int bad = 0;
	static const char *const queries[] = {"科学城", "\"数字经济\"", "文档1 OR 编号", "section:任务"};
	for (int i = 0; i < 4; i++) {
		zhfts_results *res = NULL;
		rc = zhfts_db_search(db, queries[i], strlen(queries[i]), NULL, &res);
		if (!allowed(rc) || (rc && !*zhfts_db_errmsg(db))) {
			fprintf(stderr, "\n%s: search -> %d '%s'\n", d->what, rc, zhfts_db_errmsg(db));
			bad = 1;
		}
		zhfts_results_free(res);
	}
	zhfts_stats st = ZHFTS_STATS_INIT;
	rc = zhfts_db_stats(db, ZHFTS_STATS_TERMS, &st);
	bad |= !allowed(rc);
	for (int i = 0; i < 8; i++) {
		char id[32];
		snprintf(id, sizeof id, "doc-%03d", i);
		zhfts_results *res = NULL;
		rc = zhfts_db_get_document(db, id, &res);
		if (!allowed(rc)) {
			fprintf(stderr, "\n%s: get_document -> %d '%s'\n", d->what, rc, zhfts_db_errmsg(db));
			bad = 1;
		}
		zhfts_results_free(res);
	}
	zhfts_db_close(db);
	return bad;
}

static void copy_dir(const char *from, const char *to)
{
	char cmd[8192];
	snprintf(cmd, sizeof cmd, "cp -r '%s' '%s'", from, to);
	CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
}

static void test_damaged_files(void)
{
	char *orig = make_db("damage", 40);
	DIR *dir = opendir(orig);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	struct dirent *e;
	int runs = 0;
	while ((e = readdir(dir))) {
		if (e->d_name[0] == '.')
			continue;
		for (int how = 0; how < 4; how++) {
			char *copy = hu_tmppath("damaged");
			copy_dir(orig, copy);
			char file[4096];
			snprintf(file, sizeof file, "%s/%s", copy, e->d_name);
			struct stat st;
			CU_ASSERT_EQUAL_FATAL(stat(file, &st), 0);
			damage d = {copy, ""};
			int fd = open(file, O_RDWR);
			CU_ASSERT_FATAL(fd >= 0);
			static const char junk[64] = "\xaa\x55\xaa\x55 zhfts damaged this block on purpose \xff\x00\xff";
			switch (how) {
			case 0:
				CU_ASSERT_EQUAL(ftruncate(fd, 0), 0);
				snprintf(d.what, sizeof d.what, "%.200s truncated to 0", e->d_name);
				break;
			case 1:
				CU_ASSERT_EQUAL(ftruncate(fd, st.st_size / 2), 0);
				snprintf(d.what, sizeof d.what, "%.200s truncated to half", e->d_name);
				break;
			case 2:
				CU_ASSERT_EQUAL(pwrite(fd, junk, sizeof junk, st.st_size / 2), (ssize_t)sizeof junk);
				snprintf(d.what, sizeof d.what, "%.200s overwritten in the middle", e->d_name);
				break;
			default:
				CU_ASSERT_EQUAL(pwrite(fd, junk, sizeof junk, 0), (ssize_t)sizeof junk);
				snprintf(d.what, sizeof d.what, "%.200s overwritten at the start", e->d_name);
				break;
			}
			close(fd);
			int status = hu_in_child(use_damaged, &d);
			if (status)
				fprintf(stderr, "\n%s: child %s %d\n", d.what, status > 128 ? "killed by signal" : "exit",
				        status > 128 ? status - 128 : status);
			CU_ASSERT_EQUAL(status, 0);
			runs++;
			hu_rmrf(copy);
			free(copy);
		}
	}
	closedir(dir);
	CU_ASSERT(runs >= 8);
	hu_rmrf(orig);
	free(orig);
}

/* ---- a full disk ------------------------------------------------------------------- */

typedef struct diskfull {
	const char *path;
	int fd; /* the child writes one line per committed document, then its final status */
} diskfull;

/* In a child, with files limited in size: index until something fails. */
static int fill_disk(void *arg)
{
	diskfull *df = arg;
	signal(SIGXFSZ, SIG_IGN);
	struct rlimit rl = {512 * 1024, 512 * 1024};
	if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
		return 10;
	zhfts_options o = ZHFTS_OPTIONS_INIT;
	o.auto_commit_bytes = SIZE_MAX;
	zhfts_db *db = NULL;
	if (zhfts_db_open(&db, df->path, ZHFTS_OPEN_WRITE, &o, NULL))
		return 11;
	hbuf b = {0};
	int rc = ZHFTS_OK, i = 100;
	const char *where = "";
	for (; i < 5000 && rc == ZHFTS_OK; i++) {
		char id[32];
		snprintf(id, sizeof id, "doc-%03d", i);
		make_doc(&b, i, 1 + i % 5);
		rc = zhfts_db_add_document(db, id, b.s, b.len, NULL, NULL);
		where = "add";
		if (rc == ZHFTS_OK && i % 3 == 0) {
			rc = zhfts_db_commit(db);
			where = "commit";
			if (rc == ZHFTS_OK) {
				/* Everything up to i is committed. */
				dprintf(df->fd, "committed %d\n", i);
			}
		}
	}
	/* The contract: after a failure the database is back at its last
	 * commit, and error.lost counts the earlier documents since then. */
	dprintf(df->fd, "lost %llu last %d\n", (unsigned long long)zhfts_db_error(db)->lost, i - 1);
	dprintf(df->fd, "%s %d %s\n", where, rc, zhfts_db_errmsg(db));
	zhfts_db_close(db); /* nothing is pending any more */
	free(b.s);
	return 0;
}

static int doc_matches(zhfts_db *db, int i)
{
	char id[32];
	snprintf(id, sizeof id, "doc-%03d", i);
	zhfts_results *res = NULL;
	int rc = zhfts_db_get_document(db, id, &res);
	if (rc) {
		fprintf(stderr, "\n%s: %d %s\n", id, rc, zhfts_db_errmsg(db));
		return 0;
	}
	hbuf b = {0};
	int paras = 1 + i % 5, ok = (int)zhfts_results_count(res) == paras;
	for (int p = 0; ok && p < paras; p++) {
		b.len = 0;
		hb_printf(&b, "文档%d第%d段：推进科学城建设，发展数字经济，编号%d。", i, p + 1, i * 1000 + p);
		ok = !strcmp(zhfts_results_hit(res, (size_t)p)->text, b.s);
	}
	free(b.s);
	zhfts_results_free(res);
	return ok;
}

static void test_disk_full(void)
{
	char *path = make_db("full", 5);
	int fds[2];
	CU_ASSERT_EQUAL_FATAL(pipe(fds), 0);
	diskfull df = {path, fds[1]};
	int status = hu_in_child(fill_disk, &df);
	close(fds[1]);
	CU_ASSERT_EQUAL(status, 0);
	FILE *f = fdopen(fds[0], "r");
	char line[1024], last[1024] = "";
	int committed = -1, failed_at = -1;
	unsigned long long lost = 0;
	while (fgets(line, sizeof line, f)) {
		if (sscanf(line, "committed %d", &committed) != 1 && sscanf(line, "lost %llu last %d", &lost, &failed_at) != 2)
			snprintf(last, sizeof last, "%s", line);
	}
	fclose(f);
	fprintf(stderr, "\n  disk full: last commit at doc %d; then: %s", committed, last);
	/* The failure is a clear I/O error with a message. */
	int rc = 0;
	char where[32] = "";
	CU_ASSERT_EQUAL(sscanf(last, "%31s %d", where, &rc), 2);
	CU_ASSERT_EQUAL(rc, ZHFTS_EIO);
	CU_ASSERT(strlen(last) > strlen(where) + 6);
	CU_ASSERT(committed >= 100);
	/* lost: the documents added after the last commit, before the one that
	 * failed (a failed add) or up to it (a failed commit, after its add). */
	int expect_lost = !strcmp(where, "commit") ? failed_at - committed : failed_at - committed - 1;
	if ((long long)lost != expect_lost)
		fprintf(stderr, "\n  %s failed at doc %d after commit %d: lost %llu, want %d\n", where, failed_at, committed,
		        lost, expect_lost);
	CU_ASSERT_EQUAL((long long)lost, expect_lost);

	/* Everything committed before is there and whole; the database still works. */
	zhfts_db *db = NULL;
	char *msg = NULL;
	rc = zhfts_db_open(&db, path, ZHFTS_OPEN_WRITE, NULL, &msg);
	if (rc)
		fprintf(stderr, "\nreopen after disk full: %d %s\n", rc, msg ? msg : "");
	CU_ASSERT_EQUAL_FATAL(rc, ZHFTS_OK);
	for (int i = 0; i < 5; i++)
		CU_ASSERT(doc_matches(db, i));
	for (int i = 100; i <= committed; i++)
		if (!doc_matches(db, i)) {
			fprintf(stderr, "\ncommitted doc-%03d is missing or incomplete\n", i);
			CU_FAIL("committed document lost");
			break;
		}
	/* ... and nothing after it: the failure discarded what it says. */
	for (int i = committed + 1; i <= failed_at; i++) {
		zhfts_results *r = NULL;
		char id[32];
		snprintf(id, sizeof id, "doc-%03d", i);
		CU_ASSERT_EQUAL(zhfts_db_get_document(db, id, &r), ZHFTS_ENOTFOUND);
		zhfts_results_free(r);
	}
	HU_OK(db, zhfts_db_add_document(db, "after.txt", "磁盘恢复以后", strlen("磁盘恢复以后"), NULL, NULL));
	HU_OK(db, zhfts_db_close(db));
	hu_rmrf(path);
	free(path);
}

static void setup(void)
{
	CU_pSuite s = CU_add_suite("hostile-databases", NULL, NULL);
	CU_add_test(s, "path is a file or junk", test_path_is_file);
	CU_add_test(s, "no permission", test_no_permission);
	CU_add_test(s, "other formats", test_other_formats);
	CU_add_test(s, "damaged files", test_damaged_files);
	CU_add_test(s, "disk full", test_disk_full);
}

int main(void)
{
	return hu_run(setup);
}
