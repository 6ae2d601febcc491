/* test_kernels.c - the packed kernels: the reference against a plain +-1 dot
 * product (known answers, padding rule), and every ISA this CPU has against
 * the reference, bit for bit, on random shapes (channels 1..128, odd counts,
 * k 1/3, stride 1/2). Seed: DOCBIN_TEST_SEED. */
#include "test_util.h"

#include "nets/kernels/kernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const int chans[] = {1, 3, 7, 8, 9, 33, 40, 63, 64, 65, 127, 128, 130};
#define NCHANS ((int)(sizeof chans / sizeof chans[0]))

/* Random packed words for c channels, unused bits 0. */
static void rand_bits(uint64_t *st, uint64_t *dst, size_t npix, int c)
{
    int words = db_words(c);
    for (size_t i = 0; i < npix; i++)
        for (int q = 0; q < words; q++) {
            uint64_t v = tu_rand(st);
            int valid = c - 64 * q;
            if (valid < 64)
                v &= ((uint64_t)1 << valid) - 1;
            dst[i * (size_t)words + (size_t)q] = v;
        }
}

static int bit_at(const uint64_t *p, int ch) { return (int)((p[ch >> 6] >> (ch & 63)) & 1); }

static const db_kernels *isa_tables[3];
static int nisa;
static int setup_isas(void **state)
{
    (void)state;
    nisa = 0;
    db_isa list[3] = {DB_ISA_REF, DB_ISA_AVX2, DB_ISA_AVX512};
    for (int i = 0; i < 3; i++) {
        const db_kernels *k = db_kernels_select(list[i]);
        if (k)
            isa_tables[nisa++] = k;
        else
            fprintf(stderr, "isa %s not supported here: not tested\n", db_isa_name(list[i]));
    }
    return 0;
}

static void test_bconv_matches_pm1_dot_product_and_all_isas(void **state)
{
    (void)state;
    uint64_t st = tu_seed() ^ 0x1234;
    for (int iter = 0; iter < 160; iter++) {
        int cin = chans[tu_rand_range(&st, 0, NCHANS - 1)];
        if (iter % 16 == 8) /* the U-Net's 32-channel maps (bconv_pair) */
            cin = 32 - tu_rand_range(&st, 0, 1);
        if (iter % 16 == 0) /* > 31 words per output: the AVX2 byte-count flush */
            cin = 64 * tu_rand_range(&st, 4, 8) - tu_rand_range(&st, 0, 5);
        int cout = chans[tu_rand_range(&st, 0, NCHANS - 1)];
        int k = tu_rand_range(&st, 0, 1) ? 3 : 1;
        int stride = tu_rand_range(&st, 1, 2);
        int n = tu_rand_range(&st, 1, 13);
        int words = db_words(cin), cout8 = db_cout8(cout);
        int in_w = (n - 1) * stride + k, in_h = k;
        size_t in_row = (size_t)in_w * (size_t)words + (size_t)tu_rand_range(&st, 0, 3);
        uint64_t *in = calloc(in_row * (size_t)in_h + 1, 8);
        uint64_t *w = calloc((size_t)(k * k * words) * (size_t)cout8, 8);
        int32_t *ref = malloc((size_t)n * (size_t)cout * 4),
                *got = malloc((size_t)n * (size_t)cout * 4);
        assert_non_null(in);
        assert_non_null(w);
        for (int y = 0; y < in_h; y++)
            rand_bits(&st, in + (size_t)y * in_row, (size_t)in_w, cin);
        /* weights: for each (tap, q) row, cout8 words of which cout are used */
        for (int t = 0; t < k * k; t++)
            for (int o = 0; o < cout8; o++) {
                uint64_t tmp[8];
                rand_bits(&st, tmp, 1, cin);
                for (int q = 0; q < words; q++)
                    w[((size_t)t * (size_t)words + (size_t)q) * (size_t)cout8 + (size_t)o] = tmp[q];
            }
        int32_t K = k * k * cin;
        db_kernels_ref.bconv(in, in_row, words, k, stride, n, w, cout, K, ref);
        /* known answer: sum of (+-1)(+-1) products, bit 1 = -1 */
        for (int j = 0; j < n; j++)
            for (int o = 0; o < cout; o++) {
                int32_t dot = 0;
                for (int ky = 0; ky < k; ky++)
                    for (int kx = 0; kx < k; kx++) {
                        const uint64_t *a =
                            in + (size_t)ky * in_row + (size_t)(j * stride + kx) * (size_t)words;
                        for (int ch = 0; ch < cin; ch++) {
                            int wb = (int)((w[((size_t)(ky * k + kx) * (size_t)words +
                                               (size_t)(ch >> 6)) *
                                                  (size_t)cout8 +
                                              (size_t)o] >>
                                            (ch & 63)) &
                                           1);
                            int av = bit_at(a, ch) ? -1 : 1, wv = wb ? -1 : 1;
                            dot += av * wv;
                        }
                    }
                assert_int_equal(ref[(size_t)j * (size_t)cout + (size_t)o], dot);
            }
        for (int i = 1; i < nisa; i++) {
            memset(got, 0x5a, (size_t)n * (size_t)cout * 4);
            isa_tables[i]->bconv(in, in_row, words, k, stride, n, w, cout, K, got);
            if (memcmp(ref, got, (size_t)n * (size_t)cout * 4) != 0)
                fail_msg("bconv %s differs: cin %d cout %d k %d stride %d n %d",
                         db_isa_name(isa_tables[i]->isa), cin, cout, k, stride, n);
        }
        if (k == 3 && cin <= 32) { /* paired taps: the same accumulators */
            uint64_t *wp = calloc((size_t)6 * (size_t)cout8, 8);
            db_bconv_pair_weights(w, cout, wp);
            for (int i = 0; i < nisa; i++) {
                if (!isa_tables[i]->bconv_pair)
                    continue;
                memset(got, 0x5a, (size_t)n * (size_t)cout * 4);
                isa_tables[i]->bconv_pair(in, in_row, stride, n, wp, cout, K, got);
                if (memcmp(ref, got, (size_t)n * (size_t)cout * 4) != 0)
                    fail_msg("bconv_pair %s differs: cin %d cout %d stride %d n %d",
                             db_isa_name(isa_tables[i]->isa), cin, cout, stride, n);
            }
            free(wp);
        }
        free(in);
        free(w);
        free(ref);
        free(got);
    }
}

static float rnd_f(uint64_t *st, float lo, float hi)
{
    return lo + (hi - lo) * (float)(tu_rand(st) >> 40) / (float)(1 << 24);
}

typedef struct post_case {
    float alpha[130], s[130], b[130], s1[130], sl[130], s2[130], thr[130];
    db_bpost p;
} post_case;

static void make_post(uint64_t *st, post_case *pc, int c, bool bn, bool rp)
{
    for (int o = 0; o < c; o++) {
        int kind = tu_rand_range(st, 0, 9);
        pc->alpha[o] = kind == 0 ? 0.0f : kind == 1 ? -rnd_f(st, 0.01f, 2) : rnd_f(st, 0.01f, 2);
        pc->s[o] = rnd_f(st, -2, 2);
        pc->b[o] = rnd_f(st, -3, 3);
        pc->s1[o] = rnd_f(st, -1, 1);
        pc->sl[o] = rnd_f(st, -0.5f, 1);
        pc->s2[o] = rnd_f(st, -1, 1);
        pc->thr[o] = tu_rand_range(st, 0, 4) == 0 ? 0.0f : rnd_f(st, -1, 1);
    }
    pc->p = (db_bpost){.cout = c, .alpha = pc->alpha, .thr = pc->thr};
    if (bn) {
        pc->p.bn_scale = pc->s;
        pc->p.bn_bias = pc->b;
    }
    if (rp) {
        pc->p.rp_s1 = pc->s1;
        pc->p.rp_slope = pc->sl;
        pc->p.rp_s2 = pc->s2;
    }
}

static void test_bpost_all_isas_bit_identical(void **state)
{
    (void)state;
    uint64_t st = tu_seed() ^ 0x777;
    post_case *pc = malloc(sizeof *pc);
    for (int iter = 0; iter < 200; iter++) {
        int c = chans[tu_rand_range(&st, 0, NCHANS - 1)];
        int n = iter % 10 == 0 ? tu_rand_range(&st, 33, 70) : tu_rand_range(&st, 1, 9);
        int words = db_words(c);
        make_post(&st, pc, c, tu_rand_range(&st, 0, 1), tu_rand_range(&st, 0, 1));
        bool use_res = tu_rand_range(&st, 0, 1), use_out = tu_rand_range(&st, 0, 1);
        bool use_lo = use_res && tu_rand_range(&st, 0, 1); /* a decoder ADD(UPSAMPLE2) */
        bool use_bits = !use_out || tu_rand_range(&st, 0, 1);
        size_t m = (size_t)n * (size_t)c, m64 = (m * 4 + 63) / 64 * 64;
        int32_t *acc = malloc(m * 4);
        /* 64-byte aligned outputs, so the streaming-store path runs too */
        pc->p.stream = iter % 2;
        float *res = malloc(m * 4), *o1 = aligned_alloc(64, m64), *o2 = aligned_alloc(64, m64);
        float *lo = malloc(m * 4), *sum = malloc(m * 4);
        uint64_t *b1 = calloc((size_t)n * (size_t)words, 8),
                 *b2 = calloc((size_t)n * (size_t)words, 8);
        for (size_t i = 0; i < m; i++) {
            acc[i] = tu_rand_range(&st, -9 * 130, 9 * 130);
            res[i] = tu_rand_range(&st, 0, 5) == 0 ? -0.0f : rnd_f(&st, -4, 4);
            lo[i] = rnd_f(&st, -4, 4);
        }
        pc->p.res_lo = use_lo ? lo : NULL;
        db_kernels_ref.bpost(&pc->p, acc, n, use_res ? res : NULL, use_out ? o1 : NULL,
                             use_bits ? b1 : NULL);
        if (use_out && !use_res && c > 0) /* spot-check the scalar definition */
            assert_memory_equal(&o1[0],
                                &(float){db_bpost_value_ref(&pc->p, 0, acc[0], NULL, NULL)}, 4);
        if (use_lo && use_out) { /* == the residual made first, as add_up2 does */
            for (size_t i = 0; i < m; i++)
                sum[i] = lo[(i / (size_t)c / 2) * (size_t)c + i % (size_t)c] + res[i];
            db_bpost plain = pc->p;
            plain.res_lo = NULL;
            db_kernels_ref.bpost(&plain, acc, n, sum, o2, NULL);
            if (memcmp(o1, o2, m * 4) != 0)
                fail_msg("bpost ref: res_lo differs from the materialised residual (c %d)", c);
        }
        for (int i = 1; i < nisa; i++) {
            memset(o2, 0x7f, m * 4);
            memset(b2, 0xa5, (size_t)n * (size_t)words * 8);
            isa_tables[i]->bpost(&pc->p, acc, n, use_res ? res : NULL, use_out ? o2 : NULL,
                                 use_bits ? b2 : NULL);
            if (use_out && memcmp(o1, o2, m * 4) != 0)
                fail_msg("bpost %s float differs (c %d)", db_isa_name(isa_tables[i]->isa), c);
            if (use_bits && memcmp(b1, b2, (size_t)n * (size_t)words * 8) != 0)
                fail_msg("bpost %s bits differ (c %d)", db_isa_name(isa_tables[i]->isa), c);
        }
        free(acc);
        free(res);
        free(lo);
        free(sum);
        free(o1);
        free(o2);
        free(b1);
        free(b2);
    }
    free(pc);
}

/* The threshold form equals the float chain on every reachable accumulator,
 * including negative and zero scales and non-monotone RPReLU channels. */
/* fpost (BN/RPReLU on float rows): the scalar chain on every ISA, with
 * -0.0, exact zeros after the shift and both RPReLU branches. */
static void test_fpost_all_isas_bit_identical(void **state)
{
    (void)state;
    uint64_t st = tu_seed() ^ 0x3131;
    post_case *pc = malloc(sizeof *pc);
    for (int iter = 0; iter < 200; iter++) {
        int c = chans[tu_rand_range(&st, 0, NCHANS - 1)];
        int n = tu_rand_range(&st, 1, iter % 4 ? 9 : 70), words = db_words(c); /* rows too */
        bool bn = tu_rand_range(&st, 0, 1);
        make_post(&st, pc, c, bn, !bn || tu_rand_range(&st, 0, 1));
        bool use_out = tu_rand_range(&st, 0, 1), use_bits = !use_out || tu_rand_range(&st, 0, 1);
        size_t m = (size_t)n * (size_t)c;
        float *x = malloc(m * 4), *o1 = malloc(m * 4), *o2 = malloc(m * 4);
        uint64_t *b1 = calloc((size_t)n * (size_t)words, 8),
                 *b2 = calloc((size_t)n * (size_t)words, 8);
        for (size_t i = 0; i < m; i++) {
            int o = (int)(i % (size_t)c), kind = tu_rand_range(&st, 0, 7);
            x[i] = kind == 0 ? -0.0f : kind == 1 && pc->p.rp_s1 && !bn ? -pc->s1[o]
                                                                     : rnd_f(&st, -4, 4);
        }
        db_kernels_ref.fpost(&pc->p, x, n, use_out ? o1 : NULL, use_bits ? b1 : NULL);
        if (use_out) /* the scalar definitions of graph.h, in order */
            for (size_t i = 0; i < m; i++) {
                int o = (int)(i % (size_t)c);
                float y = x[i];
                if (pc->p.bn_scale)
                    y = db_bn_out(y, pc->s[o], pc->b[o]);
                if (pc->p.rp_s1)
                    y = db_rprelu_out(y, pc->s1[o], pc->sl[o], pc->s2[o]);
                assert_memory_equal(&o1[i], &y, 4);
            }
        for (int i = 1; i < nisa; i++) {
            memset(o2, 0x7f, m * 4);
            memset(b2, 0xa5, (size_t)n * (size_t)words * 8);
            isa_tables[i]->fpost(&pc->p, x, n, use_out ? o2 : NULL, use_bits ? b2 : NULL);
            if (use_out && memcmp(o1, o2, m * 4) != 0)
                fail_msg("fpost %s float differs (c %d)", db_isa_name(isa_tables[i]->isa), c);
            if (use_bits && memcmp(b1, b2, (size_t)n * (size_t)words * 8) != 0)
                fail_msg("fpost %s bits differ (c %d)", db_isa_name(isa_tables[i]->isa), c);
        }
        free(x);
        free(o1);
        free(o2);
        free(b1);
        free(b2);
    }
    free(pc);
}

/* planes: interleaved rows to channel planes (x2 nearest or not), every
 * ISA equal to the definition, on the head's shapes (8 up, 3) and others. */
static void test_planes_all_isas_equal_definition(void **state)
{
    (void)state;
    uint64_t st = tu_seed() ^ 0x5151;
    static const int cs[] = {1, 3, 8, 11};
    for (int iter = 0; iter < 120; iter++) {
        int c = cs[tu_rand_range(&st, 0, 3)], w = tu_rand_range(&st, 1, 100);
        bool up = tu_rand_range(&st, 0, 1);
        int sw = up ? (w + 1) / 2 : w;
        float *src = malloc((size_t)sw * (size_t)c * 4), *d = malloc((size_t)w * (size_t)c * 4);
        for (int i = 0; i < sw * c; i++)
            src[i] = rnd_f(&st, -1, 1);
        for (int i = 0; i < nisa; i++) {
            memset(d, 0x7f, (size_t)w * (size_t)c * 4);
            isa_tables[i]->planes(src, c, w, up, d);
            for (int ci = 0; ci < c; ci++)
                for (int x = 0; x < w; x++)
                    if (d[ci * w + x] != src[(up ? x / 2 : x) * c + ci])
                        fail_msg("planes %s: c %d w %d up %d at (%d, %d)",
                                 db_isa_name(isa_tables[i]->isa), c, w, up, ci, x);
        }
        free(src);
        free(d);
    }
}

/* add_up2: the decoder's ADD(UPSAMPLE2(lo), full) row, floats and bits. */
static void test_add_up2_all_isas_bit_identical(void **state)
{
    (void)state;
    uint64_t st = tu_seed() ^ 0x6262;
    for (int iter = 0; iter < 120; iter++) {
        int c = chans[tu_rand_range(&st, 0, NCHANS - 1)], w = tu_rand_range(&st, 1, 40);
        int lw = (w + 1) / 2, words = db_words(c);
        bool use_bits = tu_rand_range(&st, 0, 1);
        size_t m = (size_t)w * (size_t)c;
        float *lo = malloc((size_t)lw * (size_t)c * 4), *full = malloc(m * 4), thr[130];
        float *o1 = malloc(m * 4), *o2 = malloc(m * 4);
        uint64_t *b1 = calloc((size_t)w * (size_t)words, 8), *b2 = calloc((size_t)w * (size_t)words, 8);
        for (int i = 0; i < lw * c; i++)
            lo[i] = rnd_f(&st, -1, 1);
        for (size_t i = 0; i < m; i++) /* some exact cancellations: -0.0 and 0.0 sums */
            full[i] = tu_rand_range(&st, 0, 5) == 0 ? -lo[(i / (size_t)c / 2) * (size_t)c + i % (size_t)c]
                                                    : rnd_f(&st, -1, 1);
        for (int o = 0; o < c; o++)
            thr[o] = tu_rand_range(&st, 0, 3) == 0 ? 0.0f : rnd_f(&st, -0.5f, 0.5f);
        db_kernels_ref.add_up2(lo, full, c, w, thr, o1, use_bits ? b1 : NULL);
        for (int x = 0; x < w; x++)
            for (int o = 0; o < c; o++) {
                float v = lo[(x / 2) * c + o] + full[x * c + o];
                assert_memory_equal(&o1[x * c + o], &v, 4);
                if (use_bits)
                    assert_int_equal(bit_at(b1 + (size_t)x * (size_t)words, o), v + thr[o] < 0.0f);
            }
        for (int i = 1; i < nisa; i++) {
            memset(o2, 0x7f, m * 4);
            memset(b2, 0xa5, (size_t)w * (size_t)words * 8);
            isa_tables[i]->add_up2(lo, full, c, w, thr, o2, use_bits ? b2 : NULL);
            assert_memory_equal(o1, o2, m * 4);
            if (use_bits)
                assert_memory_equal(b1, b2, (size_t)w * (size_t)words * 8);
        }
        free(lo);
        free(full);
        free(o1);
        free(o2);
        free(b1);
        free(b2);
    }
}

static void test_bthresh_equals_float_chain_for_every_acc(void **state)
{
    (void)state;
    uint64_t st = tu_seed() ^ 0x4242;
    post_case *pc = malloc(sizeof *pc);
    db_ctx *ctx;
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    int tables_seen = 0;
    for (int iter = 0; iter < 60; iter++) {
        int c = chans[tu_rand_range(&st, 0, NCHANS - 1)];
        int32_t K = (tu_rand_range(&st, 0, 1) ? 9 : 1) * tu_rand_range(&st, 1, 130);
        make_post(&st, pc, c, tu_rand_range(&st, 0, 1), tu_rand_range(&st, 0, 1));
        db_bthresh t;
        assert_int_equal(db_bthresh_build(ctx, &pc->p, K, &t), 0);
        if (t.table)
            tables_seen++;
        int n = K + 1, words = db_words(c);
        int32_t *acc = malloc((size_t)n * (size_t)c * 4);
        for (int j = 0; j < n; j++)
            for (int o = 0; o < c; o++)
                acc[(size_t)j * (size_t)c + (size_t)o] = -K + 2 * j;
        uint64_t *b1 = calloc((size_t)n * (size_t)words, 8),
                 *b2 = calloc((size_t)n * (size_t)words, 8);
        db_kernels_ref.bpost(&pc->p, acc, n, NULL, NULL, b1);
        for (int i = 0; i < nisa; i++) {
            memset(b2, 0xa5, (size_t)n * (size_t)words * 8);
            isa_tables[i]->bthresh(&t, acc, n, b2);
            if (memcmp(b1, b2, (size_t)n * (size_t)words * 8) != 0)
                fail_msg("bthresh %s differs from the float chain (c %d K %d)",
                         db_isa_name(isa_tables[i]->isa), c, K);
        }
        db_bthresh_free(&t);
        free(acc);
        free(b1);
        free(b2);
    }
    /* a hand-made non-monotone channel: slope < 0 makes a V shape */
    float one = 1, zero = 0, neg = -1, thr = -2.0f;
    db_bpost v = {
        .cout = 1, .alpha = &one, .rp_s1 = &zero, .rp_slope = &neg, .rp_s2 = &zero, .thr = &thr};
    db_bthresh t;
    assert_int_equal(db_bthresh_build(ctx, &v, 9, &t), 0);
    assert_non_null(t.table);
    assert_int_equal(db_bthresh_bit_ref(&t, 0, -9), 0); /* |acc| - 2 >= 0 -> +1 */
    assert_int_equal(db_bthresh_bit_ref(&t, 0, -1), 1); /* |acc| - 2 < 0 -> -1 */
    assert_int_equal(db_bthresh_bit_ref(&t, 0, 1), 1);
    assert_int_equal(db_bthresh_bit_ref(&t, 0, 3), 0);
    db_bthresh_free(&t);
    /* a zero scale: constant bit */
    float thr2 = -1.0f;
    db_bpost z = {.cout = 1, .alpha = &zero, .thr = &thr2};
    assert_int_equal(db_bthresh_build(ctx, &z, 9, &t), 0);
    assert_null(t.table);
    for (int a = -9; a <= 9; a += 2)
        assert_int_equal(db_bthresh_bit_ref(&t, 0, a), 1);
    db_bthresh_free(&t);
    fprintf(stderr, "bthresh: %d random cases used a table\n", tables_seen);
    db_ctx_free(ctx);
    free(pc);
}

static void test_pack_all_isas_bit_identical(void **state)
{
    (void)state;
    uint64_t st = tu_seed() ^ 0x99;
    for (int iter = 0; iter < 100; iter++) {
        int c = chans[tu_rand_range(&st, 0, NCHANS - 1)];
        int n = tu_rand_range(&st, 1, 11), words = db_words(c);
        size_t m = (size_t)n * (size_t)c;
        float *x = malloc(m * 4), thr[130];
        for (size_t i = 0; i < m; i++)
            x[i] = tu_rand_range(&st, 0, 7) == 0 ? (tu_rand_range(&st, 0, 1) ? 0.0f : -0.0f)
                                                 : rnd_f(&st, -1, 1);
        for (int o = 0; o < c; o++)
            thr[o] = tu_rand_range(&st, 0, 3) == 0 ? 0.0f : rnd_f(&st, -0.5f, 0.5f);
        bool use_thr = tu_rand_range(&st, 0, 1);
        uint64_t *b1 = calloc((size_t)n * (size_t)words, 8),
                 *b2 = calloc((size_t)n * (size_t)words, 8);
        db_kernels_ref.pack(x, n, c, use_thr ? thr : NULL, b1);
        for (int j = 0; j < n; j++)
            for (int o = 0; o < c; o++)
                assert_int_equal(bit_at(b1 + (size_t)j * (size_t)words, o),
                                 x[(size_t)j * (size_t)c + (size_t)o] + (use_thr ? thr[o] : 0.0f) <
                                     0.0f);
        for (int i = 1; i < nisa; i++) {
            memset(b2, 0xa5, (size_t)n * (size_t)words * 8);
            isa_tables[i]->pack(x, n, c, use_thr ? thr : NULL, b2);
            assert_memory_equal(b1, b2, (size_t)n * (size_t)words * 8);
        }
        free(x);
        free(b1);
        free(b2);
    }
}

/* CONV_REAL rows: every ISA equals the reference bit for bit (same sum
 * order), including the gathered single-output-channel path and edges. */
static void test_conv_real_all_isas_bit_identical(void **state)
{
    (void)state;
    uint64_t st = tu_seed() ^ 0xc0;
    static const int couts[] = {1, 3, 8, 16, 17, 32, 40, 48, 64};
    for (int iter = 0; iter < 200; iter++) {
        int cin = chans[tu_rand_range(&st, 0, 5)];
        int cout = couts[tu_rand_range(&st, 0, 8)];
        int k = 2 * tu_rand_range(&st, 0, 2) + 1, stride = tu_rand_range(&st, 1, 2);
        if (iter % 8 == 0) { /* the U-Net head's 1x1 narrowing to 8 (pixel pairs) */
            cin = iter % 16 ? 32 : chans[tu_rand_range(&st, 0, 5)];
            cout = 8;
            k = stride = 1;
        }
        /* every fourth row is wide: the blocked interior paths (4 pixels,
         * 64-pixel planes for one output channel) need more than 64 pixels */
        int in_w = tu_rand_range(&st, 1, iter % 4 ? 40 : 300), n = (in_w + stride - 1) / stride;
        size_t nin = (size_t)in_w * (size_t)cin;
        float *rowbuf = malloc((size_t)k * nin * 4 + 4);
        const float *rows[5];
        for (int ky = 0; ky < k; ky++) {
            for (size_t i = 0; i < nin; i++)
                rowbuf[(size_t)ky * nin + i] = rnd_f(&st, -1, 1);
            rows[ky] = tu_rand_range(&st, 0, 3) == 0 ? NULL : rowbuf + (size_t)ky * nin;
        }
        size_t nw = (size_t)(k * k) * (size_t)cin * (size_t)cout;
        float *wt = malloc(nw * 4), bias[64];
        for (size_t i = 0; i < nw; i++)
            wt[i] = rnd_f(&st, -1, 1);
        for (int o = 0; o < cout; o++)
            bias[o] = rnd_f(&st, -1, 1);
        float *o1 = malloc((size_t)n * (size_t)cout * 4),
              *o2 = malloc((size_t)n * (size_t)cout * 4);
        db_conv_real_ref(rows, in_w, cin, k, stride, n, wt, bias, cout, o1);
        for (int i = 1; i < nisa; i++) {
            memset(o2, 0x7f, (size_t)n * (size_t)cout * 4);
            isa_tables[i]->conv_real(rows, in_w, cin, k, stride, n, wt, bias, cout, o2);
            if (memcmp(o1, o2, (size_t)n * (size_t)cout * 4) != 0)
                fail_msg("conv_real %s differs: cin %d cout %d k %d stride %d w %d",
                         db_isa_name(isa_tables[i]->isa), cin, cout, k, stride, in_w);
        }
        if (cout == 1 && stride == 1) {
            /* the planar form of the same rows gives the same values, every
             * ISA (the reference included) */
            float *planes = malloc((size_t)k * nin * 4 + 4);
            const float *prow[5];
            for (int ky = 0; ky < k; ky++) {
                for (int x = 0; x < in_w; x++)
                    for (int ci = 0; ci < cin; ci++)
                        planes[(size_t)ky * nin + (size_t)ci * (size_t)in_w + (size_t)x] =
                            rowbuf[(size_t)ky * nin + (size_t)x * (size_t)cin + (size_t)ci];
                prow[ky] = rows[ky] ? planes + (size_t)ky * nin : NULL;
            }
            for (int i = 0; i < nisa; i++) {
                memset(o2, 0x7f, (size_t)n * 4);
                isa_tables[i]->conv_real1_planar(prow, in_w, cin, k, wt, bias[0], o2);
                if (memcmp(o1, o2, (size_t)n * 4) != 0)
                    fail_msg("conv_real1_planar %s differs: cin %d k %d w %d",
                             db_isa_name(isa_tables[i]->isa), cin, k, in_w);
            }
            free(planes);
        }
        free(rowbuf);
        free(wt);
        free(o1);
        free(o2);
    }
}

/* stem8: the reference against the definition summed in int64 (known
 * answer for random rows and weights), and every ISA against the reference. */
static void test_stem8_all_isas_equal_definition(void **state)
{
    (void)state;
    uint64_t st = tu_seed() ^ 0x58;
    static const int couts[] = {1, 7, 8, 16, 17, 32, 33, 40, 64};
    for (int iter = 0; iter < 60; iter++) {
        int c = tu_rand_range(&st, 0, 1) ? 3 : 1;
        int cout = couts[tu_rand_range(&st, 0, 8)];
        int cout16 = (cout + 15) & ~15, n = iter % 5 == 0 ? tu_rand_range(&st, 1, 3)
                                                          : tu_rand_range(&st, 4, 70);
        size_t len = (size_t)(2 * n + 4) * (size_t)c, nw = (size_t)36 * c * cout16;
        int16_t *rowbuf = malloc(6 * len * sizeof *rowbuf), *wq = malloc(nw * sizeof *wq);
        float *scale = malloc((size_t)cout16 * 4), *offs = malloc((size_t)3 * cout16 * 4);
        float *o1 = malloc((size_t)n * cout * 4), *o2 = malloc((size_t)n * cout * 4);
        const int16_t *rows[6];
        for (size_t i = 0; i < 6 * len; i++)
            rowbuf[i] = (int16_t)tu_rand_range(&st, 0, 255);
        for (int dy = 0; dy < 6; dy++)
            rows[dy] = rowbuf + (size_t)dy * len;
        for (size_t i = 0; i < nw; i++) /* the extremes too: no overflow allowed */
            wq[i] = (int16_t)(iter % 7 == 3 ? (tu_rand_range(&st, 0, 1) ? 32767 : -32767)
                                            : tu_rand_range(&st, -32767, 32767));
        for (int o = 0; o < cout16; o++)
            scale[o] = (float)tu_rand_range(&st, 1, 1000) * 1e-7f;
        for (int i = 0; i < 3 * cout16; i++)
            offs[i] = (float)tu_rand_range(&st, -1000, 1000) * 1e-3f;
        const float *off[3] = {offs, offs + cout16, offs + 2 * cout16};
        db_stem8_ref(rows, c, n, wq, cout, scale, off, o1);
        for (int j = 0; j < n; j++)
            for (int o = 0; o < cout; o++) {
                int64_t acc = 0;
                for (int dy = 0; dy < 6; dy++)
                    for (int dx = 0; dx < 6; dx++)
                        for (int ch = 0; ch < c; ch++) {
                            int t = dx * c + ch;
                            acc += (int64_t)rows[dy][(2 * j + dx) * c + ch] *
                                   wq[((dy * 3 * c + t / 2) * cout16 + o) * 2 + t % 2];
                        }
                const float *oj = j == 0 ? off[0] : j == n - 1 ? off[2] : off[1];
                float t = (float)acc * scale[o];
                float e = t + oj[o];
                if (memcmp(&e, &o1[(size_t)j * cout + o], 4) != 0)
                    fail_msg("stem8 ref: pixel %d channel %d: %.9g, definition %.9g", j, o,
                             (double)o1[(size_t)j * cout + o], (double)e);
            }
        for (int i = 0; i < nisa; i++) {
            memset(o2, 0x7f, (size_t)n * cout * 4);
            isa_tables[i]->stem8(rows, c, n, wq, cout, scale, off, o2);
            if (memcmp(o1, o2, (size_t)n * cout * 4) != 0)
                fail_msg("stem8 %s differs: c %d cout %d n %d", db_isa_name(isa_tables[i]->isa),
                         c, cout, n);
        }
        free(rowbuf);
        free(wq);
        free(scale);
        free(offs);
        free(o1);
        free(o2);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bconv_matches_pm1_dot_product_and_all_isas),
        cmocka_unit_test(test_bpost_all_isas_bit_identical),
        cmocka_unit_test(test_fpost_all_isas_bit_identical),
        cmocka_unit_test(test_planes_all_isas_equal_definition),
        cmocka_unit_test(test_add_up2_all_isas_bit_identical),
        cmocka_unit_test(test_bthresh_equals_float_chain_for_every_acc),
        cmocka_unit_test(test_pack_all_isas_bit_identical),
        cmocka_unit_test(test_conv_real_all_isas_bit_identical),
        cmocka_unit_test(test_stem8_all_isas_equal_definition),
    };
    return cmocka_run_group_tests(tests, setup_isas, NULL);
}
