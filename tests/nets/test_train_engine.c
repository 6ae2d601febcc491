/* test_train_engine.c - the exported model run by the inference engine
 * (nets/engine.c, db_net_run) gives EXACTLY the trainer's own binarized
 * forward (tr_graph_run, nets/train/eval.c) on held-back pages: every bit,
 * for both heads and both front ends (DWT, full), colour and gray pages,
 * odd sizes and small tiles. */
#include "test_util.h"
#include "train_synth.h"

#include "nets/model.h"
#include "nets/train/trainer_internal.h"

#include <stdlib.h>
#include <sys/stat.h>

static char base[1024], train_dir[1100];

static int setup(void **s)
{
    snprintf(base, sizeof base, "%s", tu_tmpdir("train_engine"));
    snprintf(train_dir, sizeof train_dir, "%s/train", base);
    mkdir(train_dir, 0777);
    synth_write_set(train_dir, "p", 3, 96, 80, tu_seed() ^ 99);
    return 0;
}

/* Trains briefly, exports, and compares engine and trainer on fresh pages. */
static void check_engine_equals_trainer(bool db_head, int levels, db_train_input input)
{
    db_ctx *ctx = NULL;
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    static const char *dirs[1];
    dirs[0] = train_dir;
    db_train_options o;
    db_train_options_defaults(&o);
    o.train_dirs = dirs;
    o.ntrain_dirs = 1;
    o.width = 8;
    o.levels = levels;
    o.patch = 64;
    o.batch = 2;
    o.steps = 60;
    o.epoch_steps = 1000;
    o.lr = 3e-3;
    o.db_head = db_head;
    o.input = input;
    db_trainer *t = NULL;
    assert_int_equal(db_trainer_create(ctx, &o, &t), 0);
    assert_int_equal(db_trainer_run(ctx, t, NULL, NULL), 0);
    char path[1200];
    snprintf(path, sizeof path, "%s/m%d%d%d.dbm", base, db_head, levels, (int)input);
    assert_int_equal(db_trainer_export(ctx, t, path), 0);

    db_model *m = NULL;
    db_net *net = NULL;
    assert_int_equal(db_model_load(ctx, path, &m), 0);
    assert_int_equal(db_net_create(ctx, m, &net), 0);
    db_graph g;
    assert_int_equal(tnet_to_graph(ctx, &t->net, "x", &g), 0);
    db_image img = {0}, gt = {0}, gray = {0}, out = {0};
    uint64_t rng = tu_seed() ^ 1234;
    static const int sizes[][2] = {{97, 61}, {64, 64}, {150, 33}, {1, 1}, {7, 130}};
    for (int k = 0; k < 5; k++) {
        int w = sizes[k][0], h = sizes[k][1];
        synth_page(ctx, w, h, &rng, &img, &gt);
        assert_int_equal(db_image_to_gray(ctx, &img, &gray), 0);
        for (int pass = 0; pass < 3; pass++) {
            const db_image *in = pass == 1 ? &gray : &img;
            assert_int_equal(db_net_set_tile(ctx, net, pass == 2 ? 32 : 0), 0);
            uint8_t *ref = malloc((size_t)w * h);
            assert_int_equal(tr_graph_run(ctx, &g, in, ref), 0);
            int rc = db_net_run(ctx, net, in, &out, NULL);
            if (rc)
                fprintf(stderr, "%s\n", db_ctx_message(ctx));
            assert_int_equal(rc, 0);
            long diff = 0, ink = 0;
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                    diff += db_bit_get(&out, x, y) != ref[(size_t)y * w + x];
                    ink += ref[(size_t)y * w + x];
                }
            printf("  %s head, %d levels, %s input, %dx%d %s%s: %ld ink, %ld differing pixels\n",
                   db_head ? "DB" : "mask", levels, input ? "full" : "dwt", w, h,
                   pass == 1 ? "gray" : "rgb",
                   pass == 2 ? " tile 32" : "", ink, diff);
            assert_int_equal(diff, 0);
            free(ref);
        }
    }
    db_image_free(&img);
    db_image_free(&gt);
    db_image_free(&gray);
    db_image_free(&out);
    db_graph_free(&g);
    db_net_free(net);
    db_model_free(m);
    db_trainer_free(t);
    db_ctx_free(ctx);
}

static void test_engine_equals_trainer_mask_head(void **s)
{
    check_engine_equals_trainer(false, 3, DB_TRAIN_INPUT_DWT);
}

static void test_engine_equals_trainer_db_head(void **s)
{
    check_engine_equals_trainer(true, 2, DB_TRAIN_INPUT_DWT);
}

/* The network without the DWT front end (--input full), both heads. */
static void test_engine_equals_trainer_full_input(void **s)
{
    check_engine_equals_trainer(false, 3, DB_TRAIN_INPUT_FULL);
    check_engine_equals_trainer(true, 2, DB_TRAIN_INPUT_FULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_engine_equals_trainer_mask_head),
        cmocka_unit_test(test_engine_equals_trainer_db_head),
        cmocka_unit_test(test_engine_equals_trainer_full_input),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
