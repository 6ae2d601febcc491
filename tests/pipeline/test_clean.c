/* test_clean.c - OCR-ready output (src/pipeline/clean.c): mask growth
 * against a per-pixel reference, known answers for clean-gray/clean-color
 * (white outside, levels kept inside, DPI kept) and the contrast
 * normalisation on an unevenly lit page. */
#include "db_internal.h"
#include "test_util.h"

#include <stdlib.h>
#include <string.h>

static db_ctx *ctx;

static int setup(void **state)
{
    return db_ctx_create(NULL, &ctx);
}
static int teardown(void **state)
{
    db_ctx_free(ctx);
    return 0;
}

/* The specification of db_clean_dilate: a plain loop over the element. */
static void dilate_ref(const db_image *m, int r, bool disk, db_image *out)
{
    assert_int_equal(db_image_ensure(ctx, out, m->width, m->height, DB_BIT1), 0);
    db_image_clear(out);
    for (int y = 0; y < m->height; y++)
        for (int x = 0; x < m->width; x++) {
            int ink = 0;
            for (int dy = -r; dy <= r && !ink; dy++)
                for (int dx = -r; dx <= r && !ink; dx++) {
                    int sx = x + dx, sy = y + dy;
                    if (disk && dx * dx + dy * dy > r * r)
                        continue;
                    if (sx >= 0 && sy >= 0 && sx < m->width && sy < m->height)
                        ink = db_bit_get(m, sx, sy);
                }
            db_bit_set(out, x, y, ink);
        }
}

static int count_bits(const db_image *m)
{
    int n = 0;
    for (int y = 0; y < m->height; y++)
        for (int x = 0; x < m->width; x++)
            n += db_bit_get(m, x, y);
    return n;
}

static void assert_same_bits(const db_image *a, const db_image *b)
{
    size_t rb = db_format_row_bytes(DB_BIT1, a->width);
    for (int y = 0; y < a->height; y++)
        assert_memory_equal(db_image_row(a, y), db_image_row(b, y), rb);
}

static void test_dilate_equals_reference_on_random_masks(void **state)
{
    uint64_t seed = tu_seed();
    static const int sizes[][2] = {{1, 1}, {1, 9}, {63, 5}, {64, 7}, {65, 9}, {130, 33},
                                   {200, 3}};
    static const int margins[] = {0, 1, 2, 3, 5, 7, 32};
    db_image m = {0}, fast = {0}, ref = {0};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        int w = sizes[s][0], h = sizes[s][1];
        assert_int_equal(db_image_ensure(ctx, &m, w, h, DB_BIT1), 0);
        db_image_clear(&m);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                db_bit_set(&m, x, y, tu_rand(&seed) % 29 == 0);
        for (size_t i = 0; i < sizeof margins / sizeof margins[0]; i++)
            for (int disk = 0; disk < 2; disk++) {
                assert_int_equal(db_clean_dilate(ctx, &m, margins[i], disk, &fast), 0);
                dilate_ref(&m, margins[i], disk, &ref);
                if (count_bits(&fast) != count_bits(&ref)) {
                    for (int yy = 0; yy < h; yy++)
                        for (int xx = 0; xx < w; xx++)
                            if (db_bit_get(&fast, xx, yy) != db_bit_get(&ref, xx, yy))
                                print_message("diff at %d,%d ref %d\n", xx, yy,
                                              db_bit_get(&ref, xx, yy));
                    fail_msg("%dx%d margin %d disk %d: %d != %d bits", w, h, margins[i], disk,
                             count_bits(&fast), count_bits(&ref));
                }
                assert_same_bits(&fast, &ref);
                /* padding bits past the width stay zero */
                const uint64_t *row = (const uint64_t *)(const void *)db_image_row(&fast, 0);
                if (w & 63)
                    assert_int_equal(row[w >> 6] >> (w & 63), 0);
            }
    }
    db_image_free(&m);
    db_image_free(&fast);
    db_image_free(&ref);
}

static void test_dilate_grows_one_pixel_to_square_and_disk(void **state)
{
    db_image m = {0}, out = {0};
    assert_int_equal(db_image_ensure(ctx, &m, 21, 21, DB_BIT1), 0);
    db_image_clear(&m);
    db_bit_set(&m, 10, 10, 1);
    assert_int_equal(db_clean_dilate(ctx, &m, 2, false, &out), 0);
    assert_int_equal(count_bits(&out), 25);
    assert_true(db_bit_get(&out, 8, 8) && db_bit_get(&out, 12, 12) && !db_bit_get(&out, 13, 10));
    assert_int_equal(db_clean_dilate(ctx, &m, 2, true, &out), 0);
    assert_int_equal(count_bits(&out), 13); /* dx^2 + dy^2 <= 4 */
    assert_false(db_bit_get(&out, 8, 8));
    assert_int_equal(db_clean_dilate(ctx, &m, 5, true, &out), 0);
    assert_int_equal(count_bits(&out), 81); /* lattice points in a radius-5 disk */
    assert_int_equal(db_clean_dilate(ctx, &m, 33, false, &out), DB_EINVAL);
    assert_int_equal(db_clean_dilate(ctx, &m, 1, false, &m), DB_EINVAL);
    db_ctx_clear_error(ctx);
    db_image_free(&m);
    db_image_free(&out);
}

/* A 9x7 gray page with value 10*x + y, one ink pixel at (4,3), 300x150 dpi. */
static void tiny_page(db_image *page, db_image *mask)
{
    assert_int_equal(db_image_ensure(ctx, page, 9, 7, DB_GRAY8), 0);
    for (int y = 0; y < 7; y++)
        for (int x = 0; x < 9; x++)
            db_image_row(page, y)[x] = (uint8_t)(10 * x + y);
    page->xdpi = 300;
    page->ydpi = 150;
    assert_int_equal(db_image_ensure(ctx, mask, 9, 7, DB_BIT1), 0);
    db_image_clear(mask);
    db_bit_set(mask, 4, 3, 1);
}

static void test_clean_gray_keeps_levels_in_margin_and_whitens_rest(void **state)
{
    db_image page = {0}, mask = {0}, out = {0};
    tiny_page(&page, &mask);
    db_clean_options o;
    db_clean_options_defaults(&o);
    assert_int_equal(o.margin, 1);
    assert_int_equal(db_clean_gray(ctx, &page, &mask, &o, &out), 0);
    assert_int_equal(out.format, DB_GRAY8);
    assert_true(out.xdpi == 300 && out.ydpi == 150);
    for (int y = 0; y < 7; y++)
        for (int x = 0; x < 9; x++) {
            bool kept = abs(x - 4) <= 1 && abs(y - 3) <= 1;
            assert_int_equal(db_image_row(&out, y)[x], kept ? 10 * x + y : 255);
        }
    o.margin = 0;
    assert_int_equal(db_clean_gray(ctx, &page, &mask, &o, &out), 0);
    assert_int_equal(db_image_row(&out, 3)[4], 43);
    assert_int_equal(db_image_row(&out, 3)[5], 255);
    db_image_free(&page);
    db_image_free(&mask);
    db_image_free(&out);
}

static void test_clean_color_keeps_rgb_and_gray_uses_luma(void **state)
{
    db_image page = {0}, mask = {0}, rgb = {0}, out = {0};
    tiny_page(&page, &mask);
    assert_int_equal(db_image_ensure(ctx, &rgb, 9, 7, DB_RGB8), 0);
    rgb.xdpi = 200;
    rgb.ydpi = 200;
    for (int y = 0; y < 7; y++)
        for (int x = 0; x < 9; x++) {
            uint8_t *p = db_image_row(&rgb, y) + 3 * x;
            p[0] = (uint8_t)(200 + x);
            p[1] = (uint8_t)(20 + y);
            p[2] = (uint8_t)(100 + x + y);
        }
    assert_int_equal(db_clean_color(ctx, &rgb, &mask, NULL, &out), 0);
    assert_int_equal(out.format, DB_RGB8);
    assert_true(out.xdpi == 200 && out.ydpi == 200);
    for (int y = 0; y < 7; y++)
        for (int x = 0; x < 9; x++) {
            const uint8_t *q = db_image_row(&out, y) + 3 * x;
            if (abs(x - 4) <= 1 && abs(y - 3) <= 1) {
                assert_int_equal(q[0], 200 + x);
                assert_int_equal(q[1], 20 + y);
                assert_int_equal(q[2], 100 + x + y);
            } else {
                assert_true(q[0] == 255 && q[1] == 255 && q[2] == 255);
            }
        }
    /* clean-gray of a colour page keeps its BT.601 luma */
    assert_int_equal(db_clean_gray(ctx, &rgb, &mask, NULL, &out), 0);
    assert_int_equal(out.format, DB_GRAY8);
    int luma = (299 * 204 + 587 * 23 + 114 * 107 + 500) / 1000;
    assert_int_equal(db_image_row(&out, 3)[4], luma);
    /* clean-color of a gray page is gray RGB */
    assert_int_equal(db_clean_color(ctx, &page, &mask, NULL, &out), 0);
    const uint8_t *q = db_image_row(&out, 3) + 12;
    assert_true(q[0] == 43 && q[1] == 43 && q[2] == 43);
    db_image_free(&page);
    db_image_free(&mask);
    db_image_free(&rgb);
    db_image_free(&out);
}

/* Light falls from 220 on the left to 110 on the right; ink reflects 30%
 * of it in vertical bars. Normalised, ink is near 0 and the paper inside the
 * margin near 255 on both sides; without it the right ink is lighter. */
static void test_normalize_removes_uneven_light(void **state)
{
    int w = 400, h = 96;
    db_image page = {0}, mask = {0}, out = {0};
    assert_int_equal(db_image_ensure(ctx, &page, w, h, DB_GRAY8), 0);
    assert_int_equal(db_image_ensure(ctx, &mask, w, h, DB_BIT1), 0);
    db_image_clear(&mask);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double light = 220.0 - 110.0 * x / (w - 1);
            bool ink = (x % 20) >= 8 && (x % 20) < 12 && y >= 20 && y < 76;
            db_image_row(&page, y)[x] = (uint8_t)(light * (ink ? 0.3 : 1.0) + 0.5);
            db_bit_set(&mask, x, y, ink);
        }
    db_clean_options o;
    db_clean_options_defaults(&o);
    o.margin = 2;
    o.normalize = true;
    o.block = 16;
    assert_int_equal(db_clean_gray(ctx, &page, &mask, &o, &out), 0);
    for (int x = 0; x < w; x++) {
        uint8_t v = db_image_row(&out, 40)[x];
        if ((x % 20) >= 8 && (x % 20) < 12)
            assert_in_range(v, 0, 12);
        else if ((x % 20) >= 6 && (x % 20) < 14)
            assert_in_range(v, 235, 255); /* paper inside the margin */
        else
            assert_int_equal(v, 255);
    }
    o.normalize = false;
    assert_int_equal(db_clean_gray(ctx, &page, &mask, &o, &out), 0);
    assert_true(db_image_row(&out, 40)[9] > db_image_row(&out, 40)[389] + 25);
    db_image_free(&page);
    db_image_free(&mask);
    db_image_free(&out);
}

static void test_clean_rejects_bad_arguments(void **state)
{
    db_image page = {0}, mask = {0}, out = {0}, small = {0};
    tiny_page(&page, &mask);
    assert_int_equal(db_image_ensure(ctx, &small, 3, 3, DB_BIT1), 0);
    db_image_clear(&small);
    assert_int_equal(db_clean_gray(ctx, &page, &small, NULL, &out), DB_EINVAL);
    assert_non_null(strstr(db_ctx_message(ctx), "does not match"));
    db_ctx_clear_error(ctx);
    assert_int_equal(db_clean_gray(ctx, &page, &page, NULL, &out), DB_EINVAL);
    db_ctx_clear_error(ctx);
    db_clean_options o;
    db_clean_options_defaults(&o);
    o.margin = -1;
    assert_int_equal(db_clean_color(ctx, &page, &mask, &o, &out), DB_EINVAL);
    db_ctx_clear_error(ctx);
    o.margin = 1;
    o.block = 4;
    assert_int_equal(db_clean_gray(ctx, &page, &mask, &o, &out), DB_EINVAL);
    db_ctx_clear_error(ctx);
    db_image_free(&page);
    db_image_free(&mask);
    db_image_free(&out);
    db_image_free(&small);
}

/* Every allocation failing in turn gives a clean error, never a crash or a
 * leak (ASan build). */
static void test_clean_survives_allocation_failures(void **state)
{
    db_image page = {0}, mask = {0};
    tiny_page(&page, &mask);
    db_clean_options o;
    db_clean_options_defaults(&o);
    o.normalize = true;
    o.block = 8;
    for (long n = 1;; n++) {
        db_image out = {0};
        db_ctx_fail_alloc_after(ctx, n);
        int rc = db_clean_color(ctx, &page, &mask, &o, &out);
        db_ctx_fail_alloc_after(ctx, 0);
        db_image_free(&out);
        db_ctx_clear_error(ctx);
        if (rc == 0)
            break;
        assert_int_equal(rc, DB_ENOMEM);
        assert_true(n < 100);
    }
    db_image_free(&page);
    db_image_free(&mask);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dilate_equals_reference_on_random_masks),
        cmocka_unit_test(test_dilate_grows_one_pixel_to_square_and_disk),
        cmocka_unit_test(test_clean_gray_keeps_levels_in_margin_and_whitens_rest),
        cmocka_unit_test(test_clean_color_keeps_rgb_and_gray_uses_luma),
        cmocka_unit_test(test_normalize_removes_uneven_light),
        cmocka_unit_test(test_clean_rejects_bad_arguments),
        cmocka_unit_test(test_clean_survives_allocation_failures),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
