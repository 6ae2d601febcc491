/* optim.c - Adam (Kingma & Ba 2015) over every trainable float of a tnet,
 * global-norm gradient clipping, and the learning-rate schedule (linear
 * warm-up, then cosine or step decay). Parameters are visited in node order,
 * weights then vectors, the same order as checkpoint.c. */
#include "nets/train/train_internal.h"

#include <math.h>

int tr_adam_init(db_ctx *ctx, tr_adam *a, const tnet *net)
{
    a->beta1 = 0.9f;
    a->beta2 = 0.999f;
    a->eps = 1e-8f;
    a->weight_decay = 0.0f;
    a->step = 0;
    a->n = tnet_param_count(net);
    a->m = db_calloc(ctx, a->n ? a->n : 1, sizeof(float));
    a->v = db_calloc(ctx, a->n ? a->n : 1, sizeof(float));
    if (!a->m || !a->v) {
        tr_adam_free(a);
        return DB_ENOMEM;
    }
    return 0;
}

void tr_adam_free(tr_adam *a)
{
    db_free(a->m);
    db_free(a->v);
    a->m = a->v = NULL;
}

static void update(tr_adam *a, float *p, const float *g, size_t n, float *m, float *v, float lr,
                   float scale, float bc1, float bc2, bool decay)
{
    for (size_t i = 0; i < n; i++) {
        float gi = g[i] * scale;
        if (decay)
            gi += a->weight_decay * p[i];
        m[i] = a->beta1 * m[i] + (1 - a->beta1) * gi;
        v[i] = a->beta2 * v[i] + (1 - a->beta2) * gi * gi;
        p[i] -= lr * (m[i] / bc1) / (sqrtf(v[i] / bc2) + a->eps);
    }
}

void tr_adam_step(tr_adam *a, tnet *net, float lr, float clip_scale)
{
    a->step++;
    float bc1 = 1 - powf(a->beta1, (float)a->step), bc2 = 1 - powf(a->beta2, (float)a->step);
    size_t off = 0;
    for (int i = 0; i < net->nnodes; i++) {
        tn_node *nd = &net->nodes[i];
        if (nd->nw) {
            update(a, nd->pw, nd->gw, nd->nw, a->m + off, a->v + off, lr, clip_scale, bc1, bc2,
                   true);
            off += nd->nw;
        }
        for (int j = 0; j < TN_MAXP; j++) {
            update(a, nd->p[j], nd->g[j], (size_t)nd->np[j], a->m + off, a->v + off, lr,
                   clip_scale, bc1, bc2, false);
            off += (size_t)nd->np[j];
        }
    }
}

double tr_grad_norm(const tnet *net)
{
    double s = 0;
    for (int i = 0; i < net->nnodes; i++) {
        const tn_node *nd = &net->nodes[i];
        for (size_t q = 0; q < nd->nw; q++)
            s += (double)nd->gw[q] * nd->gw[q];
        for (int j = 0; j < TN_MAXP; j++)
            for (int q = 0; q < nd->np[j]; q++)
                s += (double)nd->g[j][q] * nd->g[j][q];
    }
    return sqrt(s);
}

float tr_lr_at(long s, long total, long warmup, float lr, float lr_min, bool cosine)
{
    if (warmup > 0 && s < warmup)
        return lr * (float)(s + 1) / (float)warmup;
    if (total <= warmup)
        return lr;
    double t = (double)(s - warmup) / (double)(total - warmup);
    if (t > 1)
        t = 1;
    if (cosine)
        return (float)(lr_min + 0.5 * (lr - lr_min) * (1 + cos(3.141592653589793 * t)));
    return t < 0.6 ? lr : t < 0.85 ? lr * 0.1f : lr * 0.01f;
}
