/* test_winstat.c - the window-statistics engine (classic/winstat.c) and the
 * mean/variance row kernels (winthresh_*.c) against a naive O(window^2)
 * reference written here: every window count, sum, sum of squares, min and
 * max, and every method decision, on random images of odd shapes, for every
 * ISA the CPU has, for several band counts and pool sizes. */
#include "test_util.h"

#include "classic/classic.h"
#include "classic/winstat.h"
#include "db_internal.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* ---- naive reference: the border rule spelled out ---- */

typedef struct naive {
    int n, min, max;
    uint64_t s, q;
} naive;

static naive naive_at(const db_image *g, int x, int y, int window)
{
    int r = window / 2;
    naive o = {0, 255, 0, 0, 0};
    int y0 = y - r < 0 ? 0 : y - r, y1 = y + r >= g->height ? g->height - 1 : y + r;
    int x0 = x - r < 0 ? 0 : x - r, x1 = x + r >= g->width ? g->width - 1 : x + r;
    for (int yy = y0; yy <= y1; yy++) {
        for (int xx = x0; xx <= x1; xx++) {
            int v = db_image_row(g, yy)[xx];
            o.n++;
            o.s += (uint64_t)v;
            o.q += (uint64_t)v * (uint64_t)v;
            o.min = v < o.min ? v : o.min;
            o.max = v > o.max ? v : o.max;
        }
    }
    return o;
}

/* All windows of an image, computed once per (image, window). */
static naive *naive_table(const db_image *g, int window)
{
    naive *t = malloc(sizeof *t * (size_t)g->width * (size_t)g->height);
    assert_non_null(t);
    for (int y = 0; y < g->height; y++)
        for (int x = 0; x < g->width; x++)
            t[(size_t)y * g->width + x] = naive_at(g, x, y, window);
    return t;
}

/* ---- a row kernel that checks the engine's statistics ---- */

typedef struct check {
    const db_image *gray;
    int window;
    atomic_long bad, seen;
} check;

static void check_row(const void *params, const db_winrow *row, uint64_t *bits, double *acc)
{
    check *c = (check *)(uintptr_t)params;
    long bad = 0;
    for (int x = 0; x < row->width; x++) {
        naive e = naive_at(c->gray, x, row->y, c->window);
        int n;
        uint32_t s;
        uint64_t q;
        db_winrow_stats(row, x, &n, &s, &q);
        bad += n != e.n || s != e.s || q != e.q;
        bad += row->wmin[x] != e.min || row->wmax[x] != e.max;
        /* the kernel's own bits: set ink where x is odd, to check packing */
        if (x & 1)
            bits[x >> 6] |= (uint64_t)1 << (x & 63);
    }
    atomic_fetch_add(&c->bad, bad);
    atomic_fetch_add(&c->seen, row->width);
    *acc = row->y > *acc ? row->y : *acc;
}

static db_image random_gray(uint64_t *rng, int w, int h)
{
    db_image img = {0};
    db_ctx *ctx;
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    assert_int_equal(db_image_ensure(ctx, &img, w, h, DB_GRAY8), 0);
    db_ctx_free(ctx);
    /* Random bytes, half the rows smoothed into low-contrast runs so that
     * the methods see both flat and busy windows. */
    tu_fill_random(&img, rng);
    for (int y = 0; y < h; y += 2) {
        uint8_t *r = db_image_row(&img, y);
        int base = tu_rand_range(rng, 0, 255);
        for (int x = 0; x < w; x++)
            r[x] = (uint8_t)(base + (r[x] & 7) > 255 ? 255 : base + (r[x] & 7));
    }
    return img;
}

static const int shapes[][2] = {{1, 1}, {1, 40}, {40, 1}, {63, 7}, {64, 9}, {65, 13},
                                {130, 5}, {7, 66}, {200, 31}};
static const int windows[] = {1, 3, 5, 15, 31, 65, 301};

static void test_engine_stats_match_naive_for_all_shapes_windows_bands(void **state)
{
    uint64_t rng = tu_seed();
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        db_image g = random_gray(&rng, shapes[si][0], shapes[si][1]);
        for (size_t wi = 0; wi < sizeof windows / sizeof windows[0]; wi++) {
            for (int bands = 1; bands <= 4; bands++) {
                /* bands 1-2 on the portable column sums, 3 on AVX2, 4 on the
                 * best ISA (each when the CPU has it) */
                db_ctx *ctx;
                assert_int_equal(db_ctx_create(NULL, &ctx), 0);
                if (bands <= 2)
                    assert_int_equal(db_ctx_set_isa(ctx, DB_ISA_REF), 0);
                else if (bands == 3 && db_cpu_supports(DB_ISA_AVX2))
                    assert_int_equal(db_ctx_set_isa(ctx, DB_ISA_AVX2), 0);
                check c = {.gray = &g, .window = windows[wi]};
                atomic_init(&c.bad, 0);
                atomic_init(&c.seen, 0);
                db_winpass pass = {"test", windows[wi], DB_WIN_SUMS | DB_WIN_MIN | DB_WIN_MAX,
                                   check_row, &c};
                db_image out = {0};
                double acc = -1;
                assert_int_equal(db_winstat_run_bands(ctx, &g, &pass, bands, &out, &acc), 0);
                if (atomic_load(&c.bad) != 0)
                    print_error("shape %dx%d window %d bands %d: %ld bad\n", g.width, g.height,
                                windows[wi], bands, atomic_load(&c.bad));
                assert_int_equal(atomic_load(&c.bad), 0);
                assert_int_equal(atomic_load(&c.seen), (long)g.width * g.height);
                assert_true(acc == g.height - 1);
                for (int y = 0; y < g.height; y++)
                    for (int x = 0; x < g.width; x++)
                        assert_int_equal(db_bit_get(&out, x, y), x & 1);
                /* padding bits stay zero */
                if (g.width % 64) {
                    const uint64_t *last =
                        (const uint64_t *)(const void *)db_image_row(&out, g.height - 1);
                    assert_int_equal(last[g.width / 64] >> (g.width % 64), 0);
                }
                db_image_free(&out);
                db_ctx_free(ctx);
            }
        }
        db_image_free(&g);
    }
}

/* ---- method decisions against the naive statistics ---- */

typedef struct mcase {
    db_winmethod m;
    const void *params;
} mcase;

static bool naive_decide(const mcase *mc, int g, naive e)
{
    double n = e.n;
    switch (mc->m) {
    case DB_WM_NIBLACK:
        return db_niblack_ink(mc->params, g, n, (double)e.s, (double)e.q);
    case DB_WM_SAUVOLA:
        return db_sauvola_ink(mc->params, g, n, (double)e.s, (double)e.q);
    case DB_WM_WOLF:
        return db_wolf_ink(mc->params, g, n, (double)e.s, (double)e.q);
    case DB_WM_NICK:
        return db_nick_ink(mc->params, g, n, (double)e.s, (double)e.q);
    default:
        return db_bradley_ink(mc->params, g, e.n, (int64_t)e.s);
    }
}

static long count_diff_vs_naive(const db_image *g, const db_image *out, const mcase *mc,
                                const naive *tab)
{
    long diff = 0;
    for (int y = 0; y < g->height; y++)
        for (int x = 0; x < g->width; x++) {
            naive e = tab[(size_t)y * g->width + x];
            diff += naive_decide(mc, db_image_row(g, y)[x], e) != db_bit_get(out, x, y);
        }
    return diff;
}

static void test_mean_variance_kernels_match_naive_on_every_isa(void **state)
{
    uint64_t rng = tu_seed();
    db_niblack_params nib = {.k = -0.2};
    db_sauvola_params sau = db_sauvola_params_make(0.5, 128);
    db_sauvola_params sau2 = db_sauvola_params_make(0.2, 100);
    db_wolf_params wolf = {.k = 0.5, .inv_rmax = 1.0 / 37.5, .mmin = 3};
    db_nick_params nick = {.k = -0.1};
    db_bradley_params brad = {.t = 15};
    const mcase cases[] = {{DB_WM_NIBLACK, &nib}, {DB_WM_SAUVOLA, &sau}, {DB_WM_SAUVOLA, &sau2},
                           {DB_WM_WOLF, &wolf},   {DB_WM_NICK, &nick},   {DB_WM_BRADLEY, &brad}};
    const db_isa isas[] = {DB_ISA_REF, DB_ISA_AVX2, DB_ISA_AVX512};
    static const int wins[] = {3, 5, 15, 31, 65, 259};
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        db_image g = random_gray(&rng, shapes[si][0], shapes[si][1]);
        for (size_t wi = 0; wi < sizeof wins / sizeof wins[0]; wi++) {
            naive *tab = naive_table(&g, wins[wi]);
            for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
                for (size_t ii = 0; ii < 3; ii++) {
                    if (!db_cpu_supports(isas[ii]))
                        continue;
                    db_ctx *ctx;
                    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
                    db_winpass pass = {"test", wins[wi], DB_WIN_SUMS,
                                       db_winthresh_select(isas[ii], cases[ci].m, wins[wi]),
                                       cases[ci].params};
                    db_image out = {0};
                    assert_int_equal(db_winstat_run_bands(ctx, &g, &pass, 1 + (int)ii, &out,
                                                          NULL),
                                     0);
                    long d = count_diff_vs_naive(&g, &out, &cases[ci], tab);
                    if (d)
                        print_error("%dx%d window %d method %d isa %s: %ld pixels differ\n",
                                    g.width, g.height, wins[wi], (int)cases[ci].m,
                                    db_isa_name(isas[ii]), d);
                    assert_int_equal(d, 0);
                    db_image_free(&out);
                    db_ctx_free(ctx);
                }
            }
            free(tab);
        }
        db_image_free(&g);
    }
}

/* The *_ink decisions evaluate the textbook formulas in a fixed double
 * order. Against the same formulas in long double, a decision may differ
 * only where |g - T| < 1e-9 gray levels (stated tolerance); count the
 * pixels outside that band that differ: must be 0. */
static void test_decisions_agree_with_textbook_formulas_in_long_double(void **state)
{
    uint64_t rng = tu_seed();
    db_image g = random_gray(&rng, 300, 200);
    const int window = 15;
    const double k = 0.5, R = 128;
    db_sauvola_params sau = db_sauvola_params_make(k, R);
    db_niblack_params nib = {.k = -0.2};
    db_nick_params nick = {.k = -0.2};
    long outside = 0, near = 0;
    for (int y = 0; y < g.height; y++)
        for (int x = 0; x < g.width; x++) {
            naive e = naive_at(&g, x, y, window);
            int v = db_image_row(&g, y)[x];
            long double m = (long double)e.s / e.n;
            long double var = ((long double)e.n * e.q - (long double)e.s * e.s) /
                              ((long double)e.n * e.n);
            long double sd = sqrtl(var);
            long double t[3] = {m * (1 + k * (sd / R - 1)), m - 0.2L * sd,
                                m - 0.2L * sqrtl((long double)e.q / e.n)};
            bool got[3] = {db_sauvola_ink(&sau, v, e.n, (double)e.s, (double)e.q),
                           db_niblack_ink(&nib, v, e.n, (double)e.s, (double)e.q),
                           db_nick_ink(&nick, v, e.n, (double)e.s, (double)e.q)};
            for (int i = 0; i < 3; i++) {
                bool want = v <= t[i];
                if (want != got[i]) {
                    if (fabsl(v - t[i]) < 1e-9L)
                        near++;
                    else
                        outside++;
                }
            }
        }
    print_message("textbook vs spec: %ld differ outside 1e-9, %ld within\n", outside, near);
    assert_int_equal(outside, 0);
    db_image_free(&g);
}

static void test_output_identical_for_any_pool_size(void **state)
{
    uint64_t rng = tu_seed();
    db_image g = random_gray(&rng, 333, 517);
    db_sauvola_params sau = db_sauvola_params_make(0.5, 128);
    db_image ref = {0};
    for (int threads = 1; threads <= 3; threads++) {
        db_pool *pool = NULL;
        if (threads > 1)
            assert_int_equal(db_pool_create(threads, &pool), 0);
        db_ctx *ctx;
        assert_int_equal(db_ctx_create(pool, &ctx), 0);
        for (int bands = 0; bands <= 9; bands += 3) {
            db_winpass pass = {"test", 31, DB_WIN_SUMS,
                               db_winthresh_select(db_ctx_resolved_isa(ctx), DB_WM_SAUVOLA, 31),
                               &sau};
            db_image out = {0};
            assert_int_equal(db_winstat_run_bands(ctx, &g, &pass, bands, &out, NULL), 0);
            if (!ref.data) {
                assert_int_equal(db_image_copy(ctx, &out, &ref), 0);
            } else {
                for (int y = 0; y < g.height; y++)
                    assert_memory_equal(db_image_row(&out, y), db_image_row(&ref, y),
                                        db_format_row_bytes(DB_BIT1, g.width));
            }
            db_image_free(&out);
        }
        db_ctx_free(ctx);
        db_pool_free(pool);
    }
    db_image_free(&ref);
    db_image_free(&g);
}

/* The methods with scalar-only kernels, run through their db_method_info
 * (window, parameter wiring) against the naive statistics. */
static bool naive_method(const char *name, const double *v, int g, naive e)
{
    double inv = 1.0 / e.n;
    if (strcmp(name, "phansalkar") == 0) {
        db_phansalkar_params p = {.k = v[1], .p = v[2], .q = v[3], .R = v[4]};
        return db_phansalkar_ink(&p, g, inv, (double)e.s, (double)e.q);
    }
    if (strcmp(name, "trsingh") == 0) {
        db_trsingh_params p = {.k = v[1]};
        return db_trsingh_ink(&p, g, inv, (double)e.s);
    }
    if (strcmp(name, "wan") == 0) {
        db_sauvola_params p = db_sauvola_params_make(v[1], v[2]);
        return db_wan_ink(&p, g, e.max, inv, (double)e.s, (double)e.q);
    }
    if (strcmp(name, "bernsen") == 0) {
        db_bernsen_params p = {.contrast = (int)v[1]};
        return db_bernsen_ink(&p, g, e.min, e.max);
    }
    if (strcmp(name, "sauvola") == 0) {
        db_sauvola_params p = db_sauvola_params_make(v[1], v[2]);
        return db_sauvola_ink(&p, g, e.n, (double)e.s, (double)e.q);
    }
    if (strcmp(name, "niblack") == 0) {
        db_niblack_params p = {.k = v[1]};
        return db_niblack_ink(&p, g, e.n, (double)e.s, (double)e.q);
    }
    if (strcmp(name, "nick") == 0) {
        db_nick_params p = {.k = v[1]};
        return db_nick_ink(&p, g, e.n, (double)e.s, (double)e.q);
    }
    db_bradley_params p = {.t = (int)v[1]};
    return db_bradley_ink(&p, g, e.n, (int64_t)e.s);
}

static void test_methods_match_naive_through_their_run(void **state)
{
    uint64_t rng = tu_seed();
    const db_method_info *infos[] = {&db_phansalkar_method, &db_trsingh_method, &db_wan_method,
                                     &db_bernsen_method,    &db_sauvola_method, &db_niblack_method,
                                     &db_nick_method,       &db_bradley_method};
    static const int wins[] = {3, 15, 41, 259};
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        db_image g = random_gray(&rng, shapes[si][0], shapes[si][1]);
        for (size_t wi = 0; wi < sizeof wins / sizeof wins[0]; wi++) {
            naive *tab = naive_table(&g, wins[wi]);
            for (size_t mi = 0; mi < sizeof infos / sizeof infos[0]; mi++) {
                double v[DB_METHOD_MAX_PARAMS];
                for (int i = 0; i < infos[mi]->nparams; i++)
                    v[i] = infos[mi]->params[i].def;
                v[0] = wins[wi];
                if (strcmp(infos[mi]->name, "bernsen") == 0)
                    v[1] = 40; /* both branches of the contrast test occur */
                db_ctx *ctx;
                assert_int_equal(db_ctx_create(NULL, &ctx), 0);
                db_image out = {0};
                assert_int_equal(infos[mi]->run(ctx, &g, v, &out), 0);
                long d = 0;
                for (int y = 0; y < g.height; y++)
                    for (int x = 0; x < g.width; x++)
                        d += naive_method(infos[mi]->name, v, db_image_row(&g, y)[x],
                                          tab[(size_t)y * g.width + x]) != db_bit_get(&out, x, y);
                if (d)
                    print_error("%s %dx%d window %d: %ld pixels differ\n", infos[mi]->name,
                                g.width, g.height, wins[wi], d);
                assert_int_equal(d, 0);
                db_image_free(&out);
                db_ctx_free(ctx);
            }
            free(tab);
        }
        db_image_free(&g);
    }
}

static void test_wolf_max_variance_pass_matches_on_every_isa(void **state)
{
    uint64_t rng = tu_seed();
    static const int wins[] = {3, 15, 65, 259};
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        db_image g = random_gray(&rng, shapes[si][0], shapes[si][1]);
        for (size_t wi = 0; wi < sizeof wins / sizeof wins[0]; wi++) {
            naive *tab = naive_table(&g, wins[wi]);
            double want = 0;
            for (size_t i = 0; i < (size_t)g.width * g.height; i++) {
                double v = db_win_exact_var(tab[i].n, (int64_t)tab[i].s, tab[i].q);
                want = v > want ? v : want;
            }
            free(tab);
            db_ctx *ctx;
            assert_int_equal(db_ctx_create(NULL, &ctx), 0);
            double got;
            db_winpass pass = {"wolf", wins[wi], DB_WIN_SUMS, db_wolf_maxvar_row, NULL};
            assert_int_equal(db_winstat_run_bands(ctx, &g, &pass, 2, NULL, &got), 0);
            assert_true(got == want);
            if (db_cpu_supports(DB_ISA_AVX512) && wins[wi] <= DB_WINDOW_NARROW) {
                pass.row = db_wolf_maxvar_row_avx512;
                assert_int_equal(db_winstat_run_bands(ctx, &g, &pass, 3, NULL, &got), 0);
                assert_true(got == want);
            }
            db_ctx_free(ctx);
        }
        int lo, hi, wlo = 255, whi = 0;
        db_gray_minmax(&g, &lo, &hi);
        for (int y = 0; y < g.height; y++)
            for (int x = 0; x < g.width; x++) {
                int v = db_image_row(&g, y)[x];
                wlo = v < wlo ? v : wlo;
                whi = v > whi ? v : whi;
            }
        assert_int_equal(lo, wlo);
        assert_int_equal(hi, whi);
        db_image_free(&g);
    }
}

/* Wide windows: Bradley's int64 lanes (n * 25500 >= 2^31) against the
 * portable kernel, which the naive tests above pin down on small windows. */
static void test_bradley_wide_window_vectors_match_portable_kernel(void **state)
{
    if (!db_cpu_supports(DB_ISA_AVX512))
        skip();
    uint64_t rng = tu_seed();
    db_image g = random_gray(&rng, 777, 330);
    db_bradley_params brad = {.t = 15};
    for (int window = 291; window <= 331; window += 40) {
        db_image a = {0}, b = {0};
        db_ctx *ctx;
        assert_int_equal(db_ctx_create(NULL, &ctx), 0);
        db_winpass pass = {"bradley", window, DB_WIN_SUMS, db_bradley_row_ref, &brad};
        assert_int_equal(db_winstat_run_bands(ctx, &g, &pass, 1, &a, NULL), 0);
        pass.row = db_winthresh_select(DB_ISA_AVX512, DB_WM_BRADLEY, window);
        assert_true(pass.row == db_bradley_row_avx512);
        assert_int_equal(db_winstat_run_bands(ctx, &g, &pass, 2, &b, NULL), 0);
        long ink = 0;
        for (int y = 0; y < g.height; y++) {
            assert_memory_equal(db_image_row(&a, y), db_image_row(&b, y),
                                db_format_row_bytes(DB_BIT1, g.width));
            for (int x = 0; x < g.width; x++)
                ink += db_bit_get(&a, x, y);
        }
        assert_true(ink > 0 && ink < (long)g.width * g.height);
        db_image_free(&a);
        db_image_free(&b);
        db_ctx_free(ctx);
    }
    db_image_free(&g);
}

/* g == T is ink (the "<=" of every decision): on a flat page Niblack with
 * k = 0 and Bradley with t = 0 put T exactly on the pixel value. */
static void test_equality_is_ink_on_every_isa(void **state)
{
    db_ctx *ctx;
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    db_image g = {0};
    assert_int_equal(db_image_ensure(ctx, &g, 700, 40, DB_GRAY8), 0);
    memset(g.data, 173, g.stride * (size_t)g.height);
    db_niblack_params nib = {.k = 0};
    db_bradley_params brad = {.t = 0};
    db_nick_params nick = {.k = 0};
    const db_isa isas[] = {DB_ISA_REF, DB_ISA_AVX2, DB_ISA_AVX512};
    for (int window = 3; window <= 301; window += 298)
        for (size_t i = 0; i < 3; i++) {
            if (!db_cpu_supports(isas[i]))
                continue;
            const struct {
                db_winmethod m;
                const void *p;
            } cases[] = {{DB_WM_NIBLACK, &nib}, {DB_WM_BRADLEY, &brad}, {DB_WM_NICK, &nick}};
            for (size_t c = 0; c < 3; c++) {
                db_winpass pass = {"test", window, DB_WIN_SUMS,
                                   db_winthresh_select(isas[i], cases[c].m, window), cases[c].p};
                db_image out = {0};
                assert_int_equal(db_winstat_run(ctx, &g, &pass, &out, NULL), 0);
                for (int y = 0; y < g.height; y++)
                    for (int x = 0; x < g.width; x++)
                        assert_int_equal(db_bit_get(&out, x, y), 1);
                db_image_free(&out);
            }
        }
    db_image_free(&g);
    db_ctx_free(ctx);
}

static void test_engine_refuses_bad_windows_and_input(void **state)
{
    db_ctx *ctx;
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    db_image g = {0}, out = {0};
    assert_int_equal(db_image_ensure(ctx, &g, 8, 8, DB_GRAY8), 0);
    db_image_clear(&g);
    db_sauvola_params sau = db_sauvola_params_make(0.5, 128);
    db_winpass pass = {"sauvola", 4, DB_WIN_SUMS, db_sauvola_row_ref, &sau};
    assert_int_equal(db_winstat_run(ctx, &g, &pass, &out, NULL), DB_EINVAL);
    assert_non_null(strstr(db_ctx_message(ctx), "sauvola: window 4 must be odd"));
    db_ctx_clear_error(ctx);
    assert_int_equal(db_window_check(ctx, "niblack", 2049), DB_EINVAL);
    db_ctx_clear_error(ctx);
    assert_int_equal(db_window_check(ctx, "niblack", 15), 0);
    db_image rgb = {0};
    assert_int_equal(db_image_ensure(ctx, &rgb, 8, 8, DB_RGB8), 0);
    pass.window = 3;
    assert_int_equal(db_winstat_run(ctx, &rgb, &pass, &out, NULL), DB_EINVAL);
    db_image_free(&rgb);
    db_image_free(&g);
    db_image_free(&out);
    db_ctx_free(ctx);
}

static void test_engine_cleans_up_when_allocations_fail(void **state)
{
    uint64_t rng = tu_seed();
    db_image g = random_gray(&rng, 50, 40);
    db_sauvola_params sau = db_sauvola_params_make(0.5, 128);
    db_winpass pass = {"sauvola", 7, DB_WIN_SUMS | DB_WIN_MIN, db_sauvola_row_ref, &sau};
    for (long n = 1;; n++) {
        db_ctx *ctx;
        assert_int_equal(db_ctx_create(NULL, &ctx), 0);
        db_image out = {0};
        db_ctx_fail_alloc_after(ctx, n);
        int rc = db_winstat_run(ctx, &g, &pass, &out, NULL);
        db_image_free(&out);
        db_ctx_free(ctx);
        if (rc == 0)
            break;
        assert_int_equal(rc, DB_ENOMEM);
        assert_true(n < 20);
    }
    db_image_free(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_engine_stats_match_naive_for_all_shapes_windows_bands),
        cmocka_unit_test(test_mean_variance_kernels_match_naive_on_every_isa),
        cmocka_unit_test(test_decisions_agree_with_textbook_formulas_in_long_double),
        cmocka_unit_test(test_methods_match_naive_through_their_run),
        cmocka_unit_test(test_wolf_max_variance_pass_matches_on_every_isa),
        cmocka_unit_test(test_bradley_wide_window_vectors_match_portable_kernel),
        cmocka_unit_test(test_equality_is_ink_on_every_isa),
        cmocka_unit_test(test_output_identical_for_any_pool_size),
        cmocka_unit_test(test_engine_refuses_bad_windows_and_input),
        cmocka_unit_test(test_engine_cleans_up_when_allocations_fail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
