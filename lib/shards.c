/*
 * A database made of shards: a stub file in Xapian's own format lists them,
 * local directories and databases served by xapian-tcpsrv (or run as a
 * program), and zhfts opens each itself:
 *
 *   # comments and blank lines are skipped
 *   auto shards/one             a directory, relative to the stub's
 *   glass /srv/zhfts/two
 *   remote 10.0.0.7:7011        xapian-tcpsrv [--writable] on host:port
 *   remote :xapian-progsrv /srv/zhfts/three
 *
 * Xapian reads the shards as one database (zx_combine): it merges their
 * statistics, so scores are those of one database holding every document,
 * and numbers their documents round robin.  zhfts keeps a handle on each
 * shard for what is per shard: the settings (written to every shard, and
 * checked on each), the field names, the dead paragraphs, the hold-off file
 * of a local shard, and every write.  Each document lives on one shard: the
 * one that has it already, else the one its id hashes to (zhfts__hash, part
 * of the index format), so that adding a shard moves nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "zhfts-private.h"

#define MAX_SHARDS 1024

bool zhfts__is_stub(const char *path)
{
	struct stat st;
	if (!path || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return false;
	/* A single-file glass database is a regular file too: binary. */
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true; /* unreadable: let parsing say why */
	char buf[512];
	ssize_t n = read(fd, buf, sizeof buf);
	close(fd);
	return n < 0 || !memchr(buf, '\0', (size_t)n);
}

void zhfts__parts_free(zpart *parts, size_t n)
{
	for (size_t i = 0; parts && i < n; i++) {
		if (parts[i].holdoff_fd >= 0)
			close(parts[i].holdoff_fd);
		free(parts[i].name);
		free(parts[i].path);
		free(parts[i].host);
		free(parts[i].prog);
		free(parts[i].args);
	}
	free(parts);
}

static char *trimmed(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

/* "host:port" or "[v6]:port" into the part. */
static bool parse_address(zpart *p, const char *a)
{
	const char *colon = strrchr(a, ':');
	if (!colon || colon == a || !colon[1])
		return false;
	char *end;
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (*end || port == 0 || port > 65535)
		return false;
	const char *h = a;
	size_t hl = (size_t)(colon - a);
	if (h[0] == '[' && hl >= 2 && h[hl - 1] == ']')
		h++, hl -= 2;
	p->host = zhfts__strndup(h, hl);
	p->port = (unsigned)port;
	return true;
}

static int parse_line(zpart *p, char *line, const char *stub, const char *stubdir, size_t lineno, zerr *err)
{
	char *sp = line + strcspn(line, " \t");
	char *arg = *sp ? trimmed(sp + 1) : sp;
	*sp = '\0';
	const char *kind = line;
	if ((!strcmp(kind, "auto") || !strcmp(kind, "glass")) && *arg) {
		zbuf b = {0};
		int rc = arg[0] == '/' ? zbuf_adds(&b, arg) : zbuf_printf(&b, "%s/%s", stubdir, arg);
		if (rc)
			return ZHFTS_ENOMEM;
		if (zhfts__is_stub(b.data)) {
			zbuf_free(&b);
			return zerr_set(err, ZHFTS_ECORRUPT, "%s:%zu: '%s' is a stub file itself: list its shards instead",
			                stub, lineno, arg);
		}
		p->path = zbuf_detach(&b);
		p->name = zhfts__strdup(p->path);
		return p->path && p->name ? ZHFTS_OK : ZHFTS_ENOMEM;
	}
	if (!strcmp(kind, "remote") && arg[0] == ':' && arg[1]) {
		char *prog = arg + 1, *space = prog + strcspn(prog, " \t");
		char *args = *space ? trimmed(space + 1) : space;
		*space = '\0';
		p->prog = zhfts__strdup(prog);
		p->args = zhfts__strdup(args);
		p->name = zhfts__strdup(prog);
		return p->prog && p->args && p->name ? ZHFTS_OK : ZHFTS_ENOMEM;
	}
	if (!strcmp(kind, "remote") && *arg) {
		if (!parse_address(p, arg))
			return zerr_set(err, ZHFTS_ECORRUPT, "%s:%zu: '%s' is not HOST:PORT", stub, lineno, arg);
		p->name = zhfts__strdup(arg);
		return p->host && p->name ? ZHFTS_OK : ZHFTS_ENOMEM;
	}
	return zerr_set(err, ZHFTS_ECORRUPT,
	                "%s:%zu: '%s%s%s' is neither a database nor a stub line zhfts can use (auto DIR, glass DIR, remote HOST:PORT, "
	                "remote :PROGRAM ARGS)",
	                stub, lineno, kind, *arg ? " " : "", arg);
}

int zhfts__stub_parse(const char *path, zpart **out, size_t *nout, zerr *err)
{
	*out = NULL;
	*nout = 0;
	FILE *f = fopen(path, "r");
	if (!f)
		return zerr_set(err, errno == ENOENT ? ZHFTS_ENOTFOUND : ZHFTS_EIO, "%s: %s", path, strerror(errno));
	zbuf dir = {0};
	const char *slash = strrchr(path, '/');
	int rc = slash ? zbuf_add(&dir, path, (size_t)(slash - path + (slash == path))) : zbuf_adds(&dir, ".");
	rc = rc ? ZHFTS_ENOMEM : zbuf_reserve(&dir, 1);
	zpart *parts = NULL;
	size_t n = 0, cap = 0, lineno = 0;
	char line[4096];
	while (rc == ZHFTS_OK && fgets(line, sizeof line, f)) {
		lineno++;
		size_t len = strlen(line);
		if (len == sizeof line - 1 && line[len - 1] != '\n') {
			rc = zerr_set(err, ZHFTS_ECORRUPT, "%s:%zu: line longer than %zu bytes: not a stub file", path, lineno,
			              sizeof line - 2);
			break;
		}
		line[strcspn(line, "\n")] = '\0';
		char *l = trimmed(line);
		if (!*l || *l == '#')
			continue;
		if (n == MAX_SHARDS) {
			rc = zerr_set(err, ZHFTS_ELIMIT, "%s:%zu: more than %d shards", path, lineno, MAX_SHARDS);
			break;
		}
		void *v = parts;
		if (zvec_grow(&v, &cap, n + 1, sizeof *parts)) {
			rc = ZHFTS_ENOMEM;
			break;
		}
		parts = v;
		memset(&parts[n], 0, sizeof *parts);
		parts[n].holdoff_fd = -1;
		rc = parse_line(&parts[n++], l, path, dir.data, lineno, err);
	}
	if (rc == ZHFTS_OK && ferror(f))
		rc = zerr_set(err, ZHFTS_EIO, "%s: %s", path, strerror(errno));
	fclose(f);
	zbuf_free(&dir);
	if (rc == ZHFTS_OK && !n)
		rc = zerr_set(err, ZHFTS_ECORRUPT, "%s: neither a database nor a stub file that lists shards", path);
	if (rc == ZHFTS_ENOMEM)
		zerr_set(err, rc, "out of memory reading %s", path);
	if (rc) {
		zhfts__parts_free(parts, n);
		return rc;
	}
	*out = parts;
	*nout = n;
	return ZHFTS_OK;
}

size_t zhfts__part_of(const zhfts_db *db, uint32_t docid, uint32_t *local)
{
	size_t n = db->nparts;
	*local = n > 1 ? (docid - 1) / (uint32_t)n + 1 : docid;
	return n > 1 ? (docid - 1) % n : 0;
}

uint32_t zhfts__docid_of(const zhfts_db *db, size_t part, uint32_t local)
{
	size_t n = db->nparts;
	return n > 1 ? (uint32_t)((local - 1) * n + part + 1) : local;
}

size_t zhfts__part_for_new(const zhfts_db *db, const char *id)
{
	return db->nparts > 1 ? (size_t)(zhfts__hash(id, strlen(id)) % db->nparts) : 0;
}

/* ---- dead paragraphs, kept per shard ------------------------------------------ */

typedef struct dead_map {
	const zhfts_db *db;
	zdead *to;
	size_t part;
} dead_map;

static int dead_to_combined(void *ctx, uint32_t local)
{
	dead_map *m = ctx;
	return zhfts__dead_add(m->to, zhfts__docid_of(m->db, m->part, local));
}

static int dead_to_part(void *ctx, uint32_t docid)
{
	dead_map *m = ctx;
	uint32_t local;
	return zhfts__part_of(m->db, docid, &local) == m->part ? zhfts__dead_add(m->to, local) : ZHFTS_OK;
}

int zhfts__dead_load_parts(zhfts_db *db, zerr *err)
{
	zhfts__dead_free(&db->dead);
	int rc = ZHFTS_OK;
	for (size_t k = 0; rc == ZHFTS_OK && k < db->nparts; k++) {
		zpart *p = &db->parts[k];
		if (!p->tombstones)
			continue;
		zdead local = {0};
		rc = zhfts__dead_load(&local, p->x, db->writable, p->name, err);
		dead_map m = {db, &db->dead, k};
		if (rc == ZHFTS_OK && zhfts__dead_each(&local, dead_to_combined, &m))
			rc = zerr_set(err, ZHFTS_ENOMEM, "out of memory reading deleted paragraphs");
		zhfts__dead_free(&local);
	}
	if (rc)
		zhfts__dead_free(&db->dead);
	return rc;
}

int zhfts__dead_store_part(zhfts_db *db, size_t k, zerr *err)
{
	if (db->nparts == 1)
		return zhfts__dead_store(&db->dead, db->parts[0].x, err);
	zdead local = {0};
	dead_map m = {db, &local, k};
	int rc = zhfts__dead_each(&db->dead, dead_to_part, &m);
	if (rc)
		rc = zerr_set(err, ZHFTS_ENOMEM, "out of memory recording deleted paragraphs");
	local.changed = true;
	rc = rc ? rc : zhfts__dead_store(&local, db->parts[k].x, err);
	zhfts__dead_free(&local);
	return rc;
}

/* ---- where a document is ---------------------------------------------------------- */

typedef struct locate {
	const char *id;
	size_t part;
} locate;

static int locate_read(zhfts_db *db, void *ctx)
{
	locate *l = ctx;
	uint32_t *docids = NULL, local;
	size_t n = 0;
	int rc = zhfts__doc_paragraphs(db, l->id, &docids, &n);
	if (rc == ZHFTS_OK)
		l->part = n ? zhfts__part_of(db, docids[0], &local) : zhfts__part_for_new(db, l->id);
	free(docids);
	return rc;
}

int zhfts_db_shard_of(zhfts_db *db, const char *id, size_t *shard)
{
	if (!db || !shard)
		return ZHFTS_EINVAL;
	zhfts__db_begin(db);
	if (!id || !*id) {
		zerr_set_at(&db->err, ZHFTS_EINVAL, ZHFTS_WHERE_OPTION, -1, "a document id must not be empty");
		return zhfts__db_fail(db, ZHFTS_EINVAL, NULL, NULL);
	}
	locate l = {id, 0};
	int rc = zhfts__read(db, locate_read, &l);
	if (rc == ZHFTS_OK)
		*shard = l.part;
	return zhfts__db_fail(db, rc, id, NULL);
}

/* ---- a writer's view of the shards it does not write ------------------------------ */

int zhfts__parts_refresh(zhfts_db *db, zerr *err)
{
	for (size_t k = 0; k < db->nparts; k++) {
		zpart *p = &db->parts[k];
		int rc = p->writable ? ZHFTS_OK : zx_reopen(p->x, err);
		if (rc && rc != ZX_EMODIFIED) {
			char why[sizeof err->msg];
			snprintf(why, sizeof why, "%s", err->msg);
			return strstr(why, p->name) ? rc : zerr_set(err, rc, "shard %s: %.400s", p->name, why);
		}
	}
	return ZHFTS_OK;
}

/* ---- which shard failed ----------------------------------------------------------- */

/* A remote shard's connection that Xapian closed after an earlier failure
 * (a timeout, a server gone) fails every later call with an error that has
 * no context: "Connection closed unexpectedly".  Such a failure of the
 * combined view is put on the remote shards that fail a round trip of their
 * own (bounded by remote_timeout_ms), so that the message names them. */
void zhfts__name_failed_shards(zhfts_db *db, int status)
{
	for (size_t k = 0; k < db->nparts; k++)
		if (strstr(db->err.msg, db->parts[k].name))
			return; /* it names one already */
	zbuf names = {0};
	for (size_t k = 0; k < db->nparts; k++) {
		zpart *p = &db->parts[k];
		zerr tmp = {{0}, 0, 0, -1};
		uint64_t freq;
		if (p->path || !p->x || zx_termfreq(p->x, "Q", 1, &freq, &tmp) == ZHFTS_OK)
			continue;
		if ((names.len && zbuf_adds(&names, ", ")) || zbuf_adds(&names, p->name)) {
			zbuf_free(&names);
			return;
		}
	}
	if (names.len) {
		char why[sizeof db->err.msg];
		snprintf(why, sizeof why, "%s", db->err.msg);
		zerr_set(&db->err, status, "%.300s (connection lost to shard%s %.180s)", why, strchr(names.data, ',') ? "s" : "",
		         names.data);
	}
	zbuf_free(&names);
}
