/* process.c - one input file through the pipeline: read every selected page,
 * binarize, write atomically. Shared by `docbin IN OUT` and `docbin batch`;
 * it prints nothing except the optional verbose line: failures are left in
 * the ctx, prefixed with the file (and page) name, for the caller to report. */
#include "cli.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* One decoded page: drop-colour (the method then sees the gray page without
 * the coloured ink, and clean-gray keeps that page's levels), binarize, and
 * the clean output when asked. 0 or a DB_E* code with the reason in ctx. */
static int run_page(db_ctx *ctx, const cli_process_opts *o, const db_clean_options *copts,
                    const db_image *page, db_image *seen, db_image *mask, db_image *clean)
{
    const db_image *in = page;
    if (o->drop_hues && page->format == DB_RGB8) {
        db_drop_color_options d;
        db_drop_color_options_defaults(&d);
        d.hues = o->drop_hues;
        int rc = db_drop_color(ctx, page, &d, seen, NULL);
        if (rc != 0)
            return rc;
        in = seen;
    }
    int rc = db_method_run(ctx, o->method, in, mask);
    if (rc == 0 && o->output == DB_OUTPUT_CLEAN_GRAY)
        rc = db_clean_gray(ctx, in, mask, copts, clean);
    if (rc == 0 && o->output == DB_OUTPUT_CLEAN_COLOR)
        rc = db_clean_color(ctx, page, mask, copts, clean);
    return rc;
}

/* Strip mode (src/pipeline/strips.c): one page read, binarized and written
 * in bands, so a huge page costs a few bands of memory. Taken when the method
 * and output allow it, the file streams (db_row_reader_probe), and the page
 * is over CLI_STRIP_AUTO_PIXELS or --strip-rows asks. Returns 1 when not
 * taken (the whole-page route then runs, and words any header error), 0
 * done, -1 failed with the reason in ctx. */
static int process_strips(db_ctx *ctx, const cli_process_opts *o, const char *in, const char *out)
{
    if (o->strip_rows < 0 || !db_method_strips(o->method) || o->output != DB_OUTPUT_MASK ||
        o->save_maps || o->wopts.format == DB_FILE_JPEG || strcmp(in, "-") == 0 ||
        strcmp(out, "-") == 0)
        return 1;
    int page = o->page ? (int)o->page - 1 : 0;
    db_row_info info;
    if (db_row_reader_probe(ctx, in, page, &info) != 0) {
        db_ctx_clear_error(ctx);
        return 1;
    }
    bool big = (uint64_t)info.width * (uint64_t)info.height > CLI_STRIP_AUTO_PIXELS;
    if (!info.streams || (o->strip_rows == 0 && !big) || (info.npages > 1 && !o->page))
        return 1;
    double t0 = now_seconds();
    db_writer *writer = NULL;
    if (db_writer_open(ctx, out, &o->wopts, &writer) != 0)
        return -1;
    db_drop_color_options drop;
    db_drop_color_options_defaults(&drop);
    drop.hues = o->drop_hues;
    db_strip_options so = {.band_rows = o->strip_rows > 0 ? (int)o->strip_rows : 0,
                           .drop = o->drop_hues ? &drop : NULL};
    int rc = db_strips_run(ctx, o->method, in, page, &so, writer);
    if (rc == 0)
        rc = db_writer_commit(ctx, writer);
    db_writer_free(writer); /* removes the temporary file unless committed */
    if (rc != 0) {
        /* reader and writer messages name their file; a method's does not */
        const char *m = db_ctx_message(ctx);
        if (strncmp(m, in, strlen(in)) != 0 && strncmp(m, out, strlen(out)) != 0)
            db_ctx_prefix_message(ctx, in);
        return -1;
    }
    if (o->verbose)
        fprintf(stderr, "docbin: %s: page %d: %dx%d %s, %g x %g dpi, %s, strips, %.3f s\n", in,
                page + 1, info.width, info.height, info.format == DB_RGB8 ? "colour" : "gray",
                info.xdpi, info.ydpi, o->method->info->name, now_seconds() - t0);
    return 0;
}

void cli_page_buffers_free(cli_page_buffers *b)
{
    db_image_free(&b->page);
    db_image_free(&b->mask);
    db_image_free(&b->seen);
    db_image_free(&b->clean);
}

int cli_process_file(db_ctx *ctx, const cli_process_opts *o, const char *in, const char *out,
                     cli_page_buffers *reuse)
{
    int rc = -1;
    db_reader *reader = NULL;
    db_writer *writer = NULL;
    cli_page_buffers local = {0}, *b = reuse ? reuse : &local;
    db_image *page = &b->page, *mask = &b->mask, *seen = &b->seen, *clean = &b->clean;
    db_clean_options copts = o->clean;
    if (copts.block == 0) /* not filled in by the caller */
        db_clean_options_defaults(&copts);
    int srv = process_strips(ctx, o, in, out);
    if (srv <= 0)
        return srv;
    if (db_reader_open(ctx, in, &reader) != 0)
        goto done;
    int npages = db_reader_page_count(reader);
    int first = 0, last = npages - 1;
    if (o->page) {
        if (o->page > npages) {
            db_fail(ctx, DB_EINVAL, "%s: --page %ld but the file has %d page%s", in,
                           o->page, npages, npages == 1 ? "" : "s");
            goto done;
        }
        first = last = (int)o->page - 1;
    } else if (npages > 1 && o->wopts.format != DB_FILE_TIFF) {
        db_fail(ctx, DB_EINVAL,
                       "%s: %d pages, but %s holds one: write a .tif or pick one with --page",
                       in, npages, db_file_format_name(o->wopts.format));
        goto done;
    }
    if (db_writer_open(ctx, out, &o->wopts, &writer) != 0)
        goto done;
    for (int p = first; p <= last; p++) {
        double t0 = now_seconds();
        if (db_reader_read(ctx, reader, p, page) != 0)
            goto done; /* the reader names the file and page itself */
        if (run_page(ctx, o, &copts, page, seen, mask, clean) != 0) {
            char what[32];
            snprintf(what, sizeof what, "page %d", p + 1);
            if (npages > 1)
                db_ctx_prefix_message(ctx, what);
            db_ctx_prefix_message(ctx, in);
            goto done;
        }
        if (o->save_maps &&
            cli_save_maps(ctx, o->method, o->drop_hues && page->format == DB_RGB8 ? seen : page,
                          o->save_maps, p, last - first + 1,
                          (o->wopts.flags & DB_WRITE_OVERWRITE) != 0) != 0) {
            db_ctx_prefix_message(ctx, "--save-maps");
            goto done;
        }
        if (db_writer_add(ctx, writer, o->output == DB_OUTPUT_MASK ? mask : clean) != 0)
            goto done;
        if (o->verbose)
            fprintf(stderr, "docbin: %s: page %d: %dx%d %s, %g x %g dpi, %s, %.3f s\n", in,
                    p + 1, page->width, page->height, page->format == DB_RGB8 ? "colour" : "gray",
                    page->xdpi, page->ydpi, o->method->info->name, now_seconds() - t0);
    }
    if (db_writer_commit(ctx, writer) != 0)
        goto done;
    rc = 0;
done:
    db_writer_free(writer); /* removes the temporary file unless committed */
    db_reader_close(reader);
    cli_page_buffers_free(&local);
    return rc;
}
