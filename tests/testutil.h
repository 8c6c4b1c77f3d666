/* Shared helpers of the CUnit suites. */
#ifndef ZHFTS_TESTUTIL_H
#define ZHFTS_TESTUTIL_H

#include <CUnit/Basic.h>
#include <stddef.h>
#include <stdint.h>

#include "zhfts.h"

/* Reads a whole file (NUL-terminated); aborts the test program on failure. */
char *tu_slurp(const char *path, size_t *len);
/* The bundled sample report (examples/data/sample-report.txt). */
char *tu_sample(size_t *len);
/* A fresh temporary directory path (not created); free with free(). */
char *tu_tmpdir(const char *tag);
void tu_rmrf(const char *path);
/* Registers the suites given by `setup` and runs them; returns the exit code. */
int tu_run(void (*setup)(void));
/* CU_ASSERT_EQUAL_FATAL with the handle's message printed on failure. */
#define TU_OK(db, expr)                                                                       \
	do {                                                                                      \
		int tu_rc_ = (expr);                                                                  \
		if (tu_rc_ != ZHFTS_OK)                                                               \
			fprintf(stderr, "\n%s:%d: %s -> %d (%s)\n", __FILE__, __LINE__, #expr, tu_rc_,   \
			        zhfts_db_errmsg(db));                                                     \
		CU_ASSERT_EQUAL_FATAL(tu_rc_, ZHFTS_OK);                                              \
	} while (0)

#endif
