/* test_weights_fast.c - the fast weight generator against its reference on
 * seeded random masks (DOCBIN_TEST_SEED replays a failure): bit-plane ring
 * searches vs cell-by-cell ring scans (db_weights_generate vs _ref, exact
 * equality of both maps), and work-list thinning on tiles vs full-image
 * sub-iterations (db_thin_lee_chen / db_thin_matlab vs db_thin_ref, exact
 * equality of the skeleton and of the deletion steps; both on the portable
 * 8x8 tiles, DB_ISA_REF, and on the AVX2 16x16 tiles where the CPU has AVX2;
 * the weight maps alternate between the two). Shapes include
 * widths 1, 63, 64, 65, blobs touching the frame, speckle and inverted pages.
 * Equality with the official weight files is test_metrics_reference.c.
 */
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"
#include "metrics/metrics_internal.h"

#include "metrics_fixture.h"

/* A random two-level mask (1 = text) of w x h, one of five kinds: noise,
 * rectangles, thin strokes, rectangles with speckle, inverted rectangles. */
static void random_mask(uint64_t *rng, int w, int h, int kind, uint8_t *m)
{
    int dens = tu_rand_range(rng, 1, 99);
    memset(m, 0, (size_t)w * h);
    if (kind == 0) {
        for (size_t i = 0; i < (size_t)w * h; i++)
            m[i] = tu_rand_range(rng, 0, 99) < dens;
        return;
    }
    int nr = tu_rand_range(rng, 1, 40);
    for (int k = 0; k < nr; k++) {
        int x0 = tu_rand_range(rng, -3, w), y0 = tu_rand_range(rng, -3, h);
        int rw = tu_rand_range(rng, 1, kind == 2 ? 4 : 20), rh = tu_rand_range(rng, 1, kind == 2 ? 30 : 20);
        if (tu_rand_range(rng, 0, 1)) {
            int t = rw;
            rw = rh;
            rh = t;
        }
        for (int y = y0 < 0 ? 0 : y0; y < y0 + rh && y < h; y++)
            for (int x = x0 < 0 ? 0 : x0; x < x0 + rw && x < w; x++)
                m[(size_t)y * w + x] = 1;
    }
    for (size_t i = 0; i < (size_t)w * h; i++) {
        if (kind == 3 && tu_rand_range(rng, 0, 99) < 5)
            m[i] ^= 1;
        if (kind == 4)
            m[i] ^= 1;
    }
}

static int random_side(uint64_t *rng)
{
    static const int special[] = {1, 2, 3, 63, 64, 65};
    if (tu_rand_range(rng, 0, 3) == 0)
        return special[tu_rand_range(rng, 0, 5)];
    return tu_rand_range(rng, 1, 90);
}

static void gt_from_mask(const uint8_t *m, int w, int h, db_image *gt)
{
    assert_int_equal(db_image_ensure(ctx, gt, w, h, DB_GRAY8), 0);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            db_image_row(gt, y)[x] = m[(size_t)y * w + x] ? 0 : 255;
}

/* fast may hold buffers of an earlier call (of any size): they must not
 * leak into this one. */
static void assert_weights_equal_ref(db_ctx *fast_ctx, const db_image *gt, db_weights *fast,
                                     const char *what)
{
    db_weights ref = {0};
    assert_int_equal(db_weights_generate(fast_ctx, gt, fast), 0);
    assert_int_equal(db_weights_generate_ref(ctx, gt, &ref), 0);
    size_t n = (size_t)gt->width * gt->height;
    if (memcmp(fast->recall, ref.recall, n * sizeof(float)) != 0 ||
        memcmp(fast->precision, ref.precision, n * sizeof(float)) != 0)
        fail_msg("%s (%dx%d): fast weights differ from the reference", what, gt->width,
                 gt->height);
    db_weights_free(&ref);
}

static void test_fast_weights_equal_reference_on_random_masks(void **state)
{
    (void)state;
    uint64_t rng = tu_seed() ^ 0x5eedull;
    uint8_t *m = malloc(90 * 90);
    db_image gt = {0};
    db_weights fast = {0}; /* reused: every call after the first runs on old buffers */
    db_ctx *portable;
    assert_int_equal(db_ctx_create(NULL, &portable), 0);
    assert_int_equal(db_ctx_set_isa(portable, DB_ISA_REF), 0);
    for (int t = 0; t < 300; t++) {
        int w = random_side(&rng), h = random_side(&rng);
        random_mask(&rng, w, h, t % 5, m);
        gt_from_mask(m, w, h, &gt);
        char what[64];
        snprintf(what, sizeof what, "random mask %d (kind %d, %s)", t, t % 5,
                 t % 2 ? "portable" : "best ISA");
        assert_weights_equal_ref(t % 2 ? portable : ctx, &gt, &fast, what);
    }
    db_ctx_free(portable);
    db_weights_free(&fast);
    db_image_free(&gt);
    free(m);
}

/* Glyph-like strokes on a page: long runs and wide rings, where the ring
 * radius grows past one 64-bit word. */
static void test_fast_weights_equal_reference_on_a_text_page(void **state)
{
    (void)state;
    uint64_t rng = tu_seed() ^ 0x7e47ull;
    int w = 230, h = 150;
    uint8_t *m = calloc((size_t)w * h, 1);
    for (int line = 20; line + 40 < h; line += 50)
        for (int x = 10; x + 24 < w - 10; x += 26 + tu_rand_range(&rng, 0, 8)) {
            int sw = tu_rand_range(&rng, 2, 6), bar = line + tu_rand_range(&rng, 0, 24);
            for (int y = line; y <= line + 30; y++)
                for (int k = 0; k < sw; k++)
                    m[(size_t)y * w + x + k] = 1;
            for (int y = bar; y < bar + sw; y++)
                for (int k = 0; k <= 16; k++)
                    m[(size_t)y * w + x + k] = 1;
        }
    db_image gt = {0};
    gt_from_mask(m, w, h, &gt);
    db_weights fast = {0};
    assert_weights_equal_ref(ctx, &gt, &fast, "text page");
    db_weights_free(&fast);
    db_image_free(&gt);
    free(m);
}

/* Contour distances past a byte (the fast path keeps them in one byte and
 * switches to 16 bits where one saturates where read): inside a text blob
 * over 510 pixels wide, and in the grown box of an L-shaped rule whose
 * corner lies over 255 pixels from any text. */
static void test_fast_weights_equal_reference_past_byte_distances(void **state)
{
    (void)state;
    for (int kind = 0; kind < 2; kind++) {
        int w = kind ? 600 : 530, h = kind ? 600 : 530;
        uint8_t *m = calloc((size_t)w * h, 1);
        for (int y = 5; y < h - 5; y++)
            for (int x = 5; x < w - 5; x++)
                m[(size_t)y * w + x] = kind ? (y < 9 || x < 9) : 1;
        db_image gt = {0};
        gt_from_mask(m, w, h, &gt);
        db_weights fast = {0};
        assert_weights_equal_ref(ctx, &gt, &fast, kind ? "L-shaped rule" : "wide blob");
        db_weights_free(&fast);
        db_image_free(&gt);
        free(m);
    }
}

/* The thinned layer sits in bit 0x04 next to noise in other bits, which
 * thinning must leave alone. */
static void test_fast_thinning_equals_full_image_passes(void **state)
{
    (void)state;
    uint64_t rng = tu_seed() ^ 0x7417ull;
    size_t cap = 90 * 90;
    uint8_t *m = malloc(cap), *a = malloc(cap), *b = malloc(cap);
    uint16_t *wa = malloc(cap * sizeof *wa), *wb = malloc(cap * sizeof *wb);
    db_thin_work work = {0}; /* reused across sizes, as the generator does */
    db_ctx *portable;
    assert_int_equal(db_ctx_create(NULL, &portable), 0);
    assert_int_equal(db_ctx_set_isa(portable, DB_ISA_REF), 0);
    for (int t = 0; t < 300; t++) {
        int w = random_side(&rng), h = random_side(&rng);
        size_t n = (size_t)w * h;
        random_mask(&rng, w, h, t % 5, m);
        bool lee_chen = t % 2 == 0;
        uint8_t bit = lee_chen ? 0x04 : 0x01;
        for (size_t i = 0; i < n; i++)
            a[i] = b[i] = (uint8_t)((m[i] ? bit : 0) |
                                    (lee_chen ? (uint8_t)(tu_rand(&rng) & 0xF3) : 0));
        if (lee_chen) {
            memset(wa, 0xAB, n * sizeof *wa);
            /* every other one on the portable tiles (where AVX2 runs, the
             * others take the 16x16 tiles) */
            db_ctx *tc = t % 4 == 0 ? portable : ctx;
            assert_int_equal(db_thin_lee_chen(tc, a, bit, w, h, wa, &work), 0);
            assert_int_equal(db_thin_ref(ctx, b, bit, w, h, true, wb), 0);
        } else {
            db_ctx *tc = t % 4 == 3 ? portable : ctx;
            assert_int_equal(db_thin_matlab(tc, a, w, h, t % 4 == 1 ? NULL : &work), 0);
            assert_int_equal(db_thin_ref(ctx, b, bit, w, h, false, NULL), 0);
        }
        if (memcmp(a, b, n) != 0 || (lee_chen && memcmp(wa, wb, n * sizeof *wa) != 0))
            fail_msg("mask %d (%dx%d, %s): fast thinning differs from the reference", t, w, h,
                     lee_chen ? "Zhang-Suen + Lee-Chen" : "Lam-Lee-Suen");
    }
    db_thin_work_free(&work);
    db_ctx_free(portable);
    free(m);
    free(a);
    free(b);
    free(wa);
    free(wb);
}

/* The SSE2 bit packer against its loop: every length, every layer bit,
 * bytes with other bits set beside the tested one, unaligned starts. */
static void test_pack_bits64_equals_reference(void **state)
{
    (void)state;
    uint64_t rng = tu_seed() ^ 0x9acull;
    uint8_t buf[64 + 16];
    for (int t = 0; t < 2000; t++) {
        for (size_t k = 0; k < sizeof buf; k++)
            buf[k] = (uint8_t)tu_rand_range(&rng, 0, 255);
        int n = t < 65 ? t : tu_rand_range(&rng, 0, 64), off = tu_rand_range(&rng, 0, 15);
        uint8_t bit = (uint8_t)(1u << tu_rand_range(&rng, 0, 7));
        uint64_t want = db_pack_bits64_ref(buf + off, n, bit);
        if (db_pack_bits64(buf + off, n, bit) != want)
            fail_msg("n %d offset %d bit 0x%02x: packed word differs", n, off, bit);
        for (int k = 0; k < n; k++) /* and the reference means what it says */
            assert_int_equal((want >> k) & 1, (buf[off + k] & bit) != 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fast_weights_equal_reference_on_random_masks),
        cmocka_unit_test(test_fast_weights_equal_reference_on_a_text_page),
        cmocka_unit_test(test_fast_weights_equal_reference_past_byte_distances),
        cmocka_unit_test(test_fast_thinning_equals_full_image_passes),
        cmocka_unit_test(test_pack_bits64_equals_reference),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
