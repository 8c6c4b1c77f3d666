/*
 * The text stages: charset decoding with offset maps, paragraph splitting and
 * section paths (internal functions).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/ucnv.h>

#include "testutil.h"
#include "zhfts-private.h"

/* Converts UTF-8 to a charset with ICU; malloc'd. */
static char *encode(const char *cs, const char *utf8, size_t len, size_t *out_len)
{
	UErrorCode e = U_ZERO_ERROR;
	size_t cap = len * 4 + 16;
	char *out = malloc(cap);
	int32_t n = ucnv_convert(cs, "UTF-8", out, (int32_t)cap, utf8, (int32_t)len, &e);
	CU_ASSERT_FATAL(U_SUCCESS(e));
	*out_len = (size_t)n;
	return out;
}

/* ---- decoding ---------------------------------------------------------------- */

static void test_utf8_in_place(void)
{
	const char *s = "第一段\n\n第二段";
	zdecoded d;
	zerr err;
	CU_ASSERT_FATAL(zhfts__decode(&d, s, strlen(s), NULL, false, &err) == 0);
	CU_ASSERT(d.text == s && d.len == strlen(s) && !d.owned);
	CU_ASSERT_STRING_EQUAL(d.encoding, "UTF-8");
	zhfts__decoded_free(&d);
}

static void test_utf8_invalid(void)
{
	static const struct { const char *s; size_t len, bad; } cases[] = {
		{"ab\xe4\xb8", 4, 2},            /* truncated */
		{"\xc0\xaf ok", 5, 0},           /* overlong */
		{"x\xed\xa0\x80y", 5, 1},        /* surrogate */
		{"\xe4\xb8\xad\xff\xe6\x96\x87", 7, 3},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		CU_ASSERT_EQUAL(zhfts__utf8_check(cases[i].s, cases[i].len), cases[i].bad);
		zdecoded d;
		zerr err = {0};
		CU_ASSERT_EQUAL(zhfts__decode(&d, cases[i].s, cases[i].len, "UTF-8", false, &err), ZHFTS_EENCODING);
		char want[64];
		snprintf(want, sizeof want, "byte offset %zu", cases[i].bad);
		CU_ASSERT(strstr(err.msg, want) != NULL);
		zhfts__decoded_free(&d);
		/* Lenient: replaced, and what follows is kept. */
		CU_ASSERT_FATAL(zhfts__decode(&d, cases[i].s, cases[i].len, "UTF-8", true, &err) == 0);
		CU_ASSERT(strstr(d.text, "\xef\xbf\xbd") != NULL);
		CU_ASSERT_EQUAL(zhfts__utf8_check(d.text, d.len), d.len);
		zhfts__decoded_free(&d);
	}
}

/* Every paragraph's input range, converted back from cs by ICU, is the paragraph. */
static void check_paragraph_offsets(const zdecoded *d, const char *orig, const char *cs, size_t min_paras)
{
	zparas ps;
	CU_ASSERT_FATAL(zhfts__split_paragraphs(&ps, d->text, d->len, ZHFTS_PARAGRAPH_BLANK_LINE) == 0);
	CU_ASSERT(ps.n >= min_paras);
	for (size_t i = 0; i < ps.n; i++) {
		size_t a = zhfts__decoded_orig(d, ps.items[i].start), b = zhfts__decoded_orig(d, ps.items[i].end);
		UErrorCode e = U_ZERO_ERROR;
		char buf[8192];
		int32_t k = ucnv_convert("UTF-8", cs, buf, sizeof buf, orig + a, (int32_t)(b - a), &e);
		CU_ASSERT(U_SUCCESS(e));
		CU_ASSERT((size_t)k == ps.items[i].end - ps.items[i].start &&
		          !memcmp(buf, d->text + ps.items[i].start, (size_t)k));
	}
	zhfts__paras_free(&ps);
}

static void test_gbk_and_offsets(void)
{
	size_t len, glen;
	char *u = tu_sample(&len);
	/* GBK has no U+00A0: make those spaces first. */
	for (char *p = u; (p = strstr(p, "\xc2\xa0"));) {
		memmove(p, p + 1, len - (size_t)(p + 1 - u) + 1);
		*p = ' ';
		len--;
	}
	char *g = encode("GBK", u, len, &glen);
	zdecoded d;
	zerr err;
	CU_ASSERT_FATAL(zhfts__decode(&d, g, glen, NULL, false, &err) == 0);
	CU_ASSERT(strstr(d.encoding, "GB") != NULL);
	CU_ASSERT(d.len == len && !memcmp(d.text, u, len));
	check_paragraph_offsets(&d, g, "GBK", 21);
	zhfts__decoded_free(&d);
	free(g);
	free(u);
}

static void test_utf16_bom(void)
{
	const char *s = "标题\r\n\r\n正文第一行\r\n第二行\r\n";
	for (int be = 0; be < 2; be++) {
		size_t n;
		char *body = encode(be ? "UTF-16BE" : "UTF-16LE", s, strlen(s), &n);
		char *buf = malloc(n + 2);
		buf[0] = be ? '\xfe' : '\xff';
		buf[1] = be ? '\xff' : '\xfe';
		memcpy(buf + 2, body, n);
		zdecoded d;
		zerr err;
		CU_ASSERT_FATAL(zhfts__decode(&d, buf, n + 2, NULL, false, &err) == 0);
		CU_ASSERT_STRING_EQUAL(d.encoding, be ? "UTF-16BE" : "UTF-16LE");
		CU_ASSERT(d.len == strlen(s) && !memcmp(d.text, s, d.len));
		zparas ps;
		CU_ASSERT_FATAL(zhfts__split_paragraphs(&ps, d.text, d.len, ZHFTS_PARAGRAPH_BLANK_LINE) == 0);
		CU_ASSERT_EQUAL_FATAL(ps.n, 2);
		/* "标题" starts after the BOM; the body after 2+4+4+4 code units. */
		CU_ASSERT_EQUAL(zhfts__decoded_orig(&d, ps.items[0].start), 2);
		CU_ASSERT_EQUAL(zhfts__decoded_orig(&d, ps.items[0].end), 6);
		CU_ASSERT_EQUAL(zhfts__decoded_orig(&d, ps.items[1].start), 14);
		CU_ASSERT_EQUAL(zhfts__decoded_orig(&d, ps.items[1].end), 14 + 2 * 10); /* 正文第一行 CR LF 第二行 */
		zhfts__paras_free(&ps);
		zhfts__decoded_free(&d);
		free(buf);
		free(body);
	}
	/* A lone surrogate is an error with its offset. */
	const char lone[] = {'\xff', '\xfe', 'a', 0, '\x00', '\xd8', 'b', 0};
	zdecoded d;
	zerr err = {0};
	CU_ASSERT_EQUAL(zhfts__decode(&d, lone, sizeof lone, NULL, false, &err), ZHFTS_EENCODING);
	CU_ASSERT(strstr(err.msg, "byte offset") != NULL);
	zhfts__decoded_free(&d);
}

static void test_unknown_charset(void)
{
	zdecoded d;
	zerr err = {0};
	CU_ASSERT_EQUAL(zhfts__decode(&d, "abc", 3, "NO-SUCH-CHARSET", false, &err), ZHFTS_EENCODING);
	CU_ASSERT(strstr(err.msg, "NO-SUCH-CHARSET") != NULL);
	zhfts__decoded_free(&d);
}

/* ---- charset guessing (the rule at the top of lib/decode.c) ------------------ */

/* The test's own UTF-8 reader (RFC 3629): the length of the valid sequence
 * at s, or 0. */
static size_t tv_seq(const unsigned char *s, size_t n)
{
	if (s[0] < 0x80)
		return 1;
	size_t len;
	uint32_t cp, min;
	if ((s[0] & 0xe0) == 0xc0)
		len = 2, cp = s[0] & 0x1fu, min = 0x80;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3, cp = s[0] & 0x0fu, min = 0x800;
	else if ((s[0] & 0xf8) == 0xf0)
		len = 4, cp = s[0] & 0x07u, min = 0x10000;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	return cp >= min && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff) ? len : 0;
}

/* Offset of the first invalid byte, or len; *nonutf8: bytes outside valid
 * sequences (each invalid byte counted, resuming at the next). */
static size_t tv_check(const char *s, size_t len, size_t *nonutf8)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t first = len, bad = 0;
	for (size_t i = 0; i < len;) {
		size_t n = tv_seq(u + i, len - i);
		if (n) {
			i += n;
			continue;
		}
		if (first == len)
			first = i;
		bad++;
		i++;
	}
	if (nonutf8)
		*nonutf8 = bad;
	return first;
}

/* The lenient reading, by the Unicode/WHATWG rule: each maximal prefix of a
 * valid sequence that cannot be completed, and each other bad byte, becomes
 * one U+FFFD.  from[i] is the input offset of out[i]'s character.  Malloc'd. */
static char *tv_lenient(const char *s, size_t len, size_t *out_len, size_t **from)
{
	const unsigned char *u = (const unsigned char *)s;
	char *out = malloc(3 * len + 1);
	size_t *f = malloc((3 * len + 1) * sizeof *f), o = 0;
	CU_ASSERT_FATAL(out && f);
	for (size_t i = 0; i < len;) {
		size_t n = tv_seq(u + i, len - i);
		if (n) {
			for (size_t k = 0; k < n; k++)
				f[o] = i, out[o++] = s[i + k];
			i += n;
			continue;
		}
		/* How far the bytes at i are a prefix of some valid sequence. */
		unsigned char c = u[i];
		size_t need = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
		size_t ok = 1;
		if (need && i + 1 < len) {
			unsigned char lo = c == 0xe0 ? 0xa0 : c == 0xf0 ? 0x90 : 0x80;
			unsigned char hi = c == 0xed ? 0x9f : c == 0xf4 ? 0x8f : 0xbf;
			if (u[i + 1] >= lo && u[i + 1] <= hi) {
				ok = 2;
				while (ok < need && i + ok < len && (u[i + ok] & 0xc0) == 0x80)
					ok++;
			}
		}
		for (size_t k = 0; k < 3; k++)
			f[o] = i, out[o++] = "\xef\xbf\xbd"[k];
		i += ok;
	}
	out[o] = '\0';
	*out_len = o;
	*from = f;
	return out;
}

/* The number after "byte offset " in msg, or -1. */
static long msg_offset(const char *msg)
{
	const char *p = strstr(msg, "byte offset ");
	return p && p[12] >= '0' && p[12] <= '9' ? strtol(p + 12, NULL, 10) : -1;
}

/* Decodes with charset detection: strict must refuse, naming the first bad
 * byte, and lenient must give UTF-8 with U+FFFD. */
static void expect_refused(const char *what, const char *s, size_t len)
{
	size_t bad = tv_check(s, len, NULL);
	CU_ASSERT_FATAL(bad < len);
	zdecoded d;
	zerr err;
	memset(&err, 0, sizeof err);
	int rc = zhfts__decode(&d, s, len, NULL, false, &err);
	if (rc != ZHFTS_EENCODING || msg_offset(err.msg) != (long)bad)
		fprintf(stderr, "\n%s (%zu bytes): %d '%s' (%s), want the refusal at byte offset %zu\n", what, len,
		        rc, err.msg, rc ? "" : d.encoding, bad);
	CU_ASSERT_EQUAL(rc, ZHFTS_EENCODING);
	CU_ASSERT_EQUAL(msg_offset(err.msg), (long)bad);
	CU_ASSERT(strstr(err.msg, "name the charset, or decode leniently") != NULL);
	zhfts__decoded_free(&d);
	rc = zhfts__decode(&d, s, len, NULL, true, &err);
	if (rc != ZHFTS_OK || strcmp(d.encoding, "UTF-8"))
		fprintf(stderr, "\n%s, lenient: %d '%s' (%s)\n", what, rc, err.msg, rc ? "" : d.encoding);
	CU_ASSERT_EQUAL(rc, ZHFTS_OK);
	CU_ASSERT_STRING_EQUAL(d.encoding, "UTF-8");
	zhfts__decoded_free(&d);
}

/* Issue 11: 中, FF FE, a blank line, 文 was indexed as UTF-16 mojibake. */
static void test_issue_bytes(void)
{
	static const char ten[] = "\xe4\xb8\xad\xff\xfe\n\n\xe6\x96\x87", nine[] = "\xe4\xb8\xad\xff\xfe\n\xe6\x96\x87";
	const char *docs[] = {ten, nine};
	size_t lens[] = {sizeof ten - 1, sizeof nine - 1};
	for (int i = 0; i < 2; i++) {
		CU_ASSERT_EQUAL(lens[i], 10u - (size_t)i);
		expect_refused(i ? "the issue's bytes, one newline" : "the issue's bytes", docs[i], lens[i]);
		zdecoded d;
		zerr err;
		memset(&err, 0, sizeof err);
		CU_ASSERT_EQUAL(zhfts__decode(&d, docs[i], lens[i], NULL, false, &err), ZHFTS_EENCODING);
		CU_ASSERT_STRING_EQUAL(err.msg, "invalid UTF-8 at byte offset 3; name the charset, or decode "
		                                "leniently to replace bad bytes with U+FFFD");
		zhfts__decoded_free(&d);
		/* Lenient: FF and FE are one U+FFFD each; line ends map back to the input. */
		CU_ASSERT_FATAL(zhfts__decode(&d, docs[i], lens[i], NULL, true, &err) == 0);
		const char *want = i ? "中\xef\xbf\xbd\xef\xbf\xbd\n文" : "中\xef\xbf\xbd\xef\xbf\xbd\n\n文";
		CU_ASSERT(d.len == strlen(want) && !memcmp(d.text, want, d.len));
		CU_ASSERT_EQUAL(zhfts__decoded_orig(&d, 9), 5);
		CU_ASSERT_EQUAL(zhfts__decoded_orig(&d, d.len - 3), lens[i] - 3);
		CU_ASSERT_EQUAL(zhfts__decoded_orig(&d, d.len), lens[i]);
		zhfts__decoded_free(&d);
	}
}

/* UTF-16 without a BOM is read when its bytes fit; at an odd length never. */
static void test_utf16_without_bom(void)
{
	size_t len;
	char *u = tu_sample(&len);
	for (int be = 0; be < 2; be++) {
		const char *cs = be ? "UTF-16BE" : "UTF-16LE";
		size_t n;
		char *w = encode(cs, u, len, &n);
		zdecoded d;
		zerr err;
		memset(&err, 0, sizeof err);
		CU_ASSERT_FATAL(zhfts__decode(&d, w, n, NULL, false, &err) == 0);
		CU_ASSERT_STRING_EQUAL(d.encoding, cs);
		CU_ASSERT(d.len == len && !memcmp(d.text, u, len));
		check_paragraph_offsets(&d, w, cs, 21);
		zhfts__decoded_free(&d);
		/* Odd lengths: whole prefixes, and the text with one byte more. */
		char *w1 = malloc(n + 1);
		memcpy(w1, w, n);
		w1[n] = '\n';
		size_t tried = 0;
		for (size_t k = 1; k <= n + 1; k += 2 * 37 + (k < 200 ? 0 : 2 * 200)) {
			size_t bad = tv_check(w1, k, NULL);
			if (bad == k)
				continue; /* valid UTF-8: "N", the first byte of 云 (U+4E91) in UTF-16BE */
			for (int lenient = 0; lenient < 2; lenient++) {
				memset(&err, 0, sizeof err);
				int rc = zhfts__decode(&d, w1, k, NULL, lenient, &err);
				bool unicode = rc == ZHFTS_OK && (!strncmp(d.encoding, "UTF-16", 6) || !strncmp(d.encoding, "UTF-32", 6));
				if (unicode || (rc && msg_offset(err.msg) != (long)bad))
					fprintf(stderr, "\n%s prefix of %zu bytes%s: %d '%s' %s\n", cs, k, lenient ? ", lenient" : "",
					        rc, err.msg, rc ? "" : d.encoding);
				CU_ASSERT(!unicode);
				CU_ASSERT(rc == ZHFTS_OK || (rc == ZHFTS_EENCODING && msg_offset(err.msg) == (long)bad));
				CU_ASSERT(rc == ZHFTS_OK || !lenient);
				zhfts__decoded_free(&d);
			}
			tried++;
		}
		CU_ASSERT(tried > 10);
		free(w1);
		free(w);
	}
	free(u);
}

/* ASCII-heavy UTF-16: the NUL bytes say which byte order, and ASCII text
 * with stray Latin-1 bytes is not UTF-16 at all ("Bush hid the facts"). */
static void test_utf16_byte_pattern(void)
{
	/* Mostly ASCII with some Chinese: in the other byte order the ASCII would
	 * be CJK characters, U+xx00. */
	char u[4096] = "";
	while (strlen(u) < 3000)
		strcat(u, "Plan 2026: build the science city (科学城) and grow the digital economy.\n");
	for (int be = 0; be < 2; be++) {
		const char *cs = be ? "UTF-16BE" : "UTF-16LE";
		size_t n;
		char *w = encode(cs, u, strlen(u), &n);
		zdecoded d;
		zerr err;
		memset(&err, 0, sizeof err);
		int rc = zhfts__decode(&d, w, n, NULL, false, &err);
		if (rc)
			fprintf(stderr, "\nASCII-heavy %s: %d '%s'\n", cs, rc, err.msg);
		CU_ASSERT_EQUAL_FATAL(rc, ZHFTS_OK);
		CU_ASSERT_STRING_EQUAL(d.encoding, cs);
		CU_ASSERT(d.len == strlen(u) && !memcmp(d.text, u, d.len));
		zhfts__decoded_free(&d);
		free(w);
	}
	/* Lower-case English with Latin-1 é: as UTF-16 nearly every unit would be
	 * a CJK character, but two printable ASCII bytes. */
	char l[4096] = "";
	while (strlen(l) < 2000)
		strcat(l, "bush hid the facts and the caf\xe9 owner said that the r\xe9sum\xe9 was fine\n");
	expect_refused("lower-case Latin-1", l, strlen(l));
	size_t even = strlen(l) & ~(size_t)1;
	expect_refused("lower-case Latin-1, even length", l, even);
}

/* Fewer than 33 bytes that are not UTF-8: no guess, whatever they are. */
static void test_short_input_refused(void)
{
	static const struct { const char *what, *s; } fixed[] = {
		{"GBK 中", "\xd6\xd0"},
		{"ASCII around GBK 中文", "abc\xd6\xd0\xce\xc4" "def"},
		{"GBK 北京市", "\xb1\xb1\xbe\xa9\xca\xd0"},
		{"Big5 發展", "\xb5\x6f\xae\x69"},
		{"Latin-1 café", "caf\xe9"},
		{"UTF-16LE 中文, no BOM", "\x2d\x4e\x87\x65"},
		{"UTF-16BE 中文, no BOM", "\x4e\x2d\x65\x87"},
		{"a lone high byte", "\x80"},
		{"pound sign", "price: 100\xa3\n"},
	};
	for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
		expect_refused(fixed[i].what, fixed[i].s, strlen(fixed[i].s));
	/* The sample in GBK, Big5 and UTF-16, cut short: refused while at most 32
	 * bytes are not UTF-8. */
	size_t len;
	char *u = tu_sample(&len);
	for (char *p = u; (p = strstr(p, "\xc2\xa0"));) {
		memmove(p, p + 1, len - (size_t)(p + 1 - u) + 1);
		*p = ' ';
		len--;
	}
	static const char *const css[] = {"GBK", "Big5", "UTF-16LE", "UTF-16BE", "Shift_JIS"};
	size_t refused = 0;
	for (size_t c = 0; c < sizeof css / sizeof *css; c++) {
		size_t n;
		char *g = encode(css[c], u, len, &n);
		for (size_t k = 1; k <= n && k < 400; k++) {
			size_t nonutf8;
			if (tv_check(g, k, &nonutf8) == k || nonutf8 > 32)
				continue;
			char what[64];
			snprintf(what, sizeof what, "%s prefix of %zu bytes", css[c], k);
			expect_refused(what, g, k);
			refused++;
		}
		free(g);
	}
	CU_ASSERT(refused > 200);
	free(u);
}

/* UTF-32, with either BOM and without one. */
static void test_utf32(void)
{
	size_t len;
	char *u = tu_sample(&len);
	for (int be = 0; be < 2; be++) {
		const char *cs = be ? "UTF-32BE" : "UTF-32LE";
		size_t n;
		char *w = encode(cs, u, len, &n);
		char *b = malloc(n + 4);
		memcpy(b, be ? "\x00\x00\xfe\xff" : "\xff\xfe\x00\x00", 4);
		memcpy(b + 4, w, n);
		for (int bom = 0; bom < 2; bom++) {
			zdecoded d;
			zerr err;
			memset(&err, 0, sizeof err);
			CU_ASSERT_FATAL(zhfts__decode(&d, bom ? b : w, n + (bom ? 4u : 0u), NULL, false, &err) == 0);
			CU_ASSERT_STRING_EQUAL(d.encoding, cs);
			CU_ASSERT(d.len == len && !memcmp(d.text, u, len));
			check_paragraph_offsets(&d, bom ? b : w, cs, 21);
			CU_ASSERT_EQUAL(zhfts__decoded_orig(&d, 0), bom ? 4u : 0u);
			zhfts__decoded_free(&d);
		}
		/* With the BOM, a cut unit at the end is an error at its offset. */
		zdecoded d;
		zerr err;
		memset(&err, 0, sizeof err);
		CU_ASSERT_EQUAL(zhfts__decode(&d, b, n + 2, NULL, false, &err), ZHFTS_EENCODING);
		CU_ASSERT_EQUAL(msg_offset(err.msg), (long)n);
		zhfts__decoded_free(&d);
		free(b);
		free(w);
	}
	free(u);
}

/* ---- property: corrupted UTF-8 stays UTF-8 ------------------------------------ */

static uint64_t prop_state;

static uint64_t prop_rand(void) /* splitmix64 */
{
	uint64_t z = (prop_state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static size_t prop_below(size_t n)
{
	return (size_t)(prop_rand() % n);
}

static const char *const prop_han[] = {
	"科学城", "建设", "发展", "数字经济", "人工智能", "高质量", "中关村", "推进", "改革", "创新驱动",
	"养老服务", "生态环境", "城市更新", "基础设施", "乡村振兴", "政府工作报告", "坚持", "全面深化",
	"重点任务", "产业", "就业", "教育", "医疗卫生", "文化", "交通", "绿色低碳", "营商环境", "一", "年",
	"區", "發展", "臺灣", "會議", "々", "〇", "𠀀", "𡈼", "ｇｄｐ", "５Ｇ", "①", "Ⅴ", "㊀",
};
static const char *const prop_ascii[] = {
	"RISC-V", "5G", "AI", "GDP", "2024", "3268", "CPU", "the", "plan", "of", "and", "x86", "Beijing",
	"(1)", "1.2", "6.1%", "e-mail", "@", "www.example.com", "caf\xc3\xa9", "\xce\xb1", "\xc2\xb7", "\xc3\x97",
	"\xf0\x9f\x98\x80",
};
static const char *const prop_punct[] = {
	"，", "。", "、", "；", "：", "“", "”", "（", "）", "《", "》", "！", "？", "——", "…", " ", "　", ",",
	".", ";", ":", "\t",
};
static const char *const prop_breaks[] = {"\n", "\n\n", "\r\n", "\r\n\r\n", "\n　　", "\r"};

#define PROP_PICK(list) (list)[prop_below(sizeof(list) / sizeof *(list))]

/* A valid UTF-8 text of about `target` bytes, `han` percent Chinese words. */
static size_t prop_text(char *buf, size_t cap, size_t target, unsigned han)
{
	size_t n = 0;
	while (n < target) {
		const char *w = prop_below(100) < han ? PROP_PICK(prop_han) : PROP_PICK(prop_ascii);
		const char *sep = prop_below(100) < 25 ? PROP_PICK(prop_punct) : prop_below(100) < 6 ? PROP_PICK(prop_breaks) : "";
		size_t wl = strlen(w), sl = strlen(sep);
		if (n + wl + sl + 1 > cap)
			break;
		if (n && !*sep && (unsigned char)w[0] < 0x80 && (unsigned char)buf[n - 1] < 0x80 && buf[n - 1] != '\n')
			buf[n++] = ' ';
		memcpy(buf + n, w, wl);
		n += wl;
		memcpy(buf + n, sep, sl);
		n += sl;
	}
	return n;
}

#define PROP_CHECK(cond, ...)                                                                   \
	do {                                                                                        \
		if (!(cond)) {                                                                          \
			if (failures++ < 5) {                                                               \
				fprintf(stderr, "\ncase %zu (%zu bytes, %zu corrupted, first bad %zu): %s: ", i, \
				        len, k, bad, #cond);                                                    \
				fprintf(stderr, __VA_ARGS__);                                                   \
				fputc('\n', stderr);                                                            \
			}                                                                                   \
		}                                                                                       \
	} while (0)

/*
 * Thousands of valid UTF-8 texts (Chinese words, ASCII, punctuation and line
 * breaks, from one byte to 32 KB), each with 1 to 8 bytes overwritten at
 * random: with detection, strict decoding refuses naming the first bad byte
 * (or, if the text stayed valid, uses it in place), and lenient decoding
 * gives UTF-8 with U+FFFD exactly where the Unicode rule puts it.  Never
 * another charset.
 */
static void test_corrupted_utf8_stays_utf8(void)
{
	enum { CASES = 4000, MAX = 40 << 10 };
	prop_state = 20260108;
	char *buf = malloc(MAX + 64);
	CU_ASSERT_FATAL(buf != NULL);
	size_t failures = 0, short_ones = 0, long_ones = 0, still_valid = 0, bom = 0, most_bad = 0;
	for (size_t i = 0; i < CASES; i++) {
		size_t target = 1 + prop_below((size_t)4 << prop_below(14));
		if (target > MAX)
			target = MAX;
		static const unsigned han_share[] = {5, 30, 60, 90, 100};
		size_t len = prop_text(buf, MAX + 64, target, PROP_PICK(han_share));
		size_t k = 1 + prop_below(8), bad = len;
		CU_ASSERT_FATAL(len > 0 && tv_check(buf, len, NULL) == len);
		for (size_t j = 0; j < k; j++)
			buf[prop_below(len)] = (char)prop_below(256);
		const unsigned char *u = (const unsigned char *)buf;
		if ((len >= 2 && ((u[0] == 0xff && u[1] == 0xfe) || (u[0] == 0xfe && u[1] == 0xff))) ||
		    (len >= 3 && u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf) ||
		    (len >= 4 && !u[0] && !u[1] && u[2] == 0xfe && u[3] == 0xff)) {
			bom++; /* a byte order mark decides, by design */
			continue;
		}
		size_t nonutf8;
		bad = tv_check(buf, len, &nonutf8);
		short_ones += len < 64;
		long_ones += len >= 16384;
		still_valid += bad == len;
		most_bad = nonutf8 > most_bad ? nonutf8 : most_bad;
		/* Why it holds: each overwritten byte spoils at most one 4-byte sequence. */
		PROP_CHECK(nonutf8 <= 4 * k, "%zu bytes outside valid UTF-8", nonutf8);

		zdecoded d;
		zerr err;
		memset(&err, 0, sizeof err);
		int rc = zhfts__decode(&d, buf, len, NULL, false, &err);
		if (bad == len) {
			PROP_CHECK(rc == ZHFTS_OK && d.text == buf && d.len == len && !d.owned &&
			               !strcmp(d.encoding, "UTF-8"),
			           "valid: %d '%s' %s", rc, err.msg, rc ? "" : d.encoding);
		} else {
			PROP_CHECK(rc == ZHFTS_EENCODING && msg_offset(err.msg) == (long)bad, "strict: %d '%s' %s", rc,
			           err.msg, rc ? "" : d.encoding);
		}
		zhfts__decoded_free(&d);

		size_t want_len, *from;
		char *want = tv_lenient(buf, len, &want_len, &from);
		for (int named = 0; named < 2; named++) {
			memset(&err, 0, sizeof err);
			rc = zhfts__decode(&d, buf, len, named ? "UTF-8" : NULL, true, &err);
			PROP_CHECK(rc == ZHFTS_OK && !strcmp(d.encoding, "UTF-8"), "lenient (%s): %d '%s' %s",
			           named ? "UTF-8" : "detect", rc, err.msg, rc ? "" : d.encoding);
			if (rc == ZHFTS_OK) {
				PROP_CHECK(d.len == want_len && !memcmp(d.text, want, want_len),
				           "lenient (%s): not the expected U+FFFD replacement", named ? "UTF-8" : "detect");
				/* Line ends map back onto the input's. */
				size_t off_bad = 0;
				for (size_t o = 0; o < want_len && d.len == want_len; o++)
					if (want[o] == '\n' && zhfts__decoded_orig(&d, o) != from[o])
						off_bad++;
				PROP_CHECK(off_bad == 0, "%zu line ends map to the wrong input offset", off_bad);
			}
			zhfts__decoded_free(&d);
		}
		free(want);
		free(from);
	}
	fprintf(stderr, "\n  %d cases: %zu under 64 bytes, %zu of 16 KB or more, %zu still valid, %zu BOMs, "
	        "at most %zu bytes not UTF-8\n", CASES, short_ones, long_ones, still_valid, bom, most_bad);
	CU_ASSERT_EQUAL(failures, 0);
	/* The generator covers what it should. */
	CU_ASSERT(short_ones > 200 && long_ones > 100 && still_valid > 10 && most_bad > 16);
	free(buf);
}

/* ---- paragraphs -------------------------------------------------------------- */

static void expect_paras(const char *text, int mode, const char *const *want, size_t nwant)
{
	zparas ps;
	CU_ASSERT_FATAL(zhfts__split_paragraphs(&ps, text, strlen(text), mode) == 0);
	CU_ASSERT_EQUAL(ps.n, nwant);
	for (size_t i = 0; i < ps.n && i < nwant; i++) {
		const zpara *p = &ps.items[i];
		CU_ASSERT(p->number == i + 1);
		CU_ASSERT(p->end - p->start == strlen(want[i]) && !memcmp(text + p->start, want[i], strlen(want[i])));
	}
	zhfts__paras_free(&ps);
}

static void test_paragraphs(void)
{
	static const char *const w1[] = {"一行\n两行", "三行"};
	expect_paras("一行\n两行\n\n三行\n", ZHFTS_PARAGRAPH_BLANK_LINE, w1, 2);
	/* Blank lines of U+3000, U+00A0, tabs and zero-width spaces. */
	static const char *const w2[] = {"　　缩进的段落", "第二段"};
	expect_paras("\n　　缩进的段落\n\xe3\x80\x80\n\xc2\xa0 \t\n\xe2\x80\x8b\n第二段", ZHFTS_PARAGRAPH_BLANK_LINE, w2, 2);
	/* CRLF and CR-only line ends. */
	static const char *const w3[] = {"甲\r\n乙", "丙"};
	expect_paras("甲\r\n乙\r\n\r\n丙\r\n", ZHFTS_PARAGRAPH_BLANK_LINE, w3, 2);
	static const char *const w4[] = {"甲\r乙", "丙"};
	expect_paras("甲\r乙\r\r丙", ZHFTS_PARAGRAPH_BLANK_LINE, w4, 2);
	/* Line mode. */
	static const char *const w5[] = {"甲", "乙", "丙"};
	expect_paras("甲\n乙\n\n丙\n", ZHFTS_PARAGRAPH_LINE, w5, 3);
	expect_paras("", ZHFTS_PARAGRAPH_BLANK_LINE, NULL, 0);
	expect_paras("\n\n \n", ZHFTS_PARAGRAPH_BLANK_LINE, NULL, 0);
}

/* ---- sections ------------------------------------------------------------------ */

static void test_heading_families(void)
{
	static const struct { const char *s; int fam; } cases[] = {
		{"一、总体要求", 2}, {"（二）重点任务", 2}, {"(3) 保障措施", 2}, {"4. 附则", 2},
		{"第三章 发展目标", 2}, {"任务 3", 2}, {"亮点 1", 2}, {"回顾 2025", 2},
		{"聚焦科学城建设推动高质量发展", 1}, {"《规划纲要》解读", 1},
		{"全年实现地区生产总值3268亿元。", 0}, {"各位代表：", 0}, {"2020.01.06", 0},
		{"温某  田某/摄", 0}, {"区长　林某某", 0}, {"1.2万平方米的改造完成了，", 0},
		{"这是一个很长很长的段落，它有逗号，也有句号，显然不是标题而是正文的一部分。", 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char key[32];
		int fam = zhfts__heading_family(cases[i].s, strlen(cases[i].s), key, sizeof key);
		if (fam != cases[i].fam)
			fprintf(stderr, "\n%s: family %d, want %d\n", cases[i].s, fam, cases[i].fam);
		CU_ASSERT_EQUAL(fam, cases[i].fam);
	}
}

static void test_section_paths(void)
{
	const char *doc =
		"某区政府工作报告\n\n"
		"回顾 2025\n\n团结奋斗推动发展\n\n正文甲。\n\n"
		"亮点 1\n\n科技创新能力增强\n\n正文乙。\n\n"
		"一、主要工作\n\n（一）经济发展\n\n正文丙。\n\n（二）社会民生\n\n正文丁。\n\n"
		"二、下一步安排\n\n正文戊。\n";
	static const char *const want[] = {
		"某区政府工作报告",
		"回顾 2025", "回顾 2025 › 团结奋斗推动发展", "回顾 2025 › 团结奋斗推动发展",
		"亮点 1", "亮点 1 › 科技创新能力增强", "亮点 1 › 科技创新能力增强",
		"一、主要工作", "一、主要工作 › （一）经济发展", "一、主要工作 › （一）经济发展",
		"一、主要工作 › （二）社会民生", "一、主要工作 › （二）社会民生",
		"二、下一步安排", "二、下一步安排",
	};
	zparas ps;
	CU_ASSERT_FATAL(zhfts__split_paragraphs(&ps, doc, strlen(doc), ZHFTS_PARAGRAPH_BLANK_LINE) == 0);
	CU_ASSERT_FATAL(zhfts__assign_sections(&ps, doc) == 0);
	CU_ASSERT_EQUAL(ps.n, sizeof want / sizeof *want);
	for (size_t i = 0; i < ps.n && i < sizeof want / sizeof *want; i++) {
		if (strcmp(ps.items[i].section, want[i]))
			fprintf(stderr, "\nparagraph %zu: '%s', want '%s'\n", i + 1, ps.items[i].section, want[i]);
		CU_ASSERT_STRING_EQUAL(ps.items[i].section, want[i]);
	}
	zhfts__paras_free(&ps);
}

/* ---- units: the fast path agrees with the full one ---------------------------- */

static void compare_units(struct zhfts_tokenizer *t, const char *s, size_t len)
{
	zunits a = {0}, b = {0};
	CU_ASSERT_FATAL(zhfts__units(t, s, len, &a) == 0);
	CU_ASSERT_FATAL(zhfts__units_fast(t, s, len, &b) == 0);
	bool same = a.n == b.n;
	for (size_t i = 0; same && i < a.n; i++)
		same = a.u[i].len == b.u[i].len && !memcmp(zunit_text(&a, i), zunit_text(&b, i), a.u[i].len) &&
		       a.u[i].src_off == b.u[i].src_off && a.u[i].src_len == b.u[i].src_len &&
		       a.u[i].han == b.u[i].han;
	if (!same)
		fprintf(stderr, "\nunits differ (%zu vs %zu) for: %.*s\n", a.n, b.n, (int)(len > 200 ? 200 : len), s);
	CU_ASSERT(same);
	zhfts__units_free(&a);
	zhfts__units_free(&b);
}

static void test_fast_units(void)
{
	struct zhfts_tokenizer t;
	zerr err;
	CU_ASSERT_FATAL(zhfts__tokenizer_init(&t, NULL, &err) == 0);
	static const char *const tricky[] = {
		"漢\xef\xb8\x80" "字", "カーテンとひらがな", "e中心", "5G基站", "RISC-Ⅴ芯片", "１．２万平方米", "don't 中文",
		"中_文", "①②③", "㍻年", "a\xcc\x81" "b中", "\xcc\x81" "中", "中\xcc\x81", "，。、“”（）", "   ",
		"Ｈｅｌｌｏ世界！", "科學城北區", "2020年1.2万", "a.b.c中d.e", "𠀀𠀁汉字", "\xe2\x80\x8b" "中" "\xe2\x80\x8b", "⼀⼆ ⿰ ㊀㈠ 🈀", "々", "，々。", "时々",
	};
	for (size_t i = 0; i < sizeof tricky / sizeof *tricky; i++)
		compare_units(&t, tricky[i], strlen(tricky[i]));
	size_t len;
	char *sample = tu_sample(&len);
	compare_units(&t, sample, len);
	free(sample);
	zhfts__tokenizer_fini(&t);
}

static void suites(void)
{
	CU_pSuite s = CU_add_suite("decode", NULL, NULL);
	CU_add_test(s, "valid UTF-8 is used in place", test_utf8_in_place);
	CU_add_test(s, "invalid UTF-8: offset, or lenient replacement", test_utf8_invalid);
	CU_add_test(s, "GBK detected, offsets map back", test_gbk_and_offsets);
	CU_add_test(s, "UTF-16 with BOM, lone surrogate", test_utf16_bom);
	CU_add_test(s, "unknown charset", test_unknown_charset);
	CU_add_test(s, "the issue's bytes: refused at byte offset 3", test_issue_bytes);
	CU_add_test(s, "UTF-16 without a BOM; odd lengths never UTF-16", test_utf16_without_bom);
	CU_add_test(s, "UTF-16 byte pattern: byte order, ASCII read as UTF-16", test_utf16_byte_pattern);
	CU_add_test(s, "short inputs are refused, not guessed", test_short_input_refused);
	CU_add_test(s, "UTF-32 with and without a BOM", test_utf32);
	CU_add_test(s, "property: corrupted UTF-8 is refused or read as UTF-8", test_corrupted_utf8_stays_utf8);
	s = CU_add_suite("paragraphs", NULL, NULL);
	CU_add_test(s, "blank lines, line ends, line mode", test_paragraphs);
	s = CU_add_suite("units", NULL, NULL);
	CU_add_test(s, "units without the dictionary equal units with it", test_fast_units);
	s = CU_add_suite("sections", NULL, NULL);
	CU_add_test(s, "heading families", test_heading_families);
	CU_add_test(s, "section paths", test_section_paths);
}

int main(void)
{
	return tu_run(suites);
}
