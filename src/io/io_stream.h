/* io_stream.h - the row-streaming reader of strip mode, shared by its files
 * (src/io only): io_stream_read.c (the reader, whole-page fallback, PNM),
 * io_stream_png.c, io_stream_jpeg.c, io_stream_tiff.c. Each codec converts
 * rows exactly as its whole-page twin (io_png.c, io_jpeg.c, io_tiff.c). */
#ifndef DB_IO_STREAM_H
#define DB_IO_STREAM_H

#include "io_tiff.h"

#include "io_png.h"

/* which codec serves the rows (RR_WHOLE: the page decoded whole at open) */
enum rr_kind { RR_WHOLE, RR_PNG, RR_PNM, RR_TIFF, RR_JPEG };
typedef struct rr_jpeg rr_jpeg;

struct db_row_reader {
    db_ctx *ctx; /* ctx of the call in progress (codec callbacks) */
    char *name;
    enum rr_kind kind;
    db_row_info info;
    int next;   /* next row to deliver */
    FILE *f;
    uint64_t file_size;
    uint8_t *row; /* one undecoded row */
    size_t rowbytes;
    db_image whole; /* RR_WHOLE */
    /* PNG */
    png_structp png;
    png_infop pnginfo;
    io_png_layout pnglay;
    io_png_msgs pngm;
    /* PNM: bits (P4), maxval, bytes per sample */
    bool pnm_bits;
    unsigned maxval;
    int bps;
    /* TIFF */
    TIFF *tif;
    int tiff_bps;
    uint32_t tw, th;       /* tile size (0: strips) */
    uint8_t *tile, *band;  /* one tile; one row of tiles, rows bandrow bytes apart */
    size_t tilebytes, tilerow, bandrow;
    int band_y0;           /* first page row held in band (-1: none) */
    bool miniswhite;
    io_tiff_log tiff_log;
    /* JPEG */
    rr_jpeg *jpeg;
};

/* Codec entry points: open returns 0 when the page streams, 1 when the
 * whole-page reader must take it (nothing decoded yet), < 0 on error; read
 * decodes the next n rows into dst rows y0..; free releases the codec. */
int io_stream_png_open(db_ctx *ctx, db_row_reader *r);
int io_stream_png_read(db_row_reader *r, int n, db_image *dst, int y0);
void io_stream_png_free(db_row_reader *r);
int io_stream_jpeg_open(db_ctx *ctx, db_row_reader *r);
int io_stream_jpeg_read(db_ctx *ctx, db_row_reader *r, int n, db_image *dst, int y0);
void io_stream_jpeg_free(db_row_reader *r);
int io_stream_tiff_open(db_ctx *ctx, db_row_reader *r, const char *path, int page);
int io_stream_tiff_read(db_ctx *ctx, db_row_reader *r, int n, db_image *dst, int y0);
void io_stream_tiff_free(db_row_reader *r);

#endif
