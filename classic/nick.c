/* nick.c - NICK: T = m + k sqrt(sum(g^2) / n), i.e. m + k sqrt(s^2 + m^2).
 * K. Khurshid, I. Siddiqi, C. Faure, N. Vincent, "Comparison of Niblack
 * inspired binarization methods for ancient documents", DRR XVI, SPIE 7247,
 * 2009: k in [-0.2, -0.1]; k = -0.2 and the 15x15 window are the defaults of
 * J. Motl's reference implementation (MATLAB File Exchange 42104). The paper
 * writes sqrt((sum g^2 - m^2) / n); the m^2 / n term is
 * below a gray level's rounding and dropped, as in Motl's reference code.
 * Decision: db_nick_ink (winstat.h). */
#include "classic.h"
#include "db_internal.h"
#include "winstat.h"

static const db_method_param params[] = {
    {"window", 15, 3, DB_WINDOW_MAX, true, "window side in pixels (odd)"},
    {"k", -0.2, -1, 1, false, "weight of the root mean square"},
};

static int nick_run(db_ctx *ctx, const db_image *gray, const double *v, db_image *out)
{
    DB_TRY(db_window_check(ctx, "nick", v[0]));
    db_nick_params p = {.k = v[1]};
    db_winpass pass = {"nick", (int)v[0], DB_WIN_SUMS,
                       db_winthresh_select(db_ctx_resolved_isa(ctx), DB_WM_NICK, (int)v[0]), &p};
    return db_winstat_run(ctx, gray, &pass, out, NULL);
}

const db_method_info db_nick_method = {
    .name = "nick",
    .summary = "Niblack with the root mean square instead of the deviation",
    .reference = "K. Khurshid et al., DRR XVI, SPIE 7247, 2009 (k=-0.2, 15x15 as in Motl's nick.m)",
    .nparams = 2,
    .params = params,
    .run = nick_run,
    .strips = &db_strips_window,
};
