/* test_io_jpeg.c - JPEG reading of gray, RGB, CMYK (plain and Adobe
 * inverted) and YCCK files written through libjpeg itself; every EXIF
 * orientation 1-8 (APP1 built byte by byte, both byte orders); JFIF density
 * to DPI; and our gray/RGB writer read back through libjpeg. */
#include "jpeg_fixture.h"

static char dir[512]; /* tu_tmpdir returns a buffer reused by later calls */

/* bs x bs blocks of flat values (so JPEG keeps them nearly exact), all different. */
static uint8_t *blocks(int w, int h, int comps, int bs)
{
    uint8_t *p = malloc((size_t)w * (size_t)h * (size_t)comps);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < comps; c++)
                p[((size_t)y * (size_t)w + (size_t)x) * (size_t)comps + (size_t)c] =
                    (uint8_t)(20 + ((x / bs) * 37 + (y / bs) * 71 + c * 50) % 220);
    return p;
}

static db_image load(db_ctx *ctx, const char *path)
{
    db_image img = {0};
    if (db_image_load(ctx, path, &img) != 0)
        fail_msg("%s", db_ctx_message(ctx));
    return img;
}

static void compare(const db_image *img, db_format fmt, int w, int h, const uint8_t *exp, int tol)
{
    assert_int_equal(img->format, fmt);
    assert_int_equal(img->width, w);
    assert_int_equal(img->height, h);
    int ch = fmt == DB_RGB8 ? 3 : 1;
    for (int y = 0; y < h; y++)
        for (int i = 0; i < w * ch; i++) {
            int e = exp[(size_t)y * (size_t)(w * ch) + (size_t)i];
            int d = abs((int)db_image_row(img, y)[i] - e);
            if (d > tol)
                fail_msg("row %d byte %d: got %d, expected %d", y, i, db_image_row(img, y)[i],
                         exp[(size_t)y * (size_t)(w * ch) + (size_t)i]);
        }
}

static void test_jpeg_reads_gray_rgb_progressive_with_density(void **state)
{
    db_ctx *ctx = fx_ctx();
    char path[1024];
    uint8_t *g = blocks(40, 24, 1, 16), *rgb = blocks(40, 24, 3, 16);
    fx_jpeg f = {.w = 40, .h = 24, .comps = 1, .in_space = JCS_GRAYSCALE, .pixels = g,
                 .density_unit = 1, .xd = 300, .yd = 600};
    write_jpeg(tu_path(path, sizeof path, dir, "g.jpg"), &f);
    db_image img = load(ctx, path);
    compare(&img, DB_GRAY8, 40, 24, g, 2);
    assert_true(img.xdpi == 300 && img.ydpi == 600);
    db_image_free(&img);

    fx_jpeg c = {.w = 40, .h = 24, .comps = 3, .in_space = JCS_RGB, .pixels = rgb,
                 .density_unit = 2, .xd = 100, .yd = 100};
    write_jpeg(tu_path(path, sizeof path, dir, "c.jpg"), &c);
    img = load(ctx, path);
    compare(&img, DB_RGB8, 40, 24, rgb, 3);
    assert_true(img.xdpi == 254 && img.ydpi == 254); /* dots per cm */
    db_image_free(&img);

    /* a file cut just before its end marker still has every row: accepted */
    size_t n;
    char *whole = tu_read_file(path, &n);
    assert_int_equal(tu_write_file(tu_path(path, sizeof path, dir, "noeoi.jpg"), whole, n - 2), 0);
    free(whole);
    db_image cut = load(ctx, path);
    img = load(ctx, tu_path(path, sizeof path, dir, "c.jpg"));
    assert_int_equal(fx_max_diff(&img, &cut), 0);
    db_image_free(&cut);
    tu_path(path, sizeof path, dir, "noeoi.jpg");
    /* cut inside the entropy-coded data: refused */
    whole = tu_read_file(path, &n);
    assert_int_equal(tu_write_file(path, whole, n - 40), 0);
    free(whole);
    assert_int_equal(db_image_load(ctx, path, &cut), DB_ECORRUPT);
    db_ctx_clear_error(ctx);
    db_image_free(&cut);
    db_image_free(&img);

    c.progressive = true;
    write_jpeg(tu_path(path, sizeof path, dir, "prog.jpg"), &c);
    img = load(ctx, path);
    compare(&img, DB_RGB8, 40, 24, rgb, 3);
    db_image_free(&img);
    c.progressive = false;

    c.density_unit = 0; /* aspect ratio only: no DPI */
    write_jpeg(tu_path(path, sizeof path, dir, "c0.jpg"), &c);
    img = load(ctx, path);
    assert_true(img.xdpi == 0 && img.ydpi == 0);
    db_image_free(&img);
    free(g);
    free(rgb);
    db_ctx_free(ctx);
}

static void test_jpeg_reads_cmyk_plain_adobe_inverted_and_ycck(void **state)
{
    db_ctx *ctx = fx_ctx();
    char path[1024];
    uint8_t *k = blocks(32, 16, 4, 16);
    uint8_t *plain = malloc(32 * 16 * 3), *inv = malloc(32 * 16 * 3);
    for (int p = 0; p < 32 * 16; p++) {
        const uint8_t *s = k + 4 * p;
        for (int c = 0; c < 3; c++) {
            plain[3 * p + c] = (uint8_t)(((255 - s[c]) * (255 - s[3]) + 127) / 255);
            inv[3 * p + c] = (uint8_t)((s[c] * s[3] + 127) / 255);
        }
    }
    fx_jpeg f = {.w = 32, .h = 16, .comps = 4, .in_space = JCS_CMYK, .pixels = k};
    write_jpeg(tu_path(path, sizeof path, dir, "cmyk_plain.jpg"), &f);
    db_image img = load(ctx, path);
    compare(&img, DB_RGB8, 32, 16, plain, 3);
    db_image_free(&img);
    f.adobe = true; /* Adobe APP14: values stored inverted (255 = no ink) */
    write_jpeg(tu_path(path, sizeof path, dir, "cmyk_adobe.jpg"), &f);
    img = load(ctx, path);
    compare(&img, DB_RGB8, 32, 16, inv, 3);
    db_image_free(&img);
    f.file_space = JCS_YCCK;
    write_jpeg(tu_path(path, sizeof path, dir, "ycck.jpg"), &f);
    img = load(ctx, path);
    compare(&img, DB_RGB8, 32, 16, inv, 4);
    db_image_free(&img);
    free(k);
    free(plain);
    free(inv);
    db_ctx_free(ctx);
}

/* APP1 "Exif" payload with IFD0 holding one other tag, then Orientation. */
static size_t exif_app1(uint8_t *b, int orientation, bool le)
{
    size_t n = 0;
    memcpy(b, "Exif\0\0", 6);
    n = 6;
    uint8_t *t = b + n;
#define P16(o, v) (le ? (t[o] = (uint8_t)(v), t[(o) + 1] = (uint8_t)((v) >> 8)) \
                      : (t[o] = (uint8_t)((v) >> 8), t[(o) + 1] = (uint8_t)(v)))
#define P32(o, v) (le ? (P16(o, (v) & 0xffff), P16((o) + 2, (v) >> 16)) \
                      : (P16(o, (v) >> 16), P16((o) + 2, (v) & 0xffff)))
    memset(t, 0, 8 + 2 + 24 + 4);
    t[0] = t[1] = le ? 'I' : 'M';
    P16(2, 42);
    P32(4, 8u);
    P16(8, 2); /* two entries */
    P16(10, 0x010F); /* Make, ASCII, count 4, inline "ab\0\0" */
    P16(12, 2);
    P32(14, 4u);
    t[18] = 'a';
    t[19] = 'b';
    P16(22, 0x0112); /* Orientation, SHORT, count 1, value in the first 2 bytes */
    P16(24, 3);
    P32(26, 1u);
    P16(30, orientation);
    P32(34, 0u); /* no next IFD */
#undef P16
#undef P32
    return n + 38;
}

static void test_jpeg_applies_every_exif_orientation(void **state)
{
    db_ctx *ctx = fx_ctx();
    const int W = 24, H = 16;
    uint8_t *s = blocks(W, H, 1, 8); /* 3x2 distinct blocks */
    uint8_t *exp = malloc((size_t)W * H);
    for (int o = 1; o <= 8; o++) {
        uint8_t app1[64];
        fx_jpeg f = {.w = W, .h = H, .comps = 1, .in_space = JCS_GRAYSCALE, .pixels = s,
                     .app1 = app1, .app1_len = exif_app1(app1, o, o % 2 == 0),
                     .density_unit = 1, .xd = 100, .yd = 200};
        char path[1024], name[32];
        snprintf(name, sizeof name, "orient%d.jpg", o);
        write_jpeg(tu_path(path, sizeof path, dir, name), &f);
        bool swap = o >= 5;
        int ow = swap ? H : W, oh = swap ? W : H;
        for (int dy = 0; dy < oh; dy++)
            for (int dx = 0; dx < ow; dx++) {
                int sx = dx, sy = dy; /* where displayed pixel (dx,dy) is stored */
                switch (o) {
                case 2: sx = W - 1 - dx; break;
                case 3: sx = W - 1 - dx; sy = H - 1 - dy; break;
                case 4: sy = H - 1 - dy; break;
                case 5: sx = dy; sy = dx; break;
                case 6: sx = dy; sy = H - 1 - dx; break; /* rotate 90 clockwise */
                case 7: sx = W - 1 - dy; sy = H - 1 - dx; break;
                case 8: sx = W - 1 - dy; sy = dx; break; /* rotate 90 counter-clockwise */
                }
                exp[dy * ow + dx] = s[sy * W + sx];
            }
        db_image img = load(ctx, path);
        compare(&img, DB_GRAY8, ow, oh, exp, 2);
        assert_true(img.xdpi == (swap ? 200 : 100) && img.ydpi == (swap ? 100 : 200));
        db_image_free(&img);
    }
    free(s);
    free(exp);
    db_ctx_free(ctx);
}

static void test_jpeg_writer_round_trips_gray_rgb_and_density(void **state)
{
    db_ctx *ctx = fx_ctx();
    char path[1024];
    db_format fmts[3] = {DB_GRAY8, DB_RGB8, DB_BIT1};
    for (int i = 0; i < 3; i++) {
        int ch = fmts[i] == DB_RGB8 ? 3 : 1;
        uint8_t *px = blocks(48, 32, ch, 16);
        db_image img = {0};
        if (fmts[i] == DB_BIT1) {
            assert_int_equal(db_image_ensure(ctx, &img, 48, 32, DB_BIT1), 0);
            db_image_clear(&img);
            for (int y = 0; y < 32; y++)
                for (int x = 0; x < 48; x++)
                    db_bit_set(&img, x, y, ((x / 16) + (y / 16)) & 1);
        } else {
            assert_int_equal(db_image_ensure(ctx, &img, 48, 32, fmts[i]), 0);
            for (int y = 0; y < 32; y++)
                memcpy(db_image_row(&img, y), px + (size_t)y * 48 * (size_t)ch, 48 * (size_t)ch);
        }
        img.xdpi = i == 1 ? 0 : 300;
        img.ydpi = i == 1 ? 0 : 300;
        char name[32];
        snprintf(name, sizeof name, "w%d.jpeg", i);
        db_write_options o = {.jpeg_quality = 98};
        assert_int_equal(db_image_save(ctx, tu_path(path, sizeof path, dir, name), &o, &img), 0);
        /* libjpeg's view of the file */
        struct jpeg_decompress_struct d;
        struct jpeg_error_mgr err;
        d.err = jpeg_std_error(&err);
        jpeg_create_decompress(&d);
        FILE *fp = fopen(path, "rb");
        jpeg_stdio_src(&d, fp);
        jpeg_read_header(&d, TRUE);
        assert_int_equal(d.num_components, ch);
        assert_int_equal(d.density_unit, i == 1 ? 0 : 1);
        if (i != 1)
            assert_int_equal(d.X_density, 300);
        jpeg_destroy_decompress(&d);
        fclose(fp);
        db_image back = load(ctx, path);
        db_image ref = {0};
        if (fmts[i] == DB_BIT1)
            assert_int_equal(db_image_to_gray(ctx, &img, &ref), 0);
        else
            assert_int_equal(db_image_copy(ctx, &img, &ref), 0);
        /* away from the 8x8 block edges (and the 16x16 chroma blocks of 4:2:0) */
        int worst = 0;
        for (int y = 0; y < 32; y++)
            for (int x = 0; x < 48 * ch; x++) {
                int px_x = x / ch;
                if (px_x % 16 < 3 || px_x % 16 > 12 || y % 16 < 3 || y % 16 > 12)
                    continue;
                int dd = abs(db_image_row(&back, y)[x] - db_image_row(&ref, y)[x]);
                worst = dd > worst ? dd : worst;
            }
        if (worst > 6)
            fail_msg("format %d: difference %d", (int)fmts[i], worst);
        assert_true(back.xdpi == img.xdpi);
        db_image_free(&img);
        db_image_free(&back);
        db_image_free(&ref);
        free(px);
    }
    db_ctx_free(ctx);
}

int main(void)
{
    snprintf(dir, sizeof dir, "%s", tu_tmpdir("io_jpeg"));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jpeg_reads_gray_rgb_progressive_with_density),
        cmocka_unit_test(test_jpeg_reads_cmyk_plain_adobe_inverted_and_ycck),
        cmocka_unit_test(test_jpeg_applies_every_exif_orientation),
        cmocka_unit_test(test_jpeg_writer_round_trips_gray_rgb_and_density),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
