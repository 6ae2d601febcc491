/* adotsu.c - AdOtsu, grid variant: Otsu's threshold of the window around
 * each node of a grid (spacing `step`, default window / 2), bilinearly
 * interpolated between nodes, with the unit step of Moghaddam and Cheriet:
 * where the local threshold strays from the global Otsu threshold Tg by
 * 255 R or more (no text in the window: its own Otsu split is noise), the
 * pixel is paper.  T(x) = k Otsu_local(x); ink iff g <= T and |Tg - T| < 255 R.
 * R. F. Moghaddam, M. Cheriet, "A multi-scale framework for adaptive
 * binarization of degraded document images", Pattern Recognition 43(6),
 * 2010, eq. 5 (single scale); k = 1, R = 0.1 and window 75 as in Doxa's
 * implementation, whose grid interpolation this follows. With step=1 every
 * pixel is a node: the exact per-pixel definition (tests compare the two).
 * Border rule: windows clipped to the page (winstat.h). */
#include "classic.h"
#include "db_internal.h"
#include "winstat.h"

#include <math.h>
#include <string.h>

static const db_method_param params[] = {
    {"window", 75, 3, DB_WINDOW_MAX, true, "window side in pixels (odd)"},
    {"k", 1.0, 0.1, 2, false, "scale of the local Otsu threshold"},
    {"R", 0.1, 0.001, 1, false, "largest |local - global| threshold gap, x255"},
    {"step", 0, 0, 1024, true, "grid spacing in pixels; 0 = window/2"},
};

typedef struct adjob {
    const db_image *gray;
    db_image *out;
    int r, step, gw, gh, bands;
    const int *nx, *ny; /* node coordinates */
    double k, gap, tg;
    double *node_t;
} adjob;

/* Local Otsu threshold of the clipped window around every node of grid row j. */
static void node_row_job(void *arg, int j, int worker)
{
    adjob *J = arg;
    const db_image *g = J->gray;
    int y = J->ny[j];
    int y0 = y - J->r < 0 ? 0 : y - J->r, y1 = y + J->r >= g->height ? g->height - 1 : y + J->r;
    for (int i = 0; i < J->gw; i++) {
        int x = J->nx[i];
        int x0 = x - J->r < 0 ? 0 : x - J->r, x1 = x + J->r >= g->width ? g->width - 1 : x + J->r;
        uint64_t hist[256];
        memset(hist, 0, sizeof hist);
        for (int yy = y0; yy <= y1; yy++) {
            const uint8_t *row = db_image_row(g, yy);
            for (int xx = x0; xx <= x1; xx++)
                hist[row[xx]]++;
        }
        J->node_t[(size_t)j * J->gw + i] = J->k * db_otsu_threshold(hist);
    }
}

/* Grid cell of coordinate v: nodes c[i] <= v <= c[i+1], weight of c[i+1]. */
static void locate(const int *c, int n, int v, int *i, double *f)
{
    int lo = 0;
    while (lo + 1 < n && c[lo + 1] <= v)
        lo++;
    if (lo + 1 >= n) {
        *i = n >= 2 ? n - 2 : 0;
        *f = n >= 2 ? 1.0 : 0.0;
        return;
    }
    *i = lo;
    *f = (double)(v - c[lo]) / (double)(c[lo + 1] - c[lo]);
}

static void pixel_band_job(void *arg, int band, int worker)
{
    adjob *J = arg;
    const db_image *g = J->gray;
    int y0 = (int)((int64_t)g->height * band / J->bands);
    int y1 = (int)((int64_t)g->height * (band + 1) / J->bands);
    for (int y = y0; y < y1; y++) {
        int j;
        double fy;
        locate(J->ny, J->gh, y, &j, &fy);
        int j1 = J->gh > 1 ? j + 1 : j;
        const double *t0 = J->node_t + (size_t)j * J->gw, *t1 = J->node_t + (size_t)j1 * J->gw;
        const uint8_t *row = db_image_row(g, y);
        uint64_t *bits = (uint64_t *)(void *)db_image_row(J->out, y);
        memset(bits, 0, ((size_t)g->width + 63) / 64 * 8);
        int i = 0;
        for (int x = 0; x < g->width; x++) {
            /* nodes are sorted: advance the cell instead of searching */
            while (i + 2 < J->gw && J->nx[i + 1] <= x)
                i++;
            int i1 = J->gw > 1 ? i + 1 : i;
            double fx = J->gw > 1 ? (double)(x - J->nx[i]) / (double)(J->nx[i1] - J->nx[i]) : 0;
            double t = (1.0 - fy) * ((1.0 - fx) * t0[i] + fx * t0[i1]) +
                       fy * ((1.0 - fx) * t1[i] + fx * t1[i1]);
            if (fabs(J->tg - t) < J->gap && (double)row[x] <= t)
                bits[x >> 6] |= (uint64_t)1 << (x & 63);
        }
    }
}

/* Node coordinates 0, step, 2 step, ... and always the last pixel. */
static int make_nodes(int n, int step, int *c)
{
    int k = 0;
    for (int v = 0; v < n; v += step)
        c[k++] = v;
    if (c[k - 1] != n - 1)
        c[k++] = n - 1;
    return k;
}

static int adotsu_run(db_ctx *ctx, const db_image *gray, const double *v, db_image *out)
{
    DB_TRY(db_window_check(ctx, "adotsu", v[0]));
    if (gray->format != DB_GRAY8)
        return db_fail(ctx, DB_EINVAL, "adotsu: input must be gray");
    int window = (int)v[0];
    int step = (int)v[3] > 0 ? (int)v[3] : (window / 2 > 1 ? window / 2 : 1);
    DB_TRY(db_image_ensure(ctx, out, gray->width, gray->height, DB_BIT1));
    uint64_t hist[256];
    db_gray_histogram(gray, hist);
    adjob J = {.gray = gray, .out = out, .r = window / 2, .step = step, .k = v[1],
               .gap = 255.0 * v[2], .tg = db_otsu_threshold(hist)};
    int *nx = db_malloc(ctx, sizeof(int) * ((size_t)gray->width / step + 2));
    int *ny = db_malloc(ctx, sizeof(int) * ((size_t)gray->height / step + 2));
    if (!nx || !ny) {
        db_free(nx);
        db_free(ny);
        return DB_ENOMEM;
    }
    J.gw = make_nodes(gray->width, step, nx);
    J.gh = make_nodes(gray->height, step, ny);
    J.nx = nx;
    J.ny = ny;
    J.node_t = db_malloc(ctx, sizeof(double) * (size_t)J.gw * (size_t)J.gh);
    if (!J.node_t) {
        db_free(nx);
        db_free(ny);
        return DB_ENOMEM;
    }
    db_pool *pool = db_ctx_pool(ctx);
    db_pool_run(pool, J.gh, node_row_job, &J);
    int n = db_pool_size(pool);
    J.bands = n == 1 ? 1 : 4 * n;
    if (J.bands > gray->height)
        J.bands = gray->height;
    db_pool_run(pool, J.bands, pixel_band_job, &J);
    db_free(J.node_t);
    db_free(nx);
    db_free(ny);
    out->xdpi = gray->xdpi;
    out->ydpi = gray->ydpi;
    return 0;
}

const db_method_info db_adotsu_method = {
    .name = "adotsu",
    .summary = "local Otsu on a grid, interpolated, gated by the global Otsu threshold",
    .reference = "R. F. Moghaddam, M. Cheriet, Pattern Recognition 43(6), 2010 "
                 "(k=1, R=0.1, window 75 as in Doxa)",
    .nparams = 4,
    .params = params,
    .run = adotsu_run,
};
