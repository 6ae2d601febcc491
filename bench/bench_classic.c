/* bench_classic.c - speed of every classic method on a seeded synthetic page
 * (tests/common/synth.c), as a table of ms, MP/s and the ratio to a memcpy of
 * the same page measured in the same run (this VM's speed drifts; the ratio
 * does not). Warm numbers are the median of N runs into a reused output;
 * "cold" is one run into a fresh output and fresh scratch. "best" is the
 * fastest warm run. "MP/cpu-s" is pixels per second of process CPU time (all
 * threads, median run): on a shared machine wall time also counts time spent
 * descheduled, CPU time does not, so this is the speed of one core with the
 * machine to itself; with 2 threads it shows the parallel overhead (equal to
 * the 1-thread value = perfect scaling).
 *
 *   bench_classic [--size WxH] [--runs N] [--threads 1,2] [--window 31]
 *                 [--isa ref|avx2|avx512] [--only name,name] [--seed S]
 *
 * Methods with a window parameter run with --window (default 31, the size of
 * the targets); the others with their defaults. When built with
 * Leptonica (Debian libleptonica-dev; bench/CMakeLists.txt finds it), its
 * Sauvola (plain and tiled, same window) and Otsu run on the same page as
 * peers, single-threaded like the library itself.
 */
#include "bench_util.h"
#include "synth.h"

#include "docbin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef DOCBIN_HAVE_LEPTONICA
#include <leptonica/allheaders.h>
#endif

#ifdef DOCBIN_HAVE_LEPTONICA
typedef enum { LEPT_SAUVOLA, LEPT_SAUVOLA_TILED, LEPT_OTSU } lept_op;

static int lept_run(PIX *pix, lept_op op, int window)
{
    PIX *pixd = NULL;
    l_ok rc;
    if (op == LEPT_SAUVOLA)
        rc = pixSauvolaBinarize(pix, window / 2, 0.5f, 1, NULL, NULL, NULL, &pixd);
    else if (op == LEPT_SAUVOLA_TILED)
        rc = pixSauvolaBinarizeTiled(pix, window / 2, 0.5f, 1, 1, NULL, &pixd);
    else
        rc = pixOtsuAdaptiveThreshold(pix, pixGetWidth(pix), pixGetHeight(pix), 0, 0, 0.0f,
                                      NULL, &pixd);
    pixDestroy(&pixd);
    return rc ? -1 : 0;
}

static void lept_peers(const db_image *page, int window, int runs, double *t, double mp,
                       double t_memcpy)
{
    PIX *pix = pixCreate(page->width, page->height, 8);
    for (int y = 0; y < page->height; y++) {
        const uint8_t *r = db_image_row(page, y);
        l_uint32 *line = pixGetData(pix) + (size_t)y * pixGetWpl(pix);
        for (int x = 0; x < page->width; x++)
            SET_DATA_BYTE(line, x, r[x]);
    }
    static const char *names[] = {"lept-sauvola", "lept-tiled", "lept-otsu"};
    char *version = getLeptonicaVersion();
    double *tc = calloc((size_t)runs, sizeof *tc);
    for (int op = 0; op < 3; op++) {
        double s = now_s();
        int rc = lept_run(pix, (lept_op)op, window);
        double cold = now_s() - s, best = 1e30;
        for (int r = 0; rc == 0 && r < runs; r++) {
            double c0 = cpu_s();
            s = now_s();
            rc = lept_run(pix, (lept_op)op, window);
            t[r] = now_s() - s;
            tc[r] = cpu_s() - c0;
            best = t[r] < best ? t[r] : best;
        }
        if (rc != 0) {
            printf("%-12s   1  failed\n", names[op]);
            continue;
        }
        double warm = median(t, runs), cpu = median(tc, runs);
        printf("%-12s %3d %8.1f %8.2f %8.2f %8.0f %8.0f %8.0f %9.2f  %s, window %d\n", names[op],
               1, 1e3 * cold, 1e3 * warm, 1e3 * best, mp / warm, mp / best, mp / cpu,
               warm / t_memcpy, version, window);
    }
    free(tc);
    free(version);
    pixDestroy(&pix);
}
#endif

static bool listed(const char *list, const char *name)
{
    if (!list)
        return true;
    size_t n = strlen(name);
    for (const char *p = list; (p = strstr(p, name)) != NULL; p += n)
        if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
            return true;
    return false;
}

static bool has_param(const db_method_info *info, const char *key)
{
    for (int i = 0; i < info->nparams; i++)
        if (strcmp(info->params[i].name, key) == 0)
            return true;
    return false;
}

int main(int argc, char **argv)
{
    int w = 6000, h = 8000, runs = 7, window = 31;
    unsigned long long seed = 1;
    const char *only = NULL, *threads_list = "1,2", *isa_name = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--size") == 0 && v && sscanf(v, "%dx%d", &w, &h) == 2)
            i++;
        else if (strcmp(a, "--runs") == 0 && v)
            runs = atoi(argv[++i]);
        else if (strcmp(a, "--window") == 0 && v)
            window = atoi(argv[++i]);
        else if (strcmp(a, "--threads") == 0 && v)
            threads_list = argv[++i];
        else if (strcmp(a, "--only") == 0 && v)
            only = argv[++i];
        else if (strcmp(a, "--isa") == 0 && v)
            isa_name = argv[++i];
        else if (strcmp(a, "--seed") == 0 && v)
            seed = strtoull(argv[++i], NULL, 0);
        else {
            fprintf(stderr, "usage: bench_classic [--size WxH] [--runs N] [--threads 1,2] "
                            "[--window W] [--isa ref|avx2|avx512] [--only a,b] [--seed S]\n");
            return 2;
        }
    }
    if (runs < 1 || w < 1 || h < 1)
        return 2;
    db_isa isa = DB_ISA_AUTO;
    if (isa_name && db_isa_parse(isa_name, &isa) != 0) {
        fprintf(stderr, "bench_classic: unknown isa %s\n", isa_name);
        return 2;
    }
    db_ctx *ctx;
    if (db_ctx_create(NULL, &ctx) != 0)
        return 1;
    tu_synth_opts o;
    tu_synth_defaults(&o, w, h, seed);
    db_image page = {0}, out = {0};
    double t0 = now_s();
    if (tu_synth_page(ctx, &o, &page, NULL) != 0) {
        fprintf(stderr, "bench_classic: %s\n", db_ctx_message(ctx));
        return 1;
    }
    double mp = (double)w * h / 1e6;
    printf("page %dx%d (%.1f MP) seed %llu, generated in %.2f s; window %d; median of %d runs\n",
           w, h, mp, seed, now_s() - t0, window, runs);

    /* memcpy of the page into a warm buffer: the yardstick for this run */
    size_t bytes = page.stride * (size_t)h;
    uint8_t *copy = malloc(bytes);
    if (!copy)
        return 1;
    memcpy(copy, page.data, bytes);
    double *t = calloc((size_t)runs, sizeof *t), *tc = calloc((size_t)runs, sizeof *tc);
    for (int r = 0; r < runs; r++) {
        double s = now_s();
        memcpy(copy, page.data, bytes);
        t[r] = now_s() - s;
    }
    double t_memcpy = median(t, runs);
    printf("memcpy of the page: %.2f ms (%.0f MP/s)\n\n", 1e3 * t_memcpy, mp / t_memcpy);
    printf("%-12s %3s %8s %8s %8s %8s %8s %8s %9s  %s\n", "method", "thr", "cold ms", "warm ms",
           "best ms", "MP/s", "best", "MP/cpu-s", "x memcpy", "spec");

    char tl[64];
    snprintf(tl, sizeof tl, "%s", threads_list);
    for (char *tok = strtok(tl, ","); tok; tok = strtok(NULL, ",")) {
        int nthreads = atoi(tok);
        db_pool *pool = NULL;
        if (nthreads > 1 && db_pool_create(nthreads, &pool) != 0)
            return 1;
        db_ctx *c;
        if (db_ctx_create(pool, &c) != 0 || db_ctx_set_isa(c, isa) != 0)
            return 1;
        for (int m = 0; m < db_method_count(); m++) {
            const db_method_info *info = db_method_at(m);
            if (!listed(only, info->name) || db_method_needs_model(info))
                continue; /* network methods: scripts/time_methods.sh */
            char spec[128];
            if (has_param(info, "window"))
                snprintf(spec, sizeof spec, "%s:window=%d", info->name, window);
            else
                snprintf(spec, sizeof spec, "%s", info->name);
            db_method meth;
            if (db_method_parse(c, spec, &meth) != 0) {
                printf("%-12s %3d  (%s)\n", info->name, nthreads, db_ctx_message(c));
                db_ctx_clear_error(c);
                continue;
            }
            db_image fresh = {0};
            double s = now_s();
            int rc = db_method_run(c, &meth, &page, &fresh);
            double cold = now_s() - s;
            db_image_free(&fresh);
            double best = 1e30;
            for (int r = 0; rc == 0 && r < runs; r++) {
                double c0 = cpu_s();
                s = now_s();
                rc = db_method_run(c, &meth, &page, &out);
                t[r] = now_s() - s;
                tc[r] = cpu_s() - c0;
                best = t[r] < best ? t[r] : best;
            }
            if (rc != 0) {
                printf("%-12s %3d  failed: %s\n", info->name, nthreads, db_ctx_message(c));
                db_ctx_clear_error(c);
                continue;
            }
            double warm = median(t, runs), cpu = median(tc, runs);
            printf("%-12s %3d %8.1f %8.2f %8.2f %8.0f %8.0f %8.0f %9.2f  %s\n", info->name,
                   nthreads, 1e3 * cold, 1e3 * warm, 1e3 * best, mp / warm, mp / best,
                   mp / cpu, warm / t_memcpy, spec);
            fflush(stdout);
        }
        db_ctx_free(c);
        db_pool_free(pool);
    }
#ifdef DOCBIN_HAVE_LEPTONICA
    if (listed(only, "leptonica")) {
        setMsgSeverity(L_SEVERITY_NONE);
        lept_peers(&page, window, runs, t, mp, t_memcpy);
    }
#endif
    free(t);
    free(tc);
    free(copy);
    db_image_free(&page);
    db_image_free(&out);
    db_ctx_free(ctx);
    return 0;
}
