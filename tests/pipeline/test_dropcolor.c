/* test_dropcolor.c - `--drop-color` (src/pipeline/dropcolor.c): the colour
 * list parser, known pixels (red ink goes, black text and yellowed paper
 * stay), and a seal over text: the F-measure against the truth improves. */
#include "synth.h"
#include "test_util.h"

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

static void test_parse_accepts_lists_and_names_bad_words(void **state)
{
    unsigned h = 99;
    assert_int_equal(db_drop_color_parse(ctx, "red", &h), 0);
    assert_int_equal(h, DB_HUE_RED);
    assert_int_equal(db_drop_color_parse(ctx, "red,blue,purple", &h), 0);
    assert_int_equal(h, DB_HUE_RED | DB_HUE_BLUE | DB_HUE_MAGENTA);
    assert_int_equal(db_drop_color_parse(ctx, "all", &h), 0);
    assert_int_equal(h, 0x3fu);
    assert_int_equal(db_drop_color_parse(ctx, "red,pink", &h), DB_EINVAL);
    assert_int_equal(h, 0);
    assert_non_null(strstr(db_ctx_message(ctx), "'pink'"));
    db_ctx_clear_error(ctx);
    assert_int_equal(db_drop_color_parse(ctx, "red,", &h), DB_EINVAL);
    db_ctx_clear_error(ctx);
    assert_int_equal(db_drop_color_parse(ctx, "", &h), DB_EINVAL);
    db_ctx_clear_error(ctx);
}

static int luma(int r, int g, int b)
{
    return (299 * r + 587 * g + 114 * b + 500) / 1000;
}

static void test_known_pixels(void **state)
{
    /* red seal on paper, red seal over black text, black text on yellowed
     * paper, yellowed paper, blue ink, faint pink edge (chroma 48, ramp) */
    static const uint8_t px[][3] = {{208, 88, 64}, {40, 15, 11}, {40, 34, 28},
                                    {208, 196, 160}, {40, 60, 200}, {200, 160, 152}};
    db_image page = {0}, out = {0};
    int n = (int)(sizeof px / sizeof px[0]);
    assert_int_equal(db_image_ensure(ctx, &page, n, 1, DB_RGB8), 0);
    page.xdpi = page.ydpi = 300;
    memcpy(db_image_row(&page, 0), px, sizeof px);
    db_drop_color_options o;
    db_drop_color_options_defaults(&o);
    o.hues = DB_HUE_RED;
    uint64_t nd = 0;
    assert_int_equal(db_drop_color(ctx, &page, &o, &out, &nd), 0);
    assert_int_equal(out.format, DB_GRAY8);
    assert_true(out.xdpi == 300);
    const uint8_t *q = db_image_row(&out, 0);
    assert_int_equal(q[0], 208);                    /* seal: the paper seen in red */
    assert_int_equal(q[1], luma(40, 15, 11));       /* chroma 29 < 32: text kept */
    assert_int_equal(q[2], luma(40, 34, 28));       /* black text kept */
    assert_int_equal(q[3], luma(208, 196, 160));    /* yellow paper is not red */
    assert_int_equal(q[4], luma(40, 60, 200));      /* blue is not dropped */
    int l5 = luma(200, 160, 152);
    assert_int_equal(q[5], l5 + (200 - l5) * (48 - 32) / 32); /* half-way */
    assert_int_equal(nd, 2);
    o.hues = DB_HUE_BLUE;
    assert_int_equal(db_drop_color(ctx, &page, &o, &out, &nd), 0);
    assert_int_equal(db_image_row(&out, 0)[4], 200);
    assert_int_equal(db_image_row(&out, 0)[0], luma(208, 88, 64));
    assert_int_equal(nd, 1);
    /* nothing chosen: plain luma */
    o.hues = 0;
    assert_int_equal(db_drop_color(ctx, &page, &o, &out, &nd), 0);
    assert_int_equal(db_image_row(&out, 0)[0], luma(208, 88, 64));
    o.min_chroma = 0;
    assert_int_equal(db_drop_color(ctx, &page, &o, &out, &nd), DB_EINVAL);
    db_ctx_clear_error(ctx);
    db_image_free(&page);
    db_image_free(&out);
}

/* Draws a thick red ring straight across the text of a synthetic colour
 * page (transparent ink: the red channel keeps the page, green and blue are
 * absorbed), then binarizes with and without drop-colour. */
static void test_seal_over_text_fmeasure_improves(void **state)
{
    tu_synth_opts so;
    tu_synth_defaults(&so, 640, 480, 11);
    so.color = true;
    so.stains = 0;
    db_image page = {0}, truth = {0}, seen = {0}, mask = {0};
    assert_int_equal(tu_synth_page(ctx, &so, &page, &truth), 0);
    double cx = 320, cy = 240, r0 = 110, r1 = 128;
    for (int y = 0; y < page.height; y++)
        for (int x = 0; x < page.width; x++) {
            double d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
            if (d2 < r0 * r0 || d2 > r1 * r1)
                continue;
            uint8_t *p = db_image_row(&page, y) + 3 * x;
            p[1] = (uint8_t)(p[1] * 0.35);
            p[2] = (uint8_t)(p[2] * 0.30);
        }
    db_drop_color_options o;
    db_drop_color_options_defaults(&o);
    o.hues = DB_HUE_RED;
    assert_int_equal(db_drop_color(ctx, &page, &o, &seen, NULL), 0);
    static const char *const methods[] = {"otsu", "sauvola"};
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        db_method m;
        if (db_method_parse(ctx, methods[i], &m) != 0) {
            db_ctx_clear_error(ctx);
            continue;
        }
        db_metrics with = {0}, without = {0};
        assert_int_equal(db_method_run(ctx, &m, &page, &mask), 0);
        assert_int_equal(db_metrics_compute(ctx, &truth, &mask, NULL, &without), 0);
        assert_int_equal(db_method_run(ctx, &m, &seen, &mask), 0);
        assert_int_equal(db_metrics_compute(ctx, &truth, &mask, NULL, &with), 0);
        print_message("%s: FM without drop-color %.2f, with %.2f\n", methods[i], without.fm,
                      with.fm);
        /* a global threshold takes the whole ring as ink; a local one
         * only its inner edges, so it gains less */
        assert_true(with.fm > without.fm + (i == 0 ? 10.0 : 0.3));
        /* the text under the ring survives: recall barely moves */
        assert_true(with.recall > without.recall - 1.0);
    }
    db_image_free(&page);
    db_image_free(&truth);
    db_image_free(&seen);
    db_image_free(&mask);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_accepts_lists_and_names_bad_words),
        cmocka_unit_test(test_known_pixels),
        cmocka_unit_test(test_seal_over_text_fmeasure_improves),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
