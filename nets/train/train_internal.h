/* train_internal.h - the trainer's internal types: float tensors, the training
 * graph (tnet: latent weights, gradients, BatchNorm state), layers with forward
 * and backward, sign() gradient estimators, losses, the PatchGAN critic, Adam,
 * the page set and patch sampler. Public entry points are in docbin.h
 * ("---- train ----"); tests include this file. See nets/train/README.md. */
#ifndef DB_TRAIN_INTERNAL_H
#define DB_TRAIN_INTERNAL_H

#include "db_internal.h"
#include "nets/channel.h"
#include "nets/graph.h"

#include <stdbool.h>
#include <stdint.h>

/* ------------------------------------------------------------ seeded RNG */

/* splitmix64 seeding + xorshift64*: every random choice of the trainer comes
 * from one of these, so a run is a function of its seed. */
typedef struct tr_rng {
    uint64_t s;
} tr_rng;
void tr_rng_seed(tr_rng *r, uint64_t seed);
uint64_t tr_rng_next(tr_rng *r);
/* Uniform in [0, 1). */
double tr_rng_uniform(tr_rng *r);
/* Uniform integer in [0, n). n > 0. */
int tr_rng_below(tr_rng *r, int n);
/* Standard normal (Box-Muller). */
double tr_rng_normal(tr_rng *r);

/* ------------------------------------------------- sign() gradient estimators */

/* How sign() is differentiated (issue 6). Activations and weights:
 *  STE   clipped straight-through (Bengio et al. 2013): d sign(x)/dx ~ 1{|x| <= 1}.
 *  RESTE rectified STE (Wu et al. 2023): the power function
 *        f_o(x) = sign(x) |x|^(1/o) stands in for sign; its derivative
 *        (1/o) |x|^(1/o - 1), capped at reste_cap, zero for |x| > reste_t. The
 *        exponent o is annealed linearly from 1 to reste_o_end over the run
 *        (o = 1 is the identity STE; larger o is closer to sign).
 *  BIPER (Vargas et al. 2024) for weights: binary weight = sign(sin(omega w))
 *        (a square wave in the latent weight), backward omega cos(omega w).
 *        Activations use the clipped STE (the engine computes sign(x + b)). */
typedef enum tr_est { TR_EST_STE = 0, TR_EST_RESTE = 1, TR_EST_BIPER = 2 } tr_est;

typedef struct tr_est_params {
    tr_est kind;
    float reste_o;     /* current exponent, >= 1 (annealed by the trainer) */
    float reste_t;     /* clip range, default 1.5 */
    float reste_cap;   /* derivative cap, default 10 */
    float biper_omega; /* frequency, default pi (period 2) */
} tr_est_params;

void tr_est_defaults(tr_est_params *p);
/* Forward binarization of an activation pre-value v: +1 or -1 (v >= 0 -> +1). */
static inline float tr_sign(float v)
{
    return v >= 0.0f ? 1.0f : -1.0f;
}
/* d sign(v)/dv as estimated for an activation. */
float tr_est_act_grad(const tr_est_params *p, float v);
/* Binary value (+1/-1) of a latent weight, and the estimated derivative. */
float tr_est_weight_sign(const tr_est_params *p, float w);
float tr_est_weight_grad(const tr_est_params *p, float w);

/* ------------------------------------------------------------- the graph */

/* The training graph: one node per node of the inference graph (nets/graph.h,
 * same db_op, same inputs, same parameter meaning), plus what training needs:
 * latent weights, gradients, BatchNorm statistics, activations of a batch.
 * Activations are NHWC floats like the engine's: [n][h][w][c].
 * Per op (see graph.h for the inference semantics):
 *  INPUT      the batch as given (already normalised, DB_NORM_UNIT)
 *  CONV_REAL  w[cout][k][k][cin] + bias, zero padding; im2col + sgemm
 *  BCONV      a = sign(x + thresh[ci]) (padding +1); w_b = sign(w) (or the
 *             BiPer square wave); out = acc * alpha[o], alpha = mean|w[o]|
 *             (not trained: recomputed from the latent weights each step)
 *  BATCHNORM  gamma, beta; batch statistics in training, running in eval;
 *             exported folded (db_bn_fold)
 *  RPRELU     shift1, slope, shift2; ADD, AVGPOOL2, UPSAMPLE2, CONCAT,
 *             CHANNEL_DUP, CHANNEL_PAIR_MEAN, SIGMOID, HAAR2 as in graph.h
 *  DB_HEAD    out = x0 - x1 (the trainer applies its loss to x0, x1 directly)
 * In float mode (gradient checks, float teacher) sign() is the identity. */

#define TN_MAXP 3 /* parameter vectors per node */

typedef struct tn_node {
    db_op op;
    int in0, in1; /* input nodes, -1 when unused */
    int cin, c;   /* input channels (of in0), output channels */
    int k, stride, attr;
    /* size of one sample's output for the current batch shape */
    int h, w;
    /* parameters: weights pw (nw floats, gradient gw) and vectors p[i]
     * (np[i] floats, gradients g[i]):
     * CONV_REAL p0 bias; BCONV p0 thresh[cin]; BATCHNORM p0 gamma, p1 beta;
     * RPRELU p0 shift1, p1 slope, p2 shift2. */
    float *pw, *gw;
    size_t nw;
    int np[TN_MAXP];
    float *p[TN_MAXP], *g[TN_MAXP];
    /* state */
    float *run_mean, *run_var; /* BATCHNORM running statistics */
    float *bmean, *binvstd;    /* BATCHNORM batch statistics of the last forward */
    float *wf;                 /* conv: effective weights of the last forward */
    float *alpha;              /* BCONV: mean|w| per output channel */
    /* activations of the current batch and their gradients, [n][h][w][c] */
    float *y, *gy;
    float *aux; /* BCONV: x + thresh (pre-sign);  BATCHNORM: x-hat */
    size_t ysize, auxsize; /* allocated floats */
} tn_node;

typedef enum tn_mode {
    TN_TRAIN = 0, /* batch statistics */
    TN_EVAL = 1,  /* running statistics */
} tn_mode;

typedef struct tnet {
    int nnodes, cap;
    tn_node *nodes;
    bool float_mode; /* sign() is the identity: gradient checks, float teacher */
    tr_est_params est;
    float bn_momentum, bn_eps;
    /* shape of the current allocation */
    int n, h, w;
    /* per-worker im2col scratch and per-sample weight-gradient slots (so the
     * reduction runs in sample order: results do not depend on threads) */
    int nworkers;
    float **col, **gcol;
    size_t col_size;
    float *gslot;
    size_t gslot_size, slot_stride; /* floats; stride per sample is even */
    db_pool *pool;
} tnet;

/* Building: nodes are appended in topological order; each call returns the
 * new node index or a negative DB_E*. Weights are drawn from rng (He init);
 * the output is the last node. */
void tnet_init(tnet *net);
void tnet_free(tnet *net);
int tnet_add(db_ctx *ctx, tnet *net, db_op op, int in0, int in1, int cout, int k, int stride,
             tr_rng *rng);
int tnet_input(db_ctx *ctx, tnet *net, int c);
int tnet_conv(db_ctx *ctx, tnet *net, int in, int cout, int k, int stride, tr_rng *rng);
int tnet_bconv(db_ctx *ctx, tnet *net, int in, int cout, int k, int stride, tr_rng *rng);
int tnet_unary(db_ctx *ctx, tnet *net, db_op op, int in);
int tnet_binary(db_ctx *ctx, tnet *net, db_op op, int a, int b);
/* Trainable floats. */
size_t tnet_param_count(const tnet *net);
/* Multiply-accumulates of one forward pass of one w x h sample. */
void tnet_macs(const tnet *net, int w, int h, double *real_macs, double *bin_macs);

/* Sizes activations for a batch of n samples of w x h (reuses buffers when
 * they are large enough) and the per-worker scratch of the pool. */
int tnet_prepare(db_ctx *ctx, tnet *net, db_pool *pool, int n, int w, int h);
/* x: [n][h][w][c0]. Runs every node. */
void tnet_forward(tnet *net, const float *x, tn_mode mode);
/* Backward from the gy of the last node (the loss gradient, set by the
 * caller): gradients of every node and parameter (accumulated into gw/g[]:
 * call tnet_zero_grad before). */
void tnet_backward(tnet *net);
/* Same from node `from` (its gy set by the caller); later nodes are ignored. */
void tnet_backward_from(tnet *net, int from);
void tnet_zero_grad(tnet *net);
static inline tn_node *tnet_out(tnet *net)
{
    return &net->nodes[net->nnodes - 1];
}

/* One layer on the current batch (layers_*.c); exposed for the tests. */
void tl_forward(tnet *net, int i, tn_mode mode);
void tl_backward(tnet *net, int i);
void tl_conv_forward(tnet *net, int i);
void tl_conv_backward(tnet *net, int i);

/* Export to the shared description (BatchNorm folded with running
 * statistics, alpha from the latent weights). */
int tnet_to_graph(db_ctx *ctx, const tnet *net, const char *name, db_graph *g);

/* Eval-mode binarized forward of an exported graph on one page, written from
 * graph.h's scalar definitions alone (a plain loop nest, the reference the
 * engine must equal): img GRAY8/RGB8, ink (w*h bytes, 1 = ink) out. Also the
 * validation path. */
int tr_graph_run(db_ctx *ctx, const db_graph *g, const db_image *img, uint8_t *ink);

/* ------------------------------------------------------------------ losses */

/* Pixel loss on logits z (element i at z[i * zstride]) against the target
 * mask t (1 = ink), n pixels: mean BCE (stable form) + dice_weight * (1 - soft
 * Dice of sigmoid(z), smoothing 1). Writes dL/dz to gz (same stride) when not
 * NULL. */
double tr_loss_bce_dice_logits(const float *z, size_t zstride, const float *t, size_t n,
                               float dice_weight, float *gz);
/* DB head loss (Liao et al. 2020) on interleaved logits zPT ([i][0] = P logit,
 * [i][1] = T logit), P = sigmoid, T = sigmoid, B = sigmoid(k (P - T)):
 * L = BCE+Dice(P) + db_beta * BCE(B) + db_gamma * mean over t_mask |T - t_target|.
 * Gradients into gPT (interleaved) when not NULL. */
double tr_loss_db(const float *zPT, const float *target, const float *t_target,
                  const float *t_mask, size_t n, float k, float dice_weight, float db_beta,
                  float db_gamma, float *gPT);
/* Threshold-map target of DB: near each ink/paper border, a value that falls
 * from hi at the border to lo at distance r; t_mask = 1 within r of a border. */
void tr_db_threshold_target(const float *target, int w, int h, int r, float lo, float hi,
                            float *t_target, float *t_mask);

/* ------------------------------------------------------- PatchGAN critic */

typedef enum tr_gan_loss { TR_GAN_NONE = 0, TR_GAN_HINGE = 1, TR_GAN_LSGAN = 2 } tr_gan_loss;
/* Discriminator logits d (n values): loss for the critic on real (is_real) or
 * fake samples, or for the generator (gen = true). dL/dd into gd. */
double tr_gan_loss_eval(tr_gan_loss kind, const float *d, size_t n, bool is_real, bool gen,
                        float *gd);
/* Builds a real-valued PatchGAN critic (Isola et al. 2017) on in_c channels
 * (image planes + mask): 3 stride-2 3x3 convs of base, 2 base, 4 base
 * channels with PReLU, then a 1x1 conv to one logit per 8x8 patch. */
int tr_gan_build(db_ctx *ctx, tnet *d, int in_c, int base, tr_rng *rng);

/* --------------------------------------------------------------------- Adam */

typedef struct tr_adam {
    float beta1, beta2, eps, weight_decay;
    long step;
    size_t n;
    float *m, *v; /* moments, one per trainable float in tnet order */
} tr_adam;
int tr_adam_init(db_ctx *ctx, tr_adam *a, const tnet *net);
void tr_adam_free(tr_adam *a);
/* One update with learning rate lr; gradients scaled by clip_scale first. */
void tr_adam_step(tr_adam *a, tnet *net, float lr, float clip_scale);
/* Global L2 norm of all gradients of net. */
double tr_grad_norm(const tnet *net);
/* Learning rate at step s of total: linear warm-up over warmup steps, then
 * cosine (cosine = true) to lr_min, or step decay x0.1 at 60% and 85%. */
float tr_lr_at(long s, long total, long warmup, float lr, float lr_min, bool cosine);

/* ----------------------------------------------------------- pages, patches */

/* Input channels of every network: R, G, B as 8-bit samples, normalised by
 * INPUT (DB_NORM_UNIT; the engine takes 1 or 3 channels, and gray is a linear
 * mix of R, G, B the stem learns); the graph's HAAR2 node does the DWT split
 * (issue 7: LL, LH, HL, HH of each colour channel). */
#define TR_IN_CHANNELS 3

/* One page in memory: 8-bit R, G, B interleaved and the target mask (1 = ink). */
typedef struct tr_page {
    int w, h;
    uint8_t *px;  /* [h][w][TR_IN_CHANNELS] */
    uint8_t *ink; /* [h][w], 1 = ink */
    double ink_frac;
    char name[128];
} tr_page;

typedef struct tr_pageset {
    int n, cap;
    tr_page *pages;
} tr_pageset;
void tr_pageset_free(tr_pageset *s);
/* Adds a GRAY8/RGB8 page and its ground truth (GRAY8 or RGB8, text = 0: every
 * non-zero value is background, as the DIBCO tool reads it) of the same size
 * (DB_EFORMAT otherwise). */
int tr_pageset_add(db_ctx *ctx, tr_pageset *s, const db_image *img, const db_image *gt,
                   const char *name);
/* Loads every image "<name>.<ext>" of dir that is not itself a "*_gt" file,
 * with its "<name>_gt.png", in name order. A page without ground truth is
 * DB_EINVAL ("missing ground truth"), a size mismatch DB_EFORMAT, a folder
 * without pairs DB_EINVAL. */
int tr_pageset_load_dir(db_ctx *ctx, tr_pageset *s, const char *dir);
/* Total pixels. */
uint64_t tr_pageset_pixels(const tr_pageset *s);
/* Global network: every page resized to n x n (area average; ground truth ink
 * where ink covers >= half of the source area). dataset.c states the rule. */
int tr_pageset_resize(db_ctx *ctx, tr_pageset *s, int n);
/* Per-channel training (db_train_options.channel): every page's R, G, B
 * replaced by copies of `channel` (db_channel_rows); DB_CHANNEL_ALL: none. */
void tr_pageset_channel(tr_pageset *s, int channel);
/* Validation of a global network: p (full size) area-resized to n x n, run by
 * net, probabilities upsampled bilinearly to p's size, ink where > 0.5: res
 * becomes BIT1 at full size, to be scored against the full-size truth. */
int tr_global_run(db_ctx *ctx, db_net *net, const tr_page *p, int n, db_image *res);
/* The page as a db_image (RGB8 from px) for tr_graph_run. */
int tr_page_image(db_ctx *ctx, const tr_page *p, db_image *img);

/* Augmentation and sampling options. */
typedef struct tr_aug {
    int patch;       /* patch side at full resolution (multiple of the net's
                        size unit) */
    float ink_share; /* share of patches drawn until they contain ink */
    float min_ink;   /* ink fraction such a patch must reach */
    bool flips, rot90;
    float brightness; /* offset in [-b, b] on 0..1 */
    float contrast;   /* gain in [1 - c, 1 + c] around the patch mean */
    float color;      /* per-channel gain in [1 - c, 1 + c] */
    float scale;      /* scale factor in [1 - s, 1 + s] (nearest resampling) */
} tr_aug;
void tr_aug_defaults(tr_aug *a);

/* Draws one augmented patch from the set: x [P][P][TR_IN_CHANNELS] in 0..1
 * (after jitter), target
 * [P][P] (1 = ink). P = aug->patch; pages smaller than P are padded with
 * white paper. */
void tr_sample_patch(const tr_pageset *s, const tr_aug *aug, tr_rng *rng, float *x,
                     float *target);

/* ------------------------------------------------------------ architecture */

typedef enum tr_head { TR_HEAD_MASK = 0, TR_HEAD_DB = 1 } tr_head;
/* Front end: the Haar DWT (stem at half size; the default) or none (stem at
 * full size on RGB: the "without DWT" ablation). Same values as
 * db_train_input. */
typedef enum tr_input { TR_INPUT_DWT = 0, TR_INPUT_FULL = 1 } tr_input;
typedef struct tr_arch {
    int width;  /* channels at the first level (32) */
    int levels; /* resolution levels below the stem, 1..5 */
    tr_head head;
    tr_input input; /* (zero: DWT) */
} tr_arch;
/* The 1-bit U-Net of nets/train/README.md: INPUT (3) -> HAAR2 (12 planes at
 * half size) -> real stem -> Bi-Real blocks -> UPSAMPLE2 to full size -> real
 * 3x3 head (1 logit; DB head: P and T logits, then DB_HEAD). TR_INPUT_FULL:
 * no HAAR2 and no UPSAMPLE2, every level at twice the resolution. */
int tr_arch_build(db_ctx *ctx, tnet *net, const tr_arch *arch, tr_rng *rng);
/* Side of the coarsest level in input pixels: 2^levels (DWT) or 2^(levels-1)
 * (full input); the trainer asks patches to be multiples of twice this. */
int tr_arch_unit(const tr_arch *arch);

/* ------------------------------------------------------------- F-measure */

/* F-measure in percent from pixel counts (text = positive); 0 when tp = 0. */
double tr_fmeasure(uint64_t tp, uint64_t fp, uint64_t fn);

#endif
