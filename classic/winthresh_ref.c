/* winthresh_ref.c - portable row kernels of the mean/variance methods
 * (Niblack, Sauvola, Wolf, NICK, Bradley): one call of the method's *_ink
 * decision (winstat.h) per pixel. They are the specification that the SIMD
 * kernels in winthresh_avx2.c / winthresh_avx512.c must match bit for bit,
 * and the path for wide windows and other CPUs. db_winthresh_select picks. */
#include "winstat.h"

#define SET_BIT(bits, x) ((bits)[(x) >> 6] |= (uint64_t)1 << ((x) & 63))

void db_niblack_row_ref(const void *params, const db_winrow *row, uint64_t *bits, double *acc)
{
    for (int x = 0; x < row->width; x++) {
        int n;
        uint32_t s;
        uint64_t q;
        db_winrow_stats(row, x, &n, &s, &q);
        if (db_niblack_ink(params, row->g[x], n, s, (double)q))
            SET_BIT(bits, x);
    }
}

void db_sauvola_row_ref(const void *params, const db_winrow *row, uint64_t *bits, double *acc)
{
    for (int x = 0; x < row->width; x++) {
        int n;
        uint32_t s;
        uint64_t q;
        db_winrow_stats(row, x, &n, &s, &q);
        if (db_sauvola_ink(params, row->g[x], n, s, (double)q))
            SET_BIT(bits, x);
    }
}

void db_wolf_row_ref(const void *params, const db_winrow *row, uint64_t *bits, double *acc)
{
    for (int x = 0; x < row->width; x++) {
        int n;
        uint32_t s;
        uint64_t q;
        db_winrow_stats(row, x, &n, &s, &q);
        if (db_wolf_ink(params, row->g[x], n, s, (double)q))
            SET_BIT(bits, x);
    }
}

void db_nick_row_ref(const void *params, const db_winrow *row, uint64_t *bits, double *acc)
{
    for (int x = 0; x < row->width; x++) {
        int n;
        uint32_t s;
        uint64_t q;
        db_winrow_stats(row, x, &n, &s, &q);
        if (db_nick_ink(params, row->g[x], n, s, (double)q))
            SET_BIT(bits, x);
    }
}

void db_bradley_row_ref(const void *params, const db_winrow *row, uint64_t *bits, double *acc)
{
    for (int x = 0; x < row->width; x++) {
        int n;
        uint32_t s;
        uint64_t q;
        db_winrow_stats(row, x, &n, &s, &q);
        if (db_bradley_ink(params, row->g[x], n, s))
            SET_BIT(bits, x);
    }
}

void db_wolf_maxvar_row(const void *params, const db_winrow *row, uint64_t *bits, double *acc)
{
    double best = *acc;
    for (int x = 0; x < row->width; x++) {
        int n;
        uint32_t s;
        uint64_t q;
        db_winrow_stats(row, x, &n, &s, &q);
        double v = db_win_exact_var(n, s, q);
        best = v > best ? v : best;
    }
    *acc = best;
}

db_winrow_fn db_winthresh_select(db_isa isa, db_winmethod m, int window)
{
    static const db_winrow_fn table[3][5] = {
        {db_niblack_row_ref, db_sauvola_row_ref, db_wolf_row_ref, db_nick_row_ref,
         db_bradley_row_ref},
        {db_niblack_row_avx2, db_sauvola_row_avx2, db_wolf_row_avx2, db_nick_row_avx2,
         db_bradley_row_avx2},
        {db_niblack_row_avx512, db_sauvola_row_avx512, db_wolf_row_avx512, db_nick_row_avx512,
         db_bradley_row_avx512},
    };
    int i = 0;
#if defined(__x86_64__) || defined(__i386__)
    /* Bradley reads only the window sums, exact for any window */
    if (m == DB_WM_BRADLEY && isa == DB_ISA_AVX512)
        return table[2][m];
#endif
    if (window <= DB_WINDOW_NARROW) {
#if defined(__x86_64__) || defined(__i386__)
        if (isa == DB_ISA_AVX512)
            i = 2;
        else if (isa == DB_ISA_AVX2)
            i = 1;
#endif
    }
    return table[i][m];
}
