/* threshold.c - the global-threshold machinery shared by Otsu, Kittler and
 * Kapur (the page histogram, the threshold-and-pack pass, both in row bands
 * on the pool) and the fixed-threshold method "threshold:t=N". The SIMD
 * packers are in threshold_avx2.c and threshold_avx512.c; the pickers in
 * otsu.c, kittler.c, kapur.c. */
#include "classic.h"
#include "db_internal.h"

#include <string.h>

/* Eight sub-histograms fed from one 64-bit load: consecutive equal bytes
 * (a page is mostly paper of a few values) land in different tables, so the
 * increments do not wait on each other's store. uint32 counts are flushed
 * every 2^24 pixels per table, long before they could overflow. */
static void histogram_rows(const db_image *gray, int y0, int y1, uint64_t hist[256])
{
    uint32_t h[8][256];
    memset(h, 0, sizeof h);
    memset(hist, 0, 256 * sizeof hist[0]);
    size_t pending = 0;
    for (int y = y0; y < y1; y++) {
        const uint8_t *r = db_image_row(gray, y);
        int x = 0, w = gray->width;
        for (; x + 8 <= w; x += 8) {
            uint64_t v;
            memcpy(&v, r + x, 8);
            h[0][v & 255]++;
            h[1][(v >> 8) & 255]++;
            h[2][(v >> 16) & 255]++;
            h[3][(v >> 24) & 255]++;
            h[4][(v >> 32) & 255]++;
            h[5][(v >> 40) & 255]++;
            h[6][(v >> 48) & 255]++;
            h[7][v >> 56]++;
        }
        for (; x < w; x++)
            h[0][r[x]]++;
        pending += (size_t)w;
        if (pending >= ((size_t)1 << 24) || y == y1 - 1) {
            for (int v = 0; v < 256; v++) {
                uint64_t s = 0;
                for (int k = 0; k < 8; k++)
                    s += h[k][v];
                hist[v] += s;
            }
            memset(h, 0, sizeof h);
            pending = 0;
        }
    }
}

void db_gray_histogram(const db_image *gray, uint64_t hist[256])
{
    histogram_rows(gray, 0, gray->height, hist);
}

void db_threshold_row_ref(const uint8_t *g, int w, int t, uint64_t *bits)
{
    for (int x0 = 0; x0 < w; x0 += 64) {
        int n = w - x0 < 64 ? w - x0 : 64;
        uint64_t b = 0;
        for (int i = 0; i < n; i++)
            b |= (uint64_t)(g[x0 + i] <= t) << i;
        bits[x0 / 64] = b;
    }
}

typedef struct gjob {
    const db_image *gray;
    db_image *out;
    int bands, t;
    uint64_t (*hists)[256];
    void (*row)(const uint8_t *, int, int, uint64_t *);
} gjob;

static void band_rows(const gjob *J, int band, int *y0, int *y1)
{
    *y0 = (int)((int64_t)J->gray->height * band / J->bands);
    *y1 = (int)((int64_t)J->gray->height * (band + 1) / J->bands);
}

static void hist_job(void *arg, int band, int worker)
{
    gjob *J = arg;
    int y0, y1;
    band_rows(J, band, &y0, &y1);
    histogram_rows(J->gray, y0, y1, J->hists[band]);
}

static void thresh_job(void *arg, int band, int worker)
{
    gjob *J = arg;
    int y0, y1;
    band_rows(J, band, &y0, &y1);
    for (int y = y0; y < y1; y++)
        J->row(db_image_row(J->gray, y), J->gray->width, J->t,
               (uint64_t *)(void *)db_image_row(J->out, y));
}

static int bands_for(db_ctx *ctx, const db_image *gray)
{
    int n = db_pool_size(db_ctx_pool(ctx));
    int bands = n == 1 ? 1 : 4 * n;
    if (bands > gray->height / 16)
        bands = gray->height / 16;
    return bands < 1 ? 1 : bands;
}

int db_threshold_global(db_ctx *ctx, const db_image *gray, int t, db_image *out)
{
    if (gray->format != DB_GRAY8)
        return db_fail(ctx, DB_EINVAL, "threshold: input must be gray");
    DB_TRY(db_image_ensure(ctx, out, gray->width, gray->height, DB_BIT1));
    gjob J = {.gray = gray, .out = out, .bands = bands_for(ctx, gray), .t = t,
              .row = db_threshold_row_ref};
#if defined(__x86_64__) || defined(__i386__)
    if (db_ctx_resolved_isa(ctx) == DB_ISA_AVX512)
        J.row = db_threshold_row_avx512;
    else if (db_ctx_resolved_isa(ctx) == DB_ISA_AVX2)
        J.row = db_threshold_row_avx2;
#endif
    db_pool_run(db_ctx_pool(ctx), J.bands, thresh_job, &J);
    out->xdpi = gray->xdpi;
    out->ydpi = gray->ydpi;
    return 0;
}

int db_global_run(db_ctx *ctx, const db_image *gray, int (*pick)(const uint64_t hist[256]),
                  db_image *out)
{
    if (gray->format != DB_GRAY8)
        return db_fail(ctx, DB_EINVAL, "threshold: input must be gray");
    gjob J = {.gray = gray, .bands = bands_for(ctx, gray)};
    uint64_t hist[256];
    if (J.bands == 1) {
        db_gray_histogram(gray, hist);
    } else {
        J.hists = db_malloc(ctx, (size_t)J.bands * sizeof *J.hists);
        if (!J.hists)
            return DB_ENOMEM;
        db_pool_run(db_ctx_pool(ctx), J.bands, hist_job, &J);
        memset(hist, 0, sizeof hist);
        for (int b = 0; b < J.bands; b++)
            for (int v = 0; v < 256; v++)
                hist[v] += J.hists[b][v];
        db_free(J.hists);
    }
    return db_threshold_global(ctx, gray, pick(hist), out);
}

static const db_method_param params[] = {
    {"t", 128, 0, 255, true, "gray level; ink where gray <= t"},
};

static int threshold_run(db_ctx *ctx, const db_image *gray, const double *v, db_image *out)
{
    return db_threshold_global(ctx, gray, (int)v[0], out);
}

const db_method_info db_threshold_method = {
    .name = "threshold",
    .summary = "fixed global threshold: ink where gray <= t",
    .reference = "no paper: the baseline every method is compared with",
    .nparams = 1,
    .params = params,
    .run = threshold_run,
    .strips = &db_strips_pointwise,
};
