/* fuzz_loader.h - the body shared by the image-loader fuzzers (fuzz_png.c,
 * fuzz_jpeg.c, fuzz_tiff.c, fuzz_pnm.c): open the bytes as a file, decode
 * every page (at most 8) and read its pixels. Inputs of another format are skipped so each
 * fuzzer spends its time in one codec. The pixel limit (4 MP) keeps a lying
 * header from turning into a slow, legitimate allocation. */
#ifndef DB_FUZZ_LOADER_H
#define DB_FUZZ_LOADER_H

#include "docbin.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline int fuzz_loader_run(const uint8_t *data, size_t size, db_file_format want)
{
    db_ctx *ctx = NULL;
    if (db_ctx_create(NULL, &ctx) != 0)
        return 0;
    db_ctx_set_pixel_limit(ctx, (uint64_t)1 << 22);
    db_reader *r = NULL;
    if (db_reader_open_memory(ctx, data, size, "fuzz", &r) == 0 && db_reader_format(r) == want) {
        db_image page = {0}, gray = {0};
        int n = db_reader_page_count(r);
        for (int p = 0; p < n && p < 8; p++) {
            if (db_reader_read(ctx, r, p, &page) != 0) {
                db_ctx_clear_error(ctx);
                continue;
            }
            /* the decoded image must be well formed: gray to RGB conversion
             * reads every pixel row (ASan catches a short buffer) */
            if (db_image_to_gray(ctx, &page, &gray) != 0)
                db_ctx_clear_error(ctx);
        }
        db_image_free(&page);
        db_image_free(&gray);
    }
    db_reader_close(r);
    db_ctx_free(ctx);
    return 0;
}

#endif
