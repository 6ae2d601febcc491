/* test_core.c - image buffers, gray conversion, pool, ISA parsing, errors. */
#include "test_util.h"
#include "db_internal.h"

#include <string.h>

static void test_image_ensure_reuses_buffer_and_aligns(void **state)
{
    db_ctx *ctx;
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    db_image img = {0};
    assert_int_equal(db_image_ensure(ctx, &img, 65, 3, DB_BIT1), 0);
    assert_int_equal(img.stride % 64, 0);
    assert_int_equal((uintptr_t)img.data % 64, 0);
    assert_true(img.stride >= 16);
    uint8_t *p = img.data;
    assert_int_equal(db_image_ensure(ctx, &img, 10, 2, DB_GRAY8), 0);
    assert_ptr_equal(img.data, p); /* 2 rows of 64 bytes fit in 3: same buffer */
    assert_int_equal(img.width, 10);
    db_image_free(&img);
    assert_null(img.data);
    db_image_free(&img); /* twice is harmless */
    db_ctx_free(ctx);
}

static void test_image_ensure_refuses_zero_huge_and_over_limit(void **state)
{
    db_ctx *ctx;
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    db_image img = {0};
    assert_int_equal(db_image_ensure(ctx, &img, 0, 5, DB_GRAY8), DB_EFORMAT);
    db_ctx_clear_error(ctx);
    assert_int_equal(db_image_ensure(ctx, &img, 5, -1, DB_GRAY8), DB_EFORMAT);
    db_ctx_clear_error(ctx);
    assert_int_equal(db_image_ensure(ctx, &img, 2000000000, 2000000000, DB_RGB8), DB_ETOOBIG);
    db_ctx_clear_error(ctx);
    db_ctx_set_pixel_limit(ctx, 100);
    assert_int_equal(db_image_ensure(ctx, &img, 11, 10, DB_GRAY8), DB_ETOOBIG);
    assert_non_null(strstr(db_ctx_message(ctx), "over the limit"));
    db_ctx_clear_error(ctx);
    assert_int_equal(db_image_ensure(ctx, &img, 10, 10, DB_GRAY8), 0);
    db_image_free(&img);
    db_ctx_free(ctx);
}

static void test_first_error_wins(void **state)
{
    db_ctx *ctx;
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    assert_int_equal(db_fail(ctx, DB_EIO, "first (%d)", 1), DB_EIO);
    db_fail(ctx, DB_EINVAL, "second");
    assert_int_equal(db_ctx_code(ctx), DB_EIO);
    assert_string_equal(db_ctx_message(ctx), "first (1)");
    db_ctx_prefix_message(ctx, "in.png");
    assert_string_equal(db_ctx_message(ctx), "in.png: first (1)");
    db_ctx_clear_error(ctx);
    assert_int_equal(db_ctx_code(ctx), 0);
    db_ctx_free(ctx);
}

static void test_rgb_to_gray_uses_bt601_luma(void **state)
{
    db_ctx *ctx;
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    db_image rgb = {0}, gray = {0};
    assert_int_equal(db_image_ensure(ctx, &rgb, 3, 1, DB_RGB8), 0);
    uint8_t px[9] = {255, 0, 0, 0, 255, 0, 10, 20, 30};
    memcpy(rgb.data, px, 9);
    rgb.xdpi = rgb.ydpi = 300;
    assert_int_equal(db_image_to_gray(ctx, &rgb, &gray), 0);
    assert_int_equal(gray.data[0], 76);  /* 299*255/1000 = 76.2 */
    assert_int_equal(gray.data[1], 150); /* 587*255/1000 = 149.7 */
    assert_int_equal(gray.data[2], 18);  /* (2990+11740+3420)/1000 = 18.15 */
    assert_true(gray.xdpi == 300);
    db_image_free(&rgb);
    db_image_free(&gray);
    db_ctx_free(ctx);
}

static void test_alloc_failure_hook_fails_nth_allocation(void **state)
{
    db_ctx *ctx;
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    db_ctx_fail_alloc_after(ctx, 2);
    void *a = db_malloc(ctx, 10);
    assert_non_null(a);
    assert_null(db_malloc(ctx, 10));
    assert_int_equal(db_ctx_code(ctx), DB_ENOMEM);
    db_free(a);
    db_ctx_free(ctx);
}

struct count_arg {
    atomic_int hits[1000];
    int nworkers;
    atomic_int bad_worker;
};

static void count_job(void *v, int job, int worker)
{
    struct count_arg *a = v;
    atomic_fetch_add(&a->hits[job], 1);
    if (worker < 0 || worker >= a->nworkers)
        atomic_store(&a->bad_worker, 1);
}

static void test_pool_runs_every_job_exactly_once(void **state)
{
    for (int n = 1; n <= 4; n++) {
        db_pool *pool;
        assert_int_equal(db_pool_create(n, &pool), 0);
        assert_int_equal(db_pool_size(pool), n);
        for (int round = 0; round < 20; round++) {
            static struct count_arg a;
            memset(&a, 0, sizeof a);
            a.nworkers = n;
            int jobs = 1 + round * 50;
            db_pool_run(pool, jobs, count_job, &a);
            for (int j = 0; j < jobs; j++)
                assert_int_equal(atomic_load(&a.hits[j]), 1);
            assert_int_equal(atomic_load(&a.bad_worker), 0);
        }
        db_pool_free(pool);
    }
    db_pool_free(NULL);
}

static void test_isa_names_round_trip(void **state)
{
    db_isa isa;
    assert_int_equal(db_isa_parse("avx512", &isa), 0);
    assert_int_equal(isa, DB_ISA_AVX512);
    assert_string_equal(db_isa_name(DB_ISA_REF), "ref");
    assert_int_equal(db_isa_parse("sse9", &isa), DB_EINVAL);
    assert_true(db_cpu_supports(DB_ISA_REF));
    assert_true(db_cpu_supports(db_cpu_best_isa()));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_image_ensure_reuses_buffer_and_aligns),
        cmocka_unit_test(test_image_ensure_refuses_zero_huge_and_over_limit),
        cmocka_unit_test(test_first_error_wins),
        cmocka_unit_test(test_rgb_to_gray_uses_bt601_luma),
        cmocka_unit_test(test_alloc_failure_hook_fails_nth_allocation),
        cmocka_unit_test(test_pool_runs_every_job_exactly_once),
        cmocka_unit_test(test_isa_names_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
