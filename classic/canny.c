/* canny.c - Canny edges as MATLAB's edge(I,'canny_old') computes them (see
 * canny.h). J. Canny, "A computational approach to edge detection", IEEE PAMI
 * 8(6), 1986; thinning: L. Lam, S.-W. Lee, C. Y. Suen, "Thinning
 * methodologies - a comprehensive survey", IEEE PAMI 14(9), 1992, p. 879.
 * Users: howe.c (fixed thresholds), su.c (automatic thresholds).
 */
#include "canny.h"

#include <math.h>
#include <string.h>

size_t db_canny_scratch_floats(int w, int h) { return (size_t)4 * (size_t)w * (size_t)h; }

static inline int clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

/* out = in convolved along rows (dir 0) or columns (dir 1) with k[-r..r]
 * (k points at the centre tap), replicate border. Kernels here are either
 * even (Gaussian) or written in correlation form by the caller. */
static void filter_1d(const float *in, int w, int h, const float *k, int r, int dir, float *out)
{
    if (dir == 0) {
        for (int y = 0; y < h; y++) {
            const float *row = in + (size_t)y * w;
            float *o = out + (size_t)y * w;
            for (int x = 0; x < w; x++) {
                float s = 0;
                for (int t = -r; t <= r; t++)
                    s += k[t] * row[clampi(x + t, 0, w - 1)];
                o[x] = s;
            }
        }
    } else {
        for (int y = 0; y < h; y++) {
            float *o = out + (size_t)y * w;
            for (int x = 0; x < w; x++)
                o[x] = 0;
            for (int t = -r; t <= r; t++) {
                const float *row = in + (size_t)clampi(y + t, 0, h - 1) * w;
                float kt = k[t];
                for (int x = 0; x < w; x++)
                    o[x] += kt * row[x];
            }
        }
    }
}

void db_canny_gradient(const db_image *gray, double sigma, float *scratch, float *mag,
                       uint8_t *maxima)
{
    const int w = gray->width, h = gray->height;
    const size_t n = (size_t)w * h;
    float *a = scratch, *t = scratch + n, *ax = scratch + 2 * n, *ay = scratch + 3 * n;

    /* Filter width: the last of 1..30 where the Gaussian is above 1e-4. */
    double ssq = sigma * sigma;
    int r = 1;
    for (int pw = 1; pw <= 30; pw++)
        if (exp(-(double)(pw * pw) / (2 * ssq)) > 0.0001)
            r = pw;
    float gbuf[61], dbuf[61];
    float *g = gbuf + 30, *dg = dbuf + 30;
    for (int i = -r; i <= r; i++) {
        g[i] = (float)(exp(-(double)(i * i) / (2 * ssq)) / (2 * M_PI * ssq));
        /* dgau2D = -x exp(-(x^2+y^2)/2s^2)/(pi s^2) applied as a convolution is
         * a correlation with +x: the x factor here, exp(-y^2/2s^2) below. */
        dg[i] = (float)(i * exp(-(double)(i * i) / (2 * ssq)) / (M_PI * ssq));
    }
    float e[61];
    float *ev = e + 30;
    for (int i = -r; i <= r; i++)
        ev[i] = (float)exp(-(double)(i * i) / (2 * ssq));

    for (int y = 0; y < h; y++) {
        const uint8_t *row = db_image_row(gray, y);
        for (int x = 0; x < w; x++)
            a[(size_t)y * w + x] = row[x] * (1.0f / 255.0f);
    }
    filter_1d(a, w, h, g, r, 0, t);
    filter_1d(t, w, h, g, r, 1, a); /* a = smoothed image */
    filter_1d(a, w, h, ev, r, 1, t);
    filter_1d(t, w, h, dg, r, 0, ax);
    filter_1d(a, w, h, ev, r, 0, t);
    filter_1d(t, w, h, dg, r, 1, ay);

    float mmax = 0;
    for (size_t i = 0; i < n; i++) {
        mag[i] = sqrtf(ax[i] * ax[i] + ay[i] * ay[i]);
        if (mag[i] > mmax)
            mmax = mag[i];
    }
    if (mmax > 0)
        for (size_t i = 0; i < n; i++)
            mag[i] /= mmax;

    /* Non-maximum suppression: four direction sectors, the magnitude on each
     * side interpolated between two neighbours (MATLAB cannyFindLocalMaxima,
     * its column-major offsets written as (dy, dx)). Border pixels excluded. */
    memset(maxima, 0, n);
    for (int y = 1; y + 1 < h; y++) {
        for (int x = 1; x + 1 < w; x++) {
            size_t i = (size_t)y * w + x;
            float ix = ax[i], iy = ay[i], m = mag[i];
#define M(dy, dx) mag[(size_t)(y + (dy)) * w + (x + (dx))]
            int is_max = 0;
            if ((iy <= 0 && ix > -iy) || (iy >= 0 && ix < -iy)) {
                float d = fabsf(iy / ix);
                float g1 = M(0, 1) * (1 - d) + M(-1, 1) * d;
                float g2 = M(0, -1) * (1 - d) + M(1, -1) * d;
                is_max |= m >= g1 && m >= g2;
            }
            if ((ix > 0 && -iy >= ix) || (ix < 0 && -iy <= ix)) {
                float d = fabsf(ix / iy);
                float g1 = M(-1, 0) * (1 - d) + M(-1, 1) * d;
                float g2 = M(1, 0) * (1 - d) + M(1, -1) * d;
                is_max |= m >= g1 && m >= g2;
            }
            if ((ix <= 0 && ix > iy) || (ix >= 0 && ix < iy)) {
                float d = fabsf(ix / iy);
                float g1 = M(-1, 0) * (1 - d) + M(-1, -1) * d;
                float g2 = M(1, 0) * (1 - d) + M(1, 1) * d;
                is_max |= m >= g1 && m >= g2;
            }
            if ((iy < 0 && ix <= iy) || (iy > 0 && ix >= iy)) {
                float d = fabsf(iy / ix);
                float g1 = M(0, -1) * (1 - d) + M(-1, -1) * d;
                float g2 = M(0, 1) * (1 - d) + M(1, 1) * d;
                is_max |= m >= g1 && m >= g2;
            }
#undef M
            maxima[i] = (uint8_t)is_max;
        }
    }
}

/* Lam-Lee-Suen deletion tables for the two sub-iterations, indexed by the
 * 8 neighbours x1..x8 (E, NE, N, NW, W, SW, S, SE) as bits 0..7. */
static void thin_tables(uint8_t del[2][256])
{
    for (int m = 0; m < 256; m++) {
        int xb[10];
        for (int k = 1; k <= 8; k++)
            xb[k] = (m >> (k - 1)) & 1;
        xb[9] = xb[1];
        int xh = 0, n1 = 0, n2 = 0;
        for (int i = 1; i <= 4; i++) {
            xh += !xb[2 * i - 1] && (xb[2 * i] || xb[2 * i + 1]);
            n1 += xb[2 * i - 1] || xb[2 * i];
            n2 += xb[2 * i] || xb[2 * i + 1];
        }
        int mn = n1 < n2 ? n1 : n2;
        int g12 = xh == 1 && mn >= 2 && mn <= 3;
        del[0][m] = (uint8_t)(g12 && ((xb[2] || xb[3] || !xb[8]) && xb[1]) == 0);
        del[1][m] = (uint8_t)(g12 && ((xb[6] || xb[7] || !xb[4]) && xb[5]) == 0);
    }
}

static void thin_once(int w, int h, uint8_t *e, uint8_t *mark)
{
    uint8_t del[2][256];
    thin_tables(del);
    for (int pass = 0; pass < 2; pass++) {
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                size_t i = (size_t)y * w + x;
                mark[i] = 0;
                if (!e[i])
                    continue;
#define P(dy, dx)                                                                              \
    ((unsigned)(y + (dy) >= 0 && y + (dy) < h && x + (dx) >= 0 && x + (dx) < w &&             \
                e[(size_t)(y + (dy)) * w + (x + (dx))] != 0))
                unsigned m = P(0, 1) | P(-1, 1) << 1 | P(-1, 0) << 2 | P(-1, -1) << 3 |
                             P(0, -1) << 4 | P(1, -1) << 5 | P(1, 0) << 6 | P(1, 1) << 7;
#undef P
                mark[i] = del[pass][m];
            }
        }
        for (size_t i = 0; i < (size_t)w * h; i++)
            if (mark[i])
                e[i] = 0;
    }
}

void db_canny_edges(int w, int h, const float *mag, const uint8_t *maxima, double tlo,
                    double thi, bool thin, int32_t *stack, uint8_t *edges)
{
    const size_t n = (size_t)w * h;
    const float lo = (float)tlo, hi = (float)thi;
    /* edges: 0 = no, 2 = weak candidate, 1 = accepted */
    for (size_t i = 0; i < n; i++)
        edges[i] = maxima[i] && mag[i] > lo ? 2 : 0;
    for (size_t s = 0; s < n; s++) {
        if (edges[s] != 2 || !(mag[s] > hi))
            continue;
        int32_t top = 0;
        edges[s] = 1;
        stack[top++] = (int32_t)s;
        while (top > 0) {
            int32_t i = stack[--top];
            int y = i / w, x = i % w;
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    int yy = y + dy, xx = x + dx;
                    if (yy < 0 || yy >= h || xx < 0 || xx >= w)
                        continue;
                    size_t j = (size_t)yy * w + xx;
                    if (edges[j] == 2) {
                        edges[j] = 1;
                        stack[top++] = (int32_t)j;
                    }
                }
        }
    }
    for (size_t i = 0; i < n; i++)
        edges[i] = edges[i] == 1;
    if (thin)
        thin_once(w, h, edges, (uint8_t *)stack); /* stack is free now: w*h bytes of marks */
}

void db_canny_auto_thresholds(int w, int h, const float *mag, double *tlo, double *thi)
{
    /* imhist(mag, 64): bin k holds values nearest k/63. */
    size_t counts[64] = {0};
    size_t n = (size_t)w * h;
    for (size_t i = 0; i < n; i++) {
        int b = (int)lrintf(mag[i] * 63.0f);
        counts[clampi(b, 0, 63)]++;
    }
    size_t cum = 0;
    int k = 63;
    for (int b = 0; b < 64; b++) {
        cum += counts[b];
        if ((double)cum > 0.7 * (double)n) {
            k = b;
            break;
        }
    }
    *thi = (k + 1) / 64.0;
    *tlo = 0.4 * *thi;
}
