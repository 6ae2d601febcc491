/* planar_simd.h - the planar one-channel CONV_REAL (db_kernels.conv_real1_planar)
 * written once for the SIMD files, over GCC vector types of DBK_LANES floats:
 * each ISA file defines DBK_LANES (8 for AVX2, 16 for AVX-512) and includes
 * this header, which then compiles with that file's ISA flags (the zstd
 * pattern: one body, several targets). Every lane keeps the reference order
 * of bconv_ref.c (db_conv_real1_planar_ref): acc = 0, then acc + w * x over
 * (ky, kx, ci), skipping rows outside the image, then + bias; no FMA (the
 * build is ISO C, so mul and add are never contracted). Edge pixels, whose
 * taps would be skipped, go to the reference. */
#ifndef DB_NETS_KERNELS_PLANAR_SIMD_H
#define DB_NETS_KERNELS_PLANAR_SIMD_H

#include "nets/kernels/kernels.h"

#include <string.h>

#if DBK_LANES != 8 && DBK_LANES != 16
#error "define DBK_LANES (8 or 16) before including planar_simd.h"
#endif

typedef float dbk_vf __attribute__((vector_size(DBK_LANES * sizeof(float))));

/* Unaligned load and store (memcpy compiles to one vmovups). */
static inline __attribute__((always_inline)) dbk_vf dbk_load(const float *p)
{
    dbk_vf v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline __attribute__((always_inline)) void dbk_store(float *p, dbk_vf v)
{
    memcpy(p, &v, sizeof v);
}

/* Output pixels from j on, in blocks of B*DBK_LANES interior pixels (all taps
 * inside the row) run as B independent accumulator chains. Returns the first
 * pixel not done. */
static inline __attribute__((always_inline)) int
dbk_planar_blocks(const float *const *rows, int in_w, int cin, int k, const float *wt, float bias,
                  float *out, int j, const int B)
{
    const int half = k / 2, span = B * DBK_LANES;
    for (; j + span + half <= in_w; j += span) {
        dbk_vf acc[4];
#pragma GCC unroll 4
        for (int b = 0; b < B; b++)
            acc[b] = (dbk_vf){0};
        for (int ky = 0; ky < k; ky++) {
            if (!rows[ky])
                continue;
            for (int kx = 0; kx < k; kx++) {
                const float *wp = wt + (size_t)(ky * k + kx) * (size_t)cin;
                const float *src = rows[ky] + (j - half + kx);
                for (int ci = 0; ci < cin; ci++) {
                    dbk_vf wv = (dbk_vf){0} + wp[ci];
                    const float *pp = src + (size_t)ci * (size_t)in_w;
#pragma GCC unroll 4
                    for (int b = 0; b < B; b++)
                        acc[b] = acc[b] + wv * dbk_load(pp + DBK_LANES * b);
                }
            }
        }
#pragma GCC unroll 4
        for (int b = 0; b < B; b++)
            dbk_store(out + j + DBK_LANES * b, acc[b] + bias);
    }
    return j;
}

/* The whole row: blocks of 4 vectors, then (wide vectors) single vectors,
 * the edges by the reference. */
static inline __attribute__((always_inline)) void
dbk_conv_real1_planar(const float *const *rows, int in_w, int cin, int k, const float *wt,
                      float bias, float *out, const int single_tail)
{
    int half = k / 2;
    int j = dbk_planar_blocks(rows, in_w, cin, k, wt, bias, out, half, 4);
    if (single_tail)
        j = dbk_planar_blocks(rows, in_w, cin, k, wt, bias, out, j, 1);
    int lo = half < in_w ? half : in_w;
    db_conv_real1_planar_ref(rows, in_w, cin, k, 0, lo, wt, bias, out);
    db_conv_real1_planar_ref(rows, in_w, cin, k, j > lo ? j : lo, in_w, wt, bias, out);
}

#endif
