/* maxflow.c - Boykov-Kolmogorov max-flow on a 4-connected grid (see maxflow.h).
 * Y. Boykov, V. Kolmogorov, "An experimental comparison of min-cut/max-flow
 * algorithms for energy minimization in vision", IEEE PAMI 26(9), 2004: two
 * search trees (source and sink) grow until they touch, the path found is
 * augmented, and the nodes cut off from their tree (orphans) look for a new
 * parent. Tree reuse for raised capacities follows Kohli and Torr, "Dynamic
 * graph cuts", ICCV 2005. Neighbours are implicit (index offsets); a padded
 * layout (one spare column, a spare row above and below) gives every real
 * node four in-memory neighbours, so the loops never test the grid border:
 * arcs into the padding have capacity 0 and padding nodes never join a tree.
 */
#include "maxflow.h"

#include "db_internal.h"

#include <assert.h>
#include <limits.h>
#include <string.h>

enum { PARENT_TERMINAL = 4, PARENT_ORPHAN = 5, PARENT_NONE = 6 };
#define DIST_MAX 0x7fffffff

/* 32 bytes: two nodes per cache line, never split. */
typedef struct mf_node {
    float cap[4];   /* residual capacity of the arc to neighbour d (0 R, 1 L, 2 down, 3 up) */
    float tr;       /* residual terminal capacity: > 0 from the source, < 0 to the sink */
    int32_t next;   /* active list: -1 = not active, self = last */
    uint32_t ts;    /* time stamp of the last distance check */
    uint32_t dist;  /* distance to the terminal (heuristic, saturating) */
} mf_node;
_Static_assert(sizeof(mf_node) == 32, "mf_node must stay 32 bytes");

/* The tree state of a node lives apart, one byte per node (bits 0-2: arc
 * direction to the parent or PARENT_*, bit 3: in the sink tree): reading the
 * cut and testing neighbours' trees then touch 1 byte instead of a 32-byte
 * node (the cut is read after each of Howe's 363 solves). */
static inline int par(const uint8_t *S, int32_t i) { return S[i] & 7; }
static inline int snk(const uint8_t *S, int32_t i) { return (S[i] >> 3) & 1; }
static inline void set_parent(uint8_t *S, int32_t i, int p)
{
    S[i] = (uint8_t)((S[i] & ~7) | p);
}
static inline void set_sink(uint8_t *S, int32_t i, int sink)
{
    S[i] = (uint8_t)((S[i] & 7) | (sink << 3));
}

struct db_maxflow {
    int w, h, stride; /* stride = w + 1 (spare column) */
    int32_t n;        /* nodes including padding */
    int32_t off[4];
    mf_node *nodes;
    uint8_t *state;   /* n bytes: parent and tree, see par() */
    int32_t *orphans; /* ring buffer deque of n entries */
    int32_t orph_head, orph_count;
    int32_t q_first[2], q_last[2]; /* active lists: [0] being processed, [1] appended */
    uint32_t time;
    bool solved;     /* trees exist (valid except at marked nodes) */
    uint8_t *marked; /* n flags: terminal or arc changed since the last solve */
    double flow;
    double offset; /* constant added to the cut by db_maxflow_change_edge */
};

static inline int32_t node_index(const db_maxflow *g, int x, int y)
{
    return (int32_t)(y + 1) * g->stride + x;
}

int db_maxflow_create(db_ctx *ctx, int w, int h, db_maxflow **out)
{
    *out = NULL;
    if (w < 1 || h < 1)
        return db_fail(ctx, DB_EINVAL, "maxflow: grid %dx%d is empty", w, h);
    int64_t n = ((int64_t)h + 2) * ((int64_t)w + 1);
    if (n >= INT32_MAX)
        return db_fail(ctx, DB_ETOOBIG, "maxflow: grid %dx%d is too large", w, h);
    db_maxflow *g = db_calloc(ctx, 1, sizeof *g);
    if (!g)
        return DB_ENOMEM;
    g->w = w;
    g->h = h;
    g->stride = w + 1;
    g->n = (int32_t)n;
    g->off[0] = 1;
    g->off[1] = -1;
    g->off[2] = g->stride;
    g->off[3] = -g->stride;
    size_t bytes;
    if (!db_mul_size((size_t)n, sizeof(mf_node), &bytes))
        return db_fail(ctx, DB_ETOOBIG, "maxflow: grid %dx%d is too large", w, h);
    g->nodes = db_aligned_alloc(ctx, bytes);
    g->orphans = db_malloc(ctx, (size_t)n * sizeof(int32_t));
    g->marked = db_malloc(ctx, (size_t)n);
    g->state = db_malloc(ctx, (size_t)n);
    if (!g->nodes || !g->orphans || !g->marked || !g->state) {
        db_maxflow_free(g);
        return DB_ENOMEM;
    }
    db_maxflow_reset(g);
    *out = g;
    return 0;
}

void db_maxflow_free(db_maxflow *g)
{
    if (!g)
        return;
    db_aligned_free(g->nodes);
    db_free(g->orphans);
    db_free(g->marked);
    db_free(g->state);
    db_free(g);
}

void db_maxflow_reset(db_maxflow *g)
{
    memset(g->nodes, 0, (size_t)g->n * sizeof(mf_node));
    for (int32_t i = 0; i < g->n; i++)
        g->nodes[i].next = -1;
    memset(g->state, PARENT_NONE, (size_t)g->n);
    memset(g->marked, 0, (size_t)g->n);
    g->solved = false;
    g->flow = 0;
    g->offset = 0;
    g->time = 0;
    g->orph_head = g->orph_count = 0;
    g->q_first[0] = g->q_first[1] = g->q_last[0] = g->q_last[1] = -1;
}

void db_maxflow_add_tweights(db_maxflow *g, int x, int y, float cap_source, float cap_sink)
{
    mf_node *v = &g->nodes[node_index(g, x, y)];
    double cs = cap_source, ck = cap_sink, delta = v->tr;
    if (delta > 0)
        cs += delta;
    else
        ck -= delta;
    g->flow += cs < ck ? cs : ck;
    v->tr = (float)(cs - ck);
}

void db_maxflow_set_edge(db_maxflow *g, int x, int y, int dir, float cap, float rev_cap)
{
    int32_t i = node_index(g, x, y), j = i + g->off[dir];
    g->nodes[i].cap[dir] = cap;
    g->nodes[j].cap[dir ^ 1] = rev_cap;
}

/* ---- active lists and orphans ---- */

static inline void set_active(db_maxflow *g, int32_t i)
{
    mf_node *v = &g->nodes[i];
    if (v->next >= 0)
        return;
    if (g->q_last[1] >= 0)
        g->nodes[g->q_last[1]].next = i;
    else
        g->q_first[1] = i;
    g->q_last[1] = i;
    v->next = i;
}

/* Next active node that is still in a tree, or -1. */
static int32_t next_active(db_maxflow *g)
{
    for (;;) {
        int32_t i = g->q_first[0];
        if (i < 0) {
            g->q_first[0] = i = g->q_first[1];
            g->q_last[0] = g->q_last[1];
            g->q_first[1] = g->q_last[1] = -1;
            if (i < 0)
                return -1;
        }
        mf_node *v = &g->nodes[i];
        if (v->next == i)
            g->q_first[0] = g->q_last[0] = -1;
        else
            g->q_first[0] = v->next;
        v->next = -1;
        if (par(g->state, i) != PARENT_NONE)
            return i;
    }
}

static inline void orphan_front(db_maxflow *g, int32_t i)
{
    set_parent(g->state, i, PARENT_ORPHAN);
    g->orph_head = g->orph_head == 0 ? g->n - 1 : g->orph_head - 1;
    g->orphans[g->orph_head] = i;
    g->orph_count++;
}

static inline void orphan_rear(db_maxflow *g, int32_t i)
{
    set_parent(g->state, i, PARENT_ORPHAN);
    int32_t pos = g->orph_head + g->orph_count;
    if (pos >= g->n)
        pos -= g->n;
    g->orphans[pos] = i;
    g->orph_count++;
}

static inline bool in_source(const uint8_t *S, int32_t i)
{
    return par(S, i) != PARENT_NONE && !snk(S, i);
}
static inline bool in_sink(const uint8_t *S, int32_t i)
{
    return par(S, i) != PARENT_NONE && snk(S, i);
}

/* Raises arc pair i -> j (dir) and j -> i by delta. Residuals only grow, so
 * both trees stay valid; an arc that was saturated may let a tree grow across
 * the cut, so its tree end is woken (source tree: the tail, sink tree: the
 * head). Arcs inside one tree or already open change nothing. */
static inline __attribute__((always_inline)) void raise_arcs(db_maxflow *g, int32_t i, int dir,
                                                             float delta)
{
    int32_t j = i + g->off[dir];
    mf_node *a = &g->nodes[i], *b = &g->nodes[j];
    const uint8_t *S = g->state;
    if (g->solved) {
        if (a->cap[dir] == 0) {
            if (in_source(S, i) && !in_source(S, j))
                set_active(g, i);
            if (in_sink(S, j) && !in_sink(S, i))
                set_active(g, j);
        }
        if (b->cap[dir ^ 1] == 0) {
            if (in_source(S, j) && !in_source(S, i))
                set_active(g, j);
            if (in_sink(S, i) && !in_sink(S, j))
                set_active(g, i);
        }
    }
    a->cap[dir] += delta;
    b->cap[dir ^ 1] += delta;
}

void db_maxflow_add_edge(db_maxflow *g, int x, int y, int dir, float delta)
{
    raise_arcs(g, node_index(g, x, y), dir, delta);
}

void db_maxflow_add_edges(db_maxflow *g, const uint8_t *links, float delta)
{
    const int w = g->w, h = g->h;
    for (int y = 0; y < h; y++) {
        const uint8_t *l = links + (size_t)y * w;
        int32_t i = node_index(g, 0, y);
        for (int x = 0; x < w; x++, i++) {
            if (y + 1 < h && (l[x] & DB_MF_LINK_DOWN))
                raise_arcs(g, i, DB_MF_DOWN, delta);
            if (x + 1 < w && (l[x] & DB_MF_LINK_RIGHT))
                raise_arcs(g, i, DB_MF_RIGHT, delta);
        }
    }
}

void db_maxflow_change_edge(db_maxflow *g, int x, int y, int dir, float cap)
{
    int32_t i = node_index(g, x, y), j = i + g->off[dir];
    mf_node *a = &g->nodes[i], *b = &g->nodes[j];
    /* both arcs had one capacity c: residuals c - f and c + f give the flow f */
    float f = 0.5f * (b->cap[dir ^ 1] - a->cap[dir]);
    float e = f > cap ? f - cap : f < -cap ? f + cap : 0;
    if (e != 0) {
        /* Flow the edge can no longer carry: add |e| to both terminal links of
         * i and j (a constant 2|e| on every cut), then send i's excess to the
         * sink and feed j's deficit from the source. */
        mf_node *ex = e > 0 ? a : b, *de = e > 0 ? b : a; /* excess and deficit ends */
        double ae = e > 0 ? e : -e;
        /* the new source -> deficit path, plus what becomes a direct
         * source -> node -> sink path at an end holding both terminal links */
        g->flow += ae;
        if (ex->tr < 0)
            g->flow += ae < -ex->tr ? ae : -ex->tr;
        if (de->tr > 0)
            g->flow += ae < de->tr ? ae : de->tr;
        g->offset += 2 * ae;
        f -= e;
        a->tr += e;
        b->tr -= e;
    }
    a->cap[dir] = cap - f;
    b->cap[dir ^ 1] = cap + f;
    if (g->solved) {
        /* the next solve repairs the trees around both ends (reuse_trees) */
        g->marked[i] = g->marked[j] = 1;
        set_active(g, i);
        set_active(g, j);
    }
}

void db_maxflow_copy(const db_maxflow *src, db_maxflow *dst)
{
    assert(src->w == dst->w && src->h == dst->h);
    memcpy(dst->nodes, src->nodes, (size_t)src->n * sizeof(mf_node));
    memcpy(dst->state, src->state, (size_t)src->n);
    dst->orph_head = dst->orph_count = 0;
    memcpy(dst->q_first, src->q_first, sizeof dst->q_first);
    memcpy(dst->q_last, src->q_last, sizeof dst->q_last);
    dst->time = src->time;
    memcpy(dst->marked, src->marked, (size_t)src->n);
    dst->solved = src->solved;
    dst->flow = src->flow;
    dst->offset = src->offset;
}

void db_maxflow_sink_bits(const db_maxflow *g, int y, uint64_t *bits)
{
    const uint8_t *v = g->state + node_index(g, 0, y);
    for (int x0 = 0; x0 < g->w; x0 += 64) {
        int n = g->w - x0 < 64 ? g->w - x0 : 64;
        uint64_t word = 0;
        /* in the sink tree: a parent and bit 3 (a freed node keeps its bit 3) */
        for (int k = 0; k < n; k++)
            word |= (uint64_t)((v[x0 + k] & 7) != PARENT_NONE && (v[x0 + k] & 8)) << k;
        bits[x0 >> 6] = word;
    }
}

/* ---- augmentation ---- */

/* Pushes the bottleneck along source root -> ... -> s -> t -> ... -> sink
 * root, where s (source tree) reaches t (sink tree) by the arc s->dir. */
static void augment(db_maxflow *g, int32_t s, int dir)
{
    mf_node *N = g->nodes;
    uint8_t *S = g->state;
    const int32_t *off = g->off;
    int32_t t = s + off[dir];
    float b = N[s].cap[dir];
    int32_t i;
    for (i = s; par(S, i) != PARENT_TERMINAL;) {
        int pd = par(S, i);
        int32_t p = i + off[pd];
        if (b > N[p].cap[pd ^ 1])
            b = N[p].cap[pd ^ 1];
        i = p;
    }
    if (b > N[i].tr)
        b = N[i].tr;
    for (i = t; par(S, i) != PARENT_TERMINAL;) {
        int pd = par(S, i);
        if (b > N[i].cap[pd])
            b = N[i].cap[pd];
        i += off[pd];
    }
    if (b > -N[i].tr)
        b = -N[i].tr;

    N[s].cap[dir] -= b;
    N[t].cap[dir ^ 1] += b;
    for (i = s; par(S, i) != PARENT_TERMINAL;) {
        int pd = par(S, i);
        int32_t p = i + off[pd];
        N[i].cap[pd] += b;
        N[p].cap[pd ^ 1] -= b;
        if (N[p].cap[pd ^ 1] == 0)
            orphan_front(g, i);
        i = p;
    }
    N[i].tr -= b;
    if (N[i].tr == 0)
        orphan_front(g, i);
    for (i = t; par(S, i) != PARENT_TERMINAL;) {
        int pd = par(S, i);
        int32_t p = i + off[pd];
        N[p].cap[pd ^ 1] += b;
        N[i].cap[pd] -= b;
        if (N[i].cap[pd] == 0)
            orphan_front(g, i);
        i = p;
    }
    N[i].tr += b;
    if (N[i].tr == 0)
        orphan_front(g, i);
    g->flow += b;
}

/* ---- adoption ---- */

/* Distance from j to its terminal through valid parents, or INT_MAX when the
 * chain ends at an orphan. Marks the checked chain with this time stamp. */
static int origin_distance(db_maxflow *g, int32_t j)
{
    mf_node *N = g->nodes;
    uint8_t *S = g->state;
    int d = 0;
    int32_t k = j;
    for (;;) {
        if (N[k].ts == g->time) {
            d += N[k].dist;
            break;
        }
        int pd = par(S, k);
        d++;
        if (pd == PARENT_TERMINAL) {
            N[k].ts = g->time;
            N[k].dist = 1;
            break;
        }
        if (pd == PARENT_ORPHAN)
            return INT_MAX;
        k += g->off[pd];
    }
    int dd = d;
    for (k = j; N[k].ts != g->time; k += g->off[par(S, k)]) {
        N[k].ts = g->time;
        N[k].dist = (uint32_t)(dd > DIST_MAX ? DIST_MAX : dd);
        dd--;
    }
    return d;
}

/* An orphan of the tree `sink` (0 source, 1 sink) looks for a new parent:
 * a neighbour of the same tree with a residual arc towards it (source tree:
 * neighbour -> i; sink tree: i -> neighbour) whose chain reaches the terminal.
 * Without one it becomes free; its children become orphans and neighbours
 * that could regrow into it become active. */
static void process_orphan(db_maxflow *g, int32_t i, int sink)
{
    mf_node *N = g->nodes;
    uint8_t *S = g->state;
    const int32_t *off = g->off;
    int best = -1, d_min = INT_MAX;
    for (int d = 0; d < 4; d++) {
        int32_t j = i + off[d];
        float r = sink ? N[i].cap[d] : N[j].cap[d ^ 1];
        if (r > 0 && snk(S, j) == sink && par(S, j) != PARENT_NONE) {
            int dist = origin_distance(g, j);
            if (dist < d_min) {
                d_min = dist;
                best = d;
            }
        }
    }
    if (best >= 0) {
        set_parent(S, i, (uint8_t)best);
        N[i].ts = g->time;
        N[i].dist = (uint32_t)(d_min + 1 > DIST_MAX ? DIST_MAX : d_min + 1);
        return;
    }
    set_parent(S, i, PARENT_NONE);
    for (int d = 0; d < 4; d++) {
        int32_t j = i + off[d];
        int pd = par(S, j);
        if (snk(S, j) != sink || pd == PARENT_NONE)
            continue;
        float r = sink ? N[i].cap[d] : N[j].cap[d ^ 1];
        if (r > 0)
            set_active(g, j);
        if (pd < 4 && j + off[pd] == i)
            orphan_rear(g, j);
    }
}

static void adopt_orphans(db_maxflow *g)
{
    while (g->orph_count > 0) {
        int32_t i = g->orphans[g->orph_head];
        g->orph_head = g->orph_head + 1 == g->n ? 0 : g->orph_head + 1;
        g->orph_count--;
        process_orphan(g, i, snk(g->state, i));
    }
}

/* ---- main loop ---- */

static void init_trees(db_maxflow *g)
{
    mf_node *N = g->nodes;
    uint8_t *S = g->state;
    g->q_first[0] = g->q_first[1] = g->q_last[0] = g->q_last[1] = -1;
    g->orph_head = g->orph_count = 0;
    /* Paths source -> i -> j -> sink between neighbours are pushed at once: on
     * images most flow is local, and this leaves the trees far less to do. */
    for (int32_t i = 0; i < g->n; i++) {
        if (!(N[i].tr > 0))
            continue;
        for (int d = 0; d < 4 && N[i].tr > 0; d++) {
            int32_t j = i + g->off[d];
            if (N[j].tr < 0 && N[i].cap[d] > 0) {
                float b = N[i].tr;
                if (b > -N[j].tr)
                    b = -N[j].tr;
                if (b > N[i].cap[d])
                    b = N[i].cap[d];
                N[i].cap[d] -= b;
                N[j].cap[d ^ 1] += b;
                N[i].tr -= b;
                N[j].tr += b;
                g->flow += b;
            }
        }
    }
    for (int32_t i = 0; i < g->n; i++) {
        N[i].next = -1;
        N[i].ts = 0;
        if (N[i].tr > 0) {
            set_sink(S, i, 0);
            set_parent(S, i, PARENT_TERMINAL);
            N[i].dist = 1;
            set_active(g, i);
        } else if (N[i].tr < 0) {
            set_sink(S, i, 1);
            set_parent(S, i, PARENT_TERMINAL);
            N[i].dist = 1;
            set_active(g, i);
        } else {
            set_parent(S, i, PARENT_NONE);
        }
    }
    g->time = 0;
}

/* Before a later solve: every active node stays active; a marked one (its
 * terminal or an arc changed) becomes a root of the tree its terminal residual
 * points to (children from the other tree become orphans, neighbours of that
 * tree that can now reach it are woken), or an orphan when its terminal
 * residual is 0. Marking both ends of a changed arc covers every parent arc
 * that may have lost its residual (BK's maxflow_reuse_trees_init). */
static void reuse_trees(db_maxflow *g)
{
    mf_node *N = g->nodes;
    uint8_t *S = g->state;
    assert(g->q_first[0] < 0); /* a solve ends with list 0 empty */
    int32_t q = g->q_first[1];
    g->q_first[0] = g->q_last[0] = g->q_first[1] = g->q_last[1] = -1;
    g->orph_head = g->orph_count = 0;
    g->time++;
    while (q >= 0) {
        int32_t i = q;
        q = N[i].next == i ? -1 : N[i].next;
        N[i].next = -1;
        set_active(g, i);
        if (!g->marked[i])
            continue;
        g->marked[i] = 0;
        if (N[i].tr == 0) {
            if (par(S, i) != PARENT_NONE && par(S, i) != PARENT_ORPHAN)
                orphan_rear(g, i);
            continue;
        }
        int sink = N[i].tr < 0;
        if (par(S, i) == PARENT_NONE || snk(S, i) != sink) {
            for (int d = 0; d < 4; d++) {
                int32_t j = i + g->off[d];
                if (g->marked[j])
                    continue;
                if (par(S, j) == (d ^ 1))
                    orphan_rear(g, j);
                float r = sink ? N[j].cap[d ^ 1] : N[i].cap[d];
                if (par(S, j) != PARENT_NONE && snk(S, j) != sink && r > 0)
                    set_active(g, j);
            }
        }
        set_sink(S, i, (uint8_t)sink);
        set_parent(S, i, PARENT_TERMINAL);
        N[i].ts = g->time;
        N[i].dist = 1;
    }
    adopt_orphans(g);
}

/* Grows the tree of active node i by one layer. Returns the node s of the
 * source tree and sets *dir so that s -> dir reaches the sink tree, or -1. */
static int32_t grow(db_maxflow *g, int32_t i, int *dir)
{
    mf_node *N = g->nodes;
    uint8_t *S = g->state;
    const int32_t *off = g->off;
    int sink = snk(S, i);
    for (int d = 0; d < 4; d++) {
        int32_t j = i + off[d];
        /* residual towards the tree's growth: source i -> j, sink j -> i */
        if ((sink ? N[j].cap[d ^ 1] : N[i].cap[d]) <= 0)
            continue;
        if (par(S, j) == PARENT_NONE) {
            set_sink(S, j, (uint8_t)sink);
            set_parent(S, j, (uint8_t)(d ^ 1));
            N[j].ts = N[i].ts;
            N[j].dist = N[i].dist == DIST_MAX ? DIST_MAX : (uint32_t)(N[i].dist + 1);
            set_active(g, j);
        } else if (snk(S, j) != sink) {
            if (sink) {
                *dir = d ^ 1;
                return j;
            }
            *dir = d;
            return i;
        } else if (N[j].ts <= N[i].ts && N[j].dist > N[i].dist) {
            /* shorter path to the terminal through i */
            set_parent(S, j, (uint8_t)(d ^ 1));
            N[j].ts = N[i].ts;
            N[j].dist = (uint32_t)(N[i].dist + 1);
        }
    }
    return -1;
}

double db_maxflow_solve(db_maxflow *g)
{
    if (!g->solved)
        init_trees(g);
    else
        reuse_trees(g);
    g->solved = true;
    int32_t current = -1;
    for (;;) {
        int32_t i = current;
        if (i >= 0) {
            g->nodes[i].next = -1;
            if (par(g->state, i) == PARENT_NONE)
                i = -1;
        }
        if (i < 0 && (i = next_active(g)) < 0)
            break;
        int dir = 0;
        int32_t s = grow(g, i, &dir);
        g->time++;
        if (s >= 0) {
            /* keep i at the head: it may have more paths (BK's "current node") */
            g->nodes[i].next = i;
            current = i;
            augment(g, s, dir);
            adopt_orphans(g);
        } else {
            current = -1;
        }
    }
    return g->flow - g->offset;
}

bool db_maxflow_in_sink(const db_maxflow *g, int x, int y)
{
    return in_sink(g->state, node_index(g, x, y));
}
