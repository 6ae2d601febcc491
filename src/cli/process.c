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

int cli_process_file(db_ctx *ctx, const cli_process_opts *o, const char *in, const char *out)
{
    int rc = -1;
    db_reader *reader = NULL;
    db_writer *writer = NULL;
    db_image page = {0}, mask = {0};
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
        if (db_reader_read(ctx, reader, p, &page) != 0 ||
            db_method_run(ctx, o->method, &page, &mask) != 0) {
            char what[32];
            snprintf(what, sizeof what, "page %d", p + 1);
            if (npages > 1)
                db_ctx_prefix_message(ctx, what);
            db_ctx_prefix_message(ctx, in);
            goto done;
        }
        if (db_writer_add(ctx, writer, &mask) != 0)
            goto done;
        if (o->verbose)
            fprintf(stderr, "docbin: %s: page %d: %dx%d %s, %g x %g dpi, %s, %.3f s\n", in,
                    p + 1, page.width, page.height, page.format == DB_RGB8 ? "colour" : "gray",
                    page.xdpi, page.ydpi, o->method->info->name, now_seconds() - t0);
    }
    if (db_writer_commit(ctx, writer) != 0)
        goto done;
    rc = 0;
done:
    db_writer_free(writer); /* removes the temporary file unless committed */
    db_reader_close(reader);
    db_image_free(&page);
    db_image_free(&mask);
    return rc;
}
