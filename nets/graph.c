/* graph.c - building, validating and measuring a network description (graph.h).
 * The file format lives in model.c, execution in engine.c. */
#include "nets/graph.h"

#include <string.h>

static const char *const op_names[DB_OP_COUNT_] = {
    [DB_OP_INPUT] = "input",
    [DB_OP_CONV_REAL] = "conv_real",
    [DB_OP_BCONV] = "bconv",
    [DB_OP_BATCHNORM] = "batchnorm",
    [DB_OP_RPRELU] = "rprelu",
    [DB_OP_ADD] = "add",
    [DB_OP_AVGPOOL2] = "avgpool2",
    [DB_OP_UPSAMPLE2] = "upsample2",
    [DB_OP_CONCAT] = "concat",
    [DB_OP_CHANNEL_DUP] = "channel_dup",
    [DB_OP_CHANNEL_PAIR_MEAN] = "channel_pair_mean",
    [DB_OP_SIGMOID] = "sigmoid",
    [DB_OP_HAAR2] = "haar2",
    [DB_OP_DB_HEAD] = "db_head",
};

const char *db_op_name(db_op op)
{
    if ((int)op <= 0 || (int)op >= DB_OP_COUNT_ || !op_names[op])
        return "unknown";
    return op_names[op];
}

void db_graph_free(db_graph *g)
{
    if (!g)
        return;
    for (int i = 0; i < g->nnodes; i++) {
        db_free(g->nodes[i].w);
        for (int j = 0; j < 3; j++)
            db_free(g->nodes[i].p[j]);
    }
    db_free(g->nodes);
    memset(g, 0, sizeof *g);
}

static int ninputs(db_op op)
{
    switch (op) {
    case DB_OP_INPUT: return 0;
    case DB_OP_ADD:
    case DB_OP_CONCAT:
    case DB_OP_UPSAMPLE2: return 2;
    default: return 1;
    }
}

/* Expected parameter sizes of a node: nw and np[0..2]. */
static void param_sizes(const db_gnode *n, size_t *nw, int np[3])
{
    *nw = 0;
    np[0] = np[1] = np[2] = 0;
    switch (n->op) {
    case DB_OP_CONV_REAL:
        *nw = (size_t)n->cout * (size_t)n->k * (size_t)n->k * (size_t)n->cin;
        np[0] = n->cout;
        break;
    case DB_OP_BCONV:
        *nw = (size_t)n->cout * (size_t)n->k * (size_t)n->k * (size_t)n->cin;
        np[0] = n->cin;
        np[1] = n->cout;
        break;
    case DB_OP_BATCHNORM: np[0] = np[1] = n->cout; break;
    case DB_OP_RPRELU: np[0] = np[1] = np[2] = n->cout; break;
    default: break;
    }
}

/* Checks node n (index idx) of g against the op table; cin/cout must be set. */
static int check_node(db_ctx *ctx, const db_graph *g, int idx, const db_gnode *n)
{
    if ((int)n->op <= 0 || (int)n->op >= DB_OP_COUNT_)
        return db_fail(ctx, DB_EINVAL, "graph: node %d: unknown op %d", idx, (int)n->op);
    const char *name = db_op_name(n->op);
    int nin = ninputs(n->op);
    if ((idx == 0) != (n->op == DB_OP_INPUT))
        return db_fail(ctx, DB_EINVAL, "graph: node %d: %s (the input must be node 0 only)", idx,
                       name);
    for (int j = 0; j < 2; j++) {
        if (j < nin && (n->in[j] < 0 || n->in[j] >= idx))
            return db_fail(ctx, DB_EINVAL, "graph: node %d: %s input %d refers to node %d", idx,
                           name, j, n->in[j]);
        if (j >= nin && n->in[j] != -1)
            return db_fail(ctx, DB_EINVAL, "graph: node %d: %s has no input %d", idx, name, j);
    }
    if (n->cout <= 0 || n->cout > DB_GRAPH_MAX_CHANNELS)
        return db_fail(ctx, DB_EINVAL, "graph: node %d: %s has %d channels", idx, name, n->cout);
    int cin = nin ? g->nodes[n->in[0]].cout : 0;
    int cb = nin == 2 ? g->nodes[n->in[1]].cout : 0;
    if (n->cin != cin)
        return db_fail(ctx, DB_EINVAL, "graph: node %d: %s cin %d != %d", idx, name, n->cin, cin);
    bool conv = n->op == DB_OP_CONV_REAL || n->op == DB_OP_BCONV;
    if (conv) {
        bool kok = n->op == DB_OP_BCONV ? (n->k == 1 || n->k == 3)
                                        : (n->k == 1 || n->k == 3 || n->k == 5 || n->k == 7);
        if (!kok || (n->stride != 1 && n->stride != 2))
            return db_fail(ctx, DB_EINVAL, "graph: node %d: %s k=%d stride=%d not supported", idx,
                           name, n->k, n->stride);
    } else if (n->k != 0 || n->stride != 0) {
        return db_fail(ctx, DB_EINVAL, "graph: node %d: %s takes no k/stride", idx, name);
    }
    int want = n->cout;
    switch (n->op) {
    case DB_OP_INPUT:
        if (n->attr != DB_NORM_UNIT && n->attr != DB_NORM_PAGE_STD)
            return db_fail(ctx, DB_EINVAL, "graph: input norm %d unknown", n->attr);
        if (n->cout != 1 && n->cout != 3)
            return db_fail(ctx, DB_EINVAL, "graph: input has %d channels (1 or 3)", n->cout);
        break;
    case DB_OP_BATCHNORM:
    case DB_OP_RPRELU:
    case DB_OP_AVGPOOL2:
    case DB_OP_SIGMOID: want = cin; break;
    case DB_OP_ADD: want = cin == cb ? cin : -1; break;
    case DB_OP_UPSAMPLE2:
        want = cin;
        if (n->attr != DB_UPSAMPLE_NEAREST && n->attr != DB_UPSAMPLE_BILINEAR)
            return db_fail(ctx, DB_EUNSUPPORTED, "graph: node %d: upsample mode %d", idx, n->attr);
        break;
    case DB_OP_CONCAT: want = cin + cb; break;
    case DB_OP_CHANNEL_DUP: want = 2 * cin; break;
    case DB_OP_CHANNEL_PAIR_MEAN: want = cin % 2 ? -1 : cin / 2; break;
    case DB_OP_HAAR2: want = 4 * cin; break;
    case DB_OP_DB_HEAD: want = cin == 2 ? 1 : -1; break;
    default: break;
    }
    if (n->op != DB_OP_UPSAMPLE2 && n->op != DB_OP_INPUT && n->op != DB_OP_DB_HEAD && n->attr != 0)
        return db_fail(ctx, DB_EINVAL, "graph: node %d: %s takes no attribute", idx, name);
    if (want != n->cout)
        return db_fail(ctx, DB_EINVAL, "graph: node %d: %s channels %d do not fit its inputs", idx,
                       name, n->cout);
    return 0;
}

int db_graph_add(db_ctx *ctx, db_graph *g, const db_gnode *tmpl)
{
    if (g->nnodes >= DB_GRAPH_MAX_NODES)
        return db_fail(ctx, DB_EINVAL, "graph: more than %d nodes", DB_GRAPH_MAX_NODES);
    db_gnode n = {.op = tmpl->op,
                  .in = {tmpl->in[0], tmpl->in[1]},
                  .cout = tmpl->cout,
                  .k = tmpl->k,
                  .stride = tmpl->stride,
                  .attr = tmpl->attr};
    int nin = (int)n.op > 0 && (int)n.op < DB_OP_COUNT_ ? ninputs(n.op) : 0;
    if (nin > 0 && n.in[0] >= 0 && n.in[0] < g->nnodes)
        n.cin = g->nodes[n.in[0]].cout;
    DB_TRY(check_node(ctx, g, g->nnodes, &n));
    if (g->nnodes == g->cap) {
        int cap = g->cap ? 2 * g->cap : 16;
        db_gnode *nn = db_realloc(ctx, g->nodes, (size_t)cap * sizeof *nn);
        if (!nn)
            return DB_ENOMEM;
        g->nodes = nn;
        g->cap = cap;
    }
    size_t nw;
    int np[3];
    param_sizes(&n, &nw, np);
    if (nw) {
        n.w = db_calloc(ctx, nw, sizeof(float));
        if (!n.w)
            return DB_ENOMEM;
        n.nw = nw;
    }
    for (int j = 0; j < 3; j++) {
        if (!np[j])
            continue;
        n.p[j] = db_calloc(ctx, (size_t)np[j], sizeof(float));
        if (!n.p[j]) {
            for (int q = 0; q < j; q++)
                db_free(n.p[q]);
            db_free(n.w);
            return DB_ENOMEM;
        }
        n.np[j] = np[j];
    }
    /* identity defaults */
    if (n.op == DB_OP_BCONV)
        for (int o = 0; o < n.cout; o++)
            n.p[1][o] = 1.0f;
    if (n.op == DB_OP_BATCHNORM || n.op == DB_OP_RPRELU)
        for (int o = 0; o < n.cout; o++)
            n.p[n.op == DB_OP_BATCHNORM ? 0 : 1][o] = 1.0f;
    g->nodes[g->nnodes] = n;
    return g->nnodes++;
}

static int add_simple(db_ctx *ctx, db_graph *g, db_op op, int a, int b, int cout, int k, int stride,
                      int attr)
{
    db_gnode t = {.op = op, .in = {a, b}, .cout = cout, .k = k, .stride = stride, .attr = attr};
    return db_graph_add(ctx, g, &t);
}

int db_graph_input(db_ctx *ctx, db_graph *g, int channels, int norm)
{
    return add_simple(ctx, g, DB_OP_INPUT, -1, -1, channels, 0, 0, norm);
}
int db_graph_conv_real(db_ctx *ctx, db_graph *g, int in, int cout, int k, int stride)
{
    return add_simple(ctx, g, DB_OP_CONV_REAL, in, -1, cout, k, stride, 0);
}
int db_graph_bconv(db_ctx *ctx, db_graph *g, int in, int cout, int k, int stride)
{
    return add_simple(ctx, g, DB_OP_BCONV, in, -1, cout, k, stride, 0);
}

int db_graph_unary(db_ctx *ctx, db_graph *g, db_op op, int in)
{
    if (in < 0 || in >= g->nnodes)
        return db_fail(ctx, DB_EINVAL, "graph: %s input %d out of range", db_op_name(op), in);
    int c = g->nodes[in].cout;
    int cout = op == DB_OP_CHANNEL_DUP         ? 2 * c
               : op == DB_OP_CHANNEL_PAIR_MEAN ? c / 2
               : op == DB_OP_HAAR2             ? 4 * c
               : op == DB_OP_DB_HEAD           ? 1
                                               : c;
    return add_simple(ctx, g, op, in, -1, cout, 0, 0, 0);
}

int db_graph_binary(db_ctx *ctx, db_graph *g, db_op op, int a, int b)
{
    if (a < 0 || a >= g->nnodes || b < 0 || b >= g->nnodes)
        return db_fail(ctx, DB_EINVAL, "graph: %s inputs %d,%d out of range", db_op_name(op), a, b);
    int cout = op == DB_OP_CONCAT ? g->nodes[a].cout + g->nodes[b].cout : g->nodes[a].cout;
    return add_simple(ctx, g, op, a, b, cout, 0, 0, 0);
}

int db_graph_copy(db_ctx *ctx, const db_graph *src, db_graph *dst)
{
    memset(dst, 0, sizeof *dst);
    memcpy(dst->name, src->name, sizeof dst->name);
    for (int i = 0; i < src->nnodes; i++) {
        int rc = db_graph_add(ctx, dst, &src->nodes[i]);
        if (rc < 0) {
            db_graph_free(dst);
            return rc;
        }
        db_gnode *d = &dst->nodes[i];
        const db_gnode *s = &src->nodes[i];
        if (d->nw)
            memcpy(d->w, s->w, d->nw * sizeof(float));
        for (int j = 0; j < 3; j++)
            if (d->np[j])
                memcpy(d->p[j], s->p[j], (size_t)d->np[j] * sizeof(float));
    }
    return 0;
}

int db_graph_validate(db_ctx *ctx, const db_graph *g)
{
    if (g->nnodes < 2)
        return db_fail(ctx, DB_EINVAL, "graph: %d nodes (at least an input and an output)",
                       g->nnodes);
    if (g->nnodes > DB_GRAPH_MAX_NODES)
        return db_fail(ctx, DB_EINVAL, "graph: %d nodes (limit %d)", g->nnodes, DB_GRAPH_MAX_NODES);
    for (int i = 0; i < g->nnodes; i++) {
        const db_gnode *n = &g->nodes[i];
        DB_TRY(check_node(ctx, g, i, n));
        size_t nw;
        int np[3];
        param_sizes(n, &nw, np);
        if (n->nw != nw || (nw && !n->w))
            return db_fail(ctx, DB_EINVAL, "graph: node %d: %zu weights, expected %zu", i, n->nw,
                           nw);
        for (size_t q = 0; q < nw; q++)
            if (!isfinite(n->w[q]))
                return db_fail(ctx, DB_EINVAL, "graph: node %d: weight %zu is not finite", i, q);
        for (int j = 0; j < 3; j++) {
            if (n->np[j] != np[j] || (np[j] && !n->p[j]))
                return db_fail(ctx, DB_EINVAL,
                               "graph: node %d: parameter %d has %d values, "
                               "expected %d",
                               i, j, n->np[j], np[j]);
            for (int q = 0; q < np[j]; q++)
                if (!isfinite(n->p[j][q]))
                    return db_fail(ctx, DB_EINVAL,
                                   "graph: node %d: parameter %d[%d] is not "
                                   "finite",
                                   i, j, q);
        }
    }
    if (g->nodes[g->nnodes - 1].cout != 1)
        return db_fail(ctx, DB_EINVAL, "graph: the output node has %d channels (1 expected)",
                       g->nodes[g->nnodes - 1].cout);
    /* the output must come back to the input size for every image size */
    int hw[2 * DB_GRAPH_MAX_NODES];
    static const int probes[3][2] = {{1, 1}, {37, 29}, {64, 64}};
    for (int p = 0; p < 3; p++)
        DB_TRY(db_graph_shapes(ctx, g, probes[p][0], probes[p][1], hw));
    return 0;
}

int db_graph_shapes(db_ctx *ctx, const db_graph *g, int w, int h, int *hw)
{
    for (int i = 0; i < g->nnodes; i++) {
        const db_gnode *n = &g->nodes[i];
        int a = n->in[0], b = n->in[1];
        int ow = w, oh = h;
        switch (n->op) {
        case DB_OP_INPUT: break;
        case DB_OP_CONV_REAL:
        case DB_OP_BCONV:
            ow = (hw[2 * a] + n->stride - 1) / n->stride;
            oh = (hw[2 * a + 1] + n->stride - 1) / n->stride;
            break;
        case DB_OP_AVGPOOL2:
        case DB_OP_HAAR2:
            ow = (hw[2 * a] + 1) / 2;
            oh = (hw[2 * a + 1] + 1) / 2;
            break;
        case DB_OP_UPSAMPLE2:
            ow = hw[2 * b];
            oh = hw[2 * b + 1];
            if (ow > 2 * hw[2 * a] || oh > 2 * hw[2 * a + 1] || ow < 2 * hw[2 * a] - 1 ||
                oh < 2 * hw[2 * a + 1] - 1)
                return db_fail(ctx, DB_EINVAL, "graph: node %d: upsample2 of %dx%d to %dx%d", i,
                               hw[2 * a], hw[2 * a + 1], ow, oh);
            break;
        case DB_OP_ADD:
        case DB_OP_CONCAT:
            ow = hw[2 * a];
            oh = hw[2 * a + 1];
            if (hw[2 * b] != ow || hw[2 * b + 1] != oh)
                return db_fail(ctx, DB_EINVAL, "graph: node %d: %s of %dx%d and %dx%d", i,
                               db_op_name(n->op), ow, oh, hw[2 * b], hw[2 * b + 1]);
            break;
        default:
            ow = hw[2 * a];
            oh = hw[2 * a + 1];
            break;
        }
        hw[2 * i] = ow;
        hw[2 * i + 1] = oh;
    }
    int last = g->nnodes - 1;
    if (hw[2 * last] != w || hw[2 * last + 1] != h)
        return db_fail(ctx, DB_EINVAL, "graph: output is %dx%d for a %dx%d input", hw[2 * last],
                       hw[2 * last + 1], w, h);
    return 0;
}

void db_graph_stats_compute(const db_graph *g, db_graph_stats *out)
{
    memset(out, 0, sizeof *out);
    double scale[DB_GRAPH_MAX_NODES]; /* node pixels per input pixel */
    for (int i = 0; i < g->nnodes && i < DB_GRAPH_MAX_NODES; i++) {
        const db_gnode *n = &g->nodes[i];
        double s = i == 0 ? 1.0 : scale[n->in[0]];
        if ((n->op == DB_OP_CONV_REAL || n->op == DB_OP_BCONV) && n->stride == 2)
            s *= 0.25;
        if (n->op == DB_OP_AVGPOOL2 || n->op == DB_OP_HAAR2)
            s *= 0.25;
        if (n->op == DB_OP_UPSAMPLE2)
            s = scale[n->in[1]];
        scale[i] = s;
        double macs = (double)n->nw * s;
        if (n->op == DB_OP_BCONV) {
            out->binary_weights += n->nw;
            out->binary_macs_per_px += macs;
            out->nbconv++;
        } else {
            out->real_params += n->nw;
            if (n->op == DB_OP_CONV_REAL) {
                out->real_macs_per_px += macs;
                out->nconv_real++;
            }
        }
        for (int j = 0; j < 3; j++)
            out->real_params += (uint64_t)n->np[j];
    }
}
