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
void io_tiff_nounmap(thandle_t h, void *base, toff_t size);

#endif
