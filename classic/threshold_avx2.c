/* threshold_avx2.c - AVX2 twin of db_threshold_row_ref (threshold.c):
 * g <= t as max(g, t) == t on 32 unsigned bytes, movemask gives 32 bits of
 * the packed row (LSB first). Integer: bit-identical to the reference. */
#include "classic.h"

#if defined(__AVX2__)
#include <immintrin.h>

void db_threshold_row_avx2(const uint8_t *g, int w, int t, uint64_t *bits)
{
    if (t < 0 || t > 255) {
        db_threshold_row_ref(g, w, t, bits);
        return;
    }
    const __m256i tv = _mm256_set1_epi8((char)(uint8_t)t);
    int x = 0;
    for (; x + 64 <= w; x += 64) {
        __m256i a = _mm256_loadu_si256((const void *)(g + x));
        __m256i b = _mm256_loadu_si256((const void *)(g + x + 32));
        uint32_t lo = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_max_epu8(a, tv), tv));
        uint32_t hi = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_max_epu8(b, tv), tv));
        bits[x / 64] = (uint64_t)lo | (uint64_t)hi << 32;
    }
    if (x < w)
        db_threshold_row_ref(g + x, w - x, t, bits + x / 64);
}

#else

void db_threshold_row_avx2(const uint8_t *g, int w, int t, uint64_t *bits)
{
    db_threshold_row_ref(g, w, t, bits);
}
#endif
