/* test_global.c - global thresholds (otsu.c, kittler.c, kapur.c, threshold.c):
 * hand-computed answers on tiny histograms, the histogram and the packed
 * threshold pass against plain loops on odd widths, pool invariance. */
#include "test_util.h"

#include "classic/classic.h"
#include "db_internal.h"

#include <math.h>
#include <string.h>

static void hist_of(uint64_t h[256], const int *values, const int *counts, int n)
{
    memset(h, 0, 256 * sizeof h[0]);
    for (int i = 0; i < n; i++)
        h[values[i]] = (uint64_t)counts[i];
}

/* Otsu on {0,1,2,3} x1: between-class w0 w1 (mu0 - mu1)^2 is 3*4=12 at t=0,
 * 2*2*4=16 at t=1, 12 at t=2: t = 1. On {10 x4, 20 x2, 90 x2}: t=10 gives
 * 4*4*45^2 = 32400; t=20..89 give 6*2*(90-13.33)^2 = 70533: smallest, t = 20.
 * Two spikes: every t between ties, the smallest wins. */
static void test_otsu_known_answers(void **state)
{
    uint64_t h[256];
    hist_of(h, (int[]){0, 1, 2, 3}, (int[]){1, 1, 1, 1}, 4);
    assert_int_equal(db_otsu_threshold(h), 1);
    hist_of(h, (int[]){10, 20, 90}, (int[]){4, 2, 2}, 3);
    assert_int_equal(db_otsu_threshold(h), 20);
    hist_of(h, (int[]){50, 200}, (int[]){10, 10}, 2);
    assert_int_equal(db_otsu_threshold(h), 50);
    hist_of(h, (int[]){77}, (int[]){5}, 1);
    assert_int_equal(db_otsu_threshold(h), 0); /* single value: documented 0 */
}

/* Kittler on {0,1,9,10} x1: t=0 and t=9 leave a zero-variance class
 * (skipped); t=1..8 all give v1 = v2 = 1/4, P1 = P2 = 1/2, so J = 1 +
 * ln(1/4) - 2 ln(1/2) = 1 for each: the smallest, t = 1. */
static void test_kittler_known_answers(void **state)
{
    uint64_t h[256];
    hist_of(h, (int[]){0, 1, 9, 10}, (int[]){1, 1, 1, 1}, 4);
    assert_int_equal(db_kittler_threshold(h), 1);
    /* Two Gaussians (60, sd 8) x 3 and (190, sd 12) x 1: the minimum-error
     * boundary lies between the modes, nearer the narrower, heavier one. */
    memset(h, 0, sizeof h);
    for (int v = 0; v < 256; v++) {
        double a = (v - 60) / 8.0, b = (v - 190) / 12.0;
        h[v] = (uint64_t)(30000 * exp(-0.5 * a * a) / 8 + 10000 * exp(-0.5 * b * b) / 12);
    }
    int t = db_kittler_threshold(h);
    assert_true(t > 75 && t < 160);
    hist_of(h, (int[]){77}, (int[]){5}, 1);
    assert_int_equal(db_kittler_threshold(h), db_otsu_threshold(h));
}

/* Kapur on a uniform {0,1,2,3}: a class of k equal values has entropy ln k,
 * so H = ln 1 + ln 3, ln 2 + ln 2, ln 3 + ln 1 for t = 0, 1, 2: t = 1. */
static void test_kapur_known_answers(void **state)
{
    uint64_t h[256];
    hist_of(h, (int[]){0, 1, 2, 3}, (int[]){1, 1, 1, 1}, 4);
    assert_int_equal(db_kapur_threshold(h), 1);
    hist_of(h, (int[]){40, 41, 42, 200, 201, 202}, (int[]){5, 5, 5, 5, 5, 5}, 6);
    int t = db_kapur_threshold(h);
    assert_true(t >= 42 && t < 200);
    hist_of(h, (int[]){77}, (int[]){5}, 1);
    assert_int_equal(db_kapur_threshold(h), db_otsu_threshold(h));
}

static void test_histogram_and_packing_match_plain_loops(void **state)
{
    uint64_t rng = tu_seed();
    static const int widths[] = {1, 7, 63, 64, 65, 127, 128, 200};
    for (size_t i = 0; i < sizeof widths / sizeof widths[0]; i++) {
        db_ctx *ctx;
        assert_int_equal(db_ctx_create(NULL, &ctx), 0);
        db_image g = {0}, out = {0};
        int w = widths[i], h = 1 + (int)(i * 5);
        assert_int_equal(db_image_ensure(ctx, &g, w, h, DB_GRAY8), 0);
        tu_fill_random(&g, &rng);
        uint64_t want[256] = {0}, got[256];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                want[db_image_row(&g, y)[x]]++;
        db_gray_histogram(&g, got);
        assert_memory_equal(want, got, sizeof want);
        size_t words = ((size_t)w + 63) / 64;
        uint64_t a[4], b[4];
        for (int t = -1; t <= 256; t += 37) {
            for (int y = 0; y < h; y++) {
                const uint8_t *r = db_image_row(&g, y);
                db_threshold_row_ref(r, w, t, a);
                if (db_cpu_supports(DB_ISA_AVX512)) {
                    db_threshold_row_avx512(r, w, t, b);
                    assert_memory_equal(a, b, words * 8);
                }
                if (db_cpu_supports(DB_ISA_AVX2)) {
                    db_threshold_row_avx2(r, w, t, b);
                    assert_memory_equal(a, b, words * 8);
                }
                for (int x = 0; x < w; x++)
                    assert_int_equal((int)((a[x / 64] >> (x % 64)) & 1), r[x] <= t);
                if (w % 64)
                    assert_int_equal(a[words - 1] >> (w % 64), 0);
            }
        }
        assert_int_equal(db_threshold_global(ctx, &g, 100, &out), 0);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                assert_int_equal(db_bit_get(&out, x, y), db_image_row(&g, y)[x] <= 100);
        db_image_free(&g);
        db_image_free(&out);
        db_ctx_free(ctx);
    }
}

static void test_global_methods_identical_for_any_pool_size(void **state)
{
    uint64_t rng = tu_seed();
    db_image g = {0}, ref = {0}, out = {0};
    db_ctx *ctx0;
    assert_int_equal(db_ctx_create(NULL, &ctx0), 0);
    assert_int_equal(db_image_ensure(ctx0, &g, 301, 203, DB_GRAY8), 0);
    tu_fill_random(&g, &rng);
    for (int y = 0; y < g.height; y++) /* bimodal: dark left third */
        for (int x = 0; x < g.width / 3; x++)
            db_image_row(&g, y)[x] /= 3;
    const db_method_info *infos[] = {&db_otsu_method, &db_kittler_method, &db_kapur_method,
                                     &db_threshold_method};
    const double t90[] = {90};
    for (size_t s = 0; s < 4; s++) {
        for (int threads = 1; threads <= 3; threads++) {
            db_pool *pool = NULL;
            if (threads > 1)
                assert_int_equal(db_pool_create(threads, &pool), 0);
            db_ctx *ctx;
            assert_int_equal(db_ctx_create(pool, &ctx), 0);
            assert_int_equal(infos[s]->run(ctx, &g, t90, threads == 1 ? &ref : &out), 0);
            if (threads > 1)
                for (int y = 0; y < g.height; y++)
                    assert_memory_equal(db_image_row(&out, y), db_image_row(&ref, y),
                                        db_format_row_bytes(DB_BIT1, g.width));
            db_ctx_free(ctx);
            db_pool_free(pool);
        }
    }
    db_image_free(&g);
    db_image_free(&ref);
    db_image_free(&out);
    db_ctx_free(ctx0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_otsu_known_answers),
        cmocka_unit_test(test_kittler_known_answers),
        cmocka_unit_test(test_kapur_known_answers),
        cmocka_unit_test(test_histogram_and_packing_match_plain_loops),
        cmocka_unit_test(test_global_methods_identical_for_any_pool_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
