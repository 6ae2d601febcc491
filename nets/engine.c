/* engine.c - runs a db_model on a page: the plan (fusion of BCONV with its
 * BN/RPReLU/ADD tail, packed weights, integer thresholds, kernel table), an
 * arena per worker thread reused for every tile and page, and tiles with a
 * halo so that the stitched output equals the untiled output exactly.
 *
 * Tiles: the page is cut into T x T output tiles (T a multiple of 64 and of
 * the graph's downsampling factor, so tiles own whole BIT1 words and the
 * pooling grids line up); each tile runs the whole graph on its crop grown by
 * the halo (db_graph_halo: the receptive-field radius), whose border effects
 * stay inside the halo. Tiles are the jobs of db_pool_run; each writes only
 * its own pixels, so any thread count gives the same bits. */
#include "nets/layers.h"
#include "nets/model.h"
#include "nets/stem8.h"

#include <stdint.h>
#include <string.h>
#include <time.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

enum { CHUNK = 32 }; /* output pixels per bconv + transform call (acc in L1) */

typedef struct step {
    int node;  /* node whose value this step produces (fused tail) */
    int bnode; /* BCONV node of a fused group, else -1 */
    int res;   /* residual node of a fused ADD, or -1 */
    bool float_out;
    int bits_to;   /* step index whose input bits this step writes, or -1 */
    bool own_pack; /* BCONV: packs its float input itself */
    bool thresh_only;
    db_bpost post;
    db_bthresh bt;
    uint64_t *wbits; /* BCONV weights, kernel layout */
    uint64_t *wpair; /* ... paired for bconv_pair (3x3, cin <= 32), or NULL */
    float *wt;       /* CONV_REAL weights, [ky][kx][ci][cout] */
    int fbuf, bbuf;  /* buffer ids: float output, packed input (BCONV) */
    int up_slot;     /* ADD: input (0/1) that is a fused UPSAMPLE2, or -1 */
    int up_src;      /* ... and the low-resolution map it reads */
    int head;        /* BCONV group: the next step, a 1x1 CONV_REAL reading only
                        this group's output, run row by row inside it, or -1 */
    bool fused;      /* this step runs inside another (head, lazy concat rows) */
    int cat_lo;      /* CONV_REAL on CONCAT(UPSAMPLE2(cat_lo), cat_b): the concat */
    int cat_b;       /* rows are made as the conv needs them, in a ring of k rows */
    bool planar;     /* ... as channel planes, for a one- or two-channel conv (the
                        heads: mask, DB), one output channel at a time */
    float *wtp;      /* planar: weights [o][ky][kx][ci] */
    bool res_row;    /* BCONV group whose residual is a decoder ADD(UPSAMPLE2) kept
                        as one row: the group's transform adds it again (res_lo) */
    int ew;          /* CONV_REAL: the next step, a BATCHNORM/RPRELU reading only
                        this conv's output, applied row by row inside it, or -1 */
    int host;        /* a fused head or ew step: the step that runs it, else -1 */
    bool stem8;      /* CONV_REAL run as the integer stem on the page (stem8.h) */
    db_stem8 s8;     /* ... its weights and offsets, made again for every page */
    bool no_map;     /* the HAAR2 that an integer stem absorbs: never made */
} step;

typedef struct buffer {
    int node;   /* dims from this node */
    bool bits;  /* bordered bit map of node's channels (whole map), else float */
    int rows;   /* float rows managed by the step that writes them (a fused
                   head's input row, a lazy concat's ring of k rows), or 0 */
    int ring;   /* rows == 0: rows kept, row y in slot y % ring (place_buffers) */
    size_t off; /* in the arena, for the current page */
} buffer;

/* cycle counters of a BCONV group's parts (profiling only) */
enum { CYC_KERNEL, CYC_POST, CYC_PACK, CYC_HEAD, CYC_COUNT };

typedef struct worker {
    uint8_t *arena;
    size_t cap;
    bool fresh; /* arena just allocated, not yet touched */
    int32_t *acc;
    int *hw;
    int *done, *need; /* per node: rows produced in this tile, rows wanted */
    int *aux;         /* per step: rows packed (own_pack) or concat rows made */
    float *prow;      /* one output channel of a planar conv row */
    size_t pcap;      /* its capacity in floats */
    int16_t *s8rows;  /* the integer stem's ring of S8_RING sample rows */
    size_t s8cap;     /* its capacity in int16 values */
    int s8tag[8];     /* sample row held by each ring slot */
    double prof[DB_PROF_COUNT_]; /* seconds per kind (profiling) */
    uint64_t cyc[CYC_COUNT];
} worker;

struct db_net {
    const db_model *model;
    const db_graph *g;
    const db_kernels *k;
    int nsteps, nbufs, nworkers;
    step *steps;
    buffer *bufs;
    int *step_of;   /* node -> step producing its value, -1 when absorbed */
    int *value_buf; /* node -> float buffer id or -1 */
    worker *workers;
    int halo, align, tile;
    size_t budget; /* per-thread scratch limit of the automatic tiles */
    int maxc;
    bool profile;
    int last_bconv; /* node index of the last BCONV (stem/head split), or -1 */
    bool has_stem8; /* one step runs the integer stem (at most one) */
    db_image gray;
    /* per run */
    const db_image *page;
    db_image *out, *logits;
    int tw, th, ntx, nty;
    float mean[3], inv_std[3];
    size_t arena_size;
    db_ctx *ctx;
};

/* ------------------------------------------------------------ halo */

void db_graph_halo(const db_graph *g, int *halo, int *align)
{
    /* scale[i]: input pixels per node pixel; rad[i]: how far (input pixels)
     * a node pixel's value reaches beyond its own footprint */
    int scale[DB_GRAPH_MAX_NODES], rad[DB_GRAPH_MAX_NODES];
    int maxs = 1;
    for (int i = 0; i < g->nnodes; i++) {
        const db_gnode *n = &g->nodes[i];
        int a = n->in[0], b = n->in[1];
        int s = i ? scale[a] : 1, r = i ? rad[a] : 0;
        switch (n->op) {
        case DB_OP_INPUT: break;
        case DB_OP_CONV_REAL:
        case DB_OP_BCONV:
            r += (n->k / 2) * s;
            s *= n->stride;
            break;
        case DB_OP_AVGPOOL2:
        case DB_OP_HAAR2: s *= 2; break;
        case DB_OP_UPSAMPLE2:
            /* output pixel q reads low pixel q/2, whose footprint reaches
             * s/2 beyond q's own (exact; s = 1 cannot occur in a valid
             * graph but stays conservative); bilinear also reads q/2 +- 1,
             * one low pixel (s) further */
            r += (s > 1 ? s / 2 : s) + (n->attr == DB_UPSAMPLE_BILINEAR ? s : 0);
            s = s / 2 > 0 ? s / 2 : 1;
            break;
        case DB_OP_ADD:
        case DB_OP_CONCAT:
            if (rad[b] > r)
                r = rad[b];
            break;
        default: break;
        }
        scale[i] = s;
        rad[i] = r;
        if (s > maxs)
            maxs = s;
    }
    int r = rad[g->nnodes - 1];
    *align = maxs;
    *halo = (r + maxs - 1) / maxs * maxs;
}

/* ------------------------------------------------------------ plan */

static void free_steps(db_net *net)
{
    for (int i = 0; i < net->nsteps; i++) {
        db_bthresh_free(&net->steps[i].bt);
        db_aligned_free(net->steps[i].wbits);
        db_aligned_free(net->steps[i].wpair);
        db_free(net->steps[i].wt);
        db_free(net->steps[i].wtp);
        db_stem8_free(&net->steps[i].s8);
    }
}

void db_net_free(db_net *net)
{
    if (!net)
        return;
    free_steps(net);
    for (int i = 0; i < net->nworkers; i++) {
        db_aligned_free(net->workers[i].arena);
        db_free(net->workers[i].acc);
        db_free(net->workers[i].hw);
        db_free(net->workers[i].done);
        db_free(net->workers[i].need);
        db_free(net->workers[i].aux);
        db_aligned_free(net->workers[i].s8rows);
        db_free(net->workers[i].prow);
    }
    db_free(net->workers);
    db_free(net->steps);
    db_free(net->bufs);
    db_free(net->step_of);
    db_free(net->value_buf);
    db_image_free(&net->gray);
    db_free(net);
}

/* Kernel layout of a BCONV's weights: [tap][word][cout8], set bit = w < 0. */
static uint64_t *pack_weights(db_ctx *ctx, const db_gnode *n)
{
    int kk = n->k * n->k, words = db_words(n->cin), c8 = db_cout8(n->cout);
    uint64_t *w = db_aligned_alloc(ctx, (size_t)kk * (size_t)words * (size_t)c8 * 8);
    if (!w)
        return NULL;
    memset(w, 0, (size_t)kk * (size_t)words * (size_t)c8 * 8);
    for (int o = 0; o < n->cout; o++)
        for (int t = 0; t < kk; t++)
            for (int ci = 0; ci < n->cin; ci++)
                if (db_sign_bit(
                        n->w[((size_t)o * (size_t)kk + (size_t)t) * (size_t)n->cin + (size_t)ci]))
                    w[((size_t)t * (size_t)words + (size_t)(ci >> 6)) * (size_t)c8 + (size_t)o] |=
                        (uint64_t)1 << (ci & 63);
    return w;
}

static float *transpose_conv(db_ctx *ctx, const db_gnode *n)
{
    int kk = n->k * n->k;
    float *w = db_malloc(ctx, n->nw * sizeof(float));
    if (!w)
        return NULL;
    for (int o = 0; o < n->cout; o++)
        for (int t = 0; t < kk; t++)
            for (int ci = 0; ci < n->cin; ci++)
                w[((size_t)t * (size_t)n->cin + (size_t)ci) * (size_t)n->cout + (size_t)o] =
                    n->w[((size_t)o * (size_t)kk + (size_t)t) * (size_t)n->cin + (size_t)ci];
    return w;
}

enum { PLANAR_MAXC = 2 }; /* output channels of a conv run on planar rows */

/* A CONV_REAL's weights as one [ky][kx][ci] block per output channel (the
 * planar head kernel's layout, the reference order of each channel). */
static float *planar_weights(db_ctx *ctx, const db_gnode *n)
{
    size_t per = (size_t)n->k * (size_t)n->k * (size_t)n->cin;
    float *w = db_malloc(ctx, per * (size_t)n->cout * sizeof *w);
    if (w)
        memcpy(w, n->w, per * (size_t)n->cout * sizeof *w); /* the file order: [o][ky][kx][ci] */
    return w;
}

static int plan(db_ctx *ctx, db_net *net)
{
    const db_graph *g = net->g;
    int nn = g->nnodes;
    int *add_slot = NULL;
    int *ncons = db_calloc(ctx, (size_t)nn, sizeof(int));
    int *one_cons = db_malloc(ctx, (size_t)nn * sizeof(int));
    int *absorbed = db_calloc(ctx, (size_t)nn, sizeof(int));
    net->step_of = db_malloc(ctx, (size_t)nn * sizeof(int));
    net->value_buf = db_malloc(ctx, (size_t)nn * sizeof(int));
    net->steps = db_calloc(ctx, (size_t)nn, sizeof(step));
    net->bufs = db_calloc(ctx, (size_t)nn * 2, sizeof(buffer));
    int rc = 0;
    if (!ncons || !one_cons || !absorbed || !net->step_of || !net->value_buf || !net->steps ||
        !net->bufs) {
        rc = DB_ENOMEM;
        goto done;
    }
    for (int i = 0; i < nn; i++) {
        net->step_of[i] = -1;
        net->value_buf[i] = -1;
        if (g->nodes[i].cout > net->maxc)
            net->maxc = g->nodes[i].cout;
        for (int j = 0; j < 2; j++) {
            int a = g->nodes[i].in[j];
            if (a >= 0) {
                ncons[a]++;
                one_cons[a] = i;
            }
        }
    }
    ncons[nn - 1]++; /* the output is read by the page writer */
    one_cons[nn - 1] = -1;
    /* fusion: BCONV -> BATCHNORM? -> RPRELU? -> ADD? along single consumers.
     * The group runs where its tail is, so a residual computed after the
     * BCONV node is ready. absorbed[i]: 1 = inner member, 2 + b = tail of
     * the group of BCONV node b (b itself when nothing is fused). */
    for (int i = 0; i < nn; i++) {
        if (g->nodes[i].op != DB_OP_BCONV)
            continue;
        int tail = i, stage = 0; /* 1 bn, 2 rprelu, 3 add */
        while (ncons[tail] == 1 && one_cons[tail] >= 0) {
            int c = one_cons[tail];
            const db_gnode *cn = &g->nodes[c];
            int st = cn->op == DB_OP_BATCHNORM                       ? 1
                     : cn->op == DB_OP_RPRELU                        ? 2
                     : cn->op == DB_OP_ADD && cn->in[0] != cn->in[1] ? 3
                                                                     : 0;
            if (st <= stage)
                break;
            stage = st;
            absorbed[tail] = 1;
            tail = c;
        }
        absorbed[tail] = 2 + i;
    }
    /* a decoder's nearest UPSAMPLE2 read only by an ADD is done inside the
     * ADD, so the full-resolution copy is never written */
    add_slot = db_malloc(ctx, (size_t)nn * sizeof(int));
    if (!add_slot) {
        rc = DB_ENOMEM;
        goto done;
    }
    for (int i = 0; i < nn; i++) {
        add_slot[i] = -1;
        const db_gnode *n = &g->nodes[i];
        if (n->op != DB_OP_ADD || absorbed[i] || n->in[0] == n->in[1])
            continue;
        for (int j = 0; j < 2; j++) {
            int u = n->in[j];
            if (g->nodes[u].op == DB_OP_UPSAMPLE2 && g->nodes[u].attr == DB_UPSAMPLE_NEAREST &&
                ncons[u] == 1 && !absorbed[u]) {
                absorbed[u] = 1;
                add_slot[i] = j;
                break;
            }
        }
    }
    for (int i = 0; i < nn; i++) {
        if (absorbed[i] == 1)
            continue;
        const db_gnode *n = &g->nodes[i];
        step *s = &net->steps[net->nsteps];
        s->node = i;
        s->bnode = -1;
        s->res = -1;
        s->bits_to = -1;
        s->fbuf = s->bbuf = -1;
        s->head = -1;
        s->ew = -1;
        s->host = -1;
        s->cat_lo = s->cat_b = -1;
        s->up_slot = add_slot[i];
        s->up_src = s->up_slot >= 0 ? g->nodes[n->in[s->up_slot]].in[0] : -1;
        if (absorbed[i] >= 2) {
            int bi = absorbed[i] - 2;
            const db_gnode *b = &g->nodes[bi];
            s->bnode = bi;
            s->post.cout = b->cout;
            s->post.alpha = b->p[1];
            for (int m = bi; m != i;) {
                m = one_cons[m];
                const db_gnode *cn = &g->nodes[m];
                if (cn->op == DB_OP_BATCHNORM) {
                    s->post.bn_scale = cn->p[0];
                    s->post.bn_bias = cn->p[1];
                } else if (cn->op == DB_OP_RPRELU) {
                    s->post.rp_s1 = cn->p[0];
                    s->post.rp_slope = cn->p[1];
                    s->post.rp_s2 = cn->p[2];
                } else {
                    /* the other input of the ADD: the one not on the chain */
                    int prev = bi;
                    while (one_cons[prev] != m)
                        prev = one_cons[prev];
                    s->res = cn->in[0] == prev ? cn->in[1] : cn->in[0];
                }
            }
            s->wbits = pack_weights(ctx, b);
            if (!s->wbits) {
                rc = DB_ENOMEM;
                goto done;
            }
            if (b->k == 3 && b->cin <= 32 && net->k->bconv_pair) {
                s->wpair = db_aligned_alloc(ctx, (size_t)6 * (size_t)db_cout8(b->cout) * 8);
                if (!s->wpair) { /* this step is not counted yet: free its weights here */
                    db_aligned_free(s->wbits);
                    s->wbits = NULL;
                    rc = DB_ENOMEM;
                    goto done;
                }
                db_bconv_pair_weights(s->wbits, b->cout, s->wpair);
            }
        } else if (n->op == DB_OP_CONV_REAL && net->k->stem8 && !net->has_stem8 &&
                   db_stem8_applies(g, i)) {
            if ((rc = db_stem8_init(ctx, g, i, &s->s8)) < 0)
                goto done;
            s->stem8 = net->has_stem8 = true;
        } else if (n->op == DB_OP_CONV_REAL) {
            s->wt = transpose_conv(ctx, n);
            if (!s->wt) {
                rc = DB_ENOMEM;
                goto done;
            }
        }
        net->step_of[s->node] = net->nsteps;
        net->nsteps++;
    }
    /* the integer stem reads the page itself: its HAAR2 is never made */
    for (int si = 0; si < net->nsteps; si++)
        if (net->steps[si].stem8) {
            step *h = &net->steps[net->step_of[g->nodes[net->steps[si].node].in[0]]];
            h->fused = h->no_map = true;
        }
    /* the folded BN (stem) or RPReLU (head) after a real conv is applied to
     * each conv row while it is in cache: the conv's full map is never
     * written, and the BN map can be packed for a BCONV in the same pass */
    for (int si = 0; si + 1 < net->nsteps; si++) {
        step *s = &net->steps[si], *e = &net->steps[si + 1];
        const db_gnode *en = &g->nodes[e->node];
        if (s->bnode < 0 && g->nodes[s->node].op == DB_OP_CONV_REAL && e->bnode < 0 &&
            (en->op == DB_OP_BATCHNORM || en->op == DB_OP_RPRELU) && en->in[0] == s->node &&
            ncons[s->node] == 1) {
            s->ew = si + 1;
            e->fused = true;
            e->host = si;
        }
    }
    /* how each BCONV gets its input bits */
    for (int si = 0; si < net->nsteps; si++) {
        step *s = &net->steps[si];
        if (s->bnode < 0)
            continue;
        const db_gnode *b = &g->nodes[s->bnode];
        int v = b->in[0];
        step *p = &net->steps[net->step_of[v]];
        int bconv_cons = 0;
        for (int i = v + 1; i < nn; i++)
            bconv_cons += g->nodes[i].op == DB_OP_BCONV && g->nodes[i].in[0] == v;
        db_op pop = g->nodes[v].op;
        bool can = p->bnode >= 0 || pop == DB_OP_CONV_REAL || pop == DB_OP_ADD || p->host >= 0;
        if (can && bconv_cons == 1 && p->bits_to < 0) {
            p->bits_to = si;
            p->post.thr = b->p[0];
            if (p->bnode >= 0 && ncons[v] == 1 && p->res < 0) {
                p->thresh_only = true;
                const db_gnode *pb = &g->nodes[p->bnode];
                rc = db_bthresh_build(ctx, &p->post, pb->k * pb->k * pb->cin, &p->bt);
                if (rc < 0)
                    goto done;
            }
        } else {
            s->own_pack = true;
        }
    }
    /* a 1x1 real conv right after the BCONV group that is its only input's
     * only reader (the U-Net head) runs row by row inside the group: the
     * group's full-resolution float map is never written */
    for (int si = 0; si + 1 < net->nsteps; si++) {
        step *s = &net->steps[si], *h = &net->steps[si + 1];
        const db_gnode *hn = &g->nodes[h->node];
        if (s->bnode >= 0 && !s->thresh_only && s->bits_to < 0 && ncons[s->node] == 1 &&
            hn->op == DB_OP_CONV_REAL && hn->k == 1 && hn->stride == 1 &&
            hn->in[0] == s->node && h->bits_to < 0 &&
            (h->ew < 0 || net->steps[h->ew].bits_to < 0)) {
            s->head = si + 1;
            h->fused = true;
            h->host = si;
            if (h->ew >= 0)
                net->steps[h->ew].host = si;
        }
    }
    /* a stride-1 real conv reading only CONCAT(UPSAMPLE2(lo), b), each read
     * only there (the trainer's head), builds the concat rows itself from lo
     * and b: neither full-resolution map is written */
    for (int si = 0; si < net->nsteps; si++) {
        step *s = &net->steps[si];
        const db_gnode *n = &g->nodes[s->node];
        if (s->bnode >= 0 || s->fused || n->op != DB_OP_CONV_REAL || n->stride != 1)
            continue;
        int a = n->in[0];
        const db_gnode *cn = &g->nodes[a];
        if (cn->op != DB_OP_CONCAT || ncons[a] != 1 || net->step_of[a] < 0)
            continue;
        int u = cn->in[0];
        if (u == cn->in[1] || g->nodes[u].op != DB_OP_UPSAMPLE2 ||
            g->nodes[u].attr != DB_UPSAMPLE_NEAREST || ncons[u] != 1 ||
            net->step_of[u] < 0 || net->steps[net->step_of[a]].bits_to >= 0 ||
            net->steps[net->step_of[u]].bits_to >= 0)
            continue;
        s->cat_lo = g->nodes[u].in[0];
        s->cat_b = cn->in[1];
        s->planar = n->cout <= PLANAR_MAXC;
        if (s->planar && !(s->wtp = planar_weights(ctx, n))) {
            rc = DB_ENOMEM;
            goto done;
        }
        net->steps[net->step_of[a]].fused = true;
        net->steps[net->step_of[u]].fused = true;
    }
    /* a decoder ADD(UPSAMPLE2(lo), skip) read only by one BCONV (as bits) and
     * as the residual of that BCONV's group keeps no map: the group's output
     * transform adds its two inputs again (a cheap add beside a map write and
     * read) */
    for (int si = 0; si < net->nsteps; si++) {
        step *s = &net->steps[si];
        int r = s->res;
        if (s->bnode < 0 || r < 0 || net->step_of[r] < 0)
            continue;
        step *a = &net->steps[net->step_of[r]];
        if (a->bnode < 0 && !a->fused && g->nodes[r].op == DB_OP_ADD && a->up_slot >= 0 &&
            a->bits_to == si && ncons[r] == 2)
            s->res_row = true;
    }
    /* buffers */
    for (int si = 0; si < net->nsteps; si++) {
        step *s = &net->steps[si];
        s->float_out = !s->thresh_only && !s->no_map;
        if (s->float_out) {
            buffer *b = &net->bufs[net->nbufs];
            *b = (buffer){.node = s->node, .bits = false, .rows = s->head >= 0 || s->ew >= 0};
            for (int j = si + 1; j < net->nsteps; j++)
                if (net->steps[j].res_row && net->steps[j].res == s->node)
                    b->rows = 1;
            if (s->fused && s->host < 0) /* lazy concat parts */
                b->rows = g->nodes[s->node].op == DB_OP_UPSAMPLE2 ? 1 : 7;
            net->value_buf[s->node] = s->fbuf = net->nbufs++;
        }
        if (s->bnode >= 0) {
            buffer *b = &net->bufs[net->nbufs];
            *b = (buffer){.node = g->nodes[s->bnode].in[0], .bits = true};
            s->bbuf = net->nbufs++;
        }
    }
done:
    db_free(add_slot);
    db_free(ncons);
    db_free(one_cons);
    db_free(absorbed);
    return rc;
}

int db_net_create(db_ctx *ctx, const db_model *model, db_net **out)
{
    *out = NULL;
    const db_kernels *k = db_kernels_select(db_ctx_resolved_isa(ctx));
    if (!k)
        return db_fail(ctx, DB_EUNSUPPORTED, "net: isa %s not available",
                       db_isa_name(db_ctx_resolved_isa(ctx)));
    db_net *net = db_calloc(ctx, 1, sizeof *net);
    if (!net)
        return DB_ENOMEM;
    net->model = model;
    net->g = db_model_graph(model);
    net->k = k;
    db_graph_halo(net->g, &net->halo, &net->align);
    net->tile = -1; /* automatic (choose_tiles) */
    net->last_bconv = -1;
    for (int i = 0; i < net->g->nnodes; i++)
        if (net->g->nodes[i].op == DB_OP_BCONV)
            net->last_bconv = i;
    net->budget = (size_t)384 << 20;
    int rc = plan(ctx, net);
    if (rc == 0) {
        int nw = db_pool_size(db_ctx_pool(ctx));
        net->workers = db_calloc(ctx, (size_t)nw, sizeof(worker));
        if (!net->workers)
            rc = DB_ENOMEM;
        else
            net->nworkers = nw;
    }
    for (int i = 0; rc == 0 && i < net->nworkers; i++) {
        worker *w = &net->workers[i];
        w->acc = db_malloc(ctx, (size_t)CHUNK * (size_t)net->maxc * sizeof(int32_t));
        w->hw = db_malloc(ctx, (size_t)net->g->nnodes * 2 * sizeof(int));
        w->done = db_malloc(ctx, (size_t)net->g->nnodes * sizeof(int));
        w->need = db_malloc(ctx, (size_t)net->g->nnodes * sizeof(int));
        w->aux = db_malloc(ctx, (size_t)net->nsteps * sizeof(int));
        if (!w->acc || !w->hw || !w->done || !w->need || !w->aux)
            rc = DB_ENOMEM;
    }
    if (rc < 0) {
        db_net_free(net);
        return rc;
    }
    *out = net;
    return 0;
}

size_t db_net_scratch_size(const db_net *net) { return net->arena_size; }

void db_net_set_scratch_budget(db_net *net, size_t bytes) { net->budget = bytes; }

const db_model *db_net_model(const db_net *net) { return net->model; }

int db_net_set_tile(db_ctx *ctx, db_net *net, int tile)
{
    if (tile < -1 || tile > (1 << 20))
        return db_fail(ctx, DB_EINVAL, "net: tile size %d out of range", tile);
    net->tile = tile;
    return 0;
}

/* ------------------------------------------------------------ rows
 * A tile runs as a stream of row bands: for each band of BAND output rows,
 * every step makes just the rows of its node that the band needs (band_need:
 * the requirement of each consumer, walked back through the steps), so a row
 * is read again while it is still in cache. A float map keeps only a ring of
 * its latest rows (the most its readers ever lag behind, found by running
 * the same schedule on row counts: place_buffers); bit maps stay whole (they
 * are 32 to 128 times smaller). */
enum { BAND = 8 }; /* output rows per band */

/* How a step reads a node: its rows for output rows [0, y) and from y0 on. */
enum { RD_SAME, RD_CONV, RD_DOWN, RD_UPN, RD_UPB, RD_CATLO };
typedef struct rd {
    int node, kind, k, stride;
    bool bits; /* reads the bits another step packed, not node's float map */
} rd;

/* Rows [0, n) of an input of ih rows that output rows [0, y) read. */
static int rd_hi(const rd *r, int y, int ih)
{
    if (y <= 0)
        return 0;
    int n;
    switch (r->kind) {
    case RD_CONV: n = (y - 1) * r->stride + r->k / 2 + 1; break;
    case RD_DOWN: n = 2 * y; break;
    case RD_UPN: n = (y + 1) / 2; break;
    case RD_UPB: n = y / 2 + 1; break; /* db_up2_other reaches one row further */
    case RD_CATLO: n = (y - 1 + r->k / 2) / 2 + 1; break;
    default: n = y; break;
    }
    return n < ih ? n : ih;
}

/* The first input row that output rows from y0 on read (a lower bound). */
static int rd_lo(const rd *r, int y0)
{
    int n;
    switch (r->kind) {
    case RD_CONV: n = y0 * r->stride - r->k / 2; break;
    case RD_DOWN: n = 2 * y0; break;
    case RD_UPN: n = y0 / 2; break;
    case RD_UPB: n = (y0 - 1) / 2; break;
    case RD_CATLO: n = (y0 - r->k / 2) / 2; break;
    default: n = y0; break;
    }
    return n > 0 ? n : 0;
}

/* The node rows step s reads (at most 3). Lazy concat parts read nothing
 * themselves (their conv reads for them). */
static int step_reads(const db_net *net, const step *s, rd *out)
{
    const db_graph *g = net->g;
    int nr = 0;
    if (s->bnode >= 0) {
        const db_gnode *b = &g->nodes[s->bnode];
        out[nr++] = (rd){b->in[0], RD_CONV, b->k, b->stride, !s->own_pack};
        if (s->res_row) { /* the residual ADD's own inputs */
            const step *a = &net->steps[net->step_of[s->res]];
            out[nr++] = (rd){a->up_src, RD_UPN, 0, 0, false};
            out[nr++] = (rd){g->nodes[s->res].in[1 - a->up_slot], RD_SAME, 0, 0, false};
        } else if (s->res >= 0) {
            out[nr++] = (rd){s->res, RD_SAME, 0, 0, false};
        }
        return nr;
    }
    if (s->fused && s->host < 0)
        return 0;
    const db_gnode *n = &g->nodes[s->node];
    switch (n->op) {
    case DB_OP_INPUT: break;
    case DB_OP_CONV_REAL:
        if (s->stem8) /* the page's samples, not a node */
            break;
        if (s->cat_lo >= 0) {
            out[nr++] = (rd){s->cat_lo, RD_CATLO, n->k, 1, false};
            out[nr++] = (rd){s->cat_b, RD_CONV, n->k, 1, false};
        } else {
            out[nr++] = (rd){n->in[0], RD_CONV, n->k, n->stride, false};
        }
        break;
    case DB_OP_AVGPOOL2:
    case DB_OP_HAAR2: out[nr++] = (rd){n->in[0], RD_DOWN, 0, 0, false}; break;
    case DB_OP_UPSAMPLE2: /* in[1] only gives the size */
        out[nr++] = (rd){n->in[0], n->attr == DB_UPSAMPLE_BILINEAR ? RD_UPB : RD_UPN, 0, 0, false};
        break;
    default:
        for (int j = 0; j < 2; j++) {
            if (n->in[j] < 0 || (j == 1 && n->in[1] == n->in[0]))
                continue;
            if (j == s->up_slot)
                out[nr++] = (rd){s->up_src, RD_UPN, 0, 0, false};
            else
                out[nr++] = (rd){n->in[j], RD_SAME, 0, 0, false};
        }
        break;
    }
    return nr;
}

/* need[node]: rows of every node that the first y rows of the output need. */
static void band_need(const db_net *net, const int *hw, int y, int *need)
{
    int nn = net->g->nnodes;
    memset(need, 0, (size_t)nn * sizeof *need);
    need[nn - 1] = y;
    for (int si = net->nsteps - 1; si >= 0; si--) {
        const step *s = &net->steps[si];
        rd r[3];
        int nr = step_reads(net, s, r);
        for (int j = 0; j < nr; j++) {
            int h = rd_hi(&r[j], need[s->node], hw[2 * r[j].node + 1]);
            if (h > need[r[j].node])
                need[r[j].node] = h;
        }
    }
}

/* Marks the nodes of the steps hosted by si as made up to y rows. */
static void host_done(const db_net *net, int si, int y, int *done)
{
    for (int j = si + 1; j < net->nsteps; j++)
        if (net->steps[j].host == si)
            done[net->steps[j].node] = y;
}

/* Runs the band schedule of one crop (shapes hw) on row counts only and
 * grows ring[] (per buffer) to the largest lag any reader shows: when a step
 * makes rows from y0 on, every row from its readers' lowest row up to the
 * newest row made must still be kept. */
static void ring_rows(const db_net *net, const int *hw, int *done, int *need, int *ring)
{
    int nn = net->g->nnodes, oh = hw[2 * (nn - 1) + 1];
    memset(done, 0, (size_t)nn * sizeof *done);
    for (int y = 0; y < oh;) {
        int prev = y;
        y = y + BAND < oh ? y + BAND : oh;
        band_need(net, hw, y, need);
        for (int si = 0; si < net->nsteps; si++) {
            const step *s = &net->steps[si];
            int y0 = done[s->node], y1 = need[s->node];
            if (s->fused || y1 <= y0)
                continue;
            rd r[3];
            int nr = step_reads(net, s, r);
            for (int j = 0; j < nr; j++) {
                int b = net->value_buf[r[j].node];
                if (r[j].bits || b < 0 || net->bufs[b].rows)
                    continue;
                int lag = done[r[j].node] - rd_lo(&r[j], y0);
                if (lag > ring[b])
                    ring[b] = lag;
            }
            done[s->node] = y1;
            host_done(net, si, y1, done);
        }
        int b = net->value_buf[nn - 1]; /* the page writer reads [prev, y) */
        if (y - prev > ring[b])
            ring[b] = y - prev;
    }
}

static size_t buf_bytes(const db_net *net, const buffer *b, const int *hw)
{
    int w = hw[2 * b->node], h = hw[2 * b->node + 1], c = net->g->nodes[b->node].cout;
    int r = b->rows ? b->rows : b->ring;
    if (!b->bits && r < h)
        h = r;
    size_t n = b->bits ? (size_t)(w + 2) * (size_t)(h + 2) * (size_t)db_words(c) * 8
                       : (size_t)w * (size_t)h * (size_t)c * sizeof(float);
    return (n + 63) & ~(size_t)63;
}

/* Tile row ty's crop: first row and height. */
static void crop_rows(const db_net *net, int H, int ty, int *cy, int *ch)
{
    int y0 = ty * net->th, y1 = y0 + net->th < H ? y0 + net->th : H;
    int a = y0 - net->halo > 0 ? y0 - net->halo : 0, b = y1 + net->halo < H ? y1 + net->halo : H;
    *cy = a;
    *ch = b - a;
}

/* Ring sizes for every crop height of the current tiling (tw, th, ntx, nty
 * set) of a W x H page, then the buffers one after another (every buffer
 * is live through the whole band stream) for the widest crop. */
static int place_buffers(db_ctx *ctx, db_net *net, int W, int H)
{
    worker *wk = &net->workers[0];
    int *hw = wk->hw;
    int cw = net->tw + 2 * net->halo < W ? net->tw + 2 * net->halo : W;
    int *ring = db_calloc(ctx, (size_t)net->nbufs, sizeof(int));
    if (!ring)
        return DB_ENOMEM;
    int chmax = 0, rc = 0;
    for (int ty = 0; ty < net->nty; ty++) {
        int cy, ch;
        crop_rows(net, H, ty, &cy, &ch);
        if ((rc = db_graph_shapes(ctx, net->g, cw, ch, hw)) < 0)
            break;
        ring_rows(net, hw, wk->done, wk->need, ring);
        if (ch > chmax)
            chmax = ch;
    }
    if (rc == 0)
        rc = db_graph_shapes(ctx, net->g, cw, chmax, hw);
    size_t total = 0;
    for (int i = 0; rc == 0 && i < net->nbufs; i++) {
        buffer *b = &net->bufs[i];
        b->ring = ring[i] > 0 ? ring[i] : 1;
        b->off = total;
        total += buf_bytes(net, b, hw);
    }
    db_free(ring);
    net->arena_size = total;
    return rc;
}

/* ------------------------------------------------------------ run */

/* Tiles are multiples of 64 pixels (whole BIT1 words) and of the graph's
 * alignment (pooling grids). */
static int tile_unit(const db_net *net) { return net->align > 64 ? net->align : 64; }

/* n pixels cut into pieces of at most t: the piece count, and pieces of
 * equal size (rounded up to the unit) so the last one is not a sliver. */
static int balanced_tile(int n, int t, int unit, int *count)
{
    int c = (n + t - 1) / t;
    int piece = ((n + c - 1) / c + unit - 1) / unit * unit;
    if (piece >= n)
        piece = n;
    *count = (n + piece - 1) / piece;
    return piece;
}

/* Automatic tiles: the largest (fewest tiles, least halo recomputation:
 * every inner tile edge costs 2*halo pixels of recomputed work) whose
 * per-thread scratch fits net->budget, and at least one tile per worker so
 * every thread has work (on a portrait page the first split is into
 * full-width row bands); 256-pixel tiles at least. */
static int choose_tiles(db_ctx *ctx, db_net *net, int W, int H)
{
    int unit = tile_unit(net);
    int tmin = (256 + unit - 1) / unit * unit;
    int top = W > H ? W : H;
    top = (top + unit - 1) / unit * unit;
    for (int t = top;; t -= (t / 16 + unit - 1) / unit * unit) {
        if (t < tmin)
            t = tmin;
        net->tw = balanced_tile(W, t, unit, &net->ntx);
        net->th = balanced_tile(H, t, unit, &net->nty);
        DB_TRY(place_buffers(ctx, net, W, H));
        if ((net->arena_size <= net->budget && net->ntx * net->nty >= net->nworkers) ||
            t == tmin)
            return 0;
    }
}

static float *fmap(const db_net *net, const worker *w, int node)
{
    return (float *)(void *)(w->arena + net->bufs[net->value_buf[node]].off);
}

/* Row y of node's float map (a ring: slot y % ring). */
static float *frow(const db_net *net, const worker *w, int node, int y)
{
    const buffer *b = &net->bufs[net->value_buf[node]];
    size_t pitch = (size_t)w->hw[2 * node] * (size_t)net->g->nodes[node].cout;
    return (float *)(void *)(w->arena + b->off) + (size_t)(y % b->ring) * pitch;
}

/* A cycle stamp for the profile's split of a BCONV group (0 when off). */
static inline uint64_t stamp(const db_net *net)
{
    if (!net->profile)
        return 0;
#if defined(__x86_64__)
    return __rdtsc();
#else
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
#endif
}

/* The BATCHNORM or RPRELU node e as a float db_bpost chain (kernels fpost);
 * thr: the RSign thresholds when its bits are packed too. */
static db_bpost ew_post(const db_gnode *e, const float *thr)
{
    db_bpost p = {.cout = e->cout, .thr = thr};
    if (e->op == DB_OP_BATCHNORM) {
        p.bn_scale = e->p[0];
        p.bn_bias = e->p[1];
    } else {
        p.rp_s1 = e->p[0];
        p.rp_slope = e->p[1];
        p.rp_s2 = e->p[2];
    }
    return p;
}

/* Rows [y0, y1) of a BCONV group (si = its step index). */
static void run_bconv(const db_net *net, worker *wk, int si, const step *s, int y0, int y1)
{
    const db_graph *g = net->g;
    const db_gnode *b = &g->nodes[s->bnode];
    const int *hw = wk->hw;
    int v = b->in[0];
    int iw = hw[2 * v], ih = hw[2 * v + 1];
    int ow = hw[2 * s->bnode], oh = hw[2 * s->bnode + 1];
    int words = db_words(b->cin), cout = b->cout;
    uint64_t *in = (uint64_t *)(void *)(wk->arena + net->bufs[s->bbuf].off);
    size_t in_row = (size_t)(iw + 2) * (size_t)words;
    uint64_t c0 = stamp(net), c1;
    if (s->own_pack) { /* the input rows these output rows reach */
        if (y0 == 0) {
            db_layer_clear_border(in, iw, ih, words);
            wk->aux[si] = 0;
        }
        int hi = (y1 - 1) * b->stride + b->k / 2 + 1;
        for (int r = wk->aux[si]; r < (hi < ih ? hi : ih); r++)
            net->k->pack(frow(net, wk, v, r), iw, b->cin, b->p[0],
                         in + (size_t)(r + 1) * in_row + (size_t)words);
        wk->aux[si] = hi < ih ? hi : ih;
        c1 = stamp(net);
        wk->cyc[CYC_PACK] += c1 - c0;
        c0 = c1;
    }
    int off = b->k == 3 ? 0 : 1;
    int32_t K = b->k * b->k * b->cin;
    const step *hs = s->head >= 0 ? &net->steps[s->head] : NULL;
    uint64_t *nb = NULL;
    int nwords = db_words(cout);
    db_bpost post = s->post;
    post.stream = false; /* rows are read again soon: keep them in cache */
    if (s->bits_to >= 0) {
        nb = (uint64_t *)(void *)(wk->arena + net->bufs[net->steps[s->bits_to].bbuf].off);
        if (y0 == 0)
            db_layer_clear_border(nb, ow, oh, nwords);
    }
    for (int y = y0; y < y1; y++) {
        const uint64_t *irow =
            in + (size_t)(y * b->stride + off) * in_row + (size_t)off * (size_t)words;
        const float *res = NULL, *res_lo = NULL;
        if (s->res_row) { /* the residual ADD made again inside the transform */
            const step *a = &net->steps[net->step_of[s->res]];
            res_lo = frow(net, wk, a->up_src, y / 2);
            res = frow(net, wk, g->nodes[s->res].in[1 - a->up_slot], y);
        } else if (s->res >= 0) {
            res = frow(net, wk, s->res, y);
        }
        float *out = !s->float_out ? NULL : hs ? fmap(net, wk, s->node) : frow(net, wk, s->node, y);
        for (int x = 0; x < ow; x += CHUNK) {
            int n = ow - x < CHUNK ? ow - x : CHUNK;
            const uint64_t *ix = irow + (size_t)x * (size_t)b->stride * (size_t)words;
            if (s->wpair)
                net->k->bconv_pair(ix, in_row, b->stride, n, s->wpair, cout, K, wk->acc);
            else
                net->k->bconv(ix, in_row, words, b->k, b->stride, n, s->wbits, cout, K, wk->acc);
            c1 = stamp(net);
            wk->cyc[CYC_KERNEL] += c1 - c0;
            c0 = c1;
            uint64_t *bits =
                nb ? nb + ((size_t)(y + 1) * (size_t)(ow + 2) + (size_t)(x + 1)) * (size_t)nwords
                   : NULL;
            post.res_lo = res_lo ? res_lo + (size_t)(x / 2) * (size_t)cout : NULL;
            if (s->thresh_only)
                net->k->bthresh(&s->bt, wk->acc, n, bits);
            else
                net->k->bpost(&post, wk->acc, n, res ? res + (size_t)x * (size_t)cout : NULL,
                              out ? out + (size_t)x * (size_t)cout : NULL, bits);
            c1 = stamp(net);
            wk->cyc[CYC_POST] += c1 - c0;
            c0 = c1;
        }
        if (hs) { /* the fused 1x1 head on the row just made (out holds one row) */
            const db_gnode *hn = &g->nodes[hs->node];
            const float *rows[1] = {out};
            float *hrow = hs->ew >= 0 ? fmap(net, wk, hs->node) : frow(net, wk, hs->node, y);
            net->k->conv_real(rows, ow, cout, 1, 1, ow, hs->wt, hn->p[0], hn->cout, hrow);
            if (hs->ew >= 0) {
                const step *e = &net->steps[hs->ew];
                db_bpost ep = ew_post(&g->nodes[e->node], NULL);
                net->k->fpost(&ep, hrow, ow, frow(net, wk, e->node, y), NULL);
            }
            c1 = stamp(net);
            wk->cyc[CYC_HEAD] += c1 - c0;
            c0 = c1;
        }
    }
}

/* Row iy of CONCAT(UPSAMPLE2(lo), b) at width iw into dst (nearest: pixel x
 * of row iy reads lo pixel (x/2, iy/2)), interleaved or as channel planes
 * (s->planar: channel ci at dst + ci*iw). */
static void cat_row(const db_net *net, const worker *wk, const step *s, int iw, int iy, float *dst)
{
    int cu = net->g->nodes[s->cat_lo].cout, cb = net->g->nodes[s->cat_b].cout, c = cu + cb;
    const float *lo = frow(net, wk, s->cat_lo, iy / 2);
    const float *b = frow(net, wk, s->cat_b, iy);
    if (s->planar) {
        net->k->planes(lo, cu, iw, true, dst);
        net->k->planes(b, cb, iw, false, dst + (size_t)cu * (size_t)iw);
        return;
    }
    for (int x = 0; x < iw; x++) {
        memcpy(dst + (size_t)x * (size_t)c, lo + (size_t)(x / 2) * (size_t)cu,
               (size_t)cu * sizeof(float));
        memcpy(dst + (size_t)x * (size_t)c + (size_t)cu, b + (size_t)x * (size_t)cb,
               (size_t)cb * sizeof(float));
    }
}

enum { S8_RING = 8 }; /* sample rows kept by the integer stem (6 read per row) */

/* Output row y of the integer stem into orow: its six sample rows from the
 * ring (filled from the page as they are first needed), the offsets of the
 * row's border pattern. The crop's top-left page pixel is (cx, cy). */
static void run_stem8_row(const db_net *net, worker *wk, const step *s, int cx, int cy, int y,
                          float *orow)
{
    const db_stem8 *q = &s->s8;
    int iw = wk->hw[0], ih = wk->hw[1];
    int ow = wk->hw[2 * s->node], oh = wk->hw[2 * s->node + 1];
    size_t len = (size_t)db_stem8_row_len(q->c, iw);
    const int16_t *rows[6];
    for (int dy = 0; dy < 6; dy++) {
        int r = 2 * y - 2 + dy, slot = (r + 2) % S8_RING;
        int16_t *dst = wk->s8rows + (size_t)slot * len;
        if (wk->s8tag[slot] != r) {
            db_stem8_fill_row(net->page, cx, cy, iw, ih, q->c, r, dst);
            wk->s8tag[slot] = r;
        }
        rows[dy] = dst;
    }
    int vert = db_stem8_pattern(1, y, 3, oh); /* top/bottom bits only */
    int first = vert | DB_STEM8_LEFT | (ow == 1 ? DB_STEM8_RIGHT : 0);
    const float *off[3] = {q->off + (size_t)first * (size_t)q->cout16,
                           q->off + (size_t)vert * (size_t)q->cout16,
                           q->off + (size_t)(vert | DB_STEM8_RIGHT) * (size_t)q->cout16};
    net->k->stem8(rows, q->c, ow, q->wq, q->cout, q->scale, off, orow);
}

/* CONV_REAL rows [y0, y1) (si = its step index; (cx, cy) the crop's origin). */
static void run_conv_real(const db_net *net, worker *wk, int si, const step *s, int y0, int y1,
                          int cx, int cy, uint64_t *bits, size_t bpitch, size_t bw)
{
    const db_gnode *n = &net->g->nodes[s->node];
    const int *hw = wk->hw;
    int a = n->in[0], w = hw[2 * s->node];
    int iw = hw[2 * a], ih = hw[2 * a + 1];
    const step *es = s->ew >= 0 ? &net->steps[s->ew] : NULL, *bs = es ? es : s;
    const float *rows[7];
    size_t ipitch = (size_t)iw * (size_t)n->cin;
    db_bpost ep = es ? ew_post(&net->g->nodes[es->node], bs->post.thr) : (db_bpost){0};
    if (y0 == 0) {
        wk->aux[si] = 0; /* lazy concat: input rows [0, aux) are built */
        for (int i = 0; i < S8_RING; i++)
            wk->s8tag[i] = -1000; /* a new crop: no sample row held */
    }
    for (int y = y0; y < y1; y++) {
        if (s->cat_lo >= 0) { /* ring of k rows in a's buffer (stride 1) */
            int need = y + n->k / 2 + 1 < ih ? y + n->k / 2 + 1 : ih;
            for (; wk->aux[si] < need; wk->aux[si]++)
                cat_row(net, wk, s, iw, wk->aux[si],
                        fmap(net, wk, a) + (size_t)(wk->aux[si] % n->k) * ipitch);
        }
        for (int ky = 0; ky < n->k && !s->stem8; ky++) {
            int iy = y * n->stride - n->k / 2 + ky;
            if (iy < 0 || iy >= ih)
                rows[ky] = NULL;
            else if (s->cat_lo >= 0)
                rows[ky] = fmap(net, wk, a) + (size_t)(iy % n->k) * ipitch;
            else
                rows[ky] = frow(net, wk, a, iy);
        }
        /* with es, the conv's own map holds one row */
        float *orow = es ? fmap(net, wk, s->node) : frow(net, wk, s->node, y);
        if (s->stem8)
            run_stem8_row(net, wk, s, cx, cy, y, orow);
        else if (s->planar && n->cout == 1)
            net->k->conv_real1_planar(rows, iw, n->cin, n->k, s->wtp, n->p[0][0], orow);
        else if (s->planar) /* one channel at a time, then interleaved */
            for (int o = 0; o < n->cout; o++) {
                size_t per = (size_t)n->k * (size_t)n->k * (size_t)n->cin;
                net->k->conv_real1_planar(rows, iw, n->cin, n->k, s->wtp + (size_t)o * per,
                                          n->p[0][o], wk->prow);
                for (int x = 0; x < w; x++)
                    orow[(size_t)x * (size_t)n->cout + (size_t)o] = wk->prow[x];
            }
        else
            net->k->conv_real(rows, iw, n->cin, n->k, n->stride, w, s->wt, n->p[0], n->cout,
                              orow);
        uint64_t *brow = bits ? bits + (size_t)(y + 1) * bpitch + bw : NULL;
        if (es) /* BN or RPReLU, and the bits, while the row is in cache */
            net->k->fpost(&ep, orow, w, frow(net, wk, es->node, y), brow);
        else if (bits)
            net->k->pack(orow, w, n->cout, bs->post.thr, brow);
    }
}

/* Rows [y0, y1) of step si's node; the crop's top-left page pixel is (cx, cy). */
static void run_step(const db_net *net, worker *wk, int si, int cx, int cy, int y0, int y1)
{
    const step *s = &net->steps[si];
    if (s->bnode >= 0) {
        run_bconv(net, wk, si, s, y0, y1);
        return;
    }
    const db_gnode *n = &net->g->nodes[s->node];
    const int *hw = wk->hw;
    int w = hw[2 * s->node], h = hw[2 * s->node + 1];
    int a = n->in[0], b = n->in[1];
    /* bits for the one BCONV consumer, packed row by row (CONV_REAL, ADD,
     * or the BN/RPReLU fused into a CONV_REAL) */
    const step *bs = s->ew >= 0 ? &net->steps[s->ew] : s;
    uint64_t *bits = NULL;
    size_t bpitch = 0, bw = 0;
    if (bs->bits_to >= 0) {
        int words = db_words(n->cout);
        bits = (uint64_t *)(void *)(wk->arena + net->bufs[net->steps[bs->bits_to].bbuf].off);
        if (y0 == 0)
            db_layer_clear_border(bits, w, h, words);
        bpitch = (size_t)(w + 2) * (size_t)words;
        bw = (size_t)words;
    }
    if (n->op == DB_OP_CONV_REAL) {
        run_conv_real(net, wk, si, s, y0, y1, cx, cy, bits, bpitch, bw);
        return;
    }
    int cb = b >= 0 ? net->g->nodes[b].cout : 0;
    bool one_row = net->bufs[s->fbuf].rows == 1; /* a residual remade by its reader */
    for (int y = y0; y < y1; y++) {
        float *out = one_row ? fmap(net, wk, s->node) : frow(net, wk, s->node, y);
        switch (n->op) {
        case DB_OP_INPUT:
            db_layer_input(net->page, cx, cy + y, w, 1, n->cout, n->attr, net->mean, net->inv_std,
                           out);
            break;
        case DB_OP_ADD:
            if (s->up_slot >= 0) { /* a fused nearest UPSAMPLE2 read at half resolution */
                net->k->add_up2(frow(net, wk, s->up_src, y / 2),
                                frow(net, wk, n->in[1 - s->up_slot], y), n->cout, w, s->post.thr,
                                out, bits ? bits + (size_t)(y + 1) * bpitch + bw : NULL);
                break;
            }
            db_layer_elementwise(n, frow(net, wk, a, y), frow(net, wk, b, y), (size_t)w, out);
            if (bits)
                net->k->pack(out, w, n->cout, s->post.thr, bits + (size_t)(y + 1) * bpitch + bw);
            break;
        case DB_OP_BATCHNORM:
        case DB_OP_RPRELU:
        case DB_OP_SIGMOID:
            db_layer_elementwise(n, frow(net, wk, a, y), NULL, (size_t)w, out);
            break;
        case DB_OP_CONCAT:
        case DB_OP_CHANNEL_DUP:
        case DB_OP_CHANNEL_PAIR_MEAN:
        case DB_OP_DB_HEAD:
            db_layer_channels(n, frow(net, wk, a, y), n->cin, b >= 0 ? frow(net, wk, b, y) : NULL,
                              cb, (size_t)w, out);
            break;
        case DB_OP_AVGPOOL2:
        case DB_OP_HAAR2: {
            int ih = hw[2 * a + 1];
            const float *r0 = frow(net, wk, a, 2 * y);
            db_layer_down2_row(n, r0, 2 * y + 1 < ih ? frow(net, wk, a, 2 * y + 1) : r0, hw[2 * a],
                               out);
            break;
        }
        case DB_OP_UPSAMPLE2:
            if (n->attr == DB_UPSAMPLE_BILINEAR)
                db_layer_upsample2_bilinear_row(
                    n->cout, frow(net, wk, a, y / 2),
                    frow(net, wk, a, db_up2_other(y, hw[2 * a + 1])), hw[2 * a], w, out);
            else
                db_layer_upsample2_row(n->cout, frow(net, wk, a, y / 2), w, out);
            break;
        default: break;
        }
    }
}

/* ------------------------------------------------------------ profile */

static double thread_cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Books t seconds of step s: a BCONV group's by its cycle split. */
static void profile_step(const db_net *net, worker *wk, const step *s, double t)
{
    const db_gnode *n = &net->g->nodes[s->node];
    if (s->bnode >= 0) {
        static const int kind[CYC_COUNT] = {DB_PROF_BCONV, DB_PROF_BPOST, DB_PROF_PACK,
                                            DB_PROF_HEAD};
        uint64_t tot = 0;
        for (int i = 0; i < CYC_COUNT; i++)
            tot += wk->cyc[i];
        for (int i = 0; i < CYC_COUNT; i++) {
            wk->prof[kind[i]] += tot ? t * (double)wk->cyc[i] / (double)tot : 0.0;
            wk->cyc[i] = 0;
        }
        return;
    }
    int k;
    switch (n->op) {
    case DB_OP_INPUT: k = DB_PROF_INPUT; break;
    case DB_OP_HAAR2:
    case DB_OP_AVGPOOL2: k = DB_PROF_DOWN; break;
    case DB_OP_CONV_REAL: k = s->node > net->last_bconv ? DB_PROF_HEAD : DB_PROF_STEM; break;
    case DB_OP_CONCAT:
    case DB_OP_CHANNEL_DUP:
    case DB_OP_CHANNEL_PAIR_MEAN:
    case DB_OP_DB_HEAD: k = DB_PROF_CHANNELS; break;
    default: k = DB_PROF_ELTWISE; break;
    }
    wk->prof[k] += t;
}

void db_net_set_profile(db_net *net, bool on) { net->profile = on; }

void db_net_profile(const db_net *net, int wid, double sec[DB_PROF_COUNT_])
{
    for (int k = 0; k < DB_PROF_COUNT_; k++) {
        sec[k] = 0;
        for (int i = 0; i < net->nworkers; i++)
            if (wid < 0 || wid == i)
                sec[k] += net->workers[i].prof[k];
    }
}

int db_net_workers(const db_net *net) { return net->nworkers; }

const char *db_net_prof_name(int kind)
{
    static const char *const names[DB_PROF_COUNT_] = {
        [DB_PROF_INPUT] = "input (8-bit to float, page stats)",
        [DB_PROF_DOWN] = "haar dwt / avgpool",
        [DB_PROF_STEM] = "real conv, stem",
        [DB_PROF_HEAD] = "real conv, head",
        [DB_PROF_BCONV] = "binary conv (xor+popcount)",
        [DB_PROF_BPOST] = "bconv output (bn, rprelu, add, bits)",
        [DB_PROF_PACK] = "sign packing of float maps",
        [DB_PROF_ELTWISE] = "float bn/rprelu/add/upsample",
        [DB_PROF_CHANNELS] = "channel dup/mean/concat",
        [DB_PROF_OUTPUT] = "logits to bit1",
    };
    return kind >= 0 && kind < DB_PROF_COUNT_ ? names[kind] : "?";
}

static void tile_job(void *arg, int job, int worker_id)
{
    db_net *net = arg;
    if (db_ctx_canceled(net->ctx))
        return;
    worker *wk = &net->workers[worker_id];
    int W = net->page->width, H = net->page->height;
    int x0 = (job % net->ntx) * net->tw, y0 = (job / net->ntx) * net->th;
    int x1 = x0 + net->tw < W ? x0 + net->tw : W, y1 = y0 + net->th < H ? y0 + net->th : H;
    int cx = x0 - net->halo > 0 ? x0 - net->halo : 0;
    int cy = y0 - net->halo > 0 ? y0 - net->halo : 0;
    int cx1 = x1 + net->halo < W ? x1 + net->halo : W;
    int cy1 = y1 + net->halo < H ? y1 + net->halo : H;
    int cw = cx1 - cx, ch = cy1 - cy;
    if (db_graph_shapes(NULL, net->g, cw, ch, wk->hw) < 0)
        return; /* cannot happen: validated for every size at load */
    int last = net->g->nnodes - 1;
    memset(wk->done, 0, (size_t)net->g->nnodes * sizeof *wk->done);
    for (int band = 0; band < ch;) {
        int prev = band;
        band = band + BAND < ch ? band + BAND : ch;
        band_need(net, wk->hw, band, wk->need);
        for (int si = 0; si < net->nsteps; si++) {
            const step *s = &net->steps[si];
            int r0 = wk->done[s->node], r1 = wk->need[s->node];
            if (s->fused || r1 <= r0)
                continue;
            double t0 = net->profile ? thread_cpu_s() : 0;
            run_step(net, wk, si, cx, cy, r0, r1);
            wk->done[s->node] = r1;
            host_done(net, si, r1, wk->done);
            if (net->profile)
                profile_step(net, wk, s, thread_cpu_s() - t0);
        }
        /* the band's output rows that belong to this tile */
        double t0 = net->profile ? thread_cpu_s() : 0;
        int ya = cy + prev > y0 ? cy + prev : y0, yb = cy + band < y1 ? cy + band : y1;
        for (int y = ya; y < yb; y++) {
            const float *src = frow(net, wk, last, y - cy) + (x0 - cx);
            uint64_t *row = (uint64_t *)(void *)db_image_row(net->out, y);
            for (int x = x0; x < x1; x += 64) {
                uint64_t word = 0;
                for (int i = 0; i < 64 && x + i < x1; i++)
                    word |= (uint64_t)(src[x - x0 + i] > 0.0f) << i;
                row[x >> 6] = word;
            }
            if (net->logits)
                memcpy((float *)(void *)db_image_row(net->logits, y) + x0, src,
                       (size_t)(x1 - x0) * sizeof(float));
        }
        if (net->profile)
            wk->prof[DB_PROF_OUTPUT] += thread_cpu_s() - t0;
    }
}

/* Touches every page of a new arena once, before the tiles: first touches
 * are slow on VMs (~200 ms for 113 MiB even with huge pages), so the
 * workers' arenas are touched in parallel rather than inside the tile loop
 * or one after another. Job j touches worker j's arena. */
static void touch_job(void *arg, int job, int worker_id)
{
    (void)worker_id;
    db_net *net = arg;
    worker *w = &net->workers[job];
    if (w->fresh) {
        memset(w->arena, 0, w->cap);
        w->fresh = false;
    }
}

/* Asks Linux for transparent huge pages on the arena (2 MiB pages: 512 times
 * fewer first-touch faults, fewer TLB misses over the tile loop); a hint,
 * ignored where unsupported. */
static void advise_huge(void *p, size_t n)
{
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    uintptr_t a = ((uintptr_t)p + 4095) & ~(uintptr_t)4095;
    uintptr_t e = ((uintptr_t)p + n) & ~(uintptr_t)4095;
    if (e > a)
        (void)madvise((void *)a, e - a, MADV_HUGEPAGE);
#else
    (void)p;
    (void)n;
#endif
}

int db_net_run(db_ctx *ctx, db_net *net, const db_image *in, db_image *out, db_image *logits)
{
    const db_graph *g = net->g;
    int C = g->nodes[0].cout;
    if (!in || !in->data || (in->format != DB_GRAY8 && in->format != DB_RGB8))
        return db_fail(ctx, DB_EINVAL, "net: input must be GRAY8 or RGB8");
    DB_TRY(db_check_dimensions(ctx, "net", in->width, in->height));
    const db_image *page = in;
    if (C == 1 && in->format == DB_RGB8) {
        DB_TRY(db_image_to_gray(ctx, in, &net->gray));
        page = &net->gray;
    }
    int W = page->width, H = page->height;
    DB_TRY(db_image_ensure(ctx, out, W, H, DB_BIT1));
    db_image_clear(out);
    out->xdpi = in->xdpi;
    out->ydpi = in->ydpi;
    if (logits) {
        DB_TRY(db_image_ensure(ctx, logits, W, H, DB_F32));
        logits->xdpi = in->xdpi;
        logits->ydpi = in->ydpi;
    }
    for (int i = 0; i < net->nworkers; i++)
        memset(net->workers[i].prof, 0, sizeof net->workers[i].prof);
    double tstats = net->profile ? thread_cpu_s() : 0;
    if (g->nodes[0].attr == DB_NORM_PAGE_STD)
        for (int c = 0; c < C; c++) {
            if (page->format != DB_RGB8 && c > 0) { /* the same samples: the same stats */
                net->mean[c] = net->mean[0];
                net->inv_std[c] = net->inv_std[0];
                continue;
            }
            db_input_page_stats(page->data, page->stride, W, H, page->format == DB_RGB8 ? 3 : 1,
                                page->format == DB_RGB8 ? c : 0, &net->mean[c], &net->inv_std[c]);
        }
    for (int si = 0; si < net->nsteps; si++) /* the stem's weights for this page */
        if (net->steps[si].stem8)
            db_stem8_prepare(&net->steps[si].s8, g, net->steps[si].node, net->mean,
                             net->inv_std, page->format == DB_RGB8 ? 3 : 1);
    if (net->profile)
        net->workers[0].prof[DB_PROF_INPUT] += thread_cpu_s() - tstats;
    int cw, ch;
    if (net->tile < 0) {
        DB_TRY(choose_tiles(ctx, net, W, H));
        cw = net->tw + 2 * net->halo < W ? net->tw + 2 * net->halo : W;
        ch = net->th + 2 * net->halo < H ? net->th + 2 * net->halo : H;
    } else {
        /* tile size: a multiple of 64 (whole BIT1 words) and of the alignment */
        int t = net->tile ? (net->tile + tile_unit(net) - 1) / tile_unit(net) * tile_unit(net)
                          : 0;
        net->tw = t && t < W ? t : W;
        net->th = t && t < H ? t : H;
        net->ntx = (W + net->tw - 1) / net->tw;
        net->nty = (H + net->th - 1) / net->th;
        cw = net->tw + 2 * net->halo < W ? net->tw + 2 * net->halo : W;
        ch = net->th + 2 * net->halo < H ? net->th + 2 * net->halo : H;
        DB_TRY(place_buffers(ctx, net, W, H));
    }
    if (net->arena_size > ((size_t)1 << 32))
        return db_fail(ctx, DB_ETOOBIG,
                       "net: %zu MiB of scratch per thread for %dx%d tiles (limit 4096 MiB)",
                       net->arena_size >> 20, cw, ch);
    int nw = net->nworkers;
    for (int i = 0; i < nw; i++) {
        worker *w = &net->workers[i];
        if (w->cap < net->arena_size) {
            db_aligned_free(w->arena);
            w->cap = 0;
            w->arena = db_aligned_alloc(ctx, net->arena_size);
            if (!w->arena)
                return DB_ENOMEM;
            advise_huge(w->arena, net->arena_size);
            w->fresh = true; /* touched below, by the pool */
            w->cap = net->arena_size;
        }
        if (w->pcap < (size_t)cw) {
            db_free(w->prow);
            w->pcap = 0;
            if (!(w->prow = db_malloc(ctx, (size_t)cw * sizeof *w->prow)))
                return DB_ENOMEM;
            w->pcap = (size_t)cw;
        }
        size_t s8 = net->has_stem8 ? (size_t)S8_RING * (size_t)db_stem8_row_len(C, cw) : 0;
        if (w->s8cap < s8) {
            db_aligned_free(w->s8rows);
            w->s8cap = 0;
            if (!(w->s8rows = db_aligned_alloc(ctx, s8 * sizeof *w->s8rows)))
                return DB_ENOMEM;
            w->s8cap = s8;
        }
    }
    net->page = page;
    net->out = out;
    net->logits = logits;
    net->ctx = ctx;
    db_pool *pool = db_ctx_pool(ctx);
    if (db_pool_size(pool) > nw)
        pool = NULL; /* a different pool than at creation: stay on this thread */
    db_pool_run(pool, nw, touch_job, net);
    db_pool_run(pool, net->ntx * net->nty, tile_job, net);
    net->page = NULL;
    if (db_ctx_canceled(ctx))
        return db_fail(ctx, DB_ECANCELED, "net: canceled");
    return 0;
}
