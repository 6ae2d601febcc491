/* bconv_avx2.c - AVX2 kernels, bit-identical to bconv_ref.c. AVX2 has no
 * vector popcount: the binary conv counts bits with the vpshufb nibble table
 * and vpsadbw on a register block of 2 pixels x 8 output channels (W. Mula,
 * D. Kurz, D. Lemire, "Faster population counts using AVX2 instructions",
 * Comput. J. 2018); the float transforms use
 * 256-bit vectors in the scalar operation order of graph.h (no FMA). */
#include "nets/kernels/kernels.h"

#include <immintrin.h>

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

static void bpost_avx2(const db_bpost *p, const int32_t *acc, int n, const float *res, float *out,
                       uint64_t *bits)
{
    int c = p->cout, words = db_words(c);
    int c8 = c & ~7;
    for (int j = 0; j < n; j++) {
        const int32_t *a = acc + (size_t)j * (size_t)c;
        const float *r = res ? res + (size_t)j * (size_t)c : NULL;
        float *y = out ? out + (size_t)j * (size_t)c : NULL;
        uint64_t *b = bits ? bits + (size_t)j * (size_t)words : NULL;
        if (b)
            for (int q = 0; q < words; q++)
                b[q] = 0;
        for (int o = 0; o < c8; o += 8) {
            __m256 v =
                _mm256_cvtepi32_ps(_mm256_loadu_si256((const __m256i *)(const void *)(a + o)));
            v = _mm256_mul_ps(v, _mm256_loadu_ps(p->alpha + o));
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
            if (r)
                v = _mm256_add_ps(v, _mm256_loadu_ps(r + o));
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
            float v = db_bpost_value_ref(p, o, a[o], r);
            if (y)
                y[o] = v;
            if (b && db_rsign_bit(v, p->thr[o]))
                b[o >> 6] |= (uint64_t)1 << (o & 63);
        }
    }
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

/* Integer comparisons are cheap next to the conv: the reference suffices. */
static void bthresh_avx2(const db_bthresh *t, const int32_t *acc, int n, uint64_t *bits)
{
    db_kernels_ref.bthresh(t, acc, n, bits);
}

const db_kernels db_kernels_avx2 = {
    .isa = DB_ISA_AVX2,
    .bconv = bconv_avx2,
    .bpost = bpost_avx2,
    .bthresh = bthresh_avx2,
    .conv_real = db_conv_real_ref, /* real layers are a small share of the work */
    .pack = pack_avx2,
};
