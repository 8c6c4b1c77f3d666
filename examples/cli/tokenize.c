/* zhfts tokenize: show the tokens the index sees in some text. */
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
	"usage: zhfts tokenize [--format text|json] [--no-traditional] [TEXT...]\n"
	"\n"
	"Shows how text is split into tokens and normalized, from the arguments or\n"
	"else standard input.  Text format, one token per line:\n"
	"  POSITION  OFFSET+LENGTH  KIND  TOKEN  [ORIGINAL, if normalization changed it]\n"
	"JSON format, one object per line with position, units, offset, length,\n"
	"kind, text and original.\n"
	"\n"
	"  --format FORMAT   text (default) or json\n"
	"  --no-traditional  don't fold Traditional to Simplified\n";

static const char *kind_name(zhfts_token_kind k)
{
	switch (k) {
	case ZHFTS_TOKEN_HAN: return "han";
	case ZHFTS_TOKEN_WORD: return "word";
	case ZHFTS_TOKEN_NUMBER: return "number";
	case ZHFTS_TOKEN_MIXED: return "mixed";
	}
	return "other";
}

typedef struct show_ctx {
	const char *input;
	bool json;
} show_ctx;

static int show_token(void *vctx, const zhfts_token *t)
{
	const show_ctx *ctx = vctx;
	const char *orig = ctx->input + t->offset;

	if (ctx->json) {
		printf("{\"position\":%" PRIu32 ",\"units\":%" PRIu32 ",\"offset\":%zu,\"length\":%zu,"
		       "\"kind\":\"%s\",\"text\":", t->position, t->units, t->offset, t->length,
		       kind_name(t->kind));
		cli_json_string(stdout, t->text, t->text_len);
		fputs(",\"original\":", stdout);
		cli_json_string(stdout, orig, t->length);
		fputs("}\n", stdout);
		return 0;
	}
	printf("%-4" PRIu32 "  %zu+%zu\t%-6s  ", t->position, t->offset, t->length, kind_name(t->kind));
	cli_print_text(stdout, t->text, t->text_len, false, NULL, NULL);
	if (t->text_len != t->length || memcmp(t->text, orig, t->length) != 0) {
		fputs("  ", stdout);
		cli_print_text(stdout, orig, t->length, false, NULL, NULL);
	}
	putchar('\n');
	return 0;
}

int cmd_tokenize(int argc, char **argv)
{
	cli_args a;
	zhfts_options opts = ZHFTS_OPTIONS_INIT;
	zhfts_tokenizer *tok = NULL;
	show_ctx ctx;
	char *text;
	size_t len;
	int rc;

	if (cli_parse(argc, argv, OPT_FORMAT | OPT_NO_TRADITIONAL, &a) != 0)
		return EXIT_TROUBLE;
	if (a.help) {
		fputs(usage, stdout);
		return cli_finish(EXIT_MATCH);
	}
	if (a.npos > 0) {
		text = cli_join(a.pos, a.npos);
		len = text ? strlen(text) : 0;
		if (!text) {
			cli_error("tokenize: out of memory");
			return EXIT_TROUBLE;
		}
	} else if (cli_read_stream(stdin, &text, &len) != 0) {
		cli_error("tokenize: reading standard input failed");
		return EXIT_TROUBLE;
	}

	opts.traditional = a.no_traditional ? ZHFTS_OFF : ZHFTS_DEFAULT;
	rc = zhfts_tokenizer_new(&tok, &opts);
	if (rc != ZHFTS_OK) {
		cli_error("tokenize: %s", zhfts_strerror(rc));
		free(text);
		return EXIT_TROUBLE;
	}
	ctx.input = text;
	ctx.json = a.json;
	rc = zhfts_tokenize(tok, text, len, show_token, &ctx);
	if (rc != ZHFTS_OK)
		cli_error("tokenize: %s: %s", a.npos > 0 ? "arguments" : "standard input",
		          zhfts_tokenizer_errmsg(tok));
	zhfts_tokenizer_free(tok);
	free(text);
	return cli_finish(rc == ZHFTS_OK ? EXIT_MATCH : EXIT_TROUBLE);
}
