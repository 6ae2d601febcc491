/* io_pnm.c - Netpbm PBM/PGM/PPM, plain (P1-P3) and raw (P4-P6), maxval up to
 * 65535 (scaled to 8 bits with rounding); PBM 1 = black becomes gray 0.
 * Writes raw P4 (1-bit), P5 (gray) and P6 (rgb). PNM has no resolution. */
#include "io_internal.h"

#include <string.h>

typedef struct pnm_in {
    const uint8_t *p, *end;
} pnm_in;

static bool is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static void skip_space(pnm_in *in)
{
    while (in->p < in->end) {
        if (*in->p == '#') {
            while (in->p < in->end && *in->p != '\n' && *in->p != '\r')
                in->p++;
        } else if (is_space(*in->p)) {
            in->p++;
        } else {
            break;
        }
    }
}

/* An unsigned decimal after optional whitespace/comments; -1 at the end of the
 * data, -2 on a non-digit, -3 if over max. */
static long read_uint(pnm_in *in, long max)
{
    skip_space(in);
    if (in->p >= in->end)
        return -1;
    if (*in->p < '0' || *in->p > '9')
        return -2;
    long v = 0;
    while (in->p < in->end && *in->p >= '0' && *in->p <= '9') {
        v = v * 10 + (*in->p++ - '0');
        if (v > max)
            return -3;
    }
    return v;
}

static int header_field(db_ctx *ctx, pnm_in *in, const char *what, long max, long *out)
{
    long v = read_uint(in, max);
    if (v == -1)
        return db_fail(ctx, DB_ECORRUPT, "pnm: truncated header (no %s)", what);
    if (v == -2)
        return db_fail(ctx, DB_EFORMAT, "pnm: malformed header (bad %s)", what);
    if (v == -3)
        return db_fail(ctx, DB_ETOOBIG, "pnm: %s too large", what);
    *out = v;
    return 0;
}

int io_pnm_read(db_ctx *ctx, db_reader *r, db_image *out)
{
    pnm_in in = {r->data + 2, r->data + r->size};
    int kind = r->data[1] - '0';
    bool raw = kind >= 4, bits = kind == 1 || kind == 4, color = kind == 3 || kind == 6;
    long w, h, maxval = 1;
    DB_TRY(header_field(ctx, &in, "width", 1L << 30, &w));
    DB_TRY(header_field(ctx, &in, "height", 1L << 30, &h));
    if (!bits) {
        DB_TRY(header_field(ctx, &in, "maxval", 1L << 30, &maxval));
        if (maxval < 1 || maxval > 65535)
            return db_fail(ctx, DB_EUNSUPPORTED, "pnm: maxval %ld not in 1..65535", maxval);
    }
    DB_TRY(db_check_dimensions(ctx, "pnm", w, h));
    if (raw) { /* exactly one whitespace byte ends the header */
        if (in.p >= in.end)
            return db_fail(ctx, DB_ECORRUPT, "pnm: truncated (no pixel data)");
        if (!is_space(*in.p))
            return db_fail(ctx, DB_EFORMAT, "pnm: malformed header");
        in.p++;
    }
    int nch = color ? 3 : 1, bps = maxval > 255 ? 2 : 1;
    size_t rowbytes = bits ? ((size_t)w + 7) / 8 : (size_t)w * (size_t)nch * (size_t)bps;
    if (raw) {
        /* Refuse a lying header before allocating: the data must be there. */
        size_t need;
        if (!db_mul_size(rowbytes, (size_t)h, &need) || need > (size_t)(in.end - in.p))
            return db_fail(ctx, DB_ECORRUPT, "pnm: truncated (header says %ldx%ld, %zu bytes "
                           "of pixels present)", w, h, (size_t)(in.end - in.p));
    } else {
        /* plain: at least one byte (a digit) per sample */
        size_t samples;
        if (!db_mul_size((size_t)w * (size_t)h, (size_t)nch, &samples) ||
            samples > (size_t)(in.end - in.p))
            return db_fail(ctx, DB_ECORRUPT, "pnm: truncated (header says %ldx%ld)", w, h);
    }
    DB_TRY(db_image_ensure(ctx, out, (int)w, (int)h, color ? DB_RGB8 : DB_GRAY8));
    out->xdpi = out->ydpi = 0;
    size_t nsamp = (size_t)w * (size_t)nch;
    for (long y = 0; y < h; y++) {
        uint8_t *d = db_image_row(out, (int)y);
        if (raw && bits) {
            io_expand_bits(in.p, d, (int)w, true); /* PBM: 1 = black */
            in.p += rowbytes;
        } else if (raw) {
            const uint8_t *s = in.p;
            if (bps == 1 && maxval == 255) {
                memcpy(d, s, nsamp);
            } else {
                for (size_t i = 0; i < nsamp; i++) {
                    unsigned v = bps == 2 ? (unsigned)s[2 * i] << 8 | s[2 * i + 1] : s[i];
                    if (v > (unsigned)maxval)
                        v = (unsigned)maxval;
                    d[i] = (uint8_t)((v * 255u + (unsigned)maxval / 2) / (unsigned)maxval);
                }
            }
            in.p += rowbytes;
        } else {
            for (size_t i = 0; i < nsamp; i++) {
                long v;
                if (bits) { /* P1 digits need no separators */
                    skip_space(&in);
                    if (in.p >= in.end)
                        v = -1;
                    else if (*in.p == '0' || *in.p == '1')
                        v = *in.p++ - '0';
                    else
                        v = -2;
                } else {
                    v = read_uint(&in, maxval);
                }
                if (v == -1)
                    return db_fail(ctx, DB_ECORRUPT, "pnm: truncated at row %ld", y + 1);
                if (v < 0)
                    return db_fail(ctx, DB_ECORRUPT, "pnm: bad sample at row %ld", y + 1);
                d[i] = bits ? (v ? 0 : 255)
                            : (uint8_t)(((unsigned long)v * 255u + (unsigned long)maxval / 2) /
                                        (unsigned long)maxval);
            }
        }
    }
    return 0;
}

int io_pnm_write(db_ctx *ctx, io_sink *s, const db_image *img)
{
    char head[64];
    int kind = img->format == DB_BIT1 ? 4 : img->format == DB_GRAY8 ? 5 : 6;
    int n = kind == 4 ? snprintf(head, sizeof head, "P4\n%d %d\n", img->width, img->height)
                      : snprintf(head, sizeof head, "P%d\n%d %d\n255\n", kind, img->width,
                                 img->height);
    if (io_sink_write(s, head, (size_t)n))
        return io_sink_fail(s);
    size_t rowbytes = db_format_row_bytes(img->format, img->width);
    uint8_t *row = NULL;
    if (kind == 4) {
        rowbytes = ((size_t)img->width + 7) / 8;
        if (!(row = db_malloc(ctx, rowbytes)))
            return DB_ENOMEM;
    }
    for (int y = 0; y < img->height; y++) {
        const uint8_t *src = db_image_row(img, y);
        if (row) {
            io_pack_bits(img, y, row, 1); /* PBM: 1 = black = ink */
            src = row;
        }
        if (io_sink_write(s, src, rowbytes)) {
            db_free(row);
            return io_sink_fail(s);
        }
    }
    db_free(row);
    return 0;
}
