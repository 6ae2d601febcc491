/* io_internal.h - shared between the image-file modules of src/io/ only.
 *
 * io.c owns the reader (file in memory, magic-byte dispatch, messages naming
 * the file and page); writer.c owns the writer and its byte sink (temporary
 * file + rename, or memory for standard output). Each codec (io_png.c,
 * io_jpeg.c, io_tiff.c, io_pnm.c) decodes from memory into a db_image and
 * encodes into a sink; io_convert.c holds the sample conversions they share.
 * Codec functions record messages WITHOUT the file name: io.c/writer.c add it.
 */
#ifndef DB_IO_INTERNAL_H
#define DB_IO_INTERNAL_H

#include "db_internal.h"

#include <stdio.h>

/* Where libtiff's per-TIFF handlers (io_tiff.c) put their messages: a reader's
 * (io.c, io_stream_tiff.c) or a writer's (io_tiff_write.c). */
typedef struct io_tiff_log {
    db_ctx *const *ctx;      /* the owner's ctx of the call in progress */
    char *const *name;       /* the file's name (a module of that name is dropped
                                from messages), or NULL for a writer */
    bool decoding;           /* warnings while decoding pixels are errors */
    char msg[256];           /* first libtiff error/warning since the last clear */
} io_tiff_log;

struct db_reader {
    db_ctx *ctx;          /* ctx of the call in progress (codec callbacks use it) */
    const uint8_t *data;  /* the whole file */
    size_t size;
    uint8_t *owned;       /* data when the reader read the file itself */
    char *name;           /* for messages */
    db_file_format format;
    int npages;
    void *tiff;           /* TIFF * of io_tiff.c, open for the reader's life */
    uint64_t tiff_pos;    /* libtiff's file position in data */
    io_tiff_log tiff_log; /* libtiff's messages */
};

/* ---- byte sink (writer.c): a file descriptor with a buffer, or memory ---- */
typedef struct io_sink {
    int fd;          /* -1 for memory */
    uint8_t *buf;    /* write buffer (fd) or the whole output (memory) */
    size_t len;      /* fd: bytes buffered; memory: size of the output */
    size_t cap;
    uint64_t pos;    /* logical position */
    uint64_t end;    /* logical size */
    uint64_t bufpos; /* fd: file offset of buf[0] */
    int err_no;      /* first errno seen (0 = none) */
    db_ctx *ctx;
} io_sink;

int io_sink_write(io_sink *s, const void *data, size_t n);
int io_sink_seek(io_sink *s, uint64_t pos);
/* Reads at the current position (TIFF walks its directory chain); returns
 * the bytes read (short at the end), or -1 on error. */
long io_sink_read(io_sink *s, void *data, size_t n);
int io_sink_flush(io_sink *s);
/* Records the sink's errno (if any) as a DB_EIO message: "write failed (...)". */
int io_sink_fail(io_sink *s);

/* ---- codecs: decoding (reader data in memory) ---- */
int io_png_read(db_ctx *ctx, db_reader *r, db_image *out);
int io_jpeg_read(db_ctx *ctx, db_reader *r, db_image *out);
int io_pnm_read(db_ctx *ctx, db_reader *r, db_image *out);
int io_tiff_open(db_ctx *ctx, db_reader *r);  /* sets r->tiff and r->npages */
void io_tiff_close(db_reader *r);
int io_tiff_read(db_ctx *ctx, db_reader *r, int page, db_image *out);

/* ---- codecs: encoding one page (multi-page for TIFF) ---- */
int io_png_write(db_ctx *ctx, io_sink *s, const db_image *img);
int io_jpeg_write(db_ctx *ctx, io_sink *s, const db_image *img, int quality);
int io_pnm_write(db_ctx *ctx, io_sink *s, const db_image *img);
typedef struct io_tiff_writer io_tiff_writer;
int io_tiff_writer_open(db_ctx *ctx, io_sink *s, const char *name, io_tiff_writer **out);
int io_tiff_writer_add(db_ctx *ctx, io_tiff_writer *w, const db_image *img,
                       db_tiff_compression comp);
/* Writes the last directory; returns its error. */
int io_tiff_writer_finish(db_ctx *ctx, io_tiff_writer *w);
void io_tiff_writer_free(io_tiff_writer *w);

/* ---- row-streamed 1-bit page (io_stream_write.c: PNG, PBM; TIFF below) ---- */
typedef struct io_rows io_rows;
int io_rows_begin(db_ctx *ctx, io_sink *s, db_file_format format, int width, int height,
                  double xdpi, double ydpi, io_rows **out);
int io_rows_add(db_ctx *ctx, io_rows *w, const db_image *rows, int y0, int n);
int io_rows_end(db_ctx *ctx, io_rows *w);
void io_rows_free(io_rows *w);
/* TIFF (io_tiff_write.c): the tags and strip layout of io_tiff_writer_add,
 * then rows, then the directory; io_tiff_writer_add runs the same three. */
int io_tiff_writer_begin(db_ctx *ctx, io_tiff_writer *w, const db_image *shape,
                         db_tiff_compression comp);
int io_tiff_writer_rows(db_ctx *ctx, io_tiff_writer *w, const db_image *img, int y0, int n);
int io_tiff_writer_end(db_ctx *ctx, io_tiff_writer *w);

/* ---- conversions (io_convert.c) ---- */
/* 16-bit sample to 8 bits, rounded: (v*255 + 32767) / 65535. */
static inline uint8_t io_scale16(unsigned v) { return (uint8_t)((v * 255u + 32767u) / 65535u); }
/* c composited with alpha a over white, rounded. */
static inline uint8_t io_over_white(unsigned c, unsigned a)
{
    return (uint8_t)((c * a + 255u * (255u - a) + 127u) / 255u);
}
/* Bit-reversal of a byte: our BIT1 is LSB-first, PNG/TIFF/PBM are MSB-first. */
extern const uint8_t io_bitrev[256];
/* Expands n MSB-first 1-bit pixels to bytes 0 (bit 0) / 255 (bit 1), or
 * inverted when invert is set. */
void io_expand_bits(const uint8_t *src, uint8_t *dst, int n, bool invert);
/* Packs BIT1 row y of img into (width+7)/8 MSB-first bytes with ink written
 * as ink_bit: 0 for PNG gray (0 = black), 1 for PBM and TIFF min-is-white.
 * The padding bits of the last byte are paper. */
void io_pack_bits(const db_image *img, int y, uint8_t *dst, int ink_bit);
/* CMYK (Adobe-inverted when inverted: 255 = no ink) to RGB, n pixels. */
void io_cmyk_to_rgb(const uint8_t *src, uint8_t *dst, int n, bool inverted);
/* Writes decoded row y of a stored w x h image (ch bytes per pixel) where
 * orientation o (TIFF/EXIF 1-8) puts it in out, which is w x h, or h x w
 * for o >= 5. */
void io_place_row(const uint8_t *src, int y, int w, int h, int ch, int o, db_image *out);
/* Makes a codec's message one line: control characters become spaces and
 * trailing spaces go (messages are "file: what", one line each). */
void io_one_line(char *s);
/* Pixels per metre to DPI (0 stays 0), snapping the PNG rounding error away. */
double io_dpi_from_ppm(double ppm);
double io_dpi_round(double dpi);

#endif
