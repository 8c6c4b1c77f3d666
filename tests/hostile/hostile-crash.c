/*
 * Crash safety: an indexer is killed with SIGKILL at random moments, 20
 * times; after each kill the database opens, every document it lists is one
 * whole version (all its paragraphs, matching the source), and nothing that
 * was committed is lost (a document shows the version committed last, or a
 * later one whose commit was under way).
 *
 * ZHFTS_CRASH_SEED fixes the random moments (the seed used is printed).
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

#define NDOCS 300
#define ROUNDS 20
#define BATCH 7 /* documents per commit */

/* Shared between the indexer and the test, across kills. */
typedef struct shared {
	long next_version;       /* versions only grow, across rounds */
	long committed[NDOCS];   /* > 0: version committed; < 0: deleted at -v; 0: never */
	long attempted[NDOCS];   /* the same, for a commit that was under way at the kill */
	long commits;
} shared;

static shared *sh;
static char *db_path;

static void indexer(unsigned seed)
{
	zhfts_options o = ZHFTS_OPTIONS_INIT;
	o.lock_timeout_ms = 10000;
	o.auto_commit_bytes = SIZE_MAX;
	zhfts_db *db = NULL;
	char *msg = NULL;
	if (zhfts_db_open(&db, db_path, ZHFTS_OPEN_CREATE, &o, &msg)) {
		fprintf(stderr, "indexer: open: %s\n", msg ? msg : "");
		_exit(3);
	}
	hbuf b = {0};
	long pending[NDOCS];
	int touched[BATCH], nt = 0;
	for (;;) {
		int i = (int)(rand_r(&seed) % NDOCS);
		long v = __atomic_add_fetch(&sh->next_version, 1, __ATOMIC_SEQ_CST);
		char id[32];
		corpus_id(id, sizeof id, i);
		int rc;
		if (rand_r(&seed) % 10 == 0) {
			rc = zhfts_db_delete_document(db, id);
			if (rc == ZHFTS_ENOTFOUND)
				rc = ZHFTS_OK;
			pending[i] = -v;
		} else {
			corpus_doc(&b, i, v);
			rc = zhfts_db_add_document(db, id, b.s, b.len, NULL, NULL);
			pending[i] = v;
		}
		if (rc) {
			fprintf(stderr, "indexer: %s: %s\n", id, zhfts_db_errmsg(db));
			_exit(4);
		}
		touched[nt++] = i;
		if (nt == BATCH) {
			/* Killed between here and the copy below, the database may hold either. */
			for (int k = 0; k < nt; k++)
				sh->attempted[touched[k]] = pending[touched[k]];
			if (zhfts_db_commit(db)) {
				fprintf(stderr, "indexer: commit: %s\n", zhfts_db_errmsg(db));
				_exit(5);
			}
			for (int k = 0; k < nt; k++)
				sh->committed[touched[k]] = pending[touched[k]];
			sh->commits++;
			nt = 0;
		}
	}
}

static int collect_ids(void *ctx, const char *id, uint32_t paragraphs)
{
	int i;
	if (sscanf(id, "doc-%d", &i) != 1 || i < 0 || i >= NDOCS) {
		fprintf(stderr, "\nunexpected document '%s'\n", id);
		return 1;
	}
	((uint32_t *)ctx)[i] = paragraphs;
	return 0;
}

static void check_after_kill(int round)
{
	zhfts_db *db = NULL;
	char *msg = NULL;
	int rc = zhfts_db_open(&db, db_path, ZHFTS_OPEN_READONLY, NULL, &msg);
	if (rc)
		fprintf(stderr, "\nround %d: open after SIGKILL: %d %s\n", round, rc, msg ? msg : "");
	zhfts_free(msg);
	CU_ASSERT_EQUAL_FATAL(rc, ZHFTS_OK);
	uint32_t listed[NDOCS] = {0};
	HU_OK(db, zhfts_db_foreach_document(db, collect_ids, listed));
	int docs = 0;
	for (int i = 0; i < NDOCS; i++) {
		long v = corpus_check(db, i, &rc);
		CU_ASSERT(v >= 0);
		if (v < 0) {
			fprintf(stderr, "round %d: doc %d broken (status %d %s)\n", round, i, rc, zhfts_db_errmsg(db));
			continue;
		}
		/* Listed if and only if present, with its paragraph count. */
		CU_ASSERT_EQUAL(listed[i], v ? (uint32_t)corpus_paras(i, v) : 0);
		long c = sh->committed[i], a = sh->attempted[i];
		bool ok = c > 0 ? v >= c : c < 0 ? (v == 0 || v > -c) : true;
		if (!ok && (a > 0 ? v >= a : a < 0 ? (v == 0 || v > -a) : false)) {
			/* The commit under way at the kill went through: it is the base from now on. */
			sh->committed[i] = a;
			ok = true;
		}
		sh->attempted[i] = 0;
		if (!ok)
			fprintf(stderr, "\nround %d: doc %d shows version %ld, committed %ld (attempted %ld)\n", round, i,
			        v, c, a);
		CU_ASSERT(ok);
		docs += v > 0;
	}
	zhfts_db_close(db);
	if (round == ROUNDS - 1)
		fprintf(stderr, "\n  %ld commits, %d documents present at the end\n", sh->commits, docs);
}

static void test_sigkill(void)
{
	unsigned seed = getenv("ZHFTS_CRASH_SEED") ? (unsigned)atoi(getenv("ZHFTS_CRASH_SEED")) : (unsigned)time(NULL);
	fprintf(stderr, "\n  ZHFTS_CRASH_SEED=%u\n", seed);
	sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CU_ASSERT_FATAL(sh != MAP_FAILED);
	memset(sh, 0, sizeof *sh);
	db_path = hu_tmppath("crash");
	for (int round = 0; round < ROUNDS; round++) {
		unsigned child_seed = seed * 31u + (unsigned)round;
		fflush(NULL);
		pid_t pid = fork();
		CU_ASSERT_FATAL(pid >= 0);
		if (pid == 0)
			indexer(child_seed);
		/* 20 to 400 ms: sometimes while opening, mostly mid-batch or mid-commit. */
		struct timespec ts = {0, (long)(20 + rand_r(&seed) % 380) * 1000000L};
		nanosleep(&ts, NULL);
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			fprintf(stderr, "\nround %d: the indexer stopped by itself (status %d)\n", round, st);
			CU_FAIL("indexer died before the kill");
			break;
		}
		kill(pid, SIGKILL);
		CU_ASSERT_EQUAL(waitpid(pid, &st, 0), pid);
		CU_ASSERT(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
		check_after_kill(round);
	}
	CU_ASSERT(sh->commits > 0);
	hu_rmrf(db_path);
	free(db_path);
	munmap(sh, sizeof *sh);
}

static void setup(void)
{
	CU_pSuite s = CU_add_suite("crash-safety", NULL, NULL);
	CU_add_test(s, "SIGKILL the indexer 20 times", test_sigkill);
}

int main(void)
{
	return hu_run(setup);
}
