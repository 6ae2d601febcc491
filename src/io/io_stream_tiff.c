/* io_stream_tiff.c - TIFF rows for the row-streaming reader (io_stream.h):
 * strips by scanline, tiles one row of tiles at a time; gray, bilevel and
 * RGB in 1 or 8 bits with the conversions and cut-file checks of io_tiff.c;
 * other layouts go to the whole-page reader. */
#include "io_stream.h"

#include <limits.h>
#include <string.h>

/* ---- TIFF (strips or tiles; gray, bilevel, RGB; 1 or 8 bits): a row of
 * tiles is the only band held ---- */

/* 0 streaming, 1 a layout for the whole-page reader, < 0 error. */
int io_stream_tiff_open(db_ctx *ctx, db_row_reader *r, const char *path, int page)
{
    r->tiff_log = (io_tiff_log){.ctx = &r->ctx, .name = &r->name};
    TIFFOpenOptions *o = io_tiff_options(ctx, &r->tiff_log, io_tiff_on_error, io_tiff_on_warning);
    if (!o)
        return db_fail(ctx, DB_ENOMEM, "tiff: out of memory");
    /* "m": no memory map, whose touched pages would count as ours */
    r->tif = TIFFOpenExt(path, "rm", o);
    TIFFOpenOptionsFree(o);
    if (!r->tif)
        return 1;
    TIFF *tif = r->tif;
    tdir_t nd = TIFFNumberOfDirectories(tif);
    if (nd == 0 || page >= (int)nd || !TIFFSetDirectory(tif, (tdir_t)page))
        return 1;
    r->info.npages = nd > INT_MAX ? INT_MAX : (int)nd;
    uint32_t w = 0, h = 0;
    uint16_t bps = 1, spp = 1, photo = 0, planar = PLANARCONFIG_CONTIG, fmt = SAMPLEFORMAT_UINT;
    uint16_t comp = COMPRESSION_NONE, orient = ORIENTATION_TOPLEFT;
    if (!TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &w) || !TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &h) ||
        !TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &photo))
        return 1;
    TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bps);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
    TIFFGetFieldDefaulted(tif, TIFFTAG_PLANARCONFIG, &planar);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &fmt);
    TIFFGetFieldDefaulted(tif, TIFFTAG_COMPRESSION, &comp);
    TIFFGetFieldDefaulted(tif, TIFFTAG_ORIENTATION, &orient);
    bool gray = (photo == PHOTOMETRIC_MINISBLACK || photo == PHOTOMETRIC_MINISWHITE) &&
                spp == 1 && (bps == 1 || bps == 8);
    bool rgb = photo == PHOTOMETRIC_RGB && spp == 3 && bps == 8 && planar == PLANARCONFIG_CONTIG;
    if (!(gray || rgb) || orient != ORIENTATION_TOPLEFT ||
        (fmt != SAMPLEFORMAT_UINT && fmt != SAMPLEFORMAT_VOID) || comp == COMPRESSION_JPEG ||
        comp == COMPRESSION_OJPEG || !TIFFIsCODECConfigured(comp))
        return 1;
    DB_TRY(db_check_dimensions(ctx, "tiff", w, h));
    /* The whole-page reader's checks against cut files, so that a truncated
     * page fails before any output is written. */
    DB_TRY(io_tiff_check_data_size(ctx, comp, w, h, spp, bps, r->file_size));
    DB_TRY(io_tiff_check_striles(ctx, tif, r->file_size));
    bool tiled = TIFFIsTiled(tif);
    uint64_t rowb = ((uint64_t)w * spp * bps + 7) / 8;
    r->rowbytes = (size_t)rowb;
    r->band_y0 = -1;
    if (tiled) {
        /* the checks of io_tiff.c's read_tiles; odd tiles go to it */
        if (!TIFFGetField(tif, TIFFTAG_TILEWIDTH, &r->tw) ||
            !TIFFGetField(tif, TIFFTAG_TILELENGTH, &r->th) || r->tw == 0 || r->th == 0 ||
            (r->tw & 15) || (r->th & 15) || (uint64_t)r->tw * r->th > (1u << 24))
            return 1;
        uint64_t across = (w + r->tw - 1) / r->tw, down = (h + r->th - 1) / r->th;
        if (across * down > TIFFNumberOfTiles(tif))
            return 1;
        r->tilerow = ((size_t)r->tw * spp * bps + 7) / 8;
        r->bandrow = r->tilerow * (size_t)across;
        r->tilebytes = r->tilerow * r->th;
        if ((tmsize_t)r->tilebytes != TIFFTileSize(tif))
            return 1;
        if (!(r->tile = db_malloc(ctx, r->tilebytes)) ||
            !(r->band = db_malloc(ctx, r->bandrow * r->th)))
            return DB_ENOMEM;
    } else if ((tmsize_t)r->rowbytes != TIFFScanlineSize(tif)) {
        return io_tiff_fail(ctx, &r->tiff_log, DB_EFORMAT, "tiff: inconsistent scanline size");
    }
    io_tiff_dpi(tif, &r->info.xdpi, &r->info.ydpi);
    r->info.width = (int)w;
    r->info.height = (int)h;
    r->info.format = gray ? DB_GRAY8 : DB_RGB8;
    r->tiff_bps = bps;
    r->miniswhite = photo == PHOTOMETRIC_MINISWHITE;
    if (!r->tw && !(r->row = db_malloc(ctx, r->rowbytes)))
        return DB_ENOMEM;
    return 0;
}

/* Decodes the row of tiles holding page row y into r->band. */
static int read_tile_row(db_ctx *ctx, db_row_reader *r, int y)
{
    uint32_t ty = (uint32_t)y / r->th * r->th;
    for (uint32_t tx = 0, col = 0; tx < (uint32_t)r->info.width; tx += r->tw, col++) {
        uint32_t tile = TIFFComputeTile(r->tif, tx, ty, 0, 0);
        if (TIFFReadEncodedTile(r->tif, tile, r->tile, (tmsize_t)r->tilebytes) < 0 ||
            r->tiff_log.msg[0])
            return io_tiff_fail(ctx, &r->tiff_log,
                                DB_ECORRUPT, "tiff: cannot decode the image data");
        /* tile widths are multiples of 16, so tiles start on a byte */
        for (uint32_t k = 0; k < r->th; k++)
            memcpy(r->band + k * r->bandrow + col * r->tilerow, r->tile + k * r->tilerow,
                   r->tilerow);
    }
    r->band_y0 = (int)ty;
    return 0;
}

int io_stream_tiff_read(db_ctx *ctx, db_row_reader *r, int n, db_image *dst, int y0)
{
    int w = r->info.width;
    r->tiff_log.decoding = true;
    for (int k = 0; k < n; k++, r->next++) {
        uint8_t *d = db_image_row(dst, y0 + k);
        const uint8_t *src = r->row;
        int rc = 0;
        if (r->tw) {
            if (r->band_y0 < 0 || r->next >= r->band_y0 + (int)r->th)
                rc = read_tile_row(ctx, r, r->next);
        } else if (TIFFReadScanline(r->tif, r->row, (uint32_t)r->next, 0) < 0 ||
                   r->tiff_log.msg[0]) {
            rc = io_tiff_fail(ctx, &r->tiff_log, DB_ECORRUPT, "tiff: cannot decode the image data");
        }
        if (rc < 0) {
            r->tiff_log.decoding = false;
            return rc;
        }
        if (r->tw)
            src = r->band + (size_t)(r->next - r->band_y0) * r->bandrow;
        if (r->tiff_bps == 1)
            io_expand_bits(src, d, w, r->miniswhite);
        else if (r->miniswhite)
            for (int x = 0; x < w; x++)
                d[x] = (uint8_t)(255 - src[x]);
        else
            memcpy(d, src, r->info.format == DB_RGB8 ? 3 * (size_t)w : (size_t)w);
    }
    r->tiff_log.decoding = false;
    return 0;
}

void io_stream_tiff_free(db_row_reader *r)
{
    if (r->tif)
        TIFFClose(r->tif);
    r->tif = NULL;
    db_free(r->tile);
    r->tile = NULL;
    db_free(r->band);
    r->band = NULL;
}
