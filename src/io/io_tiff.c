/* io_tiff.c - reading TIFF through libtiff (4.5 per-TIFF handlers: messages
 * go to the reader's ctx, never to a global handler). Strips and tiles,
 * 1/2/4/8/16 bits, gray min-is-black/min-is-white, RGB, palette, CMYK,
 * YCbCr-in-JPEG, contiguous and separate planes, an alpha extra sample, any
 * codec libtiff was built with, many pages. Writing: io_tiff_write.c. */
#include "io_tiff.h"

#include <limits.h>
#include <string.h>

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

toff_t io_tiff_seek(uint64_t *pos, uint64_t end, toff_t off, int whence)
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
    return io_tiff_seek(&r->tiff_pos, r->size, off, whence);
}

int io_tiff_noclose(thandle_t h)
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

void io_tiff_nounmap(thandle_t h, void *base, toff_t size)
{
    (void)h;
    (void)base;
    (void)size;
}

int io_tiff_on_error(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap)
{
    (void)tif;
    io_tiff_log *log = user;
    if (!log->msg[0]) {
        char m[200];
        vsnprintf(m, sizeof m, fmt, ap);
        if (module && log->name && strcmp(module, *log->name) == 0)
            module = NULL; /* our caller names the file already */
        snprintf(log->msg, sizeof log->msg, "%s%s%s", module ? module : "", module ? ": " : "",
                 m);
        io_one_line(log->msg);
    }
    return 1;
}

int io_tiff_on_warning(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap)
{
    (void)tif;
    io_tiff_log *log = user;
    char m[200];
    vsnprintf(m, sizeof m, fmt, ap);
    /* While pixels are decoded, libtiff reports damaged data (premature end
     * of a strip, bad fax code) as a warning and fills in the rest; we refuse
     * the page instead of returning made-up pixels. */
    io_one_line(m);
    if (log->decoding) {
        if (!log->msg[0])
            snprintf(log->msg, sizeof log->msg, "%s%s%s", module ? module : "",
                     module ? ": " : "", m);
    } else if (log->name) {
        db_warn(*log->ctx, "%s: libtiff: %s", *log->name, m);
    } else {
        db_warn(*log->ctx, "libtiff: %s", m);
    }
    return 1;
}

int io_tiff_fail(db_ctx *ctx, const io_tiff_log *log, int code, const char *what)
{
    if (db_ctx_code(ctx))
        return db_ctx_code(ctx);
    if (log->msg[0])
        return db_fail(ctx, code, "%s (libtiff: %s)", what, log->msg);
    return db_fail(ctx, code, "%s", what);
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

void io_tiff_dpi(TIFF *tif, double *xdpi, double *ydpi)
{
    uint16_t unit = RESUNIT_INCH;
    TIFFGetFieldDefaulted(tif, TIFFTAG_RESOLUTIONUNIT, &unit);
    double x = resolution_dpi(tif, TIFFTAG_XRESOLUTION, unit);
    double y = resolution_dpi(tif, TIFFTAG_YRESOLUTION, unit);
    *xdpi = x > 0 && y > 0 ? x : 0;
    *ydpi = x > 0 && y > 0 ? y : 0;
}

int io_tiff_check_data_size(db_ctx *ctx, uint16_t comp, uint32_t w, uint32_t h, int spp, int bps,
                            uint64_t file_size)
{
    uint64_t ratio = comp == COMPRESSION_NONE       ? 1
                     : comp == COMPRESSION_PACKBITS ? 64
                     : comp == COMPRESSION_ADOBE_DEFLATE || comp == COMPRESSION_DEFLATE ? 1032
                                                                                      : 0;
    if (!ratio)
        return 0;
    uint64_t row = ((uint64_t)w * (uint64_t)spp * (uint64_t)bps + 7) / 8;
    uint64_t need = row * h / ratio;
    if (need > file_size)
        return db_fail(ctx, DB_ECORRUPT,
                       "tiff: truncated (%ux%u pixels need %llu bytes, the file has %llu)",
                       (unsigned)w, (unsigned)h, (unsigned long long)need,
                       (unsigned long long)file_size);
    return 0;
}

int io_tiff_check_striles(db_ctx *ctx, TIFF *tif, uint64_t file_size)
{
    bool tiled = TIFFIsTiled(tif);
    const char *what = tiled ? "tile" : "strip";
    uint32_t n = tiled ? TIFFNumberOfTiles(tif) : TIFFNumberOfStrips(tif);
    for (uint32_t i = 0; i < n; i++) {
        uint64_t off = TIFFGetStrileOffset(tif, i), len = TIFFGetStrileByteCount(tif, i);
        if (len == 0)
            return db_fail(ctx, DB_ECORRUPT, "tiff: %s %u of %u is empty or missing", what,
                           (unsigned)i + 1, (unsigned)n);
        if (off > file_size || len > file_size - off)
            return db_fail(ctx, DB_ECORRUPT,
                           "tiff: truncated (%s %u of %u ends at byte %llu, the file has %llu)",
                           what, (unsigned)i + 1, (unsigned)n, (unsigned long long)(off + len),
                           (unsigned long long)file_size);
    }
    return 0;
}

TIFFOpenOptions *io_tiff_options(db_ctx *ctx, void *user, TIFFErrorHandlerExtR err,
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
    TIFFOpenOptions *o = io_tiff_options(ctx, &r->tiff_log, io_tiff_on_error, io_tiff_on_warning);
    if (!o)
        return db_fail(ctx, DB_ENOMEM, "tiff: out of memory");
    r->tiff_log = (io_tiff_log){.ctx = &r->ctx, .name = &r->name};
    r->tiff_pos = 0;
    TIFF *tif = TIFFClientOpenExt(r->name, "r", r, mem_read, mem_write, mem_seek, io_tiff_noclose,
                                  mem_size, mem_map, io_tiff_nounmap, o);
    TIFFOpenOptionsFree(o);
    if (!tif) {
        /* the magic bytes were right: what cannot be read is cut off */
        const char *m = r->tiff_log.msg;
        bool trunc = strstr(m, "header") || strstr(m, "an not read") || strstr(m, "annot read") ||
                     strstr(m, "Seek error") || strstr(m, "Read error");
        return io_tiff_fail(ctx, &r->tiff_log,
                            trunc ? DB_ECORRUPT : DB_EFORMAT, "tiff: cannot open");
    }
    r->tiff = tif;
    tdir_t n = TIFFNumberOfDirectories(tif);
    if (n == 0)
        return io_tiff_fail(ctx, &r->tiff_log, DB_ECORRUPT, "tiff: no image directory");
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
            return io_tiff_fail(ctx, &r->tiff_log,
                                DB_EUNSUPPORTED, "tiff: cannot convert YCbCr to RGB");
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

typedef struct decode {
    page pg;
    uint8_t *band[64]; /* per plane: band rows (strips or one row of tiles) */
    uint8_t *tile;
    db_image turned; /* the stored page when it must be turned upright */
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
            return io_tiff_fail(ctx, &r->tiff_log, DB_EFORMAT, "tiff: inconsistent scanline size");
        for (uint32_t y = 0; y < pg->h; y++) {
            uint8_t *dst = db_image_row(out, (int)y);
            uint8_t *buf = direct ? dst : d->band[0];
            if (TIFFReadScanline(tif, buf, y, 0) < 0 || r->tiff_log.msg[0])
                return io_tiff_fail(ctx, &r->tiff_log,
                                    DB_ECORRUPT, "tiff: cannot decode the image data");
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
            if (got < want || r->tiff_log.msg[0])
                return io_tiff_fail(ctx, &r->tiff_log,
                                    DB_ECORRUPT, "tiff: cannot decode the image data");
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
    /* A tile may exceed a small image (a 256x256 tile on a 100x100 page), but
     * not the pixel limit or 16 Mpx, whichever is larger: the band buffer is
     * one row of tiles. */
    uint64_t tile_limit = db_ctx_pixel_limit(ctx) > (1u << 24) ? db_ctx_pixel_limit(ctx) : 1u << 24;
    if ((uint64_t)tw * th > tile_limit)
        return db_fail(ctx, DB_ETOOBIG, "tiff: tile %ux%u too large", (unsigned)tw, (unsigned)th);
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
        return io_tiff_fail(ctx, &r->tiff_log, DB_EFORMAT, "tiff: inconsistent tile size");
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
                    r->tiff_log.msg[0])
                    return io_tiff_fail(ctx, &r->tiff_log,
                                        DB_ECORRUPT, "tiff: cannot decode the image data");
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

static int read_page(db_ctx *ctx, db_reader *r, TIFF *tif, int page_no, decode *d,
                     db_image *out)
{
    if (!TIFFSetDirectory(tif, (tdir_t)page_no))
        return io_tiff_fail(ctx, &r->tiff_log,
                            DB_ECORRUPT, "tiff: cannot read the image directory");
    page *pg = &d->pg;
    DB_TRY(describe_page(ctx, r, tif, pg));
    double xdpi, ydpi;
    io_tiff_dpi(tif, &xdpi, &ydpi);
    uint16_t comp = COMPRESSION_NONE;
    TIFFGetFieldDefaulted(tif, TIFFTAG_COMPRESSION, &comp);
    DB_TRY(io_tiff_check_data_size(ctx, comp, pg->w, pg->h, pg->spp, pg->bps, r->size));
    DB_TRY(io_tiff_check_striles(ctx, tif, r->size));
    /* A page stored turned or mirrored (Orientation 2-8, rare: some cameras
     * and scanners) is decoded into a scratch image, then placed upright. */
    uint16_t orient = ORIENTATION_TOPLEFT;
    TIFFGetFieldDefaulted(tif, TIFFTAG_ORIENTATION, &orient);
    if (orient < 1 || orient > 8)
        orient = ORIENTATION_TOPLEFT;
    db_format fmt = pg->gray_out ? DB_GRAY8 : DB_RGB8;
    db_image *target = orient == ORIENTATION_TOPLEFT ? out : &d->turned;
    DB_TRY(db_image_ensure(ctx, target, (int)pg->w, (int)pg->h, fmt));
    size_t ubytes;
    if (!db_mul_size(pg->w, (size_t)pg->nused, &ubytes) ||
        !(pg->unpacked = db_malloc(ctx, ubytes)))
        return DB_ENOMEM;
    r->tiff_log.decoding = true;
    int rc = TIFFIsTiled(tif) ? read_tiles(ctx, r, tif, d, target)
                              : read_strips(ctx, r, tif, d, target);
    r->tiff_log.decoding = false;
    DB_TRY(rc);
    if (target != out) {
        bool swap = orient >= 5;
        DB_TRY(db_image_ensure(ctx, out, swap ? (int)pg->h : (int)pg->w,
                               swap ? (int)pg->w : (int)pg->h, fmt));
        for (int y = 0; y < (int)pg->h; y++)
            io_place_row(db_image_row(target, y), y, (int)pg->w, (int)pg->h,
                         fmt == DB_RGB8 ? 3 : 1, orient, out);
        double t = xdpi;
        if (swap) {
            xdpi = ydpi;
            ydpi = t;
        }
    }
    out->xdpi = xdpi;
    out->ydpi = ydpi;
    return 0;
}

int io_tiff_read(db_ctx *ctx, db_reader *r, int page_no, db_image *out)
{
    TIFF *tif = r->tiff;
    if (!tif)
        return db_fail(ctx, DB_EINVAL, "tiff: reader not open");
    r->tiff_log.msg[0] = '\0';
    decode *d = db_calloc(ctx, 1, sizeof *d);
    if (!d)
        return DB_ENOMEM;
    int rc = read_page(ctx, r, tif, page_no, d, out);
    r->tiff_log.decoding = false;
    for (int i = 0; i < 64; i++)
        db_free(d->band[i]);
    db_free(d->tile);
    db_free(d->pg.unpacked);
    db_image_free(&d->turned);
    db_free(d);
    return rc;
}

