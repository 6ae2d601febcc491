/* resample.h - page resampling for the GLOBAL network of stage 3 (Ju et al.
 * 2022, "Three-stage binarization of color document images based on DWT and
 * GANs", arXiv 2211.16098): the whole page resized to N x N for a network
 * trained on pages resized the same way, and its output brought back to the
 * page's size. Shared by the trainer (nets/train/, `docbin train --global N`)
 * and the `gan` method (src/pipeline/global_fusion.c). Internal, not installed.
 *
 * A global model is marked by its graph name (the only free-text field of the
 * .dbm format, nets/model.c): the trainer names it "docbin-train global=N";
 * db_graph_global_size reads N back (0 = a local, tiled network). */
#ifndef DB_NETS_RESAMPLE_H
#define DB_NETS_RESAMPLE_H

#include "nets/graph.h"

#define DB_GLOBAL_MIN 64   /* smallest N of a global network */
#define DB_GLOBAL_MAX 2048 /* largest N */

/* Area-average resize of an interleaved 8-bit image (channels 1..4, rows
 * `sstride` bytes apart) from sw x sh to dw x dh: output pixel (x, y) is the
 * mean of the source over the rectangle [x*sw/dw, (x+1)*sw/dw) x
 * [y*sh/dh, (y+1)*sh/dh), each source pixel weighted by the area it shares
 * with that rectangle (exact fractional coverage; OpenCV's INTER_AREA when
 * shrinking). Works for enlarging too (then it is a sharp, box-shaped
 * interpolation). dst is [dh][dw][channels] floats in 0..255 (unrounded).
 * One scratch buffer of sh*dw*channels floats is allocated per call. */
int db_resample_area(db_ctx *ctx, const uint8_t *src, size_t sstride, int sw, int sh,
                     int channels, float *dst, int dw, int dh);

/* Bilinear upsampling of the N x N map of ink probabilities `prob` (row-major,
 * pixel centres aligned: source coordinate = (x + 0.5) * n / w - 0.5, clamped
 * to the map, as OpenCV's INTER_LINEAR) to w x h, then ink where the value is
 * > thr: mask becomes BIT1 w x h. Two small tables (w ints and w floats) are
 * allocated per call; nothing per row. */
int db_resample_prob_mask(db_ctx *ctx, const float *prob, int nw, int nh, double thr, int w,
                          int h, db_image *mask);

/* N of a global network (graph name contains "global=N", DB_GLOBAL_MIN..MAX),
 * else 0. */
int db_graph_global_size(const db_graph *g);
/* (The graph name the trainer writes: db_graph_model_name, nets/channel.h.) */

#endif
