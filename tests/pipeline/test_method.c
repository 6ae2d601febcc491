/* test_method.c - the method registry and the "name:key=value" parser. */
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

/* The first registered method with at least one parameter (NULL if none). */
static const db_method_info *method_with_params(void)
{
    for (int i = 0; i < db_method_count(); i++)
        if (db_method_at(i)->nparams > 0)
            return db_method_at(i);
    return NULL;
}

static void test_parse_plain_name_gives_defaults(void **state)
{
    db_method m;
    assert_int_equal(db_method_parse(ctx, "otsu", &m), 0);
    assert_string_equal(m.info->name, "otsu");
    const db_method_info *info = method_with_params();
    if (!info)
        skip();
    assert_int_equal(db_method_parse(ctx, info->name, &m), 0);
    for (int i = 0; i < info->nparams; i++)
        assert_true(m.values[i] == info->params[i].def);
}

static void test_parse_sets_values_and_rejects_mistakes(void **state)
{
    const db_method_info *info = method_with_params();
    if (!info)
        skip();
    const db_method_param *p = &info->params[0];
    char spec[256];
    double v = p->integer ? p->min : (p->min + p->max) / 2;
    snprintf(spec, sizeof spec, "%s:%s=%.17g", info->name, p->name, v);
    db_method m;
    assert_int_equal(db_method_parse(ctx, spec, &m), 0);
    assert_true(m.values[0] == v);

    const char *bad[] = {"", "nosuchmethod", "otsu:", ":k=1", NULL};
    for (int i = 0; bad[i]; i++) {
        assert_int_equal(db_method_parse(ctx, bad[i], &m), DB_EINVAL);
        assert_true(strlen(db_ctx_message(ctx)) > 0);
        db_ctx_clear_error(ctx);
    }
    const char *fmts[] = {"%s:%s=abc", "%s:%s=", "%s:%s", "%s:nokey=1", "%s:%s=1,",
                          "%s:%s=1e999"};
    for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
        snprintf(spec, sizeof spec, fmts[i], info->name, p->name);
        assert_int_equal(db_method_parse(ctx, spec, &m), DB_EINVAL);
        db_ctx_clear_error(ctx);
    }
    snprintf(spec, sizeof spec, "%s:%s=%.17g", info->name, p->name, p->max + 1);
    assert_int_equal(db_method_parse(ctx, spec, &m), DB_EINVAL);
    assert_non_null(strstr(db_ctx_message(ctx), "out of range"));
    db_ctx_clear_error(ctx);
}

static void test_every_method_binarizes_a_tiny_and_a_thin_image(void **state)
{
    /* 1x1, 1xN, Nx1 and a small random page: no method may crash or fail. */
    static const int sizes[][2] = {{1, 1}, {1, 17}, {23, 1}, {65, 33}};
    uint64_t seed = tu_seed();
    db_image in = {0}, out = {0};
    for (int i = 0; i < db_method_count(); i++) {
        if (db_method_needs_model(db_method_at(i)))
            continue; /* networks need a model: test_net_methods.c */
        db_method m;
        assert_int_equal(db_method_parse(ctx, db_method_at(i)->name, &m), 0);
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            assert_int_equal(db_image_ensure(ctx, &in, sizes[s][0], sizes[s][1], DB_GRAY8), 0);
            tu_fill_random(&in, &seed);
            in.xdpi = 150;
            int rc = db_method_run(ctx, &m, &in, &out);
            if (rc != 0)
                fail_msg("%s on %dx%d: %s", m.info->name, sizes[s][0], sizes[s][1],
                         db_ctx_message(ctx));
            assert_int_equal(out.format, DB_BIT1);
            assert_int_equal(out.width, sizes[s][0]);
            assert_true(out.xdpi == 150);
        }
    }
    db_image_free(&in);
    db_image_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_plain_name_gives_defaults),
        cmocka_unit_test(test_parse_sets_values_and_rejects_mistakes),
        cmocka_unit_test(test_every_method_binarizes_a_tiny_and_a_thin_image),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
