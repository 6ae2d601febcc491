/* weights.c - generates the pseudo-F-measure weight maps of Ntirogiannis,
 * Gatos, Pratikakis, "Performance Evaluation Methodology for Historical
 * Document Image Binarization", IEEE TIP 22(2) 2013 (Eq. 2-3 recall weights
 * GW = D/NR, Eq. 10-11 precision weights PW - 1 = D/NP capped at 2) exactly as
 * the official BinEvalWeights tool writes them. The algorithm follows the CC0
 * re-implementation in the Doxa framework (PseudoWeights.hpp), which matches
 * the official files, including their quirks (kept and marked below).
 * Raster tools are in skeleton.c; loading official files in weights_load.c.
 */
#include "metrics_internal.h"

#include <math.h>
#include <string.h>

enum { INK = 0x01, CONTOUR = 0x02, SKEL = 0x04 };
/* Background beyond every component's stroke reach (PW = 1 there); no real
 * distance reaches it, so it also marks "no distance". */
enum { OUTSIDE = 250 };
#define UNREACHED 0xFFFFu

static inline bool has_dist(uint8_t d)
{
    return d != 0 && d < OUTSIDE;
}

/* ---- rings ----
 * The reference scans square rings R = 0, 1, 2, ... around a pixel, clamped
 * to the pixel's component bounding box, and stops at the first ring holding
 * a feature, then uses EVERY feature on it. The perimeter at R holds every
 * in-box cell at chessboard distance R (plus clamped cells nearer, which are
 * no features), so a search may start at any lower bound of the distance to
 * the nearest feature (the global distance transform) with the same result. */
typedef struct ring {
    int xlo, xhi, ylo, yhi;
    bool full; /* the ring covers the whole box: no larger ring is needed */
} ring;

static ring ring_at(const db_cc *c, int ax, int ay, int R)
{
    ring r = {ax - R < c->x0 ? c->x0 : ax - R, ax + R > c->x1 ? c->x1 : ax + R,
              ay - R < c->y0 ? c->y0 : ay - R, ay + R > c->y1 ? c->y1 : ay + R, false};
    r.full = r.xlo == c->x0 && r.xhi == c->x1 && r.ylo == c->y0 && r.yhi == c->y1;
    return r;
}

/* Column step on row y: every cell on the first and last rows, only the two
 * end columns between them. Visits each perimeter cell once, in raster
 * order; every user below is order-independent (max, label set, and factor
 * writes that each cell gets once per centre), so the result is the same
 * as listing the perimeter cells first. */
static inline int ring_step(const ring *r, int y)
{
    return (y == r->ylo || y == r->yhi || r->xhi == r->xlo) ? 1 : r->xhi - r->xlo;
}

static bool ring_has(const ring *r, const uint8_t *m, uint8_t bit, int w)
{
    for (int y = r->ylo; y <= r->yhi; y++) {
        const uint8_t *row = m + (size_t)y * w;
        for (int x = r->xlo, st = ring_step(r, y); x <= r->xhi; x += st)
            if (row[x] & bit)
                return true;
    }
    return false;
}

/* First ring from R0 on with a cell where (m & bit), in *out, its radius in
 * *R. false when the whole box has none. */
static bool ring_find(const db_cc *c, int ax, int ay, int R0, const uint8_t *m, uint8_t bit, int w,
                      ring *out, int *R)
{
    for (*R = R0;; (*R)++) {
        *out = ring_at(c, ax, ay, *R);
        if (ring_has(out, m, bit, w))
            return true;
        if (out->full)
            return false;
    }
}

/* ---- shared steps (run on the text and on the background) ---- */

/* Gives every component that thinning erased completely one skeleton pixel
 * back: the last pixel, in raster order, of those deleted by the final
 * Zhang-Suen sub-iteration that touched it (when[] holds each pixel's
 * deletion step). This reproduces the official files on blobs that thin to
 * nothing (e.g. a dot ending as a 2x2 block keeps its bottom-right pixel),
 * where a centroid seed does not. A component never thinned (when = 0, e.g.
 * background on the image frame only) gets its rounded centroid when that
 * pixel belongs to it, else its raster-first pixel. */
static void ensure_seeds(uint8_t *m, const db_ccset *s, int w, const uint16_t *when)
{
    for (int k = 0; k < s->n; k++) {
        const uint32_t *px = s->order + s->start[k];
        size_t cnt = s->start[k + 1] - s->start[k];
        bool has = false;
        for (size_t q = 0; q < cnt && !has; q++)
            has = (m[px[q]] & SKEL) != 0;
        if (has)
            continue;
        uint16_t last = 0;
        size_t at = 0;
        for (size_t q = 0; q < cnt; q++)
            if (when[px[q]] >= last && when[px[q]]) {
                last = when[px[q]];
                at = px[q];
            }
        if (last) {
            m[at] |= SKEL;
            continue;
        }
        long long sx = 0, sy = 0;
        for (size_t q = 0; q < cnt; q++) {
            sx += px[q] % (uint32_t)w;
            sy += px[q] / (uint32_t)w;
        }
        long long cx = llround((double)sx / (double)cnt), cy = llround((double)sy / (double)cnt);
        size_t ci = (size_t)cy * w + (size_t)cx;
        if (s->labels[ci] == k + 1)
            m[ci] |= SKEL;
        else
            m[(size_t)s->cc[k].seedy * w + s->cc[k].seedx] |= SKEL;
    }
}

/* The medial-ridge value: a skeleton pixel whose D equals its four
 * (border-clamped) 4-neighbours' gets D + 1. In place, in component order. */
static void ridge_adjust(uint8_t *D, const uint8_t *m, const db_ccset *s, int w, int h)
{
    size_t n = s->start[s->n];
    for (size_t q = 0; q < n; q++) {
        uint32_t i = s->order[q];
        uint8_t c = D[i];
        if (!has_dist(c) || !(m[i] & SKEL))
            continue;
        int x = (int)(i % (uint32_t)w), y = (int)(i / (uint32_t)w);
        uint32_t up = y > 0 ? i - (uint32_t)w : i, dn = y < h - 1 ? i + (uint32_t)w : i;
        uint32_t lf = x > 0 ? i - 1 : i, rt = x < w - 1 ? i + 1 : i;
        if (D[up] == c && D[dn] == c && D[lf] == c && D[rt] == c)
            D[i] = (uint8_t)(c + 1);
    }
}

/* A skeleton end point (exactly one skeleton pixel among its 8 clamped
 * neighbours) returns that neighbour's factor, else -1. Reference quirk: the
 * bottom-right neighbour's factor is read at column B (0 or 1) of the row
 * below, not at col + B; the official files depend on it. */
static int end_point_factor(const uint8_t *factor, const uint8_t *m, int col, int row, int w, int h)
{
    int A = col - 1 >= 0 ? -1 : 0, B = col + 1 <= w - 1 ? 1 : 0;
    int C = row - 1 >= 0 ? -1 : 0, Dd = row + 1 <= h - 1 ? 1 : 0;
    const int chk[8][3] = {
        {row + C, col, (row + C) * w + col},          {row + Dd, col, (row + Dd) * w + col},
        {row, col + A, row * w + col + A},            {row, col + B, row * w + col + B},
        {row + C, col + A, (row + C) * w + col + A},  {row + Dd, col + B, (row + Dd) * w + B},
        {row + Dd, col + A, (row + Dd) * w + col + A}, {row + C, col + B, (row + C) * w + col + B},
    };
    int count = 0, last = -1;
    for (int k = 0; k < 8; k++)
        if (m[(size_t)chk[k][0] * w + chk[k][1]] & SKEL) {
            count++;
            last = factor[chk[k][2]];
        }
    return count == 1 ? last : -1;
}

/* NR propagation test: all four clamped 4-neighbours have NR set and the
 * centre differs from every one of them. */
static bool propagates(const uint16_t *NR, int col, int row, int w, int h)
{
    size_t i = (size_t)row * w + col;
    int up = NR[row > 0 ? i - w : i], dn = NR[row < h - 1 ? i + w : i];
    int lf = NR[col > 0 ? i - 1 : i], rt = NR[col < w - 1 ? i + 1 : i];
    if (!up || !dn || !lf || !rt)
        return false;
    int c = NR[i];
    return c != up && c != dn && c != lf && c != rt;
}

typedef struct medial_scratch {
    uint16_t *sdist; /* chessboard distance to the skeleton */
    uint16_t *ring;  /* first-ring radius per pixel */
} medial_scratch;

/* Normalisation type I (Eq. 3): from D and the skeleton (SKEL bit of m),
 * the per-skeleton medial factor and NR = max D*factor over the skeleton
 * pixels on each pixel's first ring, then propagated along the stroke. */
static void medial_normalization(const uint8_t *D, const uint8_t *m, const db_ccset *s, int w,
                                 int h, uint8_t *factor, uint16_t *NR, medial_scratch *sc)
{
    size_t n = (size_t)w * h, np = s->start[s->n];
    db_chebyshev_dt(m, SKEL, w, h, sc->sdist);
    for (size_t i = 0; i < n; i++) {
        factor[i] = (m[i] & SKEL) ? 1 : 0;
        NR[i] = 0;
    }
    /* cross-section: each pixel writes the skeleton pixels on its first ring;
     * the component -> row -> column order decides the last writer */
    for (int k = 0; k < s->n; k++) {
        const db_cc *c = &s->cc[k];
        for (size_t q = s->start[k]; q < s->start[k + 1]; q++) {
            uint32_t i = s->order[q];
            if (!has_dist(D[i]))
                continue;
            uint8_t reach = ((m[i] & SKEL) && !(m[i] & CONTOUR)) ? 1 : (uint8_t)sc->sdist[i];
            int R0 = sc->sdist[i] == UNREACHED ? 0 : sc->sdist[i], R;
            ring r;
            if (!ring_find(c, (int)(i % (uint32_t)w), (int)(i / (uint32_t)w), R0, m, SKEL, w, &r,
                           &R)) {
                sc->ring[i] = UNREACHED;
                continue;
            }
            sc->ring[i] = (uint16_t)R;
            for (int y = r.ylo; y <= r.yhi; y++)
                for (int x = r.xlo, st = ring_step(&r, y); x <= r.xhi; x += st) {
                    size_t j = (size_t)y * w + x;
                    if (m[j] & SKEL)
                        factor[j] = (uint8_t)(reach >= D[j] ? D[j] + 1 : D[j]);
                }
        }
    }
    /* end points inherit their neighbour's factor + 1 */
    for (size_t q = 0; q < np; q++) {
        uint32_t i = s->order[q];
        if (!(m[i] & SKEL))
            continue;
        int v = end_point_factor(factor, m, (int)(i % (uint32_t)w), (int)(i / (uint32_t)w), w, h);
        if (v > 0)
            factor[i] = (uint8_t)(v + 1);
    }
    /* NR: the max of D * factor over the same rings */
    for (int k = 0; k < s->n; k++) {
        const db_cc *c = &s->cc[k];
        for (size_t q = s->start[k]; q < s->start[k + 1]; q++) {
            uint32_t i = s->order[q];
            if (!has_dist(D[i]) || sc->ring[i] == UNREACHED)
                continue;
            ring r = ring_at(c, (int)(i % (uint32_t)w), (int)(i / (uint32_t)w), sc->ring[i]);
            int best = -1;
            for (int y = r.ylo; y <= r.yhi; y++)
                for (int x = r.xlo, st = ring_step(&r, y); x <= r.xhi; x += st) {
                    size_t j = (size_t)y * w + x;
                    if ((m[j] & SKEL) && D[j] * factor[j] > best)
                        best = D[j] * factor[j];
                }
            NR[i] = (uint16_t)best;
        }
    }
    /* propagation along the stroke (in place, reads the updated left pixel) */
    for (size_t q = 0; q < np; q++) {
        uint32_t i = s->order[q];
        if (has_dist(D[i]) && propagates(NR, (int)(i % (uint32_t)w), (int)(i / (uint32_t)w), w, h))
            NR[i] = NR[i - 1];
    }
}

static float round6(double v)
{
    return (float)(nearbyint(v * 1e6) / 1e6); /* the "%f" the official files hold */
}

/* ---- the generator ---- */

typedef struct gen {
    int w, h;
    size_t n;
    uint8_t *ov;       /* INK | CONTOUR | SKEL of the ground truth */
    uint16_t *cdist;   /* chessboard distance to the contour */
    uint8_t *D;        /* distance map (text, then background) */
    uint8_t *factor;   /* medial factor */
    uint16_t *NR;      /* NR, then NP */
    uint8_t *bg;       /* background skeleton layer */
    uint8_t *region;   /* Gsw_bg region, then NP final */
    uint8_t *swmap;    /* stroke width along the contour */
    uint32_t *integral; /* (w+1)*(h+1) counts of merge marks */
    medial_scratch sc;
    db_ccset fg, bgcc;
} gen;

static void gen_free(gen *g)
{
    db_free(g->ov);
    db_free(g->cdist);
    db_free(g->D);
    db_free(g->factor);
    db_free(g->NR);
    db_free(g->bg);
    db_free(g->region);
    db_free(g->swmap);
    db_free(g->integral);
    db_free(g->sc.sdist);
    db_free(g->sc.ring);
    db_ccset_free(&g->fg);
    db_ccset_free(&g->bgcc);
}

static int gen_alloc(db_ctx *ctx, gen *g)
{
    size_t n = g->n, w1h1 = ((size_t)g->w + 1) * ((size_t)g->h + 1);
    g->ov = db_calloc(ctx, n, 1);
    g->cdist = db_malloc(ctx, n * sizeof *g->cdist);
    g->D = db_calloc(ctx, n, 1);
    g->factor = db_malloc(ctx, n);
    g->NR = db_malloc(ctx, n * sizeof *g->NR);
    g->bg = db_calloc(ctx, n, 1);
    g->region = db_calloc(ctx, n, 1);
    g->swmap = db_calloc(ctx, n, 1);
    g->integral = db_calloc(ctx, w1h1, sizeof *g->integral);
    g->sc.sdist = db_malloc(ctx, n * sizeof *g->sc.sdist);
    g->sc.ring = db_malloc(ctx, n * sizeof *g->sc.ring);
    if (!g->ov || !g->cdist || !g->D || !g->factor || !g->NR || !g->bg || !g->region ||
        !g->swmap || !g->integral || !g->sc.sdist || !g->sc.ring)
        return DB_ENOMEM;
    return 0;
}

/* Pseudo-recall weights GW = D / NR (Eq. 2). */
static int gen_recall(db_ctx *ctx, gen *g, const db_mask *gt, float *gw)
{
    int w = g->w, h = g->h;
    DB_TRY(db_cc_label(ctx, gt->m, 1, w, h, &g->fg));
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            if (!gt->m[i])
                continue;
            g->ov[i] = INK | SKEL;
            /* contour: a 4-neighbour outside the text (the frame counts as outside) */
            if (y == 0 || !gt->m[i - w] || y == h - 1 || !gt->m[i + w] || x == 0 ||
                !gt->m[i - 1] || x == w - 1 || !gt->m[i + 1])
                g->ov[i] |= CONTOUR;
        }
    memset(g->sc.ring, 0, g->n * sizeof *g->sc.ring);
    DB_TRY(db_thin_lee_chen(ctx, g->ov, SKEL, w, h, g->sc.ring));
    ensure_seeds(g->ov, &g->fg, w, g->sc.ring);
    db_chebyshev_dt(g->ov, CONTOUR, w, h, g->cdist);
    /* D: the contour distance; 1 on skeleton pixels of the contour (0 on the
     * rest of the contour); stored in a byte like the reference */
    for (size_t i = 0; i < g->n; i++)
        if (g->ov[i] & INK)
            g->D[i] = ((g->ov[i] & CONTOUR) && (g->ov[i] & SKEL)) ? 1 : (uint8_t)g->cdist[i];
    ridge_adjust(g->D, g->ov, &g->fg, w, h);
    medial_normalization(g->D, g->ov, &g->fg, w, h, g->factor, g->NR, &g->sc);
    /* Gsw_fg: 2 * floor(mean factor over the component's skeleton) */
    for (int k = 0; k < g->fg.n; k++) {
        long long sum = 0, cnt = 0;
        for (size_t q = g->fg.start[k]; q < g->fg.start[k + 1]; q++) {
            uint32_t i = g->fg.order[q];
            if (g->ov[i] & SKEL) {
                sum += g->factor[i];
                cnt++;
            }
        }
        g->fg.cc[k].stroke = cnt ? (int)(sum / cnt) * 2 : 0;
    }
    for (size_t i = 0; i < g->n; i++)
        gw[i] = (g->D[i] && g->NR[i]) ? round6((double)g->D[i] / g->NR[i]) : 0.0f;
    return 0;
}

/* Stroke-reach ring of a background pixel over the text contour: the max
 * stroke width there (*reach) and whether two text components meet. */
static bool merge_ring(gen *g, const db_cc *c, uint32_t i, int *reach, bool *adjacent)
{
    int w = g->w, R;
    int R0 = g->cdist[i] == UNREACHED ? 0 : g->cdist[i];
    ring r;
    if (!ring_find(c, (int)(i % (uint32_t)w), (int)(i / (uint32_t)w), R0, g->ov, CONTOUR, w, &r,
                   &R))
        return false;
    int best = -1, first = -1;
    *adjacent = false;
    for (int y = r.ylo; y <= r.yhi; y++)
        for (int x = r.xlo, st = ring_step(&r, y); x <= r.xhi; x += st) {
            size_t j = (size_t)y * w + x;
            if (!(g->ov[j] & CONTOUR))
                continue;
            if (g->swmap[j] > best)
                best = g->swmap[j];
            int L = g->fg.labels[j];
            if (first < 0)
                first = L;
            else if (L != first)
                *adjacent = true;
        }
    *reach = best;
    return true;
}

/* Pseudo-precision weights PW - 1 = D / NP, NP = min(Gc_sw, Gsw_bg), capped at 2 (Eq. 10-11). */
static int gen_precision(db_ctx *ctx, gen *g, float *pw)
{
    int w = g->w, h = g->h;
    size_t n = g->n;
    /* stroke width along each component's contour, and the Gsw_bg region: each
     * component's box grown by 2 * its stroke width (2-D difference array) */
    int32_t *diff = (int32_t *)(void *)g->integral; /* (w+1)*(h+1) */
    for (size_t i = 0; i < n; i++)
        if (g->ov[i] & CONTOUR)
            g->swmap[i] = (uint8_t)(g->fg.cc[g->fg.labels[i] - 1].stroke & 0xFF);
    for (int k = 0; k < g->fg.n; k++) {
        const db_cc *c = &g->fg.cc[k];
        int mg = 2 * c->stroke;
        int x0 = c->x0 - mg < 0 ? 0 : c->x0 - mg, x1 = c->x1 + mg > w - 1 ? w - 1 : c->x1 + mg;
        int y0 = c->y0 - mg < 0 ? 0 : c->y0 - mg, y1 = c->y1 + mg > h - 1 ? h - 1 : c->y1 + mg;
        size_t W1 = (size_t)w + 1;
        diff[(size_t)y0 * W1 + x0]++;
        diff[(size_t)y0 * W1 + x1 + 1]--;
        diff[(size_t)(y1 + 1) * W1 + x0]--;
        diff[(size_t)(y1 + 1) * W1 + x1 + 1]++;
    }
    for (int y = 0; y <= h; y++)
        for (int x = 0; x <= w; x++) {
            size_t W1 = (size_t)w + 1, i = (size_t)y * W1 + x;
            if (x > 0)
                diff[i] += diff[i - 1];
            if (y > 0)
                diff[i] += diff[i - W1];
            if (x > 0 && y > 0)
                diff[i] -= diff[i - W1 - 1];
            if (x < w && y < h && diff[i] > 0 && !(g->ov[(size_t)y * w + x] & INK))
                g->region[(size_t)y * w + x] = 1;
        }
    /* background components and skeleton (the frame is never skeleton seed) */
    DB_TRY(db_cc_label(ctx, g->ov, 0, w, h, &g->bgcc));
    for (int y = 1; y < h - 1; y++)
        for (int x = 1; x < w - 1; x++)
            if (!g->ov[(size_t)y * w + x])
                g->bg[(size_t)y * w + x] = SKEL;
    memset(g->sc.ring, 0, n * sizeof *g->sc.ring);
    DB_TRY(db_thin_lee_chen(ctx, g->bg, SKEL, w, h, g->sc.ring));
    ensure_seeds(g->bg, &g->bgcc, w, g->sc.ring);
    /* background D: the distance to the same contour inside the region */
    for (size_t i = 0; i < n; i++)
        g->D[i] = (g->ov[i] & INK) ? 0 : g->region[i] ? (uint8_t)g->cdist[i] : OUTSIDE;
    ridge_adjust(g->D, g->bg, &g->bgcc, w, h);
    medial_normalization(g->D, g->bg, &g->bgcc, w, h, g->factor, g->NR, &g->sc);
    size_t nb = g->bgcc.start[g->bgcc.n];
    for (size_t q = 0; q < nb; q++) {
        uint32_t i = g->bgcc.order[q];
        /* NR accumulates an area; NP is a width: back to a radius */
        if (has_dist(g->D[i]))
            g->NR[i] = (uint16_t)floor(sqrt((double)g->NR[i]) + 0.5);
    }
    /* pass 1: mark where the ring meets two text components (merge risk);
     * the reach of each ring is kept for pass 2 (sc.ring reused) */
    uint8_t *mark = g->factor, *npf = g->region;
    uint16_t *reach_of = g->sc.ring;
    memset(mark, 0, n);
    for (int k = 0; k < g->bgcc.n; k++) {
        const db_cc *c = &g->bgcc.cc[k];
        for (size_t q = g->bgcc.start[k]; q < g->bgcc.start[k + 1]; q++) {
            uint32_t i = g->bgcc.order[q];
            if (!has_dist(g->D[i]))
                continue;
            int reach;
            bool adjacent;
            if (!merge_ring(g, c, i, &reach, &adjacent)) {
                reach_of[i] = UNREACHED;
                continue;
            }
            reach_of[i] = (uint16_t)reach;
            if (g->D[i] <= reach && adjacent)
                mark[i] = (uint8_t)(g->NR[i] & 0xFF);
        }
    }
    /* pass 2: NP = the merge gap where a mark lies within (reach - D), else
     * the reach; a summed-area table answers "any mark within" in O(1) */
    size_t W1 = (size_t)w + 1;
    uint32_t *I = g->integral;
    memset(I, 0, W1 * ((size_t)h + 1) * sizeof *I);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            I[(size_t)(y + 1) * W1 + x + 1] = I[(size_t)y * W1 + x + 1] + I[(size_t)(y + 1) * W1 + x] -
                                              I[(size_t)y * W1 + x] + (mark[(size_t)y * w + x] != 0);
    memset(npf, 0, n);
    for (size_t q = 0; q < nb; q++) {
        uint32_t i = g->bgcc.order[q];
        if (!has_dist(g->D[i]) || reach_of[i] == UNREACHED)
            continue;
        int reach = reach_of[i], dp = g->D[i], np = g->NR[i];
        if (dp > reach)
            continue;
        int r = reach - dp;
        bool merging = false;
        if (r > 0) {
            int x = (int)(i % (uint32_t)w), y = (int)(i / (uint32_t)w);
            int xlo = x - r < 0 ? 0 : x - r, xhi = x + r > w - 1 ? w - 1 : x + r;
            int ylo = y - r < 0 ? 0 : y - r, yhi = y + r > h - 1 ? h - 1 : y + r;
            uint32_t s = I[(size_t)(yhi + 1) * W1 + xhi + 1] - I[(size_t)ylo * W1 + xhi + 1] -
                         I[(size_t)(yhi + 1) * W1 + xlo] + I[(size_t)ylo * W1 + xlo];
            merging = s != 0;
        }
        npf[i] = (uint8_t)(((merging && np < reach) ? np : reach) & 0xFF);
    }
    for (size_t i = 0; i < n; i++) {
        if (!npf[i]) {
            pw[i] = 0.0f;
            continue;
        }
        double v = (double)g->D[i] / npf[i];
        pw[i] = round6(v > 2.0 ? 2.0 : v);
    }
    return 0;
}

static int weights_ensure(db_ctx *ctx, int w, int h, db_weights *out)
{
    size_t n = (size_t)w * h;
    if (!out->recall || !out->precision || (size_t)out->width * out->height < n) {
        float *r = db_malloc(ctx, n * sizeof *r), *p = db_malloc(ctx, n * sizeof *p);
        if (!r || !p) {
            db_free(r);
            db_free(p);
            return DB_ENOMEM;
        }
        db_weights_free(out);
        out->recall = r;
        out->precision = p;
    }
    out->width = w;
    out->height = h;
    return 0;
}

int db_weights_generate(db_ctx *ctx, const db_image *gt, db_weights *out)
{
    if (!gt || !out)
        return db_fail(ctx, DB_EINVAL, "weights: missing ground truth or output");
    DB_TRY(db_check_dimensions(ctx, "weights", gt->width, gt->height));
    /* pixel indices are 32-bit and ring radii 16-bit */
    if ((uint64_t)gt->width * gt->height > UINT32_MAX - 1 || gt->width > 65535 ||
        gt->height > 65535)
        return db_fail(ctx, DB_ETOOBIG, "weights: %dx%d is too large (sides up to 65535)",
                       gt->width, gt->height);
    db_mask mask = {0};
    DB_TRY(db_mask_from_image(ctx, gt, true, "weights", &mask));
    gen g = {.w = gt->width, .h = gt->height, .n = (size_t)gt->width * gt->height};
    int rc = weights_ensure(ctx, g.w, g.h, out);
    if (!rc)
        rc = gen_alloc(ctx, &g);
    if (!rc)
        rc = gen_recall(ctx, &g, &mask, out->recall);
    if (!rc)
        rc = gen_precision(ctx, &g, out->precision);
    gen_free(&g);
    db_free(mask.m);
    if (rc == DB_ENOMEM)
        return db_fail(ctx, rc, "weights: out of memory for %dx%d", gt->width, gt->height);
    return rc;
}
