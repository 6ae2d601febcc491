/* test_io_stream.c - the row-streaming reader and writer of strip mode
 * (src/io/io_stream_read.c, io_stream_write.c): every PNG, PNM and TIFF
 * fixture layout read row by row (in random chunks) gives exactly the bytes,
 * size and DPI of db_reader_read, streaming where it should; 1-bit pages
 * written row by row are byte-identical to db_writer_add (PNG, G4 TIFF,
 * PBM); a cut file fails cleanly. JPEG: baseline gray, colour, CMYK/YCCK
 * stream; progressive and EXIF-turned files are decoded whole. */
#include "jpeg_fixture.h"
#include "tiff_fixture.h"

#include <sys/stat.h>

static char dir[512]; /* tu_tmpdir returns a buffer reused by later calls */

/* Reads page `page` of path whole and streamed; asserts equality and that
 * the reader streams exactly when expected. */
static void check_stream(const char *path, int page, bool streams)
{
    db_ctx *ctx = fx_ctx();
    db_reader *rd;
    assert_int_equal(db_reader_open(ctx, path, &rd), 0);
    db_image whole = {0}, rows = {0};
    assert_int_equal(db_reader_read(ctx, rd, page, &whole), 0);
    db_reader_close(rd);

    db_row_info probe;
    assert_int_equal(db_row_reader_probe(ctx, path, page, &probe), 0);
    assert_int_equal(probe.streams, streams);
    db_row_reader *rr;
    assert_int_equal(db_row_reader_open(ctx, path, page, &rr), 0);
    db_row_info info;
    db_row_reader_info(rr, &info);
    if (streams) {
        assert_int_equal(probe.width, info.width);
        assert_int_equal(probe.height, info.height);
    }
    if (info.streams != streams)
        fail_msg("%s: streams %d, expected %d", path, info.streams, streams);
    assert_int_equal(info.width, whole.width);
    assert_int_equal(info.height, whole.height);
    assert_int_equal(info.format, whole.format);
    assert_true(info.xdpi == whole.xdpi && info.ydpi == whole.ydpi);
    assert_int_equal(db_image_ensure(ctx, &rows, info.width, info.height, info.format), 0);
    uint64_t rng = tu_seed() ^ (uint64_t)info.width * 7919u;
    for (int y = 0; y < info.height;) {
        int n = tu_rand_range(&rng, 1, 9);
        if (n > info.height - y)
            n = info.height - y;
        assert_int_equal(db_row_reader_read(ctx, rr, n, &rows, y), 0);
        y += n;
    }
    /* past the end */
    assert_int_equal(db_row_reader_read(ctx, rr, 1, &rows, 0), DB_EINVAL);
    db_row_reader_close(rr);
    size_t rb = db_format_row_bytes(whole.format, whole.width);
    for (int y = 0; y < whole.height; y++)
        if (memcmp(db_image_row(&whole, y), db_image_row(&rows, y), rb) != 0)
            fail_msg("%s: row %d differs", path, y);
    db_image_free(&whole);
    db_image_free(&rows);
    db_ctx_free(ctx);
}

static void png_case(int w, int h, int depth, int ctype, int interlace, bool trns, int npal)
{
    static const uint8_t pal[] = {255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 7, 7, 7, 200, 9, 1};
    static const uint8_t gpal[] = {0, 0, 0, 85, 85, 85, 170, 170, 170, 255, 255, 255};
    uint16_t *s = fx_png_random_samples(w, h, depth, ctype, interlace, npal);
    unsigned max = (1u << depth) - 1;
    bool graypal = npal == 4;
    fx_png f = {.w = w, .h = h, .depth = depth, .ctype = ctype, .interlace = interlace,
                .samples = s, .pal = graypal ? gpal : pal, .npal = npal,
                .trns_key = {-1, -1, -1}, .ppm_x = 11811, .ppm_y = 5906};
    uint8_t alphas[256];
    if (trns && ctype == PNG_COLOR_TYPE_PALETTE) {
        fx_png_palette_trns(&f, alphas);
    } else if (trns) {
        f.trns_key[0] = f.trns_key[1] = f.trns_key[2] = (int)(max / 2);
    }
    char path[600];
    tu_path(path, sizeof path, dir, "s.png");
    fx_write_png(path, &f);
    check_stream(path, 0, interlace == PNG_INTERLACE_NONE);
    free(s);
}

static void test_png_rows_equal_whole_page(void **state)
{
    (void)state;
    const int gray_depths[] = {1, 2, 4, 8, 16};
    for (int il = 0; il < 2; il++) {
        for (int i = 0; i < 5; i++) {
            png_case(37, 23, gray_depths[i], PNG_COLOR_TYPE_GRAY, il, false, 0);
            png_case(37, 23, gray_depths[i], PNG_COLOR_TYPE_GRAY, il, true, 0);
        }
        for (int d = 8; d <= 16; d += 8) {
            png_case(29, 31, d, PNG_COLOR_TYPE_RGB, il, false, 0);
            png_case(29, 31, d, PNG_COLOR_TYPE_RGB, il, true, 0);
            png_case(29, 31, d, PNG_COLOR_TYPE_GRAY_ALPHA, il, false, 0);
            png_case(29, 31, d, PNG_COLOR_TYPE_RGB_ALPHA, il, false, 0);
        }
        for (int d = 1; d <= 8; d *= 2) {
            png_case(41, 17, d, PNG_COLOR_TYPE_PALETTE, il, false, d == 1 ? 2 : 4);
            png_case(41, 17, d, PNG_COLOR_TYPE_PALETTE, il, true, d == 1 ? 2 : d == 2 ? 3 : 6);
        }
    }
}

static void write_bytes(const char *path, const void *p, size_t n)
{
    assert_int_equal(tu_write_file(path, p, n), 0);
}

static void test_pnm_rows_equal_whole_page(void **state)
{
    (void)state;
    uint64_t rng = tu_seed() ^ 0x9e3779b9u;
    char path[600];
    tu_path(path, sizeof path, dir, "s.pnm");
    static const struct {
        int kind;
        unsigned maxval;
        bool streams;
    } cases[] = {{4, 1, true},    {5, 255, true},   {5, 1000, true}, {5, 65535, true},
                 {6, 255, true},  {6, 100, true},   {6, 4095, true}, {2, 255, false},
                 {1, 1, false},   {3, 15, false}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        int w = tu_rand_range(&rng, 1, 70), h = tu_rand_range(&rng, 1, 40);
        int kind = cases[c].kind;
        unsigned maxval = cases[c].maxval;
        int ch = kind == 3 || kind == 6 ? 3 : 1;
        size_t cap = 64 + (size_t)w * (size_t)h * (size_t)ch * 8;
        char *buf = malloc(cap);
        size_t len = (size_t)snprintf(buf, cap, "P%d\n# comment\n%d %d\n", kind, w, h);
        if (kind != 1 && kind != 4)
            len += (size_t)snprintf(buf + len, cap - len, "%u\n", maxval);
        if (kind == 4) {
            size_t rb = ((size_t)w + 7) / 8;
            for (size_t i = 0; i < rb * (size_t)h; i++)
                buf[len++] = (char)tu_rand(&rng);
        } else {
            for (int i = 0; i < w * h * ch; i++) {
                unsigned v = (unsigned)(tu_rand(&rng) % (maxval + 1));
                if (kind <= 3) {
                    len += (size_t)snprintf(buf + len, cap - len, "%u ", v);
                } else if (maxval > 255) {
                    buf[len++] = (char)(v >> 8);
                    buf[len++] = (char)v;
                } else {
                    buf[len++] = (char)v;
                }
            }
        }
        write_bytes(path, buf, len);
        check_stream(path, 0, cases[c].streams);
        free(buf);
    }
}

static void tiff_case(fx_tiff f, bool streams)
{
    uint16_t *s = fx_tiff_random_samples(&f, (uint64_t)f.bps * 31 + f.compression);
    f.samples = s;
    char path[600];
    tu_path(path, sizeof path, dir, "s.tif");
    fx_write_tiff(path, &f, 1);
    check_stream(path, 0, streams);
    free(s);
}

static void test_tiff_rows_equal_whole_page(void **state)
{
    (void)state;
    const uint16_t comps[] = {COMPRESSION_NONE, COMPRESSION_LZW, COMPRESSION_ADOBE_DEFLATE,
                              COMPRESSION_PACKBITS};
    for (int c = 0; c < 4; c++) {
        for (int rps = 0; rps <= 5; rps += 5) {
            fx_tiff g8 = {.w = 45, .h = 33, .bps = 8, .spp = 1,
                          .photometric = PHOTOMETRIC_MINISBLACK, .compression = comps[c],
                          .rps = rps, .extra = -1, .xres = 300, .yres = 150,
                          .resunit = RESUNIT_INCH};
            tiff_case(g8, true);
            g8.photometric = PHOTOMETRIC_MINISWHITE;
            g8.resunit = RESUNIT_CENTIMETER;
            tiff_case(g8, true);
            fx_tiff b1 = g8;
            b1.bps = 1;
            tiff_case(b1, true);
            b1.photometric = PHOTOMETRIC_MINISBLACK;
            tiff_case(b1, true);
            fx_tiff rgb = {.w = 27, .h = 19, .bps = 8, .spp = 3, .photometric = PHOTOMETRIC_RGB,
                           .compression = comps[c], .rps = rps, .extra = -1};
            tiff_case(rgb, true);
        }
    }
    fx_tiff g4 = {.w = 77, .h = 41, .bps = 1, .spp = 1, .photometric = PHOTOMETRIC_MINISWHITE,
                  .compression = COMPRESSION_CCITTFAX4, .extra = -1};
    tiff_case(g4, true);
    /* layouts left to the whole-page reader */
    fx_tiff g16 = {.w = 20, .h = 9, .bps = 16, .spp = 1, .photometric = PHOTOMETRIC_MINISBLACK,
                   .extra = -1};
    tiff_case(g16, false);
    /* tiles: partial edge tiles, a tile wider than the page, every codec */
    for (int c = 0; c < 4; c++) {
        fx_tiff tiled = {.w = 40, .h = 37, .bps = 8, .spp = 1,
                         .photometric = PHOTOMETRIC_MINISBLACK, .compression = comps[c],
                         .tw = 16, .th = 16, .extra = -1};
        tiff_case(tiled, true);
        tiled.photometric = PHOTOMETRIC_MINISWHITE;
        tiled.w = 21;
        tiled.tw = 32;
        tiff_case(tiled, true);
        tiled.bps = 1;
        tiled.th = 32;
        tiff_case(tiled, true);
        fx_tiff rgbt = {.w = 50, .h = 19, .bps = 8, .spp = 3, .photometric = PHOTOMETRIC_RGB,
                        .compression = comps[c], .tw = 16, .th = 16, .extra = -1};
        tiff_case(rgbt, true);
    }
    fx_tiff sep = {.w = 21, .h = 13, .bps = 8, .spp = 3, .photometric = PHOTOMETRIC_RGB,
                   .planar = PLANARCONFIG_SEPARATE, .extra = -1};
    tiff_case(sep, false);
    fx_tiff turned = {.w = 21, .h = 13, .bps = 8, .spp = 1,
                      .photometric = PHOTOMETRIC_MINISBLACK, .extra = -1, .orientation = 6};
    tiff_case(turned, false);
}

static void test_tiff_second_page_streams(void **state)
{
    (void)state;
    fx_tiff p[2] = {{.w = 30, .h = 20, .bps = 8, .spp = 1, .photometric = PHOTOMETRIC_MINISBLACK,
                     .extra = -1},
                    {.w = 17, .h = 11, .bps = 1, .spp = 1, .photometric = PHOTOMETRIC_MINISWHITE,
                     .compression = COMPRESSION_CCITTFAX4, .extra = -1}};
    uint16_t *s0 = fx_tiff_random_samples(&p[0], 1), *s1 = fx_tiff_random_samples(&p[1], 2);
    p[0].samples = s0;
    p[1].samples = s1;
    char path[600];
    tu_path(path, sizeof path, dir, "two.tif");
    fx_write_tiff(path, p, 2);
    check_stream(path, 0, true);
    check_stream(path, 1, true);
    db_ctx *ctx = fx_ctx();
    db_row_info info;
    assert_int_equal(db_row_reader_probe(ctx, path, 1, &info), 0);
    assert_int_equal(info.npages, 2);
    assert_int_equal(info.width, 17);
    db_ctx_free(ctx);
    free(s0);
    free(s1);
}

/* APP1 Exif with one Orientation entry (big-endian). */
static size_t exif_orientation(uint8_t *b, int orientation)
{
    static const uint8_t head[] = {'E', 'x', 'i', 'f', 0, 0, 'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1,
                                   0x01, 0x12, 0, 3, 0, 0, 0, 1};
    memcpy(b, head, sizeof head);
    size_t n = sizeof head;
    b[n++] = 0;
    b[n++] = (uint8_t)orientation;
    memset(b + n, 0, 6);
    return n + 6;
}

static void test_jpeg_rows_equal_whole_page(void **state)
{
    (void)state;
    uint64_t rng = tu_seed() ^ 0x4a504547u;
    const int W = 53, H = 37;
    uint8_t *px = malloc((size_t)W * H * 4);
    for (int i = 0; i < W * H * 4; i++) /* smooth-ish content keeps the codec honest */
        px[i] = (uint8_t)((i / 4) % W * 4 + (int)(tu_rand(&rng) % 16));
    char path[600];
    tu_path(path, sizeof path, dir, "s.jpg");
    fx_jpeg g = {.w = W, .h = H, .comps = 1, .in_space = JCS_GRAYSCALE, .pixels = px,
                 .density_unit = 1, .xd = 300, .yd = 300};
    write_jpeg(path, &g);
    check_stream(path, 0, true);
    fx_jpeg c = {.w = W, .h = H, .comps = 3, .in_space = JCS_RGB, .pixels = px,
                 .density_unit = 2, .xd = 118, .yd = 59};
    write_jpeg(path, &c);
    check_stream(path, 0, true);
    fx_jpeg k = {.w = W, .h = H, .comps = 4, .in_space = JCS_CMYK, .pixels = px};
    write_jpeg(path, &k);
    check_stream(path, 0, true);
    k.adobe = true;
    k.file_space = JCS_YCCK;
    write_jpeg(path, &k);
    check_stream(path, 0, true);
    c.progressive = true;
    write_jpeg(path, &c);
    check_stream(path, 0, false);
    uint8_t app1[64];
    c.progressive = false;
    c.app1 = app1;
    c.app1_len = exif_orientation(app1, 6);
    write_jpeg(path, &c);
    check_stream(path, 0, false);
    c.app1_len = exif_orientation(app1, 1); /* upright: streams */
    write_jpeg(path, &c);
    check_stream(path, 0, true);
    free(px);
}

/* Whole-page write and row write (random chunks) of the same page. */
static void check_rows_write(db_ctx *ctx, const db_image *img, const char *ext,
                             db_tiff_compression comp, uint64_t *rng)
{
    char a[600], b[600], name[32];
    snprintf(name, sizeof name, "whole.%s", ext);
    tu_path(a, sizeof a, dir, name);
    snprintf(name, sizeof name, "rows.%s", ext);
    tu_path(b, sizeof b, dir, name);
    db_write_options wo = {.flags = DB_WRITE_OVERWRITE, .compression = comp};
    assert_int_equal(db_image_save(ctx, a, &wo, img), 0);
    db_writer *w;
    assert_int_equal(db_writer_open(ctx, b, &wo, &w), 0);
    assert_int_equal(db_writer_begin_rows(ctx, w, img->width, img->height, img->xdpi, img->ydpi),
                     0);
    for (int y = 0; y < img->height;) {
        int n = tu_rand_range(rng, 1, 7);
        if (n > img->height - y)
            n = img->height - y;
        assert_int_equal(db_writer_add_rows(ctx, w, img, y, n), 0);
        y += n;
    }
    assert_int_equal(db_writer_end_rows(ctx, w), 0);
    assert_int_equal(db_writer_commit(ctx, w), 0);
    db_writer_free(w);
    size_t na, nb;
    char *pa = tu_read_file(a, &na), *pb = tu_read_file(b, &nb);
    assert_non_null(pa);
    assert_non_null(pb);
    if (na != nb || memcmp(pa, pb, na) != 0)
        fail_msg("%s %dx%d: row-written file differs (%zu vs %zu bytes)", ext, img->width,
                 img->height, nb, na);
    free(pa);
    free(pb);
}

static void test_rows_write_equals_whole_page_write(void **state)
{
    (void)state;
    db_ctx *ctx = fx_ctx();
    uint64_t rng = tu_seed() ^ 77;
    db_image img = {0};
    const int sizes[][2] = {{1, 1}, {63, 5}, {64, 9}, {65, 77}, {200, 131}, {1001, 3}};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        fx_random_bits(ctx, &img, sizes[i][0], sizes[i][1], &rng);
        img.xdpi = i % 2 ? 300 : 0;
        img.ydpi = i % 2 ? 600 : 0;
        check_rows_write(ctx, &img, "png", DB_TIFF_AUTO, &rng);
        check_rows_write(ctx, &img, "tif", DB_TIFF_AUTO, &rng);
        check_rows_write(ctx, &img, "tif", DB_TIFF_PACKBITS, &rng);
        check_rows_write(ctx, &img, "pbm", DB_TIFF_AUTO, &rng);
    }
    /* JPEG cannot stream; a page cut short is refused and leaves nothing */
    char p[600];
    tu_path(p, sizeof p, dir, "x.jpg");
    db_writer *w;
    assert_int_equal(db_writer_open(ctx, p, NULL, &w), 0);
    assert_int_equal(db_writer_begin_rows(ctx, w, 10, 10, 0, 0), DB_EUNSUPPORTED);
    db_writer_free(w);
    db_ctx_clear_error(ctx);
    tu_path(p, sizeof p, dir, "short.png");
    assert_int_equal(db_writer_open(ctx, p, NULL, &w), 0);
    assert_int_equal(db_writer_begin_rows(ctx, w, img.width, img.height, 0, 0), 0);
    assert_int_equal(db_writer_add_rows(ctx, w, &img, 0, 1), 0);
    assert_int_equal(db_writer_end_rows(ctx, w), DB_EINVAL);
    assert_non_null(strstr(db_ctx_message(ctx), "after 1 of 3 rows"));
    assert_int_equal(db_writer_commit(ctx, w), DB_EINVAL);
    db_writer_free(w);
    assert_false(tu_file_exists(p));
    db_image_free(&img);
    db_ctx_free(ctx);
}

static void test_cut_file_fails_while_streaming(void **state)
{
    (void)state;
    db_ctx *ctx = fx_ctx();
    uint64_t rng = tu_seed() ^ 5;
    db_image img = {0}, rows = {0};
    assert_int_equal(db_image_ensure(ctx, &img, 300, 200, DB_GRAY8), 0);
    tu_fill_random(&img, &rng);
    char p[600];
    size_t n;
    char *bytes = fx_save_bytes(ctx, tu_path(p, sizeof p, dir, "cut.png"), &img, &n);
    write_bytes(p, bytes, n / 2);
    free(bytes);
    db_row_reader *rr;
    assert_int_equal(db_row_reader_open(ctx, p, 0, &rr), 0);
    assert_int_equal(db_image_ensure(ctx, &rows, 300, 200, DB_GRAY8), 0);
    int rc = 0;
    for (int y = 0; y < 200 && rc == 0; y += 10)
        rc = db_row_reader_read(ctx, rr, 10, &rows, y);
    assert_int_equal(rc, DB_ECORRUPT);
    assert_non_null(strstr(db_ctx_message(ctx), "cut.png: png: "));
    db_row_reader_close(rr);
    db_ctx_clear_error(ctx);
    /* a raw PNM cut short is refused at open, before any row */
    bytes = fx_save_bytes(ctx, tu_path(p, sizeof p, dir, "cut.pgm"), &img, &n);
    write_bytes(p, bytes, n - 1);
    free(bytes);
    assert_int_equal(db_row_reader_open(ctx, p, 0, &rr), DB_ECORRUPT);
    assert_null(rr);
    assert_non_null(strstr(db_ctx_message(ctx), "truncated"));
    db_image_free(&img);
    db_image_free(&rows);
    db_ctx_free(ctx);
}

/* Damaged files (bytes flipped, cut anywhere) read row by row: every call
 * ends in 0 or a DB_E* code, never a crash (the ASan build runs this), and
 * a reader that failed is only closed. */
static void test_damaged_files_never_crash_the_row_reader(void **state)
{
    (void)state;
    db_ctx *ctx = fx_ctx();
    uint64_t rng = tu_seed() ^ 0xbad;
    db_image img = {0}, rows = {0};
    assert_int_equal(db_image_ensure(ctx, &img, 97, 61, DB_GRAY8), 0);
    for (int y = 0; y < img.height; y++)
        for (int x = 0; x < img.width; x++)
            db_image_row(&img, y)[x] = (uint8_t)(x * 2 + y + (int)(tu_rand(&rng) % 9));
    static const char *const names[] = {"d.png", "d.jpg", "d.tif", "d.pgm"};
    char base[600], p[600];
    for (int f = 0; f < 4; f++) {
        size_t n;
        char *orig = fx_save_bytes(ctx, tu_path(base, sizeof base, dir, names[f]), &img, &n);
        char *buf = malloc(n);
        for (int trial = 0; trial < 60; trial++) {
            memcpy(buf, orig, n);
            size_t len = n;
            if (trial % 2)
                len = (size_t)(tu_rand(&rng) % n);
            int flips = (int)(tu_rand(&rng) % 4);
            for (int k = 0; k < flips && len > 0; k++)
                buf[tu_rand(&rng) % len] ^= (char)(1u << (tu_rand(&rng) % 8));
            tu_path(p, sizeof p, dir, "damaged");
            write_bytes(p, buf, len);
            db_row_reader *rr;
            int rc = db_row_reader_open(ctx, p, 0, &rr);
            if (rc == 0) {
                db_row_info info;
                db_row_reader_info(rr, &info);
                assert_int_equal(db_image_ensure(ctx, &rows, info.width, 8, info.format), 0);
                for (int y = 0; y < info.height && rc == 0; y += 8) {
                    int k = info.height - y < 8 ? info.height - y : 8;
                    rc = db_row_reader_read(ctx, rr, k, &rows, 0);
                }
                db_row_reader_close(rr);
            }
            assert_true(rc <= 0);
            if (rc < 0)
                assert_true(db_ctx_message(ctx)[0] != '\0');
            db_ctx_clear_error(ctx);
        }
        free(buf);
        free(orig);
    }
    db_image_free(&img);
    db_image_free(&rows);
    db_ctx_free(ctx);
}

int main(void)
{
    snprintf(dir, sizeof dir, "%s", tu_tmpdir("io_stream"));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_png_rows_equal_whole_page),
        cmocka_unit_test(test_pnm_rows_equal_whole_page),
        cmocka_unit_test(test_tiff_rows_equal_whole_page),
        cmocka_unit_test(test_tiff_second_page_streams),
        cmocka_unit_test(test_jpeg_rows_equal_whole_page),
        cmocka_unit_test(test_rows_write_equals_whole_page_write),
        cmocka_unit_test(test_cut_file_fails_while_streaming),
        cmocka_unit_test(test_damaged_files_never_crash_the_row_reader),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
