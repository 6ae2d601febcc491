/* batch.h - pieces of `docbin batch` (cmd_batch.c) kept in their own files:
 * the shard selection (shard.c) and the progress display (progress.c). */
#ifndef DB_CLI_BATCH_H
#define DB_CLI_BATCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* ---- shard.c: which pages this machine takes ---- */
typedef struct cli_shard {
    long index; /* 0-based, < count */
    long count; /* 1 = no sharding */
} cli_shard;

/* Parses --shard: "K/N" (1 <= K <= N, K is 1-based as in "shard 1 of 4"),
 * "slurm" (SLURM_ARRAY_TASK_ID, _MIN, _STEP and _COUNT) or "k8s"
 * (JOB_COMPLETION_INDEX). count_opt (--shard-count, 0 = unset) gives N for
 * k8s and overrides Slurm's count. 0, or CLI_EXIT_USAGE after a message. */
int cli_shard_parse(const char *spec, long count_opt, cli_shard *out);
/* 64-bit FNV-1a of the bytes, finished with the splitmix64 mixer so that the
 * low bits used by the modulo are well spread. */
uint64_t cli_shard_hash(const char *relpath);
/* True when the page with this relative path belongs to the shard. The path
 * is the one mirrored under -o (never the absolute input path), so every
 * machine agrees whatever the mount point and whatever the listing order. */
bool cli_shard_take(const cli_shard *s, const char *relpath);

/* ---- progress.c: progress on a terminal, plain lines otherwise ---- */
typedef struct cli_progress {
    FILE *out;
    bool bar;   /* redraw one line (terminal); else one log line per page */
    bool quiet; /* nothing but failures */
    long total, done, failed, skipped;
    double t0, last_draw;
    long done_at_start; /* pages reported before any work (not in the rate) */
} cli_progress;

double cli_now_seconds(void);
/* bar: isatty(fileno(out)) decides unless quiet. */
void cli_progress_start(cli_progress *p, FILE *out, long total, bool quiet);
/* One finished page: status "ok", "failed", "skipped" or "canceled"; name is
 * the input path, error the reason (NULL when ok). Not thread safe: the
 * caller holds its lock. */
void cli_progress_page(cli_progress *p, const char *status, const char *name, const char *error,
                       double seconds);
/* Clears the bar line (before other messages and at the end). */
void cli_progress_clear(cli_progress *p);
/* A duration as "42s", "3m07s" or "2h05m"; "--" when negative or not finite. */
void cli_progress_format_eta(double seconds, char *buf, size_t size);

#endif
