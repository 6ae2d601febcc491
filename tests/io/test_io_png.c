/* test_io_png.c - PNG reading of every colour type, bit depth, palette,
 * transparency and interlacing against fixtures written with libpng itself;
 * 16->8 rounding, pHYs <-> DPI, and writing 1-bit, gray and RGB checked by
 * reading back with libpng. */
#include "io_fixture.h"

static char dir[512]; /* tu_tmpdir returns a buffer reused by later calls */

/* Builds a random fixture, writes it with libpng, reads it with docbin and
 * compares with the expected GRAY8/RGB8 pixels computed here. */
static void check_png(int w, int h, int depth, int ctype, int interlace, bool trns,
                      const uint8_t *pal, int npal)
{
    int ch = fx_png_channels(ctype);
    uint16_t *s = fx_png_random_samples(w, h, depth, ctype, interlace, npal);
    fx_png f = {.w = w, .h = h, .depth = depth, .ctype = ctype, .interlace = interlace,
                .samples = s, .pal = pal, .npal = npal, .trns_key = {-1, -1, -1}};
    uint8_t alphas[256];
    if (trns && ctype == PNG_COLOR_TYPE_PALETTE) {
        fx_png_palette_trns(&f, alphas);
    } else if (trns) {
        for (int c = 0; c < 3; c++)
            f.trns_key[c] = (int)s[c % ch]; /* the first pixel's colour is transparent */
    }
    bool gray_pal = true;
    for (int i = 0; pal && i < npal; i++)
        gray_pal &= pal[3 * i] == pal[3 * i + 1] && pal[3 * i + 1] == pal[3 * i + 2];
    bool color = ctype == PNG_COLOR_TYPE_PALETTE ? !gray_pal : (ctype & PNG_COLOR_MASK_COLOR);
    db_format fmt = color ? DB_RGB8 : DB_GRAY8;
    int och = color ? 3 : 1;
    uint8_t *exp = malloc((size_t)w * (size_t)h * (size_t)och);
    for (size_t p = 0; p < (size_t)w * (size_t)h; p++) {
        const uint16_t *px = s + p * (size_t)ch;
        uint8_t *e = exp + p * (size_t)och;
        if (ctype == PNG_COLOR_TYPE_PALETTE) {
            unsigned a = trns && px[0] < npal - 1 ? alphas[px[0]] : 255;
            for (int c = 0; c < och; c++)
                e[c] = fx_over_white(pal[3 * px[0] + c], a);
            continue;
        }
        unsigned a = 255;
        if (ctype & PNG_COLOR_MASK_ALPHA)
            a = fx_scale(px[ch - 1], depth);
        if (trns) {
            bool key = true;
            for (int c = 0; c < (color ? 3 : 1); c++)
                key &= px[c] == f.trns_key[c];
            a = key ? 0 : 255;
        }
        for (int c = 0; c < och; c++)
            e[c] = fx_over_white(fx_scale(px[c], depth), a);
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/t_%d_%d_%d_%d.png", dir, depth, ctype, interlace, trns);
    fx_write_png(path, &f);
    db_ctx *ctx = fx_ctx();
    db_image img = {0};
    assert_int_equal(db_image_load(ctx, path, &img), 0);
    fx_expect_pixels(&img, fmt, w, h, exp);
    assert_true(img.xdpi == 0 && img.ydpi == 0);
    db_image_free(&img);
    db_ctx_free(ctx);
    free(s);
    free(exp);
}

static const uint8_t color_pal[] = {255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30,
                                    200, 100, 50, 0, 0, 0, 255, 255, 255, 7, 7, 9};
static const uint8_t gray_pal[] = {0, 0, 0, 85, 85, 85, 170, 170, 170, 255, 255, 255};

static void test_png_reads_gray_every_depth(void **state)
{
    for (int d = 1; d <= 16; d *= 2)
        check_png(37, 11, d, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, false, NULL, 0);
}

static void test_png_reads_gray_alpha_rgb_rgba_8_and_16(void **state)
{
    for (int d = 8; d <= 16; d += 8) {
        check_png(29, 13, d, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_INTERLACE_NONE, false, NULL, 0);
        check_png(29, 13, d, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, false, NULL, 0);
        check_png(29, 13, d, PNG_COLOR_TYPE_RGB_ALPHA, PNG_INTERLACE_NONE, false, NULL, 0);
    }
}

static void test_png_reads_trns_key_as_white(void **state)
{
    check_png(23, 9, 8, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, true, NULL, 0);
    check_png(23, 9, 2, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, true, NULL, 0);
    check_png(23, 9, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, true, NULL, 0);
    check_png(23, 9, 16, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, true, NULL, 0);
}

static void test_png_reads_palettes(void **state)
{
    check_png(31, 7, 1, PNG_COLOR_TYPE_PALETTE, PNG_INTERLACE_NONE, false, color_pal, 2);
    check_png(31, 7, 2, PNG_COLOR_TYPE_PALETTE, PNG_INTERLACE_NONE, false, color_pal, 4);
    check_png(31, 7, 4, PNG_COLOR_TYPE_PALETTE, PNG_INTERLACE_NONE, false, color_pal, 8);
    check_png(31, 7, 8, PNG_COLOR_TYPE_PALETTE, PNG_INTERLACE_NONE, false, color_pal, 8);
    /* a palette of grays only gives GRAY8 */
    check_png(31, 7, 2, PNG_COLOR_TYPE_PALETTE, PNG_INTERLACE_NONE, false, gray_pal, 4);
    check_png(31, 7, 8, PNG_COLOR_TYPE_PALETTE, PNG_INTERLACE_NONE, true, color_pal, 8);
    check_png(31, 7, 2, PNG_COLOR_TYPE_PALETTE, PNG_INTERLACE_NONE, true, gray_pal, 4);
}

static void test_png_reads_interlaced(void **state)
{
    check_png(33, 17, 8, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_ADAM7, false, NULL, 0);
    check_png(33, 17, 1, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_ADAM7, false, NULL, 0);
    check_png(33, 17, 16, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_ADAM7, false, NULL, 0);
    check_png(33, 17, 8, PNG_COLOR_TYPE_RGB_ALPHA, PNG_INTERLACE_ADAM7, false, NULL, 0);
    check_png(33, 17, 16, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_INTERLACE_ADAM7, false, NULL, 0);
    check_png(33, 17, 4, PNG_COLOR_TYPE_PALETTE, PNG_INTERLACE_ADAM7, true, color_pal, 8);
}

static void test_png_16_to_8_rounds_every_value(void **state)
{
    /* all 65536 sample values: (v*255 + 32767) / 65535 exactly */
    uint16_t *s = malloc(65536 * sizeof *s);
    uint8_t *exp = malloc(65536);
    for (unsigned v = 0; v < 65536; v++) {
        s[v] = (uint16_t)v;
        exp[v] = (uint8_t)((v * 255u + 32767u) / 65535u);
    }
    fx_png f = {.w = 256, .h = 256, .depth = 16, .ctype = PNG_COLOR_TYPE_GRAY,
                .samples = s, .trns_key = {-1}};
    char path[1024];
    fx_write_png(tu_path(path, sizeof path, dir, "all16.png"), &f);
    db_ctx *ctx = fx_ctx();
    db_image img = {0};
    assert_int_equal(db_image_load(ctx, path, &img), 0);
    fx_expect_pixels(&img, DB_GRAY8, 256, 256, exp);
    db_image_free(&img);
    db_ctx_free(ctx);
    free(s);
    free(exp);
}

static double load_dpi(const char *name, long ppm_x, long ppm_y, double *ydpi)
{
    uint16_t s[4] = {0, 1, 2, 3};
    fx_png f = {.w = 2, .h = 2, .depth = 8, .ctype = PNG_COLOR_TYPE_GRAY, .samples = s,
                .trns_key = {-1}, .ppm_x = ppm_x, .ppm_y = ppm_y};
    char path[1024];
    fx_write_png(tu_path(path, sizeof path, dir, name), &f);
    db_ctx *ctx = fx_ctx();
    db_image img = {0};
    assert_int_equal(db_image_load(ctx, path, &img), 0);
    double x = img.xdpi;
    *ydpi = img.ydpi;
    db_image_free(&img);
    db_ctx_free(ctx);
    return x;
}

static void test_png_phys_gives_dpi_and_never_invents_it(void **state)
{
    double y;
    assert_true(load_dpi("d300.png", 11811, 11811, &y) == 300.0 && y == 300.0);
    assert_true(load_dpi("d72.png", 2835, 2835, &y) == 72.0 && y == 72.0);
    assert_true(load_dpi("d_aniso.png", 11811, 23622, &y) == 300.0 && y == 600.0);
    /* 5000 ppm = 127 dpi exactly; 5100 ppm = 129.54 dpi (not snapped) */
    assert_true(load_dpi("d127.png", 5000, 5000, &y) == 127.0);
    assert_true(load_dpi("d129.png", 5100, 5100, &y) == 129.54);
    assert_true(load_dpi("d_unknown.png", -3, -3, &y) == 0 && y == 0);
    assert_true(load_dpi("d_none.png", 0, 0, &y) == 0 && y == 0);
}

/* Reads a PNG with libpng directly: IHDR fields, pHYs, and the raw rows. */
typedef struct raw_png {
    png_uint_32 w, h;
    int depth, ctype;
    bool has_phys;
    png_uint_32 px, py;
    uint8_t *rows; /* h rows of rowbytes */
    size_t rowbytes;
} raw_png;

static void read_raw_png(const char *path, raw_png *r)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    assert_false(setjmp(png_jmpbuf(png)));
    png_init_io(png, fp);
    png_read_info(png, info);
    int unit;
    png_get_IHDR(png, info, &r->w, &r->h, &r->depth, &r->ctype, NULL, NULL, NULL);
    r->has_phys = png_get_pHYs(png, info, &r->px, &r->py, &unit) != 0;
    r->rowbytes = png_get_rowbytes(png, info);
    r->rows = malloc(r->rowbytes * r->h);
    for (png_uint_32 y = 0; y < r->h; y++)
        png_read_row(png, r->rows + y * r->rowbytes, NULL);
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    fclose(fp);
}

static void test_png_writes_1bit_with_black_ink_and_phys(void **state)
{
    db_ctx *ctx = fx_ctx();
    uint64_t rng = tu_seed();
    db_image bits = {0}, back = {0};
    fx_random_bits(ctx, &bits, 77, 19, &rng);
    bits.xdpi = 300;
    bits.ydpi = 600;
    char path[1024];
    tu_path(path, sizeof path, dir, "bits.png");
    assert_int_equal(db_image_save(ctx, path, NULL, &bits), 0);
    raw_png r;
    read_raw_png(path, &r);
    assert_int_equal(r.depth, 1);
    assert_int_equal(r.ctype, PNG_COLOR_TYPE_GRAY);
    assert_int_equal(r.w, 77);
    assert_true(r.has_phys);
    assert_int_equal(r.px, 11811);
    assert_int_equal(r.py, 23622);
    for (int y = 0; y < 19; y++)
        for (int x = 0; x < 77; x++) {
            int bit = (r.rows[(size_t)y * r.rowbytes + x / 8] >> (7 - x % 8)) & 1;
            assert_int_equal(bit, !db_bit_get(&bits, x, y)); /* ink = 0 = black */
        }
    free(r.rows);
    assert_int_equal(db_image_load(ctx, path, &back), 0);
    assert_int_equal(back.format, DB_GRAY8);
    assert_true(back.xdpi == 300 && back.ydpi == 600);
    for (int y = 0; y < 19; y++)
        for (int x = 0; x < 77; x++)
            assert_int_equal(db_image_row(&back, y)[x], db_bit_get(&bits, x, y) ? 0 : 255);
    db_image_free(&bits);
    db_image_free(&back);
    db_ctx_free(ctx);
}

static void test_png_round_trips_gray_and_rgb_without_inventing_dpi(void **state)
{
    db_ctx *ctx = fx_ctx();
    uint64_t rng = tu_seed() + 1;
    db_format fmts[2] = {DB_GRAY8, DB_RGB8};
    for (int i = 0; i < 2; i++) {
        db_image img = {0}, back = {0};
        assert_int_equal(db_image_ensure(ctx, &img, 65, 21, fmts[i]), 0);
        tu_fill_random(&img, &rng);
        char path[1024];
        snprintf(path, sizeof path, "%s/rt%d.png", dir, i);
        assert_int_equal(db_image_save(ctx, path, NULL, &img), 0);
        raw_png r;
        read_raw_png(path, &r);
        assert_false(r.has_phys); /* DPI 0 = unknown: no pHYs */
        assert_int_equal(r.depth, 8);
        free(r.rows);
        assert_int_equal(db_image_load(ctx, path, &back), 0);
        assert_int_equal(fx_max_diff(&img, &back), 0);
        assert_true(back.xdpi == 0);
        db_image_free(&img);
        db_image_free(&back);
    }
    db_ctx_free(ctx);
}

int main(void)
{
    snprintf(dir, sizeof dir, "%s", tu_tmpdir("io_png"));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_png_reads_gray_every_depth),
        cmocka_unit_test(test_png_reads_gray_alpha_rgb_rgba_8_and_16),
        cmocka_unit_test(test_png_reads_trns_key_as_white),
        cmocka_unit_test(test_png_reads_palettes),
        cmocka_unit_test(test_png_reads_interlaced),
        cmocka_unit_test(test_png_16_to_8_rounds_every_value),
        cmocka_unit_test(test_png_phys_gives_dpi_and_never_invents_it),
        cmocka_unit_test(test_png_writes_1bit_with_black_ink_and_phys),
        cmocka_unit_test(test_png_round_trips_gray_and_rgb_without_inventing_dpi),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
