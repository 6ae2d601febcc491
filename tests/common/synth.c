/* synth.c - see synth.h. Text is drawn as glyph-like groups of thick strokes
 * on text lines; the page is paper texture x illumination gradient, minus ink
 * coverage, with stains, bleed-through and Gaussian-ish noise. Everything is
 * integer-seeded (xorshift) so a seed always gives the same page. */
#include "synth.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rnd(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545f4914f6cdd1dull;
}
static double urand(uint64_t *s) { return (double)(rnd(s) >> 11) * (1.0 / 9007199254740992.0); }
static int irand(uint64_t *s, int lo, int hi) { return lo + (int)(rnd(s) % (uint64_t)(hi - lo + 1)); }

void tu_synth_defaults(tu_synth_opts *o, int w, int h, uint64_t seed)
{
    memset(o, 0, sizeof *o);
    o->width = w;
    o->height = h;
    o->seed = seed ? seed : 1;
    o->gradient = 0.45;
    o->noise_sigma = 6;
    o->stains = 3;
    o->bleed_through = true;
    o->text_height = h / 60;
    if (o->text_height < 8)
        o->text_height = 8;
    if (o->text_height > 64)
        o->text_height = 64;
}

/* Adds coverage of a thick segment into cov (float, 0..1) over its box. */
static void stroke(float *cov, int w, int h, double x0, double y0, double x1, double y1,
                   double half, float strength)
{
    int bx0 = (int)floor(fmin(x0, x1) - half - 1), bx1 = (int)ceil(fmax(x0, x1) + half + 1);
    int by0 = (int)floor(fmin(y0, y1) - half - 1), by1 = (int)ceil(fmax(y0, y1) + half + 1);
    if (bx0 < 0) bx0 = 0;
    if (by0 < 0) by0 = 0;
    if (bx1 > w - 1) bx1 = w - 1;
    if (by1 > h - 1) by1 = h - 1;
    double dx = x1 - x0, dy = y1 - y0, len2 = dx * dx + dy * dy;
    for (int y = by0; y <= by1; y++)
        for (int x = bx0; x <= bx1; x++) {
            double t = len2 > 0 ? ((x - x0) * dx + (y - y0) * dy) / len2 : 0;
            t = t < 0 ? 0 : t > 1 ? 1 : t;
            double ex = x - (x0 + t * dx), ey = y - (y0 + t * dy);
            double d = sqrt(ex * ex + ey * ey);
            /* anti-aliased edge one pixel wide */
            double c = d <= half - 0.5 ? 1.0 : d >= half + 0.5 ? 0.0 : half + 0.5 - d;
            float v = (float)(c * strength);
            if (v > cov[(size_t)y * w + x])
                cov[(size_t)y * w + x] = v;
        }
}

/* Lines of glyphs into cov; strength per line (faint lines are lighter). */
static void draw_text(float *cov, int w, int h, int th, uint64_t *s, bool faint_lines)
{
    int margin = w / 12 + 2, line_gap = th * 2;
    for (int base = margin + th; base + th / 3 < h - margin / 2; base += line_gap) {
        float strength = 1.0f;
        if (faint_lines && urand(s) < 0.2)
            strength = (float)(0.35 + 0.25 * urand(s));
        int x = margin + irand(s, 0, th);
        int line_end = w - margin - irand(s, 0, w / 5 + 1);
        double half = fmax(0.8, th * (0.06 + 0.04 * urand(s)));
        while (x + th < line_end) {
            int letters = irand(s, 2, 8);
            for (int l = 0; l < letters && x + th < line_end; l++) {
                int gw = (int)(th * (0.45 + 0.35 * urand(s)));
                int asc = urand(s) < 0.25, desc = !asc && urand(s) < 0.15;
                double top = base - th * (asc ? 1.0 : 0.6), bot = base + (desc ? th * 0.35 : 0);
                int nstrokes = irand(s, 2, 4);
                for (int k = 0; k < nstrokes; k++) {
                    double ax = x + urand(s) * gw, bx = x + urand(s) * gw;
                    double ay = top + urand(s) * (bot - top), by = top + urand(s) * (bot - top);
                    if (k == 0) { /* one vertical-ish main stroke per glyph */
                        ax = x + gw * 0.3;
                        bx = ax + (urand(s) - 0.5) * gw * 0.3;
                        ay = top;
                        by = bot;
                    }
                    stroke(cov, w, h, ax, ay, bx, by, half, strength);
                }
                x += gw + (int)(th * 0.15) + 1;
            }
            x += (int)(th * 0.5);
        }
    }
}

int tu_synth_page(db_ctx *ctx, const tu_synth_opts *o, db_image *page, db_image *truth)
{
    int w = o->width, h = o->height, rc;
    size_t n = (size_t)w * (size_t)h;
    float *ink = calloc(n, sizeof *ink), *bleed = calloc(n, sizeof *bleed);
    if (!ink || !bleed) {
        free(ink);
        free(bleed);
        return DB_ENOMEM;
    }
    uint64_t s = o->seed * 0x9e3779b97f4a7c15ull + 1;
    draw_text(ink, w, h, o->text_height, &s, true);
    if (o->bleed_through) {
        float *tmp = calloc(n, sizeof *tmp);
        if (tmp) {
            draw_text(tmp, w, h, o->text_height, &s, false);
            for (int y = 0; y < h; y++) /* mirrored left-right, like the verso */
                for (int x = 0; x < w; x++)
                    bleed[(size_t)y * w + x] = 0.22f * tmp[(size_t)y * w + (w - 1 - x)];
            free(tmp);
        }
    }
    /* stains: (cx, cy, radius, depth) */
    double st[16][4];
    int nst = o->stains > 16 ? 16 : o->stains;
    for (int i = 0; i < nst; i++) {
        st[i][0] = urand(&s) * w;
        st[i][1] = urand(&s) * h;
        st[i][2] = (0.05 + 0.12 * urand(&s)) * (w < h ? w : h);
        st[i][3] = 25 + 35 * urand(&s);
    }
    double seal_cx = w * (0.6 + 0.25 * urand(&s)), seal_cy = h * (0.15 + 0.6 * urand(&s));
    double seal_r = 0.08 * (w < h ? w : h);
    if (truth) {
        if ((rc = db_image_ensure(ctx, truth, w, h, DB_BIT1)) != 0)
            goto out;
        db_image_clear(truth);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                if (ink[(size_t)y * w + x] >= 0.5f)
                    db_bit_set(truth, x, y, 1);
    }
    rc = 0;
    if (page) {
        if ((rc = db_image_ensure(ctx, page, w, h, o->color ? DB_RGB8 : DB_GRAY8)) != 0)
            goto out;
        uint64_t ns = o->seed ^ 0xabcdef12345ull;
        for (int y = 0; y < h; y++) {
            uint8_t *row = db_image_row(page, y);
            for (int x = 0; x < w; x++) {
                double fx = (double)x / w, fy = (double)y / h;
                double light = 1.0 - o->gradient * (0.6 * fx * fx + 0.4 * fy + 0.3 * fx * fy) /
                                         1.3;
                double paper = 218 + 10 * sin(fx * 37.0 + fy * 11.0) * sin(fy * 23.0);
                for (int i = 0; i < nst; i++) {
                    double dx = x - st[i][0], dy = y - st[i][1];
                    double r2 = (dx * dx + dy * dy) / (st[i][2] * st[i][2]);
                    if (r2 < 4)
                        paper -= st[i][3] * exp(-r2);
                }
                size_t k = (size_t)y * w + x;
                double cover = ink[k] > bleed[k] ? ink[k] : bleed[k];
                double inkv = 35;
                double v = (paper * (1 - cover) + inkv * cover) * light;
                /* noise: sum of 4 uniforms ~ Gaussian with the requested sigma */
                double g = (urand(&ns) + urand(&ns) + urand(&ns) + urand(&ns) - 2.0) * 1.732;
                v += g * o->noise_sigma;
                if (!o->color) {
                    row[x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v + 0.5);
                } else {
                    double sd = hypot(x - seal_cx, y - seal_cy) / seal_r;
                    bool seal = sd > 0.8 && sd < 1.0;
                    double r = v * 1.02 + 4, gg = v * 0.98, b = v * 0.80;
                    if (seal) { /* red ring: keeps red, darkens green and blue */
                        gg *= 0.45;
                        b *= 0.40;
                    }
                    row[3 * x] = (uint8_t)(r < 0 ? 0 : r > 255 ? 255 : r + 0.5);
                    row[3 * x + 1] = (uint8_t)(gg < 0 ? 0 : gg > 255 ? 255 : gg + 0.5);
                    row[3 * x + 2] = (uint8_t)(b < 0 ? 0 : b > 255 ? 255 : b + 0.5);
                }
            }
        }
        page->xdpi = page->ydpi = 300;
    }
out:
    free(ink);
    free(bleed);
    return rc;
}
