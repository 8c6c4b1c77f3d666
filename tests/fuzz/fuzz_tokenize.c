/*
 * Fuzz target: the public tokenizer (zhfts_tokenize) and normalization.
 *
 * Input: one control byte (bit 0 normalization off, bit 1 Traditional
 * folding off, bits 2-7 the token after which a second pass stops), then the
 * text.  Invariants: invalid UTF-8 is refused with the offset of the first
 * bad byte; tokens lie inside the input, on character boundaries, in order
 * and without overlap; positions advance by each token's units; each token's
 * normalized text is non-empty valid UTF-8 (lower case when normalizing);
 * a callback's non-zero return stops the run and comes back as is.
 */
#include "fuzz-common.h"
#include "zhfts.h"

typedef struct run {
	const char *text;
	size_t len;
	bool normalize;
	size_t n;            /* tokens seen */
	size_t prev_end;
	uint32_t next_pos;
	size_t stop_after;   /* stop with STOP_CODE after this many tokens (0: never) */
} run;

#define STOP_CODE 4242

static int on_token(void *ctx, const zhfts_token *t)
{
	run *r = ctx;
	FZ_CHECK(t->length > 0 && t->offset >= r->prev_end && t->offset + t->length <= r->len,
	         "token %zu at [%zu, +%zu) of %zu, previous ended at %zu", r->n, t->offset, t->length,
	         r->len, r->prev_end);
	FZ_CHECK(fz_is_boundary(r->text, r->len, t->offset) &&
	             fz_is_boundary(r->text, r->len, t->offset + t->length),
	         "token %zu [%zu, +%zu) cuts a character", r->n, t->offset, t->length);
	FZ_CHECK(t->text && t->text_len > 0 && fz_utf8_valid(t->text, t->text_len),
	         "token %zu at %zu: normalized text empty or not UTF-8", r->n, t->offset);
	FZ_CHECK(t->units >= 1 && t->position == r->next_pos, "token %zu: position %u (expected %u), units %u",
	         r->n, t->position, r->next_pos, t->units);
	FZ_CHECK(t->kind >= ZHFTS_TOKEN_HAN && t->kind <= ZHFTS_TOKEN_MIXED, "token %zu: kind %d", r->n,
	         (int)t->kind);
	if (r->normalize)
		for (size_t i = 0; i < t->text_len; i++)
			FZ_CHECK(!(t->text[i] >= 'A' && t->text[i] <= 'Z'), "token %zu: upper case after normalization",
			         r->n);
	r->prev_end = t->offset + t->length;
	r->next_pos = t->position + t->units;
	r->n++;
	return r->stop_after && r->n == r->stop_after ? STOP_CODE : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static zhfts_tokenizer *toks[4];
	if (size < 1)
		return 0;
	unsigned ctl = data[0];
	unsigned which = ctl & 3;
	if (!toks[which]) {
		zhfts_options o = ZHFTS_OPTIONS_INIT;
		o.normalize = which & 1 ? ZHFTS_OFF : ZHFTS_ON;
		o.traditional = which & 2 ? ZHFTS_OFF : ZHFTS_ON;
		int rc = zhfts_tokenizer_new(&toks[which], &o);
		FZ_CHECK(rc == ZHFTS_OK, "zhfts_tokenizer_new -> %d", rc);
	}
	zhfts_tokenizer *tok = toks[which];
	const char *text = (const char *)data + 1;
	size_t len = size - 1;

	run r = {text, len, !(which & 1), 0, 0, 0, 0};
	int rc = zhfts_tokenize(tok, text, len, on_token, &r);
	size_t bad = fz_utf8_bad(text, len);
	if (bad != len) {
		const char *msg = zhfts_tokenizer_errmsg(tok);
		size_t at = SIZE_MAX;
		FZ_CHECK(rc == ZHFTS_EENCODING && r.n == 0, "invalid UTF-8 at %zu -> %d after %zu tokens", bad, rc,
		         r.n);
		FZ_CHECK(fz_msg_byte(msg, &at) && at == bad, "invalid UTF-8 at %zu, message '%s'", bad, msg);
		return 0;
	}
	FZ_CHECK(rc == ZHFTS_OK, "valid UTF-8 -> %d '%s'", rc, zhfts_tokenizer_errmsg(tok));

	/* The same text again, stopping early: the same tokens up to the stop. */
	size_t total = r.n;
	run s = {text, len, r.normalize, 0, 0, 0, (ctl >> 2) + 1};
	rc = zhfts_tokenize(tok, text, len, on_token, &s);
	if (s.stop_after <= total)
		FZ_CHECK(rc == STOP_CODE && s.n == s.stop_after, "stop after %zu of %zu -> %d, %zu tokens",
		         s.stop_after, total, rc, s.n);
	else
		FZ_CHECK(rc == ZHFTS_OK && s.n == total, "second pass: %d, %zu tokens instead of %zu", rc, s.n,
		         total);
	return 0;
}
