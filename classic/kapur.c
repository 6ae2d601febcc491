/* kapur.c - Kapur-Sahoo-Wong maximum entropy thresholding.
 * J. N. Kapur, P. K. Sahoo, A. K. C. Wong, "A new method for gray-level
 * picture thresholding using the entropy of the histogram", CVGIP 29(3),
 * 1985: pick the t maximising H_b(t) + H_w(t), the entropies of the
 * normalised class distributions {v <= t} and {v > t}. With P the class
 * mass and S = sum p ln p over the class, H = ln P - S / P. Empty classes are
 * skipped; ties go to the smallest t; a single-valued page gives Otsu's
 * answer. Parameterless. Pass: threshold.c. */
#include "classic.h"
#include "db_internal.h"

#include <math.h>

int db_kapur_threshold(const uint64_t hist[256])
{
    double total = 0;
    for (int v = 0; v < 256; v++)
        total += (double)hist[v];
    if (total == 0)
        return 0;
    double plogp[256], all = 0;
    for (int v = 0; v < 256; v++) {
        double p = (double)hist[v] / total;
        plogp[v] = p > 0 ? p * log(p) : 0;
        all += plogp[v];
    }
    double pb = 0, sb = 0, best = -INFINITY;
    int best_t = -1;
    for (int t = 0; t < 255; t++) {
        pb += (double)hist[t] / total;
        sb += plogp[t];
        double pw = 1.0 - pb, sw = all - sb;
        if (pb <= 1e-15 || pw <= 1e-15)
            continue;
        double h = log(pb) - sb / pb + log(pw) - sw / pw;
        if (h > best) {
            best = h;
            best_t = t;
        }
    }
    return best_t >= 0 ? best_t : db_otsu_threshold(hist);
}

static int kapur_run(db_ctx *ctx, const db_image *gray, const double *params, db_image *out)
{
    return db_global_run(ctx, gray, db_kapur_threshold, out);
}

const db_method_info db_kapur_method = {
    .name = "kapur",
    .summary = "global maximum-entropy threshold",
    .reference = "J. N. Kapur, P. K. Sahoo, A. K. C. Wong, CVGIP 29(3), 1985",
    .nparams = 0,
    .params = NULL,
    .run = kapur_run,
    .strips = &db_strips_kapur,
};
