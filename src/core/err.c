/* err.c - error codes, the per-ctx error record, and warnings.
 * The first error recorded in a ctx wins: later failures while unwinding
 * must not hide the cause. */
#include "db_internal.h"
#include "ctx_internal.h"

#include <stdio.h>
#include <string.h>

const char *db_strerror(int code)
{
    switch (code) {
    case DB_OK: return "success";
    case DB_ENOMEM: return "out of memory";
    case DB_EINVAL: return "invalid argument";
    case DB_EIO: return "input/output error";
    case DB_EFORMAT: return "unknown or malformed format";
    case DB_EUNSUPPORTED: return "unsupported variant";
    case DB_ETOOBIG: return "image too large";
    case DB_ECORRUPT: return "corrupt or truncated data";
    case DB_ECANCELED: return "canceled";
    case DB_EEXIST: return "output exists";
    default: return "unknown error";
    }
}

int db_vfail(db_ctx *ctx, int code, const char *fmt, va_list ap)
{
    if (ctx && ctx->err.code == 0) {
        ctx->err.code = code;
        vsnprintf(ctx->err.msg, sizeof ctx->err.msg, fmt, ap);
    }
    return code;
}

int db_fail(db_ctx *ctx, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    db_vfail(ctx, code, fmt, ap);
    va_end(ap);
    return code;
}

void db_warn(db_ctx *ctx, const char *fmt, ...)
{
    if (!ctx || !ctx->log_fn)
        return;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    ctx->log_fn(ctx->log_user, buf);
}

void db_ctx_prefix_message(db_ctx *ctx, const char *prefix)
{
    if (!ctx || ctx->err.code == 0 || !prefix)
        return;
    size_t n = strlen(prefix), cap = sizeof ctx->err.msg;
    if (strncmp(ctx->err.msg, prefix, n) == 0 && ctx->err.msg[n] == ':')
        return; /* already named */
    if (n + 2 >= cap)
        n = cap - 3;
    /* shift the message right by n + 2, truncating its tail if needed */
    size_t len = strlen(ctx->err.msg);
    if (len + n + 2 >= cap)
        len = cap - n - 3;
    memmove(ctx->err.msg + n + 2, ctx->err.msg, len);
    ctx->err.msg[n + 2 + len] = '\0';
    memcpy(ctx->err.msg, prefix, n);
    ctx->err.msg[n] = ':';
    ctx->err.msg[n + 1] = ' ';
}

int db_ctx_code(const db_ctx *ctx) { return ctx ? ctx->err.code : 0; }
const char *db_ctx_message(const db_ctx *ctx) { return ctx ? ctx->err.msg : ""; }
void db_ctx_clear_error(db_ctx *ctx)
{
    if (ctx) {
        ctx->err.code = 0;
        ctx->err.msg[0] = '\0';
    }
}
