/*
 * zhfts-bench tokenize: the zhfts tokenizer against a bare ICU word-break loop
 * over the same paragraphs (the ceiling of a design built on ICU word breaking:
 * no normalization, no callback, nothing kept).
 */
#include "common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/ubrk.h>
#include <unicode/utext.h>
#include <zhfts.h>

int bench_tokenize_main(int argc, char **argv);

static int count_token(void *ctx, const zhfts_token *t)
{
	(void)t;
	++*(size_t *)ctx;
	return 0;
}

int bench_tokenize_main(int argc, char **argv)
{
	const char *root = NULL;
	int rounds = 3;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
			rounds = atoi(argv[++i]);
		else
			root = argv[i];
	}
	if (!root || rounds < 1)
		bench_die("usage: zhfts-bench tokenize CORPUS [--rounds R]");
	bench_corpus c;
	bench_corpus_load(&c, root, 1);

	zhfts_tokenizer *tok;
	int rc = zhfts_tokenizer_new(&tok, NULL);
	if (rc != ZHFTS_OK)
		bench_die("zhfts_tokenizer_new: %s", zhfts_strerror(rc));
	UErrorCode e = U_ZERO_ERROR;
	UBreakIterator *bi = ubrk_open(UBRK_WORD, "zh", NULL, 0, &e);
	if (U_FAILURE(e))
		bench_die("ubrk_open: %s", u_errorName(e));

	double best_z = 1e30, best_i = 1e30;
	size_t ztokens = 0, itokens = 0;
	for (int r = 0; r < rounds; r++) {
		ztokens = 0;
		double t0 = bench_now();
		for (uint32_t p = 0; p < c.nparas; p++) {
			const char *s = c.files[c.para_file[p]].data + c.para_off[p];
			rc = zhfts_tokenize(tok, s, c.para_len[p], count_token, &ztokens);
			if (rc != ZHFTS_OK)
				bench_die("zhfts_tokenize: paragraph %u: %s", p, zhfts_tokenizer_errmsg(tok));
		}
		double dz = bench_now() - t0;
		if (dz < best_z)
			best_z = dz;

		itokens = 0;
		UText *ut = NULL;
		t0 = bench_now();
		for (uint32_t p = 0; p < c.nparas; p++) {
			const char *s = c.files[c.para_file[p]].data + c.para_off[p];
			ut = utext_openUTF8(ut, s, (int64_t)c.para_len[p], &e);
			ubrk_setUText(bi, ut, &e);
			for (int32_t b = ubrk_next(bi); b != UBRK_DONE; b = ubrk_next(bi))
				itokens += ubrk_getRuleStatus(bi) >= UBRK_WORD_NONE_LIMIT;
		}
		double di = bench_now() - t0;
		utext_close(ut);
		if (U_FAILURE(e))
			bench_die("ICU word break: %s", u_errorName(e));
		if (di < best_i)
			best_i = di;
	}
	double mb = (double)c.bytes / 1e6;
	printf("RESULT\tzhfts\ttokenize_mb_s\t%.6g\n", mb / best_z);
	printf("RESULT\ticu-wordbreak\ttokenize_mb_s\t%.6g\n", mb / best_i);
	printf("# %.1f MB, best of %d: zhfts %zu tokens in %.3f s, ICU %zu words in %.3f s\n", mb, rounds,
	       ztokens, best_z, itokens, best_i);
	ubrk_close(bi);
	zhfts_tokenizer_free(tok);
	bench_corpus_free(&c);
	return 0;
}
