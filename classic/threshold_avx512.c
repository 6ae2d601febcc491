/* threshold_avx512.c - AVX-512 twin of db_threshold_row_ref (threshold.c):
 * one unsigned byte compare gives the 64 bits of a word directly (mask
 * register = packed row, LSB first), so a page thresholds at memory speed.
 * Integer compare: bit-identical to the reference. */
#include "classic.h"

#if defined(__AVX512BW__)
#include <immintrin.h>

void db_threshold_row_avx512(const uint8_t *g, int w, int t, uint64_t *bits)
{
    if (t < 0 || t > 255) {
        for (int x = 0; x < w; x += 64)
            bits[x / 64] = t < 0 ? 0 : (w - x >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << (w - x)) - 1);
        return;
    }
    const __m512i tv = _mm512_set1_epi8((char)(uint8_t)t);
    int x = 0;
    for (; x + 64 <= w; x += 64)
        bits[x / 64] = _mm512_cmple_epu8_mask(_mm512_loadu_si512((const void *)(g + x)), tv);
    if (x < w) {
        __mmask64 m = ((uint64_t)1 << (w - x)) - 1;
        bits[x / 64] = _mm512_mask_cmple_epu8_mask(m, _mm512_maskz_loadu_epi8(m, g + x), tv);
    }
}

#else

void db_threshold_row_avx512(const uint8_t *g, int w, int t, uint64_t *bits)
{
    db_threshold_row_ref(g, w, t, bits);
}
#endif
