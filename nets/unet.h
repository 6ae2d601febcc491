/* unet.h - builder of the 1-bit U-Net of shared/docs/networks.md (unet.c),
 * used by the trainer, the tests and bench_kernels. */
#ifndef DB_NETS_UNET_H
#define DB_NETS_UNET_H

#include "nets/graph.h"

typedef struct db_unet_spec {
    int in_channels; /* 1 (gray) or 3 */
    int norm;        /* enum db_input_norm */
    int levels;      /* 1..6 resolutions */
    int ch[6];       /* channels per level, e.g. 32, 64, 128, 128 */
    bool haar;       /* HAAR2 front end: level 0 runs at half resolution */
} db_unet_spec;

/* networks.md: gray, page-standardised, 4 levels 32/64/128/128, no DWT. */
db_unet_spec db_unet_spec_default(void);

/* Appends the network to an empty graph g. Stem: CONV_REAL 3x3 -> ch[0];
 * blocks y = RPRELU(BN(BCONV3x3(x))) + shortcut(x) (identity, AVGPOOL2 for
 * stride 2, CHANNEL_DUP when channels double, CHANNEL_PAIR_MEAN when they
 * halve); encoder: one block at level 0, a stride-2 block and a block at each
 * lower level; decoder per level: channel-changing block, UPSAMPLE2, ADD the
 * skip, block; head CONV_REAL 1x1 -> 1 logit (with haar: UPSAMPLE2 to the
 * input size first). Parameters are identity defaults. */
int db_unet_build(db_ctx *ctx, const db_unet_spec *spec, db_graph *g);

/* Fills every parameter with seeded random values of sensible scale (for
 * tests and benchmarks: activations neither saturate nor vanish). */
void db_graph_randomize(db_graph *g, uint64_t seed);

#endif
