/* io_stream_read.c - the row-streaming reader (db_row_reader, docbin.h
 * "strips"): one page of a file, decoded a few rows at a time straight from
 * the file, so memory does not grow with the page. Every row is converted
 * exactly as the whole-page codecs do (io_png.c, io_pnm.c, io_tiff.c,
 * io_jpeg.c; the tests compare both routes on every fixture). Layouts that
 * cannot stream (interlaced PNG, progressive or EXIF-turned JPEG, plain PNM,
 * unusual TIFF layouts, standard input) are decoded whole at open through
 * db_reader and served from memory. */
#include "io_stream.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

/* ---- whole-page fallback ---- */

static int open_whole(db_ctx *ctx, db_row_reader *r, const char *path, int page)
{
    db_reader *rd;
    DB_TRY(db_reader_open(ctx, path, &rd));
    r->info.npages = db_reader_page_count(rd);
    int rc = db_reader_read(ctx, rd, page, &r->whole);
    db_reader_close(rd);
    DB_TRY(rc);
    r->kind = RR_WHOLE;
    r->info.width = r->whole.width;
    r->info.height = r->whole.height;
    r->info.format = r->whole.format;
    r->info.xdpi = r->whole.xdpi;
    r->info.ydpi = r->whole.ydpi;
    r->info.streams = false;
    return 0;
}

/* ---- PNM (raw P4, P5, P6) ---- */

static bool pnm_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* An unsigned decimal after whitespace/comments from the header bytes
 * h[*i..n); -1 at the end, -2 non-digit, -3 over max (as io_pnm.c). */
static long pnm_uint(const uint8_t *h, size_t n, size_t *i, long max)
{
    while (*i < n) {
        if (h[*i] == '#') {
            while (*i < n && h[*i] != '\n' && h[*i] != '\r')
                (*i)++;
        } else if (pnm_space(h[*i])) {
            (*i)++;
        } else {
            break;
        }
    }
    if (*i >= n)
        return -1;
    if (h[*i] < '0' || h[*i] > '9')
        return -2;
    long v = 0;
    while (*i < n && h[*i] >= '0' && h[*i] <= '9') {
        v = v * 10 + (h[(*i)++] - '0');
        if (v > max)
            return -3;
    }
    return v;
}

/* 0 streaming, 1 cannot stream (plain PNM, header longer than the probe:
 * the whole-page reader decides), < 0 error. */
static int open_pnm(db_ctx *ctx, db_row_reader *r)
{
    uint8_t h[4096];
    size_t n = fread(h, 1, sizeof h, r->f);
    if (n < 3 || h[1] < '4' || h[1] > '6')
        return 1;
    int kind = h[1] - '0';
    size_t i = 2;
    long v[3] = {0, 0, 1};
    int nfields = kind == 4 ? 2 : 3;
    for (int k = 0; k < nfields; k++)
        if ((v[k] = pnm_uint(h, n, &i, 1L << 30)) < 0)
            return 1; /* io_pnm.c words the error */
    if (i >= n || !pnm_space(h[i]) || v[2] < 1 || v[2] > 65535)
        return 1;
    i++;
    DB_TRY(db_check_dimensions(ctx, "pnm", v[0], v[1]));
    r->pnm_bits = kind == 4;
    r->maxval = (unsigned)v[2];
    r->bps = v[2] > 255 ? 2 : 1;
    int nch = kind == 6 ? 3 : 1;
    r->rowbytes = r->pnm_bits ? ((size_t)v[0] + 7) / 8
                              : (size_t)v[0] * (size_t)nch * (size_t)r->bps;
    size_t need;
    if (!db_mul_size(r->rowbytes, (size_t)v[1], &need) || need > r->file_size - i)
        return db_fail(ctx, DB_ECORRUPT,
                       "pnm: truncated (header says %ldx%ld, %llu bytes of pixels present)", v[0],
                       v[1], (unsigned long long)(r->file_size - i));
    if (fseek(r->f, (long)i, SEEK_SET) != 0)
        return db_fail(ctx, DB_EIO, "seek failed (%s)", strerror(errno));
    r->info.width = (int)v[0];
    r->info.height = (int)v[1];
    r->info.format = nch == 3 ? DB_RGB8 : DB_GRAY8;
    r->info.npages = 1;
    if (!(r->row = db_malloc(ctx, r->rowbytes)))
        return DB_ENOMEM;
    return 0;
}

static int read_pnm(db_ctx *ctx, db_row_reader *r, int n, db_image *dst, int y0)
{
    int w = r->info.width;
    size_t nsamp = (size_t)w * (r->info.format == DB_RGB8 ? 3 : 1);
    for (int k = 0; k < n; k++, r->next++) {
        if (fread(r->row, 1, r->rowbytes, r->f) != r->rowbytes)
            return db_fail(ctx, ferror(r->f) ? DB_EIO : DB_ECORRUPT, "pnm: truncated at row %d",
                           r->next + 1);
        uint8_t *d = db_image_row(dst, y0 + k);
        const uint8_t *s = r->row;
        if (r->pnm_bits) {
            io_expand_bits(s, d, w, true);
        } else if (r->bps == 1 && r->maxval == 255) {
            memcpy(d, s, nsamp);
        } else {
            for (size_t i = 0; i < nsamp; i++) {
                unsigned v = r->bps == 2 ? (unsigned)s[2 * i] << 8 | s[2 * i + 1] : s[i];
                if (v > r->maxval)
                    v = r->maxval;
                d[i] = (uint8_t)((v * 255u + r->maxval / 2) / r->maxval);
            }
        }
    }
    return 0;
}

/* ---- the reader ---- */

/* Releases the codec state (before a fallback or at close). */
static void release_codec(db_row_reader *r)
{
    io_stream_png_free(r);
    io_stream_jpeg_free(r);
    io_stream_tiff_free(r);
    if (r->f)
        fclose(r->f);
    r->f = NULL;
    db_free(r->row);
    r->row = NULL;
}

static int open_stream(db_ctx *ctx, db_row_reader *r, const char *path, int page)
{
    if (strcmp(path, "-") == 0)
        return 1;
    r->f = fopen(path, "rbe");
    if (!r->f)
        return 1; /* db_reader words the error */
    struct stat st;
    if (fstat(fileno(r->f), &st) != 0 || !S_ISREG(st.st_mode))
        return 1;
    r->file_size = (uint64_t)st.st_size;
    uint8_t m[8] = {0};
    size_t got = fread(m, 1, sizeof m, r->f);
    rewind(r->f);
    static const uint8_t png_magic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    r->info.streams = true;
    if (got == 8 && memcmp(m, png_magic, 8) == 0) {
        if (page != 0)
            return 1;
        r->kind = RR_PNG;
        return io_stream_png_open(ctx, r);
    }
    if (got >= 3 && m[0] == 'P' && m[1] >= '4' && m[1] <= '6') {
        if (page != 0)
            return 1;
        r->kind = RR_PNM;
        return open_pnm(ctx, r);
    }
    if (got >= 3 && m[0] == 0xFF && m[1] == 0xD8 && m[2] == 0xFF) {
        if (page != 0)
            return 1;
        r->kind = RR_JPEG;
        return io_stream_jpeg_open(ctx, r);
    }
    if (got >= 4 && ((m[0] == 'I' && m[1] == 'I') || (m[0] == 'M' && m[1] == 'M'))) {
        fclose(r->f);
        r->f = NULL;
        r->kind = RR_TIFF;
        return io_stream_tiff_open(ctx, r, path, page);
    }
    return 1;
}

int db_row_reader_open(db_ctx *ctx, const char *path, int page, db_row_reader **out)
{
    *out = NULL;
    if (!path || !*path)
        return db_fail(ctx, DB_EINVAL, "reader: no file name");
    if (page < 0)
        return db_fail(ctx, DB_EINVAL, "%s: page %d out of range", path, page + 1);
    db_row_reader *r = db_calloc(ctx, 1, sizeof *r);
    if (!r)
        return DB_ENOMEM;
    size_t n = strlen(path) + 1;
    if (!(r->name = db_malloc(ctx, n))) {
        db_free(r);
        return DB_ENOMEM;
    }
    memcpy(r->name, path, n);
    r->ctx = ctx;
    int rc = open_stream(ctx, r, path, page);
    if (rc > 0) { /* cannot stream: decode the whole page */
        release_codec(r);
        rc = open_whole(ctx, r, path, page);
    } else if (rc < 0) {
        db_ctx_prefix_message(ctx, path);
    }
    if (rc < 0) {
        db_row_reader_close(r);
        return rc;
    }
    *out = r;
    return 0;
}

int db_row_reader_probe(db_ctx *ctx, const char *path, int page, db_row_info *out)
{
    memset(out, 0, sizeof *out);
    if (!path || !*path || page < 0)
        return db_fail(ctx, DB_EINVAL, "reader: no file name or bad page");
    db_row_reader r = {.ctx = ctx, .name = (char *)(uintptr_t)path};
    int rc = open_stream(ctx, &r, path, page);
    if (rc == 0)
        *out = r.info;
    release_codec(&r);
    if (rc < 0) {
        db_ctx_prefix_message(ctx, path);
        return rc;
    }
    return 0;
}

void db_row_reader_close(db_row_reader *r)
{
    if (!r)
        return;
    release_codec(r);
    db_image_free(&r->whole);
    db_free(r->name);
    db_free(r);
}

void db_row_reader_info(const db_row_reader *r, db_row_info *out)
{
    *out = r ? r->info : (db_row_info){0};
}

int db_row_reader_read(db_ctx *ctx, db_row_reader *r, int n, db_image *dst, int y0)
{
    if (!r || !dst)
        return db_fail(ctx, DB_EINVAL, "reader: no reader or image");
    if (n < 0 || n > r->info.height - r->next)
        return db_fail(ctx, DB_EINVAL, "%s: rows %d..%d past the last row %d", r->name,
                       r->next + 1, r->next + n, r->info.height);
    if (dst->width != r->info.width || dst->format != r->info.format || y0 < 0 ||
        n > dst->height - y0)
        return db_fail(ctx, DB_EINVAL, "%s: row buffer does not fit the page", r->name);
    r->ctx = ctx;
    int rc = 0;
    switch (r->kind) {
    case RR_WHOLE: {
        size_t bytes = db_format_row_bytes(r->info.format, r->info.width);
        for (int k = 0; k < n; k++)
            memcpy(db_image_row(dst, y0 + k), db_image_row(&r->whole, r->next + k), bytes);
        r->next += n;
        return 0;
    }
    case RR_PNG: rc = io_stream_png_read(r, n, dst, y0); break;
    case RR_PNM: rc = read_pnm(ctx, r, n, dst, y0); break;
    case RR_TIFF: rc = io_stream_tiff_read(ctx, r, n, dst, y0); break;
    case RR_JPEG: rc = io_stream_jpeg_read(ctx, r, n, dst, y0); break;
    }
    if (rc < 0)
        db_ctx_prefix_message(ctx, r->name);
    return rc;
}
