/* tnet.c - the training graph: building (He-initialised latent weights),
 * sizing the activations of a batch, forward and backward over the nodes,
 * and the export to the shared description (nets/graph.h). Layer maths is in
 * layers_conv.c and layers_misc.c. */
#include "nets/train/train_internal.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

void tnet_init(tnet *net)
{
    memset(net, 0, sizeof *net);
    tr_est_defaults(&net->est);
    net->bn_momentum = 0.1f;
    net->bn_eps = 1e-5f;
}

static void node_free(tn_node *nd)
{
    db_free(nd->pw);
    db_free(nd->gw);
    for (int j = 0; j < TN_MAXP; j++) {
        db_free(nd->p[j]);
        db_free(nd->g[j]);
    }
    db_free(nd->run_mean);
    db_free(nd->run_var);
    db_free(nd->bmean);
    db_free(nd->binvstd);
    db_free(nd->wf);
    db_free(nd->alpha);
    db_aligned_free(nd->y);
    db_aligned_free(nd->gy);
    db_aligned_free(nd->aux);
}

void tnet_free(tnet *net)
{
    if (!net)
        return;
    for (int i = 0; i < net->nnodes; i++)
        node_free(&net->nodes[i]);
    db_free(net->nodes);
    for (int t = 0; t < net->nworkers; t++) {
        db_aligned_free(net->col ? net->col[t] : NULL);
        db_aligned_free(net->gcol ? net->gcol[t] : NULL);
    }
    db_free(net->col);
    db_free(net->gcol);
    db_aligned_free(net->gslot);
    memset(net, 0, sizeof *net);
}

static float *zalloc(db_ctx *ctx, size_t n)
{
    return db_calloc(ctx, n ? n : 1, sizeof(float));
}

static int fill_const(db_ctx *ctx, float **p, int n, float v)
{
    *p = zalloc(ctx, (size_t)n);
    if (!*p)
        return DB_ENOMEM;
    for (int i = 0; i < n; i++)
        (*p)[i] = v;
    return 0;
}

/* Parameter vectors and state of a new node, by op. */
static int node_params(db_ctx *ctx, tn_node *nd, tr_rng *rng)
{
    switch (nd->op) {
    case DB_OP_CONV_REAL:
    case DB_OP_BCONV: {
        size_t fan_in = (size_t)nd->k * (size_t)nd->k * (size_t)nd->cin;
        nd->nw = (size_t)nd->c * fan_in;
        nd->pw = zalloc(ctx, nd->nw);
        nd->gw = zalloc(ctx, nd->nw);
        nd->wf = zalloc(ctx, nd->nw);
        if (!nd->pw || !nd->gw || !nd->wf)
            return DB_ENOMEM;
        float sd = sqrtf(2.0f / (float)fan_in);
        for (size_t j = 0; j < nd->nw; j++)
            nd->pw[j] = (float)tr_rng_normal(rng) * sd;
        nd->np[0] = nd->op == DB_OP_BCONV ? nd->cin : nd->c;
        DB_TRY(fill_const(ctx, &nd->p[0], nd->np[0], 0.0f));
        if (nd->op == DB_OP_BCONV)
            DB_TRY(fill_const(ctx, &nd->alpha, nd->c, 1.0f));
        break;
    }
    case DB_OP_BATCHNORM:
        nd->np[0] = nd->np[1] = nd->c;
        DB_TRY(fill_const(ctx, &nd->p[0], nd->c, 1.0f));
        DB_TRY(fill_const(ctx, &nd->p[1], nd->c, 0.0f));
        DB_TRY(fill_const(ctx, &nd->run_mean, nd->c, 0.0f));
        DB_TRY(fill_const(ctx, &nd->run_var, nd->c, 1.0f));
        DB_TRY(fill_const(ctx, &nd->bmean, nd->c, 0.0f));
        DB_TRY(fill_const(ctx, &nd->binvstd, nd->c, 1.0f));
        DB_TRY(fill_const(ctx, &nd->wf, 2 * nd->c, 0.0f)); /* backward sums */
        break;
    case DB_OP_RPRELU:
        nd->np[0] = nd->np[1] = nd->np[2] = nd->c;
        DB_TRY(fill_const(ctx, &nd->p[0], nd->c, 0.0f));
        DB_TRY(fill_const(ctx, &nd->p[1], nd->c, 0.25f));
        DB_TRY(fill_const(ctx, &nd->p[2], nd->c, 0.0f));
        break;
    default:
        break;
    }
    for (int j = 0; j < TN_MAXP; j++)
        if (nd->np[j] && !(nd->g[j] = zalloc(ctx, (size_t)nd->np[j])))
            return DB_ENOMEM;
    return 0;
}

int tnet_add(db_ctx *ctx, tnet *net, db_op op, int in0, int in1, int cout, int k, int stride,
             tr_rng *rng)
{
    if (net->nnodes == net->cap) {
        int cap = net->cap ? 2 * net->cap : 32;
        tn_node *nn = db_realloc(ctx, net->nodes, (size_t)cap * sizeof *nn);
        if (!nn)
            return DB_ENOMEM;
        net->nodes = nn;
        net->cap = cap;
    }
    int idx = net->nnodes;
    if ((op == DB_OP_INPUT) != (idx == 0) || in0 >= idx || in1 >= idx ||
        (op != DB_OP_INPUT && in0 < 0))
        return db_fail(ctx, DB_EINVAL, "train: bad node %d (%s)", idx, db_op_name(op));
    tn_node *nd = &net->nodes[idx];
    memset(nd, 0, sizeof *nd);
    nd->op = op;
    nd->in0 = in0;
    nd->in1 = in1;
    nd->k = k;
    nd->stride = stride;
    nd->cin = in0 >= 0 ? net->nodes[in0].c : cout;
    int cb = in1 >= 0 ? net->nodes[in1].c : 0;
    switch (op) {
    case DB_OP_INPUT:
    case DB_OP_CONV_REAL:
    case DB_OP_BCONV: nd->c = cout; break;
    case DB_OP_CONCAT: nd->c = nd->cin + cb; break;
    case DB_OP_CHANNEL_DUP: nd->c = 2 * nd->cin; break;
    case DB_OP_CHANNEL_PAIR_MEAN: nd->c = nd->cin / 2; break;
    case DB_OP_HAAR2: nd->c = 4 * nd->cin; break;
    case DB_OP_DB_HEAD: nd->c = 1; break;
    case DB_OP_ADD:
        if (cb != nd->cin)
            return db_fail(ctx, DB_EINVAL, "train: add of %d and %d channels", nd->cin, cb);
        nd->c = nd->cin;
        break;
    default: nd->c = nd->cin; break;
    }
    if (nd->c <= 0 || (op == DB_OP_CHANNEL_PAIR_MEAN && nd->cin % 2) ||
        (op == DB_OP_DB_HEAD && nd->cin != 2))
        return db_fail(ctx, DB_EINVAL, "train: bad channel count for %s (%d)", db_op_name(op),
                       nd->cin);
    net->nnodes++; /* counted now so that tnet_free releases a half-built node */
    return node_params(ctx, nd, rng) < 0 ? DB_ENOMEM : idx;
}

int tnet_input(db_ctx *ctx, tnet *net, int c)
{
    return tnet_add(ctx, net, DB_OP_INPUT, -1, -1, c, 0, 0, NULL);
}

int tnet_conv(db_ctx *ctx, tnet *net, int in, int cout, int k, int stride, tr_rng *rng)
{
    return tnet_add(ctx, net, DB_OP_CONV_REAL, in, -1, cout, k, stride, rng);
}

int tnet_bconv(db_ctx *ctx, tnet *net, int in, int cout, int k, int stride, tr_rng *rng)
{
    return tnet_add(ctx, net, DB_OP_BCONV, in, -1, cout, k, stride, rng);
}

int tnet_unary(db_ctx *ctx, tnet *net, db_op op, int in)
{
    return tnet_add(ctx, net, op, in, -1, 0, 0, 0, NULL);
}

int tnet_binary(db_ctx *ctx, tnet *net, db_op op, int a, int b)
{
    return tnet_add(ctx, net, op, a, b, 0, 0, 0, NULL);
}

size_t tnet_param_count(const tnet *net)
{
    size_t s = 0;
    for (int i = 0; i < net->nnodes; i++) {
        s += net->nodes[i].nw;
        for (int j = 0; j < TN_MAXP; j++)
            s += (size_t)net->nodes[i].np[j];
    }
    return s;
}

static int half_up(int v)
{
    return (v + 1) / 2;
}

/* Output size of every node for a w x h input, as db_graph_shapes. */
static void node_sizes(tnet *net, int w, int h)
{
    for (int i = 0; i < net->nnodes; i++) {
        tn_node *nd = &net->nodes[i];
        if (nd->op == DB_OP_INPUT) {
            nd->w = w;
            nd->h = h;
            continue;
        }
        const tn_node *a = &net->nodes[nd->in0];
        nd->w = a->w;
        nd->h = a->h;
        if (((nd->op == DB_OP_CONV_REAL || nd->op == DB_OP_BCONV) && nd->stride == 2) ||
            nd->op == DB_OP_AVGPOOL2 || nd->op == DB_OP_HAAR2) {
            nd->w = half_up(a->w);
            nd->h = half_up(a->h);
        } else if (nd->op == DB_OP_UPSAMPLE2) {
            nd->w = net->nodes[nd->in1].w;
            nd->h = net->nodes[nd->in1].h;
        }
    }
}

void tnet_macs(const tnet *net, int w, int h, double *real_macs, double *bin_macs)
{
    /* sizes as node_sizes, without touching the net */
    static const int maxn = DB_GRAPH_MAX_NODES;
    int ws[DB_GRAPH_MAX_NODES], hs[DB_GRAPH_MAX_NODES];
    *real_macs = *bin_macs = 0;
    for (int i = 0; i < net->nnodes && i < maxn; i++) {
        const tn_node *nd = &net->nodes[i];
        if (nd->op == DB_OP_INPUT) {
            ws[i] = w;
            hs[i] = h;
            continue;
        }
        ws[i] = ws[nd->in0];
        hs[i] = hs[nd->in0];
        if (((nd->op == DB_OP_CONV_REAL || nd->op == DB_OP_BCONV) && nd->stride == 2) ||
            nd->op == DB_OP_AVGPOOL2 || nd->op == DB_OP_HAAR2) {
            ws[i] = half_up(ws[i]);
            hs[i] = half_up(hs[i]);
        } else if (nd->op == DB_OP_UPSAMPLE2) {
            ws[i] = ws[nd->in1];
            hs[i] = hs[nd->in1];
        }
        double m = (double)ws[i] * hs[i] * (double)nd->nw;
        if (nd->op == DB_OP_CONV_REAL)
            *real_macs += m;
        else if (nd->op == DB_OP_BCONV)
            *bin_macs += m;
    }
}

static int ensure(db_ctx *ctx, float **p, size_t *have, size_t need)
{
    if (*have >= need && *p)
        return 0;
    db_aligned_free(*p);
    *p = db_aligned_alloc(ctx, (need ? need : 1) * sizeof(float));
    if (!*p) {
        *have = 0;
        return DB_ENOMEM;
    }
    *have = need;
    return 0;
}

int tnet_prepare(db_ctx *ctx, tnet *net, db_pool *pool, int n, int w, int h)
{
    /* GEMMs run inside our pool's jobs, one sample each: OpenBLAS's own
     * threads would only oversubscribe the cores (a process-wide setting of
     * the library, the same value every time) */
    openblas_set_num_threads(1);
    if (n <= 0 || w <= 0 || h <= 0 || net->nnodes < 2)
        return db_fail(ctx, DB_EINVAL, "train: bad batch shape %d x %dx%d", n, w, h);
    net->pool = pool;
    node_sizes(net, w, h);
    size_t col = 0, slot = 0;
    for (int i = 0; i < net->nnodes; i++) {
        tn_node *nd = &net->nodes[i];
        size_t sz = (size_t)n * nd->h * nd->w * nd->c;
        size_t ysz = nd->ysize, gsz = nd->ysize;
        DB_TRY(ensure(ctx, &nd->y, &ysz, sz));
        DB_TRY(ensure(ctx, &nd->gy, &gsz, sz));
        nd->ysize = ysz < gsz ? ysz : gsz;
        size_t aux = 0;
        if (nd->op == DB_OP_BCONV)
            aux = (size_t)n * net->nodes[nd->in0].h * net->nodes[nd->in0].w * nd->cin;
        else if (nd->op == DB_OP_BATCHNORM)
            aux = sz;
        if (aux)
            DB_TRY(ensure(ctx, &nd->aux, &nd->auxsize, aux));
        if (nd->op == DB_OP_CONV_REAL || nd->op == DB_OP_BCONV) {
            size_t c = (size_t)nd->h * nd->w * (size_t)nd->k * nd->k * nd->cin;
            col = c > col ? c : col;
        }
        size_t s = nd->nw;
        for (int j = 0; j < TN_MAXP; j++)
            s += (size_t)nd->np[j];
        if (nd->op == DB_OP_BATCHNORM)
            s += 2 * (size_t)nd->c; /* per-sample sums (BN reduces in doubles: x2) */
        s *= 2;
        slot = s > slot ? s : slot;
    }
    int nw = db_pool_size(pool);
    if (nw != net->nworkers || col > net->col_size) {
        for (int t = 0; t < net->nworkers; t++) {
            db_aligned_free(net->col[t]);
            db_aligned_free(net->gcol[t]);
        }
        db_free(net->col);
        db_free(net->gcol);
        net->nworkers = 0;
        net->col = db_calloc(ctx, (size_t)nw, sizeof *net->col);
        net->gcol = db_calloc(ctx, (size_t)nw, sizeof *net->gcol);
        if (!net->col || !net->gcol)
            return DB_ENOMEM;
        net->nworkers = nw;
        for (int t = 0; t < nw; t++) {
            net->col[t] = db_aligned_alloc(ctx, (col ? col : 1) * sizeof(float));
            net->gcol[t] = db_aligned_alloc(ctx, (col ? col : 1) * sizeof(float));
            if (!net->col[t] || !net->gcol[t])
                return DB_ENOMEM;
        }
        net->col_size = col;
    }
    size_t have = net->gslot_size;
    DB_TRY(ensure(ctx, &net->gslot, &have, slot * (size_t)n));
    net->gslot_size = have;
    net->slot_stride = slot;
    net->n = n;
    net->w = w;
    net->h = h;
    return 0;
}

void tnet_forward(tnet *net, const float *x, tn_mode mode)
{
    tn_node *in = &net->nodes[0];
    memcpy(in->y, x, (size_t)net->n * in->h * in->w * in->c * sizeof(float));
    for (int i = 1; i < net->nnodes; i++)
        tl_forward(net, i, mode);
}

void tnet_zero_grad(tnet *net)
{
    for (int i = 0; i < net->nnodes; i++) {
        tn_node *nd = &net->nodes[i];
        if (nd->gw)
            memset(nd->gw, 0, nd->nw * sizeof(float));
        for (int j = 0; j < TN_MAXP; j++)
            if (nd->g[j])
                memset(nd->g[j], 0, (size_t)nd->np[j] * sizeof(float));
    }
}

typedef struct zero_job {
    tnet *net;
    int from;
} zero_job;

/* Clears sample b's gradient of every node before `from` (the layers
 * accumulate into them); on the pool, as it is pure memory bandwidth. */
static void zero_grad_job(void *arg, int b, int worker)
{
    zero_job *z = arg;
    for (int i = 0; i < z->from; i++) {
        tn_node *nd = &z->net->nodes[i];
        size_t per = (size_t)nd->h * nd->w * nd->c;
        memset(nd->gy + (size_t)b * per, 0, per * sizeof(float));
    }
}

void tnet_backward_from(tnet *net, int from)
{
    zero_job z = {net, from};
    db_pool_run(net->pool, net->n, zero_grad_job, &z);
    for (int i = from; i >= 1; i--)
        tl_backward(net, i);
}

void tnet_backward(tnet *net)
{
    tnet_backward_from(net, net->nnodes - 1);
}

int tnet_to_graph(db_ctx *ctx, const tnet *net, const char *name, db_graph *g)
{
    memset(g, 0, sizeof *g);
    snprintf(g->name, sizeof g->name, "%s", name ? name : "docbin-train");
    for (int i = 0; i < net->nnodes; i++) {
        const tn_node *nd = &net->nodes[i];
        db_gnode t = {.op = nd->op, .in = {nd->in0, nd->in1}, .cout = nd->c, .k = nd->k,
                      .stride = nd->stride, .attr = nd->attr};
        int idx = db_graph_add(ctx, g, &t);
        if (idx < 0) {
            db_graph_free(g);
            return idx;
        }
        db_gnode *gn = &g->nodes[idx];
        switch (nd->op) {
        case DB_OP_CONV_REAL:
            memcpy(gn->w, nd->pw, nd->nw * sizeof(float));
            memcpy(gn->p[0], nd->p[0], (size_t)nd->c * sizeof(float));
            break;
        case DB_OP_BCONV: {
            size_t fan = nd->nw / (size_t)nd->c;
            for (int o = 0; o < nd->c; o++) {
                double s = 0;
                for (size_t j = 0; j < fan; j++) {
                    float wv = nd->pw[(size_t)o * fan + j];
                    gn->w[(size_t)o * fan + j] = tr_est_weight_sign(&net->est, wv);
                    s += fabsf(wv);
                }
                gn->p[1][o] = (float)(s / (double)fan);
            }
            memcpy(gn->p[0], nd->p[0], (size_t)nd->cin * sizeof(float));
            break;
        }
        case DB_OP_BATCHNORM:
            for (int c = 0; c < nd->c; c++)
                db_bn_fold(nd->p[0][c], nd->p[1][c], nd->run_mean[c], nd->run_var[c],
                           net->bn_eps, &gn->p[0][c], &gn->p[1][c]);
            break;
        case DB_OP_RPRELU:
            for (int j = 0; j < 3; j++)
                memcpy(gn->p[j], nd->p[j], (size_t)nd->c * sizeof(float));
            break;
        default:
            break;
        }
    }
    int rc = db_graph_validate(ctx, g);
    if (rc < 0)
        db_graph_free(g);
    return rc;
}
