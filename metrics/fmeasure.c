/* fmeasure.c - the text mask every measure reads (value 0 = text, the
 * official tool's rule), the confusion counts, and recall, precision and
 * F-measure (x100). Degenerate ratios: see db_metrics in docbin.h.
 */
#include "metrics_internal.h"

#include <string.h>

static int mask_check(db_ctx *ctx, const db_image *img, const char *who)
{
    if (!img || !img->data)
        return db_fail(ctx, DB_EINVAL, "%s: missing image", who);
    if (img->format != DB_GRAY8 && img->format != DB_RGB8 && img->format != DB_BIT1)
        return db_fail(ctx, DB_EINVAL, "%s: image format %d is not gray, rgb or 1-bit", who,
                       (int)img->format);
    return db_check_dimensions(ctx, who, img->width, img->height);
}

int db_mask_from_image(db_ctx *ctx, const db_image *img, bool two_level, const char *who,
                       db_mask *mask)
{
    memset(mask, 0, sizeof *mask);
    DB_TRY(mask_check(ctx, img, who));
    uint8_t *m = db_plane_malloc(ctx, (size_t)img->width * img->height, 1);
    if (!m)
        return DB_ENOMEM;
    int rc = db_mask_fill(ctx, img, two_level, who, m, mask);
    if (rc)
        db_free(m);
    return rc;
}

int db_mask_fill(db_ctx *ctx, const db_image *img, bool two_level, const char *who, uint8_t *m,
                 db_mask *mask)
{
    memset(mask, 0, sizeof *mask);
    DB_TRY(mask_check(ctx, img, who));
    int w = img->width, h = img->height;
    if (img->format == DB_GRAY8) {
        /* fast path: the mask and whether any value other than 0 and the
         * first non-zero value v1 occurs (then the full check below runs
         * again for its message) */
        uint8_t v1 = 0;
        for (int y = 0; y < h && !v1; y++) {
            const uint8_t *r = db_image_row(img, y);
            for (int x = 0; x < w && !v1; x++)
                v1 = r[x];
        }
        uint8_t other = 0;
        for (int y = 0; y < h; y++) {
            const uint8_t *r = db_image_row(img, y);
            uint8_t *o = m + (size_t)y * w;
            for (int x = 0; x < w; x++) {
                o[x] = r[x] == 0;
                other |= (uint8_t)((r[x] != 0) & (r[x] != v1));
            }
        }
        if (!other || !two_level) {
            mask->w = w;
            mask->h = h;
            mask->m = m;
            return 0;
        }
    }
    /* two_level: the gray values seen, as a 256-bit set */
    uint64_t seen[4] = {0, 0, 0, 0};
    for (int y = 0; y < h; y++) {
        const uint8_t *r = db_image_row(img, y);
        uint8_t *o = m + (size_t)y * w;
        if (img->format == DB_GRAY8) {
            for (int x = 0; x < w; x++) {
                o[x] = r[x] == 0;
                seen[r[x] >> 6] |= (uint64_t)1 << (r[x] & 63);
            }
        } else if (img->format == DB_RGB8) {
            for (int x = 0; x < w; x++, r += 3) {
                /* the gray db_image_to_gray (and MATLAB's rgb2gray) gives */
                unsigned g = (299u * r[0] + 587u * r[1] + 114u * r[2] + 500u) / 1000u;
                o[x] = g == 0;
                seen[g >> 6] |= (uint64_t)1 << (g & 63);
            }
        } else {
            for (int x = 0; x < w; x++)
                o[x] = (uint8_t)db_bit_get(img, x, y);
        }
    }
    if (two_level && img->format != DB_BIT1) {
        int levels = 0, first = -1, second = -1;
        for (int v = 0; v < 256; v++)
            if ((seen[v >> 6] >> (v & 63)) & 1) {
                if (levels == 0)
                    first = v;
                else if (levels == 1)
                    second = v;
                levels++;
            }
        if (levels > 2 || (levels == 2 && first != 0)) {
            if (levels > 2)
                return db_fail(ctx, DB_EFORMAT,
                               "%s: ground truth is not binary (%d gray levels, e.g. %d, %d)", who,
                               levels, first, second);
            return db_fail(ctx, DB_EFORMAT,
                           "%s: ground truth has no black (0) text level (levels %d, %d)", who,
                           first, second);
        }
    }
    mask->w = w;
    mask->h = h;
    mask->m = m;
    return 0;
}

void db_counts_compute(const db_mask *gt, const db_mask *res, db_counts *out)
{
    size_t n = (size_t)gt->w * gt->h;
    uint64_t both = 0, g = 0, r = 0;
    for (size_t i = 0; i < n; i++) {
        both += gt->m[i] & res->m[i];
        g += gt->m[i];
        r += res->m[i];
    }
    out->tp = both;
    out->fn = g - both;
    out->fp = r - both;
    out->tn = n - g - r + both;
}

double db_fmeasure_combine(double r, double p)
{
    return r + p > 0 ? 2.0 * r * p / (r + p) : 0.0;
}

void db_fmeasure_from_counts(const db_counts *c, db_metrics *m)
{
    if (c->tp + c->fn) {
        m->recall = 100.0 * (double)c->tp / (double)(c->tp + c->fn);
        m->defined |= DB_METRIC_RECALL;
    } else {
        m->recall = 100.0; /* nothing to find */
    }
    if (c->tp + c->fp) {
        m->precision = 100.0 * (double)c->tp / (double)(c->tp + c->fp);
        m->defined |= DB_METRIC_PRECISION;
    } else {
        m->precision = 100.0; /* nothing claimed */
    }
    m->fm = db_fmeasure_combine(m->recall, m->precision);
    if ((m->defined & (DB_METRIC_RECALL | DB_METRIC_PRECISION)) ==
        (DB_METRIC_RECALL | DB_METRIC_PRECISION))
        m->defined |= DB_METRIC_FM;
}
