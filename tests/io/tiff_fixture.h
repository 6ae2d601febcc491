/* tiff_fixture.h - TIFF fixtures written straight through libtiff for the
 * io tests: any bit depth, photometric, planar configuration, compression,
 * strips or tiles, from unpacked samples. */
#ifndef DB_TIFF_FIXTURE_H
#define DB_TIFF_FIXTURE_H

#include "io_fixture.h"

#include <tiffio.h>

typedef struct fx_tiff {
    int w, h, bps, spp;
    uint16_t photometric, planar, compression;
    int rps;        /* rows per strip (0: whole image) */
    int tw, th;     /* tile size (0: strips) */
    const uint16_t *samples; /* w*h*spp, interleaved */
    const uint16_t *cmap;    /* 3 * (1 << bps) for palettes */
    int extra;      /* EXTRASAMPLE_* for the sample after the colour ones, -1: none */
    float xres, yres;
    uint16_t resunit; /* 0: no resolution tags */
    bool jpeg_rgb;    /* YCbCr JPEG fed with RGB rows */
    uint16_t orientation; /* 0: tag not written */
} fx_tiff;

/* Random samples for f (w*h*spp values of f->bps bits; malloc'd), seeded
 * by tu_seed() ^ seed. */
static FX_UNUSED uint16_t *fx_tiff_random_samples(const fx_tiff *f, uint64_t seed)
{
    uint64_t rng = tu_seed() ^ seed;
    size_t n = (size_t)f->w * (size_t)f->h * (size_t)f->spp;
    uint16_t *s = malloc(n * sizeof *s);
    assert_non_null(s);
    unsigned max = f->bps == 16 ? 65535u : (1u << f->bps) - 1;
    for (size_t i = 0; i < n; i++)
        s[i] = (uint16_t)(tu_rand(&rng) % (max + 1));
    return s;
}

/* Packs samples [x0, x0+n) of row y, plane p (or all samples when contiguous). */
static FX_UNUSED void fx_tiff_pack(const fx_tiff *f, int y, int p, int x0, int n, uint8_t *out)
{
    bool sep = f->planar == PLANARCONFIG_SEPARATE;
    int per = sep ? 1 : f->spp;
    size_t bytes = ((size_t)n * (size_t)per * (size_t)f->bps + 7) / 8;
    memset(out, 0, bytes);
    for (int x = 0; x < n; x++)
        for (int c = 0; c < per; c++) {
            int s = sep ? p : c;
            /* tile padding repeats the edge (keeps JPEG tiles smooth) */
            size_t sx = (size_t)(x0 + x < f->w ? x0 + x : f->w - 1);
            unsigned v = f->samples[((size_t)y * (size_t)f->w + sx) * (size_t)f->spp + (size_t)s];
            size_t i = (size_t)x * (size_t)per + (size_t)c;
            if (f->bps == 16)
                ((uint16_t *)(void *)out)[i] = (uint16_t)v;
            else if (f->bps == 8)
                out[i] = (uint8_t)v;
            else {
                size_t bit = i * (size_t)f->bps;
                out[bit / 8] |= (uint8_t)(v << (8 - f->bps - (int)(bit % 8)));
            }
        }
}

static FX_UNUSED void fx_tiff_page(TIFF *tif, const fx_tiff *f)
{
    assert_true(TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, (uint32_t)f->w));
    assert_true(TIFFSetField(tif, TIFFTAG_IMAGELENGTH, (uint32_t)f->h));
    assert_true(TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, f->bps));
    assert_true(TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, f->spp));
    assert_true(TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, f->photometric));
    uint16_t planar = f->planar ? f->planar : PLANARCONFIG_CONTIG;
    assert_true(TIFFSetField(tif, TIFFTAG_PLANARCONFIG, planar));
    assert_true(TIFFSetField(tif, TIFFTAG_COMPRESSION, f->compression ? f->compression : 1));
    if (f->compression == COMPRESSION_JPEG) {
        TIFFSetField(tif, TIFFTAG_JPEGQUALITY, 95);
        if (f->jpeg_rgb)
            TIFFSetField(tif, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB);
    }
    if (f->cmap)
        assert_true(TIFFSetField(tif, TIFFTAG_COLORMAP, f->cmap, f->cmap + (1 << f->bps),
                                 f->cmap + 2 * (1 << f->bps)));
    if (f->extra >= 0) {
        uint16_t ex[1] = {(uint16_t)f->extra};
        assert_true(TIFFSetField(tif, TIFFTAG_EXTRASAMPLES, 1, ex));
    }
    if (f->orientation)
        assert_true(TIFFSetField(tif, TIFFTAG_ORIENTATION, f->orientation));
    if (f->resunit) {
        TIFFSetField(tif, TIFFTAG_XRESOLUTION, f->xres);
        TIFFSetField(tif, TIFFTAG_YRESOLUTION, f->yres);
        TIFFSetField(tif, TIFFTAG_RESOLUTIONUNIT, f->resunit);
    }
    bool sep = f->planar == PLANARCONFIG_SEPARATE;
    int nplanes = sep ? f->spp : 1;
    if (f->tw) {
        assert_true(TIFFSetField(tif, TIFFTAG_TILEWIDTH, (uint32_t)f->tw));
        assert_true(TIFFSetField(tif, TIFFTAG_TILELENGTH, (uint32_t)f->th));
        size_t rowb = ((size_t)f->tw * (size_t)(sep ? 1 : f->spp) * (size_t)f->bps + 7) / 8;
        uint8_t *tile = calloc(rowb, (size_t)f->th);
        for (int p = 0; p < nplanes; p++)
            for (int ty = 0; ty < f->h; ty += f->th)
                for (int tx = 0; tx < f->w; tx += f->tw) {
                    memset(tile, 0, rowb * (size_t)f->th);
                    for (int k = 0; k < f->th; k++)
                        fx_tiff_pack(f, ty + k < f->h ? ty + k : f->h - 1, p, tx, f->tw,
                                     tile + (size_t)k * rowb);
                    assert_true(TIFFWriteTile(tif, tile, (uint32_t)tx, (uint32_t)ty, 0,
                                              (uint16_t)p) > 0);
                }
        free(tile);
    } else {
        assert_true(TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, (uint32_t)(f->rps ? f->rps : f->h)));
        size_t rowb = ((size_t)f->w * (size_t)(sep ? 1 : f->spp) * (size_t)f->bps + 7) / 8;
        uint8_t *row = calloc(1, rowb + 8);
        for (int p = 0; p < nplanes; p++)
            for (int y = 0; y < f->h; y++) {
                fx_tiff_pack(f, y, p, 0, f->w, row);
                assert_true(TIFFWriteScanline(tif, row, (uint32_t)y, (uint16_t)p) >= 0);
            }
        free(row);
    }
    assert_true(TIFFWriteDirectory(tif));
}

static FX_UNUSED void fx_write_tiff(const char *path, const fx_tiff *pages, int npages)
{
    TIFF *tif = TIFFOpen(path, "w");
    assert_non_null(tif);
    for (int i = 0; i < npages; i++)
        fx_tiff_page(tif, &pages[i]);
    TIFFClose(tif);
}

#endif
