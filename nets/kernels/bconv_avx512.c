/* bconv_avx512.c - AVX-512 + VPOPCNTDQ kernels, bit-identical to
 * bconv_ref.c. Binary conv: a register block of P output pixels x G groups of
 * 8 output channels (one 64-bit popcount lane per channel); each activation
 * word is broadcast once and each weight vector loaded once per block, so the
 * inner loop is xor + vpopcntq + add on P*G accumulators. Float transforms
 * keep the scalar operation order of graph.h (mul, add, no FMA). */
#include "nets/kernels/kernels.h"

#define DBK_LANES 16
#include "nets/kernels/planar_simd.h"

#include <immintrin.h>
#include <string.h>

#define ALWAYS_INLINE static inline __attribute__((always_inline))

ALWAYS_INLINE void bconv_block(const uint64_t *in, size_t in_row, int words, int k, int stride,
                               const uint64_t *w, size_t cout8, int cout, int og, int32_t K,
                               int32_t *acc, const int P, const int G, const int KS)
{
    __m512i s[4][8];
#pragma GCC unroll 8
    for (int p = 0; p < P; p++)
#pragma GCC unroll 8
        for (int g = 0; g < G; g++)
            s[p][g] = _mm512_setzero_si512();
    size_t pstep = (size_t)stride * (size_t)words;
    int kk = KS ? KS : k; /* KS: kernel size known at compile time (0 = runtime) */
#pragma GCC unroll 3
    for (int ky = 0; ky < kk; ky++) {
#pragma GCC unroll 3
        for (int kx = 0; kx < kk; kx++) {
            const uint64_t *a = in + (size_t)ky * in_row + (size_t)kx * (size_t)words;
            const uint64_t *wt =
                w + (size_t)(ky * kk + kx) * (size_t)words * cout8 + (size_t)og * 8;
            for (int q = 0; q < words; q++) {
                __m512i av[4];
#pragma GCC unroll 8
                for (int p = 0; p < P; p++)
                    av[p] = _mm512_set1_epi64((long long)a[(size_t)p * pstep + (size_t)q]);
#pragma GCC unroll 8
                for (int g = 0; g < G; g++) {
                    __m512i wv =
                        _mm512_loadu_si512((const void *)(wt + (size_t)q * cout8 + (size_t)g * 8));
#pragma GCC unroll 8
                    for (int p = 0; p < P; p++)
                        s[p][g] = _mm512_add_epi64(
                            s[p][g], _mm512_popcnt_epi64(_mm512_xor_si512(av[p], wv)));
                }
            }
        }
    }
    __m256i kv = _mm256_set1_epi32(K);
#pragma GCC unroll 8
    for (int p = 0; p < P; p++)
#pragma GCC unroll 8
        for (int g = 0; g < G; g++) {
            int o0 = (og + g) * 8;
            __m256i pc = _mm512_cvtepi64_epi32(s[p][g]);
            __m256i r = _mm256_sub_epi32(kv, _mm256_slli_epi32(pc, 1));
            int left = cout - o0;
            __mmask8 m = left >= 8 ? (__mmask8)0xff : (__mmask8)((1u << left) - 1u);
            _mm256_mask_storeu_epi32(acc + (size_t)p * (size_t)cout + (size_t)o0, m, r);
        }
}

/* Blocks of P pixels x G channel groups; P*G <= 16 accumulators plus the
 * weight and broadcast registers fit the 32 zmm registers. */
#define BLOCK(PP, GG, KK)                                                                          \
    bconv_block(px, in_row, words, k, stride, w, cout8, cout, og, K, ac, PP, GG, KK)
#define PSWITCH(GG, KK)                                                                            \
    switch (P) {                                                                                   \
    case 1: BLOCK(1, GG, KK); break;                                                               \
    case 2: BLOCK(2, GG, KK); break;                                                               \
    case 3: BLOCK(3, GG, KK); break;                                                               \
    default: BLOCK(4, GG, KK); break;                                                              \
    }

static void bconv_avx512(const uint64_t *in, size_t in_row, int words, int k, int stride, int n,
                         const uint64_t *w, int cout, int32_t K, int32_t *acc)
{
    size_t cout8 = (size_t)db_cout8(cout);
    int ngroups = (int)(cout8 / 8);
    /* 8 groups (64 channels) x 2 pixels when there are that many channels,
     * else up to 4 groups x 4 pixels */
    int gstep = ngroups >= 8 ? 8 : 4, pmax = gstep == 8 ? 2 : 4;
    for (int og = 0; og < ngroups; og += gstep) {
        int G = ngroups - og < gstep ? ngroups - og : gstep;
        for (int j = 0; j < n; j += pmax) {
            int P = n - j < pmax ? n - j : pmax;
            const uint64_t *px = in + (size_t)j * (size_t)stride * (size_t)words;
            int32_t *ac = acc + (size_t)j * (size_t)cout;
            if (k == 3) {
                switch (G) {
                case 1: PSWITCH(1, 3); break;
                case 2: PSWITCH(2, 3); break;
                case 3: PSWITCH(3, 3); break;
                case 4: PSWITCH(4, 3); break;
                case 5: PSWITCH(5, 3); break;
                case 6: PSWITCH(6, 3); break;
                case 7: PSWITCH(7, 3); break;
                default: PSWITCH(8, 3); break;
                }
            } else {
                switch (G) {
                case 1: PSWITCH(1, 0); break;
                case 2: PSWITCH(2, 0); break;
                case 3: PSWITCH(3, 0); break;
                case 4: PSWITCH(4, 0); break;
                case 5: PSWITCH(5, 0); break;
                case 6: PSWITCH(6, 0); break;
                case 7: PSWITCH(7, 0); break;
                default: PSWITCH(8, 0); break;
                }
            }
        }
    }
}

/* bconv_pair: a register block of P pixels x G groups of 8 channels; per
 * kernel row each pixel's pair word (taps 0 and 1, built in a GPR) and tap-2
 * word are broadcast once. */
ALWAYS_INLINE void bconv_pair_block(const uint64_t *in, size_t in_row, int stride,
                                    const uint64_t *wp, size_t cout8, int cout, int og, int32_t K,
                                    int32_t *acc, const int P, const int G)
{
    __m512i s[4][8];
#pragma GCC unroll 8
    for (int p = 0; p < P; p++)
#pragma GCC unroll 8
        for (int g = 0; g < G; g++)
            s[p][g] = _mm512_setzero_si512();
#pragma GCC unroll 3
    for (int ky = 0; ky < 3; ky++) {
        const uint64_t *a = in + (size_t)ky * in_row;
        __m512i ap[4], a2[4];
#pragma GCC unroll 4
        for (int p = 0; p < P; p++) {
            const uint64_t *px = a + (size_t)p * (size_t)stride;
            ap[p] = _mm512_set1_epi64((long long)(px[0] | px[1] << 32));
            a2[p] = _mm512_set1_epi64((long long)px[2]);
        }
        const uint64_t *w01 = wp + (size_t)(2 * ky) * cout8 + (size_t)og * 8;
        const uint64_t *w2 = w01 + cout8;
#pragma GCC unroll 8
        for (int g = 0; g < G; g++) {
            __m512i v01 = _mm512_loadu_si512((const void *)(w01 + (size_t)g * 8));
            __m512i v2 = _mm512_loadu_si512((const void *)(w2 + (size_t)g * 8));
#pragma GCC unroll 4
            for (int p = 0; p < P; p++) {
                s[p][g] = _mm512_add_epi64(s[p][g], _mm512_popcnt_epi64(_mm512_xor_si512(ap[p], v01)));
                s[p][g] = _mm512_add_epi64(s[p][g], _mm512_popcnt_epi64(_mm512_xor_si512(a2[p], v2)));
            }
        }
    }
    __m256i kv = _mm256_set1_epi32(K);
#pragma GCC unroll 4
    for (int p = 0; p < P; p++)
#pragma GCC unroll 8
        for (int g = 0; g < G; g++) {
            int o0 = (og + g) * 8;
            __m256i r = _mm256_sub_epi32(kv, _mm256_slli_epi32(_mm512_cvtepi64_epi32(s[p][g]), 1));
            int left = cout - o0;
            __mmask8 m = left >= 8 ? (__mmask8)0xff : (__mmask8)((1u << left) - 1u);
            _mm256_mask_storeu_epi32(acc + (size_t)p * (size_t)cout + (size_t)o0, m, r);
        }
}

#define PBLOCK(PP, GG)                                                                             \
    bconv_pair_block(px, in_row, stride, wp, cout8, cout, og, K, ac, PP, GG)
#define PPSWITCH(GG)                                                                               \
    switch (P) {                                                                                   \
    case 1: PBLOCK(1, GG); break;                                                                  \
    case 2: PBLOCK(2, GG); break;                                                                  \
    case 3: PBLOCK(3, GG); break;                                                                  \
    default: PBLOCK(4, GG); break;                                                                 \
    }

static void bconv_pair_avx512(const uint64_t *in, size_t in_row, int stride, int n,
                              const uint64_t *wp, int cout, int32_t K, int32_t *acc)
{
    size_t cout8 = (size_t)db_cout8(cout);
    int ngroups = (int)(cout8 / 8);
    int gstep = ngroups >= 8 ? 8 : 4, pmax = gstep == 8 ? 2 : 4;
    for (int og = 0; og < ngroups; og += gstep) {
        int G = ngroups - og < gstep ? ngroups - og : gstep;
        for (int j = 0; j < n; j += pmax) {
            int P = n - j < pmax ? n - j : pmax;
            const uint64_t *px = in + (size_t)j * (size_t)stride;
            int32_t *ac = acc + (size_t)j * (size_t)cout;
            switch (G) {
            case 1: PPSWITCH(1); break;
            case 2: PPSWITCH(2); break;
            case 3: PPSWITCH(3); break;
            case 4: PPSWITCH(4); break;
            case 5: PPSWITCH(5); break;
            case 6: PPSWITCH(6); break;
            case 7: PPSWITCH(7); break;
            default: PPSWITCH(8); break;
            }
        }
    }
}

/* Loads/stores of 16 lanes, unmasked when all are live (masked stores that
 * miss the cache are slow on some cores). */
ALWAYS_INLINE __m512 ld16(__mmask16 m, const float *p)
{
    return m == 0xffff ? _mm512_loadu_ps(p) : _mm512_maskz_loadu_ps(m, p);
}

/* BN and RPReLU of the db_bpost chain on 16 channels from o. */
ALWAYS_INLINE __m512 chain16(const db_bpost *p, int o, __mmask16 m, __m512 y)
{
    if (p->bn_scale) {
        y = _mm512_mul_ps(y, ld16(m, p->bn_scale + o));
        y = _mm512_add_ps(y, ld16(m, p->bn_bias + o));
    }
    if (p->rp_s1) {
        __m512 t = _mm512_add_ps(y, ld16(m, p->rp_s1 + o));
        __mmask16 pos = _mm512_cmp_ps_mask(t, _mm512_setzero_ps(), _CMP_GT_OQ);
        __m512 neg = _mm512_mul_ps(t, ld16(m, p->rp_slope + o));
        y = _mm512_mask_blend_ps(pos, neg, t);
        y = _mm512_add_ps(y, ld16(m, p->rp_s2 + o));
    }
    return y;
}

/* 16 channels of the db_bpost chain; lanes outside m are not used. */
ALWAYS_INLINE __m512 bpost16(const db_bpost *p, int o, __mmask16 m, const int32_t *a,
                             const float *res, const float *lo)
{
    __m512i av = m == 0xffff ? _mm512_loadu_si512((const void *)(a + o))
                             : _mm512_maskz_loadu_epi32(m, a + o);
    __m512 y = _mm512_cvtepi32_ps(av);
    y = chain16(p, o, m, _mm512_mul_ps(y, ld16(m, p->alpha + o)));
    if (res)
        y = _mm512_add_ps(y, lo ? _mm512_add_ps(ld16(m, lo + o), ld16(m, res + o))
                                : ld16(m, res + o));
    return y;
}

static inline __mmask16 lane_mask(int left)
{
    return left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1u);
}

/* The db_bpost chain for up to 32 pixels and 512 channels, a group of 16
 * channels at a time: its parameters stay in registers over the pixels, and
 * the bits gather in wb before one store per word. Input: the accumulators
 * acc (bpost: times alpha) or, when acc is NULL, the floats x (fpost). The
 * same lanes, the same operations as bpost16 / chain16 per pixel. */
static void post_cols(const db_bpost *pp, const int32_t *acc, const float *x, int n,
                      const float *res, const float *lo, float *out, uint64_t *bits)
{
    int c = pp->cout, words = db_words(c);
    uint64_t wb[32 * 8];
    memset(wb, 0, sizeof wb);
    for (int o = 0; o < c; o += 16) {
        __mmask16 m = lane_mask(c - o);
        __m512 zero = _mm512_setzero_ps(), al = acc ? ld16(m, pp->alpha + o) : zero;
        __m512 sc = zero, bi = zero, s1 = zero, sl = zero, s2 = zero, th = zero;
        if (pp->bn_scale) {
            sc = ld16(m, pp->bn_scale + o);
            bi = ld16(m, pp->bn_bias + o);
        }
        if (pp->rp_s1) {
            s1 = ld16(m, pp->rp_s1 + o);
            sl = ld16(m, pp->rp_slope + o);
            s2 = ld16(m, pp->rp_s2 + o);
        }
        if (bits)
            th = ld16(m, pp->thr + o);
        int q = o >> 6, sh = o & 63;
        for (int j = 0; j < n; j++) {
            size_t at = (size_t)j * (size_t)c + (size_t)o;
            __m512 y;
            if (acc) {
                __m512i av = m == 0xffff ? _mm512_loadu_si512((const void *)(acc + at))
                                         : _mm512_maskz_loadu_epi32(m, acc + at);
                y = _mm512_mul_ps(_mm512_cvtepi32_ps(av), al);
            } else {
                y = ld16(m, x + at);
            }
            if (pp->bn_scale)
                y = _mm512_add_ps(_mm512_mul_ps(y, sc), bi);
            if (pp->rp_s1) {
                __m512 t = _mm512_add_ps(y, s1);
                __mmask16 pos = _mm512_cmp_ps_mask(t, zero, _CMP_GT_OQ);
                y = _mm512_add_ps(_mm512_mask_blend_ps(pos, _mm512_mul_ps(t, sl), t), s2);
            }
            if (res)
                y = _mm512_add_ps(y, lo ? _mm512_add_ps(ld16(m, lo + (size_t)(j / 2) * (size_t)c +
                                                                    (size_t)o),
                                                        ld16(m, res + at))
                                        : ld16(m, res + at));
            if (out) {
                if (m == 0xffff && pp->stream && ((uintptr_t)(out + at) & 63) == 0)
                    _mm512_stream_ps(out + at, y);
                else if (m == 0xffff)
                    _mm512_storeu_ps(out + at, y);
                else
                    _mm512_mask_storeu_ps(out + at, m, y);
            }
            if (bits) {
                __mmask16 neg = _mm512_mask_cmp_ps_mask(m, _mm512_add_ps(y, th), zero, _CMP_LT_OQ);
                wb[j * words + q] |= (uint64_t)neg << sh;
            }
        }
    }
    if (bits)
        memcpy(bits, wb, (size_t)n * (size_t)words * sizeof *bits);
}

/* bpost (acc) or fpost (x, acc NULL) of n pixels: post_cols in blocks of 32
 * pixels up to 512 channels, else pixel by pixel. */
static void post_avx512(const db_bpost *p, const int32_t *acc, const float *x, int n,
                        const float *res, float *out, uint64_t *bits)
{
    const db_bpost pp = *p; /* a local copy: stores below cannot alias it */
    int c = pp.cout, words = db_words(c);
    if (words <= 8) {
        for (int j = 0; j < n; j += 32) {
            size_t at = (size_t)j * (size_t)c;
            const float *lo = acc && pp.res_lo ? pp.res_lo + (size_t)(j / 2) * (size_t)c : NULL;
            post_cols(&pp, acc ? acc + at : NULL, acc ? NULL : x + at, n - j < 32 ? n - j : 32,
                      res ? res + at : NULL, lo, out ? out + at : NULL,
                      bits ? bits + (size_t)j * (size_t)words : NULL);
        }
    } else {
        for (int j = 0; j < n; j++) {
            size_t at = (size_t)j * (size_t)c;
            const float *r = res ? res + at : NULL;
            const float *lo = acc && pp.res_lo ? pp.res_lo + (size_t)(j / 2) * (size_t)c : NULL;
            float *y = out ? out + at : NULL;
            uint64_t *b = bits ? bits + (size_t)j * (size_t)words : NULL;
            for (int q = 0; q < words; q++) {
                uint64_t word = 0;
                for (int s = 0; s < 4; s++) {
                    int o = q * 64 + s * 16;
                    if (o >= c)
                        break;
                    __mmask16 m = lane_mask(c - o);
                    __m512 v = acc ? bpost16(&pp, o, m, acc + at, r, lo)
                                   : chain16(&pp, o, m, ld16(m, x + at + o));
                    if (y) {
                        /* a full map written once and read a layer later from
                         * memory: a streaming store saves reading each line
                         * before it is written */
                        if (m == 0xffff && pp.stream && ((uintptr_t)(y + o) & 63) == 0)
                            _mm512_stream_ps(y + o, v);
                        else if (m == 0xffff)
                            _mm512_storeu_ps(y + o, v);
                        else
                            _mm512_mask_storeu_ps(y + o, m, v);
                    }
                    if (b) {
                        __m512 t = _mm512_add_ps(v, ld16(m, pp.thr + o));
                        __mmask16 neg =
                            _mm512_mask_cmp_ps_mask(m, t, _mm512_setzero_ps(), _CMP_LT_OQ);
                        word |= (uint64_t)neg << (s * 16);
                    }
                }
                if (b)
                    b[q] = word;
            }
        }
    }
    if (pp.stream && out)
        _mm_sfence(); /* order the streamed lines before later stores */
}

static void bpost_avx512(const db_bpost *p, const int32_t *acc, int n, const float *res, float *out,
                         uint64_t *bits)
{
    post_avx512(p, acc, NULL, n, res, out, bits);
}

static void fpost_avx512(const db_bpost *p, const float *x, int n, float *out, uint64_t *bits)
{
    post_avx512(p, NULL, x, n, NULL, out, bits);
}

/* Channel planes of a row by in-register permutes, 16 output pixels per
 * vector: 8 channels upsampled x2 (the head's narrowed map: 8 low pixels,
 * four vectors, per block) and 3 channels at full size (the input); other
 * shapes and the row tails by the reference (plain copies: same values). */
static void planes_avx512(const float *src, int c, int w, bool up, float *dst)
{
    int x = 0;
    if (c == 8 && up) {
        for (int ci = 0; ci < 8; ci++) {
            /* lanes t = 0..7 of a pair of vectors: element (t/2)*8 + ci */
            __m512i idx = _mm512_setr_epi32(ci, ci, 8 + ci, 8 + ci, 16 + ci, 16 + ci, 24 + ci,
                                            24 + ci, ci, ci, 8 + ci, 8 + ci, 16 + ci, 16 + ci,
                                            24 + ci, 24 + ci);
            float *d = dst + (size_t)ci * (size_t)w;
            for (x = 0; x + 16 <= w; x += 16) {
                const float *s = src + (size_t)(x / 2) * 8;
                __m512 p = _mm512_permutex2var_ps(_mm512_loadu_ps(s), idx, _mm512_loadu_ps(s + 16));
                __m512 q = _mm512_permutex2var_ps(_mm512_loadu_ps(s + 32), idx,
                                                  _mm512_loadu_ps(s + 48));
                _mm512_storeu_ps(d + x, _mm512_shuffle_f32x4(p, q, 0x44));
            }
        }
    } else if (c == 3 && !up) {
        for (int ci = 0; ci < 3; ci++) {
            /* lane t: element 3t + ci of 48; the first 32 from two vectors,
             * the rest from the third */
            __m512i idx = _mm512_add_epi32(
                _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
                                                     14, 15),
                                   _mm512_set1_epi32(3)),
                _mm512_set1_epi32(ci));
            __mmask16 hi = _mm512_cmp_epi32_mask(idx, _mm512_set1_epi32(32), _MM_CMPINT_NLT);
            __m512i idx2 = _mm512_sub_epi32(idx, _mm512_set1_epi32(32));
            float *d = dst + (size_t)ci * (size_t)w;
            for (x = 0; x + 16 <= w; x += 16) {
                const float *s = src + (size_t)x * 3;
                __m512 p = _mm512_permutex2var_ps(_mm512_loadu_ps(s), idx, _mm512_loadu_ps(s + 16));
                p = _mm512_mask_permutexvar_ps(p, hi, idx2, _mm512_loadu_ps(s + 32));
                _mm512_storeu_ps(d + x, p);
            }
        }
    }
    /* [x, w) of every plane (x is the same for every channel above) */
    for (int ci = 0; ci < c; ci++)
        for (int t = x; t < w; t++)
            dst[(size_t)ci * (size_t)w + (size_t)t] =
                src[(size_t)(up ? t / 2 : t) * (size_t)c + (size_t)ci];
}

static void add_up2_avx512(const float *lo, const float *full, int c, int w, const float *thr,
                           float *out, uint64_t *bits)
{
    int words = db_words(c);
    for (int x = 0; x < w; x++) {
        const float *l = lo + (size_t)(x / 2) * (size_t)c, *f = full + (size_t)x * (size_t)c;
        float *y = out + (size_t)x * (size_t)c;
        uint64_t *b = bits ? bits + (size_t)x * (size_t)words : NULL;
        for (int q = 0; q < words; q++) {
            uint64_t word = 0;
            for (int s = 0; s < 4; s++) {
                int o = q * 64 + s * 16;
                if (o >= c)
                    break;
                __mmask16 m = lane_mask(c - o);
                __m512 v = _mm512_add_ps(ld16(m, l + o), ld16(m, f + o));
                if (m == 0xffff)
                    _mm512_storeu_ps(y + o, v);
                else
                    _mm512_mask_storeu_ps(y + o, m, v);
                if (b) {
                    __m512 t = _mm512_add_ps(v, ld16(m, thr + o));
                    __mmask16 neg = _mm512_mask_cmp_ps_mask(m, t, _mm512_setzero_ps(), _CMP_LT_OQ);
                    word |= (uint64_t)neg << (s * 16);
                }
            }
            if (b)
                b[q] = word;
        }
    }
}

static void bthresh_avx512(const db_bthresh *t, const int32_t *acc, int n, uint64_t *bits)
{
    if (t->table) { /* non-monotone channels are rare: the reference handles them */
        db_kernels_ref.bthresh(t, acc, n, bits);
        return;
    }
    int c = t->cout, words = db_words(c);
    for (int j = 0; j < n; j++) {
        const int32_t *a = acc + (size_t)j * (size_t)c;
        uint64_t *b = bits + (size_t)j * (size_t)words;
        for (int q = 0; q < words; q++) {
            uint64_t word = 0;
            for (int s = 0; s < 4; s++) {
                int o = q * 64 + s * 16;
                if (o >= c)
                    break;
                __mmask16 m = lane_mask(c - o);
                __m512i av = _mm512_maskz_loadu_epi32(m, a + o);
                __m512i tv = _mm512_maskz_loadu_epi32(m, t->t + o);
                __mmask16 ge = _mm512_mask_cmp_epi32_mask(m, av, tv, _MM_CMPINT_NLT);
                __mmask16 pol = _mm_mask_cmpneq_epi8_mask(m, _mm_maskz_loadu_epi8(m, t->pol + o),
                                                          _mm_setzero_si128());
                word |= (uint64_t)(__mmask16)((ge ^ pol) & m) << (s * 16);
            }
            b[q] = word;
        }
    }
}

static void pack_avx512(const float *x, int n, int c, const float *thr, uint64_t *bits)
{
    int words = db_words(c);
    for (int j = 0; j < n; j++) {
        const float *xp = x + (size_t)j * (size_t)c;
        uint64_t *b = bits + (size_t)j * (size_t)words;
        for (int q = 0; q < words; q++) {
            uint64_t word = 0;
            for (int s = 0; s < 4; s++) {
                int o = q * 64 + s * 16;
                if (o >= c)
                    break;
                __mmask16 m = lane_mask(c - o);
                __m512 v = ld16(m, xp + o);
                if (thr)
                    v = _mm512_add_ps(v, ld16(m, thr + o));
                __mmask16 neg = _mm512_mask_cmp_ps_mask(m, v, _mm512_setzero_ps(), _CMP_LT_OQ);
                word |= (uint64_t)neg << (s * 16);
            }
            b[q] = word;
        }
    }
}

/* CONV_REAL to one channel, stride 1, blocks of 64 output pixels whose taps
 * all lie inside the row: the block's input columns are transposed to planes
 * (one per input channel, on the stack) so each tap is a plain load, and the
 * four 16-pixel accumulators run as independent chains, each lane in the
 * reference order (ky, kx, ci). Pixels [*jb, *je) are done; the caller does
 * the others with the masked gather path. */
enum { HEAD_MAXC = 32, HEAD_SPAN = 64 + 6 };
static void conv_real1_interior(const float *const *rows, int in_w, int cin, int k, int n,
                                const float *wt, const float *bias, float *out, int *jb, int *je)
{
    int half = k / 2;
    *jb = *je = 0;
    if (half > 3)
        return;
    float plane[HEAD_MAXC * HEAD_SPAN] __attribute__((aligned(64)));
    int j = half; /* the first pixel whose left taps are inside */
    for (; j + 64 + half <= in_w && j + 64 <= n; j += 64) {
        __m512 acc[4];
        for (int b = 0; b < 4; b++)
            acc[b] = _mm512_setzero_ps();
        for (int ky = 0; ky < k; ky++) {
            if (!rows[ky])
                continue;
            const float *src = rows[ky] + (size_t)(j - half) * (size_t)cin;
            int span = 64 + 2 * half;
            for (int t = 0; t < span; t++)
                for (int ci = 0; ci < cin; ci++)
                    plane[ci * HEAD_SPAN + t] = src[(size_t)t * (size_t)cin + (size_t)ci];
            for (int kx = 0; kx < k; kx++) {
                const float *wp = wt + (size_t)(ky * k + kx) * (size_t)cin;
                for (int ci = 0; ci < cin; ci++) {
                    __m512 wv = _mm512_set1_ps(wp[ci]);
                    const float *pp = plane + ci * HEAD_SPAN + kx;
                    for (int b = 0; b < 4; b++)
                        acc[b] = _mm512_add_ps(acc[b],
                                               _mm512_mul_ps(wv, _mm512_loadu_ps(pp + 16 * b)));
                }
            }
        }
        for (int b = 0; b < 4; b++)
            _mm512_storeu_ps(out + j + 16 * b, _mm512_add_ps(acc[b], _mm512_set1_ps(bias[0])));
    }
    if (j > half) {
        *jb = half;
        *je = j;
    }
}

/* Register block of P interior pixels x G groups of 16 output channels (the
 * last group's live lanes in ml), P*G <= 16 accumulators: each weight vector is
 * loaded once per tap and channel and each input sample broadcast once for
 * all G groups. Every lane keeps the reference order (ky, kx, ci), + bias. */
ALWAYS_INLINE void conv_real_block(const float *const *rows, int cin, int k, int stride, int j,
                                   const float *wt, const float *bias, int cout, float *out,
                                   __mmask16 ml, const int P, const int G)
{
    int half = k / 2;
    __m512 acc[8][4];
#pragma GCC unroll 8
    for (int p = 0; p < P; p++)
#pragma GCC unroll 4
        for (int g = 0; g < G; g++)
            acc[p][g] = _mm512_setzero_ps();
    size_t ps = (size_t)stride * (size_t)cin;
    for (int ky = 0; ky < k; ky++) {
        if (!rows[ky])
            continue;
        for (int kx = 0; kx < k; kx++) {
            const float *xp = rows[ky] + (size_t)(j * stride - half + kx) * (size_t)cin;
            const float *wp = wt + (size_t)(ky * k + kx) * (size_t)cin * (size_t)cout;
            for (int ci = 0; ci < cin; ci++) {
                __m512 wv[4];
#pragma GCC unroll 4
                for (int g = 0; g < G; g++)
                    wv[g] = ld16(g == G - 1 ? ml : (__mmask16)0xffff,
                                 wp + (size_t)ci * (size_t)cout + (size_t)(16 * g));
#pragma GCC unroll 8
                for (int p = 0; p < P; p++) {
                    __m512 xv = _mm512_set1_ps(xp[(size_t)p * ps + (size_t)ci]);
#pragma GCC unroll 4
                    for (int g = 0; g < G; g++)
                        acc[p][g] = _mm512_add_ps(acc[p][g], _mm512_mul_ps(wv[g], xv));
                }
            }
        }
    }
#pragma GCC unroll 8
    for (int p = 0; p < P; p++)
#pragma GCC unroll 4
        for (int g = 0; g < G; g++) {
            __mmask16 m = g == G - 1 ? ml : (__mmask16)0xffff;
            __m512 r = _mm512_add_ps(acc[p][g], ld16(m, bias + 16 * g));
            float *o = out + (size_t)(j + p) * (size_t)cout + (size_t)(16 * g);
            if (m == 0xffff)
                _mm512_storeu_ps(o, r);
            else
                _mm512_mask_storeu_ps(o, m, r);
        }
}

/* 1x1 CONV_REAL to 8 channels (the U-Net head's narrowing): two pixels per
 * vector (lane 8*p + o), four pairs as independent chains; each lane in the
 * reference order (ci), + bias. Returns the first pixel not done. */
static int conv_real_1x1_c8(const float *row, int cin, int n, const float *wt, const float *bias,
                            float *out)
{
    int j = 0;
    __m256 b8 = _mm256_loadu_ps(bias);
    __m512 bv = _mm512_insertf32x8(_mm512_castps256_ps512(b8), b8, 1);
    for (; j + 8 <= n; j += 8) {
        __m512 acc[4];
        for (int p = 0; p < 4; p++)
            acc[p] = _mm512_setzero_ps();
        const float *xp = row + (size_t)j * (size_t)cin;
        for (int ci = 0; ci < cin; ci++) {
            __m256 w8 = _mm256_loadu_ps(wt + (size_t)ci * 8);
            __m512 wv = _mm512_insertf32x8(_mm512_castps256_ps512(w8), w8, 1);
#pragma GCC unroll 4
            for (int p = 0; p < 4; p++) {
                __m512 xv = _mm512_insertf32x8(_mm512_set1_ps(xp[(size_t)(2 * p) * (size_t)cin + ci]),
                                               _mm256_set1_ps(xp[(size_t)(2 * p + 1) * (size_t)cin + ci]),
                                               1);
                acc[p] = _mm512_add_ps(acc[p], _mm512_mul_ps(wv, xv));
            }
        }
        for (int p = 0; p < 4; p++)
            _mm512_storeu_ps(out + (size_t)(j + 2 * p) * 8, _mm512_add_ps(acc[p], bv));
    }
    return j;
}

/* CONV_REAL: 16 output channels per vector, or for a single output channel
 * (the 1x1 head) 16 pixels per vector with gathered inputs; masked adds
 * stand for the skipped taps, so every lane follows the reference order. */
static void conv_real_avx512(const float *const *rows, int in_w, int cin, int k, int stride, int n,
                             const float *wt, const float *bias, int cout, float *out)
{
    int half = k / 2;
    if (k == 1 && stride == 1 && cout == 8 && rows[0]) {
        int j = conv_real_1x1_c8(rows[0], cin, n, wt, bias, out);
        db_conv_real_ref_range(rows, in_w, cin, k, stride, j, n, wt, bias, cout, out);
        return;
    }
    if (cout == 1) {
        __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        int jb = 0, je = 0;
        if (stride == 1 && cin <= HEAD_MAXC)
            conv_real1_interior(rows, in_w, cin, k, n, wt, bias, out, &jb, &je);
        /* [0, jb) then [je, n) */
        for (int j = 0, end = jb; j < n; j += 16) {
            if (j >= end) {
                if (end == n)
                    break;
                j = je;
                end = n;
                if (j >= n)
                    break;
            }
            __mmask16 live = lane_mask(end - j);
            __m512 acc = _mm512_setzero_ps();
            __m512i jx = _mm512_mullo_epi32(_mm512_add_epi32(_mm512_set1_epi32(j), lane),
                                            _mm512_set1_epi32(stride));
            for (int ky = 0; ky < k; ky++) {
                if (!rows[ky])
                    continue;
                for (int kx = 0; kx < k; kx++) {
                    __m512i x = _mm512_add_epi32(jx, _mm512_set1_epi32(kx - half));
                    __mmask16 m = live &
                                  _mm512_cmp_epi32_mask(x, _mm512_setzero_si512(), _MM_CMPINT_NLT) &
                                  _mm512_cmp_epi32_mask(x, _mm512_set1_epi32(in_w), _MM_CMPINT_LT);
                    __m512i idx = _mm512_mullo_epi32(x, _mm512_set1_epi32(cin));
                    const float *wp = wt + (size_t)(ky * k + kx) * (size_t)cin;
                    for (int ci = 0; ci < cin; ci++) {
                        __m512 xv =
                            _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, idx, rows[ky] + ci, 4);
                        acc = _mm512_mask_add_ps(acc, m, acc,
                                                 _mm512_mul_ps(_mm512_set1_ps(wp[ci]), xv));
                    }
                }
            }
            acc = _mm512_add_ps(acc, _mm512_set1_ps(bias[0]));
            if (live == 0xffff)
                _mm512_storeu_ps(out + j, acc);
            else
                _mm512_mask_storeu_ps(out + j, live, acc);
        }
        return;
    }
    /* interior pixels (every tap inside the row) in blocks of 4, so four
     * independent accumulator chains hide the add latency */
    int jhi, jlo = db_conv_real_interior(in_w, k, stride, n, &jhi);
    bool fast = cout <= 64;
    if (fast) { /* the stem and the 1x1 head: register blocks */
        int G = (cout + 15) / 16, P = G <= 2 ? 8 : 4, j = jlo;
        __mmask16 ml = lane_mask(cout - 16 * (G - 1));
        for (; j + P <= jhi; j += P) {
            switch (G) {
            case 1: conv_real_block(rows, cin, k, stride, j, wt, bias, cout, out, ml, 8, 1); break;
            case 2: conv_real_block(rows, cin, k, stride, j, wt, bias, cout, out, ml, 8, 2); break;
            case 3: conv_real_block(rows, cin, k, stride, j, wt, bias, cout, out, ml, 4, 3); break;
            default: conv_real_block(rows, cin, k, stride, j, wt, bias, cout, out, ml, 4, 4); break;
            }
        }
        for (; j < jhi; j++) {
            switch (G) {
            case 1: conv_real_block(rows, cin, k, stride, j, wt, bias, cout, out, ml, 1, 1); break;
            case 2: conv_real_block(rows, cin, k, stride, j, wt, bias, cout, out, ml, 1, 2); break;
            case 3: conv_real_block(rows, cin, k, stride, j, wt, bias, cout, out, ml, 1, 3); break;
            default: conv_real_block(rows, cin, k, stride, j, wt, bias, cout, out, ml, 1, 4); break;
            }
        }
    }
    for (int j = jlo; !fast && j + 4 <= jhi; j += 4) {
        for (int o = 0; o < cout; o += 16) {
            __mmask16 m = lane_mask(cout - o);
            __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
            size_t ps = (size_t)stride * (size_t)cin;
            for (int ky = 0; ky < k; ky++) {
                if (!rows[ky])
                    continue;
                for (int kx = 0; kx < k; kx++) {
                    const float *xp = rows[ky] + (size_t)(j * stride - half + kx) * (size_t)cin;
                    const float *wp =
                        wt + (size_t)(ky * k + kx) * (size_t)cin * (size_t)cout + (size_t)o;
                    for (int ci = 0; ci < cin; ci++) {
                        __m512 wv = ld16(m, wp + (size_t)ci * (size_t)cout);
                        a0 = _mm512_add_ps(a0, _mm512_mul_ps(wv, _mm512_set1_ps(xp[ci])));
                        a1 = _mm512_add_ps(a1, _mm512_mul_ps(wv, _mm512_set1_ps(xp[ps + ci])));
                        a2 = _mm512_add_ps(a2,
                                           _mm512_mul_ps(wv, _mm512_set1_ps(xp[2 * ps + ci])));
                        a3 = _mm512_add_ps(a3,
                                           _mm512_mul_ps(wv, _mm512_set1_ps(xp[3 * ps + ci])));
                    }
                }
            }
            __m512 bv = ld16(m, bias + o);
            __m512 r[4] = {_mm512_add_ps(a0, bv), _mm512_add_ps(a1, bv), _mm512_add_ps(a2, bv),
                           _mm512_add_ps(a3, bv)};
            for (int p = 0; p < 4; p++) {
                float *op = out + (size_t)(j + p) * (size_t)cout + (size_t)o;
                if (m == 0xffff)
                    _mm512_storeu_ps(op, r[p]);
                else
                    _mm512_mask_storeu_ps(op, m, r[p]);
            }
        }
    }
    int jdone = fast ? jhi : jlo + (jhi - jlo) / 4 * 4; /* [jlo, jdone) done above */
    for (int j = 0; j < n; j++) {
        if (j == jlo && jdone > jlo)
            j = jdone;
        if (j >= n)
            break;
        for (int o = 0; o < cout; o += 16) {
            __mmask16 m = lane_mask(cout - o);
            __m512 acc = _mm512_setzero_ps();
            for (int ky = 0; ky < k; ky++) {
                if (!rows[ky])
                    continue;
                for (int kx = 0; kx < k; kx++) {
                    int x = j * stride - half + kx;
                    if (x < 0 || x >= in_w)
                        continue;
                    const float *xp = rows[ky] + (size_t)x * (size_t)cin;
                    const float *wp =
                        wt + (size_t)(ky * k + kx) * (size_t)cin * (size_t)cout + (size_t)o;
                    for (int ci = 0; ci < cin; ci++)
                        acc = _mm512_add_ps(acc,
                                            _mm512_mul_ps(ld16(m, wp + (size_t)ci * (size_t)cout),
                                                          _mm512_set1_ps(xp[ci])));
                }
            }
            acc = _mm512_add_ps(acc, ld16(m, bias + o));
            if (m == 0xffff)
                _mm512_storeu_ps(out + (size_t)j * (size_t)cout + (size_t)o, acc);
            else
                _mm512_mask_storeu_ps(out + (size_t)j * (size_t)cout + (size_t)o, m, acc);
        }
    }
}

/* Planar one-channel conv: 64 interior pixels per block as four 16-lane
 * accumulator chains, then 16 at a time (planar_simd.h). */
static void conv_real1_planar_avx512(const float *const *rows, int in_w, int cin, int k,
                                     const float *wt, float bias, float *out)
{
    dbk_conv_real1_planar(rows, in_w, cin, k, wt, bias, out, 1);
}

/* The integer stem (stem8.h): P output pixels x G groups of 16 channels of
 * int32 accumulators; per sample row and tap pair, one 32-bit broadcast of
 * the pair's two int16 samples per pixel, multiplied-and-summed against the
 * pair's weight vector (vpdpwssd: exact, so any order gives the reference). */
ALWAYS_INLINE void stem8_block(const int16_t *const *rows, int c, int n, int j, const int16_t *wq,
                               int cout, const float *scale, const float *const *off, float *out,
                               int g0, const int P, const int G)
{
    int cout16 = (cout + 15) & ~15, pairs = 3 * c;
    __m512i acc[8][2];
#pragma GCC unroll 8
    for (int p = 0; p < P; p++)
#pragma GCC unroll 2
        for (int g = 0; g < G; g++)
            acc[p][g] = _mm512_setzero_si512();
    for (int dy = 0; dy < 6; dy++) {
        const int16_t *x = rows[dy] + (size_t)(2 * j) * (size_t)c;
        const int16_t *w =
            wq + ((size_t)dy * (size_t)pairs * (size_t)cout16 + (size_t)(16 * g0)) * 2;
        for (int q = 0; q < pairs; q++) {
            __m512i wv[2];
#pragma GCC unroll 2
            for (int g = 0; g < G; g++)
                wv[g] = _mm512_loadu_si512((const void *)(w + ((size_t)q * (size_t)cout16 +
                                                               (size_t)(16 * g)) * 2));
#pragma GCC unroll 8
            for (int p = 0; p < P; p++) {
                int32_t two;
                memcpy(&two, x + (size_t)(2 * p) * (size_t)c + (size_t)(2 * q), sizeof two);
                __m512i b = _mm512_set1_epi32(two);
#pragma GCC unroll 2
                for (int g = 0; g < G; g++)
                    acc[p][g] = _mm512_dpwssd_epi32(acc[p][g], b, wv[g]);
            }
        }
    }
#pragma GCC unroll 8
    for (int p = 0; p < P; p++) {
        int jj = j + p;
        const float *oj = jj == 0 ? off[0] : jj == n - 1 ? off[2] : off[1];
#pragma GCC unroll 2
        for (int g = 0; g < G; g++) {
            int o = 16 * (g0 + g);
            __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(acc[p][g]), _mm512_loadu_ps(scale + o));
            v = _mm512_add_ps(v, _mm512_loadu_ps(oj + o));
            __mmask16 m = lane_mask(cout - o);
            float *d = out + (size_t)jj * (size_t)cout + (size_t)o;
            if (m == 0xffff)
                _mm512_storeu_ps(d, v);
            else
                _mm512_mask_storeu_ps(d, m, v);
        }
    }
}

static void stem8_avx512(const int16_t *const *rows, int c, int n, const int16_t *wq, int cout,
                         const float *scale, const float *const *off, float *out)
{
    int G = (cout + 15) / 16;
    for (int g0 = 0; g0 < G; g0 += 2) {
        int j = 0;
        if (G - g0 >= 2) {
            for (; j + 8 <= n; j += 8)
                stem8_block(rows, c, n, j, wq, cout, scale, off, out, g0, 8, 2);
            for (; j < n; j++)
                stem8_block(rows, c, n, j, wq, cout, scale, off, out, g0, 1, 2);
        } else {
            for (; j + 8 <= n; j += 8)
                stem8_block(rows, c, n, j, wq, cout, scale, off, out, g0, 8, 1);
            for (; j < n; j++)
                stem8_block(rows, c, n, j, wq, cout, scale, off, out, g0, 1, 1);
        }
    }
}

const db_kernels db_kernels_avx512 = {
    .stem8 = stem8_avx512,
    .conv_real = conv_real_avx512,
    .conv_real1_planar = conv_real1_planar_avx512,
    .isa = DB_ISA_AVX512,
    .bconv = bconv_avx512,
    .bconv_pair = bconv_pair_avx512,
    .bpost = bpost_avx512,
    .fpost = fpost_avx512,
    .add_up2 = add_up2_avx512,
    .planes = planes_avx512,
    .bthresh = bthresh_avx512,
    .pack = pack_avx512,
};
