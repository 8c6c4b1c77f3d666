#include "oracle.h"

#include <stdlib.h>
#include <string.h>

#include <unicode/ubrk.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/uscript.h>
#include <unicode/ustring.h>
#include <unicode/utrans.h>

struct oracle {
	bool traditional;
	UTransliterator *t2s;
	UBreakIterator *bi;
};

static UTransliterator *open_transform(const char *id)
{
	UChar uid[64];
	u_uastrcpy(uid, id);
	UErrorCode e = U_ZERO_ERROR;
	UTransliterator *t = utrans_openU(uid, -1, UTRANS_FORWARD, NULL, 0, NULL, &e);
	return U_FAILURE(e) ? NULL : t;
}

oracle *oracle_new(bool traditional)
{
	oracle *o = calloc(1, sizeof *o);
	UErrorCode e = U_ZERO_ERROR;
	o->traditional = traditional;
	if (traditional)
		o->t2s = open_transform("Traditional-Simplified");
	o->bi = ubrk_open(UBRK_WORD, "zh", NULL, 0, &e);
	return o;
}

void oracle_free(oracle *o)
{
	if (!o)
		return;
	if (o->t2s)
		utrans_close(o->t2s);
	ubrk_close(o->bi);
	free(o);
}

/* UTF-8 -> UTF-16, malloc'd. */
static UChar *to16(const char *s, size_t len, int32_t *n)
{
	UErrorCode e = U_ZERO_ERROR;
	UChar *u = malloc((len + 1) * 2 * sizeof(UChar) + 16);
	u_strFromUTF8(u, (int32_t)(len * 2 + 8), n, s, (int32_t)len, &e);
	return u;
}

static bool own_unit(UChar32 c)
{
	UErrorCode e = U_ZERO_ERROR;
	UScriptCode s = uscript_getScript(c, &e);
	return s == USCRIPT_HAN || s == USCRIPT_HIRAGANA || s == USCRIPT_KATAKANA ||
	       s == USCRIPT_BOPOMOFO || u_hasBinaryProperty(c, UCHAR_IDEOGRAPHIC);
}

static void put(char **out, size_t *n, size_t *cap, const UChar *s, int32_t len)
{
	char tmp[1024];
	int32_t k = 0;
	UErrorCode e = U_ZERO_ERROR;
	u_strToUTF8(tmp, sizeof tmp, &k, s, len, &e);
	if (*n + (size_t)k + 2 >= *cap) {
		*cap = (*cap + (size_t)k + 2) * 2;
		*out = realloc(*out, *cap);
	}
	memcpy(*out + *n, tmp, (size_t)k);
	*n += (size_t)k;
	(*out)[(*n)++] = '\x1f';
	(*out)[*n] = '\0';
}

char *oracle_units(oracle *o, const char *text, size_t len)
{
	int32_t n16;
	UChar *u = to16(text, len, &n16);
	UErrorCode e = U_ZERO_ERROR;
	const UNormalizer2 *nf = unorm2_getNFKCCasefoldInstance(&e);
	int32_t cap16 = n16 * 4 + 16;
	UChar *nu = malloc((size_t)cap16 * sizeof(UChar));
	int32_t nn = unorm2_normalize(nf, u, n16, nu, cap16, &e);
	free(u);
	if (o->t2s) {
		int32_t limit = nn;
		utrans_transUChars(o->t2s, nu, &nn, cap16, 0, &limit, &e);
	}
	size_t on = 1, ocap = 64;
	char *out = malloc(ocap);
	out[0] = '\x1f';
	out[1] = '\0';
	ubrk_setText(o->bi, nu, nn, &e);
	int32_t p = ubrk_first(o->bi), q;
	while ((q = ubrk_next(o->bi)) != UBRK_DONE) {
		if (ubrk_getRuleStatus(o->bi) >= UBRK_WORD_NONE_LIMIT) {
			int32_t i = p, run = -1;
			bool alnum = false;
			while (i < q) {
				int32_t at = i;
				UChar32 c;
				U16_NEXT(nu, i, q, c);
				bool ws = u_hasBinaryProperty(c, UCHAR_WHITE_SPACE);
				if (own_unit(c) || ws) {
					if (run >= 0 && alnum)
						put(&out, &on, &ocap, nu + run, at - run);
					run = -1;
					if (!ws)
						put(&out, &on, &ocap, nu + at, i - at);
					continue;
				}
				if (run < 0) {
					run = at;
					alnum = false;
				}
				alnum = alnum || u_isalnum(c) || u_charType(c) == U_NON_SPACING_MARK;
			}
			if (run >= 0 && alnum)
				put(&out, &on, &ocap, nu + run, q - run);
		}
		p = q;
	}
	ubrk_setText(o->bi, NULL, 0, &e);
	free(nu);
	return out;
}

bool oracle_contains(oracle *o, const char *text_units, const char *phrase, size_t len)
{
	char *q = oracle_units(o, phrase, len);
	bool r = q[1] && strstr(text_units, q);
	free(q);
	return r;
}

char *oracle_transform(const char *id, const char *text)
{
	UTransliterator *t = open_transform(id);
	int32_t n16;
	size_t len = strlen(text);
	UChar *u = to16(text, len, &n16);
	int32_t cap = (int32_t)(len * 2 + 8), limit = n16;
	UErrorCode e = U_ZERO_ERROR;
	utrans_transUChars(t, u, &n16, cap, 0, &limit, &e);
	char *out = malloc(len * 4 + 16);
	int32_t k = 0;
	u_strToUTF8(out, (int32_t)(len * 4 + 16), &k, u, n16, &e);
	free(u);
	utrans_close(t);
	return out;
}
