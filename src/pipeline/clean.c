/* clean.c - OCR-ready output (`--output clean-gray|clean-color`): the page's
 * own levels kept where the binarization mask, grown by a margin, says ink,
 * and white elsewhere; optionally the kept ink contrast-normalised against a
 * local background estimate (ratio model: pixel = reflectance * light).
 * Mask growth is bit-parallel on BIT1 words. Drop-colour lives in dropcolor.c;
 * the CLI wiring in src/cli/process.c.
 *
 *   db_clean_options_defaults  db_clean_dilate  db_clean_gray  db_clean_color
 */
#include "db_internal.h"

#include <math.h>
#include <string.h>

void db_clean_options_defaults(db_clean_options *opts)
{
    *opts = (db_clean_options){.margin = 1, .disk = false, .normalize = false, .block = 48,
                               .ink_percentile = 2.0};
}

/* ------------------------------------------------------------ mask growth */

/* Grows a packed row by step px both ways in place (1 <= step <= 63): the
 * previous and next words are read before being overwritten, so one pass
 * suffices. Bits past the width are cleared again by lastmask. */
static void row_grow(uint64_t *row, size_t nw, int step, uint64_t lastmask)
{
    uint64_t prev = 0;
    for (size_t i = 0; i < nw; i++) {
        uint64_t cur = row[i], next = i + 1 < nw ? row[i + 1] : 0;
        uint64_t from_left = (cur << step) | (prev >> (64 - step));
        uint64_t from_right = (cur >> step) | (next << (64 - step));
        prev = cur;
        row[i] = cur | from_left | from_right;
    }
    row[nw - 1] &= lastmask;
}

/* Grows a row already grown by have px to want px in doubling steps. A run
 * covering [a-r, a+r] may be cut at the image border (a near 0: only [0, a+r]
 * is left), so a shift s keeps it contiguous only when s <= r+1, not 2r+1. */
static void row_grow_to(uint64_t *row, size_t nw, int have, int want, uint64_t lastmask)
{
    while (have < want) {
        int step = want - have < have + 1 ? want - have : have + 1;
        row_grow(row, nw, step, lastmask);
        have += step;
    }
}

int db_clean_dilate(db_ctx *ctx, const db_image *mask, int margin, bool disk, db_image *out)
{
    if (!mask || !out || mask == out)
        return db_fail(ctx, DB_EINVAL, "clean: dilate needs distinct mask and output");
    if (mask->format != DB_BIT1)
        return db_fail(ctx, DB_EINVAL, "clean: mask must be 1-bit (format %d)", mask->format);
    if (margin < 0 || margin > DB_CLEAN_MAX_MARGIN)
        return db_fail(ctx, DB_EINVAL, "clean: margin %d out of range 0..%d", margin,
                       DB_CLEAN_MAX_MARGIN);
    int w = mask->width, h = mask->height;
    DB_TRY(db_image_ensure(ctx, out, w, h, DB_BIT1));
    out->xdpi = mask->xdpi;
    out->ydpi = mask->ydpi;
    size_t row_bytes = db_format_row_bytes(DB_BIT1, w);
    if (margin == 0) {
        for (int y = 0; y < h; y++)
            memcpy(db_image_row(out, y), db_image_row(mask, y), row_bytes);
        return 0;
    }
    size_t nw = ((size_t)w + 63) / 64;
    uint64_t lastmask = (w & 63) ? (((uint64_t)1 << (w & 63)) - 1) : ~(uint64_t)0;
    /* half-width of the structuring element on each row offset dy */
    int hw[2 * DB_CLEAN_MAX_MARGIN + 1];
    for (int dy = -margin; dy <= margin; dy++)
        hw[dy + margin] = disk ? (int)floor(sqrt((double)(margin * margin - dy * dy)) + 1e-9)
                               : margin;
    db_image tmp = {0};
    int rc = db_image_ensure(ctx, &tmp, w, h, DB_BIT1);
    if (rc != 0)
        return rc;
    for (int y = 0; y < h; y++) {
        memcpy(db_image_row(&tmp, y), db_image_row(mask, y), row_bytes);
        memset(db_image_row(out, y), 0, row_bytes);
    }
    /* The distinct half-widths in increasing order: tmp holds the rows grown
     * by `have`; every dy whose half-width equals it ORs its rows into out. */
    int have = 0, pending = 0; /* widths >= pending are still to do */
    for (;;) {
        int next = DB_CLEAN_MAX_MARGIN + 1;
        for (int i = 0; i <= 2 * margin; i++)
            if (hw[i] >= pending && hw[i] < next)
                next = hw[i];
        if (next > DB_CLEAN_MAX_MARGIN)
            break;
        for (int y = 0; y < h; y++)
            row_grow_to((uint64_t *)(void *)db_image_row(&tmp, y), nw, have, next, lastmask);
        have = next;
        pending = next + 1;
        for (int i = 0; i <= 2 * margin; i++) {
            if (hw[i] != have)
                continue;
            int dy = i - margin;
            for (int y = dy < 0 ? -dy : 0; y < h && y + dy < h; y++) {
                uint64_t *o = (uint64_t *)(void *)db_image_row(out, y);
                const uint64_t *t = (const uint64_t *)(const void *)db_image_row(&tmp, y + dy);
                for (size_t k = 0; k < nw; k++)
                    o[k] |= t[k];
            }
        }
    }
    db_image_free(&tmp);
    return 0;
}

/* ------------------------------------------------- background and output */

/* Median of the non-ink pixels (outside the grown mask) of each block and
 * channel into bg[(by * nbx + bx) * nch + c]. A block with under a tenth of
 * its area as paper has no estimate of its own: it takes the mean of its
 * estimated 4-neighbours, repeated until every block has one (255 when the
 * page has no paper at all). */
static int bg_estimate(db_ctx *ctx, const db_image *src, int nch, const db_image *grown,
                       int block, int nbx, int nby, float *bg)
{
    int w = src->width, h = src->height;
    size_t ncell = (size_t)nbx * nby;
    uint32_t *hist = db_malloc(ctx, sizeof *hist * 256 * 3);
    float *prev = db_malloc(ctx, sizeof *prev * ncell * nch);
    if (!hist || !prev) {
        db_free(hist);
        db_free(prev);
        return db_fail(ctx, DB_ENOMEM, "clean: out of memory for the background grid");
    }
    int known = 0;
    for (int by = 0; by < nby; by++)
        for (int bx = 0; bx < nbx; bx++) {
            int x0 = bx * block, y0 = by * block;
            int x1 = x0 + block < w ? x0 + block : w, y1 = y0 + block < h ? y0 + block : h;
            memset(hist, 0, sizeof *hist * 256 * nch);
            uint32_t n = 0;
            for (int y = y0; y < y1; y++) {
                const uint8_t *p = db_image_row(src, y);
                for (int x = x0; x < x1; x++) {
                    if (db_bit_get(grown, x, y))
                        continue;
                    for (int c = 0; c < nch; c++)
                        hist[c * 256 + p[x * nch + c]]++;
                    n++;
                }
            }
            float *cell = bg + ((size_t)by * nbx + bx) * nch;
            uint32_t area = (uint32_t)(x1 - x0) * (uint32_t)(y1 - y0);
            if (n < 8 || n * 10 < area) {
                for (int c = 0; c < nch; c++)
                    cell[c] = -1.0f;
                continue;
            }
            known++;
            for (int c = 0; c < nch; c++) {
                uint32_t acc = 0, half = (n + 1) / 2;
                int v = 0;
                while (acc + hist[c * 256 + v] < half)
                    acc += hist[c * 256 + v++];
                cell[c] = (float)v;
            }
        }
    if (known == 0)
        for (size_t i = 0; i < ncell * nch; i++)
            bg[i] = 255.0f;
    for (bool missing = known > 0 && (size_t)known < ncell; missing;) {
        memcpy(prev, bg, sizeof *prev * ncell * nch);
        missing = false;
        for (int by = 0; by < nby; by++)
            for (int bx = 0; bx < nbx; bx++) {
                size_t i = (size_t)by * nbx + bx;
                if (prev[i * nch] >= 0)
                    continue;
                static const int d[4][2] = {{-1, 0}, {1, 0}, {0, -1}, {0, 1}};
                float sum[3] = {0, 0, 0};
                int m = 0;
                for (int k = 0; k < 4; k++) {
                    int nx = bx + d[k][0], ny = by + d[k][1];
                    if (nx < 0 || ny < 0 || nx >= nbx || ny >= nby)
                        continue;
                    const float *q = prev + ((size_t)ny * nbx + nx) * nch;
                    if (q[0] < 0)
                        continue;
                    for (int c = 0; c < nch; c++)
                        sum[c] += q[c];
                    m++;
                }
                if (m == 0) {
                    missing = true;
                    continue;
                }
                for (int c = 0; c < nch; c++)
                    bg[i * nch + c] = sum[c] / (float)m;
            }
    }
    db_free(hist);
    db_free(prev);
    return 0;
}

/* Bilinear position between block centres along one axis: index of the
 * left/top centre and the weight of the right/bottom one. */
static void axis_weights(int n, int block, int ncell, int *i0, float *wt)
{
    for (int x = 0; x < n; x++) {
        double f = (x + 0.5) / block - 0.5;
        if (f < 0)
            f = 0;
        if (f > ncell - 1)
            f = ncell - 1;
        int i = (int)f;
        if (i > ncell - 2)
            i = ncell > 1 ? ncell - 2 : 0;
        i0[x] = i;
        wt[x] = ncell > 1 ? (float)(f - i) : 0.0f;
    }
}

static inline float bg_at(const float *bg, int nbx, int nby, int nch, int c, int ix, float wx,
                          int iy, float wy)
{
    int ix1 = ix + (nbx > 1), iy1 = iy + (nby > 1);
    float a = bg[((size_t)iy * nbx + ix) * nch + c], b = bg[((size_t)iy * nbx + ix1) * nch + c];
    float d = bg[((size_t)iy1 * nbx + ix) * nch + c], e = bg[((size_t)iy1 * nbx + ix1) * nch + c];
    float v = (a + (b - a) * wx) * (1 - wy) + (d + (e - d) * wx) * wy;
    return v < 1.0f ? 1.0f : v;
}

#define RATIO_BINS 1024

/* src (GRAY8 with nch 1 or RGB8 with nch 3) -> out, same format. */
static int clean_run(db_ctx *ctx, const db_image *src, int nch, const db_image *mask,
                     const db_clean_options *o, db_image *out)
{
    int w = src->width, h = src->height;
    db_image grown = {0};
    float *bg = NULL, *wx = NULL, *wy = NULL;
    int *ix = NULL, *iy = NULL;
    uint32_t *rhist = NULL;
    int rc = db_clean_dilate(ctx, mask, o->margin, o->disk, &grown);
    if (rc == 0)
        rc = db_image_ensure(ctx, out, w, h, src->format);
    if (rc != 0)
        goto done;
    out->xdpi = src->xdpi;
    out->ydpi = src->ydpi;
    float rlo[3] = {0, 0, 0};
    int nbx = 0, nby = 0;
    if (o->normalize) {
        nbx = (w + o->block - 1) / o->block;
        nby = (h + o->block - 1) / o->block;
        bg = db_malloc(ctx, sizeof *bg * (size_t)nbx * nby * nch);
        wx = db_malloc(ctx, sizeof *wx * (size_t)w);
        ix = db_malloc(ctx, sizeof *ix * (size_t)w);
        wy = db_malloc(ctx, sizeof *wy * (size_t)h);
        iy = db_malloc(ctx, sizeof *iy * (size_t)h);
        rhist = db_calloc(ctx, (size_t)RATIO_BINS * nch, sizeof *rhist);
        if (!bg || !wx || !ix || !wy || !iy || !rhist) {
            rc = db_fail(ctx, DB_ENOMEM, "clean: out of memory (%dx%d)", w, h);
            goto done;
        }
        if ((rc = bg_estimate(ctx, src, nch, &grown, o->block, nbx, nby, bg)) != 0)
            goto done;
        axis_weights(w, o->block, nbx, ix, wx);
        axis_weights(h, o->block, nby, iy, wy);
        /* the darkest ink: a percentile of pixel/background over the mask
         * itself (not the margin, which holds the stroke edges) */
        uint64_t nink = 0;
        for (int y = 0; y < h; y++) {
            const uint8_t *p = db_image_row(src, y);
            for (int x = 0; x < w; x++) {
                if (!db_bit_get(mask, x, y))
                    continue;
                nink++;
                for (int c = 0; c < nch; c++) {
                    float r = p[x * nch + c] / bg_at(bg, nbx, nby, nch, c, ix[x], wx[x], iy[y],
                                                     wy[y]);
                    int b = r >= 1.0f ? RATIO_BINS - 1 : (int)(r * RATIO_BINS);
                    rhist[c * RATIO_BINS + b]++;
                }
            }
        }
        uint64_t want = (uint64_t)((double)nink * o->ink_percentile / 100.0);
        for (int c = 0; c < nch; c++) {
            uint64_t acc = 0;
            int b = 0;
            while (b < RATIO_BINS - 1 && acc + rhist[c * RATIO_BINS + b] <= want)
                acc += rhist[c * RATIO_BINS + b++];
            /* a mask without contrast (rlo near 1) would blow noise up */
            rlo[c] = nink ? (float)b / RATIO_BINS : 0.0f;
            if (rlo[c] > 0.8f)
                rlo[c] = 0.8f;
        }
    }
    for (int y = 0; y < h; y++) {
        const uint8_t *p = db_image_row(src, y);
        uint8_t *q = db_image_row(out, y);
        for (int x = 0; x < w; x++) {
            if (!db_bit_get(&grown, x, y)) {
                for (int c = 0; c < nch; c++)
                    q[x * nch + c] = 255;
                continue;
            }
            for (int c = 0; c < nch; c++) {
                uint8_t v = p[x * nch + c];
                if (o->normalize) {
                    float r = v / bg_at(bg, nbx, nby, nch, c, ix[x], wx[x], iy[y], wy[y]);
                    float s = (r - rlo[c]) / (1.0f - rlo[c]) * 255.0f;
                    v = (uint8_t)(s <= 0 ? 0 : s >= 255 ? 255 : s + 0.5f);
                }
                q[x * nch + c] = v;
            }
        }
    }
    rc = 0;
done:
    db_image_free(&grown);
    db_free(bg);
    db_free(wx);
    db_free(wy);
    db_free(ix);
    db_free(iy);
    db_free(rhist);
    return rc;
}

static int check_args(db_ctx *ctx, const db_image *page, const db_image *mask,
                      const db_clean_options *o, const db_image *out)
{
    if (!page || !mask || !out || page == out || mask == out)
        return db_fail(ctx, DB_EINVAL, "clean: page, mask and a distinct output are needed");
    if (page->format != DB_GRAY8 && page->format != DB_RGB8)
        return db_fail(ctx, DB_EINVAL, "clean: page must be gray or RGB (format %d)",
                       page->format);
    if (mask->format != DB_BIT1)
        return db_fail(ctx, DB_EINVAL, "clean: mask must be 1-bit (format %d)", mask->format);
    if (mask->width != page->width || mask->height != page->height)
        return db_fail(ctx, DB_EINVAL, "clean: mask %dx%d does not match page %dx%d",
                       mask->width, mask->height, page->width, page->height);
    if (o->block < 8 || o->block > 1024)
        return db_fail(ctx, DB_EINVAL, "clean: block %d out of range 8..1024", o->block);
    if (!(o->ink_percentile >= 0 && o->ink_percentile <= 50))
        return db_fail(ctx, DB_EINVAL, "clean: ink percentile %g out of range 0..50",
                       o->ink_percentile);
    return 0;
}

int db_clean_gray(db_ctx *ctx, const db_image *page, const db_image *mask,
                  const db_clean_options *opts, db_image *out)
{
    db_clean_options def;
    db_clean_options_defaults(&def);
    const db_clean_options *o = opts ? opts : &def;
    DB_TRY(check_args(ctx, page, mask, o, out));
    if (page->format == DB_GRAY8)
        return clean_run(ctx, page, 1, mask, o, out);
    db_image gray = {0};
    int rc = db_image_to_gray(ctx, page, &gray);
    if (rc == 0)
        rc = clean_run(ctx, &gray, 1, mask, o, out);
    db_image_free(&gray);
    return rc;
}

int db_clean_color(db_ctx *ctx, const db_image *page, const db_image *mask,
                   const db_clean_options *opts, db_image *out)
{
    db_clean_options def;
    db_clean_options_defaults(&def);
    const db_clean_options *o = opts ? opts : &def;
    DB_TRY(check_args(ctx, page, mask, o, out));
    if (page->format == DB_RGB8)
        return clean_run(ctx, page, 3, mask, o, out);
    db_image rgb = {0};
    int rc = db_image_ensure(ctx, &rgb, page->width, page->height, DB_RGB8);
    if (rc == 0) {
        rgb.xdpi = page->xdpi;
        rgb.ydpi = page->ydpi;
        for (int y = 0; y < page->height; y++) {
            const uint8_t *p = db_image_row(page, y);
            uint8_t *q = db_image_row(&rgb, y);
            for (int x = 0; x < page->width; x++)
                q[3 * x] = q[3 * x + 1] = q[3 * x + 2] = p[x];
        }
        rc = clean_run(ctx, &rgb, 3, mask, o, out);
    }
    db_image_free(&rgb);
    return rc;
}
