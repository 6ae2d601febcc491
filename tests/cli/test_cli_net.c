/* test_cli_net.c - the INSTALLED docbin with the network methods: `-m gan`
 * works on a fresh install with the shipped model (share/docbin/gan.dbm,
 * found beside the program) and gives the engine's mask; `batch` and `eval`
 * take --model too. The model-free cases are in
 * tests/pipeline/test_net_methods.c. */
#include "synth.h"
#include "test_util.h"

#include "nets/model.h"
#include "nets/unet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *dir;
static char cmd[8192], page_path[1024], log_path[1024], tiny[1024];
static db_ctx *ctx;
static db_image page, truth;

static int setup(void **state)
{
    (void)state;
    dir = tu_tmpdir("cli_net");
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    tu_path(log_path, sizeof log_path, dir, "log.txt");
    tu_synth_opts o;
    tu_synth_defaults(&o, 230, 170, 9);
    o.color = true;
    assert_int_equal(tu_synth_page(ctx, &o, &page, &truth), 0);
    char sub[1024];
    tu_path(sub, sizeof sub, dir, "set");
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", sub);
    assert_int_equal(tu_run(cmd, NULL), 0);
    tu_path(page_path, sizeof page_path, sub, "p1.png");
    db_write_options w = {0};
    assert_int_equal(db_image_save(ctx, page_path, &w, &page), 0);
    char gt[1024];
    tu_path(gt, sizeof gt, sub, "p1_gt.png");
    assert_int_equal(db_image_save(ctx, gt, &w, &truth), 0);
    /* a tiny random gray U-Net */
    db_graph g = {0};
    db_unet_spec s = db_unet_spec_default();
    s.levels = 2;
    s.ch[0] = 8;
    s.ch[1] = 16;
    assert_int_equal(db_unet_build(ctx, &s, &g), 0);
    db_graph_randomize(&g, 5);
    tu_path(tiny, sizeof tiny, dir, "tiny.dbm");
    assert_int_equal(db_model_save_graph(ctx, &g, tiny), 0);
    db_graph_free(&g);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    db_image_free(&page);
    db_image_free(&truth);
    db_ctx_free(ctx);
    return 0;
}

static int docbin(const char *env, const char *args)
{
    snprintf(cmd, sizeof cmd, "%s '%s' %s", env, DOCBIN_STAGED_CLI, args);
    return tu_run(cmd, log_path);
}

static void engine_mask(const char *model_path, db_image *mask)
{
    db_model *m = NULL;
    db_net *net = NULL;
    assert_int_equal(db_model_load(ctx, model_path, &m), 0);
    assert_int_equal(db_net_create(ctx, m, &net), 0);
    assert_int_equal(db_net_run(ctx, net, &page, mask, NULL), 0);
    db_net_free(net);
    db_model_free(m);
}

static void assert_file_is_mask(const char *path, const db_image *want)
{
    db_image got = {0}, gray = {0};
    assert_int_equal(db_image_load(ctx, path, &got), 0); /* a 1-bit PNG: ink = 0 */
    assert_int_equal(db_image_to_gray(ctx, &got, &gray), 0);
    assert_int_equal(gray.width, want->width);
    assert_int_equal(gray.height, want->height);
    for (int y = 0; y < want->height; y++)
        for (int x = 0; x < want->width; x++)
            if ((db_image_row(&gray, y)[x] == 0) != db_bit_get(want, x, y))
                fail_msg("%s differs from the engine at (%d, %d)", path, x, y);
    db_image_free(&got);
    db_image_free(&gray);
}

/* `docbin in out -m gan` with nothing but the install: the shipped model. */
static void test_fresh_install_gan(void **state)
{
    (void)state;
    char shipped[1024], out[1024], args[4096];
    snprintf(shipped, sizeof shipped, "%s/share/docbin/gan.dbm", DOCBIN_STAGE);
    if (!tu_file_exists(shipped)) {
        print_message("skipped: no data/gan.dbm shipped\n");
        skip();
    }
    snprintf(args, sizeof args, "%s/gan.dbm", db_model_default_dir());
    if (tu_file_exists(args)) {
        print_message("skipped: a gan.dbm is installed in %s, found first\n",
                      db_model_default_dir());
        skip();
    }
    db_image want = {0};
    engine_mask(shipped, &want);
    tu_path(out, sizeof out, dir, "fresh.png");
    snprintf(args, sizeof args, "-y -m gan '%s' '%s'", page_path, out);
    if (docbin("env -u DOCBIN_MODEL_DIR", args) != 0)
        fail_msg("docbin -m gan failed: %s", tu_read_file(log_path, NULL));
    assert_file_is_mask(out, &want);
    db_image_free(&want);
}

/* batch -m gan --model FILE: every page equals the engine. */
static void test_batch_model(void **state)
{
    (void)state;
    char outdir[1024], out[1100], args[4096];
    tu_path(outdir, sizeof outdir, dir, "batch_out");
    snprintf(args, sizeof args, "batch -q -j 2 -m gan --model '%s' -o '%s' '%s'", tiny, outdir,
             page_path);
    assert_int_equal(docbin("", args), 0);
    snprintf(out, sizeof out, "%s/p1.png", outdir);
    db_image want = {0};
    engine_mask(tiny, &want);
    assert_file_is_mask(out, &want);
    db_image_free(&want);
    snprintf(args, sizeof args, "batch -m gan --model '%s/none.dbm' -o '%s' '%s'", dir, outdir,
             page_path);
    assert_int_equal(docbin("", args), 1);
}

/* eval -m gan --model FILE scores the folder; --model without -m is usage. */
static void test_eval_model(void **state)
{
    (void)state;
    char set[1024], args[4096];
    tu_path(set, sizeof set, dir, "set");
    snprintf(args, sizeof args, "eval --csv -m gan --model '%s' '%s'", tiny, set);
    assert_int_equal(docbin("", args), 0);
    char *log = tu_read_file(log_path, NULL);
    assert_non_null(log);
    assert_non_null(strstr(log, "\nmean,"));
    free(log);
    snprintf(args, sizeof args, "eval --model '%s' '%s' '%s'", tiny, set, set);
    assert_int_equal(docbin("", args), 2);
    snprintf(args, sizeof args, "eval -m otsu --model '%s' '%s'", tiny, set);
    assert_int_equal(docbin("", args), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fresh_install_gan),
        cmocka_unit_test(test_batch_model),
        cmocka_unit_test(test_eval_model),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
