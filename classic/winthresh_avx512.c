/* winthresh_avx512.c - AVX-512 row kernels of the mean/variance methods.
 * Interior columns (full-width window, so one count n and one 1/n per row)
 * go 8 doubles at a time (Bradley: 16 int32); border columns call the scalar
 * decision. The vector code repeats the *_ink functions of winstat.h
 * operation for operation (no FMA, same association), so the bits equal the
 * portable kernels' (winthresh_ref.c); tests/classic/test_winthresh.c checks. */
#include "winstat.h"

#if defined(__AVX512F__) && defined(__AVX512DQ__) && defined(__AVX512VL__)
#include <immintrin.h>

#define INLINE static inline __attribute__((always_inline))

INLINE bool decide1(db_winmethod m, const void *p, int g, double n, double s, double q)
{
    switch (m) {
    case DB_WM_NIBLACK:
        return db_niblack_ink(p, g, n, s, q);
    case DB_WM_SAUVOLA:
        return db_sauvola_ink(p, g, n, s, q);
    case DB_WM_WOLF:
        return db_wolf_ink(p, g, n, s, q);
    default:
        return db_nick_ink(p, g, n, s, q);
    }
}

/* Per-row constants of the interior: n, and Wolf's inv_rmax / n and M n,
 * computed once exactly as the scalar decision computes them per pixel. */
typedef struct rowc {
    __m512d n, c, mn;
} rowc;

INLINE __mmask8 decide8(db_winmethod m, const void *p, __m512d g, const rowc *k, __m512d s,
                        __m512d q)
{
    __m512d lhs = _mm512_mul_pd(g, k->n), rhs;
    if (m == DB_WM_NICK) {
        const db_nick_params *P = p;
        __m512d root = _mm512_sqrt_pd(_mm512_mul_pd(k->n, q));
        rhs = _mm512_add_pd(s, _mm512_mul_pd(_mm512_set1_pd(P->k), root));
        return _mm512_cmp_pd_mask(lhs, rhs, _CMP_LE_OQ);
    }
    /* max(D, 0) equals "D < 0 ? 0 : D": D is never -0 (x - x = +0) */
    __m512d d = _mm512_sub_pd(_mm512_mul_pd(k->n, q), _mm512_mul_pd(s, s));
    d = _mm512_max_pd(d, _mm512_setzero_pd());
    __m512d sd = _mm512_sqrt_pd(d);
    if (m == DB_WM_NIBLACK) {
        const db_niblack_params *P = p;
        rhs = _mm512_add_pd(s, _mm512_mul_pd(_mm512_set1_pd(P->k), sd));
    } else if (m == DB_WM_SAUVOLA) {
        const db_sauvola_params *P = p;
        lhs = _mm512_mul_pd(lhs, k->n);
        rhs = _mm512_mul_pd(s, _mm512_add_pd(_mm512_mul_pd(_mm512_set1_pd(P->a), k->n),
                                        _mm512_mul_pd(_mm512_set1_pd(P->b), sd)));
    } else {
        const db_wolf_params *P = p;
        __m512d f = _mm512_mul_pd(_mm512_set1_pd(P->k),
                              _mm512_sub_pd(_mm512_set1_pd(1.0), _mm512_mul_pd(sd, k->c)));
        rhs = _mm512_sub_pd(s, _mm512_mul_pd(f, _mm512_sub_pd(s, k->mn)));
    }
    return _mm512_cmp_pd_mask(lhs, rhs, _CMP_LE_OQ);
}

/* ORs an nbits-wide mask into the row bits at column x (may span 2 words). */
INLINE void put_bits(uint64_t *bits, int x, uint64_t mask, int nbits)
{
    int sh = x & 63;
    bits[x >> 6] |= mask << sh;
    if (sh + nbits > 64)
        bits[(x >> 6) + 1] |= mask >> (64 - sh);
}

/* Interior range [lo, hi): columns whose window is not clipped. */
INLINE void interior(const db_winrow *row, int *lo, int *hi)
{
    *lo = row->r < row->width ? row->r : row->width;
    *hi = row->width - row->r > *lo ? row->width - row->r : *lo;
}

INLINE void scalar_cols(db_winmethod m, const void *p, const db_winrow *row, int x0, int x1,
                        uint64_t *bits)
{
    for (int x = x0; x < x1; x++) {
        int n;
        uint32_t s;
        uint64_t q;
        db_winrow_stats(row, x, &n, &s, &q);
        if (decide1(m, p, row->g[x], n, s, (double)q))
            bits[x >> 6] |= (uint64_t)1 << (x & 63);
    }
}

INLINE void row_meanvar(db_winmethod m, const void *p, const db_winrow *row, uint64_t *bits)
{
    int lo, hi, r = row->r;
    interior(row, &lo, &hi);
    scalar_cols(m, p, row, 0, lo, bits);
    rowc k;
    {
        double n = (double)((2 * r + 1) * row->ny);
        k.n = _mm512_set1_pd(n);
        k.c = k.mn = k.n;
        if (m == DB_WM_WOLF) {
            const db_wolf_params *W = p;
            k.c = _mm512_set1_pd(W->inv_rmax / n);
            k.mn = _mm512_set1_pd(W->mmin * n);
        }
    }
    const uint32_t *ps = row->ps, *pq = row->pq;
    int x = lo;
    for (; x + 8 <= hi; x += 8) {
        __m256i s32 = _mm256_sub_epi32(_mm256_loadu_si256((const void *)(ps + x + r + 1)),
                                       _mm256_loadu_si256((const void *)(ps + x - r)));
        __m256i q32 = _mm256_sub_epi32(_mm256_loadu_si256((const void *)(pq + x + r + 1)),
                                       _mm256_loadu_si256((const void *)(pq + x - r)));
        __m512d g = _mm512_cvtepi32_pd(
            _mm256_cvtepu8_epi32(_mm_loadl_epi64((const void *)(row->g + x))));
        __mmask8 ink = decide8(m, p, g, &k, _mm512_cvtepu32_pd(s32), _mm512_cvtepu32_pd(q32));
        put_bits(bits, x, ink, 8);
    }
    scalar_cols(m, p, row, x, row->width, bits);
}

void db_niblack_row_avx512(const void *p, const db_winrow *row, uint64_t *bits, double *acc)
{
    row_meanvar(DB_WM_NIBLACK, p, row, bits);
}
void db_sauvola_row_avx512(const void *p, const db_winrow *row, uint64_t *bits, double *acc)
{
    row_meanvar(DB_WM_SAUVOLA, p, row, bits);
}
void db_wolf_row_avx512(const void *p, const db_winrow *row, uint64_t *bits, double *acc)
{
    row_meanvar(DB_WM_WOLF, p, row, bits);
}
void db_nick_row_avx512(const void *p, const db_winrow *row, uint64_t *bits, double *acc)
{
    row_meanvar(DB_WM_NICK, p, row, bits);
}

/* Wolf's first pass: the largest window variance of the row. In the
 * interior n is constant, so the maximum of the exact int64 numerator
 * n q - s^2 gives the maximum variance (division by n^2 is monotone). */
void db_wolf_maxvar_row_avx512(const void *params, const db_winrow *row, uint64_t *bits,
                               double *acc)
{
    int lo, hi, r = row->r;
    interior(row, &lo, &hi);
    double best = *acc;
    for (int x = 0; x < row->width; x++) {
        if (x == lo) /* the interior goes by vectors below */
            x = hi;
        if (x >= row->width)
            break;
        int n;
        uint32_t s;
        uint64_t q;
        db_winrow_stats(row, x, &n, &s, &q);
        double v = db_win_exact_var(n, s, q);
        best = v > best ? v : best;
    }
    const int64_t n = (int64_t)(2 * r + 1) * row->ny;
    const __m512i nv = _mm512_set1_epi64(n);
    __m512i m = _mm512_setzero_si512();
    const uint32_t *ps = row->ps, *pq = row->pq;
    int x = lo;
    for (; x + 8 <= hi; x += 8) {
        __m512i s = _mm512_cvtepu32_epi64(
            _mm256_sub_epi32(_mm256_loadu_si256((const void *)(ps + x + r + 1)),
                             _mm256_loadu_si256((const void *)(ps + x - r))));
        __m512i q = _mm512_cvtepu32_epi64(
            _mm256_sub_epi32(_mm256_loadu_si256((const void *)(pq + x + r + 1)),
                             _mm256_loadu_si256((const void *)(pq + x - r))));
        m = _mm512_max_epi64(m, _mm512_sub_epi64(_mm512_mullo_epi64(nv, q),
                                                 _mm512_mullo_epi64(s, s)));
    }
    if (hi > lo) {
        double v = (double)_mm512_reduce_max_epi64(m) / ((double)n * (double)n);
        best = v > best ? v : best;
    }
    for (; x < hi; x++) {
        int nn;
        uint32_t s;
        uint64_t q;
        db_winrow_stats(row, x, &nn, &s, &q);
        double v = db_win_exact_var(nn, s, q);
        best = v > best ? v : best;
    }
    *acc = best;
}

/* Bradley is integer: g * (100 n) <= s * (100 - t), exact in int32 while
 * 255 * 100 n < 2^31 (windows up to about 289), in int64 lanes beyond: it
 * needs only the sums, exact for any window, so every window is vectorised. */
void db_bradley_row_avx512(const void *params, const db_winrow *row, uint64_t *bits,
                           double *acc)
{
    const db_bradley_params *p = params;
    int lo, hi, r = row->r;
    interior(row, &lo, &hi);
    for (int x = 0; x < lo; x++) {
        int n;
        uint32_t s;
        uint64_t q;
        db_winrow_stats(row, x, &n, &s, &q);
        if (db_bradley_ink(p, row->g[x], n, s))
            bits[x >> 6] |= (uint64_t)1 << (x & 63);
    }
    const int64_t n = (int64_t)(2 * r + 1) * row->ny;
    const uint32_t *ps = row->ps;
    int x = lo;
    if (n * 100 * 255 >= ((int64_t)1 << 31)) {
        /* wide windows (the paper's default is width / 8): int64 lanes */
        const __m512i n100w = _mm512_set1_epi64(n * 100);
        const __m512i fw = _mm512_set1_epi64(100 - p->t);
        for (; x + 8 <= hi; x += 8) {
            __m512i s = _mm512_cvtepu32_epi64(
                _mm256_sub_epi32(_mm256_loadu_si256((const void *)(ps + x + r + 1)),
                                 _mm256_loadu_si256((const void *)(ps + x - r))));
            __m512i g = _mm512_cvtepu8_epi64(_mm_loadl_epi64((const void *)(row->g + x)));
            __mmask8 k = _mm512_cmp_epi64_mask(_mm512_mullo_epi64(g, n100w),
                                               _mm512_mullo_epi64(s, fw), _MM_CMPINT_LE);
            put_bits(bits, x, k, 8);
        }
    }
    const __m512i n100 = _mm512_set1_epi32((int)(n * 100));
    const __m512i f = _mm512_set1_epi32(100 - p->t);
    for (; x + 16 <= hi && n * 100 * 255 < ((int64_t)1 << 31); x += 16) {
        __m512i s = _mm512_sub_epi32(_mm512_loadu_si512((const void *)(ps + x + r + 1)),
                                     _mm512_loadu_si512((const void *)(ps + x - r)));
        __m512i g = _mm512_cvtepu8_epi32(_mm_loadu_si128((const void *)(row->g + x)));
        __mmask16 k = _mm512_cmp_epi32_mask(_mm512_mullo_epi32(g, n100),
                                            _mm512_mullo_epi32(s, f), _MM_CMPINT_LE);
        put_bits(bits, x, k, 16);
    }
    for (; x < row->width; x++) {
        int nx;
        uint32_t s;
        uint64_t q;
        db_winrow_stats(row, x, &nx, &s, &q);
        if (db_bradley_ink(p, row->g[x], nx, s))
            bits[x >> 6] |= (uint64_t)1 << (x & 63);
    }
}

#else /* not built with AVX-512: never selected, kept linkable */

void db_niblack_row_avx512(const void *p, const db_winrow *row, uint64_t *bits, double *acc)
{
    db_niblack_row_ref(p, row, bits, acc);
}
void db_sauvola_row_avx512(const void *p, const db_winrow *row, uint64_t *bits, double *acc)
{
    db_sauvola_row_ref(p, row, bits, acc);
}
void db_wolf_row_avx512(const void *p, const db_winrow *row, uint64_t *bits, double *acc)
{
    db_wolf_row_ref(p, row, bits, acc);
}
void db_nick_row_avx512(const void *p, const db_winrow *row, uint64_t *bits, double *acc)
{
    db_nick_row_ref(p, row, bits, acc);
}
void db_bradley_row_avx512(const void *p, const db_winrow *row, uint64_t *bits, double *acc)
{
    db_bradley_row_ref(p, row, bits, acc);
}
void db_wolf_maxvar_row_avx512(const void *p, const db_winrow *row, uint64_t *bits, double *acc)
{
    db_wolf_maxvar_row(p, row, bits, acc);
}
#endif
