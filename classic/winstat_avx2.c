/* winstat_avx2.c - AVX2 twin of db_winsum_step_ref (winstat.c): the column
 * sum update and the row prefix sums, 8 columns per vector (in-lane scan,
 * then the low half's total added to the high half, then the carry).
 * Integer, so bit-identical to the reference; the tail goes scalar. */
#include "winstat.h"

#if defined(__AVX2__)
#include <immintrin.h>

static inline __m256i scan8(__m256i v)
{
    v = _mm256_add_epi32(v, _mm256_slli_si256(v, 4));
    v = _mm256_add_epi32(v, _mm256_slli_si256(v, 8));
    __m256i low_total = _mm256_permutevar8x32_epi32(v, _mm256_set1_epi32(3));
    return _mm256_add_epi32(v, _mm256_blend_epi32(_mm256_setzero_si256(), low_total, 0xf0));
}

void db_winsum_step_avx2(const uint8_t *gin, const uint8_t *gout, uint32_t *col_s,
                         uint32_t *col_q, uint32_t *ps, uint32_t *pq, int w)
{
    const __m256i last = _mm256_set1_epi32(7);
    __m256i cs = _mm256_setzero_si256(), cq = _mm256_setzero_si256();
    ps[0] = pq[0] = 0;
    int x = 0;
    for (; x + 8 <= w; x += 8) {
        __m256i s = _mm256_loadu_si256((const void *)(col_s + x));
        __m256i q = _mm256_loadu_si256((const void *)(col_q + x));
        if (gin || gout) {
            __m256i in = gin ? _mm256_cvtepu8_epi32(_mm_loadl_epi64((const void *)(gin + x)))
                             : _mm256_setzero_si256();
            __m256i out = gout ? _mm256_cvtepu8_epi32(_mm_loadl_epi64((const void *)(gout + x)))
                               : _mm256_setzero_si256();
            s = _mm256_add_epi32(s, _mm256_sub_epi32(in, out));
            q = _mm256_add_epi32(q, _mm256_mullo_epi32(_mm256_sub_epi32(in, out),
                                                       _mm256_add_epi32(in, out)));
            _mm256_storeu_si256((void *)(col_s + x), s);
            _mm256_storeu_si256((void *)(col_q + x), q);
        }
        __m256i ss = _mm256_add_epi32(scan8(s), cs);
        __m256i qq = _mm256_add_epi32(scan8(q), cq);
        _mm256_storeu_si256((void *)(ps + x + 1), ss);
        _mm256_storeu_si256((void *)(pq + x + 1), qq);
        cs = _mm256_permutevar8x32_epi32(ss, last);
        cq = _mm256_permutevar8x32_epi32(qq, last);
    }
    uint32_t s = ps[x], q = pq[x];
    for (; x < w; x++) {
        if (gin) {
            col_s[x] += gin[x];
            col_q[x] += (uint32_t)gin[x] * gin[x];
        }
        if (gout) {
            col_s[x] -= gout[x];
            col_q[x] -= (uint32_t)gout[x] * gout[x];
        }
        s += col_s[x];
        q += col_q[x];
        ps[x + 1] = s;
        pq[x + 1] = q;
    }
}

#else

void db_winsum_step_avx2(const uint8_t *gin, const uint8_t *gout, uint32_t *col_s,
                         uint32_t *col_q, uint32_t *ps, uint32_t *pq, int w)
{
    db_winsum_step_ref(gin, gout, col_s, col_q, ps, pq, w);
}
#endif
