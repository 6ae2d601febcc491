/* test_train_bad.c - bad inputs to the trainer: missing ground truth, size
 * mismatch, empty folder, bad options, unwritable outputs, corrupt or
 * mismatching checkpoints. Each gives a clear error, leaves the trainer as it
 * was and no file (temporary or half-written) behind. */
#include "test_util.h"
#include "train_synth.h"

#include "nets/train/trainer_internal.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char base[1024];

static int setup(void **s)
{
    snprintf(base, sizeof base, "%s", tu_tmpdir("train_bad"));
    return 0;
}

static void make_dir(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", base, name);
    mkdir(out, 0777);
}

/* Files in dir (not . and ..). */
static int count_files(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.' || (e->d_name[1] && strcmp(e->d_name, ".."));
    closedir(d);
    return n;
}

static void save_gray(db_ctx *ctx, const char *dir, const char *name, int w, int h, int v)
{
    db_image img = {0};
    char path[1200];
    assert_int_equal(db_image_ensure(ctx, &img, w, h, DB_GRAY8), 0);
    for (int y = 0; y < h; y++)
        memset(db_image_row(&img, y), y % 3 ? v : 0, (size_t)w);
    assert_int_equal(db_image_save(ctx, tu_path(path, sizeof path, dir, name), NULL, &img), 0);
    db_image_free(&img);
}

static int create_with(db_ctx *ctx, const char *dir, db_train_options *o, db_trainer **t)
{
    static const char *dirs[1];
    dirs[0] = dir;
    o->train_dirs = dirs;
    o->ntrain_dirs = 1;
    return db_trainer_create(ctx, o, t);
}

static void expect_create_fails(const char *dir, int code, const char *substring)
{
    db_ctx *ctx = NULL;
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    db_train_options o;
    db_train_options_defaults(&o);
    db_trainer *t = (db_trainer *)&o; /* must be cleared */
    assert_int_equal(create_with(ctx, dir, &o, &t), code);
    assert_null(t);
    printf("  %s\n", db_ctx_message(ctx));
    assert_non_null(strstr(db_ctx_message(ctx), substring));
    db_ctx_free(ctx);
}

static void test_missing_ground_truth_is_named(void **s)
{
    char dir[1100];
    make_dir(dir, sizeof dir, "nogt");
    db_ctx *ctx = NULL;
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    save_gray(ctx, dir, "a.png", 40, 30, 200);
    save_gray(ctx, dir, "a_gt.png", 40, 30, 255);
    save_gray(ctx, dir, "b.png", 40, 30, 200);
    db_ctx_free(ctx);
    expect_create_fails(dir, DB_EINVAL, "missing ground truth");
    expect_create_fails(dir, DB_EINVAL, "b_gt.png");
}

static void test_size_mismatch_is_refused(void **s)
{
    char dir[1100];
    make_dir(dir, sizeof dir, "mismatch");
    db_ctx *ctx = NULL;
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    save_gray(ctx, dir, "a.png", 40, 30, 200);
    save_gray(ctx, dir, "a_gt.png", 40, 31, 255);
    db_ctx_free(ctx);
    expect_create_fails(dir, DB_EFORMAT, "ground truth is 40x31, page 40x30");
}

static void test_empty_or_missing_folder_is_refused(void **s)
{
    char dir[1100], none[1100];
    make_dir(dir, sizeof dir, "empty");
    expect_create_fails(dir, DB_EINVAL, "no page images");
    snprintf(none, sizeof none, "%s/does-not-exist", base);
    expect_create_fails(none, DB_EIO, "cannot open folder");
}

static void test_bad_options_are_refused(void **s)
{
    char dir[1100];
    make_dir(dir, sizeof dir, "opts");
    db_ctx *ctx = NULL;
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    db_train_options o;
    db_trainer *t = NULL;
    db_train_options_defaults(&o);
    o.patch = 100; /* not a multiple of 32 for 4 levels */
    assert_int_equal(create_with(ctx, dir, &o, &t), DB_EINVAL);
    assert_non_null(strstr(db_ctx_message(ctx), "patch 100"));
    db_ctx_clear_error(ctx);
    db_train_options_defaults(&o);
    o.batch = 0;
    assert_int_equal(create_with(ctx, dir, &o, &t), DB_EINVAL);
    db_ctx_clear_error(ctx);
    db_train_options_defaults(&o);
    o.ntrain_dirs = 0;
    assert_int_equal(db_trainer_create(ctx, &o, &t), DB_EINVAL);
    assert_null(t);
    db_ctx_free(ctx);
}

/* A small valid trainer on one synthetic page. */
static db_trainer *small_trainer_input(db_ctx *ctx, int width, db_train_input input)
{
    static char dir[1100];
    make_dir(dir, sizeof dir, "ok");
    if (count_files(dir) == 0)
        synth_write_set(dir, "p", 1, 64, 64, 5);
    db_train_options o;
    db_train_options_defaults(&o);
    o.width = width;
    o.levels = 2;
    o.patch = 32;
    o.batch = 2;
    o.steps = 2;
    o.input = input;
    db_trainer *t = NULL;
    assert_int_equal(create_with(ctx, dir, &o, &t), 0);
    return t;
}

static db_trainer *small_trainer(db_ctx *ctx, int width)
{
    return small_trainer_input(ctx, width, DB_TRAIN_INPUT_DWT);
}

static void test_unwritable_outputs_fail_cleanly(void **s)
{
    db_ctx *ctx = NULL;
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    db_trainer *t = small_trainer(ctx, 4);
    char out[1100], path[1200];
    make_dir(out, sizeof out, "out");
    snprintf(path, sizeof path, "%s/missing-folder/ck", base);
    assert_int_equal(db_trainer_save(ctx, t, path), DB_EIO);
    assert_non_null(strstr(db_ctx_message(ctx), "cannot write checkpoint"));
    db_ctx_clear_error(ctx);
    snprintf(path, sizeof path, "%s/missing-folder/m.dbm", base);
    assert_true(db_trainer_export(ctx, t, path) < 0);
    db_ctx_clear_error(ctx);
    /* a path that is a folder: the rename fails, the temporary is removed */
    assert_int_equal(db_trainer_save(ctx, t, out), DB_EIO);
    db_ctx_clear_error(ctx);
    snprintf(path, sizeof path, "%s/sub", out);
    mkdir(path, 0777);
    assert_int_equal(db_trainer_save(ctx, t, path), DB_EIO);
    assert_int_equal(count_files(out), 1); /* only "sub" */
    db_trainer_free(t);
    db_ctx_free(ctx);
}

/* load (db_trainer_resume or db_trainer_init_from) refuses, as DB_ECORRUPT
 * naming the cause, the checkpoint bytes [n] written to bad truncated by 10
 * bytes, then whole with one flipped bit in the weights (left flipped). */
static void assert_damaged_refused(db_ctx *ctx, db_trainer *t,
                                   int (*load)(db_ctx *, db_trainer *, const char *),
                                   const char *bad, char *bytes, size_t n)
{
    assert_int_equal(tu_write_file(bad, bytes, n - 10), 0);
    assert_int_equal(load(ctx, t, bad), DB_ECORRUPT);
    assert_non_null(strstr(db_ctx_message(ctx), "truncated"));
    db_ctx_clear_error(ctx);
    bytes[n / 2] ^= 4;
    assert_int_equal(tu_write_file(bad, bytes, n), 0);
    assert_int_equal(load(ctx, t, bad), DB_ECORRUPT);
    assert_non_null(strstr(db_ctx_message(ctx), "CRC"));
    db_ctx_clear_error(ctx);
}

static void test_corrupt_checkpoints_are_refused(void **s)
{
    db_ctx *ctx = NULL;
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    db_trainer *t = small_trainer(ctx, 4);
    char dir[1100], good[1200], bad[1200];
    make_dir(dir, sizeof dir, "ck");
    snprintf(good, sizeof good, "%s/good", dir);
    snprintf(bad, sizeof bad, "%s/bad", dir);
    assert_int_equal(db_trainer_save(ctx, t, good), 0);
    size_t n;
    char *bytes = tu_read_file(good, &n);
    assert_non_null(bytes);
    float w0 = t->net.nodes[2].pw[0];
    t->net.nodes[2].pw[0] = 123.0f; /* the state a failed resume must not touch */

    assert_damaged_refused(ctx, t, db_trainer_resume, bad, bytes, n);
    /* not a checkpoint */
    assert_int_equal(tu_write_file(bad, "hello", 5), 0);
    assert_int_equal(db_trainer_resume(ctx, t, bad), DB_ECORRUPT);
    db_ctx_clear_error(ctx);
    /* missing */
    snprintf(bad, sizeof bad, "%s/none", dir);
    assert_int_equal(db_trainer_resume(ctx, t, bad), DB_EIO);
    db_ctx_clear_error(ctx);
    assert_float_equal(t->net.nodes[2].pw[0], 123.0f, 0);

    /* another network */
    db_trainer *t8 = small_trainer(ctx, 8);
    assert_int_equal(db_trainer_resume(ctx, t8, good), DB_EINVAL);
    assert_non_null(strstr(db_ctx_message(ctx), "another network"));
    db_ctx_clear_error(ctx);
    /* and the good one restores */
    assert_int_equal(db_trainer_resume(ctx, t, good), 0);
    assert_float_equal(t->net.nodes[2].pw[0], w0, 0);
    free(bytes);
    db_trainer_free(t8);
    db_trainer_free(t);
    db_ctx_free(ctx);
}

/* --init from a checkpoint of another network (width, front end) or a
 * damaged one: a one-line error, the generator untouched. */
static void test_init_refuses_another_network(void **s)
{
    db_ctx *ctx = NULL;
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    db_trainer *t4 = small_trainer(ctx, 4), *t8 = small_trainer(ctx, 8);
    char dir[1100], good[1200], bad[1200];
    make_dir(dir, sizeof dir, "init");
    snprintf(good, sizeof good, "%s/good", dir);
    snprintf(bad, sizeof bad, "%s/bad", dir);
    assert_int_equal(db_trainer_save(ctx, t4, good), 0);
    float w0 = t8->net.nodes[2].pw[0];
    assert_int_equal(db_trainer_init_from(ctx, t8, good), DB_EINVAL);
    printf("  %s\n", db_ctx_message(ctx));
    assert_non_null(strstr(db_ctx_message(ctx), "another network"));
    assert_null(strchr(db_ctx_message(ctx), '\n'));
    db_ctx_clear_error(ctx);
    assert_float_equal(t8->net.nodes[2].pw[0], w0, 0);

    /* same width and levels, no DWT front end */
    db_trainer *tf = small_trainer_input(ctx, 4, DB_TRAIN_INPUT_FULL);
    assert_int_equal(db_trainer_init_from(ctx, tf, good), DB_EINVAL);
    printf("  %s\n", db_ctx_message(ctx));
    assert_non_null(strstr(db_ctx_message(ctx), "input dwt"));
    db_ctx_clear_error(ctx);
    /* and the other way round */
    char full[1200];
    snprintf(full, sizeof full, "%s/full", dir);
    assert_int_equal(db_trainer_save(ctx, tf, full), 0);
    assert_int_equal(db_trainer_init_from(ctx, t4, full), DB_EINVAL);
    assert_int_equal(db_trainer_resume(ctx, t4, full), DB_EINVAL);
    db_ctx_clear_error(ctx);

    /* damaged: truncated, a flipped bit */
    size_t n;
    char *bytes = tu_read_file(good, &n);
    assert_non_null(bytes);
    assert_damaged_refused(ctx, t4, db_trainer_init_from, bad, bytes, n);
    free(bytes);
    db_trainer_free(tf);
    db_trainer_free(t8);
    db_trainer_free(t4);
    db_ctx_free(ctx);
}

/* Allocation N fails, for N = 1, 2, ... until creation succeeds: a clean
 * DB_ENOMEM every time (ASan checks nothing leaks). */
static void test_allocation_failures_are_clean(void **s)
{
    char dir[1100];
    make_dir(dir, sizeof dir, "ok");
    if (count_files(dir) == 0)
        synth_write_set(dir, "p", 1, 64, 64, 5);
    db_train_options o;
    db_train_options_defaults(&o);
    o.width = 4;
    o.levels = 2;
    o.patch = 32;
    o.batch = 2;
    o.steps = 1;
    for (long n = 1;; n++) {
        db_ctx *ctx = NULL;
        assert_int_equal(db_ctx_create(NULL, &ctx), 0);
        db_ctx_fail_alloc_after(ctx, n);
        db_trainer *t = NULL;
        int rc = create_with(ctx, dir, &o, &t);
        if (rc == 0)
            rc = db_trainer_run(ctx, t, NULL, NULL);
        db_trainer_free(t);
        db_ctx_free(ctx);
        if (rc == 0) {
            printf("  succeeded once %ld allocations were allowed\n", n);
            break;
        }
        assert_int_equal(rc, DB_ENOMEM);
        assert_true(n < 100000);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_missing_ground_truth_is_named),
        cmocka_unit_test(test_size_mismatch_is_refused),
        cmocka_unit_test(test_empty_or_missing_folder_is_refused),
        cmocka_unit_test(test_bad_options_are_refused),
        cmocka_unit_test(test_unwritable_outputs_fail_cleanly),
        cmocka_unit_test(test_corrupt_checkpoints_are_refused),
        cmocka_unit_test(test_init_refuses_another_network),
        cmocka_unit_test(test_allocation_failures_are_clean),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
