/* progress.c - what `docbin batch` shows while it runs: on a terminal one
 * redrawn line (bar, pages done/total, pages/s, ETA, failures); otherwise
 * (a log file, a Slurm output) one plain line per page. Failures always get
 * their own line with the reason. The caller serialises calls (one lock). */
#include "batch.h"

#include <math.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

double cli_now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void cli_progress_start(cli_progress *p, FILE *out, long total, bool quiet)
{
    memset(p, 0, sizeof *p);
    p->out = out;
    p->total = total;
    p->quiet = quiet;
    p->bar = !quiet && isatty(fileno(out));
    p->t0 = cli_now_seconds();
    p->last_draw = -1;
}

void cli_progress_format_eta(double seconds, char *buf, size_t size)
{
    if (!isfinite(seconds) || seconds < 0) {
        snprintf(buf, size, "--");
        return;
    }
    long s = lround(seconds);
    if (s >= 3600)
        snprintf(buf, size, "%ldh%02ldm", s / 3600, s / 60 % 60);
    else if (s >= 60)
        snprintf(buf, size, "%ldm%02lds", s / 60, s % 60);
    else
        snprintf(buf, size, "%lds", s);
}

/* Pages per second over the pages processed since the start (the skipped
 * and unreadable ones reported up front are free and would inflate it). */
static double rate(const cli_progress *p, double now)
{
    double dt = now - p->t0;
    long worked = p->done - p->done_at_start;
    return dt > 0 && worked > 0 ? (double)worked / dt : 0;
}

static void draw(cli_progress *p, double now)
{
    enum { WIDTH = 24 };
    int fill = p->total ? (int)(WIDTH * p->done / p->total) : WIDTH;
    char bar[WIDTH + 1];
    for (int i = 0; i < WIDTH; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[WIDTH] = '\0';
    double r = rate(p, now);
    char eta[32];
    cli_progress_format_eta(r > 0 ? (double)(p->total - p->done) / r : NAN, eta, sizeof eta);
    fprintf(p->out, "\r[%s] %ld/%ld pages  %.2f pages/s  ETA %s", bar, p->done, p->total, r, eta);
    if (p->failed)
        fprintf(p->out, "  %ld failed", p->failed);
    fputs("\033[K", p->out); /* erase what a longer previous line left */
    fflush(p->out);
    p->last_draw = now;
}

void cli_progress_clear(cli_progress *p)
{
    if (p->bar && p->last_draw >= 0) {
        fputs("\r\033[K", p->out);
        fflush(p->out);
        p->last_draw = -1;
    }
}

void cli_progress_page(cli_progress *p, const char *status, const char *name, const char *error,
                       double seconds)
{
    p->done++;
    bool failed = strcmp(status, "failed") == 0;
    p->failed += failed;
    p->skipped += strcmp(status, "skipped") == 0;
    double now = cli_now_seconds();
    if (failed) {
        cli_progress_clear(p);
        fprintf(p->out, "docbin: %s: %s\n", name, error ? error : "failed");
    } else if (!p->bar && !p->quiet) {
        fprintf(p->out, "docbin: [%ld/%ld] %s %s (%.2f s)\n", p->done, p->total, status, name,
                seconds);
    }
    /* Redraw at most 10 times a second: a terminal is slow, pages are not. */
    if (p->bar && (failed || p->done == p->total || now - p->last_draw >= 0.1))
        draw(p, now);
}
