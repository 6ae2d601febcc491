/* wan.c - WAN: Sauvola with the mean lifted toward the window maximum,
 * T = ((max + m) / 2) (1 + k (s / R - 1)), which keeps faint strokes that
 * Sauvola loses on bright paper.
 * W. A. Mustafa, M. M. M. Abdul Kader, "Binarization of document image using
 * optimum threshold modification", J. Phys.: Conf. Ser. 1019, 2018: k = 0.2,
 * R = 128 (its Sauvola base); window 15 as sauvola here. Window max from the
 * van Herk filter of winstat.c. Decision in winstat.h. */
#include "classic.h"
#include "db_internal.h"
#include "winstat.h"

static const db_method_param params[] = {
    {"window", 15, 3, DB_WINDOW_MAX, true, "window side in pixels (odd)"},
    {"k", 0.2, 0, 1, false, "sensitivity to the standard deviation"},
    {"R", 128, 1, 255, false, "dynamic range of the standard deviation (gray levels)"},
};

static void wan_row(const void *pp, const db_winrow *row, uint64_t *bits, double *acc)
{
    for (int x = 0; x < row->width; x++) {
        int n;
        uint32_t s;
        uint64_t q;
        db_winrow_stats(row, x, &n, &s, &q);
        if (db_wan_ink(pp, row->g[x], row->wmax[x], 1.0 / n, s, (double)q))
            bits[x >> 6] |= (uint64_t)1 << (x & 63);
    }
}

static int wan_run(db_ctx *ctx, const db_image *gray, const double *v, db_image *out)
{
    DB_TRY(db_window_check(ctx, "wan", v[0]));
    db_sauvola_params p = db_sauvola_params_make(v[1], v[2]);
    db_winpass pass = {"wan", (int)v[0], DB_WIN_SUMS | DB_WIN_MAX, wan_row, &p};
    return db_winstat_run(ctx, gray, &pass, out, NULL);
}

const db_method_info db_wan_method = {
    .name = "wan",
    .summary = "Sauvola on the mean of the window maximum and mean",
    .reference = "W. A. Mustafa, M. M. M. Abdul Kader, J. Phys. Conf. Ser. 1019, 2018 "
                 "(k=0.2, R=128)",
    .nparams = 3,
    .params = params,
    .run = wan_run,
    .strips = &db_strips_window,
};
