/* io_jpeg.c - JPEG through libjpeg(-turbo): gray, YCbCr/RGB, CMYK/YCCK
 * (Adobe APP14 files store inverted CMYK) to GRAY8/RGB8, the EXIF orientation
 * (1-8) applied while decoding, JFIF density to DPI. Writes gray and RGB.
 * Errors longjmp back here; warnings that mean damaged pixels (truncation,
 * bad Huffman codes) are errors too, so a broken file never gives a page. */
#include "io_jpeg.h"

#include <limits.h>
#include <string.h>
#include <jerror.h>

#define MAX_SCANS 1000 /* progressive files with more scans are refused (CPU bombs) */

/* ---- shared with io_stream_jpeg.c (io_jpeg.h) ---- */

static void jpeg_fatal(j_common_ptr cinfo)
{
    io_jpeg_err *e = (io_jpeg_err *)(void *)cinfo->err;
    if (!e->msg[0]) {
        (*cinfo->err->format_message)(cinfo, e->msg);
        io_one_line(e->msg);
        switch (cinfo->err->msg_code) {
        case JERR_OUT_OF_MEMORY: e->code = DB_ENOMEM; break;
        case JERR_NO_BACKING_STORE: e->code = DB_ETOOBIG; break;
        case JERR_BAD_PRECISION:
        case JERR_NOTIMPL:
        case JERR_CONVERSION_NOTIMPL: e->code = DB_EUNSUPPORTED; break;
        case JERR_NO_SOI:
        case JERR_EMPTY_IMAGE: e->code = DB_EFORMAT; break;
        case JERR_IMAGE_TOO_BIG: e->code = DB_ETOOBIG; break;
        default: e->code = DB_ECORRUPT;
        }
    }
    longjmp(e->jb, 1);
}

static void jpeg_message(j_common_ptr cinfo, int level)
{
    if (level >= 0)
        return; /* trace messages */
    io_jpeg_err *e = (io_jpeg_err *)(void *)cinfo->err;
    char m[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, m);
    io_one_line(m);
    int code = cinfo->err->msg_code;
    /* Damaged data (also "bad arithmetic code", whose enum value depends on
     * the build): the rest of the page would be invented. Extraneous bytes
     * and a bad ICC marker leave the pixels intact. */
    bool damaged = code == JWRN_HIT_MARKER || code == JWRN_HUFF_BAD_CODE ||
                   code == JWRN_MUST_RESYNC ||
                   code == JWRN_NOT_SEQUENTIAL || code == JWRN_BOGUS_PROGRESSION ||
                   (strncmp(m, "Corrupt JPEG data", 17) == 0 && code != JWRN_EXTRANEOUS_DATA &&
                    code != JWRN_BOGUS_ICC);
    /* The end of the data was reached (libjpeg reads ahead, so this also
     * happens when only the EOI marker is missing). Missing entropy-coded
     * data shows up as JWRN_HIT_MARKER; missing progressive scans are
     * checked after decoding (jpeg_decode). */
    if (code == JWRN_JPEG_EOF)
        e->eof_seen = true;
    if (damaged)
        jpeg_fatal(cinfo);
    else
        db_warn(*e->ctx, "libjpeg: %s", m);
}

void io_jpeg_err_init(io_jpeg_err *e, db_ctx *const *ctx)
{
    e->ctx = ctx;
    jpeg_std_error(&e->pub);
    e->pub.error_exit = jpeg_fatal;
    e->pub.emit_message = jpeg_message;
}

int io_jpeg_failed(io_jpeg_err *e, io_sink *sink)
{
    db_ctx *ctx = *e->ctx;
    if (db_ctx_code(ctx))
        return db_ctx_code(ctx);
    if (sink && sink->err_no)
        return io_sink_fail(sink);
    return db_fail(ctx, e->code ? e->code : DB_ECORRUPT, "jpeg: %s",
                   e->msg[0] ? e->msg : "decoding failed");
}

void io_jpeg_limit_memory(db_ctx *ctx, j_decompress_ptr cinfo)
{
    uint64_t lim = db_ctx_pixel_limit(ctx);
    lim = lim > ((uint64_t)1 << 40) ? (uint64_t)1 << 43 : lim * 8 + ((uint64_t)64 << 20);
    cinfo->mem->max_memory_to_use = lim > (uint64_t)LONG_MAX ? LONG_MAX : (long)lim;
}

int io_jpeg_read_header(db_ctx *ctx, j_decompress_ptr cinfo)
{
    jpeg_save_markers(cinfo, JPEG_APP0 + 1, 0xFFFF);
    jpeg_read_header(cinfo, TRUE);
    return db_check_dimensions(ctx, "jpeg", cinfo->image_width, cinfo->image_height);
}

bool io_jpeg_set_out_color(j_decompress_ptr cinfo, bool *cmyk)
{
    *cmyk = false;
    switch (cinfo->jpeg_color_space) {
    case JCS_GRAYSCALE: cinfo->out_color_space = JCS_GRAYSCALE; return true;
    case JCS_YCbCr:
    case JCS_RGB: cinfo->out_color_space = JCS_RGB; return true;
    case JCS_CMYK:
    case JCS_YCCK:
        cinfo->out_color_space = JCS_CMYK;
        *cmyk = true;
        return true;
    default: return false;
    }
}

static unsigned rd16(const uint8_t *p, bool le) { return le ? p[0] | p[1] << 8 : p[0] << 8 | p[1]; }
static uint32_t rd32(const uint8_t *p, bool le)
{
    return le ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24
              : (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

int io_jpeg_orientation(j_decompress_ptr cinfo)
{
    for (jpeg_saved_marker_ptr m = cinfo->marker_list; m; m = m->next) {
        if (m->marker != JPEG_APP0 + 1 || m->data_length < 14 ||
            memcmp(m->data, "Exif\0\0", 6) != 0)
            continue;
        const uint8_t *t = m->data + 6;
        size_t n = m->data_length - 6;
        bool le = t[0] == 'I' && t[1] == 'I';
        if (!le && !(t[0] == 'M' && t[1] == 'M'))
            return 1;
        if (rd16(t + 2, le) != 42)
            return 1;
        uint32_t ifd = rd32(t + 4, le);
        if (ifd > n || n - ifd < 2)
            return 1;
        unsigned count = rd16(t + ifd, le);
        for (unsigned i = 0; i < count; i++) {
            size_t e = (size_t)ifd + 2 + 12 * (size_t)i;
            if (e + 12 > n)
                return 1;
            if (rd16(t + e, le) == 0x0112 && rd16(t + e + 2, le) == 3) {
                unsigned v = rd16(t + e + 8, le);
                return v >= 1 && v <= 8 ? (int)v : 1;
            }
        }
        return 1;
    }
    return 1;
}

void io_jpeg_density(j_decompress_ptr cinfo, double *xdpi, double *ydpi)
{
    *xdpi = *ydpi = 0;
    if (cinfo->saw_JFIF_marker && cinfo->X_density && cinfo->Y_density &&
        (cinfo->density_unit == 1 || cinfo->density_unit == 2)) {
        double f = cinfo->density_unit == 2 ? 2.54 : 1.0;
        *xdpi = io_dpi_round(cinfo->X_density * f);
        *ydpi = io_dpi_round(cinfo->Y_density * f);
    }
}

/* ---- reading a whole page from memory ---- */

typedef struct jpeg_job {
    io_jpeg_err e; /* first: cinfo->err points here */
    db_ctx *ctx;
    struct jpeg_progress_mgr progress;
    uint8_t *row;
    io_sink *sink;
    uint8_t *outbuf;
} jpeg_job;

static void jpeg_progress(j_common_ptr cinfo)
{
    io_jpeg_err *e = (io_jpeg_err *)(void *)cinfo->err;
    if (cinfo->is_decompressor && ((j_decompress_ptr)cinfo)->input_scan_number > MAX_SCANS) {
        snprintf(e->msg, sizeof e->msg, "more than %d scans", MAX_SCANS);
        e->code = DB_ECORRUPT;
        longjmp(e->jb, 1);
    }
}

static void job_init(jpeg_job *job, db_ctx *ctx)
{
    memset(job, 0, sizeof *job);
    job->ctx = ctx;
    io_jpeg_err_init(&job->e, &job->ctx);
    job->progress.progress_monitor = jpeg_progress;
}

static int jpeg_decode(jpeg_job *job, j_decompress_ptr cinfo, db_reader *r, db_image *out)
{
    db_ctx *ctx = job->ctx;
    jpeg_mem_src(cinfo, r->data, (unsigned long)r->size);
    DB_TRY(io_jpeg_read_header(ctx, cinfo));
    bool cmyk;
    if (!io_jpeg_set_out_color(cinfo, &cmyk))
        return db_fail(ctx, DB_EUNSUPPORTED, "jpeg: colour space %d with %d components",
                       (int)cinfo->jpeg_color_space, cinfo->num_components);
    int orient = io_jpeg_orientation(cinfo);
    double xdpi, ydpi;
    io_jpeg_density(cinfo, &xdpi, &ydpi);
    jpeg_start_decompress(cinfo);
    int w = (int)cinfo->output_width, h = (int)cinfo->output_height;
    bool gray = cinfo->out_color_space == JCS_GRAYSCALE;
    int ch = gray ? 1 : 3;
    bool swap = orient >= 5;
    DB_TRY(db_image_ensure(ctx, out, swap ? h : w, swap ? w : h, gray ? DB_GRAY8 : DB_RGB8));
    out->xdpi = swap ? ydpi : xdpi;
    out->ydpi = swap ? xdpi : ydpi;
    bool direct = orient == 1 && !cmyk;
    if (!direct) {
        size_t n;
        if (!db_mul_size((size_t)w, (size_t)cinfo->output_components + 3, &n) ||
            !(job->row = db_malloc(ctx, n)))
            return DB_ENOMEM;
    }
    while (cinfo->output_scanline < cinfo->output_height) {
        int y = (int)cinfo->output_scanline;
        if (direct) {
            /* straight into the output rows, several at a time */
            JSAMPROW rows[16];
            int n = 0;
            for (; n < 16 && y + n < h; n++)
                rows[n] = db_image_row(out, y + n);
            if (jpeg_read_scanlines(cinfo, rows, (JDIMENSION)n) == 0)
                return db_fail(ctx, DB_ECORRUPT, "jpeg: no progress at row %d", y);
        } else {
            JSAMPROW row = job->row;
            if (jpeg_read_scanlines(cinfo, &row, 1) != 1)
                return db_fail(ctx, DB_ECORRUPT, "jpeg: no progress at row %d", y);
            const uint8_t *src = job->row;
            if (cmyk) /* in place: pixel x is read (4x..) before 3x.. is written */
                io_cmyk_to_rgb(job->row, job->row, w, cinfo->saw_Adobe_marker);
            io_place_row(src, y, w, h, ch, orient, out);
        }
        if ((y & 255) == 0 && db_ctx_canceled(ctx))
            return db_fail(ctx, DB_ECANCELED, "canceled");
    }
    if (job->e.eof_seen && cinfo->progressive_mode) {
        /* every coefficient bit of every component must have arrived */
        for (int c = 0; c < cinfo->num_components; c++)
            for (int k = 0; k < DCTSIZE2; k++)
                if (cinfo->coef_bits[c][k] != 0)
                    return db_fail(ctx, DB_ECORRUPT, "jpeg: truncated (progressive scans missing)");
    }
    jpeg_finish_decompress(cinfo);
    return 0;
}

int io_jpeg_read(db_ctx *ctx, db_reader *r, db_image *out)
{
    struct jpeg_decompress_struct cinfo;
    memset(&cinfo, 0, sizeof cinfo);
    jpeg_job job;
    job_init(&job, ctx);
    cinfo.err = &job.e.pub;
    int rc;
    if (setjmp(job.e.jb)) {
        rc = io_jpeg_failed(&job.e, NULL);
    } else {
        jpeg_create_decompress(&cinfo);
        cinfo.progress = &job.progress;
        io_jpeg_limit_memory(ctx, &cinfo);
        rc = jpeg_decode(&job, &cinfo, r, out);
    }
    jpeg_destroy_decompress(&cinfo);
    db_free(job.row);
    return rc;
}

/* ---- writing ---- */

#define OUTBUF 65536

static void dest_init(j_compress_ptr cinfo)
{
    jpeg_job *job = (jpeg_job *)(void *)cinfo->err;
    cinfo->dest->next_output_byte = job->outbuf;
    cinfo->dest->free_in_buffer = OUTBUF;
}

static boolean dest_empty(j_compress_ptr cinfo)
{
    jpeg_job *job = (jpeg_job *)(void *)cinfo->err;
    if (io_sink_write(job->sink, job->outbuf, OUTBUF))
        ERREXIT(cinfo, JERR_FILE_WRITE);
    cinfo->dest->next_output_byte = job->outbuf;
    cinfo->dest->free_in_buffer = OUTBUF;
    return TRUE;
}

static void dest_term(j_compress_ptr cinfo)
{
    jpeg_job *job = (jpeg_job *)(void *)cinfo->err;
    if (io_sink_write(job->sink, job->outbuf, OUTBUF - cinfo->dest->free_in_buffer))
        ERREXIT(cinfo, JERR_FILE_WRITE);
}

static int jpeg_encode(jpeg_job *job, j_compress_ptr cinfo, const db_image *img, int quality)
{
    struct jpeg_destination_mgr *dest =
        (*cinfo->mem->alloc_small)((j_common_ptr)cinfo, JPOOL_PERMANENT, sizeof *dest);
    dest->init_destination = dest_init;
    dest->empty_output_buffer = dest_empty;
    dest->term_destination = dest_term;
    cinfo->dest = dest;
    cinfo->image_width = (JDIMENSION)img->width;
    cinfo->image_height = (JDIMENSION)img->height;
    bool rgb = img->format == DB_RGB8;
    cinfo->input_components = rgb ? 3 : 1;
    cinfo->in_color_space = rgb ? JCS_RGB : JCS_GRAYSCALE;
    jpeg_set_defaults(cinfo);
    jpeg_set_quality(cinfo, quality, TRUE);
    if (img->xdpi > 0 && img->ydpi > 0 && img->xdpi < 65535.5 && img->ydpi < 65535.5) {
        cinfo->density_unit = 1;
        cinfo->X_density = (UINT16)(img->xdpi + 0.5);
        cinfo->Y_density = (UINT16)(img->ydpi + 0.5);
    } else {
        cinfo->density_unit = 0; /* aspect ratio only: resolution unknown */
        cinfo->X_density = cinfo->Y_density = 1;
    }
    if (img->format == DB_BIT1 && !(job->row = db_malloc(job->ctx, (size_t)img->width)))
        return DB_ENOMEM;
    jpeg_start_compress(cinfo, TRUE);
    for (int y = 0; y < img->height; y++) {
        JSAMPROW row = db_image_row(img, y);
        if (img->format == DB_BIT1) { /* a 1-bit page goes out as gray 0/255 */
            for (int x = 0; x < img->width; x++)
                job->row[x] = db_bit_get(img, x, y) ? 0 : 255;
            row = job->row;
        }
        jpeg_write_scanlines(cinfo, &row, 1);
    }
    jpeg_finish_compress(cinfo);
    return 0;
}

int io_jpeg_write(db_ctx *ctx, io_sink *s, const db_image *img, int quality)
{
    struct jpeg_compress_struct cinfo;
    memset(&cinfo, 0, sizeof cinfo);
    jpeg_job job;
    job_init(&job, ctx);
    job.sink = s;
    job.outbuf = db_malloc(ctx, OUTBUF);
    if (!job.outbuf)
        return DB_ENOMEM;
    cinfo.err = &job.e.pub;
    int rc;
    if (setjmp(job.e.jb)) {
        rc = io_jpeg_failed(&job.e, job.sink);
        if (rc == DB_ECORRUPT) /* nothing in our own data can be corrupt: libjpeg failed */
            rc = DB_EIO;
    } else {
        jpeg_create_compress(&cinfo);
        rc = jpeg_encode(&job, &cinfo, img, quality);
    }
    jpeg_destroy_compress(&cinfo);
    db_free(job.row);
    db_free(job.outbuf);
    return rc;
}
