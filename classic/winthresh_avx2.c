/* winthresh_avx2.c - AVX2 row kernels of the mean/variance methods, the
 * 4-double twin of winthresh_avx512.c (see there): interior columns in
 * vectors, border columns through the scalar decision, bits identical to the
 * portable kernels (winthresh_ref.c). */
#include "winstat.h"

#if defined(__AVX2__)
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
    __m256d n, c, mn;
} rowc;

INLINE int decide4(db_winmethod m, const void *p, __m256d g, const rowc *k, __m256d s, __m256d q)
{
    __m256d lhs = _mm256_mul_pd(g, k->n), rhs;
    if (m == DB_WM_NICK) {
        const db_nick_params *P = p;
        __m256d root = _mm256_sqrt_pd(_mm256_mul_pd(k->n, q));
        rhs = _mm256_add_pd(s, _mm256_mul_pd(_mm256_set1_pd(P->k), root));
        return _mm256_movemask_pd(_mm256_cmp_pd(lhs, rhs, _CMP_LE_OQ));
    }
    /* max(D, 0) equals "D < 0 ? 0 : D": D is never -0 (x - x = +0) */
    __m256d d = _mm256_sub_pd(_mm256_mul_pd(k->n, q), _mm256_mul_pd(s, s));
    d = _mm256_max_pd(d, _mm256_setzero_pd());
    __m256d sd = _mm256_sqrt_pd(d);
    if (m == DB_WM_NIBLACK) {
        const db_niblack_params *P = p;
        rhs = _mm256_add_pd(s, _mm256_mul_pd(_mm256_set1_pd(P->k), sd));
    } else if (m == DB_WM_SAUVOLA) {
        const db_sauvola_params *P = p;
        lhs = _mm256_mul_pd(lhs, k->n);
        rhs = _mm256_mul_pd(s, _mm256_add_pd(_mm256_mul_pd(_mm256_set1_pd(P->a), k->n),
                                        _mm256_mul_pd(_mm256_set1_pd(P->b), sd)));
    } else {
        const db_wolf_params *P = p;
        __m256d f = _mm256_mul_pd(_mm256_set1_pd(P->k),
                              _mm256_sub_pd(_mm256_set1_pd(1.0), _mm256_mul_pd(sd, k->c)));
        rhs = _mm256_sub_pd(s, _mm256_mul_pd(f, _mm256_sub_pd(s, k->mn)));
    }
    return _mm256_movemask_pd(_mm256_cmp_pd(lhs, rhs, _CMP_LE_OQ));
}

INLINE void put_bits(uint64_t *bits, int x, uint64_t mask, int nbits)
{
    int sh = x & 63;
    bits[x >> 6] |= mask << sh;
    if (sh + nbits > 64)
        bits[(x >> 6) + 1] |= mask >> (64 - sh);
}

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

/* uint32 lanes to exact doubles (AVX2 converts only signed int32). */
INLINE __m256d u32_to_pd(__m128i v)
{
    __m128i flipped = _mm_xor_si128(v, _mm_set1_epi32((int)0x80000000u));
    return _mm256_add_pd(_mm256_cvtepi32_pd(flipped), _mm256_set1_pd(2147483648.0));
}

INLINE void row_meanvar(db_winmethod m, const void *p, const db_winrow *row, uint64_t *bits)
{
    int lo, hi, r = row->r;
    interior(row, &lo, &hi);
    scalar_cols(m, p, row, 0, lo, bits);
    rowc k;
    {
        double n = (double)((2 * r + 1) * row->ny);
        k.n = _mm256_set1_pd(n);
        k.c = k.mn = k.n;
        if (m == DB_WM_WOLF) {
            const db_wolf_params *W = p;
            k.c = _mm256_set1_pd(W->inv_rmax / n);
            k.mn = _mm256_set1_pd(W->mmin * n);
        }
    }
    const uint32_t *ps = row->ps, *pq = row->pq;
    int x = lo;
    for (; x + 8 <= hi; x += 8) {
        __m256i s32 = _mm256_sub_epi32(_mm256_loadu_si256((const void *)(ps + x + r + 1)),
                                       _mm256_loadu_si256((const void *)(ps + x - r)));
        __m256i q32 = _mm256_sub_epi32(_mm256_loadu_si256((const void *)(pq + x + r + 1)),
                                       _mm256_loadu_si256((const void *)(pq + x - r)));
        __m256i g32 = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const void *)(row->g + x)));
        int k0 = decide4(m, p, _mm256_cvtepi32_pd(_mm256_castsi256_si128(g32)), &k,
                         u32_to_pd(_mm256_castsi256_si128(s32)),
                         u32_to_pd(_mm256_castsi256_si128(q32)));
        int k1 = decide4(m, p, _mm256_cvtepi32_pd(_mm256_extracti128_si256(g32, 1)), &k,
                         u32_to_pd(_mm256_extracti128_si256(s32, 1)),
                         u32_to_pd(_mm256_extracti128_si256(q32, 1)));
        put_bits(bits, x, (uint64_t)(k0 | k1 << 4), 8);
    }
    scalar_cols(m, p, row, x, row->width, bits);
}

void db_niblack_row_avx2(const void *p, const db_winrow *row, uint64_t *bits, double *acc)
{
    row_meanvar(DB_WM_NIBLACK, p, row, bits);
}
void db_sauvola_row_avx2(const void *p, const db_winrow *row, uint64_t *bits, double *acc)
{
    row_meanvar(DB_WM_SAUVOLA, p, row, bits);
}
void db_wolf_row_avx2(const void *p, const db_winrow *row, uint64_t *bits, double *acc)
{
    row_meanvar(DB_WM_WOLF, p, row, bits);
}
void db_nick_row_avx2(const void *p, const db_winrow *row, uint64_t *bits, double *acc)
{
    row_meanvar(DB_WM_NICK, p, row, bits);
}

/* Bradley in int32, exact for windows <= DB_WINDOW_NARROW (see avx512). */
void db_bradley_row_avx2(const void *params, const db_winrow *row, uint64_t *bits,
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
    const __m256i n100 = _mm256_set1_epi32((2 * r + 1) * row->ny * 100);
    const __m256i f = _mm256_set1_epi32(100 - p->t);
    const uint32_t *ps = row->ps;
    int x = lo;
    for (; x + 8 <= hi; x += 8) {
        __m256i s = _mm256_sub_epi32(_mm256_loadu_si256((const void *)(ps + x + r + 1)),
                                     _mm256_loadu_si256((const void *)(ps + x - r)));
        __m256i g = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const void *)(row->g + x)));
        /* a <= b  <=>  !(a > b) */
        __m256i gt = _mm256_cmpgt_epi32(_mm256_mullo_epi32(g, n100), _mm256_mullo_epi32(s, f));
        int k = ~_mm256_movemask_ps(_mm256_castsi256_ps(gt)) & 0xff;
        put_bits(bits, x, (uint64_t)k, 8);
    }
    for (; x < row->width; x++) {
        int n;
        uint32_t s;
        uint64_t q;
        db_winrow_stats(row, x, &n, &s, &q);
        if (db_bradley_ink(p, row->g[x], n, s))
            bits[x >> 6] |= (uint64_t)1 << (x & 63);
    }
}

#else /* not built with AVX2: never selected, kept linkable */

void db_niblack_row_avx2(const void *p, const db_winrow *row, uint64_t *bits, double *acc)
{
    db_niblack_row_ref(p, row, bits, acc);
}
void db_sauvola_row_avx2(const void *p, const db_winrow *row, uint64_t *bits, double *acc)
{
    db_sauvola_row_ref(p, row, bits, acc);
}
void db_wolf_row_avx2(const void *p, const db_winrow *row, uint64_t *bits, double *acc)
{
    db_wolf_row_ref(p, row, bits, acc);
}
void db_nick_row_avx2(const void *p, const db_winrow *row, uint64_t *bits, double *acc)
{
    db_nick_row_ref(p, row, bits, acc);
}
void db_bradley_row_avx2(const void *p, const db_winrow *row, uint64_t *bits, double *acc)
{
    db_bradley_row_ref(p, row, bits, acc);
}
#endif
