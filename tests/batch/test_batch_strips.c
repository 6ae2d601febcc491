/* test_batch_strips.c - strip mode through the installed `docbin batch` and
 * single-page command: --strip-rows gives the same files, byte for byte, as
 * the whole-page route for PNG, TIFF, PGM, PPM (colour, drop-color) and
 * baseline JPEG inputs, PNG, TIFF and PBM outputs, with -j 2; -v says
 * which pages ran in strips. */
#include "synth.h"
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char root[1024], cmd[16384];

static void save_page(db_ctx *ctx, const char *rel, int w, int h, uint64_t seed, bool color)
{
    char p[2048];
    snprintf(p, sizeof p, "%s/in/%s", root, rel);
    tu_synth_opts o;
    tu_synth_defaults(&o, w, h, seed);
    o.color = color;
    db_image page = {0};
    assert_int_equal(tu_synth_page(ctx, &o, &page, NULL), 0);
    db_write_options wo = {.flags = DB_WRITE_OVERWRITE};
    assert_int_equal(db_image_save(ctx, p, &wo, &page), 0);
    db_image_free(&page);
}

/* Runs a shell line in root with DOCBIN_STAGED_CLI as $D; output in log. */
static int run(const char *line)
{
    snprintf(cmd, sizeof cmd, "cd '%s' && D='%s' && { %s; } >log 2>&1", root, DOCBIN_STAGED_CLI,
             line);
    return tu_run(cmd, NULL);
}

static void test_batch_strips_equal_whole_pages(void **state)
{
    (void)state;
    snprintf(root, sizeof root, "%s", tu_tmpdir("batch_strips"));
    char mk[1200];
    snprintf(mk, sizeof mk, "mkdir -p '%s/in'", root);
    assert_int_equal(tu_run(mk, NULL), 0);
    db_ctx *ctx;
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    save_page(ctx, "a.png", 301, 211, 1, false);
    save_page(ctx, "b.tif", 257, 190, 2, false);
    save_page(ctx, "c.ppm", 199, 143, 3, true);
    save_page(ctx, "d.pgm", 64, 301, 4, false);
    save_page(ctx, "e.jpg", 150, 120, 5, true);
    db_ctx_free(ctx);
    static const char *const specs[] = {"sauvola:window=21", "otsu", "wolf:window=15",
                                        "bradley", "bernsen:window=9"};
    static const char *const formats[] = {"png", "tiff", "pnm"};
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        const char *f = formats[i % 3];
        char line[4096];
        snprintf(line, sizeof line,
                 "rm -rf ref strips && $D batch -q -j 2 -f %s -m %s in -o ref && "
                 "$D batch -q -j 2 -f %s --strip-rows 7 -m %s in -o strips && diff -r ref strips",
                 f, specs[i], f, specs[i]);
        if (run(line) != 0)
            fail_msg("%s (-f %s): strip batch differs from the whole-page batch", specs[i], f);
    }
    /* drop-color on the colour page, single-page command, and -v */
    assert_int_equal(run("$D -y -m sauvola --drop-color red in/c.ppm w.png && "
                         "$D -y -v --strip-rows 5 -m sauvola --drop-color red in/c.ppm s.png && "
                         "cmp w.png s.png && grep -q 'strips' log"),
                     0);
    /* baseline JPEG streams too */
    assert_int_equal(run("$D -y -m sauvola in/e.jpg jw.png && "
                         "$D -y -v --strip-rows 5 -m sauvola in/e.jpg js.png && "
                         "cmp jw.png js.png && grep -q 'strips' log"),
                     0);
    /* a method that needs the whole page ignores --strip-rows */
    assert_int_equal(run("$D -y -m howe in/d.pgm hw.png && "
                         "$D -y -v --strip-rows 5 -m howe in/d.pgm hs.png && cmp hw.png hs.png && "
                         "! grep -q 'strips' log"),
                     0);
    /* --strip-rows 0 disables; a bad value is a usage error */
    assert_int_equal(run("$D -y -v --strip-rows 0 -m sauvola in/a.png z.png && "
                         "! grep -q 'strips' log"),
                     0);
    assert_int_equal(run("$D -y --strip-rows -3 in/a.png z.png"), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch_strips_equal_whole_pages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
