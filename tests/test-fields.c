/*
 * Fields, filters, sorting, facets, tiers, the query object and the error
 * detail, measured against an independent computation.
 *
 * The corpus is generated with a fixed seed: ~40 documents with fields
 * (district, year, date, title, source, score, note) in several spellings
 * (Traditional, full-width, upper case, padded with white space), some
 * missing, some guessed from the first lines.  The test keeps its own copy
 * of every document's fields and reads the paragraph texts back with
 * zhfts_db_get_document(); the oracle is then
 * - for text: plain substring search over text normalized by oracle.c;
 * - for fields: the test's own normalization (ICU NFKC_Casefold, ICU's
 *   Traditional-Simplified transform, white space trimmed), its own number
 *   syntax, comparisons, sort keys, facet counts and shortest decimals;
 * - for title and date: the test's own reading of the rule in zhfts.h.
 * Each generated query is a tree evaluated by the oracle on every paragraph
 * and printed as query text for the library.
 *
 * FIELDS_SEED=N runs another corpus and other queries; FIELDS_VERBOSE=1
 * prints each generated query with the oracle's count.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/ubrk.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf8.h>

#include "oracle.h"
#include "testutil.h"

#define NDOCS 40

/* ---- a little string builder ------------------------------------------------ */

typedef struct sbuf {
	char *s;
	size_t n, cap;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2 + 64;
		b->s = realloc(b->s, b->cap);
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = '\0';
}

static void sb_adds(sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
	char tmp[4096];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n > 0)
		sb_add(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* ---- the PRNG --------------------------------------------------------------- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return n ? (unsigned)(rng % n) : 0;
}
#define PICK(a) ((a)[rnd(sizeof(a) / sizeof *(a))])

/* ---- the oracle for field values ---------------------------------------------- */

static bool white(UChar32 c)
{
	return u_hasBinaryProperty(c, UCHAR_WHITE_SPACE) || c == 0xfeff;
}

/* Trims white space at both ends of s, in place. */
static void trim(char *s)
{
	int32_t n = (int32_t)strlen(s), a = 0, b = n;
	while (a < b) {
		int32_t i = a;
		UChar32 c;
		U8_NEXT((const uint8_t *)s, i, b, c);
		if (!white(c))
			break;
		a = i;
	}
	while (b > a) {
		int32_t i = b;
		UChar32 c;
		U8_PREV((const uint8_t *)s, a, i, c);
		if (!white(c))
			break;
		b = i;
	}
	memmove(s, s + a, (size_t)(b - a));
	s[b - a] = '\0';
}

/* NFKC_Casefold, then Traditional -> Simplified, then trimmed: malloc'd. */
static char *norm_value(const char *s)
{
	UErrorCode e = U_ZERO_ERROR;
	int32_t n16 = 0, len = (int32_t)strlen(s);
	u_strFromUTF8(NULL, 0, &n16, s, len, &e);
	e = U_ZERO_ERROR;
	UChar *u = malloc(((size_t)n16 + 1) * sizeof *u);
	u_strFromUTF8(u, n16 + 1, NULL, s, len, &e);
	const UNormalizer2 *nf = unorm2_getNFKCCasefoldInstance(&e);
	int32_t cap = n16 * 4 + 16;
	UChar *nu = malloc((size_t)cap * sizeof *nu);
	int32_t nn = unorm2_normalize(nf, u, n16, nu, cap, &e);
	char *u8 = malloc((size_t)nn * 3 + 1);
	int32_t k = 0;
	u_strToUTF8(u8, nn * 3 + 1, &k, nu, nn, &e);
	u8[k] = '\0';
	free(u);
	free(nu);
	if (U_FAILURE(e)) {
		fprintf(stderr, "norm_value: %s\n", u_errorName(e));
		exit(2);
	}
	char *simp = oracle_transform("Traditional-Simplified", u8);
	free(u8);
	trim(simp);
	return simp;
}

/* [+-]digits[.digits] */
static bool number_syntax(const char *s, double *out)
{
	const char *p = s;
	if (*p == '+' || *p == '-')
		p++;
	size_t d = 0;
	while (*p >= '0' && *p <= '9')
		p++, d++;
	if (!d)
		return false;
	if (*p == '.') {
		size_t f = 0;
		for (p++; *p >= '0' && *p <= '9'; p++)
			f++;
		if (!f)
			return false;
	}
	if (*p)
		return false;
	*out = strtod(s, NULL);
	return true;
}

/* The shortest decimal without exponent that reads back as v. */
static char *shortest(double v)
{
	char buf[512];
	if (v == 0)
		v = 0; /* -0 is 0 */
	for (int p = 0; p <= 340; p++) {
		snprintf(buf, sizeof buf, "%.*f", p, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	return strdup(buf);
}

typedef struct fval {
	char *norm;
	bool isnum;
	double num;
	char *disp; /* as a facet shows it */
} fval;

static void fval_set(fval *f, const char *raw)
{
	f->norm = norm_value(raw);
	f->isnum = number_syntax(f->norm, &f->num);
	f->disp = f->isnum ? shortest(f->num) : strdup(f->norm);
}

static void fval_free(fval *f)
{
	free(f->norm);
	free(f->disp);
	memset(f, 0, sizeof *f);
}

/* ---- the oracle for title and date (zhfts.h's rule) ---------------------------- */

typedef struct tline {
	const char *s;
	size_t n;
} tline;

/* The first max non-blank lines, white space trimmed. */
static size_t first_lines(const char *text, tline *out, size_t max)
{
	size_t k = 0;
	const char *p = text;
	while (*p && k < max) {
		const char *e = p;
		while (*e && *e != '\n' && *e != '\r')
			e++;
		char *l = strndup(p, (size_t)(e - p));
		char *t = strdup(l);
		trim(t);
		if (*t) {
			const char *at = strstr(l, t);
			out[k].s = p + (at - l);
			out[k].n = strlen(t);
			k++;
		}
		free(l);
		free(t);
		p = *e ? e + 1 : e;
	}
	return k;
}

static bool han(UChar32 c)
{
	return (c >= 0x4e00 && c <= 0x9fff) || (c >= 0x3400 && c <= 0x4dbf) || (c >= 0xf900 && c <= 0xfaff) ||
	       (c >= 0x20000 && c <= 0x3134f);
}

static char *guess_title(const char *text)
{
	tline l[5];
	size_t n = first_lines(text, l, 5);
	for (size_t k = 0; k < n; k++) {
		int32_t i = 0, len = (int32_t)l[k].n;
		size_t chars = 0, nhan = 0;
		UChar32 c = 0;
		while (i < len) {
			U8_NEXT((const uint8_t *)l[k].s, i, len, c);
			chars++;
			nhan += han(c);
		}
		bool ends = c == 0x3002 || c == 0xff01 || c == 0xff1f || c == 0xff1b || c == 0xff1a;
		if (nhan >= 6 && chars <= 100 && !ends)
			return strndup(l[k].s, l[k].n);
	}
	return NULL;
}

static int digit(const char *s, size_t *i, size_t n)
{
	if (*i < n && s[*i] >= '0' && s[*i] <= '9')
		return s[(*i)++] - '0';
	/* full-width: EF BC 90 .. EF BC 99 */
	if (*i + 3 <= n && (unsigned char)s[*i] == 0xef && (unsigned char)s[*i + 1] == 0xbc &&
	    (unsigned char)s[*i + 2] >= 0x90 && (unsigned char)s[*i + 2] <= 0x99) {
		int d = (unsigned char)s[*i + 2] - 0x90;
		*i += 3;
		return d;
	}
	return -1;
}

static bool digits(const char *s, size_t *i, size_t n, int lo, int hi, int *v)
{
	int k = 0, d;
	*v = 0;
	size_t j = *i;
	while (k < hi && (d = digit(s, &j, n)) >= 0)
		*v = *v * 10 + d, k++;
	size_t j2 = j;
	if (k < lo || digit(s, &j2, n) >= 0)
		return false;
	*i = j;
	return true;
}

static bool lit(const char *s, size_t *i, size_t n, const char *w)
{
	size_t l = strlen(w);
	if (*i + l <= n && !memcmp(s + *i, w, l)) {
		*i += l;
		return true;
	}
	return false;
}

static char *guess_date(const char *text)
{
	static const char *const filler[] = {"-", "\xe2\x80\x94", "\xe2\x80\x93", "\xe2\x80\x95", "(", "[",
	                                     "\xef\xbc\x88", "\xe3\x80\x90", "\xe3\x80\x8a", " ", "\xe3\x80\x80"};
	tline l[10];
	size_t n = first_lines(text, l, 10);
	for (size_t k = 0; k < n; k++) {
		const char *s = l[k].s;
		size_t len = l[k].n, i = 0;
		for (bool more = true; more;) {
			more = false;
			for (size_t f = 0; f < sizeof filler / sizeof *filler; f++)
				if (lit(s, &i, len, filler[f]))
					more = true;
		}
		int y, m, d;
		if (!digits(s, &i, len, 4, 4, &y))
			continue;
		bool ok = false;
		if (lit(s, &i, len, "年")) {
			ok = digits(s, &i, len, 1, 2, &m) && lit(s, &i, len, "月") && digits(s, &i, len, 1, 2, &d) &&
			     lit(s, &i, len, "日");
		} else if (i < len && (s[i] == '.' || s[i] == '-' || s[i] == '/')) {
			char sep = s[i++];
			ok = digits(s, &i, len, 1, 2, &m) && i < len && s[i++] == sep && digits(s, &i, len, 1, 2, &d);
		}
		if (ok) {
			char buf[32];
			snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
			return strdup(buf);
		}
	}
	return NULL;
}

/* ---- the corpus -------------------------------------------------------------------- */

enum { F_DISTRICT, F_YEAR, F_DATE, F_TITLE, F_SOURCE, F_SCORE, F_NOTE, NF };
static const char *const fname[NF] = {"district", "year", "date", "title", "source", "score", "note"};

typedef struct docm {
	char *id;
	unsigned flags;
	char *given[NF];  /* the value the test gave, or NULL */
	char *value[NF];  /* what every hit must carry: given or guessed, or NULL */
	fval fv[NF];
	size_t first, npara;
	size_t rank;      /* place of the id in byte order */
} docm;

typedef struct para {
	size_t doc;
	uint32_t number;
	char *text;
	size_t text_len;
	char *units;
	char *section_units;
} para;

static zhfts_db *db;
static oracle *orc;
static UBreakIterator *brk;
static docm docs[NDOCS];
static para *paras;
static size_t nparas;

/* Spellings of one value: the first is canonical (normalized), the others
 * must normalize to it. */
static const char *const districts[][4] = {
	{"海淀区", "海淀區", " 海淀区 ", "海淀区\xe3\x80\x80"},
	{"朝阳区", "朝陽區", "朝阳区", "朝陽区"},
	{"东城区", "東城區", "东城区", "東城区"},
	{"浦东新区", "浦東新區", "浦东新区", "浦東新区"},
	{"xicheng", "Xicheng", "XICHENG", "\xef\xbd\x98\xef\xbd\x89\xef\xbd\x83\xef\xbd\x88\xef\xbd\x85\xef\xbd\x8e\xef\xbd\x87"},
};
static const char *const years[] = {"2018", "2019", "2020", "2020.0", "２０２０", "2021", "+2021", "2022", "未知", "2019.5"};
static const char *const sources[] = {"新华社", "人民日报", "Xinhua", "XINHUA", "ｘｉｎｈｕａ", "北京 日报", "  区政府办公室 ", "新華社"};
static const char *const scores[] = {"0.5", "0.25", "12.50", "３.５", "-1.5", "7", "0", "n/a", "高", "0.50", "-0.25", "100"};
static const char *const notes[] = {"甲", "乙", "丙"};

static const char *const words[] = {
	"科学城", "科学", "城北", "中关村", "建设", "发展", "创新", "海淀", "海淀区", "朝阳", "人工智能",
	"芯片", "产业", "园区", "治理", "民生", "教育", "医疗", "生态", "绿色", "交通", "改革", "开放",
	"服务", "企业", "人才", "研发", "平台", "数字", "经济", "學", "科學城", "發展", "創新", "產業",
	"經濟", "開放", "醫療", "的", "了", "和", "在", "是", "推进", "加快", "持续", "全面", "深化",
	"新区", "北区", "计算", "中心", "高质量", "城市", "乡村", "振兴", "文化", "体育", "政府", "报告",
};
static const char *const latin[] = {"RISC-V", "5G", "５Ｇ", "AI", "ＡＩ", "IoT", "Xapian", "2026", "２０２６",
                                    "1.2", "GDP", "ICU", "e"};
static const char *const punct[] = {"，", "、", "；", "“", "”", "（", "）", " ", "——"};

static void gen_paragraph(sbuf *b)
{
	unsigned len = 3 + rnd(22);
	bool prev_latin = false;
	for (unsigned i = 0; i < len; i++) {
		unsigned r = rnd(10);
		if (r < 7) {
			if (prev_latin)
				sb_adds(b, " ");
			sb_adds(b, PICK(words));
			prev_latin = false;
		} else if (r < 9) {
			sb_adds(b, " ");
			sb_adds(b, PICK(latin));
			prev_latin = true;
		} else {
			sb_adds(b, PICK(punct));
			prev_latin = false;
		}
		/* A line inside a paragraph ends a sentence, so that it is never
		 * a title. */
		if (i + 1 < len && rnd(12) == 0) {
			sb_adds(b, "。\n");
			prev_latin = false;
		}
	}
	sb_adds(b, "。");
}

static char *gen_text(size_t d, bool title_line, bool date_line)
{
	sbuf b = {0};
	const char *dist = districts[rnd(4)][rnd(4) == 0 ? 0 : 1];
	if (title_line) {
		/* Trimmed when guessed: an ideographic space in front, sometimes. */
		sb_printf(&b, "%s%s政府工作报告（%u年）\n\n", rnd(3) ? "" : "\xe3\x80\x80", dist, 2018 + rnd(5));
	}
	if (date_line) {
		unsigned y = 2018 + rnd(5), m = 1 + rnd(12), dd = 1 + rnd(28);
		switch (rnd(4)) {
		case 0:
			sb_printf(&b, "——%u年%u月%u日在%s人民代表大会上\n\n", y, m, dd, dist);
			break;
		case 1:
			sb_printf(&b, "%u.%02u.%02u\n\n", y, m, dd);
			break;
		case 2:
			sb_printf(&b, "（\xef\xbc\x92\xef\xbc\x90\xef\xbc\x92%s年%u月%u日）\n\n",
			          (const char *[]){"\xef\xbc\x90", "\xef\xbc\x91", "\xef\xbc\x92"}[y % 3], m, dd);
			break;
		default:
			sb_printf(&b, "【%u/%02u/%02u】 发布\n\n", y, m, dd);
			break;
		}
	}
	unsigned np = 4 + rnd(14);
	for (unsigned i = 0; i < np; i++) {
		if (i == 0 || rnd(6) == 0)
			sb_printf(&b, "%s %u", rnd(2) ? "任务" : "亮点", 1 + rnd(5));
		else
			gen_paragraph(&b);
		sb_adds(&b, "\n\n");
	}
	(void)d;
	return b.s;
}

static char *gen_id(size_t d)
{
	char buf[512];
	static const char *const pre[] = {"bj/hd/", "bj/cy/", "sh/pd/", "gz/", "报告/海淀 ", "bj/"};
	if (d == NDOCS - 1) {
		/* Over 239 bytes: stored hashed. */
		memcpy(buf, "long/", 5);
		memset(buf + 5, 'x', 300);
		snprintf(buf + 305, sizeof buf - 305, "-%02zu.txt", d);
	} else {
		snprintf(buf, sizeof buf, "%s%02zu.txt", pre[d % 6], (d * 7) % NDOCS);
	}
	return strdup(buf);
}

static void gen_fields(docm *m, size_t d)
{
	if (rnd(100) < 85)
		m->given[F_DISTRICT] = strdup(districts[rnd(5)][rnd(4)]);
	if (rnd(100) < 80)
		m->given[F_YEAR] = strdup(PICK(years));
	if (rnd(100) < 55) {
		char b[32];
		snprintf(b, sizeof b, "%u-%02u-%02u", 2018 + rnd(5), 1 + rnd(12), 1 + rnd(28));
		m->given[F_DATE] = strdup(b);
	}
	if (d == 3) {
		/* A long title (hashed as a term). */
		sbuf b = {0};
		for (int i = 0; i < 40; i++)
			sb_adds(&b, words[i % (sizeof words / sizeof *words)]);
		m->given[F_TITLE] = b.s;
	} else if (rnd(100) < 35) {
		char b[128];
		snprintf(b, sizeof b, "%s%u年%s", districts[rnd(4)][rnd(4)], 2018 + rnd(5),
		         rnd(2) ? "政府工作报告" : "國民經濟和社會發展計劃");
		m->given[F_TITLE] = strdup(b);
		trim(m->given[F_TITLE]);
	}
	if (d == 5) {
		/* The longest value: 1024 bytes. */
		sbuf b = {0};
		while (b.n + 9 <= 1024 - 7)
			sb_adds(&b, "新华社");
		while (b.n < 1024)
			sb_adds(&b, "x");
		m->given[F_SOURCE] = b.s;
	} else if (rnd(100) < 70) {
		m->given[F_SOURCE] = strdup(PICK(sources));
	}
	if (rnd(100) < 60)
		m->given[F_SCORE] = strdup(PICK(scores));
	if (rnd(100) < 15)
		m->given[F_NOTE] = strdup(PICK(notes));
}

static int cmp_rank(const void *a, const void *b)
{
	const docm *x = &docs[*(const size_t *)a], *y = &docs[*(const size_t *)b];
	return strcmp(x->id, y->id);
}

static int load_paragraphs(size_t d)
{
	zhfts_results *r;
	if (zhfts_db_get_document(db, docs[d].id, &r)) {
		fprintf(stderr, "%s: %s\n", docs[d].id, zhfts_db_errmsg(db));
		return 1;
	}
	docs[d].first = nparas;
	docs[d].npara = zhfts_results_count(r);
	for (size_t i = 0; i < zhfts_results_count(r); i++) {
		const zhfts_hit *h = zhfts_results_hit(r, i);
		if (!h || h->para != i + 1)
			return 1;
		paras = realloc(paras, (nparas + 1) * sizeof *paras);
		para *p = &paras[nparas++];
		p->doc = d;
		p->number = h->para;
		p->text = strdup(h->text);
		p->text_len = h->text_len;
		p->units = oracle_units(orc, h->text, h->text_len);
		p->section_units = oracle_units(orc, h->section, strlen(h->section));
	}
	zhfts_results_free(r);
	return 0;
}

static int setup(void)
{
	/* A fixed seed; FIELDS_SEED=N explores others. */
	if (getenv("FIELDS_SEED"))
		rng ^= strtoull(getenv("FIELDS_SEED"), NULL, 0) * 0x2545f4914f6cdd1dull;
	UErrorCode e = U_ZERO_ERROR;
	orc = oracle_new(true);
	brk = ubrk_open(UBRK_WORD, "zh", NULL, 0, &e);
	char *err = NULL;
	if (U_FAILURE(e) || zhfts_db_open(&db, NULL, ZHFTS_OPEN_INMEMORY, NULL, &err)) {
		fprintf(stderr, "open: %s\n", err ? err : u_errorName(e));
		return 1;
	}
	for (size_t d = 0; d < NDOCS; d++) {
		docm *m = &docs[d];
		m->id = gen_id(d);
		gen_fields(m, d);
		m->flags = rnd(100) < 15 ? ZHFTS_DOC_NO_GUESS : 0;
		bool tl = rnd(100) < 45, dl = rnd(100) < 45;
		char *text = gen_text(d, tl, dl);
		zhfts_field f[NF];
		size_t nf = 0;
		/* Given in a shuffled order. */
		size_t perm[NF];
		for (size_t k = 0; k < NF; k++)
			perm[k] = k;
		for (size_t k = NF - 1; k > 0; k--) {
			size_t j = rnd((unsigned)k + 1), t = perm[k];
			perm[k] = perm[j];
			perm[j] = t;
		}
		for (size_t k = 0; k < NF; k++)
			if (m->given[perm[k]])
				f[nf++] = (zhfts_field){fname[perm[k]], m->given[perm[k]]};
		zhfts_doc_options o = ZHFTS_DOC_OPTIONS_INIT;
		o.encoding = "UTF-8";
		o.flags = m->flags;
		o.fields = f;
		o.nfields = nf;
		if (zhfts_db_add_document(db, m->id, text, strlen(text), &o, NULL)) {
			fprintf(stderr, "add %s: %s\n", m->id, zhfts_db_errmsg(db));
			return 1;
		}
		for (size_t k = 0; k < NF; k++)
			m->value[k] = xstrdup(m->given[k]);
		if (!(m->flags & ZHFTS_DOC_NO_GUESS)) {
			if (!m->value[F_TITLE])
				m->value[F_TITLE] = guess_title(text);
			if (!m->value[F_DATE])
				m->value[F_DATE] = guess_date(text);
		}
		for (size_t k = 0; k < NF; k++)
			if (m->value[k])
				fval_set(&m->fv[k], m->value[k]);
		free(text);
	}
	if (zhfts_db_commit(db))
		return 1;
	size_t order[NDOCS];
	for (size_t d = 0; d < NDOCS; d++)
		order[d] = d;
	qsort(order, NDOCS, sizeof *order, cmp_rank);
	for (size_t k = 0; k < NDOCS; k++)
		docs[order[k]].rank = k;
	for (size_t d = 0; d < NDOCS; d++)
		if (load_paragraphs(d))
			return 1;
	return 0;
}

static int close_all(void);

static int teardown(void)
{
	for (size_t i = 0; i < nparas; i++) {
		free(paras[i].text);
		free(paras[i].units);
		free(paras[i].section_units);
	}
	free(paras);
	for (size_t d = 0; d < NDOCS; d++) {
		free(docs[d].id);
		for (size_t k = 0; k < NF; k++) {
			free(docs[d].given[k]);
			free(docs[d].value[k]);
			fval_free(&docs[d].fv[k]);
		}
	}
	ubrk_close(brk);
	oracle_free(orc);
	close_all();
	return zhfts_db_close(db);
}

/* ---- looking hits up ------------------------------------------------------------------ */

static size_t find_doc(const char *id)
{
	for (size_t d = 0; d < NDOCS; d++)
		if (!strcmp(docs[d].id, id))
			return d;
	return SIZE_MAX;
}

static size_t find_para(const zhfts_hit *h)
{
	size_t d = find_doc(h->doc);
	if (d == SIZE_MAX || h->para < 1 || h->para > docs[d].npara)
		return SIZE_MAX;
	return docs[d].first + h->para - 1;
}

/* Document order of two paragraphs. */
static int doc_order(size_t a, size_t b)
{
	size_t ra = docs[paras[a].doc].rank, rb = docs[paras[b].doc].rank;
	if (ra != rb)
		return ra < rb ? -1 : 1;
	return paras[a].number < paras[b].number ? -1 : paras[a].number > paras[b].number;
}

/* The hit carries its document's fields, as given or guessed. */
static bool fields_ok(const zhfts_hit *h, size_t d)
{
	size_t want = 0;
	for (size_t k = 0; k < NF; k++)
		want += docs[d].value[k] != NULL;
	if (h->nfields != want)
		return false;
	for (size_t i = 0; i < h->nfields; i++) {
		size_t k = 0;
		while (k < NF && strcmp(fname[k], h->fields[i].name))
			k++;
		if (k == NF || !docs[d].value[k] || strcmp(docs[d].value[k], h->fields[i].value))
			return false;
	}
	return true;
}

/* ---- queries as trees ------------------------------------------------------------------- */

enum qkind { Q_PHRASE, Q_RUN, Q_EQ, Q_RANGE, Q_DOC, Q_DOCPFX, Q_SECTION, Q_AND, Q_OR, Q_NOT };

typedef struct qn {
	enum qkind k;
	char *text;      /* what the query says (phrase, run, value, id, prefix, section) */
	char *units;     /* phrase / whole run / section: oracle units */
	char *tok[8];    /* a run's keywords, as oracle units */
	size_t ntok;
	int field;
	fval v;          /* Q_EQ */
	char *lo, *hi;   /* Q_RANGE, as written; NULL: open */
	bool numeric;
	double nlo, nhi;
	char *slo, *shi; /* normalized text ends */
	struct qn *a, *b;
} qn;

static void qn_free(qn *n)
{
	if (!n)
		return;
	free(n->text);
	free(n->units);
	for (size_t i = 0; i < n->ntok; i++)
		free(n->tok[i]);
	fval_free(&n->v);
	free(n->lo);
	free(n->hi);
	free(n->slo);
	free(n->shi);
	qn_free(n->a);
	qn_free(n->b);
	free(n);
}

static qn *qnew(enum qkind k)
{
	qn *n = calloc(1, sizeof *n);
	n->k = k;
	return n;
}

static bool in_range(const qn *n, const docm *m)
{
	const fval *f = &m->fv[n->field];
	if (!f->norm)
		return false;
	/* zhfts.h: values that are numbers compare as numbers, with ends that
	 * are numbers; values that are text compare in byte order of their
	 * normalized text, with the ends' text -- when the ends are numbers,
	 * only text that begins with a digit (date:2020.. finds 2020-01-06, not
	 * n/a); a range whose ends are text matches no number. */
	if (f->isnum)
		return n->numeric && (!n->lo || f->num >= n->nlo) && (!n->hi || f->num <= n->nhi);
	if (n->numeric && !(f->norm[0] >= '0' && f->norm[0] <= '9'))
		return false;
	return (!n->lo || strcmp(f->norm, n->slo) >= 0) && (!n->hi || strcmp(f->norm, n->shi) <= 0);
}

static bool eval(const qn *n, size_t i)
{
	const para *p = &paras[i];
	const docm *m = &docs[p->doc];
	switch (n->k) {
	case Q_PHRASE:
		return strstr(p->units, n->units) != NULL;
	case Q_RUN:
		for (size_t t = 0; t < n->ntok; t++)
			if (!strstr(p->units, n->tok[t]))
				return false;
		return true;
	case Q_EQ:
		return m->fv[n->field].norm && !strcmp(m->fv[n->field].norm, n->v.norm);
	case Q_RANGE:
		return in_range(n, m);
	case Q_DOC:
		return !strcmp(m->id, n->text);
	case Q_DOCPFX:
		return !strncmp(m->id, n->text, strlen(n->text));
	case Q_SECTION:
		return strstr(p->section_units, n->units) != NULL;
	case Q_AND:
		return eval(n->a, i) && eval(n->b, i);
	case Q_OR:
		return eval(n->a, i) || eval(n->b, i);
	case Q_NOT:
		return eval(n->a, i) && !eval(n->b, i);
	}
	return false;
}

/* The runs (split into keywords) that paragraph i holds whole, in the part
 * of the query it matches: not under an exclusion, not in a branch of an
 * OR that it does not match (`x OR (RUN doc:other)` gives a paragraph
 * found by x no tier for RUN, whatever it holds; its score has nothing of
 * RUN either). */
static int runs_held(const qn *n, size_t i)
{
	if (!eval(n, i))
		return 0;
	switch (n->k) {
	case Q_RUN:
		return strstr(paras[i].units, n->units) != NULL;
	case Q_AND:
	case Q_OR:
		return runs_held(n->a, i) + runs_held(n->b, i);
	case Q_NOT:
		return runs_held(n->a, i);
	default:
		return 0;
	}
}

/* Does the query hold text that is scored (outside exclusions)? */
static bool scored(const qn *n)
{
	switch (n->k) {
	case Q_PHRASE:
	case Q_RUN:
		return true;
	case Q_AND:
	case Q_OR:
		return scored(n->a) || scored(n->b);
	case Q_NOT:
		return scored(n->a);
	default:
		return false;
	}
}

/* Does it hold a phrase or run of three or more units (checked in the text)? */
static bool long_run(const qn *n)
{
	switch (n->k) {
	case Q_PHRASE:
	case Q_RUN: {
		size_t u = 0;
		for (const char *p = n->units + 1; *p; p++)
			u += *p == '\x1f';
		return u >= 3;
	}
	case Q_AND:
	case Q_OR:
	case Q_NOT:
		return long_run(n->a) || long_run(n->b);
	default:
		return false;
	}
}

static bool needs_quotes(const char *v)
{
	if (!*v || *v == '-' || strstr(v, "..") || strchr(v, ':'))
		return true;
	for (const char *p = v; *p; p++)
		if (*p == ' ' || *p == '(' || *p == ')' || *p == '"')
			return true;
	return strstr(v, "\xe3\x80\x80") || strstr(v, "“") || strstr(v, "”") || !strcmp(v, "OR") ||
	       !strcmp(v, "AND") || !strcmp(v, "NOT");
}

static void emit(const qn *n, sbuf *b);

static void emit_kid(const qn *n, sbuf *b)
{
	bool paren = n->k == Q_AND || n->k == Q_OR || n->k == Q_NOT;
	if (paren)
		sb_adds(b, "(");
	emit(n, b);
	if (paren)
		sb_adds(b, ")");
}

static void emit(const qn *n, sbuf *b)
{
	switch (n->k) {
	case Q_PHRASE:
		sb_printf(b, "\"%s\"", n->text);
		break;
	case Q_RUN:
		sb_adds(b, n->text);
		break;
	case Q_EQ:
		if (needs_quotes(n->text) || rnd(3) == 0)
			sb_printf(b, "%s:\"%s\"", fname[n->field], n->text);
		else
			sb_printf(b, "%s:%s", fname[n->field], n->text);
		break;
	case Q_RANGE:
		sb_printf(b, "%s:%s..%s", fname[n->field], n->lo ? n->lo : "", n->hi ? n->hi : "");
		break;
	case Q_DOC:
		if (strchr(n->text, ' ') || rnd(4) == 0)
			sb_printf(b, "doc:\"%s\"", n->text);
		else
			sb_printf(b, "doc:%s", n->text);
		break;
	case Q_DOCPFX:
		sb_printf(b, "doc:%s*", n->text);
		break;
	case Q_SECTION:
		sb_printf(b, "section:\"%s\"", n->text);
		break;
	case Q_AND:
		emit_kid(n->a, b);
		sb_adds(b, rnd(3) == 0 ? " AND " : " ");
		emit_kid(n->b, b);
		break;
	case Q_OR:
		emit_kid(n->a, b);
		sb_adds(b, " OR ");
		emit_kid(n->b, b);
		break;
	case Q_NOT:
		emit_kid(n->a, b);
		sb_adds(b, rnd(2) ? " -" : " NOT ");
		emit_kid(n->b, b);
		break;
	}
}

/* ---- generating leaves ------------------------------------------------------------------ */

static size_t count_units(const char *units)
{
	size_t n = 0;
	for (const char *p = units + 1; *p; p++)
		n += *p == '\x1f';
	return n;
}

/* Query text for units [a, b) of a unit string. */
static bool cut_query(const char *units, size_t a, size_t b, sbuf *out)
{
	size_t idx = 0;
	const char *p = units + 1;
	bool prev_latin = false;
	out->n = 0;
	sb_adds(out, "");
	while (*p) {
		const char *e = strchr(p, '\x1f');
		if (idx >= a && idx < b) {
			bool is_latin = (unsigned char)p[0] < 0x80;
			if ((is_latin || prev_latin) && out->n)
				sb_adds(out, " ");
			sb_add(out, p, (size_t)(e - p));
			prev_latin = is_latin;
		}
		idx++;
		p = e + 1;
	}
	return idx >= b && out->n > 0;
}

static char *random_phrase(unsigned minlen, unsigned maxlen)
{
	sbuf b = {0};
	for (int tries = 0; tries < 100; tries++) {
		const para *p = &paras[rnd((unsigned)nparas)];
		size_t n = count_units(p->units);
		size_t len = minlen + rnd(maxlen - minlen + 1);
		if (n < len)
			continue;
		size_t a = rnd((unsigned)(n - len + 1));
		if (cut_query(p->units, a, a + len, &b))
			return b.s;
	}
	free(b.s);
	return NULL;
}

static qn *leaf_phrase(unsigned minlen, unsigned maxlen)
{
	char *ph = random_phrase(minlen, maxlen);
	CU_ASSERT_FATAL(ph != NULL);
	char *v;
	switch (rnd(6)) {
	case 0:
		v = oracle_transform("Simplified-Traditional", ph);
		break;
	case 1:
		v = oracle_transform("Halfwidth-Fullwidth", ph);
		break;
	case 2:
		v = oracle_transform("Upper", ph);
		break;
	default:
		v = strdup(ph);
	}
	free(ph);
	qn *n = qnew(Q_PHRASE);
	n->text = v;
	n->units = oracle_units(orc, v, strlen(v));
	if (!n->units[1]) {
		qn_free(n);
		return leaf_phrase(minlen, maxlen);
	}
	return n;
}

/* ICU's words of a Han run: true when there are at least two and each has
 * two characters or more (so the library's keywords are exactly these). */
static bool run_words(const char *run, qn *n)
{
	UChar u[256];
	int32_t len = 0;
	UErrorCode e = U_ZERO_ERROR;
	u_strFromUTF8(u, 256, &len, run, -1, &e);
	if (U_FAILURE(e))
		return false;
	ubrk_setText(brk, u, len, &e);
	int32_t p = ubrk_first(brk), q;
	size_t nt = 0;
	bool ok = true;
	while ((q = ubrk_next(brk)) != UBRK_DONE) {
		if (ubrk_getRuleStatus(brk) >= UBRK_WORD_NONE_LIMIT) {
			int32_t chars = 0;
			for (int32_t i = p; i < q;) {
				UChar32 c;
				U16_NEXT(u, i, q, c);
				ok = ok && han(c);
				chars++;
			}
			if (chars < 2 || nt >= 8) {
				ok = false;
			} else {
				char w[64];
				int32_t k = 0;
				u_strToUTF8(w, sizeof w, &k, u + p, q - p, &e);
				n->tok[nt++] = oracle_units(orc, w, (size_t)k);
			}
		}
		p = q;
	}
	ubrk_setText(brk, NULL, 0, &e);
	n->ntok = nt;
	return ok && nt >= 2;
}

/* An unspaced run of Han text that the library splits into keywords (cut
 * from paragraph `from` when it is not SIZE_MAX). */
static qn *leaf_run_from(size_t from)
{
	sbuf b = {0};
	for (int tries = 0; tries < 2000; tries++) {
		qn *n = qnew(Q_RUN);
		if (rnd(3) || from != SIZE_MAX) {
			/* Cut from a paragraph: held whole by at least one. */
			const para *p = &paras[from != SIZE_MAX && tries < 1000 ? from : rnd((unsigned)nparas)];
			size_t un = count_units(p->units), len = 4 + rnd(5);
			if (un < len) {
				qn_free(n);
				continue;
			}
			size_t a = rnd((unsigned)(un - len + 1));
			if (!cut_query(p->units, a, a + len, &b)) {
				qn_free(n);
				continue;
			}
		} else {
			/* Words put together: often held in pieces only. */
			b.n = 0;
			sb_adds(&b, "");
			for (int w = 0, nw = 2 + (int)rnd(2); w < nw; w++) {
				const char *x = PICK(words);
				if (strlen(x) < 6) {
					w--;
					continue;
				}
				sb_adds(&b, x);
			}
		}
		bool all_han = true;
		for (int32_t i = 0, l = (int32_t)b.n; i < l && all_han;) {
			UChar32 c;
			U8_NEXT((const uint8_t *)b.s, i, l, c);
			all_han = han(c);
		}
		n->units = oracle_units(orc, b.s, b.n);
		/* Only Simplified text (normalization changes nothing) split into
		 * words of two characters or more. */
		char *plain = strdup(b.s);
		char *pu = oracle_units(orc, plain, strlen(plain));
		sbuf joined = {0};
		sb_adds(&joined, "\x1f");
		for (int32_t i = 0, l = (int32_t)b.n; i < l;) {
			int32_t s = i;
			UChar32 c;
			U8_NEXT((const uint8_t *)b.s, i, l, c);
			sb_add(&joined, b.s + s, (size_t)(i - s));
			sb_adds(&joined, "\x1f");
		}
		bool same = !strcmp(pu, joined.s);
		free(pu);
		free(joined.s);
		free(plain);
		if (all_han && same && run_words(b.s, n)) {
			n->text = b.s;
			return n;
		}
		qn_free(n);
	}
	free(b.s);
	CU_FAIL_FATAL("no run found");
	return NULL;
}

static qn *leaf_run(void)
{
	return leaf_run_from(SIZE_MAX);
}

static const char *spelling_of(int field, const char *canonical_raw)
{
	/* Another spelling of a value, when the test knows one. */
	if (field == F_DISTRICT) {
		for (size_t i = 0; i < sizeof districts / sizeof *districts; i++) {
			for (int k = 0; k < 4; k++) {
				if (!strcmp(districts[i][k], canonical_raw))
					return districts[i][rnd(4)];
			}
		}
	}
	if (field == F_SOURCE && (strstr(canonical_raw, "xinhua") || strstr(canonical_raw, "Xinhua") ||
	                          strstr(canonical_raw, "XINHUA") || strstr(canonical_raw, "ｘｉｎｈｕａ")))
		return PICK(((const char *[]){"xinhua", "XinHua", "ＸＩＮＨＵＡ", " Xinhua "}));
	return canonical_raw;
}

static qn *leaf_eq(void)
{
	qn *n = qnew(Q_EQ);
	const char *v = NULL;
	for (int tries = 0; !v && tries < 100; tries++) {
		n->field = (int)rnd(NF);
		const docm *m = &docs[rnd(NDOCS)];
		if (m->value[n->field])
			v = spelling_of(n->field, m->value[n->field]);
	}
	if (!v || rnd(10) == 0) {
		/* Values no document has, or that normalize alike. */
		static const struct {
			int f;
			const char *v;
		} other[] = {{F_DISTRICT, "海淀"}, {F_DISTRICT, "西城区"}, {F_YEAR, "2020"}, {F_YEAR, "２０２０"},
		             {F_YEAR, "2020.00"}, {F_YEAR, "1999"}, {F_SCORE, "0.5"}, {F_SCORE, "-1.5"},
		             {F_SOURCE, "新华"}, {F_SOURCE, "北京　日报"}, {F_NOTE, "丁"}, {F_DATE, "2020-01"}};
		size_t k = rnd(sizeof other / sizeof *other);
		n->field = other[k].f;
		v = other[k].v;
	}
	n->text = strdup(v);
	fval_set(&n->v, v);
	if (!n->v.norm[0]) {
		qn_free(n);
		return leaf_eq();
	}
	return n;
}

static qn *mk_range(int field, const char *lo, const char *hi, bool numeric)
{
	qn *n = qnew(Q_RANGE);
	n->field = field;
	n->numeric = numeric;
	n->lo = xstrdup(lo);
	n->hi = xstrdup(hi);
	if (n->lo) {
		n->slo = norm_value(n->lo);
		if (numeric)
			CU_ASSERT_FATAL(number_syntax(n->slo, &n->nlo));
	}
	if (n->hi) {
		n->shi = norm_value(n->hi);
		if (numeric)
			CU_ASSERT_FATAL(number_syntax(n->shi, &n->nhi));
	}
	return n;
}

static qn *leaf_range(void)
{
	static const char *const nums[] = {"2018", "2019", "2020", "２０２０", "2020.0", "2019.5", "2021", "2022",
	                                   "0", "0.25", "0.3", "7", "12.5", "+1", "100", "-5"};
	static const char *const texts[] = {"2019-01-01", "2019-06-30", "2020-01-01", "2020-12-31", "2021-03-01",
	                                    "2022-12-31", "东城区", "海淀區", "朝阳区", "x", "xicheng", "人民",
	                                    "新华社", "z", "a", "n/a", "未知", "高"};
	int field;
	const char *lo, *hi;
	bool numeric = rnd(10) < 5;
	if (numeric) {
		field = rnd(2) ? F_YEAR : F_SCORE;
		if (rnd(8) == 0)
			field = F_DATE; /* numbers over dates: compared as text */
		lo = PICK(nums);
		hi = PICK(nums);
	} else {
		/* year and score hold numbers and text: ends of text match no number */
		static const int tf[] = {F_DATE, F_DATE, F_DATE, F_DISTRICT, F_SOURCE, F_SCORE, F_YEAR};
		field = PICK(tf);
		lo = PICK(texts);
		hi = PICK(texts);
	}
	/* A lower end cannot start with '-' (it would read as an exclusion). */
	if (lo[0] == '-')
		lo = "0";
	unsigned open = rnd(4);
	return mk_range(field, open == 1 ? NULL : lo, open == 2 ? NULL : hi, numeric);
}

static qn *leaf_doc(void)
{
	if (rnd(2)) {
		qn *n = qnew(Q_DOC);
		n->text = strdup(docs[rnd(NDOCS)].id);
		return n;
	}
	static const char *const pfx[] = {"bj/", "bj/hd", "bj/hd/", "sh/", "gz/0", "报告/", "b", "z"};
	qn *n = qnew(Q_DOCPFX);
	n->text = strdup(PICK(pfx));
	return n;
}

static qn *leaf_section(void)
{
	static const char *const secs[] = {"任务", "亮点 2", "任务 3", "亮点", "任务 1"};
	qn *n = qnew(Q_SECTION);
	n->text = strdup(PICK(secs));
	n->units = oracle_units(orc, n->text, strlen(n->text));
	return n;
}

static qn *leaf_filter(void)
{
	switch (rnd(9)) {
	case 0:
	case 1:
	case 2:
		return leaf_eq();
	case 3:
	case 4:
	case 5:
		return leaf_range();
	case 6:
	case 7:
		return leaf_doc();
	default:
		return leaf_section();
	}
}

static qn *leaf_text(void)
{
	unsigned r = rnd(10);
	if (r < 4)
		return leaf_phrase(1, 2);
	if (r < 8)
		return leaf_phrase(3, 5);
	return leaf_run();
}

static qn *pair(enum qkind k, qn *a, qn *b)
{
	qn *n = qnew(k);
	n->a = a;
	n->b = b;
	return n;
}

/* A random query: text and filters, AND, OR, NOT (never excluding an
 * exclusion, never only exclusions). */
static qn *gen_query(void)
{
	switch (rnd(12)) {
	case 0:
		return leaf_filter();
	case 1:
		return pair(Q_AND, leaf_filter(), leaf_filter());
	case 2:
		return pair(Q_AND, leaf_text(), leaf_filter());
	case 3:
		return pair(Q_AND, pair(Q_OR, leaf_filter(), leaf_filter()), leaf_text());
	case 4:
		return pair(Q_NOT, leaf_text(), leaf_filter());
	case 5:
		return pair(Q_NOT, leaf_filter(), leaf_text());
	case 6:
		return pair(Q_NOT, pair(Q_AND, pair(Q_OR, leaf_text(), leaf_text()), leaf_filter()), leaf_filter());
	case 7:
		return pair(Q_OR, leaf_filter(), pair(Q_AND, leaf_text(), leaf_filter()));
	case 8:
		return pair(Q_AND, leaf_filter(), pair(Q_NOT, leaf_filter(), pair(Q_OR, leaf_filter(), leaf_text())));
	case 9:
		return pair(Q_OR, leaf_text(), leaf_filter());
	case 10:
		return pair(Q_AND, pair(Q_AND, leaf_text(), leaf_filter()), leaf_filter());
	default:
		return leaf_text();
	}
}

/* ---- the expected answers --------------------------------------------------------------- */

typedef struct expect {
	bool *want;
	int *tier;
	size_t n;
	bool scored;
} expect;

static void expect_of(const qn *q, expect *e)
{
	e->want = calloc(nparas, sizeof *e->want);
	e->tier = calloc(nparas, sizeof *e->tier);
	e->n = 0;
	e->scored = scored(q);
	for (size_t i = 0; i < nparas; i++) {
		e->want[i] = eval(q, i);
		e->n += e->want[i];
		e->tier[i] = 1 + runs_held(q, i);
	}
}

static void expect_free(expect *e)
{
	free(e->want);
	free(e->tier);
}

/* Sort key order of two paragraphs' documents by field f: missing lowest,
 * numbers before text, numbers numerically, text in byte order. */
static int key_cmp(size_t a, size_t b, int f)
{
	const fval *x = &docs[paras[a].doc].fv[f], *y = &docs[paras[b].doc].fv[f];
	if (!x->norm || !y->norm)
		return (x->norm != NULL) - (y->norm != NULL);
	if (x->isnum != y->isnum)
		return x->isnum ? -1 : 1;
	if (x->isnum)
		return (x->num > y->num) - (x->num < y->num);
	return strcmp(x->norm, y->norm);
}

static int sort_field = -1;
static bool sort_desc;
static int cmp_keys(const void *a, const void *b)
{
	int r = key_cmp(*(const size_t *)a, *(const size_t *)b, sort_field);
	return sort_desc ? -r : r;
}

static int field_index(const char *name)
{
	for (int k = 0; k < NF; k++)
		if (!strcmp(fname[k], name))
			return k;
	return -1;
}

typedef struct fcount {
	const char *value;
	uint64_t count;
} fcount;

static int cmp_fcount(const void *a, const void *b)
{
	const fcount *x = a, *y = b;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->value, y->value);
}

/* Compares a facet with the oracle's counts over every match. */
static bool facet_ok(const zhfts_facet *f, const char *name, const expect *e, size_t limit)
{
	fcount *c = calloc(nparas + 1, sizeof *c);
	size_t nc = 0;
	int k = field_index(name);
	for (size_t i = 0; i < nparas; i++) {
		if (!e->want[i])
			continue;
		const docm *m = &docs[paras[i].doc];
		const char *v = k < 0 ? m->id : m->fv[k].disp;
		if (!v)
			continue;
		size_t j = 0;
		while (j < nc && strcmp(c[j].value, v))
			j++;
		if (j == nc)
			c[nc++] = (fcount){v, 0};
		c[j].count++;
	}
	qsort(c, nc, sizeof *c, cmp_fcount);
	size_t keep = limit && limit < nc ? limit : nc;
	bool ok = f && f->name && !strcmp(f->name, name) && f->distinct == nc && f->nvalues == keep;
	for (size_t j = 0; ok && j < keep; j++)
		ok = f->values[j].value && !strcmp(f->values[j].value, c[j].value) && f->values[j].count == c[j].count;
	if (!ok && f) {
		fprintf(stderr, "\n  facet %s: distinct %llu (want %zu), %zu values (want %zu)\n", name,
		        (unsigned long long)f->distinct, nc, f->nvalues, keep);
		for (size_t j = 0; j < nc || j < f->nvalues; j++)
			fprintf(stderr, "    %-24s %4llu | %-24s %4llu\n", j < f->nvalues ? f->values[j].value : "",
			        j < f->nvalues ? (unsigned long long)f->values[j].count : 0ull, j < nc ? c[j].value : "",
			        j < nc ? (unsigned long long)c[j].count : 0ull);
	}
	free(c);
	return ok;
}

/* ---- comparing one query ------------------------------------------------------------------ */

typedef struct tally {
	size_t queries, checked_kind, exact_kind, filters_only, hits, facets, sorted, pages, lazy, counts;
} tally;

static tally T;

/* The hits of a search, as paragraph indices (SIZE_MAX: not a paragraph). */
static size_t *hit_indices(zhfts_results *r)
{
	size_t n = zhfts_results_count(r);
	size_t *ix = malloc((n + 1) * sizeof *ix);
	for (size_t i = 0; i < n; i++) {
		const zhfts_hit *h = zhfts_results_hit(r, i);
		CU_ASSERT_PTR_NOT_NULL_FATAL(h);
		ix[i] = find_para(h);
	}
	return ix;
}

static const char *const sorts[] = {NULL, "relevance", "doc", "year", "-year", "date", "-date", "score",
                                    "-score", "district", "-district", "title", "-title", "source", "note",
                                    "-note"};
static const char *const facet_names[] = {"district", "year", "score", "date", "source", "doc", "note", "title"};

/* Checks the order of a complete answer. */
static bool order_ok(zhfts_results *r, const size_t *ix, const char *sort, const expect *e, const char *q)
{
	size_t n = zhfts_results_count(r);
	bool ok = true;
	if (!sort || !strcmp(sort, "relevance")) {
		if (!e->scored) {
			/* Filters only: document order, score 0. */
			for (size_t i = 0; ok && i < n; i++) {
				const zhfts_hit *h = zhfts_results_hit(r, i);
				ok = h->score == 0 && h->tier == 1 && (i == 0 || doc_order(ix[i - 1], ix[i]) < 0);
			}
		} else {
			for (size_t i = 1; ok && i < n; i++) {
				const zhfts_hit *a = zhfts_results_hit(r, i - 1), *b = zhfts_results_hit(r, i);
				ok = b->tier < a->tier ||
				     (b->tier == a->tier && (b->score < a->score ||
				                             (b->score == a->score && doc_order(ix[i - 1], ix[i]) < 0)));
			}
		}
	} else if (!strcmp(sort, "doc")) {
		for (size_t i = 1; ok && i < n; i++)
			ok = doc_order(ix[i - 1], ix[i]) < 0;
	} else {
		sort_desc = sort[0] == '-';
		sort_field = field_index(sort + sort_desc);
		/* The sequence of keys is the oracle's, sorted. */
		size_t *want = malloc((e->n + 1) * sizeof *want), m = 0;
		for (size_t i = 0; i < nparas; i++)
			if (e->want[i])
				want[m++] = i;
		qsort(want, m, sizeof *want, cmp_keys);
		for (size_t i = 0; ok && i < n && i < m; i++)
			ok = key_cmp(ix[i], want[i], sort_field) == 0;
		/* Equal keys: relevance, then document order. */
		for (size_t i = 1; ok && i < n; i++) {
			if (key_cmp(ix[i - 1], ix[i], sort_field))
				continue;
			const zhfts_hit *a = zhfts_results_hit(r, i - 1), *b = zhfts_results_hit(r, i);
			ok = b->tier < a->tier ||
			     (b->tier == a->tier &&
			      (b->score < a->score || (b->score == a->score && doc_order(ix[i - 1], ix[i]) < 0)));
			if (!ok)
				fprintf(stderr, "\n  %s: ties at %zu out of relevance order\n", q, i);
		}
		free(want);
		T.sorted++;
	}
	if (!ok)
		fprintf(stderr, "\n  %s (sort %s): out of order\n", q, sort ? sort : "NULL");
	return ok;
}

/* Every hit of the query, compared with the oracle: the set, tiers,
 * fields, order, facets, count. */
static void check_query(const char *q, const qn *tree, const char *sort, const char *const *facets,
                        size_t nfacets, size_t facet_limit)
{
	expect e;
	expect_of(tree, &e);
	zhfts_query *qo = NULL;
	int rc = zhfts_query_new(&qo, db, q, strlen(q));
	if (rc)
		fprintf(stderr, "\nquery %s: %d %s\n", q, rc, zhfts_db_errmsg(db));
	CU_ASSERT_EQUAL_FATAL(rc, ZHFTS_OK);
	zhfts_search_options o = ZHFTS_SEARCH_OPTIONS_INIT;
	o.limit = SIZE_MAX;
	o.sort = sort;
	o.facets = facets;
	o.nfacets = nfacets;
	o.facet_limit = facet_limit;
	zhfts_results *r = NULL;
	rc = zhfts_query_search(qo, &o, &r);
	if (rc)
		fprintf(stderr, "\nsearch %s: %d %s\n", q, rc, zhfts_db_errmsg(db));
	CU_ASSERT_EQUAL_FATAL(rc, ZHFTS_OK);
	T.queries++;
	if (getenv("FIELDS_VERBOSE"))
		fprintf(stderr, "%4zu  %-8s %s\n", e.n, sort ? sort : "-", q);
	if (long_run(tree))
		T.checked_kind++;
	else
		T.exact_kind++;
	T.filters_only += !e.scored;
	size_t n = zhfts_results_count(r);
	size_t *ix = hit_indices(r);
	bool *got = calloc(nparas, sizeof *got);
	size_t bad = 0, dup = 0, miss = 0, tiers = 0, fields = 0;
	for (size_t i = 0; i < n; i++) {
		if (ix[i] == SIZE_MAX) {
			bad++;
			continue;
		}
		dup += got[ix[i]];
		got[ix[i]] = true;
		const zhfts_hit *h = zhfts_results_hit(r, i);
		if (!e.want[ix[i]])
			bad++;
		else if (h->tier != e.tier[ix[i]])
			tiers++;
		fields += !fields_ok(h, paras[ix[i]].doc);
		CU_ASSERT(h->rank == i + 1);
		CU_ASSERT(h->text_len == paras[ix[i]].text_len && !strcmp(h->text, paras[ix[i]].text));
		/* Filters weigh nothing: a query of filters only scores 0. */
		if (!e.scored)
			CU_ASSERT(h->score == 0 && h->tier == 1);
	}
	for (size_t i = 0; i < nparas; i++)
		miss += e.want[i] && !got[i];
	T.hits += n;
	if (bad || dup || miss || tiers || fields)
		fprintf(stderr, "\nquery %s: %zu hits, want %zu: %zu extra, %zu twice, %zu missed, %zu wrong tiers, "
		                "%zu wrong fields\n",
		        q, n, e.n, bad, dup, miss, tiers, fields);
	CU_ASSERT(bad == 0 && dup == 0 && miss == 0);
	CU_ASSERT_EQUAL(tiers, 0);
	CU_ASSERT_EQUAL(fields, 0);
	if (!bad)
		CU_ASSERT(order_ok(r, ix, sort, &e, q));
	/* Facets and the total: exact, over every match. */
	CU_ASSERT_EQUAL(zhfts_results_facet_count(r), nfacets);
	for (size_t k = 0; k < nfacets; k++) {
		bool ok = facet_ok(zhfts_results_facet(r, k), facets[k], &e, facet_limit);
		if (!ok)
			fprintf(stderr, "  query %s, facet %s (limit %zu)\n", q, facets[k], facet_limit);
		CU_ASSERT(ok);
		T.facets++;
	}
	uint64_t est, lo, hi;
	zhfts_results_total(r, &est, &lo, &hi);
	CU_ASSERT(est == e.n && lo == e.n && hi == e.n);
	zhfts_results_free(r);
	/* Facets over a page count every match all the same. */
	if (nfacets) {
		o.limit = 2;
		o.offset = rnd(4);
		CU_ASSERT_EQUAL_FATAL(zhfts_query_search(qo, &o, &r), ZHFTS_OK);
		for (size_t k = 0; k < nfacets; k++) {
			bool ok = facet_ok(zhfts_results_facet(r, k), facets[k], &e, facet_limit);
			if (!ok)
				fprintf(stderr, "  query %s, facet %s on a page\n", q, facets[k]);
			CU_ASSERT(ok);
		}
		zhfts_results_total(r, &est, &lo, &hi);
		CU_ASSERT(est == e.n && lo == e.n && hi == e.n);
		zhfts_results_free(r);
	}
	uint64_t count = 0;
	CU_ASSERT_EQUAL(zhfts_query_count(qo, &count), ZHFTS_OK);
	if (count != e.n)
		fprintf(stderr, "\nquery %s: count %llu, want %zu\n", q, (unsigned long long)count, e.n);
	CU_ASSERT_EQUAL(count, e.n);
	T.counts++;
	zhfts_query_free(qo);
	free(ix);
	free(got);
	expect_free(&e);
}

/* ---- the tests ------------------------------------------------------------------------------ */

static void test_fields_come_back(void)
{
	/* Every paragraph carries its document's fields as given, with title
	 * and date guessed where the document gave none (and allowed it). */
	size_t guessed = 0, given = 0, none = 0;
	for (size_t d = 0; d < NDOCS; d++) {
		zhfts_results *r;
		TU_OK(db, zhfts_db_get_document(db, docs[d].id, &r));
		for (size_t i = 0; i < zhfts_results_count(r); i++) {
			const zhfts_hit *h = zhfts_results_hit(r, i);
			CU_ASSERT_PTR_NOT_NULL_FATAL(h);
			bool ok = fields_ok(h, d);
			if (!ok) {
				fprintf(stderr, "\n%s: fields", docs[d].id);
				for (size_t k = 0; k < h->nfields; k++)
					fprintf(stderr, " %s=%s", h->fields[k].name, h->fields[k].value);
				fprintf(stderr, "; want");
				for (size_t k = 0; k < NF; k++)
					if (docs[d].value[k])
						fprintf(stderr, " %s=%s", fname[k], docs[d].value[k]);
				fprintf(stderr, "\n");
			}
			CU_ASSERT(ok);
		}
		zhfts_results_free(r);
		for (int k = F_DATE; k <= F_TITLE; k++) {
			if (docs[d].given[k])
				given++;
			else if (docs[d].value[k])
				guessed++;
			else
				none++;
		}
	}
	printf("\n  %zu documents, %zu paragraphs; title/date: %zu given, %zu guessed, %zu none ", (size_t)NDOCS,
	       nparas, given, guessed, none);
	/* The corpus has all three kinds. */
	CU_ASSERT(given > 5 && guessed > 5 && none > 5);
}

static size_t oracle_count(const qn *t)
{
	size_t n = 0;
	for (size_t i = 0; i < nparas; i++)
		n += eval(t, i);
	return n;
}

/* A random query, most of the time one that matches something. */
static qn *gen_query_nonempty(void)
{
	for (int tries = 0; tries < 20; tries++) {
		qn *t = gen_query();
		if (oracle_count(t) || rnd(6) == 0)
			return t;
		qn_free(t);
	}
	return gen_query();
}

static void test_generated_queries(void)
{
	for (int i = 0; i < 1000; i++) {
		qn *tree = gen_query_nonempty();
		sbuf q = {0};
		emit(tree, &q);
		const char *sort = rnd(3) ? PICK(sorts) : NULL;
		const char *f[3];
		size_t nf = rnd(4);
		for (size_t k = 0; k < nf; k++)
			f[k] = PICK(facet_names);
		size_t limit = rnd(3) == 0 ? 1 + rnd(3) : 0;
		check_query(q.s, tree, sort, f, nf, limit);
		free(q.s);
		qn_free(tree);
	}
	printf("\n  %zu queries (%zu with runs of 3+ units checked in the text, %zu without; %zu of filters "
	       "only), %zu hits, %zu facets, %zu field sorts, all against the oracle ",
	       T.queries, T.checked_kind, T.exact_kind, T.filters_only, T.hits, T.facets, T.sorted);
	CU_ASSERT(T.checked_kind > 200 && T.exact_kind > 200 && T.filters_only > 100);
}

static qn *mk_eq(int f, const char *v)
{
	qn *n = qnew(Q_EQ);
	n->field = f;
	n->text = strdup(v);
	fval_set(&n->v, v);
	return n;
}

static qn *mk_phrase(const char *v)
{
	qn *n = qnew(Q_PHRASE);
	n->text = strdup(v);
	n->units = oracle_units(orc, v, strlen(v));
	return n;
}

static qn *mk_doc(enum qkind k, const char *v)
{
	qn *n = qnew(k);
	n->text = strdup(v);
	return n;
}

static qn *mk_section(const char *v)
{
	qn *n = mk_doc(Q_SECTION, v);
	n->units = oracle_units(orc, v, strlen(v));
	return n;
}

static void test_fixed_queries(void)
{
	/* Spellings, whole-value equality, number syntax and kinds, open
	 * ranges, id prefixes (also of an id stored hashed), long values. */
	qn *cases[] = {
		mk_eq(F_DISTRICT, "海淀区"),
		mk_eq(F_DISTRICT, "海淀區"),
		mk_eq(F_DISTRICT, "海淀区 "),
		mk_eq(F_DISTRICT, "海淀"),
		mk_eq(F_DISTRICT, "XICHENG"),
		mk_eq(F_DISTRICT, "ｘｉｃｈｅｎｇ"),
		mk_eq(F_YEAR, "2020"),
		mk_eq(F_YEAR, "２０２０"),
		mk_eq(F_YEAR, "2020.0"),
		mk_eq(F_YEAR, "+2021"),
		mk_eq(F_YEAR, "未知"),
		mk_range(F_YEAR, "2020", "2020", true),
		mk_range(F_YEAR, "２０２０", "２０２０", true),
		mk_range(F_YEAR, "2019.5", "2020", true),
		mk_range(F_YEAR, "2021", NULL, true),
		mk_range(F_YEAR, NULL, "2019", true),
		mk_range(F_YEAR, "0", "3000", true),
		mk_range(F_SCORE, NULL, "0", true),
		mk_range(F_SCORE, "0", "1", true),
		mk_range(F_SCORE, NULL, "-1", true),
		mk_eq(F_SCORE, "-1.5"),
		mk_eq(F_SCORE, "3.5"),
		mk_eq(F_SCORE, "n/a"),
		mk_eq(F_SCORE, "0.50"),
		mk_eq(F_SOURCE, "xinhua"),
		mk_eq(F_SOURCE, "北京 日报"),
		mk_eq(F_SOURCE, "区政府办公室"),
		mk_eq(F_SOURCE, "新华社"),
		mk_eq(F_SOURCE, docs[5].value[F_SOURCE]),
		mk_eq(F_TITLE, docs[3].value[F_TITLE]),
		mk_range(F_DATE, "2020-01-01", "2020-12-31", false),
		mk_range(F_DATE, NULL, "2019-06-30", false),
		mk_range(F_DATE, "2021-01-01", NULL, false),
		mk_range(F_DATE, "2019", "2023", true),
		mk_range(F_DISTRICT, "东城区", "海淀区", false),
		mk_range(F_SCORE, "a", NULL, false),
		mk_range(F_SCORE, NULL, "z", false),
		mk_range(F_YEAR, "2019-01", "未知", false),
		mk_range(F_YEAR, "2020", NULL, true),
		pair(Q_OR, mk_eq(F_NOTE, "甲"), mk_eq(F_NOTE, "乙")),
		mk_doc(Q_DOCPFX, "bj/"),
		mk_doc(Q_DOCPFX, "bj/hd/"),
		mk_doc(Q_DOCPFX, "报告/"),
		mk_doc(Q_DOCPFX, "long/"),
		mk_doc(Q_DOCPFX, "BJ/"),
		mk_doc(Q_DOCPFX, "zz"),
		mk_doc(Q_DOC, docs[NDOCS - 1].id),
		mk_doc(Q_DOC, docs[4].id),
		pair(Q_AND, mk_section("任务"), mk_eq(F_DISTRICT, "海淀区")),
		pair(Q_NOT, pair(Q_OR, mk_eq(F_YEAR, "2019"), mk_eq(F_YEAR, "2020")), mk_eq(F_DISTRICT, "海淀区")),
		pair(Q_AND, mk_phrase("发展"), mk_eq(F_DISTRICT, "朝阳区")),
		pair(Q_NOT, mk_phrase("科学城"), mk_range(F_YEAR, "2020", NULL, true)),
		pair(Q_NOT, mk_eq(F_DISTRICT, "朝阳区"), mk_phrase("发展")),
		pair(Q_AND, mk_phrase("政府工作报告"), mk_range(F_DATE, "2018-01-01", "2022-12-31", false)),
	};
	static const char *const fx[] = {"district", "year", "score", "date", "source", "doc"};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		sbuf q = {0};
		emit(cases[i], &q);
		check_query(q.s, cases[i], sorts[i % (sizeof sorts / sizeof *sorts)], fx, 6, 0);
		free(q.s);
		qn_free(cases[i]);
	}
}

/* ---- tiers ----------------------------------------------------------------------------------- */

static size_t tier_hist[4];

static void count_tiers(const char *q)
{
	zhfts_search_options o = ZHFTS_SEARCH_OPTIONS_INIT;
	o.limit = SIZE_MAX;
	o.flags = ZHFTS_SEARCH_NO_SNIPPETS;
	zhfts_results *r;
	TU_OK(db, zhfts_db_search(db, q, strlen(q), &o, &r));
	for (size_t i = 0; i < zhfts_results_count(r); i++) {
		const zhfts_hit *h = zhfts_results_hit(r, i);
		CU_ASSERT_PTR_NOT_NULL_FATAL(h);
		tier_hist[h->tier >= 1 && h->tier <= 3 ? h->tier : 0]++;
	}
	zhfts_results_free(r);
}

static void test_tiers(void)
{
	/* Unspaced runs split into keywords: tier 2 for the paragraphs that
	 * hold a run whole, 3 for those holding two; (tier, score) order. */
	size_t before = T.queries;
	for (int i = 0; i < 84; i++) {
		qn *t;
		switch (i % 6) {
		case 0:
			t = leaf_run();
			break;
		case 1:
			t = pair(Q_AND, leaf_run(), leaf_filter());
			break;
		case 2: {
			/* Two runs from one paragraph: some hold both whole. */
			size_t from = rnd((unsigned)nparas);
			t = pair(Q_AND, leaf_run_from(from), leaf_run_from(from));
			break;
		}
		case 3:
			t = pair(Q_OR, leaf_run(), leaf_phrase(1, 3));
			break;
		case 4:
			t = pair(Q_NOT, pair(Q_OR, leaf_run(), leaf_run()), leaf_filter());
			break;
		default: {
			/* A paragraph holding a run whole, found by another branch:
			 * no tier for the run (the score has nothing of it either). */
			size_t from = rnd((unsigned)nparas), other = (paras[from].doc + 1 + rnd(NDOCS - 1)) % NDOCS;
			t = pair(Q_OR, mk_doc(Q_DOC, docs[paras[from].doc].id),
			         pair(Q_AND, leaf_run_from(from), mk_doc(Q_DOC, docs[other].id)));
			break;
		}
		}
		sbuf q = {0};
		emit(t, &q);
		check_query(q.s, t, i % 7 == 6 ? "relevance" : NULL, NULL, 0, 0);
		count_tiers(q.s);
		free(q.s);
		qn_free(t);
	}
	printf("\n  %zu queries with runs: hits of tier 1 %zu, tier 2 %zu, tier 3 %zu ", T.queries - before,
	       tier_hist[1], tier_hist[2], tier_hist[3]);
	CU_ASSERT_EQUAL(tier_hist[0], 0);
	CU_ASSERT(tier_hist[1] > 0 && tier_hist[2] > 0 && tier_hist[3] > 0);
}

/* ---- the query object: pages, counts ------------------------------------------------------------ */

static bool same_hit(const zhfts_hit *a, const zhfts_hit *b)
{
	return a && b && !strcmp(a->doc, b->doc) && a->para == b->para && a->tier == b->tier &&
	       a->score == b->score;
}

static void test_pages(void)
{
	/* A query object reused for pages (forward, then anywhere), with counts
	 * and facet searches in between, gives exactly the pages of one big
	 * search. */
	size_t pages = 0, compared = 0;
	for (int i = 0; i < 150; i++) {
		qn *t = gen_query_nonempty();
		sbuf q = {0};
		emit(t, &q);
		size_t want = oracle_count(t);
		const char *sort = i % 3 ? PICK(sorts) : NULL;
		zhfts_search_options o = ZHFTS_SEARCH_OPTIONS_INIT;
		o.sort = sort;
		o.limit = SIZE_MAX;
		zhfts_results *big;
		TU_OK(db, zhfts_db_search(db, q.s, q.n, &o, &big));
		size_t n = zhfts_results_count(big);
		CU_ASSERT_EQUAL(n, want);
		zhfts_query *qo;
		TU_OK(db, zhfts_query_new(&qo, db, q.s, q.n));
		size_t off = 0;
		for (int step = 0; off <= n + 3 && step < 200; step++) {
			if (step > 0 && rnd(8) == 0) {
				/* A count in between. */
				uint64_t c = 0;
				TU_OK(db, zhfts_query_count(qo, &c));
				CU_ASSERT_EQUAL(c, n);
			}
			if (step > 0 && rnd(10) == 0) {
				zhfts_search_options fo = o;
				static const char *const fz[] = {"district", "doc"};
				fo.facets = fz;
				fo.nfacets = 2;
				fo.limit = 1;
				zhfts_results *fr;
				TU_OK(db, zhfts_query_search(qo, &fo, &fr));
				zhfts_results_free(fr);
			}
			bool forward = step < 12 || rnd(4);
			size_t page = 1 + rnd(9);
			if (!forward)
				off = rnd((unsigned)n + 2);
			o.offset = off;
			o.limit = page;
			o.flags = rnd(3) == 0 ? ZHFTS_SEARCH_EXACT_COUNT : 0;
			zhfts_results *r;
			TU_OK(db, zhfts_query_search(qo, &o, &r));
			size_t expect_n = off >= n ? 0 : n - off < page ? n - off : page;
			CU_ASSERT_EQUAL(zhfts_results_count(r), expect_n);
			for (size_t k = 0; k < zhfts_results_count(r) && off + k < n; k++) {
				const zhfts_hit *h = zhfts_results_hit(r, k), *b = zhfts_results_hit(big, off + k);
				bool ok = same_hit(h, b) && h->rank == off + k + 1 && !strcmp(h->snippet, "") && h->nspans == 0;
				if (!ok)
					fprintf(stderr, "\n%s (sort %s): page at %zu, hit %zu: %s ¶%u tier %d score %g, want %s ¶%u tier %d score %g\n",
					        q.s, sort ? sort : "NULL", off, k, h ? h->doc : "?", h ? h->para : 0, h ? h->tier : 0,
					        h ? h->score : 0, b->doc, b->para, b->tier, b->score);
				CU_ASSERT(ok);
				compared++;
			}
			uint64_t est, lo, hi;
			zhfts_results_total(r, &est, &lo, &hi);
			if (o.flags & ZHFTS_SEARCH_EXACT_COUNT) {
				CU_ASSERT(est == n && lo == n && hi == n);
			} else {
				if (!(lo <= n && n <= hi && lo <= est && est <= hi))
					fprintf(stderr, "\n%s (sort %s), page at %zu of %zu: totals %llu [%llu, %llu], %zu hits\n", q.s,
					        sort ? sort : "NULL", off, page, (unsigned long long)est, (unsigned long long)lo,
					        (unsigned long long)hi, n);
				CU_ASSERT(lo <= n && n <= hi && lo <= est && est <= hi);
			}
			zhfts_results_free(r);
			pages++;
			if (forward)
				off += page + (rnd(3) == 0 ? rnd(3) : 0);
		}
		/* The same object, another sort. */
		const char *other = PICK(sorts);
		o.sort = other;
		o.offset = 0;
		o.limit = SIZE_MAX;
		o.flags = 0;
		zhfts_results *a, *b2;
		TU_OK(db, zhfts_query_search(qo, &o, &a));
		TU_OK(db, zhfts_db_search(db, q.s, q.n, &o, &b2));
		CU_ASSERT_EQUAL(zhfts_results_count(a), zhfts_results_count(b2));
		for (size_t k = 0; k < zhfts_results_count(a) && k < zhfts_results_count(b2); k++)
			CU_ASSERT(same_hit(zhfts_results_hit(a, k), zhfts_results_hit(b2, k)));
		zhfts_results_free(a);
		zhfts_results_free(b2);
		zhfts_query_free(qo);
		zhfts_results_free(big);
		free(q.s);
		qn_free(t);
	}
	T.pages += pages;
	printf("\n  %zu pages, %zu hits compared with one big search ", pages, compared);
}

static void test_totals(void)
{
	/* Without EXACT_COUNT the total is an estimate, but within its bounds,
	 * and the bounds hold the true count, for every page. */
	size_t pages = 0, bad = 0;
	for (int i = 0; i < 60; i++) {
		qn *t = pair(i % 2 ? Q_OR : Q_AND, leaf_phrase(1, 2), leaf_filter());
		sbuf q = {0};
		emit(t, &q);
		size_t n = oracle_count(t);
		for (size_t off = 0; off < 4; off++) {
			for (size_t lim = 1; lim <= 6; lim++) {
				zhfts_search_options o = ZHFTS_SEARCH_OPTIONS_INIT;
				o.offset = off;
				o.limit = lim;
				o.sort = i % 3 ? NULL : PICK(sorts);
				o.flags = ZHFTS_SEARCH_NO_SNIPPETS;
				zhfts_results *r;
				TU_OK(db, zhfts_db_search(db, q.s, q.n, &o, &r));
				uint64_t est, lo, hi;
				zhfts_results_total(r, &est, &lo, &hi);
				bool ok = lo <= est && est <= hi && lo <= n && n <= hi;
				if (!ok && bad++ < 5)
					fprintf(stderr, "\n%s (sort %s), offset %zu limit %zu: estimate %llu, bounds [%llu, %llu], %zu hits\n",
					        q.s, o.sort ? o.sort : "NULL", off, lim, (unsigned long long)est, (unsigned long long)lo,
					        (unsigned long long)hi, n);
				CU_ASSERT(ok);
				zhfts_results_free(r);
				pages++;
			}
		}
		free(q.s);
		qn_free(t);
	}
	printf("\n  %zu pages: %zu with an estimate outside its bounds ", pages, bad);
}

/* ---- lazy spans and snippets -------------------------------------------------------------------- */

static void test_lazy_spans_and_snippets(void)
{
	size_t hits = 0;
	for (int i = 0; i < 60; i++) {
		/* A phrase and a filter: every hit holds the phrase. */
		qn *ph = leaf_phrase(1, 4);
		qn *t = i % 2 ? pair(Q_AND, ph, leaf_filter()) : ph;
		sbuf q = {0};
		emit(t, &q);
		zhfts_search_options o = ZHFTS_SEARCH_OPTIONS_INIT;
		o.limit = 12;
		o.offset = rnd(3);
		o.sort = PICK(sorts);
		bool defaults = i % 5 == 0;
		if (!defaults) {
			o.mark_open = "<<";
			o.mark_close = ">>";
			o.snippet_chars = 1 + rnd(30);
		}
		zhfts_results *eager, *lazy;
		TU_OK(db, zhfts_db_search(db, q.s, q.n, &o, &eager));
		zhfts_query *qo;
		TU_OK(db, zhfts_query_new(&qo, db, q.s, q.n));
		TU_OK(db, zhfts_query_search(qo, &o, &lazy));
		CU_ASSERT_EQUAL_FATAL(zhfts_results_count(eager), zhfts_results_count(lazy));
		zhfts_snippet_options so = ZHFTS_SNIPPET_OPTIONS_INIT;
		so.mark_open = o.mark_open;
		so.mark_close = o.mark_close;
		so.context_chars = o.snippet_chars;
		for (size_t k = 0; k < zhfts_results_count(lazy); k++) {
			const zhfts_hit *e = zhfts_results_hit(eager, k), *l = zhfts_results_hit(lazy, k);
			CU_ASSERT_FATAL(e && l && same_hit(e, l));
			CU_ASSERT(l->nspans == 0 && !strcmp(l->snippet, ""));
			const zhfts_span *sp = NULL;
			size_t nsp = 0;
			CU_ASSERT_EQUAL(zhfts_results_spans(lazy, k, &sp, &nsp), ZHFTS_OK);
			CU_ASSERT(nsp == e->nspans && (nsp == 0 || !memcmp(sp, e->spans, nsp * sizeof *sp)));
			CU_ASSERT(l->spans == sp && l->nspans == nsp);
			/* The oracle: the hit holds the phrase, each span's text too. */
			CU_ASSERT(nsp >= 1);
			for (size_t s = 0; s < nsp; s++) {
				CU_ASSERT_FATAL(sp[s].offset + sp[s].length <= l->text_len);
				char *su = oracle_units(orc, l->text + sp[s].offset, sp[s].length);
				CU_ASSERT(strstr(su, ph->units) != NULL);
				free(su);
			}
			char *snip = NULL;
			CU_ASSERT_EQUAL(zhfts_results_snippet(lazy, k, defaults && rnd(2) ? NULL : &so, &snip), ZHFTS_OK);
			CU_ASSERT(snip && !strcmp(snip, e->snippet));
			if (snip && strcmp(snip, e->snippet))
				fprintf(stderr, "\n%s hit %zu: lazy snippet '%s', eager '%s'\n", q.s, k, snip, e->snippet);
			zhfts_free(snip);
			hits++;
		}
		/* Out of range. */
		CU_ASSERT_EQUAL(zhfts_results_spans(lazy, zhfts_results_count(lazy), NULL, NULL), ZHFTS_EINVAL);
		char *none = NULL;
		CU_ASSERT_EQUAL(zhfts_results_snippet(lazy, zhfts_results_count(lazy), NULL, &none), ZHFTS_EINVAL);
		zhfts_results_free(eager);
		zhfts_results_free(lazy);
		zhfts_query_free(qo);
		free(q.s);
		qn_free(t);
	}
	T.lazy += hits;
	printf("\n  %zu hits: lazy spans and snippets equal the eager ones ", hits);
}

/* ---- filters never change scores -------------------------------------------------------------------- */

static void test_filters_keep_scores(void)
{
	size_t compared = 0;
	for (int i = 0; i < 100; i++) {
		qn *text = i % 4 == 3 ? pair(Q_OR, leaf_text(), leaf_text()) : leaf_text();
		sbuf tq = {0};
		emit(text, &tq);
		qn *f = i % 3 == 2 ? pair(Q_OR, leaf_filter(), leaf_filter()) : leaf_filter();
		sbuf fq = {0};
		emit_kid(f, &fq);
		sbuf q = {0};
		if (i % 2)
			sb_printf(&q, "(%s) -%s", tq.s, fq.s);
		else
			sb_printf(&q, "%s (%s)", fq.s, tq.s);
		zhfts_search_options o = ZHFTS_SEARCH_OPTIONS_INIT;
		o.limit = SIZE_MAX;
		o.flags = ZHFTS_SEARCH_NO_SNIPPETS;
		zhfts_results *plain, *filtered;
		TU_OK(db, zhfts_db_search(db, tq.s, tq.n, &o, &plain));
		TU_OK(db, zhfts_db_search(db, q.s, q.n, &o, &filtered));
		size_t np = zhfts_results_count(plain), nf = zhfts_results_count(filtered);
		size_t want = 0;
		for (size_t k = 0; k < np; k++) {
			const zhfts_hit *h = zhfts_results_hit(plain, k);
			size_t p = find_para(h);
			CU_ASSERT_FATAL(p != SIZE_MAX);
			want += i % 2 ? !eval(f, p) : eval(f, p);
		}
		CU_ASSERT_EQUAL(nf, want);
		for (size_t k = 0; k < nf; k++) {
			const zhfts_hit *h = zhfts_results_hit(filtered, k), *m = NULL;
			for (size_t j = 0; j < np && !m; j++) {
				const zhfts_hit *c = zhfts_results_hit(plain, j);
				if (c->para == h->para && !strcmp(c->doc, h->doc))
					m = c;
			}
			CU_ASSERT_FATAL(m != NULL);
			if (m->score != h->score || m->tier != h->tier)
				fprintf(stderr, "\n%s: %s ¶%u score %.17g tier %d, without the filter %.17g tier %d\n", q.s, h->doc,
				        h->para, h->score, h->tier, m->score, m->tier);
			CU_ASSERT(m->score == h->score && m->tier == h->tier);
			compared++;
		}
		zhfts_results_free(plain);
		zhfts_results_free(filtered);
		free(tq.s);
		free(fq.s);
		free(q.s);
		qn_free(text);
		qn_free(f);
	}
	printf("\n  %zu scores compared with and without filters ", compared);
}

/* ---- explain ----------------------------------------------------------------------------------------- */

static void test_explain(void)
{
	static const struct {
		const char *q;
		bool checked;
		const char *after; /* what the check mentions, units spaced or not */
	} cases[] = {
		{"\"科学城北\"", true, "科"},
		{"\"科学\"", false, NULL},
		{"\"科学\" district:海淀区", false, NULL},
		{"\"科学城北\" district:海淀區", true, "district"},
		{"\"发展\" -\"科学城北\"", true, "北"},
		{"中关村科学城建设", true, "tier"},
		{"district:海淀区 year:2019..2020", false, NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *d = NULL;
		zhfts_query *qo;
		TU_OK(db, zhfts_query_new(&qo, db, cases[i].q, strlen(cases[i].q)));
		TU_OK(db, zhfts_query_explain(qo, &d));
		CU_ASSERT_PTR_NOT_NULL_FATAL(d);
		const char *c = strstr(d, "checked");
		if (!c != !cases[i].checked || (cases[i].after && !strstr(c ? c : d, cases[i].after)))
			fprintf(stderr, "\nexplain %s:\n%s\n", cases[i].q, d);
		CU_ASSERT(!c == !cases[i].checked);
		if (cases[i].after)
			CU_ASSERT(strstr(c ? c : d, cases[i].after) != NULL);
		char *d2 = NULL;
		TU_OK(db, zhfts_db_explain(db, cases[i].q, strlen(cases[i].q), &d2));
		CU_ASSERT(d2 && !strcmp(d, d2));
		zhfts_free(d);
		zhfts_free(d2);
		zhfts_query_free(qo);
	}
}

/* ---- errors ------------------------------------------------------------------------------------------- */

/* The largest "byte N" number in a message, or -1. */
static long long msg_byte(const char *msg)
{
	long long v = -1;
	for (const char *p = msg; (p = strstr(p, "byte ")); p += 5)
		if (p[5] >= '0' && p[5] <= '9' && atoll(p + 5) > v)
			v = atoll(p + 5);
	return v;
}

static void test_query_errors(void)
{
	static const struct {
		const char *q;
		long long offset;   /* -2: anywhere inside the query */
		const char *names;  /* the message says it */
	} cases[] = {
		{"科学 district:", 7, "district"},
		{"科学 district: 海淀区", 7, "district"},
		{"district:海淀区 (科学", 19, NULL},
		{"科学 (district:海淀区", 7, NULL},
		{"district:海淀区 \"科学", 19, NULL},
		{"district:海淀区 )", 19, NULL},
		{"\"科学\" nosuch:1", 9, "nosuch"},
		{"(发展 OR nosuch:x)", 11, "nosuch"},
		{"发展 -nosuch:x", 8, "nosuch"},
		{"nosuch:1..2", 0, "nosuch"},
		{"year:2019..abc", 0, NULL},
		{"发展 year:abc..2019", 7, NULL},
		{"发展 score:1..x", 7, NULL},
		{"year:２０１９..abc", 0, NULL},
		{"(发展 OR year:2019..2020年)", 11, NULL},
		{"district:\"\"", 0, NULL},
		{"发展 district:\"  \"", 7, NULL},
		{"year:..", -2, NULL},
		{"year:1..2..3", -2, NULL},
		{"doc:", 0, NULL},
		{"district:海淀\xff", 15, NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const char *q = cases[i].q;
		size_t len = strlen(q);
		for (int how = 0; how < 3; how++) {
			zhfts_query *qo = NULL;
			zhfts_results *r = NULL;
			char *d = NULL;
			int rc = how == 0 ? zhfts_query_new(&qo, db, q, len)
			       : how == 1 ? zhfts_db_search(db, q, len, NULL, &r)
			                  : zhfts_db_explain(db, q, len, &d);
			const zhfts_error *e = zhfts_db_error(db);
			bool ok = rc == ZHFTS_EQUERY && !qo && !r && !d && e->status == ZHFTS_EQUERY &&
			          e->where == ZHFTS_WHERE_QUERY && e->message[0] && !strcmp(e->message, zhfts_db_errmsg(db)) &&
			          (cases[i].offset == -2 ? e->offset >= 0 && e->offset <= (int64_t)len
			                                 : e->offset == cases[i].offset) &&
			          msg_byte(e->message) == e->offset && (!cases[i].names || strstr(e->message, cases[i].names));
			/* An unknown field is named in error.field too. */
			if (cases[i].names && strcmp(cases[i].names, "district"))
				ok = ok && e->field && !strcmp(e->field, cases[i].names);
			if (!ok)
				fprintf(stderr, "\nquery '%s': %d, status %d where %d offset %lld '%s'; want offset %lld\n", q, rc,
				        e->status, (int)e->where, (long long)e->offset, e->message, cases[i].offset);
			CU_ASSERT(ok);
			zhfts_query_free(qo);
			zhfts_results_free(r);
			zhfts_free(d);
		}
	}
	/* After a success: nothing. */
	zhfts_results *r;
	TU_OK(db, zhfts_db_search(db, "district:海淀区", strlen("district:海淀区"), NULL, &r));
	zhfts_results_free(r);
	const zhfts_error *e = zhfts_db_error(db);
	CU_ASSERT(e->status == ZHFTS_OK && !strcmp(e->message, "") && e->lost == 0);
	/* Sorting or counting by something that is not there: an option. */
	static const char *const bad_sorts[] = {"nosuch", "-nosuch", "-", "Year"};
	for (size_t i = 0; i < sizeof bad_sorts / sizeof *bad_sorts; i++) {
		zhfts_search_options o = ZHFTS_SEARCH_OPTIONS_INIT;
		o.sort = bad_sorts[i];
		r = NULL;
		CU_ASSERT_EQUAL(zhfts_db_search(db, "发展", strlen("发展"), &o, &r), ZHFTS_EINVAL);
		CU_ASSERT_PTR_NULL(r);
		const zhfts_error *se = zhfts_db_error(db);
		CU_ASSERT(se->where == ZHFTS_WHERE_OPTION && se->status == ZHFTS_EINVAL);
		CU_ASSERT(se->field && (!strcmp(se->field, "sort") || !strcmp(se->field, bad_sorts[i])));
	}
	/* Options that do not hold together. */
	{
		zhfts_search_options o = ZHFTS_SEARCH_OPTIONS_INIT;
		o.nfacets = 1; /* and no array */
		r = NULL;
		CU_ASSERT_EQUAL(zhfts_db_search(db, "发展", strlen("发展"), &o, &r), ZHFTS_EINVAL);
		CU_ASSERT(!r && zhfts_db_error(db)->where == ZHFTS_WHERE_OPTION);
		const char *many[65];
		for (size_t i = 0; i < 65; i++)
			many[i] = "district";
		o.facets = many;
		o.nfacets = 65;
		CU_ASSERT_EQUAL(zhfts_db_search(db, "发展", strlen("发展"), &o, &r), ZHFTS_EINVAL);
		CU_ASSERT_PTR_NULL(r);
		o.nfacets = 64; /* the limit itself is fine */
		TU_OK(db, zhfts_db_search(db, "发展", strlen("发展"), &o, &r));
		CU_ASSERT_EQUAL(zhfts_results_facet_count(r), 64);
		zhfts_results_free(r);
		zhfts_search_options v3 = ZHFTS_SEARCH_OPTIONS_INIT;
		v3.version = ZHFTS_SEARCH_OPTIONS_VERSION + 1;
		r = NULL;
		CU_ASSERT_EQUAL(zhfts_db_search(db, "发展", strlen("发展"), &v3, &r), ZHFTS_EINVAL);
		CU_ASSERT_PTR_NULL(r);
		const zhfts_error *none = zhfts_db_error(NULL);
		CU_ASSERT(none && none->message && none->status != ZHFTS_OK);
	}
	static const char *const bad_facet[] = {"nosuch"};
	zhfts_search_options o = ZHFTS_SEARCH_OPTIONS_INIT;
	o.facets = bad_facet;
	o.nfacets = 1;
	r = NULL;
	CU_ASSERT_EQUAL(zhfts_db_search(db, "发展", strlen("发展"), &o, &r), ZHFTS_EINVAL);
	CU_ASSERT_PTR_NULL(r);
	CU_ASSERT(zhfts_db_error(db)->where == ZHFTS_WHERE_OPTION);
	CU_ASSERT(strstr(zhfts_db_errmsg(db), "nosuch") != NULL);
	e = zhfts_db_error(db);
	CU_ASSERT(e->field && (!strcmp(e->field, "facets") || !strcmp(e->field, "nosuch")));
}

static void test_negative_numbers(void)
{
	/* Values and range ends that start with '-' are numbers too
	 * ([+-]digits[.digits]): score:-1.5, score:-2..0. */
	qn *cases[] = {
		mk_eq(F_SCORE, "-1.5"),
		mk_range(F_SCORE, "-2", "0", true),
		mk_range(F_SCORE, "-1.5", NULL, true),
		mk_range(F_SCORE, "-0.25", "-0.25", true),
	};
	static const char *const text[] = {"score:-1.5", "score:-2..0", "score:-1.5..", "score:-0.25..-0.25"};
	size_t found = 0;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		size_t want = oracle_count(cases[i]);
		found += want;
		zhfts_search_options o = ZHFTS_SEARCH_OPTIONS_INIT;
		o.limit = SIZE_MAX;
		zhfts_results *r = NULL;
		int rc = zhfts_db_search(db, text[i], strlen(text[i]), &o, &r);
		if (rc || zhfts_results_count(r) != want)
			fprintf(stderr, "\n%s: %d '%s', %zu hits, want %zu\n", text[i], rc, zhfts_db_errmsg(db),
			        zhfts_results_count(r), want);
		CU_ASSERT_EQUAL(rc, ZHFTS_OK);
		CU_ASSERT_EQUAL(zhfts_results_count(r), want);
		zhfts_results_free(r);
		qn_free(cases[i]);
	}
	CU_ASSERT(found > 0); /* the corpus has negative scores */
}

/* ---- title and date from the first lines ------------------------------------------------------------- */

/* Handles and directories of the tests that make their own databases:
 * closed and removed by close_all() (also after a fatal assertion). */
static zhfts_db *handles[8];
static char *dirs[4];

static zhfts_db *keep_handle(zhfts_db *x)
{
	for (size_t i = 0; i < sizeof handles / sizeof *handles; i++) {
		if (!handles[i]) {
			handles[i] = x;
			return x;
		}
	}
	abort();
}

static char *keep_dir(char *d)
{
	for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
		if (!dirs[i]) {
			dirs[i] = d;
			return d;
		}
	}
	abort();
}

/* Closes every handle kept; returns the first failure. */
static int close_all(void)
{
	int rc = ZHFTS_OK;
	for (size_t i = 0; i < sizeof handles / sizeof *handles; i++) {
		int r = zhfts_db_close(handles[i]);
		rc = rc ? rc : r;
		handles[i] = NULL;
	}
	for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
		if (dirs[i])
			tu_rmrf(dirs[i]);
		free(dirs[i]);
		dirs[i] = NULL;
	}
	return rc;
}

static zhfts_db *scratch_db(void)
{
	close_all(); /* what a failed test left */
	zhfts_db *x = NULL;
	char *err = NULL;
	int rc = zhfts_db_open(&x, NULL, ZHFTS_OPEN_INMEMORY, NULL, &err);
	if (rc)
		fprintf(stderr, "\nopen: %s\n", err);
	zhfts_free(err);
	CU_ASSERT_EQUAL_FATAL(rc, ZHFTS_OK);
	return keep_handle(x);
}

/* The distinct documents a query finds, joined by ' ' in byte order. */
static char *docs_found(zhfts_db *x, const char *q)
{
	static const char *const fd[] = {"doc"};
	zhfts_search_options o = ZHFTS_SEARCH_OPTIONS_INIT;
	o.facets = fd;
	o.nfacets = 1;
	zhfts_results *r;
	TU_OK(x, zhfts_db_search(x, q, strlen(q), &o, &r));
	const zhfts_facet *f = zhfts_results_facet(r, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	char **ids = calloc(f->nvalues + 1, sizeof *ids);
	for (size_t i = 0; i < f->nvalues; i++)
		ids[i] = strdup(f->values[i].value);
	zhfts_results_free(r);
	/* byte order */
	for (size_t i = 1; ids[i - 1] && ids[i]; i++)
		for (size_t j = i; j > 0 && strcmp(ids[j - 1], ids[j]) > 0; j--) {
			char *t = ids[j];
			ids[j] = ids[j - 1];
			ids[j - 1] = t;
		}
	sbuf b = {0};
	sb_adds(&b, "");
	for (size_t i = 0; ids[i]; i++) {
		sb_printf(&b, "%s%s", i ? " " : "", ids[i]);
		free(ids[i]);
	}
	free(ids);
	return b.s;
}

static void test_title_and_date(void)
{
	static const char t1[] = "海淀区政府工作报告（2021年）\n\n——2021年1月8日在海淀区第十七届人民代表大会第一次会议上\n\n"
	                         "各位代表：\n\n现在，我代表区人民政府向大会报告工作。\n";
	char l100[512], l101[512];
	snprintf(l100, sizeof l100, "海淀区政府工作报告%091d\n正文。", 0);
	snprintf(l101, sizeof l101, "海淀区政府工作报告%092d\n正文。", 0);
	char want100[512];
	snprintf(want100, sizeof want100, "海淀区政府工作报告%091d", 0);
	const struct {
		const char *text, *title, *date; /* given */
		unsigned flags;
		const char *want_title, *want_date;
	} cases[] = {
		{t1, NULL, NULL, 0, "海淀区政府工作报告（2021年）", "2021-01-08"},
		{"报告\n\n  朝阳区国民经济和社会发展计划  \n\n2020.01.06\n\n正文内容。\n", NULL, NULL, 0,
		 "朝阳区国民经济和社会发展计划", "2020-01-06"},
		{"这是一个很长的句子而且结束了。\n东城区政府工作报告\n内容很多。\n", NULL, NULL, 0, "东城区政府工作报告", NULL},
		{"短\n短\n短\n短\n第五行的标题有十个字\n正文。\n", NULL, NULL, 0, "第五行的标题有十个字", NULL},
		{"短\n短\n短\n短\n短\n第六行的标题有十个字\n正文。\n", NULL, NULL, 0, NULL, NULL},
		{"海淀区政府报\n正文。", NULL, NULL, 0, "海淀区政府报", NULL},
		{"海淀区政府ABC\n正文。", NULL, NULL, 0, NULL, NULL},
		{l100, NULL, NULL, 0, want100, NULL},
		{l101, NULL, NULL, 0, NULL, NULL},
		{"海淀区政府工作报告！\n海淀区政府工作报告：\n海淀区政府工作报告（草案）\n", NULL, NULL, 0, "海淀区政府工作报告（草案）", NULL},
		{"2020/03/15 发布\n\n正文。", NULL, NULL, 0, NULL, "2020-03-15"},
		{"２０２２年３月１５日\n\n正文。", NULL, NULL, 0, NULL, "2022-03-15"},
		{"【2019-12-31】\n\n正文。", NULL, NULL, 0, NULL, "2019-12-31"},
		{"（2018年5月4日）\n\n正文。", NULL, NULL, 0, NULL, "2018-05-04"},
		{"在2021年1月8日召开\n\n正文。", NULL, NULL, 0, "在2021年1月8日召开", NULL},
		{"一\n二\n三\n四\n五\n六\n七\n八\n九\n2020-05-05 发布\n", NULL, NULL, 0, NULL, "2020-05-05"},
		{"一\n二\n三\n四\n五\n六\n七\n八\n九\n十\n2020-05-05 发布\n", NULL, NULL, 0, NULL, NULL},
		/* The caller's own win. */
		{t1, "我的标题", "1999-01-01", 0, "我的标题", "1999-01-01"},
		{t1, "我的标题", NULL, 0, "我的标题", "2021-01-08"},
		{t1, NULL, "2000-02-02", 0, "海淀区政府工作报告（2021年）", "2000-02-02"},
		{t1, NULL, NULL, ZHFTS_DOC_NO_GUESS, NULL, NULL},
		{t1, "我的标题", NULL, ZHFTS_DOC_NO_GUESS, "我的标题", NULL},
	};
	zhfts_db *x = scratch_db();
	size_t n = sizeof cases / sizeof *cases;
	for (size_t i = 0; i < n; i++) {
		char id[32];
		snprintf(id, sizeof id, "g/%02zu", i);
		zhfts_field f[3];
		size_t nf = 0;
		f[nf++] = (zhfts_field){"district", "海淀区"};
		if (cases[i].title)
			f[nf++] = (zhfts_field){"title", cases[i].title};
		if (cases[i].date)
			f[nf++] = (zhfts_field){"date", cases[i].date};
		zhfts_doc_options o = ZHFTS_DOC_OPTIONS_INIT;
		o.flags = cases[i].flags;
		o.fields = f;
		o.nfields = nf;
		TU_OK(x, zhfts_db_add_document(x, id, cases[i].text, strlen(cases[i].text), &o, NULL));
		/* The test's own reading of the rule agrees with the cases. */
		if (!cases[i].title && !cases[i].flags) {
			char *g = guess_title(cases[i].text);
			CU_ASSERT(!g == !cases[i].want_title && (!g || !strcmp(g, cases[i].want_title)));
			free(g);
		}
		if (!cases[i].date && !cases[i].flags) {
			char *g = guess_date(cases[i].text);
			CU_ASSERT(!g == !cases[i].want_date && (!g || !strcmp(g, cases[i].want_date)));
			free(g);
		}
	}
	TU_OK(x, zhfts_db_commit(x));
	for (size_t i = 0; i < n; i++) {
		char id[32];
		snprintf(id, sizeof id, "g/%02zu", i);
		zhfts_results *r;
		TU_OK(x, zhfts_db_get_document(x, id, &r));
		CU_ASSERT_FATAL(zhfts_results_count(r) > 0);
		for (size_t k = 0; k < zhfts_results_count(r); k++) {
			const zhfts_hit *h = zhfts_results_hit(r, k);
			const char *title = NULL, *date = NULL, *district = NULL;
			for (size_t j = 0; j < h->nfields; j++) {
				const char *nm = h->fields[j].name;
				const char **slot = !strcmp(nm, "title") ? &title : !strcmp(nm, "date") ? &date
				                  : !strcmp(nm, "district")  ? &district
				                                             : NULL;
				CU_ASSERT(slot && !*slot); /* known, and once */
				if (slot)
					*slot = h->fields[j].value;
			}
			size_t want_n = 1 + (cases[i].want_title != NULL) + (cases[i].want_date != NULL);
			bool ok = h->nfields == want_n && district && !strcmp(district, "海淀区") &&
			          !title == !cases[i].want_title && (!title || !strcmp(title, cases[i].want_title)) &&
			          !date == !cases[i].want_date && (!date || !strcmp(date, cases[i].want_date));
			if (!ok && k == 0)
				fprintf(stderr, "\ncase %zu: title '%s' date '%s', want '%s' '%s'\n", i, title ? title : "(none)",
				        date ? date : "(none)", cases[i].want_title ? cases[i].want_title : "(none)",
				        cases[i].want_date ? cases[i].want_date : "(none)");
			CU_ASSERT(ok);
		}
		zhfts_results_free(r);
	}
	/* Guessed fields are fields like the others: filters, facets. */
	static const struct {
		const char *q, *want;
	} qs[] = {
		{"title:\"海淀区政府工作报告（2021年）\"", "g/00 g/19"},
		{"title:\"海淀區政府工作報告（2021年）\"", "g/00 g/19"},
		{"title:我的标题", "g/17 g/18 g/21"},
		{"date:2021-01-01..2021-12-31", "g/00 g/18"},
		{"date:..2000-12-31", "g/17 g/19"},
		{"date:2019-12-31", "g/12"},
		{"district:海淀区 -date:1900-01-01..", "g/02 g/03 g/04 g/05 g/06 g/07 g/08 g/09 g/14 g/16 g/20 g/21"},
	};
	for (size_t i = 0; i < sizeof qs / sizeof *qs; i++) {
		char *got = docs_found(x, qs[i].q);
		if (strcmp(got, qs[i].want))
			fprintf(stderr, "\n%s: %s, want %s\n", qs[i].q, got, qs[i].want);
		CU_ASSERT_STRING_EQUAL(got, qs[i].want);
		free(got);
	}
	CU_ASSERT_EQUAL(close_all(), ZHFTS_OK);
}

/* ---- indexing errors and the failure contract ------------------------------------------------------------ */

/* Offset of the first invalid UTF-8 sequence (RFC 3629), or len. */
static size_t first_bad_utf8(const char *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		int32_t k = (int32_t)i;
		UChar32 c;
		U8_NEXT((const uint8_t *)s, k, (int32_t)len, c);
		if (c < 0)
			return i;
		i = (size_t)k;
	}
	return len;
}

static void test_index_errors(void)
{
	zhfts_db *x = scratch_db();
	char name32[33], name33[34], v1024[1100], v1025[1100];
	memset(name32, 'a', 32);
	name32[32] = '\0';
	memset(name33, 'b', 33);
	name33[33] = '\0';
	v1024[0] = '\0';
	while (strlen(v1024) + 3 <= 1023)
		strcat(v1024, "新");
	while (strlen(v1024) < 1024)
		strcat(v1024, "x");
	snprintf(v1025, sizeof v1025, "%sy", v1024);
	static const char text[] = "第一段。\n\n第二段。";
	/* Bad names and values: EINVAL, an option, the field named. */
	const struct {
		zhfts_field f[2];
		size_t n;
		const char *field;
	} bad[] = {
		{{{"Bad", "x"}}, 1, "Bad"},
		{{{"doc", "x"}}, 1, "doc"},
		{{{"section", "x"}}, 1, "section"},
		{{{"1abc", "x"}}, 1, "1abc"},
		{{{"a-b", "x"}}, 1, "a-b"},
		{{{"a b", "x"}}, 1, "a b"},
		{{{"", "x"}}, 1, ""},
		{{{name33, "x"}}, 1, name33},
		{{{"ok", ""}}, 1, "ok"},
		{{{"ok", v1025}}, 1, "ok"},
		{{{"ok", "a\xff"}}, 1, "ok"},
		{{{"ok", "\xe6\x96"}}, 1, "ok"},
		{{{"ok", "1"}, {"ok", "2"}}, 2, "ok"},
		{{{"fine", "1"}, {"Worse", "2"}}, 2, "Worse"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		zhfts_doc_options o = ZHFTS_DOC_OPTIONS_INIT;
		o.fields = bad[i].f;
		o.nfields = bad[i].n;
		int rc = zhfts_db_add_document(x, "bad", text, strlen(text), &o, NULL);
		const zhfts_error *e = zhfts_db_error(x);
		bool ok = rc == ZHFTS_EINVAL && e->status == ZHFTS_EINVAL && e->where == ZHFTS_WHERE_OPTION &&
		          e->field && !strcmp(e->field, bad[i].field) && e->message[0] && e->lost == 0;
		if (!ok)
			fprintf(stderr, "\nbad field %zu ('%s'): %d, status %d where %d field '%s' '%s'\n", i, bad[i].field, rc,
			        e->status, (int)e->where, e->field ? e->field : "(null)", e->message);
		CU_ASSERT(ok);
	}
	/* At most 64 fields. */
	{
		zhfts_field many[65];
		char names[65][8];
		for (int i = 0; i < 65; i++) {
			snprintf(names[i], sizeof names[i], "f%d", i);
			many[i] = (zhfts_field){names[i], "x"};
		}
		zhfts_doc_options mo = ZHFTS_DOC_OPTIONS_INIT;
		mo.fields = many;
		mo.nfields = 65;
		CU_ASSERT_EQUAL(zhfts_db_add_document(x, "many", text, strlen(text), &mo, NULL), ZHFTS_EINVAL);
		CU_ASSERT(zhfts_db_error(x)->where == ZHFTS_WHERE_OPTION);
		mo.nfields = 64;
		TU_OK(x, zhfts_db_add_document(x, "many", text, strlen(text), &mo, NULL));
	}
	/* The limits themselves are fine. */
	zhfts_field good[] = {{name32, "x"}, {"big", v1024}};
	zhfts_doc_options o = ZHFTS_DOC_OPTIONS_INIT;
	o.fields = good;
	o.nfields = 2;
	TU_OK(x, zhfts_db_add_document(x, "good", text, strlen(text), &o, NULL));
	CU_ASSERT(zhfts_db_error(x)->status == ZHFTS_OK && !strcmp(zhfts_db_error(x)->message, ""));
	/* Version 1 options have no fields, whatever follows them. */
	zhfts_doc_options v1 = ZHFTS_DOC_OPTIONS_INIT;
	v1.version = 1;
	v1.fields = bad[0].f;
	v1.nfields = 1;
	TU_OK(x, zhfts_db_add_document(x, "v1", text, strlen(text), &v1, NULL));
	TU_OK(x, zhfts_db_commit(x));
	zhfts_results *r;
	TU_OK(x, zhfts_db_get_document(x, "v1", &r));
	CU_ASSERT(zhfts_results_count(r) == 2 && zhfts_results_hit(r, 0)->nfields == 0);
	zhfts_results_free(r);
	TU_OK(x, zhfts_db_get_document(x, "good", &r));
	const zhfts_hit *h = zhfts_results_hit(r, 1);
	CU_ASSERT_FATAL(h != NULL);
	CU_ASSERT(h->nfields == 2 && !strcmp(h->fields[0].name, name32) && !strcmp(h->fields[1].value, v1024));
	zhfts_results_free(r);
	char q[1200];
	snprintf(q, sizeof q, "big:\"%s\"", v1024);
	char *found = docs_found(x, q);
	CU_ASSERT_STRING_EQUAL(found, "good");
	free(found);
	snprintf(q, sizeof q, "%s:x", name32);
	found = docs_found(x, q);
	CU_ASSERT_STRING_EQUAL(found, "good");
	free(found);

	/* Invalid bytes: a document error at the first bad byte, the id named. */
	static const struct {
		const char *data;
		size_t len;
	} enc[] = {
		{"第一段。\n\n第二\xff段。", 0},
		{"abc\xe5\x8f", 0},
		{"\xc0\xaf" "abc", 0},
		{"科学城\xed\xa0\x80", 0},
		{"中关村\n\n科学城\xf4\x90\x80\x80", 0},
		{"ok\xe5\x8f" "A 后面", 0},
	};
	for (size_t i = 0; i < sizeof enc / sizeof *enc; i++) {
		size_t len = strlen(enc[i].data);
		size_t at = first_bad_utf8(enc[i].data, len);
		CU_ASSERT_FATAL(at < len);
		zhfts_doc_options eo = ZHFTS_DOC_OPTIONS_INIT;
		eo.encoding = "UTF-8";
		char id[32];
		snprintf(id, sizeof id, "enc/%zu", i);
		int rc = zhfts_db_add_document(x, id, enc[i].data, len, &eo, NULL);
		const zhfts_error *e = zhfts_db_error(x);
		bool ok = rc == ZHFTS_EENCODING && e->status == ZHFTS_EENCODING && e->where == ZHFTS_WHERE_DOCUMENT &&
		          e->offset == (int64_t)at && e->doc && !strcmp(e->doc, id) && e->lost == 0;
		if (!ok)
			fprintf(stderr, "\ninvalid bytes %zu: %d, status %d where %d offset %lld (want %zu) doc '%s' '%s'\n", i,
			        rc, e->status, (int)e->where, (long long)e->offset, at, e->doc ? e->doc : "(null)", e->message);
		CU_ASSERT(ok);
	}
	CU_ASSERT_EQUAL(close_all(), ZHFTS_OK);
}

static void test_bad_input_keeps_pending(void)
{
	/* Bad input changes nothing: the documents added before it are still
	 * pending, and commit makes them durable; the bad one's field names
	 * were never seen. */
	close_all();
	char *dir = keep_dir(tu_tmpdir("fields"));
	zhfts_db *w = NULL;
	TU_OK(w, zhfts_db_open(&w, dir, ZHFTS_OPEN_CREATE, NULL, NULL));
	keep_handle(w);
	zhfts_field fa[] = {{"district", "海淀區"}, {"year", "2020"}};
	zhfts_field fb[] = {{"district", "朝阳区"}};
	zhfts_doc_options o = ZHFTS_DOC_OPTIONS_INIT;
	o.fields = fa;
	o.nfields = 2;
	static const char ta[] = "科学城建设。\n\n海淀区发展。", tb[] = "朝阳区的发展。";
	TU_OK(w, zhfts_db_add_document(w, "a", ta, strlen(ta), &o, NULL));
	o.fields = fb;
	o.nfields = 1;
	TU_OK(w, zhfts_db_add_document(w, "b", tb, strlen(tb), &o, NULL));
	zhfts_field fc1[] = {{"extra", "1"}, {"Bad", "x"}};
	zhfts_field fc2[] = {{"extra", "1"}, {"extra", "2"}};
	zhfts_field fc3[] = {{"extra", "1"}};
	o.fields = fc1;
	o.nfields = 2;
	CU_ASSERT_EQUAL(zhfts_db_add_document(w, "c", tb, strlen(tb), &o, NULL), ZHFTS_EINVAL);
	CU_ASSERT_EQUAL(zhfts_db_error(w)->lost, 0);
	o.fields = fc2;
	CU_ASSERT_EQUAL(zhfts_db_add_document(w, "c", tb, strlen(tb), &o, NULL), ZHFTS_EINVAL);
	CU_ASSERT_EQUAL(zhfts_db_error(w)->lost, 0);
	o.fields = fc3;
	o.nfields = 1;
	o.encoding = "UTF-8";
	CU_ASSERT_EQUAL(zhfts_db_add_document(w, "c", "坏\xff", 4, &o, NULL), ZHFTS_EENCODING);
	CU_ASSERT_EQUAL(zhfts_db_error(w)->lost, 0);
	o.encoding = NULL;
	CU_ASSERT_EQUAL(zhfts_db_add_document(w, "", tb, strlen(tb), &o, NULL), ZHFTS_EINVAL);
	CU_ASSERT_EQUAL(zhfts_db_error(w)->lost, 0);
	TU_OK(w, zhfts_db_commit(w));
	zhfts_db *rd = NULL;
	TU_OK(rd, zhfts_db_open(&rd, dir, ZHFTS_OPEN_READONLY, NULL, NULL));
	keep_handle(rd);
	zhfts_stats st = ZHFTS_STATS_INIT;
	TU_OK(rd, zhfts_db_stats(rd, 0, &st));
	CU_ASSERT(st.documents == 2 && st.paragraphs == 3);
	zhfts_results *r = NULL;
	TU_OK(rd, zhfts_db_get_document(rd, "a", &r));
	CU_ASSERT(zhfts_results_count(r) == 2 && zhfts_results_hit(r, 0)->nfields == 2);
	zhfts_results_free(r);
	TU_OK(rd, zhfts_db_get_document(rd, "b", &r));
	CU_ASSERT(zhfts_results_count(r) == 1);
	zhfts_results_free(r);
	r = NULL;
	CU_ASSERT_EQUAL(zhfts_db_get_document(rd, "c", &r), ZHFTS_ENOTFOUND);
	zhfts_results_free(r);
	char *got = docs_found(rd, "district:海淀区");
	CU_ASSERT_STRING_EQUAL(got, "a");
	free(got);
	got = docs_found(rd, "district:朝陽區 OR year:2020");
	CU_ASSERT_STRING_EQUAL(got, "a b");
	free(got);
	for (int k = 0; k < 2; k++) {
		zhfts_db *h = k ? rd : w;
		r = NULL;
		CU_ASSERT_EQUAL(zhfts_db_search(h, "extra:1", 7, NULL, &r), ZHFTS_EQUERY);
		CU_ASSERT(zhfts_db_error(h)->offset == 0 && strstr(zhfts_db_errmsg(h), "extra"));
	}
	CU_ASSERT_EQUAL(close_all(), ZHFTS_OK);
}

static void test_replace_changes_fields(void)
{
	/* A replaced document's paragraphs carry only the new fields. */
	zhfts_db *x = scratch_db();
	zhfts_field f1[] = {{"district", "海淀区"}, {"year", "2019"}};
	zhfts_field f2[] = {{"district", "朝阳区"}};
	zhfts_doc_options o = ZHFTS_DOC_OPTIONS_INIT;
	o.fields = f1;
	o.nfields = 2;
	static const char t[] = "科学城建设。\n\n海淀区发展。\n\n第三段。";
	TU_OK(x, zhfts_db_add_document(x, "a", t, strlen(t), &o, NULL));
	TU_OK(x, zhfts_db_add_document(x, "b", t, strlen(t), &o, NULL));
	TU_OK(x, zhfts_db_commit(x));
	o.fields = f2;
	o.nfields = 1;
	TU_OK(x, zhfts_db_add_document(x, "a", t, strlen(t), &o, NULL));
	TU_OK(x, zhfts_db_commit(x));
	char *got = docs_found(x, "district:海淀区");
	CU_ASSERT_STRING_EQUAL(got, "b");
	free(got);
	got = docs_found(x, "district:朝阳区");
	CU_ASSERT_STRING_EQUAL(got, "a");
	free(got);
	got = docs_found(x, "year:2000..2100");
	CU_ASSERT_STRING_EQUAL(got, "b");
	free(got);
	static const char *const fz[] = {"year", "district"};
	zhfts_search_options so = ZHFTS_SEARCH_OPTIONS_INIT;
	so.facets = fz;
	so.nfacets = 2;
	so.sort = "-year";
	so.limit = SIZE_MAX;
	zhfts_results *r;
	TU_OK(x, zhfts_db_search(x, "\"发展\"", strlen("\"发展\""), &so, &r));
	CU_ASSERT_EQUAL_FATAL(zhfts_results_count(r), 2);
	/* -year: b (2019) first, a (no year) last. */
	CU_ASSERT_STRING_EQUAL(zhfts_results_hit(r, 0)->doc, "b");
	CU_ASSERT_STRING_EQUAL(zhfts_results_hit(r, 1)->doc, "a");
	CU_ASSERT(zhfts_results_hit(r, 1)->nfields == 1);
	const zhfts_facet *fy = zhfts_results_facet(r, 0), *fd = zhfts_results_facet(r, 1);
	CU_ASSERT_FATAL(fy && fd);
	CU_ASSERT(fy->nvalues == 1 && fy->distinct == 1 && !strcmp(fy->values[0].value, "2019") && fy->values[0].count == 1);
	CU_ASSERT(fd->nvalues == 2 && !strcmp(fd->values[0].value, "朝阳区") && !strcmp(fd->values[1].value, "海淀区"));
	zhfts_results_free(r);
	/* Search options of version 1 (no sort, no facets) are accepted. */
	zhfts_search_options v1 = ZHFTS_SEARCH_OPTIONS_INIT;
	v1.version = 1;
	v1.limit = SIZE_MAX;
	TU_OK(x, zhfts_db_search(x, "district:海淀区", strlen("district:海淀区"), &v1, &r));
	CU_ASSERT_EQUAL(zhfts_results_count(r), 3);
	zhfts_results_free(r);
	CU_ASSERT_EQUAL(close_all(), ZHFTS_OK);
}

/* "id:n id:n ..." from the doc facet of a query, checked against its
 * hits, exact total and count. */
static char *per_doc(zhfts_db *x, const char *q)
{
	static const char *const fd[] = {"doc", "district"};
	zhfts_search_options o = ZHFTS_SEARCH_OPTIONS_INIT;
	o.facets = fd;
	o.nfacets = 2;
	o.limit = SIZE_MAX;
	o.sort = "doc";
	zhfts_results *r;
	TU_OK(x, zhfts_db_search(x, q, strlen(q), &o, &r));
	size_t n = zhfts_results_count(r);
	const zhfts_facet *f = zhfts_results_facet(r, 0), *fdist = zhfts_results_facet(r, 1);
	CU_ASSERT_FATAL(f && fdist);
	uint64_t sum = 0, est, lo, hi, count = 0;
	for (size_t i = 0; i < f->nvalues; i++)
		sum += f->values[i].count;
	zhfts_results_total(r, &est, &lo, &hi);
	zhfts_query *qo;
	TU_OK(x, zhfts_query_new(&qo, x, q, strlen(q)));
	TU_OK(x, zhfts_query_count(qo, &count));
	zhfts_query_free(qo);
	bool ok = sum == n && est == n && lo == n && hi == n && count == n;
	if (!ok)
		fprintf(stderr, "\n%s: %zu hits, facet sum %llu, totals %llu [%llu, %llu], count %llu\n", q, n,
		        (unsigned long long)sum, (unsigned long long)est, (unsigned long long)lo, (unsigned long long)hi,
		        (unsigned long long)count);
	CU_ASSERT(ok);
	/* The hits, in document order, say the same. */
	sbuf b = {0}, c = {0};
	sb_adds(&b, "");
	sb_adds(&c, "");
	for (size_t i = 0; i < f->nvalues; i++)
		sb_printf(&b, "%s%s:%llu", i ? " " : "", f->values[i].value, (unsigned long long)f->values[i].count);
	const char *prev = NULL;
	size_t run = 0, runs = 0;
	for (size_t i = 0; i <= n; i++) {
		const zhfts_hit *h = i < n ? zhfts_results_hit(r, i) : NULL;
		if (prev && (!h || strcmp(h->doc, prev))) {
			sb_printf(&c, "%s%s:%zu", runs++ ? " " : "", prev, run);
			run = 0;
		}
		if (h) {
			prev = h->doc;
			run++;
		}
	}
	/* The facet is in count order, the hits in document order: compare
	 * them as sets of "id:n". */
	bool same = true;
	for (char *t = strtok(c.s, " "); t; t = strtok(NULL, " ")) {
		char key[600];
		snprintf(key, sizeof key, " %s ", t);
		sbuf sp = {0};
		sb_printf(&sp, " %s ", b.s);
		same = same && strstr(sp.s, key);
		free(sp.s);
	}
	CU_ASSERT(same && runs == f->nvalues);
	size_t nvalues = f->nvalues;
	free(c.s);
	zhfts_results_free(r);
	/* Sorted, for the caller to compare. */
	char **parts = calloc(nvalues + 1, sizeof *parts);
	size_t np = 0;
	for (char *t = strtok(b.s, " "); t; t = strtok(NULL, " "))
		parts[np++] = strdup(t);
	for (size_t i = 1; i < np; i++)
		for (size_t j = i; j > 0 && strcmp(parts[j - 1], parts[j]) > 0; j--) {
			char *tmp = parts[j];
			parts[j] = parts[j - 1];
			parts[j - 1] = tmp;
		}
	sbuf out = {0};
	sb_adds(&out, "");
	for (size_t i = 0; i < np; i++) {
		sb_printf(&out, "%s%s", i ? " " : "", parts[i]);
		free(parts[i]);
	}
	free(parts);
	free(b.s);
	return out.s;
}

static void expect_per_doc(zhfts_db *x, const char *q, const char *want, const char *when)
{
	char *got = per_doc(x, q);
	if (strcmp(got, want))
		fprintf(stderr, "\n%s, %s: %s, want %s\n", when, q, got, want);
	CU_ASSERT_STRING_EQUAL(got, want);
	free(got);
}

static void check_after_changes(zhfts_db *x, const char *when)
{
	expect_per_doc(x, "district:海淀区", "r/b:3", when);
	expect_per_doc(x, "district:朝阳区", "r/a:2", when);
	expect_per_doc(x, "district:东城区", "", when);
	expect_per_doc(x, "\"科学城建设\"", "r/a:1 r/b:1", when);  /* checked in the text */
	expect_per_doc(x, "\"发展\"", "r/a:1 r/b:1", when);        /* not */
	expect_per_doc(x, "\"第三段\"", "r/b:1", when);
	expect_per_doc(x, "\"三段\"", "r/b:1", when);
	expect_per_doc(x, "year:2000..2100", "r/b:3", when);
	expect_per_doc(x, "doc:r/*", "r/a:2 r/b:3", when);
	expect_per_doc(x, "doc:r/c", "", when);
	expect_per_doc(x, "\"第三段\" OR district:东城区", "r/b:1", when);
	zhfts_results *r = NULL;
	CU_ASSERT_EQUAL(zhfts_db_get_document(x, "r/c", &r), ZHFTS_ENOTFOUND);
	zhfts_results_free(r);
	TU_OK(x, zhfts_db_get_document(x, "r/a", &r));
	CU_ASSERT(zhfts_results_count(r) == 2 && zhfts_results_hit(r, 0)->nfields == 1);
	zhfts_results_free(r);
}

static void test_replaced_and_deleted(void)
{
	/* Paragraphs of replaced and deleted documents are gone from every
	 * answer: hits, filters, counts, facets, pending or committed, for the
	 * writer and for a reader that reopens. */
	for (int disk = 0; disk < 2; disk++) {
		close_all();
		zhfts_db *w = NULL, *rd = NULL;
		char *dir = disk ? keep_dir(tu_tmpdir("fields-dead")) : NULL;
		if (disk) {
			TU_OK(w, zhfts_db_open(&w, dir, ZHFTS_OPEN_CREATE, NULL, NULL));
			keep_handle(w);
		} else {
			w = scratch_db();
		}
		zhfts_field f1[] = {{"district", "海淀区"}, {"year", "2019"}};
		zhfts_field f2[] = {{"district", "朝阳区"}};
		zhfts_field f3[] = {{"district", "东城区"}};
		zhfts_doc_options o = ZHFTS_DOC_OPTIONS_INIT;
		static const char t[] = "科学城建设。\n\n海淀区发展。\n\n第三段。", t2[] = "科学城建设。\n\n朝阳区发展。";
		o.fields = f1;
		o.nfields = 2;
		TU_OK(w, zhfts_db_add_document(w, "r/a", t, strlen(t), &o, NULL));
		TU_OK(w, zhfts_db_add_document(w, "r/b", t, strlen(t), &o, NULL));
		o.fields = f3;
		o.nfields = 1;
		TU_OK(w, zhfts_db_add_document(w, "r/c", t, strlen(t), &o, NULL));
		TU_OK(w, zhfts_db_commit(w));
		if (disk) {
			TU_OK(rd, zhfts_db_open(&rd, dir, ZHFTS_OPEN_READONLY, NULL, NULL));
			keep_handle(rd);
			expect_per_doc(rd, "doc:r/*", "r/a:3 r/b:3 r/c:3", "reader, before");
		}
		o.fields = f2;
		TU_OK(w, zhfts_db_add_document(w, "r/a", t2, strlen(t2), &o, NULL));
		TU_OK(w, zhfts_db_delete_document(w, "r/c"));
		check_after_changes(w, disk ? "on disk, pending" : "in memory, pending");
		TU_OK(w, zhfts_db_commit(w));
		check_after_changes(w, disk ? "on disk, committed" : "in memory, committed");
		if (disk) {
			/* Not yet reopened: the reader still sees the old revision. */
			expect_per_doc(rd, "doc:r/*", "r/a:3 r/b:3 r/c:3", "reader, not reopened");
			TU_OK(rd, zhfts_db_reopen(rd));
			check_after_changes(rd, "reader, reopened");
		}
	}
	CU_ASSERT_EQUAL(close_all(), ZHFTS_OK);
}

/* ---- facet values of numbers ------------------------------------------------------------------------ */

/* The same shown value: equal, or a decimal as short that reads back as
 * the same number (when two decimals of that length do). */
static bool same_shown(const char *got, const char *want)
{
	double a, b;
	if (!strcmp(got, want))
		return true;
	return strlen(got) == strlen(want) && number_syntax(got, &a) && number_syntax(want, &b) && a == b;
}

static void test_facet_numbers(void)
{
	/* Numbers are counted by value and shown as the shortest decimal that
	 * reads back the same, without an exponent. */
	static const char *const vals[] = {"2020", "2020.0", "２０２０", "0.5", "0.50", "+7", "7", "-0", "0", "-1.5",
	                                   "12.50", "3.14159265358979", "1234567890123456", "100000000000000000000",
	                                   "0.00000000000000000001", "0.000123456789012345678", "n/a", "N/A"};
	size_t nv = sizeof vals / sizeof *vals;
	zhfts_db *x = scratch_db();
	for (size_t i = 0; i < nv; i++) {
		char id[16];
		snprintf(id, sizeof id, "n/%02zu", i);
		zhfts_field f[] = {{"num", vals[i]}};
		zhfts_doc_options o = ZHFTS_DOC_OPTIONS_INIT;
		o.fields = f;
		o.nfields = 1;
		o.flags = ZHFTS_DOC_NO_GUESS;
		TU_OK(x, zhfts_db_add_document(x, id, "数字经济。", strlen("数字经济。"), &o, NULL));
	}
	TU_OK(x, zhfts_db_commit(x));
	/* The oracle's counts. */
	fcount want[32];
	size_t nw = 0;
	fval fv[32];
	for (size_t i = 0; i < nv; i++) {
		fval_set(&fv[i], vals[i]);
		size_t j = 0;
		while (j < nw && strcmp(want[j].value, fv[i].disp))
			j++;
		if (j == nw)
			want[nw++] = (fcount){fv[i].disp, 0};
		want[j].count++;
	}
	qsort(want, nw, sizeof *want, cmp_fcount);
	/* Both ways of counting: Xapian's (a plain query) and the checked one
	 * (a run of three units). */
	static const char *const qs[] = {"doc:n/*", "\"数字\"", "\"数字经\" OR num:nothing"};
	for (size_t k = 0; k < sizeof qs / sizeof *qs; k++) {
		static const char *const fz[] = {"num"};
		zhfts_search_options o = ZHFTS_SEARCH_OPTIONS_INIT;
		o.facets = fz;
		o.nfacets = 1;
		zhfts_results *r;
		TU_OK(x, zhfts_db_search(x, qs[k], strlen(qs[k]), &o, &r));
		const zhfts_facet *f = zhfts_results_facet(r, 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(f);
		bool ok = f->distinct == nw && f->nvalues == nw;
		for (size_t j = 0; ok && j < nw; j++)
			ok = same_shown(f->values[j].value, want[j].value) && f->values[j].count == want[j].count;
		if (!ok) {
			fprintf(stderr, "\n%s: facet num, %zu values (want %zu):\n", qs[k], f->nvalues, nw);
			for (size_t j = 0; j < f->nvalues || j < nw; j++)
				fprintf(stderr, "    %-26s %llu | %-26s %llu\n", j < f->nvalues ? f->values[j].value : "",
				        j < f->nvalues ? (unsigned long long)f->values[j].count : 0ull, j < nw ? want[j].value : "",
				        j < nw ? (unsigned long long)want[j].count : 0ull);
		}
		CU_ASSERT(ok);
		zhfts_results_free(r);
	}
	/* Every shown value, given back as a filter range, finds its documents. */
	for (size_t j = 0; j < nw; j++) {
		fval w;
		fval_set(&w, want[j].value);
		if (w.isnum) {
			char q[512];
			snprintf(q, sizeof q, "num:%s..%s", want[j].value, want[j].value);
			zhfts_search_options o = ZHFTS_SEARCH_OPTIONS_INIT;
			o.limit = SIZE_MAX;
			zhfts_results *r = NULL;
			int rc = zhfts_db_search(x, q, strlen(q), &o, &r);
			if (rc == ZHFTS_OK && zhfts_results_count(r) != want[j].count)
				fprintf(stderr, "\n%s: %zu hits, want %llu\n", q, zhfts_results_count(r),
				        (unsigned long long)want[j].count);
			if (want[j].value[0] != '-') {
				CU_ASSERT(rc == ZHFTS_OK && zhfts_results_count(r) == want[j].count);
			}
			zhfts_results_free(r);
		}
		fval_free(&w);
	}
	for (size_t i = 0; i < nv; i++)
		fval_free(&fv[i]);
	CU_ASSERT_EQUAL(close_all(), ZHFTS_OK);
}

/* ---- values of white space ------------------------------------------------------------------------ */

static void test_blank_values(void)
{
	/* A value of white space only is a value (1 to 1024 bytes): it
	 * normalizes to the empty text, which sorts first among texts and is
	 * counted as such. */
	zhfts_db *x = scratch_db();
	static const char *const vals[] = {"  ", "\xe3\x80\x80", " a ", "A", NULL, "7"};
	size_t nv = sizeof vals / sizeof *vals;
	for (size_t i = 0; i < nv; i++) {
		char id[16];
		snprintf(id, sizeof id, "w/%zu", i);
		zhfts_field f[] = {{"kind", vals[i]}};
		zhfts_doc_options o = ZHFTS_DOC_OPTIONS_INIT;
		o.fields = f;
		o.nfields = vals[i] ? 1 : 0;
		TU_OK(x, zhfts_db_add_document(x, id, "空白。", strlen("空白。"), &o, NULL));
	}
	TU_OK(x, zhfts_db_commit(x));
	static const char *const fz[] = {"kind"};
	zhfts_search_options o = ZHFTS_SEARCH_OPTIONS_INIT;
	o.facets = fz;
	o.nfacets = 1;
	o.limit = SIZE_MAX;
	o.sort = "kind";
	zhfts_results *r;
	TU_OK(x, zhfts_db_search(x, "doc:w/*", strlen("doc:w/*"), &o, &r));
	CU_ASSERT_EQUAL_FATAL(zhfts_results_count(r), nv);
	/* missing, then the number, then "", "", "a", "a" (ties in document order) */
	static const char *const order[] = {"w/4", "w/5", "w/0", "w/1", "w/2", "w/3"};
	for (size_t i = 0; i < nv; i++)
		CU_ASSERT_STRING_EQUAL(zhfts_results_hit(r, i)->doc, order[i]);
	const zhfts_facet *f = zhfts_results_facet(r, 0);
	CU_ASSERT_FATAL(f != NULL);
	bool ok = f->distinct == 3 && f->nvalues == 3 && !strcmp(f->values[0].value, "") && f->values[0].count == 2 &&
	          !strcmp(f->values[1].value, "a") && f->values[1].count == 2 && !strcmp(f->values[2].value, "7") &&
	          f->values[2].count == 1;
	if (!ok)
		for (size_t i = 0; i < f->nvalues; i++)
			fprintf(stderr, "\n  kind '%s' %llu", f->values[i].value, (unsigned long long)f->values[i].count);
	CU_ASSERT(ok);
	zhfts_results_free(r);
	char *got = docs_found(x, "kind:..a");
	CU_ASSERT_STRING_EQUAL(got, "w/0 w/1 w/2 w/3");
	free(got);
	got = docs_found(x, "kind:A");
	CU_ASSERT_STRING_EQUAL(got, "w/2 w/3");
	free(got);
	CU_ASSERT_EQUAL(close_all(), ZHFTS_OK);
}

/* ---- a reader that reopens ------------------------------------------------------------------------------ */

static void test_reader_reopens(void)
{
	/* A reader sees new fields and documents after zhfts_db_reopen(); a
	 * query object made before goes on with the new revision. */
	close_all();
	char *dir = keep_dir(tu_tmpdir("fields-reopen"));
	zhfts_db *w = NULL, *rd = NULL;
	TU_OK(w, zhfts_db_open(&w, dir, ZHFTS_OPEN_CREATE, NULL, NULL));
	keep_handle(w);
	zhfts_field fa[] = {{"district", "海淀区"}};
	zhfts_doc_options o = ZHFTS_DOC_OPTIONS_INIT;
	o.fields = fa;
	o.nfields = 1;
	static const char t[] = "科学城建设。\n\n海淀区发展。";
	TU_OK(w, zhfts_db_add_document(w, "a", t, strlen(t), &o, NULL));
	TU_OK(w, zhfts_db_commit(w));
	TU_OK(rd, zhfts_db_open(&rd, dir, ZHFTS_OPEN_READONLY, NULL, NULL));
	keep_handle(rd);
	zhfts_query *q1, *q2;
	TU_OK(rd, zhfts_query_new(&q1, rd, "district:海淀區", strlen("district:海淀區")));
	TU_OK(rd, zhfts_query_new(&q2, rd, "\"科学城建设\"", strlen("\"科学城建设\"")));
	uint64_t c = 0;
	TU_OK(rd, zhfts_query_count(q1, &c));
	CU_ASSERT_EQUAL(c, 2);
	zhfts_search_options so = ZHFTS_SEARCH_OPTIONS_INIT;
	so.limit = 1;
	zhfts_results *r;
	TU_OK(rd, zhfts_query_search(q2, &so, &r));
	CU_ASSERT_EQUAL(zhfts_results_count(r), 1);
	zhfts_results_free(r);
	/* The writer adds documents, one with a new field. */
	zhfts_field fb[] = {{"district", "海淀區"}, {"kind", "通知"}};
	o.fields = fb;
	o.nfields = 2;
	TU_OK(w, zhfts_db_add_document(w, "b", t, strlen(t), &o, NULL));
	TU_OK(w, zhfts_db_add_document(w, "c", t, strlen(t), &o, NULL));
	TU_OK(w, zhfts_db_commit(w));
	TU_OK(rd, zhfts_db_reopen(rd));
	TU_OK(rd, zhfts_query_count(q1, &c));
	CU_ASSERT_EQUAL(c, 6);
	so.limit = SIZE_MAX;
	so.offset = 1;
	TU_OK(rd, zhfts_query_search(q2, &so, &r));
	CU_ASSERT_EQUAL(zhfts_results_count(r), 2);
	zhfts_results_free(r);
	char *got = docs_found(rd, "kind:通知");
	CU_ASSERT_STRING_EQUAL(got, "b c");
	free(got);
	so.offset = 0;
	so.sort = "-kind";
	static const char *const fz[] = {"kind"};
	so.facets = fz;
	so.nfacets = 1;
	TU_OK(rd, zhfts_query_search(q1, &so, &r));
	CU_ASSERT_EQUAL_FATAL(zhfts_results_count(r), 6);
	CU_ASSERT_STRING_EQUAL(zhfts_results_hit(r, 5)->doc, "a");
	const zhfts_facet *f = zhfts_results_facet(r, 0);
	CU_ASSERT(f && f->nvalues == 1 && !strcmp(f->values[0].value, "通知") && f->values[0].count == 4);
	zhfts_results_free(r);
	zhfts_query_free(q1);
	zhfts_query_free(q2);
	CU_ASSERT_EQUAL(close_all(), ZHFTS_OK);
}

static void suites(void)
{
	CU_pSuite s = CU_add_suite("fields, filters, sorting and facets against the oracle", setup, teardown);
	CU_add_test(s, "fields come back as given or guessed", test_fields_come_back);
	CU_add_test(s, "generated queries", test_generated_queries);
	CU_add_test(s, "fixed queries", test_fixed_queries);
	CU_add_test(s, "tiers of unspaced runs", test_tiers);
	CU_add_test(s, "a query object reused for pages", test_pages);
	CU_add_test(s, "totals within their bounds", test_totals);
	CU_add_test(s, "lazy spans and snippets", test_lazy_spans_and_snippets);
	CU_add_test(s, "filters never change scores", test_filters_keep_scores);
	CU_add_test(s, "explain", test_explain);
	CU_add_test(s, "query errors", test_query_errors);
	CU_add_test(s, "negative numbers in filters", test_negative_numbers);
	CU_add_test(s, "title and date from the first lines", test_title_and_date);
	CU_add_test(s, "indexing errors", test_index_errors);
	CU_add_test(s, "bad input keeps what is pending", test_bad_input_keeps_pending);
	CU_add_test(s, "a replaced document's fields", test_replace_changes_fields);
	CU_add_test(s, "replaced and deleted documents are gone", test_replaced_and_deleted);
	CU_add_test(s, "facet values of numbers", test_facet_numbers);
	CU_add_test(s, "values of white space", test_blank_values);
	CU_add_test(s, "a reader that reopens", test_reader_reopens);
}

int main(void)
{
	return tu_run(suites);
}
