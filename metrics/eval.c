/* eval.c - scores one (ground truth, result) pair with every measure:
 * text masks (fmeasure.c), counts, FM, PSNR, NRM, DRD, pseudo-FM with given
 * or generated weights (weights.c), skeleton pseudo-FM, MPM, Avg-Score.
 */
#include "metrics_internal.h"

#include <string.h>

/* Scores result against gt in the buffers of keep (NULL: temporary ones);
 * generated maps are stored in keep only with keep_maps. */
static int metrics_compute(db_ctx *ctx, const db_image *gt, const db_image *result,
                           const db_weights *weights, db_weights *keep, bool keep_maps,
                           db_metrics *out)
{
    if (out)
        memset(out, 0, sizeof *out);
    if (!gt || !result || !out)
        return db_fail(ctx, DB_EINVAL, "metrics: missing ground truth, result or output");
    if (gt->width != result->width || gt->height != result->height)
        return db_fail(ctx, DB_EINVAL, "metrics: size mismatch (ground truth %dx%d, result %dx%d)",
                       gt->width, gt->height, result->width, result->height);
    if (weights && (weights->width != gt->width || weights->height != gt->height ||
                    !weights->recall || !weights->precision))
        return db_fail(ctx, DB_EINVAL, "metrics: weights are %dx%d, images %dx%d", weights->width,
                       weights->height, gt->width, gt->height);
    /* everything below works in the buffers of k: the caller's (kept for
     * the next pair) or a temporary one */
    db_weights tmp = {0}, *k = keep ? keep : &tmp;
    db_metrics m = {0};
    int rc = 0;
    /* maps not wanted after: the generator sums them over the result as it
     * goes (having read the result mask) */
    bool summed = !weights && !keep_maps;
    db_pf_sums sums;
    if (summed) {
        rc = db_weights_pf_sums(ctx, gt, result, k, &sums);
        m.weights_generated = true;
    } else if (!weights) {
        rc = db_weights_generate(ctx, gt, k);
        weights = k;
        m.weights_generated = true;
    }
    db_score_bufs b;
    db_mask g = {0}, r = {0};
    if (!rc)
        rc = db_weights_score_bufs(ctx, k, gt->width, gt->height, &b);
    if (!rc && m.weights_generated) /* the generator has just read gt into b.gt */
        g = (db_mask){gt->width, gt->height, b.gt};
    else if (!rc)
        rc = db_mask_fill(ctx, gt, true, "metrics: ground truth", b.gt, &g);
    if (!rc && summed)
        r = (db_mask){gt->width, gt->height, b.res};
    else if (!rc)
        rc = db_mask_fill(ctx, result, false, "metrics: result", b.res, &r);
    if (!rc) {
        db_counts c;
        db_counts_compute(&g, &r, &c);
        m.tp = c.tp;
        m.fp = c.fp;
        m.fn = c.fn;
        m.tn = c.tn;
        db_fmeasure_from_counts(&c, &m);
        db_psnr_from_counts(&c, &m);
        db_nrm_from_counts(&c, &m);
        db_drd_compute(&g, &r, &m);
        if (summed)
            db_pfmeasure_from_sums(&sums, &m);
        else
            db_pfmeasure_compute(&g, &r, weights, &m);
        rc = db_pfmeasure_skel_compute(ctx, &g, &r, b.plane8, b.thin, &m);
    }
    if (!rc)
        rc = db_mpm_compute(ctx, &g, &r, b.plane8, b.plane16, &m);
    if (!rc) {
        m.avg_score = (m.fm + m.pfm + m.psnr + (100.0 - m.drd)) / 4.0;
        *out = m;
    }
    db_weights_free(&tmp);
    if (rc == DB_ENOMEM)
        return db_fail(ctx, rc, "metrics: out of memory");
    return rc;
}

int db_metrics_compute(db_ctx *ctx, const db_image *gt, const db_image *result,
                       const db_weights *weights, db_metrics *out)
{
    return metrics_compute(ctx, gt, result, weights, NULL, false, out);
}

int db_metrics_compute_kept(db_ctx *ctx, const db_image *gt, const db_image *result,
                            const db_weights *weights, db_weights *keep, db_metrics *out)
{
    return metrics_compute(ctx, gt, result, weights, keep, keep != NULL, out);
}

int db_metrics_compute_work(db_ctx *ctx, const db_image *gt, const db_image *result,
                            const db_weights *weights, db_weights *work, db_metrics *out)
{
    return metrics_compute(ctx, gt, result, weights, work, false, out);
}
