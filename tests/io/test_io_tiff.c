/* test_io_tiff.c - TIFF reading of strips and tiles, 1/2/4/8/16 bits, gray
 * min-is-black and min-is-white, RGB, RGBA, palette, CMYK, contiguous and
 * separate planes, every codec, against fixtures written through libtiff;
 * resolution units; our writer checked tag by tag with libtiff (G4, one
 * strip, min-is-white) and page for page on multi-page files. */
#include "tiff_fixture.h"

static char dir[512]; /* tu_tmpdir returns a buffer reused by later calls */

/* The expected GRAY8/RGB8 pixels of a fixture, computed independently. */
static uint8_t *expected(const fx_tiff *f, db_format *fmt)
{
    bool gray = f->photometric == PHOTOMETRIC_MINISBLACK ||
                f->photometric == PHOTOMETRIC_MINISWHITE;
    int ncol = gray ? 1 : f->photometric == PHOTOMETRIC_SEPARATED ? 4 : 3;
    if (f->photometric == PHOTOMETRIC_PALETTE) {
        gray = true;
        for (int i = 0; i < 1 << f->bps; i++) {
            const uint16_t *m = f->cmap;
            int n = 1 << f->bps;
            gray &= m[i] == m[n + i] && m[n + i] == m[2 * n + i];
        }
        ncol = 1;
    }
    *fmt = gray ? DB_GRAY8 : DB_RGB8;
    int och = gray ? 1 : 3;
    uint8_t *e = malloc((size_t)f->w * (size_t)f->h * (size_t)och);
    for (size_t p = 0; p < (size_t)f->w * (size_t)f->h; p++) {
        const uint16_t *s = f->samples + p * (size_t)f->spp;
        uint8_t px[3];
        if (f->photometric == PHOTOMETRIC_PALETTE) {
            int n = 1 << f->bps;
            for (int c = 0; c < och; c++)
                px[c] = fx_scale(f->cmap[c * n + s[0]], 16);
        } else if (f->photometric == PHOTOMETRIC_SEPARATED) {
            unsigned k = 255 - s[3];
            for (int c = 0; c < 3; c++)
                px[c] = (uint8_t)(((255 - s[c]) * k + 127) / 255);
        } else {
            for (int c = 0; c < ncol; c++)
                px[c] = fx_scale(s[c], f->bps);
            if (f->photometric == PHOTOMETRIC_MINISWHITE)
                px[0] = (uint8_t)(255 - px[0]);
        }
        if (f->extra == EXTRASAMPLE_UNASSALPHA)
            for (int c = 0; c < och; c++)
                px[c] = fx_over_white(px[c], fx_scale(s[ncol], f->bps));
        memcpy(e + p * (size_t)och, px, (size_t)och);
    }
    return e;
}

static int ncase;

static void check_tiff(fx_tiff f, int tolerance)
{
    if (!f.samples)
        f.samples = fx_tiff_random_samples(&f, (uint64_t)++ncase * 7919);
    char path[1024];
    snprintf(path, sizeof path, "%s/case%d.tif", dir, ++ncase);
    fx_write_tiff(path, &f, 1);
    db_format fmt;
    uint8_t *exp = expected(&f, &fmt);
    db_ctx *ctx = fx_ctx();
    db_image img = {0};
    int rc = db_image_load(ctx, path, &img);
    if (rc)
        fail_msg("%s: %s", path, db_ctx_message(ctx));
    if (tolerance == 0) {
        fx_expect_pixels(&img, fmt, f.w, f.h, exp);
    } else {
        db_image e = {0};
        assert_int_equal(db_image_ensure(ctx, &e, f.w, f.h, fmt), 0);
        for (int y = 0; y < f.h; y++)
            memcpy(db_image_row(&e, y), exp + (size_t)y * db_format_row_bytes(fmt, f.w),
                   db_format_row_bytes(fmt, f.w));
        int d = fx_max_diff(&img, &e);
        if (d > tolerance)
            fail_msg("%s: max difference %d > %d", path, d, tolerance);
        db_image_free(&e);
    }
    db_image_free(&img);
    db_ctx_free(ctx);
    free(exp);
    free((void *)f.samples);
}

#define GRAY(b, ph) .bps = b, .spp = 1, .photometric = ph, .extra = -1

static void test_tiff_reads_gray_depths_polarities_and_codecs(void **state)
{
    check_tiff((fx_tiff){.w = 37, .h = 23, GRAY(1, PHOTOMETRIC_MINISWHITE),
                         .compression = COMPRESSION_CCITTFAX4}, 0);
    check_tiff((fx_tiff){.w = 37, .h = 23, GRAY(1, PHOTOMETRIC_MINISBLACK), .rps = 5}, 0);
    check_tiff((fx_tiff){.w = 37, .h = 23, GRAY(1, PHOTOMETRIC_MINISWHITE),
                         .compression = COMPRESSION_CCITTFAX3}, 0);
    check_tiff((fx_tiff){.w = 37, .h = 23, GRAY(2, PHOTOMETRIC_MINISBLACK),
                         .compression = COMPRESSION_PACKBITS, .rps = 4}, 0);
    check_tiff((fx_tiff){.w = 37, .h = 23, GRAY(4, PHOTOMETRIC_MINISWHITE),
                         .compression = COMPRESSION_LZW}, 0);
    check_tiff((fx_tiff){.w = 37, .h = 23, GRAY(8, PHOTOMETRIC_MINISBLACK),
                         .compression = COMPRESSION_LZW, .rps = 7}, 0);
    check_tiff((fx_tiff){.w = 37, .h = 23, GRAY(8, PHOTOMETRIC_MINISWHITE),
                         .compression = COMPRESSION_ADOBE_DEFLATE, .rps = 2}, 0);
    check_tiff((fx_tiff){.w = 37, .h = 23, GRAY(16, PHOTOMETRIC_MINISBLACK),
                         .compression = COMPRESSION_PACKBITS, .rps = 3}, 0);
    check_tiff((fx_tiff){.w = 37, .h = 23, GRAY(16, PHOTOMETRIC_MINISWHITE)}, 0);
}

static void test_tiff_reads_rgb_rgba_cmyk_contiguous_and_separate(void **state)
{
    check_tiff((fx_tiff){.w = 41, .h = 19, .bps = 8, .spp = 3, .photometric = PHOTOMETRIC_RGB,
                         .compression = COMPRESSION_LZW, .rps = 4, .extra = -1}, 0);
    check_tiff((fx_tiff){.w = 41, .h = 19, .bps = 8, .spp = 3, .photometric = PHOTOMETRIC_RGB,
                         .planar = PLANARCONFIG_SEPARATE, .compression = COMPRESSION_LZW,
                         .rps = 6, .extra = -1}, 0);
    check_tiff((fx_tiff){.w = 41, .h = 19, .bps = 16, .spp = 3, .photometric = PHOTOMETRIC_RGB,
                         .planar = PLANARCONFIG_SEPARATE, .compression = COMPRESSION_ADOBE_DEFLATE,
                         .extra = -1}, 0);
    check_tiff((fx_tiff){.w = 41, .h = 19, .bps = 16, .spp = 3, .photometric = PHOTOMETRIC_RGB,
                         .rps = 5, .extra = -1}, 0);
    check_tiff((fx_tiff){.w = 41, .h = 19, .bps = 8, .spp = 4, .photometric = PHOTOMETRIC_RGB,
                         .extra = EXTRASAMPLE_UNASSALPHA, .rps = 8}, 0);
    check_tiff((fx_tiff){.w = 41, .h = 19, .bps = 8, .spp = 4, .photometric = PHOTOMETRIC_RGB,
                         .planar = PLANARCONFIG_SEPARATE, .extra = EXTRASAMPLE_UNASSALPHA}, 0);
    check_tiff((fx_tiff){.w = 41, .h = 19, .bps = 8, .spp = 2,
                         .photometric = PHOTOMETRIC_MINISBLACK, .extra = EXTRASAMPLE_UNASSALPHA},
               0);
    check_tiff((fx_tiff){.w = 41, .h = 19, .bps = 8, .spp = 4,
                         .photometric = PHOTOMETRIC_SEPARATED, .extra = -1,
                         .compression = COMPRESSION_PACKBITS}, 0);
    /* an unspecified extra sample is ignored */
    check_tiff((fx_tiff){.w = 41, .h = 19, .bps = 8, .spp = 4, .photometric = PHOTOMETRIC_RGB,
                         .extra = EXTRASAMPLE_UNSPECIFIED}, 0);
}

static void test_tiff_reads_palettes_color_and_gray(void **state)
{
    uint16_t cmap[3 * 256];
    for (int bps = 1; bps <= 8; bps *= 2) {
        int n = 1 << bps;
        for (int i = 0; i < n; i++) {
            cmap[i] = (uint16_t)(i * 4099 % 65536);
            cmap[n + i] = (uint16_t)(65535 - i * 257);
            cmap[2 * n + i] = (uint16_t)(i * 1000 % 65536);
        }
        check_tiff((fx_tiff){.w = 29, .h = 13, .bps = bps, .spp = 1,
                             .photometric = PHOTOMETRIC_PALETTE, .cmap = cmap, .extra = -1,
                             .compression = COMPRESSION_LZW}, 0);
    }
    for (int i = 0; i < 16; i++)
        cmap[i] = cmap[16 + i] = cmap[32 + i] = (uint16_t)(i * 4369);
    check_tiff((fx_tiff){.w = 29, .h = 13, .bps = 4, .spp = 1, .photometric = PHOTOMETRIC_PALETTE,
                         .cmap = cmap, .extra = -1}, 0);
}

static void test_tiff_reads_tiles_with_partial_edges(void **state)
{
    check_tiff((fx_tiff){.w = 37, .h = 29, GRAY(8, PHOTOMETRIC_MINISBLACK), .tw = 16, .th = 16,
                         .compression = COMPRESSION_ADOBE_DEFLATE}, 0);
    check_tiff((fx_tiff){.w = 50, .h = 33, GRAY(1, PHOTOMETRIC_MINISWHITE), .tw = 16, .th = 32,
                         .compression = COMPRESSION_CCITTFAX4}, 0);
    check_tiff((fx_tiff){.w = 37, .h = 29, .bps = 8, .spp = 3, .photometric = PHOTOMETRIC_RGB,
                         .planar = PLANARCONFIG_SEPARATE, .tw = 32, .th = 16, .extra = -1,
                         .compression = COMPRESSION_LZW}, 0);
    check_tiff((fx_tiff){.w = 37, .h = 29, .bps = 16, .spp = 3, .photometric = PHOTOMETRIC_RGB,
                         .tw = 16, .th = 16, .extra = -1}, 0);
}

static uint16_t *smooth_samples(int w, int h, int spp)
{
    uint16_t *s = malloc((size_t)w * (size_t)h * (size_t)spp * sizeof *s);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < spp; c++)
                s[((size_t)y * (size_t)w + (size_t)x) * (size_t)spp + (size_t)c] =
                    (uint16_t)(x * 2 + y * 2 + c * 40); /* smooth: JPEG-friendly */
    return s;
}

static void test_tiff_reads_jpeg_gray_and_ycbcr(void **state)
{
    check_tiff((fx_tiff){.w = 48, .h = 32, GRAY(8, PHOTOMETRIC_MINISBLACK), .rps = 16,
                         .compression = COMPRESSION_JPEG, .samples = smooth_samples(48, 32, 1)},
               6);
    check_tiff((fx_tiff){.w = 48, .h = 32, .bps = 8, .spp = 3, .photometric = PHOTOMETRIC_YCBCR,
                         .rps = 16, .compression = COMPRESSION_JPEG, .jpeg_rgb = true, .extra = -1,
                         .samples = smooth_samples(48, 32, 3)},
               12);
    check_tiff((fx_tiff){.w = 48, .h = 40, .bps = 8, .spp = 3, .photometric = PHOTOMETRIC_YCBCR,
                         .tw = 32, .th = 32, .compression = COMPRESSION_JPEG, .jpeg_rgb = true,
                         .extra = -1, .samples = smooth_samples(48, 40, 3)},
               12);
}

static void load_res(const char *name, float x, float y, uint16_t unit, double *xd, double *yd)
{
    uint16_t s[4] = {1, 2, 3, 4};
    fx_tiff f = {.w = 2, .h = 2, GRAY(8, PHOTOMETRIC_MINISBLACK), .samples = s, .xres = x,
                 .yres = y, .resunit = unit};
    char path[1024];
    fx_write_tiff(tu_path(path, sizeof path, dir, name), &f, 1);
    db_ctx *ctx = fx_ctx();
    db_image img = {0};
    assert_int_equal(db_image_load(ctx, path, &img), 0);
    *xd = img.xdpi;
    *yd = img.ydpi;
    db_image_free(&img);
    db_ctx_free(ctx);
}

static void test_tiff_resolution_units(void **state)
{
    double x, y;
    load_res("inch.tif", 300, 600, RESUNIT_INCH, &x, &y);
    assert_true(x == 300 && y == 600);
    load_res("cm.tif", 118.11f, 118.11f, RESUNIT_CENTIMETER, &x, &y);
    assert_true(x == 300 && y == 300);
    load_res("none.tif", 300, 300, RESUNIT_NONE, &x, &y);
    assert_true(x == 0 && y == 0);
    load_res("absent.tif", 0, 0, 0, &x, &y);
    assert_true(x == 0 && y == 0);
}

static void test_tiff_orientation_tag_is_applied(void **state)
{
    const int W = 5, H = 3;
    uint16_t s[5 * 3 * 3];
    for (int i = 0; i < W * H * 3; i++)
        s[i] = (uint16_t)(i * 5);
    db_ctx *ctx = fx_ctx();
    for (int o = 1; o <= 8; o++) {
        fx_tiff f = {.w = W, .h = H, .bps = 8, .spp = 3, .photometric = PHOTOMETRIC_RGB,
                     .extra = -1, .samples = s, .orientation = (uint16_t)o, .xres = 100,
                     .yres = 200, .resunit = RESUNIT_INCH, .rps = 2};
        char path[1024], name[32];
        snprintf(name, sizeof name, "orient%d.tif", o);
        fx_write_tiff(tu_path(path, sizeof path, dir, name), &f, 1);
        db_image img = {0};
        assert_int_equal(db_image_load(ctx, path, &img), 0);
        bool swap = o >= 5;
        assert_int_equal(img.width, swap ? H : W);
        assert_int_equal(img.height, swap ? W : H);
        assert_true(img.xdpi == (swap ? 200 : 100) && img.ydpi == (swap ? 100 : 200));
        for (int dy = 0; dy < img.height; dy++)
            for (int dx = 0; dx < img.width; dx++) {
                int sx = dx, sy = dy; /* where displayed pixel (dx,dy) is stored */
                switch (o) {
                case 2: sx = W - 1 - dx; break;
                case 3: sx = W - 1 - dx; sy = H - 1 - dy; break;
                case 4: sy = H - 1 - dy; break;
                case 5: sx = dy; sy = dx; break;
                case 6: sx = dy; sy = H - 1 - dx; break;
                case 7: sx = W - 1 - dy; sy = H - 1 - dx; break;
                case 8: sx = W - 1 - dy; sy = dx; break;
                }
                for (int c = 0; c < 3; c++)
                    assert_int_equal(db_image_row(&img, dy)[3 * dx + c], s[(sy * W + sx) * 3 + c]);
            }
        db_image_free(&img);
    }
    db_ctx_free(ctx);
}

static void test_tiff_writes_1bit_as_g4_one_strip_min_is_white(void **state)
{
    db_ctx *ctx = fx_ctx();
    uint64_t rng = tu_seed() + 5;
    db_image bits = {0}, back = {0};
    fx_random_bits(ctx, &bits, 203, 77, &rng);
    bits.xdpi = bits.ydpi = 400;
    char path[1024];
    tu_path(path, sizeof path, dir, "g4.tif");
    assert_int_equal(db_image_save(ctx, path, NULL, &bits), 0);
    TIFF *tif = TIFFOpen(path, "r");
    assert_non_null(tif);
    uint16_t comp, photo, bps, spp, unit;
    float xr;
    assert_true(TIFFGetField(tif, TIFFTAG_COMPRESSION, &comp));
    assert_int_equal(comp, COMPRESSION_CCITTFAX4);
    assert_true(TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &photo));
    assert_int_equal(photo, PHOTOMETRIC_MINISWHITE);
    TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bps);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
    assert_int_equal(bps, 1);
    assert_int_equal(spp, 1);
    assert_int_equal(TIFFNumberOfStrips(tif), 1);
    assert_true(TIFFGetField(tif, TIFFTAG_XRESOLUTION, &xr) && xr == 400.0f);
    assert_true(TIFFGetField(tif, TIFFTAG_RESOLUTIONUNIT, &unit) && unit == RESUNIT_INCH);
    uint8_t row[32];
    for (uint32_t y = 0; y < 77; y++) {
        assert_true(TIFFReadScanline(tif, row, y, 0) >= 0);
        for (int x = 0; x < 203; x++) /* min-is-white: 1 = black = ink */
            assert_int_equal((row[x / 8] >> (7 - x % 8)) & 1, db_bit_get(&bits, x, (int)y));
    }
    TIFFClose(tif);
    assert_int_equal(db_image_load(ctx, path, &back), 0);
    assert_true(back.xdpi == 400 && back.ydpi == 400);
    for (int y = 0; y < 77; y++)
        for (int x = 0; x < 203; x++)
            assert_int_equal(db_image_row(&back, y)[x], db_bit_get(&bits, x, y) ? 0 : 255);
    db_image_free(&bits);
    db_image_free(&back);
    db_ctx_free(ctx);
}

static void test_tiff_writes_gray_and_rgb_with_each_compression(void **state)
{
    db_ctx *ctx = fx_ctx();
    uint64_t rng = tu_seed() + 6;
    static const struct {
        db_tiff_compression c;
        uint16_t tag;
    } comps[] = {{DB_TIFF_AUTO, COMPRESSION_ADOBE_DEFLATE}, {DB_TIFF_LZW, COMPRESSION_LZW},
                 {DB_TIFF_PACKBITS, COMPRESSION_PACKBITS}, {DB_TIFF_NONE, COMPRESSION_NONE},
                 {DB_TIFF_DEFLATE, COMPRESSION_ADOBE_DEFLATE}};
    db_format fmts[2] = {DB_GRAY8, DB_RGB8};
    for (int f = 0; f < 2; f++)
        for (size_t i = 0; i < sizeof comps / sizeof comps[0]; i++) {
            db_image img = {0}, back = {0};
            assert_int_equal(db_image_ensure(ctx, &img, 300, 250, fmts[f]), 0);
            tu_fill_random(&img, &rng);
            char path[1024];
            snprintf(path, sizeof path, "%s/w%d_%zu.tif", dir, f, i);
            db_write_options o = {.compression = comps[i].c};
            assert_int_equal(db_image_save(ctx, path, &o, &img), 0);
            TIFF *tif = TIFFOpen(path, "r");
            uint16_t comp, photo;
            float xr;
            TIFFGetField(tif, TIFFTAG_COMPRESSION, &comp);
            TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &photo);
            assert_int_equal(comp, comps[i].tag);
            assert_int_equal(photo, f ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK);
            assert_false(TIFFGetField(tif, TIFFTAG_XRESOLUTION, &xr)); /* DPI unknown */
            TIFFClose(tif);
            assert_int_equal(db_image_load(ctx, path, &back), 0);
            assert_int_equal(fx_max_diff(&img, &back), 0);
            db_image_free(&img);
            db_image_free(&back);
        }
    /* G4 asked for a gray page is refused, and nothing is left behind */
    db_image img = {0};
    assert_int_equal(db_image_ensure(ctx, &img, 8, 8, DB_GRAY8), 0);
    db_image_clear(&img);
    const char *sub = tu_tmpdir("io_tiff_g4gray");
    char path[1024];
    db_write_options o = {.compression = DB_TIFF_G4};
    assert_int_equal(db_image_save(ctx, tu_path(path, sizeof path, sub, "x.tif"), &o, &img),
                     DB_EINVAL);
    assert_non_null(strstr(db_ctx_message(ctx), "x.tif: "));
    assert_int_equal(fx_count_files(sub), 0);
    db_image_free(&img);
    db_ctx_free(ctx);
}

static void test_tiff_multipage_round_trip_page_for_page(void **state)
{
    db_ctx *ctx = fx_ctx();
    uint64_t rng = tu_seed() + 7;
    db_image pages[3] = {{0}};
    fx_random_bits(ctx, &pages[0], 100, 40, &rng);
    pages[0].xdpi = pages[0].ydpi = 300;
    assert_int_equal(db_image_ensure(ctx, &pages[1], 33, 21, DB_GRAY8), 0);
    tu_fill_random(&pages[1], &rng);
    fx_random_bits(ctx, &pages[2], 64, 64, &rng);
    pages[2].xdpi = 200;
    pages[2].ydpi = 100;
    char path[1024];
    tu_path(path, sizeof path, dir, "multi.tif");
    db_writer *w;
    assert_int_equal(db_writer_open(ctx, path, NULL, &w), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(db_writer_add(ctx, w, &pages[i]), 0);
    assert_false(tu_file_exists(path)); /* nothing in place before commit */
    assert_int_equal(db_writer_commit(ctx, w), 0);
    db_writer_free(w);
    db_reader *r;
    assert_int_equal(db_reader_open(ctx, path, &r), 0);
    assert_int_equal(db_reader_page_count(r), 3);
    assert_int_equal(db_reader_format(r), DB_FILE_TIFF);
    db_image back = {0}, gray = {0};
    for (int i = 2; i >= 0; i--) { /* any order */
        assert_int_equal(db_reader_read(ctx, r, i, &back), 0);
        assert_int_equal(db_image_to_gray(ctx, &pages[i], &gray), 0);
        assert_int_equal(fx_max_diff(&back, &gray), 0);
        assert_true(back.xdpi == pages[i].xdpi && back.ydpi == pages[i].ydpi);
    }
    assert_int_equal(db_reader_read(ctx, r, 3, &back), DB_EINVAL);
    db_reader_close(r);
    for (int i = 0; i < 3; i++)
        db_image_free(&pages[i]);
    db_image_free(&back);
    db_image_free(&gray);
    db_ctx_free(ctx);
}

int main(void)
{
    snprintf(dir, sizeof dir, "%s", tu_tmpdir("io_tiff"));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tiff_reads_gray_depths_polarities_and_codecs),
        cmocka_unit_test(test_tiff_reads_rgb_rgba_cmyk_contiguous_and_separate),
        cmocka_unit_test(test_tiff_reads_palettes_color_and_gray),
        cmocka_unit_test(test_tiff_reads_tiles_with_partial_edges),
        cmocka_unit_test(test_tiff_reads_jpeg_gray_and_ycbcr),
        cmocka_unit_test(test_tiff_resolution_units),
        cmocka_unit_test(test_tiff_orientation_tag_is_applied),
        cmocka_unit_test(test_tiff_writes_1bit_as_g4_one_strip_min_is_white),
        cmocka_unit_test(test_tiff_writes_gray_and_rgb_with_each_compression),
        cmocka_unit_test(test_tiff_multipage_round_trip_page_for_page),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
