/* nrm.c - negative rate metric (DIBCO 2009-2011): NRM = (NR_FN + NR_FP) / 2,
 * NR_FN = FN / (FN + TP), NR_FP = FP / (FP + TN), in 0..1 (papers print it
 * x100). A term whose denominator is 0 (GT without text or background) is 0.
 */
#include "metrics_internal.h"

void db_nrm_from_counts(const db_counts *c, db_metrics *m)
{
    double nr_fn = c->fn + c->tp ? (double)c->fn / (double)(c->fn + c->tp) : 0.0;
    double nr_fp = c->fp + c->tn ? (double)c->fp / (double)(c->fp + c->tn) : 0.0;
    m->nrm = (nr_fn + nr_fp) / 2.0;
    if (c->fn + c->tp && c->fp + c->tn)
        m->defined |= DB_METRIC_NRM;
}
