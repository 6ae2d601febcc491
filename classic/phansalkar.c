/* phansalkar.c - Phansalkar et al.: Sauvola plus an exponential term that
 * lifts the threshold in dark, low-contrast regions:
 * T = m (1 + p exp(-q m) + k (s / R - 1)) on intensities scaled to [0, 1].
 * N. Phansalkar, S. More, A. Sabale, M. Joshi, "Adaptive local thresholding
 * for detection of nuclei in diversely stained cytology images", ICCSP 2011:
 * p = 2, q = 10, k = 0.25, R = 0.5; window 31 (ImageJ Auto Local Threshold's
 * radius 15). Per-pixel exp: portable kernel only. Decision in winstat.h. */
#include "classic.h"
#include "db_internal.h"
#include "winstat.h"

static const db_method_param params[] = {
    {"window", 31, 3, DB_WINDOW_MAX, true, "window side in pixels (odd)"},
    {"k", 0.25, 0, 1, false, "sensitivity to the standard deviation"},
    {"p", 2, 0, 10, false, "weight of the exponential term"},
    {"q", 10, 0, 100, false, "decay of the exponential term (per unit intensity)"},
    {"R", 0.5, 0.01, 1, false, "dynamic range of the standard deviation (0..1 scale)"},
};

static void phansalkar_row(const void *pp, const db_winrow *row, uint64_t *bits, double *acc)
{
    for (int x = 0; x < row->width; x++) {
        int n;
        uint32_t s;
        uint64_t q;
        db_winrow_stats(row, x, &n, &s, &q);
        if (db_phansalkar_ink(pp, row->g[x], 1.0 / n, s, (double)q))
            bits[x >> 6] |= (uint64_t)1 << (x & 63);
    }
}

static int phansalkar_run(db_ctx *ctx, const db_image *gray, const double *v, db_image *out)
{
    DB_TRY(db_window_check(ctx, "phansalkar", v[0]));
    db_phansalkar_params p = {.k = v[1], .p = v[2], .q = v[3], .R = v[4]};
    db_winpass pass = {"phansalkar", (int)v[0], DB_WIN_SUMS, phansalkar_row, &p};
    return db_winstat_run(ctx, gray, &pass, out, NULL);
}

const db_method_info db_phansalkar_method = {
    .name = "phansalkar",
    .summary = "Sauvola with an exponential boost for dark low-contrast areas",
    .reference = "N. Phansalkar et al., ICCSP 2011 (p=2, q=10, k=0.25, R=0.5)",
    .nparams = 5,
    .params = params,
    .run = phansalkar_run,
    .strips = &db_strips_window,
};
