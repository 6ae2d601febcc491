/* jpeg_fixture.h - JPEG fixtures written straight through libjpeg for the
 * io tests (any colour space, Adobe marker or not, progressive, APP1). */
#ifndef DB_JPEG_FIXTURE_H
#define DB_JPEG_FIXTURE_H

#include "io_fixture.h"

#include <jpeglib.h>

typedef struct fx_jpeg {
    int w, h, comps;
    J_COLOR_SPACE in_space, file_space; /* file_space JCS_UNKNOWN: libjpeg default */
    bool adobe;                         /* keep libjpeg's Adobe marker (CMYK) */
    bool progressive;
    const uint8_t *pixels;              /* w*h*comps */
    int density_unit, xd, yd;
    const uint8_t *app1;
    size_t app1_len;
} fx_jpeg;

static FX_UNUSED void write_jpeg(const char *path, const fx_jpeg *f)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr err;
    c.err = jpeg_std_error(&err);
    jpeg_create_compress(&c);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    jpeg_stdio_dest(&c, fp);
    c.image_width = (JDIMENSION)f->w;
    c.image_height = (JDIMENSION)f->h;
    c.input_components = f->comps;
    c.in_color_space = f->in_space;
    jpeg_set_defaults(&c);
    if (f->file_space != JCS_UNKNOWN)
        jpeg_set_colorspace(&c, f->file_space);
    if (f->comps == 4)
        c.write_Adobe_marker = f->adobe;
    jpeg_set_quality(&c, 100, TRUE);
    if (f->progressive)
        jpeg_simple_progression(&c);
    for (int i = 0; i < c.num_components; i++) /* 4:4:4, so flat blocks stay flat */
        c.comp_info[i].h_samp_factor = c.comp_info[i].v_samp_factor = 1;
    c.density_unit = (UINT8)f->density_unit;
    c.X_density = (UINT16)(f->xd ? f->xd : 1);
    c.Y_density = (UINT16)(f->yd ? f->yd : 1);
    jpeg_start_compress(&c, TRUE);
    if (f->app1)
        jpeg_write_marker(&c, JPEG_APP0 + 1, f->app1, (unsigned)f->app1_len);
    for (int y = 0; y < f->h; y++) {
        JSAMPROW row = (JSAMPROW)(f->pixels + (size_t)y * (size_t)f->w * (size_t)f->comps);
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    fclose(fp);
}

#endif
