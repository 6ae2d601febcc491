/* test_net_methods.c - the network methods `gan` and `db`
 * (src/pipeline/net_methods.c) and their CLI wiring (src/cli/model.c):
 * through db_method and through the docbin program they give exactly the
 * engine's mask (db_net_run) for small random models written to a temp
 * folder; the maps agree with the mask; a missing, corrupt or unsuitable
 * model is a clear error (exit 1), a bad option a usage error (exit 2);
 * DOCBIN_MODEL_DIR is searched. */
#include "test_util.h"

#include "db_internal.h"
#include "nets/graph.h"
#include "nets/model.h"
#include "tests/pipeline/net_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char dir[1024], gan_path[1200], db_path[1200], page_path[1200], gray_path[1200];
static db_image page; /* RGB8 test page */

/* A small random DB-head network on gray: P and T logits, output P - T. */
static void make_db_graph(db_ctx *ctx, db_graph *g)
{
    int x = db_graph_input(ctx, g, 1, DB_NORM_PAGE_STD);
    x = db_graph_conv_real(ctx, g, x, 8, 3, 1);
    int b = db_graph_bconv(ctx, g, x, 8, 3, 1);
    b = db_graph_unary(ctx, g, DB_OP_BATCHNORM, b);
    b = db_graph_unary(ctx, g, DB_OP_RPRELU, b);
    x = db_graph_binary(ctx, g, DB_OP_ADD, b, x);
    x = db_graph_conv_real(ctx, g, x, 2, 1, 1);
    int h = db_graph_unary(ctx, g, DB_OP_DB_HEAD, x);
    assert_true(h > 0);
    db_graph_randomize(g, 12);
}

static void make_page(db_ctx *ctx, db_image *img, int w, int h)
{
    uint64_t rng = tu_seed() ^ 77;
    assert_int_equal(db_image_ensure(ctx, img, w, h, DB_RGB8), 0);
    for (int y = 0; y < h; y++) {
        uint8_t *r = db_image_row(img, y);
        for (int x = 0; x < w; x++) {
            int ink = ((x / 5 + y / 7) % 4 == 0) || tu_rand_range(&rng, 0, 30) == 0;
            for (int c = 0; c < 3; c++)
                r[3 * x + c] = (uint8_t)(ink ? tu_rand_range(&rng, 10, 90)
                                             : tu_rand_range(&rng, 150, 250) - 20 * c);
        }
    }
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s", tu_tmpdir("net_methods"));
    db_ctx *ctx = NULL;
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    db_graph g = {0}, d = {0};
    nf_small_gan_graph(ctx, &g, 11);
    make_db_graph(ctx, &d);
    tu_path(gan_path, sizeof gan_path, dir, "tiny_gan.dbm");
    tu_path(db_path, sizeof db_path, dir, "tiny_db.dbm");
    assert_int_equal(db_model_save_graph(ctx, &g, gan_path), 0);
    assert_int_equal(db_model_save_graph(ctx, &d, db_path), 0);
    db_graph_free(&g);
    db_graph_free(&d);
    make_page(ctx, &page, 203, 137); /* odd sizes: partial words and tiles */
    tu_path(page_path, sizeof page_path, dir, "page.png");
    db_write_options wo = {.format = DB_FILE_PNG, .flags = DB_WRITE_OVERWRITE};
    assert_int_equal(db_image_save(ctx, page_path, &wo, &page), 0);
    db_image gray = {0};
    assert_int_equal(db_image_to_gray(ctx, &page, &gray), 0);
    tu_path(gray_path, sizeof gray_path, dir, "gray.png");
    assert_int_equal(db_image_save(ctx, gray_path, &wo, &gray), 0);
    db_image_free(&gray);
    db_ctx_free(ctx);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    db_image_free(&page);
    return 0;
}

static void assert_same_mask(const db_image *a, const db_image *b)
{
    assert_int_equal(a->format, DB_BIT1);
    assert_int_equal(b->format, DB_BIT1);
    assert_int_equal(a->width, b->width);
    assert_int_equal(a->height, b->height);
    for (int y = 0; y < a->height; y++)
        for (int x = 0; x < a->width; x++)
            if (db_bit_get(a, x, y) != db_bit_get(b, x, y))
                fail_msg("masks differ at (%d, %d)", x, y);
}

/* The engine's own mask (and logits) for the model at path. */
static void engine_run(db_ctx *ctx, const char *path, const db_image *in, db_image *mask,
                       db_image *logits)
{
    db_model *m = NULL;
    db_net *net = NULL;
    assert_int_equal(db_model_load(ctx, path, &m), 0);
    assert_int_equal(db_net_create(ctx, m, &net), 0);
    assert_int_equal(db_net_run(ctx, net, in, mask, logits), 0);
    db_net_free(net);
    db_model_free(m);
}

static long count_ink(const db_image *m)
{
    long n = 0;
    for (int y = 0; y < m->height; y++)
        for (int x = 0; x < m->width; x++)
            n += db_bit_get(m, x, y);
    return n;
}

/* -m gan through db_method == db_net_run, for several tiles and threads. */
static void test_gan_method_equals_engine(void **state)
{
    (void)state;
    db_pool *pool = NULL;
    db_ctx *ctx = NULL;
    assert_int_equal(db_pool_create(2, &pool), 0);
    assert_int_equal(db_ctx_create(pool, &ctx), 0);
    db_image want = {0}, logits = {0}, got = {0};
    engine_run(ctx, gan_path, &page, &want, &logits);
    long ink = count_ink(&want);
    assert_true(ink > 0 && ink < (long)page.width * page.height); /* not trivial */

    db_model *m = NULL;
    assert_int_equal(db_model_load(ctx, gan_path, &m), 0);
    static const char *specs[] = {"gan", "gan:tile=64", "gan:tile=0"};
    for (int i = 0; i < 3; i++) {
        db_method meth;
        assert_int_equal(db_method_parse(ctx, specs[i], &meth), 0);
        assert_true(db_method_needs_model(meth.info));
        assert_int_equal(db_method_set_model(ctx, &meth, m), 0);
        assert_int_equal(db_method_run(ctx, &meth, &page, &got), 0);
        assert_same_mask(&got, &want);
    }
    /* threshold: ink where logit > t, from the engine's logits */
    db_method meth;
    assert_int_equal(db_method_parse(ctx, "gan:threshold=0.75", &meth), 0);
    assert_int_equal(db_method_set_model(ctx, &meth, m), 0);
    assert_int_equal(db_method_run(ctx, &meth, &page, &got), 0);
    long n = 0;
    for (int y = 0; y < page.height; y++) {
        const float *l = (const float *)(const void *)db_image_row(&logits, y);
        for (int x = 0; x < page.width; x++) {
            assert_int_equal(db_bit_get(&got, x, y), l[x] > 0.75f);
            n += db_bit_get(&got, x, y);
        }
    }
    assert_true(n < ink); /* a stricter threshold removes ink */

    /* the probability map is round(255 * sigmoid(logit)) */
    db_image maps[2] = {{0}, {0}};
    int nmaps = 0;
    assert_int_equal(db_method_maps(ctx, &meth, &page, maps, &nmaps), 0);
    assert_int_equal(nmaps, 1);
    assert_int_equal(maps[0].format, DB_GRAY8);
    for (int y = 0; y < page.height; y++) {
        const float *l = (const float *)(const void *)db_image_row(&logits, y);
        for (int x = 0; x < page.width; x++) {
            int v = db_image_row(&maps[0], y)[x];
            if (v > 128)
                assert_true(l[x] > 0.0f);
            if (v < 127)
                assert_true(l[x] < 0.0f);
        }
    }
    db_image_free(&maps[0]);
    db_model_free(m);
    db_image_free(&want);
    db_image_free(&logits);
    db_image_free(&got);
    db_ctx_free(ctx);
    db_pool_free(pool);
}

/* Without a model: a clear DB_EINVAL; db refuses a model without a DB head;
 * a classic method takes no model. */
static void test_model_errors(void **state)
{
    db_ctx *ctx = *state;
    db_image out = {0};
    db_method meth;
    assert_int_equal(db_method_parse(ctx, "gan", &meth), 0);
    assert_int_equal(db_method_run(ctx, &meth, &page, &out), DB_EINVAL);
    assert_non_null(strstr(db_ctx_message(ctx), "no model"));
    db_image maps[2] = {{0}, {0}};
    int n = 5;
    assert_int_equal(db_method_maps(ctx, &meth, &page, maps, &n), DB_EINVAL);
    assert_int_equal(n, 0);
    db_ctx_clear_error(ctx);

    db_model *gm = NULL;
    assert_int_equal(db_model_load(ctx, gan_path, &gm), 0);
    assert_int_equal(db_method_parse(ctx, "db", &meth), 0);
    assert_int_equal(db_method_set_model(ctx, &meth, gm), DB_EINVAL);
    assert_non_null(strstr(db_ctx_message(ctx), "DB head"));
    assert_null(meth.model);
    assert_int_equal(db_method_parse(ctx, "otsu", &meth), 0);
    assert_false(db_method_needs_model(meth.info));
    assert_int_equal(db_method_set_model(ctx, &meth, gm), DB_EINVAL);
    assert_int_equal(db_method_maps(ctx, &meth, &page, maps, &n), DB_EINVAL);
    assert_int_equal(db_method_parse(ctx, "gan:tile=-2", &meth), DB_EINVAL);
    assert_int_equal(db_method_parse(ctx, "db:threshold=x", &meth), DB_EINVAL);
    db_model_free(gm);
    db_image_free(&out);
}

/* -m db: the mask equals the engine's, and the P, T maps agree with it:
 * where the 8-bit maps differ, ink <=> P > T (rounding is monotone). */
static void test_db_method_and_maps(void **state)
{
    db_ctx *ctx = *state;
    db_image want = {0}, got = {0};
    engine_run(ctx, db_path, &page, &want, NULL);
    long ink = count_ink(&want);
    assert_true(ink > 0 && ink < (long)page.width * page.height);
    db_model *m = NULL;
    assert_int_equal(db_model_load(ctx, db_path, &m), 0);
    db_method meth;
    assert_int_equal(db_method_parse(ctx, "db:tile=64", &meth), 0);
    assert_int_equal(db_method_set_model(ctx, &meth, m), 0);
    assert_int_equal(db_method_run(ctx, &meth, &page, &got), 0);
    assert_same_mask(&got, &want);

    db_image maps[2] = {{0}, {0}};
    int n = 0;
    assert_int_equal(db_method_maps(ctx, &meth, &page, maps, &n), 0);
    assert_int_equal(n, 2);
    long checked = 0;
    for (int y = 0; y < page.height; y++)
        for (int x = 0; x < page.width; x++) {
            int p = db_image_row(&maps[0], y)[x], t = db_image_row(&maps[1], y)[x];
            if (p != t) {
                assert_int_equal(db_bit_get(&want, x, y), p > t);
                checked++;
            }
        }
    assert_true(checked > (long)page.width * page.height / 2);
    db_image_free(&maps[0]);
    db_image_free(&maps[1]);
    db_model_free(m);
    db_image_free(&want);
    db_image_free(&got);
}

/* Runs the program; returns the exit status, stderr+stdout in log. */
static int run_cli(const char *env, const char *args, char *log, size_t size)
{
    char cmd[9000], logpath[1200];
    tu_path(logpath, sizeof logpath, dir, "log.txt");
    if (snprintf(cmd, sizeof cmd, "%s '%s' %s", env ? env : "", DOCBIN_CLI, args) >= (int)sizeof cmd)
        fail_msg("command too long: %s", args);
    int rc = tu_run(cmd, logpath);
    char *text = tu_read_file(logpath, NULL);
    snprintf(log, size, "%s", text ? text : "");
    free(text);
    return rc;
}

/* docbin IN OUT -m gan --model FILE == the engine; DOCBIN_MODEL_DIR lookup;
 * --save-maps writes P and T for db. */
static void test_cli_model(void **state)
{
    db_ctx *ctx = *state;
    char args[8192], log[8192], out[1200];
    db_image want = {0}, got = {0};
    engine_run(ctx, gan_path, &page, &want, NULL);

    tu_path(out, sizeof out, dir, "out_gan.png");
    snprintf(args, sizeof args, "-y -j 2 -m gan --model '%s' '%s' '%s'", gan_path, page_path,
             out);
    assert_int_equal(run_cli(NULL, args, log, sizeof log), 0);
    nf_load_mask(ctx, out, &got);
    assert_same_mask(&got, &want);
    db_image_free(&got);

    /* DOCBIN_MODEL_DIR/<name>.dbm: a folder holding the tiny model as gan.dbm */
    char mdir[1200], env[1400], copy[1300];
    tu_path(mdir, sizeof mdir, dir, "models");
    snprintf(args, sizeof args, "mkdir -p '%s' && cp '%s' '%s/gan.dbm'", mdir, gan_path, mdir);
    assert_int_equal(tu_run(args, NULL), 0);
    snprintf(copy, sizeof copy, "%s/gan.dbm", mdir);
    assert_true(tu_file_exists(copy));
    snprintf(env, sizeof env, "DOCBIN_MODEL_DIR='%s'", mdir);
    tu_path(out, sizeof out, dir, "out_env.png");
    snprintf(args, sizeof args, "-y -m gan '%s' '%s'", page_path, out);
    assert_int_equal(run_cli(env, args, log, sizeof log), 0);
    nf_load_mask(ctx, out, &got);
    assert_same_mask(&got, &want);
    db_image_free(&got);

    /* --save-maps with db on the gray page: P and T, 8-bit, page size */
    char prefix[1200], p_path[1300], t_path[1300];
    tu_path(prefix, sizeof prefix, dir, "maps");
    tu_path(out, sizeof out, dir, "out_db.png");
    snprintf(args, sizeof args, "-y -m db --model '%s' --save-maps '%s' '%s' '%s'", db_path,
             prefix, gray_path, out);
    assert_int_equal(run_cli(NULL, args, log, sizeof log), 0);
    snprintf(p_path, sizeof p_path, "%s_P.png", prefix);
    snprintf(t_path, sizeof t_path, "%s_T.png", prefix);
    db_image pm = {0}, tm = {0};
    assert_int_equal(db_image_load(ctx, p_path, &pm), 0);
    assert_int_equal(db_image_load(ctx, t_path, &tm), 0);
    assert_int_equal(pm.format, DB_GRAY8);
    assert_int_equal(pm.width, page.width);
    assert_int_equal(tm.height, page.height);
    nf_load_mask(ctx, out, &got);
    for (int y = 0; y < page.height; y++)
        for (int x = 0; x < page.width; x++) {
            int p = db_image_row(&pm, y)[x], t = db_image_row(&tm, y)[x];
            if (p != t)
                assert_int_equal(db_bit_get(&got, x, y), p > t);
        }
    db_image_free(&pm);
    db_image_free(&tm);
    db_image_free(&got);
    db_image_free(&want);
}

/* Errors: exit 1 with one clear line for missing, corrupt or unsuitable
 * models; exit 2 for bad options. */
static void test_cli_errors(void **state)
{
    (void)state;
    char args[8192], log[8192], out[1200], bad[1200], empty[1200];
    tu_path(out, sizeof out, dir, "err.png");

    snprintf(args, sizeof args, "-y -m gan --model '%s/none.dbm' '%s' '%s'", dir, page_path, out);
    assert_int_equal(run_cli(NULL, args, log, sizeof log), 1);
    assert_non_null(strstr(log, "none.dbm"));

    tu_path(bad, sizeof bad, dir, "corrupt.dbm");
    size_t size = 0;
    char *bytes = tu_read_file(gan_path, &size);
    assert_non_null(bytes);
    bytes[size / 2] ^= 0x55; /* a flipped byte: the CRC catches it */
    assert_int_equal(tu_write_file(bad, bytes, size), 0);
    free(bytes);
    snprintf(args, sizeof args, "-y -m gan --model '%s' '%s' '%s'", bad, page_path, out);
    assert_int_equal(run_cli(NULL, args, log, sizeof log), 1);
    assert_non_null(strstr(log, "corrupt.dbm"));
    assert_false(tu_file_exists(out));

    snprintf(args, sizeof args, "-y -m db --model '%s' '%s' '%s'", gan_path, page_path, out);
    assert_int_equal(run_cli(NULL, args, log, sizeof log), 1);
    assert_non_null(strstr(log, "DB head"));

    /* nothing to find: the message names the places searched. A copy of the
     * program in a bare folder has no share/ or data/ beside it, so only an
     * installed db.dbm (the install prefix) can be found: then skip. */
    snprintf(bad, sizeof bad, "%s/db.dbm", db_model_default_dir());
    if (!tu_file_exists(bad)) {
        char bare[1200], prog[1300];
        tu_path(empty, sizeof empty, dir, "empty");
        tu_path(bare, sizeof bare, dir, "bare/bin");
        snprintf(prog, sizeof prog, "%s/docbin", bare);
        snprintf(args, sizeof args, "mkdir -p '%s' '%s' && cp '%s' '%s'", empty, bare,
                 DOCBIN_CLI, prog);
        assert_int_equal(tu_run(args, NULL), 0);
        char cmd[9000], logpath[1200];
        tu_path(logpath, sizeof logpath, dir, "log.txt");
        snprintf(cmd, sizeof cmd, "DOCBIN_MODEL_DIR='%s' '%s' -y -m db '%s' '%s'", empty, prog,
                 page_path, out);
        assert_int_equal(tu_run(cmd, logpath), 1);
        char *text = tu_read_file(logpath, NULL);
        assert_non_null(text);
        snprintf(log, sizeof log, "%s", text);
        free(text);
        assert_non_null(strstr(log, "no model"));
        assert_non_null(strstr(log, empty));
        assert_non_null(strstr(log, db_model_default_dir()));
        const char *nl = strchr(log, '\n'); /* one line */
        assert_true(nl && nl[1] == '\0');
        assert_false(tu_file_exists(out));
    } else {
        print_message("skipped the search test: %s is installed\n", bad);
    }

    snprintf(args, sizeof args, "-y -m otsu --model '%s' '%s' '%s'", gan_path, page_path, out);
    assert_int_equal(run_cli(NULL, args, log, sizeof log), 2);
    snprintf(args, sizeof args, "-y -m gan:tile=-5 --model '%s' '%s' '%s'", gan_path, page_path,
             out);
    assert_int_equal(run_cli(NULL, args, log, sizeof log), 2);
    snprintf(args, sizeof args, "-y -m otsu --save-maps x '%s' '%s'", page_path, out);
    assert_int_equal(run_cli(NULL, args, log, sizeof log), 2);
    snprintf(args, sizeof args, "-y -m gan --model");
    assert_int_equal(run_cli(NULL, args, log, sizeof log), 2);
    assert_false(tu_file_exists(out));
}

/* db_ctx_keep_networks: the same masks as without it, page after page; the
 * kept state follows the model run last; maps of a DB head (temporary
 * per-channel models) leave no state of a freed model; off empties it
 * (ASan checks nothing leaks). */
static void test_kept_networks(void **state)
{
    db_ctx *ctx = *state;
    db_model *gm = NULL, *dm = NULL;
    assert_int_equal(db_model_load(ctx, gan_path, &gm), 0);
    assert_int_equal(db_model_load(ctx, db_path, &dm), 0);
    db_method g, d;
    assert_int_equal(db_method_parse(ctx, "gan", &g), 0);
    assert_int_equal(db_method_parse(ctx, "db", &d), 0);
    assert_int_equal(db_method_set_model(ctx, &g, gm), 0);
    assert_int_equal(db_method_set_model(ctx, &d, dm), 0);
    db_image want_g = {0}, want_d = {0}, got = {0}, small = {0}, want_small = {0};
    assert_int_equal(db_method_run(ctx, &g, &page, &want_g), 0);
    assert_int_equal(db_method_run(ctx, &d, &page, &want_d), 0);
    make_page(ctx, &small, 70, 45);
    assert_int_equal(db_method_run(ctx, &g, &small, &want_small), 0);
    assert_null(db_ctx_kept(ctx));
    db_ctx_keep_networks(ctx, true);
    for (int round = 0; round < 2; round++) {
        assert_int_equal(db_method_run(ctx, &g, &page, &got), 0);
        assert_same_mask(&got, &want_g);
        assert_non_null(db_ctx_kept(ctx));
        assert_ptr_equal(db_net_model(db_ctx_kept(ctx)), gm);
        void *kept = db_ctx_kept(ctx);
        /* another page size with the same kept net */
        assert_int_equal(db_method_run(ctx, &g, &small, &got), 0);
        assert_same_mask(&got, &want_small);
        assert_ptr_equal(db_ctx_kept(ctx), kept);
        assert_int_equal(db_method_run(ctx, &d, &page, &got), 0);
        assert_same_mask(&got, &want_d);
        assert_ptr_equal(db_net_model(db_ctx_kept(ctx)), dm);
    }
    db_image maps[2] = {{0}, {0}};
    int n = 0;
    assert_int_equal(db_method_maps(ctx, &d, &page, maps, &n), 0);
    assert_int_equal(n, 2);
    const db_net *k = db_ctx_kept(ctx);
    assert_true(k == NULL || db_net_model(k) == dm || db_net_model(k) == gm);
    db_ctx_keep_networks(ctx, false);
    assert_null(db_ctx_kept(ctx));
    assert_int_equal(db_method_run(ctx, &g, &page, &got), 0);
    assert_same_mask(&got, &want_g);
    assert_null(db_ctx_kept(ctx));
    db_ctx_keep_networks(ctx, true); /* left on: freed by the ctx teardown */
    assert_int_equal(db_method_run(ctx, &g, &page, &got), 0);
    db_image_free(&maps[0]);
    db_image_free(&maps[1]);
    db_image_free(&want_g);
    db_image_free(&want_d);
    db_image_free(&got);
    db_image_free(&small);
    db_image_free(&want_small);
    db_model_free(gm);
    db_model_free(dm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gan_method_equals_engine),
        cmocka_unit_test_setup_teardown(test_model_errors, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_db_method_and_maps, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_cli_model, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_kept_networks, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test(test_cli_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
