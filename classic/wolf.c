/* wolf.c - Wolf-Jolion: T = m - k (1 - s / Rmax) (m - M), where Rmax is the
 * largest window standard deviation on the page and M the page minimum.
 * C. Wolf, J.-M. Jolion, "Extraction and recognition of artificial text in
 * multimedia documents", Pattern Analysis and Applications 6(4), 2003/2004:
 * k = 0.5; window 41 (the 40x40 window, half-width 20, that Wolf's reference
 * code uses for document pages). Two passes: Rmax (a reduction over bands),
 * then the threshold. A page without any variation (Rmax = 0) is all paper. */
#include "classic.h"
#include "db_internal.h"
#include "winstat.h"

#include <math.h>

static const db_method_param params[] = {
    {"window", 41, 3, DB_WINDOW_MAX, true, "window side in pixels (odd)"},
    {"k", 0.5, 0, 1, false, "weight of the contrast term"},
};

static int wolf_run(db_ctx *ctx, const db_image *gray, const double *v, db_image *out)
{
    DB_TRY(db_window_check(ctx, "wolf", v[0]));
    int window = (int)v[0];
    double maxvar;
    bool vec = db_ctx_resolved_isa(ctx) == DB_ISA_AVX512 && window <= DB_WINDOW_NARROW;
    db_winpass scan = {"wolf", window, DB_WIN_SUMS,
                       vec ? db_wolf_maxvar_row_avx512 : db_wolf_maxvar_row, NULL};
    DB_TRY(db_winstat_run(ctx, gray, &scan, NULL, &maxvar));
    if (maxvar <= 0) {
        DB_TRY(db_image_ensure(ctx, out, gray->width, gray->height, DB_BIT1));
        db_image_clear(out);
        return 0;
    }
    int lo, hi;
    db_gray_minmax(gray, &lo, &hi);
    db_wolf_params p = {.k = v[1], .inv_rmax = 1.0 / sqrt(maxvar), .mmin = lo};
    db_winpass pass = {"wolf", window, DB_WIN_SUMS,
                       db_winthresh_select(db_ctx_resolved_isa(ctx), DB_WM_WOLF, window), &p};
    return db_winstat_run(ctx, gray, &pass, out, NULL);
}

const db_method_info db_wolf_method = {
    .name = "wolf",
    .summary = "Sauvola normalised by the page's contrast range (two passes)",
    .reference = "C. Wolf, J.-M. Jolion, Pattern Analysis and Applications 6(4), 2003 "
                 "(k=0.5, 40x40 window of the reference code)",
    .nparams = 2,
    .params = params,
    .run = wolf_run,
    .strips = &db_strips_wolf,
};
