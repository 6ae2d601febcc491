/* strips.c - what strip mode (src/pipeline/strips.c) needs from the classic
 * methods (db_strip_info, docbin.h "strips"): the window radius of the
 * local-window methods, whose clipped windows make a band with that many
 * rows of context exact; the page histogram for the global thresholds
 * (otsu, kittler, kapur) and wolf's page minimum; wolf's largest window
 * variance as a first-pass reduction. Methods not listed here need the
 * whole page (connected components, grids, global optimisation). */
#include "classic.h"
#include "db_internal.h"
#include "winstat.h"

#include <math.h>

/* window in params[0] */
static int halo_window(const double *v, int width)
{
    (void)width;
    return (int)v[0] / 2;
}

static int halo_none(const double *v, int width)
{
    (void)v;
    (void)width;
    return 0;
}

/* bradley: window 0 means width / 8, made odd and clamped (bradley.c) */
static int halo_bradley(const double *v, int width)
{
    int window = (int)v[0];
    if (window == 0) {
        window = (width / 8) | 1;
        window = window < 3 ? 3 : window > DB_WINDOW_MAX ? DB_WINDOW_MAX : window;
    }
    return window / 2;
}

const db_strip_info db_strips_window = {.halo = halo_window};
const db_strip_info db_strips_bradley = {.halo = halo_bradley};
const db_strip_info db_strips_pointwise = {.halo = halo_none};

/* ---- global thresholds: t from the page histogram, then per band ---- */

#define GLOBAL_BAND(name, pick)                                                               \
    static int name##_band(db_ctx *ctx, const db_image *band, const double *v,               \
                           const db_page_stats *stats, db_image *out)                        \
    {                                                                                         \
        (void)v;                                                                              \
        return db_threshold_global(ctx, band, pick(stats->hist), out);                        \
    }                                                                                         \
    const db_strip_info db_strips_##name = {.halo = halo_none, .hist = true, .run = name##_band};
GLOBAL_BAND(otsu, db_otsu_threshold)
GLOBAL_BAND(kittler, db_kittler_threshold)
GLOBAL_BAND(kapur, db_kapur_threshold)

/* ---- wolf: Rmax and the page minimum first (wolf.c) ---- */

typedef struct wolf_scan_rows {
    int c0, c1;
} wolf_scan_rows;

/* Only the centre rows count: a halo row's window is cut by the band edge. */
static void wolf_scan_row(const void *pp, const db_winrow *row, uint64_t *bits, double *acc)
{
    const wolf_scan_rows *s = pp;
    if (row->y >= s->c0 && row->y < s->c1)
        db_wolf_maxvar_row(NULL, row, bits, acc);
}

static int wolf_scan(db_ctx *ctx, const db_image *band, int c0, int c1, const double *v,
                     double *acc)
{
    DB_TRY(db_window_check(ctx, "wolf", v[0]));
    wolf_scan_rows s = {c0, c1};
    db_winpass scan = {"wolf", (int)v[0], DB_WIN_SUMS, wolf_scan_row, &s};
    double m = 0;
    DB_TRY(db_winstat_run(ctx, band, &scan, NULL, &m));
    if (m > *acc)
        *acc = m;
    return 0;
}

static int wolf_band(db_ctx *ctx, const db_image *band, const double *v,
                     const db_page_stats *stats, db_image *out)
{
    DB_TRY(db_window_check(ctx, "wolf", v[0]));
    int window = (int)v[0];
    if (stats->acc <= 0) { /* no variation on the page: all paper, as wolf.c */
        DB_TRY(db_image_ensure(ctx, out, band->width, band->height, DB_BIT1));
        db_image_clear(out);
        return 0;
    }
    int lo = 0;
    while (lo < 255 && stats->hist[lo] == 0)
        lo++;
    db_wolf_params p = {.k = v[1], .inv_rmax = 1.0 / sqrt(stats->acc), .mmin = lo};
    db_winpass pass = {"wolf", window, DB_WIN_SUMS,
                       db_winthresh_select(db_ctx_resolved_isa(ctx), DB_WM_WOLF, window), &p};
    return db_winstat_run(ctx, band, &pass, out, NULL);
}

const db_strip_info db_strips_wolf = {
    .halo = halo_window, .hist = true, .scan = wolf_scan, .run = wolf_band};
