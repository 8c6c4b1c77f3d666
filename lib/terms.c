/*
 * The term scheme: how units become Xapian terms.  The indexer and the query
 * builder both come here, so the two cannot disagree.
 *
 *   unit                 "学", "risc", "1.2"
 *   B + unit + unit      adjacent pair ("B学习", "Bai 计")
 *   W + word             an ICU word of two or more Han characters (ranking)
 *   P + section path     the paragraph's section, as stored ("P任务 2 › 聚焦…");
 *                        section: filters match the distinct paths (plan.c)
 *   Q + id               the document a paragraph belongs to
 *   F + name : value     a field of its document, normalized ("Fdistrict:海淀区")
 *
 * No term has positions: a run of three or more units is found by its pairs
 * and checked against the stored text (verify.c), which costs less than
 * Xapian's position table, the largest part of its write path.
 *
 * Units never contain a space, so a space between the two units of a pair
 * (added whenever one of them is not a single Han character) keeps pairs
 * unambiguous.  Terms longer than Xapian allows are replaced by a 64-bit
 * hash of their text.
 */
#include <stdio.h>
#include <string.h>

#include "zhfts-private.h"

#define MAX_TERM 240

/* Shortens an over-long term in place: prefix + '#' + a hash of hash_bits. */
static int fit_bits(zbuf *out, size_t prefix_len, unsigned hash_bits)
{
	if (out->len <= MAX_TERM)
		return ZHFTS_OK;
	uint64_t h = zhfts__hash(out->data, out->len);
	if (hash_bits < 64)
		h &= (1ull << hash_bits) - 1;
	out->len = prefix_len;
	return zbuf_printf(out, "#%016llx", (unsigned long long)h);
}

static int fit(zbuf *out, size_t prefix_len)
{
	return fit_bits(out, prefix_len, 64);
}

bool zhfts__term_is_hashed(const char *term, size_t len)
{
	return len == 18 && term[1] == '#';
}

static int unit_term(zbuf *out, const char *prefix, const char *u, size_t len)
{
	out->len = 0;
	if (zbuf_adds(out, prefix))
		return ZHFTS_ENOMEM;
	size_t pl = out->len;
	/* Xapian's convention: a term starting with a capital after a prefix
	 * (possible only with normalization off) gets a ':' first. */
	if (len && ((u[0] >= 'A' && u[0] <= 'Z') || u[0] == ':' || u[0] == '#') && zbuf_addc(out, ':'))
		return ZHFTS_ENOMEM;
	if (zbuf_add(out, u, len))
		return ZHFTS_ENOMEM;
	return fit(out, pl);
}

int zhfts__term_unigram(zbuf *out, const zunits *us, size_t i)
{
	return unit_term(out, "", zunit_text(us, i), us->u[i].len);
}

int zhfts__term_bigram(zbuf *out, const zunits *us, size_t i)
{
	const zunit *a = &us->u[i], *b = &us->u[i + 1];
	out->len = 0;
	bool tight = a->han && b->han; /* Han units are single characters */
	if (zbuf_addc(out, 'B') || zbuf_add(out, zunit_text(us, i), a->len) ||
	    (!tight && zbuf_addc(out, ' ')) || zbuf_add(out, zunit_text(us, i + 1), b->len))
		return ZHFTS_ENOMEM;
	return fit(out, 1);
}

int zhfts__term_word(zbuf *out, const zunits *us, size_t tok)
{
	const ztoken *t = &us->tok[tok];
	const zunit *first = &us->u[t->first_unit], *last = &us->u[t->first_unit + t->nunits - 1];
	out->len = 0;
	if (zbuf_addc(out, 'W') || zbuf_add(out, zunit_text(us, t->first_unit), last->off + last->len - first->off))
		return ZHFTS_ENOMEM;
	return fit(out, 1);
}

/* After a one-letter prefix, text starting with '#' (or ':') gets a ':'
 * first, so that it can never read as a hashed term. */
static int prefixed(zbuf *out, char prefix, const char *s, size_t len)
{
	out->len = 0;
	if (zbuf_addc(out, prefix) || (len && (s[0] == '#' || s[0] == ':') && zbuf_addc(out, ':')) ||
	    zbuf_add(out, s, len))
		return ZHFTS_ENOMEM;
	return ZHFTS_OK;
}

int zhfts__term_docid(zbuf *out, const char *id, unsigned hash_bits)
{
	if (prefixed(out, 'Q', id, strlen(id)))
		return ZHFTS_ENOMEM;
	return fit_bits(out, 1, hash_bits);
}

int zhfts__term_field(zbuf *out, const char *name, const char *value, size_t len)
{
	out->len = 0;
	if (zbuf_addc(out, 'F') || zbuf_adds(out, name) || zbuf_addc(out, ':') || zbuf_add(out, value, len))
		return ZHFTS_ENOMEM;
	return fit(out, 1);
}

int zhfts__term_section(zbuf *out, const char *path, size_t len)
{
	if (prefixed(out, 'P', path, len))
		return ZHFTS_ENOMEM;
	return fit(out, 1);
}
