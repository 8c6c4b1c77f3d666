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
	/* Every paragraph's input range, converted back, is the paragraph. */
	zparas ps;
	CU_ASSERT_FATAL(zhfts__split_paragraphs(&ps, d.text, d.len, ZHFTS_PARAGRAPH_BLANK_LINE) == 0);
	CU_ASSERT(ps.n > 20);
	for (size_t i = 0; i < ps.n; i++) {
		size_t a = zhfts__decoded_orig(&d, ps.items[i].start), b = zhfts__decoded_orig(&d, ps.items[i].end);
		UErrorCode e = U_ZERO_ERROR;
		char buf[8192];
		int32_t k = ucnv_convert("UTF-8", "GBK", buf, sizeof buf, g + a, (int32_t)(b - a), &e);
		CU_ASSERT(U_SUCCESS(e));
		CU_ASSERT((size_t)k == ps.items[i].end - ps.items[i].start &&
		          !memcmp(buf, d.text + ps.items[i].start, (size_t)k));
	}
	zhfts__paras_free(&ps);
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
