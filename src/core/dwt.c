/* dwt.c - one level of the orthonormal 2-D Haar wavelet transform (the DWT
 * front end of the 1-bit networks) and its inverse. Band formulas are those
 * of the HAAR2 network layer (nets/graph.h, db_haar2_out), so a page split
 * here equals the HAAR2 node's output. Odd right/bottom edges repeat the last
 * column/row; the inverse drops the repeated samples. For 8-bit input every
 * intermediate is a multiple of 1/2 below 2^10, so the round trip is exact. */
#include "db_internal.h"

int db_dwt_haar(db_ctx *ctx, const db_image *in, db_image bands[4])
{
    if (!in || !in->data || (in->format != DB_GRAY8 && in->format != DB_F32))
        return db_fail(ctx, DB_EINVAL, "dwt: input must be GRAY8 or F32");
    int w = in->width, h = in->height, ow = (w + 1) / 2, oh = (h + 1) / 2;
    for (int b = 0; b < 4; b++)
        DB_TRY(db_image_ensure(ctx, &bands[b], ow, oh, DB_F32));
    for (int y = 0; y < oh; y++) {
        int y0 = 2 * y, y1 = 2 * y + 1 < h ? 2 * y + 1 : 2 * y;
        float *o[4];
        for (int b = 0; b < 4; b++) {
            o[b] = (float *)(void *)db_image_row(&bands[b], y);
            bands[b].xdpi = in->xdpi / 2;
            bands[b].ydpi = in->ydpi / 2;
        }
        for (int x = 0; x < ow; x++) {
            int x0 = 2 * x, x1 = 2 * x + 1 < w ? 2 * x + 1 : 2 * x;
            float p, q, r, s;
            if (in->format == DB_GRAY8) {
                const uint8_t *r0 = db_image_row(in, y0), *r1 = db_image_row(in, y1);
                p = r0[x0], q = r0[x1], r = r1[x0], s = r1[x1];
            } else {
                const float *r0 = (const float *)(const void *)db_image_row(in, y0);
                const float *r1 = (const float *)(const void *)db_image_row(in, y1);
                p = r0[x0], q = r0[x1], r = r1[x0], s = r1[x1];
            }
            o[0][x] = ((p + q) + (r + s)) * 0.5f; /* LL */
            o[1][x] = ((p - q) + (r - s)) * 0.5f; /* LH: horizontal detail */
            o[2][x] = ((p + q) - (r + s)) * 0.5f; /* HL: vertical detail */
            o[3][x] = ((p - q) - (r - s)) * 0.5f; /* HH */
        }
    }
    return 0;
}

int db_dwt_haar_inverse(db_ctx *ctx, const db_image bands[4], int w, int h, db_image *out)
{
    int ow = (w + 1) / 2, oh = (h + 1) / 2;
    for (int b = 0; b < 4; b++)
        if (bands[b].format != DB_F32 || bands[b].width != ow || bands[b].height != oh)
            return db_fail(ctx, DB_EINVAL, "dwt: band %d is not F32 %dx%d", b, ow, oh);
    DB_TRY(db_image_ensure(ctx, out, w, h, DB_F32));
    out->xdpi = bands[0].xdpi * 2;
    out->ydpi = bands[0].ydpi * 2;
    for (int y = 0; y < h; y++) {
        const float *ll = (const float *)(const void *)db_image_row(&bands[0], y / 2);
        const float *lh = (const float *)(const void *)db_image_row(&bands[1], y / 2);
        const float *hl = (const float *)(const void *)db_image_row(&bands[2], y / 2);
        const float *hh = (const float *)(const void *)db_image_row(&bands[3], y / 2);
        float *o = (float *)(void *)db_image_row(out, y);
        bool bottom = y & 1;
        for (int x = 0; x < w; x++) {
            int i = x / 2;
            bool right = x & 1;
            /* p = (LL+LH+HL+HH)/2, q = (LL-LH+HL-HH)/2, r = (LL+LH-HL-HH)/2,
             * s = (LL-LH-HL+HH)/2 */
            float a = right ? ll[i] - lh[i] : ll[i] + lh[i];
            float d = right ? hl[i] - hh[i] : hl[i] + hh[i];
            o[x] = (bottom ? a - d : a + d) * 0.5f;
        }
    }
    return 0;
}
