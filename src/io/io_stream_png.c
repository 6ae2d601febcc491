/* io_stream_png.c - PNG rows for the row-streaming reader (io_stream.h):
 * non-interlaced files, row by row through libpng from the file, with the
 * transforms, conversions and error classification of io_png.c. */
#include "io_stream.h"

#include <setjmp.h>
#include <string.h>
#include <unistd.h>

static void png_read_file(png_structp png, png_bytep out, png_size_t n)
{
    db_row_reader *r = png_get_io_ptr(png);
    if (fread(out, 1, n, r->f) != n) {
        if (ferror(r->f))
            png_error(png, "Read Error");
        png_error(png, "truncated file (read past the end)");
    }
}

/* A chunk header for io_png_check_idat, read with pread, away from
 * libpng's stream position. */
static bool peek_file(void *user, uint64_t pos, uint8_t c[8])
{
    db_row_reader *r = user;
    return pread(fileno(r->f), c, 8, (off_t)pos) == 8;
}

/* Header and transforms, as io_png.c's png_decode. Returns 1 when the file
 * is interlaced (the caller falls back to the whole page). */
static int png_setup(db_row_reader *r)
{
    db_ctx *ctx = r->ctx;
    png_structp png = r->png;
    png_infop info = r->pnginfo;
    png_set_read_fn(png, r, png_read_file);
    png_uint_32 w, h;
    int depth, ctype, interlace;
    DB_TRY(io_png_read_header(ctx, png, info, &w, &h, &depth, &ctype, &interlace));
    if (interlace != PNG_INTERLACE_NONE)
        return 1;
    DB_TRY(io_png_check_idat(ctx, r->file_size, peek_file, r, w, h,
                             (unsigned)depth * png_get_channels(png, info)));
    io_png_dpi(png, info, &r->info.xdpi, &r->info.ydpi);
    io_png_set_layout(png, info, depth, ctype, &r->pnglay);
    png_read_update_info(png, info);
    r->pngm.in_pixels = true;
    r->info.width = (int)w;
    r->info.height = (int)h;
    r->info.format = r->pnglay.lut_gray ? DB_GRAY8 : DB_RGB8;
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
    r->pngm.ctx = &r->ctx;
    r->png = io_png_create(&r->pngm, false);
    if (!r->png)
        return db_fail(ctx, DB_ENOMEM, "png: cannot create the decoder");
    r->pnginfo = png_create_info_struct(r->png);
    if (!r->pnginfo)
        return db_fail(ctx, DB_ENOMEM, "png: cannot create the decoder");
    if (setjmp(png_jmpbuf(r->png)))
        return io_png_read_failed(&r->pngm);
    return png_setup(r);
}

int io_stream_png_read(db_row_reader *r, int n, db_image *dst, int y0)
{
    /* r->next is the only state the loop changes, and it lives in *r: safe
     * across the longjmp. */
    if (setjmp(png_jmpbuf(r->png)))
        return io_png_read_failed(&r->pngm);
    int end = r->next + n;
    for (; r->next < end; r->next++) {
        uint8_t *d = db_image_row(dst, y0 + n - (end - r->next));
        if (r->pnglay.lay == L_GRAY || r->pnglay.lay == L_RGB) {
            png_read_row(r->png, d, NULL);
        } else {
            png_read_row(r->png, r->row, NULL);
            io_png_convert_row(&r->pnglay, r->row, d, r->info.width);
        }
    }
    if (r->next == r->info.height)
        png_read_end(r->png, NULL); /* checks the rest, as the whole-page reader */
    return 0;
}

