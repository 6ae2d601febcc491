/* bconv_ref.c - the portable reference kernels: the specification that the
 * AVX2 and AVX-512 files must match bit for bit (tests/nets/test_kernels.c).
 * Binary dot product: acc = K - 2*popcount(a XOR w) (Larq output_transform). */
#include "nets/kernels/kernels.h"

static int popcount64(uint64_t v)
{
    /* portable SWAR popcount, no builtin needed */
    v = v - ((v >> 1) & 0x5555555555555555ull);
    v = (v & 0x3333333333333333ull) + ((v >> 2) & 0x3333333333333333ull);
    v = (v + (v >> 4)) & 0x0f0f0f0f0f0f0f0full;
    return (int)((v * 0x0101010101010101ull) >> 56);
}

static void bconv_ref(const uint64_t *in, size_t in_row, int words, int k, int stride, int n,
                      const uint64_t *w, int cout, int32_t K, int32_t *acc)
{
    size_t cout8 = (size_t)db_cout8(cout);
    for (int j = 0; j < n; j++) {
        const uint64_t *px = in + (size_t)j * (size_t)stride * (size_t)words;
        for (int o = 0; o < cout; o++) {
            int32_t pc = 0;
            for (int ky = 0; ky < k; ky++)
                for (int kx = 0; kx < k; kx++) {
                    const uint64_t *a = px + (size_t)ky * in_row + (size_t)kx * (size_t)words;
                    const uint64_t *b = w + (size_t)(ky * k + kx) * (size_t)words * cout8 + o;
                    for (int q = 0; q < words; q++)
                        pc += popcount64(a[q] ^ b[(size_t)q * cout8]);
                }
            acc[(size_t)j * (size_t)cout + (size_t)o] = K - 2 * pc;
        }
    }
}

void db_bconv_pair_weights(const uint64_t *w, int cout, uint64_t *wp)
{
    size_t c8 = (size_t)db_cout8(cout);
    for (int ky = 0; ky < 3; ky++)
        for (size_t o = 0; o < c8; o++) {
            wp[(size_t)(2 * ky) * c8 + o] =
                w[(size_t)(3 * ky) * c8 + o] | w[(size_t)(3 * ky + 1) * c8 + o] << 32;
            wp[(size_t)(2 * ky + 1) * c8 + o] = w[(size_t)(3 * ky + 2) * c8 + o];
        }
}

static void bconv_pair_ref(const uint64_t *in, size_t in_row, int stride, int n, const uint64_t *wp,
                           int cout, int32_t K, int32_t *acc)
{
    size_t c8 = (size_t)db_cout8(cout);
    for (int j = 0; j < n; j++)
        for (int o = 0; o < cout; o++) {
            int32_t pc = 0;
            for (int ky = 0; ky < 3; ky++) {
                const uint64_t *a = in + (size_t)ky * in_row + (size_t)j * (size_t)stride;
                pc += popcount64((a[0] | a[1] << 32) ^ wp[(size_t)(2 * ky) * c8 + (size_t)o]);
                pc += popcount64(a[2] ^ wp[(size_t)(2 * ky + 1) * c8 + (size_t)o]);
            }
            acc[(size_t)j * (size_t)cout + (size_t)o] = K - 2 * pc;
        }
}

float db_bpost_value_ref(const db_bpost *p, int o, int32_t acc, const float *res,
                         const float *lo)
{
    float y = db_bconv_out(acc, p->alpha[o]);
    if (p->bn_scale)
        y = db_bn_out(y, p->bn_scale[o], p->bn_bias[o]);
    if (p->rp_s1)
        y = db_rprelu_out(y, p->rp_s1[o], p->rp_slope[o], p->rp_s2[o]);
    if (res)
        y = y + (lo ? lo[o] + res[o] : res[o]);
    return y;
}

static void bpost_ref(const db_bpost *p, const int32_t *acc, int n, const float *res, float *out,
                      uint64_t *bits)
{
    int c = p->cout, words = db_words(c);
    for (int j = 0; j < n; j++) {
        const int32_t *a = acc + (size_t)j * (size_t)c;
        const float *r = res ? res + (size_t)j * (size_t)c : NULL;
        const float *lo = p->res_lo ? p->res_lo + (size_t)(j / 2) * (size_t)c : NULL;
        uint64_t *b = bits ? bits + (size_t)j * (size_t)words : NULL;
        if (b)
            for (int q = 0; q < words; q++)
                b[q] = 0;
        for (int o = 0; o < c; o++) {
            float y = db_bpost_value_ref(p, o, a[o], r, lo);
            if (out)
                out[(size_t)j * (size_t)c + (size_t)o] = y;
            if (b && db_rsign_bit(y, p->thr[o]))
                b[o >> 6] |= (uint64_t)1 << (o & 63);
        }
    }
}

float db_fpost_value_ref(const db_bpost *p, int o, float x)
{
    float y = x;
    if (p->bn_scale)
        y = db_bn_out(y, p->bn_scale[o], p->bn_bias[o]);
    if (p->rp_s1)
        y = db_rprelu_out(y, p->rp_s1[o], p->rp_slope[o], p->rp_s2[o]);
    return y;
}

static void fpost_ref(const db_bpost *p, const float *x, int n, float *out, uint64_t *bits)
{
    int c = p->cout, words = db_words(c);
    for (int j = 0; j < n; j++) {
        uint64_t *b = bits ? bits + (size_t)j * (size_t)words : NULL;
        if (b)
            for (int q = 0; q < words; q++)
                b[q] = 0;
        for (int o = 0; o < c; o++) {
            float y = db_fpost_value_ref(p, o, x[(size_t)j * (size_t)c + (size_t)o]);
            if (out)
                out[(size_t)j * (size_t)c + (size_t)o] = y;
            if (b && db_rsign_bit(y, p->thr[o]))
                b[o >> 6] |= (uint64_t)1 << (o & 63);
        }
    }
}

void db_planes_ref(const float *src, int c, int w, bool up, float *dst)
{
    for (int ci = 0; ci < c; ci++)
        for (int x = 0; x < w; x++)
            dst[(size_t)ci * (size_t)w + (size_t)x] =
                src[(size_t)(up ? x / 2 : x) * (size_t)c + (size_t)ci];
}

int db_bthresh_bit_ref(const db_bthresh *t, int o, int32_t acc)
{
    if (t->mode[o] == 0)
        return (acc >= t->t[o]) ^ t->pol[o];
    return t->table[(size_t)o * (size_t)(t->K + 1) + (size_t)((acc + t->K) / 2)];
}

static void bthresh_ref(const db_bthresh *t, const int32_t *acc, int n, uint64_t *bits)
{
    int c = t->cout, words = db_words(c);
    for (int j = 0; j < n; j++) {
        uint64_t *b = bits + (size_t)j * (size_t)words;
        for (int q = 0; q < words; q++)
            b[q] = 0;
        for (int o = 0; o < c; o++)
            if (db_bthresh_bit_ref(t, o, acc[(size_t)j * (size_t)c + (size_t)o]))
                b[o >> 6] |= (uint64_t)1 << (o & 63);
    }
}

static void pack_ref(const float *x, int n, int c, const float *thr, uint64_t *bits)
{
    int words = db_words(c);
    for (int j = 0; j < n; j++) {
        uint64_t *b = bits + (size_t)j * (size_t)words;
        for (int q = 0; q < words; q++)
            b[q] = 0;
        for (int o = 0; o < c; o++)
            if (db_rsign_bit(x[(size_t)j * (size_t)c + (size_t)o], thr ? thr[o] : 0.0f))
                b[o >> 6] |= (uint64_t)1 << (o & 63);
    }
}

static void add_up2_ref(const float *lo, const float *full, int c, int w, const float *thr,
                        float *out, uint64_t *bits)
{
    for (int x = 0; x < w; x++)
        for (int o = 0; o < c; o++)
            out[(size_t)x * (size_t)c + (size_t)o] =
                lo[(size_t)(x / 2) * (size_t)c + (size_t)o] + full[(size_t)x * (size_t)c + (size_t)o];
    if (bits)
        pack_ref(out, w, c, thr, bits);
}

void db_conv_real_ref(const float *const *rows, int in_w, int cin, int k, int stride, int n,
                      const float *wt, const float *bias, int cout, float *out)
{
    db_conv_real_ref_range(rows, in_w, cin, k, stride, 0, n, wt, bias, cout, out);
}

void db_conv_real_ref_range(const float *const *rows, int in_w, int cin, int k, int stride, int j0,
                            int j1, const float *wt, const float *bias, int cout, float *out)
{
    int half = k / 2;
    for (int j = j0; j < j1; j++)
        for (int o = 0; o < cout; o++) {
            float acc = 0.0f;
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
                        acc = acc + wp[(size_t)ci * (size_t)cout] * xp[ci];
                }
            }
            out[(size_t)j * (size_t)cout + (size_t)o] = acc + bias[o];
        }
}

void db_conv_real1_planar_ref(const float *const *rows, int in_w, int cin, int k, int j0, int j1,
                              const float *wt, float bias, float *out)
{
    int half = k / 2;
    for (int j = j0; j < j1; j++) {
        float acc = 0.0f;
        for (int ky = 0; ky < k; ky++) {
            if (!rows[ky])
                continue;
            for (int kx = 0; kx < k; kx++) {
                int x = j - half + kx;
                if (x < 0 || x >= in_w)
                    continue;
                const float *wp = wt + (size_t)(ky * k + kx) * (size_t)cin;
                for (int ci = 0; ci < cin; ci++)
                    acc = acc + wp[ci] * rows[ky][(size_t)ci * (size_t)in_w + (size_t)x];
            }
        }
        out[j] = acc + bias;
    }
}

static void conv_real1_planar_ref(const float *const *rows, int in_w, int cin, int k,
                                  const float *wt, float bias, float *out)
{
    db_conv_real1_planar_ref(rows, in_w, cin, k, 0, in_w, wt, bias, out);
}

void db_stem8_ref_range(const int16_t *const *rows, int c, int n, int j0, int j1,
                        const int16_t *wq, int cout, const float *scale, const float *const *off,
                        float *out)
{
    int cout16 = (cout + 15) & ~15, taps = 6 * c;
    for (int j = j0; j < j1; j++) {
        const float *oj = j == 0 ? off[0] : j == n - 1 ? off[2] : off[1];
        for (int o = 0; o < cout; o++) {
            int32_t acc = 0;
            for (int dy = 0; dy < 6; dy++) {
                const int16_t *x = rows[dy] + (size_t)(2 * j) * (size_t)c;
                for (int t = 0; t < taps; t++)
                    acc += (int32_t)x[t] *
                           (int32_t)wq[(((size_t)dy * (size_t)(3 * c) + (size_t)(t / 2)) *
                                            (size_t)cout16 +
                                        (size_t)o) *
                                           2 +
                                       (size_t)(t % 2)];
            }
            float v = (float)acc * scale[o];
            out[(size_t)j * (size_t)cout + (size_t)o] = v + oj[o];
        }
    }
}

void db_stem8_ref(const int16_t *const *rows, int c, int n, const int16_t *wq, int cout,
                  const float *scale, const float *const *off, float *out)
{
    db_stem8_ref_range(rows, c, n, 0, n, wq, cout, scale, off, out);
}

const db_kernels db_kernels_ref = {
    .stem8 = db_stem8_ref,
    .conv_real = db_conv_real_ref,
    .conv_real1_planar = conv_real1_planar_ref,
    .isa = DB_ISA_REF,
    .bconv = bconv_ref,
    .bconv_pair = bconv_pair_ref,
    .bpost = bpost_ref,
    .fpost = fpost_ref,
    .add_up2 = add_up2_ref,
    .planes = db_planes_ref,
    .bthresh = bthresh_ref,
    .pack = pack_ref,
};
