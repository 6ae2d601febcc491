/* ocr_pages.c - degrades a clean rendered text page (bench/ocr/make_pages.py
 * renders it with ImageMagick) in one documented, seeded way, for the
 * Tesseract benchmark (bench/ocr/README.md):
 *
 *   ocr_pages DEGRADATION SEED clean.png verso.png out.(png|jpg)
 *
 * clean.png / verso.png: gray, 0 = ink, 255 = paper, anti-aliased (verso is
 * the next page, used mirrored for bleed-through). Model per pixel, with c
 * the ink coverage 1 - v/255:
 *   out = blur((paper(x,y) * (1 - c) + ink * c) * light(x,y)) + noise
 * where each degradation switches on some terms (see table below). Coloured
 * pages are RGB; a red seal multiplies green and blue (transparent ink).
 */
#include "docbin.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct deg {
    const char *name;
    bool color;
    double light;    /* illumination fall-off 0..1 */
    bool yellow;     /* yellowed paper, faded brown ink */
    int stains;      /* brown blotches */
    double bleed;    /* verso strength 0..1 */
    double blur;     /* Gaussian sigma, px */
    double noise;    /* Gaussian sigma, gray levels */
    int jpeg;        /* JPEG quality, 0 = PNG */
    bool seal;       /* red seal rings and a red ruling over the text */
} deg;

static const deg degs[] = {
    {"clean", false, 0, false, 0, 0, 0, 0, 0, false},
    {"illum", false, 0.65, false, 0, 0, 0, 3, 0, false},
    {"yellow", true, 0, true, 0, 0, 0, 3, 0, false},
    {"stains", true, 0, false, 6, 0, 0, 3, 0, false},
    {"bleed", false, 0, false, 0, 0.45, 0, 3, 0, false},
    {"blur", false, 0, false, 0, 0, 1.6, 2, 0, false},
    {"noise", false, 0, false, 0, 0, 0, 32, 0, false},
    {"jpeg", false, 0.2, false, 0, 0, 0, 4, 12, false},
    {"seal", true, 0, false, 0, 0, 0, 3, 0, true},
    {"mix", true, 0.4, true, 3, 0.3, 0.7, 8, 60, true},
};

static uint64_t rng_state;
static double urand(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (double)((rng_state * 0x2545F4914F6CDD1Dull) >> 11) / 9007199254740992.0;
}
static double grand(void)
{
    return (urand() + urand() + urand() + urand() - 2.0) * 1.7320508;
}

/* Separable Gaussian blur of n planes of w x h floats in place. */
static void blur_planes(float *p, int nch, int w, int h, double sigma)
{
    int r = (int)ceil(3 * sigma);
    float *k = malloc(sizeof *k * (2 * r + 1));
    float *tmp = malloc(sizeof *tmp * (size_t)(w > h ? w : h));
    double sum = 0;
    for (int i = -r; i <= r; i++)
        sum += k[i + r] = (float)exp(-0.5 * i * i / (sigma * sigma));
    for (int i = 0; i <= 2 * r; i++)
        k[i] /= (float)sum;
    for (int c = 0; c < nch; c++) {
        float *pl = p + (size_t)c * w * h;
        for (int y = 0; y < h; y++) {
            float *row = pl + (size_t)y * w;
            for (int x = 0; x < w; x++) {
                float a = 0;
                for (int i = -r; i <= r; i++) {
                    int xx = x + i < 0 ? 0 : x + i >= w ? w - 1 : x + i;
                    a += k[i + r] * row[xx];
                }
                tmp[x] = a;
            }
            memcpy(row, tmp, sizeof *tmp * w);
        }
        for (int x = 0; x < w; x++) {
            for (int y = 0; y < h; y++) {
                float a = 0;
                for (int i = -r; i <= r; i++) {
                    int yy = y + i < 0 ? 0 : y + i >= h ? h - 1 : y + i;
                    a += k[i + r] * pl[(size_t)yy * w + x];
                }
                tmp[y] = a;
            }
            for (int y = 0; y < h; y++)
                pl[(size_t)y * w + x] = tmp[y];
        }
    }
    free(k);
    free(tmp);
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fputs("usage: ocr_pages DEGRADATION SEED clean.png verso.png out.(png|jpg)\n"
              "degradations:",
              stderr);
        for (size_t i = 0; i < sizeof degs / sizeof degs[0]; i++)
            fprintf(stderr, " %s", degs[i].name);
        fputc('\n', stderr);
        return 2;
    }
    const deg *d = NULL;
    for (size_t i = 0; i < sizeof degs / sizeof degs[0]; i++)
        if (strcmp(argv[1], degs[i].name) == 0)
            d = &degs[i];
    if (!d) {
        fprintf(stderr, "ocr_pages: unknown degradation '%s'\n", argv[1]);
        return 2;
    }
    rng_state = strtoull(argv[2], NULL, 0) * 0x9E3779B97F4A7C15ull + 1;
    db_ctx *ctx;
    if (db_ctx_create(NULL, &ctx) != 0)
        return 1;
    db_image front = {0}, back = {0}, out = {0};
    if (db_image_load(ctx, argv[3], &front) != 0 || db_image_load(ctx, argv[4], &back) != 0 ||
        front.format != DB_GRAY8 || back.format != DB_GRAY8) {
        fprintf(stderr, "ocr_pages: %s\n", db_ctx_message(ctx));
        return 1;
    }
    int w = front.width, h = front.height, nch = d->color ? 3 : 1;
    size_t n = (size_t)w * h;
    float *pl = malloc(sizeof *pl * n * 3);
    float *verso = malloc(sizeof *verso * n);
    /* the verso mirrored left-right, blurred by the paper */
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int sx = w - 1 - x;
            verso[(size_t)y * w + x] =
                y < back.height && sx < back.width ? 1.0f - db_image_row(&back, y)[sx] / 255.0f
                                                   : 0.0f;
        }
    if (d->bleed > 0)
        blur_planes(verso, 1, w, h, 2.0);
    double st[8][4];
    for (int i = 0; i < d->stains && i < 8; i++) {
        st[i][0] = urand() * w;
        st[i][1] = urand() * h;
        st[i][2] = (0.04 + 0.10 * urand()) * w;
        st[i][3] = 0.25 + 0.3 * urand();
    }
    double lx = urand(), ly = urand(); /* brightest corner region */
    double seal_cx = w * (0.45 + 0.3 * urand()), seal_cy = h * (0.25 + 0.5 * urand());
    double seal_r = 0.16 * w;
    double rule_y = h * (0.3 + 0.4 * urand());
    const double paper_w[3] = {246, 246, 246}, paper_y[3] = {228, 210, 160};
    const double ink_k[3] = {25, 25, 25}, ink_y[3] = {85, 62, 40};
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            size_t k = (size_t)y * w + x;
            double c = 1.0 - db_image_row(&front, y)[x] / 255.0;
            double fx = (double)x / w, fy = (double)y / h;
            double dist = hypot(fx - lx, fy - ly) / 1.4142;
            double light = 1.0 - d->light * (0.75 * dist + 0.25 * dist * dist);
            double stain = 1.0;
            for (int i = 0; i < d->stains && i < 8; i++) {
                double dx = x - st[i][0], dy = y - st[i][1];
                double r2 = (dx * dx + dy * dy) / (st[i][2] * st[i][2]);
                /* a darker rim, like a dried coffee ring */
                if (r2 < 4)
                    stain *= 1.0 - st[i][3] * (exp(-r2) * 0.7 + 0.5 * exp(-8 * (r2 - 1) * (r2 - 1)));
            }
            double sd = hypot(x - seal_cx, y - seal_cy) / seal_r;
            bool seal = d->seal && ((sd > 0.86 && sd < 1.0) || (sd > 0.66 && sd < 0.72) ||
                                    (fabs(y - rule_y) < 3.5));
            for (int ch = 0; ch < nch; ch++) {
                double paper = d->yellow ? paper_y[ch] : paper_w[ch];
                double ink = d->yellow ? ink_y[ch] : ink_k[ch];
                if (d->stains && d->color) /* brown: blue absorbed most */
                    paper *= ch == 0 ? 0.5 + 0.5 * stain : ch == 1 ? stain : stain * stain;
                else
                    paper *= stain;
                paper *= 1.0 - d->bleed * verso[k];
                double v = (paper * (1 - c) + ink * c) * light;
                if (seal && ch > 0)
                    v *= ch == 1 ? 0.35 : 0.30;
                pl[(size_t)ch * n + k] = (float)v;
            }
        }
    if (d->blur > 0)
        blur_planes(pl, nch, w, h, d->blur);
    if (db_image_ensure(ctx, &out, w, h, d->color ? DB_RGB8 : DB_GRAY8) != 0)
        return 1;
    for (int y = 0; y < h; y++) {
        uint8_t *row = db_image_row(&out, y);
        for (int x = 0; x < w; x++) {
            double g = grand() * d->noise;
            for (int ch = 0; ch < nch; ch++) {
                double v = pl[(size_t)ch * n + (size_t)y * w + x] + g;
                row[x * nch + ch] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v + 0.5);
            }
        }
    }
    out.xdpi = out.ydpi = 300;
    db_write_options wo = {.flags = DB_WRITE_OVERWRITE, .jpeg_quality = d->jpeg};
    int rc = db_image_save(ctx, argv[5], &wo, &out);
    if (rc != 0)
        fprintf(stderr, "ocr_pages: %s\n", db_ctx_message(ctx));
    free(pl);
    free(verso);
    db_image_free(&front);
    db_image_free(&back);
    db_image_free(&out);
    db_ctx_free(ctx);
    return rc ? 1 : 0;
}
