/* io_png.c - PNG through libpng: every colour type and bit depth to GRAY8 or
 * RGB8 (16-bit rounded to 8, palette expanded, alpha over white, a palette of
 * grays gives GRAY8), pHYs <-> DPI; writes 1-bit, 8-bit gray and RGB.
 * libpng errors longjmp back here with the message kept in the ctx; its
 * allocations go through db_malloc so fault injection reaches them. */
#include "io_png.h"

#include <setjmp.h>
#include <string.h>

/* ---- shared with io_stream_png.c and io_stream_write.c (io_png.h) ---- */

static void png_err(png_structp png, png_const_charp msg)
{
    io_png_msgs *m = png_get_error_ptr(png);
    if (!m->msg[0]) {
        snprintf(m->msg, sizeof m->msg, "%s", msg);
        io_one_line(m->msg);
    }
    png_longjmp(png, 1);
}

static void png_warn(png_structp png, png_const_charp msg)
{
    io_png_msgs *m = png_get_error_ptr(png);
    snprintf(m->warning, sizeof m->warning, "%s", msg);
    io_one_line(m->warning);
    db_warn(*m->ctx, "libpng: %s", m->warning);
}

static png_voidp png_alloc(png_structp png, png_alloc_size_t size)
{
    io_png_msgs *m = png_get_mem_ptr(png);
    return db_malloc(*m->ctx, size);
}

static void png_dealloc(png_structp png, png_voidp p)
{
    (void)png;
    db_free(p);
}

png_structp io_png_create(io_png_msgs *m, bool write)
{
    if (write)
        return png_create_write_struct_2(PNG_LIBPNG_VER_STRING, m, png_err, png_warn, m,
                                         png_alloc, png_dealloc);
    return png_create_read_struct_2(PNG_LIBPNG_VER_STRING, m, png_err, png_warn, m, png_alloc,
                                    png_dealloc);
}

int io_png_read_failed(io_png_msgs *m)
{
    db_ctx *ctx = *m->ctx;
    if (db_ctx_code(ctx))
        return db_ctx_code(ctx);
    const char *t = m->msg[0] ? m->msg : "decoding failed";
    bool corrupt = m->in_pixels || strstr(t, "CRC") || strstr(t, "truncated") ||
                   strstr(t, "Read Error") || strstr(t, "Not enough");
    if (m->warning[0])
        return db_fail(ctx, corrupt ? DB_ECORRUPT : DB_EFORMAT, "png: %s (%s)", t, m->warning);
    return db_fail(ctx, corrupt ? DB_ECORRUPT : DB_EFORMAT, "png: %s", t);
}

int io_png_write_failed(io_png_msgs *m, io_sink *s)
{
    db_ctx *ctx = *m->ctx;
    if (s->err_no)
        return io_sink_fail(s);
    if (db_ctx_code(ctx))
        return db_ctx_code(ctx);
    return db_fail(ctx, DB_EIO, "png: %s", m->msg[0] ? m->msg : "encoding failed");
}

int io_png_read_header(db_ctx *ctx, png_structp png, png_infop info, png_uint_32 *w,
                       png_uint_32 *h, int *depth, int *ctype, int *interlace)
{
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
    png_get_IHDR(png, info, w, h, depth, ctype, interlace, NULL, NULL);
    return db_check_dimensions(ctx, "png", *w, *h);
}

int io_png_check_idat(db_ctx *ctx, uint64_t size, io_png_peek_fn peek, void *user,
                      png_uint_32 w, png_uint_32 h, unsigned bits)
{
    uint64_t idat = 0, pos = 8;
    while (pos + 12 <= size) {
        uint8_t c[8];
        if (!peek(user, pos, c))
            break;
        uint64_t len = (uint64_t)c[0] << 24 | (uint64_t)c[1] << 16 | (uint64_t)c[2] << 8 | c[3];
        if (memcmp(c + 4, "IDAT", 4) == 0)
            idat += len;
        if (memcmp(c + 4, "IEND", 4) == 0 || len > size - pos - 12)
            break;
        pos += 12 + len;
    }
    uint64_t raw = (((uint64_t)w * bits + 7) / 8) * h;
    if (idat * 1032 + 1032 < raw)
        return db_fail(ctx, DB_ECORRUPT,
                       "png: truncated (%llu bytes of image data cannot hold %ux%u pixels)",
                       (unsigned long long)idat, (unsigned)w, (unsigned)h);
    return 0;
}

void io_png_dpi(png_structp png, png_infop info, double *xdpi, double *ydpi)
{
    *xdpi = *ydpi = 0;
    png_uint_32 rx, ry;
    int unit;
    if (png_get_pHYs(png, info, &rx, &ry, &unit) && unit == PNG_RESOLUTION_METER && rx && ry) {
        *xdpi = io_dpi_from_ppm(rx);
        *ydpi = io_dpi_from_ppm(ry);
    }
}

void io_png_set_layout(png_structp png, png_infop info, int depth, int ctype,
                       io_png_layout *out)
{
    out->lut_gray = true;
    if (ctype == PNG_COLOR_TYPE_PALETTE) {
        /* Indices are mapped through our own table, with tRNS composited on
         * white in it: cheaper than expanding to RGBA, and tells gray apart. */
        png_colorp pal = NULL;
        int npal = 0;
        png_get_PLTE(png, info, &pal, &npal);
        png_bytep trns = NULL;
        int ntrns = 0;
        png_get_tRNS(png, info, &trns, &ntrns, NULL);
        uint8_t *lut = out->lut;
        memset(lut, 0, sizeof out->lut);
        for (int i = 0; i < npal && i < 256; i++) {
            unsigned a = trns && i < ntrns ? trns[i] : 255;
            lut[3 * i] = io_over_white(pal[i].red, a);
            lut[3 * i + 1] = io_over_white(pal[i].green, a);
            lut[3 * i + 2] = io_over_white(pal[i].blue, a);
            if (pal[i].red != pal[i].green || pal[i].green != pal[i].blue)
                out->lut_gray = false;
        }
        if (out->lut_gray)
            for (int i = 0; i < 256; i++)
                lut[i] = lut[3 * i];
        if (depth < 8)
            png_set_packing(png);
        out->lay = L_INDEX;
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
        out->lay = color ? (alpha ? L_RGBA : L_RGB) : (alpha ? L_GA : L_GRAY);
        out->lut_gray = !color;
    }
}

void io_png_convert_row(const io_png_layout *l, const uint8_t *src, uint8_t *dst, int w)
{
    switch (l->lay) {
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
        if (l->lut_gray) {
            for (int x = 0; x < w; x++)
                dst[x] = l->lut[src[x]];
        } else {
            for (int x = 0; x < w; x++, dst += 3)
                memcpy(dst, l->lut + 3 * src[x], 3);
        }
        break;
    }
}

static void png_write_sink(png_structp png, png_bytep data, png_size_t n)
{
    io_sink *s = png_get_io_ptr(png);
    if (io_sink_write(s, data, n))
        png_error(png, "write failed");
}

static void png_flush_sink(png_structp png) { (void)png; }

static long ppm_from_dpi(double dpi) { return (long)(dpi / 0.0254 + 0.5); }

void io_png_write_header(png_structp png, png_infop info, io_sink *s, int width, int height,
                         int depth, int ctype, double xdpi, double ydpi)
{
    png_set_write_fn(png, s, png_write_sink, png_flush_sink);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, depth, ctype,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (xdpi > 0 && ydpi > 0 && xdpi < 1e6 && ydpi < 1e6)
        png_set_pHYs(png, info, (png_uint_32)ppm_from_dpi(xdpi), (png_uint_32)ppm_from_dpi(ydpi),
                     PNG_RESOLUTION_METER);
    if (depth == 1)
        png_set_filter(png, 0, PNG_FILTER_NONE); /* filters do not help 1-bit rows */
    else /* 8-bit pages are mostly intermediate maps: zlib level 3 writes a DIBCO
            page 2.5-3x faster than the default 6 for ~10% more bytes */
        png_set_compression_level(png, 3);
    png_write_info(png, info);
}

/* ---- reading a whole page from memory ---- */

typedef struct png_job {
    io_png_msgs m; /* first: the error and memory pointer */
    db_ctx *ctx;
    const uint8_t *data;
    size_t size, pos;
    io_sink *sink;
    uint8_t *row;   /* one converted row, or all rows for interlaced files */
    png_bytep *rows;
} png_job;

static void png_read_mem(png_structp png, png_bytep out, png_size_t n)
{
    png_job *job = png_get_io_ptr(png);
    if (n > job->size - job->pos)
        png_error(png, "truncated file (read past the end)");
    memcpy(out, job->data + job->pos, n);
    job->pos += n;
}

static bool peek_mem(void *user, uint64_t pos, uint8_t c[8])
{
    png_job *job = user;
    memcpy(c, job->data + pos, 8); /* pos + 12 <= size */
    return true;
}

static int png_decode(png_job *job, png_structp png, png_infop info, db_image *out)
{
    db_ctx *ctx = job->ctx;
    png_set_read_fn(png, job, png_read_mem);
    png_uint_32 w, h;
    int depth, ctype, interlace;
    DB_TRY(io_png_read_header(ctx, png, info, &w, &h, &depth, &ctype, &interlace));
    DB_TRY(io_png_check_idat(ctx, job->size, peek_mem, job, w, h,
                             (unsigned)png_get_bit_depth(png, info) * png_get_channels(png, info)));
    io_png_dpi(png, info, &out->xdpi, &out->ydpi);
    io_png_layout l;
    io_png_set_layout(png, info, depth, ctype, &l);
    int passes = png_set_interlace_handling(png);
    png_read_update_info(png, info);
    job->m.in_pixels = true;
    db_format fmt = l.lut_gray ? DB_GRAY8 : DB_RGB8;
    DB_TRY(db_image_ensure(ctx, out, (int)w, (int)h, fmt));

    bool direct = l.lay == L_GRAY || l.lay == L_RGB;
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
            io_png_convert_row(&l, job->row, db_image_row(out, (int)y), (int)w);
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
            io_png_convert_row(&l, job->rows[y], db_image_row(out, (int)y), (int)w);
    }
    png_read_end(png, NULL);
    return 0;
}

int io_png_read(db_ctx *ctx, db_reader *r, db_image *out)
{
    png_job job = {.ctx = ctx, .data = r->data, .size = r->size};
    job.m.ctx = &job.ctx;
    png_structp png = io_png_create(&job.m, false);
    if (!png)
        return db_fail(ctx, DB_ENOMEM, "png: cannot create the decoder");
    png_infop info = png_create_info_struct(png);
    int rc;
    if (!info) {
        rc = db_fail(ctx, DB_ENOMEM, "png: cannot create the decoder");
    } else if (setjmp(png_jmpbuf(png))) {
        rc = io_png_read_failed(&job.m);
    } else {
        rc = png_decode(&job, png, info, out);
    }
    png_destroy_read_struct(&png, info ? &info : NULL, NULL);
    db_free(job.row);
    db_free(job.rows);
    return rc;
}

/* ---- writing ---- */

static int png_encode(png_job *job, png_structp png, png_infop info, const db_image *img)
{
    int depth = img->format == DB_BIT1 ? 1 : 8;
    int ctype = img->format == DB_RGB8 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY;
    io_png_write_header(png, info, job->sink, img->width, img->height, depth, ctype, img->xdpi,
                        img->ydpi);
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
    job.m.ctx = &job.ctx;
    png_structp png = io_png_create(&job.m, true);
    if (!png)
        return db_fail(ctx, DB_ENOMEM, "png: cannot create the encoder");
    png_infop info = png_create_info_struct(png);
    int rc;
    if (!info) {
        rc = db_fail(ctx, DB_ENOMEM, "png: cannot create the encoder");
    } else if (setjmp(png_jmpbuf(png))) {
        rc = io_png_write_failed(&job.m, s);
    } else {
        rc = png_encode(&job, png, info, img);
    }
    png_destroy_write_struct(&png, info ? &info : NULL);
    db_free(job.row);
    return rc;
}
