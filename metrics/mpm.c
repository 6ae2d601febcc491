/* mpm.c - misclassification penalty metric (DIBCO 2009-2011, after Young &
 * Ferryman 2005): MPM = (MP_FN + MP_FP) / 2, MP_FN = sum of d over false
 * negatives / D, MP_FP = sum of d over false positives / D, d = exact
 * Euclidean distance to the GT contour (text pixels with a 4-neighbour of
 * background inside the image), D = sum of d over all pixels. Papers print
 * MPM x1000. GT without a contour: MPM = 0, not flagged as defined.
 */
#include "metrics_internal.h"

#include <math.h>

/* The three sums are taken over squared distances, which are integers:
 * pixels with d^2 below MPM_BUCKETS are counted per d^2 and class, and each
 * count is multiplied by sqrt(d^2) once at the end; farther pixels (wide
 * margins) are summed directly. No square root or float add per pixel, and
 * the sums are as exact as one product per bucket. */
enum { MPM_BUCKETS = 1 << 14 };
enum { MPM_RIGHT = 0, MPM_FN = 1, MPM_FP = 2 };

/* The GT contour: text with a 4-neighbour of background inside the image
 * (a missing neighbour beyond the edge counts as text). */
static void gt_contour(const uint8_t *g, int w, int h, uint8_t *contour)
{
    for (int y = 0; y < h; y++) {
        const uint8_t *row = g + (size_t)y * w;
        const uint8_t *up = y > 0 ? row - w : row, *dn = y < h - 1 ? row + w : row;
        uint8_t *c = contour + (size_t)y * w;
        if (w == 1) {
            c[0] = row[0] & !(up[0] & dn[0]);
            continue;
        }
        c[0] = row[0] & !(up[0] & dn[0] & row[1]);
        for (int x = 1; x < w - 1; x++) /* masks are 0/1: vectorises */
            c[x] = row[x] & !(up[x] & dn[x] & row[x - 1] & row[x + 1]);
        c[w - 1] = row[w - 1] & !(up[w - 1] & dn[w - 1] & row[w - 2]);
    }
}

int db_mpm_compute(db_ctx *ctx, const db_mask *gt, const db_mask *res, uint8_t *contour,
                   uint16_t *vd, db_metrics *m)
{
    int w = gt->w, h = gt->h;
    m->mpm = 0.0;
    /* the distances are streamed row by row (column distances in 2 bytes a
     * pixel instead of a w*h plane) */
    uint64_t *d2 = db_malloc(ctx, (size_t)w * sizeof *d2);
    int64_t *scratch = db_malloc(ctx, ((size_t)w + 1) * sizeof *scratch);
    int *iscratch = db_malloc(ctx, ((size_t)w + 1) * sizeof *iscratch);
    uint64_t *count = db_calloc(ctx, 3 * (size_t)MPM_BUCKETS, sizeof *count);
    int rc = (d2 && scratch && iscratch && count) ? 0 : DB_ENOMEM;
    if (!rc) {
        gt_contour(gt->m, w, h, contour);
        if (db_column_dist(contour, w, h, vd)) {
            double far[3] = {0.0, 0.0, 0.0}; /* the sums beyond the buckets */
            for (int y = 0; y < h; y++) {
                db_euclid_dt2_row(vd + (size_t)y * w, w, d2, scratch, iscratch);
                const uint8_t *gr = gt->m + (size_t)y * w, *rr = res->m + (size_t)y * w;
                for (int x = 0; x < w; x++) {
                    /* right 0, missed text 1, false text 2: branch-free */
                    unsigned cls = (unsigned)(gr[x] != rr[x]) * (2u - gr[x]);
                    if (d2[x] < MPM_BUCKETS)
                        count[cls * MPM_BUCKETS + d2[x]]++;
                    else
                        far[cls] += sqrt((double)d2[x]);
                }
            }
            double sum[3];
            for (int k = 0; k < 3; k++) {
                sum[k] = far[k];
                for (unsigned v = 1; v < MPM_BUCKETS; v++)
                    sum[k] += (double)count[k * MPM_BUCKETS + v] * sqrt((double)v);
            }
            double total = sum[MPM_RIGHT] + sum[MPM_FN] + sum[MPM_FP];
            if (total > 0) {
                m->mpm = (sum[MPM_FN] / total + sum[MPM_FP] / total) / 2.0;
                m->defined |= DB_METRIC_MPM;
            }
        }
    }
    db_free(d2);
    db_free(scratch);
    db_free(iscratch);
    db_free(count);
    return rc;
}
