/* kernels.h - the bit-packed and per-channel kernels of the 1-bit engine: one
 * table of function pointers per ISA (dispatch.c), _ref.c is the
 * specification, _avx2.c / _avx512.c must give bit-identical results.
 * Kernels take no ctx and cannot fail: the engine has validated everything.
 * Layouts: float maps NHWC (pixel x of a row at row + x*c); packed maps NHWC
 * with `words` = db_words(c) uint64 per pixel, convention of nets/graph.h. */
#ifndef DB_NETS_KERNELS_H
#define DB_NETS_KERNELS_H

#include "nets/graph.h"

#include <stddef.h>
#include <stdint.h>

/* Per-channel output transform of a binary conv (graph.h order):
 *   y = db_bconv_out(acc, alpha[o]);
 *   if (bn_scale) y = db_bn_out(y, bn_scale[o], bn_bias[o]);
 *   if (rp_s1)    y = db_rprelu_out(y, rp_s1[o], rp_slope[o], rp_s2[o]);
 *   if (res)      y = y + res[o];              (residual ADD, float row)
 * then y is stored to out (when not NULL) and/or its RSign bit
 * db_rsign_bit(y, thr[o]) to bits (when not NULL). */
typedef struct db_bpost {
    int cout;
    const float *alpha;
    const float *bn_scale, *bn_bias;       /* both or neither */
    const float *rp_s1, *rp_slope, *rp_s2; /* all or none */
    const float *thr; /* thresholds of the consumer, needed when bits != NULL */
    /* bpost only, when set: the residual is a decoder ADD(UPSAMPLE2(lo), res)
     * made on the fly, res_lo[(j/2)*cout + o] + res[j*cout + o] (the same
     * addition as add_up2) for pixel j of the call (the call starts at an even
     * pixel of the row) */
    const float *res_lo;
    bool stream; /* a hint: out is a map larger than the caches, write it with
                    non-temporal stores where aligned (same values) */
} db_bpost;

/* Integer-threshold form of a whole chain for bits-only output: bit of
 * channel o for accumulator acc is
 *   mode[o] == 0: (acc >= t[o])  ^ pol[o]   (a step function)
 *   mode[o] == 1: table[o][(acc + K) / 2]    (any other shape)
 * built by db_bthresh_build from the float chain, so exact by construction. */
typedef struct db_bthresh {
    int cout, K;
    int32_t *t;     /* [cout] */
    uint8_t *pol;   /* [cout] */
    uint8_t *mode;  /* [cout] */
    uint8_t *table; /* [cout][K+1] or NULL when every mode is 0 */
} db_bthresh;

/* Interior output pixels of a CONV_REAL row (every tap inside [0, in_w)):
 * [jlo, *jhi), jlo returned (*jhi <= jlo when there are none). */
static inline int db_conv_real_interior(int in_w, int k, int stride, int n, int *jhi)
{
    int half = k / 2, jlo = (half + stride - 1) / stride, j = jlo;
    while (j < n && j * stride - half + k - 1 < in_w)
        j++;
    *jhi = j;
    return jlo;
}

/* Output channels rounded up to a multiple of 8 (weight layout). */
static inline int db_cout8(int cout) { return (cout + 7) & ~7; }

typedef struct db_kernels {
    db_isa isa;
    /* Binary conv of n output pixels of one row: for output pixel j and
     * channel o, acc[j*cout + o] = K - 2 * sum over taps (ky,kx) and words q
     * of popcount(in[(ky*in_row + (j*stride + kx)*words) + q] ^
     * w[((ky*k + kx)*words + q)*cout8 + o]); K = k*k*cin, cout8 = db_cout8(cout)
     * (weights transposed so 8 output channels sit in one 512-bit vector; the
     * lanes o >= cout are never read as results). in points at the top-left tap of
     * output pixel 0 in a map whose rows are in_row words apart; the engine
     * provides the +1 border (bits 0) around the map. */
    void (*bconv)(const uint64_t *in, size_t in_row, int words, int k, int stride, int n,
                  const uint64_t *w, int cout, int32_t K, int32_t *acc);
    /* bconv for k = 3 and cin <= 32 (one word per pixel, its upper 32 bits
     * 0) with taps kx = 0 and 1 of a row paired into one 64-bit word, so a
     * row costs two XOR+popcounts, not three: the same acc as bconv.
     * wp [ky][2][cout8]: wp[(2*ky)*cout8 + o] = w(ky,0) | w(ky,1) << 32,
     * wp[(2*ky+1)*cout8 + o] = w(ky,2) (db_bconv_pair_weights). NULL in a
     * table without it (the engine then runs bconv). */
    void (*bconv_pair)(const uint64_t *in, size_t in_row, int stride, int n, const uint64_t *wp,
                       int cout, int32_t K, int32_t *acc);
    /* Output transform of n pixels: acc [n][cout]; res/out [n][cout] floats
     * (pixel stride cout); bits [n][db_words(cout)] (whole words written). */
    void (*bpost)(const db_bpost *p, const int32_t *acc, int n, const float *res, float *out,
                  uint64_t *bits);
    /* The same chain on float input (a BATCHNORM or RPRELU node applied to
     * a real conv's row): y = x[j*cout + o], then BN and RPReLU as in bpost
     * (alpha and residual unused), stored to out and/or its RSign bit to
     * bits (p->thr), as bpost does. */
    void (*fpost)(const db_bpost *p, const float *x, int n, float *out, uint64_t *bits);
    /* One row of c interleaved channels to channel planes (the planar head's
     * input rows): dst[ci*w + x] = src[sx*c + ci] for ci < c, x < w, with
     * sx = x/2 when up (nearest x2 upsampling of a (w+1)/2-pixel row), else x. */
    void (*planes)(const float *src, int c, int w, bool up, float *dst);
    /* One row of ADD(UPSAMPLE2(lo), full), nearest: out[x*c + o] =
     * lo[(x/2)*c + o] + full[x*c + o] for x < w (float addition commutes: any
     * input order), and when bits != NULL its RSign bits with thr (as pack). */
    void (*add_up2)(const float *lo, const float *full, int c, int w, const float *thr,
                    float *out, uint64_t *bits);
    /* Bits-only output through a db_bthresh. */
    void (*bthresh)(const db_bthresh *t, const int32_t *acc, int n, uint64_t *bits);
    /* RSign packing of n pixels of c channels: bit = db_rsign_bit(x, thr[ch])
     * (thr NULL = 0 thresholds); bits [n][db_words(c)], padding bits 0. */
    void (*pack)(const float *x, int n, int c, const float *thr, uint64_t *bits);
    /* CONV_REAL of one output row of n pixels (graph.h order). rows[ky] is
     * input row oy*stride - k/2 + ky, or NULL outside the image; input pixel
     * x = j*stride - k/2 + kx is skipped outside [0, in_w). wt is
     * [ky][kx][ci][cout], out [n][cout]. */
    void (*conv_real)(const float *const *rows, int in_w, int cin, int k, int stride, int n,
                      const float *wt, const float *bias, int cout, float *out);
    /* CONV_REAL to ONE output channel, stride 1, on planar rows (the
     * full-size head): rows[ky] holds input row oy - k/2 + ky as cin planes
     * of in_w floats (channel ci at rows[ky] + ci*in_w), or is NULL outside
     * the image; n = in_w output pixels; wt [ky][kx][ci]. The same values, in
     * the same order, as conv_real on the interleaved row. */
    void (*conv_real1_planar)(const float *const *rows, int in_w, int cin, int k,
                              const float *wt, float bias, float *out);
    /* The integer stem (nets/stem8.h) of n output pixels of one row: rows[dy]
     * (dy < 6) are db_stem8_fill_row rows (sample (x, ch) at (x + 2)*c + ch),
     * output pixel j reads rows[dy][2jc, (2j + 6)c); acc[o] = sum over dy and
     * t < 6c of rows[dy][2jc + t] * wq[((dy*3c + t/2)*cout16 + o)*2 + t%2]
     * (int32, exact), out[j*cout + o] = (float)acc * scale[o] + off_j[o]
     * (a multiply, then an add) with off_j = off[0] for j = 0, off[2] for
     * j = n - 1 > 0, else off[1]. */
    void (*stem8)(const int16_t *const *rows, int c, int n, const int16_t *wq, int cout,
                  const float *scale, const float *const *off, float *out);
} db_kernels;

/* The table for isa (DB_ISA_AUTO = best supported). Returns NULL when the CPU
 * cannot run it. Tables are static const: no allocation. */
const db_kernels *db_kernels_select(db_isa isa);

/* Per-ISA tables (defined in the _ref/_avx2/_avx512 files). */
extern const db_kernels db_kernels_ref;
extern const db_kernels db_kernels_avx2;
extern const db_kernels db_kernels_avx512;

/* Scalar reference pieces reused by the SIMD files for tails. */
/* res: the pixel's residual (or NULL); lo: its res_lo pixel (or NULL) */
float db_bpost_value_ref(const db_bpost *p, int o, int32_t acc, const float *res,
                         const float *lo);
float db_fpost_value_ref(const db_bpost *p, int o, float x);
void db_planes_ref(const float *src, int c, int w, bool up, float *dst);
int db_bthresh_bit_ref(const db_bthresh *t, int o, int32_t acc);
void db_conv_real_ref(const float *const *rows, int in_w, int cin, int k, int stride, int n,
                      const float *wt, const float *bias, int cout, float *out);
/* conv_real for output pixels [j0, j1) only (out still points at pixel 0). */
void db_conv_real_ref_range(const float *const *rows, int in_w, int cin, int k, int stride, int j0,
                            int j1, const float *wt, const float *bias, int cout, float *out);
/* stem8 (the specification; also the interpreters' path, nets/stem8.c) and
 * its value for output pixels [j0, j1) only (the SIMD files' tails). */
void db_stem8_ref(const int16_t *const *rows, int c, int n, const int16_t *wq, int cout,
                  const float *scale, const float *const *off, float *out);
void db_stem8_ref_range(const int16_t *const *rows, int c, int n, int j0, int j1,
                        const int16_t *wq, int cout, const float *scale, const float *const *off,
                        float *out);
/* conv_real1_planar for output pixels [j0, j1) only (the SIMD files' edges). */
void db_conv_real1_planar_ref(const float *const *rows, int in_w, int cin, int k, int j0, int j1,
                              const float *wt, float bias, float *out);

/* The bconv_pair weights from bconv weights w (k = 3, one word per tap):
 * wp holds 6 * cout8 words. */
void db_bconv_pair_weights(const uint64_t *w, int cout, uint64_t *wp);

/* Builds the threshold form of (p, K) (p->thr required). Allocates with
 * db_malloc; free with db_bthresh_free. */
int db_bthresh_build(db_ctx *ctx, const db_bpost *p, int32_t K, db_bthresh *out);
void db_bthresh_free(db_bthresh *t);

#endif
