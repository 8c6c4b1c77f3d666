/* Status codes, their names, and per-handle messages. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zhfts-private.h"

const char *zhfts_version(void)
{
	return ZHFTS_VERSION_STRING;
}

const char *zhfts_strerror(int status)
{
	switch (status) {
	case ZHFTS_OK: return "success";
	case ZHFTS_ERROR: return "unexpected error";
	case ZHFTS_ENOMEM: return "out of memory";
	case ZHFTS_EINVAL: return "invalid argument";
	case ZHFTS_EENCODING: return "invalid text encoding";
	case ZHFTS_EQUERY: return "query syntax error";
	case ZHFTS_ELOCKED: return "database is locked";
	case ZHFTS_ENOTFOUND: return "not found";
	case ZHFTS_EIO: return "I/O error";
	case ZHFTS_ECORRUPT: return "database is corrupt or not a zhfts database";
	case ZHFTS_ESETTINGS: return "options differ from the database's settings";
	case ZHFTS_EREADONLY: return "database is read-only";
	case ZHFTS_ELIMIT: return "input exceeds a limit";
	case ZHFTS_EVERSION: return "unsupported database version";
	case ZHFTS_ITEROVER: return "no more items";
	default: return "unknown status";
	}
}

void zhfts_free(void *p)
{
	free(p);
}

static int vset(zerr *e, int status, int where, long long offset, const char *fmt, va_list ap)
{
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	e->lasting = status;
	e->where = where;
	e->offset = offset;
	return status;
}

int zerr_set(zerr *e, int status, const char *fmt, ...)
{
	if (!e)
		return status;
	va_list ap;
	va_start(ap, fmt);
	vset(e, status, ZHFTS_WHERE_NONE, -1, fmt, ap);
	va_end(ap);
	return status;
}

int zerr_set_at(zerr *e, int status, int where, long long offset, const char *fmt, ...)
{
	if (!e)
		return status;
	va_list ap;
	va_start(ap, fmt);
	vset(e, status, where, offset, fmt, ap);
	va_end(ap);
	return status;
}

void zerr_clear(zerr *e)
{
	if (e) {
		e->msg[0] = '\0';
		e->lasting = ZHFTS_OK;
		e->where = ZHFTS_WHERE_NONE;
		e->offset = -1;
	}
}

char *zhfts__strndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);
	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

char *zhfts__strdup(const char *s)
{
	return zhfts__strndup(s, strlen(s));
}
