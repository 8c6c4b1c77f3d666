/* The synthetic corpus of the crash-safety and concurrency tests: document i
 * at version v has 2 + (i + v) % 4 paragraphs, each naming i, v and its own
 * number, so that a reader can tell from any paragraph which version it
 * belongs to and what the whole version must look like. */
#ifndef ZHFTS_HOSTILE_CORPUS_H
#define ZHFTS_HOSTILE_CORPUS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostile-util.h"

static inline int corpus_paras(int i, long v)
{
	return 2 + (int)((i + v) % 4);
}

static inline void corpus_para(hbuf *b, int i, long v, int p)
{
	hb_printf(b, "文档%d版本%ld第%d段：推进科学城建设，发展数字经济。", i, v, p);
}

static inline void corpus_doc(hbuf *b, int i, long v)
{
	b->len = 0;
	for (int p = 1; p <= corpus_paras(i, v); p++) {
		corpus_para(b, i, v, p);
		hb_adds(b, "\n\n");
	}
}

static inline void corpus_id(char *id, size_t cap, int i)
{
	snprintf(id, cap, "doc-%04d", i);
}

/* Reads document i and checks that it is one whole version.  Returns the
 * version, 0 when the document is absent, -1 when it is broken (and says
 * how on stderr), -2 on another failure (status in *rc). */
static inline long corpus_check(zhfts_db *db, int i, int *rc_out)
{
	char id[32];
	corpus_id(id, sizeof id, i);
	zhfts_results *res = NULL;
	int rc = zhfts_db_get_document(db, id, &res);
	if (rc_out)
		*rc_out = rc;
	if (rc == ZHFTS_ENOTFOUND)
		return 0;
	if (rc)
		return -2;
	const zhfts_hit *h = zhfts_results_hit(res, 0);
	int di = -1;
	long v = -1;
	if (!h || sscanf(h->text, "文档%d版本%ld第", &di, &v) != 2 || di != i) {
		fprintf(stderr, "\n%s: unreadable first paragraph '%s'\n", id, h ? h->text : "");
		zhfts_results_free(res);
		return -1;
	}
	long result = v;
	size_t n = zhfts_results_count(res);
	if (n != (size_t)corpus_paras(i, v)) {
		fprintf(stderr, "\n%s version %ld: %zu paragraphs, want %d\n", id, v, n, corpus_paras(i, v));
		result = -1;
	}
	hbuf want = {0};
	for (size_t p = 0; p < n && result > 0; p++) {
		want.len = 0;
		corpus_para(&want, i, v, (int)p + 1);
		h = zhfts_results_hit(res, p);
		if (strcmp(h->text, want.s) || h->para != p + 1) {
			fprintf(stderr, "\n%s version %ld: paragraph %zu is '%s' (#%u)\n", id, v, p + 1, h->text, h->para);
			result = -1;
		}
	}
	free(want.s);
	zhfts_results_free(res);
	return result;
}

#endif
