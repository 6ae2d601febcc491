/* test_io_files.c - what is common to every format: PNM reading and writing,
 * detection by magic bytes (never by name), the writer's temporary file and
 * rename (refusing an existing output, leaving nothing behind on any error),
 * standard input/output, db_path_same_file, and allocation failure N = 1, 2,
 * ... until success on PNG and TIFF reads and writes (clean each time; the
 * ASan build catches leaks). */
#include "tiff_fixture.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[512]; /* tu_tmpdir returns a buffer reused by later calls */

static void write_text(const char *path, const char *s)
{
    assert_int_equal(tu_write_file(path, s, strlen(s)), 0);
}

static void test_pnm_reads_plain_and_raw_variants(void **state)
{
    db_ctx *ctx = fx_ctx();
    char path[1024];
    db_image img = {0};
    /* P1: 1 = black; digits may run together */
    write_text(tu_path(path, sizeof path, dir, "a.pbm"), "P1\n# comment\n3 2\n1 0 1\n010\n");
    assert_int_equal(db_image_load(ctx, path, &img), 0);
    fx_expect_pixels(&img, DB_GRAY8, 3, 2, (const uint8_t[]){0, 255, 0, 255, 0, 255});
    /* P2 with maxval 15 scales with rounding */
    write_text(path, "P2 2 2 15\n0 15\n7 8\n");
    assert_int_equal(db_image_load(ctx, path, &img), 0);
    fx_expect_pixels(&img, DB_GRAY8, 2, 2, (const uint8_t[]){0, 255, 119, 136});
    write_text(path, "P3\n1 1\n255\n10 20 30\n");
    assert_int_equal(db_image_load(ctx, path, &img), 0);
    fx_expect_pixels(&img, DB_RGB8, 1, 1, (const uint8_t[]){10, 20, 30});
    /* P4: 10 pixels per row = 2 bytes, MSB first */
    const uint8_t p4[] = {'P', '4', '\n', '1', '0', ' ', '1', '\n', 0xA0, 0x40};
    assert_int_equal(tu_write_file(path, p4, sizeof p4), 0);
    assert_int_equal(db_image_load(ctx, path, &img), 0);
    fx_expect_pixels(&img, DB_GRAY8, 10, 1,
                     (const uint8_t[]){0, 255, 0, 255, 255, 255, 255, 255, 255, 0});
    /* P5 16-bit big-endian: (v*255 + 32767) / 65535 */
    const uint8_t p5[] = {'P', '5', ' ', '2', ' ', '1', ' ', '6', '5', '5', '3', '5', '\n',
                          0x80, 0x00, 0xFF, 0xFF};
    assert_int_equal(tu_write_file(path, p5, sizeof p5), 0);
    assert_int_equal(db_image_load(ctx, path, &img), 0);
    fx_expect_pixels(&img, DB_GRAY8, 2, 1, (const uint8_t[]){128, 255});
    const uint8_t p6[] = {'P', '6', '\n', '1', ' ', '1', '\n', '2', '5', '5', '\n', 1, 2, 3};
    assert_int_equal(tu_write_file(path, p6, sizeof p6), 0);
    assert_int_equal(db_image_load(ctx, path, &img), 0);
    fx_expect_pixels(&img, DB_RGB8, 1, 1, (const uint8_t[]){1, 2, 3});
    assert_true(img.xdpi == 0);
    db_image_free(&img);
    db_ctx_free(ctx);
}

static void test_pnm_round_trips_bit_gray_rgb(void **state)
{
    db_ctx *ctx = fx_ctx();
    uint64_t rng = tu_seed() + 11;
    char path[1024];
    db_image bits = {0}, back = {0}, ref = {0};
    fx_random_bits(ctx, &bits, 71, 9, &rng);
    assert_int_equal(db_image_save(ctx, tu_path(path, sizeof path, dir, "b.pbm"), NULL, &bits), 0);
    size_t n;
    char *raw = tu_read_file(path, &n);
    assert_memory_equal(raw, "P4\n71 9\n", 8);
    assert_int_equal(n, 8 + 9 * 9);
    assert_int_equal((uint8_t)raw[8] >> 7, db_bit_get(&bits, 0, 0)); /* 1 = black */
    free(raw);
    assert_int_equal(db_image_load(ctx, path, &back), 0);
    assert_int_equal(db_image_to_gray(ctx, &bits, &ref), 0);
    assert_int_equal(fx_max_diff(&back, &ref), 0);
    db_format fmts[2] = {DB_GRAY8, DB_RGB8};
    const char *names[2] = {"g.pgm", "c.ppm"};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(db_image_ensure(ctx, &ref, 33, 7, fmts[i]), 0);
        tu_fill_random(&ref, &rng);
        tu_path(path, sizeof path, dir, names[i]);
        assert_int_equal(db_image_save(ctx, path, NULL, &ref), 0);
        assert_int_equal(db_image_load(ctx, path, &back), 0);
        assert_int_equal(fx_max_diff(&back, &ref), 0);
    }
    db_image_free(&bits);
    db_image_free(&back);
    db_image_free(&ref);
    db_ctx_free(ctx);
}

static void test_format_comes_from_magic_bytes_not_name(void **state)
{
    db_ctx *ctx = fx_ctx();
    char path[1024];
    db_image img = {0};
    assert_int_equal(db_image_ensure(ctx, &img, 5, 4, DB_GRAY8), 0);
    db_image_clear(&img);
    db_write_options o = {.format = DB_FILE_PNG};
    assert_int_equal(db_image_save(ctx, tu_path(path, sizeof path, dir, "png.jpg"), &o, &img), 0);
    db_reader *r;
    assert_int_equal(db_reader_open(ctx, path, &r), 0);
    assert_int_equal(db_reader_format(r), DB_FILE_PNG);
    assert_int_equal(db_reader_page_count(r), 1);
    db_reader_close(r);
    assert_int_equal(db_file_format_from_name("A/B.TIFF"), DB_FILE_TIFF);
    assert_int_equal(db_file_format_from_name("x.Jpeg"), DB_FILE_JPEG);
    assert_int_equal(db_file_format_from_name("x.pgm"), DB_FILE_PNM);
    assert_int_equal(db_file_format_from_name("dir.png/x"), DB_FILE_AUTO);
    assert_int_equal(db_file_format_from_name("x.gif"), DB_FILE_AUTO);
    assert_string_equal(db_file_format_name(DB_FILE_TIFF), "tiff");
    /* from memory too */
    size_t n;
    char *data = tu_read_file(path, &n);
    assert_int_equal(db_reader_open_memory(ctx, data, n, "mem.png", &r), 0);
    assert_int_equal(db_reader_read(ctx, r, 0, &img), 0);
    assert_int_equal(img.width, 5);
    db_reader_close(r);
    free(data);
    db_image_free(&img);
    db_ctx_free(ctx);
}

static void test_writer_refuses_existing_output_and_leaves_no_temp(void **state)
{
    const char *d = tu_tmpdir("io_writer");
    db_ctx *ctx = fx_ctx();
    char path[1024];
    tu_path(path, sizeof path, d, "out.png");
    write_text(path, "precious");
    db_image img = {0};
    assert_int_equal(db_image_ensure(ctx, &img, 8, 8, DB_GRAY8), 0);
    db_image_clear(&img);
    assert_int_equal(db_image_save(ctx, path, NULL, &img), DB_EEXIST);
    assert_non_null(strstr(db_ctx_message(ctx), "out.png: "));
    size_t n;
    char *kept = tu_read_file(path, &n);
    assert_string_equal(kept, "precious");
    free(kept);
    assert_int_equal(fx_count_files(d), 1);
    db_ctx_clear_error(ctx);
    /* the name appears between open and commit: still refused, temp removed */
    char late[1024];
    tu_path(late, sizeof late, d, "late.png");
    db_writer *w;
    assert_int_equal(db_writer_open(ctx, late, NULL, &w), 0);
    assert_int_equal(db_writer_add(ctx, w, &img), 0);
    assert_int_equal(fx_count_files(d), 2); /* out.png + the temporary */
    write_text(late, "someone else");
    assert_int_equal(db_writer_commit(ctx, w), DB_EEXIST);
    db_writer_free(w);
    assert_int_equal(fx_count_files(d), 2);
    db_ctx_clear_error(ctx);
    /* overwrite asked: replaced */
    db_write_options o = {.flags = DB_WRITE_OVERWRITE};
    assert_int_equal(db_image_save(ctx, path, &o, &img), 0);
    db_reader *r;
    assert_int_equal(db_reader_open(ctx, path, &r), 0);
    db_reader_close(r);
    /* free without commit removes the temporary */
    assert_int_equal(db_writer_open(ctx, tu_path(late, sizeof late, d, "never.tif"), NULL, &w), 0);
    assert_int_equal(db_writer_add(ctx, w, &img), 0);
    db_writer_free(w);
    assert_false(tu_file_exists(late));
    /* one page only outside TIFF; zero pages; unknown extension; bad format */
    assert_int_equal(db_writer_open(ctx, tu_path(late, sizeof late, d, "two.png"), NULL, &w), 0);
    assert_int_equal(db_writer_add(ctx, w, &img), 0);
    assert_int_equal(db_writer_add(ctx, w, &img), DB_EINVAL);
    assert_non_null(strstr(db_ctx_message(ctx), "one page"));
    assert_int_equal(db_writer_commit(ctx, w), DB_EINVAL);
    db_writer_free(w);
    db_ctx_clear_error(ctx);
    assert_int_equal(db_writer_open(ctx, late, NULL, &w), 0);
    assert_int_equal(db_writer_commit(ctx, w), DB_EINVAL);
    db_writer_free(w);
    db_ctx_clear_error(ctx);
    tu_path(late, sizeof late, d, "x.gif");
    assert_int_equal(db_image_save(ctx, late, NULL, &img), DB_EINVAL);
    db_ctx_clear_error(ctx);
    db_image f32 = img;
    f32.format = DB_F32;
    tu_path(late, sizeof late, d, "f.png");
    assert_int_equal(db_image_save(ctx, late, NULL, &f32), DB_EINVAL);
    db_ctx_clear_error(ctx);
    assert_int_equal(db_image_save(ctx, "/nonexistent-dir/x.png", NULL, &img), DB_EIO);
    assert_non_null(strstr(db_ctx_message(ctx), "/nonexistent-dir/x.png: "));
    assert_int_equal(fx_count_files(d), 2); /* out.png, late.png: nothing else */
    db_image_free(&img);
    db_ctx_free(ctx);
}

static void test_stdin_and_stdout(void **state)
{
    db_ctx *ctx = fx_ctx();
    char in[1024], out[1024];
    db_image img = {0}, back = {0};
    uint64_t rng = tu_seed() + 3;
    assert_int_equal(db_image_ensure(ctx, &img, 17, 5, DB_RGB8), 0);
    tu_fill_random(&img, &rng);
    /* standard output: needs an explicit format, written at commit */
    assert_int_equal(db_image_save(ctx, "-", NULL, &img), DB_EINVAL);
    db_ctx_clear_error(ctx);
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    int fd = open(tu_path(out, sizeof out, dir, "stdout.tif"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, STDOUT_FILENO);
    close(fd);
    db_write_options o = {.format = DB_FILE_TIFF};
    db_writer *w;
    assert_int_equal(db_writer_open(ctx, "-", &o, &w), 0);
    assert_int_equal(db_writer_add(ctx, w, &img), 0);
    assert_int_equal(db_writer_add(ctx, w, &img), 0); /* two pages through memory */
    assert_int_equal(db_writer_commit(ctx, w), 0);
    db_writer_free(w);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    db_reader *r;
    assert_int_equal(db_reader_open(ctx, out, &r), 0);
    assert_int_equal(db_reader_page_count(r), 2);
    assert_int_equal(db_reader_read(ctx, r, 1, &back), 0);
    assert_int_equal(fx_max_diff(&img, &back), 0);
    db_reader_close(r);
    /* standard input */
    assert_int_equal(db_image_save(ctx, tu_path(in, sizeof in, dir, "stdin.png"), NULL, &img), 0);
    saved = dup(STDIN_FILENO);
    fd = open(in, O_RDONLY);
    dup2(fd, STDIN_FILENO);
    close(fd);
    db_image_clear(&back);
    int rc = db_image_load(ctx, "-", &back);
    dup2(saved, STDIN_FILENO);
    close(saved);
    assert_int_equal(rc, 0);
    assert_int_equal(fx_max_diff(&img, &back), 0);
    db_image_free(&img);
    db_image_free(&back);
    db_ctx_free(ctx);
}

static void test_path_same_file_sees_links_and_spellings(void **state)
{
    char a[1024], b[1024], c[1024];
    write_text(tu_path(a, sizeof a, dir, "same.png"), "x");
    if (snprintf(b, sizeof b, "%s/./same.png", dir) >= (int)sizeof b)
        fail_msg("path too long");
    assert_int_equal(db_path_same_file(a, b), 1);
    tu_path(c, sizeof c, dir, "hard.png");
    unlink(c);
    assert_int_equal(link(a, c), 0);
    assert_int_equal(db_path_same_file(a, c), 1);
    write_text(tu_path(c, sizeof c, dir, "other.png"), "x");
    assert_int_equal(db_path_same_file(a, c), 0);
    assert_int_equal(db_path_same_file(a, "-"), 0);
    assert_int_equal(db_path_same_file(a, "/nonexistent/zz"), 0);
}

/* Allocation n fails, for n = 1, 2, ... until the operation succeeds; each
 * failure must be a clean error (and leave no file when writing). */
typedef int (*op_fn)(db_ctx *ctx, const char *path, db_image *img);

static int op_read(db_ctx *ctx, const char *path, db_image *img)
{
    return db_image_load(ctx, path, img);
}

static int op_write(db_ctx *ctx, const char *path, db_image *img)
{
    db_write_options o = {.flags = DB_WRITE_OVERWRITE};
    return db_image_save(ctx, path, &o, img);
}

static void fail_every_allocation(const char *path, op_fn op, db_image *img, const char *d)
{
    db_ctx *ctx = fx_ctx();
    int files = d ? fx_count_files(d) : 0;
    long n;
    for (n = 1; n < 100000; n++) {
        db_ctx_clear_error(ctx);
        db_ctx_fail_alloc_after(ctx, n);
        int rc = op(ctx, path, img);
        if (rc == 0)
            break;
        assert_int_equal(rc, DB_ENOMEM);
        assert_int_equal(db_ctx_code(ctx), DB_ENOMEM);
        assert_non_null(strstr(db_ctx_message(ctx), "out of memory"));
        if (d)
            assert_int_equal(fx_count_files(d), files);
    }
    assert_true(n > 2 && n < 100000); /* some allocation was hit, then it succeeded */
    db_ctx_fail_alloc_after(ctx, 0);
    db_ctx_free(ctx);
}

static void test_allocation_failures_are_clean(void **state)
{
    db_ctx *ctx = fx_ctx();
    uint64_t rng = tu_seed() + 9;
    db_image rgb = {0}, bits = {0}, out = {0};
    assert_int_equal(db_image_ensure(ctx, &rgb, 40, 30, DB_RGB8), 0);
    tu_fill_random(&rgb, &rng);
    fx_random_bits(ctx, &bits, 90, 20, &rng);
    const char *d = tu_tmpdir("io_fail");
    char png[1024], tif[1024], g4[1024], jpg[1024], pnm[1024];
    tu_path(png, sizeof png, d, "a.png");
    tu_path(tif, sizeof tif, d, "a.tif");
    tu_path(g4, sizeof g4, d, "g4.tif");
    tu_path(jpg, sizeof jpg, d, "a.jpg");
    tu_path(pnm, sizeof pnm, d, "a.ppm");
    assert_int_equal(db_image_save(ctx, png, NULL, &rgb), 0);
    assert_int_equal(db_image_save(ctx, tif, NULL, &rgb), 0);
    assert_int_equal(db_image_save(ctx, g4, NULL, &bits), 0);
    assert_int_equal(db_image_save(ctx, jpg, NULL, &rgb), 0);
    assert_int_equal(db_image_save(ctx, pnm, NULL, &rgb), 0);
    const char *reads[] = {png, tif, g4, jpg, pnm};
    for (int i = 0; i < 5; i++)
        fail_every_allocation(reads[i], op_read, &out, NULL);
    fail_every_allocation(png, op_write, &rgb, d);
    fail_every_allocation(tif, op_write, &rgb, d);
    fail_every_allocation(g4, op_write, &bits, d);
    fail_every_allocation(jpg, op_write, &rgb, d);
    fail_every_allocation(pnm, op_write, &bits, d);
    db_image_free(&rgb);
    db_image_free(&bits);
    db_image_free(&out);
    db_ctx_free(ctx);
}

int main(void)
{
    snprintf(dir, sizeof dir, "%s", tu_tmpdir("io_files"));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pnm_reads_plain_and_raw_variants),
        cmocka_unit_test(test_pnm_round_trips_bit_gray_rgb),
        cmocka_unit_test(test_format_comes_from_magic_bytes_not_name),
        cmocka_unit_test(test_writer_refuses_existing_output_and_leaves_no_temp),
        cmocka_unit_test(test_stdin_and_stdout),
        cmocka_unit_test(test_path_same_file_sees_links_and_spellings),
        cmocka_unit_test(test_allocation_failures_are_clean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
