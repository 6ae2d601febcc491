/* resample.c - area-average resize, bilinear probability upsampling and the
 * "global=N" model tag of the stage-3 global network (resample.h). Used by
 * nets/train/dataset.c (training pages), nets/train/trainer.c (validation)
 * and src/pipeline/global_fusion.c (the `gan` method). */
#include "nets/resample.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Source span of output index i (of dn) over sn source samples: the interval
 * [i*sn/dn, (i+1)*sn/dn), its first and one-past-last whole sample. */
static void span(int i, int sn, int dn, double *a, double *b, int *j0, int *j1)
{
    *a = (double)i * sn / dn;
    *b = (double)(i + 1) * sn / dn;
    *j0 = (int)*a;
    int e = (int)*b;
    *j1 = (double)e < *b ? e + 1 : e;
    if (*j1 > sn)
        *j1 = sn;
    if (*j0 >= *j1)
        *j0 = *j1 - 1;
}

/* Overlap of source sample j ([j, j+1)) with [a, b). */
static double overlap(int j, double a, double b)
{
    double lo = a > j ? a : j, hi = b < j + 1 ? b : j + 1;
    return hi > lo ? hi - lo : 0.0;
}

int db_resample_area(db_ctx *ctx, const uint8_t *src, size_t sstride, int sw, int sh,
                     int channels, float *dst, int dw, int dh)
{
    if (!src || !dst || sw < 1 || sh < 1 || dw < 1 || dh < 1 || channels < 1 || channels > 4)
        return db_fail(ctx, DB_EINVAL, "resample: bad size %dx%d -> %dx%d or channels %d", sw,
                       sh, dw, dh, channels);
    size_t n;
    if (!db_mul_size((size_t)sh * (size_t)dw, (size_t)channels * sizeof(float), &n))
        return db_fail(ctx, DB_ETOOBIG, "resample: %dx%d too large", sw, sh);
    float *tmp = db_malloc(ctx, n);
    if (!tmp)
        return DB_ENOMEM;
    const int C = channels;
    /* horizontal: tmp[y][x][c] = mean over the column span */
    for (int y = 0; y < sh; y++) {
        const uint8_t *row = src + (size_t)y * sstride;
        float *o = tmp + (size_t)y * dw * C;
        for (int x = 0; x < dw; x++) {
            double a, b, acc[4] = {0, 0, 0, 0};
            int j0, j1;
            span(x, sw, dw, &a, &b, &j0, &j1);
            for (int j = j0; j < j1; j++) {
                double wt = overlap(j, a, b);
                for (int c = 0; c < C; c++)
                    acc[c] += wt * row[(size_t)j * C + c];
            }
            for (int c = 0; c < C; c++)
                o[(size_t)x * C + c] = (float)(acc[c] / (b - a));
        }
    }
    /* vertical: dst[y][x][c] = mean over the row span of tmp */
    for (int y = 0; y < dh; y++) {
        double a, b;
        int j0, j1;
        span(y, sh, dh, &a, &b, &j0, &j1);
        float *o = dst + (size_t)y * dw * C;
        for (size_t q = 0; q < (size_t)dw * C; q++) {
            double acc = 0;
            for (int j = j0; j < j1; j++)
                acc += overlap(j, a, b) * tmp[(size_t)j * dw * C + q];
            o[q] = (float)(acc / (b - a));
        }
    }
    db_free(tmp);
    return 0;
}

int db_resample_prob_mask(db_ctx *ctx, const float *prob, int nw, int nh, double thr, int w,
                          int h, db_image *mask)
{
    if (!prob || nw < 1 || nh < 1 || w < 1 || h < 1)
        return db_fail(ctx, DB_EINVAL, "resample: bad size %dx%d -> %dx%d", nw, nh, w, h);
    DB_TRY(db_image_ensure(ctx, mask, w, h, DB_BIT1));
    int *x0 = db_malloc(ctx, (size_t)w * sizeof *x0);
    float *fx = db_malloc(ctx, (size_t)w * sizeof *fx);
    if (!x0 || !fx) {
        db_free(x0);
        db_free(fx);
        return DB_ENOMEM;
    }
    /* source coordinate s = (x + 0.5) * n / w - 0.5, clamped to [0, n - 1];
     * x0 = floor(s), weight of x0 + 1 = s - x0 (x0 + 1 clamped too) */
    for (int x = 0; x < w; x++) {
        double s = ((double)x + 0.5) * nw / w - 0.5;
        s = s < 0 ? 0 : s > nw - 1 ? nw - 1 : s;
        x0[x] = (int)s;
        fx[x] = (float)(s - x0[x]);
    }
    const float t = (float)thr;
    for (int y = 0; y < h; y++) {
        double s = ((double)y + 0.5) * nh / h - 0.5;
        s = s < 0 ? 0 : s > nh - 1 ? nh - 1 : s;
        int y0 = (int)s, y1 = y0 + 1 < nh ? y0 + 1 : nh - 1;
        float fy = (float)(s - y0);
        const float *r0 = prob + (size_t)y0 * nw, *r1 = prob + (size_t)y1 * nw;
        uint64_t *row = (uint64_t *)(void *)db_image_row(mask, y);
        memset(row, 0, mask->stride);
        for (int x = 0; x < w; x++) {
            int a = x0[x], b = a + 1 < nw ? a + 1 : nw - 1;
            float top = r0[a] + (r0[b] - r0[a]) * fx[x];
            float bot = r1[a] + (r1[b] - r1[a]) * fx[x];
            float v = top + (bot - top) * fy;
            if (v > t)
                row[x >> 6] |= (uint64_t)1 << (x & 63);
        }
    }
    db_free(x0);
    db_free(fx);
    return 0;
}

int db_graph_global_size(const db_graph *g)
{
    const char *p = strstr(g->name, "global=");
    if (!p)
        return 0;
    char *end;
    long n = strtol(p + 7, &end, 10);
    if (end == p + 7 || n < DB_GLOBAL_MIN || n > DB_GLOBAL_MAX)
        return 0;
    return (int)n;
}
