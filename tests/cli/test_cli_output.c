/* test_cli_output.c - the installed docbin's OCR output options: --output
 * mask|clean-gray|clean-color round trips (format, size, DPI, levels kept
 * under the mask, white elsewhere), --drop-color, and their usage errors. */
#include "synth.h"
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *dir;
static char cmd[8192], path_in[1024], log_path[1024];
static db_ctx *ctx;
static db_image page; /* the RGB input, as written */

static int setup(void **state)
{
    dir = tu_tmpdir("cli_output");
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    tu_path(log_path, sizeof log_path, dir, "log.txt");
    tu_synth_opts o;
    tu_synth_defaults(&o, 360, 260, 5);
    o.color = true; /* yellowed paper and a red seal */
    assert_int_equal(tu_synth_page(ctx, &o, &page, NULL), 0);
    tu_path(path_in, sizeof path_in, dir, "page.png");
    db_write_options w = {0};
    assert_int_equal(db_image_save(ctx, path_in, &w, &page), 0);
    return 0;
}

static int teardown(void **state)
{
    db_image_free(&page);
    db_ctx_free(ctx);
    return 0;
}

static int docbin(const char *args)
{
    snprintf(cmd, sizeof cmd, "'%s' %s", DOCBIN_STAGED_CLI, args);
    return tu_run(cmd, log_path);
}

/* Runs docbin with opts on the input into dir/name and loads the result. */
static void run_to(const char *opts, const char *name, db_image *out)
{
    char path[1024], args[4096];
    tu_path(path, sizeof path, dir, name);
    snprintf(args, sizeof args, "-y %s '%s' '%s'", opts, path_in, path);
    int rc = docbin(args);
    if (rc != 0) {
        char *log = tu_read_file(log_path, NULL);
        fail_msg("docbin %s: exit %d: %s", args, rc, log ? log : "");
    }
    assert_int_equal(db_image_load(ctx, path, out), 0);
}

static void test_each_output_mode_round_trips_with_dpi(void **state)
{
    db_image mask = {0}, gray = {0}, color = {0}, luma = {0};
    run_to("-m sauvola", "mask.png", &mask);
    run_to("-m sauvola --output clean-gray --margin 0", "gray.png", &gray);
    run_to("-m sauvola --output clean-color --margin 0", "color.tif", &color);
    assert_int_equal(mask.format, DB_GRAY8); /* a 1-bit PNG reads back as 0/255 */
    assert_int_equal(gray.format, DB_GRAY8);
    assert_int_equal(color.format, DB_RGB8);
    assert_true(gray.xdpi == 300 && color.ydpi == 300 && mask.xdpi == 300);
    assert_int_equal(db_image_to_gray(ctx, &page, &luma), 0);
    /* margin 0: exactly the mask's ink keeps the input, the rest is white */
    long ink = 0;
    for (int y = 0; y < page.height; y++)
        for (int x = 0; x < page.width; x++) {
            bool is_ink = db_image_row(&mask, y)[x] == 0;
            uint8_t g = db_image_row(&gray, y)[x];
            const uint8_t *c = db_image_row(&color, y) + 3 * x, *p = db_image_row(&page, y) + 3 * x;
            if (is_ink) {
                ink++;
                assert_int_equal(g, db_image_row(&luma, y)[x]);
                assert_memory_equal(c, p, 3);
            } else {
                assert_int_equal(g, 255);
                assert_true(c[0] == 255 && c[1] == 255 && c[2] == 255);
            }
        }
    assert_true(ink > 1000);
    /* the default margin keeps more than the mask itself */
    run_to("-m sauvola --output clean-gray", "gray1.png", &gray);
    long kept = 0;
    for (int y = 0; y < page.height; y++)
        for (int x = 0; x < page.width; x++)
            kept += db_image_row(&gray, y)[x] != 255 || db_image_row(&mask, y)[x] == 0;
    assert_true(kept > ink);
    db_image_free(&mask);
    db_image_free(&gray);
    db_image_free(&color);
    db_image_free(&luma);
}

/* The synthetic page's red seal: otsu takes it as ink, unless dropped. */
static void test_drop_color_removes_seal_ink(void **state)
{
    db_image with = {0}, without = {0};
    run_to("-m otsu", "seal.png", &without);
    run_to("-m otsu --drop-color red", "noseal.png", &with);
    long a = 0, b = 0;
    for (int y = 0; y < page.height; y++)
        for (int x = 0; x < page.width; x++) {
            a += db_image_row(&without, y)[x] == 0;
            b += db_image_row(&with, y)[x] == 0;
        }
    assert_true(b < a);
    /* clean-gray as JPEG is allowed (8-bit), a mask as JPEG is not */
    char args[4096], path[1024];
    tu_path(path, sizeof path, dir, "clean.jpg");
    snprintf(args, sizeof args, "-y --output clean-gray '%s' '%s'", path_in, path);
    assert_int_equal(docbin(args), 0);
    db_image_free(&with);
    db_image_free(&without);
}

static void test_bad_output_options_exit_2(void **state)
{
    static const char *const cases[][2] = {
        {"--output grey", "--output: unknown 'grey'"},
        {"--drop-color pink", "unknown colour 'pink'"},
        {"--margin 33", "--margin"},
        {"--margin -1", "--margin"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char args[2048];
        snprintf(args, sizeof args, "%s '%s' '%s/never.png'", cases[i][0], path_in, dir);
        assert_int_equal(docbin(args), 2);
        char *log = tu_read_file(log_path, NULL);
        assert_non_null(log);
        if (!strstr(log, cases[i][1]))
            fail_msg("%s: expected '%s' in: %s", cases[i][0], cases[i][1], log);
        free(log);
    }
    char never[1024];
    assert_false(tu_file_exists(tu_path(never, sizeof never, dir, "never.png")));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_output_mode_round_trips_with_dpi),
        cmocka_unit_test(test_drop_color_removes_seal_ink),
        cmocka_unit_test(test_bad_output_options_exit_2),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
