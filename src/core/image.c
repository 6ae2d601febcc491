/* image.c - the db_image buffer: shape, reuse, copy and gray conversion. */
#include "db_internal.h"

#include <string.h>

_Static_assert(sizeof(uint64_t) == 8, "BIT1 rows are 64-bit words");

size_t db_format_row_bytes(db_format fmt, int width)
{
    size_t w = (size_t)(width > 0 ? width : 0);
    switch (fmt) {
    case DB_GRAY8: return w;
    case DB_RGB8: return 3 * w;
    case DB_F32: return 4 * w;
    case DB_BIT1: return ((w + 63) / 64) * 8;
    }
    return 0;
}

int db_image_ensure(db_ctx *ctx, db_image *img, int w, int h, db_format fmt)
{
    if (fmt < DB_GRAY8 || fmt > DB_BIT1)
        return db_fail(ctx, DB_EINVAL, "image: unknown format %d", (int)fmt);
    DB_TRY(db_check_dimensions(ctx, "image", w, h));
    size_t row = db_format_row_bytes(fmt, w);
    size_t stride, size;
    if (!db_add_size(row, 63, &stride))
        return db_fail(ctx, DB_ETOOBIG, "image: row of %d pixels overflows", w);
    stride &= ~(size_t)63;
    if (!db_mul_size(stride, (size_t)h, &size))
        return db_fail(ctx, DB_ETOOBIG, "image: %dx%d overflows", w, h);
    if (size > img->capacity || !img->data) {
        uint8_t *p = db_aligned_alloc(ctx, size);
        if (!p)
            return DB_ENOMEM;
        db_aligned_free(img->data);
        img->data = p;
        img->capacity = size;
    }
    img->width = w;
    img->height = h;
    img->format = fmt;
    img->stride = stride;
    return 0;
}

void db_image_clear(db_image *img)
{
    if (img->data)
        memset(img->data, 0, img->stride * (size_t)img->height);
}

void db_image_free(db_image *img)
{
    if (!img)
        return;
    db_aligned_free(img->data);
    memset(img, 0, sizeof *img);
}

int db_image_copy(db_ctx *ctx, const db_image *src, db_image *dst)
{
    if (src == dst)
        return 0;
    DB_TRY(db_image_ensure(ctx, dst, src->width, src->height, src->format));
    size_t row = db_format_row_bytes(src->format, src->width);
    for (int y = 0; y < src->height; y++) {
        memcpy(db_image_row(dst, y), db_image_row(src, y), row);
        memset(db_image_row(dst, y) + row, 0, dst->stride - row);
    }
    dst->xdpi = src->xdpi;
    dst->ydpi = src->ydpi;
    return 0;
}

int db_image_to_gray(db_ctx *ctx, const db_image *src, db_image *dst)
{
    if (src->format == DB_GRAY8)
        return db_image_copy(ctx, src, dst);
    if (src == dst)
        return db_fail(ctx, DB_EINVAL, "image: gray conversion cannot run in place");
    if (src->format != DB_RGB8 && src->format != DB_BIT1)
        return db_fail(ctx, DB_EINVAL, "image: cannot convert format %d to gray",
                       (int)src->format);
    DB_TRY(db_image_ensure(ctx, dst, src->width, src->height, DB_GRAY8));
    for (int y = 0; y < src->height; y++) {
        const uint8_t *s = db_image_row(src, y);
        uint8_t *d = db_image_row(dst, y);
        if (src->format == DB_RGB8) {
            for (int x = 0; x < src->width; x++, s += 3)
                d[x] = db_gray601(s[0], s[1], s[2]);
        } else {
            for (int x = 0; x < src->width; x++)
                d[x] = db_bit_get(src, x, y) ? 0 : 255;
        }
    }
    dst->xdpi = src->xdpi;
    dst->ydpi = src->ydpi;
    return 0;
}
