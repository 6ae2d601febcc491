/* kittler.c - Kittler-Illingworth minimum error thresholding.
 * J. Kittler, J. Illingworth, "Minimum error thresholding", Pattern
 * Recognition 19(1), 1986, eq. 15: model the histogram as two Gaussians
 * {v <= t}, {v > t} with priors P1, P2 and deviations s1, s2 and pick the t
 * minimising J(t) = 1 + 2 (P1 ln s1 + P2 ln s2) - 2 (P1 ln P1 + P2 ln P2).
 * Thresholds where a class is empty or has zero variance are skipped (J is
 * -infinity there, the fit degenerate); ties go to the smallest t; with no
 * usable t, Otsu's threshold. Parameterless. Pass: threshold.c. */
#include "classic.h"
#include "db_internal.h"

#include <math.h>

int db_kittler_threshold(const uint64_t hist[256])
{
    double total = 0, sum = 0, sq = 0;
    for (int v = 0; v < 256; v++) {
        total += (double)hist[v];
        sum += (double)v * (double)hist[v];
        sq += (double)v * v * (double)hist[v];
    }
    double n1 = 0, s1 = 0, q1 = 0, best = INFINITY;
    int best_t = -1;
    for (int t = 0; t < 255; t++) {
        n1 += (double)hist[t];
        s1 += (double)t * (double)hist[t];
        q1 += (double)t * t * (double)hist[t];
        double n2 = total - n1;
        if (n1 == 0 || n2 == 0)
            continue;
        double m1 = s1 / n1, m2 = (sum - s1) / n2;
        double v1 = q1 / n1 - m1 * m1, v2 = (sq - q1) / n2 - m2 * m2;
        if (v1 <= 1e-12 || v2 <= 1e-12)
            continue;
        double p1 = n1 / total, p2 = n2 / total;
        /* P ln s = 0.5 P ln v */
        double j = 1 + (p1 * log(v1) + p2 * log(v2)) - 2 * (p1 * log(p1) + p2 * log(p2));
        if (j < best) {
            best = j;
            best_t = t;
        }
    }
    return best_t >= 0 ? best_t : db_otsu_threshold(hist);
}

static int kittler_run(db_ctx *ctx, const db_image *gray, const double *params, db_image *out)
{
    return db_global_run(ctx, gray, db_kittler_threshold, out);
}

const db_method_info db_kittler_method = {
    .name = "kittler",
    .summary = "global minimum-error threshold (two-Gaussian fit)",
    .reference = "J. Kittler, J. Illingworth, Pattern Recognition 19(1), 1986",
    .nparams = 0,
    .params = NULL,
    .run = kittler_run,
    .strips = &db_strips_kittler,
};
