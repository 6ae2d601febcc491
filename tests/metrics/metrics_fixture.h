/* metrics_fixture.h - the group fixture of the metrics test files: one
 * pool-less ctx, `ctx`, made before the first test and freed after the last
 * (cmocka_run_group_tests(tests, setup, teardown)). Include once, in the test
 * file, after test_util.h. */
#ifndef DB_TESTS_METRICS_FIXTURE_H
#define DB_TESTS_METRICS_FIXTURE_H

static db_ctx *ctx;

static int setup(void **state)
{
    (void)state;
    return db_ctx_create(NULL, &ctx);
}

static int teardown(void **state)
{
    (void)state;
    db_ctx_free(ctx);
    return 0;
}

#endif
