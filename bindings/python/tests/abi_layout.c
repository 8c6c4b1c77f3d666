/* Prints the layout of the public structs and the values of the public
 * constants, one "name value" per line, for test_abi.py to compare with
 * the ctypes declarations in zhfts/_capi.py (and with the header's text:
 * every struct of zhfts.h and every field of it must be listed here). */
#include <stddef.h>
#include <stdio.h>

#include "zhfts.h"

#define STRUCT(t) printf("%s.sizeof %zu\n", #t, sizeof(t))
#define FIELD(t, f) printf("%s.%s %zu %zu\n", #t, #f, offsetof(t, f), sizeof(((t *)0)->f))
#define CONST(c) printf("%s %lld\n", #c, (long long)(c))
/* The *_INIT macros, as the initial value of every field (they must agree
 * with the defaults the binding fills in). */
#define INIT(t, m, f) do { t v_ = m; printf("%s.%s %lld\n", #m, #f, (long long)(v_.f)); } while (0)
#define INIT_PTR(t, m, f) do { t v_ = m; printf("%s.%s %d\n", #m, #f, v_.f != NULL); } while (0)

int main(void)
{
	STRUCT(zhfts_options);
	FIELD(zhfts_options, version);
	FIELD(zhfts_options, normalize);
	FIELD(zhfts_options, traditional);
	FIELD(zhfts_options, paragraph_mode);
	FIELD(zhfts_options, lock_timeout_ms);
	FIELD(zhfts_options, auto_commit_bytes);
	FIELD(zhfts_options, remote_timeout_ms);
	FIELD(zhfts_options, write_shard);

	STRUCT(zhfts_token);
	FIELD(zhfts_token, text);
	FIELD(zhfts_token, text_len);
	FIELD(zhfts_token, offset);
	FIELD(zhfts_token, length);
	FIELD(zhfts_token, position);
	FIELD(zhfts_token, units);
	FIELD(zhfts_token, kind);

	STRUCT(zhfts_error);
	FIELD(zhfts_error, status);
	FIELD(zhfts_error, message);
	FIELD(zhfts_error, where);
	FIELD(zhfts_error, offset);
	FIELD(zhfts_error, doc);
	FIELD(zhfts_error, field);
	FIELD(zhfts_error, lost);

	STRUCT(zhfts_field);
	FIELD(zhfts_field, name);
	FIELD(zhfts_field, value);

	STRUCT(zhfts_doc_options);
	FIELD(zhfts_doc_options, version);
	FIELD(zhfts_doc_options, encoding);
	FIELD(zhfts_doc_options, flags);
	FIELD(zhfts_doc_options, fields);
	FIELD(zhfts_doc_options, nfields);

	STRUCT(zhfts_doc_info);
	FIELD(zhfts_doc_info, version);
	FIELD(zhfts_doc_info, paragraphs);
	FIELD(zhfts_doc_info, replaced);
	FIELD(zhfts_doc_info, encoding);
	FIELD(zhfts_doc_info, committed);
	FIELD(zhfts_doc_info, unchanged);

	STRUCT(zhfts_stats);
	FIELD(zhfts_stats, version);
	FIELD(zhfts_stats, documents);
	FIELD(zhfts_stats, paragraphs);
	FIELD(zhfts_stats, terms);
	FIELD(zhfts_stats, disk_bytes);
	FIELD(zhfts_stats, dead);

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
	FIELD(zhfts_hit, tier);
	FIELD(zhfts_hit, fields);
	FIELD(zhfts_hit, nfields);

	STRUCT(zhfts_search_options);
	FIELD(zhfts_search_options, version);
	FIELD(zhfts_search_options, offset);
	FIELD(zhfts_search_options, limit);
	FIELD(zhfts_search_options, mark_open);
	FIELD(zhfts_search_options, mark_close);
	FIELD(zhfts_search_options, snippet_chars);
	FIELD(zhfts_search_options, flags);
	FIELD(zhfts_search_options, sort);
	FIELD(zhfts_search_options, facets);
	FIELD(zhfts_search_options, nfacets);
	FIELD(zhfts_search_options, facet_limit);

	STRUCT(zhfts_snippet_options);
	FIELD(zhfts_snippet_options, version);
	FIELD(zhfts_snippet_options, mark_open);
	FIELD(zhfts_snippet_options, mark_close);
	FIELD(zhfts_snippet_options, context_chars);

	STRUCT(zhfts_facet_value);
	FIELD(zhfts_facet_value, value);
	FIELD(zhfts_facet_value, count);

	STRUCT(zhfts_facet);
	FIELD(zhfts_facet, name);
	FIELD(zhfts_facet, values);
	FIELD(zhfts_facet, nvalues);
	FIELD(zhfts_facet, distinct);

	/* Enums the structs hold: their size is the field's (checked above);
	 * this is the size of the type itself. */
	printf("enum.zhfts_where %zu\n", sizeof(zhfts_where));
	printf("enum.zhfts_token_kind %zu\n", sizeof(zhfts_token_kind));
	printf("enum.zhfts_status %zu\n", sizeof(zhfts_status));

	INIT(zhfts_options, ZHFTS_OPTIONS_INIT, version);
	INIT(zhfts_options, ZHFTS_OPTIONS_INIT, normalize);
	INIT(zhfts_options, ZHFTS_OPTIONS_INIT, traditional);
	INIT(zhfts_options, ZHFTS_OPTIONS_INIT, paragraph_mode);
	INIT(zhfts_options, ZHFTS_OPTIONS_INIT, lock_timeout_ms);
	INIT(zhfts_options, ZHFTS_OPTIONS_INIT, auto_commit_bytes);
	INIT(zhfts_options, ZHFTS_OPTIONS_INIT, remote_timeout_ms);
	INIT(zhfts_options, ZHFTS_OPTIONS_INIT, write_shard);
	INIT(zhfts_doc_options, ZHFTS_DOC_OPTIONS_INIT, version);
	INIT_PTR(zhfts_doc_options, ZHFTS_DOC_OPTIONS_INIT, encoding);
	INIT(zhfts_doc_options, ZHFTS_DOC_OPTIONS_INIT, flags);
	INIT_PTR(zhfts_doc_options, ZHFTS_DOC_OPTIONS_INIT, fields);
	INIT(zhfts_doc_options, ZHFTS_DOC_OPTIONS_INIT, nfields);
	INIT(zhfts_doc_info, ZHFTS_DOC_INFO_INIT, version);
	INIT(zhfts_doc_info, ZHFTS_DOC_INFO_INIT, paragraphs);
	INIT(zhfts_doc_info, ZHFTS_DOC_INFO_INIT, replaced);
	INIT_PTR(zhfts_doc_info, ZHFTS_DOC_INFO_INIT, encoding);
	INIT(zhfts_doc_info, ZHFTS_DOC_INFO_INIT, committed);
	INIT(zhfts_doc_info, ZHFTS_DOC_INFO_INIT, unchanged);
	INIT(zhfts_stats, ZHFTS_STATS_INIT, version);
	INIT(zhfts_stats, ZHFTS_STATS_INIT, documents);
	INIT(zhfts_stats, ZHFTS_STATS_INIT, paragraphs);
	INIT(zhfts_stats, ZHFTS_STATS_INIT, terms);
	INIT(zhfts_stats, ZHFTS_STATS_INIT, disk_bytes);
	INIT(zhfts_stats, ZHFTS_STATS_INIT, dead);
	INIT(zhfts_search_options, ZHFTS_SEARCH_OPTIONS_INIT, version);
	INIT(zhfts_search_options, ZHFTS_SEARCH_OPTIONS_INIT, offset);
	INIT(zhfts_search_options, ZHFTS_SEARCH_OPTIONS_INIT, limit);
	INIT_PTR(zhfts_search_options, ZHFTS_SEARCH_OPTIONS_INIT, mark_open);
	INIT_PTR(zhfts_search_options, ZHFTS_SEARCH_OPTIONS_INIT, mark_close);
	INIT(zhfts_search_options, ZHFTS_SEARCH_OPTIONS_INIT, snippet_chars);
	INIT(zhfts_search_options, ZHFTS_SEARCH_OPTIONS_INIT, flags);
	INIT_PTR(zhfts_search_options, ZHFTS_SEARCH_OPTIONS_INIT, sort);
	INIT_PTR(zhfts_search_options, ZHFTS_SEARCH_OPTIONS_INIT, facets);
	INIT(zhfts_search_options, ZHFTS_SEARCH_OPTIONS_INIT, nfacets);
	INIT(zhfts_search_options, ZHFTS_SEARCH_OPTIONS_INIT, facet_limit);
	INIT(zhfts_snippet_options, ZHFTS_SNIPPET_OPTIONS_INIT, version);
	INIT_PTR(zhfts_snippet_options, ZHFTS_SNIPPET_OPTIONS_INIT, mark_open);
	INIT_PTR(zhfts_snippet_options, ZHFTS_SNIPPET_OPTIONS_INIT, mark_close);
	INIT(zhfts_snippet_options, ZHFTS_SNIPPET_OPTIONS_INIT, context_chars);

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
#ifdef ZHFTS_OPEN_TERMLIST /* new in the header while this was written: keep building without it */
	CONST(ZHFTS_OPEN_TERMLIST);
#endif
	CONST(ZHFTS_WHERE_NONE);
	CONST(ZHFTS_WHERE_QUERY);
	CONST(ZHFTS_WHERE_DOCUMENT);
	CONST(ZHFTS_WHERE_OPTION);
	CONST(ZHFTS_DOC_LENIENT);
	CONST(ZHFTS_DOC_LINES);
	CONST(ZHFTS_DOC_NO_GUESS);
	CONST(ZHFTS_STATS_TERMS);
	CONST(ZHFTS_SEARCH_EXACT_COUNT);
	CONST(ZHFTS_SEARCH_NO_SNIPPETS);
	CONST(ZHFTS_OPTIONS_VERSION);
	CONST(ZHFTS_DOC_OPTIONS_VERSION);
	CONST(ZHFTS_DOC_INFO_VERSION);
	CONST(ZHFTS_STATS_VERSION);
	CONST(ZHFTS_SEARCH_OPTIONS_VERSION);
	CONST(ZHFTS_SNIPPET_OPTIONS_VERSION);
	CONST(ZHFTS_TOKEN_HAN);
	CONST(ZHFTS_TOKEN_WORD);
	CONST(ZHFTS_TOKEN_NUMBER);
	CONST(ZHFTS_TOKEN_MIXED);
	return 0;
}
