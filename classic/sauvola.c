/* sauvola.c - Sauvola's local threshold T = m (1 + k (s / R - 1)).
 * J. Sauvola, M. Pietikainen, "Adaptive document image binarization",
 * Pattern Recognition 33(2), 2000, eq. 5, with the paper's k = 0.5 and
 * R = 128. The paper ties the window to the text size; 15 is scikit-image's
 * default and suits 300 dpi text.
 * Decision: db_sauvola_ink (winstat.h); kernels in winthresh_*.c. */
#include "classic.h"
#include "db_internal.h"
#include "winstat.h"

static const db_method_param params[] = {
    {"window", 15, 3, DB_WINDOW_MAX, true, "window side in pixels (odd)"},
    {"k", 0.5, 0, 1, false, "sensitivity to the standard deviation"},
    {"R", 128, 1, 255, false, "dynamic range of the standard deviation (gray levels)"},
};

static int sauvola_run(db_ctx *ctx, const db_image *gray, const double *v, db_image *out)
{
    DB_TRY(db_window_check(ctx, "sauvola", v[0]));
    db_sauvola_params p = db_sauvola_params_make(v[1], v[2]);
    db_winpass pass = {"sauvola", (int)v[0], DB_WIN_SUMS,
                       db_winthresh_select(db_ctx_resolved_isa(ctx), DB_WM_SAUVOLA, (int)v[0]),
                       &p};
    return db_winstat_run(ctx, gray, &pass, out, NULL);
}

const db_method_info db_sauvola_method = {
    .name = "sauvola",
    .summary = "local mean scaled by the normalised standard deviation",
    .reference = "J. Sauvola, M. Pietikainen, Pattern Recognition 33(2), 2000 (k=0.5, R=128)",
    .nparams = 3,
    .params = params,
    .run = sauvola_run,
    .strips = &db_strips_window,
};
