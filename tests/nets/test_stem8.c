/* test_stem8.c - the integer stem (nets/stem8.h) against the float
 * definition it replaces: HAAR2 of the normalised input, then the 3x3 conv
 * with zero padding, computed here in double. The two may differ only by the
 * int16 rounding of the pixel-domain weights, whose bound this test derives
 * from the weights; the borders (missing cells), odd edges (replicated
 * samples), both norms and gray pages read by a 3-channel input are covered.
 * Seed: DOCBIN_TEST_SEED. */
#include "test_util.h"

#include "nets/stem8.h"
#include "nets/unet.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* normalised sample of page pixel (x, y), channel ch, edge replicated */
static double sample(const db_image *page, int x, int y, int ch, double m, double s)
{
    x = x < page->width ? x : page->width - 1;
    y = y < page->height ? y : page->height - 1;
    int pc = page->format == DB_RGB8 ? 3 : 1;
    uint8_t v = db_image_row(page, y)[(size_t)x * (size_t)pc + (size_t)(pc == 3 ? ch : 0)];
    return ((double)v - m) * s;
}

/* HAAR2 band b of channel ch at cell (hx, hy), from graph.h's definition */
static double haar(const db_image *page, int hx, int hy, int ch, int b, double m, double s)
{
    double a = sample(page, 2 * hx, 2 * hy, ch, m, s),
           bb = sample(page, 2 * hx + 1, 2 * hy, ch, m, s);
    double c = sample(page, 2 * hx, 2 * hy + 1, ch, m, s);
    double d = sample(page, 2 * hx + 1, 2 * hy + 1, ch, m, s);
    double v[4] = {(a + bb + c + d) / 2, (a - bb + c - d) / 2, (a + bb - c - d) / 2,
                   (a - bb - c + d) / 2};
    return v[b];
}

static void check(db_ctx *ctx, int c, int norm, db_format fmt, int w, int h, uint64_t *st)
{
    db_graph g = {0};
    int in = db_graph_input(ctx, &g, c, norm);
    int hr = db_graph_unary(ctx, &g, DB_OP_HAAR2, in);
    int cv = db_graph_conv_real(ctx, &g, hr, 24, 3, 1);
    assert_true(cv > 0);
    db_graph_randomize(&g, tu_rand(st));
    assert_true(db_stem8_applies(&g, cv));
    db_image page = {0};
    assert_int_equal(db_image_ensure(ctx, &page, w, h, fmt), 0);
    int pc = fmt == DB_RGB8 ? 3 : 1;
    for (int y = 0; y < h; y++)
        for (int i = 0; i < w * pc; i++)
            db_image_row(&page, y)[i] = (uint8_t)tu_rand_range(st, 0, 255);
    float mean[3] = {0, 0, 0}, inv[3] = {1, 1, 1};
    if (norm == DB_NORM_PAGE_STD)
        for (int ch = 0; ch < c; ch++)
            db_input_page_stats(page.data, page.stride, w, h, pc, pc == 3 ? ch : 0, &mean[ch],
                                &inv[ch]);
    db_stem8 q;
    assert_int_equal(db_stem8_init(ctx, &g, cv, &q), 0);
    db_stem8_prepare(&q, &g, cv, mean, inv, pc);
    int ow = (w + 1) / 2, oh = (h + 1) / 2, cout = g.nodes[cv].cout, cin = 4 * c;
    float *out = malloc((size_t)ow * oh * cout * sizeof *out);
    assert_int_equal(db_stem8_run_ref(ctx, &q, &page, out), 0);
    const db_gnode *n = &g.nodes[cv];
    double worst = 0, spread = 0, maxbound = 0;
    for (int o = 0; o < cout; o++) {
        /* the rounding bound: half a step of the int16 grid per weight, over
         * every sample of the 6x6 window at most 255 */
        double vmax = 0;
        for (int t = 0; t < 9; t++)
            for (int ch = 0; ch < c; ch++) {
                double sc = norm == DB_NORM_UNIT ? 1.0 / 255.0 : inv[ch];
                const float *wp = n->w + ((size_t)o * 9 + (size_t)t) * (size_t)cin + 4 * ch;
                for (int a = 0; a < 2; a++)
                    for (int b = 0; b < 2; b++) {
                        double v = 0.5 * sc *
                                   (wp[0] + (b ? -wp[1] : wp[1]) + (a ? -wp[2] : wp[2]) +
                                    (a == b ? wp[3] : -wp[3]));
                        vmax = fmax(vmax, fabs(v));
                    }
            }
        double m0 = norm == DB_NORM_UNIT ? 0 : fabs(mean[0]) + fabs(mean[c - 1]);
        double bound = 0.5 * vmax / 32767.0 * 36 * c * (255 + m0) + 1e-5;
        maxbound = fmax(maxbound, bound);
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++) {
                double ref = n->p[0][o];
                for (int ky = 0; ky < 3; ky++)
                    for (int kx = 0; kx < 3; kx++) {
                        int hx = x - 1 + kx, hy = y - 1 + ky;
                        if (hx < 0 || hy < 0 || hx >= ow || hy >= oh)
                            continue; /* zero padding of the Haar map */
                        for (int ci = 0; ci < cin; ci++) {
                            int ch = ci / 4;
                            double m = norm == DB_NORM_UNIT ? 0 : mean[ch];
                            double s = norm == DB_NORM_UNIT ? 1.0 / 255.0 : inv[ch];
                            ref += n->w[((size_t)o * 9 + (size_t)(ky * 3 + kx)) * (size_t)cin +
                                        (size_t)ci] *
                                   haar(&page, hx, hy, ch, ci % 4, m, s);
                        }
                    }
                double got = out[((size_t)y * ow + x) * cout + o];
                double err = fabs(got - ref);
                if (err > bound)
                    fail_msg("c %d norm %d %dx%d: out (%d,%d,%d) %.9g, float definition %.9g, "
                             "bound %.3g",
                             c, norm, w, h, x, y, o, got, ref, bound);
                worst = fmax(worst, err / bound);
                spread = fmax(spread, fabs(ref - n->p[0][o]));
            }
    }
    /* the bound must be far below the values it guards, or it proves nothing */
    if (w * h >= 8 && maxbound > 1e-2 * spread)
        fail_msg("bound %.3g not small beside the values (%.3g)", maxbound, spread);
    printf("  c %d norm %d %s %dx%d: worst error %.2f of the bound\n", c, norm,
           fmt == DB_RGB8 ? "rgb" : "gray", w, h, worst);
    free(out);
    db_stem8_free(&q);
    db_image_free(&page);
    db_graph_free(&g);
}

static void test_integer_stem_equals_float_definition_within_rounding(void **state)
{
    db_ctx *ctx = *state;
    uint64_t st = tu_seed() ^ 0x5e8;
    static const int sizes[][2] = {{37, 23}, {1, 1}, {2, 3}, {5, 1}, {64, 9}, {8, 8}};
    for (int k = 0; k < 6; k++)
        for (int norm = 0; norm <= 1; norm++) {
            check(ctx, 1, norm, DB_GRAY8, sizes[k][0], sizes[k][1], &st);
            check(ctx, 3, norm, DB_RGB8, sizes[k][0], sizes[k][1], &st);
            check(ctx, 3, norm, DB_GRAY8, sizes[k][0], sizes[k][1], &st);
        }
}

/* A Haar map read twice, a stride-2 conv or another node is not a stem. */
static void test_integer_stem_applies_only_to_its_pattern(void **state)
{
    db_ctx *ctx = *state;
    db_graph g = {0};
    int in = db_graph_input(ctx, &g, 1, DB_NORM_UNIT);
    int hr = db_graph_unary(ctx, &g, DB_OP_HAAR2, in);
    int s2 = db_graph_conv_real(ctx, &g, hr, 8, 3, 2);
    int cv = db_graph_conv_real(ctx, &g, hr, 8, 3, 1);
    assert_true(cv > 0);
    assert_false(db_stem8_applies(&g, s2));
    assert_false(db_stem8_applies(&g, cv)); /* hr has two readers */
    assert_false(db_stem8_applies(&g, in));
    db_graph_free(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_integer_stem_equals_float_definition_within_rounding,
                                        tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_integer_stem_applies_only_to_its_pattern, tu_ctx_setup,
                                        tu_ctx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
