/* bench_metrics.c - speed of the DIBCO measures (metrics/): weight-map
 * generation and scoring on a seeded synthetic 3000x4000 page, then every
 * ground truth of ../shared/data/dibco scored against an Otsu binarization
 * (binarization not timed). CPU time, median of N runs; ratios against the
 * plain counting pass (FM/PSNR only) measured in the same run. Weight
 * generation is timed with fresh buffers (one page) and with a db_weights
 * kept from page to page (its workspace reused), and the folder is scored
 * both ways (the two must agree).
 * usage: bench_metrics [--runs N] [--width W --height H] [--no-data]
 */
#include "bench_util.h"
#include "test_util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "metrics/metrics_internal.h"

static void fill_rect(db_image *img, int x0, int y0, int x1, int y1, uint8_t v)
{
    for (int y = y0 < 0 ? 0 : y0; y <= y1 && y < img->height; y++)
        for (int x = x0 < 0 ? 0 : x0; x <= x1 && x < img->width; x++)
            db_image_row(img, y)[x] = v;
}

/* Text-like ground truth: lines of glyphs made of 2-3 thick strokes, dots. */
static void synth_page(db_image *gt, db_image *res, int w, int h, uint64_t seed)
{
    uint64_t rng = seed;
    for (int y = 0; y < h; y++)
        memset(db_image_row(gt, y), 255, (size_t)w);
    for (int line = 80; line + 40 < h - 80; line += 64) {
        for (int x = 100; x + 24 < w - 100; x += 26 + tu_rand_range(&rng, 0, 8)) {
            if (tu_rand_range(&rng, 0, 9) == 0) {
                x += 20; /* a word gap */
                continue;
            }
            int sw = tu_rand_range(&rng, 3, 6);
            fill_rect(gt, x, line, x + sw - 1, line + 30, 0);                 /* stem */
            int bar = line + tu_rand_range(&rng, 0, 24);
            fill_rect(gt, x, bar, x + 16, bar + sw - 1, 0);                   /* bar */
            if (tu_rand_range(&rng, 0, 2) == 0)
                fill_rect(gt, x + 14, line + 10, x + 14 + sw - 1, line + 30, 0); /* 2nd stem */
            if (tu_rand_range(&rng, 0, 5) == 0)
                fill_rect(gt, x + 20, line - 8, x + 22, line - 6, 0);         /* a dot */
        }
    }
    /* the result: the GT with its strokes thinned or thickened by one pixel
     * here and there, plus speckle */
    for (int y = 0; y < h; y++) {
        const uint8_t *g = db_image_row(gt, y);
        uint8_t *r = db_image_row(res, y);
        for (int x = 0; x < w; x++) {
            r[x] = g[x];
            bool edge = x > 0 && x < w - 1 && (g[x - 1] != g[x] || g[x + 1] != g[x]);
            if (edge && tu_rand_range(&rng, 0, 3) == 0)
                r[x] = (uint8_t)(255 - g[x]);
            else if (tu_rand_range(&rng, 0, 2000) == 0)
                r[x] = 0;
        }
    }
}

/* Machine load, printed with the timings: the VM is shared. */
static void print_load(void)
{
    FILE *f = fopen("/proc/loadavg", "r");
    char buf[128] = "";
    if (f) {
        if (!fgets(buf, sizeof buf, f))
            buf[0] = '\0';
        fclose(f);
    }
    buf[strcspn(buf, "\n")] = '\0';
    printf("load average: %s\n", buf[0] ? buf : "unknown");
}

enum { STEPS = 7 };

static void bench_page(int w, int h, int runs)
{
    db_ctx *ctx;
    db_ctx_create(NULL, &ctx);
    db_image gt = {0}, res = {0};
    db_image_ensure(ctx, &gt, w, h, DB_GRAY8);
    db_image_ensure(ctx, &res, w, h, DB_GRAY8);
    synth_page(&gt, &res, w, h, tu_seed());
    db_weights kept = {0}, kept2 = {0}; /* reused across runs, as a folder run would */
    db_metrics m, m2;
    double t[STEPS][32];
    if (runs > 32)
        runs = 32;
    for (int r = 0; r < runs; r++) {
        db_mask mg, mr;
        db_counts c;
        db_weights fresh = {0};
        double t0 = cpu_s();
        db_mask_from_image(ctx, &gt, true, "bench", &mg);
        db_mask_from_image(ctx, &res, false, "bench", &mr);
        db_counts_compute(&mg, &mr, &c);
        double t1 = cpu_s();
        db_free(mg.m);
        db_free(mr.m);
        int rc = db_weights_generate(ctx, &gt, &fresh);
        double t2 = cpu_s();
        db_weights_free(&fresh);
        double t3 = cpu_s();
        rc = rc ? rc : db_weights_generate(ctx, &gt, &kept);
        double t4 = cpu_s();
        rc = rc ? rc : db_metrics_compute_kept(ctx, &gt, &res, &kept, &kept, &m);
        double t5 = cpu_s();
        rc = rc ? rc : db_metrics_compute(ctx, &gt, &res, NULL, &m);
        double t6 = cpu_s();
        rc = rc ? rc : db_metrics_compute_kept(ctx, &gt, &res, NULL, &kept2, &m2);
        double t7 = cpu_s();
        if (!rc && (m2.pfm != m.pfm || m2.mpm != m.mpm || m2.drd != m.drd ||
                    m2.pfm_skel != m.pfm_skel)) {
            fprintf(stderr, "bench_metrics: kept and fresh scoring disagree\n");
            exit(1);
        }
        if (rc) {
            fprintf(stderr, "bench_metrics: %s\n", db_ctx_message(ctx));
            exit(1);
        }
        t[0][r] = t1 - t0;
        t[1][r] = t2 - t1;
        t[2][r] = t4 - t3;
        t[3][r] = t5 - t4;
        t[4][r] = (t4 - t3) + (t5 - t4);
        t[5][r] = t7 - t6;
        t[6][r] = t6 - t5;
    }
    for (int k = 0; k < STEPS; k++)
        qsort(t[k], (size_t)runs, sizeof(double), cmp_double);
    double mp = (double)w * h / 1e6;
    static const char *const what[STEPS] = {
        "counts only (FM, PSNR): reference",  "weights, fresh db_weights",
        "weights, db_weights reused",         "all measures, weights given",
        "weights reused + all measures",      "all + weights (NULL, kept)",
        "all + weights (NULL, fresh)"};
    printf("synthetic page %dx%d (%.1f MP), median of %d runs, FM %.2f pFM %.2f\n", w, h, mp,
           runs, m.fm, m.pfm);
    print_load();
    printf("%-36s %10s %10s %8s\n", "step", "cpu ms", "MP/s", "ratio");
    for (int k = 0; k < STEPS; k++) {
        double s = t[k][runs / 2];
        printf("%-36s %10.1f %10.1f %8.1f\n", what[k], 1e3 * s, mp / s, s / t[0][runs / 2]);
    }
    printf("(fresh: the generator's buffers are new memory, as for a single page;\n"
           " reused: a caller that keeps one db_weights for page after page;\n"
           " all measures: db_metrics_compute_kept with the kept db_weights as scratch;\n"
           " NULL, kept: db_metrics_compute_kept(NULL weights, kept db_weights), one call;\n"
           " NULL, fresh: db_metrics_compute generating its own, fresh, weights)\n");
    db_weights_free(&kept);
    db_weights_free(&kept2);
    db_image_free(&gt);
    db_image_free(&res);
    db_ctx_free(ctx);
}

static void bench_data(const char *data)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/dibco", data);
    DIR *d = opendir(dir);
    if (!d) {
        printf("no %s: data benchmark skipped\n", dir);
        return;
    }
    db_ctx *ctx;
    db_ctx_create(NULL, &ctx);
    db_method otsu;
    if (db_method_parse(ctx, "otsu", &otsu) != 0) {
        printf("no otsu method: data benchmark skipped\n");
        closedir(d);
        db_ctx_free(ctx);
        return;
    }
    printf("\n%s: each ground truth against its page binarized by otsu (not timed);\n"
           "all measures with weights generated: NULL = fresh per page (db_metrics_compute),\n"
           "reused = one db_weights kept for every page (db_metrics_compute_kept)\n", dir);
    print_load();
    printf("%-12s %6s %8s %10s %10s %12s\n", "set", "pairs", "MP", "NULL cpu s", "MP/s",
           "reused cpu s");
    db_weights kept = {0};
    double all_t = 0, all_tk = 0, all_mp = 0;
    int all_n = 0;
    struct dirent *e;
    char *sets[64];
    int nsets = 0;
    while ((e = readdir(d)) && nsets < 64)
        if (e->d_name[0] != '.')
            sets[nsets++] = strdup(e->d_name);
    closedir(d);
    for (int s = 0; s < nsets; s++) {
        char sdir[2048];
        snprintf(sdir, sizeof sdir, "%s/%s", dir, sets[s]);
        DIR *sd = opendir(sdir);
        double t = 0, tk = 0, mp = 0;
        int n = 0;
        while (sd && (e = readdir(sd))) {
            const char *u = strstr(e->d_name, "_gt.png");
            if (!u || u[7])
                continue;
            char gtp[3072], page[3072];
            snprintf(gtp, sizeof gtp, "%s/%s", sdir, e->d_name);
            db_image gt = {0}, img = {0}, bin = {0};
            bool ok = db_image_load(ctx, gtp, &gt) == 0;
            static const char *const exts[] = {".png", ".tif", ".jpg", ".bmp"};
            for (int k = 0; ok && k < 4; k++) {
                snprintf(page, sizeof page, "%s/%.*s%s", sdir, (int)(u - e->d_name), e->d_name,
                         exts[k]);
                if (tu_file_exists(page) && db_image_load(ctx, page, &img) == 0)
                    break;
                db_ctx_clear_error(ctx);
            }
            ok = ok && img.data && db_method_run(ctx, &otsu, &img, &bin) == 0;
            db_metrics m, m2;
            double t0 = cpu_s();
            ok = ok && db_metrics_compute(ctx, &gt, &bin, NULL, &m) == 0;
            double t1 = cpu_s();
            ok = ok && db_metrics_compute_kept(ctx, &gt, &bin, NULL, &kept, &m2) == 0;
            if (ok) {
                t += t1 - t0;
                tk += cpu_s() - t1;
                mp += (double)gt.width * gt.height / 1e6;
                n++;
                if (m.pfm != m2.pfm || m.fm != m2.fm) {
                    fprintf(stderr, "bench_metrics: %s: reused weights give other scores\n", gtp);
                    exit(1);
                }
            }
            db_ctx_clear_error(ctx);
            db_image_free(&gt);
            db_image_free(&img);
            db_image_free(&bin);
        }
        if (sd)
            closedir(sd);
        printf("%-12s %6d %8.1f %10.2f %10.1f %12.2f\n", sets[s], n, mp, t, t > 0 ? mp / t : 0.0,
               tk);
        all_t += t;
        all_tk += tk;
        all_mp += mp;
        all_n += n;
        free(sets[s]);
    }
    printf("%-12s %6d %8.1f %10.2f %10.1f %12.2f\n", "all", all_n, all_mp, all_t,
           all_t > 0 ? all_mp / all_t : 0.0, all_tk);
    db_weights_free(&kept);
    db_ctx_free(ctx);
}

int main(int argc, char **argv)
{
    int runs = 3, w = 3000, h = 4000;
    bool data = true;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (strcmp(argv[i], "--width") == 0 && i + 1 < argc)
            w = atoi(argv[++i]);
        else if (strcmp(argv[i], "--height") == 0 && i + 1 < argc)
            h = atoi(argv[++i]);
        else if (strcmp(argv[i], "--no-data") == 0)
            data = false;
        else {
            fprintf(stderr, "usage: bench_metrics [--runs N] [--width W --height H] [--no-data]\n");
            return 2;
        }
    }
    if (runs < 1 || w < 64 || h < 64) {
        fprintf(stderr, "bench_metrics: runs >= 1, width and height >= 64\n");
        return 2;
    }
    bench_page(w, h, runs);
    const char *shared = tu_shared_data();
    if (data && shared)
        bench_data(shared);
    return 0;
}
