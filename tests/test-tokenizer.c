/*
 * The public tokenizer and normalization: what the index sees.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oracle.h"
#include "testutil.h"

typedef struct tok {
	char text[256];
	size_t offset, length;
	uint32_t position, units;
	zhfts_token_kind kind;
} tok;

typedef struct toks {
	tok t[4096];
	size_t n;
	int stop_after;
} toks;

static int collect(void *ctx, const zhfts_token *t)
{
	toks *ts = ctx;
	if (ts->stop_after && (int)ts->n == ts->stop_after)
		return 42;
	if (ts->n < 4096) {
		tok *o = &ts->t[ts->n++];
		snprintf(o->text, sizeof o->text, "%.*s", (int)t->text_len, t->text);
		o->offset = t->offset;
		o->length = t->length;
		o->position = t->position;
		o->units = t->units;
		o->kind = t->kind;
	}
	return 0;
}

static toks *run(const char *text, int traditional)
{
	zhfts_options o = ZHFTS_OPTIONS_INIT;
	o.traditional = traditional;
	zhfts_tokenizer *t;
	CU_ASSERT_FATAL(zhfts_tokenizer_new(&t, &o) == 0);
	toks *ts = calloc(1, sizeof *ts);
	CU_ASSERT_FATAL(zhfts_tokenize(t, text, strlen(text), collect, ts) == 0);
	zhfts_tokenizer_free(t);
	return ts;
}

static void test_kinds_offsets_positions(void)
{
	const char *s = "中关村科学城，RISC-Ⅴ和５Ｇ、1.2万平方米 AI计算";
	toks *ts = run(s, ZHFTS_ON);
	uint32_t pos = 0;
	size_t prev_end = 0;
	for (size_t i = 0; i < ts->n; i++) {
		tok *t = &ts->t[i];
		CU_ASSERT(t->offset >= prev_end && t->offset + t->length <= strlen(s));
		CU_ASSERT_EQUAL(t->position, pos);
		pos += t->units;
		prev_end = t->offset + t->length;
	}
	/* Normalized forms at the right original bytes. */
	static const struct { const char *norm, *orig; zhfts_token_kind kind; } want[] = {
		{"risc", "RISC", ZHFTS_TOKEN_WORD}, {"v", "Ⅴ", ZHFTS_TOKEN_WORD}, {"5g", "５Ｇ", ZHFTS_TOKEN_MIXED},
		{"1.2", "1.2", ZHFTS_TOKEN_NUMBER}, {"ai", "AI", ZHFTS_TOKEN_WORD},
	};
	for (size_t w = 0; w < sizeof want / sizeof *want; w++) {
		bool found = false;
		for (size_t i = 0; i < ts->n; i++) {
			tok *t = &ts->t[i];
			if (!strcmp(t->text, want[w].norm)) {
				found = true;
				CU_ASSERT(t->length == strlen(want[w].orig) && !memcmp(s + t->offset, want[w].orig, t->length));
				CU_ASSERT_EQUAL(t->kind, want[w].kind);
				CU_ASSERT_EQUAL(t->units, 1);
			}
		}
		CU_ASSERT(found);
	}
	/* Han tokens take one position per character, no punctuation tokens. */
	for (size_t i = 0; i < ts->n; i++) {
		if (ts->t[i].kind == ZHFTS_TOKEN_HAN)
			CU_ASSERT_EQUAL(ts->t[i].units * 3, strlen(ts->t[i].text));
		CU_ASSERT(strcmp(ts->t[i].text, "，") && strcmp(ts->t[i].text, "-"));
	}
	free(ts);
}

static void test_traditional(void)
{
	toks *on = run("中關村科學城發展", ZHFTS_ON), *off = run("中關村科學城發展", ZHFTS_OFF);
	char a[256] = "", b[256] = "";
	for (size_t i = 0; i < on->n; i++)
		strcat(a, on->t[i].text);
	for (size_t i = 0; i < off->n; i++)
		strcat(b, off->t[i].text);
	CU_ASSERT_STRING_EQUAL(a, "中关村科学城发展");
	CU_ASSERT_STRING_EQUAL(b, "中關村科學城發展");
	free(on);
	free(off);
}

/* Do the tokenizer's units, concatenated, equal the oracle's for a line? */
static bool line_agrees(zhfts_tokenizer *t, oracle *o, const char *line)
{
	toks *ts = calloc(1, sizeof *ts);
	CU_ASSERT_FATAL(ts && zhfts_tokenize(t, line, strlen(line), collect, ts) == 0);
	size_t cap = strlen(line) * 4 + 16, n = 1;
	char *mine = malloc(cap);
	mine[0] = '\x1f';
	for (size_t i = 0; i < ts->n; i++) {
		const char *p = ts->t[i].text;
		if (ts->t[i].kind == ZHFTS_TOKEN_HAN) {
			for (size_t k = 0; k < strlen(p); k += 3) {
				memcpy(mine + n, p + k, 3);
				n += 3;
				mine[n++] = '\x1f';
			}
		} else {
			memcpy(mine + n, p, strlen(p));
			n += strlen(p);
			mine[n++] = '\x1f';
		}
	}
	mine[n] = '\0';
	char *want = oracle_units(o, line, strlen(line));
	bool same = !strcmp(mine, want);
	if (!same)
		fprintf(stderr, "\nline differs: %s\n", line);
	free(want);
	free(mine);
	free(ts);
	return same;
}

/* Concatenated units of the tokenizer equal the oracle's for the sample. */
static void test_agrees_with_oracle(void)
{
	size_t len;
	char *s = tu_sample(&len);
	zhfts_tokenizer *t;
	CU_ASSERT_FATAL(zhfts_tokenizer_new(&t, NULL) == 0);
	oracle *o = oracle_new(true);
	/* Line by line, so that a difference is easy to see. */
	char *save, *line = strtok_r(s, "\n", &save);
	size_t lines = 0;
	while (line) {
		CU_ASSERT(line_agrees(t, o, line));
		lines++;
		line = strtok_r(NULL, "\n", &save);
	}
	CU_ASSERT(lines > 20);
	oracle_free(o);
	zhfts_tokenizer_free(t);
	free(s);
}

/* Every BMP unified ideograph, Traditional or not, normalizes as ICU does
 * (normalize.c maps strings of them through a table). */
static void test_every_ideograph(void)
{
	zhfts_tokenizer *t;
	CU_ASSERT_FATAL(zhfts_tokenizer_new(&t, NULL) == 0);
	oracle *o = oracle_new(true);
	char line[400 * 3 + 1];
	size_t n = 0, bad = 0, lines = 0;
	for (uint32_t c = 0x3400; c <= 0x9fff; c++) {
		if (c > 0x4dbf && c < 0x4e00)
			continue;
		line[n++] = (char)(0xe0 | (c >> 12));
		line[n++] = (char)(0x80 | ((c >> 6) & 0x3f));
		line[n++] = (char)(0x80 | (c & 0x3f));
		if (n == sizeof line - 1 || c == 0x9fff) {
			line[n] = '\0';
			bad += !line_agrees(t, o, line);
			lines++;
			n = 0;
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT(lines > 60);
	oracle_free(o);
	zhfts_tokenizer_free(t);
}

static void test_callback_stops_and_errors(void)
{
	zhfts_tokenizer *t;
	CU_ASSERT_FATAL(zhfts_tokenizer_new(&t, NULL) == 0);
	toks *ts = calloc(1, sizeof *ts);
	ts->stop_after = 2;
	CU_ASSERT_EQUAL(zhfts_tokenize(t, "一个 两个 三个 四个", strlen("一个 两个 三个 四个"), collect, ts), 42);
	CU_ASSERT_EQUAL(ts->n, 2);
	ts->n = 0;
	ts->stop_after = 0;
	CU_ASSERT_EQUAL(zhfts_tokenize(t, "好\xff坏", 7, collect, ts), ZHFTS_EENCODING);
	CU_ASSERT(strstr(zhfts_tokenizer_errmsg(t), "byte offset 3") != NULL);
	CU_ASSERT_EQUAL(zhfts_tokenize(t, "", 0, collect, ts), 0);
	CU_ASSERT_EQUAL(ts->n, 0);
	/* NUL bytes are text, not terminators. */
	CU_ASSERT_EQUAL(zhfts_tokenize(t, "甲\0乙", 7, collect, ts), 0);
	CU_ASSERT_EQUAL(ts->n, 2);
	CU_ASSERT_EQUAL(zhfts_tokenize(NULL, "a", 1, collect, ts), ZHFTS_EINVAL);
	CU_ASSERT_EQUAL(zhfts_tokenize(t, NULL, 1, collect, ts), ZHFTS_EINVAL);
	free(ts);
	zhfts_tokenizer_free(t);
	zhfts_tokenizer_free(NULL);
}

static void suites(void)
{
	CU_pSuite s = CU_add_suite("tokenizer", NULL, NULL);
	CU_add_test(s, "kinds, offsets, positions, normalization", test_kinds_offsets_positions);
	CU_add_test(s, "Traditional folding on and off", test_traditional);
	CU_add_test(s, "units agree with the oracle on the sample", test_agrees_with_oracle);
	CU_add_test(s, "every unified ideograph normalizes as ICU does", test_every_ideograph);
	CU_add_test(s, "callback stop value, errors, NUL bytes", test_callback_stops_and_errors);
}

int main(void)
{
	return tu_run(suites);
}
