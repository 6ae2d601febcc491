/* io_tiff.h - libtiff plumbing shared by io_tiff.c (reading) and
 * io_tiff_write.c (writing); src/io only. */
#ifndef DB_IO_TIFF_H
#define DB_IO_TIFF_H

#include "io_internal.h"

#include <tiffio.h>

/* Open options with per-TIFF handlers (user = reader or writer) and a cap on
 * single libtiff allocations derived from the ctx pixel limit. */
TIFFOpenOptions *io_tiff_options(db_ctx *ctx, void *user, TIFFErrorHandlerExtR err,
                                 TIFFErrorHandlerExtR warn);
/* lseek semantics on a logical position; (toff_t)-1 for a negative result. */
toff_t io_tiff_seek(uint64_t *pos, uint64_t end, toff_t off, int whence);
int io_tiff_noclose(thandle_t h);
/* The handlers (user = io_tiff_log): the first error is kept; a warning
 * while decoding is kept as the error (libtiff reports damaged data as a
 * warning and fills in the rest), otherwise it goes to the ctx. */
int io_tiff_on_error(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap);
int io_tiff_on_warning(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap);
/* Fails with code and what, plus libtiff's message when it gave one (the
 * ctx's own error wins). */
int io_tiff_fail(db_ctx *ctx, const io_tiff_log *log, int code, const char *what);
/* DPI from X/YResolution and ResolutionUnit: both 0 unless both are known. */
void io_tiff_dpi(TIFF *tif, double *xdpi, double *ydpi);
/* A lying header must not cost a big allocation: uncompressed data must be
 * all there, PackBits expands at most 64:1 and Deflate 1032:1. (G4, LZW and
 * JPEG can compress blank pages further: the pixel limit bounds those.) */
int io_tiff_check_data_size(db_ctx *ctx, uint16_t comp, uint32_t w, uint32_t h, int spp, int bps,
                            uint64_t file_size);
/* Every strip or tile must lie inside the file: a cut file is reported as
 * such (instead of libtiff's read error on the first missing strip). */
int io_tiff_check_striles(db_ctx *ctx, TIFF *tif, uint64_t file_size);
void io_tiff_nounmap(thandle_t h, void *base, toff_t size);

#endif
