/*
 * The test oracle: what a paragraph "contains", computed without libzhfts.
 * The whole text is normalized first (NFKC_Casefold, then ICU's
 * Traditional-Simplified transliterator over the whole string), and only
 * then cut into units (a Han or kana character, or a run of anything else
 * inside an ICU word), written as "\x1fu1\x1fu2\x1f".  A phrase matches
 * where plain strstr() finds its units.
 */
#ifndef ZHFTS_ORACLE_H
#define ZHFTS_ORACLE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct oracle oracle;

oracle *oracle_new(bool traditional);
void oracle_free(oracle *o);
/* malloc'd unit string; "\x1f" when the text has no units. */
char *oracle_units(oracle *o, const char *text, size_t len);
/* Does text contain the phrase? */
bool oracle_contains(oracle *o, const char *text_units, const char *phrase, size_t len);
/* Transliterates UTF-8 with an ICU transform ID ("Simplified-Traditional"); malloc'd. */
char *oracle_transform(const char *id, const char *text);

#endif
