/*
 * The ranking model: BM25 (k1 = 1.2, b = 0.75) over paragraphs, with the
 * length normalisation done when a paragraph is indexed.
 *
 * BM25's term-frequency part, f / (f + k1 L) with L = 1 - b + b len/avglen,
 * equals t / (t + k1) for t = f / L.  So a text term is stored with the wdf
 * round(S t) (at least 1), and Xapian weighs it by BM25 at b = 0 with
 * k1' = S k1:
 *
 *     idf (k1' + 1) S t / (k1' + S t) = idf (S k1 + 1) t / (k1 + t),
 *
 * which is BM25's weight times (S k1 + 1) / (k1 + 1).  The plan scales text
 * by the inverse (zhfts__weight_scale), so scores are BM25's, to the rounding
 * of t to 1/S.  Xapian then reads no document lengths: looking one up costs
 * a linear scan into a chunk of its length list, once per posting, which was
 * most of the time of a frequent term (a term of 5,000 paragraphs spread
 * over 850,000 took 2 ms, 0.2 ms without).  It works unchanged through
 * xapian-tcpsrv, which knows BM25Weight.
 *
 * len is the paragraph's units; avglen is a constant of the index format,
 * not the database's mean, so that a paragraph's wdfs never change after it
 * is written and shards agree without talking to each other.  S = 30 keeps
 * the wdf of a term seen once below 128 (one byte in a posting) at any
 * length, with a rounding of at most 1/60 of t for paragraphs up to avglen
 * and about 5% at four times it.
 */
#include <math.h>

#include "zhfts-private.h"

#define BM25_K1 1.2
#define BM25_B 0.75
#define AVG_UNITS 64.0
#define WDF_SCALE 30.0

uint32_t zhfts__wdf(uint32_t freq, size_t units)
{
	double norm = 1.0 - BM25_B + BM25_B * (double)units / AVG_UNITS;
	double w = floor(WDF_SCALE * (double)freq / norm + 0.5);
	return w < 1.0 ? 1u : w > 4e9 ? 4000000000u : (uint32_t)w;
}

zx_weight zhfts__weight(void)
{
	return (zx_weight){WDF_SCALE * BM25_K1, 0.0};
}

double zhfts__weight_scale(void)
{
	return (BM25_K1 + 1.0) / (WDF_SCALE * BM25_K1 + 1.0);
}
