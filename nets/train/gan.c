/* gan.c - the adversarial part of training: a small real-valued PatchGAN
 * critic (Isola et al., CVPR 2017; training only, never exported) and the
 * hinge (Lim & Ye 2017) and least-squares (Mao et al. 2017) losses, added to
 * the pixel loss as the DWT+GAN binarization papers do (Ju et al. 2022). */
#include "nets/train/train_internal.h"

double tr_gan_loss_eval(tr_gan_loss kind, const float *d, size_t n, bool is_real, bool gen,
                        float *gd)
{
    double L = 0, inv = 1.0 / (double)n;
    for (size_t i = 0; i < n; i++) {
        double v = d[i], g = 0;
        if (kind == TR_GAN_HINGE) {
            if (gen) {
                L -= v;
                g = -1;
            } else if (is_real) {
                L += v < 1 ? 1 - v : 0;
                g = v < 1 ? -1 : 0;
            } else {
                L += v > -1 ? 1 + v : 0;
                g = v > -1 ? 1 : 0;
            }
        } else {
            double tgt = (gen || is_real) ? 1.0 : 0.0;
            L += (v - tgt) * (v - tgt);
            g = 2 * (v - tgt);
        }
        if (gd)
            gd[i] = (float)(g * inv);
    }
    return L * inv;
}

int tr_gan_build(db_ctx *ctx, tnet *d, int in_c, int base, tr_rng *rng)
{
    /* 3 stride-2 convs (receptive field ~ 30 px), PReLU, then a 1x1 logit */
    int x = tnet_input(ctx, d, in_c);
    DB_TRY(x);
    int c = base;
    for (int l = 0; l < 3; l++) {
        x = tnet_conv(ctx, d, x, c, 3, 2, rng);
        DB_TRY(x);
        x = tnet_unary(ctx, d, DB_OP_RPRELU, x);
        DB_TRY(x);
        c *= 2;
    }
    x = tnet_conv(ctx, d, x, 1, 1, 1, rng);
    return x < 0 ? x : 0;
}
