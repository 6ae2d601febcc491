/* bconv_avx2.c - AVX2 kernels, bit-identical to bconv_ref.c. AVX2 has no
 * vector popcount: the binary conv counts bits with the vpshufb nibble table
 * and vpsadbw on a register block of 2 pixels x 8 output channels (W. Mula,
 * D. Kurz, D. Lemire, "Faster population counts using AVX2 instructions",
 * Comput. J. 2018); the float transforms use
 * 256-bit vectors in the scalar operation order of graph.h (no FMA). */
#include "nets/kernels/kernels.h"

#define DBK_LANES 8
#include "nets/kernels/planar_simd.h"

#include <immintrin.h>
#include <string.h>

/* Byte-wise popcount of 4 words (Mula's vpshufb nibble table): each byte
 * of the result holds the popcount (0..8) of that byte of v. */
static inline __m256i popcnt_bytes(__m256i v)
{
    const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2,
                                         1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
    const __m256i low = _mm256_set1_epi8(0x0f);
    __m256i lo = _mm256_and_si256(v, low);
    __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low);
    return _mm256_add_epi8(_mm256_shuffle_epi8(lut, lo), _mm256_shuffle_epi8(lut, hi));
}

/* Register block of 2 pixels x 8 output channels: per pixel two vectors of
 * byte counts (channels 0-3, 4-7), summed into 64-bit lanes (vpsadbw)
 * every 31 words, before a byte (at most 8 per word) could overflow. */
static void bconv_avx2(const uint64_t *in, size_t in_row, int words, int k, int stride, int n,
                       const uint64_t *w, int cout, int32_t K, int32_t *acc)
{
    size_t cout8 = (size_t)db_cout8(cout);
    size_t pstep = (size_t)stride * (size_t)words;
    const __m256i zero = _mm256_setzero_si256();
    for (int o0 = 0; o0 < cout; o0 += 8) {
        int nc = cout - o0 < 8 ? cout - o0 : 8;
        for (int j = 0; j < n; j += 2) {
            int P = n - j < 2 ? 1 : 2;
            const uint64_t *px = in + (size_t)j * pstep;
            __m256i s00 = zero, s01 = zero, s10 = zero, s11 = zero; /* [pixel][half] */
            __m256i b00 = zero, b01 = zero, b10 = zero, b11 = zero; /* byte counts */
            int pending = 0;
            for (int ky = 0; ky < k; ky++)
                for (int kx = 0; kx < k; kx++) {
                    const uint64_t *a = px + (size_t)ky * in_row + (size_t)kx * (size_t)words;
                    const uint64_t *wt =
                        w + (size_t)(ky * k + kx) * (size_t)words * cout8 + (size_t)o0;
                    for (int q = 0; q < words; q++) {
                        const uint64_t *wq = wt + (size_t)q * cout8;
                        __m256i w0 = _mm256_loadu_si256((const __m256i *)(const void *)wq);
                        __m256i w1 = _mm256_loadu_si256((const __m256i *)(const void *)(wq + 4));
                        __m256i a0 = _mm256_set1_epi64x((long long)a[q]);
                        __m256i a1 =
                            _mm256_set1_epi64x(P == 2 ? (long long)a[pstep + (size_t)q] : 0);
                        b00 = _mm256_add_epi8(b00, popcnt_bytes(_mm256_xor_si256(a0, w0)));
                        b01 = _mm256_add_epi8(b01, popcnt_bytes(_mm256_xor_si256(a0, w1)));
                        b10 = _mm256_add_epi8(b10, popcnt_bytes(_mm256_xor_si256(a1, w0)));
                        b11 = _mm256_add_epi8(b11, popcnt_bytes(_mm256_xor_si256(a1, w1)));
                        if (++pending == 31) {
                            s00 = _mm256_add_epi64(s00, _mm256_sad_epu8(b00, zero));
                            s01 = _mm256_add_epi64(s01, _mm256_sad_epu8(b01, zero));
                            s10 = _mm256_add_epi64(s10, _mm256_sad_epu8(b10, zero));
                            s11 = _mm256_add_epi64(s11, _mm256_sad_epu8(b11, zero));
                            b00 = b01 = b10 = b11 = zero;
                            pending = 0;
                        }
                    }
                }
            s00 = _mm256_add_epi64(s00, _mm256_sad_epu8(b00, zero));
            s01 = _mm256_add_epi64(s01, _mm256_sad_epu8(b01, zero));
            s10 = _mm256_add_epi64(s10, _mm256_sad_epu8(b10, zero));
            s11 = _mm256_add_epi64(s11, _mm256_sad_epu8(b11, zero));
            uint64_t c0[8], c1[8];
            _mm256_storeu_si256((__m256i *)(void *)c0, s00);
            _mm256_storeu_si256((__m256i *)(void *)(c0 + 4), s01);
            _mm256_storeu_si256((__m256i *)(void *)c1, s10);
            _mm256_storeu_si256((__m256i *)(void *)(c1 + 4), s11);
            for (int c = 0; c < nc; c++) {
                acc[(size_t)j * (size_t)cout + (size_t)(o0 + c)] = K - 2 * (int32_t)c0[c];
                if (P == 2)
                    acc[(size_t)(j + 1) * (size_t)cout + (size_t)(o0 + c)] = K - 2 * (int32_t)c1[c];
            }
        }
    }
}

/* bpost (accumulators acc, times alpha) or fpost (floats x, acc NULL) of n
 * pixels, 8 channels a vector; the channel tail by the reference. */
static void post_avx2(const db_bpost *p, const int32_t *acc, const float *x, int n,
                      const float *res, float *out, uint64_t *bits)
{
    int c = p->cout, words = db_words(c);
    int c8 = c & ~7;
    for (int j = 0; j < n; j++) {
        size_t at = (size_t)j * (size_t)c;
        const int32_t *a = acc ? acc + at : NULL;
        const float *xf = acc ? NULL : x + at;
        const float *r = res ? res + at : NULL;
        const float *lo = a && p->res_lo ? p->res_lo + (size_t)(j / 2) * (size_t)c : NULL;
        float *y = out ? out + at : NULL;
        uint64_t *b = bits ? bits + (size_t)j * (size_t)words : NULL;
        if (b)
            for (int q = 0; q < words; q++)
                b[q] = 0;
        for (int o = 0; o < c8; o += 8) {
            __m256 v;
            if (a) {
                v = _mm256_cvtepi32_ps(_mm256_loadu_si256((const __m256i *)(const void *)(a + o)));
                v = _mm256_mul_ps(v, _mm256_loadu_ps(p->alpha + o));
            } else {
                v = _mm256_loadu_ps(xf + o);
            }
            if (p->bn_scale) {
                v = _mm256_mul_ps(v, _mm256_loadu_ps(p->bn_scale + o));
                v = _mm256_add_ps(v, _mm256_loadu_ps(p->bn_bias + o));
            }
            if (p->rp_s1) {
                __m256 t = _mm256_add_ps(v, _mm256_loadu_ps(p->rp_s1 + o));
                __m256 pos = _mm256_cmp_ps(t, _mm256_setzero_ps(), _CMP_GT_OQ);
                __m256 neg = _mm256_mul_ps(t, _mm256_loadu_ps(p->rp_slope + o));
                v = _mm256_blendv_ps(neg, t, pos);
                v = _mm256_add_ps(v, _mm256_loadu_ps(p->rp_s2 + o));
            }
            if (r) {
                __m256 rv = _mm256_loadu_ps(r + o);
                if (lo)
                    rv = _mm256_add_ps(_mm256_loadu_ps(lo + o), rv);
                v = _mm256_add_ps(v, rv);
            }
            if (y)
                _mm256_storeu_ps(y + o, v);
            if (b) {
                __m256 t = _mm256_add_ps(v, _mm256_loadu_ps(p->thr + o));
                unsigned m =
                    (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(t, _mm256_setzero_ps(), _CMP_LT_OQ));
                b[o >> 6] |= (uint64_t)m << (o & 63);
            }
        }
        for (int o = c8; o < c; o++) {
            float v = a ? db_bpost_value_ref(p, o, a[o], r, lo) : db_fpost_value_ref(p, o, xf[o]);
            if (y)
                y[o] = v;
            if (b && db_rsign_bit(v, p->thr[o]))
                b[o >> 6] |= (uint64_t)1 << (o & 63);
        }
    }
}

static void bpost_avx2(const db_bpost *p, const int32_t *acc, int n, const float *res, float *out,
                       uint64_t *bits)
{
    post_avx2(p, acc, NULL, n, res, out, bits);
}

static void fpost_avx2(const db_bpost *p, const float *x, int n, float *out, uint64_t *bits)
{
    post_avx2(p, NULL, x, n, NULL, out, bits);
}

static void pack_avx2(const float *x, int n, int c, const float *thr, uint64_t *bits)
{
    int words = db_words(c);
    int c8 = c & ~7;
    for (int j = 0; j < n; j++) {
        const float *xp = x + (size_t)j * (size_t)c;
        uint64_t *b = bits + (size_t)j * (size_t)words;
        for (int q = 0; q < words; q++)
            b[q] = 0;
        for (int o = 0; o < c8; o += 8) {
            __m256 v = _mm256_loadu_ps(xp + o);
            if (thr)
                v = _mm256_add_ps(v, _mm256_loadu_ps(thr + o));
            unsigned m =
                (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_LT_OQ));
            b[o >> 6] |= (uint64_t)m << (o & 63);
        }
        for (int o = c8; o < c; o++)
            if (db_rsign_bit(xp[o], thr ? thr[o] : 0.0f))
                b[o >> 6] |= (uint64_t)1 << (o & 63);
    }
}

static void add_up2_avx2(const float *lo, const float *full, int c, int w, const float *thr,
                         float *out, uint64_t *bits)
{
    int c8 = c & ~7;
    for (int x = 0; x < w; x++) {
        const float *l = lo + (size_t)(x / 2) * (size_t)c, *f = full + (size_t)x * (size_t)c;
        float *o = out + (size_t)x * (size_t)c;
        for (int k = 0; k < c8; k += 8)
            _mm256_storeu_ps(o + k, _mm256_add_ps(_mm256_loadu_ps(l + k), _mm256_loadu_ps(f + k)));
        for (int k = c8; k < c; k++)
            o[k] = l[k] + f[k];
    }
    if (bits)
        pack_avx2(out, w, c, thr, bits);
}

/* Integer comparisons are cheap next to the conv: the reference suffices. */
static void bthresh_avx2(const db_bthresh *t, const int32_t *acc, int n, uint64_t *bits)
{
    db_kernels_ref.bthresh(t, acc, n, bits);
}

/* CONV_REAL (the stem, the 1x1 head to 8 channels), cout <= 32: register
 * blocks of P interior pixels x G groups of 8 output channels (P*G <= 8
 * accumulators of the 16 ymm registers; the last group's lanes in ml), each
 * lane in the reference order (ky, kx, ci), + bias; edge pixels, whose taps
 * are skipped, and other shapes go to the reference. */
static inline __attribute__((always_inline)) void
conv_real_block_avx2(const float *const *rows, int cin, int k, int stride, int j, const float *wt,
                     const float *bias, int cout, float *out, __m256i ml, const int P, const int G)
{
    int half = k / 2;
    __m256 acc[4][4];
    for (int p = 0; p < P; p++)
        for (int g = 0; g < G; g++)
            acc[p][g] = _mm256_setzero_ps();
    size_t ps = (size_t)stride * (size_t)cin;
    for (int ky = 0; ky < k; ky++) {
        if (!rows[ky])
            continue;
        for (int kx = 0; kx < k; kx++) {
            const float *xp = rows[ky] + (size_t)(j * stride - half + kx) * (size_t)cin;
            const float *wp = wt + (size_t)(ky * k + kx) * (size_t)cin * (size_t)cout;
            for (int ci = 0; ci < cin; ci++) {
                __m256 wv[4];
                for (int g = 0; g < G; g++) {
                    const float *w8 = wp + (size_t)ci * (size_t)cout + (size_t)(8 * g);
                    wv[g] = g == G - 1 ? _mm256_maskload_ps(w8, ml) : _mm256_loadu_ps(w8);
                }
                for (int p = 0; p < P; p++) {
                    __m256 xv = _mm256_set1_ps(xp[(size_t)p * ps + (size_t)ci]);
                    for (int g = 0; g < G; g++)
                        acc[p][g] = _mm256_add_ps(acc[p][g], _mm256_mul_ps(wv[g], xv));
                }
            }
        }
    }
    for (int p = 0; p < P; p++)
        for (int g = 0; g < G; g++) {
            float *o = out + (size_t)(j + p) * (size_t)cout + (size_t)(8 * g);
            if (g == G - 1) {
                __m256 bv = _mm256_maskload_ps(bias + 8 * g, ml);
                _mm256_maskstore_ps(o, ml, _mm256_add_ps(acc[p][g], bv));
            } else {
                _mm256_storeu_ps(o, _mm256_add_ps(acc[p][g], _mm256_loadu_ps(bias + 8 * g)));
            }
        }
}

static void conv_real_avx2(const float *const *rows, int in_w, int cin, int k, int stride, int n,
                           const float *wt, const float *bias, int cout, float *out)
{
    int jhi, jlo = db_conv_real_interior(in_w, k, stride, n, &jhi);
    if (cout > 32 || cout < 2 || jhi <= jlo) {
        db_conv_real_ref(rows, in_w, cin, k, stride, n, wt, bias, cout, out);
        return;
    }
    int G = (cout + 7) / 8, live = cout - 8 * (G - 1), j = jlo;
    __m256i ml = _mm256_cmpgt_epi32(_mm256_set1_epi32(live),
                                    _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    if (G <= 2) {
        for (; j + 4 <= jhi; j += 4) {
            if (G == 1)
                conv_real_block_avx2(rows, cin, k, stride, j, wt, bias, cout, out, ml, 4, 1);
            else
                conv_real_block_avx2(rows, cin, k, stride, j, wt, bias, cout, out, ml, 4, 2);
        }
    } else {
        for (; j + 2 <= jhi; j += 2) {
            if (G == 3)
                conv_real_block_avx2(rows, cin, k, stride, j, wt, bias, cout, out, ml, 2, 3);
            else
                conv_real_block_avx2(rows, cin, k, stride, j, wt, bias, cout, out, ml, 2, 4);
        }
    }
    db_conv_real_ref_range(rows, in_w, cin, k, stride, 0, jlo < n ? jlo : n, wt, bias, cout, out);
    db_conv_real_ref_range(rows, in_w, cin, k, stride, j, n, wt, bias, cout, out);
}

/* Planar one-channel conv (the full-size head): 32 interior pixels per block
 * as four 8-lane chains (planar_simd.h). */
static void conv_real1_planar_avx2(const float *const *rows, int in_w, int cin, int k,
                                   const float *wt, float bias, float *out)
{
    dbk_conv_real1_planar(rows, in_w, cin, k, wt, bias, out, 0);
}

/* The integer stem (stem8.h): P output pixels x G groups of 8 channels of
 * int32 accumulators, one 32-bit broadcast of a tap pair's two samples per
 * pixel against the pair's weights (vpmaddwd: exact, any order). */
static inline __attribute__((always_inline)) void
stem8_block(const int16_t *const *rows, int c, int n, int j, const int16_t *wq, int cout,
            const float *scale, const float *const *off, float *out, int g0, const int P,
            const int G)
{
    int cout16 = (cout + 15) & ~15, pairs = 3 * c;
    __m256i acc[4][2];
#pragma GCC unroll 4
    for (int p = 0; p < P; p++)
#pragma GCC unroll 2
        for (int g = 0; g < G; g++)
            acc[p][g] = _mm256_setzero_si256();
    for (int dy = 0; dy < 6; dy++) {
        const int16_t *x = rows[dy] + (size_t)(2 * j) * (size_t)c;
        const int16_t *w =
            wq + ((size_t)dy * (size_t)pairs * (size_t)cout16 + (size_t)(8 * g0)) * 2;
        for (int q = 0; q < pairs; q++) {
            __m256i wv[2];
#pragma GCC unroll 2
            for (int g = 0; g < G; g++)
                wv[g] = _mm256_loadu_si256((const __m256i *)(const void *)(
                    w + ((size_t)q * (size_t)cout16 + (size_t)(8 * g)) * 2));
#pragma GCC unroll 4
            for (int p = 0; p < P; p++) {
                int32_t two;
                memcpy(&two, x + (size_t)(2 * p) * (size_t)c + (size_t)(2 * q), sizeof two);
                __m256i b = _mm256_set1_epi32(two);
#pragma GCC unroll 2
                for (int g = 0; g < G; g++)
                    acc[p][g] = _mm256_add_epi32(acc[p][g], _mm256_madd_epi16(b, wv[g]));
            }
        }
    }
#pragma GCC unroll 4
    for (int p = 0; p < P; p++) {
        int jj = j + p;
        const float *oj = jj == 0 ? off[0] : jj == n - 1 ? off[2] : off[1];
#pragma GCC unroll 2
        for (int g = 0; g < G; g++) {
            int o = 8 * (g0 + g);
            __m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(acc[p][g]), _mm256_loadu_ps(scale + o));
            v = _mm256_add_ps(v, _mm256_loadu_ps(oj + o));
            float *d = out + (size_t)jj * (size_t)cout + (size_t)o;
            if (cout - o >= 8) {
                _mm256_storeu_ps(d, v);
            } else {
                float t[8];
                _mm256_storeu_ps(t, v);
                memcpy(d, t, (size_t)(cout - o) * sizeof *t);
            }
        }
    }
}

static void stem8_avx2(const int16_t *const *rows, int c, int n, const int16_t *wq, int cout,
                       const float *scale, const float *const *off, float *out)
{
    int G = (cout + 7) / 8;
    for (int g0 = 0; g0 < G; g0 += 2) {
        int j = 0;
        if (G - g0 >= 2) {
            for (; j + 4 <= n; j += 4)
                stem8_block(rows, c, n, j, wq, cout, scale, off, out, g0, 4, 2);
            for (; j < n; j++)
                stem8_block(rows, c, n, j, wq, cout, scale, off, out, g0, 1, 2);
        } else {
            for (; j + 4 <= n; j += 4)
                stem8_block(rows, c, n, j, wq, cout, scale, off, out, g0, 4, 1);
            for (; j < n; j++)
                stem8_block(rows, c, n, j, wq, cout, scale, off, out, g0, 1, 1);
        }
    }
}

const db_kernels db_kernels_avx2 = {
    .stem8 = stem8_avx2,
    .conv_real1_planar = conv_real1_planar_avx2,
    .isa = DB_ISA_AVX2,
    .bconv = bconv_avx2,
    .bpost = bpost_avx2,
    .fpost = fpost_avx2,
    .add_up2 = add_up2_avx2,
    .planes = db_planes_ref, /* a copy: the reference's loops vectorise well enough here */
    .bthresh = bthresh_avx2,
    .conv_real = conv_real_avx2,
    .pack = pack_avx2,
};
