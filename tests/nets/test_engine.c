/* test_engine.c - the engine against a plain node-by-node interpreter of the
 * graph semantics (graph.h), and its invariances: tiled == untiled, any
 * thread count, every ISA, model file round trip. Seed: DOCBIN_TEST_SEED. */
#include "test_util.h"

#include "nets/layers.h"
#include "nets/model.h"
#include "nets/stem8.h"
#include "nets/unet.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- the interpreter: whole image, no fusion, no packing ---- */

typedef struct map {
    int w, h, c;
    float *v;
} map;

static float at(const map *m, int x, int y, int c)
{
    return m->v[((size_t)y * (size_t)m->w + (size_t)x) * (size_t)m->c + (size_t)c];
}

/* Bilinear x2 written from the sampling position, independently of graph.h's
 * index rule: output x samples input coordinate (x + 0.5) / 2 - 0.5 (half-
 * pixel centres), between floor and floor + 1 (clamped to the map), weights
 * 1 - f and f; rows first, then the column blend. Float addition is
 * commutative, so the sum order of two terms does not matter. */
static float bilinear_at(const map *a, const map *o, int x, int y, int c)
{
    (void)o;
    double sx = (x + 0.5) / 2 - 0.5, sy = (y + 0.5) / 2 - 0.5;
    int x0 = (int)floor(sx), y0 = (int)floor(sy);
    float fx = (float)(sx - x0), fy = (float)(sy - y0);
    int xa = x0 < 0 ? 0 : x0, xb = x0 + 1 >= a->w ? a->w - 1 : x0 + 1;
    int ya = y0 < 0 ? 0 : y0, yb = y0 + 1 >= a->h ? a->h - 1 : y0 + 1;
    float h[2];
    for (int r = 0; r < 2; r++) {
        int yy = r ? yb : ya;
        h[r] = at(a, xa, yy, c) * (1.0f - fx) + at(a, xb, yy, c) * fx;
    }
    return h[0] * (1.0f - fy) + h[1] * fy;
}

static void interp(const db_graph *g, const db_image *page, map *maps)
{
    for (int i = 0; i < g->nnodes; i++) {
        const db_gnode *n = &g->nodes[i];
        const map *a = n->in[0] >= 0 ? &maps[n->in[0]] : NULL;
        const map *b = n->in[1] >= 0 ? &maps[n->in[1]] : NULL;
        map *o = &maps[i];
        o->c = n->cout;
        o->w = a ? a->w : page->width;
        o->h = a ? a->h : page->height;
        if (n->op == DB_OP_CONV_REAL || n->op == DB_OP_BCONV) {
            o->w = (a->w + n->stride - 1) / n->stride;
            o->h = (a->h + n->stride - 1) / n->stride;
        } else if (n->op == DB_OP_AVGPOOL2 || n->op == DB_OP_HAAR2) {
            o->w = (a->w + 1) / 2;
            o->h = (a->h + 1) / 2;
        } else if (n->op == DB_OP_UPSAMPLE2) {
            o->w = b->w;
            o->h = b->h;
        }
        o->v = calloc((size_t)o->w * (size_t)o->h * (size_t)o->c, sizeof(float));
        float mean = 0, inv = 1;
        if (g->nodes[0].attr == DB_NORM_PAGE_STD)
            db_input_page_stats(page->data, page->stride, page->width, page->height, 1, 0, &mean,
                                &inv);
        if (db_stem8_applies(g, i)) { /* the integer stem: its own definition */
            db_stem8 q;
            assert_int_equal(db_stem8_init(NULL, g, i, &q), 0);
            db_stem8_prepare(&q, g, i, &mean, &inv, 1);
            assert_int_equal(db_stem8_run_ref(NULL, &q, page, o->v), 0);
            db_stem8_free(&q);
            continue;
        }
        for (int y = 0; y < o->h; y++)
            for (int x = 0; x < o->w; x++)
                for (int c = 0; c < o->c; c++) {
                    float r = 0;
                    switch (n->op) {
                    case DB_OP_INPUT: {
                        uint8_t v = db_image_row(page, y)[x];
                        r = n->attr == DB_NORM_UNIT ? db_input_unit(v) : db_input_std(v, mean, inv);
                        break;
                    }
                    case DB_OP_CONV_REAL:
                    case DB_OP_BCONV: {
                        float acc = 0;
                        int32_t iacc = 0;
                        for (int ky = 0; ky < n->k; ky++)
                            for (int kx = 0; kx < n->k; kx++) {
                                int ix = x * n->stride - n->k / 2 + kx;
                                int iy = y * n->stride - n->k / 2 + ky;
                                bool inside = ix >= 0 && iy >= 0 && ix < a->w && iy < a->h;
                                for (int ci = 0; ci < n->cin; ci++) {
                                    float wv = n->w[(((size_t)c * (size_t)n->k + (size_t)ky) *
                                                         (size_t)n->k +
                                                     (size_t)kx) *
                                                        (size_t)n->cin +
                                                    (size_t)ci];
                                    if (n->op == DB_OP_CONV_REAL) {
                                        if (inside)
                                            acc = acc + wv * at(a, ix, iy, ci);
                                    } else {
                                        /* +1 padding outside; -1 for a set bit */
                                        int av =
                                            inside && db_rsign_bit(at(a, ix, iy, ci), n->p[0][ci])
                                                ? -1
                                                : 1;
                                        int wb = db_sign_bit(wv) ? -1 : 1;
                                        iacc += av * wb;
                                    }
                                }
                            }
                        r = n->op == DB_OP_CONV_REAL ? acc + n->p[0][c]
                                                     : db_bconv_out(iacc, n->p[1][c]);
                        break;
                    }
                    case DB_OP_BATCHNORM:
                        r = db_bn_out(at(a, x, y, c), n->p[0][c], n->p[1][c]);
                        break;
                    case DB_OP_RPRELU:
                        r = db_rprelu_out(at(a, x, y, c), n->p[0][c], n->p[1][c], n->p[2][c]);
                        break;
                    case DB_OP_ADD: r = at(a, x, y, c) + at(b, x, y, c); break;
                    case DB_OP_AVGPOOL2:
                    case DB_OP_HAAR2: {
                        int x1 = 2 * x + 1 < a->w ? 2 * x + 1 : 2 * x,
                            y1 = 2 * y + 1 < a->h ? 2 * y + 1 : 2 * y;
                        int ci = n->op == DB_OP_HAAR2 ? c / 4 : c;
                        float p = at(a, 2 * x, 2 * y, ci), q = at(a, x1, 2 * y, ci);
                        float s = at(a, 2 * x, y1, ci), t = at(a, x1, y1, ci);
                        if (n->op == DB_OP_AVGPOOL2) {
                            r = db_avgpool_out(p, q, s, t);
                        } else {
                            float hv[4];
                            db_haar2_out(p, q, s, t, hv);
                            r = hv[c % 4];
                        }
                        break;
                    }
                    case DB_OP_UPSAMPLE2:
                        r = n->attr == DB_UPSAMPLE_BILINEAR ? bilinear_at(a, o, x, y, c)
                                                            : at(a, x / 2, y / 2, c);
                        break;
                    case DB_OP_CONCAT: r = c < a->c ? at(a, x, y, c) : at(b, x, y, c - a->c); break;
                    case DB_OP_CHANNEL_DUP: r = at(a, x, y, c % a->c); break;
                    case DB_OP_CHANNEL_PAIR_MEAN:
                        r = db_pair_mean(at(a, x, y, 2 * c), at(a, x, y, 2 * c + 1));
                        break;
                    case DB_OP_SIGMOID: r = db_sigmoid_out(at(a, x, y, c)); break;
                    case DB_OP_DB_HEAD: r = at(a, x, y, 0) - at(a, x, y, 1); break;
                    default: break;
                    }
                    o->v[((size_t)y * (size_t)o->w + (size_t)x) * (size_t)o->c + (size_t)c] = r;
                }
    }
}

static void make_page(db_image *img, int w, int h, uint64_t *st)
{
    assert_int_equal(db_image_ensure(NULL, img, w, h, DB_GRAY8), 0);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int v = 200 - ((x / 7 + y / 5) % 3 == 0 ? 150 : 0) + tu_rand_range(st, -30, 30);
            db_image_row(img, y)[x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
}

static void small_unet(db_ctx *ctx, db_graph *g, bool haar, int levels, uint64_t seed)
{
    db_unet_spec sp = db_unet_spec_default();
    sp.levels = levels;
    sp.ch[0] = 8;
    sp.ch[1] = 16;
    sp.ch[2] = 32;
    sp.ch[3] = 65; /* odd: exercises partial words */
    sp.haar = haar;
    if (levels == 4)
        sp.ch[3] = 64;
    memset(g, 0, sizeof *g);
    assert_int_equal(db_unet_build(ctx, &sp, g), 0);
    db_graph_randomize(g, seed);
}

typedef struct run_out {
    db_image bits, logits;
} run_out;

static void run_net(db_ctx *ctx, const db_model *m, const db_image *page, int tile, run_out *r)
{
    db_net *net;
    assert_int_equal(db_net_create(ctx, m, &net), 0);
    assert_int_equal(db_net_set_tile(ctx, net, tile), 0);
    int rc = db_net_run(ctx, net, page, &r->bits, &r->logits);
    if (rc)
        fail_msg("db_net_run: %s", db_ctx_message(ctx));
    db_net_free(net);
}

static void assert_same(const run_out *a, const run_out *b, const char *what)
{
    int w = a->bits.width, h = a->bits.height;
    for (int y = 0; y < h; y++) {
        if (memcmp(db_image_row(&a->logits, y), db_image_row(&b->logits, y), (size_t)w * 4) != 0)
            fail_msg("%s: logits differ in row %d", what, y);
        if (memcmp(db_image_row(&a->bits, y), db_image_row(&b->bits, y), a->bits.stride) != 0)
            fail_msg("%s: bits differ in row %d", what, y);
    }
}

static void free_out(run_out *r)
{
    db_image_free(&r->bits);
    db_image_free(&r->logits);
}

/* The engine's logits r equal the interpreter's output map o on every pixel
 * of page, bit for bit. */
static void assert_logits_equal(const map *o, const run_out *r, const db_image *page,
                                const char *what)
{
    for (int y = 0; y < page->height; y++)
        for (int x = 0; x < page->width; x++) {
            float e = o->v[(size_t)y * (size_t)o->w + (size_t)x];
            float got = ((const float *)(const void *)db_image_row(&r->logits, y))[x];
            if (memcmp(&e, &got, 4) != 0)
                fail_msg("%s: logit (%d,%d) engine %.9g interpreter %.9g", what, x, y,
                         (double)got, (double)e);
        }
}

/* Frees the interpreter's maps of the n nodes of a graph. */
static void free_maps(map *maps, int n)
{
    for (int i = 0; i < n; i++)
        free(maps[i].v);
    free(maps);
}

static void test_engine_equals_interpreter(void **state)
{
    (void)state;
    uint64_t st = tu_seed() ^ 0xe1;
    db_ctx *ctx;
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    for (int haar = 0; haar <= 1; haar++) {
        db_graph g;
        small_unet(ctx, &g, haar, 3, tu_rand(&st));
        db_model *m;
        assert_int_equal(db_model_from_graph(ctx, &g, &m), 0);
        db_image page = {0};
        make_page(&page, 77, 53, &st);
        run_out r = {0};
        run_net(ctx, m, &page, 0, &r);
        map *maps = calloc((size_t)g.nnodes, sizeof(map));
        interp(&g, &page, maps);
        const map *o = &maps[g.nnodes - 1];
        long ink = 0;
        for (int y = 0; y < page.height; y++)
            for (int x = 0; x < page.width; x++) {
                float e = o->v[(size_t)y * (size_t)o->w + (size_t)x];
                float got = ((float *)(void *)db_image_row(&r.logits, y))[x];
                if (memcmp(&e, &got, 4) != 0)
                    fail_msg("haar %d: logit (%d,%d) engine %.9g interpreter %.9g", haar, x, y,
                             (double)got, (double)e);
                assert_int_equal(db_bit_get(&r.bits, x, y), e > 0.0f);
                ink += e > 0.0f;
            }
        /* a test that cannot fail is a defect: the output must not be constant */
        assert_true(ink > 0 && ink < (long)page.width * page.height);
        free_maps(maps, g.nnodes);
        free_out(&r);
        db_image_free(&page);
        db_model_free(m);
        db_graph_free(&g);
    }
    db_ctx_free(ctx);
}

/* Every op of the table that the U-Net lacks: a bits-only BCONV chain (integer
 * thresholds), 1x1 stride-2 BCONV, CONCAT, 66 channels, pair mean, SIGMOID,
 * DB_HEAD; engine (tiled, every ISA) against the interpreter. */
static void test_op_zoo_equals_interpreter(void **state)
{
    db_ctx *ctx = *state;
    uint64_t st = tu_seed() ^ 0xe4;
    db_graph g = {0};
    int in = db_graph_input(ctx, &g, 1, DB_NORM_UNIT);
    int c1 = db_graph_conv_real(ctx, &g, in, 8, 3, 1);
    int b1 = db_graph_bconv(ctx, &g, c1, 16, 3, 1);
    int r1 = db_graph_unary(ctx, &g, DB_OP_RPRELU, db_graph_unary(ctx, &g, DB_OP_BATCHNORM, b1));
    int b2 = db_graph_bconv(ctx, &g, r1, 16, 1, 2);
    int n2 = db_graph_unary(ctx, &g, DB_OP_BATCHNORM, b2);
    int up = db_graph_binary(ctx, &g, DB_OP_UPSAMPLE2, n2, c1);
    int cat = db_graph_binary(ctx, &g, DB_OP_CONCAT, up, c1);
    int b3 = db_graph_bconv(ctx, &g, cat, 66, 3, 1);
    int pm = db_graph_unary(ctx, &g, DB_OP_CHANNEL_PAIR_MEAN, b3);
    int sg = db_graph_unary(ctx, &g, DB_OP_SIGMOID, pm);
    int c2 = db_graph_conv_real(ctx, &g, sg, 2, 1, 1);
    assert_true(db_graph_unary(ctx, &g, DB_OP_DB_HEAD, c2) > 0);
    assert_int_equal(db_graph_validate(ctx, &g), 0);
    db_graph_randomize(&g, tu_rand(&st));
    db_model *m;
    assert_int_equal(db_model_from_graph(ctx, &g, &m), 0);
    db_image page = {0};
    make_page(&page, 93, 71, &st);
    map *maps = calloc((size_t)g.nnodes, sizeof(map));
    interp(&g, &page, maps);
    const map *o = &maps[g.nnodes - 1];
    db_isa isas[3] = {DB_ISA_REF, DB_ISA_AVX2, DB_ISA_AVX512};
    for (int i = 0; i < 3; i++) {
        if (!db_cpu_supports(isas[i]))
            continue;
        assert_int_equal(db_ctx_set_isa(ctx, isas[i]), 0);
        for (int tile = 0; tile <= 64; tile += 64) {
            run_out r = {0};
            run_net(ctx, m, &page, tile, &r);
            char what[64];
            snprintf(what, sizeof what, "%s tile %d", db_isa_name(isas[i]), tile);
            assert_logits_equal(o, &r, &page, what);
            free_out(&r);
        }
    }
    free_maps(maps, g.nnodes);
    db_image_free(&page);
    db_model_free(m);
    db_graph_free(&g);
}

/* Bilinear x2 upsampling: a hand-checked row, then a network with two
 * bilinear upsamplings (odd sizes, so the last column/row is clamped) against
 * the interpreter's position-based reference for every ISA, untiled, tiled
 * (the halo must cover the extra low pixel) and on 2 threads. */
static void test_bilinear_upsample_equals_reference(void **state)
{
    db_ctx *ctx = *state;
    /* [0 4] (2 x 1) to 4 x 2: 0, 0*3/4 + 4/4, 4*3/4 + 0/4, 4 on both rows */
    const float lo[2] = {0.0f, 4.0f};
    float up[8], want[8] = {0, 1, 3, 4, 0, 1, 3, 4};
    db_layer_upsample2_bilinear(1, lo, 2, 1, 4, 2, up);
    assert_memory_equal(up, want, sizeof want);

    uint64_t st = tu_seed() ^ 0xe5;
    db_graph g = {0};
    /* a binary path (bconv, BN, ADD of a bilinear map) and a float-only
     * pyramid (3 poolings, 3 bilinear upsamplings: every edge effect reaches
     * the logits, so a short halo shows) */
    int in = db_graph_input(ctx, &g, 1, DB_NORM_UNIT);
    int c1 = db_graph_conv_real(ctx, &g, in, 4, 3, 1);
    int n1 = db_graph_unary(ctx, &g, DB_OP_BATCHNORM, db_graph_bconv(ctx, &g, c1, 4, 3, 2));
    int n2 = db_graph_unary(ctx, &g, DB_OP_BATCHNORM, db_graph_bconv(ctx, &g, n1, 4, 3, 2));
    int ups[5];
    ups[0] = db_graph_binary(ctx, &g, DB_OP_UPSAMPLE2, n2, n1);
    int add = db_graph_binary(ctx, &g, DB_OP_ADD, ups[0], n1);
    int p1 = db_graph_unary(ctx, &g, DB_OP_AVGPOOL2, add);
    int p2 = db_graph_unary(ctx, &g, DB_OP_AVGPOOL2, p1);
    int p3 = db_graph_unary(ctx, &g, DB_OP_AVGPOOL2, p2);
    ups[1] = db_graph_binary(ctx, &g, DB_OP_UPSAMPLE2, p3, p2);
    ups[2] = db_graph_binary(ctx, &g, DB_OP_UPSAMPLE2, ups[1], p1);
    ups[3] = db_graph_binary(ctx, &g, DB_OP_UPSAMPLE2, ups[2], add);
    ups[4] = db_graph_binary(ctx, &g, DB_OP_UPSAMPLE2, ups[3], c1);
    int cat = db_graph_binary(ctx, &g, DB_OP_CONCAT, ups[4], c1);
    assert_true(db_graph_conv_real(ctx, &g, cat, 1, 3, 1) > 0);
    int halo_nearest, halo, align;
    db_graph_halo(&g, &halo_nearest, &align);
    for (int i = 0; i < 5; i++)
        g.nodes[ups[i]].attr = DB_UPSAMPLE_BILINEAR;
    /* each bilinear upsampling reads one more low pixel: 16 + 8 + 4 + 4 + 2
     * input pixels more, rounded to the alignment (16): 32 -> 64 */
    db_graph_halo(&g, &halo, &align);
    assert_int_equal(align, 16);
    assert_int_equal(halo_nearest, 32);
    assert_int_equal(halo, 64);
    assert_int_equal(db_graph_validate(ctx, &g), 0);
    db_graph_randomize(&g, tu_rand(&st));
    db_model *m;
    assert_int_equal(db_model_from_graph(ctx, &g, &m), 0);
    db_image page = {0};
    make_page(&page, 157, 75, &st);
    map *maps = calloc((size_t)g.nnodes, sizeof(map));
    interp(&g, &page, maps);
    const map *o = &maps[g.nnodes - 1];
    db_pool *pool;
    db_ctx *pctx;
    assert_int_equal(db_pool_create(2, &pool), 0);
    assert_int_equal(db_ctx_create(pool, &pctx), 0);
    db_isa isas[3] = {DB_ISA_REF, DB_ISA_AVX2, DB_ISA_AVX512};
    long ink = 0;
    for (int i = 0; i < 3; i++) {
        if (!db_cpu_supports(isas[i]))
            continue;
        assert_int_equal(db_ctx_set_isa(ctx, isas[i]), 0);
        for (int pass = 0; pass < 3; pass++) {
            run_out r = {0};
            run_net(pass == 2 ? pctx : ctx, m, &page, pass ? 64 : 0, &r);
            char what[64];
            snprintf(what, sizeof what, "%s pass %d", db_isa_name(isas[i]), pass);
            assert_logits_equal(o, &r, &page, what);
            free_out(&r);
        }
    }
    for (size_t p = 0; p < (size_t)page.width * (size_t)page.height; p++)
        ink += o->v[p] > 0.0f;
    assert_true(ink > 0 && ink < (long)page.width * page.height); /* not a constant output */
    free_maps(maps, g.nnodes);
    db_ctx_free(pctx);
    db_pool_free(pool);
    db_image_free(&page);
    db_model_free(m);
    db_graph_free(&g);
}

static void test_tiled_equals_untiled_any_threads_any_isa(void **state)
{
    (void)state;
    uint64_t st = tu_seed() ^ 0xe2;
    db_ctx *ctx;
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    db_graph g;
    small_unet(ctx, &g, false, 4, tu_rand(&st));
    db_model *m;
    assert_int_equal(db_model_from_graph(ctx, &g, &m), 0);
    db_image page = {0};
    make_page(&page, 301, 203, &st);
    run_out whole = {0};
    run_net(ctx, m, &page, 0, &whole);
    int tiles[] = {64, 128, 192};
    for (int t = 0; t < 3; t++) {
        run_out r = {0};
        run_net(ctx, m, &page, tiles[t], &r);
        char what[64];
        snprintf(what, sizeof what, "tile %d", tiles[t]);
        assert_same(&whole, &r, what);
        free_out(&r);
    }
    /* automatic tiles with a tiny budget: the smallest balanced tiles
     * (2 x 1 tiles of 192 + 109 pixels on this page) */
    {
        db_net *net;
        assert_int_equal(db_net_create(ctx, m, &net), 0);
        db_net_set_scratch_budget(net, 1);
        run_out r = {0};
        assert_int_equal(db_net_run(ctx, net, &page, &r.bits, &r.logits), 0);
        assert_same(&whole, &r, "automatic tiles");
        size_t small = db_net_scratch_size(net);
        db_net_set_scratch_budget(net, (size_t)1 << 30); /* one tile */
        assert_int_equal(db_net_run(ctx, net, &page, &r.bits, &r.logits), 0);
        assert_same(&whole, &r, "automatic, one tile");
        assert_true(db_net_scratch_size(net) >= small); /* the halo covers most of it here */
        free_out(&r);
        db_net_free(net);
    }
    for (int nt = 2; nt <= 3; nt++) {
        db_pool *pool;
        db_ctx *pctx;
        assert_int_equal(db_pool_create(nt, &pool), 0);
        assert_int_equal(db_ctx_create(pool, &pctx), 0);
        run_out r = {0};
        run_net(pctx, m, &page, 64, &r);
        assert_same(&whole, &r, "threads");
        free_out(&r);
        /* automatic tiles: at least one per thread (here row bands) */
        run_net(pctx, m, &page, -1, &r);
        assert_same(&whole, &r, "threads, automatic tiles");
        free_out(&r);
        db_ctx_free(pctx);
        db_pool_free(pool);
    }
    db_isa isas[3] = {DB_ISA_REF, DB_ISA_AVX2, DB_ISA_AVX512};
    for (int i = 0; i < 3; i++) {
        if (!db_cpu_supports(isas[i]))
            continue;
        assert_int_equal(db_ctx_set_isa(ctx, isas[i]), 0);
        run_out r = {0};
        run_net(ctx, m, &page, 128, &r);
        assert_same(&whole, &r, db_isa_name(isas[i]));
        free_out(&r);
    }
    free_out(&whole);
    db_image_free(&page);
    db_model_free(m);
    db_graph_free(&g);
    db_ctx_free(ctx);
}

/* Scratch memory depends on the tile, not on the page. */
static void test_scratch_is_bounded_by_the_tile(void **state)
{
    (void)state;
    uint64_t st = tu_seed() ^ 0xe5;
    db_ctx *ctx;
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    db_graph g;
    small_unet(ctx, &g, false, 3, tu_rand(&st));
    db_model *m;
    assert_int_equal(db_model_from_graph(ctx, &g, &m), 0);
    db_net *net;
    assert_int_equal(db_net_create(ctx, m, &net), 0);
    assert_int_equal(db_net_set_tile(ctx, net, 64), 0);
    db_image small = {0}, large = {0}, out = {0};
    make_page(&small, 300, 200, &st);
    make_page(&large, 700, 500, &st);
    assert_int_equal(db_net_run(ctx, net, &small, &out, NULL), 0);
    size_t s1 = db_net_scratch_size(net);
    assert_int_equal(db_net_run(ctx, net, &large, &out, NULL), 0);
    assert_true(s1 > 0);
    assert_int_equal(db_net_scratch_size(net), s1);
    assert_int_equal(db_net_set_tile(ctx, net, 0), 0); /* untiled: grows with the page */
    assert_int_equal(db_net_run(ctx, net, &large, &out, NULL), 0);
    assert_true(db_net_scratch_size(net) > 2 * s1);
    db_image_free(&small);
    db_image_free(&large);
    db_image_free(&out);
    db_net_free(net);
    db_model_free(m);
    db_graph_free(&g);
    db_ctx_free(ctx);
}

static void test_model_file_round_trip_gives_same_output(void **state)
{
    (void)state;
    uint64_t st = tu_seed() ^ 0xe3;
    db_ctx *ctx;
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    db_graph g;
    small_unet(ctx, &g, true, 3, tu_rand(&st));
    char path[512];
    tu_path(path, sizeof path, tu_tmpdir("test_engine"), "net.dbm");
    assert_int_equal(db_model_save_graph(ctx, &g, path), 0);
    db_model *a, *b;
    assert_int_equal(db_model_from_graph(ctx, &g, &a), 0);
    if (db_model_load(ctx, path, &b))
        fail_msg("load: %s", db_ctx_message(ctx));
    const db_graph *gb = db_model_graph(b);
    assert_int_equal(gb->nnodes, g.nnodes);
    assert_string_equal(gb->name, g.name);
    for (int i = 0; i < g.nnodes; i++) {
        const db_gnode *x = &g.nodes[i], *y = &gb->nodes[i];
        assert_int_equal(x->op, y->op);
        for (size_t q = 0; q < x->nw; q++)
            if (x->op == DB_OP_BCONV)
                assert_int_equal(db_sign_bit(x->w[q]), db_sign_bit(y->w[q]));
            else
                assert_memory_equal(&x->w[q], &y->w[q], 4);
        for (int j = 0; j < 3; j++)
            if (x->np[j])
                assert_memory_equal(x->p[j], y->p[j], (size_t)x->np[j] * 4);
    }
    db_model_info info;
    db_model_get_info(b, &info);
    assert_int_equal(info.version, 1); /* nearest upsampling only: still version 1 */
    assert_true(info.binary_weights > 0 && info.file_bytes > info.binary_weights / 8);
    db_image page = {0};
    make_page(&page, 97, 61, &st);
    run_out ra = {0}, rb = {0};
    run_net(ctx, a, &page, 64, &ra);
    run_net(ctx, b, &page, 64, &rb);
    assert_same(&ra, &rb, "file round trip");
    free_out(&ra);
    free_out(&rb);
    db_image_free(&page);
    db_model_free(a);
    db_model_free(b);
    db_graph_free(&g);
    db_ctx_free(ctx);
}

static void test_networks_md_unet_has_the_documented_size(void **state)
{
    (void)state;
    db_ctx *ctx;
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    db_graph g = {0};
    db_unet_spec sp = db_unet_spec_default();
    assert_int_equal(db_unet_build(ctx, &sp, &g), 0);
    db_graph_stats s;
    db_graph_stats_compute(&g, &s);
    /* shared/docs/networks.md: 1,013,760 binary weights, 13 binary 3x3 convs,
     * 80.6 G binary MACs per megapixel */
    assert_int_equal(s.binary_weights, 1013760);
    assert_int_equal(s.nbconv, 13);
    assert_true(s.binary_macs_per_px * 1e6 > 80.5e9 && s.binary_macs_per_px * 1e6 < 80.7e9);
    db_graph_free(&g);
    db_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_engine_equals_interpreter),
        cmocka_unit_test_setup_teardown(test_op_zoo_equals_interpreter, tu_ctx_setup,
                                        tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_bilinear_upsample_equals_reference, tu_ctx_setup,
                                        tu_ctx_teardown),
        cmocka_unit_test(test_tiled_equals_untiled_any_threads_any_isa),
        cmocka_unit_test(test_scratch_is_bounded_by_the_tile),
        cmocka_unit_test(test_model_file_round_trip_gives_same_output),
        cmocka_unit_test(test_networks_md_unet_has_the_documented_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
