/* ctx.c - the per-worker context: error record, limits, pool, ISA choice. */
#include "ctx_internal.h"
#include "db_internal.h"

#include <stdlib.h>

#ifndef DOCBIN_VERSION_STRING
#define DOCBIN_VERSION_STRING "0.1.0"
#endif

const char *db_version(void) { return DOCBIN_VERSION_STRING; }

int db_ctx_create(db_pool *pool, db_ctx **out)
{
    *out = NULL;
    db_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return DB_ENOMEM;
    ctx->pool = pool;
    ctx->pixel_limit = (uint64_t)1 << 30;
    ctx->isa = DB_ISA_AUTO;
    ctx->isa_actual = db_cpu_best_isa();
    *out = ctx;
    return 0;
}

void db_ctx_free(db_ctx *ctx)
{
    if (ctx)
        db_ctx_keep(ctx, NULL, NULL);
    free(ctx);
}

void db_ctx_keep_networks(db_ctx *ctx, bool on)
{
    ctx->keep_on = on;
    if (!on)
        db_ctx_keep(ctx, NULL, NULL);
}

bool db_ctx_keeps_networks(const db_ctx *ctx) { return ctx->keep_on; }

void *db_ctx_kept(const db_ctx *ctx) { return ctx->kept; }

void db_ctx_keep(db_ctx *ctx, void *state, void (*free_fn)(void *))
{
    if (ctx->kept && ctx->kept != state && ctx->kept_free)
        ctx->kept_free(ctx->kept);
    ctx->kept = state;
    ctx->kept_free = free_fn;
}
db_pool *db_ctx_pool(const db_ctx *ctx) { return ctx->pool; }
void db_ctx_set_pixel_limit(db_ctx *ctx, uint64_t max_pixels) { ctx->pixel_limit = max_pixels; }
uint64_t db_ctx_pixel_limit(const db_ctx *ctx) { return ctx->pixel_limit; }
void db_ctx_set_cancel_flag(db_ctx *ctx, const atomic_int *flag) { ctx->cancel = flag; }
bool db_ctx_canceled(const db_ctx *ctx)
{
    return ctx && ctx->cancel && atomic_load_explicit(ctx->cancel, memory_order_relaxed) != 0;
}
void db_ctx_set_log(db_ctx *ctx, db_log_fn fn, void *user)
{
    ctx->log_fn = fn;
    ctx->log_user = user;
}

int db_ctx_set_isa(db_ctx *ctx, db_isa isa)
{
    db_ctx_keep(ctx, NULL, NULL); /* kept state holds the old ISA's kernels */
    if (isa == DB_ISA_AUTO) {
        ctx->isa = isa;
        ctx->isa_actual = db_cpu_best_isa();
        return 0;
    }
    if (!db_cpu_supports(isa))
        return db_fail(ctx, DB_EINVAL, "isa %s is not supported by this CPU", db_isa_name(isa));
    ctx->isa = isa;
    ctx->isa_actual = isa;
    return 0;
}
db_isa db_ctx_isa(const db_ctx *ctx) { return ctx->isa; }
db_isa db_ctx_resolved_isa(const db_ctx *ctx) { return ctx->isa_actual; }
void db_ctx_fail_alloc_after(db_ctx *ctx, long n)
{
    ctx->alloc_fail_after = n;
    ctx->alloc_count = 0;
}
