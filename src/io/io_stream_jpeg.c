/* io_stream_jpeg.c - JPEG rows for the row-streaming reader (io_stream.h):
 * baseline files, upright (EXIF orientation 1), scanline by scanline from
 * the file with the colour spaces, damage rules and memory cap of io_jpeg.c;
 * progressive and turned files go to the whole-page reader. */
#include "io_stream.h"

#include "io_jpeg.h"

#include <string.h>

/* ---- JPEG (baseline, upright): the decoder settings of io_jpeg.c ---- */

struct rr_jpeg {
    io_jpeg_err e; /* first: cinfo.err points here */
    struct jpeg_decompress_struct cinfo;
    bool created, cmyk;
};

static int rj_setup(db_ctx *ctx, db_row_reader *r, rr_jpeg *j)
{
    j_decompress_ptr cinfo = &j->cinfo;
    jpeg_stdio_src(cinfo, r->f);
    DB_TRY(io_jpeg_read_header(ctx, cinfo));
    /* progressive files keep every coefficient in libjpeg anyway, and their
     * truncation check needs the whole decode; turned pages are turned by
     * the whole-page reader */
    if (cinfo->progressive_mode || io_jpeg_orientation(cinfo) != 1)
        return 1;
    if (!io_jpeg_set_out_color(cinfo, &j->cmyk))
        return 1; /* io_jpeg.c words it */
    double xdpi, ydpi;
    io_jpeg_density(cinfo, &xdpi, &ydpi);
    jpeg_start_decompress(cinfo);
    r->info.width = (int)cinfo->output_width;
    r->info.height = (int)cinfo->output_height;
    r->info.format = cinfo->out_color_space == JCS_GRAYSCALE ? DB_GRAY8 : DB_RGB8;
    r->info.xdpi = xdpi;
    r->info.ydpi = ydpi;
    r->info.npages = 1;
    if (j->cmyk && !(r->row = db_malloc(ctx, 4 * (size_t)r->info.width)))
        return DB_ENOMEM;
    return 0;
}

/* 0 streaming, 1 for the whole-page reader, < 0 error. */
int io_stream_jpeg_open(db_ctx *ctx, db_row_reader *r)
{
    rr_jpeg *j = db_calloc(ctx, 1, sizeof *j);
    if (!j)
        return DB_ENOMEM;
    r->jpeg = j;
    io_jpeg_err_init(&j->e, &r->ctx);
    j->cinfo.err = &j->e.pub;
    if (setjmp(j->e.jb))
        return io_jpeg_failed(&j->e, NULL);
    jpeg_create_decompress(&j->cinfo);
    j->created = true;
    io_jpeg_limit_memory(ctx, &j->cinfo);
    return rj_setup(ctx, r, j);
}

int io_stream_jpeg_read(db_ctx *ctx, db_row_reader *r, int n, db_image *dst, int y0)
{
    rr_jpeg *j = r->jpeg;
    j_decompress_ptr cinfo = &j->cinfo;
    if (setjmp(j->e.jb))
        return io_jpeg_failed(&j->e, NULL);
    int end = r->next + n;
    for (; r->next < end; r->next++) {
        uint8_t *d = db_image_row(dst, y0 + n - (end - r->next));
        JSAMPROW row = j->cmyk ? r->row : d;
        if (jpeg_read_scanlines(cinfo, &row, 1) != 1)
            return db_fail(ctx, DB_ECORRUPT, "jpeg: no progress at row %d", r->next);
        if (j->cmyk)
            io_cmyk_to_rgb(r->row, d, r->info.width, cinfo->saw_Adobe_marker);
    }
    if (r->next == r->info.height)
        jpeg_finish_decompress(cinfo);
    return 0;
}

void io_stream_jpeg_free(db_row_reader *r)
{
    if (r->jpeg && r->jpeg->created)
        jpeg_destroy_decompress(&r->jpeg->cinfo);
    db_free(r->jpeg);
    r->jpeg = NULL;
}
