/* test_metrics.c - hand-computed answers for every DIBCO measure on tiny
 * images (counts, FM, PSNR, NRM, one-block DRD, NUBN with partial edge blocks,
 * border windows, MPM, pseudo-FM with given maps, skeleton pseudo-FM), the
 * degenerate cases, input rules (only 0 is text; RGB; BIT1; non-binary GT),
 * weight files, reports, and cross-checks of the raster tools against brute
 * force. The official-output acceptance tests are test_metrics_reference.c.
 */
#include "test_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "db_internal.h"
#include "metrics/metrics_internal.h"

#include "metrics_fixture.h"

/* A GRAY8 image from rows of '#' (text, 0) and '.' (paper, 255). */
static void gray_from(db_image *img, const char *const *rows, int h)
{
    int w = (int)strlen(rows[0]);
    assert_int_equal(db_image_ensure(ctx, img, w, h, DB_GRAY8), 0);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            db_image_row(img, y)[x] = rows[y][x] == '#' ? 0 : 255;
}

static void compute(const db_image *gt, const db_image *res, db_metrics *m)
{
    assert_int_equal(db_metrics_compute(ctx, gt, res, NULL, m), 0);
}

static void assert_finite(const db_metrics *m)
{
    const double v[] = {m->fm,  m->pfm, m->psnr, m->drd,       m->recall,   m->precision,
                        m->precall, m->pprecision, m->nrm, m->mpm, m->avg_score, m->pfm_skel,
                        m->precall_skel};
    for (size_t k = 0; k < sizeof v / sizeof v[0]; k++)
        assert_true(isfinite(v[k]));
}

static void test_counts_fmeasure_psnr_nrm_by_hand(void **state)
{
    (void)state;
    static const char *const g[] = {"##..", "##..", "....", "...."};
    static const char *const r[] = {"#...", "##..", "..#.", "...."};
    db_image gt = {0}, res = {0};
    gray_from(&gt, g, 4);
    gray_from(&res, r, 4);
    db_metrics m;
    compute(&gt, &res, &m);
    assert_true(m.tp == 3 && m.fn == 1 && m.fp == 1 && m.tn == 11);
    assert_true(fabs(m.recall - 75.0) < 1e-12);
    assert_true(fabs(m.precision - 75.0) < 1e-12);
    assert_true(fabs(m.fm - 75.0) < 1e-12);
    assert_true(fabs(m.psnr - 10.0 * log10(16.0 / 2.0)) < 1e-12);
    assert_true(fabs(m.nrm - (1.0 / 4.0 + 1.0 / 12.0) / 2.0) < 1e-12);
    assert_true((m.defined & (DB_METRIC_FM | DB_METRIC_PSNR | DB_METRIC_NRM)) ==
                (DB_METRIC_FM | DB_METRIC_PSNR | DB_METRIC_NRM));
    /* no complete 8x8 block: DRD falls back to the sum, not flagged */
    assert_int_equal(m.nubn, 0);
    assert_false(m.defined & DB_METRIC_DRD);
    assert_true(fabs(m.avg_score - (m.fm + m.pfm + m.psnr + 100.0 - m.drd) / 4.0) < 1e-12);
    assert_finite(&m);
    db_image_free(&gt);
    db_image_free(&res);
}

/* Unnormalised reciprocal distance of a 5x5 cell from the centre. */
static double rd(int di, int dj)
{
    return (di || dj) ? 1.0 / sqrt((double)(di * di + dj * dj)) : 0.0;
}

static double rd_total(void)
{
    double s = 0;
    for (int i = -2; i <= 2; i++)
        for (int j = -2; j <= 2; j++)
            s += rd(i, j);
    return s;
}

static void test_drd_one_block_by_hand(void **state)
{
    (void)state;
    /* 8x8: left half text; the result adds one text pixel at (4,4) */
    const char *g[8], *r[8];
    for (int y = 0; y < 8; y++)
        g[y] = r[y] = "####....";
    r[4] = "#####...";
    db_image gt = {0}, res = {0};
    gray_from(&gt, g, 8);
    gray_from(&res, r, 8);
    db_metrics m;
    compute(&gt, &res, &m);
    assert_int_equal(m.nubn, 1);
    /* GT differs from the flipped value (text) at window columns dj = 0..2 */
    double sum = 0;
    for (int di = -2; di <= 2; di++)
        for (int dj = 0; dj <= 2; dj++)
            sum += rd(di, dj);
    assert_true(fabs(m.drd - sum / rd_total()) < 1e-12);
    assert_true(m.defined & DB_METRIC_DRD);
    db_image_free(&gt);
    db_image_free(&res);
}

static void test_drd_window_ignores_cells_outside_the_image(void **state)
{
    (void)state;
    /* all paper; the result flips the corner (0,0): only the in-image
     * quarter of the window (di, dj >= 0) counts */
    const char *g[8], *r[8];
    for (int y = 0; y < 8; y++)
        g[y] = r[y] = "........";
    r[0] = "#.......";
    db_image gt = {0}, res = {0};
    gray_from(&gt, g, 8);
    gray_from(&res, r, 8);
    db_mask mg, mr;
    assert_int_equal(db_mask_from_image(ctx, &gt, true, "t", &mg), 0);
    assert_int_equal(db_mask_from_image(ctx, &res, false, "t", &mr), 0);
    double sum = 0;
    for (int di = 0; di <= 2; di++)
        for (int dj = 0; dj <= 2; dj++)
            sum += rd(di, dj);
    assert_true(fabs(db_drd_sum(&mg, &mr) - sum / rd_total()) < 1e-12);
    assert_int_equal(db_drd_nubn(&mg), 0);
    db_free(mg.m);
    db_free(mr.m);
    db_image_free(&gt);
    db_image_free(&res);
}

static void test_nubn_counts_complete_non_uniform_blocks_only(void **state)
{
    (void)state;
    /* 20x17: complete blocks (0,0) (8,0) (0,8) (8,8); text at (1,1) and (9,9)
     * makes two of them non-uniform; text in the partial column x >= 16 and
     * row y = 16 must not count */
    db_image gt = {0};
    assert_int_equal(db_image_ensure(ctx, &gt, 20, 17, DB_GRAY8), 0);
    for (int y = 0; y < 17; y++)
        memset(db_image_row(&gt, y), 255, 20);
    db_image_row(&gt, 1)[1] = 0;
    db_image_row(&gt, 9)[9] = 0;
    db_image_row(&gt, 3)[17] = 0;
    db_image_row(&gt, 16)[2] = 0;
    db_mask mg;
    assert_int_equal(db_mask_from_image(ctx, &gt, true, "t", &mg), 0);
    assert_int_equal(db_drd_nubn(&mg), 2);
    /* a block fully text is uniform too */
    for (int y = 0; y < 8; y++)
        memset(mg.m + (size_t)y * 20, 1, 8);
    assert_int_equal(db_drd_nubn(&mg), 1);
    db_free(mg.m);
    db_image_free(&gt);
}

static void test_only_value_zero_is_text(void **state)
{
    (void)state;
    static const char *const g[] = {"##..", "##.."};
    db_image gt = {0}, res = {0};
    gray_from(&gt, g, 2);
    gray_from(&res, g, 2);
    db_image_row(&res, 0)[0] = 1;   /* near-black: background */
    db_image_row(&res, 0)[2] = 40;  /* dark gray: background */
    db_image_row(&res, 1)[3] = 0;   /* exact 0: text */
    db_metrics m;
    compute(&gt, &res, &m);
    assert_true(m.tp == 3 && m.fn == 1 && m.fp == 1 && m.tn == 3);
    db_image_free(&gt);
    db_image_free(&res);
}

static void test_rgb_and_bit1_follow_the_gray_rule(void **state)
{
    (void)state;
    static const char *const g[] = {"#.#.", "...."};
    db_image gt = {0}, rgb = {0}, bit = {0};
    gray_from(&gt, g, 2);
    assert_int_equal(db_image_ensure(ctx, &rgb, 4, 2, DB_RGB8), 0);
    memset(db_image_row(&rgb, 0), 255, 12);
    memset(db_image_row(&rgb, 1), 255, 12);
    uint8_t *p = db_image_row(&rgb, 0);
    p[0] = p[1] = p[2] = 0;           /* black: text */
    p[6] = 0, p[7] = 0, p[8] = 4;     /* gray 0.456 rounds to 0: text */
    p[9] = 0, p[10] = 0, p[11] = 5;   /* gray 0.57 rounds to 1: paper */
    db_metrics m;
    compute(&gt, &rgb, &m);
    assert_true(m.tp == 2 && m.fp == 0 && m.fn == 0);
    /* the same through db_image_to_gray */
    db_image gray = {0};
    assert_int_equal(db_image_to_gray(ctx, &rgb, &gray), 0);
    assert_int_equal(db_image_row(&gray, 0)[2], 0);
    assert_int_equal(db_image_row(&gray, 0)[3], 1);
    assert_int_equal(db_image_ensure(ctx, &bit, 4, 2, DB_BIT1), 0);
    db_image_clear(&bit);
    db_bit_set(&bit, 0, 0, 1);
    db_bit_set(&bit, 1, 1, 1);
    compute(&gt, &bit, &m);
    assert_true(m.tp == 1 && m.fp == 1 && m.fn == 1 && m.tn == 5);
    db_image_free(&gt);
    db_image_free(&rgb);
    db_image_free(&gray);
    db_image_free(&bit);
}

static void test_degenerate_pairs_give_documented_values(void **state)
{
    (void)state;
    static const char *const empty[] = {"........", "........"};
    static const char *const some[] = {"..##....", "..##...."};
    db_image e = {0}, s = {0};
    gray_from(&e, empty, 2);
    gray_from(&s, some, 2);
    db_metrics m;
    /* identical, no text anywhere: a perfect score */
    compute(&e, &e, &m);
    assert_true(m.fm == 100.0 && m.pfm == 100.0 && m.recall == 100.0 && m.precision == 100.0);
    assert_true(m.psnr == DB_METRICS_PSNR_MAX && m.drd == 0.0 && m.nrm == 0.0 && m.mpm == 0.0);
    assert_false(m.defined & (DB_METRIC_RECALL | DB_METRIC_PRECISION | DB_METRIC_PSNR));
    assert_finite(&m);
    /* identical with text: perfect, and the ratios are defined */
    compute(&s, &s, &m);
    assert_true(m.fm == 100.0 && m.pfm == 100.0 && m.drd == 0.0 && m.mpm == 0.0);
    assert_true(m.defined & DB_METRIC_FM);
    assert_true(m.avg_score == (100.0 + 100.0 + DB_METRICS_PSNR_MAX + 100.0) / 4.0);
    /* text missed entirely */
    compute(&s, &e, &m);
    assert_true(m.fm == 0.0 && m.recall == 0.0 && m.precision == 100.0 && m.pfm == 0.0);
    assert_false(m.defined & DB_METRIC_PRECISION);
    assert_finite(&m);
    /* text where there is none */
    compute(&e, &s, &m);
    assert_true(m.fm == 0.0 && m.recall == 100.0 && m.precision == 0.0);
    assert_finite(&m);
    db_image_free(&e);
    db_image_free(&s);
}

static void test_bad_inputs_are_refused(void **state)
{
    (void)state;
    static const char *const g[] = {"##..", "##.."};
    db_image gt = {0}, res = {0}, big = {0};
    gray_from(&gt, g, 2);
    gray_from(&res, g, 2);
    gray_from(&big, (const char *const[]){"##...", "##..."}, 2);
    db_metrics m;
    assert_int_equal(db_metrics_compute(ctx, &gt, &big, NULL, &m), DB_EINVAL);
    assert_non_null(strstr(db_ctx_message(ctx), "size mismatch"));
    db_ctx_clear_error(ctx);
    db_image_row(&gt, 0)[3] = 128; /* a third gray level */
    assert_int_equal(db_metrics_compute(ctx, &gt, &res, NULL, &m), DB_EFORMAT);
    assert_non_null(strstr(db_ctx_message(ctx), "not binary"));
    db_ctx_clear_error(ctx);
    db_weights w = {.width = 3, .height = 2};
    float buf[6] = {0};
    w.recall = w.precision = buf;
    db_image_row(&gt, 0)[3] = 255;
    assert_int_equal(db_metrics_compute(ctx, &gt, &res, &w, &m), DB_EINVAL);
    db_ctx_clear_error(ctx);
    db_image_free(&gt);
    db_image_free(&res);
    db_image_free(&big);
}

static void test_pseudo_fmeasure_with_given_maps(void **state)
{
    (void)state;
    static const char *const g[] = {"##.."};
    static const char *const r[] = {"#.#."};
    db_image gt = {0}, res = {0};
    gray_from(&gt, g, 1);
    gray_from(&res, r, 1);
    float rw[4] = {0.25f, 0.5f, 0, 0}, pw[4] = {0, 0, 0.5f, 1.5f};
    db_weights w = {.width = 4, .height = 1, .recall = rw, .precision = pw};
    db_metrics m;
    assert_int_equal(db_metrics_compute(ctx, &gt, &res, &w, &m), 0);
    double pr = 0.25 / 0.75, pp = 1.0 / (1.0 + 1.5);
    assert_true(fabs(m.precall - 100 * pr) < 1e-6);
    assert_true(fabs(m.pprecision - 100 * pp) < 1e-6);
    assert_true(fabs(m.pfm - 100 * 2 * pr * pp / (pr + pp)) < 1e-6);
    assert_false(m.weights_generated);
    db_image_free(&gt);
    db_image_free(&res);
}

static void test_weights_of_a_lone_pixel_and_a_bar(void **state)
{
    (void)state;
    /* a lone pixel is its own skeleton, contour, D = 1, NR = 1: weight 1 */
    static const char *const dot[] = {".....", "..#..", "....."};
    db_image gt = {0};
    db_weights w = {0};
    gray_from(&gt, dot, 3);
    assert_int_equal(db_weights_generate(ctx, &gt, &w), 0);
    for (int i = 0; i < 15; i++)
        assert_true(w.recall[i] == (i == 7 ? 1.0f : 0.0f));
    /* the weights' domains: recall on text only, precision on paper only,
     * in 0..1 and 0..2 */
    static const char *const bar[] = {"..............", "..............", "..##########..",
                                      "..##########..", "..##########..", "..............",
                                      ".............."};
    gray_from(&gt, bar, 7);
    assert_int_equal(db_weights_generate(ctx, &gt, &w), 0);
    double rsum = 0;
    for (int i = 0; i < 14 * 7; i++) {
        bool text = db_image_row(&gt, i / 14)[i % 14] == 0;
        assert_true(w.recall[i] >= 0 && w.recall[i] <= 1);
        assert_true(w.precision[i] >= 0 && w.precision[i] <= 2);
        if (!text)
            assert_true(w.recall[i] == 0);
        if (text)
            assert_true(w.precision[i] == 0);
        rsum += w.recall[i];
    }
    assert_true(rsum > 0);
    db_weights_free(&w);
    db_weights_free(NULL);
    db_image_free(&gt);
}

/* A dot that Zhang-Suen erases completely (DIBCO 2011 PR8, GT pixels
 * 687..693 x 64..70, centroid 689.60, 67.29) is re-seeded at its centroid
 * rounded up, (690, 68): the recall weights then equal the official
 * PR8_RWeights.dat there (in quarters); a rounded centroid (690, 67) would
 * change 19 of them. The recall side is local to the component's box, so
 * the dot alone with a margin gives the same values. */
static void test_weights_reseed_an_erased_dot_at_its_rounded_up_centroid(void **state)
{
    (void)state;
    static const char *const dot[] = {"...........", "...........", ".....##....",
                                      "....####...", "...######..", "...#######.",
                                      "...######..", "...######..", "....####...",
                                      "...........", "..........."};
    /* official weights x4 on the dot's 7x7 box (rows 2..8, columns 3..9) */
    static const int quarters[7][7] = {{0, 0, 0, 0, 0, 0, 0}, {0, 0, 1, 1, 0, 0, 0},
                                       {0, 1, 1, 1, 1, 0, 0}, {0, 1, 2, 2, 1, 1, 0},
                                       {0, 1, 2, 2, 1, 0, 0}, {0, 1, 1, 1, 1, 0, 0},
                                       {0, 0, 0, 0, 0, 0, 0}};
    db_image gt = {0};
    db_weights w = {0};
    gray_from(&gt, dot, 11);
    assert_int_equal(db_weights_generate(ctx, &gt, &w), 0);
    for (int y = 0; y < 11; y++)
        for (int x = 0; x < 11; x++) {
            bool in = y >= 2 && y <= 8 && x >= 3 && x <= 9;
            float want = in ? (float)quarters[y - 2][x - 3] / 4.0f : 0.0f;
            assert_true(w.recall[y * 11 + x] == want);
        }
    db_weights_free(&w);
    db_image_free(&gt);
}

static void test_weight_files_load_plain_and_gzip(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("metrics_weights");
    char rw[1024], pw[1024], gz[1024], bad[1024];
    tu_path(rw, sizeof rw, dir, "x_RWeights.dat");
    tu_path(pw, sizeof pw, dir, "x_PWeights.dat");
    tu_path(gz, sizeof gz, dir, "x_pw.txt.gz");
    tu_path(bad, sizeof bad, dir, "bad.dat");
    const char *r = "0.000000  0.500000  0.166667  1.000000  0.000000  0.250000  ";
    const char *p = "1.500000  0.000000  0.000000  0.000000  2.000000  0.333333  ";
    assert_int_equal(tu_write_file(rw, r, strlen(r)), 0);
    assert_int_equal(tu_write_file(pw, p, strlen(p)), 0);
    gzFile f = gzopen(gz, "wb");
    assert_non_null(f);
    assert_int_equal(gzwrite(f, p, (unsigned)strlen(p)), (int)strlen(p));
    gzclose(f);
    db_weights a = {0}, b = {0};
    assert_int_equal(db_weights_load(ctx, rw, pw, 3, 2, &a), 0);
    assert_int_equal(db_weights_load(ctx, rw, gz, 3, 2, &b), 0);
    assert_true(a.recall[1] == 0.5f && a.recall[2] == 0.166667f && a.precision[4] == 2.0f);
    assert_memory_equal(a.precision, b.precision, 6 * sizeof(float));
    /* wrong count, junk, missing file */
    assert_int_equal(db_weights_load(ctx, rw, pw, 2, 2, &b), DB_EFORMAT);
    db_ctx_clear_error(ctx);
    assert_int_equal(db_weights_load(ctx, rw, pw, 7, 1, &b), DB_EFORMAT);
    db_ctx_clear_error(ctx);
    assert_int_equal(tu_write_file(bad, "0.5 x1 0.2", 10), 0);
    assert_int_equal(db_weights_load(ctx, bad, pw, 3, 1, &b), DB_EFORMAT);
    db_ctx_clear_error(ctx);
    tu_path(bad, sizeof bad, dir, "missing.dat");
    assert_int_equal(db_weights_load(ctx, bad, pw, 3, 2, &b), DB_EIO);
    db_ctx_clear_error(ctx);
    db_weights_free(&a);
    db_weights_free(&b);
}

static void test_mpm_by_hand(void **state)
{
    (void)state;
    /* one row: contour = x 1 (x 0's neighbours are text or outside), so
     * d = 1 0 1 2 3, D = 7; false positives at x 2, 3: MPM = (3/7) / 2 */
    static const char *const g[] = {"##..."};
    static const char *const r[] = {"####."};
    db_image gt = {0}, res = {0};
    gray_from(&gt, g, 1);
    gray_from(&res, r, 1);
    db_metrics m;
    compute(&gt, &res, &m);
    assert_true(fabs(m.mpm - 3.0 / 14.0) < 1e-12);
    assert_true(m.defined & DB_METRIC_MPM);
    db_image_free(&gt);
    db_image_free(&res);
}

static void test_skeleton_pseudo_fmeasure(void **state)
{
    (void)state;
    /* a 3-pixel-thick bar thins to (part of) its middle row */
    static const char *const g[] = {"..........", ".########.", ".########.", ".########.",
                                    ".........."};
    static const char *const top[] = {"..........", ".########.", "..........", "..........",
                                      ".........."};
    db_image gt = {0}, res = {0};
    gray_from(&gt, g, 5);
    db_metrics m;
    compute(&gt, &gt, &m);
    assert_true(m.precall_skel == 100.0 && m.pfm_skel == 100.0);
    gray_from(&res, top, 5);
    compute(&gt, &res, &m);
    assert_true(m.precall_skel == 0.0 && m.pfm_skel == 0.0);
    assert_true(m.precision == 100.0);
    db_image_free(&gt);
    db_image_free(&res);
}

static void test_distance_transforms_match_brute_force(void **state)
{
    (void)state;
    uint64_t rng = tu_seed();
    for (int round = 0; round < 60; round++) {
        /* widths past 16 (32) reach the 8-lane (16-lane) row scans of the
         * chessboard passes */
        int w = tu_rand_range(&rng, 1, 41), h = tu_rand_range(&rng, 1, 19);
        size_t n = (size_t)w * h;
        uint8_t *m = calloc(n, 1), *cd8 = malloc(n);
        uint16_t *cd = malloc(n * sizeof *cd), *vd = malloc(n * sizeof *vd);
        uint64_t *ed = malloc(n * sizeof *ed);
        int64_t *scr = malloc(43 * sizeof *scr);
        int *iscr = malloc(43 * sizeof *iscr);
        int sparse = round % 3 == 0 ? 60 : 9; /* long empty runs too */
        for (size_t i = 0; i < n; i++)
            m[i] = tu_rand(&rng) % sparse == 0;
        db_chebyshev_dt(m, 1, w, h, cd);
        bool exact8 = db_chebyshev_dt8(m, 1, w, h, cd8);
        bool any = db_euclid_dt2(m, w, h, vd, ed, scr, iscr);
        assert_true(exact8 == any); /* distances < 41 never saturate */
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                int best = -1;
                double be = -1;
                for (int v = 0; v < h; v++)
                    for (int u = 0; u < w; u++)
                        if (m[(size_t)v * w + u]) {
                            int c = abs(u - x) > abs(v - y) ? abs(u - x) : abs(v - y);
                            double e = (double)(u - x) * (u - x) + (double)(v - y) * (v - y);
                            if (best < 0 || c < best)
                                best = c;
                            if (be < 0 || e < be)
                                be = e;
                        }
                size_t i = (size_t)y * w + x;
                assert_int_equal(cd[i], best < 0 ? 0xFFFF : best);
                assert_int_equal(cd8[i], best < 0 ? 0xFF : best);
                assert_true(any == (best >= 0));
                if (any)
                    assert_true(ed[i] == (uint64_t)be);
            }
        free(m);
        free(cd);
        free(cd8);
        free(vd);
        free(ed);
        free(scr);
        free(iscr);
    }
}

/* The byte chessboard distances saturate at 255 and say so; below, they
 * equal the 16-bit ones. */
static void test_chebyshev_bytes_saturate(void **state)
{
    (void)state;
    enum { W = 300, H = 3 };
    uint8_t m[W * H] = {0}, d8[W * H];
    uint16_t d16[W * H];
    m[W + 2] = 1; /* one feature: distances up to 297 along the rows */
    assert_false(db_chebyshev_dt8(m, 1, W, H, d8));
    db_chebyshev_dt(m, 1, W, H, d16);
    for (int i = 0; i < W * H; i++)
        assert_int_equal(d8[i], d16[i] < 255 ? d16[i] : 255);
    assert_int_equal(d16[W - 1], 297);
    m[W + 200] = 1; /* now every distance is below 255 */
    assert_true(db_chebyshev_dt8(m, 1, W, H, d8));
    assert_int_equal(d8[W - 1], 99);
    assert_int_equal(d8[100], 98);
    memset(m, 0, sizeof m); /* no feature: all saturated */
    assert_false(db_chebyshev_dt8(m, 1, W, H, d8));
    assert_int_equal(d8[0], 255);
}

/* Every field of two score sets is the same (bit for bit). */
static void assert_same_metrics(const db_metrics *a, const db_metrics *b)
{
    const double va[] = {a->fm,  a->pfm, a->psnr, a->drd,       a->recall,   a->precision,
                         a->precall, a->pprecision, a->nrm, a->mpm, a->avg_score, a->pfm_skel,
                         a->precall_skel};
    const double vb[] = {b->fm,  b->pfm, b->psnr, b->drd,       b->recall,   b->precision,
                         b->precall, b->pprecision, b->nrm, b->mpm, b->avg_score, b->pfm_skel,
                         b->precall_skel};
    assert_memory_equal(va, vb, sizeof va);
    assert_true(a->tp == b->tp && a->fp == b->fp && a->fn == b->fn && a->tn == b->tn);
    assert_true(a->nubn == b->nubn && a->defined == b->defined);
    assert_true(a->weights_generated == b->weights_generated);
}

/* db_metrics_compute_kept with one db_weights kept over pages that grow and
 * shrink (its scratch reused, borrowed from the generator or its own) scores
 * exactly as the fresh db_metrics_compute (which sums the pseudo-F weights
 * without storing them, as db_metrics_compute_work does), generating or
 * given the maps, and leaves in keep the maps db_weights_generate makes. */
static void test_kept_workspace_scores_as_fresh(void **state)
{
    (void)state;
    uint64_t rng = tu_seed();
    static const int sizes[][2] = {{40, 30}, {97, 71}, {23, 15}, {97, 71}, {64, 64}};
    db_weights keep = {0}, given_keep = {0}, work = {0};
    for (size_t t = 0; t < sizeof sizes / sizeof sizes[0]; t++) {
        int w = sizes[t][0], h = sizes[t][1];
        db_image gt = {0}, res = {0};
        assert_int_equal(db_image_ensure(ctx, &gt, w, h, DB_GRAY8), 0);
        assert_int_equal(db_image_ensure(ctx, &res, w, h, DB_GRAY8), 0);
        for (int y = 0; y < h; y++)
            memset(db_image_row(&gt, y), 255, (size_t)w);
        for (int k = 0; k < 12; k++) { /* strokes and blobs */
            int x0 = tu_rand_range(&rng, 0, w - 1), y0 = tu_rand_range(&rng, 0, h - 1);
            int x1 = x0 + tu_rand_range(&rng, 0, 9), y1 = y0 + tu_rand_range(&rng, 0, 9);
            for (int y = y0; y <= y1 && y < h; y++)
                for (int x = x0; x <= x1 && x < w; x++)
                    db_image_row(&gt, y)[x] = 0;
        }
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                uint8_t v = db_image_row(&gt, y)[x];
                db_image_row(&res, y)[x] = tu_rand_range(&rng, 0, 7) == 0 ? (uint8_t)(255 - v) : v;
            }
        db_metrics fresh, kept, worked;
        assert_int_equal(db_metrics_compute(ctx, &gt, &res, NULL, &fresh), 0);
        assert_int_equal(db_metrics_compute_kept(ctx, &gt, &res, NULL, &keep, &kept), 0);
        assert_same_metrics(&fresh, &kept);
        assert_true(kept.weights_generated);
        /* a workspace without maps: the same scores, no maps made */
        assert_int_equal(db_metrics_compute_work(ctx, &gt, &res, NULL, &work, &worked), 0);
        assert_same_metrics(&fresh, &worked);
        assert_true(work.recall == NULL && work.precision == NULL);
        /* keep holds the generated maps */
        db_weights gen = {0};
        assert_int_equal(db_weights_generate(ctx, &gt, &gen), 0);
        assert_true(keep.width == w && keep.height == h);
        assert_memory_equal(keep.recall, gen.recall, (size_t)w * h * sizeof *gen.recall);
        assert_memory_equal(keep.precision, gen.precision, (size_t)w * h * sizeof *gen.precision);
        /* given maps: a separate keep, and keep as the weights themselves */
        db_metrics given, given_kept, self;
        assert_int_equal(db_metrics_compute(ctx, &gt, &res, &gen, &given), 0);
        assert_int_equal(db_metrics_compute_kept(ctx, &gt, &res, &gen, &given_keep, &given_kept),
                         0);
        assert_int_equal(db_metrics_compute_kept(ctx, &gt, &res, &keep, &keep, &self), 0);
        assert_same_metrics(&given, &given_kept);
        assert_same_metrics(&given, &self);
        assert_false(given.weights_generated);
        assert_true(given.pfm == fresh.pfm && given.mpm == fresh.mpm);
        db_weights_free(&gen);
        db_image_free(&gt);
        db_image_free(&res);
    }
    db_weights_free(&keep);
    db_weights_free(&given_keep);
    db_weights_free(&work);
}

static void test_labels_are_raster_ordered_8_connected(void **state)
{
    (void)state;
    static const char *const g[] = {"#...#", ".#..#", "....#", "#.#..", ".#..."};
    size_t n = 25;
    uint8_t m[25];
    for (size_t i = 0; i < n; i++)
        m[i] = g[i / 5][i % 5] == '#';
    db_ccset s = {0};
    assert_int_equal(db_cc_label(ctx, m, 1, 5, 5, true, &s), 0);
    assert_int_equal(s.n, 3);
    /* component 1 = the diagonal at (0,0), 2 = the column x=4, 3 = the V at the bottom */
    assert_int_equal((int)db_cc_label_at(&s, 0), 1);
    assert_int_equal((int)db_cc_label_at(&s, 6), 1);
    assert_int_equal((int)db_cc_label_at(&s, 4), 2);
    assert_int_equal((int)db_cc_label_at(&s, 14), 2);
    assert_int_equal((int)db_cc_label_at(&s, 15), 3);
    assert_int_equal((int)db_cc_label_at(&s, 21), 3);
    assert_int_equal((int)db_cc_label_at(&s, 17), 3);
    assert_true(s.cc[1].x0 == 4 && s.cc[1].y0 == 0 && s.cc[1].y1 == 2 && s.cc[1].count == 3);
    /* order lists each component's row runs in raster order: component 3
     * has (0, 3), (2, 3) and (1, 4), after 2 + 3 runs of the others */
    assert_int_equal(s.nruns, 8);
    assert_int_equal(s.start[2], 5);
    assert_int_equal(s.start[3], 8);
    static const int want[3][3] = {{3, 0, 0}, {3, 2, 2}, {4, 1, 1}};
    for (int t = 0; t < 3; t++) {
        const db_ccrun *r = &s.runs[s.order[s.start[2] + (uint32_t)t]];
        assert_true(r->y == want[t][0] && r->x0 == want[t][1] && r->x1 == want[t][2]);
        assert_int_equal(r->lab, 3);
    }
    db_ccset_free(&s);
}

/* Labels take 16 bits while they fit and 32 beyond: one labelling reused
 * from 65536 isolated dots (32-bit) down to 65535 (16-bit) and back. */
static void test_labels_switch_width_past_65535_components(void **state)
{
    (void)state;
    int w = 512, h = 512; /* dots at even x and y: 256 * 256 = 65536 */
    uint8_t *m = calloc((size_t)w * h, 1);
    for (int y = 0; y < h; y += 2)
        for (int x = 0; x < w; x += 2)
            m[(size_t)y * w + x] = 1;
    db_ccset s = {0};
    for (int t = 0; t < 3; t++) {
        m[(size_t)(h - 2) * w + (w - 2)] = t != 1; /* the last dot: present, absent, present */
        assert_int_equal(db_cc_label(ctx, m, 1, w, h, true, &s), 0);
        int ncc = t != 1 ? 65536 : 65535;
        assert_int_equal(s.n, ncc);
        assert_int_equal(s.label_bytes, t != 1 ? 4 : 2);
        /* raster order: dot (x, y) is component (y / 2) * 256 + x / 2 + 1 */
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                size_t i = (size_t)y * w + x;
                uint32_t want = m[i] ? (uint32_t)((y / 2) * 256 + x / 2 + 1) : 0;
                if (db_cc_label_at(&s, i) != want)
                    fail_msg("pass %d: label of (%d, %d) is %u, want %u", t, x, y,
                             db_cc_label_at(&s, i), want);
            }
    }
    db_ccset_free(&s);
    free(m);
}

static void test_reports_have_rows_and_mean(void **state)
{
    (void)state;
    db_metrics ms[2] = {{.fm = 80, .pfm = 90, .psnr = 16, .drd = 4, .tp = 1},
                        {.fm = 60, .pfm = 70, .psnr = 14, .drd = 6, .tp = 2}};
    const char *names[2] = {"a", "b,c"};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(db_report_write(f, DB_REPORT_CSV, names, ms, 2, false), 0);
    fclose(f);
    assert_non_null(strstr(buf, "name,fm,pfm,psnr,drd,avg_score"));
    assert_non_null(strstr(buf, "\na,80.0000,90.0000,16.0000,4.0000,"));
    assert_non_null(strstr(buf, "\n\"b,c\",60.0000,"));
    assert_non_null(strstr(buf, "\nmean,70.0000,80.0000,15.0000,5.0000,"));
    free(buf);
    f = open_memstream(&buf, &len);
    assert_int_equal(db_report_write(f, DB_REPORT_JSON, names, ms, 2, false), 0);
    fclose(f);
    assert_non_null(strstr(buf, "\"name\": \"b,c\", \"fm\": 60.000000"));
    assert_non_null(strstr(buf, "\"mean\": {\"fm\": 70.000000"));
    assert_non_null(strstr(buf, "\"tp\": 3"));
    free(buf);
    f = open_memstream(&buf, &len);
    assert_int_equal(db_report_write(f, DB_REPORT_TABLE, names, ms, 1, false), 0);
    fclose(f);
    assert_non_null(strstr(buf, "  FM               80.0000\n"));
    assert_null(strstr(buf, "mean"));
    free(buf);
}

static void test_allocation_failures_are_clean(void **state)
{
    (void)state;
    static const char *const g[] = {"..........", ".###..##..", ".###..##..", "..........",
                                    "....#....."};
    static const char *const r[] = {"..........", ".##...##..", ".###..###.", "..........",
                                    ".........."};
    db_image gt = {0}, res = {0};
    gray_from(&gt, g, 5);
    gray_from(&res, r, 5);
    db_metrics ref, m;
    compute(&gt, &res, &ref);
    for (long n = 1;; n++) {
        db_ctx_fail_alloc_after(ctx, n);
        int rc = db_metrics_compute(ctx, &gt, &res, NULL, &m);
        db_ctx_fail_alloc_after(ctx, 0);
        db_ctx_clear_error(ctx);
        if (rc == 0) {
            assert_memory_equal(&m, &ref, sizeof m);
            break;
        }
        assert_int_equal(rc, DB_ENOMEM);
        assert_true(n < 1000);
    }
    db_image_free(&gt);
    db_image_free(&res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_fmeasure_psnr_nrm_by_hand),
        cmocka_unit_test(test_drd_one_block_by_hand),
        cmocka_unit_test(test_drd_window_ignores_cells_outside_the_image),
        cmocka_unit_test(test_nubn_counts_complete_non_uniform_blocks_only),
        cmocka_unit_test(test_only_value_zero_is_text),
        cmocka_unit_test(test_rgb_and_bit1_follow_the_gray_rule),
        cmocka_unit_test(test_degenerate_pairs_give_documented_values),
        cmocka_unit_test(test_bad_inputs_are_refused),
        cmocka_unit_test(test_pseudo_fmeasure_with_given_maps),
        cmocka_unit_test(test_weights_of_a_lone_pixel_and_a_bar),
        cmocka_unit_test(test_weights_reseed_an_erased_dot_at_its_rounded_up_centroid),
        cmocka_unit_test(test_weight_files_load_plain_and_gzip),
        cmocka_unit_test(test_mpm_by_hand),
        cmocka_unit_test(test_skeleton_pseudo_fmeasure),
        cmocka_unit_test(test_distance_transforms_match_brute_force),
        cmocka_unit_test(test_chebyshev_bytes_saturate),
        cmocka_unit_test(test_labels_are_raster_ordered_8_connected),
        cmocka_unit_test(test_labels_switch_width_past_65535_components),
        cmocka_unit_test(test_kept_workspace_scores_as_fresh),
        cmocka_unit_test(test_reports_have_rows_and_mean),
        cmocka_unit_test(test_allocation_failures_are_clean),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
