/* io_stream_png.c - PNG rows for the row-streaming reader (io_stream.h):
 * non-interlaced files, row by row through libpng from the file, with the
 * transforms, conversions and error classification of io_png.c. */
#include "io_stream.h"

#include <setjmp.h>
#include <string.h>
#include <unistd.h>

static void png_err(png_structp png, png_const_charp msg)
{
    db_row_reader *r = png_get_error_ptr(png);
    if (!r->msg[0]) {
        snprintf(r->msg, sizeof r->msg, "%s", msg);
        io_one_line(r->msg);
    }
    png_longjmp(png, 1);
}

static void png_warn(png_structp png, png_const_charp msg)
{
    db_row_reader *r = png_get_error_ptr(png);
    snprintf(r->warning, sizeof r->warning, "%s", msg);
    io_one_line(r->warning);
    db_warn(r->ctx, "libpng: %s", r->warning);
}

static png_voidp png_alloc(png_structp png, png_alloc_size_t size)
{
    db_row_reader *r = png_get_mem_ptr(png);
    return db_malloc(r->ctx, size);
}

static void png_dealloc(png_structp png, png_voidp p)
{
    (void)png;
    db_free(p);
}

static void png_read_file(png_structp png, png_bytep out, png_size_t n)
{
    db_row_reader *r = png_get_io_ptr(png);
    if (fread(out, 1, n, r->f) != n) {
        if (ferror(r->f))
            png_error(png, "Read Error");
        png_error(png, "truncated file (read past the end)");
    }
}

/* The classification of io_png.c's png_failed. */
static int png_failed(db_row_reader *r)
{
    db_ctx *ctx = r->ctx;
    if (db_ctx_code(ctx))
        return db_ctx_code(ctx);
    const char *m = r->msg[0] ? r->msg : "decoding failed";
    bool corrupt = r->in_pixels || strstr(m, "CRC") || strstr(m, "truncated") ||
                   strstr(m, "Read Error") || strstr(m, "Not enough");
    if (r->warning[0])
        return db_fail(ctx, corrupt ? DB_ECORRUPT : DB_EFORMAT, "png: %s (%s)", m, r->warning);
    return db_fail(ctx, corrupt ? DB_ECORRUPT : DB_EFORMAT, "png: %s", m);
}

static void png_convert_row(const db_row_reader *r, const uint8_t *src, uint8_t *dst, int w)
{
    switch (r->lay) {
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
        if (r->lut_gray) {
            for (int x = 0; x < w; x++)
                dst[x] = r->lut[src[x]];
        } else {
            for (int x = 0; x < w; x++, dst += 3)
                memcpy(dst, r->lut + 3 * src[x], 3);
        }
        break;
    }
}

/* A lying header must not cost a big allocation (io_png.c's
 * check_idat_size): deflate expands at most 1032:1, so the IDAT chunks must
 * hold at least rows/1032 bytes. The chunk headers are read with pread, away
 * from libpng's stream position. */
static int png_check_idat(db_row_reader *r, png_uint_32 w, png_uint_32 h, unsigned bits)
{
    uint64_t idat = 0, pos = 8;
    int fd = fileno(r->f);
    while (pos + 12 <= r->file_size) {
        uint8_t c[8];
        if (pread(fd, c, sizeof c, (off_t)pos) != (ssize_t)sizeof c)
            break;
        uint64_t len = (uint64_t)c[0] << 24 | (uint64_t)c[1] << 16 | (uint64_t)c[2] << 8 | c[3];
        if (memcmp(c + 4, "IDAT", 4) == 0)
            idat += len;
        if (memcmp(c + 4, "IEND", 4) == 0 || len > r->file_size - pos - 12)
            break;
        pos += 12 + len;
    }
    uint64_t raw = (((uint64_t)w * bits + 7) / 8) * h;
    if (idat * 1032 + 1032 < raw)
        return db_fail(r->ctx, DB_ECORRUPT,
                       "png: truncated (%llu bytes of image data cannot hold %ux%u pixels)",
                       (unsigned long long)idat, (unsigned)w, (unsigned)h);
    return 0;
}

/* Header and transforms, as io_png.c's png_decode. Returns 1 when the file
 * is interlaced (the caller falls back to the whole page). */
static int png_setup(db_row_reader *r)
{
    db_ctx *ctx = r->ctx;
    png_structp png = r->png;
    png_infop info = r->pnginfo;
    png_set_read_fn(png, r, png_read_file);
    png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
    png_set_chunk_malloc_max(png, 16u << 20);
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
    if (interlace != PNG_INTERLACE_NONE)
        return 1;
    DB_TRY(png_check_idat(r, w, h, (unsigned)depth * png_get_channels(png, info)));
    r->info.xdpi = r->info.ydpi = 0;
    png_uint_32 rx, ry;
    int unit;
    if (png_get_pHYs(png, info, &rx, &ry, &unit) && unit == PNG_RESOLUTION_METER && rx && ry) {
        r->info.xdpi = io_dpi_from_ppm(rx);
        r->info.ydpi = io_dpi_from_ppm(ry);
    }
    r->lut_gray = true;
    if (ctype == PNG_COLOR_TYPE_PALETTE) {
        png_colorp pal = NULL;
        int npal = 0;
        png_get_PLTE(png, info, &pal, &npal);
        png_bytep trns = NULL;
        int ntrns = 0;
        png_get_tRNS(png, info, &trns, &ntrns, NULL);
        memset(r->lut, 0, sizeof r->lut);
        for (int i = 0; i < npal && i < 256; i++) {
            unsigned a = trns && i < ntrns ? trns[i] : 255;
            r->lut[3 * i] = io_over_white(pal[i].red, a);
            r->lut[3 * i + 1] = io_over_white(pal[i].green, a);
            r->lut[3 * i + 2] = io_over_white(pal[i].blue, a);
            if (pal[i].red != pal[i].green || pal[i].green != pal[i].blue)
                r->lut_gray = false;
        }
        if (r->lut_gray)
            for (int i = 0; i < 256; i++)
                r->lut[i] = r->lut[3 * i];
        if (depth < 8)
            png_set_packing(png);
        r->lay = L_INDEX;
    } else {
        if (depth == 16)
            png_set_scale_16(png);
        if (depth < 8)
            png_set_expand_gray_1_2_4_to_8(png);
        bool trns = png_get_valid(png, info, PNG_INFO_tRNS);
        if (trns)
            png_set_tRNS_to_alpha(png);
        bool color = ctype & PNG_COLOR_MASK_COLOR;
        bool alpha = (ctype & PNG_COLOR_MASK_ALPHA) || trns;
        r->lay = color ? (alpha ? L_RGBA : L_RGB) : (alpha ? L_GA : L_GRAY);
        r->lut_gray = !color;
    }
    png_read_update_info(png, info);
    r->in_pixels = true;
    r->info.width = (int)w;
    r->info.height = (int)h;
    r->info.format = r->lut_gray ? DB_GRAY8 : DB_RGB8;
    r->info.npages = 1;
    r->rowbytes = png_get_rowbytes(png, info);
    if (!(r->row = db_malloc(ctx, r->rowbytes)))
        return DB_ENOMEM;
    return 0;
}

void io_stream_png_free(db_row_reader *r)
{
    if (r->png)
        png_destroy_read_struct(&r->png, r->pnginfo ? &r->pnginfo : NULL, NULL);
    r->png = NULL;
    r->pnginfo = NULL;
}

/* 0 streaming, 1 interlaced, < 0 error. */
int io_stream_png_open(db_ctx *ctx, db_row_reader *r)
{
    r->png = png_create_read_struct_2(PNG_LIBPNG_VER_STRING, r, png_err, png_warn, r, png_alloc,
                                      png_dealloc);
    if (!r->png)
        return db_fail(ctx, DB_ENOMEM, "png: cannot create the decoder");
    r->pnginfo = png_create_info_struct(r->png);
    if (!r->pnginfo)
        return db_fail(ctx, DB_ENOMEM, "png: cannot create the decoder");
    if (setjmp(png_jmpbuf(r->png)))
        return png_failed(r);
    return png_setup(r);
}

int io_stream_png_read(db_row_reader *r, int n, db_image *dst, int y0)
{
    /* r->next is the only state the loop changes, and it lives in *r: safe
     * across the longjmp. */
    if (setjmp(png_jmpbuf(r->png)))
        return png_failed(r);
    int end = r->next + n;
    for (; r->next < end; r->next++) {
        uint8_t *d = db_image_row(dst, y0 + n - (end - r->next));
        if (r->lay == L_GRAY || r->lay == L_RGB) {
            png_read_row(r->png, d, NULL);
        } else {
            png_read_row(r->png, r->row, NULL);
            png_convert_row(r, r->row, d, r->info.width);
        }
    }
    if (r->next == r->info.height)
        png_read_end(r->png, NULL); /* checks the rest, as the whole-page reader */
    return 0;
}

