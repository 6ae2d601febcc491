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
