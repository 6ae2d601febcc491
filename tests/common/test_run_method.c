/* test_run_method.c - tu_run_method, kept apart from test_util.c so tests of
 * the core areas (which do not link the method registry) never pull it in. */
#include "test_util.h"

int tu_run_method(db_ctx *ctx, const char *spec, const db_image *in, db_image *out)
{
    db_method m;
    int rc = db_method_parse(ctx, spec, &m);
    return rc ? rc : db_method_run(ctx, &m, in, out);
}
