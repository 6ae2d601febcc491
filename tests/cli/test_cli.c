/* test_cli.c - the installed docbin program: exit codes, messages, atomic
 * outputs, overwrite rules, stdin/stdout, DPI and multi-page handling. */
#include "synth.h"
#include "test_util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *dir;
static char cmd[8192], path_in[1024], path_out[1024], log_path[1024];
static db_ctx *ctx;

static int setup(void **state)
{
    dir = tu_tmpdir("cli");
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    tu_path(log_path, sizeof log_path, dir, "log.txt");
    /* a small synthetic page at 300 dpi */
    tu_synth_opts o;
    tu_synth_defaults(&o, 320, 240, 7);
    db_image page = {0};
    assert_int_equal(tu_synth_page(ctx, &o, &page, NULL), 0);
    tu_path(path_in, sizeof path_in, dir, "page.png");
    db_write_options w = {0};
    assert_int_equal(db_image_save(ctx, path_in, &w, &page), 0);
    db_image_free(&page);
    return 0;
}

static int teardown(void **state)
{
    db_ctx_free(ctx);
    return 0;
}

/* Runs "docbin ARGS" with stdout+stderr into log_path; returns the exit code. */
static int docbin(const char *args)
{
    snprintf(cmd, sizeof cmd, "'%s' %s", DOCBIN_STAGED_CLI, args);
    return tu_run(cmd, log_path);
}

static char *log_text(void)
{
    static char *text;
    free(text);
    text = tu_read_file(log_path, NULL);
    return text ? text : (char *)"";
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* No stray temporary files (".name.XXXXXX") left in dir. */
static void assert_no_temp_files(void)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] == '.' && strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            fail_msg("temporary file left behind: %s", e->d_name);
    closedir(d);
}

static const char *out(const char *name)
{
    tu_path(path_out, sizeof path_out, dir, name);
    remove(path_out);
    return path_out;
}

static void test_help_and_version_go_to_stdout_with_exit_0(void **state)
{
    assert_int_equal(docbin("--help"), 0);
    assert_non_null(strstr(log_text(), "usage: docbin"));
    assert_int_equal(docbin("--version"), 0);
    assert_non_null(strstr(log_text(), "docbin 0."));
}

static void test_usage_errors_exit_2_with_one_line(void **state)
{
    const char *cases[] = {"", "only-one-arg", "a b c", "--bogus a b", "-m nosuch in.png o.png",
                           "-m otsu:x=1 in.png o.png", "-j 0 in.png o.png",
                           "in.png out.unknownext", "--isa sse9 a.png b.png", "-m", NULL};
    for (int i = 0; cases[i]; i++) {
        int rc = docbin(cases[i]);
        if (rc != 2)
            fail_msg("'docbin %s' exited %d, want 2; output: %s", cases[i], rc, log_text());
        assert_int_equal(count_lines(log_text()), 1);
        assert_non_null(strstr(log_text(), "docbin: "));
    }
}

static void test_binarizes_png_to_1bit_png_and_keeps_dpi(void **state)
{
    char args[4096];
    snprintf(args, sizeof args, "'%s' '%s'", path_in, out("a.png"));
    assert_int_equal(docbin(args), 0);
    db_reader *r;
    assert_int_equal(db_reader_open(ctx, path_out, &r), 0);
    db_image img = {0};
    assert_int_equal(db_reader_read(ctx, r, 0, &img), 0);
    assert_int_equal(img.width, 320);
    assert_true(img.xdpi > 299.9 && img.xdpi < 300.1);
    /* two-level, and the same as the library's own Otsu result */
    db_image page = {0}, mask = {0};
    assert_int_equal(db_image_load(ctx, path_in, &page), 0);
    db_method m;
    assert_int_equal(db_method_parse(ctx, "otsu", &m), 0);
    assert_int_equal(db_method_run(ctx, &m, &page, &mask), 0);
    for (int y = 0; y < img.height; y++)
        for (int x = 0; x < img.width; x++) {
            uint8_t v = db_image_row(&img, y)[x];
            assert_true(v == 0 || v == 255);
            assert_int_equal(v == 0, db_bit_get(&mask, x, y));
        }
    db_reader_close(r);
    db_image_free(&img);
    db_image_free(&page);
    db_image_free(&mask);
    assert_no_temp_files();
}

static void test_refuses_existing_output_unless_overwrite(void **state)
{
    out("exists.png");
    assert_int_equal(tu_write_file(path_out, "keep", 4), 0);
    char args[4096];
    snprintf(args, sizeof args, "'%s' '%s'", path_in, path_out);
    assert_int_equal(docbin(args), 1);
    assert_non_null(strstr(log_text(), "exists"));
    size_t n;
    char *kept = tu_read_file(path_out, &n);
    assert_int_equal(n, 4);
    free(kept);
    snprintf(args, sizeof args, "-y '%s' '%s'", path_in, path_out);
    assert_int_equal(docbin(args), 0);
    kept = tu_read_file(path_out, &n);
    assert_true(n > 8 && memcmp(kept, "\x89PNG", 4) == 0);
    free(kept);
    assert_no_temp_files();
}

static void test_refuses_to_overwrite_the_input(void **state)
{
    char args[4096];
    snprintf(args, sizeof args, "-y '%s' '%s/../cli/page.png'", path_in, dir);
    assert_int_equal(docbin(args), 2);
    assert_non_null(strstr(log_text(), "input"));
}

static void test_bad_inputs_exit_1_naming_the_file_and_leave_nothing(void **state)
{
    char garbage[1024], trunc[1024], args[4096];
    tu_path(garbage, sizeof garbage, dir, "garbage.png");
    assert_int_equal(tu_write_file(garbage, "this is not an image at all", 27), 0);
    size_t n;
    char *png = tu_read_file(path_in, &n);
    tu_path(trunc, sizeof trunc, dir, "truncated.png");
    assert_int_equal(tu_write_file(trunc, png, n / 2), 0);
    free(png);
    const char *inputs[] = {garbage, trunc, "/nonexistent/file.png"};
    for (int i = 0; i < 3; i++) {
        snprintf(args, sizeof args, "'%s' '%s'", inputs[i], out("never.png"));
        int rc = docbin(args);
        if (rc != 1)
            fail_msg("%s: exit %d, want 1: %s", inputs[i], rc, log_text());
        assert_int_equal(count_lines(log_text()), 1);
        assert_non_null(strstr(log_text(), inputs[i]));
        assert_false(tu_file_exists(path_out));
    }
    assert_no_temp_files();
}

static void test_stdin_to_stdout(void **state)
{
    char args[4096];
    snprintf(args, sizeof args, "- - < '%s' > '%s' 2>/dev/null; test $? -eq 0", path_in,
             out("stdout.png"));
    snprintf(cmd, sizeof cmd, "'%s' %s", DOCBIN_STAGED_CLI, args);
    assert_int_equal(tu_run(cmd, NULL), 0);
    db_image img = {0};
    assert_int_equal(db_image_load(ctx, path_out, &img), 0);
    assert_int_equal(img.width, 320);
    db_image_free(&img);
}

static void test_multipage_tiff_gives_multipage_tiff(void **state)
{
    char in3[1024], args[4096];
    tu_path(in3, sizeof in3, dir, "three.tif");
    db_writer *w;
    db_write_options wo = {0};
    assert_int_equal(db_writer_open(ctx, in3, &wo, &w), 0);
    for (int p = 0; p < 3; p++) {
        tu_synth_opts o;
        tu_synth_defaults(&o, 100 + 10 * p, 80, 100 + p);
        db_image page = {0};
        assert_int_equal(tu_synth_page(ctx, &o, &page, NULL), 0);
        assert_int_equal(db_writer_add(ctx, w, &page), 0);
        db_image_free(&page);
    }
    assert_int_equal(db_writer_commit(ctx, w), 0);
    db_writer_free(w);

    snprintf(args, sizeof args, "'%s' '%s'", in3, out("three_out.tif"));
    assert_int_equal(docbin(args), 0);
    db_reader *r;
    assert_int_equal(db_reader_open(ctx, path_out, &r), 0);
    assert_int_equal(db_reader_page_count(r), 3);
    db_image img = {0};
    for (int p = 0; p < 3; p++) {
        assert_int_equal(db_reader_read(ctx, r, p, &img), 0);
        assert_int_equal(img.width, 100 + 10 * p);
    }
    db_reader_close(r);
    db_image_free(&img);

    snprintf(args, sizeof args, "'%s' '%s'", in3, out("three.png"));
    assert_int_equal(docbin(args), 1);
    assert_non_null(strstr(log_text(), "--page"));
    snprintf(args, sizeof args, "--page 2 '%s' '%s'", in3, out("second.png"));
    assert_int_equal(docbin(args), 0);
    assert_int_equal(db_image_load(ctx, path_out, &img), 0);
    assert_int_equal(img.width, 110);
    db_image_free(&img);
}

static void test_every_method_is_listed_and_documented(void **state)
{
    assert_int_equal(docbin("--list-methods"), 0);
    char *list = strdup(log_text());
    char man[1024];
    snprintf(man, sizeof man, "%s/share/man/man1/docbin.1", DOCBIN_STAGE);
    char *page = tu_read_file(man, NULL);
    assert_non_null(page);
    for (int i = 0; i < db_method_count(); i++) {
        const char *name = db_method_at(i)->name;
        if (!strstr(list, name))
            fail_msg("method %s missing from --list-methods", name);
        char tag[128];
        snprintf(tag, sizeof tag, ".B %s", name);
        if (!strstr(page, tag))
            fail_msg("method %s missing from man/docbin.1 (want a '.B %s' entry)", name, name);
    }
    free(list);
    free(page);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help_and_version_go_to_stdout_with_exit_0),
        cmocka_unit_test(test_usage_errors_exit_2_with_one_line),
        cmocka_unit_test(test_binarizes_png_to_1bit_png_and_keeps_dpi),
        cmocka_unit_test(test_refuses_existing_output_unless_overwrite),
        cmocka_unit_test(test_refuses_to_overwrite_the_input),
        cmocka_unit_test(test_bad_inputs_exit_1_naming_the_file_and_leave_nothing),
        cmocka_unit_test(test_stdin_to_stdout),
        cmocka_unit_test(test_multipage_tiff_gives_multipage_tiff),
        cmocka_unit_test(test_every_method_is_listed_and_documented),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
