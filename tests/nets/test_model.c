/* test_model.c - the .dbm loader refuses every damaged file cleanly: each
 * byte flipped, every truncation, wrong version/flags/magic; allocation
 * failures unwind without leaks (run under ASan). */
#include "test_util.h"

#include "nets/model.h"
#include "nets/unet.h"

#include <stdlib.h>
#include <string.h>

static uint8_t *small_model(db_ctx *ctx, size_t *size)
{
    db_graph g = {0};
    db_unet_spec sp = db_unet_spec_default();
    sp.levels = 2;
    sp.ch[0] = 4;
    sp.ch[1] = 8;
    assert_int_equal(db_unet_build(ctx, &sp, &g), 0);
    db_graph_randomize(&g, 7);
    uint8_t *buf;
    assert_int_equal(db_model_serialize(ctx, &g, &buf, size), 0);
    db_graph_free(&g);
    return buf;
}

static void expect_refusal(db_ctx *ctx, const uint8_t *data, size_t size, const char *what,
                           size_t where)
{
    db_model *m = (db_model *)(uintptr_t)1;
    int rc = db_model_load_memory(ctx, data, size, &m);
    if (rc == 0)
        fail_msg("%s at %zu: damaged model accepted", what, where);
    assert_null(m);
    assert_true(rc < 0);
    assert_true(strlen(db_ctx_message(ctx)) > 0);
    assert_non_null(strstr(db_ctx_message(ctx), "model") ? ""
                                                         : strstr(db_ctx_message(ctx), "graph"));
    db_ctx_clear_error(ctx);
}

static void test_loader_refuses_every_flipped_byte_and_truncation(void **state)
{
    (void)state;
    db_ctx *ctx;
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    size_t size;
    uint8_t *buf = small_model(ctx, &size);
    db_model *m;
    assert_int_equal(db_model_load_memory(ctx, buf, size, &m), 0);
    db_model_free(m);
    uint8_t *copy = malloc(size);
    for (size_t i = 0; i < size; i++) {
        memcpy(copy, buf, size);
        copy[i] ^= (uint8_t)(1u << (i % 8));
        expect_refusal(ctx, copy, size, "flip", i);
    }
    for (size_t len = 0; len < size; len++) {
        uint8_t *t = malloc(len ? len : 1); /* exact size: ASan sees any over-read */
        memcpy(t, buf, len);
        expect_refusal(ctx, t, len, "truncation", len);
        free(t);
    }
    free(copy);
    db_free(buf);
    db_ctx_free(ctx);
}

static void reseal_header(uint8_t *b)
{
    uint32_t hdr =
        (uint32_t)b[16] | (uint32_t)b[17] << 8 | (uint32_t)b[18] << 16 | (uint32_t)b[19] << 24;
    uint32_t crc = db_crc32(0, b, hdr - 4);
    for (int i = 0; i < 4; i++)
        b[hdr - 4 + (uint32_t)i] = (uint8_t)(crc >> (8 * i));
}

static void test_loader_names_version_flags_and_magic_problems(void **state)
{
    (void)state;
    db_ctx *ctx;
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    size_t size;
    uint8_t *buf = small_model(ctx, &size);
    db_model *m;
    buf[8] = DB_MODEL_VERSION + 1; /* a newer version, header CRC made valid again */
    reseal_header(buf);
    assert_int_equal(db_model_load_memory(ctx, buf, size, &m), DB_EUNSUPPORTED);
    char want[32];
    snprintf(want, sizeof want, "version %u", DB_MODEL_VERSION + 1);
    assert_non_null(strstr(db_ctx_message(ctx), want));
    db_ctx_clear_error(ctx);
    buf[8] = 0; /* older than the first version */
    reseal_header(buf);
    assert_int_equal(db_model_load_memory(ctx, buf, size, &m), DB_EUNSUPPORTED);
    db_ctx_clear_error(ctx);
    buf[8] = 1;
    buf[12] = 1; /* padding flag cleared */
    reseal_header(buf);
    assert_int_equal(db_model_load_memory(ctx, buf, size, &m), DB_EUNSUPPORTED);
    assert_non_null(strstr(db_ctx_message(ctx), "flags"));
    db_ctx_clear_error(ctx);
    buf[0] = 'X';
    assert_int_equal(db_model_load_memory(ctx, buf, size, &m), DB_EFORMAT);
    assert_non_null(strstr(db_ctx_message(ctx), "magic"));
    db_ctx_clear_error(ctx);
    assert_int_equal(db_model_load(ctx, "/nonexistent/x.dbm", &m), DB_EIO);
    db_free(buf);
    db_ctx_free(ctx);
}

static void test_allocation_failures_unwind_cleanly(void **state)
{
    (void)state;
    db_ctx *ctx;
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    size_t size;
    uint8_t *buf = small_model(ctx, &size);
    db_image page = {0}, out = {0};
    assert_int_equal(db_image_ensure(ctx, &page, 40, 30, DB_GRAY8), 0);
    memset(page.data, 128, page.capacity);
    for (long n = 1;; n++) {
        db_ctx_fail_alloc_after(ctx, n);
        db_model *m = NULL;
        db_net *net = NULL;
        int rc = db_model_load_memory(ctx, buf, size, &m);
        if (rc == 0)
            rc = db_net_create(ctx, m, &net);
        if (rc == 0)
            rc = db_net_run(ctx, net, &page, &out, NULL);
        db_net_free(net);
        db_model_free(m);
        db_ctx_fail_alloc_after(ctx, 0);
        if (rc == 0)
            break;
        assert_int_equal(rc, DB_ENOMEM);
        db_ctx_clear_error(ctx);
        assert_true(n < 10000);
    }
    db_image_free(&out);
    db_image_free(&page);
    db_free(buf);
    db_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loader_refuses_every_flipped_byte_and_truncation),
        cmocka_unit_test(test_loader_names_version_flags_and_magic_problems),
        cmocka_unit_test(test_allocation_failures_unwind_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
