/* test_metrics_reference.c - acceptance against official DIBCO evaluation
 * outputs in ../shared/data (skipped when absent): the Doxa test vector
 * (generated weight maps == official BinEvalWeights files to 1e-6, and its
 * scores), the official tool's example, and 96 rows of official scores
 * (reference/ssp_outputs/reference_metrics.csv) with pFM from weights we
 * generate on every row; the 19 official weight files are also compared.
 */
#include "test_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/metrics_internal.h"

#include "metrics_fixture.h"

static void load(const char *dir, const char *rel, db_image *img)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    int rc = db_image_load(ctx, path, img);
    if (rc)
        fail_msg("cannot load %s: %s", path, db_ctx_message(ctx));
}

/* Compares two weight maps; returns how many pixels differ by more than tol. */
static size_t weights_diff(const db_weights *a, const db_weights *b, double tol, double *maxdiff)
{
    size_t n = (size_t)a->width * a->height, bad = 0;
    *maxdiff = 0;
    for (size_t i = 0; i < n; i++) {
        double dr = fabs((double)a->recall[i] - b->recall[i]);
        double dp = fabs((double)a->precision[i] - b->precision[i]);
        double d = dr > dp ? dr : dp;
        if (d > *maxdiff)
            *maxdiff = d;
        bad += d > tol;
    }
    return bad;
}

/* |ours - printed| within half a unit of the printed last decimal. */
static bool matches(double ours, double printed, double tol)
{
    return fabs(ours - printed) <= tol + 1e-9;
}

static void test_doxa_weights_equal_official_files(void **state)
{
    (void)state;
    const char *data = tu_shared_data();
    if (!data)
        skip();
    char dir[1024], rw[1100], pw[1100];
    snprintf(dir, sizeof dir, "%s/testvectors/doxa-2JohnC1V3", data);
    db_image gt = {0}, res = {0};
    load(dir, "2JohnC1V3-GroundTruth.pbm", &gt);
    load(dir, "2JohnC1V3-Sauvola.pbm", &res);
    db_weights official = {0}, ours = {0};
    snprintf(rw, sizeof rw, "%s/2JohnC1V3-GroundTruth_RWeights.dat", dir);
    snprintf(pw, sizeof pw, "%s/2JohnC1V3-GroundTruth_PWeights.dat", dir);
    assert_int_equal(db_weights_load(ctx, rw, pw, gt.width, gt.height, &official), 0);
    assert_int_equal(db_weights_generate(ctx, &gt, &ours), 0);
    double maxdiff;
    size_t bad = weights_diff(&ours, &official, 1e-6, &maxdiff);
    printf("doxa-2JohnC1V3: generated weights differ on %zu of %d pixels (max %.3g)\n", bad,
           gt.width * gt.height, maxdiff);
    assert_int_equal(bad, 0);

    /* official tool output for the Sauvola result */
    const db_weights *ws[2] = {&official, &ours};
    for (int k = 0; k < 2; k++) {
        db_metrics m;
        assert_int_equal(db_metrics_compute(ctx, &gt, &res, ws[k], &m), 0);
        assert_true(m.tp == 49789 && m.fp == 2564 && m.fn == 4696 && m.tn == 254738);
        assert_int_equal(m.nubn, 2112);
        assert_true(matches(m.fm, 93.2047, 5e-5));
        assert_true(matches(m.pfm, 93.3930, 5e-5));
        assert_true(matches(m.psnr, 16.3292, 5e-5));
        assert_true(matches(m.drd, 1.9519, 5e-5));
        assert_true(matches(m.recall, 91.3811, 5e-5));
        assert_true(matches(m.precision, 95.1025, 5e-5));
        assert_true(matches(m.precall, 92.7954, 5e-5));
        assert_true(matches(m.pprecision, 93.9983, 5e-5));
    }
    db_weights_free(&official);
    db_weights_free(&ours);
    db_image_free(&gt);
    db_image_free(&res);
}

static void test_official_example_is_reproduced(void **state)
{
    (void)state;
    const char *data = tu_shared_data();
    if (!data)
        skip();
    db_image gt = {0}, res = {0};
    load(data, "dibco/dibco2013/PR07_gt.png", &gt);
    load(data, "reference/dibco_metrics_example/PR_bin.png", &res);
    char rw[1100], pw[1100];
    snprintf(rw, sizeof rw, "%s/dibco/dibco2013/PR07_rw.txt.gz", data);
    snprintf(pw, sizeof pw, "%s/dibco/dibco2013/PR07_pw.txt.gz", data);
    db_weights official = {0};
    assert_int_equal(db_weights_load(ctx, rw, pw, gt.width, gt.height, &official), 0);
    for (int k = 0; k < 2; k++) {
        db_metrics m;
        assert_int_equal(db_metrics_compute(ctx, &gt, &res, k ? NULL : &official, &m), 0);
        assert_true(m.tp == 61573 && m.fp == 1929 && m.fn == 6493 && m.tn == 251404);
        /* printed with 6 decimals */
        assert_true(matches(m.fm, 93.598747, 5e-7));
        assert_true(matches(m.pfm, 97.686342, 5e-7));
        assert_true(matches(m.psnr, 15.816293, 5e-7));
        assert_true(matches(m.drd, 1.868077, 5e-6));
        assert_true(matches(m.recall, 90.460729, 5e-7));
        assert_true(matches(m.precision, 96.962300, 5e-7));
        assert_true(matches(m.precall, 99.446358, 5e-7));
        assert_true(matches(m.pprecision, 95.987541, 5e-7));
    }
    db_weights_free(&official);
    db_image_free(&gt);
    db_image_free(&res);
}

enum { F_FM, F_PFM, F_PSNR, F_DRD, F_R, F_P, F_PR, F_PP, NF };
static const char *const fnames[NF] = {"fm",     "pfm",       "psnr",    "drd",
                                       "recall", "precision", "precall", "pprecision"};

static void test_96_official_rows_are_reproduced(void **state)
{
    (void)state;
    const char *data = tu_shared_data();
    if (!data)
        skip();
    char path[2048];
    snprintf(path, sizeof path, "%s/reference/ssp_outputs/reference_metrics.csv", data);
    char *csv = tu_read_file(path, NULL);
    assert_non_null(csv);
    int rows = 0, ok[NF] = {0}, wfiles = 0, wfiles_ok = 0, ok_loaded_pfm = 0;
    char *save = NULL;
    strtok_r(csv, "\n", &save); /* header */
    for (char *line = strtok_r(NULL, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *f[16] = {NULL};
        int nf = 0;
        for (char *p = line; nf < 16;) {
            f[nf++] = p;
            p = strchr(p, ',');
            if (!p)
                break;
            *p++ = '\0';
        }
        assert_true(nf >= 13);
        double ref[NF];
        for (int k = 0; k < NF; k++)
            ref[k] = strtod(f[4 + k], NULL);
        db_image gt = {0}, res = {0};
        load(data, f[3], &gt);
        load(data, f[2], &res);
        db_metrics m;
        assert_int_equal(db_metrics_compute(ctx, &gt, &res, NULL, &m), 0);
        double ours[NF] = {m.fm, m.pfm, m.psnr, m.drd, m.recall, m.precision, m.precall,
                           m.pprecision};
        for (int k = 0; k < NF; k++) {
            bool good = matches(ours[k], ref[k], k == F_DRD ? 1e-3 : 5e-5);
            ok[k] += good;
            if (!good)
                printf("  %s %s: %s ours %.6f official %.4f\n", f[0], f[1], fnames[k], ours[k],
                       ref[k]);
        }
        if (strcmp(f[12], "yes") == 0) {
            /* official weight files: equal to ours, and they score the same */
            char rw[2048], pw[2048];
            snprintf(rw, sizeof rw, "%s/dibco/%s/%s_rw.txt.gz", data, f[0], f[1]);
            snprintf(pw, sizeof pw, "%s/dibco/%s/%s_pw.txt.gz", data, f[0], f[1]);
            db_weights official = {0}, gen = {0};
            assert_int_equal(db_weights_load(ctx, rw, pw, gt.width, gt.height, &official), 0);
            assert_int_equal(db_weights_generate(ctx, &gt, &gen), 0);
            double maxdiff;
            size_t bad = weights_diff(&gen, &official, 1e-6, &maxdiff);
            wfiles++;
            wfiles_ok += bad == 0;
            if (bad)
                printf("  %s %s: generated weights differ on %zu pixels (max %.3g)\n", f[0], f[1],
                       bad, maxdiff);
            db_metrics mo;
            assert_int_equal(db_metrics_compute(ctx, &gt, &res, &official, &mo), 0);
            ok_loaded_pfm += matches(mo.pfm, ref[F_PFM], 5e-5);
            db_weights_free(&official);
            db_weights_free(&gen);
        }
        rows++;
        db_image_free(&gt);
        db_image_free(&res);
    }
    free(csv);
    for (int k = 0; k < NF; k++)
        printf("%-10s %d/%d rows matched\n", fnames[k], ok[k], rows);
    printf("weight files: %d/%d equal to ours; pFM with official files %d/%d\n", wfiles_ok,
           wfiles, ok_loaded_pfm, wfiles);
    assert_int_equal(rows, 96);
    for (int k = 0; k < NF; k++)
        assert_int_equal(ok[k], rows);
    assert_int_equal(wfiles_ok, wfiles);
    assert_int_equal(ok_loaded_pfm, wfiles);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_doxa_weights_equal_official_files),
        cmocka_unit_test(test_official_example_is_reproduced),
        cmocka_unit_test(test_96_official_rows_are_reproduced),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
