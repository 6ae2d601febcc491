/* bataineh.c - Bataineh et al.: parameterless thresholds over dynamic,
 * fixed (not sliding) windows.
 * B. Bataineh, S. N. H. S. Abdullah, K. Omar, "An adaptive local binarization
 * method for document images based on a novel thresholding method and
 * dynamic windows", Pattern Recognition Letters 32(14), 2011, with the
 * corrections Doxa (brandonmpetty/Doxa) documents after contacting the
 * authors (Mg^2 * sigma, not Mg^2 - sigma; the 2 sigma_adaptive factor):
 *  1. global mean Mg, deviation Sg, maximum Imax; confusion threshold
 *     Tc = Mg - Mg^2 Sg / ((Mg + Sg)(Imax / 2 + Sg));
 *  2. pixels are black (g <= Tc - Sg/2), white (g >= Tc + Sg/2) or red
 *     (confused); p = black / red picks the primary window size: (W/6, H/4)
 *     if p >= 2.5 or Sg < Imax / 10, (W/30, H/20) if p > 1 or W + H < 400,
 *     else (W/40, H/30); a last tile narrower than half a window joins the
 *     previous one;
 *  3. a tile with more red than black pixels is split in four;
 *  4. per window: Sa = (Sw - Smin) / (Smax - Smin) Imax over all windows,
 *     T = Mw - Mw^2 Sw / ((Mg + Sw)(2 Sa + Sw)); ink iff g <= T.
 * A window without variation (T undefined) is paper. Parameterless; O(1) per
 * pixel (three passes of integer tile sums). The paper's results could not be
 * reproduced by Doxa either: treat as a baseline. */
#include "classic.h"
#include "db_internal.h"

#include <math.h>
#include <string.h>

/* Tile edges along one axis: tiles of `size`, the last absorbs a short rest. */
static int tile_edges(int n, int size, int *edge)
{
    if (size < 1)
        size = 1;
    int k = 0, start = 0;
    while (start < n) {
        int end = start + size;
        if (end > n || n - end < size / 2)
            end = n;
        edge[k++] = start;
        start = end;
    }
    edge[k] = n;
    return k;
}

typedef struct tile {
    int64_t red, black;
    bool split;
    /* sums of the tile (or of its 4 quarters when split) */
    uint64_t n[4], s[4], q[4];
    double t[4];
} tile;

static int quarter(const tile *t, int x, int y, int x0, int x1, int y0, int y1)
{
    if (!t->split)
        return 0;
    int hx = x0 + (x1 - x0) / 2, hy = y0 + (y1 - y0) / 2;
    return (x >= hx) + 2 * (y >= hy);
}

static int bataineh_run(db_ctx *ctx, const db_image *gray, const double *v, db_image *out)
{
    if (gray->format != DB_GRAY8)
        return db_fail(ctx, DB_EINVAL, "bataineh: input must be gray");
    int w = gray->width, h = gray->height;
    DB_TRY(db_image_ensure(ctx, out, w, h, DB_BIT1));
    /* 1. global statistics */
    uint64_t hist[256];
    db_gray_histogram(gray, hist);
    double n = (double)w * h, sum = 0, sq = 0;
    int imax = 0;
    for (int g = 0; g < 256; g++) {
        sum += (double)g * (double)hist[g];
        sq += (double)g * g * (double)hist[g];
        if (hist[g])
            imax = g;
    }
    double mg = sum / n, sg = sqrt(fmax(sq / n - mg * mg, 0));
    double tc = mg - mg * mg * sg / ((mg + sg) * (0.5 * imax + sg));
    double lo = tc - sg / 2, hi = tc + sg / 2;
    /* 2. black / red counts and the primary window */
    int64_t black = 0, red = 0;
    for (int g = 0; g < 256; g++) {
        if (g <= lo)
            black += (int64_t)hist[g];
        else if (g < hi)
            red += (int64_t)hist[g];
    }
    double p = red ? (double)black / (double)red : INFINITY;
    int tw, th;
    if (p >= 2.5 || sg < 0.1 * imax) {
        tw = w / 6;
        th = h / 4;
    } else if (p > 1 || w + h < 400) {
        tw = w / 30;
        th = h / 20;
    } else {
        tw = w / 40;
        th = h / 30;
    }
    int *ex = db_malloc(ctx, sizeof(int) * ((size_t)w + 1));
    int *ey = db_malloc(ctx, sizeof(int) * ((size_t)h + 1));
    int *col = db_malloc(ctx, sizeof(int) * (size_t)w);
    if (!ex || !ey || !col) {
        db_free(ex);
        db_free(ey);
        db_free(col);
        return DB_ENOMEM;
    }
    int nx = tile_edges(w, tw, ex), ny = tile_edges(h, th, ey);
    tile *tiles = db_calloc(ctx, (size_t)nx * (size_t)ny, sizeof *tiles);
    if (!tiles) {
        db_free(ex);
        db_free(ey);
        db_free(col);
        return DB_ENOMEM;
    }
    for (int i = 0; i < nx; i++)
        for (int x = ex[i]; x < ex[i + 1]; x++)
            col[x] = i;
    /* 3. split tiles where the confused pixels dominate */
    for (int j = 0; j < ny; j++)
        for (int y = ey[j]; y < ey[j + 1]; y++) {
            const uint8_t *r = db_image_row(gray, y);
            tile *trow = tiles + (size_t)j * nx;
            for (int x = 0; x < w; x++) {
                tile *t = &trow[col[x]];
                t->black += r[x] <= lo;
                t->red += r[x] > lo && r[x] < hi;
            }
        }
    for (int i = 0; i < nx * ny; i++)
        tiles[i].split = tiles[i].red > tiles[i].black;
    /* 4. window sums, deviation range, thresholds */
    for (int j = 0; j < ny; j++)
        for (int y = ey[j]; y < ey[j + 1]; y++) {
            const uint8_t *r = db_image_row(gray, y);
            for (int x = 0; x < w; x++) {
                int i = col[x];
                tile *t = &tiles[(size_t)j * nx + i];
                int k = quarter(t, x, y, ex[i], ex[i + 1], ey[j], ey[j + 1]);
                t->n[k]++;
                t->s[k] += r[x];
                t->q[k] += (uint64_t)r[x] * r[x];
            }
        }
    double smin = INFINITY, smax = 0;
    for (int i = 0; i < nx * ny; i++)
        for (int k = 0; k < 4; k++) {
            tile *t = &tiles[i];
            if (!t->n[k])
                continue;
            double m = (double)t->s[k] / t->n[k];
            double sd = sqrt(fmax((double)t->q[k] / t->n[k] - m * m, 0));
            smin = fmin(smin, sd);
            smax = fmax(smax, sd);
            t->t[k] = sd; /* deviation for now, threshold below */
        }
    for (int i = 0; i < nx * ny; i++)
        for (int k = 0; k < 4; k++) {
            tile *t = &tiles[i];
            if (!t->n[k])
                continue;
            double m = (double)t->s[k] / t->n[k], sd = t->t[k];
            double sa = smax > smin ? (sd - smin) / (smax - smin) * imax : 0;
            double den = (mg + sd) * (2 * sa + sd);
            t->t[k] = den > 0 ? m - m * m * sd / den : -1;
        }
    for (int j = 0; j < ny; j++)
        for (int y = ey[j]; y < ey[j + 1]; y++) {
            const uint8_t *r = db_image_row(gray, y);
            uint64_t *bits = (uint64_t *)(void *)db_image_row(out, y);
            memset(bits, 0, ((size_t)w + 63) / 64 * 8);
            for (int x = 0; x < w; x++) {
                int i = col[x];
                const tile *t = &tiles[(size_t)j * nx + i];
                int k = quarter(t, x, y, ex[i], ex[i + 1], ey[j], ey[j + 1]);
                if ((double)r[x] <= t->t[k])
                    bits[x >> 6] |= (uint64_t)1 << (x & 63);
            }
        }
    db_free(tiles);
    db_free(ex);
    db_free(ey);
    db_free(col);
    out->xdpi = gray->xdpi;
    out->ydpi = gray->ydpi;
    return 0;
}

const db_method_info db_bataineh_method = {
    .name = "bataineh",
    .summary = "parameterless thresholds over dynamic fixed windows",
    .reference = "B. Bataineh, S. N. H. S. Abdullah, K. Omar, Pattern Recognition Letters "
                 "32(14), 2011 (as corrected in Doxa)",
    .nparams = 0,
    .params = NULL,
    .run = bataineh_run,
};
