/* bradley.c - Bradley-Roth: ink where the pixel is t percent darker than its
 * window mean, g <= m (100 - t) / 100, evaluated in integers as in the
 * paper's pseudo-code (g * n * 100 <= sum * (100 - t)); not "mean - C".
 * D. Bradley, G. Roth, "Adaptive thresholding using the integral image",
 * Journal of Graphics Tools 12(2), 2007: t = 15, window = image width / 8.
 * window=0 (the default) selects width / 8, made odd. */
#include "classic.h"
#include "db_internal.h"
#include "winstat.h"

static const db_method_param params[] = {
    {"window", 0, 0, DB_WINDOW_MAX, true, "window side in pixels (odd); 0 = width/8"},
    {"t", 15, 0, 100, true, "percent below the mean that is ink"},
};

static int bradley_run(db_ctx *ctx, const db_image *gray, const double *v, db_image *out)
{
    int window = (int)v[0];
    if (window == 0) {
        window = (gray->width / 8) | 1;
        window = window < 3 ? 3 : window > DB_WINDOW_MAX ? DB_WINDOW_MAX : window;
    }
    DB_TRY(db_window_check(ctx, "bradley", window));
    db_bradley_params p = {.t = (int)v[1]};
    db_winpass pass = {"bradley", window, DB_WIN_SUMS,
                       db_winthresh_select(db_ctx_resolved_isa(ctx), DB_WM_BRADLEY, window), &p};
    return db_winstat_run(ctx, gray, &pass, out, NULL);
}

const db_method_info db_bradley_method = {
    .name = "bradley",
    .summary = "ink when t percent below the window mean (integral-image method)",
    .reference = "D. Bradley, G. Roth, J. Graphics Tools 12(2), 2007 (t=15, window=width/8)",
    .nparams = 2,
    .params = params,
    .run = bradley_run,
    .strips = &db_strips_bradley,
};
