/*
 * The settings that shape the terms, recorded in every database as
 * "format=5 normalize=1 traditional=1 paragraphs=blank unicode=15.0 icu=72":
 * a library that would make other terms refuses to read or write it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/uversion.h>

#include "zhfts-private.h"

void zhfts__settings_string(const zhfts_options *s, char *buf, size_t cap)
{
	UVersionInfo uv, iv;
	char ustr[U_MAX_VERSION_STRING_LENGTH], istr[U_MAX_VERSION_STRING_LENGTH];
	u_getUnicodeVersion(uv);
	u_versionToString(uv, ustr);
	u_getVersion(iv);
	snprintf(istr, sizeof istr, "%d", iv[0]);
	snprintf(buf, cap, "format=%d normalize=%d traditional=%d paragraphs=%s unicode=%s icu=%s",
	         ZHFTS_INDEX_FORMAT, s->normalize == ZHFTS_ON, s->traditional == ZHFTS_ON,
	         s->paragraph_mode == ZHFTS_PARAGRAPH_LINE ? "line" : "blank", ustr, istr);
}

static bool setting(const char *s, const char *key, char *val, size_t cap)
{
	size_t kl = strlen(key);
	for (const char *p = s; (p = strstr(p, key)); p += kl) {
		if ((p == s || p[-1] == ' ') && p[kl] == '=') {
			const char *v = p + kl + 1;
			size_t n = strcspn(v, " ");
			snprintf(val, cap, "%.*s", (int)n, v);
			return true;
		}
	}
	return false;
}

int zhfts__settings_resolve(zhfts_options *s, const zhfts_options *opts, const char *stored,
                            const char *who, zerr *err)
{
	zhfts_options want = opts ? *opts : (zhfts_options)ZHFTS_OPTIONS_INIT;
	memset(s, 0, sizeof *s);
	s->version = ZHFTS_OPTIONS_VERSION;
	s->lock_timeout_ms = want.lock_timeout_ms;
	s->auto_commit_bytes = want.auto_commit_bytes;
	if (!*stored) {
		s->normalize = want.normalize ? want.normalize : ZHFTS_ON;
		s->traditional = want.traditional ? want.traditional : ZHFTS_ON;
		s->paragraph_mode = want.paragraph_mode ? want.paragraph_mode : ZHFTS_PARAGRAPH_BLANK_LINE;
		return ZHFTS_OK;
	}
	char v[64], mine[256], m[64];
	zhfts__settings_string(s, mine, sizeof mine);
	if (!setting(stored, "format", v, sizeof v))
		return zerr_set(err, ZHFTS_ECORRUPT, "%s: unreadable zhfts settings '%s'", who, stored);
	if (atoi(v) != ZHFTS_INDEX_FORMAT)
		return zerr_set(err, ZHFTS_EVERSION,
		                "%s: index format %s, this library reads format %d: rebuild the index", who, v,
		                ZHFTS_INDEX_FORMAT);
	static const char *const unicode_keys[] = {"unicode", "icu"};
	for (int k = 0; k < 2; k++) {
		if (setting(stored, unicode_keys[k], v, sizeof v) && setting(mine, unicode_keys[k], m, sizeof m) &&
		    strcmp(v, m))
			return zerr_set(err, ZHFTS_EVERSION,
			                "%s: built with %s %s, this library has %s %s; normalization may differ: "
			                "rebuild the index",
			                who, unicode_keys[k], v, unicode_keys[k], m);
	}
	struct {
		const char *key;
		int *field;
		int want;
		int on, off;
		const char *on_s;
	} f[] = {
		{"normalize", &s->normalize, want.normalize, ZHFTS_ON, ZHFTS_OFF, "1"},
		{"traditional", &s->traditional, want.traditional, ZHFTS_ON, ZHFTS_OFF, "1"},
		{"paragraphs", &s->paragraph_mode, want.paragraph_mode, ZHFTS_PARAGRAPH_LINE,
		 ZHFTS_PARAGRAPH_BLANK_LINE, "line"},
	};
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
		if (!setting(stored, f[i].key, v, sizeof v))
			return zerr_set(err, ZHFTS_ECORRUPT, "%s: settings lack '%s'", who, f[i].key);
		*f[i].field = !strcmp(v, f[i].on_s) ? f[i].on : f[i].off;
		if (f[i].want != ZHFTS_DEFAULT && f[i].want != *f[i].field)
			return zerr_set(err, ZHFTS_ESETTINGS,
			                "%s: the database was built with %s=%s; the options ask otherwise "
			                "(open it with the default, or rebuild it)",
			                who, f[i].key, v);
	}
	return ZHFTS_OK;
}
