/* io_png.c - PNG through libpng: every colour type and bit depth to GRAY8 or
 * RGB8 (16-bit rounded to 8, palette expanded, alpha over white, a palette of
 * grays gives GRAY8), pHYs <-> DPI; writes 1-bit, 8-bit gray and RGB.
 * libpng errors longjmp back here with the message kept in the ctx; its
 * allocations go through db_malloc so fault injection reaches them. */
#include "io_internal.h"

#include <png.h>
#include <setjmp.h>
#include <string.h>

typedef struct png_job {
    db_ctx *ctx;
    const uint8_t *data;
    size_t size, pos;
    io_sink *sink;
    char msg[200];
    char warning[120]; /* the last warning: often the reason for the error */
    bool in_pixels; /* the header was accepted: failures now mean damaged data */
    uint8_t *row;   /* one converted row, or all rows for interlaced files */
    png_bytep *rows;
} png_job;

static void png_err(png_structp png, png_const_charp msg)
{
    png_job *job = png_get_error_ptr(png);
    if (!job->msg[0]) {
        snprintf(job->msg, sizeof job->msg, "%s", msg);
        io_one_line(job->msg);
    }
    png_longjmp(png, 1);
}

static void png_warn(png_structp png, png_const_charp msg)
{
    png_job *job = png_get_error_ptr(png);
    snprintf(job->warning, sizeof job->warning, "%s", msg);
    io_one_line(job->warning);
    db_warn(job->ctx, "libpng: %s", job->warning);
}

static png_voidp png_alloc(png_structp png, png_alloc_size_t size)
{
    png_job *job = png_get_mem_ptr(png);
    return db_malloc(job->ctx, size);
}

static void png_dealloc(png_structp png, png_voidp p)
{
    (void)png;
    db_free(p);
}

static void png_read_mem(png_structp png, png_bytep out, png_size_t n)
{
    png_job *job = png_get_io_ptr(png);
    if (n > job->size - job->pos)
        png_error(png, "truncated file (read past the end)");
    memcpy(out, job->data + job->pos, n);
    job->pos += n;
}

/* Message for a libpng failure: the first recorded error (e.g. ENOMEM from
 * db_malloc) wins, otherwise libpng's own text. A bad checksum, missing data
 * or any failure once the header was accepted is corruption; a header libpng
 * refuses is a malformed file. */
static int png_failed(png_job *job)
{
    if (db_ctx_code(job->ctx))
        return db_ctx_code(job->ctx);
    const char *m = job->msg[0] ? job->msg : "decoding failed";
    bool corrupt = job->in_pixels || strstr(m, "CRC") || strstr(m, "truncated") ||
                   strstr(m, "Read Error") || strstr(m, "Not enough");
    if (job->warning[0])
        return db_fail(job->ctx, corrupt ? DB_ECORRUPT : DB_EFORMAT, "png: %s (%s)", m,
                       job->warning);
    return db_fail(job->ctx, corrupt ? DB_ECORRUPT : DB_EFORMAT, "png: %s", m);
}

/* What a decoded row holds after libpng's transforms. */
enum png_layout { L_GRAY, L_GA, L_RGB, L_RGBA, L_INDEX };

static void convert_row(enum png_layout lay, const uint8_t *src, uint8_t *dst, int w,
                        const uint8_t *lut, bool lut_gray)
{
    switch (lay) {
    case L_GRAY: memcpy(dst, src, (size_t)w); break;
    case L_RGB: memcpy(dst, src, 3 * (size_t)w); break;
    case L_GA:
        for (int x = 0; x < w; x++)
            dst[x] = io_over_white(src[2 * x], src[2 * x + 1]);
        break;
    case L_RGBA:
        for (int x = 0; x < w; x++, src += 4, dst += 3) {
            dst[0] = io_over_white(src[0], src[3]);
            dst[1] = io_over_white(src[1], src[3]);
            dst[2] = io_over_white(src[2], src[3]);
        }
        break;
    case L_INDEX:
        if (lut_gray) {
            for (int x = 0; x < w; x++)
                dst[x] = lut[src[x]];
        } else {
            for (int x = 0; x < w; x++, dst += 3)
                memcpy(dst, lut + 3 * src[x], 3);
        }
        break;
    }
}

/* A lying header must not cost a big allocation: deflate expands at most
 * 1032:1, so the IDAT chunks must hold at least rows/1032 bytes. */
static int check_idat_size(png_job *job, png_structp png, png_infop info, png_uint_32 w,
                           png_uint_32 h)
{
    uint64_t idat = 0;
    size_t pos = 8;
    while (pos + 12 <= job->size) {
        const uint8_t *c = job->data + pos;
        uint64_t len = (uint64_t)c[0] << 24 | (uint64_t)c[1] << 16 | (uint64_t)c[2] << 8 | c[3];
        if (memcmp(c + 4, "IDAT", 4) == 0)
            idat += len;
        if (memcmp(c + 4, "IEND", 4) == 0 || len > job->size - pos - 12)
            break;
        pos += 12 + (size_t)len;
    }
    uint64_t bits = (uint64_t)png_get_bit_depth(png, info) * png_get_channels(png, info);
    uint64_t raw = (((uint64_t)w * bits + 7) / 8) * h;
    if (idat * 1032 + 1032 < raw)
        return db_fail(job->ctx, DB_ECORRUPT,
                       "png: truncated (%llu bytes of image data cannot hold %ux%u pixels)",
                       (unsigned long long)idat, (unsigned)w, (unsigned)h);
    return 0;
}

static int png_decode(png_job *job, png_structp png, png_infop info, db_reader *r,
                      db_image *out)
{
    db_ctx *ctx = job->ctx;
    png_set_read_fn(png, job, png_read_mem);
    /* Header dimensions are checked against the ctx limit below, before any
     * pixel allocation; these only keep libpng's own row buffers sane. */
    png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
    png_set_chunk_malloc_max(png, 16u << 20);
    /* Text, ICC, EXIF and the other ancillary chunks of unbounded size are of
     * no use here, and libpng allocates a buffer of a text chunk's declared
     * length before reading it, whatever the chunk limit: 104 bytes declaring
     * a 1.6 GB tEXt cost 1.6 GB and a minute (tests/fuzz/corpus/png/
     * regress-text-length.png, found by fuzz_png). Skipped chunks are read
     * through in small steps and end at the file's end like any truncation. */
    static const png_byte ignored[] = {
        't', 'E', 'X', 't', 0, 'z', 'T', 'X', 't', 0, 'i', 'T', 'X', 't', 0, 'i', 'C', 'C', 'P', 0,
        's', 'P', 'L', 'T', 0, 'e', 'X', 'I', 'f', 0, 'p', 'C', 'A', 'L', 0, 's', 'C', 'A', 'L', 0,
        'h', 'I', 'S', 'T', 0, 't', 'I', 'M', 'E', 0};
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, ignored, (int)(sizeof ignored / 5));
    png_read_info(png, info);
    png_uint_32 w, h;
    int depth, ctype, interlace;
    png_get_IHDR(png, info, &w, &h, &depth, &ctype, &interlace, NULL, NULL);
    DB_TRY(db_check_dimensions(ctx, "png", w, h));
    DB_TRY(check_idat_size(job, png, info, w, h));

    out->xdpi = out->ydpi = 0;
    png_uint_32 rx, ry;
    int unit;
    if (png_get_pHYs(png, info, &rx, &ry, &unit) && unit == PNG_RESOLUTION_METER && rx && ry) {
        out->xdpi = io_dpi_from_ppm(rx);
        out->ydpi = io_dpi_from_ppm(ry);
    }

    enum png_layout lay;
    uint8_t lut[256 * 3];
    bool lut_gray = true;
    if (ctype == PNG_COLOR_TYPE_PALETTE) {
        /* Indices are mapped through our own table, with tRNS composited on
         * white in it: cheaper than expanding to RGBA, and tells gray apart. */
        png_colorp pal = NULL;
        int npal = 0;
        png_get_PLTE(png, info, &pal, &npal);
        png_bytep trns = NULL;
        int ntrns = 0;
        png_get_tRNS(png, info, &trns, &ntrns, NULL);
        memset(lut, 0, sizeof lut);
        for (int i = 0; i < npal && i < 256; i++) {
            unsigned a = trns && i < ntrns ? trns[i] : 255;
            lut[3 * i] = io_over_white(pal[i].red, a);
            lut[3 * i + 1] = io_over_white(pal[i].green, a);
            lut[3 * i + 2] = io_over_white(pal[i].blue, a);
            if (pal[i].red != pal[i].green || pal[i].green != pal[i].blue)
                lut_gray = false;
        }
        if (lut_gray)
            for (int i = 0; i < 256; i++)
                lut[i] = lut[3 * i];
        if (depth < 8)
            png_set_packing(png);
        lay = L_INDEX;
    } else {
        if (depth == 16)
            png_set_scale_16(png); /* rounds: (v * 255 + 32767) / 65535 */
        if (depth < 8)
            png_set_expand_gray_1_2_4_to_8(png); /* scales: 1-bit 1 -> 255 */
        bool trns = png_get_valid(png, info, PNG_INFO_tRNS);
        if (trns)
            png_set_tRNS_to_alpha(png);
        bool color = ctype & PNG_COLOR_MASK_COLOR;
        bool alpha = (ctype & PNG_COLOR_MASK_ALPHA) || trns;
        lay = color ? (alpha ? L_RGBA : L_RGB) : (alpha ? L_GA : L_GRAY);
        lut_gray = !color;
    }
    int passes = png_set_interlace_handling(png);
    png_read_update_info(png, info);
    job->in_pixels = true;
    db_format fmt = lut_gray ? DB_GRAY8 : DB_RGB8;
    DB_TRY(db_image_ensure(ctx, out, (int)w, (int)h, fmt));

    bool direct = lay == L_GRAY || lay == L_RGB;
    size_t rowbytes = png_get_rowbytes(png, info);
    if (direct) {
        if (rowbytes > out->stride)
            return db_fail(ctx, DB_EFORMAT, "png: unexpected row size %zu", rowbytes);
        for (int pass = 0; pass < passes; pass++)
            for (png_uint_32 y = 0; y < h; y++)
                png_read_row(png, db_image_row(out, (int)y), NULL);
    } else if (passes == 1) {
        job->row = db_malloc(ctx, rowbytes);
        if (!job->row)
            return DB_ENOMEM;
        for (png_uint_32 y = 0; y < h; y++) {
            png_read_row(png, job->row, NULL);
            convert_row(lay, job->row, db_image_row(out, (int)y), (int)w, lut, lut_gray);
        }
    } else {
        /* Interlaced passes revisit every row: keep all of them, then convert. */
        size_t total;
        if (!db_mul_size(rowbytes, h, &total))
            return db_fail(ctx, DB_ETOOBIG, "png: %ux%u overflows", (unsigned)w, (unsigned)h);
        job->row = db_malloc(ctx, total);
        job->rows = db_malloc(ctx, h * sizeof *job->rows);
        if (!job->row || !job->rows)
            return DB_ENOMEM;
        for (png_uint_32 y = 0; y < h; y++)
            job->rows[y] = job->row + (size_t)y * rowbytes;
        png_read_image(png, job->rows);
        for (png_uint_32 y = 0; y < h; y++)
            convert_row(lay, job->rows[y], db_image_row(out, (int)y), (int)w, lut, lut_gray);
    }
    png_read_end(png, NULL);
    (void)r;
    return 0;
}

int io_png_read(db_ctx *ctx, db_reader *r, db_image *out)
{
    png_job job = {.ctx = ctx, .data = r->data, .size = r->size};
    png_structp png = png_create_read_struct_2(PNG_LIBPNG_VER_STRING, &job, png_err, png_warn,
                                               &job, png_alloc, png_dealloc);
    if (!png)
        return db_fail(ctx, DB_ENOMEM, "png: cannot create the decoder");
    png_infop info = png_create_info_struct(png);
    int rc;
    if (!info) {
        rc = db_fail(ctx, DB_ENOMEM, "png: cannot create the decoder");
    } else if (setjmp(png_jmpbuf(png))) {
        rc = png_failed(&job);
    } else {
        rc = png_decode(&job, png, info, r, out);
    }
    png_destroy_read_struct(&png, info ? &info : NULL, NULL);
    db_free(job.row);
    db_free(job.rows);
    return rc;
}

/* ---- writing ---- */

static void png_write_sink(png_structp png, png_bytep data, png_size_t n)
{
    png_job *job = png_get_io_ptr(png);
    if (io_sink_write(job->sink, data, n))
        png_error(png, "write failed");
}

static void png_flush_sink(png_structp png) { (void)png; }

static long ppm_from_dpi(double dpi) { return (long)(dpi / 0.0254 + 0.5); }

static int png_encode(png_job *job, png_structp png, png_infop info, const db_image *img)
{
    png_set_write_fn(png, job, png_write_sink, png_flush_sink);
    int depth = img->format == DB_BIT1 ? 1 : 8;
    int ctype = img->format == DB_RGB8 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY;
    png_set_IHDR(png, info, (png_uint_32)img->width, (png_uint_32)img->height, depth, ctype,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (img->xdpi > 0 && img->ydpi > 0 && img->xdpi < 1e6 && img->ydpi < 1e6)
        png_set_pHYs(png, info, (png_uint_32)ppm_from_dpi(img->xdpi),
                     (png_uint_32)ppm_from_dpi(img->ydpi), PNG_RESOLUTION_METER);
    if (depth == 1)
        png_set_filter(png, 0, PNG_FILTER_NONE); /* filters do not help 1-bit rows */
    else /* 8-bit pages are mostly intermediate maps: zlib level 3 writes a DIBCO
            page 2.5-3x faster than the default 6 for ~10% more bytes */
        png_set_compression_level(png, 3);
    png_write_info(png, info);
    if (img->format == DB_BIT1) {
        job->row = db_malloc(job->ctx, ((size_t)img->width + 7) / 8);
        if (!job->row)
            return DB_ENOMEM;
        for (int y = 0; y < img->height; y++) {
            io_pack_bits(img, y, job->row, 0); /* PNG gray: 0 = black = ink */
            png_write_row(png, job->row);
        }
    } else {
        for (int y = 0; y < img->height; y++)
            png_write_row(png, db_image_row(img, y));
    }
    png_write_end(png, NULL);
    return 0;
}

int io_png_write(db_ctx *ctx, io_sink *s, const db_image *img)
{
    png_job job = {.ctx = ctx, .sink = s};
    png_structp png = png_create_write_struct_2(PNG_LIBPNG_VER_STRING, &job, png_err, png_warn,
                                                &job, png_alloc, png_dealloc);
    if (!png)
        return db_fail(ctx, DB_ENOMEM, "png: cannot create the encoder");
    png_infop info = png_create_info_struct(png);
    int rc;
    if (!info) {
        rc = db_fail(ctx, DB_ENOMEM, "png: cannot create the encoder");
    } else if (setjmp(png_jmpbuf(png))) {
        if (s->err_no)
            rc = io_sink_fail(s);
        else if (db_ctx_code(ctx))
            rc = db_ctx_code(ctx);
        else
            rc = db_fail(ctx, DB_EIO, "png: %s", job.msg[0] ? job.msg : "encoding failed");
    } else {
        rc = png_encode(&job, png, info, img);
    }
    png_destroy_write_struct(&png, info ? &info : NULL);
    db_free(job.row);
    return rc;
}
