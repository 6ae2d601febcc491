/* io_tiff_write.c - writing TIFF: one page per directory; 1-bit as CCITT G4
 * in one strip with min-is-white (the archive/OCR convention: ink = 1),
 * 8-bit gray and RGB as Deflate with the horizontal predictor (or the
 * compression asked for), X/YResolution in inches when the DPI is known.
 * libtiff writes through the writer's byte sink (writer.c). */
#include "io_tiff.h"

#include <string.h>

struct io_tiff_writer {
    TIFF *tif;
    io_sink *sink;
    db_ctx *ctx;
    io_tiff_log log; /* libtiff's messages (no file name: writer.c adds it) */
    int pages;
    uint8_t *row; /* one row of the page being written */
    size_t rowbytes;
    int next;     /* rows written */
};

static tmsize_t sink_read(thandle_t h, void *buf, tmsize_t n)
{
    io_tiff_writer *w = h;
    return n < 0 ? -1 : (tmsize_t)io_sink_read(w->sink, buf, (size_t)n);
}

static tmsize_t sink_write(thandle_t h, void *buf, tmsize_t n)
{
    io_tiff_writer *w = h;
    return n < 0 || io_sink_write(w->sink, buf, (size_t)n) ? -1 : n;
}

static toff_t sink_seek(thandle_t h, toff_t off, int whence)
{
    io_tiff_writer *w = h;
    uint64_t pos = w->sink->pos;
    toff_t r = io_tiff_seek(&pos, w->sink->end, off, whence);
    if (r != (toff_t)-1)
        io_sink_seek(w->sink, pos);
    return r;
}

static toff_t sink_size(thandle_t h) { return ((io_tiff_writer *)h)->sink->end; }

static int sink_map(thandle_t h, void **base, toff_t *size)
{
    (void)h;
    (void)base;
    (void)size;
    return 0;
}

static int writer_fail(db_ctx *ctx, io_tiff_writer *w, const char *what)
{
    if (w->sink->err_no)
        return io_sink_fail(w->sink);
    return io_tiff_fail(ctx, &w->log, DB_EIO, what);
}

int io_tiff_writer_open(db_ctx *ctx, io_sink *s, const char *name, io_tiff_writer **out)
{
    *out = NULL;
    io_tiff_writer *w = db_calloc(ctx, 1, sizeof *w);
    if (!w)
        return DB_ENOMEM;
    w->sink = s;
    w->ctx = ctx;
    w->log.ctx = &w->ctx;
    TIFFOpenOptions *o = io_tiff_options(ctx, &w->log, io_tiff_on_error, io_tiff_on_warning);
    if (!o) {
        db_free(w);
        return db_fail(ctx, DB_ENOMEM, "tiff: out of memory");
    }
    w->tif = TIFFClientOpenExt(name, "w", w, sink_read, sink_write, sink_seek, io_tiff_noclose,
                               sink_size, sink_map, io_tiff_nounmap, o);
    TIFFOpenOptionsFree(o);
    if (!w->tif) {
        int rc = writer_fail(ctx, w, "tiff: cannot start the file");
        db_free(w);
        return rc;
    }
    *out = w;
    return 0;
}

static int set_fields(db_ctx *ctx, TIFF *tif, const db_image *img, db_tiff_compression comp)
{
    bool bits = img->format == DB_BIT1;
    if (comp == DB_TIFF_AUTO)
        comp = bits ? DB_TIFF_G4 : DB_TIFF_DEFLATE;
    if (comp == DB_TIFF_G4 && !bits)
        return db_fail(ctx, DB_EINVAL, "tiff: G4 compression needs a 1-bit image");
    static const uint16_t codes[] = {
        [DB_TIFF_G4] = COMPRESSION_CCITTFAX4, [DB_TIFF_LZW] = COMPRESSION_LZW,
        [DB_TIFF_DEFLATE] = COMPRESSION_ADOBE_DEFLATE, [DB_TIFF_PACKBITS] = COMPRESSION_PACKBITS,
        [DB_TIFF_NONE] = COMPRESSION_NONE};
    int spp = img->format == DB_RGB8 ? 3 : 1;
    bool ok = TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, (uint32_t)img->width) &&
              TIFFSetField(tif, TIFFTAG_IMAGELENGTH, (uint32_t)img->height) &&
              TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, bits ? 1 : 8) &&
              TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, spp) &&
              TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG) &&
              TIFFSetField(tif, TIFFTAG_COMPRESSION, codes[comp]) &&
              TIFFSetField(tif, TIFFTAG_PHOTOMETRIC,
                           bits ? PHOTOMETRIC_MINISWHITE
                                : spp == 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK) &&
              TIFFSetField(tif, TIFFTAG_FILLORDER, FILLORDER_MSB2LSB) &&
              TIFFSetField(tif, TIFFTAG_ORIENTATION, ORIENTATION_TOPLEFT);
    if (ok && comp == DB_TIFF_G4)
        ok = TIFFSetField(tif, TIFFTAG_GROUP4OPTIONS, 0);
    if (ok && !bits && (comp == DB_TIFF_LZW || comp == DB_TIFF_DEFLATE))
        ok = TIFFSetField(tif, TIFFTAG_PREDICTOR, PREDICTOR_HORIZONTAL);
    /* 1-bit pages are one strip (what fax/OCR tools expect of G4); others in
     * strips of about 64 KiB. */
    uint32_t rps = (uint32_t)img->height;
    if (!bits) {
        size_t row = db_format_row_bytes(img->format, img->width);
        if ((65536 + row - 1) / row < rps)
            rps = (uint32_t)((65536 + row - 1) / row);
    }
    ok = ok && TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, rps);
    if (ok && img->xdpi > 0 && img->ydpi > 0)
        ok = TIFFSetField(tif, TIFFTAG_XRESOLUTION, (float)img->xdpi) &&
             TIFFSetField(tif, TIFFTAG_YRESOLUTION, (float)img->ydpi) &&
             TIFFSetField(tif, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
    return ok ? 0 : db_fail(ctx, DB_EIO, "tiff: cannot set the tags");
}

int io_tiff_writer_begin(db_ctx *ctx, io_tiff_writer *w, const db_image *shape,
                         db_tiff_compression comp)
{
    w->ctx = ctx;
    w->log.msg[0] = '\0';
    TIFF *tif = w->tif;
    int rc = set_fields(ctx, tif, shape, comp);
    if (rc < 0)
        return db_ctx_code(ctx) ? rc : writer_fail(ctx, w, "tiff: cannot set the tags");
    TIFFSetField(tif, TIFFTAG_SUBFILETYPE, w->pages > 0 ? FILETYPE_PAGE : 0);
    size_t rowbytes = shape->format == DB_BIT1 ? ((size_t)shape->width + 7) / 8
                                               : db_format_row_bytes(shape->format, shape->width);
    db_free(w->row);
    if (!(w->row = db_malloc(ctx, rowbytes)))
        return DB_ENOMEM;
    w->rowbytes = rowbytes;
    w->next = 0;
    return 0;
}

int io_tiff_writer_rows(db_ctx *ctx, io_tiff_writer *w, const db_image *img, int y0, int n)
{
    w->ctx = ctx;
    for (int k = 0; k < n; k++) {
        /* Rows go through a copy: libtiff's predictor encodes in place. */
        if (img->format == DB_BIT1)
            io_pack_bits(img, y0 + k, w->row, 1); /* min-is-white: 1 = black = ink */
        else
            memcpy(w->row, db_image_row(img, y0 + k), w->rowbytes);
        if (TIFFWriteScanline(w->tif, w->row, (uint32_t)w->next, 0) < 0)
            return writer_fail(ctx, w, "tiff: cannot write the image data");
        w->next++;
    }
    return 0;
}

int io_tiff_writer_end(db_ctx *ctx, io_tiff_writer *w)
{
    w->ctx = ctx;
    db_free(w->row);
    w->row = NULL;
    if (!TIFFWriteDirectory(w->tif))
        return writer_fail(ctx, w, "tiff: cannot write the directory");
    w->pages++;
    return 0;
}

int io_tiff_writer_add(db_ctx *ctx, io_tiff_writer *w, const db_image *img,
                       db_tiff_compression comp)
{
    DB_TRY(io_tiff_writer_begin(ctx, w, img, comp));
    DB_TRY(io_tiff_writer_rows(ctx, w, img, 0, img->height));
    return io_tiff_writer_end(ctx, w);
}

int io_tiff_writer_finish(db_ctx *ctx, io_tiff_writer *w)
{
    w->ctx = ctx;
    w->log.msg[0] = '\0';
    TIFF *tif = w->tif;
    w->tif = NULL;
    TIFFClose(tif);
    if (w->log.msg[0] || w->sink->err_no)
        return writer_fail(ctx, w, "tiff: cannot finish the file");
    return 0;
}

void io_tiff_writer_free(io_tiff_writer *w)
{
    if (!w)
        return;
    if (w->tif)
        TIFFCleanup(w->tif);
    db_free(w->row);
    db_free(w);
}
