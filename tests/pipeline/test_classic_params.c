/* test_classic_params.c - the classic methods of part A through the public
 * registry: each is listed with a summary, a reference and sane defaults;
 * "name:key=value" specs set their parameters; bad values are refused by
 * db_method_parse (range, integer) or by the method (odd window) with a
 * message naming them; colour input runs through the gray conversion. */
#include "test_util.h"

#include <string.h>

static const char *const names[] = {
    "otsu",    "kittler", "kapur",      "threshold", "niblack", "sauvola",
    "wolf",    "nick",    "bradley",    "phansalkar", "bernsen", "trsingh",
    "wan",     "isauvola", "adotsu",    "bataineh"};

static void test_part_a_methods_are_registered_with_sane_defaults(void **state)
{
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const db_method_info *info = db_method_find(names[i]);
        if (!info)
            print_error("method %s is not registered\n", names[i]);
        assert_non_null(info);
        assert_true(info->summary && info->summary[0]);
        assert_true(info->reference && info->reference[0]);
        for (int p = 0; p < info->nparams; p++) {
            const db_method_param *par = &info->params[p];
            assert_true(par->def >= par->min && par->def <= par->max);
            assert_true(par->help && par->help[0]);
        }
    }
}

static void test_specs_set_parameters_and_mistakes_are_named(void **state)
{
    db_ctx *ctx;
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    db_method m;
    assert_int_equal(db_method_parse(ctx, "sauvola", &m), 0);
    assert_true(m.values[0] == 15 && m.values[1] == 0.5 && m.values[2] == 128);
    assert_int_equal(db_method_parse(ctx, "sauvola:window=31,k=0.2", &m), 0);
    assert_true(m.values[0] == 31 && m.values[1] == 0.2 && m.values[2] == 128);
    assert_int_equal(db_method_parse(ctx, "threshold:t=200", &m), 0);
    assert_true(m.values[0] == 200);

    static const struct {
        const char *spec, *msg;
    } bad[] = {
        {"sauvola:k=2", "out of range"},        {"niblack:window=2.5", "whole number"},
        {"threshold:t=256", "out of range"},    {"wolf:window=5000", "out of range"},
        {"bernsen:contrast=x", "not a number"}, {"nick:r=3", "unknown parameter"},
        {"bradley:t=101", "out of range"},      {"adotsu:R=0", "out of range"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        db_ctx_clear_error(ctx);
        assert_int_equal(db_method_parse(ctx, bad[i].spec, &m), DB_EINVAL);
        if (!strstr(db_ctx_message(ctx), bad[i].msg))
            print_error("%s: got '%s'\n", bad[i].spec, db_ctx_message(ctx));
        assert_non_null(strstr(db_ctx_message(ctx), bad[i].msg));
    }
    /* an even window passes the parser (a whole number in range) and is
     * refused by the method, before any work */
    db_image g = {0}, out = {0};
    assert_int_equal(db_image_ensure(ctx, &g, 20, 10, DB_GRAY8), 0);
    db_image_clear(&g);
    const char *even[] = {"sauvola:window=4", "niblack:window=30", "bernsen:window=8",
                          "wan:window=6", "adotsu:window=10", "isauvola:window=12"};
    for (size_t i = 0; i < sizeof even / sizeof even[0]; i++) {
        db_ctx_clear_error(ctx);
        assert_int_equal(db_method_parse(ctx, even[i], &m), 0);
        assert_int_equal(db_method_run(ctx, &m, &g, &out), DB_EINVAL);
        assert_non_null(strstr(db_ctx_message(ctx), "must be odd"));
    }
    db_image_free(&g);
    db_image_free(&out);
    db_ctx_free(ctx);
}

static void test_colour_input_equals_its_gray_conversion(void **state)
{
    db_ctx *ctx;
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    uint64_t rng = tu_seed();
    db_image rgb = {0}, gray = {0}, a = {0}, b = {0};
    assert_int_equal(db_image_ensure(ctx, &rgb, 70, 33, DB_RGB8), 0);
    tu_fill_random(&rgb, &rng);
    rgb.xdpi = rgb.ydpi = 300;
    assert_int_equal(db_image_to_gray(ctx, &rgb, &gray), 0);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        db_method m;
        assert_int_equal(db_method_parse(ctx, names[i], &m), 0);
        assert_int_equal(db_method_run(ctx, &m, &rgb, &a), 0);
        assert_int_equal(db_method_run(ctx, &m, &gray, &b), 0);
        assert_true(a.xdpi == 300 && a.format == DB_BIT1);
        for (int y = 0; y < gray.height; y++)
            assert_memory_equal(db_image_row(&a, y), db_image_row(&b, y),
                                db_format_row_bytes(DB_BIT1, gray.width));
    }
    db_image_free(&rgb);
    db_image_free(&gray);
    db_image_free(&a);
    db_image_free(&b);
    db_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_part_a_methods_are_registered_with_sane_defaults),
        cmocka_unit_test(test_specs_set_parameters_and_mistakes_are_named),
        cmocka_unit_test(test_colour_input_equals_its_gray_conversion),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
