/*
 * zhfts-bench gen-corpus: a small synthetic corpus for the smoke run.
 *
 * Paragraphs are random sentences over a word list written for this file, with
 * the things a search over Chinese must get right mixed in: Chinese and ASCII
 * punctuation between Han runs, Latin words in several cases, numbers, full-width
 * letters and digits, and a few Traditional spellings.  Deterministic.
 */
#include "common.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int bench_gen_corpus_main(int argc, char **argv);

static const char *const words[] = {
	"城市", "规划", "交通", "公园", "图书馆", "学校", "医院", "社区", "服务", "中心",
	"居民", "生活", "环境", "绿化", "道路", "桥梁", "河流", "湖泊", "山区", "农村",
	"科技", "创新", "企业", "产业", "园区", "研究", "实验室", "人才", "培养", "教育",
	"文化", "历史", "博物馆", "展览", "音乐", "体育", "比赛", "健身", "旅游", "景区",
	"数据", "软件", "网络", "系统", "平台", "应用", "安全", "存储", "计算", "服务器",
	"年度", "计划", "目标", "完成", "推进", "建设", "改造", "提升", "加强", "保障",
	"春天", "夏季", "秋风", "冬雪", "早晨", "夜晚", "阳光", "雨水", "花园", "树林",
	"我们", "他们", "已经", "正在", "将要", "可以", "需要", "通过", "关于", "以及",
	"發展", "網絡", "資料", "軟體", "電腦", "圖書", "學習", "環境", "經濟", "運動",
	"的", "了", "和", "在", "是", "有", "也", "都", "把", "被",
};
static const char *const latin[] = {
	"Linux", "linux", "LINUX", "Debian", "Web", "API", "RISC", "Unicode", "email", "Python",
	"server", "Server", "cloud", "GPS", "USB", "wifi", "data", "Beijing", "model", "open",
};
static const char *const numbers[] = {
	"2024", "2025", "10", "365", "3", "42", "1000", "7", "88", "2030",
};
static const char *const joints[] = {
	"，", "。", "、", "：", "；", "（", "）", "“", "”", "！", ", ", ". ", " ", "—", "《", "》",
};
static const char *const wide[] = {
	"ＡＰＩ", "２０２４", "Ｗｅｂ", "５Ｇ",
};

static uint64_t state = 42;
static size_t pick(size_t n)
{
	state = state * 6364136223846793005ull + 1442695040888963407ull;
	return (size_t)((state >> 33) % n);
}
#define PICK(a) (a[pick(sizeof a / sizeof *a)])

int bench_gen_corpus_main(int argc, char **argv)
{
	const char *dir = NULL;
	unsigned long paragraphs = 400;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--paragraphs") && i + 1 < argc)
			paragraphs = strtoul(argv[++i], NULL, 10);
		else
			dir = argv[i];
	}
	if (!dir)
		bench_die("usage: zhfts-bench gen-corpus DIR [--paragraphs N]");
	if (mkdir(dir, 0777) != 0 && errno != EEXIST)
		bench_die("%s: %s", dir, strerror(errno));
	FILE *fp = NULL;
	for (unsigned long p = 0; p < paragraphs; p++) {
		if (p % 40 == 0) {
			if (fp && fclose(fp) != 0)
				bench_die("%s: write failed", dir);
			char path[4096];
			snprintf(path, sizeof path, "%s/doc-%02lu.txt", dir, p / 40);
			fp = fopen(path, "w");
			if (!fp)
				bench_die("%s: %s", path, strerror(errno));
		} else {
			fputc('\n', fp); /* blank line between paragraphs */
		}
		size_t n = 8 + pick(40);
		for (size_t w = 0; w < n; w++) {
			size_t what = pick(100);
			if (what < 70)
				fputs(PICK(words), fp);
			else if (what < 80)
				fputs(PICK(joints), fp);
			else if (what < 88)
				fprintf(fp, " %s ", PICK(latin));
			else if (what < 95)
				fputs(PICK(numbers), fp);
			else if (what < 97)
				fputs(PICK(wide), fp);
			else
				fputs("\n", fp); /* a wrapped line inside the paragraph */
		}
		fputs("。\n", fp);
	}
	if (fp && fclose(fp) != 0)
		bench_die("%s: write failed", dir);
	return 0;
}
