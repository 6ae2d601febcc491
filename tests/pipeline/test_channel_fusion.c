/* test_channel_fusion.c - stage 2 with per-channel generators (Ju et al.
 * 2022): the channel rows fed to a per-channel network (known answers), the
 * "channel=C" model tag, a per-channel model run alone equals the shared
 * network on a page made of its channel, the fusion of a set equals the
 * weighted mean of its members' probabilities computed here, the docbin
 * program finds NAME_r/_g/_b/_gray.dbm beside the given model and refuses a
 * sibling trained on another channel, and `docbin train --channel` feeds one
 * channel, names the model and refuses to resume another channel's run. */
#include "test_util.h"

#include "nets/channel.h"
#include "nets/graph.h"
#include "nets/model.h"
#include "nets/train/trainer_internal.h"
#include "pipeline/net_methods.h"
#include "tests/pipeline/net_fixture.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char dir[1024];

static void test_channel_rows_known(void **state)
{
    (void)state;
    const uint8_t rgb[6] = {10, 200, 50, 255, 0, 1};
    uint8_t out[6];
    const uint8_t want[4][2] = {{10, 255}, {200, 0}, {50, 1}, {126, 76}};
    /* gray: (299 r + 587 g + 114 b + 500) / 1000, by hand: 126590 / 1000 and
     * 76859 / 1000 */
    for (int c = 0; c < DB_CHANNEL_COUNT; c++) {
        db_channel_rows(rgb, false, 2, c, out);
        for (int i = 0; i < 2; i++)
            for (int k = 0; k < 3; k++)
                assert_int_equal(out[3 * i + k], want[c][i]);
    }
    db_channel_rows(rgb, false, 2, DB_CHANNEL_ALL, out);
    assert_memory_equal(out, rgb, 6);
    /* gray input: every channel is the gray value */
    const uint8_t gray[2] = {77, 3};
    for (int c = DB_CHANNEL_ALL; c < DB_CHANNEL_COUNT; c++) {
        db_channel_rows(gray, true, 2, c, out);
        for (int k = 0; k < 3; k++) {
            assert_int_equal(out[k], 77);
            assert_int_equal(out[3 + k], 3);
        }
    }
    /* in place */
    uint8_t buf[6];
    memcpy(buf, rgb, 6);
    db_channel_rows(buf, false, 2, DB_CHANNEL_B, buf);
    assert_int_equal(buf[0], 50);
    assert_int_equal(buf[5], 1);
}

static void test_model_tags(void **state)
{
    (void)state;
    char name[64];
    db_graph g;
    memset(&g, 0, sizeof g);
    db_graph_model_name("docbin-train", 512, DB_CHANNEL_B, name, sizeof name);
    assert_string_equal(name, "docbin-train global=512 channel=b");
    snprintf(g.name, sizeof g.name, "%s", name);
    assert_int_equal(db_graph_input_channel(&g), DB_CHANNEL_B);
    db_graph_model_name("docbin-train", 0, DB_CHANNEL_GRAY, g.name, sizeof g.name);
    assert_string_equal(g.name, "docbin-train channel=gray");
    assert_int_equal(db_graph_input_channel(&g), DB_CHANNEL_GRAY);
    db_graph_model_name("docbin-train", 0, DB_CHANNEL_ALL, g.name, sizeof g.name);
    assert_string_equal(g.name, "docbin-train");
    assert_int_equal(db_graph_input_channel(&g), DB_CHANNEL_ALL);
    snprintf(g.name, sizeof g.name, "x channel=grayish");
    assert_int_equal(db_graph_input_channel(&g), DB_CHANNEL_ALL);
    snprintf(g.name, sizeof g.name, "x channel=g global=64");
    assert_int_equal(db_graph_input_channel(&g), DB_CHANNEL_G);
    assert_int_equal(db_channel_parse("r"), DB_CHANNEL_R);
    assert_int_equal(db_channel_parse("gray"), DB_CHANNEL_GRAY);
    assert_int_equal(db_channel_parse("all"), DB_CHANNEL_ALL);
    assert_int_equal(db_channel_parse("rgb"), -2);
    assert_int_equal(db_channel_parse(NULL), -2);
    assert_string_equal(db_channel_name(DB_CHANNEL_G), "g");
    assert_string_equal(db_channel_name(7), "all");
}

/* A small random U-Net on RGB (Haar front end), tagged with channel c. */
static void make_model(db_ctx *ctx, int c, uint64_t seed, db_model **m)
{
    db_graph g;
    nf_small_gan_graph(ctx, &g, seed);
    db_graph_model_name("test", 0, c, g.name, sizeof g.name);
    assert_int_equal(db_model_from_graph(ctx, &g, m), 0);
    db_graph_free(&g);
}

/* A colour page whose three channels differ everywhere. */
static void make_page(db_ctx *ctx, db_image *page, int w, int h)
{
    uint64_t st = 99;
    assert_int_equal(db_image_ensure(ctx, page, w, h, DB_RGB8), 0);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *p = db_image_row(page, y) + 3 * x;
            p[0] = (uint8_t)((x * 7 + y * 3) & 255);
            p[1] = (uint8_t)(((x / 9 + y / 7) & 1) ? 30 : 220);
            p[2] = (uint8_t)tu_rand_range(&st, 0, 255);
        }
}

/* Logits of model on page (F32), channels=0 (the model alone). */
static void logits_of(db_ctx *ctx, const db_model *m, const db_image *page, db_image *lg)
{
    db_image mask = {0};
    assert_int_equal(db_net_method_run_model(ctx, m, page, -1, &mask, lg), 0);
    db_image_free(&mask);
}

static float sig(float x) { return 1.0f / (1.0f + expf(-x)); }

static void test_model_alone_sees_its_channel(void **state)
{
    db_ctx *ctx = *state;
    db_image page = {0}, chan = {0}, a = {0}, b = {0};
    make_page(ctx, &page, 150, 97);
    for (int c = 0; c < DB_CHANNEL_COUNT; c++) {
        db_model *tagged = NULL, *shared = NULL;
        make_model(ctx, c, 5, &tagged);
        make_model(ctx, DB_CHANNEL_ALL, 5, &shared); /* same weights, no tag */
        assert_int_equal(db_image_ensure(ctx, &chan, page.width, page.height, DB_RGB8), 0);
        for (int y = 0; y < page.height; y++)
            db_channel_rows(db_image_row(&page, y), false, (size_t)page.width, c,
                            db_image_row(&chan, y));
        logits_of(ctx, tagged, &page, &a);
        logits_of(ctx, shared, &chan, &b);
        for (int y = 0; y < page.height; y++)
            assert_memory_equal(db_image_row(&a, y), db_image_row(&b, y),
                                (size_t)page.width * sizeof(float));
        /* and not what the shared network makes of the colour page */
        logits_of(ctx, shared, &page, &b);
        long differ = 0;
        for (int y = 0; y < page.height; y++)
            differ += memcmp(db_image_row(&a, y), db_image_row(&b, y),
                             (size_t)page.width * sizeof(float)) != 0;
        assert_true(differ > 0);
        db_model_free(tagged);
        db_model_free(shared);
    }
    db_image_free(&page);
    db_image_free(&chan);
    db_image_free(&a);
    db_image_free(&b);
}

/* The fused probability of the members in `use` (weights 1, 1, 1, 3) at every
 * pixel, from each member's own logits. */
static void expected_prob(db_ctx *ctx, db_model *const set[4], const bool use[4],
                          const db_image *page, float *p)
{
    static const float wt[4] = {1, 1, 1, 3};
    float wsum = 0;
    size_t n = (size_t)page->width * (size_t)page->height;
    memset(p, 0, n * sizeof *p);
    db_image lg = {0};
    for (int c = 0; c < 4; c++)
        wsum += use[c] ? wt[c] : 0;
    for (int c = 0; c < 4; c++) {
        if (!use[c])
            continue;
        logits_of(ctx, set[c], page, &lg);
        for (int y = 0; y < page->height; y++) {
            const float *l = (const float *)(const void *)db_image_row(&lg, y);
            for (int x = 0; x < page->width; x++)
                p[(size_t)y * page->width + x] += wt[c] / wsum * sig(l[x]);
        }
    }
    db_image_free(&lg);
}

/* mask == (p > 0.5) and P map == round(255 p) (1 off allowed at .5 steps). */
static void check_fused(db_ctx *ctx, const db_method *m, const db_image *page, const float *p)
{
    db_image mask = {0}, maps[2] = {{0}, {0}};
    int nmaps = 0;
    assert_int_equal(db_method_run(ctx, m, page, &mask), 0);
    assert_int_equal(db_method_maps(ctx, m, page, maps, &nmaps), 0);
    assert_int_equal(nmaps, 1);
    long ink = 0;
    for (int y = 0; y < page->height; y++)
        for (int x = 0; x < page->width; x++) {
            float q = p[(size_t)y * page->width + x];
            if (fabsf(q - 0.5f) > 1e-5f)
                assert_int_equal(db_bit_get(&mask, x, y), q > 0.5f);
            int v = db_image_row(&maps[0], y)[x];
            if (abs(v - (int)lrintf(255.0f * q)) > 1)
                fail_msg("(%d, %d): map %d, expected %.3f", x, y, v, 255.0 * q);
            ink += db_bit_get(&mask, x, y);
        }
    assert_true(ink > 0 && ink < (long)page->width * page->height);
    db_image_free(&mask);
    db_image_free(&maps[0]);
    db_image_free(&maps[1]);
}

static void test_fusion_is_weighted_mean(void **state)
{
    db_ctx *ctx = *state;
    db_model *set[4] = {NULL};
    for (int c = 0; c < 4; c++)
        make_model(ctx, c, 40 + (uint64_t)c, &set[c]);
    db_image page = {0};
    make_page(ctx, &page, 133, 70);
    float *p = malloc((size_t)page.width * page.height * sizeof *p);
    assert_non_null(p);
    db_method m;
    assert_int_equal(db_method_parse(ctx, "gan", &m), 0);
    assert_true(db_method_takes_channels(&m));
    assert_int_equal(db_method_set_model(ctx, &m, set[DB_CHANNEL_GRAY]), 0);
    /* gray + red only: weights 3 and 1 */
    assert_int_equal(db_method_set_channel_model(ctx, &m, set[DB_CHANNEL_GRAY]), 0);
    assert_int_equal(db_method_set_channel_model(ctx, &m, set[DB_CHANNEL_R]), 0);
    bool two[4] = {true, false, false, true};
    expected_prob(ctx, set, two, &page, p);
    check_fused(ctx, &m, &page, p);
    /* the whole set */
    assert_int_equal(db_method_set_channel_model(ctx, &m, set[DB_CHANNEL_G]), 0);
    assert_int_equal(db_method_set_channel_model(ctx, &m, set[DB_CHANNEL_B]), 0);
    bool all[4] = {true, true, true, true};
    expected_prob(ctx, set, all, &page, p);
    check_fused(ctx, &m, &page, p);
    /* channels=0: the attached model alone, set ignored */
    db_method m0;
    assert_int_equal(db_method_parse(ctx, "gan:channels=0", &m0), 0);
    assert_false(db_method_takes_channels(&m0));
    assert_int_equal(db_method_set_model(ctx, &m0, set[DB_CHANNEL_GRAY]), 0);
    for (int c = 0; c < 4; c++)
        assert_int_equal(db_method_set_channel_model(ctx, &m0, set[c]), 0);
    bool gray_only[4] = {false, false, false, true};
    expected_prob(ctx, set, gray_only, &page, p);
    check_fused(ctx, &m0, &page, p);
    /* refusals: an untagged model, another method */
    db_model *shared = NULL;
    make_model(ctx, DB_CHANNEL_ALL, 3, &shared);
    assert_int_equal(db_method_set_channel_model(ctx, &m, shared), DB_EINVAL);
    assert_non_null(strstr(db_ctx_message(ctx), "not a per-channel generator"));
    db_method d;
    assert_int_equal(db_method_parse(ctx, "db", &d), 0);
    assert_int_equal(db_method_set_channel_model(ctx, &d, set[0]), DB_EINVAL);
    assert_false(db_method_takes_channels(&d));
    db_ctx_clear_error(ctx);
    db_model_free(shared);
    for (int c = 0; c < 4; c++)
        db_model_free(set[c]);
    free(p);
    db_image_free(&page);
}

#ifdef DOCBIN_CLI
/* out (docbin's result) == p > 0.5 away from ties */
static void assert_mask_is(db_ctx *ctx, const char *out, const float *p, int w, int h)
{
    db_image got = {0};
    nf_load_mask(ctx, out, &got);
    assert_int_equal(got.width, w);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            float q = p[(size_t)y * w + x];
            if (fabsf(q - 0.5f) > 1e-5f)
                assert_int_equal(db_bit_get(&got, x, y), q > 0.5f);
        }
    db_image_free(&got);
}
#endif

static void test_cli_finds_siblings(void **state)
{
#ifdef DOCBIN_CLI
    db_ctx *ctx = *state;
    const char *cli = DOCBIN_CLI;
    char mdir[1200], page_path[1200], out[1200], log[1200], cmd[6000], path[1300];
    tu_path(mdir, sizeof mdir, dir, "set");
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", mdir);
    assert_int_equal(tu_run(cmd, NULL), 0);
    db_model *set[4] = {NULL};
    for (int c = 0; c < 4; c++) {
        make_model(ctx, c, 60 + (uint64_t)c, &set[c]);
        char name[32];
        snprintf(name, sizeof name, "gan_%s.dbm", db_channel_name(c));
        assert_int_equal(
            db_model_save_graph(ctx, db_model_graph(set[c]), tu_path(path, sizeof path, mdir, name)),
            0);
    }
    db_image page = {0};
    make_page(ctx, &page, 120, 64);
    tu_path(page_path, sizeof page_path, dir, "page.png");
    assert_int_equal(db_image_save(ctx, page_path, NULL, &page), 0);
    tu_path(out, sizeof out, dir, "out.png");
    tu_path(log, sizeof log, dir, "log.txt");
    float *p = malloc((size_t)page.width * page.height * sizeof *p);
    assert_non_null(p);
    /* --model gan_r.dbm: all four found beside it */
    snprintf(cmd, sizeof cmd, "'%s' -y -m gan --model '%s/gan_r.dbm' '%s' '%s'", cli, mdir,
             page_path, out);
    assert_int_equal(tu_run(cmd, log), 0);
    bool all[4] = {true, true, true, true};
    expected_prob(ctx, set, all, &page, p);
    assert_mask_is(ctx, out, p, page.width, page.height);
    /* gan:channels=0: the given model alone */
    snprintf(cmd, sizeof cmd, "'%s' -y -m gan:channels=0 --model '%s/gan_r.dbm' '%s' '%s'", cli,
             mdir, page_path, out);
    assert_int_equal(tu_run(cmd, log), 0);
    bool r_only[4] = {true, false, false, false};
    expected_prob(ctx, set, r_only, &page, p);
    assert_mask_is(ctx, out, p, page.width, page.height);
    /* a sibling trained on another channel: refused with a clear message */
    assert_int_equal(db_model_save_graph(ctx, db_model_graph(set[DB_CHANNEL_R]),
                                         tu_path(path, sizeof path, mdir, "gan_b.dbm")),
                     0);
    snprintf(cmd, sizeof cmd, "'%s' -y -m gan --model '%s/gan_gray.dbm' '%s' '%s'", cli, mdir,
             page_path, out);
    assert_int_equal(tu_run(cmd, log), 1);
    char *text = tu_read_file(log, NULL);
    assert_non_null(text);
    if (!strstr(text, "must be trained on channel b"))
        fail_msg("message: %s", text);
    free(text);
    free(p);
    db_image_free(&page);
    for (int c = 0; c < 4; c++)
        db_model_free(set[c]);
#else
    (void)state;
    skip();
#endif
}

/* `--channel b`: the trainer's pages hold B in R, G and B, the model is
 * tagged, and the checkpoint does not resume a run of another channel. */
static void test_train_channel(void **state)
{
    db_ctx *ctx = *state;
    char tdir[1200], cmd[1300];
    tu_path(tdir, sizeof tdir, dir, "train");
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", tdir);
    assert_int_equal(tu_run(cmd, NULL), 0);
    db_image img = {0}, gt = {0};
    make_page(ctx, &img, 96, 80);
    assert_int_equal(db_image_ensure(ctx, &gt, img.width, img.height, DB_GRAY8), 0);
    for (int y = 0; y < img.height; y++)
        for (int x = 0; x < img.width; x++)
            db_image_row(&gt, y)[x] = db_image_row(&img, y)[3 * x + 1] < 128 ? 0 : 255;
    char p[1300];
    assert_int_equal(db_image_save(ctx, tu_path(p, sizeof p, tdir, "a.png"), NULL, &img), 0);
    assert_int_equal(db_image_save(ctx, tu_path(p, sizeof p, tdir, "a_gt.png"), NULL, &gt), 0);
    db_train_options o;
    const char *dirs[1] = {tdir};
    nf_tiny_train_options(&o, dirs, 2);
    assert_int_equal(o.channel, DB_CHANNEL_ALL);
    o.channel = 9;
    db_trainer *t = NULL;
    assert_int_equal(db_trainer_create(ctx, &o, &t), DB_EINVAL);
    db_ctx_clear_error(ctx);
    o.channel = DB_CHANNEL_B;
    assert_int_equal(db_trainer_create(ctx, &o, &t), 0);
    for (int y = 0; y < img.height; y++)
        for (int x = 0; x < img.width; x++) {
            const uint8_t *q = t->train.pages[0].px + ((size_t)y * img.width + x) * 3;
            const uint8_t *v = t->val.pages[0].px + ((size_t)y * img.width + x) * 3;
            uint8_t b = db_image_row(&img, y)[3 * x + 2];
            assert_true(q[0] == b && q[1] == b && q[2] == b);
            assert_true(v[0] == b && v[1] == b && v[2] == b);
        }
    assert_int_equal(db_trainer_run(ctx, t, NULL, NULL), 0);
    char mpath[1300], ck[1300];
    tu_path(mpath, sizeof mpath, dir, "trained_b.dbm");
    tu_path(ck, sizeof ck, dir, "b.ck");
    assert_int_equal(db_trainer_export(ctx, t, mpath), 0);
    assert_int_equal(db_trainer_save(ctx, t, ck), 0);
    db_trainer_free(t);
    db_model *m = NULL;
    assert_int_equal(db_model_load(ctx, mpath, &m), 0);
    assert_int_equal(db_model_input_channel(m), DB_CHANNEL_B);
    db_model_free(m);
    o.channel = DB_CHANNEL_R;
    assert_int_equal(db_trainer_create(ctx, &o, &t), 0);
    assert_int_equal(db_trainer_resume(ctx, t, ck), DB_EINVAL);
    if (!strstr(db_ctx_message(ctx), "--channel b, this run --channel r"))
        fail_msg("message: %s", db_ctx_message(ctx));
    db_ctx_clear_error(ctx);
    db_trainer_free(t);
    o.channel = DB_CHANNEL_B;
    assert_int_equal(db_trainer_create(ctx, &o, &t), 0);
    assert_int_equal(db_trainer_resume(ctx, t, ck), 0);
    db_trainer_free(t);
    db_image_free(&img);
    db_image_free(&gt);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s", tu_tmpdir("channel_fusion"));
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_channel_rows_known),
        cmocka_unit_test(test_model_tags),
        cmocka_unit_test_setup_teardown(test_model_alone_sees_its_channel, tu_ctx_setup,
                                        tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_fusion_is_weighted_mean, tu_ctx_setup,
                                        tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_cli_finds_siblings, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_train_channel, tu_ctx_setup, tu_ctx_teardown),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
