/* skeleton.c - the raster tools behind the weight maps and MPM: 8-connected
 * labelling, thinning (Zhang-Suen 1984 + Lee-Chen 1992 Table 1, as the
 * official BinEvalWeights; and MATLAB's bwmorph 'thin', Lam-Lee-Suen 1992, for
 * the H-DIBCO 2010 skeleton pseudo-FM), chessboard and Euclidean distance
 * transforms. Used by weights.c, pfmeasure.c and mpm.c.
 */
#include "metrics_internal.h"

#include <math.h>
#include <string.h>

/* ---- labelling ---- */

static uint32_t uf_find(uint32_t *parent, uint32_t a)
{
    while (parent[a] != a) {
        parent[a] = parent[parent[a]];
        a = parent[a];
    }
    return a;
}

static void uf_union(uint32_t *parent, uint32_t a, uint32_t b)
{
    a = uf_find(parent, a);
    b = uf_find(parent, b);
    if (a < b)
        parent[b] = a;
    else if (b < a)
        parent[a] = b;
}

void db_ccset_free(db_ccset *s)
{
    if (!s)
        return;
    db_free(s->cc);
    db_free(s->labels);
    db_free(s->order);
    db_free(s->start);
    memset(s, 0, sizeof *s);
}

int db_cc_label(db_ctx *ctx, const uint8_t *m, uint8_t value, int w, int h, db_ccset *out)
{
    memset(out, 0, sizeof *out);
    size_t n = (size_t)w * (size_t)h;
    out->labels = db_calloc(ctx, n ? n : 1, sizeof *out->labels);
    /* provisional labels: at most one per pixel, index 0 unused */
    uint32_t *parent = db_malloc(ctx, (n + 1) * sizeof *parent);
    if (!out->labels || !parent) {
        db_free(parent);
        db_ccset_free(out);
        return DB_ENOMEM;
    }
    int32_t *lab = out->labels;
    uint32_t next = 1;
    parent[0] = 0;
    /* pass 1: provisional labels from the causal neighbours W, N, NW, NE */
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            if (m[i] != value)
                continue;
            uint32_t nb[4];
            int cnt = 0;
            if (x > 0 && lab[i - 1])
                nb[cnt++] = (uint32_t)lab[i - 1];
            if (y > 0) {
                if (lab[i - w])
                    nb[cnt++] = (uint32_t)lab[i - w];
                if (x > 0 && lab[i - w - 1])
                    nb[cnt++] = (uint32_t)lab[i - w - 1];
                if (x < w - 1 && lab[i - w + 1])
                    nb[cnt++] = (uint32_t)lab[i - w + 1];
            }
            if (!cnt) {
                parent[next] = next;
                lab[i] = (int32_t)next++;
                continue;
            }
            lab[i] = (int32_t)nb[0];
            for (int k = 1; k < cnt; k++)
                uf_union(parent, nb[0], nb[k]);
        }
    }
    /* pass 2: final ids in raster order of each component's first pixel */
    uint32_t *final = db_calloc(ctx, next, sizeof *final);
    if (!final) {
        db_free(parent);
        db_ccset_free(out);
        return DB_ENOMEM;
    }
    int ncc = 0;
    size_t nlab = 0;
    for (size_t i = 0; i < n; i++) {
        if (!lab[i])
            continue;
        uint32_t r = uf_find(parent, (uint32_t)lab[i]);
        if (!final[r])
            final[r] = (uint32_t)++ncc;
        lab[i] = (int32_t)final[r];
        nlab++;
    }
    db_free(parent);
    db_free(final);
    out->n = ncc;
    out->cc = db_calloc(ctx, (size_t)ncc + 1, sizeof *out->cc);
    out->start = db_calloc(ctx, (size_t)ncc + 2, sizeof *out->start);
    out->order = db_malloc(ctx, (nlab ? nlab : 1) * sizeof *out->order);
    if (!out->cc || !out->start || !out->order) {
        db_ccset_free(out);
        return DB_ENOMEM;
    }
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            int32_t L = lab[(size_t)y * w + x];
            if (!L)
                continue;
            db_cc *c = &out->cc[L - 1];
            if (!c->count) {
                c->seedx = c->x0 = c->x1 = x;
                c->seedy = c->y0 = c->y1 = y;
            }
            c->count++;
            if (x < c->x0)
                c->x0 = x;
            if (x > c->x1)
                c->x1 = x;
            c->y1 = y;
            out->start[L]++;
        }
    }
    for (int k = 1; k <= ncc; k++)
        out->start[k] += out->start[k - 1];
    /* counting sort: raster order inside each component is kept */
    uint32_t *pos = db_malloc(ctx, ((size_t)ncc + 1) * sizeof *pos);
    if (!pos) {
        db_ccset_free(out);
        return DB_ENOMEM;
    }
    memcpy(pos, out->start, ((size_t)ncc + 1) * sizeof *pos);
    for (size_t i = 0; i < n; i++)
        if (lab[i])
            out->order[pos[lab[i] - 1]++] = (uint32_t)i;
    db_free(pos);
    return 0;
}

/* ---- thinning ---- */

/* 8-neighbour code of (x, y) on the `bit` layer: bit 0 = N, 1 = NE, 2 = E,
 * 3 = SE, 4 = S, 5 = SW, 6 = W, 7 = NW; out-of-image neighbours read 0. */
static unsigned nb_code(const uint8_t *m, uint8_t bit, int w, int h, int x, int y)
{
    if (x > 0 && x < w - 1 && y > 0 && y < h - 1) {
        const uint8_t *d = m + (size_t)y * w + x;
        return (unsigned)((d[-w] & bit) ? 1 : 0) | (unsigned)((d[-w + 1] & bit) ? 2 : 0) |
               (unsigned)((d[1] & bit) ? 4 : 0) | (unsigned)((d[w + 1] & bit) ? 8 : 0) |
               (unsigned)((d[w] & bit) ? 16 : 0) | (unsigned)((d[w - 1] & bit) ? 32 : 0) |
               (unsigned)((d[-1] & bit) ? 64 : 0) | (unsigned)((d[-w - 1] & bit) ? 128 : 0);
    }
    static const int dx[8] = {0, 1, 1, 1, 0, -1, -1, -1};
    static const int dy[8] = {-1, -1, 0, 1, 1, 1, 0, -1};
    unsigned code = 0;
    for (int k = 0; k < 8; k++) {
        int xx = x + dx[k], yy = y + dy[k];
        if (xx >= 0 && xx < w && yy >= 0 && yy < h && (m[(size_t)yy * w + xx] & bit))
            code |= 1u << k;
    }
    return code;
}

/* Zhang-Suen deletion rule for sub-iteration 1 or 2 (P2 = N ... P9 = NW). */
static bool zhang_suen_deletes(unsigned a, int sub)
{
    int p[8];
    int b = 0;
    for (int k = 0; k < 8; k++)
        b += p[k] = (int)(a >> k) & 1;
    if (b < 2 || b > 6)
        return false;
    int trans = 0;
    for (int k = 0; k < 8; k++)
        trans += !p[k] && p[(k + 1) & 7];
    if (trans != 1)
        return false;
    /* p[0] = P2 (N), p[2] = P4 (E), p[4] = P6 (S), p[6] = P8 (W) */
    if (sub == 1)
        return !(p[0] && p[2] && p[4]) && !(p[2] && p[4] && p[6]);
    return !(p[0] && p[2] && p[6]) && !(p[0] && p[4] && p[6]);
}

/* Lam-Lee-Suen conditions of MATLAB's bwmorph 'thin'. x1 = E, x2 = NE,
 * x3 = N, x4 = NW, x5 = W, x6 = SW, x7 = S, x8 = SE. */
static bool lam_lee_suen_deletes(unsigned a, int sub)
{
    static const int map[8] = {2, 1, 0, 7, 6, 5, 4, 3}; /* x(k+1) -> our bit */
    int x[10];
    for (int k = 0; k < 8; k++)
        x[k + 1] = (int)(a >> map[k]) & 1;
    x[9] = x[1];
    int xh = 0, n1 = 0, n2 = 0;
    for (int i = 1; i <= 4; i++) {
        xh += !x[2 * i - 1] && (x[2 * i] || x[2 * i + 1]);
        n1 += x[2 * i - 1] || x[2 * i];
        n2 += x[2 * i] || x[2 * i + 1];
    }
    int mn = n1 < n2 ? n1 : n2;
    if (xh != 1 || mn < 2 || mn > 3)
        return false;
    if (sub == 1)
        return !((x[2] || x[3] || !x[8]) && x[1]);
    return !((x[6] || x[7] || !x[4]) && x[5]);
}

/* Lee-Chen 1992 Table 1 as BinEvalWeights uses it: the codes whose centre is
 * deleted (index = our neighbour code), as four 64-bit words. */
static const uint64_t lee_chen_delete[4] = {0x20f0000020d06020ull, 0x0a5aa0aa5b59a0aaull,
                                            0xa0a0000020a02020ull, 0x4850a0215b5b2020ull};

typedef struct u32vec {
    uint32_t *v;
    size_t n, cap;
} u32vec;

static int vec_push(db_ctx *ctx, u32vec *a, uint32_t x)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? 2 * a->cap : 1024;
        uint32_t *p = db_realloc(ctx, a->v, cap * sizeof *p);
        if (!p)
            return DB_ENOMEM;
        a->v = p;
        a->cap = cap;
    }
    a->v[a->n++] = x;
    return 0;
}

/* Parallel two-sub-iteration thinning to a fixed point. Only boundary pixels
 * can ever be deleted (an interior pixel has 8 set neighbours), and a pixel
 * that survived a rule keeps surviving it until a neighbour changes. So each
 * pixel carries two "test me" bits (one per sub-iteration rule), set on the
 * initial boundary and on the neighbours of every deletion, cleared when it
 * survives that rule; a sub-iteration tests only the listed pixels with its
 * bit. Deletions of a sub-iteration are applied together, so the result equals
 * the full-image parallel algorithm, in time linear in the deletions (the
 * background of a page needs hundreds of sub-iterations). */
static int thin_parallel(db_ctx *ctx, uint8_t *m, uint8_t bit, int w, int h,
                         const uint8_t del1[256], const uint8_t del2[256], uint16_t *when)
{
    uint16_t step = 0;
    size_t n = (size_t)w * h;
    uint8_t *pending = db_calloc(ctx, n ? n : 1, 1); /* bit 0: rule 1, bit 1: rule 2 */
    u32vec front = {0}, dead = {0}, next = {0};
    int rc = pending ? 0 : DB_ENOMEM;
    for (int y = 0; y < h && !rc; y++)
        for (int x = 0; x < w && !rc; x++) {
            size_t i = (size_t)y * w + x;
            if ((m[i] & bit) && nb_code(m, bit, w, h, x, y) != 0xFF) {
                pending[i] = 3;
                rc = vec_push(ctx, &front, (uint32_t)i);
            }
        }
    bool changed = true;
    while (changed && !rc) {
        changed = false;
        for (int sub = 1; sub <= 2 && !rc; sub++) {
            const uint8_t *del = sub == 1 ? del1 : del2;
            uint8_t rb = (uint8_t)sub;
            dead.n = 0;
            for (size_t k = 0; k < front.n && !rc; k++) {
                uint32_t i = front.v[k];
                if (!(m[i] & bit) || !(pending[i] & rb))
                    continue;
                int x = (int)(i % (uint32_t)w), y = (int)(i / (uint32_t)w);
                if (del[nb_code(m, bit, w, h, x, y)])
                    rc = vec_push(ctx, &dead, i);
                else
                    pending[i] &= (uint8_t)~rb;
            }
            /* steps count every sub-iteration: odd = first, even = second */
            if (step < UINT16_MAX - 1)
                step++;
            if (rc)
                break;
            changed |= dead.n > 0;
            for (size_t k = 0; k < dead.n; k++) {
                m[dead.v[k]] &= (uint8_t)~bit;
                pending[dead.v[k]] = 0;
                if (when)
                    when[dead.v[k]] = step;
            }
            next.n = 0;
            for (size_t k = 0; k < front.n && !rc; k++)
                if ((m[front.v[k]] & bit) && pending[front.v[k]])
                    rc = vec_push(ctx, &next, front.v[k]);
            for (size_t k = 0; k < dead.n && !rc; k++) {
                int x = (int)(dead.v[k] % (uint32_t)w), y = (int)(dead.v[k] / (uint32_t)w);
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++) {
                        int xx = x + dx, yy = y + dy;
                        if (xx < 0 || xx >= w || yy < 0 || yy >= h)
                            continue;
                        size_t j = (size_t)yy * w + xx;
                        if (!(m[j] & bit))
                            continue;
                        if (!pending[j] && !rc)
                            rc = vec_push(ctx, &next, (uint32_t)j);
                        pending[j] = 3;
                    }
            }
            u32vec t = front;
            front = next;
            next = t;
        }
    }
    db_free(pending);
    db_free(front.v);
    db_free(dead.v);
    db_free(next.v);
    return rc;
}

int db_thin_lee_chen(db_ctx *ctx, uint8_t *m, uint8_t bit, int w, int h, uint16_t *when)
{
    uint8_t del1[256], del2[256];
    for (unsigned a = 0; a < 256; a++) {
        del1[a] = zhang_suen_deletes(a, 1);
        del2[a] = zhang_suen_deletes(a, 2);
    }
    DB_TRY(thin_parallel(ctx, m, bit, w, h, del1, del2, when));
    /* Table 1 pass: sequential and in place (a later pixel sees earlier
     * deletions), in raster order, until nothing changes. Only set pixels
     * matter, so the passes walk the list of remaining skeleton pixels. */
    u32vec list = {0};
    size_t n = (size_t)w * h;
    for (size_t i = 0; i < n; i++)
        if ((m[i] & bit) && vec_push(ctx, &list, (uint32_t)i) < 0) {
            db_free(list.v);
            return DB_ENOMEM;
        }
    bool removed = true;
    while (removed) {
        removed = false;
        size_t keep = 0;
        for (size_t k = 0; k < list.n; k++) {
            uint32_t i = list.v[k];
            unsigned a = nb_code(m, bit, w, h, (int)(i % (uint32_t)w), (int)(i / (uint32_t)w));
            if ((lee_chen_delete[a >> 6] >> (a & 63)) & 1) {
                m[i] &= (uint8_t)~bit;
                removed = true;
            } else {
                list.v[keep++] = i;
            }
        }
        list.n = keep;
    }
    db_free(list.v);
    return 0;
}

int db_thin_matlab(db_ctx *ctx, uint8_t *m, int w, int h)
{
    uint8_t del1[256], del2[256];
    for (unsigned a = 0; a < 256; a++) {
        del1[a] = lam_lee_suen_deletes(a, 1);
        del2[a] = lam_lee_suen_deletes(a, 2);
    }
    return thin_parallel(ctx, m, 1, w, h, del1, del2, NULL);
}

/* ---- distance transforms ---- */

void db_chebyshev_dt(const uint8_t *m, uint8_t bit, int w, int h, uint16_t *dist)
{
    size_t n = (size_t)w * h;
    for (size_t i = 0; i < n; i++)
        dist[i] = (m[i] & bit) ? 0 : 0xFFFF;
#define RELAX(j)                                                                              \
    do {                                                                                      \
        uint16_t c_ = dist[j];                                                                \
        if (c_ != 0xFFFF && (uint32_t)c_ + 1 < dist[i])                                       \
            dist[i] = (uint16_t)(c_ + 1);                                                     \
    } while (0)
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            if (!dist[i])
                continue;
            if (y > 0) {
                RELAX(i - w);
                if (x > 0)
                    RELAX(i - w - 1);
                if (x < w - 1)
                    RELAX(i - w + 1);
            }
            if (x > 0)
                RELAX(i - 1);
        }
    for (int y = h - 1; y >= 0; y--)
        for (int x = w - 1; x >= 0; x--) {
            size_t i = (size_t)y * w + x;
            if (!dist[i])
                continue;
            if (y < h - 1) {
                RELAX(i + w);
                if (x < w - 1)
                    RELAX(i + w + 1);
                if (x > 0)
                    RELAX(i + w - 1);
            }
            if (x < w - 1)
                RELAX(i + 1);
        }
#undef RELAX
}

/* 1-D squared distance transform (Felzenszwalb-Huttenlocher lower envelope
 * of parabolas) of f (n samples, stride apart), in place; +inf = no sample. */
static void edt_1d(double *f, size_t stride, int n, double *d, double *z, int *v)
{
    int k = -1;
    for (int q = 0; q < n; q++) {
        double fq = f[(size_t)q * stride];
        if (fq == HUGE_VAL)
            continue;
        double s = -HUGE_VAL;
        while (k >= 0) {
            double fv = f[(size_t)v[k] * stride];
            s = ((fq + (double)q * q) - (fv + (double)v[k] * v[k])) / (2.0 * (q - v[k]));
            if (s <= z[k])
                k--;
            else
                break;
        }
        k++;
        v[k] = q;
        z[k] = k ? s : -HUGE_VAL;
        z[k + 1] = HUGE_VAL;
    }
    if (k < 0)
        return; /* a column without features stays +inf */
    k = 0;
    for (int q = 0; q < n; q++) {
        while (z[k + 1] < q)
            k++;
        double dq = (double)(q - v[k]);
        d[q] = dq * dq + f[(size_t)v[k] * stride];
    }
    for (int q = 0; q < n; q++)
        f[(size_t)q * stride] = d[q];
}

bool db_euclid_dt2(const uint8_t *m, int w, int h, double *dist2, double *scratch, int *iscratch)
{
    size_t n = (size_t)w * h;
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        dist2[i] = m[i] ? 0.0 : HUGE_VAL;
        any |= m[i] != 0;
    }
    if (!any)
        return false;
    int mx = w > h ? w : h;
    double *d = scratch, *z = scratch + mx + 1;
    for (int x = 0; x < w; x++)
        edt_1d(dist2 + x, (size_t)w, h, d, z, iscratch);
    for (int y = 0; y < h; y++)
        edt_1d(dist2 + (size_t)y * w, 1, w, d, z, iscratch);
    return true;
}
