/* test_local_methods.c - known answers for the local methods on synthetic
 * pages (tests/common/synth.c: ink strokes on paper under an illumination
 * gradient, with exact truth), the exact per-pixel definitions of Wolf,
 * AdOtsu and ISauvola against naive references, and pool-size invariance of
 * every classic method of part A. */
#include "test_util.h"

#include "classic/classic.h"
#include "classic/winstat.h"
#include "db_internal.h"
#include "synth.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void defaults(const db_method_info *info, double *v)
{
    for (int i = 0; i < info->nparams; i++)
        v[i] = info->params[i].def;
}

static double run_fm(db_ctx *ctx, const db_method_info *info, const double *v,
                     const db_image *page, const db_image *truth)
{
    db_image out = {0};
    assert_int_equal(info->run(ctx, page, v, &out), 0);
    double f = tu_fmeasure(&out, truth);
    db_image_free(&out);
    return f;
}

/* The known answer: on a strong illumination gradient one global
 * threshold cannot separate ink from the dark end of the paper, a local one
 * can. */
static void test_sauvola_recovers_strokes_on_gradient_where_otsu_fails(void **state)
{
    db_ctx *ctx;
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    tu_synth_opts o;
    tu_synth_defaults(&o, 600, 400, 7);
    o.gradient = 0.8;
    o.stains = 0;
    o.bleed_through = false;
    db_image page = {0}, truth = {0};
    assert_int_equal(tu_synth_page(ctx, &o, &page, &truth), 0);
    double v[DB_METHOD_MAX_PARAMS];
    defaults(&db_sauvola_method, v);
    double f_sauvola = run_fm(ctx, &db_sauvola_method, v, &page, &truth);
    double f_otsu = run_fm(ctx, &db_otsu_method, v, &page, &truth);
    print_message("F-measure on a 0.8 gradient: sauvola %.3f, otsu %.3f\n", f_sauvola, f_otsu);
    /* the other local methods at their defaults also beat the global one */
    const db_method_info *local[] = {&db_niblack_method, &db_wolf_method, &db_nick_method,
                                     &db_bradley_method, &db_phansalkar_method, &db_bernsen_method,
                                     &db_trsingh_method, &db_wan_method, &db_isauvola_method,
                                     &db_adotsu_method, &db_sauvola_method};
    for (size_t i = 0; i < sizeof local / sizeof local[0]; i++) {
        defaults(local[i], v);
        double f = run_fm(ctx, local[i], v, &page, &truth);
        print_message("  %-10s F = %.3f\n", local[i]->name, f);
        assert_true(f > f_otsu);
    }
    assert_true(f_sauvola > 0.9);
    assert_true(f_otsu < 0.6);
    db_image_free(&page);
    db_image_free(&truth);
    db_ctx_free(ctx);
}

static db_image random_page(db_ctx *ctx, uint64_t *rng, int w, int h)
{
    db_image g = {0};
    assert_int_equal(db_image_ensure(ctx, &g, w, h, DB_GRAY8), 0);
    tu_fill_random(&g, rng);
    /* paper at 180..220 with dark random blobs, so that every method sees
     * text-like windows, flat windows and borders */
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *p = db_image_row(&g, y) + x;
            *p = ((x / 3 + y / 5) % 7 == 0) ? (uint8_t)(*p / 4) : (uint8_t)(180 + *p % 41);
        }
    return g;
}

/* Wolf against its definition: Rmax and M computed directly. */
static void test_wolf_matches_direct_definition(void **state)
{
    db_ctx *ctx;
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    uint64_t rng = tu_seed();
    static const int shapes[][2] = {{1, 9}, {63, 20}, {65, 33}, {120, 50}};
    for (size_t s = 0; s < 4; s++) {
        db_image g = random_page(ctx, &rng, shapes[s][0], shapes[s][1]);
        int window = 9, r = 4, w = g.width, h = g.height;
        double maxvar = 0;
        int mn = 255;
        double *m = malloc(sizeof(double) * (size_t)w * h), *cnt = malloc(sizeof(double) * w * h);
        double *sq = malloc(sizeof(double) * (size_t)w * h), *sm = malloc(sizeof(double) * w * h);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                uint64_t n = 0, su = 0, q = 0;
                for (int yy = y - r; yy <= y + r; yy++)
                    for (int xx = x - r; xx <= x + r; xx++)
                        if (yy >= 0 && yy < h && xx >= 0 && xx < w) {
                            int v = db_image_row(&g, yy)[xx];
                            n++;
                            su += (uint64_t)v;
                            q += (uint64_t)v * v;
                        }
                size_t i = (size_t)y * w + x;
                cnt[i] = (double)n;
                sm[i] = (double)su;
                sq[i] = (double)q;
                double var = db_win_exact_var((int64_t)n, (int64_t)su, q);
                m[i] = sm[i] / cnt[i];
                maxvar = var > maxvar ? var : maxvar;
                int v = db_image_row(&g, y)[x];
                mn = v < mn ? v : mn;
            }
        db_wolf_params p = {.k = 0.5, .inv_rmax = 1.0 / sqrt(maxvar), .mmin = mn};
        double v[2] = {window, 0.5};
        db_image out = {0};
        assert_int_equal(db_wolf_method.run(ctx, &g, v, &out), 0);
        long d = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                size_t i = (size_t)y * w + x;
                bool want = db_wolf_ink(&p, db_image_row(&g, y)[x], cnt[i], sm[i], sq[i]);
                if (want != db_bit_get(&out, x, y))
                    print_error("wolf %dx%d: (%d,%d) want %d g %d\n", w, h, x, y, want,
                                db_image_row(&g, y)[x]);
                d += want != db_bit_get(&out, x, y);
            }
        assert_int_equal(d, 0);
        free(m);
        free(cnt);
        free(sq);
        free(sm);
        db_image_free(&out);
        db_image_free(&g);
    }
    /* a page without variation is all paper */
    db_image flat = {0}, out = {0};
    assert_int_equal(db_image_ensure(ctx, &flat, 30, 20, DB_GRAY8), 0);
    memset(flat.data, 90, flat.stride * 20);
    double v[2] = {9, 0.5};
    assert_int_equal(db_wolf_method.run(ctx, &flat, v, &out), 0);
    for (int y = 0; y < 20; y++)
        for (int x = 0; x < 30; x++)
            assert_int_equal(db_bit_get(&out, x, y), 0);
    db_image_free(&flat);
    db_image_free(&out);
    db_ctx_free(ctx);
}

/* AdOtsu with step=1 (every pixel a grid node) is the per-pixel definition:
 * T = k Otsu(window); ink iff g <= T and |Tg - T| < 255 R. */
static void test_adotsu_step1_matches_per_pixel_local_otsu(void **state)
{
    db_ctx *ctx;
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    uint64_t rng = tu_seed();
    db_image g = random_page(ctx, &rng, 67, 41);
    int window = 11, r = 5;
    double v[4] = {window, 0.9, 0.2, 1};
    db_image out = {0};
    assert_int_equal(db_adotsu_method.run(ctx, &g, v, &out), 0);
    uint64_t hist[256];
    db_gray_histogram(&g, hist);
    double tg = db_otsu_threshold(hist);
    long d = 0, ink = 0;
    for (int y = 0; y < g.height; y++)
        for (int x = 0; x < g.width; x++) {
            uint64_t h[256] = {0};
            for (int yy = y - r; yy <= y + r; yy++)
                for (int xx = x - r; xx <= x + r; xx++)
                    if (yy >= 0 && yy < g.height && xx >= 0 && xx < g.width)
                        h[db_image_row(&g, yy)[xx]]++;
            double t = 0.9 * db_otsu_threshold(h);
            bool want = fabs(tg - t) < 255 * 0.2 && db_image_row(&g, y)[x] <= t;
            d += want != db_bit_get(&out, x, y);
            ink += want;
        }
    assert_int_equal(d, 0);
    assert_true(ink > 0);
    /* the default grid (step = window/2) interpolates: close, not equal */
    v[3] = 0;
    db_image grid = {0};
    assert_int_equal(db_adotsu_method.run(ctx, &g, v, &grid), 0);
    db_image_free(&grid);
    db_image_free(&out);
    db_image_free(&g);
    db_ctx_free(ctx);
}

/* ISauvola against a naive flood fill: Sauvola ink pixels 8-connected to a
 * Sauvola ink pixel whose 3x3 contrast exceeds the contrast image's Otsu
 * threshold. */
static void test_isauvola_matches_naive_flood_fill(void **state)
{
    db_ctx *ctx;
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    uint64_t rng = tu_seed();
    static const int shapes[][2] = {{1, 30}, {64, 17}, {97, 61}, {130, 40}};
    for (size_t s = 0; s < 4; s++) {
        db_image g = random_page(ctx, &rng, shapes[s][0], shapes[s][1]);
        int w = g.width, h = g.height;
        double v[3] = {7, 0.3, 128};
        db_image sau = {0}, out = {0};
        assert_int_equal(db_sauvola_method.run(ctx, &g, v, &sau), 0);
        assert_int_equal(db_isauvola_method.run(ctx, &g, v, &out), 0);
        uint8_t *c = malloc((size_t)w * h), *want = calloc((size_t)w * h, 1);
        int *stack = malloc(sizeof(int) * (size_t)w * h);
        uint64_t hist[256] = {0};
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                int lo = 255, hi = 0;
                for (int yy = y - 1; yy <= y + 1; yy++)
                    for (int xx = x - 1; xx <= x + 1; xx++)
                        if (yy >= 0 && yy < h && xx >= 0 && xx < w) {
                            int q = db_image_row(&g, yy)[xx];
                            lo = q < lo ? q : lo;
                            hi = q > hi ? q : hi;
                        }
                c[y * w + x] = (uint8_t)(255.0 * (hi - lo) / (0.0001 + hi + lo));
                hist[c[y * w + x]]++;
            }
        int tc = db_otsu_threshold(hist);
        for (int i = 0; i < w * h; i++) {
            if (want[i] || c[i] <= tc || !db_bit_get(&sau, i % w, i / w))
                continue;
            int top = 0;
            stack[top++] = i;
            want[i] = 1;
            while (top) {
                int p = stack[--top], px = p % w, py = p / w;
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++) {
                        int qx = px + dx, qy = py + dy;
                        if (qx < 0 || qy < 0 || qx >= w || qy >= h)
                            continue;
                        int q = qy * w + qx;
                        if (!want[q] && db_bit_get(&sau, qx, qy)) {
                            want[q] = 1;
                            stack[top++] = q;
                        }
                    }
            }
        }
        long d = 0, kept = 0, dropped = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                d += want[y * w + x] != db_bit_get(&out, x, y);
                kept += want[y * w + x];
                dropped += db_bit_get(&sau, x, y) && !want[y * w + x];
            }
        assert_int_equal(d, 0);
        if (w > 1)
            assert_true(kept > 0);
        free(c);
        free(want);
        free(stack);
        db_image_free(&sau);
        db_image_free(&out);
        db_image_free(&g);
    }
    db_ctx_free(ctx);
}

static void test_bataineh_flat_page_has_no_ink_and_text_is_found(void **state)
{
    db_ctx *ctx;
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    db_image flat = {0}, out = {0};
    assert_int_equal(db_image_ensure(ctx, &flat, 50, 40, DB_GRAY8), 0);
    memset(flat.data, 200, flat.stride * 40);
    assert_int_equal(db_bataineh_method.run(ctx, &flat, NULL, &out), 0);
    for (int y = 0; y < 40; y++)
        for (int x = 0; x < 50; x++)
            assert_int_equal(db_bit_get(&out, x, y), 0);
    tu_synth_opts o;
    tu_synth_defaults(&o, 600, 400, 3);
    o.gradient = 0.2;
    db_image page = {0}, truth = {0};
    assert_int_equal(tu_synth_page(ctx, &o, &page, &truth), 0);
    double f = run_fm(ctx, &db_bataineh_method, NULL, &page, &truth);
    print_message("bataineh F-measure on a mild page: %.3f\n", f);
    assert_true(f > 0.5);
    db_image_free(&page);
    db_image_free(&truth);
    db_image_free(&flat);
    db_image_free(&out);
    db_ctx_free(ctx);
}

/* Every method of part A gives the same bits on 1, 2 and 3 threads. */
static void test_every_method_identical_for_any_pool_size(void **state)
{
    db_ctx *ctx0;
    assert_int_equal(db_ctx_create(NULL, &ctx0), 0);
    tu_synth_opts o;
    tu_synth_defaults(&o, 257, 301, 11);
    db_image page = {0};
    assert_int_equal(tu_synth_page(ctx0, &o, &page, NULL), 0);
    const db_method_info *all[] = {
        &db_otsu_method,     &db_kittler_method,    &db_kapur_method,   &db_threshold_method,
        &db_niblack_method,  &db_sauvola_method,    &db_wolf_method,    &db_nick_method,
        &db_bradley_method,  &db_phansalkar_method, &db_bernsen_method, &db_trsingh_method,
        &db_wan_method,      &db_isauvola_method,   &db_adotsu_method,  &db_bataineh_method};
    for (size_t m = 0; m < sizeof all / sizeof all[0]; m++) {
        double v[DB_METHOD_MAX_PARAMS];
        defaults(all[m], v);
        db_image ref = {0}, out = {0};
        for (int threads = 1; threads <= 3; threads++) {
            db_pool *pool = NULL;
            if (threads > 1)
                assert_int_equal(db_pool_create(threads, &pool), 0);
            db_ctx *ctx;
            assert_int_equal(db_ctx_create(pool, &ctx), 0);
            assert_int_equal(all[m]->run(ctx, &page, v, threads == 1 ? &ref : &out), 0);
            if (threads > 1)
                for (int y = 0; y < page.height; y++)
                    assert_memory_equal(db_image_row(&out, y), db_image_row(&ref, y),
                                        db_format_row_bytes(DB_BIT1, page.width));
            db_ctx_free(ctx);
            db_pool_free(pool);
        }
        db_image_free(&ref);
        db_image_free(&out);
    }
    db_image_free(&page);
    db_ctx_free(ctx0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sauvola_recovers_strokes_on_gradient_where_otsu_fails),
        cmocka_unit_test(test_wolf_matches_direct_definition),
        cmocka_unit_test(test_adotsu_step1_matches_per_pixel_local_otsu),
        cmocka_unit_test(test_isauvola_matches_naive_flood_fill),
        cmocka_unit_test(test_bataineh_flat_page_has_no_ink_and_text_is_found),
        cmocka_unit_test(test_every_method_identical_for_any_pool_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
