/* Helpers shared by the hostile-input, crash-safety and concurrency tests. */
#ifndef ZHFTS_HOSTILE_UTIL_H
#define ZHFTS_HOSTILE_UTIL_H

#include <CUnit/Basic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zhfts.h"

/* A fresh path under $TMPDIR (not created); free() it. */
char *hu_tmppath(const char *tag) __attribute__((returns_nonnull));
void hu_rmrf(const char *path);
/* Runs fn(arg) in a child process; returns its exit status, or 128 + the
 * signal that killed it. */
int hu_in_child(int (*fn)(void *arg), void *arg);
/* Registers suites with `setup`, runs them, returns the exit code. */
int hu_run(void (*setup)(void));
/* Milliseconds on the monotonic clock. */
uint64_t hu_now_ms(void);
/* A growable string. */
typedef struct hbuf {
	char *s;
	size_t len, cap;
} hbuf;
void hb_add(hbuf *b, const void *p, size_t n);
void hb_adds(hbuf *b, const char *s);
void hb_printf(hbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Fails the current test with the handle's message when expr is not OK. */
#define HU_OK(db, expr)                                                                        \
	do {                                                                                       \
		int hu_rc_ = (expr);                                                                   \
		if (hu_rc_ != ZHFTS_OK)                                                                \
			fprintf(stderr, "\n%s:%d: %s -> %d (%s)\n", __FILE__, __LINE__, #expr, hu_rc_,    \
			        zhfts_db_errmsg(db));                                                      \
		CU_ASSERT_EQUAL_FATAL(hu_rc_, ZHFTS_OK);                                               \
	} while (0)

#endif
