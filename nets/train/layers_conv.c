/* layers_conv.c - real and binary convolutions of the training graph,
 * forward and backward, NHWC, by im2col + OpenBLAS sgemm, one sample per job.
 * Binary conv (ReActNet / Bi-Real): a = sign(x + thresh) with +1 spatial
 * padding, weights sign(w) * mean|w| per output channel; gradients reach the
 * latent weights and the input through the estimators of ste.c. Weight
 * gradients go to per-sample slots, summed in sample order (deterministic for
 * any thread count). */
#include "nets/train/train_internal.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

typedef struct conv_job {
    tnet *net;
    tn_node *nd;
    const tn_node *in;
} conv_job;

/* col[p][(ky*k + kx)*cin + ci] for output pixel p; taps outside the input read
 * pad. For BCONV the input value is the pre-sign aux, binarized here. */
static void im2col(const tnet *net, const tn_node *nd, const tn_node *in, const float *x,
                   float *col)
{
    const int k = nd->k, s = nd->stride, pad = k / 2, cin = nd->cin;
    const int W = in->w, H = in->h;
    const bool bin = nd->op == DB_OP_BCONV && !net->float_mode;
    const float padv = nd->op == DB_OP_BCONV ? 1.0f : 0.0f;
    const size_t K = (size_t)k * k * cin;
    for (int oy = 0; oy < nd->h; oy++)
        for (int ox = 0; ox < nd->w; ox++) {
            float *dst = col + ((size_t)oy * nd->w + ox) * K;
            for (int ky = 0; ky < k; ky++) {
                int iy = oy * s + ky - pad;
                for (int kx = 0; kx < k; kx++, dst += cin) {
                    int ix = ox * s + kx - pad;
                    if (iy < 0 || iy >= H || ix < 0 || ix >= W) {
                        for (int c = 0; c < cin; c++)
                            dst[c] = padv;
                        continue;
                    }
                    const float *src = x + ((size_t)iy * W + ix) * cin;
                    if (bin)
                        for (int c = 0; c < cin; c++)
                            dst[c] = tr_sign(src[c]);
                    else
                        memcpy(dst, src, (size_t)cin * sizeof(float));
                }
            }
        }
}

/* gx[iy][ix][ci] += gcol[p][(ky*k + kx)*cin + ci] over the taps inside. */
static void col2im(const tn_node *nd, const tn_node *in, const float *gcol, float *gx)
{
    const int k = nd->k, s = nd->stride, pad = k / 2, cin = nd->cin;
    const int W = in->w, H = in->h;
    const size_t K = (size_t)k * k * cin;
    for (int oy = 0; oy < nd->h; oy++)
        for (int ox = 0; ox < nd->w; ox++) {
            const float *src = gcol + ((size_t)oy * nd->w + ox) * K;
            for (int ky = 0; ky < k; ky++) {
                int iy = oy * s + ky - pad;
                for (int kx = 0; kx < k; kx++, src += cin) {
                    int ix = ox * s + kx - pad;
                    if (iy < 0 || iy >= H || ix < 0 || ix >= W)
                        continue;
                    float *dst = gx + ((size_t)iy * W + ix) * cin;
                    for (int c = 0; c < cin; c++)
                        dst[c] += src[c];
                }
            }
        }
}

static bool direct_input(const tn_node *nd)
{
    return nd->op == DB_OP_CONV_REAL && nd->k == 1 && nd->stride == 1;
}

static void forward_job(void *arg, int b, int worker)
{
    conv_job *j = arg;
    tnet *net = j->net;
    tn_node *nd = j->nd;
    const tn_node *in = j->in;
    const size_t K = (size_t)nd->k * nd->k * nd->cin;
    const size_t npx = (size_t)nd->h * nd->w, inpx = (size_t)in->h * in->w;
    const float *x = in->y + (size_t)b * inpx * nd->cin;
    if (nd->op == DB_OP_BCONV) {
        float *a = nd->aux + (size_t)b * inpx * nd->cin;
        for (size_t p = 0; p < inpx; p++)
            for (int c = 0; c < nd->cin; c++)
                a[p * nd->cin + c] = x[p * nd->cin + c] + nd->p[0][c];
        x = a;
    }
    const float *col = x;
    if (!direct_input(nd)) {
        im2col(net, nd, in, x, net->col[worker]);
        col = net->col[worker];
    }
    float *y = nd->y + (size_t)b * npx * nd->c;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)npx, nd->c, (int)K, 1.0f, col,
                (int)K, nd->wf, (int)K, 0.0f, y, nd->c);
    if (nd->op == DB_OP_CONV_REAL)
        for (size_t p = 0; p < npx; p++)
            for (int o = 0; o < nd->c; o++)
                y[p * nd->c + o] += nd->p[0][o];
}

void tl_conv_forward(tnet *net, int i)
{
    tn_node *nd = &net->nodes[i];
    const size_t fan = nd->nw / (size_t)nd->c;
    if (nd->op == DB_OP_BCONV && !net->float_mode) {
        for (int o = 0; o < nd->c; o++) {
            const float *w = nd->pw + (size_t)o * fan;
            double s = 0;
            for (size_t j = 0; j < fan; j++)
                s += fabsf(w[j]);
            float al = (float)(s / (double)fan);
            nd->alpha[o] = al;
            for (size_t j = 0; j < fan; j++)
                nd->wf[(size_t)o * fan + j] = tr_est_weight_sign(&net->est, w[j]) * al;
        }
    } else {
        memcpy(nd->wf, nd->pw, nd->nw * sizeof(float));
    }
    conv_job j = {net, nd, &net->nodes[nd->in0]};
    db_pool_run(net->pool, net->n, forward_job, &j);
}

static void backward_job(void *arg, int b, int worker)
{
    conv_job *j = arg;
    tnet *net = j->net;
    tn_node *nd = j->nd;
    const tn_node *in = j->in;
    const int K = nd->k * nd->k * nd->cin;
    const size_t npx = (size_t)nd->h * nd->w, inpx = (size_t)in->h * in->w;
    const float *x = nd->op == DB_OP_BCONV ? nd->aux + (size_t)b * inpx * nd->cin
                                           : in->y + (size_t)b * inpx * nd->cin;
    const float *col = x;
    if (!direct_input(nd)) {
        im2col(net, nd, in, x, net->col[worker]);
        col = net->col[worker];
    }
    const float *gy = nd->gy + (size_t)b * npx * nd->c;
    float *slot = net->gslot + (size_t)b * net->slot_stride;
    /* slot: dW [cout][K], then bias (CONV) or thresh (BCONV) */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, nd->c, K, (int)npx, 1.0f, gy, nd->c,
                col, K, 0.0f, slot, K);
    float *gv = slot + nd->nw;
    float *gx = in->gy + (size_t)b * inpx * nd->cin;
    if (nd->op == DB_OP_CONV_REAL) {
        for (int o = 0; o < nd->c; o++)
            gv[o] = 0.0f;
        for (size_t p = 0; p < npx; p++)
            for (int o = 0; o < nd->c; o++)
                gv[o] += gy[p * nd->c + o];
        if (direct_input(nd)) {
            /* gx += gy * W */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)npx, K, nd->c, 1.0f, gy,
                        nd->c, nd->wf, K, 1.0f, gx, K);
            return;
        }
    }
    float *gcol = net->gcol[worker];
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)npx, K, nd->c, 1.0f, gy, nd->c,
                nd->wf, K, 0.0f, gcol, K);
    if (nd->op == DB_OP_CONV_REAL) {
        col2im(nd, in, gcol, gx);
        return;
    }
    /* BCONV: gradient w.r.t. a = sign(x + thresh), then through the estimator */
    float *ga = net->col[worker]; /* col is no longer needed; it holds >= inpx*cin */
    memset(ga, 0, inpx * (size_t)nd->cin * sizeof(float));
    col2im(nd, in, gcol, ga);
    for (int c = 0; c < nd->cin; c++)
        gv[c] = 0.0f;
    for (size_t p = 0; p < inpx; p++)
        for (int c = 0; c < nd->cin; c++) {
            size_t q = p * nd->cin + c;
            float d = net->float_mode ? ga[q] : ga[q] * tr_est_act_grad(&net->est, x[q]);
            gx[q] += d;
            gv[c] += d;
        }
}

void tl_conv_backward(tnet *net, int i)
{
    tn_node *nd = &net->nodes[i];
    conv_job j = {net, nd, &net->nodes[nd->in0]};
    db_pool_run(net->pool, net->n, backward_job, &j);
    /* reduce the slots in sample order */
    const bool bin = nd->op == DB_OP_BCONV && !net->float_mode;
    for (size_t q = 0; q < nd->nw; q++) {
        float sum = 0.0f;
        for (int b = 0; b < net->n; b++)
            sum += net->gslot[(size_t)b * net->slot_stride + q];
        nd->gw[q] += bin ? sum * tr_est_weight_grad(&net->est, nd->pw[q]) : sum;
    }
    for (int c = 0; c < nd->np[0]; c++) {
        float sum = 0.0f;
        for (int b = 0; b < net->n; b++)
            sum += net->gslot[(size_t)b * net->slot_stride + nd->nw + (size_t)c];
        nd->g[0][c] += sum;
    }
}
