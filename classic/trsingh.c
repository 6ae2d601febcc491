/* trsingh.c - T.R. Singh et al.: Sauvola's form with the pixel's own mean
 * deviation d = |g - m| in place of the standard deviation, so only the
 * window mean is needed: T = m (1 + k (d / (1 - d) - 1)) on [0, 1] (here on
 * 0..255: d / (255 - d), d capped at 254).
 * T. Romen Singh, S. Roy, O. Imocha Singh, T. Sinam, Kh. Manglem Singh, "A
 * new local adaptive thresholding technique in binarization", IJCSI 8(6),
 * 2011: k in [0, 1]; k = 0.2 and window 15 follow Sauvola's defaults in use
 * (the paper gives no single value). Decision in winstat.h. */
#include "classic.h"
#include "db_internal.h"
#include "winstat.h"

static const db_method_param params[] = {
    {"window", 15, 3, DB_WINDOW_MAX, true, "window side in pixels (odd)"},
    {"k", 0.2, 0, 1, false, "sensitivity to the mean deviation"},
};

static void trsingh_row(const void *pp, const db_winrow *row, uint64_t *bits, double *acc)
{
    for (int x = 0; x < row->width; x++) {
        int n;
        uint32_t s;
        uint64_t q;
        db_winrow_stats(row, x, &n, &s, &q);
        if (db_trsingh_ink(pp, row->g[x], 1.0 / n, s))
            bits[x >> 6] |= (uint64_t)1 << (x & 63);
    }
}

static int trsingh_run(db_ctx *ctx, const db_image *gray, const double *v, db_image *out)
{
    DB_TRY(db_window_check(ctx, "trsingh", v[0]));
    db_trsingh_params p = {.k = v[1]};
    db_winpass pass = {"trsingh", (int)v[0], DB_WIN_SUMS, trsingh_row, &p};
    return db_winstat_run(ctx, gray, &pass, out, NULL);
}

const db_method_info db_trsingh_method = {
    .name = "trsingh",
    .summary = "local mean scaled by the pixel's own mean deviation",
    .reference = "T. R. Singh et al., IJCSI 8(6), 2011 (k=0.2)",
    .nparams = 2,
    .params = params,
    .run = trsingh_run,
    .strips = &db_strips_window,
};
