/* arch.c - the network the trainer builds (nets/train/README.md): a 1-bit
 * U-Net in the Bi-Real / ReActNet style on the Haar DWT of the page (issue 7),
 * or (TR_INPUT_FULL, the "without DWT" ablation) the same U-Net with its stem
 * at full resolution on the RGB input.
 * Block: y = RPReLU(BN(BCONV(x))) + shortcut(x), with real-valued
 * parameter-free shortcuts (identity, 2x2 mean, channel copy, pair mean).
 * Real-valued stem (after HAAR2, or on the input) and head (at full size,
 * with the input). */
#include "nets/train/train_internal.h"

#define T(expr)                                                                        \
    do {                                                                               \
        if ((x = (expr)) < 0)                                                          \
            return x;                                                                  \
    } while (0)

/* One binary block from node in to cout channels, stride 1 or 2. */
static int block(db_ctx *ctx, tnet *net, int in, int cout, int stride, tr_rng *rng)
{
    int x, cin = net->nodes[in].c;
    T(tnet_bconv(ctx, net, in, cout, 3, stride, rng));
    T(tnet_unary(ctx, net, DB_OP_BATCHNORM, x));
    T(tnet_unary(ctx, net, DB_OP_RPRELU, x));
    int main_ = x, sc = in;
    if (stride == 2)
        T(sc = tnet_unary(ctx, net, DB_OP_AVGPOOL2, sc));
    if (cout == 2 * cin)
        T(sc = tnet_unary(ctx, net, DB_OP_CHANNEL_DUP, sc));
    else if (2 * cout == cin)
        T(sc = tnet_unary(ctx, net, DB_OP_CHANNEL_PAIR_MEAN, sc));
    else if (cout != cin)
        return db_fail(ctx, DB_EINVAL, "train: block from %d to %d channels", cin, cout);
    return tnet_binary(ctx, net, DB_OP_ADD, main_, sc);
}

static int level_width(const tr_arch *a, int l)
{
    int f = l >= 2 ? 4 : 1 << l;
    return a->width * f;
}

int tr_arch_unit(const tr_arch *arch)
{
    return arch->input == TR_INPUT_FULL ? 1 << (arch->levels - 1) : 1 << arch->levels;
}

int tr_arch_build(db_ctx *ctx, tnet *net, const tr_arch *a, tr_rng *rng)
{
    if (a->width < 2 || a->width > 512 || a->width % 2 || a->levels < 1 || a->levels > 5)
        return db_fail(ctx, DB_EINVAL, "train: width %d (even, 2..512) or levels %d (1..5)",
                       a->width, a->levels);
    if (a->input != TR_INPUT_DWT && a->input != TR_INPUT_FULL)
        return db_fail(ctx, DB_EINVAL, "train: input kind %d (dwt 0, full 1)", (int)a->input);
    int x, skip[6];
    int in;
    T(in = tnet_input(ctx, net, TR_IN_CHANNELS));
    if (a->input == TR_INPUT_DWT)
        T(tnet_unary(ctx, net, DB_OP_HAAR2, in));
    T(tnet_conv(ctx, net, x, a->width, 3, 1, rng));
    T(tnet_unary(ctx, net, DB_OP_BATCHNORM, x));
    T(block(ctx, net, x, a->width, 1, rng));
    skip[0] = x;
    for (int l = 1; l < a->levels; l++) {
        int w = level_width(a, l);
        T(block(ctx, net, x, w, 2, rng));
        T(block(ctx, net, x, w, 1, rng));
        skip[l] = x;
    }
    for (int l = a->levels - 1; l >= 1; l--) {
        T(block(ctx, net, x, level_width(a, l - 1), 1, rng));
        T(tnet_binary(ctx, net, DB_OP_UPSAMPLE2, x, skip[l - 1]));
        T(tnet_binary(ctx, net, DB_OP_ADD, x, skip[l - 1]));
        T(block(ctx, net, x, level_width(a, l - 1), 1, rng));
    }
    /* narrow to 8 channels at half size first: the full-size head conv is the
     * costliest real layer (its im2col is memory-bound), so it sees 8 + 3
     * channels instead of width + 3 (full input: the same, already at full size) */
    T(tnet_conv(ctx, net, x, 8, 1, 1, rng));
    T(tnet_unary(ctx, net, DB_OP_RPRELU, x));
    if (a->input == TR_INPUT_DWT)
        T(tnet_binary(ctx, net, DB_OP_UPSAMPLE2, x, in));
    T(tnet_binary(ctx, net, DB_OP_CONCAT, x, in));
    if (a->head == TR_HEAD_DB) {
        T(tnet_conv(ctx, net, x, 2, 3, 1, rng));
        T(tnet_unary(ctx, net, DB_OP_DB_HEAD, x));
    } else {
        T(tnet_conv(ctx, net, x, 1, 3, 1, rng));
    }
    return 0;
}
