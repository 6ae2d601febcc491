/* io_png.h - libpng plumbing shared by the whole-page codec (io_png.c, which
 * holds these functions), the row-streaming reader (io_stream_png.c) and the
 * row-streamed writer (io_stream_write.c); src/io only. */
#ifndef DB_IO_PNG_H
#define DB_IO_PNG_H

#include "io_internal.h"

#include <png.h>

/* libpng's error, warning and memory hooks report here (error and memory
 * pointer of the png struct). */
typedef struct io_png_msgs {
    db_ctx *const *ctx; /* the owner's ctx of the call in progress */
    char msg[200];      /* the first error */
    char warning[120];  /* the last warning: often the reason for the error */
    bool in_pixels;     /* the header was accepted: failures now mean damaged data */
} io_png_msgs;

/* A read or write struct with the hooks above; NULL when out of memory. */
png_structp io_png_create(io_png_msgs *m, bool write);
/* A decoding failure after the longjmp: the first recorded error (e.g.
 * ENOMEM from db_malloc) wins, otherwise libpng's own text. A bad checksum,
 * missing data or any failure once the header was accepted is corruption; a
 * header libpng refuses is a malformed file. */
int io_png_read_failed(io_png_msgs *m);
/* An encoding failure after the longjmp: the sink's errno, the ctx's error,
 * or libpng's text as DB_EIO. */
int io_png_write_failed(io_png_msgs *m, io_sink *s);

/* What a decoded row holds after libpng's transforms, and the palette table. */
enum png_layout { L_GRAY, L_GA, L_RGB, L_RGBA, L_INDEX };
typedef struct io_png_layout {
    enum png_layout lay;
    uint8_t lut[256 * 3]; /* palette composited on white (gray: lut[i]) */
    bool lut_gray;        /* the output is GRAY8 */
} io_png_layout;

/* Reads a file's header (read function set already): limits, skipped
 * chunks, png_read_info, the size checked against the ctx limit. */
int io_png_read_header(db_ctx *ctx, png_structp png, png_infop info, png_uint_32 *w,
                       png_uint_32 *h, int *depth, int *ctype, int *interlace);
/* A lying header must not cost a big allocation: deflate expands at most
 * 1032:1, so the IDAT chunks must hold at least rows/1032 bytes. peek reads
 * the 8 bytes (length, type) of the chunk header at pos, false if it cannot. */
typedef bool (*io_png_peek_fn)(void *user, uint64_t pos, uint8_t c[8]);
int io_png_check_idat(db_ctx *ctx, uint64_t size, io_png_peek_fn peek, void *user,
                      png_uint_32 w, png_uint_32 h, unsigned bits);
/* pHYs in pixels per metre to DPI (0, 0 when absent). */
void io_png_dpi(png_structp png, png_infop info, double *xdpi, double *ydpi);
/* Sets the transforms to 8-bit gray, gray+alpha, RGB, RGBA or palette
 * indices (mapped by our own table), and fills out. */
void io_png_set_layout(png_structp png, png_infop info, int depth, int ctype,
                       io_png_layout *out);
/* One decoded row to GRAY8/RGB8 (alpha composited over white). */
void io_png_convert_row(const io_png_layout *l, const uint8_t *src, uint8_t *dst, int w);

/* The encoder settings: output to s, IHDR, pHYs, filter or zlib level,
 * png_write_info. */
void io_png_write_header(png_structp png, png_infop info, io_sink *s, int width, int height,
                         int depth, int ctype, double xdpi, double ydpi);

#endif
