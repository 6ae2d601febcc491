/* stem8.h - the integer stem: CONV_REAL 3x3 stride 1 on HAAR2(INPUT),
 * evaluated on the page's 8-bit samples in integer arithmetic.
 *
 * Why: the stem is the largest real-valued layer of the DWT U-Nets (12 -> 32
 * channels at half resolution, 864 multiply-adds per page pixel). Haar and
 * the input normalisation are linear, so the conv is a 6x6 stride-2 conv on
 * the samples themselves; with its weights quantised per page to int16 the
 * sums are exact int32, faster than float (AVX-512 VNNI vpdpwssd, AVX2
 * vpmaddwd: 1.7x the float conv measured on AVX-512), and
 * identical on every ISA and in every interpreter by construction.
 *
 * Definition (this replaces graph.h's float CONV_REAL order for such a node;
 * it applies when db_stem8_applies says so: the conv's input is a HAAR2 of
 * the INPUT node read by nothing else, INPUT has 1 or 3 channels):
 *   m[c], s[c]: INPUT's normalisation of channel c, x = (v - m) * s
 *     (DB_NORM_UNIT: m = 0, s = 1/255);
 *   V[o][dy][dx][c] (dy, dx in 0..5; ky = dy/2, kx = dx/2, a = dy%2, b = dx%2)
 *     = 0.5 * s[c] * sum over bands of sign(band, a, b) * w[o][ky][kx][4c+band]
 *     (LL +; LH + when b = 0; HL + when a = 0; HH + when a = b), in double;
 *     a gray page read by a 3-channel input has ONE sample channel, c = 0,
 *     whose V is the sum of the three (its statistics are the same for all);
 *   q[o] = max |V[o]| / 32767 (1 when V[o] is all 0); Vq = lrint(V / q[o]);
 *   output pixel (j, y) reads samples P[dy][dx][c] of page pixel
 *     (2j - 2 + dx, 2y - 2 + dy) of the crop, the right/bottom edge
 *     replicated as HAAR2 does (column w reads w-1 when w is odd); samples
 *     of a Haar cell outside the map (cell index < 0 or >= ceil(w/2)) are 0;
 *   acc[o] = sum Vq * P  (int32: |acc| < 108 * 32767 * 255 < 2^31);
 *   off[o] = (float)(bias[o] - q[o] * sum over the cells inside the map of
 *     Vq * m[c]) in double; out[o] = (float)acc[o] * (float)q[o] + off[o]
 *     (a float multiply, then a float add).
 * The result differs from the float conv by the int16 rounding of V
 * (relative 2^-16 of the largest weight of the channel). */
#ifndef DB_NETS_STEM8_H
#define DB_NETS_STEM8_H

#include "nets/graph.h"

#include <stdbool.h>
#include <stdint.h>

/* Border patterns of the offsets: which neighbour cells lie outside. */
enum { DB_STEM8_TOP = 1, DB_STEM8_BOTTOM = 2, DB_STEM8_LEFT = 4, DB_STEM8_RIGHT = 8 };

typedef struct db_stem8 {
    int c;      /* input channels (1 or 3) */
    int cout;   /* output channels */
    int cout16; /* cout rounded up to 16 (weight lanes) */
    /* kernel layout: wq[((dy * 3c + q) * cout16 + o) * 2 + e] = Vq[o][dy][t]
     * with t = 2q + e = dx * c + ch (0 for o >= cout) */
    int16_t *wq;
    float *scale; /* [cout16]: (float)q[o] */
    float *off;   /* [16][cout16]: off[o] for each border pattern */
} db_stem8;

/* True when node `conv` of g is evaluated as the integer stem. */
bool db_stem8_applies(const db_graph *g, int conv);

/* Allocates q for node `conv` (db_stem8_applies true); db_stem8_free frees. */
int db_stem8_init(db_ctx *ctx, const db_graph *g, int conv, db_stem8 *q);
void db_stem8_free(db_stem8 *q);

/* The page's weights and offsets: mean/inv_std per channel as the INPUT
 * node uses them (ignored for DB_NORM_UNIT); page_channels 1 or 3 (a
 * one-channel input always reads a gray page). */
void db_stem8_prepare(db_stem8 *q, const db_graph *g, int conv, const float *mean,
                      const float *inv_std, int page_channels);

/* Row r (crop coordinates, may lie outside) of the int16 samples a conv row
 * reads, for a crop of iw x ih pixels starting at page pixel (cx, cy):
 * sample (x, ch) at dst[(x + 2) * c + ch] for x in [-2, 2 * ceil(iw/2) + 2);
 * zeros outside the Haar cells, the odd edge replicated. dst holds
 * db_stem8_row_len(c, iw) values. */
int db_stem8_row_len(int c, int iw);
void db_stem8_fill_row(const db_image *page, int cx, int cy, int iw, int ih, int c, int r,
                       int16_t *dst);

/* The border pattern of output pixel (j, y) of an ow x oh output. */
static inline int db_stem8_pattern(int j, int y, int ow, int oh)
{
    return (y == 0 ? DB_STEM8_TOP : 0) | (y == oh - 1 ? DB_STEM8_BOTTOM : 0) |
           (j == 0 ? DB_STEM8_LEFT : 0) | (j == ow - 1 ? DB_STEM8_RIGHT : 0);
}

/* A whole iw x ih crop (from page pixel (0, 0)) into out [oh][ow][cout] with
 * the reference kernel: the interpreters' path (tests, the trainer's
 * validation forward). Allocates its own rows; returns DB_ENOMEM or 0. */
int db_stem8_run_ref(db_ctx *ctx, const db_stem8 *q, const db_image *page, float *out);

#endif
