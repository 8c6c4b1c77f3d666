/* Prints the layout of the public structs and the values of the public
 * constants, one "name value" per line, for test_abi.py to compare with
 * the ctypes declarations in zhfts/_capi.py. */
#include <stddef.h>
#include <stdio.h>

#include "zhfts.h"

#define STRUCT(t) printf("%s.sizeof %zu\n", #t, sizeof(t))
#define FIELD(t, f) printf("%s.%s %zu %zu\n", #t, #f, offsetof(t, f), sizeof(((t *)0)->f))
#define CONST(c) printf("%s %lld\n", #c, (long long)(c))

int main(void)
{
	STRUCT(zhfts_options);
	FIELD(zhfts_options, version);
	FIELD(zhfts_options, normalize);
	FIELD(zhfts_options, traditional);
	FIELD(zhfts_options, paragraph_mode);
	FIELD(zhfts_options, lock_timeout_ms);
	FIELD(zhfts_options, auto_commit_bytes);

	STRUCT(zhfts_token);
	FIELD(zhfts_token, text);
	FIELD(zhfts_token, text_len);
	FIELD(zhfts_token, offset);
	FIELD(zhfts_token, length);
	FIELD(zhfts_token, position);
	FIELD(zhfts_token, units);
	FIELD(zhfts_token, kind);

	STRUCT(zhfts_doc_options);
	FIELD(zhfts_doc_options, version);
	FIELD(zhfts_doc_options, encoding);
	FIELD(zhfts_doc_options, flags);

	STRUCT(zhfts_doc_info);
	FIELD(zhfts_doc_info, paragraphs);
	FIELD(zhfts_doc_info, replaced);
	FIELD(zhfts_doc_info, encoding);

	STRUCT(zhfts_stats);
	FIELD(zhfts_stats, documents);
	FIELD(zhfts_stats, paragraphs);
	FIELD(zhfts_stats, terms);
	FIELD(zhfts_stats, disk_bytes);

	STRUCT(zhfts_span);
	FIELD(zhfts_span, offset);
	FIELD(zhfts_span, length);

	STRUCT(zhfts_hit);
	FIELD(zhfts_hit, rank);
	FIELD(zhfts_hit, score);
	FIELD(zhfts_hit, doc);
	FIELD(zhfts_hit, para);
	FIELD(zhfts_hit, offset);
	FIELD(zhfts_hit, length);
	FIELD(zhfts_hit, section);
	FIELD(zhfts_hit, text);
	FIELD(zhfts_hit, text_len);
	FIELD(zhfts_hit, snippet);
	FIELD(zhfts_hit, spans);
	FIELD(zhfts_hit, nspans);

	STRUCT(zhfts_search_options);
	FIELD(zhfts_search_options, version);
	FIELD(zhfts_search_options, offset);
	FIELD(zhfts_search_options, limit);
	FIELD(zhfts_search_options, mark_open);
	FIELD(zhfts_search_options, mark_close);
	FIELD(zhfts_search_options, snippet_chars);
	FIELD(zhfts_search_options, flags);

	CONST(ZHFTS_OK);
	CONST(ZHFTS_ERROR);
	CONST(ZHFTS_ENOMEM);
	CONST(ZHFTS_EINVAL);
	CONST(ZHFTS_EENCODING);
	CONST(ZHFTS_EQUERY);
	CONST(ZHFTS_ELOCKED);
	CONST(ZHFTS_ENOTFOUND);
	CONST(ZHFTS_EIO);
	CONST(ZHFTS_ECORRUPT);
	CONST(ZHFTS_ESETTINGS);
	CONST(ZHFTS_EREADONLY);
	CONST(ZHFTS_ELIMIT);
	CONST(ZHFTS_EVERSION);
	CONST(ZHFTS_ITEROVER);
	CONST(ZHFTS_LAST_STATUS);
	CONST(ZHFTS_DEFAULT);
	CONST(ZHFTS_ON);
	CONST(ZHFTS_OFF);
	CONST(ZHFTS_PARAGRAPH_BLANK_LINE);
	CONST(ZHFTS_PARAGRAPH_LINE);
	CONST(ZHFTS_OPEN_READONLY);
	CONST(ZHFTS_OPEN_WRITE);
	CONST(ZHFTS_OPEN_CREATE);
	CONST(ZHFTS_OPEN_OVERWRITE);
	CONST(ZHFTS_OPEN_NO_SYNC);
	CONST(ZHFTS_OPEN_INMEMORY);
	CONST(ZHFTS_DOC_LENIENT);
	CONST(ZHFTS_DOC_LINES);
	CONST(ZHFTS_STATS_TERMS);
	CONST(ZHFTS_SEARCH_EXACT_COUNT);
	CONST(ZHFTS_OPTIONS_VERSION);
	CONST(ZHFTS_DOC_OPTIONS_VERSION);
	CONST(ZHFTS_SEARCH_OPTIONS_VERSION);
	CONST(ZHFTS_TOKEN_HAN);
	CONST(ZHFTS_TOKEN_WORD);
	CONST(ZHFTS_TOKEN_NUMBER);
	CONST(ZHFTS_TOKEN_MIXED);
	return 0;
}
