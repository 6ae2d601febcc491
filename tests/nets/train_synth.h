/* train_synth.h - synthetic degraded pages for the trainer tests: tinted
 * paper with a gradient, noise, dark stains and faint bleed-through strokes
 * (background in the ground truth), plus dark ink strokes (text). Header-only,
 * seeded, written as PNG pairs (<name>.png, <name>_gt.png). */
#ifndef DB_TEST_TRAIN_SYNTH_H
#define DB_TEST_TRAIN_SYNTH_H

#include "test_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void synth_stroke(float *map, int w, int h, uint64_t *rng, float value, int thick)
{
    int x0 = tu_rand_range(rng, 0, w - 1), y0 = tu_rand_range(rng, 0, h - 1);
    int len = tu_rand_range(rng, 6, 24), dir = tu_rand_range(rng, 0, 7);
    static const int dx[8] = {1, 1, 0, -1, -1, -1, 0, 1}, dy[8] = {0, 1, 1, 1, 0, -1, -1, -1};
    for (int s = 0; s < len; s++) {
        int cx = x0 + dx[dir] * s, cy = y0 + dy[dir] * s;
        for (int yy = cy; yy < cy + thick; yy++)
            for (int xx = cx; xx < cx + thick; xx++)
                if (xx >= 0 && yy >= 0 && xx < w && yy < h)
                    map[(size_t)yy * w + xx] = value;
        if (tu_rand_range(rng, 0, 5) == 0)
            dir = (dir + tu_rand_range(rng, 0, 2) + 7) % 8;
    }
}

/* One page (RGB8) and its GT (GRAY8, text 0). */
static void synth_page(db_ctx *ctx, int w, int h, uint64_t *rng, db_image *img, db_image *gt)
{
    assert_int_equal(db_image_ensure(ctx, img, w, h, DB_RGB8), 0);
    assert_int_equal(db_image_ensure(ctx, gt, w, h, DB_GRAY8), 0);
    float *ink = calloc((size_t)w * h, sizeof *ink), *bleed = calloc((size_t)w * h, sizeof *bleed);
    float *stain = calloc((size_t)w * h, sizeof *stain);
    int nstroke = w * h / 500;
    for (int i = 0; i < nstroke; i++)
        synth_stroke(ink, w, h, rng, 1.0f, tu_rand_range(rng, 2, 3));
    for (int i = 0; i < nstroke / 2; i++)
        synth_stroke(bleed, w, h, rng, 1.0f, 2);
    for (int i = 0; i < 3; i++) {
        int cx = tu_rand_range(rng, 0, w - 1), cy = tu_rand_range(rng, 0, h - 1);
        int r = tu_rand_range(rng, 6, 18);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                float d = sqrtf((float)((x - cx) * (x - cx) + (y - cy) * (y - cy)));
                if (d < r)
                    stain[(size_t)y * w + x] += 1.0f - d / (float)r;
            }
    }
    float tint[3];
    for (int c = 0; c < 3; c++)
        tint[c] = 200.0f + (float)tu_rand_range(rng, 0, 40);
    float ink_level = 30.0f + (float)tu_rand_range(rng, 0, 50);
    for (int y = 0; y < h; y++) {
        uint8_t *row = db_image_row(img, y), *g = db_image_row(gt, y);
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            float grad = 25.0f * (float)x / (float)w;
            for (int c = 0; c < 3; c++) {
                float v = tint[c] - grad - 70.0f * stain[i] - 45.0f * bleed[i];
                if (ink[i] > 0)
                    v = ink_level + 20.0f * stain[i];
                v += (float)tu_rand_range(rng, -12, 12);
                row[3 * x + c] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
            g[x] = ink[i] > 0 ? 0 : 255;
        }
    }
    free(ink);
    free(bleed);
    free(stain);
}

/* Writes n pairs "<prefix>NN.png" + "_gt.png" into dir. */
static void synth_write_set(const char *dir, const char *prefix, int n, int w, int h,
                            uint64_t seed)
{
    db_ctx *ctx = NULL;
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    db_image img = {0}, gt = {0};
    uint64_t rng = seed | 1;
    for (int i = 0; i < n; i++) {
        char name[256], path[1024];
        synth_page(ctx, w + 2 * i, h + i, &rng, &img, &gt);
        snprintf(name, sizeof name, "%s%02d.png", prefix, i);
        assert_int_equal(db_image_save(ctx, tu_path(path, sizeof path, dir, name), NULL, &img), 0);
        snprintf(name, sizeof name, "%s%02d_gt.png", prefix, i);
        assert_int_equal(db_image_save(ctx, tu_path(path, sizeof path, dir, name), NULL, &gt), 0);
    }
    db_image_free(&img);
    db_image_free(&gt);
    db_ctx_free(ctx);
}

#endif
