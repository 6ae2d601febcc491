/* stem8.c - the integer stem's weights, offsets and sample rows (stem8.h);
 * the arithmetic itself is the kernels' stem8 (nets/kernels). */
#include "nets/stem8.h"

#include "nets/layers.h"

#include <math.h>
#include <string.h>

bool db_stem8_applies(const db_graph *g, int conv)
{
    if (conv < 0 || conv >= g->nnodes)
        return false;
    const db_gnode *n = &g->nodes[conv];
    if (n->op != DB_OP_CONV_REAL || n->k != 3 || n->stride != 1)
        return false;
    int h = n->in[0];
    if (h < 0 || g->nodes[h].op != DB_OP_HAAR2 || g->nodes[h].in[0] != 0)
        return false;
    int c = g->nodes[0].cout;
    if (g->nodes[0].op != DB_OP_INPUT || (c != 1 && c != 3))
        return false;
    for (int i = 0; i < g->nnodes; i++) /* the Haar map has no other reader */
        if (i != conv && (g->nodes[i].in[0] == h || g->nodes[i].in[1] == h))
            return false;
    return true;
}

int db_stem8_init(db_ctx *ctx, const db_graph *g, int conv, db_stem8 *q)
{
    memset(q, 0, sizeof *q);
    q->c = g->nodes[0].cout;
    q->cout = g->nodes[conv].cout;
    q->cout16 = (q->cout + 15) & ~15;
    size_t nw = (size_t)36 * (size_t)q->c * (size_t)q->cout16;
    q->wq = db_aligned_alloc(ctx, nw * sizeof *q->wq);
    q->scale = db_aligned_alloc(ctx, (size_t)q->cout16 * sizeof *q->scale);
    q->off = db_aligned_alloc(ctx, (size_t)16 * (size_t)q->cout16 * sizeof *q->off);
    if (!q->wq || !q->scale || !q->off) {
        db_stem8_free(q);
        return DB_ENOMEM;
    }
    memset(q->wq, 0, nw * sizeof *q->wq);
    memset(q->scale, 0, (size_t)q->cout16 * sizeof *q->scale);
    memset(q->off, 0, (size_t)16 * (size_t)q->cout16 * sizeof *q->off);
    return 0;
}

void db_stem8_free(db_stem8 *q)
{
    db_aligned_free(q->wq);
    db_aligned_free(q->scale);
    db_aligned_free(q->off);
    memset(q, 0, sizeof *q);
}

/* sign of Haar band `band` (LL, LH, HL, HH) at block position (a row, b col) */
static int band_sign(int band, int a, int b)
{
    switch (band) {
    case 1: return b == 0 ? 1 : -1;
    case 2: return a == 0 ? 1 : -1;
    case 3: return a == b ? 1 : -1;
    default: return 1;
    }
}

void db_stem8_prepare(db_stem8 *q, const db_graph *g, int conv, const float *mean,
                      const float *inv_std, int page_channels)
{
    const db_gnode *n = &g->nodes[conv];
    int cm = g->nodes[0].cout, cin = n->cin;
    q->c = page_channels == 1 ? 1 : cm; /* a gray page: one sample for every channel */
    int c = q->c;
    bool unit = g->nodes[0].attr == DB_NORM_UNIT;
    for (int o = 0; o < q->cout; o++) {
        double v[6][6][3] = {{{0}}}, vmax = 0;
        for (int dy = 0; dy < 6; dy++)
            for (int dx = 0; dx < 6; dx++) {
                for (int ch = 0; ch < cm; ch++) {
                    const float *w =
                        n->w + ((size_t)o * 9 + (size_t)((dy / 2) * 3 + dx / 2)) * (size_t)cin +
                        (size_t)(4 * ch);
                    double s = 0;
                    for (int band = 0; band < 4; band++)
                        s += band_sign(band, dy % 2, dx % 2) * (double)w[band];
                    double sc = unit ? 1.0 / 255.0 : (double)inv_std[ch];
                    v[dy][dx][ch < c ? ch : 0] += 0.5 * sc * s;
                }
                for (int ch = 0; ch < c; ch++)
                    vmax = fmax(vmax, fabs(v[dy][dx][ch]));
            }
        double qo = vmax > 0 ? vmax / 32767.0 : 1.0;
        /* the mean's share of each 2x2 cell (ky, kx), from the rounded weights */
        double cell[3][3] = {{0}};
        for (int dy = 0; dy < 6; dy++)
            for (int dx = 0; dx < 6; dx++)
                for (int ch = 0; ch < c; ch++) {
                    long vq = lrint(v[dy][dx][ch] / qo);
                    int t = dx * c + ch;
                    q->wq[(((size_t)dy * (size_t)(3 * c) + (size_t)(t / 2)) * (size_t)q->cout16 +
                           (size_t)o) *
                              2 +
                          (size_t)(t % 2)] = (int16_t)vq;
                    double m = unit ? 0.0 : (double)mean[ch];
                    cell[dy / 2][dx / 2] += (double)vq * m;
                }
        q->scale[o] = (float)qo;
        for (int pat = 0; pat < 16; pat++) {
            double sum = 0;
            for (int ky = 0; ky < 3; ky++)
                for (int kx = 0; kx < 3; kx++) {
                    if ((ky == 0 && (pat & DB_STEM8_TOP)) || (ky == 2 && (pat & DB_STEM8_BOTTOM)) ||
                        (kx == 0 && (pat & DB_STEM8_LEFT)) || (kx == 2 && (pat & DB_STEM8_RIGHT)))
                        continue;
                    sum += cell[ky][kx];
                }
            q->off[(size_t)pat * (size_t)q->cout16 + (size_t)o] =
                (float)((double)n->p[0][o] - qo * sum);
        }
    }
}

int db_stem8_row_len(int c, int iw) { return (2 * ((iw + 1) / 2) + 4) * c; }

DB_VECTORIZE void db_stem8_fill_row(const db_image *page, int cx, int cy, int iw, int ih, int c,
                                    int r, int16_t *dst)
{
    int len = db_stem8_row_len(c, iw);
    int cells = (ih + 1) / 2;
    if (r < 0 || r >= 2 * cells) { /* a cell outside the map: zeros */
        memset(dst, 0, (size_t)len * sizeof *dst);
        return;
    }
    int rr = r < ih ? r : ih - 1; /* the odd bottom edge: replicate */
    int pc = page->format == DB_RGB8 ? 3 : 1;
    const uint8_t *src = db_image_row(page, cy + rr) + (size_t)cx * (size_t)pc;
    memset(dst, 0, (size_t)(2 * c) * sizeof *dst);
    int16_t *d = dst + 2 * c;
    if (pc == c) {
        for (int i = 0; i < iw * c; i++)
            d[i] = src[i];
    } else { /* a gray page read by a 3-channel input: the sample repeated */
        for (int x = 0; x < iw; x++)
            for (int ch = 0; ch < c; ch++)
                d[x * c + ch] = src[x * pc];
    }
    int x = iw;
    if (iw % 2) { /* the odd right edge: replicate */
        for (int ch = 0; ch < c; ch++)
            d[iw * c + ch] = d[(iw - 1) * c + ch];
        x++;
    }
    memset(d + (size_t)x * (size_t)c, 0, (size_t)((len - 2 * c) - x * c) * sizeof *dst);
}

int db_stem8_run_ref(db_ctx *ctx, const db_stem8 *q, const db_image *page, float *out)
{
    int iw = page->width, ih = page->height, ow = (iw + 1) / 2, oh = (ih + 1) / 2, c = q->c;
    int len = db_stem8_row_len(c, iw);
    int16_t *rows = db_malloc(ctx, (size_t)6 * (size_t)len * sizeof *rows);
    if (!rows)
        return DB_ENOMEM;
    for (int y = 0; y < oh; y++) {
        const int16_t *rp[6];
        for (int dy = 0; dy < 6; dy++) {
            db_stem8_fill_row(page, 0, 0, iw, ih, c, 2 * y - 2 + dy, rows + (size_t)dy * len);
            rp[dy] = rows + (size_t)dy * len;
        }
        int vert = db_stem8_pattern(1, y, 3, oh); /* the row's top/bottom bits only */
        const float *off[3];
        int first = vert | DB_STEM8_LEFT | (ow == 1 ? DB_STEM8_RIGHT : 0);
        off[0] = q->off + (size_t)first * (size_t)q->cout16;
        off[1] = q->off + (size_t)vert * (size_t)q->cout16;
        off[2] = q->off + (size_t)(vert | DB_STEM8_RIGHT) * (size_t)q->cout16;
        db_stem8_ref(rp, c, ow, q->wq, q->cout, q->scale, off,
                     out + (size_t)y * (size_t)ow * (size_t)q->cout);
    }
    db_free(rows);
    return 0;
}
