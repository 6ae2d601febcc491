/* winstat.h - local-window statistics for the classic methods (internal).
 *
 * Border rule (one for every local method): the window of pixel (x, y) is the
 * square [x-r, x+r] x [y-r, y+r], r = window/2, CLIPPED to the image; every
 * statistic (count, sum, sum of squares, min, max) is over the valid pixels
 * only. So near a border the count n = nx * ny is smaller than window^2.
 *
 * winstat.c runs a page in row bands on the ctx pool. Each band keeps, per
 * column, the sum and sum of squares of the window's rows (updated by one
 * row in and one row out), builds row prefix sums of those, and reads any
 * window sum as a difference of two prefixes: O(1) per pixel whatever the
 * window. Min/max come from a van Herk / Gil-Werman filter, horizontal per
 * row then vertical over a ring of row blocks. Working memory is a few rows
 * per worker, never a page: 16 bytes per column for the sums (24 for windows
 * over 257) plus 2 * window + 4 bytes per column for each of min and max;
 * for a 6000-wide page and window 31, under 0.1 MB per worker for Sauvola.
 *
 * All integer sums are exact; each method's decision (the *_ink functions
 * below) is the specification: the scalar row kernels call it per pixel, the
 * SIMD kernels (winthresh_avx2.c, winthresh_avx512.c) reproduce its double
 * operations in the same order, and the tests compare both against sums
 * computed directly over the window.
 */
#ifndef DB_CLASSIC_WINSTAT_H
#define DB_CLASSIC_WINSTAT_H

#include "docbin.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>

/* Largest window accepted by the local methods: keeps every column sum of
 * squares (65025 * 2047) and n * sum-of-squares below 2^63. */
#define DB_WINDOW_MAX 2047
/* Windows up to this size have window sums of squares below 2^32, so the
 * 32-bit prefix differences (modulo 2^32) are exact (65025 * 257^2 < 2^32). */
#define DB_WINDOW_NARROW 257

/* One output row as the row kernels see it. Window sums over the columns
 * [a, b) of the current window rows are ps[b] - ps[a] (uint32 arithmetic,
 * exact since every window sum < 2^32) and likewise pq (exact only when
 * pq64 is NULL, i.e. window <= DB_WINDOW_NARROW; else use pq64). */
typedef struct db_winrow {
    int y, width, height, r;
    int ny;             /* rows of the window inside the image */
    const uint8_t *g;   /* the row's pixels */
    const uint32_t *ps; /* width + 1 prefixes of the column sums */
    const uint32_t *pq; /* width + 1 prefixes of the column sums of squares (mod 2^32) */
    const uint64_t *pq64; /* exact prefixes of squares, only for wide windows */
    const uint8_t *wmin, *wmax; /* window min / max at each x (when asked for) */
} db_winrow;

/* Clipped window of column x: [x - r, x + r] within [0, width). */
static inline void db_winrow_cols(const db_winrow *w, int x, int *a, int *b)
{
    *a = x - w->r < 0 ? 0 : x - w->r;
    *b = x + w->r + 1 > w->width ? w->width : x + w->r + 1;
}
/* Count, sum and sum of squares of the window of column x. */
static inline void db_winrow_stats(const db_winrow *w, int x, int *n, uint32_t *s, uint64_t *q)
{
    int a, b;
    db_winrow_cols(w, x, &a, &b);
    *n = (b - a) * w->ny;
    *s = w->ps[b] - w->ps[a];
    *q = w->pq64 ? w->pq64[b] - w->pq64[a] : (uint64_t)(uint32_t)(w->pq[b] - w->pq[a]);
}

/* Mean and (population) variance of a window, the common first step of the
 * mean/variance methods. inv = 1.0 / n is passed in so that a caller with a
 * constant n (the SIMD interior) computes it once; the variance is clamped
 * at 0 against rounding. */
static inline void db_win_meanvar(double inv, double s, double q, double *m, double *v)
{
    *m = s * inv;
    double var = q * inv - *m * *m;
    *v = var < 0.0 ? 0.0 : var;
}

/* One step of the running column sums: adds row gin and removes row gout
 * (either may be NULL) to the per-column sums, then writes the row prefix
 * sums ps[0..w] and pq[0..w] (modulo 2^32). The AVX2 / AVX-512 twins
 * (winstat_avx2.c, winstat_avx512.c) give the same integers (exact
 * arithmetic); tests/classic/test_winstat.c runs all three. */
void db_winsum_step_ref(const uint8_t *gin, const uint8_t *gout, uint32_t *col_s,
                        uint32_t *col_q, uint32_t *ps, uint32_t *pq, int w);
void db_winsum_step_avx512(const uint8_t *gin, const uint8_t *gout, uint32_t *col_s,
                           uint32_t *col_q, uint32_t *ps, uint32_t *pq, int w);
void db_winsum_step_avx2(const uint8_t *gin, const uint8_t *gout, uint32_t *col_s,
                         uint32_t *col_q, uint32_t *ps, uint32_t *pq, int w);

/* A row kernel: writes the row's bits (bit x of bits[x / 64] = ink, zero
 * padding) and may fold a value into *acc (a per-band maximum, started at 0). */
typedef void (*db_winrow_fn)(const void *params, const db_winrow *row, uint64_t *bits,
                             double *acc);

enum {
    DB_WIN_SUMS = 1u << 0, /* ps, pq (and pq64) */
    DB_WIN_MIN = 1u << 1,  /* wmin */
    DB_WIN_MAX = 1u << 2,  /* wmax */
};

typedef struct db_winpass {
    const char *who; /* method name, for messages */
    int window;      /* odd, 1..DB_WINDOW_MAX (1 only for tests) */
    unsigned need;   /* DB_WIN_* */
    db_winrow_fn row;
    const void *params;
} db_winpass;

/* Runs pass->row on every row of gray (GRAY8) in bands over the ctx pool.
 * out, when not NULL, is shaped as DB_BIT1 and filled (DPI carried);
 * *acc_max, when not NULL, receives the maximum of the per-band *acc values
 * (0 when none is raised). The output is identical for any pool size and
 * band count. Errors: DB_ENOMEM, DB_EINVAL (bad window), DB_ECANCELED. */
int db_winstat_run(db_ctx *ctx, const db_image *gray, const db_winpass *pass, db_image *out,
                   double *acc_max);
/* Same with an explicit number of bands (tests: band invariance); 0 = auto. */
int db_winstat_run_bands(db_ctx *ctx, const db_image *gray, const db_winpass *pass, int bands,
                         db_image *out, double *acc_max);

/* Checks a window parameter: odd and in [3, DB_WINDOW_MAX]. */
int db_window_check(db_ctx *ctx, const char *who, double window);

/* Minimum and maximum of a GRAY8 image (0/255 for an empty one). */
void db_gray_minmax(const db_image *gray, int *min, int *max);

/* ---- the mean/variance methods: decisions (the specification) ----
 * Each returns true for ink. g is the pixel, n > 0 the window count, s and q
 * the window sum and sum of squares (exact integers held in doubles). The
 * textbook threshold T(m, sd) with m = s / n, sd = sqrt(D) / n and
 * D = n q - s^2 is compared after multiplying both sides by n (or n^2): no
 * division at all, and D is an exact integer (below 2^53 for windows up to
 * about 600), so flat windows (D = 0) and T exactly equal to g behave exactly
 * ("<=": equal is ink). D is clamped at 0 against rounding for huger windows.
 * The SIMD kernels repeat these operations in this order, without FMA. */
static inline double db_win_d(double n, double s, double q)
{
    double d = n * q - s * s;
    return d < 0.0 ? 0.0 : d;
}

/* Niblack: T = m + k sd  <=>  g n <= s + k sqrt(D). */
typedef struct db_niblack_params { double k; } db_niblack_params;
static inline bool db_niblack_ink(const db_niblack_params *p, int g, double n, double s,
                                  double q)
{
    return (double)g * n <= s + p->k * sqrt(db_win_d(n, s, q));
}

/* Sauvola: T = m (1 + k (sd / R - 1)) = m (a + b sd), a = 1 - k, b = k / R
 * <=>  g n^2 <= s (a n + b sqrt(D)). */
typedef struct db_sauvola_params { double a, b; } db_sauvola_params;
static inline db_sauvola_params db_sauvola_params_make(double k, double R)
{
    return (db_sauvola_params){.a = 1.0 - k, .b = k / R};
}
static inline bool db_sauvola_ink(const db_sauvola_params *p, int g, double n, double s,
                                  double q)
{
    return (double)g * n * n <= s * (p->a * n + p->b * sqrt(db_win_d(n, s, q)));
}

/* Wolf-Jolion: T = m - k (1 - sd / Rmax) (m - M), Rmax the largest window
 * standard deviation of the page, M the page minimum; inv_rmax = 1 / Rmax.
 * <=>  g n <= s - k (1 - sqrt(D) (inv_rmax / n)) (s - M n). */
typedef struct db_wolf_params { double k, inv_rmax, mmin; } db_wolf_params;
static inline bool db_wolf_ink(const db_wolf_params *p, int g, double n, double s, double q)
{
    double c = p->inv_rmax / n;
    return (double)g * n <=
           s - p->k * (1.0 - sqrt(db_win_d(n, s, q)) * c) * (s - p->mmin * n);
}

/* NICK: T = m + k sqrt(sum(g^2) / n)  <=>  g n <= s + k sqrt(n q). */
typedef struct db_nick_params { double k; } db_nick_params;
static inline bool db_nick_ink(const db_nick_params *p, int g, double n, double s, double q)
{
    return (double)g * n <= s + p->k * sqrt(n * q);
}

/* Bradley-Roth: ink when g is t percent below the window mean, in integers
 * as in the paper: g * n * 100 <= sum * (100 - t). */
typedef struct db_bradley_params { int t; } db_bradley_params;
static inline bool db_bradley_ink(const db_bradley_params *p, int g, int64_t n, int64_t s)
{
    return (int64_t)g * n * 100 <= s * (100 - p->t);
}

/* Phansalkar: on intensities scaled to [0, 1],
 * T = m (1 + p exp(-q m) + k (s / R - 1)); ink when g / 255 <= T. */
typedef struct db_phansalkar_params { double k, p, q, R; } db_phansalkar_params;
static inline bool db_phansalkar_ink(const db_phansalkar_params *P, int g, double inv, double s,
                                     double q)
{
    double m, v;
    db_win_meanvar(inv, s, q, &m, &v);
    double mn = m / 255.0, sn = sqrt(v) / 255.0;
    return (double)g / 255.0 <= mn * (1.0 + P->p * exp(-P->q * mn) + P->k * (sn / P->R - 1.0));
}

/* T.R. Singh: with d = |g - m| (capped at 254 against the pole),
 * T = m (1 + k (d / (255 - d) - 1)). */
typedef struct db_trsingh_params { double k; } db_trsingh_params;
static inline bool db_trsingh_ink(const db_trsingh_params *P, int g, double inv, double s)
{
    double m = s * inv;
    double d = fabs((double)g - m);
    d = d > 254.0 ? 254.0 : d;
    return (double)g <= m * (1.0 + P->k * (d / (255.0 - d) - 1.0));
}

/* WAN: Sauvola with the mean replaced by (window max + mean) / 2:
 * T = ((max + m) / 2) (a + b s), a = 1 - k, b = k / R. */
static inline bool db_wan_ink(const db_sauvola_params *P, int g, int wmax, double inv, double s,
                              double q)
{
    double m, v;
    db_win_meanvar(inv, s, q, &m, &v);
    return (double)g <= (((double)wmax + m) / 2.0) * (P->a + P->b * sqrt(v));
}

/* Bernsen: contrast c = max - min. When c >= L, ink iff g <= (max + min) / 2
 * (2g <= max + min, exact); else the window is one class, ink iff its
 * mid-gray is dark: max + min < 256 (ImageJ's rule). */
typedef struct db_bernsen_params { int contrast; } db_bernsen_params;
static inline bool db_bernsen_ink(const db_bernsen_params *P, int g, int wmin, int wmax)
{
    if (wmax - wmin >= P->contrast)
        return 2 * g <= wmax + wmin;
    return wmax + wmin < 256;
}

/* ---- SIMD interiors (winthresh_avx2.c / winthresh_avx512.c) ----
 * Same contract as a db_winrow_fn, for windows <= DB_WINDOW_NARROW: they
 * handle the interior columns with vectors and the border columns with the
 * *_ink functions above, so their bits equal the scalar kernels' bits. */
#define DB_WINTHRESH_DECLARE(isa)                                                           \
    void db_niblack_row_##isa(const void *, const db_winrow *, uint64_t *, double *);       \
    void db_sauvola_row_##isa(const void *, const db_winrow *, uint64_t *, double *);       \
    void db_wolf_row_##isa(const void *, const db_winrow *, uint64_t *, double *);          \
    void db_nick_row_##isa(const void *, const db_winrow *, uint64_t *, double *);          \
    void db_bradley_row_##isa(const void *, const db_winrow *, uint64_t *, double *);
DB_WINTHRESH_DECLARE(ref)
DB_WINTHRESH_DECLARE(avx2)
DB_WINTHRESH_DECLARE(avx512)

/* Row kernel of a method for the ctx ISA and window (ref for wide windows). */
typedef enum db_winmethod {
    DB_WM_NIBLACK, DB_WM_SAUVOLA, DB_WM_WOLF, DB_WM_NICK, DB_WM_BRADLEY
} db_winmethod;
db_winrow_fn db_winthresh_select(db_isa isa, db_winmethod m, int window);

/* Window variance from the exact integer numerator n q - s^2 (< 2^63 for
 * windows <= DB_WINDOW_MAX): exactly 0 on flat windows, where the double
 * route of db_win_meanvar may leave a rounding residue. */
static inline double db_win_exact_var(int64_t n, int64_t s, uint64_t q)
{
    return (double)(n * (int64_t)q - s * s) / ((double)n * (double)n);
}
/* Wolf's first pass: *acc = max over the row of db_win_exact_var. */
void db_wolf_maxvar_row(const void *params, const db_winrow *row, uint64_t *bits, double *acc);
void db_wolf_maxvar_row_avx512(const void *params, const db_winrow *row, uint64_t *bits,
                               double *acc);

#endif
