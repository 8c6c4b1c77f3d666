/*
 * One writer re-indexing documents in a loop, four reader processes with
 * their own handles reading and searching for ZHFTS_SOAK_SECONDS (default
 * 10; run a longer soak by hand).  Readers must never see a half-replaced
 * document (all of a document's paragraphs are of one version), after a
 * reopen must see at least every commit the writer had finished before it,
 * and no open, reopen, read or search may fail because the writer commits
 * (issue 11: the library retries, holding the writer off if need be).
 * A second writer gets ZHFTS_ELOCKED at once, or after lock_timeout_ms,
 * never a hang.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "corpus.h"
#include "hostile-util.h"

#define NDOCS 40
#define READERS 4

typedef struct shared {
	long next_version;
	long committed[NDOCS]; /* the version of the writer's last finished commit */
	int stop;
	long commits;
	long reads[READERS], searches[READERS], retries[READERS];
	long violations[READERS]; /* a half-replaced document, or an old one after reopen */
	long spurious[READERS];   /* reopen or search failing because the writer committed */
} shared;

static shared *sh;
static char *db_path;

static void writer(void)
{
	zhfts_db *db = NULL;
	char *msg = NULL;
	if (zhfts_db_open(&db, db_path, ZHFTS_OPEN_WRITE, NULL, &msg)) {
		fprintf(stderr, "\nwriter: open: %s\n", msg ? msg : "");
		_exit(3);
	}
	hbuf b = {0};
	unsigned seed = 7;
	while (!__atomic_load_n(&sh->stop, __ATOMIC_SEQ_CST)) {
		int i = (int)(rand_r(&seed) % NDOCS);
		long v = __atomic_add_fetch(&sh->next_version, 1, __ATOMIC_SEQ_CST);
		char id[32];
		corpus_id(id, sizeof id, i);
		corpus_doc(&b, i, v);
		if (zhfts_db_add_document(db, id, b.s, b.len, NULL, NULL) || zhfts_db_commit(db)) {
			fprintf(stderr, "writer: %s\n", zhfts_db_errmsg(db));
			_exit(4);
		}
		__atomic_store_n(&sh->committed[i], v, __ATOMIC_SEQ_CST);
		sh->commits++;
	}
	zhfts_db_close(db);
	free(b.s);
	_exit(0);
}

/* A failure that only says the snapshot went away under the reader. */
static bool modified(zhfts_db *db, int rc)
{
	return rc == ZHFTS_EIO && strstr(zhfts_db_errmsg(db), "reopen");
}

static void reader(int r)
{
	zhfts_db *db = NULL;
	char *msg = NULL;
	/* The writer may be committing already: opening must not fail for that. */
	int opened = zhfts_db_open(&db, db_path, ZHFTS_OPEN_READONLY, NULL, &msg);
	if (opened != ZHFTS_OK) {
		fprintf(stderr, "\nreader %d: open: %d %s\n", r, opened, msg ? msg : "");
		_exit(3);
	}
	unsigned seed = (unsigned)r * 101u + 1u;
	while (!__atomic_load_n(&sh->stop, __ATOMIC_SEQ_CST)) {
		int i = (int)(rand_r(&seed) % NDOCS);
		long before = __atomic_load_n(&sh->committed[i], __ATOMIC_SEQ_CST);
		int rc = zhfts_db_reopen(db);
		if (rc) {
			fprintf(stderr, "reader %d: reopen: %d %s\n", r, rc, zhfts_db_errmsg(db));
			sh->spurious[r]++;
			continue;
		}
		long v = corpus_check(db, i, &rc);
		if (v == -2 && modified(db, rc)) {
			/* The library's retries ran out: counted apart, and a failure
			 * (a reader must not fail because the writer is busy). */
			fprintf(stderr, "\nreader %d: doc %d: %s\n", r, i, zhfts_db_errmsg(db));
			sh->retries[r]++;
			continue;
		}
		if (v < 0 || v < before) {
			fprintf(stderr, "reader %d: doc %d: version %ld after reopen, %ld was committed before (%d %s)\n",
			        r, i, v, before, rc, zhfts_db_errmsg(db));
			sh->violations[r]++;
		}
		sh->reads[r]++;
		char q[64];
		snprintf(q, sizeof q, "文档%d 科学城", i);
		zhfts_results *res = NULL;
		rc = zhfts_db_search(db, q, strlen(q), NULL, &res);
		if (rc) {
			fprintf(stderr, "reader %d: search: %d %s\n", r, rc, zhfts_db_errmsg(db));
			sh->spurious[r]++;
		}
		sh->searches[r]++;
		zhfts_results_free(res);
	}
	zhfts_db_close(db);
	_exit(0);
}

/* In a child, so that a hang is caught by the alarm rather than hanging the test. */
static int second_writer(void *arg)
{
	alarm(60);
	int bad = 0;
	for (unsigned timeout = 0; timeout <= 500; timeout += 500) {
		zhfts_options o = ZHFTS_OPTIONS_INIT;
		o.lock_timeout_ms = timeout;
		zhfts_db *db = NULL;
		char *msg = NULL;
		uint64_t t0 = hu_now_ms();
		int rc = zhfts_db_open(&db, db_path, ZHFTS_OPEN_WRITE, &o, &msg);
		uint64_t waited = hu_now_ms() - t0;
		fprintf(stderr, "\n  second writer, lock_timeout_ms=%u: status %d after %llu ms: %s", timeout, rc,
		        (unsigned long long)waited, msg ? msg : "");
		/* It may not give up before the time it was told to wait. */
		if (rc != ZHFTS_ELOCKED || !msg || !*msg || waited < timeout)
			bad = 1;
		zhfts_free(msg);
		zhfts_db_close(db);
	}
	return bad;
}

static void test_writer_and_readers(void)
{
	const char *env = getenv("ZHFTS_SOAK_SECONDS");
	int seconds = env ? atoi(env) : 10;
	sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CU_ASSERT_FATAL(sh != MAP_FAILED);
	memset(sh, 0, sizeof *sh);
	db_path = hu_tmppath("soak");

	/* Every document present at version 1..NDOCS before anyone starts. */
	zhfts_db *db = NULL;
	CU_ASSERT_EQUAL_FATAL(zhfts_db_open(&db, db_path, ZHFTS_OPEN_CREATE, NULL, NULL), ZHFTS_OK);
	hbuf b = {0};
	for (int i = 0; i < NDOCS; i++) {
		char id[32];
		corpus_id(id, sizeof id, i);
		long v = ++sh->next_version;
		corpus_doc(&b, i, v);
		HU_OK(db, zhfts_db_add_document(db, id, b.s, b.len, NULL, NULL));
		sh->committed[i] = v;
	}
	HU_OK(db, zhfts_db_close(db));
	free(b.s);

	fflush(NULL);
	pid_t pids[1 + READERS];
	for (int k = 0; k < 1 + READERS; k++) {
		pids[k] = fork();
		CU_ASSERT_FATAL(pids[k] >= 0);
		if (pids[k] == 0) {
			if (k == 0)
				writer();
			reader(k - 1);
		}
	}
	/* Let the writer take the lock, then knock. */
	while (__atomic_load_n(&sh->commits, __ATOMIC_SEQ_CST) == 0)
		usleep(10000);
	CU_ASSERT_EQUAL(hu_in_child(second_writer, NULL), 0);
	sleep((unsigned)seconds);
	__atomic_store_n(&sh->stop, 1, __ATOMIC_SEQ_CST);
	for (int k = 0; k < 1 + READERS; k++) {
		int st;
		CU_ASSERT_EQUAL(waitpid(pids[k], &st, 0), pids[k]);
		CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	long reads = 0, retries = 0, violations = 0, spurious = 0;
	for (int r = 0; r < READERS; r++) {
		CU_ASSERT(sh->reads[r] > 0);
		reads += sh->reads[r];
		retries += sh->retries[r];
		violations += sh->violations[r];
		spurious += sh->spurious[r];
	}
	fprintf(stderr, "\n  %d s: %ld commits, %ld document reads (%ld hit 'changed while reading'), "
	        "%ld atomicity violations, %ld failed reopens or searches\n",
	        seconds, sh->commits, reads, retries, violations, spurious);
	CU_ASSERT_EQUAL(violations, 0);
	/* A reader must be able to follow a busy writer: reopen, reads and
	 * searches must not fail because a commit happened meanwhile. */
	CU_ASSERT_EQUAL(retries, 0);
	CU_ASSERT_EQUAL(spurious, 0);
	CU_ASSERT(sh->commits > 0);
	hu_rmrf(db_path);
	free(db_path);
	munmap(sh, sizeof *sh);
}

static void setup(void)
{
	CU_pSuite s = CU_add_suite("concurrency", NULL, NULL);
	CU_add_test(s, "one writer, four readers, a second writer", test_writer_and_readers);
}

int main(void)
{
	return hu_run(setup);
}
