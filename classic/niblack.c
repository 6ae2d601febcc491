/* niblack.c - Niblack's local threshold T = m + k s over a window.
 * W. Niblack, "An Introduction to Digital Image Processing", Prentice Hall,
 * 1986, pp. 115-116: k = -0.2 for dark text; the 15x15 window is the one of
 * Trier & Jain, "Goal-directed evaluation of binarization methods", IEEE
 * PAMI 17(12), 1995. Decision: db_niblack_ink (winstat.h). */
#include "classic.h"
#include "db_internal.h"
#include "winstat.h"

static const db_method_param params[] = {
    {"window", 15, 3, DB_WINDOW_MAX, true, "window side in pixels (odd)"},
    {"k", -0.2, -5, 5, false, "weight of the standard deviation"},
};

static int niblack_run(db_ctx *ctx, const db_image *gray, const double *v, db_image *out)
{
    DB_TRY(db_window_check(ctx, "niblack", v[0]));
    db_niblack_params p = {.k = v[1]};
    db_winpass pass = {"niblack", (int)v[0], DB_WIN_SUMS,
                       db_winthresh_select(db_ctx_resolved_isa(ctx), DB_WM_NIBLACK, (int)v[0]),
                       &p};
    return db_winstat_run(ctx, gray, &pass, out, NULL);
}

const db_method_info db_niblack_method = {
    .name = "niblack",
    .summary = "local mean plus k standard deviations",
    .reference = "W. Niblack, An Introduction to Digital Image Processing, 1986 "
                 "(k=-0.2; 15x15 window as in Trier & Jain, IEEE PAMI 17(12), 1995)",
    .nparams = 2,
    .params = params,
    .run = niblack_run,
    .strips = &db_strips_window,
};
