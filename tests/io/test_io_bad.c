/* test_io_bad.c - the bad-input table, tests/bad/cases.tsv: every line is a
 * generated file (a valid fixture made here, then cut, flipped or patched)
 * that must be refused with the expected code, a one-line message naming the
 * file and containing the expected words, quickly (no hang), and without any
 * output being written. A new case is a new line in the table. */
#include "jpeg_fixture.h"
#include "tiff_fixture.h"

#include <time.h>

static char dir[512]; /* tu_tmpdir returns a buffer reused by later calls */

typedef struct buf {
    uint8_t *p;
    size_t n;
} buf;

static buf file_bytes(const char *path)
{
    buf b;
    b.p = (uint8_t *)tu_read_file(path, &b.n);
    assert_non_null(b.p);
    return b;
}

static buf save_base(db_ctx *ctx, const db_image *img, const char *name)
{
    char path[1024];
    buf b;
    b.p = (uint8_t *)fx_save_bytes(ctx, tu_path(path, sizeof path, dir, name), img, &b.n);
    return b;
}

static buf tiff_base(const fx_tiff *pages, int n)
{
    char path[1024];
    fx_write_tiff(tu_path(path, sizeof path, dir, "base.tif"), pages, n);
    return file_bytes(path);
}

/* A raw libtiff page with fields fx_tiff cannot express (float, CIELab). */
static buf tiff_special(uint16_t bps, uint16_t spp, uint16_t photo, uint16_t fmt)
{
    char path[1024];
    TIFF *tif = TIFFOpen(tu_path(path, sizeof path, dir, "special.tif"), "w");
    TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, 8);
    TIFFSetField(tif, TIFFTAG_IMAGELENGTH, 4);
    TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, bps);
    TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, spp);
    TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, photo);
    TIFFSetField(tif, TIFFTAG_SAMPLEFORMAT, fmt);
    TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
    TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, 4);
    uint8_t row[8 * 4 * 4] = {0};
    for (uint32_t y = 0; y < 4; y++)
        assert_true(TIFFWriteScanline(tif, row, y, 0) >= 0);
    TIFFClose(tif);
    return file_bytes(path);
}

static buf make_base(const char *name, uint64_t *rng)
{
    db_ctx *ctx = fx_ctx();
    db_image img = {0};
    buf b = {0};
    if (strcmp(name, "png8") == 0 || strcmp(name, "jpg_gray") == 0 || strcmp(name, "pgm") == 0) {
        assert_int_equal(db_image_ensure(ctx, &img, 64, 48, DB_GRAY8), 0);
        tu_fill_random(&img, rng);
        b = save_base(ctx, &img, name[0] == 'p' && name[1] == 'n' ? "base.png"
                                 : name[0] == 'j'                 ? "base.jpg"
                                                                  : "base.pgm");
    } else if (strcmp(name, "jpg") == 0) {
        assert_int_equal(db_image_ensure(ctx, &img, 64, 48, DB_RGB8), 0);
        tu_fill_random(&img, rng);
        b = save_base(ctx, &img, "base.jpg");
    } else if (strcmp(name, "pbm") == 0 || strcmp(name, "tif_g4") == 0) {
        fx_random_bits(ctx, &img, 200, 100, rng);
        b = save_base(ctx, &img, name[0] == 'p' ? "base.pbm" : "base.tif");
    } else if (strcmp(name, "jpg_prog") == 0) {
        uint8_t *px = malloc(64 * 48 * 3);
        for (int i = 0; i < 64 * 48 * 3; i++)
            px[i] = (uint8_t)tu_rand(rng);
        fx_jpeg f = {.w = 64, .h = 48, .comps = 3, .in_space = JCS_RGB, .pixels = px,
                     .progressive = true};
        char path[1024];
        write_jpeg(tu_path(path, sizeof path, dir, "base.jpg"), &f);
        free(px);
        b = file_bytes(path);
    } else if (strcmp(name, "pngrgba_i") == 0) {
        uint16_t *s = malloc(40 * 30 * 4 * sizeof *s);
        for (int i = 0; i < 40 * 30 * 4; i++)
            s[i] = (uint16_t)(tu_rand(rng) & 255);
        fx_png f = {.w = 40, .h = 30, .depth = 8, .ctype = PNG_COLOR_TYPE_RGB_ALPHA,
                    .interlace = PNG_INTERLACE_ADAM7, .samples = s, .trns_key = {-1}};
        char path[1024];
        fx_write_png(tu_path(path, sizeof path, dir, "base.png"), &f);
        free(s);
        b = file_bytes(path);
    } else if (strncmp(name, "tif_", 4) == 0) {
        uint16_t *s = malloc(64 * 48 * 3 * sizeof *s);
        for (int i = 0; i < 64 * 48 * 3; i++)
            s[i] = (uint16_t)(tu_rand(rng) & 255);
        fx_tiff rgb = {.w = 40, .h = 30, .bps = 8, .spp = 3, .photometric = PHOTOMETRIC_RGB,
                       .compression = COMPRESSION_LZW, .rps = 4, .extra = -1, .samples = s};
        fx_tiff tiled = {.w = 64, .h = 48, .bps = 8, .spp = 1,
                         .photometric = PHOTOMETRIC_MINISBLACK, .tw = 16, .th = 16,
                         .compression = COMPRESSION_ADOBE_DEFLATE, .extra = -1, .samples = s};
        fx_tiff two[2] = {{.w = 20, .h = 10, .bps = 8, .spp = 1,
                           .photometric = PHOTOMETRIC_MINISBLACK, .extra = -1, .samples = s},
                          {.w = 30, .h = 12, .bps = 8, .spp = 1,
                           .photometric = PHOTOMETRIC_MINISBLACK, .extra = -1, .samples = s}};
        if (strcmp(name, "tif_lzw") == 0)
            b = tiff_base(&rgb, 1);
        else if (strcmp(name, "tif_tiled") == 0)
            b = tiff_base(&tiled, 1);
        else if (strcmp(name, "tif_2pages") == 0)
            b = tiff_base(two, 2);
        else if (strcmp(name, "tif_float") == 0)
            b = tiff_special(32, 1, PHOTOMETRIC_MINISBLACK, SAMPLEFORMAT_IEEEFP);
        else if (strcmp(name, "tif_lab") == 0)
            b = tiff_special(8, 3, PHOTOMETRIC_CIELAB, SAMPLEFORMAT_UINT);
        free(s);
    }
    if (!b.p)
        fail_msg("unknown base %s", name);
    db_image_free(&img);
    db_ctx_free(ctx);
    return b;
}

/* "text:..." with C escapes \n \t \xHH */
static buf make_text(const char *s)
{
    buf b = {malloc(strlen(s) + 1), 0};
    while (*s) {
        if (s[0] == '\\' && s[1] == 'n') {
            b.p[b.n++] = '\n';
            s += 2;
        } else if (s[0] == '\\' && s[1] == 't') {
            b.p[b.n++] = '\t';
            s += 2;
        } else if (s[0] == '\\' && s[1] == 'x') {
            char hex[3] = {s[2], s[3], 0};
            b.p[b.n++] = (uint8_t)strtoul(hex, NULL, 16);
            s += 4;
        } else {
            b.p[b.n++] = (uint8_t)*s++;
        }
    }
    return b;
}

static uint32_t crc32_of(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    }
    return ~c;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Byte position from "N%" (of n), "-N" (from the end) or "N". */
static size_t position(const char *a, size_t n)
{
    long v = strtol(a, NULL, 10);
    if (strchr(a, '%'))
        return (size_t)((double)n * (double)v / 100.0);
    return v < 0 ? n - (size_t)-v : (size_t)v;
}

static uint32_t tif_get(const buf *b, size_t off, int size, bool le)
{
    uint32_t v = 0;
    for (int i = 0; i < size; i++)
        v |= (uint32_t)b->p[off + (size_t)(le ? i : size - 1 - i)] << (8 * i);
    return v;
}

static void tif_put(buf *b, size_t off, int size, bool le, uint32_t v)
{
    for (int i = 0; i < size; i++)
        b->p[off + (size_t)(le ? i : size - 1 - i)] = (uint8_t)(v >> (8 * i));
}

/* Sets the first value of tag in IFD number ifd_no (0-based). */
static void tiff_patch(buf *b, int ifd_no, unsigned tag, uint32_t value)
{
    bool le = b->p[0] == 'I';
    size_t ifd = tif_get(b, 4, 4, le);
    for (int i = 0; i < ifd_no; i++) {
        unsigned n = tif_get(b, ifd, 2, le);
        ifd = tif_get(b, ifd + 2 + 12 * n, 4, le);
    }
    unsigned n = tif_get(b, ifd, 2, le);
    for (unsigned i = 0; i < n; i++) {
        size_t e = ifd + 2 + 12 * i;
        if (tif_get(b, e, 2, le) != tag)
            continue;
        unsigned type = tif_get(b, e + 2, 2, le);
        uint32_t count = tif_get(b, e + 4, 4, le);
        int size = type == 3 ? 2 : 4;
        size_t at = count * (uint32_t)size > 4 ? tif_get(b, e + 8, 4, le) : e + 8;
        tif_put(b, at, size, le, value);
        return;
    }
    fail_msg("tag %u not found in IFD %d", tag, ifd_no);
}

/* Offset of the JPEG frame header (SOF0/1/2) payload. */
static size_t jpeg_sof(const buf *b)
{
    size_t i = 2;
    while (i + 4 < b->n && b->p[i] == 0xFF) {
        unsigned m = b->p[i + 1], len = (unsigned)b->p[i + 2] << 8 | b->p[i + 3];
        if (m >= 0xC0 && m <= 0xC2)
            return i + 4;
        i += 2 + len;
    }
    fail_msg("no SOF marker");
    return 0;
}

static void mutate(buf *b, char *m, uint64_t *rng)
{
    char *arg = strchr(m, ':');
    assert_non_null(arg);
    *arg++ = '\0';
    char *arg2 = strchr(arg, ':');
    if (arg2)
        *arg2++ = '\0';
    if (strcmp(m, "trunc") == 0) {
        b->n = position(arg, b->n);
    } else if (strcmp(m, "flip") == 0) {
        b->p[position(arg, b->n)] ^= 0x10;
    } else if (strcmp(m, "before_last") == 0) { /* cut before the last marker FF<arg> */
        unsigned mk = (unsigned)strtoul(arg, NULL, 16);
        size_t at = 0;
        for (size_t i = 2; i + 1 < b->n; i++)
            if (b->p[i] == 0xFF && b->p[i + 1] == mk)
                at = i;
        assert_true(at > 0);
        b->n = at;
    } else if (strcmp(m, "zero") == 0) {
        size_t a = position(arg, b->n), e = position(arg2, b->n);
        memset(b->p + a, 0, e - a);
    } else if (strcmp(m, "garbage") == 0) {
        for (size_t i = position(arg, b->n); i < b->n; i++)
            b->p[i] = (uint8_t)tu_rand(rng);
    } else if (strcmp(m, "ihdr") == 0) {
        put_be32(b->p + 16, (uint32_t)strtoul(arg, NULL, 10));
        put_be32(b->p + 20, (uint32_t)strtoul(arg2, NULL, 10));
        put_be32(b->p + 29, crc32_of(b->p + 12, 17));
    } else if (strcmp(m, "tag") == 0 || strcmp(m, "tag2") == 0) {
        tiff_patch(b, m[3] == '2', (unsigned)strtoul(arg, NULL, 10),
                   (uint32_t)strtoul(arg2, NULL, 10));
    } else if (strcmp(m, "sof") == 0) {
        size_t s = jpeg_sof(b);
        unsigned w = (unsigned)strtoul(arg, NULL, 10), h = (unsigned)strtoul(arg2, NULL, 10);
        b->p[s + 1] = (uint8_t)(h >> 8);
        b->p[s + 2] = (uint8_t)h;
        b->p[s + 3] = (uint8_t)(w >> 8);
        b->p[s + 4] = (uint8_t)w;
    } else if (strcmp(m, "sofprec") == 0) {
        b->p[jpeg_sof(b)] = (uint8_t)strtoul(arg, NULL, 10);
    } else {
        fail_msg("unknown mutation %s", m);
    }
}

static int code_of(const char *name)
{
    static const struct {
        const char *n;
        int c;
    } t[] = {{"DB_ENOMEM", DB_ENOMEM}, {"DB_EINVAL", DB_EINVAL},
             {"DB_EIO", DB_EIO},       {"DB_EFORMAT", DB_EFORMAT},
             {"DB_EUNSUPPORTED", DB_EUNSUPPORTED}, {"DB_ETOOBIG", DB_ETOOBIG},
             {"DB_ECORRUPT", DB_ECORRUPT}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (strcmp(t[i].n, name) == 0)
            return t[i].c;
    fail_msg("unknown code %s", name);
    return 0;
}

/* Opens and decodes every page; the first error's code. */
static int load_all(db_ctx *ctx, const char *path, db_image *img)
{
    db_reader *r;
    DB_TRY(db_reader_open(ctx, path, &r));
    int rc = 0;
    for (int p = 0; p < db_reader_page_count(r) && rc == 0; p++)
        rc = db_reader_read(ctx, r, p, img);
    db_reader_close(r);
    return rc;
}

static void log_to(void *user, const char *msg)
{
    (*(int *)user)++;
    (void)msg;
}

static void test_bad_inputs_table(void **state)
{
    char table[1024];
    snprintf(table, sizeof table, "%s/tests/bad/cases.tsv", DOCBIN_SOURCE_DIR);
    FILE *fp = fopen(table, "r");
    assert_non_null(fp);
    char outdir[1024];
    snprintf(outdir, sizeof outdir, "%s", tu_tmpdir("io_bad_out"));
    char line[2048];
    int ncases = 0, failures = 0;
    while (fgets(line, sizeof line, fp)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0] || line[0] == '#')
            continue;
        char *name = strtok(line, "\t"), *input = strtok(NULL, "\t");
        char *code = strtok(NULL, "\t"), *expect = strtok(NULL, "\t");
        if (!name || !input || !code || !expect)
            fail_msg("malformed line for case %s", name ? name : "?");
        uint64_t rng = tu_seed() ^ (uint64_t)ncases;
        buf b = {0};
        char spec[1024];
        snprintf(spec, sizeof spec, "%s", input);
        if (strncmp(spec, "text:", 5) == 0) {
            b = make_text(spec + 5);
        } else if (strcmp(spec, "empty") == 0) {
            b.p = malloc(1);
        } else {
            char *save = NULL, *tok = strtok_r(spec, "|", &save);
            b = make_base(tok, &rng);
            while ((tok = strtok_r(NULL, "|", &save)))
                mutate(&b, tok, &rng);
        }
        char path[1024], out[1024];
        if (snprintf(path, sizeof path, "%s/%s.in", dir, name) >= (int)sizeof path)
            fail_msg("path too long");
        assert_int_equal(tu_write_file(path, b.p, b.n), 0);
        free(b.p);
        db_ctx *ctx = fx_ctx();
        int warnings = 0;
        db_ctx_set_log(ctx, log_to, &warnings);
        db_image img = {0};
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        int rc = load_all(ctx, path, &img);
        /* what a converting program does: write only after a clean read */
        if (snprintf(out, sizeof out, "%s/%s.png", outdir, name) >= (int)sizeof out)
            fail_msg("path too long");
        if (rc == 0)
            db_image_save(ctx, out, NULL, &img);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double secs = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
        const char *msg = db_ctx_message(ctx);
        char prefix[1100];
        snprintf(prefix, sizeof prefix, "%s: ", path);
        bool ok = rc == code_of(code) && strstr(msg, expect) &&
                  strncmp(msg, prefix, strlen(prefix)) == 0 && !strchr(msg, '\n') &&
                  !tu_file_exists(out) && secs < 10;
        if (getenv("DOCBIN_TEST_VERBOSE"))
            print_message("%-24s %-16s %s\n", name, db_strerror(rc), msg);
        if (!ok) {
            print_message("case %s: got %d (%s) \"%s\" in %.2fs; expected %s with \"%s\"\n", name,
                          rc, db_strerror(rc), msg, secs, code, expect);
            failures++;
        }
        db_image_free(&img);
        db_ctx_free(ctx);
        ncases++;
    }
    fclose(fp);
    assert_int_equal(fx_count_files(outdir), 0);
    print_message("%d bad-input cases\n", ncases);
    assert_true(ncases >= 40);
    assert_int_equal(failures, 0);
}

/* Seeded random damage (bytes overwritten anywhere, headers included, and a
 * random cut) on every base: any outcome but a crash, a hang, a leak or an
 * unnamed/multi-line message is fine. A small replayable fuzzer for CI; the
 * seed comes from DOCBIN_TEST_SEED. */
static void test_random_damage_never_crashes(void **state)
{
    static const char *bases[] = {"png8", "pngrgba_i", "jpg", "jpg_prog", "tif_g4", "tif_lzw",
                                  "tif_tiled", "tif_2pages", "pgm", "pbm"};
    uint64_t rng = tu_seed() ^ 0xF00D;
    int refused = 0, total = 0;
    db_ctx *ctx = fx_ctx();
    db_ctx_set_pixel_limit(ctx, 1u << 22); /* damaged sizes stay cheap */
    db_image img = {0};
    const char *env = getenv("DOCBIN_TEST_FUZZ_ITERS"); /* longer runs by hand */
    int iters = env ? atoi(env) : 60;
    for (size_t bi = 0; bi < sizeof bases / sizeof bases[0]; bi++) {
        buf base = make_base(bases[bi], &rng);
        uint8_t *copy = malloc(base.n);
        for (int iter = 0; iter < iters; iter++) {
            memcpy(copy, base.p, base.n);
            size_t n = base.n;
            int nflips = 1 + (int)(tu_rand(&rng) % 8);
            for (int k = 0; k < nflips; k++)
                copy[tu_rand(&rng) % n] = (uint8_t)tu_rand(&rng);
            if (iter % 3 == 0)
                n = 1 + tu_rand(&rng) % n;
            db_ctx_clear_error(ctx);
            db_reader *r = NULL;
            int rc = db_reader_open_memory(ctx, copy, n, "fuzz", &r);
            for (int p = 0; rc == 0 && p < db_reader_page_count(r); p++)
                rc = db_reader_read(ctx, r, p, &img);
            db_reader_close(r); /* NULL when opening failed */
            total++;
            if (rc != 0) {
                refused++;
                const char *msg = db_ctx_message(ctx);
                if (strncmp(msg, "fuzz: ", 6) != 0 || strchr(msg, '\n'))
                    fail_msg("%s iteration %d: bad message \"%s\"", bases[bi], iter, msg);
            }
        }
        free(copy);
        free(base.p);
    }
    print_message("random damage: %d of %d refused, none crashed\n", refused, total);
    assert_true(refused > total / 4);
    db_image_free(&img);
    db_ctx_free(ctx);
}

int main(void)
{
    snprintf(dir, sizeof dir, "%s", tu_tmpdir("io_bad"));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_inputs_table),
        cmocka_unit_test(test_random_damage_never_crashes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
