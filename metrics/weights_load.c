/* weights_load.c - reads the official BinEvalWeights files (<gt>_RWeights.dat,
 * <gt>_PWeights.dat: ASCII "%f " per pixel, row-major, no newlines), plain
 * or gzip-compressed (zlib reads both), and frees weight maps. The generator
 * is weights.c.
 */
#include "metrics_internal.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

void db_weights_free(db_weights *weights)
{
    if (!weights)
        return;
    db_free(weights->recall);
    db_free(weights->precision);
    db_weights_work_free(weights->work);
    memset(weights, 0, sizeof *weights);
}

/* Parses one value at s (after blanks): the fixed "%f" form digits '.'
 * digits is read directly (exact to float), anything else via strtod. */
static const char *parse_value(const char *s, const char *end, double *v)
{
    const char *p = s;
    bool neg = false;
    if (p < end && (*p == '-' || *p == '+'))
        neg = *p++ == '-';
    uint64_t ip = 0, fp = 0, scale = 1;
    const char *d0 = p;
    while (p < end && *p >= '0' && *p <= '9' && p - d0 < 15)
        ip = ip * 10 + (uint64_t)(*p++ - '0');
    bool simple = p > d0;
    if (p < end && *p == '.') {
        p++;
        const char *f0 = p;
        while (p < end && *p >= '0' && *p <= '9' && p - f0 < 15) {
            fp = fp * 10 + (uint64_t)(*p++ - '0');
            scale *= 10;
        }
    }
    if (simple && (p == end || *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) {
        double x = (double)ip + (double)fp / (double)scale;
        *v = neg ? -x : x;
        return p;
    }
    char tmp[64];
    size_t len = 0;
    while (s + len < end && len < sizeof tmp - 1 && s[len] != ' ' && s[len] != '\t' &&
           s[len] != '\n' && s[len] != '\r')
        len++;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    char *e;
    *v = strtod(tmp, &e);
    if (e == tmp || *e)
        return NULL;
    return s + len;
}

static int load_one(db_ctx *ctx, const char *path, size_t n, float *out)
{
    gzFile f = gzopen(path, "rb");
    if (!f)
        return db_fail(ctx, DB_EIO, "weights: cannot open %s", path);
    gzbuffer(f, 1 << 17);
    enum { CHUNK = 1 << 16 };
    char *buf = db_malloc(ctx, CHUNK + 64);
    if (!buf) {
        gzclose(f);
        return DB_ENOMEM;
    }
    size_t have = 0, count = 0;
    int rc = 0;
    bool eof = false;
    while (!rc) {
        if (!eof) {
            int got = gzread(f, buf + have, (unsigned)(CHUNK - have));
            if (got < 0) {
                rc = db_fail(ctx, DB_EIO, "weights: %s: read error", path);
                break;
            }
            have += (size_t)got;
            eof = got == 0;
        }
        const char *p = buf, *end = buf + have;
        for (;;) {
            while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
                p++;
            if (p == end)
                break;
            /* a value cut by the chunk end waits for more bytes */
            const char *q = p;
            while (q < end && *q != ' ' && *q != '\t' && *q != '\n' && *q != '\r')
                q++;
            if (q == end && !eof)
                break;
            double v;
            const char *after = parse_value(p, q, &v);
            if (!after || after != q) {
                rc = db_fail(ctx, DB_EFORMAT, "weights: %s: bad value after %zu values", path,
                             count);
                break;
            }
            if (count == n) {
                rc = db_fail(ctx, DB_EFORMAT, "weights: %s: more than %zu values", path, n);
                break;
            }
            out[count++] = (float)v;
            p = q;
        }
        if (rc)
            break;
        have = (size_t)(end - p);
        memmove(buf, p, have);
        if (eof && !have)
            break;
        if (have >= CHUNK) {
            rc = db_fail(ctx, DB_EFORMAT, "weights: %s: malformed value", path);
            break;
        }
    }
    if (!rc && count != n)
        rc = db_fail(ctx, DB_EFORMAT, "weights: %s: %zu values for %zu pixels", path, count, n);
    db_free(buf);
    gzclose(f);
    return rc;
}

int db_weights_load(db_ctx *ctx, const char *recall_path, const char *precision_path,
                    int width, int height, db_weights *out)
{
    if (!recall_path || !precision_path || !out)
        return db_fail(ctx, DB_EINVAL, "weights: missing file name or output");
    DB_TRY(db_check_dimensions(ctx, "weights", width, height));
    size_t n = (size_t)width * height;
    float *r = db_malloc(ctx, n * sizeof *r), *p = db_malloc(ctx, n * sizeof *p);
    int rc = (r && p) ? 0 : DB_ENOMEM;
    if (!rc)
        rc = load_one(ctx, recall_path, n, r);
    if (!rc)
        rc = load_one(ctx, precision_path, n, p);
    if (rc) {
        db_free(r);
        db_free(p);
        return rc;
    }
    db_weights_free(out);
    out->width = width;
    out->height = height;
    out->recall = r;
    out->precision = p;
    return 0;
}
