/* strips.c - strip mode: a page binarized band by band, from a row-streaming
 * reader (src/io/io_stream_read.c) to a row-streaming writer
 * (src/io/io_stream_write.c), so memory is a few bands whatever the page
 * height. Each band holds its centre rows plus the method's halo of context
 * rows above and below (clipped at the page's true top and bottom), and only
 * the centre rows of the method's output are written: for a method whose
 * pixel depends on the rows within halo of it, the result is the whole-page
 * result. Methods with page statistics (histogram, wolf's Rmax) get a first
 * pass that reads the file once more. The descriptors: classic/strips.c. */
#include "classic/classic.h"
#include "db_internal.h"

#include <string.h>

typedef struct strip_run {
    db_ctx *ctx;
    const db_method *method;
    const db_strip_info *si;
    const db_strip_options *opts;
    const char *path;
    int page;
    db_row_info info;
    int halo, band;
    db_image raw;  /* rows as decoded (GRAY8 or RGB8), up to band rows */
    db_image gray; /* raw rows as the method sees them */
    db_image buf;  /* band + 2 halo rows of gray: page rows [lo, hi) */
    db_image bits; /* the method's output for one band */
} strip_run;

/* Centre rows per band: about 16 MiB of gray, at least 64 rows, and at least
 * twice the halo so that no band costs more than twice its rows. */
static int band_rows(const strip_run *S)
{
    int b = S->opts && S->opts->band_rows > 0 ? S->opts->band_rows
                                               : (int)((16u << 20) / (unsigned)S->info.width);
    if (!(S->opts && S->opts->band_rows > 0)) {
        if (b < 64)
            b = 64;
        if (b < 2 * S->halo)
            b = 2 * S->halo;
    }
    return b < S->info.height ? b : S->info.height;
}

/* Appends the next n page rows, as the method sees them, at buf row `at`. */
static int load_rows(strip_run *S, db_row_reader *rr, int n, int at)
{
    db_ctx *ctx = S->ctx;
    bool convert = S->info.format == DB_RGB8;
    if (!convert) { /* gray: straight into the band buffer */
        return db_row_reader_read(ctx, rr, n, &S->buf, at);
    }
    DB_TRY(db_row_reader_read(ctx, rr, n, &S->raw, 0));
    db_image v = S->raw;
    v.height = n;
    if (S->opts && S->opts->drop)
        DB_TRY(db_drop_color(ctx, &v, S->opts->drop, &S->gray, NULL));
    else
        DB_TRY(db_image_to_gray(ctx, &v, &S->gray));
    size_t bytes = (size_t)S->info.width;
    for (int k = 0; k < n; k++)
        memcpy(db_image_row(&S->buf, at + k), db_image_row(&S->gray, k), bytes);
    return 0;
}

/* One pass over the page: with writer NULL the first pass (histogram, scan),
 * else the binarization written row by row. */
static int run_pass(strip_run *S, db_page_stats *stats, db_writer *writer)
{
    db_ctx *ctx = S->ctx;
    const db_method_info *info = S->method->info;
    db_row_reader *rr;
    DB_TRY(db_row_reader_open(ctx, S->path, S->page, &rr));
    db_row_info now;
    db_row_reader_info(rr, &now);
    int rc = 0;
    if (now.width != S->info.width || now.height != S->info.height ||
        now.format != S->info.format)
        rc = db_fail(ctx, DB_EIO, "%s: the file changed between passes", S->path);
    int H = S->info.height, B = S->band, h = S->halo;
    int lo = 0, hi = 0; /* buf holds page rows [lo, hi) */
    for (int c0 = 0; rc == 0 && c0 < H; c0 += B) {
        int c1 = c0 + B < H ? c0 + B : H;
        int nlo = c0 - h > 0 ? c0 - h : 0, nhi = c1 + h < H ? c1 + h : H;
        if (nlo > lo) { /* keep the rows the next band shares */
            memmove(S->buf.data, db_image_row(&S->buf, nlo - lo),
                    (size_t)(hi - nlo) * S->buf.stride);
            lo = nlo;
        }
        while (rc == 0 && hi < nhi) {
            int n = nhi - hi < B ? nhi - hi : B;
            rc = load_rows(S, rr, n, hi - lo);
            hi += n;
        }
        if (rc != 0)
            break;
        db_image view = S->buf;
        view.height = hi - lo;
        view.xdpi = S->info.xdpi;
        view.ydpi = S->info.ydpi;
        if (!writer) {
            if (S->si->hist) {
                db_image centre = view;
                centre.data = db_image_row(&view, c0 - lo);
                centre.height = c1 - c0;
                uint64_t hist[256];
                db_gray_histogram(&centre, hist);
                for (int v = 0; v < 256; v++)
                    stats->hist[v] += hist[v];
            }
            if (S->si->scan)
                rc = S->si->scan(ctx, &view, c0 - lo, c1 - lo, S->method->values, &stats->acc);
        } else {
            rc = S->si->run ? S->si->run(ctx, &view, S->method->values, stats, &S->bits)
                            : info->run(ctx, &view, S->method->values, &S->bits);
            if (rc == 0 && (S->bits.format != DB_BIT1 || S->bits.width != view.width ||
                            S->bits.height != view.height))
                rc = db_fail(ctx, DB_EINVAL, "%s: band output of the wrong shape", info->name);
            if (rc == 0)
                rc = db_writer_add_rows(ctx, writer, &S->bits, c0 - lo, c1 - c0);
        }
        if (rc == 0 && db_ctx_canceled(ctx))
            rc = db_fail(ctx, DB_ECANCELED, "canceled");
    }
    db_row_reader_close(rr);
    return rc;
}

bool db_method_strips(const db_method *method)
{
    return method && method->info && method->info->strips && method->info->run &&
           !method->info->run_net && !method->info->wants_color;
}

static int strips_run(strip_run *S, db_writer *writer)
{
    db_ctx *ctx = S->ctx;
    db_row_reader *rr;
    DB_TRY(db_row_reader_open(ctx, S->path, S->page, &rr));
    db_row_reader_info(rr, &S->info);
    db_row_reader_close(rr);
    const db_strip_info *si = S->si;
    S->halo = si->halo ? si->halo(S->method->values, S->info.width) : 0;
    if (S->halo < 0)
        S->halo = 0;
    S->band = band_rows(S);
    int W = S->info.width, H = S->info.height;
    int cap = S->band + 2 * S->halo < H ? S->band + 2 * S->halo : H;
    DB_TRY(db_image_ensure(ctx, &S->buf, W, cap, DB_GRAY8));
    if (S->info.format == DB_RGB8)
        DB_TRY(db_image_ensure(ctx, &S->raw, W, S->band, DB_RGB8));
    db_page_stats stats;
    memset(&stats, 0, sizeof stats);
    if (si->hist || si->scan)
        DB_TRY(run_pass(S, &stats, NULL));
    DB_TRY(db_writer_begin_rows(ctx, writer, W, H, S->info.xdpi, S->info.ydpi));
    DB_TRY(run_pass(S, &stats, writer));
    return db_writer_end_rows(ctx, writer);
}

int db_strips_run(db_ctx *ctx, const db_method *method, const char *in_path, int page,
                  const db_strip_options *opts, db_writer *writer)
{
    if (!db_method_strips(method))
        return db_fail(ctx, DB_EINVAL, "%s: cannot run in strips (it needs the whole page)",
                       method && method->info ? method->info->name : "method");
    if (!in_path || !writer)
        return db_fail(ctx, DB_EINVAL, "strips: no input or writer");
    if (opts && opts->band_rows < 0)
        return db_fail(ctx, DB_EINVAL, "strips: band rows %d must be >= 0", opts->band_rows);
    strip_run S = {.ctx = ctx, .method = method, .si = method->info->strips, .opts = opts,
                   .path = in_path, .page = page};
    int rc = strips_run(&S, writer);
    db_image_free(&S.raw);
    db_image_free(&S.gray);
    db_image_free(&S.buf);
    db_image_free(&S.bits);
    return rc;
}
