#define _GNU_SOURCE
#include "testutil.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *tu_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		exit(2);
	}
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	rewind(f);
	char *b = malloc((size_t)n + 1);
	if (!b || fread(b, 1, (size_t)n, f) != (size_t)n) {
		perror(path);
		exit(2);
	}
	b[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return b;
}

char *tu_sample(size_t *len)
{
	return tu_slurp(ZHFTS_SOURCE_DIR "/examples/data/sample-report.txt", len);
}

char *tu_tmpdir(const char *tag)
{
	char *p = NULL;
	const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	static int counter;
	if (asprintf(&p, "%s/zhfts-test-%s-%d-%d", base, tag, (int)getpid(), counter++) < 0)
		exit(2);
	tu_rmrf(p);
	return p;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

void tu_rmrf(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int tu_run(void (*setup)(void))
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	setup();
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
