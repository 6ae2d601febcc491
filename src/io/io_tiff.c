/* io_tiff.c - TIFF through libtiff (4.5 per-TIFF handlers: messages go to the
 * reader's ctx, never to a global handler). Reads strips and tiles, 1/2/4/8/16
 * bits, gray min-is-black/min-is-white, RGB, palette, CMYK, YCbCr-in-JPEG,
 * contiguous and separate planes, any codec libtiff was built with, many
 * pages. Writes one page per directory: 1-bit as CCITT G4 in one strip with
 * min-is-white (the archive/OCR convention), 8-bit gray and RGB as Deflate
 * (or the compression asked for), X/YResolution in inches when DPI is known. */
#include "io_internal.h"

#include <limits.h>
#include <string.h>
#include <tiffio.h>

/* ---- libtiff plumbing for the reader: memory procs and handlers ---- */

static tmsize_t mem_read(thandle_t h, void *buf, tmsize_t n)
{
    db_reader *r = h;
    if (n < 0 || r->tiff_pos >= r->size)
        return 0;
    size_t k = r->size - (size_t)r->tiff_pos;
    if ((uint64_t)n < k)
        k = (size_t)n;
    memcpy(buf, r->data + r->tiff_pos, k);
    r->tiff_pos += k;
    return (tmsize_t)k;
}

static tmsize_t mem_write(thandle_t h, void *buf, tmsize_t n)
{
    (void)h;
    (void)buf;
    (void)n;
    return -1;
}

static toff_t seek_to(uint64_t *pos, uint64_t end, toff_t off, int whence)
{
    uint64_t base = whence == SEEK_CUR ? *pos : whence == SEEK_END ? end : 0;
    int64_t soff = (int64_t)off; /* SEEK_CUR/SEEK_END offsets may be negative */
    if ((whence != SEEK_SET && soff < 0 && (uint64_t)-soff > base) ||
        (whence == SEEK_SET && soff < 0))
        return (toff_t)-1;
    *pos = whence == SEEK_SET ? (uint64_t)off : base + (uint64_t)soff;
    return *pos;
}

static toff_t mem_seek(thandle_t h, toff_t off, int whence)
{
    db_reader *r = h;
    return seek_to(&r->tiff_pos, r->size, off, whence);
}

static int mem_close(thandle_t h)
{
    (void)h;
    return 0;
}

static toff_t mem_size(thandle_t h) { return ((db_reader *)h)->size; }

static int mem_map(thandle_t h, void **base, toff_t *size)
{
    db_reader *r = h;
    *base = (void *)(uintptr_t)r->data; /* libtiff only reads a mapped file opened "r" */
    *size = r->size;
    return 1;
}

static void mem_unmap(thandle_t h, void *base, toff_t size)
{
    (void)h;
    (void)base;
    (void)size;
}

static int reader_error(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap)
{
    (void)tif;
    db_reader *r = user;
    if (!r->tiff_msg[0]) {
        char m[200];
        vsnprintf(m, sizeof m, fmt, ap);
        if (module && strcmp(module, r->name) == 0)
            module = NULL; /* our caller names the file already */
        snprintf(r->tiff_msg, sizeof r->tiff_msg, "%s%s%s", module ? module : "",
                 module ? ": " : "", m);
        io_one_line(r->tiff_msg);
    }
    return 1;
}

static int reader_warning(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap)
{
    (void)tif;
    db_reader *r = user;
    char m[200];
    vsnprintf(m, sizeof m, fmt, ap);
    /* While pixels are decoded, libtiff reports damaged data (premature end
     * of a strip, bad fax code) as a warning and fills in the rest; we refuse
     * the page instead of returning made-up pixels. */
    io_one_line(m);
    if (r->tiff_decoding) {
        if (!r->tiff_msg[0])
            snprintf(r->tiff_msg, sizeof r->tiff_msg, "%s%s%s", module ? module : "",
                     module ? ": " : "", m);
    } else {
        db_warn(r->ctx, "%s: libtiff: %s", r->name, m);
    }
    return 1;
}

/* Fails with libtiff's message when it gave one. */
static int tiff_fail(db_ctx *ctx, db_reader *r, int code, const char *what)
{
    if (db_ctx_code(ctx))
        return db_ctx_code(ctx);
    if (r->tiff_msg[0])
        return db_fail(ctx, code, "%s (libtiff: %s)", what, r->tiff_msg);
    return db_fail(ctx, code, "%s", what);
}

static TIFFOpenOptions *open_options(db_ctx *ctx, void *user, TIFFErrorHandlerExtR err,
                                     TIFFErrorHandlerExtR warn)
{
    TIFFOpenOptions *o = TIFFOpenOptionsAlloc();
    if (!o)
        return NULL;
    TIFFOpenOptionsSetErrorHandlerExtR(o, err, user);
    TIFFOpenOptionsSetWarningHandlerExtR(o, warn, user);
    /* No single libtiff allocation beyond what the pixel limit allows (16
     * bytes per pixel covers 4 samples of 16 bits), at least 64 MiB. */
    uint64_t lim = db_ctx_pixel_limit(ctx);
    lim = lim > ((uint64_t)1 << 40) ? (uint64_t)1 << 44 : lim * 16;
    if (lim < ((uint64_t)64 << 20))
        lim = (uint64_t)64 << 20;
    if (lim > (uint64_t)TIFF_TMSIZE_T_MAX)
        lim = (uint64_t)TIFF_TMSIZE_T_MAX;
    TIFFOpenOptionsSetMaxSingleMemAlloc(o, (tmsize_t)lim);
    return o;
}

int io_tiff_open(db_ctx *ctx, db_reader *r)
{
    TIFFOpenOptions *o = open_options(ctx, r, reader_error, reader_warning);
    if (!o)
        return db_fail(ctx, DB_ENOMEM, "tiff: out of memory");
    r->tiff_msg[0] = '\0';
    r->tiff_pos = 0;
    TIFF *tif = TIFFClientOpenExt(r->name, "r", r, mem_read, mem_write, mem_seek, mem_close,
                                  mem_size, mem_map, mem_unmap, o);
    TIFFOpenOptionsFree(o);
    if (!tif) {
        /* the magic bytes were right: what cannot be read is cut off */
        bool trunc = strstr(r->tiff_msg, "header") || strstr(r->tiff_msg, "an not read") ||
                     strstr(r->tiff_msg, "annot read") || strstr(r->tiff_msg, "Seek error") ||
                     strstr(r->tiff_msg, "Read error");
        return tiff_fail(ctx, r, trunc ? DB_ECORRUPT : DB_EFORMAT, "tiff: cannot open");
    }
    r->tiff = tif;
    tdir_t n = TIFFNumberOfDirectories(tif);
    if (n == 0)
        return tiff_fail(ctx, r, DB_ECORRUPT, "tiff: no image directory");
    r->npages = n > INT_MAX ? INT_MAX : (int)n;
    return 0;
}

void io_tiff_close(db_reader *r)
{
    if (r && r->tiff) {
        TIFFClose(r->tiff);
        r->tiff = NULL;
    }
}

/* ---- decoding one page ---- */

enum photo { P_GRAY, P_RGB, P_PALETTE, P_CMYK };

typedef struct page {
    uint32_t w, h;
    int bps, spp;
    bool separate, miniswhite;
    enum photo photo;
    int nbase;    /* colour channels: 1, 3 or 4 */
    int alpha;    /* index of the alpha sample, -1 if none */
    bool premultiplied;
    int nused;    /* nbase + (alpha >= 0) */
    uint8_t lut[256 * 3]; /* palette (entries as 8-bit RGB, or gray) */
    bool gray_out;
    uint8_t *unpacked; /* w * nused bytes for the generic path */
} page;

static inline unsigned fetch(const uint8_t *p, size_t i, int bps)
{
    switch (bps) {
    case 8: return p[i];
    case 16: return ((const uint16_t *)(const void *)p)[i]; /* libtiff swabbed to host */
    default: {
        size_t bit = i * (size_t)bps;
        return (p[bit >> 3] >> (8 - bps - (int)(bit & 7))) & ((1u << bps) - 1);
    }
    }
}

static inline uint8_t to8(unsigned v, int bps)
{
    switch (bps) {
    case 1: return v ? 255 : 0;
    case 2: return (uint8_t)(v * 85);
    case 4: return (uint8_t)(v * 17);
    case 16: return io_scale16(v);
    default: return (uint8_t)v;
    }
}

/* Converts one row: planes[k] point to the row of plane k (only plane 0 for
 * contiguous data). */
static void convert_row(page *pg, const uint8_t *const *planes, uint8_t *dst)
{
    int w = (int)pg->w;
    /* fast paths: the common bilevel, gray and RGB layouts */
    if (pg->photo == P_GRAY && pg->spp == 1) {
        if (pg->bps == 1) {
            io_expand_bits(planes[0], dst, w, pg->miniswhite);
            return;
        }
        if (pg->bps == 8 && !pg->miniswhite) {
            memcpy(dst, planes[0], (size_t)w);
            return;
        }
    }
    if (pg->photo == P_RGB && pg->bps == 8 && pg->spp == 3 && !pg->separate) {
        memcpy(dst, planes[0], 3 * (size_t)w);
        return;
    }
    /* generic: unpack the used samples to 8 bits (palette: raw indices) */
    uint8_t *u = pg->unpacked;
    int n = pg->nused;
    for (int c = 0; c < n; c++) {
        int sample = c < pg->nbase ? c : pg->alpha;
        const uint8_t *p = planes[pg->separate ? sample : 0];
        size_t step = pg->separate ? 1 : (size_t)pg->spp, off = pg->separate ? 0 : (size_t)sample;
        bool raw = pg->photo == P_PALETTE && c == 0;
        for (int x = 0; x < w; x++) {
            unsigned v = fetch(p, (size_t)x * step + off, pg->bps);
            u[(size_t)x * (size_t)n + (size_t)c] = raw ? (uint8_t)v : to8(v, pg->bps);
        }
    }
    int och = pg->gray_out ? 1 : 3;
    for (int x = 0; x < w; x++, u += n, dst += och) {
        uint8_t px[4];
        switch (pg->photo) {
        case P_GRAY: px[0] = pg->miniswhite ? (uint8_t)(255 - u[0]) : u[0]; break;
        case P_RGB: memcpy(px, u, 3); break;
        case P_PALETTE:
            if (pg->gray_out)
                px[0] = pg->lut[u[0]];
            else
                memcpy(px, pg->lut + 3 * u[0], 3);
            break;
        case P_CMYK: io_cmyk_to_rgb(u, px, 1, false); break;
        }
        if (pg->alpha >= 0) {
            unsigned a = u[n - 1];
            for (int c = 0; c < och; c++) {
                unsigned v = pg->premultiplied ? px[c] + 255u - a : io_over_white(px[c], a);
                px[c] = (uint8_t)(v > 255 ? 255 : v);
            }
        }
        memcpy(dst, px, (size_t)och);
    }
}

static int describe_page(db_ctx *ctx, db_reader *r, TIFF *tif, page *pg)
{
    uint32_t w = 0, h = 0;
    if (!TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &w) || !TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &h))
        return db_fail(ctx, DB_EFORMAT, "tiff: no image size");
    DB_TRY(db_check_dimensions(ctx, "tiff", w, h));
    uint16_t bps = 1, spp = 1, photo = 0, planar = PLANARCONFIG_CONTIG, fmt = SAMPLEFORMAT_UINT;
    uint16_t comp = COMPRESSION_NONE;
    TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bps);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
    TIFFGetFieldDefaulted(tif, TIFFTAG_PLANARCONFIG, &planar);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &fmt);
    TIFFGetFieldDefaulted(tif, TIFFTAG_COMPRESSION, &comp);
    if (!TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &photo))
        return db_fail(ctx, DB_EFORMAT, "tiff: no photometric interpretation");
    if (fmt != SAMPLEFORMAT_UINT && fmt != SAMPLEFORMAT_VOID)
        return db_fail(ctx, DB_EUNSUPPORTED, "tiff: %s samples of %d bits are not supported",
                       fmt == SAMPLEFORMAT_IEEEFP ? "floating-point"
                       : fmt == SAMPLEFORMAT_INT  ? "signed"
                                                  : "complex",
                       bps);
    if (bps != 1 && bps != 2 && bps != 4 && bps != 8 && bps != 16)
        return db_fail(ctx, DB_EUNSUPPORTED, "tiff: %d bits per sample are not supported", bps);
    if (!TIFFIsCODECConfigured(comp))
        return db_fail(ctx, DB_EUNSUPPORTED, "tiff: compression %d is not supported", comp);
    if (spp < 1 || spp > 64)
        return db_fail(ctx, DB_EFORMAT, "tiff: %d samples per pixel", spp);
    memset(pg, 0, offsetof(page, lut));
    pg->w = w;
    pg->h = h;
    pg->bps = bps;
    pg->spp = spp;
    pg->separate = planar == PLANARCONFIG_SEPARATE && spp > 1;
    pg->alpha = -1;
    switch (photo) {
    case PHOTOMETRIC_MINISWHITE:
    case PHOTOMETRIC_MINISBLACK:
        pg->photo = P_GRAY;
        pg->miniswhite = photo == PHOTOMETRIC_MINISWHITE;
        pg->nbase = 1;
        break;
    case PHOTOMETRIC_RGB: pg->photo = P_RGB; pg->nbase = 3; break;
    case PHOTOMETRIC_YCBCR:
        if (comp != COMPRESSION_JPEG)
            return db_fail(ctx, DB_EUNSUPPORTED,
                           "tiff: YCbCr is supported only inside JPEG compression");
        /* libjpeg converts to RGB for us */
        if (!TIFFSetField(tif, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB))
            return tiff_fail(ctx, r, DB_EUNSUPPORTED, "tiff: cannot convert YCbCr to RGB");
        pg->photo = P_RGB;
        pg->nbase = 3;
        break;
    case PHOTOMETRIC_PALETTE:
        if (bps > 8)
            return db_fail(ctx, DB_EUNSUPPORTED, "tiff: palette with %d-bit indices", bps);
        pg->photo = P_PALETTE;
        pg->nbase = 1;
        break;
    case PHOTOMETRIC_SEPARATED: {
        uint16_t inkset = INKSET_CMYK;
        TIFFGetFieldDefaulted(tif, TIFFTAG_INKSET, &inkset);
        if (inkset != INKSET_CMYK || spp < 4)
            return db_fail(ctx, DB_EUNSUPPORTED, "tiff: separated image that is not CMYK");
        pg->photo = P_CMYK;
        pg->nbase = 4;
        break;
    }
    default:
        return db_fail(ctx, DB_EUNSUPPORTED, "tiff: photometric interpretation %d is not supported",
                       photo);
    }
    if (spp < pg->nbase)
        return db_fail(ctx, DB_EFORMAT, "tiff: %d samples per pixel for %d colour channels", spp,
                       pg->nbase);
    if (spp > pg->nbase) {
        uint16_t nextra = 0, *extra = NULL;
        if (TIFFGetField(tif, TIFFTAG_EXTRASAMPLES, &nextra, &extra) && nextra > 0 &&
            (extra[0] == EXTRASAMPLE_ASSOCALPHA || extra[0] == EXTRASAMPLE_UNASSALPHA)) {
            pg->alpha = pg->nbase;
            pg->premultiplied = extra[0] == EXTRASAMPLE_ASSOCALPHA;
        }
    }
    pg->nused = pg->nbase + (pg->alpha >= 0);
    pg->gray_out = pg->photo == P_GRAY;
    if (pg->photo == P_PALETTE) {
        uint16_t *rm, *gm, *bm;
        if (!TIFFGetField(tif, TIFFTAG_COLORMAP, &rm, &gm, &bm))
            return db_fail(ctx, DB_EFORMAT, "tiff: palette image without a colour map");
        int n = 1 << bps;
        /* Some writers store 8-bit values in the 16-bit map: detect it. */
        bool eight = true;
        for (int i = 0; i < n; i++)
            eight &= rm[i] < 256 && gm[i] < 256 && bm[i] < 256;
        pg->gray_out = true;
        memset(pg->lut, 0, sizeof pg->lut);
        for (int i = 0; i < n; i++) {
            uint8_t c[3];
            const uint16_t v[3] = {rm[i], gm[i], bm[i]};
            for (int k = 0; k < 3; k++)
                c[k] = eight ? (uint8_t)v[k] : io_scale16(v[k]);
            memcpy(pg->lut + 3 * i, c, 3);
            pg->gray_out &= c[0] == c[1] && c[1] == c[2];
        }
        if (pg->gray_out)
            for (int i = 0; i < 256; i++)
                pg->lut[i] = pg->lut[3 * i];
    }
    return 0;
}

static double resolution_dpi(TIFF *tif, uint32_t tag, uint16_t unit)
{
    float v = 0;
    if (!TIFFGetField(tif, tag, &v) || !(v > 0))
        return 0;
    if (unit == RESUNIT_INCH)
        return io_dpi_round(v);
    if (unit == RESUNIT_CENTIMETER)
        return io_dpi_round(v * 2.54);
    return 0; /* RESUNIT_NONE: an aspect ratio, not a resolution */
}

typedef struct decode {
    page pg;
    uint8_t *band[64]; /* per plane: band rows (strips or one row of tiles) */
    uint8_t *tile;
} decode;

/* Bytes of one row of one plane, for width w. */
static int plane_row_bytes(db_ctx *ctx, const page *pg, uint64_t w, size_t *out)
{
    uint64_t bits = w * (uint64_t)(pg->separate ? 1 : pg->spp) * (uint64_t)pg->bps;
    if (w > UINT32_MAX || bits / 8 + 1 > SIZE_MAX / 4)
        return db_fail(ctx, DB_ETOOBIG, "tiff: row of %llu pixels too large",
                       (unsigned long long)w);
    *out = (size_t)((bits + 7) / 8);
    return 0;
}

static int read_strips(db_ctx *ctx, db_reader *r, TIFF *tif, decode *d, db_image *out)
{
    page *pg = &d->pg;
    uint32_t rps = pg->h;
    TIFFGetFieldDefaulted(tif, TIFFTAG_ROWSPERSTRIP, &rps);
    if (rps == 0 || rps > pg->h)
        rps = pg->h;
    size_t rowbytes = 0;
    DB_TRY(plane_row_bytes(ctx, pg, pg->w, &rowbytes));
    int nplanes = pg->separate ? pg->spp : 1;
    const uint8_t *rows[64] = {0};
    if (!pg->separate) {
        /* Contiguous strips decode row by row: no band buffer at all, and
         * straight into the output row when no conversion is needed. */
        bool direct = (pg->photo == P_GRAY && pg->spp == 1 && pg->bps == 8 && !pg->miniswhite) ||
                      (pg->photo == P_RGB && pg->spp == 3 && pg->bps == 8);
        if (!direct && !(d->band[0] = db_malloc(ctx, rowbytes)))
            return DB_ENOMEM;
        if ((tmsize_t)rowbytes != TIFFScanlineSize(tif))
            return tiff_fail(ctx, r, DB_EFORMAT, "tiff: inconsistent scanline size");
        for (uint32_t y = 0; y < pg->h; y++) {
            uint8_t *dst = db_image_row(out, (int)y);
            uint8_t *buf = direct ? dst : d->band[0];
            if (TIFFReadScanline(tif, buf, y, 0) < 0 || r->tiff_msg[0])
                return tiff_fail(ctx, r, DB_ECORRUPT, "tiff: cannot decode the image data");
            if (!direct) {
                rows[0] = buf;
                convert_row(pg, rows, dst);
            }
            if ((y & 255) == 255 && db_ctx_canceled(ctx))
                return db_fail(ctx, DB_ECANCELED, "canceled");
        }
        return 0;
    }
    /* Separate planes: one strip of each used plane per band. */
    size_t bandbytes;
    if (!db_mul_size(rowbytes, rps, &bandbytes))
        return db_fail(ctx, DB_ETOOBIG, "tiff: strip too large");
    uint32_t nstrips_plane = (pg->h + rps - 1) / rps;
    if ((uint64_t)nstrips_plane * (uint64_t)nplanes > TIFFNumberOfStrips(tif))
        return db_fail(ctx, DB_ECORRUPT, "tiff: %u strips, %llu needed",
                       (unsigned)TIFFNumberOfStrips(tif),
                       (unsigned long long)nstrips_plane * (unsigned long long)nplanes);
    for (int c = 0; c < pg->nused; c++) {
        int plane = c < pg->nbase ? c : pg->alpha;
        if (!(d->band[plane] = db_malloc(ctx, bandbytes)))
            return DB_ENOMEM;
    }
    for (uint32_t s = 0; s < nstrips_plane; s++) {
        uint32_t y0 = s * rps, n = pg->h - y0 < rps ? pg->h - y0 : rps;
        for (int c = 0; c < pg->nused; c++) {
            int plane = c < pg->nbase ? c : pg->alpha;
            tmsize_t want = (tmsize_t)(rowbytes * n);
            tmsize_t got = TIFFReadEncodedStrip(tif, (uint32_t)plane * nstrips_plane + s,
                                                d->band[plane], want);
            if (got < want || r->tiff_msg[0])
                return tiff_fail(ctx, r, DB_ECORRUPT, "tiff: cannot decode the image data");
        }
        for (uint32_t k = 0; k < n; k++) {
            for (int p = 0; p < nplanes; p++)
                rows[p] = d->band[p] ? d->band[p] + k * rowbytes : NULL;
            convert_row(pg, rows, db_image_row(out, (int)(y0 + k)));
        }
        if (db_ctx_canceled(ctx))
            return db_fail(ctx, DB_ECANCELED, "canceled");
    }
    return 0;
}

static int read_tiles(db_ctx *ctx, db_reader *r, TIFF *tif, decode *d, db_image *out)
{
    page *pg = &d->pg;
    uint32_t tw = 0, th = 0;
    if (!TIFFGetField(tif, TIFFTAG_TILEWIDTH, &tw) || !TIFFGetField(tif, TIFFTAG_TILELENGTH, &th))
        return db_fail(ctx, DB_EFORMAT, "tiff: tiled image without tile size");
    if (tw == 0 || th == 0 || (tw & 15) || (th & 15))
        return db_fail(ctx, DB_EFORMAT, "tiff: tile size %ux%u is not a multiple of 16",
                       (unsigned)tw, (unsigned)th);
    /* A tile may not be much larger than the image (and never over the limit) */
    DB_TRY(db_check_dimensions(ctx, "tiff: tile", tw, th));
    uint32_t across = (pg->w + tw - 1) / tw, down = (pg->h + th - 1) / th;
    int nplanes = pg->separate ? pg->spp : 1;
    if ((uint64_t)across * down * (uint64_t)nplanes > TIFFNumberOfTiles(tif))
        return db_fail(ctx, DB_ECORRUPT, "tiff: %u tiles, %llu needed",
                       (unsigned)TIFFNumberOfTiles(tif),
                       (unsigned long long)across * down * (unsigned long long)nplanes);
    size_t tilerow = 0, bandrow = 0, tilebytes, bandbytes;
    DB_TRY(plane_row_bytes(ctx, pg, tw, &tilerow));
    DB_TRY(plane_row_bytes(ctx, pg, (uint64_t)across * tw, &bandrow));
    if (!db_mul_size(tilerow, th, &tilebytes) || !db_mul_size(bandrow, th, &bandbytes))
        return db_fail(ctx, DB_ETOOBIG, "tiff: tile too large");
    if ((tmsize_t)tilebytes != TIFFTileSize(tif))
        return tiff_fail(ctx, r, DB_EFORMAT, "tiff: inconsistent tile size");
    if (!(d->tile = db_malloc(ctx, tilebytes)))
        return DB_ENOMEM;
    for (int c = 0; c < pg->nused; c++) {
        int plane = pg->separate ? (c < pg->nbase ? c : pg->alpha) : 0;
        if (!d->band[plane] && !(d->band[plane] = db_malloc(ctx, bandbytes)))
            return DB_ENOMEM;
    }
    const uint8_t *rows[64] = {0};
    for (uint32_t ty = 0; ty < down; ty++) {
        for (int p = 0; p < nplanes; p++) {
            if (!d->band[p])
                continue;
            for (uint32_t tx = 0; tx < across; tx++) {
                uint32_t tile = TIFFComputeTile(tif, tx * tw, ty * th, 0, (uint16_t)p);
                if (TIFFReadEncodedTile(tif, tile, d->tile, (tmsize_t)tilebytes) < 0 ||
                    r->tiff_msg[0])
                    return tiff_fail(ctx, r, DB_ECORRUPT, "tiff: cannot decode the image data");
                /* tile widths are multiples of 16, so tiles start on a byte */
                for (uint32_t k = 0; k < th; k++)
                    memcpy(d->band[p] + k * bandrow + tx * tilerow, d->tile + k * tilerow,
                           tilerow);
            }
        }
        uint32_t y0 = ty * th, n = pg->h - y0 < th ? pg->h - y0 : th;
        for (uint32_t k = 0; k < n; k++) {
            for (int p = 0; p < nplanes; p++)
                rows[p] = d->band[p] ? d->band[p] + k * bandrow : NULL;
            convert_row(pg, rows, db_image_row(out, (int)(y0 + k)));
        }
        if (db_ctx_canceled(ctx))
            return db_fail(ctx, DB_ECANCELED, "canceled");
    }
    return 0;
}

/* A lying header must not cost a big allocation: uncompressed data must be
 * all there, PackBits expands at most 64:1 and Deflate 1032:1. (G4, LZW and
 * JPEG can compress blank pages further: the pixel limit bounds those.) */
static int check_data_size(db_ctx *ctx, db_reader *r, TIFF *tif, const page *pg)
{
    uint16_t comp = COMPRESSION_NONE;
    TIFFGetFieldDefaulted(tif, TIFFTAG_COMPRESSION, &comp);
    uint64_t ratio = comp == COMPRESSION_NONE       ? 1
                     : comp == COMPRESSION_PACKBITS ? 64
                     : comp == COMPRESSION_ADOBE_DEFLATE || comp == COMPRESSION_DEFLATE ? 1032
                                                                                      : 0;
    if (!ratio)
        return 0;
    uint64_t row = ((uint64_t)pg->w * (uint64_t)pg->spp * (uint64_t)pg->bps + 7) / 8;
    uint64_t need = row * pg->h / ratio;
    if (need > r->size)
        return db_fail(ctx, DB_ECORRUPT,
                       "tiff: truncated (%ux%u pixels need %llu bytes, the file has %zu)",
                       (unsigned)pg->w, (unsigned)pg->h, (unsigned long long)need, r->size);
    return 0;
}

static int read_page(db_ctx *ctx, db_reader *r, TIFF *tif, int page_no, decode *d,
                     db_image *out)
{
    if (!TIFFSetDirectory(tif, (tdir_t)page_no))
        return tiff_fail(ctx, r, DB_ECORRUPT, "tiff: cannot read the image directory");
    page *pg = &d->pg;
    DB_TRY(describe_page(ctx, r, tif, pg));
    uint16_t unit = RESUNIT_INCH;
    TIFFGetFieldDefaulted(tif, TIFFTAG_RESOLUTIONUNIT, &unit);
    double xdpi = resolution_dpi(tif, TIFFTAG_XRESOLUTION, unit);
    double ydpi = resolution_dpi(tif, TIFFTAG_YRESOLUTION, unit);
    DB_TRY(check_data_size(ctx, r, tif, pg));
    DB_TRY(db_image_ensure(ctx, out, (int)pg->w, (int)pg->h, pg->gray_out ? DB_GRAY8 : DB_RGB8));
    out->xdpi = xdpi > 0 && ydpi > 0 ? xdpi : 0;
    out->ydpi = xdpi > 0 && ydpi > 0 ? ydpi : 0;
    size_t ubytes;
    if (!db_mul_size(pg->w, (size_t)pg->nused, &ubytes) ||
        !(pg->unpacked = db_malloc(ctx, ubytes)))
        return DB_ENOMEM;
    r->tiff_decoding = true;
    int rc = TIFFIsTiled(tif) ? read_tiles(ctx, r, tif, d, out) : read_strips(ctx, r, tif, d, out);
    r->tiff_decoding = false;
    return rc;
}

int io_tiff_read(db_ctx *ctx, db_reader *r, int page_no, db_image *out)
{
    TIFF *tif = r->tiff;
    if (!tif)
        return db_fail(ctx, DB_EINVAL, "tiff: reader not open");
    r->tiff_msg[0] = '\0';
    decode *d = db_calloc(ctx, 1, sizeof *d);
    if (!d)
        return DB_ENOMEM;
    int rc = read_page(ctx, r, tif, page_no, d, out);
    r->tiff_decoding = false;
    for (int i = 0; i < 64; i++)
        db_free(d->band[i]);
    db_free(d->tile);
    db_free(d->pg.unpacked);
    db_free(d);
    return rc;
}

/* ---- writing ---- */

struct io_tiff_writer {
    TIFF *tif;
    io_sink *sink;
    db_ctx *ctx;
    char msg[256];
    int pages;
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
    toff_t r = seek_to(&pos, w->sink->end, off, whence);
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

static int writer_error(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap)
{
    (void)tif;
    io_tiff_writer *w = user;
    if (!w->msg[0]) {
        char m[200];
        vsnprintf(m, sizeof m, fmt, ap);
        snprintf(w->msg, sizeof w->msg, "%s%s%s", module ? module : "", module ? ": " : "", m);
        io_one_line(w->msg);
    }
    return 1;
}

static int writer_warning(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap)
{
    (void)tif;
    (void)module;
    io_tiff_writer *w = user;
    char m[200];
    vsnprintf(m, sizeof m, fmt, ap);
    io_one_line(m);
    db_warn(w->ctx, "libtiff: %s", m);
    return 1;
}

static int writer_fail(db_ctx *ctx, io_tiff_writer *w, const char *what)
{
    if (w->sink->err_no)
        return io_sink_fail(w->sink);
    if (db_ctx_code(ctx))
        return db_ctx_code(ctx);
    if (w->msg[0])
        return db_fail(ctx, DB_EIO, "%s (libtiff: %s)", what, w->msg);
    return db_fail(ctx, DB_EIO, "%s", what);
}

int io_tiff_writer_open(db_ctx *ctx, io_sink *s, const char *name, io_tiff_writer **out)
{
    *out = NULL;
    io_tiff_writer *w = db_calloc(ctx, 1, sizeof *w);
    if (!w)
        return DB_ENOMEM;
    w->sink = s;
    w->ctx = ctx;
    TIFFOpenOptions *o = open_options(ctx, w, writer_error, writer_warning);
    if (!o) {
        db_free(w);
        return db_fail(ctx, DB_ENOMEM, "tiff: out of memory");
    }
    w->tif = TIFFClientOpenExt(name, "w", w, sink_read, sink_write, sink_seek, mem_close,
                               sink_size, sink_map, mem_unmap, o);
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
    uint32_t rps = bits ? (uint32_t)img->height : TIFFDefaultStripSize(tif, 0);
    if (!bits) {
        size_t row = db_format_row_bytes(img->format, img->width);
        rps = (uint32_t)((65536 + row - 1) / row);
        if (rps > (uint32_t)img->height)
            rps = (uint32_t)img->height;
    }
    ok = ok && TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, rps);
    if (ok && img->xdpi > 0 && img->ydpi > 0)
        ok = TIFFSetField(tif, TIFFTAG_XRESOLUTION, (float)img->xdpi) &&
             TIFFSetField(tif, TIFFTAG_YRESOLUTION, (float)img->ydpi) &&
             TIFFSetField(tif, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
    return ok ? 0 : db_fail(ctx, DB_EIO, "tiff: cannot set the tags");
}

int io_tiff_writer_add(db_ctx *ctx, io_tiff_writer *w, const db_image *img,
                       db_tiff_compression comp)
{
    w->ctx = ctx;
    w->msg[0] = '\0';
    TIFF *tif = w->tif;
    int rc = set_fields(ctx, tif, img, comp);
    if (rc < 0)
        return db_ctx_code(ctx) ? rc : writer_fail(ctx, w, "tiff: cannot set the tags");
    TIFFSetField(tif, TIFFTAG_SUBFILETYPE, w->pages > 0 ? FILETYPE_PAGE : 0);
    /* Rows go through a copy: libtiff's predictor encodes in place. */
    size_t rowbytes = img->format == DB_BIT1 ? ((size_t)img->width + 7) / 8
                                             : db_format_row_bytes(img->format, img->width);
    uint8_t *row = db_malloc(ctx, rowbytes);
    if (!row)
        return DB_ENOMEM;
    for (int y = 0; y < img->height; y++) {
        if (img->format == DB_BIT1)
            io_pack_bits(img, y, row, 1); /* min-is-white: 1 = black = ink */
        else
            memcpy(row, db_image_row(img, y), rowbytes);
        if (TIFFWriteScanline(tif, row, (uint32_t)y, 0) < 0) {
            db_free(row);
            return writer_fail(ctx, w, "tiff: cannot write the image data");
        }
    }
    db_free(row);
    if (!TIFFWriteDirectory(tif))
        return writer_fail(ctx, w, "tiff: cannot write the directory");
    w->pages++;
    return 0;
}

int io_tiff_writer_finish(db_ctx *ctx, io_tiff_writer *w)
{
    w->ctx = ctx;
    w->msg[0] = '\0';
    TIFF *tif = w->tif;
    w->tif = NULL;
    TIFFClose(tif);
    if (w->msg[0] || w->sink->err_no)
        return writer_fail(ctx, w, "tiff: cannot finish the file");
    return 0;
}

void io_tiff_writer_free(io_tiff_writer *w)
{
    if (!w)
        return;
    if (w->tif)
        TIFFCleanup(w->tif);
    db_free(w);
}
