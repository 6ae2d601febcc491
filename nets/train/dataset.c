/* dataset.c - training and validation pages in memory: DIBCO-style folders
 * (image + "<name>_gt.png", text = 0) read with db_image_load, stored as 8-bit
 * R, G, B (the network's INPUT channels) plus a 1 = ink mask; for the global
 * network (`--global N`) every page resized to N x N (tr_pageset_resize). The
 * patch sampler is in sampler.c. */
#include "nets/train/train_internal.h"

#include "nets/resample.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void tr_pageset_free(tr_pageset *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->n; i++) {
        db_free(s->pages[i].px);
        db_free(s->pages[i].ink);
    }
    db_free(s->pages);
    memset(s, 0, sizeof *s);
}

uint64_t tr_pageset_pixels(const tr_pageset *s)
{
    uint64_t n = 0;
    for (int i = 0; i < s->n; i++)
        n += (uint64_t)s->pages[i].w * (uint64_t)s->pages[i].h;
    return n;
}

int tr_pageset_add(db_ctx *ctx, tr_pageset *s, const db_image *img, const db_image *gt,
                   const char *name)
{
    if ((img->format != DB_GRAY8 && img->format != DB_RGB8) ||
        (gt->format != DB_GRAY8 && gt->format != DB_RGB8))
        return db_fail(ctx, DB_EINVAL, "train: %s: page and ground truth must be 8-bit", name);
    if (img->width != gt->width || img->height != gt->height)
        return db_fail(ctx, DB_EFORMAT, "train: %s: ground truth is %dx%d, page %dx%d", name,
                       gt->width, gt->height, img->width, img->height);
    if (s->n == s->cap) {
        int cap = s->cap ? 2 * s->cap : 16;
        tr_page *np = db_realloc(ctx, s->pages, (size_t)cap * sizeof *np);
        if (!np)
            return DB_ENOMEM;
        s->pages = np;
        s->cap = cap;
    }
    const int w = img->width, h = img->height;
    tr_page *p = &s->pages[s->n];
    memset(p, 0, sizeof *p);
    size_t npx = (size_t)w * (size_t)h, bytes;
    if (!db_mul_size(npx, TR_IN_CHANNELS, &bytes))
        return db_fail(ctx, DB_ETOOBIG, "train: %s: page too large", name);
    p->px = db_malloc(ctx, bytes);
    p->ink = db_malloc(ctx, npx);
    if (!p->px || !p->ink) {
        db_free(p->px);
        db_free(p->ink);
        return DB_ENOMEM;
    }
    uint64_t ink = 0;
    for (int y = 0; y < h; y++) {
        const uint8_t *ir = db_image_row(img, y), *gr = db_image_row(gt, y);
        for (int x = 0; x < w; x++) {
            uint8_t *o = p->px + ((size_t)y * w + x) * TR_IN_CHANNELS;
            int r, g, b;
            if (img->format == DB_RGB8) {
                r = ir[3 * x];
                g = ir[3 * x + 1];
                b = ir[3 * x + 2];
            } else {
                r = g = b = ir[x];
            }
            o[0] = (uint8_t)r;
            o[1] = (uint8_t)g;
            o[2] = (uint8_t)b;
            /* the DIBCO tool's rule: only 0 is text (README of the data) */
            int t = gt->format == DB_RGB8 ? (gr[3 * x] | gr[3 * x + 1] | gr[3 * x + 2]) == 0
                                          : gr[x] == 0;
            p->ink[(size_t)y * w + x] = (uint8_t)t;
            ink += (uint64_t)t;
        }
    }
    p->w = w;
    p->h = h;
    p->ink_frac = (double)ink / (double)npx;
    snprintf(p->name, sizeof p->name, "%s", name);
    s->n++;
    return 0;
}

void tr_pageset_channel(tr_pageset *s, int channel)
{
    if (channel == DB_CHANNEL_ALL)
        return;
    for (int i = 0; i < s->n; i++)
        db_channel_rows(s->pages[i].px, false, (size_t)s->pages[i].w * (size_t)s->pages[i].h,
                        channel, s->pages[i].px);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_image_name(const char *n)
{
    const char *dot = strrchr(n, '.');
    if (!dot || dot == n)
        return false;
    return db_file_format_from_name(n) != DB_FILE_AUTO;
}

/* Name without extension ends in "_gt" (a ground-truth file itself). */
static bool is_gt_name(const char *n)
{
    const char *dot = strrchr(n, '.');
    size_t len = dot ? (size_t)(dot - n) : strlen(n);
    return len >= 3 && strncmp(n + len - 3, "_gt", 3) == 0;
}

int tr_pageset_load_dir(db_ctx *ctx, tr_pageset *s, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return db_fail(ctx, DB_EIO, "train: cannot open folder %s", dir);
    char **names = NULL;
    int n = 0, cap = 0, rc = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || !is_image_name(e->d_name) || is_gt_name(e->d_name))
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **nn = db_realloc(ctx, names, (size_t)cap * sizeof *nn);
            if (!nn) {
                rc = DB_ENOMEM;
                break;
            }
            names = nn;
        }
        size_t len = strlen(e->d_name) + 1;
        if (!(names[n] = db_malloc(ctx, len))) {
            rc = DB_ENOMEM;
            break;
        }
        memcpy(names[n++], e->d_name, len);
    }
    closedir(d);
    if (rc == 0 && n == 0)
        rc = db_fail(ctx, DB_EINVAL, "train: no page images in %s", dir);
    if (rc == 0)
        qsort(names, (size_t)n, sizeof *names, cmp_str);
    db_image img = {0}, gt = {0};
    for (int i = 0; i < n && rc == 0; i++) {
        char path[4096], gpath[4096], base[1024];
        snprintf(base, sizeof base, "%s", names[i]);
        char *dot = strrchr(base, '.');
        if (dot)
            *dot = 0;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        snprintf(gpath, sizeof gpath, "%s/%s_gt.png", dir, base);
        struct stat st;
        if (stat(gpath, &st) != 0) {
            rc = db_fail(ctx, DB_EINVAL, "train: %s: missing ground truth %s", path, gpath);
            break;
        }
        rc = db_image_load(ctx, path, &img);
        if (rc == 0)
            rc = db_image_load(ctx, gpath, &gt);
        if (rc == 0)
            rc = tr_pageset_add(ctx, s, &img, &gt, path);
    }
    db_image_free(&img);
    db_image_free(&gt);
    for (int i = 0; i < n; i++)
        db_free(names[i]);
    db_free(names);
    return rc;
}

int tr_page_image(db_ctx *ctx, const tr_page *p, db_image *img)
{
    DB_TRY(db_image_ensure(ctx, img, p->w, p->h, DB_RGB8));
    for (int y = 0; y < p->h; y++) {
        uint8_t *row = db_image_row(img, y);
        for (int x = 0; x < p->w; x++)
            for (int c = 0; c < 3; c++)
                row[3 * x + c] = p->px[((size_t)y * p->w + x) * TR_IN_CHANNELS + c];
    }
    return 0;
}

/* Global network (stage 3 of Ju et al. 2022): the page becomes N x N. The
 * image is area-averaged (resample.h) and rounded; the ground truth is
 * area-averaged as a 0/1 ink map and a pixel is ink when ink covers at least
 * half of its source rectangle (coverage >= 0.5). The reference code
 * (abcpp12383/ThreeStageBinarization, Base/image_to_512.py) samples both with
 * nearest neighbour and then grows the ink by a 5x5 erosion of the white
 * background; we keep the mask an honest low-resolution binarization, so
 * that the validation F-measure at full resolution means something, and grow
 * ink at fusion time instead (src/pipeline/global_fusion.c). */
int tr_pageset_resize(db_ctx *ctx, tr_pageset *s, int n)
{
    if (n < DB_GLOBAL_MIN || n > DB_GLOBAL_MAX)
        return db_fail(ctx, DB_EINVAL, "train: global size %d (%d..%d)", n, DB_GLOBAL_MIN,
                       DB_GLOBAL_MAX);
    const size_t np = (size_t)n * (size_t)n;
    float *f = db_malloc(ctx, np * TR_IN_CHANNELS * sizeof *f);
    if (!f)
        return DB_ENOMEM;
    int rc = 0;
    for (int i = 0; i < s->n && rc == 0; i++) {
        tr_page *p = &s->pages[i];
        uint8_t *px = db_malloc(ctx, np * TR_IN_CHANNELS), *ink = db_malloc(ctx, np);
        if (!px || !ink)
            rc = DB_ENOMEM;
        if (rc == 0)
            rc = db_resample_area(ctx, p->px, (size_t)p->w * TR_IN_CHANNELS, p->w, p->h,
                                  TR_IN_CHANNELS, f, n, n);
        for (size_t q = 0; rc == 0 && q < np * TR_IN_CHANNELS; q++)
            px[q] = (uint8_t)lrintf(f[q] < 0 ? 0 : f[q] > 255 ? 255 : f[q]);
        if (rc == 0)
            rc = db_resample_area(ctx, p->ink, (size_t)p->w, p->w, p->h, 1, f, n, n);
        uint64_t nink = 0;
        for (size_t q = 0; rc == 0 && q < np; q++) {
            ink[q] = f[q] >= 0.5f;
            nink += ink[q];
        }
        if (rc != 0) {
            db_free(px);
            db_free(ink);
            break;
        }
        db_free(p->px);
        db_free(p->ink);
        p->px = px;
        p->ink = ink;
        p->w = p->h = n;
        p->ink_frac = (double)nink / (double)np;
    }
    db_free(f);
    return rc;
}

int tr_global_run(db_ctx *ctx, db_net *net, const tr_page *p, int n, db_image *res)
{
    const size_t np = (size_t)n * (size_t)n;
    float *f = db_malloc(ctx, np * TR_IN_CHANNELS * sizeof *f);
    db_image small = {0}, mask = {0}, logits = {0};
    int rc = f ? 0 : DB_ENOMEM;
    if (rc == 0)
        rc = db_resample_area(ctx, p->px, (size_t)p->w * TR_IN_CHANNELS, p->w, p->h,
                              TR_IN_CHANNELS, f, n, n);
    if (rc == 0)
        rc = db_image_ensure(ctx, &small, n, n, DB_RGB8);
    for (int y = 0; rc == 0 && y < n; y++) {
        uint8_t *row = db_image_row(&small, y);
        const float *src = f + (size_t)y * n * TR_IN_CHANNELS;
        for (int q = 0; q < n * TR_IN_CHANNELS; q++)
            row[q] = (uint8_t)lrintf(src[q] < 0 ? 0 : src[q] > 255 ? 255 : src[q]);
    }
    if (rc == 0)
        rc = db_net_run(ctx, net, &small, &mask, &logits);
    for (int y = 0; rc == 0 && y < n; y++) { /* probabilities, in place of f */
        const float *l = (const float *)(const void *)db_image_row(&logits, y);
        for (int x = 0; x < n; x++)
            f[(size_t)y * n + x] = db_sigmoid_out(l[x]);
    }
    if (rc == 0)
        rc = db_resample_prob_mask(ctx, f, n, n, 0.5, p->w, p->h, res);
    db_free(f);
    db_image_free(&small);
    db_image_free(&mask);
    db_image_free(&logits);
    return rc;
}
