/* sampler.c - random training patches: a page drawn in proportion to its area,
 * a window drawn at a jittered scale, flips and 90-degree rotations,
 * brightness / contrast / per-channel colour jitter, and class balance (a
 * share of patches redrawn until they hold ink). Every choice comes from the
 * caller's tr_rng, so a batch is a function of the seed. Pages: dataset.c. */
#include "nets/train/train_internal.h"

#include <math.h>

void tr_aug_defaults(tr_aug *a)
{
    a->patch = 128;
    a->ink_share = 0.75f;
    a->min_ink = 0.01f;
    a->flips = true;
    a->rot90 = true;
    a->brightness = 0.1f;
    a->contrast = 0.2f;
    a->color = 0.1f;
    a->scale = 0.15f;
}

static int pick_page(const tr_pageset *s, tr_rng *rng)
{
    uint64_t total = tr_pageset_pixels(s);
    uint64_t r = (uint64_t)(tr_rng_uniform(rng) * (double)total);
    for (int i = 0; i < s->n; i++) {
        uint64_t a = (uint64_t)s->pages[i].w * (uint64_t)s->pages[i].h;
        if (r < a)
            return i;
        r -= a;
    }
    return s->n - 1;
}

/* Ink fraction of a window (integer steps of `step` pixels, cheap estimate). */
static double window_ink(const tr_page *p, int x0, int y0, int side)
{
    uint64_t ink = 0, n = 0;
    int step = side >= 64 ? 2 : 1;
    for (int y = y0; y < y0 + side; y += step)
        for (int x = x0; x < x0 + side; x += step) {
            n++;
            if (x >= 0 && y >= 0 && x < p->w && y < p->h)
                ink += p->ink[(size_t)y * p->w + x];
        }
    return n ? (double)ink / (double)n : 0.0;
}

void tr_sample_patch(const tr_pageset *s, const tr_aug *aug, tr_rng *rng, float *x,
                     float *target)
{
    const int P = aug->patch;
    bool want_ink = tr_rng_uniform(rng) < aug->ink_share;
    double sc = 1.0 + aug->scale * (2.0 * tr_rng_uniform(rng) - 1.0);
    int side = (int)lround(P * sc);
    if (side < 2)
        side = 2;
    const tr_page *p = NULL;
    int x0 = 0, y0 = 0;
    for (int tries = 0; tries < 30; tries++) {
        p = &s->pages[pick_page(s, rng)];
        /* windows may hang over a page smaller than the patch: paper there */
        int mx = p->w - side, my = p->h - side;
        x0 = mx > 0 ? tr_rng_below(rng, mx + 1) : mx / 2;
        y0 = my > 0 ? tr_rng_below(rng, my + 1) : my / 2;
        if (!want_ink || window_ink(p, x0, y0, side) >= aug->min_ink)
            break;
    }
    int rot = aug->rot90 ? tr_rng_below(rng, 4) : 0;
    bool fx = aug->flips && tr_rng_below(rng, 2), fy = aug->flips && tr_rng_below(rng, 2);
    float gain[3], k = 1.0f + aug->contrast * (float)(2.0 * tr_rng_uniform(rng) - 1.0);
    float off = aug->brightness * (float)(2.0 * tr_rng_uniform(rng) - 1.0);
    for (int c = 0; c < 3; c++)
        gain[c] = 1.0f + aug->color * (float)(2.0 * tr_rng_uniform(rng) - 1.0);
    for (int i = 0; i < P; i++)
        for (int j = 0; j < P; j++) {
            /* output (i, j) -> patch coordinates (u, v) -> page pixel */
            int u = j, v = i;
            for (int r = 0; r < rot; r++) {
                int t = u;
                u = P - 1 - v;
                v = t;
            }
            if (fx)
                u = P - 1 - u;
            if (fy)
                v = P - 1 - v;
            int sx = x0 + (int)((int64_t)u * side / P), sy = y0 + (int)((int64_t)v * side / P);
            float *o = x + ((size_t)i * P + j) * TR_IN_CHANNELS;
            float rgb[3];
            int t = 0;
            if (sx >= 0 && sy >= 0 && sx < p->w && sy < p->h) {
                const uint8_t *q = p->px + ((size_t)sy * p->w + sx) * TR_IN_CHANNELS;
                for (int c = 0; c < 3; c++)
                    rgb[c] = q[c] * (1.0f / 255.0f);
                t = p->ink[(size_t)sy * p->w + sx];
            } else {
                rgb[0] = rgb[1] = rgb[2] = 1.0f;
            }
            for (int c = 0; c < 3; c++) {
                float val = ((rgb[c] * gain[c] - 0.5f) * k + 0.5f) + off;
                o[c] = val < 0.0f ? 0.0f : val > 1.0f ? 1.0f : val;
            }
            target[(size_t)i * P + j] = (float)t;
        }
}
