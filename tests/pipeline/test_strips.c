/* test_strips.c - strip mode (src/pipeline/strips.c, classic/strips.c): for
 * every method that declares strips, the page binarized in bands (bands
 * smaller than the halo, odd page sizes, gray and colour, drop-color) is the
 * whole-page result byte for byte; the methods without strips are refused;
 * a cut input fails with a clear error and leaves no output file. */
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char dir[512]; /* tu_tmpdir returns a buffer reused by later calls */

/* Seeded page: paper gradient, dark strokes, noise (so every method has ink
 * and paper, and the statistics vary down the page). */
static void make_page(db_ctx *ctx, db_image *img, int w, int h, bool color, uint64_t *rng)
{
    assert_int_equal(db_image_ensure(ctx, img, w, h, color ? DB_RGB8 : DB_GRAY8), 0);
    int ch = color ? 3 : 1;
    for (int y = 0; y < h; y++) {
        uint8_t *row = db_image_row(img, y);
        for (int x = 0; x < w; x++) {
            int v = 150 + (80 * y) / (h > 1 ? h : 1) + (int)(tu_rand(rng) % 21) - 10;
            if ((x / 3 + y / 5) % 7 == 0 || tu_rand(rng) % 23 == 0)
                v = 40 + (int)(tu_rand(rng) % 50);
            v = v < 0 ? 0 : v > 255 ? 255 : v;
            for (int c = 0; c < ch; c++) {
                int cv = v;
                if (color && c == 0 && (x + y) % 11 < 3)
                    cv = 230; /* reddish marks for drop-color */
                row[x * ch + c] = (uint8_t)cv;
            }
        }
    }
    img->xdpi = img->ydpi = 300;
}

static char *slurp(const char *path, size_t *n)
{
    char *p = tu_read_file(path, n);
    assert_non_null(p);
    return p;
}

/* Whole page (db_method_run, drop-color first when asked) vs strips, both
 * written as PBM; asserts the files are equal. */
static void check_method(db_ctx *ctx, const char *spec, const char *in_path, const db_image *page,
                         int band_rows, unsigned hues)
{
    db_method m;
    assert_int_equal(db_method_parse(ctx, spec, &m), 0);
    assert_true(db_method_strips(&m));
    db_image seen = {0}, mask = {0};
    const db_image *in = page;
    db_drop_color_options d;
    db_drop_color_options_defaults(&d);
    d.hues = hues;
    if (hues && page->format == DB_RGB8) {
        assert_int_equal(db_drop_color(ctx, page, &d, &seen, NULL), 0);
        in = &seen;
    }
    assert_int_equal(db_method_run(ctx, &m, in, &mask), 0);
    char a[600], b[600];
    tu_path(a, sizeof a, dir, "whole.pbm");
    tu_path(b, sizeof b, dir, "strips.pbm");
    db_write_options wo = {.flags = DB_WRITE_OVERWRITE};
    assert_int_equal(db_image_save(ctx, a, &wo, &mask), 0);
    db_writer *w;
    assert_int_equal(db_writer_open(ctx, b, &wo, &w), 0);
    db_strip_options so = {.band_rows = band_rows, .drop = hues ? &d : NULL};
    int rc = db_strips_run(ctx, &m, in_path, 0, &so, w);
    if (rc != 0)
        fail_msg("%s: %s", spec, db_ctx_message(ctx));
    assert_int_equal(db_writer_commit(ctx, w), 0);
    db_writer_free(w);
    size_t na, nb;
    char *pa = slurp(a, &na), *pb = slurp(b, &nb);
    if (na != nb || memcmp(pa, pb, na) != 0)
        fail_msg("%s on %dx%d %s, bands of %d rows: strips differ from the whole page", spec,
                 page->width, page->height, page->format == DB_RGB8 ? "rgb" : "gray", band_rows);
    free(pa);
    free(pb);
    db_image_free(&seen);
    db_image_free(&mask);
}

/* The spec of method info with a small window (halo 4) when it has one. */
static void spec_of(const db_method_info *info, bool small, char *buf, size_t n)
{
    bool has_window = false;
    for (int i = 0; i < info->nparams; i++)
        has_window |= strcmp(info->params[i].name, "window") == 0;
    if (small && has_window)
        snprintf(buf, n, "%s:window=9", info->name);
    else
        snprintf(buf, n, "%s", info->name);
}

static void test_strips_equal_whole_page_for_every_strip_method(void **state)
{
    (void)state;
    db_ctx *ctx;
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    uint64_t rng = tu_seed();
    const int sizes[][2] = {{67, 53}, {130, 7}, {1, 40}, {201, 97}};
    db_image page = {0};
    int checked = 0;
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        for (int color = 0; color < 2; color++) {
            make_page(ctx, &page, sizes[s][0], sizes[s][1], color, &rng);
            char in_path[600];
            tu_path(in_path, sizeof in_path, dir, color ? "page.ppm" : "page.png");
            db_write_options wo = {.flags = DB_WRITE_OVERWRITE};
            assert_int_equal(db_image_save(ctx, in_path, &wo, &page), 0);
            for (int i = 0; i < db_method_count(); i++) {
                const db_method_info *info = db_method_at(i);
                if (!info->strips)
                    continue;
                char spec[96];
                for (int small = 1; small >= 0; small--) {
                    spec_of(info, small, spec, sizeof spec);
                    /* bands of 1..3 rows are smaller than the halo of 4 */
                    int band = small ? tu_rand_range(&rng, 1, 3) : tu_rand_range(&rng, 1, 40);
                    check_method(ctx, spec, in_path, &page, band, 0);
                    checked++;
                }
                if (color)
                    check_method(ctx, spec, in_path, &page, 5, DB_HUE_RED);
            }
            /* automatic band height */
            check_method(ctx, "sauvola:window=31", in_path, &page, 0, 0);
        }
    }
    assert_true(checked >= 13 * 16);
    db_image_free(&page);
    db_ctx_free(ctx);
}

static void test_strip_methods_are_the_windowed_and_global_ones(void **state)
{
    (void)state;
    static const char *const expect[] = {"otsu",   "kittler", "kapur",      "threshold", "niblack",
                                         "sauvola", "wolf",   "nick",       "bradley",
                                         "phansalkar", "bernsen", "trsingh", "wan"};
    int n = 0;
    for (int i = 0; i < db_method_count(); i++) {
        const db_method_info *info = db_method_at(i);
        bool listed = false;
        for (size_t k = 0; k < sizeof expect / sizeof expect[0]; k++)
            listed |= strcmp(info->name, expect[k]) == 0;
        if (listed != (info->strips != NULL))
            fail_msg("%s: strips %s", info->name, info->strips ? "set" : "missing");
        n += listed;
    }
    assert_int_equal(n, (int)(sizeof expect / sizeof expect[0]));
    /* a whole-page method is refused */
    db_ctx *ctx;
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    db_method m;
    assert_int_equal(db_method_parse(ctx, "howe", &m), 0);
    assert_false(db_method_strips(&m));
    char out[600];
    tu_path(out, sizeof out, dir, "howe.png");
    db_writer *w;
    assert_int_equal(db_writer_open(ctx, out, NULL, &w), 0);
    assert_int_equal(db_strips_run(ctx, &m, "x.png", 0, NULL, w), DB_EINVAL);
    assert_non_null(strstr(db_ctx_message(ctx), "whole page"));
    db_writer_free(w);
    assert_false(tu_file_exists(out));
    db_ctx_free(ctx);
}

static void test_cut_input_fails_and_leaves_no_output(void **state)
{
    (void)state;
    db_ctx *ctx;
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    uint64_t rng = tu_seed() ^ 99;
    db_image page = {0};
    make_page(ctx, &page, 300, 400, false, &rng);
    char in_path[600], out[600];
    tu_path(in_path, sizeof in_path, dir, "cut.png");
    tu_path(out, sizeof out, dir, "cut_out.png");
    db_write_options wo = {.flags = DB_WRITE_OVERWRITE};
    assert_int_equal(db_image_save(ctx, in_path, &wo, &page), 0);
    size_t n;
    char *bytes = slurp(in_path, &n);
    assert_int_equal(tu_write_file(in_path, bytes, n * 2 / 3), 0);
    free(bytes);
    const char *specs[] = {"sauvola", "otsu", "wolf"};
    for (int i = 0; i < 3; i++) {
        db_method m;
        assert_int_equal(db_method_parse(ctx, specs[i], &m), 0);
        db_writer *w;
        assert_int_equal(db_writer_open(ctx, out, NULL, &w), 0);
        db_strip_options so = {.band_rows = 16};
        assert_int_equal(db_strips_run(ctx, &m, in_path, 0, &so, w), DB_ECORRUPT);
        assert_non_null(strstr(db_ctx_message(ctx), "cut.png: png: "));
        db_writer_free(w);
        db_ctx_clear_error(ctx);
        assert_false(tu_file_exists(out));
    }
    /* the same through the CLI: exit 1, one line naming the file, no output */
    char line[2048], err[600];
    tu_path(err, sizeof err, dir, "err.txt");
    snprintf(line, sizeof line, "%s --strip-rows 16 -m sauvola '%s' '%s' 2>'%s'",
             DOCBIN_CLI, in_path, out, err);
    assert_int_equal(tu_run(line, NULL), 1);
    char *msg = slurp(err, &n);
    assert_non_null(strstr(msg, "cut.png: png: "));
    free(msg);
    assert_false(tu_file_exists(out));
    db_image_free(&page);
    db_ctx_free(ctx);
}

int main(void)
{
    snprintf(dir, sizeof dir, "%s", tu_tmpdir("strips"));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strips_equal_whole_page_for_every_strip_method),
        cmocka_unit_test(test_strip_methods_are_the_windowed_and_global_ones),
        cmocka_unit_test(test_cut_input_fails_and_leaves_no_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
