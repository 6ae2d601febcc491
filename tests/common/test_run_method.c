/* test_run_method.c - tu_run_method, kept apart from test_util.c so tests of
 * the core areas (which do not link the method registry) never pull it in. */
#include "test_util.h"

int tu_run_method(db_ctx *ctx, const char *spec, const db_image *in, db_image *out)
{
    db_method m;
    int rc = db_method_parse(ctx, spec, &m);
    return rc ? rc : db_method_run(ctx, &m, in, out);
}

void tu_assert_method_shape(db_ctx *ctx, const char *spec, const db_image *page, db_image *out)
{
    int rc = tu_run_method(ctx, spec, page, out);
    if (rc != 0)
        fail_msg("%s on %dx%d: %s", spec, page->width, page->height, db_ctx_message(ctx));
    assert_int_equal(out->width, page->width);
    assert_int_equal(out->height, page->height);
    assert_int_equal(out->format, DB_BIT1);
}
