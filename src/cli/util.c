/* util.c - helpers shared by the subcommands: messages, number parsing, the
 * DOCBIN_ISA override. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("docbin: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void cli_error_ctx(db_ctx *ctx, const char *what)
{
    const char *msg = db_ctx_message(ctx);
    if (!msg[0])
        msg = db_strerror(db_ctx_code(ctx));
    if (what)
        cli_error("%s: %s", what, msg);
    else
        cli_error("%s", msg);
    db_ctx_clear_error(ctx);
}

int cli_apply_isa_env(db_ctx *ctx)
{
    const char *s = getenv("DOCBIN_ISA");
    if (!s || !*s)
        return 0;
    db_isa isa;
    if (db_isa_parse(s, &isa) != 0) {
        cli_error("DOCBIN_ISA=%s: expected auto, ref, avx2 or avx512", s);
        return CLI_EXIT_USAGE;
    }
    if (db_ctx_set_isa(ctx, isa) != 0) {
        cli_error_ctx(ctx, "DOCBIN_ISA");
        return CLI_EXIT_USAGE;
    }
    return 0;
}

int cli_parse_int(const char *opt, const char *text, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (!*text || *end || errno || v < min || v > max) {
        cli_error("%s: '%s' is not a whole number in [%ld, %ld]", opt, text, min, max);
        return CLI_EXIT_USAGE;
    }
    *out = v;
    return 0;
}

int cli_parse_double(const char *opt, const char *text, double min, double max, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (!*text || *end || errno || !isfinite(v) || v < min || v > max) {
        cli_error("%s: '%s' is not a number in [%g, %g]", opt, text, min, max);
        return CLI_EXIT_USAGE;
    }
    *out = v;
    return 0;
}
