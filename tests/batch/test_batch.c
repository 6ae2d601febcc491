/* test_batch.c - the installed `docbin batch`: batch == single-page outputs
 * byte for byte, -j1 == -j2, recursive mirroring, failures listed with exit 1
 * and the others done, --resume, the JSONL report, shards' union == the full
 * run, SIGINT leaves no partial file, crashes (--isolate and without), full
 * disk (RLIMIT_FSIZE), unwritable output folders, unreadable inputs. */
#include "synth.h"
#include "test_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char root[1024], in_dir[1024], log_path[1024], cmd[16384];
static db_ctx *ctx;

enum { NGOOD = 7 };
static const char *const good[NGOOD] = {"a.png", "b.png", "c.tif", "d.jpg",
                                        "e.pgm", "sub/f.png", "sub/deeper/g.png"};
static const char *const bad[] = {"garbage.png", "truncated.png", "empty.tif", "lying.pgm"};
enum { NBAD = sizeof bad / sizeof bad[0] };

static const char *pathf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static const char *pathf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return buf;
}

static void save_page(const char *base, const char *rel, int w, int h, uint64_t seed, bool color)
{
    char p[2048];
    pathf(p, sizeof p, "%s/%s", base, rel);
    char mk[2100];
    snprintf(mk, sizeof mk, "mkdir -p \"$(dirname '%s')\"", p);
    assert_int_equal(tu_run(mk, NULL), 0);
    tu_synth_opts o;
    tu_synth_defaults(&o, w, h, seed);
    o.color = color;
    db_image page = {0};
    assert_int_equal(tu_synth_page(ctx, &o, &page, NULL), 0);
    db_write_options wo = {0};
    assert_int_equal(db_image_save(ctx, p, &wo, &page), 0);
    db_image_free(&page);
}

static int setup(void **state)
{
    snprintf(root, sizeof root, "%s", tu_tmpdir("batch"));
    pathf(in_dir, sizeof in_dir, "%s/in", root);
    pathf(log_path, sizeof log_path, "%s/log.txt", root);
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    for (int i = 0; i < NGOOD; i++)
        save_page(in_dir, good[i], 96 + 37 * i, 80 + 23 * i, 100 + (uint64_t)i, i % 3 == 1);
    /* corrupt inputs: garbage, a truncated PNG, an empty TIFF, a PGM whose
     * header promises more pixels than it holds */
    char p[2048];
    assert_int_equal(tu_write_file(pathf(p, sizeof p, "%s/garbage.png", in_dir), "not an image", 12), 0);
    size_t n;
    char *png = tu_read_file(pathf(p, sizeof p, "%s/a.png", in_dir), &n);
    assert_non_null(png);
    assert_int_equal(tu_write_file(pathf(p, sizeof p, "%s/truncated.png", in_dir), png, n / 2), 0);
    free(png);
    assert_int_equal(tu_write_file(pathf(p, sizeof p, "%s/empty.tif", in_dir), "", 0), 0);
    const char lying[] = "P5\n4000 4000\n255\nshort";
    assert_int_equal(tu_write_file(pathf(p, sizeof p, "%s/lying.pgm", in_dir), lying,
                                   sizeof lying - 1), 0);
    /* not an image name: a folder listing leaves it out */
    assert_int_equal(tu_write_file(pathf(p, sizeof p, "%s/notes.txt", in_dir), "x", 1), 0);
    return 0;
}

static int teardown(void **state)
{
    db_ctx_free(ctx);
    return 0;
}

static char *log_text(void)
{
    static char *text;
    free(text);
    text = tu_read_file(log_path, NULL);
    return text ? text : (char *)"";
}

/* Runs a shell line with "DOCBIN" standing for the staged program; stdout
 * and stderr into log_path. The trailing "exit" keeps the shell from
 * exec'ing the program, so a death by signal comes back as 128 + signal. */
static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
    char line[12000];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    char expanded[14000];
    size_t n = 0;
    const char *s = line;
    for (const char *tok; (tok = strstr(s, "DOCBIN ")); s = tok + 6) {
        n += (size_t)snprintf(expanded + n, sizeof expanded - n, "%.*s'%s'", (int)(tok - s), s,
                              DOCBIN_STAGED_CLI);
        assert_true(n < sizeof expanded);
    }
    snprintf(expanded + n, sizeof expanded - n, "%s", s);
    snprintf(cmd, sizeof cmd, "cd '%s' && { %s; } >'%s' 2>&1; rc=$?; exit $rc", root, expanded,
             log_path);
    int rc = tu_run(cmd, NULL);
    return rc;
}

static bool same_file(const char *a, const char *b)
{
    size_t na, nb;
    char *x = tu_read_file(a, &na), *y = tu_read_file(b, &nb);
    bool same = x && y && na == nb && memcmp(x, y, na) == 0;
    free(x);
    free(y);
    return same;
}

/* Output name of an input: extension replaced by .png (or ext). */
static const char *out_name(char *buf, size_t size, const char *dir, const char *rel,
                            const char *ext)
{
    const char *dot = strrchr(rel, '.');
    return pathf(buf, size, "%s/%s/%.*s.%s", root, dir, (int)(dot - rel), rel, ext);
}

/* No ".name.XXXXXX" temporary files anywhere below root/dir. */
static void assert_no_temp_files(const char *dir)
{
    char line[2048];
    snprintf(line, sizeof line,
             "test -z \"$(find '%s/%s' -name '.*' ! -name '.' 2>/dev/null)\"", root, dir);
    if (tu_run(line, NULL) != 0)
        fail_msg("temporary files left below %s", dir);
}

static int count_files(const char *dir)
{
    char line[8192], res[2048];
    pathf(res, sizeof res, "%s/count.txt", root);
    snprintf(line, sizeof line, "find '%s/%s' -type f | wc -l > '%s'", root, dir, res);
    assert_int_equal(tu_run(line, NULL), 0);
    char *t = tu_read_file(res, NULL);
    int n = t ? atoi(t) : -1;
    free(t);
    return n;
}

static void test_batch_equals_single_page_byte_for_byte(void **state)
{
    int rc = run("DOCBIN batch -r -j 2 -m sauvola:window=15 in -o single_ref");
    assert_int_equal(rc, 1); /* the corrupt files */
    for (int i = 0; i < NGOOD; i++) {
        char single[2048], batched[2048];
        pathf(single, sizeof single, "%s/single_%d.png", root, i);
        assert_int_equal(run("DOCBIN -m sauvola:window=15 in/%s %s", good[i], single), 0);
        out_name(batched, sizeof batched, "single_ref", good[i], "png");
        if (!same_file(single, batched))
            fail_msg("%s: batch output differs from the single-page command", good[i]);
    }
}

static void test_ocr_output_options_work_as_in_the_single_page_command(void **state)
{
    int rc = run("DOCBIN batch -r -j 2 -m sauvola --output clean-gray --margin 2 "
                 "--drop-color red in -o clean_ref");
    assert_int_equal(rc, 1); /* the corrupt files */
    for (int i = 0; i < NGOOD; i++) {
        char single[2048], batched[2048];
        pathf(single, sizeof single, "%s/clean_%d.png", root, i);
        assert_int_equal(run("DOCBIN -m sauvola --output clean-gray --margin 2 --drop-color red "
                             "in/%s %s", good[i], single),
                         0);
        out_name(batched, sizeof batched, "clean_ref", good[i], "png");
        if (!same_file(single, batched))
            fail_msg("%s: batch clean-gray output differs from the single-page command",
                     good[i]);
    }
    assert_int_equal(run("DOCBIN batch --save-maps x in -o never"), 2);
}

static void test_j1_equals_j2_and_tiff_naming(void **state)
{
    assert_int_equal(run("DOCBIN batch -r -j 1 --ext tif --suffix _bw in -o j1"), 1);
    assert_int_equal(run("DOCBIN batch -r -j 2 --ext tif --suffix _bw in -o j2"), 1);
    for (int i = 0; i < NGOOD; i++) {
        char a[2048], b[2048], rel[256];
        const char *dot = strrchr(good[i], '.');
        snprintf(rel, sizeof rel, "%.*s_bw.x", (int)(dot - good[i]), good[i]);
        out_name(a, sizeof a, "j1", rel, "tif");
        out_name(b, sizeof b, "j2", rel, "tif");
        assert_true(tu_file_exists(a));
        size_t n;
        char *t = tu_read_file(a, &n);
        assert_true(n > 8 && (memcmp(t, "II*", 3) == 0 || memcmp(t, "MM", 2) == 0));
        free(t);
        if (!same_file(a, b))
            fail_msg("%s: -j1 and -j2 differ", good[i]);
    }
    assert_int_equal(count_files("j1"), NGOOD);
}

static void test_recursive_mirrors_folders_and_flat_does_not_descend(void **state)
{
    assert_int_equal(run("DOCBIN batch in -o flat"), 1);
    char p[2048];
    assert_true(tu_file_exists(out_name(p, sizeof p, "flat", "a.png", "png")));
    assert_false(tu_file_exists(pathf(p, sizeof p, "%s/flat/sub", root)));
    assert_int_equal(count_files("flat"), 5);
    assert_int_equal(run("DOCBIN batch -r in -o deep"), 1);
    assert_true(tu_file_exists(out_name(p, sizeof p, "deep", "sub/deeper/g.png", "png")));
    assert_int_equal(count_files("deep"), NGOOD);
    /* a list file with duplicates, and the list on stdin, give the same */
    char list[2048];
    pathf(list, sizeof list, "%s/list.txt", root);
    FILE *f = fopen(list, "w");
    assert_non_null(f);
    fprintf(f, "in/b.png\r\nin/a.png\n\nin/a.png\n");
    fclose(f);
    assert_int_equal(run("DOCBIN batch @list.txt -o listed"), 0);
    assert_int_equal(count_files("listed"), 2);
    assert_int_equal(run("DOCBIN batch - -o stdin < list.txt"), 0);
    assert_int_equal(count_files("stdin"), 2);
    assert_true(same_file(out_name(p, sizeof p, "stdin", "a.png", "png"),
                          out_name(list, sizeof list, "deep", "a.png", "png")));
}

static void test_failures_are_listed_exit_1_and_the_rest_is_done(void **state)
{
    int rc = run("DOCBIN batch -r -j 2 in missing.png -o fails");
    assert_int_equal(rc, 1);
    const char *text = log_text();
    const char *summary = strstr(text, "pages failed:");
    assert_non_null(summary);
    for (int i = 0; i < NBAD; i++)
        if (!strstr(summary, bad[i]))
            fail_msg("%s missing from the failure summary:\n%s", bad[i], text);
    assert_non_null(strstr(summary, "missing.png"));
    assert_non_null(strstr(text, "5 of 12 pages failed:"));
    assert_int_equal(count_files("fails"), NGOOD);
    char p[2048];
    for (int i = 0; i < NBAD; i++)
        assert_false(tu_file_exists(out_name(p, sizeof p, "fails", bad[i], "png")));
    assert_no_temp_files("fails");
    /* only good pages: exit 0 */
    assert_int_equal(run("DOCBIN batch in/a.png in/b.png -o fails2 -q"), 0);
    assert_string_equal(log_text(), "");
}

static void test_usage_errors_exit_2(void **state)
{
    const char *cases[] = {"batch in", "batch -o x", "batch in -o x --shard 0/3",
                           "batch in -o x --shard 4/3", "batch in -o x --shard k8s",
                           "batch in -o x --ext jpg", "batch in -o x -m nosuch",
                           "batch in -o x --bogus", "batch @nolist.txt -o x", NULL};
    for (int i = 0; cases[i]; i++) {
        int rc = run("DOCBIN %s", cases[i]);
        if (rc != 2)
            fail_msg("'docbin %s' exited %d, want 2: %s", cases[i], rc, log_text());
    }
    assert_int_equal(run("DOCBIN batch --help"), 0);
    assert_non_null(strstr(log_text(), "--resume"));
}

static void test_resume_skips_fresh_outputs_and_redoes_stale_ones(void **state)
{
    assert_int_equal(run("DOCBIN batch in/a.png in/b.png in/c.tif -o res"), 0);
    char a[2048], b[2048];
    out_name(a, sizeof a, "res", "a.png", "png");
    out_name(b, sizeof b, "res", "b.png", "png");
    /* a's output becomes older than its input: stale; b's is replaced by junk
     * that is newer: resume must keep it (it trusts the time stamps). */
    struct timespec old[2] = {{.tv_sec = 1000000000}, {.tv_sec = 1000000000}};
    assert_int_equal(utimensat(AT_FDCWD, a, old, 0), 0);
    assert_int_equal(tu_write_file(b, "junk", 4), 0);
    /* a leftover temporary file of a killed run goes away */
    char tmp[2048];
    assert_int_equal(tu_write_file(pathf(tmp, sizeof tmp, "%s/res/.c.png.abc123", root), "x", 1), 0);
    assert_int_equal(run("DOCBIN batch --resume --report res.jsonl in/a.png in/b.png in/c.tif -o res"), 0);
    assert_non_null(strstr(log_text(), "1 ok, 0 failed, 2 skipped"));
    struct stat st;
    assert_int_equal(stat(a, &st), 0);
    assert_true(st.st_mtim.tv_sec > 1000000000);
    size_t n;
    free(tu_read_file(b, &n));
    assert_int_equal(n, 4);
    assert_false(tu_file_exists(tmp));
    /* without --resume an existing output is refused, with -y replaced */
    assert_int_equal(run("DOCBIN batch in/b.png -o res"), 1);
    assert_non_null(strstr(log_text(), "exist"));
    assert_int_equal(run("DOCBIN batch -y in/b.png -o res"), 0);
    free(tu_read_file(b, &n));
    assert_true(n > 4);
}

static void test_report_is_one_valid_json_line_per_page(void **state)
{
    assert_int_equal(run("DOCBIN batch -r -j 2 in -o rep --report rep.jsonl -m otsu"), 1);
    char p[2048];
    char *text = tu_read_file(pathf(p, sizeof p, "%s/rep.jsonl", root), NULL);
    assert_non_null(text);
    int lines = 0, ok = 0, failed = 0;
    for (char *s = text; *s; s++)
        lines += *s == '\n';
    for (char *s = text; (s = strstr(s, "\"status\":\"ok\"")); s++)
        ok++;
    for (char *s = text; (s = strstr(s, "\"status\":\"failed\"")); s++)
        failed++;
    assert_int_equal(lines, NGOOD + NBAD);
    assert_int_equal(ok, NGOOD);
    assert_int_equal(failed, NBAD);
    assert_non_null(strstr(text, "\"method\":\"otsu\""));
    free(text);
    /* every line parses as JSON with the documented keys (python3 when present) */
    if (tu_run("command -v python3 >/dev/null", NULL) == 0) {
        snprintf(cmd, sizeof cmd,
                 "python3 -c 'import json,sys\n"
                 "for l in open(sys.argv[1]):\n"
                 "    d=json.loads(l)\n"
                 "    assert set(d)=={\"input\",\"output\",\"status\",\"method\",\"input_bytes\","
                 "\"output_bytes\",\"seconds\",\"error\"}, d\n"
                 "    assert (d[\"error\"] is None) == (d[\"status\"]==\"ok\"), d\n"
                 "    assert d[\"seconds\"] >= 0' '%s/rep.jsonl'",
                 root);
        assert_int_equal(tu_run(cmd, NULL), 0);
    }
    assert_no_temp_files("rep");
    assert_false(tu_file_exists(pathf(p, sizeof p, "%s/.rep.jsonl", root)));
}

static void test_shards_union_is_the_full_run_and_stable_under_relisting(void **state)
{
    assert_int_equal(run("DOCBIN batch -r in -o shard_full"), 1);
    int total = 0;
    for (int k = 1; k <= 3; k++) {
        run("DOCBIN batch -r in -o shard_all --shard %d/3", k);
        char p[64];
        snprintf(p, sizeof p, "shard_dry_%d", k);
        assert_int_equal(run("DOCBIN batch -r -n in -o x --shard %d/3 > %s.txt", k, p), 0);
    }
    total = count_files("shard_all");
    assert_int_equal(total, NGOOD);
    assert_int_equal(tu_run("cd '" DOCBIN_TEST_TMP "/batch' && cat shard_dry_*.txt | sort | uniq -d | "
                            "wc -l | grep -qx 0",
                            NULL),
                     0);
    for (int i = 0; i < NGOOD; i++) {
        char a[2048], b[2048];
        if (!same_file(out_name(a, sizeof a, "shard_full", good[i], "png"),
                       out_name(b, sizeof b, "shard_all", good[i], "png")))
            fail_msg("%s: shard output differs from the full run", good[i]);
    }
    /* re-listing in another order (and from elsewhere) keeps every page's shard */
    assert_int_equal(run("cd in && ls -r *.png > ../rev.txt && cd .. && "
                         "DOCBIN batch -n in -o x --shard 2/3 | cut -f1 | sed 's,^in/,,' > s1.txt"),
                     0);
    assert_int_equal(run("cd in && DOCBIN batch -n @../rev.txt -o x --shard 2/3 | cut -f1 | sort > "
                         "../s2.txt && cd .. && grep '.png$' s1.txt | sort | cmp - s2.txt"),
                     0);
    /* Slurm and Kubernetes indices */
    assert_int_equal(run("DOCBIN batch -r -n in -o x --shard 2/3 > s_kk.txt && "
                         "SLURM_ARRAY_TASK_ID=11 SLURM_ARRAY_TASK_MIN=10 SLURM_ARRAY_TASK_COUNT=3 "
                         "DOCBIN batch -r -n in -o x --shard slurm | cmp - s_kk.txt && "
                         "JOB_COMPLETION_INDEX=1 DOCBIN batch -r -n in -o x --shard k8s "
                         "--shard-count 3 | cmp - s_kk.txt"),
                     0);
    assert_int_equal(run("SLURM_ARRAY_TASK_ID=3 SLURM_ARRAY_TASK_COUNT=3 DOCBIN batch in -o x "
                         "--shard slurm"),
                     2);
}

/* Starts the batch in the background, waits for its first outputs, sends
 * sig, and returns how it ended (the raw wait status). */
static int interrupt_batch(const char *outdir, int sig)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (chdir(root) != 0 || !freopen(log_path, "w", stderr))
            _exit(99);
        execl(DOCBIN_STAGED_CLI, "docbin", "batch", "-j", "2", "-m", "sauvola", "many", "-o",
              outdir, (char *)NULL);
        _exit(98);
    }
    char first[2048];
    pathf(first, sizeof first, "%s/%s/m00.png", root, outdir);
    for (int i = 0; i < 2000 && !tu_file_exists(first); i++)
        usleep(5000);
    usleep(20000);
    kill(pid, sig);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    return st;
}

static void test_sigint_stops_cleanly_and_resume_completes(void **state)
{
    enum { NMANY = 48 };
    char p[2048];
    for (int i = 0; i < NMANY; i++) {
        pathf(p, sizeof p, "many/m%02d.png", i);
        char full[2048];
        pathf(full, sizeof full, "%s/%s", root, p);
        if (!tu_file_exists(full))
            save_page(root, p, 640, 480, 500 + (uint64_t)i, false);
    }
    int sigs[2] = {SIGINT, SIGTERM};
    for (int s = 0; s < 2; s++) {
        char outdir[32];
        snprintf(outdir, sizeof outdir, "int%d", s);
        int st = interrupt_batch(outdir, sigs[s]);
        assert_true(WIFSIGNALED(st));
        assert_int_equal(WTERMSIG(st), sigs[s]);
        assert_no_temp_files(outdir);
        int done = count_files(outdir);
        assert_true(done >= 1);
        print_message("signal %d stopped the batch after %d of %d pages\n", sigs[s], done, NMANY);
        /* every output present is complete: it decodes */
        for (int i = 0; i < NMANY; i++) {
            pathf(p, sizeof p, "%s/%s/m%02d.png", root, outdir, i);
            if (!tu_file_exists(p))
                continue;
            db_image img = {0};
            if (db_image_load(ctx, p, &img) != 0)
                fail_msg("%s: partial output after a signal: %s", p, db_ctx_message(ctx));
            assert_int_equal(img.width, 640);
            db_image_free(&img);
        }
        assert_int_equal(run("DOCBIN batch --resume -j 2 -m sauvola many -o %s", outdir), 0);
        assert_int_equal(count_files(outdir), NMANY);
    }
    assert_int_equal(run("DOCBIN batch -j 2 -m sauvola many -o int_ref"), 0);
    for (int i = 0; i < NMANY; i++) {
        char a[2048], b[2048];
        pathf(a, sizeof a, "%s/int0/m%02d.png", root, i);
        pathf(b, sizeof b, "%s/int_ref/m%02d.png", root, i);
        assert_true(same_file(a, b));
    }
}

static void test_crash_keeps_finished_outputs_and_isolate_contains_it(void **state)
{
    char p[2048];
    assert_int_equal(run("mkdir -p crash && cp in/a.png crash/a.png && cp in/b.png crash/b.png && "
                         "cp in/a.png crash/zz_crashme.png"),
                     0);
    /* without --isolate the whole process dies; what was finished stays */
    int rc = run("DOCBIN_BATCH_TEST_CRASH=crashme DOCBIN batch -j 1 crash -o crash_out");
#ifdef __SANITIZE_ADDRESS__
    assert_int_equal(rc, 1); /* ASan catches the SIGSEGV, reports it and exits 1 */
#else
    assert_int_equal(rc, 128 + SIGSEGV);
#endif
    assert_true(tu_file_exists(pathf(p, sizeof p, "%s/crash_out/a.png", root)));
    assert_true(tu_file_exists(pathf(p, sizeof p, "%s/crash_out/b.png", root)));
    /* with --isolate the crash fails one file, reported, exit 1 */
    rc = run("DOCBIN_BATCH_TEST_CRASH=crashme DOCBIN batch --isolate -j 2 crash -o crash_iso");
    assert_int_equal(rc, 1);
    assert_non_null(strstr(log_text(), "zz_crashme.png: the worker processing this file crashed"));
    assert_int_equal(count_files("crash_iso"), 2);
    assert_no_temp_files("crash_iso");
    /* isolated results equal the in-process ones */
    assert_int_equal(run("DOCBIN batch --isolate in/a.png in/c.tif -o iso && "
                         "DOCBIN batch in/a.png in/c.tif -o noiso && cmp iso/a.png noiso/a.png && "
                         "cmp iso/c.png noiso/c.png"),
                     0);
}

static void test_full_disk_fails_those_pages_and_leaves_nothing(void **state)
{
    /* RLIMIT_FSIZE of 8 KiB (SIGXFSZ ignored, so write() fails with EFBIG):
     * the big page cannot be written, the small one can. */
    assert_int_equal(run("mkdir -p fsz && cp in/a.png fsz/small.png"), 0);
    char big[2048];
    pathf(big, sizeof big, "%s/fsz/big.png", root);
    tu_synth_opts o;
    tu_synth_defaults(&o, 1600, 1200, 77);
    db_image page = {0};
    assert_int_equal(tu_synth_page(ctx, &o, &page, NULL), 0);
    db_write_options wo = {0};
    assert_int_equal(db_image_save(ctx, big, &wo, &page), 0);
    db_image_free(&page);
    int rc = run("trap '' XFSZ; ulimit -f 8; DOCBIN batch fsz -o fsz_out --report fsz_out.jsonl");
    assert_int_equal(rc, 1);
    assert_non_null(strstr(log_text(), "big.png"));
    assert_false(tu_file_exists(pathf(big, sizeof big, "%s/fsz_out/big.png", root)));
    assert_true(tu_file_exists(pathf(big, sizeof big, "%s/fsz_out/small.png", root)));
    assert_no_temp_files("fsz_out");
}

static void test_unwritable_output_and_unreadable_input_are_page_failures(void **state)
{
    /* a file where a folder should be: no privilege helps */
    assert_int_equal(run("touch blocker && DOCBIN batch in/a.png -o blocker/out"), 1);
    assert_non_null(strstr(log_text(), "cannot create the output folder"));
    /* permissions: root ignores them, so drop to nobody when we are root */
    const char *as = "";
    if (geteuid() == 0) {
        if (tu_run("command -v setpriv >/dev/null", NULL) != 0) {
            print_message("skipping the permission cases: root without setpriv\n");
            return;
        }
        as = "setpriv --reuid=65534 --regid=65534 --clear-groups ";
    }
    assert_int_equal(run("mkdir -p perm/in perm/ro && cp in/a.png in/b.png perm/in/ && "
                         "chmod 000 perm/in/b.png && chmod 555 perm/ro && chmod 777 perm && "
                         "chmod 755 . .. ../.. 2>/dev/null; true"),
                     0);
    int rc = run("%sDOCBIN batch perm/in -o perm/out; rc=$?; chmod 644 perm/in/b.png; exit $rc",
                 as);
    if (rc == 126 || rc == 127) {
        print_message("skipping the permission cases: cannot run as nobody here\n");
        return;
    }
    assert_int_equal(rc, 1);
    assert_non_null(strstr(log_text(), "b.png"));
    char p[2048];
    assert_true(tu_file_exists(pathf(p, sizeof p, "%s/perm/out/a.png", root)));
    rc = run("%sDOCBIN batch perm/in/a.png -o perm/ro", as);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(log_text(), "a.png"));
    assert_no_temp_files("perm");
}

static void test_progress_bar_on_a_terminal_only(void **state)
{
    if (tu_run("command -v script >/dev/null", NULL) != 0)
        skip();
    assert_int_equal(run("script -qec \"DOCBIN batch in/a.png in/b.png -o tty -y\" /dev/null"), 0);
    const char *t = log_text();
    assert_non_null(strstr(t, "2/2 pages"));
    assert_non_null(strstr(t, "pages/s"));
    assert_non_null(strstr(t, "ETA"));
    assert_int_equal(run("DOCBIN batch in/a.png in/b.png -o tty -y"), 0);
    t = log_text();
    assert_null(strstr(t, "ETA"));
    assert_non_null(strstr(t, "[2/2] ok"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch_equals_single_page_byte_for_byte),
        cmocka_unit_test(test_ocr_output_options_work_as_in_the_single_page_command),
        cmocka_unit_test(test_j1_equals_j2_and_tiff_naming),
        cmocka_unit_test(test_recursive_mirrors_folders_and_flat_does_not_descend),
        cmocka_unit_test(test_failures_are_listed_exit_1_and_the_rest_is_done),
        cmocka_unit_test(test_usage_errors_exit_2),
        cmocka_unit_test(test_resume_skips_fresh_outputs_and_redoes_stale_ones),
        cmocka_unit_test(test_report_is_one_valid_json_line_per_page),
        cmocka_unit_test(test_shards_union_is_the_full_run_and_stable_under_relisting),
        cmocka_unit_test(test_sigint_stops_cleanly_and_resume_completes),
        cmocka_unit_test(test_crash_keeps_finished_outputs_and_isolate_contains_it),
        cmocka_unit_test(test_full_disk_fails_those_pages_and_leaves_nothing),
        cmocka_unit_test(test_unwritable_output_and_unreadable_input_are_page_failures),
        cmocka_unit_test(test_progress_bar_on_a_terminal_only),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
