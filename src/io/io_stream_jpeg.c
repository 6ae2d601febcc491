/* io_stream_jpeg.c - JPEG rows for the row-streaming reader (io_stream.h):
 * baseline files, upright (EXIF orientation 1), scanline by scanline from
 * the file with the colour spaces, damage rules and memory cap of io_jpeg.c;
 * progressive and turned files go to the whole-page reader. */
#include "io_stream.h"

#include <limits.h>
#include <setjmp.h>
#include <string.h>
/* jpeglib.h needs stdio.h (FILE) first, included by io_internal.h */
#include <jerror.h>
#include <jpeglib.h>

/* ---- JPEG (baseline, upright): the decoder settings of io_jpeg.c ---- */

struct rr_jpeg {
    struct jpeg_error_mgr pub; /* first: cinfo.err points here */
    jmp_buf jb;
    db_row_reader *r;
    int code;
    char msg[JMSG_LENGTH_MAX];
    struct jpeg_decompress_struct cinfo;
    bool created, cmyk;
};

static void rj_fatal(j_common_ptr cinfo)
{
    rr_jpeg *j = (rr_jpeg *)(void *)cinfo->err;
    if (!j->msg[0]) {
        (*cinfo->err->format_message)(cinfo, j->msg);
        io_one_line(j->msg);
        switch (cinfo->err->msg_code) {
        case JERR_OUT_OF_MEMORY: j->code = DB_ENOMEM; break;
        case JERR_NO_BACKING_STORE: j->code = DB_ETOOBIG; break;
        case JERR_BAD_PRECISION:
        case JERR_NOTIMPL:
        case JERR_CONVERSION_NOTIMPL: j->code = DB_EUNSUPPORTED; break;
        case JERR_NO_SOI:
        case JERR_EMPTY_IMAGE: j->code = DB_EFORMAT; break;
        case JERR_IMAGE_TOO_BIG: j->code = DB_ETOOBIG; break;
        default: j->code = DB_ECORRUPT;
        }
    }
    longjmp(j->jb, 1);
}

/* Damaged data is an error, as in io_jpeg.c's jpeg_message. */
static void rj_message(j_common_ptr cinfo, int level)
{
    if (level >= 0)
        return;
    rr_jpeg *j = (rr_jpeg *)(void *)cinfo->err;
    char m[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, m);
    io_one_line(m);
    int code = cinfo->err->msg_code;
    bool damaged = code == JWRN_HIT_MARKER || code == JWRN_HUFF_BAD_CODE ||
                   code == JWRN_MUST_RESYNC || code == JWRN_NOT_SEQUENTIAL ||
                   code == JWRN_BOGUS_PROGRESSION ||
                   (strncmp(m, "Corrupt JPEG data", 17) == 0 && code != JWRN_EXTRANEOUS_DATA &&
                    code != JWRN_BOGUS_ICC);
    if (damaged)
        rj_fatal(cinfo);
    else
        db_warn(j->r->ctx, "libjpeg: %s", m);
}

static int rj_failed(rr_jpeg *j)
{
    db_ctx *ctx = j->r->ctx;
    if (db_ctx_code(ctx))
        return db_ctx_code(ctx);
    return db_fail(ctx, j->code ? j->code : DB_ECORRUPT, "jpeg: %s",
                   j->msg[0] ? j->msg : "decoding failed");
}

/* True when an APP1 Exif marker holds an Orientation other than 1 (such
 * pages are turned by the whole-page reader). */
static bool rj_turned(j_decompress_ptr cinfo)
{
    for (jpeg_saved_marker_ptr m = cinfo->marker_list; m; m = m->next) {
        if (m->marker != JPEG_APP0 + 1 || m->data_length < 14 ||
            memcmp(m->data, "Exif\0\0", 6) != 0)
            continue;
        const uint8_t *t = m->data + 6;
        size_t n = m->data_length - 6;
        bool le = t[0] == 'I' && t[1] == 'I';
        if (!le && !(t[0] == 'M' && t[1] == 'M'))
            return false;
#define RD16(p) (le ? (unsigned)(p)[0] | (unsigned)(p)[1] << 8 : (unsigned)(p)[0] << 8 | (p)[1])
        if (RD16(t + 2) != 42)
            return false;
        uint32_t ifd = le ? (uint32_t)t[4] | (uint32_t)t[5] << 8 | (uint32_t)t[6] << 16 |
                                (uint32_t)t[7] << 24
                          : (uint32_t)t[4] << 24 | (uint32_t)t[5] << 16 | (uint32_t)t[6] << 8 |
                                (uint32_t)t[7];
        if (ifd > n || n - ifd < 2)
            return false;
        unsigned count = RD16(t + ifd);
        for (unsigned i = 0; i < count; i++) {
            size_t e = (size_t)ifd + 2 + 12 * (size_t)i;
            if (e + 12 > n)
                return false;
            if (RD16(t + e) == 0x0112 && RD16(t + e + 2) == 3) {
                unsigned v = RD16(t + e + 8);
                return v >= 2 && v <= 8;
            }
        }
#undef RD16
        return false;
    }
    return false;
}

static int rj_setup(db_ctx *ctx, db_row_reader *r, rr_jpeg *j)
{
    j_decompress_ptr cinfo = &j->cinfo;
    jpeg_stdio_src(cinfo, r->f);
    jpeg_save_markers(cinfo, JPEG_APP0 + 1, 0xFFFF);
    jpeg_read_header(cinfo, TRUE);
    DB_TRY(db_check_dimensions(ctx, "jpeg", cinfo->image_width, cinfo->image_height));
    /* progressive files keep every coefficient in libjpeg anyway, and their
     * truncation check needs the whole decode */
    if (cinfo->progressive_mode || rj_turned(cinfo))
        return 1;
    switch (cinfo->jpeg_color_space) {
    case JCS_GRAYSCALE: cinfo->out_color_space = JCS_GRAYSCALE; break;
    case JCS_YCbCr:
    case JCS_RGB: cinfo->out_color_space = JCS_RGB; break;
    case JCS_CMYK:
    case JCS_YCCK:
        cinfo->out_color_space = JCS_CMYK;
        j->cmyk = true;
        break;
    default: return 1; /* io_jpeg.c words it */
    }
    double xdpi = 0, ydpi = 0;
    if (cinfo->saw_JFIF_marker && cinfo->X_density && cinfo->Y_density &&
        (cinfo->density_unit == 1 || cinfo->density_unit == 2)) {
        double f = cinfo->density_unit == 2 ? 2.54 : 1.0;
        xdpi = io_dpi_round(cinfo->X_density * f);
        ydpi = io_dpi_round(cinfo->Y_density * f);
    }
    jpeg_start_decompress(cinfo);
    r->info.width = (int)cinfo->output_width;
    r->info.height = (int)cinfo->output_height;
    r->info.format = cinfo->out_color_space == JCS_GRAYSCALE ? DB_GRAY8 : DB_RGB8;
    r->info.xdpi = xdpi;
    r->info.ydpi = ydpi;
    r->info.npages = 1;
    if (j->cmyk && !(r->row = db_malloc(ctx, 4 * (size_t)r->info.width)))
        return DB_ENOMEM;
    return 0;
}

/* 0 streaming, 1 for the whole-page reader, < 0 error. */
int io_stream_jpeg_open(db_ctx *ctx, db_row_reader *r)
{
    rr_jpeg *j = db_calloc(ctx, 1, sizeof *j);
    if (!j)
        return DB_ENOMEM;
    r->jpeg = j;
    j->r = r;
    jpeg_std_error(&j->pub);
    j->pub.error_exit = rj_fatal;
    j->pub.emit_message = rj_message;
    j->cinfo.err = &j->pub;
    if (setjmp(j->jb))
        return rj_failed(j);
    jpeg_create_decompress(&j->cinfo);
    j->created = true;
    /* the pool cap of io_jpeg.c */
    uint64_t lim = db_ctx_pixel_limit(ctx);
    lim = lim > ((uint64_t)1 << 40) ? (uint64_t)1 << 43 : lim * 8 + ((uint64_t)64 << 20);
    j->cinfo.mem->max_memory_to_use = lim > (uint64_t)LONG_MAX ? LONG_MAX : (long)lim;
    return rj_setup(ctx, r, j);
}

int io_stream_jpeg_read(db_ctx *ctx, db_row_reader *r, int n, db_image *dst, int y0)
{
    rr_jpeg *j = r->jpeg;
    j_decompress_ptr cinfo = &j->cinfo;
    if (setjmp(j->jb))
        return rj_failed(j);
    int end = r->next + n;
    for (; r->next < end; r->next++) {
        uint8_t *d = db_image_row(dst, y0 + n - (end - r->next));
        JSAMPROW row = j->cmyk ? r->row : d;
        if (jpeg_read_scanlines(cinfo, &row, 1) != 1)
            return db_fail(ctx, DB_ECORRUPT, "jpeg: no progress at row %d", r->next);
        if (j->cmyk)
            io_cmyk_to_rgb(r->row, d, r->info.width, cinfo->saw_Adobe_marker);
    }
    if (r->next == r->info.height)
        jpeg_finish_decompress(cinfo);
    return 0;
}

void io_stream_jpeg_free(db_row_reader *r)
{
    if (r->jpeg && r->jpeg->created)
        jpeg_destroy_decompress(&r->jpeg->cinfo);
    db_free(r->jpeg);
    r->jpeg = NULL;
}
