/* test_util.c - see test_util.h. */
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

uint64_t tu_seed(void)
{
    static uint64_t seed;
    if (!seed) {
        const char *s = getenv("DOCBIN_TEST_SEED");
        seed = s ? strtoull(s, NULL, 0) : 0x9e3779b97f4a7c15ull;
        if (!seed)
            seed = 1;
        fprintf(stderr, "test seed: DOCBIN_TEST_SEED=0x%llx\n", (unsigned long long)seed);
    }
    return seed;
}

uint64_t tu_rand(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545f4914f6cdd1dull;
}

int tu_rand_range(uint64_t *s, int lo, int hi)
{
    return lo + (int)(tu_rand(s) % (uint64_t)(hi - lo + 1));
}

void tu_fill_random(db_image *img, uint64_t *state)
{
    for (int y = 0; y < img->height; y++) {
        uint8_t *r = db_image_row(img, y);
        size_t n = db_format_row_bytes(img->format, img->width);
        for (size_t i = 0; i < n; i++)
            r[i] = (uint8_t)tu_rand(state);
        if (img->format == DB_BIT1 && img->width % 64) {
            uint64_t *w = (uint64_t *)(void *)r;
            w[img->width / 64] &= ((uint64_t)1 << (img->width % 64)) - 1;
        }
    }
}

static void mkdirs(const char *path)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(buf, 0777);
            *p = '/';
        }
    mkdir(buf, 0777);
}

const char *tu_tmpdir(const char *name)
{
    static char dir[1024];
    snprintf(dir, sizeof dir, "%s/%s", DOCBIN_TEST_TMP, name);
    char cmd[1100];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "warning: could not clear %s\n", dir);
    mkdirs(dir);
    return dir;
}

const char *tu_path(char *buf, size_t size, const char *dir, const char *file)
{
    snprintf(buf, size, "%s/%s", dir, file);
    return buf;
}

const char *tu_shared_data(void)
{
    const char *env = getenv("DOCBIN_SHARED_DATA");
    const char *dir = env ? env : DOCBIN_SHARED_DATA;
    char probe[1024];
    snprintf(probe, sizeof probe, "%s/README.md", dir);
    if (access(probe, R_OK) != 0) {
        fprintf(stderr, "shared data not found at %s: skipping\n", dir);
        return NULL;
    }
    return dir;
}

int tu_file_exists(const char *path) { return access(path, F_OK) == 0; }

int tu_run(const char *cmd, const char *out_file)
{
    char buf[4096];
    if (out_file)
        snprintf(buf, sizeof buf, "%s >'%s' 2>&1", cmd, out_file);
    else
        snprintf(buf, sizeof buf, "%s", cmd);
    int st = system(buf);
    if (st == -1 || !WIFEXITED(st))
        return -1;
    return WEXITSTATUS(st);
}

char *tu_read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *nb = realloc(buf, 2 * cap + 1);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (!buf)
        return NULL;
    buf[n] = '\0';
    if (size)
        *size = n;
    return buf;
}

int tu_write_file(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(data, 1, size, f);
    return (fclose(f) == 0 && w == size) ? 0 : -1;
}

double tu_fmeasure(const db_image *result, const db_image *truth)
{
    double tp = 0, fp = 0, fn = 0;
    for (int y = 0; y < truth->height; y++)
        for (int x = 0; x < truth->width; x++) {
            int r = db_bit_get(result, x, y), t = db_bit_get(truth, x, y);
            tp += r && t;
            fp += r && !t;
            fn += !r && t;
        }
    return tp > 0 ? 2 * tp / (2 * tp + fp + fn) : 0.0;
}

int tu_ctx_setup(void **state)
{
    db_ctx *ctx = NULL;
    int rc = db_ctx_create(NULL, &ctx);
    *state = ctx;
    return rc;
}

int tu_ctx_teardown(void **state)
{
    db_ctx_free(*state);
    *state = NULL;
    return 0;
}
