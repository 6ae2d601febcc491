/* test_dwt.c - the Haar DWT (src/core/dwt.c): known answer on one block,
 * exact round trip on random 8-bit pages of odd and even sizes. */
#include "test_util.h"

#include <string.h>

static float fpx(const db_image *img, int x, int y)
{
    return ((const float *)(const void *)db_image_row(img, y))[x];
}

static void test_dwt_known_answer_on_one_block(void **state)
{
    (void)state;
    db_image in = {0}, b[4] = {{0}};
    assert_int_equal(db_image_ensure(NULL, &in, 2, 2, DB_GRAY8), 0);
    db_image_row(&in, 0)[0] = 10; /* a b / c d = 10 20 / 30 44 */
    db_image_row(&in, 0)[1] = 20;
    db_image_row(&in, 1)[0] = 30;
    db_image_row(&in, 1)[1] = 44;
    assert_int_equal(db_dwt_haar(NULL, &in, b), 0);
    assert_true(fpx(&b[0], 0, 0) == 52.0f);  /* (10+20+30+44)/2 */
    assert_true(fpx(&b[1], 0, 0) == -12.0f); /* (10-20+30-44)/2 */
    assert_true(fpx(&b[2], 0, 0) == -22.0f); /* (10+20-30-44)/2 */
    assert_true(fpx(&b[3], 0, 0) == 2.0f);   /* (10-20-30+44)/2 */
    for (int i = 0; i < 4; i++)
        db_image_free(&b[i]);
    db_image_free(&in);
}

static void test_dwt_round_trip_is_exact_for_8bit_pages(void **state)
{
    (void)state;
    uint64_t st = tu_seed() ^ 0xd7;
    static const int sizes[][2] = {{1, 1}, {1, 7}, {2, 2}, {63, 64}, {65, 33}, {128, 97}};
    for (int t = 0; t < 6; t++) {
        db_image in = {0}, b[4] = {{0}}, back = {0};
        int w = sizes[t][0], h = sizes[t][1];
        assert_int_equal(db_image_ensure(NULL, &in, w, h, DB_GRAY8), 0);
        tu_fill_random(&in, &st);
        assert_int_equal(db_dwt_haar(NULL, &in, b), 0);
        assert_int_equal(b[0].width, (w + 1) / 2);
        assert_int_equal(b[0].height, (h + 1) / 2);
        assert_int_equal(db_dwt_haar_inverse(NULL, b, w, h, &back), 0);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                if (fpx(&back, x, y) != (float)db_image_row(&in, y)[x])
                    fail_msg("%dx%d: pixel (%d,%d) %g != %d", w, h, x, y, (double)fpx(&back, x, y),
                             db_image_row(&in, y)[x]);
        for (int i = 0; i < 4; i++)
            db_image_free(&b[i]);
        db_image_free(&back);
        db_image_free(&in);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dwt_known_answer_on_one_block),
        cmocka_unit_test(test_dwt_round_trip_is_exact_for_8bit_pages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
