/* gatos.c - Gatos, Pratikakis and Perantonis, "Adaptive degraded document
 * image binarization", Pattern Recognition 39(3), 2006:
 *  1. adaptive Wiener filter over 3x3: I = m + max(v - nu, 0) / max(v, nu)
 *     (Is - m), nu the mean of all local variances (MATLAB wiener2);
 *  2. rough ink S from Sauvola (k = 0.2) on the filtered page (sauvola.c);
 *  3. background surface B = I on paper (S = 0), elsewhere the mean of the
 *     paper pixels of the surrounding (2 glyph + 1)^2 window (maskstat.h);
 *  4. ink where B - I > d(B) = q delta ((1 - p2) / (1 + exp(-4 B / (b (1 - p1))
 *     + 2 (1 + p1) / (1 - p1))) + p2), delta the mean B - I over S, b the mean
 *     B over the paper; q = 0.6, p1 = 0.5, p2 = 0.8;
 *  5. post-processing with n x n windows: shrink (ink with more than
 *     0.9 n^2 paper neighbours goes), swell (paper with more than 0.05 n^2 ink
 *     neighbours centred on it within 0.25 n becomes ink), swell again with
 *     0.35 n^2. The paper's optional 2x bicubic up-sampling is not done: the
 *     output keeps the input's size.
 * Borders: windows are clipped to the image (winstat.h's rule), also for the
 * Wiener filter (wiener2 pads with zeros).
 */
#include "classic.h"
#include "db_internal.h"
#include "maskstat.h"

#include <math.h>
#include <string.h>

enum { P_WINDOW, P_K, P_GLYPH, P_Q, P_P1, P_P2, P_POST, P_COUNT };

/* 3x3 adaptive Wiener filter into out (GRAY8, rounded and clamped). */
static int wiener3(db_ctx *ctx, const db_image *g, db_image *out)
{
    const int w = g->width, h = g->height;
    const size_t n = (size_t)w * h;
    DB_TRY(db_image_ensure(ctx, out, w, h, DB_GRAY8));
    float *mean = db_malloc(ctx, 2 * n * sizeof(float));
    if (!mean)
        return DB_ENOMEM;
    float *var = mean + n;
    double vsum = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int s = 0, q = 0, c = 0;
            for (int dy = -1; dy <= 1; dy++) {
                if (y + dy < 0 || y + dy >= h)
                    continue;
                const uint8_t *r = db_image_row(g, y + dy);
                for (int dx = -1; dx <= 1; dx++)
                    if (x + dx >= 0 && x + dx < w) {
                        s += r[x + dx];
                        q += r[x + dx] * r[x + dx];
                        c++;
                    }
            }
            double m = (double)s / c, v = (double)q / c - m * m;
            mean[(size_t)y * w + x] = (float)m;
            var[(size_t)y * w + x] = (float)(v > 0 ? v : 0);
            vsum += v > 0 ? v : 0;
        }
    const double nu = vsum / (double)n;
    for (int y = 0; y < h; y++) {
        const uint8_t *r = db_image_row(g, y);
        uint8_t *o = db_image_row(out, y);
        for (int x = 0; x < w; x++) {
            double m = mean[(size_t)y * w + x], v = var[(size_t)y * w + x];
            double gain = (v - nu > 0 ? v - nu : 0) / (v > nu ? v : (nu > 0 ? nu : 1));
            double f = m + gain * (r[x] - m);
            o[x] = (uint8_t)(f < 0 ? 0 : f > 255 ? 255 : lrint(f));
        }
    }
    out->xdpi = g->xdpi;
    out->ydpi = g->ydpi;
    db_free(mean);
    return 0;
}

/* Shrink and swell filters of step 5 on ink (w*h bytes), in place. */
static void gatos_post(int w, int h, int nwin, uint8_t *ink, uint8_t *tmp)
{
    const int r = nwin / 2;
    const double area = (double)nwin * nwin;
    for (int pass = 0; pass < 3; pass++) {
        memcpy(tmp, ink, (size_t)w * h);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                int on = tmp[(size_t)y * w + x];
                if (pass == 0 ? !on : on)
                    continue;
                int cnt = 0, paper = 0;
                long sx = 0, sy = 0;
                for (int yy = y - r; yy <= y + r; yy++)
                    for (int xx = x - r; xx <= x + r; xx++) {
                        if (yy == y && xx == x)
                            continue;
                        /* outside the page counts as paper */
                        int v = yy >= 0 && yy < h && xx >= 0 && xx < w && tmp[(size_t)yy * w + xx];
                        if (v) {
                            cnt++;
                            sx += xx;
                            sy += yy;
                        } else {
                            paper++;
                        }
                    }
                if (pass == 0) {
                    if (paper > 0.9 * area)
                        ink[(size_t)y * w + x] = 0;
                } else if (pass == 1) {
                    if (cnt > 0.05 * area && fabs(x - (double)sx / cnt) < 0.25 * nwin &&
                        fabs(y - (double)sy / cnt) < 0.25 * nwin)
                        ink[(size_t)y * w + x] = 1;
                } else if (cnt > 0.35 * area) {
                    ink[(size_t)y * w + x] = 1;
                }
            }
    }
}

static int gatos_run(db_ctx *ctx, const db_image *g, const double *p, db_image *out)
{
    const int w = g->width, h = g->height;
    const size_t n = (size_t)w * h;
    if ((int)p[P_WINDOW] % 2 == 0)
        return db_fail(ctx, DB_EINVAL, "gatos: window %d must be odd", (int)p[P_WINDOW]);
    db_image filt = {0}, rough = {0};
    db_maskstat ms = {0};
    uint8_t *paper = db_malloc(ctx, 3 * n);
    int rc = paper ? wiener3(ctx, g, &filt) : DB_ENOMEM;
    if (rc == 0) {
        const double sp[3] = {p[P_WINDOW], p[P_K], 128};
        rc = db_sauvola_method.run(ctx, &filt, sp, &rough);
    }
    if (rc == 0)
        rc = db_maskstat_alloc(ctx, w, h, &ms);
    if (rc == 0)
        rc = db_image_ensure(ctx, out, w, h, DB_BIT1);
    if (rc == 0) {
        uint8_t *bg = paper + n, *ink = paper + 2 * n;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                paper[(size_t)y * w + x] = !db_bit_get(&rough, x, y);
        db_maskstat_build(&ms, &filt, paper);
        /* background surface, and the sums for delta and b */
        const int rad = (int)p[P_GLYPH];
        double dsum = 0, bsum = 0;
        size_t nink = 0, npaper = 0;
        for (int y = 0; y < h; y++) {
            const uint8_t *fi = db_image_row(&filt, y);
            for (int x = 0; x < w; x++) {
                size_t i = (size_t)y * w + x;
                int b = fi[x];
                if (!paper[i]) {
                    uint32_t cnt, s;
                    uint64_t q;
                    db_maskstat_window(&ms, x, y, rad, &cnt, &s, &q);
                    if (cnt > 0)
                        b = (int)lrint((double)s / cnt);
                    dsum += b - fi[x];
                    nink++;
                } else {
                    bsum += b;
                    npaper++;
                }
                bg[i] = (uint8_t)b;
            }
        }
        const double delta = nink ? dsum / (double)nink : 0;
        const double bavg = npaper ? bsum / (double)npaper : 255;
        const double q = p[P_Q], p1 = p[P_P1], p2 = p[P_P2];
        double thr[256]; /* d(B) for each background level */
        for (int v = 0; v < 256; v++)
            thr[v] = q * delta *
                     ((1 - p2) / (1 + exp(-4.0 * v / (bavg * (1 - p1)) + 2 * (1 + p1) / (1 - p1))) +
                      p2);
        for (int y = 0; y < h; y++) {
            const uint8_t *fi = db_image_row(&filt, y);
            for (int x = 0; x < w; x++) {
                size_t i = (size_t)y * w + x;
                ink[i] = (double)bg[i] - fi[x] > thr[bg[i]];
            }
        }
        if (p[P_POST] > 0)
            gatos_post(w, h, (int)p[P_POST], ink, bg);
        db_image_clear(out);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                if (ink[(size_t)y * w + x])
                    db_bit_set(out, x, y, 1);
    }
    db_maskstat_free(&ms);
    db_image_free(&filt);
    db_image_free(&rough);
    db_free(paper);
    return rc;
}

static const db_method_param gatos_params[P_COUNT] = {
    [P_WINDOW] = {"window", 61, 3, 2047, true, "Sauvola window of the rough estimate (odd)"},
    [P_K] = {"k", 0.2, 0, 1, false, "Sauvola k of the rough estimate"},
    [P_GLYPH] = {"glyph", 30, 1, 1023, true,
                 "background window radius in pixels (should exceed a character)"},
    [P_Q] = {"q", 0.6, 0.01, 10, false, "threshold scale q"},
    [P_P1] = {"p1", 0.5, 0, 0.99, false, "threshold shape p1"},
    [P_P2] = {"p2", 0.8, 0, 1, false, "threshold floor p2 (fraction of q delta)"},
    [P_POST] = {"post", 0, 0, 51, true,
                "shrink/swell window n; 0 = none (n = 5 costs 7 FM points on DIBCO 2009)"},
};

const db_method_info db_gatos_method = {
    .name = "gatos",
    .summary = "Wiener filter, Sauvola estimate, background surface, adaptive threshold",
    .reference = "B. Gatos, I. Pratikakis, S. J. Perantonis, Pattern Recognition 39, 2006 "
                 "(q=0.6 p1=0.5 p2=0.8 k=0.2)",
    .nparams = P_COUNT,
    .params = gatos_params,
    .run = gatos_run,
};
