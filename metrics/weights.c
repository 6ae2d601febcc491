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
 * the nearest feature (the global distance transform) with the same result.
 *
 * A perimeter is two row segments and two column segments. The fast path
 * reads them from bit planes (one bit per cell, by rows and by columns), so
 * a ring costs a few 64-bit words instead of 8R byte reads; the reference
 * path reads the byte layer cell by cell. Both list the same cells (in a
 * different order: every user below is order-independent, max, label set and
 * factor writes that each cell gets once per centre). */
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

/* The feature layer the rings search: cells where (m & bit); with bits set,
 * also as bit planes (rows: bit x of row y at rows[y * rw + x / 64]; cols:
 * bit y of column x at cols[(y / 64) * w + x], so the columns of
 * neighbouring pixels share cache lines). */
typedef struct layer {
    const uint8_t *m;
    uint8_t bit;
    int w, h;
    bool bits;
    size_t rw, cw;
    uint64_t *rows, *cols;
} layer;

/* A run of features along one side of a ring: cells at, at + step, ...,
 * len cells in all (step 1 along a row, w down a column). The bit-plane
 * path lists maximal runs, so users work on contiguous ranges: a ring that
 * runs along a skeleton line (2R + 1 cells) costs one entry, and the
 * factor and NR loops over it vectorise; users that need only what is
 * constant along a run of neighbouring features (a text component and its
 * stroke width along the contour) read only the first cell. The reference
 * path lists every cell as a run of one. */
typedef struct ring_run {
    uint32_t at, len, step;
} ring_run;

/* Fills the bit planes of L from its byte layer (planes sized by the caller). */
static void layer_pack(layer *L)
{
    int w = L->w, h = L->h;
    memset(L->rows, 0, (size_t)h * L->rw * sizeof *L->rows);
    memset(L->cols, 0, (size_t)w * L->cw * sizeof *L->cols);
    for (int y = 0; y < h; y++) {
        const uint8_t *row = L->m + (size_t)y * w;
        uint64_t *rb = L->rows + (size_t)y * L->rw;
        uint64_t *cb = L->cols + (size_t)(y >> 6) * w;
        int sh = y & 63;
        uint8_t bit = L->bit;
        for (int x = 0; x < w; x++) /* branch-free: vectorises */
            cb[x] |= (uint64_t)((row[x] & bit) != 0) << sh;
        for (int x0 = 0; x0 < w; x0 += 64)
            rb[x0 >> 6] = db_pack_bits64(row + x0, w - x0 < 64 ? w - x0 : 64, bit);
    }
}

/* Appends the maximal runs of set bits k in [lo, hi] of line, as cells
 * base + k * step. Most segments lie in one word, and most words hold no
 * feature. */
static inline size_t bits_runs(const uint64_t *line, size_t stride, int lo, int hi,
                               uint32_t base, uint32_t step, ring_run *out)
{
    size_t cnt = 0;
    int wlo = lo >> 6, whi = hi >> 6, end = -1; /* bit after the last run */
    for (int wd = wlo; wd <= whi; wd++) {
        uint64_t v = line[(size_t)wd * stride];
        if (wd == wlo)
            v &= ~0ull << (lo & 63);
        if (wd == whi)
            v &= ~0ull >> (63 - (hi & 63));
        while (v) {
            int s = __builtin_ctzll(v);
            uint64_t rest = ~(v >> s);
            int len = rest ? __builtin_ctzll(rest) : 64 - s;
            int k = wd * 64 + s;
            if (k == end) /* continues the run of the previous word */
                out[cnt - 1].len += (uint32_t)len;
            else
                out[cnt++] = (ring_run){base + (uint32_t)k * step, (uint32_t)len, step};
            end = k + len;
            v = s + len >= 64 ? 0 : v & (~0ull << (s + len));
        }
    }
    return cnt;
}

/* Lists the feature runs on the perimeter of r into out (room for
 * 2 * (w + h) runs); returns their number. */
static size_t ring_list(const layer *L, const ring *r, ring_run *out)
{
    int w = L->w;
    size_t cnt = 0;
    if (L->bits) {
        uint32_t uw = (uint32_t)w;
        cnt += bits_runs(L->rows + (size_t)r->ylo * L->rw, 1, r->xlo, r->xhi,
                         (uint32_t)r->ylo * uw, 1, out);
        if (r->yhi != r->ylo)
            cnt += bits_runs(L->rows + (size_t)r->yhi * L->rw, 1, r->xlo, r->xhi,
                             (uint32_t)r->yhi * uw, 1, out + cnt);
        if (r->yhi - r->ylo >= 2) {
            cnt += bits_runs(L->cols + r->xlo, (size_t)w, r->ylo + 1, r->yhi - 1,
                             (uint32_t)r->xlo, uw, out + cnt);
            if (r->xhi != r->xlo)
                cnt += bits_runs(L->cols + r->xhi, (size_t)w, r->ylo + 1, r->yhi - 1,
                                 (uint32_t)r->xhi, uw, out + cnt);
        }
        return cnt;
    }
    /* reference: every cell on the first and last rows, only the two end
     * columns between them, in raster order, one run each */
    for (int y = r->ylo; y <= r->yhi; y++) {
        const uint8_t *row = L->m + (size_t)y * w;
        int st = (y == r->ylo || y == r->yhi || r->xhi == r->xlo) ? 1 : r->xhi - r->xlo;
        for (int x = r->xlo; x <= r->xhi; x += st)
            if (row[x] & L->bit)
                out[cnt++] = (ring_run){(uint32_t)((size_t)y * w + x), 1, 1};
    }
    return cnt;
}

/* The features of a ring no wider and no taller than 64 cells as up to four
 * bit windows: segment t holds the cells base[t] + k * step[t] for the set
 * bits k of bits[t] (same cells as ring_list, no runs to build). */
typedef struct ring_win {
    uint64_t bits[4];
    uint32_t base[4], step[4];
} ring_win;

/* Bits lo..hi (hi - lo < 64) of line (words stride apart) as the low
 * bits of one word. */
static inline uint64_t bits_window(const uint64_t *line, size_t stride, int lo, int hi)
{
    int wd = lo >> 6, sh = lo & 63, len = hi - lo + 1;
    uint64_t v = line[(size_t)wd * stride] >> sh;
    if (sh + len > 64)
        v |= line[(size_t)(wd + 1) * stride] << (64 - sh);
    return len >= 64 ? v : v & ((1ull << len) - 1);
}

/* Fills wv for a small ring (bit planes only); false when it holds no feature. */
static inline bool ring_windows(const layer *L, const ring *r, ring_win *wv)
{
    uint32_t uw = (uint32_t)L->w;
    wv->bits[0] = bits_window(L->rows + (size_t)r->ylo * L->rw, 1, r->xlo, r->xhi);
    wv->bits[1] = r->yhi != r->ylo
                      ? bits_window(L->rows + (size_t)r->yhi * L->rw, 1, r->xlo, r->xhi) : 0;
    wv->bits[2] = wv->bits[3] = 0;
    if (r->yhi - r->ylo >= 2) {
        size_t uws = (size_t)L->w;
        wv->bits[2] = bits_window(L->cols + r->xlo, uws, r->ylo + 1, r->yhi - 1);
        if (r->xhi != r->xlo)
            wv->bits[3] = bits_window(L->cols + r->xhi, uws, r->ylo + 1, r->yhi - 1);
    }
    wv->base[0] = (uint32_t)r->ylo * uw + (uint32_t)r->xlo;
    wv->base[1] = (uint32_t)r->yhi * uw + (uint32_t)r->xlo;
    wv->base[2] = (uint32_t)(r->ylo + 1) * uw + (uint32_t)r->xlo;
    wv->base[3] = (uint32_t)(r->ylo + 1) * uw + (uint32_t)r->xhi;
    wv->step[0] = wv->step[1] = 1;
    wv->step[2] = wv->step[3] = uw;
    return (wv->bits[0] | wv->bits[1] | wv->bits[2] | wv->bits[3]) != 0;
}

static inline bool ring_is_small(const layer *L, const ring *r)
{
    return L->bits && r->xhi - r->xlo < 64 && r->yhi - r->ylo < 64;
}

/* The first ring from R0 on with a feature, of the box of c around pixel
 * (ax, ay): its radius in *R and RING_WIN (features in *wv) or RING_RUNS
 * (features in out[0 .. *cnt)); RING_NONE when the whole box has none. */
enum { RING_NONE = 0, RING_WIN, RING_RUNS };

static int ring_find(const layer *L, const db_cc *c, int ax, int ay, int R0, int *R,
                     ring_win *wv, ring_run *out, size_t *cnt)
{
    for (*R = R0;; (*R)++) {
        ring r = ring_at(c, ax, ay, *R);
        if (ring_is_small(L, &r)) {
            if (ring_windows(L, &r, wv))
                return RING_WIN;
        } else if ((*cnt = ring_list(L, &r, out)) != 0) {
            return RING_RUNS;
        }
        if (r.full)
            return RING_NONE;
    }
}

/* Lists ring r (radius known to hold features) as ring_find does. */
static int ring_get(const layer *L, const ring *r, ring_win *wv, ring_run *out, size_t *cnt)
{
    if (ring_is_small(L, r)) {
        ring_windows(L, r, wv);
        return RING_WIN;
    }
    *cnt = ring_list(L, r, out);
    return RING_RUNS;
}

/* ---- shared steps (run on the text and on the background) ---- */

/* Components are walked by their row runs (db_ccset: runs[order[start[k]
 * .. start[k + 1])] are component k + 1's, in raster order): the run gives
 * each pixel's row and column without a division. */
static inline const db_ccrun *cc_run(const db_ccset *s, uint32_t q)
{
    return &s->runs[s->order[q]];
}

static inline uint32_t run_first(const db_ccrun *rn, int w)
{
    return (uint32_t)rn->y * (uint32_t)w + (uint32_t)rn->x0;
}

/* Gives every component that thinning erased completely (Zhang-Suen deletes
 * a 2x2 block, and some round dots, in one sub-iteration) one skeleton pixel
 * back: its centroid rounded UP in both coordinates, ceil(mean x), ceil(mean
 * y), or its raster-first pixel when that cell is not part of it. The
 * rounding is the official tool's: of every rule tried (rounded, truncated,
 * bounding-box centre, last pixel deleted, deepest pixel) only this one
 * reproduces all 12 vanished blobs of the official files and scores we have
 * (DIBCO 2013 PR06 needs x 596.34 -> 597 and 1389.03 -> 1390; DIBCO 2011
 * PR8 y 67.29 -> 68). ceil and floor + 1 differ only on integral means,
 * which none of them has. */
static void ensure_seeds(uint8_t *m, const db_ccset *s, int w)
{
    for (int k = 0; k < s->n; k++) {
        uint32_t q0 = s->start[k], q1 = s->start[k + 1];
        bool has = false;
        for (uint32_t q = q0; q < q1 && !has; q++) {
            const db_ccrun *rn = cc_run(s, q);
            const uint8_t *row = m + (size_t)rn->y * w;
            for (int x = rn->x0; x <= rn->x1 && !has; x++)
                has = (row[x] & SKEL) != 0;
        }
        if (has)
            continue;
        uint64_t sx = 0, sy = 0, cnt = (uint64_t)s->cc[k].count;
        for (uint32_t q = q0; q < q1; q++) {
            const db_ccrun *rn = cc_run(s, q);
            uint64_t len = (uint64_t)(rn->x1 - rn->x0 + 1);
            sx += len * (uint64_t)(rn->x0 + rn->x1) / 2; /* len * (x0 + x1) is even */
            sy += len * (uint64_t)rn->y;
        }
        int cx = (int)((sx + cnt - 1) / cnt), cy = (int)((sy + cnt - 1) / cnt);
        /* is (cx, cy) one of the component's pixels? (runs in raster order) */
        uint32_t lo = q0, hi = q1;
        while (lo < hi) { /* the first run not before row cy, column cx */
            uint32_t mid = lo + (hi - lo) / 2;
            const db_ccrun *rn = cc_run(s, mid);
            if (rn->y < cy || (rn->y == cy && rn->x1 < cx))
                lo = mid + 1;
            else
                hi = mid;
        }
        const db_ccrun *rn = lo < q1 ? cc_run(s, lo) : NULL;
        if (rn && rn->y == cy && rn->x0 <= cx)
            m[(size_t)cy * w + cx] |= SKEL;
        else
            m[run_first(cc_run(s, q0), w)] |= SKEL;
    }
}

/* The medial-ridge value: a skeleton pixel whose D equals its four
 * (border-clamped) 4-neighbours' gets D + 1. In place, in component order. */
static void ridge_adjust(uint8_t *D, const uint8_t *m, const db_ccset *s, int w, int h)
{
    for (uint32_t q = 0; q < s->start[s->n]; q++) {
        const db_ccrun *rn = cc_run(s, q);
        int y = rn->y;
        size_t row = (size_t)y * w;
        /* the run's skeleton pixels, 64 at a time (most are not) */
        for (int x0 = rn->x0; x0 <= rn->x1; x0 += 64) {
            int len = rn->x1 - x0 + 1 < 64 ? rn->x1 - x0 + 1 : 64;
            for (uint64_t v = db_pack_bits64(m + row + x0, len, SKEL); v; v &= v - 1) {
                int x = x0 + __builtin_ctzll(v);
                size_t i = row + (size_t)x;
                uint8_t c = D[i];
                if (!has_dist(c))
                    continue;
                size_t up = y > 0 ? i - (size_t)w : i, dn = y < h - 1 ? i + (size_t)w : i;
                size_t lf = x > 0 ? i - 1 : i, rt = x < w - 1 ? i + 1 : i;
                if (D[up] == c && D[dn] == c && D[lf] == c && D[rt] == c)
                    D[i] = (uint8_t)(c + 1);
            }
        }
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

/* An end point's factor: its one skeleton neighbour's + 1. */
static inline void end_point_update(uint8_t *factor, const uint8_t *m, int x, int y, int w, int h)
{
    int v = end_point_factor(factor, m, x, y, w, h);
    if (v > 0)
        factor[(size_t)y * w + x] = (uint8_t)(v + 1);
}

/* Whether the (bit-plane) layer L has a feature in column 0 or 1. */
static bool skeleton_in_first_columns(const layer *L)
{
    for (int y = 0; y < L->h; y++)
        if (L->rows[(size_t)y * L->rw] & 3)
            return true;
    return false;
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
    uint16_t *sdist; /* chessboard distance to the skeleton, when it needs 16 bits
                      * (allocated then only: always on the reference path) */
    size_t cap_sdist;
    uint8_t *sdist8; /* the same in a byte, the fast path's when no distance saturates */
    bool narrow;     /* sdist8 (not sdist) holds the distances */
    ring_run *runs;       /* the runs of one ring: 2 * (w + h) */
    layer L;         /* bit planes allocated once (when fast) */
    layer unwritten; /* the fast cross-section's skeleton not yet written (planes only) */
} medial_scratch;

/* Points sc->L at the (m & bit) layer and packs its planes when fast. */
static const layer *layer_use(medial_scratch *sc, const uint8_t *m, uint8_t bit)
{
    sc->L.m = m;
    sc->L.bit = bit;
    if (sc->L.bits)
        layer_pack(&sc->L);
    return &sc->L;
}

/* The cross-section write of one run: factor = D + 1 where the writer's
 * reach covers D, else D. */
static inline void factor_run(uint8_t *restrict factor, const uint8_t *restrict D,
                              const ring_run *rn, uint8_t reach)
{
    if (rn->step == 1) {
        uint8_t *f = factor + rn->at;
        const uint8_t *d = D + rn->at;
        for (uint32_t t = 0; t < rn->len; t++)
            f[t] = (uint8_t)(d[t] + (reach >= d[t]));
        return;
    }
    for (uint32_t t = 0, j = rn->at; t < rn->len; t++, j += rn->step)
        factor[j] = (uint8_t)(D[j] + (reach >= D[j]));
}

/* max of D * factor over one run */
static inline int run_max_area(const uint8_t *restrict factor, const uint8_t *restrict D,
                               const ring_run *rn)
{
    int best = 0;
    if (rn->step == 1) {
        const uint8_t *f = factor + rn->at, *d = D + rn->at;
        for (uint32_t t = 0; t < rn->len; t++) {
            int v = d[t] * f[t];
            best = v > best ? v : best;
        }
        return best;
    }
    for (uint32_t t = 0, j = rn->at; t < rn->len; t++, j += rn->step) {
        int v = D[j] * factor[j];
        best = v > best ? v : best;
    }
    return best;
}

/* The skeleton distance of pixel i (a lower bound of its first-ring radius). */
static inline unsigned skel_dist(const medial_scratch *sc, uint32_t i)
{
    return sc->narrow ? sc->sdist8[i] : sc->sdist[i];
}

/* The first ring of pixel i at (x, y) of component c, into *r, and its
 * features in wv or sc->runs (as ring_find lists them); RING_NONE where the
 * box holds no skeleton. Where the square of radius sd (the exact distance
 * to the nearest skeleton pixel) lies inside the box, that is the ring: no
 * search. Made again where it is needed rather than kept per pixel (a
 * 16-bit plane less). */
static int first_ring_of(medial_scratch *sc, const db_cc *c, uint32_t i, int x, int y, ring *r,
                         ring_win *wv, size_t *cnt)
{
    unsigned sd = skel_dist(sc, i);
    int R = (int)sd;
    if (sd != UNREACHED && x - R >= c->x0 && x + R <= c->x1 && y - R >= c->y0 && y + R <= c->y1) {
        *r = (ring){x - R, x + R, y - R, y + R, false};
        return ring_get(&sc->L, r, wv, sc->runs, cnt);
    }
    int kind = ring_find(&sc->L, c, x, y, sd == UNREACHED ? 0 : R, &R, wv, sc->runs, cnt);
    *r = ring_at(c, x, y, R);
    return kind;
}

/* max of D * factor over the features of pixel i's first ring: its raw NR
 * (0 without a ring) */
static uint16_t first_ring_max_area(medial_scratch *sc, const db_cc *c, uint32_t i, int x, int y,
                                    const uint8_t *D, const uint8_t *factor)
{
    size_t cnt = 0;
    ring_win wv;
    ring r;
    int best = 0, kind = first_ring_of(sc, c, i, x, y, &r, &wv, &cnt);
    if (kind == RING_WIN) {
        for (int t = 0; t < 4; t++)
            for (uint64_t v = wv.bits[t]; v; v &= v - 1) {
                uint32_t j = wv.base[t] + (uint32_t)__builtin_ctzll(v) * wv.step[t];
                int a = D[j] * factor[j];
                best = a > best ? a : best;
            }
    } else if (kind == RING_RUNS) {
        for (size_t t = 0; t < cnt; t++) {
            int a = run_max_area(factor, D, &sc->runs[t]);
            best = a > best ? a : best;
        }
    }
    return (uint16_t)best;
}

/* The first ring of pixel i at (x, y) of component c, searched from the
 * skeleton distance sd (a lower bound of its radius): radius in *R,
 * features in wv or runs as ring_find lists them (RING_NONE where the box
 * holds no skeleton), and in *reach the reach its cross-section writes
 * carry (1 on a skeleton pixel off the contour, else the skeleton distance
 * in a byte, as the reference keeps it). */
static inline int first_ring(const uint8_t *m, medial_scratch *sc, const db_cc *c, uint32_t i,
                             int x, int y, unsigned sd, uint8_t *reach, int *R, ring_win *wv,
                             size_t *cnt)
{
    *reach = ((m[i] & SKEL) && !(m[i] & CONTOUR)) ? 1 : (uint8_t)sd;
    return ring_find(&sc->L, c, x, y, sd == UNREACHED ? 0 : (int)sd, R, wv, sc->runs, cnt);
}

/* Cross-section, the reference: each pixel writes factor = D + (its reach
 * covers D) on the skeleton pixels of its first ring; the component -> row
 * -> column order decides the last writer. */
static void cross_section_in_order(const uint8_t *D, const uint8_t *m, const db_ccset *s,
                                   uint8_t *factor, medial_scratch *sc)
{
    for (int k = 0; k < s->n; k++) {
        const db_cc *c = &s->cc[k];
        for (uint32_t q = s->start[k]; q < s->start[k + 1]; q++) {
            const db_ccrun *rn = cc_run(s, q);
            uint32_t i = run_first(rn, sc->L.w);
            for (int x = rn->x0; x <= rn->x1; x++, i++) {
                if (!has_dist(D[i]))
                    continue;
                size_t cnt = 0;
                ring_win wv;
                uint8_t reach;
                int R;
                int kind = first_ring(m, sc, c, i, x, rn->y, sc->sdist[i], &reach, &R, &wv, &cnt);
                if (kind == RING_WIN) {
                    for (int t = 0; t < 4; t++)
                        for (uint64_t v = wv.bits[t]; v; v &= v - 1) {
                            uint32_t j = wv.base[t] + (uint32_t)__builtin_ctzll(v) * wv.step[t];
                            factor[j] = (uint8_t)(D[j] + (reach >= D[j]));
                        }
                } else if (kind == RING_RUNS) {
                    for (size_t t = 0; t < cnt; t++)
                        factor_run(factor, D, &sc->runs[t], reach);
                }
            }
        }
    }
}

/* Clears cell (x, y) in both bit planes of U. */
static inline void plane_clear(const layer *U, int x, int y)
{
    U->rows[(size_t)y * U->rw + ((unsigned)x >> 6)] &= ~(1ull << (x & 63));
    U->cols[(size_t)((unsigned)y >> 6) * U->w + x] &= ~(1ull << (y & 63));
}

/* The cross-section writes of pixel i at (x, y) of component c that no
 * pixel visited before made: its first ring's unwritten cells. */
static inline void last_first_pixel(const uint8_t *D, const uint8_t *m, const db_cc *c,
                                    uint8_t *factor, medial_scratch *sc, uint32_t i, int x, int y)
{
    const layer *U = &sc->unwritten;
    size_t cnt = 0;
    ring_win wv;
    uint8_t reach;
    unsigned sd = skel_dist(sc, i);
    int R = (int)sd;
    ring r = {x - R, x + R, y - R, y + R, false}; /* unclamped */
    if (sd != UNREACHED && r.xlo >= c->x0 && r.xhi <= c->x1 && r.ylo >= c->y0 && r.yhi <= c->y1) {
        reach = ((m[i] & SKEL) && !(m[i] & CONTOUR)) ? 1 : (uint8_t)sd;
    } else if (first_ring(m, sc, c, i, x, y, sd, &reach, &R, &wv, &cnt) == RING_NONE) {
        return;
    } else {
        r = ring_at(c, x, y, R);
    }
    if (ring_is_small(U, &r)) {
        if (!ring_windows(U, &r, &wv))
            return; /* most pixels: every cell already written */
        for (int t = 0; t < 4; t++)
            for (uint64_t v = wv.bits[t]; v; v &= v - 1) {
                int b = __builtin_ctzll(v);
                uint32_t j = wv.base[t] + (uint32_t)b * wv.step[t];
                factor[j] = (uint8_t)(D[j] + (reach >= D[j]));
                /* segments: top and bottom rows from xlo, then the left and
                 * right columns from ylo + 1 */
                if (t < 2)
                    plane_clear(U, r.xlo + b, t ? r.yhi : r.ylo);
                else
                    plane_clear(U, t == 2 ? r.xlo : r.xhi, r.ylo + 1 + b);
            }
        return;
    }
    uint32_t uw = (uint32_t)U->w;
    cnt = ring_list(U, &r, sc->runs);
    for (size_t t = 0; t < cnt; t++) {
        const ring_run *rn = &sc->runs[t];
        factor_run(factor, D, rn, reach);
        int cy = (int)(rn->at / uw), cx = (int)(rn->at % uw);
        bool along_row = rn->step == 1;
        for (int u = 0; u < (int)rn->len; u++)
            plane_clear(U, along_row ? cx + u : cx, along_row ? cy : cy + u);
    }
}

/* The same writes, fast: the pixels visited last first, so the final
 * writer of a skeleton pixel is the FIRST to reach it; the skeleton pixels
 * not yet written are kept as bit planes (sc->unwritten, a copy of the feature
 * planes) and each is written once and cleared, not written once per pixel
 * whose ring crosses it (up to 2R + 1 times along a skeleton line). The
 * factor writes read nothing the pass writes, so the order changes nothing
 * else. Where the square of radius sd (the exact distance to the nearest
 * skeleton pixel) lies inside the box, that is the first ring and needs no
 * search: only its unwritten cells are read. */
static void cross_section_last_first(const uint8_t *D, const uint8_t *m, const db_ccset *s,
                                     uint8_t *factor, medial_scratch *sc)
{
    const layer *L = &sc->L;
    int w = L->w;
    memcpy(sc->unwritten.rows, L->rows, (size_t)L->h * L->rw * sizeof *L->rows);
    memcpy(sc->unwritten.cols, L->cols, (size_t)w * L->cw * sizeof *L->cols);
    for (int k = s->n - 1; k >= 0; k--) {
        const db_cc *c = &s->cc[k];
        for (uint32_t q = s->start[k + 1]; q > s->start[k]; q--) {
            const db_ccrun *rn = cc_run(s, q - 1);
            uint32_t i = (uint32_t)rn->y * (uint32_t)w + (uint32_t)rn->x1;
            for (int x = rn->x1; x >= rn->x0; x--, i--)
                if (has_dist(D[i]))
                    last_first_pixel(D, m, c, factor, sc, i, x, rn->y);
        }
    }
}

/* Whether no byte distance of dist saturates (0xFF) where D has a distance. */
static bool bytes_exact_where_read(const uint8_t *dist, const uint8_t *D, size_t n)
{
    uint8_t most = 0;
    for (size_t i = 0; i < n; i++) { /* branch-free: vectorises */
        uint8_t v = has_dist(D[i]) ? dist[i] : 0;
        most = v > most ? v : most;
    }
    return most < 0xFF;
}

/* Normalisation type I (Eq. 3), first half: from D and the skeleton (SKEL
 * bit of m), the per-skeleton medial factor; the skeleton distances it
 * leaves in sc find each pixel's first ring again (first_ring_of). */
static int medial_factor(db_ctx *ctx, const uint8_t *D, const uint8_t *m, const db_ccset *s,
                         int w, int h, uint8_t *factor, medial_scratch *sc)
{
    size_t n = (size_t)w * h;
    /* the byte distances on the fast path (twice as fast), unless one of
     * them saturates where it is read (pixels with a distance D: far
     * margins may saturate); the reference path always in 16 bits */
    sc->narrow = false;
    if (sc->L.bits) {
        /* (no distance saturated anywhere: no need to look where) */
        sc->narrow = db_chebyshev_dt8(m, SKEL, w, h, sc->sdist8) ||
                     bytes_exact_where_read(sc->sdist8, D, n);
    }
    if (!sc->narrow) {
        DB_TRY(db_buf_grow(ctx, &sc->sdist, &sc->cap_sdist, n, sizeof *sc->sdist, true));
        db_chebyshev_dt(m, SKEL, w, h, sc->sdist);
    }
    const layer *L = layer_use(sc, m, SKEL);
    for (size_t i = 0; i < n; i++)
        factor[i] = (m[i] & SKEL) ? 1 : 0;
    if (L->bits)
        cross_section_last_first(D, m, s, factor, sc);
    else
        cross_section_in_order(D, m, s, factor, sc);
    /* end points inherit their neighbour's factor + 1, in place, so one end
     * point may read another: a neighbour, which lies in its component, where
     * component order is raster order, or the quirk's cell in column 0 or 1
     * (end_point_factor), of any component. Without skeleton there the fast
     * path walks the skeleton's bit rows in raster order. */
    if (L->bits && !skeleton_in_first_columns(L)) {
        for (int y = 0; y < h; y++)
            for (size_t c = 0; c < L->rw; c++)
                for (uint64_t v = L->rows[(size_t)y * L->rw + c]; v; v &= v - 1)
                    end_point_update(factor, m, (int)(c * 64) + __builtin_ctzll(v), y, w, h);
        return 0;
    }
    for (uint32_t q = 0; q < s->start[s->n]; q++) {
        const db_ccrun *rn = cc_run(s, q);
        const uint8_t *row = m + (size_t)rn->y * w;
        for (int x = rn->x0; x <= rn->x1; x++)
            if (row[x] & SKEL)
                end_point_update(factor, m, x, rn->y, w, h);
    }
    return 0;
}

/* Second half, every pixel: NR = the max of D * factor over the same
 * rings (0 where there is no ring or no distance), then propagated along
 * the stroke (in place, in component order: reads the updated pixels
 * above and to the left). The background's fast path evaluates the same
 * values only where it needs them (nr_final). */
static void medial_nr(const uint8_t *D, const db_ccset *s, int w, int h, const uint8_t *factor,
                      uint16_t *NR, medial_scratch *sc)
{
    size_t n = (size_t)w * h;
    memset(NR, 0, n * sizeof *NR);
    for (int k = 0; k < s->n; k++) {
        const db_cc *c = &s->cc[k];
        for (uint32_t q = s->start[k]; q < s->start[k + 1]; q++) {
            const db_ccrun *rn = cc_run(s, q);
            uint32_t i = run_first(rn, w);
            for (int x = rn->x0; x <= rn->x1; x++, i++)
                if (has_dist(D[i]))
                    NR[i] = first_ring_max_area(sc, c, i, x, rn->y, D, factor);
        }
    }
    for (uint32_t q = 0; q < s->start[s->n]; q++) {
        const db_ccrun *rn = cc_run(s, q);
        uint32_t i = run_first(rn, w);
        for (int x = rn->x0; x <= rn->x1; x++, i++)
            if (has_dist(D[i]) && propagates(NR, x, rn->y, w, h))
                NR[i] = NR[i - 1];
    }
}

/* Normalisation type I in full (the text side). */
static int medial_normalization(db_ctx *ctx, const uint8_t *D, const uint8_t *m,
                                const db_ccset *s, int w, int h, uint8_t *factor, uint16_t *NR,
                                medial_scratch *sc)
{
    DB_TRY(medial_factor(ctx, D, m, s, w, h, factor, sc));
    medial_nr(D, s, w, h, factor, NR, sc);
    return 0;
}

/* ---- NR on demand (the background's fast path) ----
 * The background uses NR (as NP) only where a ring meets two text
 * components, a few per cent of its pixels, so the fast path evaluates it
 * there only. medial_nr's propagation pass, read as a recursion, gives the
 * same values: the final NR of a pixel depends on its own raw value (the
 * ring max), the raw values to its right and below, and the final values
 * above and to the left (propagates()); every one of these lies in the
 * pixel's own component (4-neighbours outside it hold no distance, NR 0),
 * so one component's box serves the whole recursion. Memo: raw values in
 * raw, final values in NR (where medial_nr leaves them), "done" flags in
 * spare bits of the skeleton layer. The recursion runs on an explicit
 * stack: a chain of pixels each waiting for the one above or to its left,
 * so never one pixel twice. */
enum { RAW_DONE = 0x40, FIN_DONE = 0x80 };

typedef struct nr_lazy {
    const uint8_t *D, *factor;
    uint8_t *m; /* the skeleton layer, flags in RAW_DONE | FIN_DONE */
    medial_scratch *sc; /* skeleton planes and distances, ring runs */
    uint16_t *raw, *NR;
    int w, h;
    uint32_t **stack; /* grown on demand (owner: the generator) */
    size_t *cap_stack;
} nr_lazy;

static uint16_t nr_raw(const nr_lazy *z, const db_cc *c, uint32_t i)
{
    if (z->m[i] & RAW_DONE)
        return z->raw[i];
    uint16_t v = 0;
    if (has_dist(z->D[i]))
        v = first_ring_max_area(z->sc, c, i, (int)(i % (uint32_t)z->w), (int)(i / (uint32_t)z->w),
                                z->D, z->factor);
    z->raw[i] = v;
    z->m[i] |= RAW_DONE;
    return v;
}

/* The final (propagated) NR of pixel i0 of component c, as medial_nr
 * leaves it; -1 when out of memory. */
static int nr_final(db_ctx *ctx, const nr_lazy *z, const db_cc *c, uint32_t i0)
{
    if (z->m[i0] & FIN_DONE)
        return z->NR[i0];
    uint8_t *m = z->m;
    uint32_t w = (uint32_t)z->w, h = (uint32_t)z->h;
    size_t sp = 0;
    if (db_room_for_one(ctx, z->stack, z->cap_stack, sp, sizeof **z->stack, 4096))
        return -1;
    (*z->stack)[sp++] = i0;
    while (sp) {
        uint32_t i = (*z->stack)[sp - 1], x = i % w, y = i / w, wait = UINT32_MAX;
        uint16_t v = nr_raw(z, c, i);
        if (has_dist(z->D[i])) {
            uint16_t rt = x < w - 1 ? nr_raw(z, c, i + 1) : v;
            uint16_t dn = y < h - 1 ? nr_raw(z, c, i + w) : v;
            if (rt && dn && rt != v && dn != v) {
                if (y > 0 && !(m[i - w] & FIN_DONE))
                    wait = i - w;
                else {
                    uint16_t up = y > 0 ? z->NR[i - w] : v;
                    if (up && up != v) {
                        if (x > 0 && !(m[i - 1] & FIN_DONE))
                            wait = i - 1;
                        else if (x > 0 && z->NR[i - 1] && z->NR[i - 1] != v)
                            v = z->NR[i - 1];
                    }
                }
            }
        }
        if (wait != UINT32_MAX) {
            if (db_room_for_one(ctx, z->stack, z->cap_stack, sp, sizeof **z->stack, 4096))
                return -1;
            (*z->stack)[sp++] = wait;
            continue;
        }
        z->NR[i] = v;
        m[i] |= FIN_DONE;
        sp--;
    }
    return z->NR[i0];
}

static float round6(double v)
{
    return (float)(nearbyint(v * 1e6) / 1e6); /* the "%f" the official files hold */
}

/* ---- the generator ---- */

/* The generator's state. It lives in db_weights.work between calls, so a
 * run over many pages allocates (and page-faults) its planes once: the
 * planes are touched in full on every call, and fresh memory costs about
 * as much as the computation on this class of machine. */
typedef struct db_weights_work {
    int w, h;
    size_t n;
    uint8_t *ov;       /* INK | CONTOUR | SKEL of the ground truth */
    uint8_t *cdist8;   /* chessboard distance to the contour (fast path; saturates) */
    uint16_t *cdist;   /* the same in 16 bits: the reference path's, and the fast
                        * path's where a byte saturates where read (else unallocated) */
    bool wide_cdist;   /* cdist (not cdist8) holds the distances */
    uint8_t *D;        /* distance map (text, then background) */
    uint8_t *factor;   /* medial factor */
    uint16_t *NR;      /* NR, then NP */
    uint8_t *bg;       /* background skeleton layer */
    medial_scratch sc;
    db_ccset fg, bgcc;
    db_thin_work thin;
    layer Lc;          /* the text contour layer (CONTOUR of ov) the background's
                        * stroke-reach rings search, beside sc.L (its skeleton) */
    uint32_t *stack;   /* nr_final's */
    uint8_t *rowflag;  /* the background passes' flags of one row */
    uint8_t *tile_reach; /* per 8x8 tile (REACH_TILE): the widest stroke that may reach it */
    uint8_t *stroke8;  /* stroke width of each text label in a byte, as the
                        * reference keeps it along the contour (index 0 unused) */
    size_t cap_n, cap_runs, cap_rows, cap_cols, cap_rows_c, cap_cols_c, cap_rows_d, cap_cols_d;
    size_t cap_stack, cap_stroke8, cap_cdist, cap_rowflag, cap_tile_reach;
    /* the ground-truth mask; the scoring scratch (db_weights_score_bufs):
     * result mask, and planes of its own when the generator's are absent */
    uint8_t *gmask, *rmask, *s8;
    uint16_t *s16;
    size_t cap_gmask, cap_rmask, cap_s8, cap_s16;
    /* round6(a / b) and round6(min(a / b, 2)) for a, b < 256 (b > 0; 0
     * for b = 0), floor(sqrt(v) + 0.5) for 16-bit v: made once */
    float *quot, *quot2;
    uint16_t *isqrt;
    /* db_weights_pf_sums: the result mask the maps are summed over (NULL:
     * the maps are stored), the sums, and the raw NR the precision map's
     * plane holds otherwise */
    const uint8_t *sum_res;
    db_pf_sums sums;
    uint16_t *raw16;
    size_t cap_raw16;
} gen;

static void gen_free_planes(gen *g)
{
    db_free(g->ov);
    db_free(g->cdist8);
    db_free(g->cdist);
    g->cap_cdist = 0;
    db_free(g->D);
    db_free(g->factor);
    db_free(g->NR);
    db_free(g->bg);
    db_free(g->sc.sdist);
    g->sc.cap_sdist = 0;
    db_free(g->sc.sdist8);
    g->ov = g->cdist8 = g->D = g->factor = g->bg = NULL;
    g->cdist = g->NR = g->sc.sdist = NULL;
    g->sc.sdist8 = NULL;
    g->cap_n = 0;
}

void db_weights_work_free(gen *g)
{
    if (!g)
        return;
    gen_free_planes(g);
    db_free(g->sc.runs);
    db_free(g->sc.L.rows);
    db_free(g->sc.L.cols);
    db_free(g->sc.unwritten.rows);
    db_free(g->sc.unwritten.cols);
    db_free(g->Lc.rows);
    db_free(g->Lc.cols);
    db_free(g->stack);
    db_free(g->rowflag);
    db_free(g->tile_reach);
    db_free(g->stroke8);
    db_ccset_free(&g->fg);
    db_ccset_free(&g->bgcc);
    db_thin_work_free(&g->thin);
    db_free(g->gmask);
    db_free(g->rmask);
    db_free(g->s8);
    db_free(g->s16);
    db_free(g->quot);
    db_free(g->isqrt);
    db_free(g->raw16);
    db_free(g);
}

/* The generator state of out, created on first use. */
static int gen_get(db_ctx *ctx, db_weights *out, gen **g)
{
    if (!out->work && !(out->work = db_calloc(ctx, 1, sizeof *out->work)))
        return DB_ENOMEM;
    *g = out->work;
    return 0;
}

int db_weights_score_bufs(db_ctx *ctx, db_weights *keep, int w, int h, db_score_bufs *out)
{
    gen *g;
    size_t n = (size_t)w * h;
    DB_TRY(gen_get(ctx, keep, &g));
    DB_TRY(db_buf_grow(ctx, &g->gmask, &g->cap_gmask, n, 1, true));
    DB_TRY(db_buf_grow(ctx, &g->rmask, &g->cap_rmask, n, 1, true));
    out->gt = g->gmask;
    out->res = g->rmask;
    out->thin = &g->thin;
    if (g->cap_n >= n) { /* the generator's planes: free between generations */
        out->plane8 = g->bg;
        out->plane16 = g->NR;
        return 0;
    }
    DB_TRY(db_buf_grow(ctx, &g->s8, &g->cap_s8, n, 1, true));
    DB_TRY(db_buf_grow(ctx, &g->s16, &g->cap_s16, n, sizeof *g->s16, true));
    out->plane8 = g->s8;
    out->plane16 = g->s16;
    return 0;
}

/* Sizes layer L for w x h (its bit planes, when it has them). */
static int layer_size(db_ctx *ctx, layer *L, int w, int h, size_t *cap_rows, size_t *cap_cols)
{
    L->w = w;
    L->h = h;
    if (!L->bits)
        return 0;
    L->rw = ((size_t)w + 63) / 64;
    L->cw = ((size_t)h + 63) / 64;
    size_t nr = (size_t)h * L->rw, nc = (size_t)w * L->cw;
    DB_TRY(db_buf_grow(ctx, &L->rows, cap_rows, nr, sizeof *L->rows, false));
    DB_TRY(db_buf_grow(ctx, &L->cols, cap_cols, nc, sizeof *L->cols, false));
    return 0;
}

/* Sizes g for g->w x g->h (growing buffers only when too small) and clears
 * the planes the generator only partly writes. */
static int gen_alloc(db_ctx *ctx, gen *g)
{
    size_t n = g->n;
    if (g->cap_n < n) {
        gen_free_planes(g);
        g->ov = db_plane_malloc(ctx, n, 1);
        g->cdist8 = db_plane_malloc(ctx, n, 1);
        g->D = db_plane_malloc(ctx, n, 1);
        g->factor = db_plane_malloc(ctx, n, 1);
        g->NR = db_plane_malloc(ctx, n, sizeof *g->NR);
        g->bg = db_plane_malloc(ctx, n, 1);
        g->sc.sdist8 = db_plane_malloc(ctx, n, 1);
        if (!g->ov || !g->cdist8 || !g->D || !g->factor || !g->NR || !g->bg ||
            !g->sc.sdist8)
            return DB_ENOMEM;
        g->cap_n = n;
    }
    size_t nruns = 2 * ((size_t)g->w + g->h) + 4;
    DB_TRY(db_buf_grow(ctx, &g->sc.runs, &g->cap_runs, nruns, sizeof *g->sc.runs, false));
    DB_TRY(db_buf_grow(ctx, &g->rmask, &g->cap_rmask, n, 1, true));
    memset(g->bg, 0, n); /* (ov and D are written in full) */
    DB_TRY(layer_size(ctx, &g->sc.L, g->w, g->h, &g->cap_rows, &g->cap_cols));
    g->Lc.bits = g->sc.unwritten.bits = g->sc.L.bits;
    DB_TRY(layer_size(ctx, &g->Lc, g->w, g->h, &g->cap_rows_c, &g->cap_cols_c));
    DB_TRY(layer_size(ctx, &g->sc.unwritten, g->w, g->h, &g->cap_rows_d, &g->cap_cols_d));
    return 0;
}

/* Thins the SKEL layer of m. */
static int thin(db_ctx *ctx, gen *g, uint8_t *m)
{
    if (g->sc.L.bits)
        return db_thin_lee_chen(ctx, m, SKEL, g->w, g->h, NULL, &g->thin);
    return db_thin_ref(ctx, m, SKEL, g->w, g->h, true, NULL);
}

/* The quotient tables of g (the per-pixel divisions and roundings of the
 * two maps, as values of byte pairs). */
static int quot_tables(db_ctx *ctx, gen *g)
{
    if (g->quot && g->isqrt)
        return 0;
    if (!g->quot && !(g->quot = db_malloc(ctx, 2 * 256 * 256 * sizeof *g->quot)))
        return DB_ENOMEM;
    if (!(g->isqrt = db_malloc(ctx, 65536 * sizeof *g->isqrt)))
        return DB_ENOMEM;
    for (unsigned v = 0; v < 65536; v++)
        g->isqrt[v] = (uint16_t)floor(sqrt((double)v) + 0.5);
    g->quot2 = g->quot + 256 * 256;
    for (int a = 0; a < 256; a++) {
        g->quot[a * 256] = g->quot2[a * 256] = 0.0f;
        for (int b = 1; b < 256; b++) {
            double v = (double)a / b;
            g->quot[a * 256 + b] = round6(v);
            g->quot2[a * 256 + b] = round6(v > 2.0 ? 2.0 : v);
        }
    }
    return 0;
}

/* Switches g to the 16-bit contour distances (computed here). */
static int contour_dist_wide(db_ctx *ctx, gen *g)
{
    DB_TRY(db_buf_grow(ctx, &g->cdist, &g->cap_cdist, g->n, sizeof *g->cdist, true));
    db_chebyshev_dt(g->ov, CONTOUR, g->w, g->h, g->cdist);
    g->wide_cdist = true;
    return 0;
}

/* The contour distance of pixel i, a lower bound of its first ring's radius
 * over the contour (exact where no byte saturates). */
static inline unsigned contour_dist_at(const gen *g, size_t i)
{
    return g->wide_cdist ? g->cdist[i] : g->cdist8[i];
}

/* Pseudo-recall weights GW = D / NR (Eq. 2). */
static int gen_recall(db_ctx *ctx, gen *g, const db_mask *gt, float *gw)
{
    int w = g->w, h = g->h;
    DB_TRY(db_cc_label(ctx, gt->m, 1, w, h, true, &g->fg));
    /* INK | SKEL on the text, and CONTOUR where a 4-neighbour is outside it
     * (the frame counts as outside); every pixel written */
    for (int y = 0; y < h; y++) {
        const uint8_t *mr = gt->m + (size_t)y * w;
        uint8_t *ov = g->ov + (size_t)y * w;
        bool inner_row = y > 0 && y < h - 1;
        ov[0] = (uint8_t)(mr[0] * (INK | SKEL | CONTOUR));
        for (int x = 1; inner_row && x < w - 1; x++) { /* masks are 0/1: vectorises */
            uint8_t inside = mr[x - w] & mr[x + w] & mr[x - 1] & mr[x + 1] & mr[x];
            ov[x] = (uint8_t)((mr[x] * (INK | SKEL | CONTOUR)) ^ (inside * CONTOUR));
        }
        for (int x = inner_row ? w - 1 : 1; x < w; x++)
            ov[x] = (uint8_t)(mr[x] * (INK | SKEL | CONTOUR));
    }
    DB_TRY(thin(ctx, g, g->ov));
    ensure_seeds(g->ov, &g->fg, w);
    /* D: the contour distance; 1 on skeleton pixels of the contour (0 on the
     * rest of the contour); stored in a byte like the reference (which
     * truncates: the fast path's byte distances serve unless one saturates
     * on the text) */
    g->wide_cdist = false;
    if (!g->sc.L.bits) {
        DB_TRY(contour_dist_wide(ctx, g));
    } else {
        db_chebyshev_dt8(g->ov, CONTOUR, w, h, g->cdist8);
        uint8_t most = 0;
        for (size_t i = 0; i < g->n; i++) { /* branch-free: vectorises */
            uint8_t o = g->ov[i], cd = g->cdist8[i], d = (o & CONTOUR) && (o & SKEL) ? 1 : cd;
            g->D[i] = (o & INK) ? d : 0;
            most = (o & INK) && cd > most ? cd : most;
        }
        if (most == 0xFF)
            DB_TRY(contour_dist_wide(ctx, g));
    }
    if (g->wide_cdist)
        for (size_t i = 0; i < g->n; i++) { /* branch-free: vectorises */
            uint8_t o = g->ov[i], d = (o & CONTOUR) && (o & SKEL) ? 1 : (uint8_t)g->cdist[i];
            g->D[i] = (o & INK) ? d : 0;
        }
    ridge_adjust(g->D, g->ov, &g->fg, w, h);
    DB_TRY(medial_normalization(ctx, g->D, g->ov, &g->fg, w, h, g->factor, g->NR, &g->sc));
    /* Gsw_fg: 2 * floor(mean factor over the component's skeleton) */
    for (int k = 0; k < g->fg.n; k++) {
        long long sum = 0, cnt = 0;
        for (uint32_t q = g->fg.start[k]; q < g->fg.start[k + 1]; q++) {
            const db_ccrun *rn = cc_run(&g->fg, q);
            uint32_t i = run_first(rn, w);
            for (int x = rn->x0; x <= rn->x1; x++, i++)
                if (g->ov[i] & SKEL) {
                    sum += g->factor[i];
                    cnt++;
                }
        }
        g->fg.cc[k].stroke = cnt ? (int)(sum / cnt) * 2 : 0;
    }
    /* GW = D / NR (0 where either is 0: off the text, D and NR are 0),
     * stored, or summed over the text (TP + FN) and TP */
    DB_TRY(quot_tables(ctx, g));
    for (size_t i = 0; gw && i < g->n; i++) {
        unsigned d = g->D[i], nr = g->NR[i];
        gw[i] = !d || !nr ? 0.0f : nr < 256 ? g->quot[d * 256 + nr] : round6((double)d / nr);
    }
    for (size_t i = 0; !gw && i < g->n; i++) {
        if (!gt->m[i])
            continue;
        unsigned d = g->D[i], nr = g->NR[i];
        float v = !d || !nr ? 0.0f : nr < 256 ? g->quot[d * 256 + nr] : round6((double)d / nr);
        g->sums.r_all += v;
        if (g->sum_res[i])
            g->sums.r_tp += v;
    }
    return 0;
}


/* Stroke-reach ring of a background pixel over the text contour (layer L):
 * the max stroke width there (*reach) and whether two text components meet. */
static bool merge_ring(gen *g, const layer *L, const db_cc *c, uint32_t i, int x, int y,
                       int *reach, bool *adjacent)
{
    unsigned cd = contour_dist_at(g, i);
    int R, R0 = cd == UNREACHED ? 0 : (int)cd;
    ring_run *runs = g->sc.runs;
    ring_win wv;
    size_t cnt = 0;
    int kind = ring_find(L, c, x, y, R0, &R, &wv, runs, &cnt);
    if (kind == RING_NONE)
        return false;
    int best = -1;
    *adjacent = false;
    /* a run is one component with one stroke width: its first cell tells */
    if (kind == RING_WIN) {
        int first = -1;
        for (int t = 0; t < 4; t++)
            for (uint64_t v = wv.bits[t] & ~(wv.bits[t] << 1); v; v &= v - 1) {
                uint32_t j = wv.base[t] + (uint32_t)__builtin_ctzll(v) * wv.step[t];
                int lab = (int)db_cc_label_at(&g->fg, j), sw = g->stroke8[lab];
                best = sw > best ? sw : best;
                if (first < 0)
                    first = lab;
                else if (lab != first)
                    *adjacent = true;
            }
        *reach = best;
        return true;
    }
    int first = (int)db_cc_label_at(&g->fg, runs[0].at);
    for (size_t t = 0; t < cnt; t++) {
        int lab = (int)db_cc_label_at(&g->fg, runs[t].at), sw = g->stroke8[lab];
        best = sw > best ? sw : best;
        if (lab != first)
            *adjacent = true;
    }
    *reach = best;
    return true;
}

/* The Gsw_bg region: background covered by some text component's box
 * grown by 2 * its stroke width (clamped to the image); writes the
 * background D there (g->D, from the contour distances). A
 * sweep over rows keeps one row of +1/-1 column marks for the boxes that
 * span the row, so the cost is O(w * h + boxes) whatever their overlap. */
static int grown_boxes(db_ctx *ctx, gen *g)
{
    int w = g->w, h = g->h, n = g->fg.n;
    int32_t *cover = db_calloc(ctx, (size_t)w + 1, sizeof *cover);
    /* boxes listed by first row (head[y]) and by row after their last
     * (head[h + 1 + y]); next[k] / next[n + k] chain them */
    int *head = db_malloc(ctx, (2 * (size_t)h + 2) * sizeof *head);
    int *next = db_malloc(ctx, (2 * (size_t)n + 1) * sizeof *next);
    if (!cover || !head || !next) {
        db_free(cover);
        db_free(head);
        db_free(next);
        return DB_ENOMEM;
    }
    for (int y = 0; y < 2 * h + 2; y++)
        head[y] = -1;
    bool saturated = false;
    for (int k = 0; k < n; k++) {
        const db_cc *c = &g->fg.cc[k];
        int mg = 2 * c->stroke;
        int y0 = c->y0 - mg < 0 ? 0 : c->y0 - mg, y1 = c->y1 + mg > h - 1 ? h - 1 : c->y1 + mg;
        next[k] = head[y0];
        head[y0] = k;
        next[n + k] = head[h + 1 + y1 + 1];
        head[h + 1 + y1 + 1] = k;
    }
    for (int y = 0; y < h && !saturated; y++) {
        for (int pass = 0; pass < 2; pass++)
            for (int k = head[pass ? h + 1 + y : y]; k >= 0; k = next[pass ? n + k : k]) {
                const db_cc *c = &g->fg.cc[k];
                int mg = 2 * c->stroke, d = pass ? -1 : 1;
                int x0 = c->x0 - mg < 0 ? 0 : c->x0 - mg;
                int x1 = c->x1 + mg > w - 1 ? w - 1 : c->x1 + mg;
                cover[x0] += d;
                cover[x1 + 1] -= d;
            }
        /* background D: the distance to the text contour inside the
         * region, OUTSIDE beyond it, 0 on the text (truncated to a byte
         * like the reference: a saturated byte distance there needs the
         * 16-bit ones) */
        const uint8_t *ov = g->ov + (size_t)y * w;
        uint8_t *D = g->D + (size_t)y * w;
        int32_t run = 0;
        if (g->wide_cdist) {
            const uint16_t *cd = g->cdist + (size_t)y * w;
            for (int x = 0; x < w; x++) {
                run += cover[x];
                D[x] = (ov[x] & INK) ? 0 : run > 0 ? (uint8_t)cd[x] : OUTSIDE;
            }
            continue;
        }
        const uint8_t *cd = g->cdist8 + (size_t)y * w;
        for (int x = 0; x < w && !saturated; x++) {
            run += cover[x];
            D[x] = (ov[x] & INK) ? 0 : run > 0 ? cd[x] : OUTSIDE;
            saturated = !(ov[x] & INK) && run > 0 && cd[x] == 0xFF;
        }
    }
    db_free(cover);
    db_free(head);
    db_free(next);
    if (saturated) { /* once: the 16-bit distances do not saturate */
        DB_TRY(contour_dist_wide(ctx, g));
        return grown_boxes(ctx, g);
    }
    return 0;
}

/* A pixel's stroke reach, the widest stroke of its ring, is an even byte
 * (stroke widths are 2 * floor(mean factor), kept in a byte), so an odd
 * value marks "no ring". */
enum { NO_REACH = 0xFF };
enum { REACH_TILE = 3 }; /* 8x8 tiles of the reach bound */

/* Where a background pixel's stroke-reach ring meets two text components
 * and D <= reach, the pixel is a merge mark when its NP (NR as a radius)
 * holds a non-zero byte, as the reference keeps it. */
enum { MARK = 0x80 }; /* in ov, beside INK | CONTOUR | SKEL */

/* Whether background pixel i (D = dp, ring reach `reach`, chessboard
 * distance mdist to the nearest mark) takes NP from a merge gap. */
static inline bool merging(int dp, int reach, unsigned mdist)
{
    int r = reach - dp;
    return r > 0 && (int)mdist <= r;
}

/* Pseudo-precision weights PW - 1 = D / NP, NP = min(Gc_sw, Gsw_bg), capped at 2 (Eq. 10-11),
 * into pw, or (pw NULL) summed as 1 + PW over the result's text (TP + FP) and TP.
 * The reference path (no bit planes) computes the background's NR at every
 * pixel (medial_nr); the fast path only where it is used (nr_final), and
 * skips the stroke-reach ring of pixels farther from the text than any
 * stroke width reaches (their PW is 1 either way). */
static int gen_precision(db_ctx *ctx, gen *g, float *pw)
{
    int w = g->w, h = g->h;
    size_t n = g->n;
    bool lazy = g->sc.L.bits;
    /* the Gsw_bg region and the background D in it */
    DB_TRY(grown_boxes(ctx, g));
    /* background components (no label plane needed) and skeleton (the
     * frame is never skeleton seed) */
    DB_TRY(db_cc_label(ctx, g->ov, 0, w, h, false, &g->bgcc));
    for (int y = 1; y < h - 1; y++) {
        const uint8_t *ov = g->ov + (size_t)y * w;
        uint8_t *bg = g->bg + (size_t)y * w;
        for (int x = 1; x < w - 1; x++) /* bg is clear: a select, vectorises */
            bg[x] = ov[x] ? 0 : SKEL;
    }
    DB_TRY(thin(ctx, g, g->bg));
    ensure_seeds(g->bg, &g->bgcc, w);
    ridge_adjust(g->D, g->bg, &g->bgcc, w, h);
    DB_TRY(medial_factor(ctx, g->D, g->bg, &g->bgcc, w, h, g->factor, &g->sc));
    if (!lazy)
        medial_nr(g->D, &g->bgcc, w, h, g->factor, g->NR, &g->sc);
    /* the fast path's NR: raw values kept in pw, free until the end (or a
     * plane of their own) */
    uint16_t *raw = (uint16_t *)pw;
    if (!pw && lazy) {
        DB_TRY(db_buf_grow(ctx, &g->raw16, &g->cap_raw16, n, sizeof *g->raw16, true));
        raw = g->raw16;
    }
    nr_lazy z = {g->D, g->factor, g->bg, &g->sc, raw, g->NR, w, h, &g->stack, &g->cap_stack};
    /* the stroke widths by label, packed (the merge rings read them per
     * feature run), and the widest: no reach is larger */
    DB_TRY(db_buf_grow(ctx, &g->stroke8, &g->cap_stroke8, (size_t)g->fg.n + 1, 1, false));
    int smax = 0;
    g->stroke8[0] = 0;
    for (int k = 0; k < g->fg.n; k++) {
        g->stroke8[k + 1] = (uint8_t)(g->fg.cc[k].stroke & 0xFF);
        smax = g->stroke8[k + 1] > smax ? g->stroke8[k + 1] : smax;
    }
    /* pass 1: the reach of each pixel's ring over the text contour, and the
     * merge marks (where it meets two text components) */
    /* (in the byte contour distances: each pixel's is read by itself only,
     * before; unused when the 16-bit ones serve) */
    uint8_t *reach_of = g->cdist8;
    const layer *L = &g->Lc;
    g->Lc.m = g->ov;
    g->Lc.bit = CONTOUR;
    if (L->bits)
        layer_pack(&g->Lc);
    /* an upper bound of every ring's reach, per tile: the widest stroke of
     * the text components whose box grown by smax (no ring over the
     * contour that pass 1 searches is wider, where it is not clamped)
     * meets the tile */
    int tw = ((w - 1) >> REACH_TILE) + 1, th = ((h - 1) >> REACH_TILE) + 1;
    DB_TRY(db_buf_grow(ctx, &g->tile_reach, &g->cap_tile_reach, (size_t)tw * th, 1, false));
    memset(g->tile_reach, 0, (size_t)tw * th);
    for (int k = 0; k < g->fg.n; k++) {
        const db_cc *c = &g->fg.cc[k];
        int x0 = (c->x0 - smax < 0 ? 0 : c->x0 - smax) >> REACH_TILE;
        int x1 = (c->x1 + smax > w - 1 ? w - 1 : c->x1 + smax) >> REACH_TILE;
        int y0 = (c->y0 - smax < 0 ? 0 : c->y0 - smax) >> REACH_TILE;
        int y1 = (c->y1 + smax > h - 1 ? h - 1 : c->y1 + smax) >> REACH_TILE;
        for (int ty = y0; ty <= y1; ty++)
            for (int tx = x0; tx <= x1; tx++) {
                uint8_t *t = &g->tile_reach[(size_t)ty * tw + tx];
                *t = g->stroke8[k + 1] > *t ? g->stroke8[k + 1] : *t;
            }
    }
    /* (this pass and the next, in any order: by runs, in raster order,
     * the pixels a pass visits flagged a row at a time without a branch,
     * and taken 64 at a time) */
    DB_TRY(db_buf_grow(ctx, &g->rowflag, &g->cap_rowflag, (size_t)w, 1, false));
    uint8_t *fl = g->rowflag;
    int limit = lazy ? smax : 255; /* no reach beyond (PW = 1 there) */
    for (size_t r = 0, fy = SIZE_MAX; r < g->bgcc.nruns; r++) {
        const db_ccrun *run = &g->bgcc.runs[r];
        const db_cc *c = &g->bgcc.cc[run->lab - 1];
        size_t i0 = (size_t)run->y * w;
        if (fy != (size_t)run->y) { /* the pixels with a distance, within the limit */
            fy = (size_t)run->y;
            const uint8_t *D = g->D + i0;
            uint8_t *ro = reach_of + i0;
            for (int x = 0; x < w; x++) {
                bool far = has_dist(D[x]) && D[x] > limit;
                fl[x] = has_dist(D[x]) && !far;
                ro[x] = far ? NO_REACH : ro[x];
            }
        }
        for (int x0 = run->x0; x0 <= run->x1; x0 += 64) {
            int len = run->x1 - x0 + 1 < 64 ? run->x1 - x0 + 1 : 64;
            const uint8_t *tr = g->tile_reach + (size_t)(run->y >> REACH_TILE) * tw;
            for (uint64_t v = db_pack_bits64(fl + x0, len, 1); v; v &= v - 1) {
                int x = x0 + __builtin_ctzll(v), reach, nr, y = run->y, d = g->D[i0 + (size_t)x];
                uint32_t i = (uint32_t)(i0 + (size_t)x);
                bool adjacent;
                /* farther than any reach (its ring at radius D, in the box;
                 * D not truncated from a 16-bit distance): PW = 0 and no
                 * merge either way */
                if ((lazy && d > tr[x >> REACH_TILE] && x - d >= c->x0 && x + d <= c->x1 &&
                     y - d >= c->y0 && y + d <= c->y1 && contour_dist_at(g, i) == (unsigned)d) ||
                    !merge_ring(g, L, c, i, x, y, &reach, &adjacent)) {
                    reach_of[i] = NO_REACH;
                    continue;
                }
                reach_of[i] = (uint8_t)reach;
                if (g->D[i] > reach || !adjacent)
                    continue;
                if ((nr = lazy ? nr_final(ctx, &z, c, i) : g->NR[i]) < 0)
                    return DB_ENOMEM;
                if (g->isqrt[nr] & 0xFF) /* the reference keeps NP in a byte */
                    g->ov[i] |= MARK;
            }
        }
    }
    /* pass 2: NP = the merge gap where a mark lies within (reach - D), else
     * the reach; "a mark in the clamped square of radius r" is "the
     * chessboard distance to the nearest mark is at most r"; r < 255, so
     * the byte distances (saturating at 255) answer exactly; in the text
     * labels' plane, free after pass 1 (the skeleton distances are still
     * read: nr_final finds first rings from them) */
    uint8_t *mdist = (uint8_t *)g->fg.labels;
    db_chebyshev_dt8(g->ov, MARK, w, h, mdist);
    /* the fast path: the final NR where it is used, all before pw (which
     * holds the raw values) is written */
    for (size_t r = 0, fy = SIZE_MAX; lazy && r < g->bgcc.nruns; r++) {
        const db_ccrun *run = &g->bgcc.runs[r];
        const db_cc *c = &g->bgcc.cc[run->lab - 1];
        size_t i0 = (size_t)run->y * w;
        if (fy != (size_t)run->y) { /* the pixels merging a gap */
            fy = (size_t)run->y;
            const uint8_t *D = g->D + i0, *ro = reach_of + i0, *md = mdist + i0;
            for (int x = 0; x < w; x++)
                fl[x] = has_dist(D[x]) && ro[x] != NO_REACH && ro[x] > D[x] &&
                        md[x] <= (uint8_t)(ro[x] - D[x]);
        }
        for (int x0 = run->x0; x0 <= run->x1; x0 += 64) {
            int len = run->x1 - x0 + 1 < 64 ? run->x1 - x0 + 1 : 64;
            for (uint64_t v = db_pack_bits64(fl + x0, len, 1); v; v &= v - 1)
                if (nr_final(ctx, &z, c, (uint32_t)(i0 + (size_t)(x0 + __builtin_ctzll(v)))) < 0)
                    return DB_ENOMEM;
        }
    }
    /* PW - 1 = D / NP where NP > 0, capped at 2; 0 elsewhere (the text has
     * no distance). NP is NR as a radius (NR accumulates an area), in a
     * byte. */
    for (size_t i = 0; i < n; i++) { /* branch-free: quot2[0] = 0 */
        if (!pw && !g->sum_res[i])
            continue;
        int dp = g->D[i], reach = reach_of[i];
        bool weighted = has_dist(g->D[i]) && reach != NO_REACH && dp <= reach;
        int np = merging(dp, reach, mdist[i]) ? g->isqrt[g->NR[i]] : reach;
        unsigned npf = (unsigned)(np < reach ? np : reach) & 0xFF;
        float v = g->quot2[weighted ? (unsigned)dp * 256 + npf : 0];
        if (pw) {
            pw[i] = v;
            continue;
        }
        double one_plus = 1.0 + (double)v;
        g->sums.p_all += one_plus;
        if (g->gmask[i])
            g->sums.p_tp += one_plus;
    }
    return 0;
}

static int weights_ensure(db_ctx *ctx, int w, int h, db_weights *out)
{
    size_t n = (size_t)w * h;
    if (!out->recall || !out->precision || (size_t)out->width * out->height < n) {
        float *r = db_plane_malloc(ctx, n, sizeof *r), *p = db_plane_malloc(ctx, n, sizeof *p);
        if (!r || !p) {
            db_free(r);
            db_free(p);
            return DB_ENOMEM;
        }
        db_free(out->recall);
        db_free(out->precision);
        out->recall = r;
        out->precision = p;
    }
    out->width = w;
    out->height = h;
    return 0;
}

/* The maps of gt into out (result NULL), or their sums over result into
 * *sums (out's work only). */
static int weights_generate(db_ctx *ctx, const db_image *gt, bool ref, db_weights *out,
                            const db_image *result, db_pf_sums *sums)
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
    gen *g = NULL;
    size_t n = (size_t)gt->width * gt->height;
    int rc = gen_get(ctx, out, &g);
    if (!rc)
        rc = db_buf_grow(ctx, &g->gmask, &g->cap_gmask, n, 1, true);
    if (!rc)
        rc = db_mask_fill(ctx, gt, true, "weights", g->gmask, &mask);
    if (!rc)
        g->sum_res = NULL;
    if (!rc && result) {
        db_mask r;
        rc = db_buf_grow(ctx, &g->rmask, &g->cap_rmask, n, 1, true);
        if (!rc)
            rc = db_mask_fill(ctx, result, false, "metrics: result", g->rmask, &r);
        g->sum_res = g->rmask;
        g->sums = (db_pf_sums){0.0, 0.0, 0.0, 0.0};
    } else if (!rc) {
        rc = weights_ensure(ctx, gt->width, gt->height, out);
    }
    if (!rc) {
        g->w = gt->width;
        g->h = gt->height;
        g->n = (size_t)g->w * g->h;
        g->sc.L.bits = !ref;
        rc = gen_alloc(ctx, g);
    }
    if (!rc)
        rc = gen_recall(ctx, g, &mask, result ? NULL : out->recall);
    if (!rc)
        rc = gen_precision(ctx, g, result ? NULL : out->precision);
    if (!rc && result)
        *sums = g->sums;
    if (rc == DB_ENOMEM)
        return db_fail(ctx, rc, "weights: out of memory for %dx%d", gt->width, gt->height);
    return rc;
}

int db_weights_generate(db_ctx *ctx, const db_image *gt, db_weights *out)
{
    return weights_generate(ctx, gt, false, out, NULL, NULL);
}

int db_weights_generate_ref(db_ctx *ctx, const db_image *gt, db_weights *out)
{
    return weights_generate(ctx, gt, true, out, NULL, NULL);
}

int db_weights_pf_sums(db_ctx *ctx, const db_image *gt, const db_image *result, db_weights *work,
                       db_pf_sums *out)
{
    if (!result || !out)
        return db_fail(ctx, DB_EINVAL, "weights: missing result or output");
    return weights_generate(ctx, gt, false, work, result, out);
}
