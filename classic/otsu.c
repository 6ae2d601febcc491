/* otsu.c - global Otsu thresholding.
 * N. Otsu, "A threshold selection method from gray-level histograms", IEEE
 * SMC 9(1), 1979: choose t maximising the between-class variance
 * w0(t) w1(t) (mu0(t) - mu1(t))^2 over a 256-bin histogram. Ink is v <= t.
 * Histogram and thresholding pass: threshold.c. */
#include "classic.h"
#include "db_internal.h"

int db_otsu_threshold(const uint64_t hist[256])
{
    /* Exact integer-weighted sums in double: counts up to 2^53 are exact. */
    double total = 0, sum = 0;
    for (int v = 0; v < 256; v++) {
        total += (double)hist[v];
        sum += (double)v * (double)hist[v];
    }
    double w0 = 0, sum0 = 0, best = -1;
    int best_t = 0;
    for (int t = 0; t < 255; t++) {
        w0 += (double)hist[t];
        sum0 += (double)t * (double)hist[t];
        double w1 = total - w0;
        if (w0 == 0 || w1 == 0)
            continue;
        double d = sum0 / w0 - (sum - sum0) / w1;
        double between = w0 * w1 * d * d;
        if (between > best) {
            best = between;
            best_t = t;
        }
    }
    return best_t;
}

static int otsu_run(db_ctx *ctx, const db_image *gray, const double *params, db_image *out)
{
    return db_global_run(ctx, gray, db_otsu_threshold, out);
}

const db_method_info db_otsu_method = {
    .name = "otsu",
    .summary = "global threshold maximising between-class variance",
    .reference = "N. Otsu, IEEE Trans. SMC 9(1), 1979",
    .nparams = 0,
    .params = NULL,
    .run = otsu_run,
    .strips = &db_strips_otsu,
};
