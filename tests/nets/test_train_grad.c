/* test_train_grad.c - finite-difference checks of every layer and loss of the
 * trainer in float mode (nets/train/), the sign() estimators against their
 * formulas, the +1 padding of binary convs, and thread-count invariance. */
#include "test_util.h"

#include "nets/train/train_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int (*build_fn)(db_ctx *ctx, tnet *net, tr_rng *rng);

/* L = sum_i r_i * y_i over the last node; returns L in double. */
static double net_loss(tnet *net, const float *x, const float *r, tn_mode mode)
{
    tnet_forward(net, x, mode);
    tn_node *o = tnet_out(net);
    size_t n = (size_t)net->n * o->h * o->w * o->c;
    double L = 0;
    for (size_t i = 0; i < n; i++)
        L += (double)r[i] * o->y[i];
    return L;
}

/* Compares analytic and central-difference gradients of up to `probe`
 * entries of one float array; returns the worst relative error. */
static float fd_step = 1e-3f;

static double check_array(tnet *net, const float *x, const float *r, float *v, const float *g,
                          size_t n, size_t probe, tr_rng *rng)
{
    double worst = 0;
    const float h = fd_step;
    for (size_t t = 0; t < probe && t < n; t++) {
        size_t i = n <= probe ? t : (size_t)tr_rng_below(rng, (int)n);
        float keep = v[i];
        v[i] = keep + h;
        double lp = net_loss(net, x, r, TN_TRAIN);
        v[i] = keep - h;
        double lm = net_loss(net, x, r, TN_TRAIN);
        v[i] = keep;
        double fd = (lp - lm) / (2.0 * h);
        double err = fabs(fd - g[i]) / fmax(1.0, fabs(fd) + fabs(g[i]));
        if (err > worst)
            worst = err;
    }
    return worst;
}

static bool linear_rprelu;

static void grad_check(const char *what, build_fn build, int n, int w, int h, int cin)
{
    db_ctx *ctx = NULL;
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    tnet net;
    tnet_init(&net);
    net.float_mode = true;
    tr_rng rng;
    tr_rng_seed(&rng, tu_seed());
    assert_int_equal(tnet_input(ctx, &net, cin), 0);
    assert_true(build(ctx, &net, &rng) >= 0);
    /* non-trivial parameters: perturb every vector away from its identity */
    for (int i = 0; i < net.nnodes; i++)
        for (int j = 0; j < TN_MAXP; j++)
            for (int q = 0; q < net.nodes[i].np[j]; q++)
                net.nodes[i].p[j][q] += 0.3f * (float)tr_rng_normal(&rng);
    if (linear_rprelu)
        for (int i = 0; i < net.nnodes; i++)
            if (net.nodes[i].op == DB_OP_RPRELU)
                for (int q = 0; q < net.nodes[i].c; q++)
                    net.nodes[i].p[1][q] = 1.0f;
    assert_int_equal(tnet_prepare(ctx, &net, NULL, n, w, h), 0);
    size_t nx = (size_t)n * w * h * cin;
    tn_node *o = tnet_out(&net);
    size_t ny = (size_t)n * o->h * o->w * o->c;
    float *x = malloc(nx * sizeof *x), *r = malloc(ny * sizeof *r), *gx = malloc(nx * sizeof *gx);
    for (size_t i = 0; i < nx; i++)
        x[i] = (float)tr_rng_normal(&rng);
    for (size_t i = 0; i < ny; i++)
        r[i] = (float)tr_rng_normal(&rng);
    net_loss(&net, x, r, TN_TRAIN);
    tnet_zero_grad(&net);
    memcpy(o->gy, r, ny * sizeof *r);
    tnet_backward(&net);
    memcpy(gx, net.nodes[0].gy, nx * sizeof *gx);
    double worst = check_array(&net, x, r, x, gx, nx, 40, &rng);
    for (int i = 0; i < net.nnodes; i++) {
        tn_node *nd = &net.nodes[i];
        double e = 0;
        if (nd->nw)
            e = check_array(&net, x, r, nd->pw, nd->gw, nd->nw, 20, &rng);
        for (int j = 0; j < TN_MAXP; j++)
            if (nd->np[j])
                e = fmax(e, check_array(&net, x, r, nd->p[j], nd->g[j], (size_t)nd->np[j], 8,
                                        &rng));
        if (e > 2e-2)
            printf("  node %d (%s): relative error %.2e\n", i, db_op_name(nd->op), e);
        worst = fmax(worst, e);
    }
    printf("grad %-22s worst relative error %.2e\n", what, worst);
    assert_true(worst < 2e-2);
    free(x);
    free(r);
    free(gx);
    tnet_free(&net);
    db_ctx_free(ctx);
}

static int b_conv3(db_ctx *c, tnet *n, tr_rng *r) { return tnet_conv(c, n, 0, 3, 3, 1, r); }
static int b_conv3s2(db_ctx *c, tnet *n, tr_rng *r) { return tnet_conv(c, n, 0, 4, 3, 2, r); }
static int b_conv1(db_ctx *c, tnet *n, tr_rng *r) { return tnet_conv(c, n, 0, 3, 1, 1, r); }
static int b_bconv(db_ctx *c, tnet *n, tr_rng *r) { return tnet_bconv(c, n, 0, 3, 3, 1, r); }
static int b_bconvs2(db_ctx *c, tnet *n, tr_rng *r) { return tnet_bconv(c, n, 0, 4, 3, 2, r); }
static int b_bn(db_ctx *c, tnet *n, tr_rng *r) { return tnet_unary(c, n, DB_OP_BATCHNORM, 0); }
static int b_rprelu(db_ctx *c, tnet *n, tr_rng *r) { return tnet_unary(c, n, DB_OP_RPRELU, 0); }
static int b_pool(db_ctx *c, tnet *n, tr_rng *r) { return tnet_unary(c, n, DB_OP_AVGPOOL2, 0); }
static int b_haar(db_ctx *c, tnet *n, tr_rng *r) { return tnet_unary(c, n, DB_OP_HAAR2, 0); }
static int b_dup(db_ctx *c, tnet *n, tr_rng *r) { return tnet_unary(c, n, DB_OP_CHANNEL_DUP, 0); }
static int b_pm(db_ctx *c, tnet *n, tr_rng *r)
{
    return tnet_unary(c, n, DB_OP_CHANNEL_PAIR_MEAN, 0);
}
static int b_sig(db_ctx *c, tnet *n, tr_rng *r) { return tnet_unary(c, n, DB_OP_SIGMOID, 0); }
static int b_dbhead(db_ctx *c, tnet *n, tr_rng *r) { return tnet_unary(c, n, DB_OP_DB_HEAD, 0); }
static int b_add(db_ctx *c, tnet *n, tr_rng *r)
{
    int a = tnet_conv(c, n, 0, 2, 1, 1, r);
    return tnet_binary(c, n, DB_OP_ADD, a, 0);
}
static int b_concat(db_ctx *c, tnet *n, tr_rng *r)
{
    int a = tnet_conv(c, n, 0, 3, 1, 1, r);
    return tnet_binary(c, n, DB_OP_CONCAT, a, 0);
}
static int b_up(db_ctx *c, tnet *n, tr_rng *r)
{
    int a = tnet_unary(c, n, DB_OP_AVGPOOL2, 0);
    return tnet_binary(c, n, DB_OP_UPSAMPLE2, a, 0);
}
static int b_unet(db_ctx *c, tnet *n, tr_rng *r)
{
    /* a whole (tiny) network: every op of the architecture at once */
    tr_arch a = {.width = 4, .levels = 3, .head = TR_HEAD_MASK};
    tnet_free(n);
    tnet_init(n);
    n->float_mode = true;
    return tr_arch_build(c, n, &a, r);
}

static void test_grad_conv(void **s)
{
    grad_check("conv_real 3x3", b_conv3, 2, 7, 6, 3);
    grad_check("conv_real 3x3 stride 2", b_conv3s2, 2, 7, 5, 2);
    grad_check("conv_real 1x1", b_conv1, 2, 5, 4, 3);
}

static void test_grad_bconv(void **s)
{
    grad_check("bconv 3x3 (float)", b_bconv, 2, 6, 5, 3);
    grad_check("bconv 3x3 s2 (float)", b_bconvs2, 2, 7, 7, 2);
}

static void test_grad_norm_act(void **s)
{
    grad_check("batchnorm", b_bn, 3, 4, 3, 3);
    grad_check("rprelu", b_rprelu, 2, 5, 4, 3);
    grad_check("sigmoid", b_sig, 2, 4, 4, 2);
    grad_check("db_head", b_dbhead, 2, 4, 3, 2);
}

static void test_grad_shape_ops(void **s)
{
    grad_check("avgpool2 (odd)", b_pool, 2, 5, 7, 2);
    grad_check("haar2 (odd)", b_haar, 2, 7, 5, 2);
    grad_check("upsample2", b_up, 2, 5, 6, 2);
    grad_check("add", b_add, 2, 4, 4, 2);
    grad_check("concat", b_concat, 2, 4, 4, 2);
    grad_check("channel_dup", b_dup, 2, 3, 3, 3);
    grad_check("channel_pair_mean", b_pm, 2, 3, 3, 4);
}

static void test_grad_whole_unet(void **s)
{
    /* a deep float net: RPReLU kinks and float rounding make small steps
     * noisy, so the kinks are removed (slope 1, checked alone above) and the
     * step is larger */
    linear_rprelu = true;
    fd_step = 1e-2f;
    grad_check("unet w4 l3 (float)", b_unet, 2, 16, 12, TR_IN_CHANNELS);
    linear_rprelu = false;
    fd_step = 1e-3f;
}

/* ------------------------------------------------------------------ losses */

typedef double (*loss_fn)(const float *z, float *g, size_t n, const void *aux);

static void loss_check(const char *what, loss_fn f, size_t n, size_t nz, const void *aux,
                       float scale)
{
    tr_rng rng;
    tr_rng_seed(&rng, tu_seed() + 7);
    float *z = malloc(nz * sizeof *z), *g = malloc(nz * sizeof *g);
    for (size_t i = 0; i < nz; i++)
        z[i] = scale * (float)tr_rng_normal(&rng);
    f(z, g, n, aux);
    double worst = 0;
    for (size_t i = 0; i < nz; i++) {
        float keep = z[i], h = 1e-3f;
        z[i] = keep + h;
        double lp = f(z, NULL, n, aux);
        z[i] = keep - h;
        double lm = f(z, NULL, n, aux);
        z[i] = keep;
        double fd = (lp - lm) / (2.0 * h);
        worst = fmax(worst, fabs(fd - g[i]) / fmax(1e-2, fabs(fd) + fabs(g[i])));
    }
    printf("loss %-22s worst relative error %.2e\n", what, worst);
    assert_true(worst < 2e-2);
    free(z);
    free(g);
}

static const float loss_t[12] = {1, 0, 0, 1, 1, 0, 0, 0, 1, 0, 1, 1};
static const float loss_tt[12] = {.7f, .3f, .5f, .6f, .7f, .3f, .3f, .4f, .7f, .5f, .6f, .7f};
static const float loss_tm[12] = {1, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 1};

static double f_bce_dice(const float *z, float *g, size_t n, const void *aux)
{
    return tr_loss_bce_dice_logits(z, 1, loss_t, n, 1.0f, g);
}

static double f_db(const float *z, float *g, size_t n, const void *aux)
{
    /* k = 5 keeps the finite differences in the smooth part (k = 50 is tested
     * by the training run) */
    return tr_loss_db(z, loss_t, loss_tt, loss_tm, n, 5.0f, 1.0f, 1.0f, 10.0f, g);
}

static double f_gan(const float *z, float *g, size_t n, const void *aux)
{
    const int *mode = aux;
    return tr_gan_loss_eval((tr_gan_loss)mode[0], z, n, mode[1], mode[2], g);
}

static void test_grad_losses(void **s)
{
    loss_check("bce + dice", f_bce_dice, 12, 12, NULL, 2.0f);
    loss_check("db (P, T, B)", f_db, 12, 24, NULL, 1.0f);
    for (int kind = 1; kind <= 2; kind++)
        for (int m = 0; m < 3; m++) {
            int mode[3] = {kind, m == 0, m == 2};
            char name[64];
            snprintf(name, sizeof name, "gan %s %s", kind == 1 ? "hinge" : "lsgan",
                     m == 0 ? "real" : m == 1 ? "fake" : "gen");
            loss_check(name, f_gan, 12, 12, mode, 1.7f);
        }
}

static void test_db_threshold_target_peaks_at_border(void **s)
{
    /* a vertical edge between x = 3 (ink) and x = 4 (paper) */
    float t[8 * 3], tt[8 * 3], tm[8 * 3];
    for (int y = 0; y < 3; y++)
        for (int x = 0; x < 8; x++)
            t[y * 8 + x] = x < 4;
    tr_db_threshold_target(t, 8, 3, 2, 0.3f, 0.7f, tt, tm);
    assert_float_equal(tt[8 + 3], 0.7f, 1e-6);
    assert_float_equal(tt[8 + 4], 0.7f, 1e-6);
    assert_float_equal(tt[8 + 2], 0.5f, 1e-6);
    assert_float_equal(tm[8 + 0], 0.0f, 0);
    assert_float_equal(tm[8 + 7], 0.0f, 0);
    assert_float_equal(tm[8 + 5], 1.0f, 0);
    assert_float_equal(tm[8 + 6], 0.0f, 0);
}

/* -------------------------------------------------------------- estimators */

static void test_estimators_follow_their_formulas(void **s)
{
    tr_est_params p;
    tr_est_defaults(&p);
    assert_float_equal(tr_est_act_grad(&p, 0.5f), 1.0f, 0);
    assert_float_equal(tr_est_act_grad(&p, -1.0f), 1.0f, 0);
    assert_float_equal(tr_est_act_grad(&p, 1.01f), 0.0f, 0);
    assert_float_equal(tr_est_weight_sign(&p, -0.0f), 1.0f, 0);
    assert_float_equal(tr_est_weight_sign(&p, -1e-9f), -1.0f, 0);
    p.kind = TR_EST_RESTE;
    p.reste_o = 1.0f;
    assert_float_equal(tr_est_act_grad(&p, 1.4f), 1.0f, 0); /* o = 1: identity up to t */
    assert_float_equal(tr_est_act_grad(&p, 1.6f), 0.0f, 0);
    p.reste_o = 3.0f;
    /* (1/3) |x|^(-2/3) at x = 0.125: (1/3) * 4 */
    assert_float_equal(tr_est_act_grad(&p, 0.125f), 4.0f / 3.0f, 1e-5);
    assert_float_equal(tr_est_act_grad(&p, 1e-9f), p.reste_cap, 0);
    p.kind = TR_EST_BIPER;
    p.biper_omega = 2.0f;
    /* square wave sign(sin(2 w)): w = 2 is past pi/2 -> sin(4) < 0 */
    assert_float_equal(tr_est_weight_sign(&p, 2.0f), -1.0f, 0);
    assert_float_equal(tr_est_weight_sign(&p, 0.3f), 1.0f, 0);
    float w = 0.4f, h = 1e-3f;
    float fd = (sinf(2 * (w + h)) - sinf(2 * (w - h))) / (2 * h);
    assert_float_equal(tr_est_weight_grad(&p, w), fd, 1e-3);
}

static void test_bconv_pads_with_plus_one(void **s)
{
    /* all weights positive, input all +1: every output (border included) is
     * K * alpha because padded taps read +1 */
    db_ctx *ctx = NULL;
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    tnet net;
    tnet_init(&net);
    tr_rng rng;
    tr_rng_seed(&rng, 1);
    assert_int_equal(tnet_input(ctx, &net, 2), 0);
    assert_int_equal(tnet_bconv(ctx, &net, 0, 1, 3, 1, &rng), 1);
    for (size_t q = 0; q < net.nodes[1].nw; q++)
        net.nodes[1].pw[q] = 0.5f;
    assert_int_equal(tnet_prepare(ctx, &net, NULL, 1, 4, 3), 0);
    float x[4 * 3 * 2];
    for (int i = 0; i < 24; i++)
        x[i] = 0.25f + (float)i;
    tnet_forward(&net, x, TN_TRAIN);
    for (int i = 0; i < 12; i++)
        assert_float_equal(net.nodes[1].y[i], 18 * 0.5f, 0);
    /* a negative input channel value flips its taps: pixel (0,0) sees 4 taps
     * of (1,1) for the centre... simply: x - 100 makes every inside tap -1 */
    for (int i = 0; i < 24; i++)
        x[i] = -100.0f;
    tnet_forward(&net, x, TN_TRAIN);
    /* corner (0,0): 4 inside taps x 2 channels = 8 at -1, 10 padded at +1 */
    assert_float_equal(net.nodes[1].y[0], (10 - 8) * 0.5f, 0);
    tnet_free(&net);
    db_ctx_free(ctx);
}

/* The same training step on 1 and 2 threads gives identical gradients. */
static void test_gradients_do_not_depend_on_threads(void **s)
{
    db_ctx *ctx = NULL;
    db_pool *pool = NULL;
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    assert_int_equal(db_pool_create(2, &pool), 0);
    float *grads[2] = {0};
    size_t np = 0;
    for (int run = 0; run < 2; run++) {
        tnet net;
        tnet_init(&net);
        tr_rng rng;
        tr_rng_seed(&rng, 42);
        tr_arch a = {.width = 8, .levels = 2, .head = TR_HEAD_MASK};
        assert_int_equal(tr_arch_build(ctx, &net, &a, &rng), 0);
        assert_int_equal(tnet_prepare(ctx, &net, run ? pool : NULL, 3, 16, 16), 0);
        size_t nx = 3 * 16 * 16 * TR_IN_CHANNELS;
        float *x = malloc(nx * sizeof *x);
        for (size_t i = 0; i < nx; i++)
            x[i] = (float)tr_rng_uniform(&rng);
        tnet_forward(&net, x, TN_TRAIN);
        tn_node *o = tnet_out(&net);
        for (size_t i = 0; i < (size_t)3 * 16 * 16; i++)
            o->gy[i] = o->y[i] - 0.5f;
        tnet_zero_grad(&net);
        tnet_backward(&net);
        np = tnet_param_count(&net);
        grads[run] = malloc(np * sizeof(float));
        size_t off = 0;
        for (int i = 0; i < net.nnodes; i++) {
            if (net.nodes[i].nw)
                memcpy(grads[run] + off, net.nodes[i].gw, net.nodes[i].nw * sizeof(float));
            off += net.nodes[i].nw;
            for (int j = 0; j < TN_MAXP; j++) {
                if (net.nodes[i].np[j])
                    memcpy(grads[run] + off, net.nodes[i].g[j],
                           (size_t)net.nodes[i].np[j] * sizeof(float));
                off += (size_t)net.nodes[i].np[j];
            }
        }
        free(x);
        tnet_free(&net);
    }
    assert_memory_equal(grads[0], grads[1], np * sizeof(float));
    free(grads[0]);
    free(grads[1]);
    db_pool_free(pool);
    db_ctx_free(ctx);
}

/* HAAR2 is orthonormal, so its backward (the transpose) is its inverse: the
 * DWT round trip gives the page back exactly (8-bit values: every sum is an
 * exact float). */
static void test_haar2_round_trip_is_exact(void **s)
{
    db_ctx *ctx = NULL;
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    tnet net;
    tnet_init(&net);
    assert_int_equal(tnet_input(ctx, &net, 3), 0);
    assert_int_equal(tnet_unary(ctx, &net, DB_OP_HAAR2, 0), 1);
    const int w = 10, h = 6;
    assert_int_equal(tnet_prepare(ctx, &net, NULL, 2, w, h), 0);
    float x[2 * 10 * 6 * 3];
    uint64_t rng = tu_seed();
    for (size_t i = 0; i < sizeof x / sizeof *x; i++)
        x[i] = (float)tu_rand_range(&rng, 0, 255);
    tnet_forward(&net, x, TN_TRAIN);
    tn_node *o = tnet_out(&net);
    assert_int_equal(o->c, 12);
    /* LL of channel 1 at (0,0): (x00 + x01 + x10 + x11) / 2 */
    float ll = (x[1] + x[3 + 1] + x[w * 3 + 1] + x[w * 3 + 3 + 1]) * 0.5f;
    assert_float_equal(o->y[4 * 1 + 0], ll, 0);
    memcpy(o->gy, o->y, (size_t)2 * o->h * o->w * o->c * sizeof(float));
    tnet_backward(&net);
    assert_memory_equal(net.nodes[0].gy, x, sizeof x);
    tnet_free(&net);
    db_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grad_conv),
        cmocka_unit_test(test_grad_bconv),
        cmocka_unit_test(test_grad_norm_act),
        cmocka_unit_test(test_grad_shape_ops),
        cmocka_unit_test(test_grad_whole_unet),
        cmocka_unit_test(test_grad_losses),
        cmocka_unit_test(test_db_threshold_target_peaks_at_border),
        cmocka_unit_test(test_estimators_follow_their_formulas),
        cmocka_unit_test(test_bconv_pads_with_plus_one),
        cmocka_unit_test(test_haar2_round_trip_is_exact),
        cmocka_unit_test(test_gradients_do_not_depend_on_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
