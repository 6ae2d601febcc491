/* loss.c - pixel losses of the trainer, on logits: BCE + soft Dice on the text
 * mask (Milletari et al. 2016), and the DB head loss (Liao et al., AAAI 2020:
 * probability map P, threshold map T, approximate binary map
 * B = 1 / (1 + exp(-k (P - T))), k = 50) with its threshold-map target. Sums
 * in double, one pass in index order (deterministic). GAN losses: gan.c. */
#include "nets/train/train_internal.h"

#include <math.h>

static double sigm(double z)
{
    return z >= 0 ? 1.0 / (1.0 + exp(-z)) : exp(z) / (1.0 + exp(z));
}

/* log(1 + exp(-|z|)) + max(z, 0) - z t: BCE of sigmoid(z) against t, stable. */
static double bce_logit(double z, double t)
{
    return log1p(exp(-fabs(z))) + (z > 0 ? z : 0) - z * t;
}

double tr_loss_bce_dice_logits(const float *z, size_t zstride, const float *t, size_t n,
                               float dice_weight, float *gz)
{
    const double eps = 1.0;
    double bce = 0, inter = 0, sp = 0, st = 0;
    for (size_t i = 0; i < n; i++) {
        double p = sigm(z[i * zstride]);
        bce += bce_logit(z[i * zstride], t[i]);
        inter += p * t[i];
        sp += p;
        st += t[i];
    }
    double S = sp + st + eps, dice = (2 * inter + eps) / S;
    if (gz)
        for (size_t i = 0; i < n; i++) {
            double p = sigm(z[i * zstride]);
            double ddice = (2 * t[i] * S - (2 * inter + eps)) / (S * S);
            gz[i * zstride] = (float)((p - t[i]) / (double)n -
                                      dice_weight * ddice * p * (1 - p));
        }
    return bce / (double)n + dice_weight * (1 - dice);
}

double tr_loss_db(const float *zPT, const float *target, const float *t_target,
                  const float *t_mask, size_t n, float k, float dice_weight, float db_beta,
                  float db_gamma, float *gPT)
{
    /* P part: BCE + Dice on the P logits (even entries) */
    double L = tr_loss_bce_dice_logits(zPT, 2, target, n, dice_weight, gPT);
    double lb = 0, lt = 0, nm = 0;
    for (size_t i = 0; i < n; i++)
        nm += t_mask[i];
    if (nm < 1)
        nm = 1;
    for (size_t i = 0; i < n; i++) {
        double P = sigm(zPT[2 * i]), T = sigm(zPT[2 * i + 1]);
        double u = k * (P - T), B = sigm(u);
        lb += bce_logit(u, target[i]);
        double d = T - t_target[i];
        lt += t_mask[i] * fabs(d);
        if (gPT) {
            double gu = db_beta * (B - target[i]) / (double)n;
            gPT[2 * i] += (float)(gu * k * P * (1 - P));
            double gT = -gu * k * T * (1 - T);
            if (t_mask[i] > 0 && d != 0)
                gT += db_gamma * t_mask[i] * (d > 0 ? 1.0 : -1.0) / nm * T * (1 - T);
            gPT[2 * i + 1] = (float)gT;
        }
    }
    return L + db_beta * lb / (double)n + db_gamma * lt / nm;
}

void tr_db_threshold_target(const float *target, int w, int h, int r, float lo, float hi,
                            float *t_target, float *t_mask)
{
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            float cls = target[(size_t)y * w + x];
            int best = r * r + 1;
            for (int dy = -r; dy <= r; dy++) {
                int yy = y + dy;
                if (yy < 0 || yy >= h)
                    continue;
                for (int dx = -r; dx <= r; dx++) {
                    int xx = x + dx;
                    if (xx < 0 || xx >= w || target[(size_t)yy * w + xx] == cls)
                        continue;
                    int d2 = dx * dx + dy * dy;
                    best = d2 < best ? d2 : best;
                }
            }
            size_t i = (size_t)y * w + x;
            if (best <= r * r) {
                float d = sqrtf((float)best);
                t_target[i] = hi - (hi - lo) * (d - 1.0f) / (float)r;
                t_mask[i] = 1.0f;
            } else {
                t_target[i] = lo;
                t_mask[i] = 0.0f;
            }
        }
}

double tr_fmeasure(uint64_t tp, uint64_t fp, uint64_t fn)
{
    if (tp == 0)
        return 0.0;
    double p = (double)tp / (double)(tp + fp), r = (double)tp / (double)(tp + fn);
    return 100.0 * 2 * p * r / (p + r);
}
