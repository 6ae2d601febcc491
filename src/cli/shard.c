/* shard.c - `docbin batch --shard`: a deterministic subset of the pages, so N
 * machines split one job without talking to each other. A page belongs to
 * shard hash(relative path) mod N: stable when the listing order changes or
 * files are added (only new files move), unlike "every N-th page".
 * Reads the index from Slurm job arrays and Kubernetes Indexed Jobs. */
#include "batch.h"
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

uint64_t cli_shard_hash(const char *relpath)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (const unsigned char *p = (const unsigned char *)relpath; *p; p++) {
        h ^= *p;
        h *= 0x100000001b3u;
    }
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9u;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebu;
    h ^= h >> 31;
    return h;
}

bool cli_shard_take(const cli_shard *s, const char *relpath)
{
    return s->count <= 1 || (long)(cli_shard_hash(relpath) % (uint64_t)s->count) == s->index;
}

/* An environment variable as a whole number; missing or malformed is an
 * error naming the variable. */
static int env_long(const char *name, bool required, long def, long *out)
{
    const char *s = getenv(name);
    if (!s || !*s) {
        if (required) {
            cli_error("--shard: %s is not set", name);
            return CLI_EXIT_USAGE;
        }
        *out = def;
        return 0;
    }
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*end || errno || v < 0) {
        cli_error("--shard: %s='%s' is not a whole number >= 0", name, s);
        return CLI_EXIT_USAGE;
    }
    *out = v;
    return 0;
}

static int check(const char *what, long index, long count, cli_shard *out)
{
    if (count < 1 || index < 0 || index >= count) {
        cli_error("--shard: %s gives index %ld of %ld shards (out of range)", what, index, count);
        return CLI_EXIT_USAGE;
    }
    out->index = index;
    out->count = count;
    return 0;
}

int cli_shard_parse(const char *spec, long count_opt, cli_shard *out)
{
    out->index = 0;
    out->count = 1;
    if (strcmp(spec, "slurm") == 0) {
        /* An array --array=MIN-MAX:STEP runs tasks MIN, MIN+STEP, ...; the
         * shard index is the task's rank in that sequence. */
        long id, min, step, count;
        if (env_long("SLURM_ARRAY_TASK_ID", true, 0, &id) ||
            env_long("SLURM_ARRAY_TASK_MIN", false, 0, &min) ||
            env_long("SLURM_ARRAY_TASK_STEP", false, 1, &step) ||
            (count_opt == 0 && env_long("SLURM_ARRAY_TASK_COUNT", true, 0, &count)))
            return CLI_EXIT_USAGE;
        if (count_opt)
            count = count_opt;
        if (step < 1 || id < min || (id - min) % step) {
            cli_error("--shard: SLURM_ARRAY_TASK_ID=%ld is not MIN=%ld plus a multiple of "
                      "STEP=%ld", id, min, step);
            return CLI_EXIT_USAGE;
        }
        return check("slurm", (id - min) / step, count, out);
    }
    if (strcmp(spec, "k8s") == 0) {
        long index;
        if (env_long("JOB_COMPLETION_INDEX", true, 0, &index))
            return CLI_EXIT_USAGE;
        if (count_opt == 0) {
            cli_error("--shard k8s needs --shard-count N (the Job's completions)");
            return CLI_EXIT_USAGE;
        }
        return check("k8s", index, count_opt, out);
    }
    char *end;
    errno = 0;
    long k = strtol(spec, &end, 10);
    if (end == spec || *end != '/' || errno) {
        cli_error("--shard: '%s' is not K/N, slurm or k8s", spec);
        return CLI_EXIT_USAGE;
    }
    const char *ns = end + 1;
    long n = strtol(ns, &end, 10);
    if (end == ns || *end || errno || n < 1 || k < 1 || k > n) {
        cli_error("--shard: '%s' needs 1 <= K <= N (K/N, K counted from 1)", spec);
        return CLI_EXIT_USAGE;
    }
    return check(spec, k - 1, n, out);
}
