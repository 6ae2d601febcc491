/* winstat_avx512.c - AVX-512 twin of db_winsum_step_ref (winstat.c): the
 * column-sum update and the row prefix sums, 16 columns per vector. The
 * prefix is an in-register scan (4 shifted adds) plus the carry of the
 * previous 16 columns, so the serial chain is one add and one permute per
 * 16 columns instead of one add per column. Integer, so bit-identical. */
#include "winstat.h"

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__)
#include <immintrin.h>

static inline __m512i scan16(__m512i v)
{
    const __m512i z = _mm512_setzero_si512();
    /* alignr(v, 0, 16 - k) moves lane i - k to lane i, zeros below k */
    v = _mm512_add_epi32(v, _mm512_alignr_epi32(v, z, 15));
    v = _mm512_add_epi32(v, _mm512_alignr_epi32(v, z, 14));
    v = _mm512_add_epi32(v, _mm512_alignr_epi32(v, z, 12));
    return _mm512_add_epi32(v, _mm512_alignr_epi32(v, z, 8));
}

void db_winsum_step_avx512(const uint8_t *gin, const uint8_t *gout, uint32_t *col_s,
                           uint32_t *col_q, uint32_t *ps, uint32_t *pq, int w)
{
    const __m512i last = _mm512_set1_epi32(15);
    __m512i cs = _mm512_setzero_si512(), cq = _mm512_setzero_si512();
    ps[0] = pq[0] = 0;
    for (int x = 0; x < w; x += 16) {
        __mmask16 m = w - x >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (w - x)) - 1);
        __m512i s = _mm512_maskz_loadu_epi32(m, col_s + x);
        __m512i q = _mm512_maskz_loadu_epi32(m, col_q + x);
        if (gin || gout) {
            __m512i in = gin ? _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(m, gin + x))
                             : _mm512_setzero_si512();
            __m512i out = gout ? _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(m, gout + x))
                               : _mm512_setzero_si512();
            /* in^2 - out^2 = (in - out)(in + out), exact in int32 */
            s = _mm512_add_epi32(s, _mm512_sub_epi32(in, out));
            q = _mm512_add_epi32(q, _mm512_mullo_epi32(_mm512_sub_epi32(in, out),
                                                       _mm512_add_epi32(in, out)));
            _mm512_mask_storeu_epi32(col_s + x, m, s);
            _mm512_mask_storeu_epi32(col_q + x, m, q);
        }
        __m512i ss = _mm512_add_epi32(scan16(s), cs);
        __m512i qq = _mm512_add_epi32(scan16(q), cq);
        _mm512_mask_storeu_epi32(ps + x + 1, m, ss);
        _mm512_mask_storeu_epi32(pq + x + 1, m, qq);
        cs = _mm512_permutexvar_epi32(last, ss);
        cq = _mm512_permutexvar_epi32(last, qq);
    }
}

#else

void db_winsum_step_avx512(const uint8_t *gin, const uint8_t *gout, uint32_t *col_s,
                           uint32_t *col_q, uint32_t *ps, uint32_t *pq, int w)
{
    db_winsum_step_ref(gin, gout, col_s, col_q, ps, pq, w);
}
#endif
