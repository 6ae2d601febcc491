/* mpm.c - misclassification penalty metric (DIBCO 2009-2011, after Young &
 * Ferryman 2005): MPM = (MP_FN + MP_FP) / 2, MP_FN = sum of d over false
 * negatives / D, MP_FP = sum of d over false positives / D, d = exact
 * Euclidean distance to the GT contour (text pixels with a 4-neighbour of
 * background inside the image), D = sum of d over all pixels. Papers print
 * MPM x1000. GT without a contour: MPM = 0, not flagged as defined.
 */
#include "metrics_internal.h"

#include <math.h>

int db_mpm_compute(db_ctx *ctx, const db_mask *gt, const db_mask *res, uint8_t *contour,
                   uint16_t *vd, db_metrics *m)
{
    int w = gt->w, h = gt->h;
    m->mpm = 0.0;
    /* the distances are streamed row by row (column distances in 2 bytes a
     * pixel instead of a w*h plane of doubles); the sums keep raster order */
    double *d2 = db_malloc(ctx, (size_t)w * sizeof *d2);
    int64_t *scratch = db_malloc(ctx, ((size_t)w + 1) * sizeof *scratch);
    int *iscratch = db_malloc(ctx, ((size_t)w + 1) * sizeof *iscratch);
    int rc = (d2 && scratch && iscratch) ? 0 : DB_ENOMEM;
    if (!rc) {
        const uint8_t *g = gt->m;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                size_t i = (size_t)y * w + x;
                contour[i] = g[i] && ((y > 0 && !g[i - w]) || (y < h - 1 && !g[i + w]) ||
                                      (x > 0 && !g[i - 1]) || (x < w - 1 && !g[i + 1]));
            }
        if (db_column_dist(contour, w, h, vd)) {
            double total = 0.0, dfn = 0.0, dfp = 0.0;
            for (int y = 0; y < h; y++) {
                db_euclid_dt2_row(vd + (size_t)y * w, w, d2, scratch, iscratch);
                const uint8_t *gr = g + (size_t)y * w, *rr = res->m + (size_t)y * w;
                for (int x = 0; x < w; x++) {
                    double d = sqrt(d2[x]);
                    total += d;
                    if (gr[x] != rr[x]) {
                        if (gr[x])
                            dfn += d;
                        else
                            dfp += d;
                    }
                }
            }
            if (total > 0) {
                m->mpm = (dfn / total + dfp / total) / 2.0;
                m->defined |= DB_METRIC_MPM;
            }
        }
    }
    db_free(d2);
    db_free(scratch);
    db_free(iscratch);
    return rc;
}
