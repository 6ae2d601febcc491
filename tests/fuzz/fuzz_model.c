/* fuzz_model.c - libFuzzer entry for the .dbm model loader (nets/model.c):
 * load the bytes; a model that loads is also planned and run on a small page,
 * so a file the loader accepts can never crash the engine. Seeds in
 * corpus/model/ (a small valid model written by db_model_save_graph). */
#include "docbin.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    db_ctx *ctx = NULL;
    if (db_ctx_create(NULL, &ctx) != 0)
        return 0;
    db_model *m = NULL;
    db_model_info info;
    memset(&info, 0, sizeof info);
    if (db_model_load_memory(ctx, data, size, &m) == 0)
        db_model_get_info(m, &info);
    /* a valid but huge graph would only measure the fuzzer's memory limit */
    if (m && info.nlayers <= 256 && info.real_params + info.binary_weights <= ((uint64_t)1 << 24)) {
        db_net *net = NULL;
        db_image page = {0}, out = {0};
        if (db_net_create(ctx, m, &net) == 0 &&
            db_image_ensure(ctx, &page, 37, 23, DB_GRAY8) == 0) {
            memset(page.data, 200, page.capacity);
            db_net_run(ctx, net, &page, &out, NULL);
        }
        db_image_free(&page);
        db_image_free(&out);
        db_net_free(net);
    }
    db_model_free(m);
    db_ctx_free(ctx);
    return 0;
}
