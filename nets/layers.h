/* layers.h - real-valued layer loops of the engine (layers.c). NHWC float
 * maps with contiguous rows; bit maps have a 1-pixel +1 border (bits 0):
 * pixel (x, y) of a w x h map sits at bits + ((y+1)*(w+2) + x+1) * words. */
#ifndef DB_NETS_LAYERS_H
#define DB_NETS_LAYERS_H

#include "nets/kernels/kernels.h"

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
/* AVGPOOL2 or HAAR2 of a w x h map (n->cin channels), edge replicate. */
void db_layer_down2(const db_gnode *n, const float *a, int w, int h, float *out);
/* Nearest x2 of an aw-wide map into w x h. */
void db_layer_upsample2(int c, const float *a, int aw, int w, int h, float *out);
/* Bilinear x2 (graph.h db_up2_lerp) of an aw x ah map into w x h. */
void db_layer_upsample2_bilinear(int c, const float *a, int aw, int ah, int w, int h, float *out);
/* One row of ADD(UPSAMPLE2(lo), full), nearest: out[x] = lo[x/2] + full[x]
 * per channel (float addition is commutative: either input order). */
void db_layer_add_up2(int c, const float *lo, const float *full, int w, float *out);
/* Zeroes the 1-pixel border of a bit map. */
void db_layer_clear_border(uint64_t *bits, int w, int h, int words);
/* RSign-packs a w x h float map into a bordered bit map (border cleared). */
void db_layer_pack(const db_kernels *k, const float *a, int w, int h, int c, const float *thr,
                   uint64_t *bits);

#endif
