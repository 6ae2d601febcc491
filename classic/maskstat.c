/* maskstat.c - integral images of a masked gray image (see maskstat.h). */
#include "maskstat.h"

#include "db_internal.h"

#include <string.h>

int db_maskstat_alloc(db_ctx *ctx, int w, int h, db_maskstat *ms)
{
    memset(ms, 0, sizeof *ms);
    size_t cells;
    if (!db_mul_size((size_t)w + 1, (size_t)h + 1, &cells))
        return db_fail(ctx, DB_ETOOBIG, "maskstat: %dx%d is too large", w, h);
    ms->w = w;
    ms->h = h;
    ms->stride = (size_t)w + 1;
    ms->n = db_malloc(ctx, cells * sizeof(uint32_t));
    ms->s = db_malloc(ctx, cells * sizeof(uint32_t));
    ms->q = db_malloc(ctx, cells * sizeof(uint64_t));
    if (!ms->n || !ms->s || !ms->q) {
        db_maskstat_free(ms);
        return DB_ENOMEM;
    }
    return 0;
}

void db_maskstat_free(db_maskstat *ms)
{
    db_free(ms->n);
    db_free(ms->s);
    db_free(ms->q);
    memset(ms, 0, sizeof *ms);
}

void db_maskstat_build(db_maskstat *ms, const db_image *gray, const uint8_t *mask)
{
    const int w = ms->w, h = ms->h;
    const size_t st = ms->stride;
    memset(ms->n, 0, st * sizeof(uint32_t));
    memset(ms->s, 0, st * sizeof(uint32_t));
    memset(ms->q, 0, st * sizeof(uint64_t));
    for (int y = 0; y < h; y++) {
        const uint8_t *g = db_image_row(gray, y), *m = mask + (size_t)y * w;
        uint32_t *n1 = ms->n + (size_t)(y + 1) * st, *s1 = ms->s + (size_t)(y + 1) * st;
        uint64_t *q1 = ms->q + (size_t)(y + 1) * st;
        const uint32_t *n0 = n1 - st, *s0 = s1 - st;
        const uint64_t *q0 = q1 - st;
        uint32_t rn = 0, rs = 0;
        uint64_t rq = 0;
        n1[0] = s1[0] = 0;
        q1[0] = 0;
        for (int x = 0; x < w; x++) {
            uint32_t on = m[x] != 0, v = on ? g[x] : 0;
            rn += on;
            rs += v;
            rq += (uint64_t)v * v;
            n1[x + 1] = n0[x + 1] + rn;
            s1[x + 1] = s0[x + 1] + rs;
            q1[x + 1] = q0[x + 1] + rq;
        }
    }
}
