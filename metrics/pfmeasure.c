/* pfmeasure.c - pseudo-recall, pseudo-precision and pseudo-F-measure.
 * DIBCO 2013+ (Ntirogiannis et al., IEEE TIP 2013), as the official tool's
 * readme states them: pRecall = sum(RW over TP) / sum(RW over TP + FN),
 * pPrecision = sum(1 + PW over TP) / sum(1 + PW over TP + FP), with the
 * maps of weights.c or the official files. Also the older H-DIBCO 2010/2012
 * skeleton pseudo-FM: pRecall = GT skeleton pixels found / GT skeleton
 * pixels (skeleton by MATLAB bwmorph 'thin', Inf), with the usual precision.
 */
#include "metrics_internal.h"

#include <string.h>

void db_pfmeasure_compute(const db_mask *gt, const db_mask *res, const db_weights *w,
                          db_metrics *m)
{
    size_t n = (size_t)gt->w * gt->h;
    db_pf_sums s = {0.0, 0.0, 0.0, 0.0};
    for (size_t i = 0; i < n; i++) {
        uint8_t g = gt->m[i], r = res->m[i];
        if (g) {
            s.r_all += w->recall[i];
            if (r)
                s.r_tp += w->recall[i];
        }
        if (r) {
            double pw = 1.0 + (double)w->precision[i];
            s.p_all += pw;
            if (g)
                s.p_tp += pw;
        }
    }
    db_pfmeasure_from_sums(&s, m);
}

void db_pfmeasure_from_sums(const db_pf_sums *s, db_metrics *m)
{
    double r_tp = s->r_tp, r_all = s->r_all, p_tp = s->p_tp, p_all = s->p_all;
    if (r_all > 0) {
        m->precall = 100.0 * r_tp / r_all;
        m->defined |= DB_METRIC_PRECALL;
    } else {
        m->precall = 100.0;
    }
    if (p_all > 0) {
        m->pprecision = 100.0 * p_tp / p_all;
        m->defined |= DB_METRIC_PPRECISION;
    } else {
        m->pprecision = 100.0;
    }
    m->pfm = db_fmeasure_combine(m->precall, m->pprecision);
    if ((m->defined & (DB_METRIC_PRECALL | DB_METRIC_PPRECISION)) ==
        (DB_METRIC_PRECALL | DB_METRIC_PPRECISION))
        m->defined |= DB_METRIC_PFM;
}

int db_pfmeasure_skel_compute(db_ctx *ctx, const db_mask *gt, const db_mask *res, uint8_t *sk,
                              db_thin_work *thin, db_metrics *m)
{
    size_t n = (size_t)gt->w * gt->h;
    memcpy(sk, gt->m, n);
    DB_TRY(db_thin_matlab(ctx, sk, gt->w, gt->h, thin));
    uint64_t all = 0, hit = 0;
    for (size_t i = 0; i < n; i++) {
        all += sk[i];
        hit += sk[i] & res->m[i];
    }
    m->precall_skel = all ? 100.0 * (double)hit / (double)all : 100.0;
    m->pfm_skel = db_fmeasure_combine(m->precall_skel, m->precision);
    if (all && (m->defined & DB_METRIC_PRECISION))
        m->defined |= DB_METRIC_PFM_SKEL;
    return 0;
}
