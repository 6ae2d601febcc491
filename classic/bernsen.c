/* bernsen.c - Bernsen's local contrast threshold: T = (max + min) / 2 over
 * the window where the contrast max - min reaches L; flatter windows are one
 * class, ink when their mid-gray is below 128 (ImageJ's rule).
 * J. Bernsen, "Dynamic thresholding of grey-level images", ICPR 1986;
 * window 31 and L = 15 as in Sezgin & Sankur's survey (J. Electronic
 * Imaging 13(1), 2004). Min/max: van Herk filter (winstat.c), O(1) per pixel.
 * Integer decision (db_bernsen_ink, winstat.h). */
#include "classic.h"
#include "db_internal.h"
#include "winstat.h"

static const db_method_param params[] = {
    {"window", 31, 3, DB_WINDOW_MAX, true, "window side in pixels (odd)"},
    {"contrast", 15, 0, 255, true, "least max - min (gray levels) for a local threshold"},
};

static void bernsen_row(const void *pp, const db_winrow *row, uint64_t *bits, double *acc)
{
    for (int x = 0; x < row->width; x++)
        if (db_bernsen_ink(pp, row->g[x], row->wmin[x], row->wmax[x]))
            bits[x >> 6] |= (uint64_t)1 << (x & 63);
}

static int bernsen_run(db_ctx *ctx, const db_image *gray, const double *v, db_image *out)
{
    DB_TRY(db_window_check(ctx, "bernsen", v[0]));
    db_bernsen_params p = {.contrast = (int)v[1]};
    db_winpass pass = {"bernsen", (int)v[0], DB_WIN_MIN | DB_WIN_MAX, bernsen_row, &p};
    return db_winstat_run(ctx, gray, &pass, out, NULL);
}

const db_method_info db_bernsen_method = {
    .name = "bernsen",
    .summary = "local mid-range threshold where the window has contrast",
    .reference = "J. Bernsen, ICPR 1986 (window 31, contrast 15 as in Sezgin & Sankur 2004)",
    .nparams = 2,
    .params = params,
    .run = bernsen_run,
    .strips = &db_strips_window,
};
