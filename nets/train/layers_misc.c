/* layers_misc.c - every non-conv layer of the training graph, forward and
 * backward on a NHWC batch: BatchNorm (batch statistics in training, folded
 * running statistics in eval, Ioffe & Szegedy 2015), RPReLU (ReActNet), ADD,
 * AVGPOOL2 and HAAR2 (edge replicate, as graph.h), nearest UPSAMPLE2, CONCAT,
 * CHANNEL_DUP, CHANNEL_PAIR_MEAN, SIGMOID, DB_HEAD. Per-channel parameter
 * gradients are summed per sample, then in sample order. Convs: layers_conv.c. */
#include "nets/train/train_internal.h"

#include <math.h>
#include <string.h>

typedef struct lay_job {
    tnet *net;
    tn_node *nd;
    tn_mode mode;
} lay_job;

static size_t npx(const tn_node *nd)
{
    return (size_t)nd->h * nd->w;
}

static float *sample(float *base, const tn_node *nd, int b)
{
    return base + (size_t)b * npx(nd) * nd->c;
}

/* ------------------------------------------------------------- BatchNorm */

static void bn_sum_job(void *arg, int b, int worker)
{
    lay_job *j = arg;
    tn_node *nd = j->nd;
    const tn_node *in = &j->net->nodes[nd->in0];
    const float *x = sample(in->y, in, b);
    double *acc = (double *)(void *)(j->net->gslot + (size_t)b * j->net->slot_stride);
    const int C = nd->c;
    for (int c = 0; c < 2 * C; c++)
        acc[c] = 0;
    /* pass 1 (mode TN_TRAIN): sums; the variance pass reuses the mean */
    for (size_t p = 0; p < npx(nd); p++)
        for (int c = 0; c < C; c++) {
            double v = x[p * C + c];
            acc[c] += v;
            double d = v - nd->bmean[c];
            acc[C + c] += d * d;
        }
}

static void bn_apply_job(void *arg, int b, int worker)
{
    lay_job *j = arg;
    tn_node *nd = j->nd;
    const tn_node *in = &j->net->nodes[nd->in0];
    const float *x = sample(in->y, in, b);
    float *y = sample(nd->y, nd, b);
    const int C = nd->c;
    if (j->mode == TN_EVAL) {
        for (size_t p = 0; p < npx(nd); p++)
            for (int c = 0; c < C; c++)
                y[p * C + c] = db_bn_out(x[p * C + c], nd->bmean[c], nd->binvstd[c]);
        return;
    }
    float *xh = sample(nd->aux, nd, b);
    for (size_t p = 0; p < npx(nd); p++)
        for (int c = 0; c < C; c++) {
            size_t q = p * C + c;
            xh[q] = (x[q] - nd->bmean[c]) * nd->binvstd[c];
            y[q] = nd->p[0][c] * xh[q] + nd->p[1][c];
        }
}

static void bn_forward(tnet *net, tn_node *nd, tn_mode mode)
{
    lay_job j = {net, nd, mode};
    const int C = nd->c;
    if (mode == TN_EVAL) {
        /* folded exactly as the exporter folds: bmean/binvstd hold scale/bias */
        for (int c = 0; c < C; c++)
            db_bn_fold(nd->p[0][c], nd->p[1][c], nd->run_mean[c], nd->run_var[c], net->bn_eps,
                       &nd->bmean[c], &nd->binvstd[c]);
        db_pool_run(net->pool, net->n, bn_apply_job, &j);
        return;
    }
    const double cnt = (double)net->n * (double)npx(nd);
    /* mean first (with bmean = 0 the second sum is sum x^2, unused) */
    for (int c = 0; c < C; c++)
        nd->bmean[c] = 0.0f;
    db_pool_run(net->pool, net->n, bn_sum_job, &j);
    for (int c = 0; c < C; c++) {
        double s = 0;
        for (int b = 0; b < net->n; b++)
            s += ((double *)(void *)(net->gslot + (size_t)b * net->slot_stride))[c];
        nd->bmean[c] = (float)(s / cnt);
    }
    db_pool_run(net->pool, net->n, bn_sum_job, &j);
    for (int c = 0; c < C; c++) {
        double s = 0;
        for (int b = 0; b < net->n; b++)
            s += ((double *)(void *)(net->gslot + (size_t)b * net->slot_stride))[C + c];
        double var = s / cnt;
        nd->binvstd[c] = (float)(1.0 / sqrt(var + net->bn_eps));
        double m = net->bn_momentum;
        nd->run_mean[c] = (float)((1 - m) * nd->run_mean[c] + m * nd->bmean[c]);
        double unb = cnt > 1 ? var * cnt / (cnt - 1) : var;
        nd->run_var[c] = (float)((1 - m) * nd->run_var[c] + m * unb);
    }
    db_pool_run(net->pool, net->n, bn_apply_job, &j);
}

static void bn_gsum_job(void *arg, int b, int worker)
{
    lay_job *j = arg;
    tn_node *nd = j->nd;
    const float *gy = sample(nd->gy, nd, b), *xh = sample(nd->aux, nd, b);
    double *acc = (double *)(void *)(j->net->gslot + (size_t)b * j->net->slot_stride);
    const int C = nd->c;
    for (int c = 0; c < 2 * C; c++)
        acc[c] = 0;
    for (size_t p = 0; p < npx(nd); p++)
        for (int c = 0; c < C; c++) {
            acc[c] += gy[p * C + c];
            acc[C + c] += (double)gy[p * C + c] * xh[p * C + c];
        }
}

static void bn_gx_job(void *arg, int b, int worker)
{
    lay_job *j = arg;
    tn_node *nd = j->nd;
    const tn_node *in = &j->net->nodes[nd->in0];
    const float *gy = sample(nd->gy, nd, b), *xh = sample(nd->aux, nd, b);
    float *gx = sample(in->gy, in, b);
    const int C = nd->c;
    const float cnt = (float)((double)j->net->n * (double)npx(nd));
    /* nd->wf holds sum(gy) and sum(gy * x-hat) per channel (bn_backward) */
    for (size_t p = 0; p < npx(nd); p++)
        for (int c = 0; c < C; c++) {
            size_t q = p * C + c;
            float k = nd->p[0][c] * nd->binvstd[c];
            gx[q] += k * (gy[q] - nd->wf[c] / cnt - xh[q] * nd->wf[C + c] / cnt);
        }
}

static void bn_backward(tnet *net, tn_node *nd)
{
    lay_job j = {net, nd, TN_TRAIN};
    const int C = nd->c;
    db_pool_run(net->pool, net->n, bn_gsum_job, &j);
    for (int c = 0; c < C; c++) {
        double sg = 0, sgx = 0;
        for (int b = 0; b < net->n; b++) {
            const double *acc = (const double *)(void *)(net->gslot + (size_t)b * net->slot_stride);
            sg += acc[c];
            sgx += acc[C + c];
        }
        nd->wf[c] = (float)sg; /* BN keeps its two per-channel sums in wf */
        nd->wf[C + c] = (float)sgx;
        nd->g[0][c] += (float)sgx;
        nd->g[1][c] += (float)sg;
    }
    db_pool_run(net->pool, net->n, bn_gx_job, &j);
}

/* ------------------------------------------------------------- elementwise */

static void fwd_job(void *arg, int b, int worker)
{
    lay_job *j = arg;
    tn_node *nd = j->nd;
    const tn_node *a = &j->net->nodes[nd->in0];
    const tn_node *bb = nd->in1 >= 0 ? &j->net->nodes[nd->in1] : NULL;
    const float *x = sample(a->y, a, b);
    float *y = sample(nd->y, nd, b);
    const int C = nd->c, Ca = a->c;
    const size_t n = npx(nd);
    switch (nd->op) {
    case DB_OP_RPRELU:
        for (size_t p = 0; p < n; p++)
            for (int c = 0; c < C; c++)
                y[p * C + c] = db_rprelu_out(x[p * C + c], nd->p[0][c], nd->p[1][c], nd->p[2][c]);
        break;
    case DB_OP_ADD: {
        const float *x2 = sample(bb->y, bb, b);
        for (size_t q = 0; q < n * (size_t)C; q++)
            y[q] = x[q] + x2[q];
        break;
    }
    case DB_OP_SIGMOID:
        for (size_t q = 0; q < n * (size_t)C; q++)
            y[q] = db_sigmoid_out(x[q]);
        break;
    case DB_OP_DB_HEAD:
        for (size_t p = 0; p < n; p++)
            y[p] = x[2 * p] - x[2 * p + 1];
        break;
    case DB_OP_CONCAT: {
        const float *x2 = sample(bb->y, bb, b);
        const int Cb = bb->c;
        for (size_t p = 0; p < n; p++) {
            memcpy(y + p * C, x + p * Ca, (size_t)Ca * sizeof(float));
            memcpy(y + p * C + Ca, x2 + p * Cb, (size_t)Cb * sizeof(float));
        }
        break;
    }
    case DB_OP_CHANNEL_DUP:
        for (size_t p = 0; p < n; p++)
            for (int c = 0; c < C; c++)
                y[p * C + c] = x[p * Ca + c % Ca];
        break;
    case DB_OP_CHANNEL_PAIR_MEAN:
        for (size_t p = 0; p < n; p++)
            for (int c = 0; c < C; c++)
                y[p * C + c] = db_pair_mean(x[p * Ca + 2 * c], x[p * Ca + 2 * c + 1]);
        break;
    case DB_OP_UPSAMPLE2:
        for (int oy = 0; oy < nd->h; oy++)
            for (int ox = 0; ox < nd->w; ox++)
                memcpy(y + ((size_t)oy * nd->w + ox) * C,
                       x + ((size_t)(oy / 2) * a->w + ox / 2) * Ca, (size_t)C * sizeof(float));
        break;
    case DB_OP_AVGPOOL2:
    case DB_OP_HAAR2:
        for (int oy = 0; oy < nd->h; oy++) {
            int y0 = 2 * oy, y1 = 2 * oy + 1 < a->h ? 2 * oy + 1 : a->h - 1;
            for (int ox = 0; ox < nd->w; ox++) {
                int x0 = 2 * ox, x1 = 2 * ox + 1 < a->w ? 2 * ox + 1 : a->w - 1;
                const float *pa = x + ((size_t)y0 * a->w + x0) * Ca;
                const float *pb = x + ((size_t)y0 * a->w + x1) * Ca;
                const float *pc = x + ((size_t)y1 * a->w + x0) * Ca;
                const float *pd = x + ((size_t)y1 * a->w + x1) * Ca;
                float *o = y + ((size_t)oy * nd->w + ox) * C;
                for (int c = 0; c < Ca; c++) {
                    if (nd->op == DB_OP_AVGPOOL2)
                        o[c] = db_avgpool_out(pa[c], pb[c], pc[c], pd[c]);
                    else
                        db_haar2_out(pa[c], pb[c], pc[c], pd[c], o + 4 * c);
                }
            }
        }
        break;
    default:
        break;
    }
}

static void bwd_job(void *arg, int b, int worker)
{
    lay_job *j = arg;
    tnet *net = j->net;
    tn_node *nd = j->nd;
    tn_node *a = &net->nodes[nd->in0];
    tn_node *bb = nd->in1 >= 0 ? &net->nodes[nd->in1] : NULL;
    const float *x = sample(a->y, a, b), *y = sample(nd->y, nd, b);
    const float *gy = sample(nd->gy, nd, b);
    float *gx = sample(a->gy, a, b);
    const int C = nd->c, Ca = a->c;
    const size_t n = npx(nd);
    switch (nd->op) {
    case DB_OP_RPRELU: {
        float *acc = net->gslot + (size_t)b * net->slot_stride;
        memset(acc, 0, 3 * (size_t)C * sizeof(float));
        for (size_t p = 0; p < n; p++)
            for (int c = 0; c < C; c++) {
                size_t q = p * C + c;
                float t = x[q] + nd->p[0][c];
                float gt = t > 0.0f ? gy[q] : gy[q] * nd->p[1][c];
                if (!(t > 0.0f))
                    acc[C + c] += gy[q] * t;
                acc[c] += gt;
                acc[2 * C + c] += gy[q];
                gx[q] += gt;
            }
        break;
    }
    case DB_OP_ADD: {
        float *gx2 = sample(bb->gy, bb, b);
        for (size_t q = 0; q < n * (size_t)C; q++) {
            gx[q] += gy[q];
            gx2[q] += gy[q];
        }
        break;
    }
    case DB_OP_SIGMOID:
        for (size_t q = 0; q < n * (size_t)C; q++)
            gx[q] += gy[q] * y[q] * (1.0f - y[q]);
        break;
    case DB_OP_DB_HEAD:
        for (size_t p = 0; p < n; p++) {
            gx[2 * p] += gy[p];
            gx[2 * p + 1] -= gy[p];
        }
        break;
    case DB_OP_CONCAT: {
        float *gx2 = sample(bb->gy, bb, b);
        const int Cb = bb->c;
        for (size_t p = 0; p < n; p++) {
            for (int c = 0; c < Ca; c++)
                gx[p * Ca + c] += gy[p * C + c];
            for (int c = 0; c < Cb; c++)
                gx2[p * Cb + c] += gy[p * C + Ca + c];
        }
        break;
    }
    case DB_OP_CHANNEL_DUP:
        for (size_t p = 0; p < n; p++)
            for (int c = 0; c < C; c++)
                gx[p * Ca + c % Ca] += gy[p * C + c];
        break;
    case DB_OP_CHANNEL_PAIR_MEAN:
        for (size_t p = 0; p < n; p++)
            for (int c = 0; c < C; c++) {
                gx[p * Ca + 2 * c] += 0.5f * gy[p * C + c];
                gx[p * Ca + 2 * c + 1] += 0.5f * gy[p * C + c];
            }
        break;
    case DB_OP_UPSAMPLE2:
        for (int oy = 0; oy < nd->h; oy++)
            for (int ox = 0; ox < nd->w; ox++) {
                float *d = gx + ((size_t)(oy / 2) * a->w + ox / 2) * Ca;
                const float *s = gy + ((size_t)oy * nd->w + ox) * C;
                for (int c = 0; c < C; c++)
                    d[c] += s[c];
            }
        break;
    case DB_OP_AVGPOOL2:
    case DB_OP_HAAR2:
        for (int oy = 0; oy < nd->h; oy++) {
            int y0 = 2 * oy, y1 = 2 * oy + 1 < a->h ? 2 * oy + 1 : a->h - 1;
            for (int ox = 0; ox < nd->w; ox++) {
                int x0 = 2 * ox, x1 = 2 * ox + 1 < a->w ? 2 * ox + 1 : a->w - 1;
                float *pa = gx + ((size_t)y0 * a->w + x0) * Ca;
                float *pb = gx + ((size_t)y0 * a->w + x1) * Ca;
                float *pc = gx + ((size_t)y1 * a->w + x0) * Ca;
                float *pd = gx + ((size_t)y1 * a->w + x1) * Ca;
                const float *o = gy + ((size_t)oy * nd->w + ox) * C;
                for (int c = 0; c < Ca; c++) {
                    float ga, gb, gc, gd;
                    if (nd->op == DB_OP_AVGPOOL2) {
                        ga = gb = gc = gd = 0.25f * o[c];
                    } else {
                        /* transpose of the orthonormal Haar matrix (x 1/2) */
                        const float *s = o + 4 * c;
                        ga = 0.5f * (s[0] + s[1] + s[2] + s[3]);
                        gb = 0.5f * (s[0] - s[1] + s[2] - s[3]);
                        gc = 0.5f * (s[0] + s[1] - s[2] - s[3]);
                        gd = 0.5f * (s[0] - s[1] - s[2] + s[3]);
                    }
                    pa[c] += ga;
                    pb[c] += gb;
                    pc[c] += gc;
                    pd[c] += gd;
                }
            }
        }
        break;
    default:
        break;
    }
}

void tl_forward(tnet *net, int i, tn_mode mode)
{
    tn_node *nd = &net->nodes[i];
    if (nd->op == DB_OP_CONV_REAL || nd->op == DB_OP_BCONV) {
        tl_conv_forward(net, i);
        return;
    }
    if (nd->op == DB_OP_BATCHNORM) {
        bn_forward(net, nd, mode);
        return;
    }
    lay_job j = {net, nd, mode};
    db_pool_run(net->pool, net->n, fwd_job, &j);
}

void tl_backward(tnet *net, int i)
{
    tn_node *nd = &net->nodes[i];
    if (nd->op == DB_OP_CONV_REAL || nd->op == DB_OP_BCONV) {
        tl_conv_backward(net, i);
        return;
    }
    if (nd->op == DB_OP_BATCHNORM) {
        bn_backward(net, nd);
        return;
    }
    lay_job j = {net, nd, TN_TRAIN};
    db_pool_run(net->pool, net->n, bwd_job, &j);
    if (nd->op == DB_OP_RPRELU)
        for (int k = 0; k < 3; k++)
            for (int c = 0; c < nd->c; c++) {
                float s = 0.0f;
                for (int b = 0; b < net->n; b++)
                    s += net->gslot[(size_t)b * net->slot_stride + (size_t)k * nd->c + c];
                nd->g[k][c] += s;
            }
}
