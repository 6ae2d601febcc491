/* ctx_internal.h - the db_ctx struct, read by core modules only. */
#ifndef DB_CTX_INTERNAL_H
#define DB_CTX_INTERNAL_H

#include "docbin.h"

struct db_ctx {
    struct {
        int code;
        char msg[512];
    } err;
    db_pool *pool;
    uint64_t pixel_limit;
    const atomic_int *cancel;
    db_log_fn log_fn;
    void *log_user;
    db_isa isa;        /* as asked */
    db_isa isa_actual; /* resolved */
    long alloc_fail_after; /* test hook: 0 = off */
    long alloc_count;
    /* db_ctx_keep_networks: state a network method keeps between runs */
    bool keep_on;
    void *kept;
    void (*kept_free)(void *);
};

#endif
