/* maskstat.h - window statistics over a subset of pixels (a mask), internal
 * to classic/: the count, sum and sum of squares of the selected pixels of any
 * clipped square window in O(1), from three integral images. Used by su.c
 * (statistics of stroke-edge pixels) and gatos.c (mean of the paper pixels).
 * The border rule is winstat.h's: the window [x-r, x+r] x [y-r, y+r] is
 * clipped to the image. Sums are exact: counts and sums are 32-bit prefixes
 * whose window differences fit (255 * 2047^2 < 2^32), squares 64-bit.
 * Memory: 16 bytes per pixel.
 */
#ifndef DB_MASKSTAT_H
#define DB_MASKSTAT_H

#include "docbin.h"

typedef struct db_maskstat {
    int w, h;
    size_t stride;    /* w + 1 */
    uint32_t *n, *s;  /* (w+1) * (h+1) prefixes, modulo 2^32 */
    uint64_t *q;
} db_maskstat;

/* Allocates the prefixes for a w x h image; free with db_maskstat_free. */
int db_maskstat_alloc(db_ctx *ctx, int w, int h, db_maskstat *ms);
void db_maskstat_free(db_maskstat *ms);
/* Builds the prefixes of gray (GRAY8, ms->w x ms->h) over the pixels whose
 * mask byte (w*h, row-major) is nonzero. */
void db_maskstat_build(db_maskstat *ms, const db_image *gray, const uint8_t *mask);

/* Count n, sum s and sum of squares q of the masked pixels in the window of
 * radius r around (x, y). */
static inline void db_maskstat_window(const db_maskstat *ms, int x, int y, int r, uint32_t *n,
                                      uint32_t *s, uint64_t *q)
{
    int x0 = x - r < 0 ? 0 : x - r, x1 = x + r + 1 > ms->w ? ms->w : x + r + 1;
    int y0 = y - r < 0 ? 0 : y - r, y1 = y + r + 1 > ms->h ? ms->h : y + r + 1;
    size_t a = (size_t)y0 * ms->stride + x0, b = (size_t)y0 * ms->stride + x1;
    size_t c = (size_t)y1 * ms->stride + x0, d = (size_t)y1 * ms->stride + x1;
    *n = ms->n[d] - ms->n[b] - ms->n[c] + ms->n[a];
    *s = ms->s[d] - ms->s[b] - ms->s[c] + ms->s[a];
    *q = ms->q[d] - ms->q[b] - ms->q[c] + ms->q[a];
}

#endif
