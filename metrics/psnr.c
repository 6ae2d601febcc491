/* psnr.c - peak signal-to-noise ratio of a binary result (C = 1):
 * PSNR = 10 log10(N / mismatches), as the DIBCO tool. Identical images get
 * DB_METRICS_PSNR_MAX instead of infinity.
 */
#include "metrics_internal.h"

#include <math.h>

void db_psnr_from_counts(const db_counts *c, db_metrics *m)
{
    uint64_t n = c->tp + c->fp + c->fn + c->tn, bad = c->fp + c->fn;
    if (!bad) {
        m->psnr = DB_METRICS_PSNR_MAX;
        return;
    }
    m->psnr = 10.0 * log10((double)n / (double)bad);
    m->defined |= DB_METRIC_PSNR;
}
