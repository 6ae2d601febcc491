/* alloc.c - every allocation of the library, with overflow-checked sizes, the
 * pixel limit, and a fail-after-N hook so tests can check each clean-up path. */
#include "ctx_internal.h"
#include "db_internal.h"

#include <stdlib.h>

static bool injected_failure(db_ctx *ctx)
{
    if (!ctx || ctx->alloc_fail_after <= 0)
        return false;
    return ++ctx->alloc_count >= ctx->alloc_fail_after;
}

static void *nomem(db_ctx *ctx, size_t size)
{
    db_fail(ctx, DB_ENOMEM, "out of memory (%zu bytes)", size);
    return NULL;
}

void *db_malloc(db_ctx *ctx, size_t size)
{
    if (injected_failure(ctx))
        return nomem(ctx, size);
    void *p = malloc(size ? size : 1);
    return p ? p : nomem(ctx, size);
}

void *db_calloc(db_ctx *ctx, size_t count, size_t size)
{
    size_t total;
    if (!db_mul_size(count, size, &total))
        return nomem(ctx, SIZE_MAX);
    if (injected_failure(ctx))
        return nomem(ctx, total);
    void *p = calloc(count ? count : 1, size ? size : 1);
    return p ? p : nomem(ctx, total);
}

void *db_realloc(db_ctx *ctx, void *ptr, size_t size)
{
    if (injected_failure(ctx))
        return nomem(ctx, size);
    void *p = realloc(ptr, size ? size : 1);
    return p ? p : nomem(ctx, size);
}

void *db_aligned_alloc(db_ctx *ctx, size_t size)
{
    size_t rounded;
    if (!db_add_size(size, 63, &rounded))
        return nomem(ctx, SIZE_MAX);
    rounded &= ~(size_t)63;
    if (injected_failure(ctx))
        return nomem(ctx, size);
    void *p = aligned_alloc(64, rounded ? rounded : 64);
    return p ? p : nomem(ctx, size);
}

void db_aligned_free(void *ptr) { free(ptr); }
void db_free(void *ptr) { free(ptr); }

int db_check_dimensions(db_ctx *ctx, const char *who, int64_t w, int64_t h)
{
    if (w <= 0 || h <= 0)
        return db_fail(ctx, DB_EFORMAT, "%s: invalid dimensions %lldx%lld", who,
                       (long long)w, (long long)h);
    if (w > INT32_MAX / 2 || h > INT32_MAX / 2)
        return db_fail(ctx, DB_ETOOBIG, "%s: dimensions %lldx%lld are too large", who,
                       (long long)w, (long long)h);
    uint64_t px = (uint64_t)w * (uint64_t)h;
    uint64_t limit = ctx ? ctx->pixel_limit : ((uint64_t)1 << 30);
    if (px > limit)
        return db_fail(ctx, DB_ETOOBIG,
                       "%s: %lldx%lld is %llu pixels, over the limit of %llu", who,
                       (long long)w, (long long)h, (unsigned long long)px,
                       (unsigned long long)limit);
    return 0;
}
