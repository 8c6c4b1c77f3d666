/*
 * The stored paragraph record: what a hit shows, kept as the Xapian
 * document's data.
 *
 *   'Z' 4                   magic and record version
 *   para offset length      varints
 *   section text            varint length + bytes
 *   nfields                 varint
 *   (name value)*           varint length + bytes each
 *
 * The document id is not here: it is every paragraph's value in
 * ZHFTS_SLOT_DOC, where sorting and facets read it.
 */
#include <string.h>

#include "zhfts-private.h"

#define RECORD_VERSION 4

static int add_bytes(zbuf *out, const char *s, size_t n)
{
	int rc = zbuf_add_varint(out, n);
	return rc ? rc : zbuf_add(out, s, n);
}

int zhfts__record_encode(zbuf *out, const zrecord *r, const zhfts_field *fields, size_t nfields)
{
	out->len = 0;
	int rc = zbuf_addc(out, 'Z');
	rc = rc ? rc : zbuf_addc(out, RECORD_VERSION);
	rc = rc ? rc : zbuf_add_varint(out, r->para);
	rc = rc ? rc : zbuf_add_varint(out, r->offset);
	rc = rc ? rc : zbuf_add_varint(out, r->length);
	rc = rc ? rc : add_bytes(out, r->section, r->section_len);
	rc = rc ? rc : add_bytes(out, r->text, r->text_len);
	rc = rc ? rc : zbuf_add_varint(out, nfields);
	for (size_t i = 0; rc == ZHFTS_OK && i < nfields; i++) {
		rc = add_bytes(out, fields[i].name, strlen(fields[i].name));
		rc = rc ? rc : add_bytes(out, fields[i].value, strlen(fields[i].value));
	}
	return rc;
}

static bool get_varint(const char **p, const char *end, uint64_t *v)
{
	*v = 0;
	for (int shift = 0; shift < 64 && *p < end; shift += 7) {
		unsigned char b = (unsigned char)*(*p)++;
		*v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return true;
	}
	return false;
}

static bool get_bytes(const char **p, const char *end, const char **s, size_t *n)
{
	uint64_t len;
	if (!get_varint(p, end, &len) || len > (uint64_t)(end - *p))
		return false;
	*s = *p;
	*n = (size_t)len;
	*p += len;
	return true;
}

int zhfts__record_decode(zrecord *r, const char *data, size_t len)
{
	const char *p = data, *end = data + len;
	uint64_t para, nfields;
	memset(r, 0, sizeof *r);
	if (len < 2 || p[0] != 'Z' || p[1] != RECORD_VERSION)
		return ZHFTS_ECORRUPT;
	p += 2;
	if (!get_varint(&p, end, &para) || !get_varint(&p, end, &r->offset) ||
	    !get_varint(&p, end, &r->length) || !get_bytes(&p, end, &r->section, &r->section_len) ||
	    !get_bytes(&p, end, &r->text, &r->text_len) || !get_varint(&p, end, &nfields) ||
	    para > UINT32_MAX || nfields > ZHFTS_MAX_FIELDS)
		return ZHFTS_ECORRUPT;
	r->para = (uint32_t)para;
	r->nfields = (uint32_t)nfields;
	r->fields = p;
	/* Every field must be there. */
	for (uint64_t k = 0; k < 2 * nfields; k++) {
		const char *s;
		size_t n;
		if (!get_bytes(&p, end, &s, &n))
			return ZHFTS_ECORRUPT;
	}
	r->fields_len = (size_t)(p - r->fields);
	return p == end ? ZHFTS_OK : ZHFTS_ECORRUPT;
}

bool zhfts__record_field(const zrecord *r, uint32_t k, const char **name, size_t *name_len,
                         const char **value, size_t *value_len)
{
	const char *p = r->fields, *end = r->fields + r->fields_len;
	for (uint32_t i = 0; i <= k; i++) {
		if (!get_bytes(&p, end, name, name_len) || !get_bytes(&p, end, value, value_len))
			return false;
	}
	return true;
}
