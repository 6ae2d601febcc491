/* bench_batch.c - pages per second of `docbin batch` on generated A4 pages at
 * 300 dpi (2480x3508 = 8.7 MP, gray PNG) with 1 and 2 workers, against a loop
 * of ImageMagick over the same pages in the same run (global -threshold and
 * local -lat, 1 process and 2 at once), with each run's peak memory.
 *
 *   bench_batch [--pages N] [--distinct K] [--size WxH] [--method SPEC]...
 *               [--model FILE] [--no-magick] [--dir DIR]
 *
 * Default methods: sauvola, and gan (the 1-bit U-Net, nets/engine.c) with
 * data/gan.dbm of the source tree (--model FILE: another model for every
 * network method; the gan rows are skipped when no model is found).
 *
 * K distinct pages are rendered (tests/common/synth.c) and hard-linked up to
 * N names: every page is still read, decoded, binarized and written. Each run
 * is a child process timed by wall clock; peak RSS comes from wait4(). The
 * docbin program is the one built beside this benchmark (DOCBIN_CLI). */
#include "bench_util.h"
#include "synth.h"

#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* Runs "sh -c line" with its output discarded; returns the wall time and the
 * peak RSS (MiB) of the largest process it waited for (the shell reaps its
 * children, whose usage wait4 then includes). */
static int run_timed(const char *line, double *seconds, double *peak_mib)
{
    char *argv[] = {"sh", "-c", (char *)line, NULL};
    double t0 = now_s();
    pid_t pid;
    if (posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, environ) != 0)
        return -1;
    int st;
    struct rusage ru;
    if (wait4(pid, &st, 0, &ru) != pid)
        return -1;
    *seconds = now_s() - t0;
    *peak_mib = (double)ru.ru_maxrss / 1024.0;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static const char *find_magick(void)
{
    static const char *candidates[] = {"magick", "/usr/bin/convert", "convert"};
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++) {
        char line[256];
        snprintf(line, sizeof line, "%s -version 2>/dev/null | grep -q ImageMagick",
                 candidates[i]);
        if (system(line) == 0)
            return candidates[i];
    }
    return NULL;
}

typedef struct row {
    char tool[96];
    int workers;
    double seconds, peak_mib;
    int rc;
} row;

int main(int argc, char **argv)
{
    int pages = 20, distinct = 4, w = 2480, h = 3508;
    const char *methods[8];
    int nmethods = 0;
    bool magick = true;
    const char *dir = DOCBIN_TEST_TMP "/bench_batch";
    const char *model = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--pages") == 0 && i + 1 < argc)
            pages = atoi(argv[++i]);
        else if (strcmp(argv[i], "--distinct") == 0 && i + 1 < argc)
            distinct = atoi(argv[++i]);
        else if (strcmp(argv[i], "--size") == 0 && i + 1 < argc)
            sscanf(argv[++i], "%dx%d", &w, &h);
        else if (strcmp(argv[i], "--method") == 0 && i + 1 < argc && nmethods < 8)
            methods[nmethods++] = argv[++i];
        else if (strcmp(argv[i], "--model") == 0 && i + 1 < argc)
            model = argv[++i];
        else if (strcmp(argv[i], "--no-magick") == 0)
            magick = false;
        else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
            dir = argv[++i];
        else {
            fprintf(stderr, "usage: bench_batch [--pages N] [--distinct K] [--size WxH] "
                            "[--method SPEC]... [--model FILE] [--no-magick] [--dir DIR]\n");
            return 2;
        }
    }
    if (pages < 1 || distinct < 1 || w < 16 || h < 16)
        return 2;
    if (!model && access(DOCBIN_SOURCE_DIR "/data/gan.dbm", R_OK) == 0)
        model = DOCBIN_SOURCE_DIR "/data/gan.dbm";
    if (!nmethods) {
        methods[nmethods++] = "sauvola";
        if (model)
            methods[nmethods++] = "gan";
        else
            printf("bench_batch: no data/gan.dbm: the gan rows are skipped\n");
    }
    char model_opt[4200] = "";
    if (model)
        snprintf(model_opt, sizeof model_opt, "--model '%s'", model);
    if (distinct > pages)
        distinct = pages;

    char line[8192], in[4096], src[4096];
    snprintf(line, sizeof line, "rm -rf '%s' && mkdir -p '%s/in'", dir, dir);
    if (system(line) != 0)
        return 1;
    /* Pages are rendered in a child: posix_spawn (vfork) children start
     * their ru_maxrss from the spawner's high-water mark, so this process must
     * stay small for the peak-memory column to be the runs' own. */
    double tg = now_s();
    fflush(NULL);
    pid_t gen = fork();
    if (gen < 0)
        return 1;
    if (gen > 0) {
        int st;
        if (waitpid(gen, &st, 0) != gen || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
            return 1;
        goto rendered;
    }
    db_ctx *ctx;
    if (db_ctx_create(NULL, &ctx) != 0)
        _exit(1);
    for (int k = 0; k < distinct; k++) {
        tu_synth_opts o;
        tu_synth_defaults(&o, w, h, 1000 + (uint64_t)k);
        db_image page = {0};
        snprintf(in, sizeof in, "%s/in/page%04d.png", dir, k);
        db_write_options wo = {0};
        if (tu_synth_page(ctx, &o, &page, NULL) != 0 || db_image_save(ctx, in, &wo, &page) != 0) {
            fprintf(stderr, "bench_batch: %s\n", db_ctx_message(ctx));
            _exit(1);
        }
        db_image_free(&page);
    }
    db_ctx_free(ctx);
    _exit(0);
rendered:
    for (int k = distinct; k < pages; k++) {
        snprintf(src, sizeof src, "%s/in/page%04d.png", dir, k % distinct);
        snprintf(in, sizeof in, "%s/in/page%04d.png", dir, k);
        if (link(src, in) != 0) {
            fprintf(stderr, "bench_batch: link %s: %s\n", in, strerror(errno));
            return 1;
        }
    }
    printf("bench_batch: %d pages of %dx%d (%.1f MP, %d distinct, rendered in %.1f s)\n", pages,
           w, h, (double)w * h / 1e6, distinct, now_s() - tg);

    row rows[32];
    int nrows = 0;
    for (int m = 0; m < nmethods; m++)
        for (int j = 1; j <= 2; j++) {
            row *r = &rows[nrows++];
            snprintf(r->tool, sizeof r->tool, "docbin batch -m %s", methods[m]);
            r->workers = j;
            /* the model is given to network methods only (sauvola takes none) */
            bool net = !strncmp(methods[m], "gan", 3) || !strncmp(methods[m], "db", 2);
            snprintf(line, sizeof line,
                     "'%s' batch -q -y -j %d -m '%s' %s '%s/in' -o '%s/out_docbin' "
                     "2>'%s/log_%d.txt'",
                     DOCBIN_CLI, j, methods[m], net ? model_opt : "", dir, dir, dir, nrows);
            r->rc = run_timed(line, &r->seconds, &r->peak_mib);
        }
    const char *im = magick ? find_magick() : NULL;
    if (magick && !im)
        printf("bench_batch: ImageMagick not found (apt-get install imagemagick): no reference\n");
    static const char *const im_ops[] = {"-threshold 50%", "-lat 31x31-5%"};
    for (int op = 0; im && op < 2; op++)
        for (int j = 1; j <= 2; j++) {
            row *r = &rows[nrows++];
            snprintf(r->tool, sizeof r->tool, "ImageMagick %s", im_ops[op]);
            r->workers = j;
            /* one single-threaded convert per page, j at a time */
            snprintf(line, sizeof line,
                     "mkdir -p '%s/out_im' && cd '%s/in' && ls | MAGICK_THREAD_LIMIT=1 "
                     "xargs -P %d -I{} %s {} %s -type bilevel '%s/out_im/{}'",
                     dir, dir, j, im, im_ops[op], dir);
            r->rc = run_timed(line, &r->seconds, &r->peak_mib);
        }

    /* the reference: the ImageMagick -threshold loop on the same worker count */
    printf("\n%-40s %7s %9s %9s %8s %10s\n", "tool", "workers", "seconds", "pages/s", "peak MiB",
           "vs IM thr");
    for (int i = 0; i < nrows; i++) {
        const row *r = &rows[i];
        double ref = 0;
        for (int k = 0; k < nrows; k++)
            if (strstr(rows[k].tool, "-threshold") && rows[k].workers == r->workers)
                ref = rows[k].seconds;
        char ratio[32] = "-";
        if (ref > 0)
            snprintf(ratio, sizeof ratio, "%.2fx", ref / r->seconds);
        printf("%-40s %7d %9.2f %9.2f %8.1f %10s%s\n", r->tool, r->workers, r->seconds,
               pages / r->seconds, r->peak_mib, ratio, r->rc ? "  (FAILED)" : "");
    }
    printf("\nratio = ImageMagick -threshold time / this row's time, same worker count "
           "(> 1: faster than ImageMagick)\n");
    return 0;
}
