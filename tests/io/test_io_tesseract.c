/* test_io_tesseract.c - the 1-bit files we write (PNG, G4 TIFF, PBM) are read
 * by Tesseract as black text on white paper: a line of text rendered by
 * ImageMagick is thresholded, written, and recognised with Tesseract's
 * automatic inversion off (a wrong polarity then gives garbage). Skipped
 * when `tesseract` (with eng) or ImageMagick's `convert` is missing. */
#include "io_fixture.h"

static char dir[512];

static void test_tesseract_reads_our_1bit_files_as_black_on_white(void **state)
{
    if (tu_run("tesseract --list-langs 2>&1 | grep -qx eng", NULL) != 0 ||
        tu_run("convert -version", NULL) != 0) {
        print_message("tesseract (eng) or ImageMagick convert not installed: skipping\n");
        skip();
    }
    char src[1024], cmd[4096];
    tu_path(src, sizeof src, dir, "line.png");
    snprintf(cmd, sizeof cmd,
             "convert -size 900x120 xc:white -font DejaVu-Sans -pointsize 40 -fill black "
             "-annotate +20+75 'Quick brown fox 1987' -colorspace Gray -depth 8 '%s'",
             src);
    if (tu_run(cmd, NULL) != 0) {
        print_message("convert cannot render text (no DejaVu font?): skipping\n");
        skip();
    }
    db_ctx *ctx = fx_ctx();
    db_image gray = {0}, bits = {0};
    assert_int_equal(db_image_load(ctx, src, &gray), 0);
    assert_int_equal(db_image_ensure(ctx, &bits, gray.width, gray.height, DB_BIT1), 0);
    db_image_clear(&bits);
    for (int y = 0; y < gray.height; y++)
        for (int x = 0; x < gray.width; x++)
            db_bit_set(&bits, x, y, db_image_row(&gray, y)[x] < 128);
    bits.xdpi = bits.ydpi = 300;
    const char *names[] = {"line1.png", "line1.tif", "line1.pbm"};
    for (int i = 0; i < 3; i++) {
        char path[1024], out[1100];
        tu_path(path, sizeof path, dir, names[i]);
        assert_int_equal(db_image_save(ctx, path, NULL, &bits), 0);
        snprintf(out, sizeof out, "%s.txt", path);
        snprintf(cmd, sizeof cmd, "tesseract '%s' - --psm 7 -c tessedit_do_invert=0 2>/dev/null",
                 path);
        assert_int_equal(tu_run(cmd, out), 0);
        size_t n;
        char *text = tu_read_file(out, &n);
        assert_non_null(text);
        if (!strstr(text, "brown fox 1987"))
            fail_msg("%s: tesseract read \"%s\"", names[i], text);
        free(text);
    }
    db_image_free(&gray);
    db_image_free(&bits);
    db_ctx_free(ctx);
}

int main(void)
{
    snprintf(dir, sizeof dir, "%s", tu_tmpdir("io_tesseract"));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tesseract_reads_our_1bit_files_as_black_on_white),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
