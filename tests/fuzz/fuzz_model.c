/* fuzz_model.c - libFuzzer entry for the .dbm model loader (nets/model.c):
 * load the bytes; a model that loads is also planned and run on a small page,
 * so a file the loader accepts can never crash the engine. Seeds in
 * corpus/model/ (a small valid model written by db_model_save_graph). */
#include "docbin.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* nets/model.h: CRC-32 of the model file */
uint32_t db_crc32(uint32_t crc, const void *data, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static void wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Recomputes the checksums (header, then every in-bounds tensor) so that the
 * mutations reach the structural checks behind them. Layout: nets/model.c. */
static void reseal(uint8_t *b, size_t size)
{
    if (size < 108)
        return;
    uint32_t hdr = rd32(b + 16), nnodes = rd32(b + 20), ntensors = rd32(b + 24);
    if (hdr < 108 || hdr > size || nnodes > 4096 || ntensors > 4 * 4096)
        return;
    uint64_t trec = 104 + (uint64_t)nnodes * 48;
    for (uint32_t t = 0; t < ntensors && trec + 32 * (uint64_t)(t + 1) <= hdr - 4; t++) {
        uint8_t *r = b + trec + 32 * (uint64_t)t;
        uint64_t off = rd32(r + 8) | (uint64_t)rd32(r + 12) << 32;
        uint64_t n = rd32(r + 16) | (uint64_t)rd32(r + 20) << 32;
        if (off <= size && n <= size - off)
            wr32(r + 4, db_crc32(0, b + off, (size_t)n));
    }
    wr32(b + hdr - 4, db_crc32(0, b, hdr - 4));
}

static void load_and_run(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    load_and_run(data, size);
    uint8_t *copy = malloc(size ? size : 1);
    if (copy) {
        memcpy(copy, data, size);
        reseal(copy, size);
        load_and_run(copy, size);
        free(copy);
    }
    return 0;
}

static void load_and_run(const uint8_t *data, size_t size)
{
    db_ctx *ctx = NULL;
    if (db_ctx_create(NULL, &ctx) != 0)
        return;
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
}
