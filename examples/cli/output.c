/* Shared helpers: messages, reading input, JSON and terminal-safe output. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

bool cli_progress_shown = false;

void cli_error(const char *fmt, ...)
{
	va_list ap;

	if (cli_progress_shown) {
		fputs("\r\033[K", stderr);
		cli_progress_shown = false;
	}
	fputs("zhfts: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_open_db(const cli_args *a, unsigned int flags, const zhfts_options *opts,
                zhfts_db **out)
{
	char *msg = NULL;
	zhfts_options o = ZHFTS_OPTIONS_INIT;
	int rc;

	if (opts)
		o = *opts;
	o.version = ZHFTS_OPTIONS_VERSION;
	o.remote_timeout_ms = a->timeout_ms;
	rc = zhfts_db_open(out, a->db, flags, &o, &msg);
	if (rc == ZHFTS_OK)
		return 0;
	if (rc == ZHFTS_ENOTFOUND && msg && strstr(msg, "no database here") && strncmp(msg, a->db, strlen(a->db)) == 0)
		cli_error("%s: no database here (create one with 'zhfts index --db %s FILE')",
		          a->db, a->db);
	else if (msg && strncmp(msg, a->db, strlen(a->db)) == 0)
		cli_error("%s", msg); /* the library's message names the database already */
	else
		cli_error("%s: %s", a->db, msg ? msg : zhfts_strerror(rc));
	zhfts_free(msg);
	return EXIT_TROUBLE;
}

char *cli_join(char **words, int n)
{
	size_t len = 1;
	char *s, *p;

	for (int i = 0; i < n; i++)
		len += strlen(words[i]) + 1;
	s = p = malloc(len);
	if (!s)
		return NULL;
	for (int i = 0; i < n; i++) {
		size_t w = strlen(words[i]);
		if (i > 0)
			*p++ = ' ';
		memcpy(p, words[i], w);
		p += w;
	}
	*p = '\0';
	return s;
}

int cli_read_stream(FILE *f, char **out, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);

	if (!buf)
		return -1;
	for (;;) {
		size_t got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
		if (cap - n - 1 == 0) {
			char *bigger = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap * 2);
			if (!bigger) {
				free(buf);
				errno = ENOMEM;
				return -1;
			}
			buf = bigger;
			cap *= 2;
		}
	}
	if (ferror(f)) {
		int e = errno ? errno : EIO;
		free(buf);
		errno = e;
		return -1;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

int cli_read_file(const char *path, char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	int rc, e;

	if (!f)
		return -1;
	errno = 0;
	rc = cli_read_stream(f, out, len);
	e = errno;
	fclose(f);
	errno = e;
	return rc;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	size_t need;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) need = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) need = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4) need = 4, cp = s[0] & 0x07;
	else return 0;
	if (n < need)
		return 0;
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((need == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (need == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return need;
}

void cli_json_string(FILE *f, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;

	fputc('"', f);
	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq(s + i, len - i);
		if (n == 0) {
			fputs("\\ufffd", f);
			i++;
			continue;
		}
		if (n > 1) {
			fwrite(s + i, 1, n, f);
		} else if (s[i] == '"' || s[i] == '\\') {
			fputc('\\', f);
			fputc(s[i], f);
		} else if (s[i] == '\n') {
			fputs("\\n", f);
		} else if (s[i] == '\t') {
			fputs("\\t", f);
		} else if (s[i] < 0x20 || s[i] == 0x7f) {
			fprintf(f, "\\u%04x", s[i]);
		} else {
			fputc(s[i], f);
		}
		i += n;
	}
	fputc('"', f);
}

void cli_print_text(FILE *f, const char *str, size_t len, bool marks,
                    const char *mark_on, const char *mark_off)
{
	const unsigned char *s = (const unsigned char *)str;

	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq(s + i, len - i);
		if (n == 0) {
			fputs("\xef\xbf\xbd", f);
			i++;
		} else if (marks && (s[i] == 1 || s[i] == 2)) {
			fputs(s[i] == 1 ? mark_on : mark_off, f);
			i++;
		} else if (s[i] == '\n' || s[i] == '\r') {
			/* A hard-wrapped Chinese line joins without a space; Latin text
			 * (ASCII on either side) keeps one. */
			bool ascii_before = i > 0 && s[i - 1] > 0x20 && s[i - 1] < 0x7f;
			bool ascii_after = i + 1 < len && s[i + 1] > 0x20 && s[i + 1] < 0x7f;
			if (s[i] == '\n' && (ascii_before || ascii_after))
				fputc(' ', f);
			i++;
		} else if (n == 1 && (s[i] < 0x20 || s[i] == 0x7f)) {
			/* Never pass a document's escape sequences to the terminal. */
			fputs(s[i] == '\t' ? " " : "\xef\xbf\xbd", f);
			i++;
		} else {
			fwrite(s + i, 1, n, f);
			i += n;
		}
	}
}

bool cli_use_color(int color, FILE *f)
{
	const char *term = getenv("TERM");

	if (color != CLI_COLOR_AUTO)
		return color == CLI_COLOR_ALWAYS;
	return isatty(fileno(f)) && !getenv("NO_COLOR") && term && strcmp(term, "dumb") != 0;
}

int cli_finish(int status)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_error("error writing output: %s", strerror(errno));
		return EXIT_TROUBLE;
	}
	return status;
}
