/* io_jpeg.h - libjpeg plumbing shared by the whole-page codec (io_jpeg.c,
 * which holds these functions) and the row-streaming reader
 * (io_stream_jpeg.c); src/io only. */
#ifndef DB_IO_JPEG_H
#define DB_IO_JPEG_H

#include "io_internal.h"

#include <setjmp.h>
/* jpeglib.h needs stdio.h (FILE) first, included by io_internal.h */
#include <jpeglib.h>

/* The error manager: libjpeg errors, and warnings that mean damaged pixels
 * (truncation, bad Huffman codes), longjmp to jb with a code and message. */
typedef struct io_jpeg_err {
    struct jpeg_error_mgr pub; /* first: cinfo->err points here */
    jmp_buf jb;
    db_ctx *const *ctx; /* the owner's ctx of the call in progress */
    int code;
    char msg[JMSG_LENGTH_MAX];
    bool eof_seen; /* the data ended before an EOI marker */
} io_jpeg_err;

/* Sets up e (already zeroed) as the error manager; cinfo->err = &e->pub. */
void io_jpeg_err_init(io_jpeg_err *e, db_ctx *const *ctx);
/* The result after the longjmp: the ctx's error, the sink's errno (sink may
 * be NULL), or libjpeg's message with its code (DB_ECORRUPT by default). */
int io_jpeg_failed(io_jpeg_err *e, io_sink *sink);
/* No single pool beyond what the pixel limit allows (coefficient buffers of
 * progressive files: 2 bytes x 4 components per pixel). */
void io_jpeg_limit_memory(db_ctx *ctx, j_decompress_ptr cinfo);
/* Source set: saves APP1 (EXIF), reads the header, checks the size. */
int io_jpeg_read_header(db_ctx *ctx, j_decompress_ptr cinfo);
/* Output colour space for the file's (gray, RGB or CMYK); false when
 * unsupported. *cmyk tells the CMYK output apart. */
bool io_jpeg_set_out_color(j_decompress_ptr cinfo, bool *cmyk);
/* Orientation tag (0x0112) of IFD0 in an APP1 "Exif" marker; 1 if absent. */
int io_jpeg_orientation(j_decompress_ptr cinfo);
/* JFIF density in DPI (0, 0 when absent or an aspect ratio only). */
void io_jpeg_density(j_decompress_ptr cinfo, double *xdpi, double *ydpi);

#endif
