/* io_stream_write.c - row-streamed encoding of one 1-bit page (strip mode,
 * docbin.h "strips"): PNG and PBM here, TIFF G4 in io_tiff_write.c. The
 * encoder calls and settings are those of the whole-page encoders
 * (io_png.c png_encode, io_pnm.c), so the bytes are the same; tests/io
 * compares both routes. writer.c dispatches and owns the byte sink. */
#include "io_png.h"

#include <setjmp.h>
#include <string.h>

struct io_rows {
    db_ctx *ctx;
    io_sink *sink;
    db_file_format format;
    int width, height, next;
    uint8_t *row; /* one packed row */
    png_structp png;
    png_infop info;
    io_png_msgs m;
};

static int rows_png_begin(io_rows *w, double xdpi, double ydpi)
{
    w->m.ctx = &w->ctx;
    w->png = io_png_create(&w->m, true);
    if (!w->png || !(w->info = png_create_info_struct(w->png)))
        return db_fail(w->ctx, DB_ENOMEM, "png: cannot create the encoder");
    if (setjmp(png_jmpbuf(w->png)))
        return io_png_write_failed(&w->m, w->sink);
    /* exactly io_png.c's png_encode for a BIT1 page */
    io_png_write_header(w->png, w->info, w->sink, w->width, w->height, 1, PNG_COLOR_TYPE_GRAY,
                        xdpi, ydpi);
    return 0;
}

static int rows_png_add(io_rows *w, const db_image *rows, int y0, int n)
{
    if (setjmp(png_jmpbuf(w->png)))
        return io_png_write_failed(&w->m, w->sink);
    for (int k = 0; k < n; k++) {
        io_pack_bits(rows, y0 + k, w->row, 0); /* PNG gray: 0 = black = ink */
        png_write_row(w->png, w->row);
    }
    return 0;
}

static int rows_png_end(io_rows *w)
{
    if (setjmp(png_jmpbuf(w->png)))
        return io_png_write_failed(&w->m, w->sink);
    png_write_end(w->png, NULL);
    return 0;
}

int io_rows_begin(db_ctx *ctx, io_sink *s, db_file_format format, int width, int height,
                  double xdpi, double ydpi, io_rows **out)
{
    *out = NULL;
    io_rows *w = db_calloc(ctx, 1, sizeof *w);
    if (!w)
        return DB_ENOMEM;
    *out = w;
    w->ctx = ctx;
    w->sink = s;
    w->format = format;
    w->width = width;
    w->height = height;
    if (!(w->row = db_malloc(ctx, ((size_t)width + 7) / 8)))
        return DB_ENOMEM;
    if (format == DB_FILE_PNG)
        return rows_png_begin(w, xdpi, ydpi);
    /* PBM P4, as io_pnm_write */
    char head[64];
    int len = snprintf(head, sizeof head, "P4\n%d %d\n", width, height);
    if (io_sink_write(s, head, (size_t)len))
        return io_sink_fail(s);
    return 0;
}

int io_rows_add(db_ctx *ctx, io_rows *w, const db_image *rows, int y0, int n)
{
    w->ctx = ctx;
    w->sink->ctx = ctx;
    if (w->format == DB_FILE_PNG)
        return rows_png_add(w, rows, y0, n);
    size_t rowbytes = ((size_t)w->width + 7) / 8;
    for (int k = 0; k < n; k++) {
        io_pack_bits(rows, y0 + k, w->row, 1); /* PBM: 1 = black = ink */
        if (io_sink_write(w->sink, w->row, rowbytes))
            return io_sink_fail(w->sink);
    }
    return 0;
}

int io_rows_end(db_ctx *ctx, io_rows *w)
{
    w->ctx = ctx;
    return w->format == DB_FILE_PNG ? rows_png_end(w) : 0;
}

void io_rows_free(io_rows *w)
{
    if (!w)
        return;
    if (w->png)
        png_destroy_write_struct(&w->png, w->info ? &w->info : NULL);
    db_free(w->row);
    db_free(w);
}
