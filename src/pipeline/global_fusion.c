/* global_fusion.c - stage 3 of the `gan` method: the GLOBAL network (a model
 * trained with `docbin train --global N` on whole pages resized to N x N) run
 * on the page resized to N x N, its ink probability brought back to the
 * page's size, and fused with the LOCAL network's mask (the tiled gan).
 *
 * The fusion rule is the reference code's (abcpp12383/ThreeStageBinarization,
 * DIBCO/eval_stage3_all.py, the code of Ju et al. 2022, arXiv 2211.16098):
 * there the page is resized to 512 x 512 (cv2.INTER_NEAREST), the global
 * prediction thresholded at 0.5, resized back (nearest) and eroded with a
 * 7 x 7 kernel of ones on its white background (which grows the ink by 3 px),
 * and the final image is the bitwise OR of the two white-background images:
 * a pixel is ink only when the local mask AND the grown global mask say ink.
 * The global network thus vetoes local ink far from any text it sees at page
 * scale (stains, bleed-through, borders). The same script skips the global
 * branch when the longer side is under 512 px or more than 6 times the
 * shorter one, and pads the page to a square when that ratio exceeds 4.
 *
 * docbin: ink = local AND dilate(global > gthr, square of radius grow), with
 *  - the page area-averaged to N x N (less aliasing than nearest; the
 *    trainer resizes its pages the same way, nets/resample.h),
 *  - the global probability upsampled bilinearly (pixel centres aligned)
 *    before thresholding at gthr (default 0.5), instead of nearest on the
 *    thresholded mask,
 *  - grow = 3 by default (the 7 x 7 kernel),
 *  - the branch skipped (local mask unchanged) when the longer side is under
 *    N or more than 4 times the shorter (we do not pad to a square).
 * Related: net_methods.c (the methods), nets/resample.c. */
#include "db_internal.h"
#include "nets/graph.h"
#include "nets/model.h"
#include "nets/resample.h"
#include "pipeline/net_methods.h"

#include <math.h>
#include <string.h>

bool db_global_fusion_applies(int n, int w, int h)
{
    int lo = w < h ? w : h, hi = w < h ? h : w;
    return n > 0 && hi >= n && (int64_t)hi <= 4 * (int64_t)lo;
}

/* page (GRAY8 or RGB8) area-averaged to an n x n RGB8 image. */
static int page_small(db_ctx *ctx, const db_image *page, int n, float *buf, db_image *small)
{
    const int C = page->format == DB_RGB8 ? 3 : 1;
    DB_TRY(db_resample_area(ctx, page->data, page->stride, page->width, page->height, C, buf, n,
                            n));
    DB_TRY(db_image_ensure(ctx, small, n, n, DB_RGB8));
    for (int y = 0; y < n; y++) {
        uint8_t *row = db_image_row(small, y);
        const float *s = buf + (size_t)y * n * C;
        for (int x = 0; x < n; x++)
            for (int c = 0; c < 3; c++) {
                float v = s[(size_t)x * C + (C == 3 ? c : 0)];
                row[3 * x + c] = (uint8_t)lrintf(v < 0 ? 0 : v > 255 ? 255 : v);
            }
    }
    return 0;
}

int db_global_fuse(db_ctx *ctx, const db_model *global, const db_image *page, double gthr,
                   int grow, db_image *mask)
{
    const int n = db_graph_global_size(db_model_graph(global));
    if (n == 0)
        return db_fail(ctx, DB_EINVAL, "gan: the global model is not a global network");
    if (!page || (page->format != DB_GRAY8 && page->format != DB_RGB8) || !mask ||
        mask->format != DB_BIT1 || mask->width != page->width || mask->height != page->height)
        return db_fail(ctx, DB_EINVAL, "gan: global fusion needs a page and its local mask");
    if (grow < 0 || grow > DB_CLEAN_MAX_MARGIN)
        return db_fail(ctx, DB_EINVAL, "gan: grow %d (0..%d)", grow, DB_CLEAN_MAX_MARGIN);
    if (!db_global_fusion_applies(n, page->width, page->height))
        return 0;
    const size_t np = (size_t)n * (size_t)n;
    float *buf = db_malloc(ctx, np * 3 * sizeof *buf);
    db_image small = {0}, smask = {0}, logits = {0}, gmask = {0}, grown = {0};
    int rc = buf ? 0 : DB_ENOMEM;
    if (rc == 0)
        rc = page_small(ctx, page, n, buf, &small);
    if (rc == 0)
        rc = db_net_method_run_model(ctx, global, &small, 0, &smask, &logits);
    for (int y = 0; rc == 0 && y < n; y++) { /* probabilities into buf */
        const float *l = (const float *)(const void *)db_image_row(&logits, y);
        for (int x = 0; x < n; x++)
            buf[(size_t)y * n + x] = db_sigmoid_out(l[x]);
    }
    if (rc == 0)
        rc = db_resample_prob_mask(ctx, buf, n, n, gthr, page->width, page->height, &gmask);
    const db_image *g = &gmask;
    if (rc == 0 && grow > 0) {
        rc = db_clean_dilate(ctx, &gmask, grow, false, &grown);
        g = &grown;
    }
    const size_t words = ((size_t)page->width + 63) / 64;
    for (int y = 0; rc == 0 && y < page->height; y++) {
        uint64_t *d = (uint64_t *)(void *)db_image_row(mask, y);
        const uint64_t *s = (const uint64_t *)(const void *)db_image_row(g, y);
        for (size_t w = 0; w < words; w++)
            d[w] &= s[w];
    }
    db_free(buf);
    db_image_free(&small);
    db_image_free(&smask);
    db_image_free(&logits);
    db_image_free(&gmask);
    db_image_free(&grown);
    return rc;
}
