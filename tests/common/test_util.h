/* test_util.h - shared helpers for the cmocka tests: seeded random images,
 * a scratch folder per test binary, and the path to ../shared/data. */
#ifndef DB_TEST_UTIL_H
#define DB_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the three headers above first */
#include <cmocka.h>

#include "docbin.h"

/* Seed from DOCBIN_TEST_SEED or a fixed default; printed once so a failure
 * can be replayed. */
uint64_t tu_seed(void);
/* xorshift64* */
uint64_t tu_rand(uint64_t *state);
/* Uniform integer in [lo, hi]. */
int tu_rand_range(uint64_t *state, int lo, int hi);
/* Fills img (already shaped) with random bytes. */
void tu_fill_random(db_image *img, uint64_t *state);
/* A fresh empty folder for this test binary: DOCBIN_TEST_TMP/<name>. Returns
 * a static path (per process). */
const char *tu_tmpdir(const char *name);
/* Joins dir and file into buf. */
const char *tu_path(char *buf, size_t size, const char *dir, const char *file);
/* ../shared/data, or NULL when absent (tests then skip with a message). */
const char *tu_shared_data(void);
int tu_file_exists(const char *path);
/* F-measure (0..1) of a BIT1 result against a BIT1 truth of the same size;
 * 0 when nothing is found. */
double tu_fmeasure(const db_image *result, const db_image *truth);
/* Parses spec ("name:key=val") and runs that method: 0 or a DB_E* code. */
int tu_run_method(db_ctx *ctx, const char *spec, const db_image *in, db_image *out);
/* Runs spec on page and asserts success and a BIT1 output of the page's size. */
void tu_assert_method_shape(db_ctx *ctx, const char *spec, const db_image *page, db_image *out);
/* Runs a shell command, returns its exit status (or -1); stdout+stderr go to
 * out_file when not NULL. */
int tu_run(const char *cmd, const char *out_file);
/* Reads a whole file into a malloc'd NUL-terminated buffer (NULL on error). */
char *tu_read_file(const char *path, size_t *size);
int tu_write_file(const char *path, const void *data, size_t size);
/* Per-test fixture, cmocka_unit_test_setup_teardown(test, tu_ctx_setup,
 * tu_ctx_teardown): *state is a fresh pool-less db_ctx, freed after the test
 * (also when it fails). */
int tu_ctx_setup(void **state);
int tu_ctx_teardown(void **state);

#endif
