/* graph.h - the network description shared by the trainer (nets/train/), the
 * inference engine (nets/engine.c) and the model file (nets/model.c), plus the
 * scalar definitions of every per-channel operation. Internal, not installed.
 *
 * The contract (see nets/README.md for the full plan):
 *  - Bit convention: binary activations and weights are packed by sign,
 *    channels-last (NHWC), in 64-bit words: bit i of word w is channel 64*w+i.
 *    A SET bit means -1, a CLEAR bit means +1 (Larq convention). db_sign_bit
 *    below is THE binarization: v < 0 -> -1 (bit 1), else +1 (bit 0).
 *  - Channel padding: the unused bits of the last word are 0 in activations
 *    AND in weights, so they XOR to 0; a binary conv's dot product is
 *    acc = K - 2*popcount(a XOR w) with K = k*k*cin the TRUE number of products.
 *  - Spatial padding of binary activations is +1 (bit 0, "same-one" padding)
 *    at the image border, in training and inference alike: a padded tap
 *    contributes +w. Real-valued convolutions pad with 0.0f.
 *  - Every float result is defined by the static inline functions below, in
 *    the operation order written there; -std=c11 disables FP contraction, so
 *    no FMA is formed. The engine (every ISA) and the trainer's eval-mode
 *    forward use these functions, so an exported model run by the engine gives
 *    exactly the trainer's binarized output.
 */
#ifndef DB_NETS_GRAPH_H
#define DB_NETS_GRAPH_H

#include "db_internal.h"

#include <math.h>
#include <stdint.h>

/* ------------------------------------------------------------------ ops
 * A graph is a list of nodes in topological order; node i reads the outputs
 * of earlier nodes in[0], in[1] (-1 = unused). Every node output is an NHWC
 * map of `cout` channels at some resolution (h, w), computed by
 * db_graph_shapes. Parameters per op (all float, owned by the node):
 *
 * op                 inputs   attrs                 params
 * INPUT              -        cout, attr=norm       -
 * CONV_REAL          x        cout, k, stride       w[cout][k][k][cin], p0=bias[cout]
 * BCONV              x        cout, k, stride       w[cout][k][k][cin] (only the
 *                                                   sign counts), p0=thresh[cin],
 *                                                   p1=alpha[cout]
 * BATCHNORM          x        -                     p0=scale[c], p1=bias[c]
 * RPRELU             x        -                     p0=shift1[c], p1=slope[c], p2=shift2[c]
 * ADD                a, b     -                     -
 * AVGPOOL2           x        -                     -
 * UPSAMPLE2          x, ref   attr=mode (0 nearest, -    (output size = ref's size)
 *                             1 bilinear)
 * CONCAT             a, b     -                     -    (a's channels first)
 * CHANNEL_DUP        x        -                     -    (cout = 2*cin, out[c] = x[c % cin])
 * CHANNEL_PAIR_MEAN  x        -                     -    (cout = cin/2, out[c] = mean of
 *                                                         x[2c], x[2c+1])
 * SIGMOID            x        -                     -
 * HAAR2              x        -                     -    (cout = 4*cin, half size:
 *                                                         LL,LH,HL,HH per channel)
 * DB_HEAD            x (2 ch) attr = k (DB steepness, training only)
 *                                                   -    (out = x[0] - x[1], i.e. P logit
 *                                                         minus T logit; ink where > 0)
 *
 * The LAST node is the network output: 1 channel, at the input's resolution;
 * ink (BIT1 = 1) where its value is > 0 (a logit: sigmoid > 0.5). */
typedef enum db_op {
    DB_OP_INPUT = 1,
    DB_OP_CONV_REAL = 2,
    DB_OP_BCONV = 3,
    DB_OP_BATCHNORM = 4,
    DB_OP_RPRELU = 5,
    DB_OP_ADD = 6,
    DB_OP_AVGPOOL2 = 7,
    DB_OP_UPSAMPLE2 = 8,
    DB_OP_CONCAT = 9,
    DB_OP_CHANNEL_DUP = 10,
    DB_OP_CHANNEL_PAIR_MEAN = 11,
    DB_OP_SIGMOID = 12,
    DB_OP_HAAR2 = 13,
    DB_OP_DB_HEAD = 14,
    DB_OP_COUNT_ = 15 /* one past the last op */
} db_op;

/* INPUT attr: how 8-bit samples v become the float input map. */
enum db_input_norm {
    DB_NORM_UNIT = 0,     /* x = v * (1/255) */
    DB_NORM_PAGE_STD = 1, /* x = (v - mean) * inv_std, mean/inv_std of the whole
                             page (db_input_page_stats), per channel */
};
/* UPSAMPLE2 attr (bilinear needs model format version 2, nets/model.h). */
enum db_upsample_mode {
    DB_UPSAMPLE_NEAREST = 0,  /* out(x, y) = in(x/2, y/2) */
    DB_UPSAMPLE_BILINEAR = 1, /* db_up2_lerp below */
};

/* Limits every loader and builder enforces. */
#define DB_GRAPH_MAX_NODES 4096
#define DB_GRAPH_MAX_CHANNELS 4096

typedef struct db_gnode {
    db_op op;
    int in[2];  /* earlier node indices, -1 when unused */
    int cin;    /* channels of in[0] (set by db_graph_add) */
    int cout;   /* output channels */
    int k;      /* kernel size: CONV_REAL 1,3,5,7; BCONV 1 or 3; else 0 */
    int stride; /* 1 or 2 for convs; else 0 */
    int attr;   /* op-specific (table above); else 0 */
    float *w;   /* weights, nw floats, or NULL */
    size_t nw;
    float *p[3]; /* per-channel vectors (table above), np[i] floats each */
    int np[3];
} db_gnode;

typedef struct db_graph {
    int nnodes, cap;
    db_gnode *nodes;
    char name[64]; /* free text, NUL-terminated ("unet32-bireal") */
} db_graph;

/* Zero-initialise a graph (db_graph g = {0}) before the first db_graph_add. */
void db_graph_free(db_graph *g);

/* Appends a node. tmpl gives op, in[], cout, k, stride, attr; cin is taken
 * from in[0]; the weight and parameter arrays are allocated and set to
 * their identity defaults (weights 0 = +1 for BCONV, bias 0, alpha 1,
 * BN scale 1 bias 0, RPReLU shifts 0 slope 1, thresh 0). Validates the node
 * against the table (DB_EINVAL with a message). Returns the new node index
 * (>= 0) or a negative DB_E* code. */
int db_graph_add(db_ctx *ctx, db_graph *g, const db_gnode *tmpl);

/* Convenience builders: return the node index or a negative code. */
int db_graph_input(db_ctx *ctx, db_graph *g, int channels, int norm);
int db_graph_conv_real(db_ctx *ctx, db_graph *g, int in, int cout, int k, int stride);
int db_graph_bconv(db_ctx *ctx, db_graph *g, int in, int cout, int k, int stride);
int db_graph_unary(db_ctx *ctx, db_graph *g, db_op op, int in);        /* BN, RPRELU, pools... */
int db_graph_binary(db_ctx *ctx, db_graph *g, db_op op, int a, int b); /* ADD, CONCAT, UPSAMPLE2 */

/* Deep copy (dst must be zero-initialised or freed). */
int db_graph_copy(db_ctx *ctx, const db_graph *src, db_graph *dst);

/* Checks the whole graph: ops known, inputs earlier, channel rules, exactly
 * one INPUT (node 0), last node 1 channel, parameter sizes, finite floats. */
int db_graph_validate(db_ctx *ctx, const db_graph *g);

/* Spatial size of every node's output for an input of w x h: hw[2*i] = width,
 * hw[2*i+1] = height. Stride-2 convs, AVGPOOL2 and HAAR2 give ceil(n/2);
 * UPSAMPLE2 gives its ref's size. Returns DB_EINVAL if ADD/CONCAT sizes
 * mismatch, or the last node is not at the input size. */
int db_graph_shapes(db_ctx *ctx, const db_graph *g, int w, int h, int *hw);

/* Counts for model-info: parameters and operations per input pixel. */
typedef struct db_graph_stats {
    uint64_t binary_weights;   /* BCONV weights (bits) */
    uint64_t real_params;      /* every float parameter (incl. CONV_REAL weights) */
    double binary_macs_per_px; /* per input pixel */
    double real_macs_per_px;
    int nbconv, nconv_real;
} db_graph_stats;
void db_graph_stats_compute(const db_graph *g, db_graph_stats *out);
const char *db_op_name(db_op op);

/* ------------------------------------------------- scalar definitions
 * THE semantics of every float step. Fused and SIMD paths must reproduce
 * these bit for bit (same operations, same order, no FMA). */

/* Binarization: set bit (-1) for v < 0, clear (+1) otherwise (also -0.0f;
 * NaN gives +1). */
static inline int db_sign_bit(float v) { return v < 0.0f; }

/* RSign (ReActNet): the input of a BCONV is sign(x + thresh[c]). */
static inline int db_rsign_bit(float x, float thresh) { return db_sign_bit(x + thresh); }

/* Binary conv accumulator (an exact integer in [-K, K]) to its float output. */
static inline float db_bconv_out(int32_t acc, float alpha) { return (float)acc * alpha; }

/* Folded BatchNorm: y = x*scale + bias. */
static inline float db_bn_out(float x, float scale, float bias) { return x * scale + bias; }

/* Folds training BatchNorm statistics into (scale, bias); the exporter
 * calls this once and the trainer's eval forward uses the folded pair. */
static inline void db_bn_fold(float gamma, float beta, float mean, float var, float eps,
                              float *scale, float *bias)
{
    *scale = gamma / sqrtf(var + eps);
    *bias = beta - mean * *scale;
}

/* RPReLU (ReActNet): t = x + shift1; y = (t > 0 ? t : t*slope) + shift2. */
static inline float db_rprelu_out(float x, float shift1, float slope, float shift2)
{
    float t = x + shift1;
    return (t > 0.0f ? t : t * slope) + shift2;
}

/* Residual ADD, CONCAT and CHANNEL_DUP are exact. Pair mean and 2x2 pool: */
static inline float db_pair_mean(float a, float b) { return (a + b) * 0.5f; }
/* AVGPOOL2 of the window (a b / c d); missing pixels at an odd right or
 * bottom edge repeat the last row/column (edge replicate). */
static inline float db_avgpool_out(float a, float b, float c, float d)
{
    return ((a + b) + (c + d)) * 0.25f;
}

/* HAAR2 of the 2x2 block (a b / c d), orthonormal (x 1/2), edge replicate:
 * LL = ((a+b)+(c+d))/2, LH = ((a-b)+(c-d))/2 (horizontal detail),
 * HL = ((a+b)-(c+d))/2 (vertical detail), HH = ((a-b)-(c-d))/2. */
static inline void db_haar2_out(float a, float b, float c, float d, float out[4])
{
    out[0] = ((a + b) + (c + d)) * 0.5f;
    out[1] = ((a - b) + (c - d)) * 0.5f;
    out[2] = ((a + b) - (c + d)) * 0.5f;
    out[3] = ((a - b) - (c - d)) * 0.5f;
}

/* Bilinear x2 upsampling (UPSAMPLE2 attr 1), half-pixel centres (PyTorch
 * align_corners=False, OpenCV INTER_LINEAR, at scale 2): output column x
 * reads its own input column x0 = x/2 with weight 3/4 and the neighbour
 * x1 = x0 - 1 (x even) or x0 + 1 (x odd), clamped to the map, with weight
 * 1/4; rows likewise (y0, y1). Order: each of the rows y0 and y1 is
 * interpolated horizontally, h = db_up2_lerp(in(x0), in(x1)), then
 * out = db_up2_lerp(h(y0), h(y1)). */
static inline float db_up2_lerp(float own, float other) { return own * 0.75f + other * 0.25f; }
/* The neighbour index of output index i in an input of n (>= 1) samples. */
static inline int db_up2_other(int i, int n)
{
    int j = i % 2 ? i / 2 + 1 : i / 2 - 1;
    return j < 0 ? 0 : j >= n ? n - 1 : j;
}

static inline float db_sigmoid_out(float x) { return 1.0f / (1.0f + expf(-x)); }

/* CONV_REAL output at one pixel and channel ("same" padding: output pixel p
 * is centred on input pixel p*stride): acc starts at 0.0f and becomes
 * acc + w*x for ky = 0..k-1, kx = 0..k-1, ci = 0..cin-1 in that order, taps
 * outside the image being skipped (zero padding), then out = acc + bias.
 * SIMD paths vectorise over output channels or pixels; each lane keeps this
 * order. Exception: a 3x3 stride-1 CONV_REAL on HAAR2(INPUT) (the DWT
 * networks' stem) is defined in integers on the 8-bit samples, nets/stem8.h. */

/* INPUT normalisation of one 8-bit sample. */
static inline float db_input_unit(uint8_t v) { return (float)v * (1.0f / 255.0f); }
static inline float db_input_std(uint8_t v, float mean, float inv_std)
{
    return ((float)v - mean) * inv_std;
}
/* Page statistics for DB_NORM_PAGE_STD: mean and 1/max(std, 1) of every
 * sample of channel `chan` (of `channels` interleaved), summed in uint64 (exact),
 * then computed in double and rounded to float once. */
static inline void db_input_page_stats(const uint8_t *data, size_t stride, int w, int h,
                                       int channels, int chan, float *mean, float *inv_std)
{
    uint64_t s = 0, s2 = 0;
    for (int y = 0; y < h; y++) {
        const uint8_t *row = data + (size_t)y * stride;
        for (int x = 0; x < w; x++) {
            uint64_t v = row[(size_t)x * (size_t)channels + (size_t)chan];
            s += v;
            s2 += v * v;
        }
    }
    double n = (double)w * (double)h;
    double m = (double)s / n;
    double var = (double)s2 / n - m * m;
    double sd = var > 1.0 ? sqrt(var) : 1.0;
    *mean = (float)m;
    *inv_std = (float)(1.0 / sd);
}

/* Words per pixel for c channels in the packed layout. */
static inline int db_words(int c) { return (c + 63) >> 6; }

#endif
