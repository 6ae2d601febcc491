/* io_fixture.h - helpers shared by the tests/io/test_io_*.c programs:
 * expected-sample arithmetic, image comparison, and fixture files written
 * straight through libpng (each test program includes it once). */
#ifndef DB_IO_FIXTURE_H
#define DB_IO_FIXTURE_H

#include "test_util.h"
#include "db_internal.h"

#include <dirent.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FX_UNUSED __attribute__((unused))

static FX_UNUSED db_ctx *fx_ctx(void)
{
    db_ctx *ctx;
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    return ctx;
}

static FX_UNUSED uint8_t fx_scale(unsigned v, int bits)
{
    unsigned max = (1u << bits) - 1;
    return (uint8_t)((v * 255u + max / 2) / max);
}

static FX_UNUSED uint8_t fx_over_white(unsigned c, unsigned a)
{
    return (uint8_t)((c * a + 255u * (255u - a) + 127u) / 255u);
}

/* Asserts img is fmt, w x h and equal to the packed expected pixels. */
static FX_UNUSED void fx_expect_pixels(const db_image *img, db_format fmt, int w, int h,
                                       const uint8_t *expect)
{
    assert_int_equal(img->format, fmt);
    assert_int_equal(img->width, w);
    assert_int_equal(img->height, h);
    size_t rb = db_format_row_bytes(fmt, w);
    for (int y = 0; y < h; y++) {
        const uint8_t *row = db_image_row(img, y);
        if (memcmp(row, expect + (size_t)y * rb, rb) != 0) {
            for (size_t i = 0; i < rb; i++)
                if (row[i] != expect[(size_t)y * rb + i])
                    fail_msg("pixel byte %zu of row %d: got %d, expected %d", i, y, row[i],
                             expect[(size_t)y * rb + i]);
        }
    }
}

/* Largest absolute difference between two images of the same shape. */
static FX_UNUSED int fx_max_diff(const db_image *a, const db_image *b)
{
    assert_int_equal(a->format, b->format);
    assert_int_equal(a->width, b->width);
    assert_int_equal(a->height, b->height);
    size_t rb = db_format_row_bytes(a->format, a->width);
    int m = 0;
    for (int y = 0; y < a->height; y++) {
        const uint8_t *p = db_image_row(a, y), *q = db_image_row(b, y);
        for (size_t i = 0; i < rb; i++) {
            int d = abs((int)p[i] - (int)q[i]);
            if (d > m)
                m = d;
        }
    }
    return m;
}

/* A random BIT1 page. */
static FX_UNUSED void fx_random_bits(db_ctx *ctx, db_image *img, int w, int h, uint64_t *rng)
{
    assert_int_equal(db_image_ensure(ctx, img, w, h, DB_BIT1), 0);
    db_image_clear(img);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            db_bit_set(img, x, y, (int)(tu_rand(rng) >> 60) < 5);
}

/* Saves img as path (overwriting) and reads the file back: its bytes
 * (malloc'd, NUL-terminated) and size. */
static FX_UNUSED char *fx_save_bytes(db_ctx *ctx, const char *path, const db_image *img,
                                     size_t *n)
{
    db_write_options wo = {.flags = DB_WRITE_OVERWRITE};
    assert_int_equal(db_image_save(ctx, path, &wo, img), 0);
    char *bytes = tu_read_file(path, n);
    assert_non_null(bytes);
    return bytes;
}

/* Number of entries in dir other than . and .. */
static FX_UNUSED int fx_count_files(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

/* Writes a PNG through libpng. samples: w*h*channels values of `depth` bits
 * (indices for palettes). pal: npal RGB triples; trns: ntrns alphas for a
 * palette; trns_gray/trns_rgb >= 0: the tRNS key colour of gray/rgb files.
 * ppm > 0 writes pHYs in metres, ppm < 0 writes pHYs with unit unknown. */
typedef struct fx_png {
    int w, h, depth, ctype, interlace;
    const uint16_t *samples;
    const uint8_t *pal;
    int npal;
    const uint8_t *trns;
    int ntrns;
    int trns_key[3]; /* used when trns_key[0] >= 0 */
    long ppm_x, ppm_y;
} fx_png;

/* Samples per pixel of a PNG colour type. */
static FX_UNUSED int fx_png_channels(int ctype)
{
    switch (ctype) {
    case PNG_COLOR_TYPE_GRAY_ALPHA: return 2;
    case PNG_COLOR_TYPE_RGB: return 3;
    case PNG_COLOR_TYPE_RGB_ALPHA: return 4;
    default: return 1;
    }
}

/* Random samples of a w x h fixture (malloc'd): indices below npal for a
 * palette, else values of depth bits; seeded by the layout. */
static FX_UNUSED uint16_t *fx_png_random_samples(int w, int h, int depth, int ctype,
                                                 int interlace, int npal)
{
    uint64_t rng = tu_seed() ^ (uint64_t)(depth * 131 + ctype * 7 + interlace);
    size_t n = (size_t)w * (size_t)h * (size_t)fx_png_channels(ctype);
    uint16_t *s = malloc(n * sizeof *s);
    assert_non_null(s);
    unsigned max = (1u << depth) - 1;
    for (size_t i = 0; i < n; i++)
        s[i] = (uint16_t)(ctype == PNG_COLOR_TYPE_PALETTE ? tu_rand(&rng) % (unsigned)npal
                                                          : tu_rand(&rng) % (max + 1));
    return s;
}

/* A tRNS chunk for f's palette: alpha i*53 for every entry but the last,
 * which stays opaque. alphas holds them (the caller's, 256 entries). */
static FX_UNUSED void fx_png_palette_trns(fx_png *f, uint8_t *alphas)
{
    for (int i = 0; i < f->npal; i++)
        alphas[i] = (uint8_t)(i * 53);
    f->trns = alphas;
    f->ntrns = f->npal - 1;
}

static FX_UNUSED void fx_write_png(const char *path, const fx_png *f)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    assert_false(setjmp(png_jmpbuf(png)));
    png_init_io(png, fp);
    png_set_IHDR(png, info, (png_uint_32)f->w, (png_uint_32)f->h, f->depth, f->ctype,
                 f->interlace, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    int ch = 1;
    switch (f->ctype) {
    case PNG_COLOR_TYPE_GRAY_ALPHA: ch = 2; break;
    case PNG_COLOR_TYPE_RGB: ch = 3; break;
    case PNG_COLOR_TYPE_RGB_ALPHA: ch = 4; break;
    default: break;
    }
    if (f->ctype == PNG_COLOR_TYPE_PALETTE) {
        png_color pal[256];
        for (int i = 0; i < f->npal; i++) {
            pal[i].red = f->pal[3 * i];
            pal[i].green = f->pal[3 * i + 1];
            pal[i].blue = f->pal[3 * i + 2];
        }
        png_set_PLTE(png, info, pal, f->npal);
        if (f->ntrns)
            png_set_tRNS(png, info, f->trns, f->ntrns, NULL);
    } else if (f->trns_key[0] >= 0) {
        png_color_16 key = {0};
        key.gray = (png_uint_16)f->trns_key[0];
        key.red = (png_uint_16)f->trns_key[0];
        key.green = (png_uint_16)f->trns_key[1];
        key.blue = (png_uint_16)f->trns_key[2];
        png_set_tRNS(png, info, NULL, 0, &key);
    }
    if (f->ppm_x > 0)
        png_set_pHYs(png, info, (png_uint_32)f->ppm_x, (png_uint_32)f->ppm_y,
                     PNG_RESOLUTION_METER);
    else if (f->ppm_x < 0)
        png_set_pHYs(png, info, (png_uint_32)-f->ppm_x, (png_uint_32)-f->ppm_y,
                     PNG_RESOLUTION_UNKNOWN);
    png_write_info(png, info);
    size_t rowbytes = ((size_t)f->w * (size_t)ch * (size_t)f->depth + 7) / 8;
    png_bytep *rows = calloc((size_t)f->h, sizeof *rows);
    for (int y = 0; y < f->h; y++) {
        rows[y] = calloc(1, rowbytes);
        const uint16_t *s = f->samples + (size_t)y * (size_t)f->w * (size_t)ch;
        for (int i = 0; i < f->w * ch; i++) {
            unsigned v = s[i];
            if (f->depth == 16) {
                rows[y][2 * i] = (uint8_t)(v >> 8);
                rows[y][2 * i + 1] = (uint8_t)v;
            } else if (f->depth == 8) {
                rows[y][i] = (uint8_t)v;
            } else {
                int per = 8 / f->depth;
                int shift = 8 - f->depth * (1 + i % per);
                rows[y][i / per] |= (uint8_t)(v << shift);
            }
        }
    }
    png_write_image(png, rows);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    for (int y = 0; y < f->h; y++)
        free(rows[y]);
    free(rows);
    assert_int_equal(fclose(fp), 0);
}

#endif
