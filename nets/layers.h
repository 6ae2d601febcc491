/* layers.h - real-valued layer loops of the engine (layers.c). NHWC float
 * maps with contiguous rows; bit maps have a 1-pixel +1 border (bits 0):
 * pixel (x, y) of a w x h map sits at bits + ((y+1)*(w+2) + x+1) * words. */
#ifndef DB_NETS_LAYERS_H
#define DB_NETS_LAYERS_H

#include "nets/kernels/kernels.h"

/* For loops that apply the same scalar function to every element (so the
 * vectorised code gives the same bits): GCC vectorises at -O2 only with its
 * "very cheap" model, which skips loops needing a remainder. */
#if defined(__GNUC__) && !defined(__clang__)
#define DB_VECTORIZE __attribute__((optimize("tree-vectorize", "vect-cost-model=dynamic")))
#else
#define DB_VECTORIZE
#endif

/* INPUT node: crop (cx, cy, w, h) of a GRAY8/RGB8 page to c float channels
 * (gray replicated when c = 3). mean/inv_std per channel for PAGE_STD. */
void db_layer_input(const db_image *page, int cx, int cy, int w, int h, int c, int norm,
                    const float *mean, const float *inv_std, float *out);
/* BATCHNORM, RPRELU, ADD (b = second input), SIGMOID over npix pixels. */
void db_layer_elementwise(const db_gnode *n, const float *a, const float *b, size_t npix,
                          float *out);
/* CONCAT (a then b), CHANNEL_DUP, CHANNEL_PAIR_MEAN, DB_HEAD. */
void db_layer_channels(const db_gnode *n, const float *a, int ca, const float *b, int cb,
                       size_t npix, float *out);
/* One output row of AVGPOOL2 or HAAR2 (n->cin channels) from the input rows
 * r0 = 2y and r1 = 2y+1 (r1 = r0 at an odd bottom edge) of width w, edge
 * replicate on the right. */
void db_layer_down2_row(const db_gnode *n, const float *r0, const float *r1, int w, float *out);
/* One row of nearest x2: out (w pixels) from the low row a. */
void db_layer_upsample2_row(int c, const float *a, int w, float *out);
/* One row y of bilinear x2 (graph.h db_up2_lerp): r0 = low row y/2,
 * r1 = low row db_up2_other(y, ah), both aw wide; out w pixels. */
void db_layer_upsample2_bilinear_row(int c, const float *r0, const float *r1, int aw, int w,
                                     float *out);
/* Bilinear x2 of a whole aw x ah map into w x h (rows of the above). */
void db_layer_upsample2_bilinear(int c, const float *a, int aw, int ah, int w, int h, float *out);
/* Zeroes the 1-pixel border of a bit map. */
void db_layer_clear_border(uint64_t *bits, int w, int h, int words);

#endif
