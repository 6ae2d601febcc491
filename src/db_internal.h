/* db_internal.h - declarations shared inside libdocbin, never installed.
 *
 * Error helpers (DB_TRY, db_fail), checked allocation (alloc.c) and the
 * db_ctx internals every module may read. See docbin.h for the conventions.
 */
#ifndef DB_INTERNAL_H
#define DB_INTERNAL_H

#include "docbin.h"

#include <stdarg.h>
#include <stddef.h>

/* Passes a negative result up to the caller. */
#define DB_TRY(expr)                                                                   \
    do {                                                                               \
        int db_try_rc_ = (expr);                                                       \
        if (db_try_rc_ < 0)                                                            \
            return db_try_rc_;                                                         \
    } while (0)

#if defined(__GNUC__)
#define DB_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define DB_PRINTF(a, b)
#endif

/* db_fail (the recording of an error) is public: see docbin.h. */
int db_vfail(db_ctx *ctx, int code, const char *fmt, va_list ap);
/* Sends a warning to the ctx log callback, if any. */
void db_warn(db_ctx *ctx, const char *fmt, ...) DB_PRINTF(2, 3);
/* True when the ctx cancel flag is raised. */
bool db_ctx_canceled(const db_ctx *ctx);
/* The one slot of state kept between runs (db_ctx_keep_networks): whether
 * keeping is on, the kept state, and replacing it (the previous state is
 * freed with its free_fn unless it is `state` itself; NULL empties it). */
bool db_ctx_keeps_networks(const db_ctx *ctx);
void *db_ctx_kept(const db_ctx *ctx);
void db_ctx_keep(db_ctx *ctx, void *state, void (*free_fn)(void *));

/* ---- checked allocation (alloc.c) ----
 * Every allocation of the library goes through these so that tests can make
 * the N-th one fail (db_ctx_fail_alloc_after) and check the clean-up. */
void *db_malloc(db_ctx *ctx, size_t size);
void *db_calloc(db_ctx *ctx, size_t count, size_t size);
void *db_realloc(db_ctx *ctx, void *ptr, size_t size);
/* 64-byte aligned; free with db_aligned_free. */
void *db_aligned_alloc(db_ctx *ctx, size_t size);
void db_aligned_free(void *ptr);
void db_free(void *ptr);
/* a * b without overflow: false (and *out untouched) when it would overflow. */
/* BT.601 luma of an 8-bit RGB sample, rounded (the one gray rule of docbin:
 * db_image_to_gray, the networks' gray channel). */
static inline uint8_t db_gray601(unsigned r, unsigned g, unsigned b)
{
    return (uint8_t)((299u * r + 587u * g + 114u * b + 500u) / 1000u);
}

static inline bool db_mul_size(size_t a, size_t b, size_t *out)
{
    return !__builtin_mul_overflow(a, b, out);
}
static inline bool db_add_size(size_t a, size_t b, size_t *out)
{
    return !__builtin_add_overflow(a, b, out);
}
/* Checks w, h > 0 and w*h <= the ctx pixel limit; fails with a message that
 * starts with who. */
int db_check_dimensions(db_ctx *ctx, const char *who, int64_t w, int64_t h);
/* Test hook: allocation number n (1-based, counted from this call) and all
 * later ones fail. n = 0 disables. */
void db_ctx_fail_alloc_after(db_ctx *ctx, long n);

/* The ISA the ctx resolved (never DB_ISA_AUTO). */
db_isa db_ctx_resolved_isa(const db_ctx *ctx);

#endif
