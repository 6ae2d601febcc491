/* test_global_fusion.c - stage 3 of `gan` (Ju et al. 2022): the global
 * network's resampling (nets/resample.c: area resize, ground-truth resize,
 * bilinear probability upsampling), the fusion rule (local AND grown global,
 * src/pipeline/global_fusion.c) on synthetic maps with known answers, `-m
 * gan` with and without a global model through db_method and through the
 * docbin program (gan_global.dbm beside gan.dbm, gan:global=0), refusal of
 * the wrong kind of model, and `docbin train --global` writing a model the
 * pipeline accepts. */
#include "test_util.h"

#include "nets/channel.h"
#include "nets/graph.h"
#include "nets/model.h"
#include "nets/resample.h"
#include "nets/train/trainer_internal.h"
#include "pipeline/net_methods.h"
#include "tests/pipeline/net_fixture.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char dir[1024];

/* ------------------------------------------------------------ resampling */

static void test_area_resize_known(void **state)
{
    db_ctx *ctx = *state;
    /* 4x4 -> 2x2: means of the 2x2 blocks */
    const uint8_t a[16] = {0, 4, 8, 8, 8, 12, 8, 8, 100, 100, 0, 255, 100, 100, 255, 0};
    float o[4];
    assert_int_equal(db_resample_area(ctx, a, 4, 4, 4, 1, o, 2, 2), 0);
    assert_true(fabsf(o[0] - 6.0f) < 1e-4f && fabsf(o[1] - 8.0f) < 1e-4f);
    assert_true(fabsf(o[2] - 100.0f) < 1e-4f && fabsf(o[3] - 127.5f) < 1e-4f);
    /* 3 -> 2 (fractional coverage): (p0 + p1/2) / 1.5 and (p1/2 + p2) / 1.5,
     * two channels, rows padded (stride 8) */
    const uint8_t b[8] = {30, 0, 60, 90, 90, 30, 0, 0};
    float q[4];
    assert_int_equal(db_resample_area(ctx, b, 8, 3, 1, 2, q, 2, 1), 0);
    assert_true(fabsf(q[0] - 40.0f) < 1e-4f && fabsf(q[1] - 30.0f) < 1e-4f);
    assert_true(fabsf(q[2] - 80.0f) < 1e-4f && fabsf(q[3] - 50.0f) < 1e-4f);
    /* 2 -> 4: each output inside one source pixel */
    const uint8_t c[2] = {10, 200};
    float r[4];
    assert_int_equal(db_resample_area(ctx, c, 2, 2, 1, 1, r, 4, 1), 0);
    assert_true(r[0] == 10.0f && r[1] == 10.0f && r[2] == 200.0f && r[3] == 200.0f);
    assert_int_equal(db_resample_area(ctx, c, 2, 0, 1, 1, r, 4, 1), DB_EINVAL);
}

/* A page of 256 x 256 shrunk to 64 x 64: each output pixel is a 4x4 block.
 * Blocks with k of 16 ink pixels: ink exactly when k >= 8; the image is the
 * rounded block mean. */
static void test_page_and_truth_resize(void **state)
{
    db_ctx *ctx = *state;
    const int W = 256, N = 64;
    db_image img = {0}, gt = {0};
    assert_int_equal(db_image_ensure(ctx, &img, W, W, DB_RGB8), 0);
    assert_int_equal(db_image_ensure(ctx, &gt, W, W, DB_GRAY8), 0);
    for (int y = 0; y < W; y++)
        for (int x = 0; x < W; x++) {
            int bx = x / 4, by = y / 4, k = (bx + 3 * by) % 17; /* ink pixels in the block */
            int i = (y % 4) * 4 + x % 4;
            bool ink = i < k;
            db_image_row(&gt, y)[x] = ink ? 0 : 255;
            uint8_t *p = db_image_row(&img, y) + 3 * x;
            p[0] = (uint8_t)(ink ? 20 : 200);
            p[1] = (uint8_t)(i * 10);
            p[2] = (uint8_t)(bx & 0xff);
        }
    tr_pageset s = {0};
    assert_int_equal(tr_pageset_add(ctx, &s, &img, &gt, "synthetic"), 0);
    assert_int_equal(tr_pageset_resize(ctx, &s, 32), DB_EINVAL); /* below DB_GLOBAL_MIN */
    assert_int_equal(tr_pageset_resize(ctx, &s, N), 0);
    const tr_page *p = &s.pages[0];
    assert_int_equal(p->w, N);
    assert_int_equal(p->h, N);
    long nink = 0;
    for (int by = 0; by < N; by++)
        for (int bx = 0; bx < N; bx++) {
            int k = (bx + 3 * by) % 17;
            const uint8_t *q = p->px + ((size_t)by * N + bx) * 3;
            assert_int_equal(p->ink[(size_t)by * N + bx], k >= 8);
            nink += k >= 8;
            /* R: (k * 20 + (16 - k) * 200) / 16, G: mean of i*10 = 75, B: bx */
            assert_int_equal(q[0], (int)lrint((k * 20.0 + (16 - k) * 200.0) / 16.0));
            assert_int_equal(q[1], 75);
            assert_int_equal(q[2], bx);
        }
    assert_true(fabs(p->ink_frac - (double)nink / (N * N)) < 1e-12);
    tr_pageset_free(&s);
    db_image_free(&img);
    db_image_free(&gt);
}

/* 2 x 1 map (0, 1) to 4 x 2: centres at -0.25, 0.25, 0.75, 1.25 (clamped):
 * values 0, 0.25, 0.75, 1; above 0.5: the right half. */
static void test_prob_upsample_known(void **state)
{
    db_ctx *ctx = *state;
    const float m[2] = {0.0f, 1.0f};
    db_image mask = {0};
    assert_int_equal(db_resample_prob_mask(ctx, m, 2, 1, 0.5, 4, 2, &mask), 0);
    for (int y = 0; y < 2; y++)
        for (int x = 0; x < 4; x++)
            assert_int_equal(db_bit_get(&mask, x, y), x >= 2);
    assert_int_equal(db_resample_prob_mask(ctx, m, 2, 1, 0.2, 4, 2, &mask), 0);
    for (int x = 0; x < 4; x++)
        assert_int_equal(db_bit_get(&mask, x, 0), x >= 1);
    /* 2 x 2 map, vertical: (0 / 1) to 1 x 4 */
    const float v[4] = {0.0f, 0.0f, 1.0f, 1.0f};
    assert_int_equal(db_resample_prob_mask(ctx, v, 2, 2, 0.5, 1, 4, &mask), 0);
    for (int y = 0; y < 4; y++)
        assert_int_equal(db_bit_get(&mask, 0, y), y >= 2);
    db_image_free(&mask);
}

/* ---------------------------------------------------------------- fusion */

/* A synthetic global network of size 64: logit = 5 - 10 * mean(R, G, B) / 255
 * (one 1x1 real conv), so dark pixels (mean < 127.5) are ink. */
static void make_global_graph(db_ctx *ctx, db_graph *g, const char *name)
{
    memset(g, 0, sizeof *g);
    int x = db_graph_input(ctx, g, 3, DB_NORM_UNIT);
    x = db_graph_conv_real(ctx, g, x, 1, 1, 1);
    assert_true(x > 0);
    for (int c = 0; c < 3; c++)
        g->nodes[x].w[c] = -10.0f / 3.0f;
    g->nodes[x].p[0][0] = 5.0f;
    snprintf(g->name, sizeof g->name, "%s", name);
}

/* White 256 x 256 page with a black square [64, 127]^2: at 64 x 64 it is
 * cells 16..31 with probabilities hi = sigmoid(5) inside, lo = sigmoid(-5) =
 * 1 - hi outside. Written independently of the code: the bilinear value at
 * (x, y) is lo + (hi - lo) * fx * fy, f the 1-D interpolation of the cell
 * indicator at s = (x + 0.5) / 4 - 0.5 (clamped); ink where > 0.5, i.e.
 * fx * fy > 0.5: the square [64, 127]^2 less its four corner pixels
 * (0.625^2 < 0.5 < 0.625 * 0.875). Grown by g: any such pixel within
 * Chebyshev distance g. */
static void make_block_page(db_ctx *ctx, db_image *page, int w, int h)
{
    assert_int_equal(db_image_ensure(ctx, page, w, h, DB_RGB8), 0);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            bool dark = x >= 64 && x < 128 && y >= 64 && y < 128;
            memset(db_image_row(page, y) + 3 * x, dark ? 0 : 255, 3);
        }
}

static double block_f(int x)
{
    double s = (x + 0.5) / 4.0 - 0.5;
    s = s < 0 ? 0 : s > 63 ? 63 : s;
    int a = (int)s;
    double t = s - a;
    return (1 - t) * (a >= 16 && a <= 31) + t * (a + 1 >= 16 && a + 1 <= 31);
}

static bool global_ink(int x, int y)
{
    return block_f(x) * block_f(y) > 0.5;
}

static bool grown_ink(int x, int y, int g, int w, int h)
{
    for (int v = y - g; v <= y + g; v++)
        for (int u = x - g; u <= x + g; u++)
            if (u >= 0 && v >= 0 && u < w && v < h && global_ink(u, v))
                return true;
    return false;
}

static void test_fusion_rule(void **state)
{
    db_ctx *ctx = *state;
    db_graph g;
    make_global_graph(ctx, &g, "synthetic global=64");
    db_model *gm = NULL;
    assert_int_equal(db_model_from_graph(ctx, &g, &gm), 0);
    db_graph_free(&g);
    db_image page = {0}, local = {0}, mask = {0};
    make_block_page(ctx, &page, 256, 256);
    /* local: a checkerboard of ink over the whole page */
    assert_int_equal(db_image_ensure(ctx, &local, 256, 256, DB_BIT1), 0);
    for (int y = 0; y < 256; y++)
        for (int x = 0; x < 256; x++)
            db_bit_set(&local, x, y, (x + y) % 2 == 0);
    for (int grow = 0; grow <= 3; grow += 3) {
        assert_int_equal(db_image_copy(ctx, &local, &mask), 0);
        assert_int_equal(db_global_fuse(ctx, gm, &page, 0.5, grow, &mask), 0);
        for (int y = 0; y < 256; y++)
            for (int x = 0; x < 256; x++) {
                int want = (x + y) % 2 == 0 && grown_ink(x, y, grow, 256, 256);
                if (db_bit_get(&mask, x, y) != want)
                    fail_msg("grow %d: pixel (%d, %d) is %d", grow, x, y, !want);
            }
    }
    /* skipped (mask unchanged): longer side < N, or more than 4x the shorter */
    assert_false(db_global_fusion_applies(64, 63, 40));
    assert_false(db_global_fusion_applies(64, 400, 99));
    assert_true(db_global_fusion_applies(64, 400, 100));
    assert_true(db_global_fusion_applies(64, 64, 64));
    db_image wide = {0}, wl = {0};
    make_block_page(ctx, &wide, 520, 128);
    assert_int_equal(db_image_ensure(ctx, &wl, 520, 128, DB_BIT1), 0);
    for (int y = 0; y < 128; y++)
        for (int x = 0; x < 520; x++)
            db_bit_set(&wl, x, y, 1);
    assert_int_equal(db_global_fuse(ctx, gm, &wide, 0.5, 3, &wl), 0);
    for (int y = 0; y < 128; y++)
        for (int x = 0; x < 520; x++)
            assert_int_equal(db_bit_get(&wl, x, y), 1);
    /* a gray page works the same */
    db_image gray = {0};
    assert_int_equal(db_image_ensure(ctx, &gray, 256, 256, DB_GRAY8), 0);
    for (int y = 0; y < 256; y++)
        for (int x = 0; x < 256; x++)
            db_image_row(&gray, y)[x] = db_image_row(&page, y)[3 * x];
    assert_int_equal(db_image_copy(ctx, &local, &mask), 0);
    assert_int_equal(db_global_fuse(ctx, gm, &gray, 0.5, 1, &mask), 0);
    for (int y = 0; y < 256; y++)
        for (int x = 0; x < 256; x++)
            assert_int_equal(db_bit_get(&mask, x, y),
                             (x + y) % 2 == 0 && grown_ink(x, y, 1, 256, 256));
    assert_int_equal(db_global_fuse(ctx, gm, &page, 0.5, 33, &mask), DB_EINVAL);
    db_image_free(&gray);
    db_image_free(&wide);
    db_image_free(&wl);
    db_image_free(&page);
    db_image_free(&local);
    db_image_free(&mask);
    db_model_free(gm);
}

/* ------------------------------------------------------ -m gan end to end */

static char gan_path[1200], glob_path[1200], page_path[1200], mdir[1200];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s", tu_tmpdir("global_fusion"));
    db_ctx *ctx = NULL;
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    db_graph g;
    nf_small_gan_graph(ctx, &g, 21);
    tu_path(mdir, sizeof mdir, dir, "models");
    char cmd[2600];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", mdir);
    assert_int_equal(tu_run(cmd, NULL), 0);
    tu_path(gan_path, sizeof gan_path, mdir, "gan.dbm");
    assert_int_equal(db_model_save_graph(ctx, &g, gan_path), 0);
    db_graph_free(&g);
    make_global_graph(ctx, &g, "synthetic global=64");
    tu_path(glob_path, sizeof glob_path, mdir, "gan_global.dbm");
    assert_int_equal(db_model_save_graph(ctx, &g, glob_path), 0);
    db_graph_free(&g);
    db_image page = {0};
    make_block_page(ctx, &page, 256, 256);
    tu_path(page_path, sizeof page_path, dir, "page.png");
    assert_int_equal(db_image_save(ctx, page_path, NULL, &page), 0);
    db_image_free(&page);
    db_ctx_free(ctx);
    return 0;
}

static void assert_same(const db_image *a, const db_image *b)
{
    assert_int_equal(a->width, b->width);
    assert_int_equal(a->height, b->height);
    for (int y = 0; y < a->height; y++)
        for (int x = 0; x < a->width; x++)
            assert_int_equal(db_bit_get(a, x, y), db_bit_get(b, x, y));
}

static void test_gan_with_and_without_global(void **state)
{
    db_ctx *ctx = *state;
    db_model *lm = NULL, *gm = NULL;
    assert_int_equal(db_model_load(ctx, gan_path, &lm), 0);
    assert_int_equal(db_model_load(ctx, glob_path, &gm), 0);
    db_image page = {0}, local = {0}, fused = {0}, off = {0};
    assert_int_equal(db_image_load(ctx, page_path, &page), 0);
    db_method m;
    /* a low threshold: the random local network sees ink nearly everywhere */
    assert_int_equal(db_method_parse(ctx, "gan:threshold=-20", &m), 0);
    assert_true(db_method_takes_global(&m));
    assert_int_equal(db_method_set_model(ctx, &m, lm), 0);
    assert_int_equal(db_method_run(ctx, &m, &page, &local), 0);
    assert_int_equal(db_method_set_global_model(ctx, &m, gm), 0);
    assert_int_equal(db_method_run(ctx, &m, &page, &fused), 0);
    long nl = 0, nf = 0, outside = 0;
    for (int y = 0; y < page.height; y++)
        for (int x = 0; x < page.width; x++) {
            int want = db_bit_get(&local, x, y) && grown_ink(x, y, 3, 256, 256);
            assert_int_equal(db_bit_get(&fused, x, y), want);
            nl += db_bit_get(&local, x, y);
            nf += want;
            outside += db_bit_get(&local, x, y) && !want;
        }
    /* the AND removed something, kept something */
    if (!(nf > 0 && outside > 0))
        fail_msg("local ink %ld, kept %ld, removed %ld", nl, nf, outside);
    /* gan:global=0 ignores the attached global model */
    db_method m0;
    assert_int_equal(db_method_parse(ctx, "gan:global=0,threshold=-20", &m0), 0);
    assert_false(db_method_takes_global(&m0));
    assert_int_equal(db_method_set_model(ctx, &m0, lm), 0);
    assert_int_equal(db_method_set_global_model(ctx, &m0, gm), 0);
    assert_int_equal(db_method_run(ctx, &m0, &page, &off), 0);
    assert_same(&off, &local);

    /* the docbin program: gan_global.dbm beside gan.dbm is used; global=0 not */
#ifdef DOCBIN_CLI
    const char *cli = DOCBIN_CLI;
    {
        char cmd[6000], out[1200], log[1200];
        tu_path(out, sizeof out, dir, "out.png");
        tu_path(log, sizeof log, dir, "log.txt");
        snprintf(cmd, sizeof cmd, "'%s' -y -m gan:threshold=-20 --model '%s' '%s' '%s'", cli,
                 gan_path, page_path, out);
        assert_int_equal(tu_run(cmd, log), 0);
        db_image got = {0};
        nf_load_mask(ctx, out, &got);
        assert_same(&got, &fused);
        snprintf(cmd, sizeof cmd,
                 "DOCBIN_MODEL_DIR='%s' '%s' -y -m gan:global=0,threshold=-20 '%s' '%s'", mdir,
                 cli, page_path, out);
        assert_int_equal(tu_run(cmd, log), 0);
        nf_load_mask(ctx, out, &got);
        assert_same(&got, &local);
        snprintf(cmd, sizeof cmd, "DOCBIN_MODEL_DIR='%s' '%s' -y -m gan:threshold=-20 '%s' '%s'",
                 mdir, cli, page_path, out);
        assert_int_equal(tu_run(cmd, log), 0);
        nf_load_mask(ctx, out, &got);
        assert_same(&got, &fused);
        /* DOCBIN_GLOBAL_MODEL naming a tiled model: refused, exit 1 */
        snprintf(cmd, sizeof cmd, "DOCBIN_GLOBAL_MODEL='%s' '%s' -y -m gan --model '%s' '%s' '%s'",
                 gan_path, cli, gan_path, page_path, out);
        assert_int_equal(tu_run(cmd, log), 1);
        char *text = tu_read_file(log, NULL);
        assert_non_null(text);
        assert_non_null(strstr(text, "not a global network"));
        free(text);
        db_image_free(&got);
    }
#else
    print_message("DOCBIN_CLI undefined: CLI part skipped\n");
#endif
    db_image_free(&page);
    db_image_free(&local);
    db_image_free(&fused);
    db_image_free(&off);
    db_model_free(lm);
    db_model_free(gm);
}

/* The wrong kind of model, either way round, is a clear DB_EINVAL. */
static void test_bad_model_kind(void **state)
{
    db_ctx *ctx = *state;
    db_model *lm = NULL, *gm = NULL;
    assert_int_equal(db_model_load(ctx, gan_path, &lm), 0);
    assert_int_equal(db_model_load(ctx, glob_path, &gm), 0);
    db_method m;
    assert_int_equal(db_method_parse(ctx, "gan", &m), 0);
    assert_int_equal(db_method_set_global_model(ctx, &m, lm), DB_EINVAL);
    assert_non_null(strstr(db_ctx_message(ctx), "not a global network"));
    assert_null(m.global_model);
    db_ctx_clear_error(ctx);
    assert_int_equal(db_method_set_model(ctx, &m, gm), DB_EINVAL);
    assert_non_null(strstr(db_ctx_message(ctx), "is a global network"));
    assert_null(m.model);
    db_ctx_clear_error(ctx);
    assert_int_equal(db_method_parse(ctx, "db", &m), 0);
    assert_int_equal(db_method_set_global_model(ctx, &m, gm), DB_EINVAL);
    assert_non_null(strstr(db_ctx_message(ctx), "gan only"));
    assert_int_equal(db_method_parse(ctx, "gan:global=2", &m), DB_EINVAL);
    /* the tag: only "global=N" with N in range */
    db_graph g;
    make_global_graph(ctx, &g, "x global=32");
    assert_int_equal(db_graph_global_size(&g), 0);
    snprintf(g.name, sizeof g.name, "docbin-train global=512");
    assert_int_equal(db_graph_global_size(&g), 512);
    char name[64];
    db_graph_model_name("docbin-train", 768, DB_CHANNEL_ALL, name, sizeof name);
    assert_string_equal(name, "docbin-train global=768");
    db_graph_model_name("docbin-train", 0, DB_CHANNEL_ALL, name, sizeof name);
    assert_string_equal(name, "docbin-train");
    db_graph_free(&g);
    /* adopt: the owner frees the adopted model (ASan checks the leak) */
    assert_int_equal(db_model_adopt(ctx, lm, gm), 0);
    assert_int_equal(db_model_adopt(ctx, lm, gm), DB_EINVAL);
    db_model_free(lm);
}

/* `docbin train --global 64` on synthetic pages: the model is named
 * "global=64", validation runs at full size, and -m gan accepts it as the
 * global model (and refuses it as the tiled one). */
static void test_train_global(void **state)
{
    db_ctx *ctx = *state;
    char tdir[1200], cmd[1300];
    tu_path(tdir, sizeof tdir, dir, "train");
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", tdir);
    assert_int_equal(tu_run(cmd, NULL), 0);
    /* two pages: the block page and a plain white one, GT = the dark block */
    db_image img = {0}, gt = {0};
    for (int i = 0; i < 2; i++) {
        make_block_page(ctx, &img, 200 + 20 * i, 180);
        assert_int_equal(db_image_ensure(ctx, &gt, img.width, img.height, DB_GRAY8), 0);
        for (int y = 0; y < img.height; y++)
            for (int x = 0; x < img.width; x++)
                db_image_row(&gt, y)[x] = db_image_row(&img, y)[3 * x] ? 255 : 0;
        char p[1300], name[64];
        snprintf(name, sizeof name, "p%d.png", i);
        assert_int_equal(db_image_save(ctx, tu_path(p, sizeof p, tdir, name), NULL, &img), 0);
        snprintf(name, sizeof name, "p%d_gt.png", i);
        assert_int_equal(db_image_save(ctx, tu_path(p, sizeof p, tdir, name), NULL, &gt), 0);
    }
    db_train_options o;
    const char *dirs[1] = {tdir};
    nf_tiny_train_options(&o, dirs, 3);
    o.global = 20;
    db_trainer *t = NULL;
    assert_int_equal(db_trainer_create(ctx, &o, &t), DB_EINVAL); /* below the minimum */
    o.global = 64;
    o.patch = 128;
    assert_int_equal(db_trainer_create(ctx, &o, &t), DB_EINVAL); /* patch > N */
    db_ctx_clear_error(ctx);
    o.patch = 32;
    assert_int_equal(db_trainer_create(ctx, &o, &t), 0);
    assert_int_equal(t->train.pages[0].w, 64);
    assert_int_equal(t->val.pages[0].w, 200); /* validation pages stay full size */
    assert_int_equal(db_trainer_run(ctx, t, NULL, NULL), 0);
    assert_true(t->val_fm >= 0 && t->val_fm <= 100);
    char mpath[1300];
    tu_path(mpath, sizeof mpath, dir, "trained_global.dbm");
    assert_int_equal(db_trainer_export(ctx, t, mpath), 0);
    char ck[1300];
    tu_path(ck, sizeof ck, dir, "global.ck");
    assert_int_equal(db_trainer_save(ctx, t, ck), 0);
    db_trainer_free(t);
    /* the checkpoint of a global run does not resume a local one */
    o.global = 0;
    assert_int_equal(db_trainer_create(ctx, &o, &t), 0);
    assert_int_equal(db_trainer_resume(ctx, t, ck), DB_EINVAL);
    if (!strstr(db_ctx_message(ctx), "--global 64"))
        fail_msg("message: %s", db_ctx_message(ctx));
    db_ctx_clear_error(ctx);
    db_trainer_free(t);
    db_model *gm = NULL, *lm = NULL;
    assert_int_equal(db_model_load(ctx, mpath, &gm), 0);
    assert_int_equal(db_graph_global_size(db_model_graph(gm)), 64);
    assert_int_equal(db_model_load(ctx, gan_path, &lm), 0);
    db_method m;
    assert_int_equal(db_method_parse(ctx, "gan", &m), 0);
    assert_int_equal(db_method_set_model(ctx, &m, gm), DB_EINVAL);
    assert_int_equal(db_method_set_model(ctx, &m, lm), 0);
    assert_int_equal(db_method_set_global_model(ctx, &m, gm), 0);
    db_image page = {0}, out = {0};
    assert_int_equal(db_image_load(ctx, page_path, &page), 0);
    assert_int_equal(db_method_run(ctx, &m, &page, &out), 0);
    assert_int_equal(out.width, page.width);
    db_image_free(&page);
    db_image_free(&out);
    db_image_free(&img);
    db_image_free(&gt);
    db_model_free(gm);
    db_model_free(lm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_area_resize_known, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_page_and_truth_resize, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_prob_upsample_known, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_fusion_rule, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_gan_with_and_without_global, tu_ctx_setup,
                                        tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_bad_model_kind, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_train_global, tu_ctx_setup, tu_ctx_teardown),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
