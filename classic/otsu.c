/* otsu.c - global Otsu thresholding.
 * N. Otsu, "A threshold selection method from gray-level histograms", IEEE
 * SMC 9(1), 1979: choose t maximising the between-class variance
 * w0(t) w1(t) (mu0(t) - mu1(t))^2 over a 256-bin histogram. Ink is v <= t. */
#include "classic.h"
#include "db_internal.h"

#include <string.h>

void db_gray_histogram(const db_image *gray, uint64_t hist[256])
{
    /* Four sub-histograms break the store-to-load dependency on runs of equal
     * pixels (a page is mostly paper of one value). */
    uint32_t h[4][256];
    memset(h, 0, sizeof h);
    memset(hist, 0, 256 * sizeof hist[0]);
    for (int y = 0; y < gray->height; y++) {
        const uint8_t *r = db_image_row(gray, y);
        int x = 0;
        for (; x + 4 <= gray->width; x += 4) {
            h[0][r[x]]++;
            h[1][r[x + 1]]++;
            h[2][r[x + 2]]++;
            h[3][r[x + 3]]++;
        }
        for (; x < gray->width; x++)
            h[0][r[x]]++;
        if ((y & 255) == 255 || y == gray->height - 1) { /* flush before 32-bit overflow */
            for (int v = 0; v < 256; v++)
                hist[v] += (uint64_t)h[0][v] + h[1][v] + h[2][v] + h[3][v];
            memset(h, 0, sizeof h);
        }
    }
}

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

int db_threshold_global(db_ctx *ctx, const db_image *gray, int t, db_image *out)
{
    DB_TRY(db_image_ensure(ctx, out, gray->width, gray->height, DB_BIT1));
    int words = (gray->width + 63) / 64;
    for (int y = 0; y < gray->height; y++) {
        const uint8_t *g = db_image_row(gray, y);
        uint64_t *o = (uint64_t *)(void *)db_image_row(out, y);
        for (int w = 0; w < words; w++) {
            int x0 = w * 64, n = gray->width - x0 < 64 ? gray->width - x0 : 64;
            uint64_t bits = 0;
            for (int i = 0; i < n; i++)
                bits |= (uint64_t)(g[x0 + i] <= t) << i;
            o[w] = bits;
        }
    }
    out->xdpi = gray->xdpi;
    out->ydpi = gray->ydpi;
    return 0;
}

static int otsu_run(db_ctx *ctx, const db_image *gray, const double *params, db_image *out)
{
    uint64_t hist[256];
    db_gray_histogram(gray, hist);
    return db_threshold_global(ctx, gray, db_otsu_threshold(hist), out);
}

const db_method_info db_otsu_method = {
    .name = "otsu",
    .summary = "global threshold maximising between-class variance",
    .reference = "N. Otsu, IEEE Trans. SMC 9(1), 1979",
    .nparams = 0,
    .params = NULL,
    .run = otsu_run,
};
