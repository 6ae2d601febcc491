/* bthresh.c - integer thresholds for bits-only outputs. The float chain of
 * db_bpost (without a residual) is evaluated for every accumulator value a
 * binary conv can produce (acc = -K, -K+2, ..., K: same parity as K), so the
 * resulting bits equal the float path by construction, whatever the sign of
 * the scale (a < 0 flips the polarity, a == 0 gives a constant channel). */
#include "nets/kernels/kernels.h"

#include <string.h>

void db_bthresh_free(db_bthresh *t)
{
    if (!t)
        return;
    db_free(t->t);
    db_free(t->pol);
    db_free(t->mode);
    db_free(t->table);
    memset(t, 0, sizeof *t);
}

int db_bthresh_build(db_ctx *ctx, const db_bpost *p, int32_t K, db_bthresh *out)
{
    memset(out, 0, sizeof *out);
    int c = p->cout;
    out->cout = c;
    out->K = K;
    out->t = db_malloc(ctx, (size_t)c * sizeof *out->t);
    out->pol = db_malloc(ctx, (size_t)c);
    out->mode = db_malloc(ctx, (size_t)c);
    uint8_t *bitsv = db_malloc(ctx, (size_t)K + 1);
    if (!out->t || !out->pol || !out->mode || !bitsv) {
        db_free(bitsv);
        db_bthresh_free(out);
        return DB_ENOMEM;
    }
    for (int o = 0; o < c; o++) {
        /* bitsv[i] = bit for acc = -K + 2i */
        int changes = 0;
        for (int32_t i = 0; i <= K; i++) {
            float y = db_bpost_value_ref(p, o, -K + 2 * i, NULL, NULL);
            bitsv[i] = (uint8_t)db_rsign_bit(y, p->thr[o]);
            if (i > 0 && bitsv[i] != bitsv[i - 1])
                changes++;
        }
        if (changes <= 1) {
            /* step: bits are b0 below the change and !b0 from it on */
            int32_t first = K + 2; /* no change: the threshold lies above every acc */
            for (int32_t i = 1; i <= K; i++)
                if (bitsv[i] != bitsv[i - 1]) {
                    first = -K + 2 * i;
                    break;
                }
            out->mode[o] = 0;
            out->t[o] = first;
            out->pol[o] = bitsv[0]; /* acc < t gives pol, acc >= t gives !pol */
            continue;
        }
        if (!out->table) {
            out->table = db_calloc(ctx, (size_t)c, (size_t)K + 1);
            if (!out->table) {
                db_free(bitsv);
                db_bthresh_free(out);
                return DB_ENOMEM;
            }
        }
        out->mode[o] = 1;
        out->t[o] = 0;
        out->pol[o] = 0;
        memcpy(out->table + (size_t)o * ((size_t)K + 1), bitsv, (size_t)K + 1);
    }
    db_free(bitsv);
    return 0;
}
