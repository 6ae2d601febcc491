/* skeleton.c - the raster tools behind the weight maps and MPM: 8-connected
 * labelling, thinning (Zhang-Suen 1984 + Lee-Chen 1992 Table 1, as the
 * official BinEvalWeights; and MATLAB's bwmorph 'thin', Lam-Lee-Suen 1992, for
 * the H-DIBCO 2010 skeleton pseudo-FM), chessboard and Euclidean distance
 * transforms. Used by weights.c, pfmeasure.c and mpm.c.
 */
#include "metrics_internal.h"

#include <math.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__linux__)
#include <sys/mman.h>
#endif

/* ---- per-pixel planes ----
 * A 3000x4000 page needs a few hundred MB of planes, touched once each. With
 * 4 KB pages that is ~100k page faults per call, about a third of the run
 * time on our VM; asking for transparent huge pages (Linux, madvise mode)
 * cuts the faults ~15x (measured: 228k -> 15k faults, 1.6 -> 0.65 s of
 * system time for weights plus scoring of one page). Only the advice is
 * platform-specific; the memory is ordinary db_malloc memory. */
enum { HUGE_ADVICE_MIN = 4 << 20 };

static void *advise_huge(void *p, size_t bytes)
{
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (p && bytes >= HUGE_ADVICE_MIN) {
        uintptr_t lo = ((uintptr_t)p + 4095) & ~(uintptr_t)4095;
        uintptr_t hi = ((uintptr_t)p + bytes) & ~(uintptr_t)4095;
        if (hi > lo)
            (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE); /* advice only */
    }
#else
    (void)bytes;
#endif
    return p;
}

void *db_plane_malloc(db_ctx *ctx, size_t count, size_t size)
{
    size_t bytes;
    if (!db_mul_size(count ? count : 1, size, &bytes))
        return db_calloc(ctx, count, size); /* fails with the overflow message */
    return advise_huge(db_malloc(ctx, bytes), bytes);
}

void *db_plane_calloc(db_ctx *ctx, size_t count, size_t size)
{
    count = count ? count : 1;
    return advise_huge(db_calloc(ctx, count, size), count * size);
}

/* ---- bit packing ---- */

uint64_t db_pack_bits64_ref(const uint8_t *p, int n, uint8_t bit)
{
    uint64_t v = 0;
    for (int k = 0; k < n; k++)
        v |= (uint64_t)((p[k] & bit) != 0) << k;
    return v;
}

uint64_t db_pack_bits64(const uint8_t *p, int n, uint8_t bit)
{
#if defined(__SSE2__)
    if (n == 64) {
        const __m128i b = _mm_set1_epi8((char)bit), z = _mm_setzero_si128();
        uint64_t v = 0;
        for (int k = 0; k < 4; k++) {
            __m128i x = _mm_and_si128(_mm_loadu_si128((const __m128i *)(p + 16 * k)), b);
            /* movemask of (x == 0): the clear bytes; inverted below */
            v |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, z)) << (16 * k);
        }
        return ~v;
    }
#endif
    return db_pack_bits64_ref(p, n, bit);
}

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
    db_free(s->parent);
    db_free(s->aux);
    db_free(s->runs);
    memset(s, 0, sizeof *s);
}

int db_room_for_one(db_ctx *ctx, void *buf, size_t *cap, size_t n, size_t elem, size_t first)
{
    if (n < *cap)
        return 0;
    void **b = (void **)buf;
    size_t ncap = *cap ? 2 * *cap : first;
    void *p = db_realloc(ctx, *b, ncap * elem);
    if (!p)
        return DB_ENOMEM;
    *b = p;
    *cap = ncap;
    return 0;
}

int db_buf_grow(db_ctx *ctx, void *buf, size_t *cap, size_t need, size_t elem, bool plane)
{
    void **b = (void **)buf;
    need = need ? need : 1;
    if (*b && *cap >= need)
        return 0;
    db_free(*b);
    *cap = 0;
    *b = plane ? db_plane_malloc(ctx, need, elem) : db_malloc(ctx, need * elem);
    if (!*b)
        return DB_ENOMEM;
    *cap = need;
    return 0;
}

/* Appends the runs of (row[x] == value) of row y to s->runs[*nr...],
 * growing the buffer (doubling) as needed. */
static int row_runs(db_ctx *ctx, const uint8_t *row, uint8_t value, int w, int y, db_ccset *s,
                    size_t *nr)
{
    int x = 0;
    while (x < w) {
        while (x < w && row[x] != value)
            x++;
        if (x >= w)
            break;
        int x0 = x;
        while (x < w && row[x] == value)
            x++;
        DB_TRY(db_room_for_one(ctx, &s->runs, &s->cap_runs, *nr, sizeof *s->runs, 4096));
        s->runs[(*nr)++] = (db_ccrun){y, x0, x - 1, 0};
    }
    return 0;
}

/* Run-based two-pass labelling: the runs of each row, joined by union-find
 * to the runs of the row above that touch them 8-connectedly (overlap or
 * meet diagonally); components are then numbered in raster order of their
 * first run, which is the raster order of their first pixel. */
/* Labels [from, to) of s's plane = L. */
static void label_fill(db_ccset *s, size_t from, size_t to, uint32_t L)
{
    if (s->label_bytes == 2) {
        uint16_t *p = s->labels;
        for (size_t i = from; i < to; i++)
            p[i] = (uint16_t)L;
    } else {
        uint32_t *p = s->labels;
        for (size_t i = from; i < to; i++)
            p[i] = L;
    }
}

int db_cc_label(db_ctx *ctx, const uint8_t *m, uint8_t value, int w, int h, bool with_labels,
                db_ccset *out)
{
    out->n = 0;
    out->nruns = 0;
    size_t n = (size_t)w * (size_t)h, nr = 0;
    for (int y = 0; y < h; y++)
        DB_TRY(row_runs(ctx, m + (size_t)y * w, value, w, y, out, &nr));
    DB_TRY(db_buf_grow(ctx, &out->parent, &out->cap_parent, nr, sizeof *out->parent, false));
    DB_TRY(db_buf_grow(ctx, &out->aux, &out->cap_aux, nr, sizeof *out->aux, false));
    uint32_t *parent = out->parent, *final = out->aux;
    db_ccrun *runs = out->runs;
    for (size_t k = 0; k < nr; k++)
        parent[k] = (uint32_t)k;
    /* pass 1: union each run with the runs of the row above touching it */
    size_t a = 0; /* first run of the row above */
    for (size_t k = 0; k < nr;) {
        int y = runs[k].y;
        size_t e = k;
        while (e < nr && runs[e].y == y)
            e++;
        /* the row above: runs a .. k-1 when they lie on row y - 1 */
        size_t pa = a, pe = k;
        if (pa < pe && runs[pa].y != y - 1)
            pa = pe; /* an empty row between: nothing touches */
        size_t j = pa;
        for (size_t c = k; c < e; c++) {
            int x0 = runs[c].x0 - 1, x1 = runs[c].x1 + 1;
            while (j < pe && runs[j].x1 < x0)
                j++;
            for (size_t t = j; t < pe && runs[t].x0 <= x1; t++)
                uf_union(parent, (uint32_t)c, (uint32_t)t);
        }
        a = k;
        k = e;
    }
    /* pass 2: final ids in raster order of each component's first run */
    int ncc = 0;
    for (size_t k = 0; k < nr; k++) {
        uint32_t r = uf_find(parent, (uint32_t)k);
        final[k] = r == k ? (uint32_t)++ncc : final[r]; /* a root precedes its set */
        runs[k].lab = final[k];
    }
    DB_TRY(db_buf_grow(ctx, &out->cc, &out->cap_cc, (size_t)ncc + 1, sizeof *out->cc, false));
    DB_TRY(db_buf_grow(ctx, &out->start, &out->cap_start, (size_t)ncc + 2, sizeof *out->start, false));
    memset(out->cc, 0, ((size_t)ncc + 1) * sizeof *out->cc);
    memset(out->start, 0, ((size_t)ncc + 2) * sizeof *out->start);
    /* labels (in 16 bits while they fit: half the plane), boxes, counts */
    out->label_bytes = ncc <= UINT16_MAX ? 2 : 4;
    if (with_labels)
        DB_TRY(db_buf_grow(ctx, &out->labels, &out->cap_labels, n * (size_t)out->label_bytes, 1,
                           true));
    size_t k = 0;
    for (int y = 0; y < h; y++) {
        size_t row = (size_t)y * w, x = 0;
        for (; k < nr && runs[k].y == y; k++) {
            const db_ccrun *r = &runs[k];
            int L = (int)r->lab;
            if (with_labels) {
                label_fill(out, row + x, row + (size_t)r->x0, 0);
                label_fill(out, row + (size_t)r->x0, row + (size_t)r->x1 + 1, r->lab);
                x = (size_t)r->x1 + 1;
            }
            db_cc *c = &out->cc[L - 1];
            if (!c->count) {
                c->seedx = c->x0 = c->x1 = r->x0;
                c->seedy = c->y0 = c->y1 = y;
            }
            c->count += r->x1 - r->x0 + 1;
            if (r->x0 < c->x0)
                c->x0 = r->x0;
            if (r->x1 > c->x1)
                c->x1 = r->x1;
            c->y1 = y;
            out->start[L]++;
        }
        if (with_labels)
            label_fill(out, row + x, row + (size_t)w, 0);
    }
    for (int c = 1; c <= ncc; c++)
        out->start[c] += out->start[c - 1];
    DB_TRY(db_buf_grow(ctx, &out->order, &out->cap_order, nr, sizeof *out->order, false));
    /* counting sort of the runs by component, raster order kept: pos = next
     * slot of each component (final is free again: nr >= ncc entries) */
    uint32_t *pos = final;
    memcpy(pos, out->start, (size_t)ncc * sizeof *pos);
    for (k = 0; k < nr; k++)
        out->order[pos[runs[k].lab - 1]++] = (uint32_t)k;
    out->n = ncc;
    out->nruns = nr;
    return 0;
}

/* ---- thinning ---- */

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

void db_thin_work_free(db_thin_work *work)
{
    if (!work)
        return;
    db_free(work->dead);
    for (int k = 0; k < 3; k++)
        db_free(work->words[k]);
    db_free(work->pend);
    for (int k = 0; k < 2; k++)
        db_free(work->wide[k]);
    memset(work, 0, sizeof *work);
}

int db_thin_work_wide(db_ctx *ctx, db_thin_work *work, size_t ntiles)
{
    for (int k = 0; k < 2; k++)
        DB_TRY(db_buf_grow(ctx, &work->wide[k], &work->cap_wide[k], ntiles, 32, false));
    return 0;
}

/* ---- both thinnings on 8x8 tiles ----
 * The layer is packed as 8x8 tiles, one 64-bit word each (bit 8r + c =
 * row r, column c of the tile), with a ring of zero tiles around the image,
 * so every tile has 8 readable neighbour tiles (no border tests); bits past
 * the width or height stay 0. A sub-iteration decides 64 pixels at once:
 * the eight neighbour masks come from shifts of the 3x3 tiles, and the rule
 * (Zhang-Suen: 2 <= B <= 6, exactly one 0->1 transition, two corner
 * products; Lam-Lee-Suen: crossing number 1, 2 <= min(n1, n2) <= 3, one
 * corner condition) is a few dozen logic operations. Only tiles that may
 * change are visited: a pixel that survived a rule keeps surviving it until
 * a neighbour changes, so each tile carries one "test me" flag per rule, set
 * at the start and on the tiles holding a neighbour of a deleted pixel,
 * cleared when the tile survives that rule; decisions are made for all
 * listed tiles before any deletion is applied, so the result is the
 * full-image parallel algorithm, in time linear in the tiles that change.
 * Square tiles, not 64-pixel rows: a front of deletions moving sideways
 * (the gaps between glyphs) costs a row word per pixel deleted, a tile per
 * eight. For Zhang-Suen, the Lee-Chen pass then walks the remaining pixels
 * in raster order, deleting in place, on the tiles. Only deleted pixels are
 * written back to the byte layer. */
typedef struct tplane {
    size_t TW;   /* tiles per tile row: (w + 7) / 8 + 2 */
    int w, h;    /* image size; tile rows 0 .. (h + 7) / 8 + 1 */
    uint64_t *t; /* TW * tile rows words */
} tplane;

#define TILE_COL0 0x0101010101010101ull
#define TILE_COL7 0x8080808080808080ull

/* a's pixels moved one column left (each gets its east neighbour's bit),
 * column 7 from right's column 0; and one column right */
static inline uint64_t from_east(uint64_t a, uint64_t right)
{
    return ((a >> 1) & ~TILE_COL7) | ((right & TILE_COL0) << 7);
}

static inline uint64_t from_west(uint64_t a, uint64_t left)
{
    return ((a << 1) & ~TILE_COL0) | ((left & TILE_COL7) >> 7);
}

/* The eight neighbour masks of tile ti, clockwise from north: n[0] = N,
 * n[1] = NE, n[2] = E, n[3] = SE, n[4] = S, n[5] = SW, n[6] = W, n[7] = NW
 * (bit k of n[d] = the neighbour d of the tile's pixel k). */
static inline void tile_neighbours(const tplane *P, size_t ti, uint64_t n[8])
{
    const uint64_t *mid = P->t + ti, *up = mid - P->TW, *dn = mid + P->TW;
    uint64_t cur = mid[0], l = mid[-1], r = mid[1];
    /* the north (south) neighbours of the tile and of those left and right */
    uint64_t nc = (cur << 8) | (up[0] >> 56), nl = (l << 8) | (up[-1] >> 56),
             nr = (r << 8) | (up[1] >> 56);
    uint64_t sc = (cur >> 8) | (dn[0] << 56), sl = (l >> 8) | (dn[-1] << 56),
             sr = (r >> 8) | (dn[1] << 56);
    n[0] = nc;
    n[1] = from_east(nc, nr);
    n[2] = from_east(cur, r);
    n[3] = from_east(sc, sr);
    n[4] = sc;
    n[5] = from_west(sc, sl);
    n[6] = from_west(cur, l);
    n[7] = from_west(nc, nl);
}

/* Zhang-Suen: the 64 deletion decisions of tile ti for sub-iteration sub. */
static inline uint64_t zs_word(const tplane *P, size_t ti, int sub)
{
    uint64_t cur = P->t[ti];
    if (!cur)
        return 0;
    uint64_t nb[9];
    tile_neighbours(P, ti, nb);
    nb[8] = nb[0];
    /* ones >= 2 and zeros >= 2 (B in 2..6); transitions: exactly one */
    uint64_t o1 = 0, o2 = 0, z1 = 0, z2 = 0, t1 = 0, t2 = 0;
    for (int k = 0; k < 8; k++) {
        uint64_t v = nb[k], t = ~v & nb[k + 1];
        o2 |= o1 & v;
        o1 |= v;
        z2 |= z1 & ~v;
        z1 |= ~v;
        t2 |= t1 & t;
        t1 |= t;
    }
    uint64_t p2 = nb[0], p4 = nb[2], p6 = nb[4], p8 = nb[6];
    uint64_t keep_corner = sub == 1 ? (p2 & p4 & p6) | (p4 & p6 & p8)
                                    : (p2 & p4 & p8) | (p2 & p6 & p8);
    return cur & o2 & z2 & t1 & ~t2 & ~keep_corner;
}

/* Lam-Lee-Suen (MATLAB's 'thin'): the same for its rules. Their x1..x8 run
 * counter-clockwise from east: x1 = E, x2 = NE, x3 = N, x4 = NW, x5 = W,
 * x6 = SW, x7 = S, x8 = SE (x9 = x1). */
static inline uint64_t lls_word(const tplane *P, size_t ti, int sub)
{
    uint64_t cur = P->t[ti];
    if (!cur)
        return 0;
    uint64_t nb[8], x[10];
    tile_neighbours(P, ti, nb);
    static const int from[8] = {2, 1, 0, 7, 6, 5, 4, 3}; /* x(k+1) = nb[from[k]] */
    for (int k = 0; k < 8; k++)
        x[k + 1] = nb[from[k]];
    x[9] = x[1];
    /* crossing number X_H: exactly one of b_i = !x(2i-1) & (x(2i) | x(2i+1));
     * n1, n2: how many of x(2k-1) | x(2k), of x(2k) | x(2k+1), k = 1..4:
     * min(n1, n2) in 2..3 = both at least 2, not both 4 */
    uint64_t b1 = 0, b2 = 0, c1 = 0, c2 = 0, c4 = ~0ull, d1 = 0, d2 = 0, d4 = ~0ull;
    for (int i = 1; i <= 4; i++) {
        uint64_t b = ~x[2 * i - 1] & (x[2 * i] | x[2 * i + 1]);
        uint64_t c = x[2 * i - 1] | x[2 * i], d = x[2 * i] | x[2 * i + 1];
        b2 |= b1 & b;
        b1 |= b;
        c2 |= c1 & c;
        c1 |= c;
        c4 &= c;
        d2 |= d1 & d;
        d1 |= d;
        d4 &= d;
    }
    uint64_t corner = sub == 1 ? (x[2] | x[3] | ~x[8]) & x[1] : (x[6] | x[7] | ~x[4]) & x[5];
    return cur & b1 & ~b2 & c2 & d2 & ~(c4 & d4) & ~corner;
}

/* 8-neighbour code (bit 0 = N, 1 = NE, 2 = E, 3 = SE, 4 = S, 5 = SW, 6 = W,
 * 7 = NW) of pixel (x, y); neighbours outside the image read the zero ring. */
static inline unsigned pcode(const tplane *P, int x, int y)
{
#define PBIT(dy, dx)                                                                               \
    ((unsigned)(P->t[(size_t)((y + (dy) + 8) >> 3) * P->TW + (size_t)((x + (dx) + 8) >> 3)] >>   \
                (((y + (dy) + 8) & 7) * 8 + ((x + (dx) + 8) & 7))) &                              \
     1u)
    return PBIT(-1, 0) | PBIT(-1, 1) << 1 | PBIT(0, 1) << 2 | PBIT(1, 1) << 3 | PBIT(1, 0) << 4 |
           PBIT(1, -1) << 5 | PBIT(0, -1) << 6 | PBIT(-1, -1) << 7;
#undef PBIT
}

/* Runs body with (x, y) set to the pixel of each set bit of word v of tile ti. */
#define FOR_TILE_BITS(P, ti, v, x, y, body)                                                        \
    do {                                                                                           \
        int ty_ = (int)((ti) / (P)->TW) - 1, tx_ = (int)((ti) % (P)->TW) - 1;                      \
        for (uint64_t b_ = (v); b_; b_ &= b_ - 1) {                                                \
            int k_ = __builtin_ctzll(b_), x = tx_ * 8 + (k_ & 7), y = ty_ * 8 + (k_ >> 3);         \
            body;                                                                                  \
        }                                                                                          \
    } while (0)

/* Table 1: sequential raster passes in place over the pixels left, to a
 * fixed point. Only the tiles holding pixels are listed (in live: room
 * for every tile). A tile row's byte is read when the pass reaches it: its
 * later bits are still as they were (only visited pixels are deleted), so
 * its bits are the pixels the pass visits there, in raster order. */
static void lee_chen_passes(tplane *P, uint32_t *live)
{
    size_t nlive = 0, nw = P->TW * (((size_t)P->h + 7) / 8 + 2);
    for (size_t ti = 0; ti < nw; ti++)
        if (P->t[ti])
            live[nlive++] = (uint32_t)ti;
    for (bool removed = true; removed;) {
        removed = false;
        for (size_t a = 0, e; a < nlive; a = e) { /* the tiles of one tile row */
            size_t trow = live[a] / P->TW;
            for (e = a; e < nlive && live[e] / P->TW == trow; e++)
                ;
            int y0 = (int)(trow - 1) * 8, y1 = y0 + 8 < P->h ? y0 + 8 : P->h;
            for (int y = y0; y < y1; y++) {
                int sh = (y & 7) * 8;
                for (size_t q = a; q < e; q++) {
                    uint64_t *t = P->t + live[q];
                    int x0 = (int)(live[q] - trow * P->TW - 1) * 8;
                    for (unsigned v = (unsigned)(*t >> sh) & 0xFF; v; v &= v - 1) {
                        int k = __builtin_ctz(v);
                        unsigned c = pcode(P, x0 + k, y);
                        if ((lee_chen_delete[c >> 6] >> (c & 63)) & 1) {
                            *t &= ~(1ull << (sh + k));
                            removed = true;
                        }
                    }
                }
            }
        }
    }
}

/* The eight bits of g as eight bytes, 0xFF where set (no carries: the
 * nibble's copies are 7 bits apart, each 4 bits wide). */
static inline uint64_t byte_mask8(unsigned g)
{
    uint64_t lo = ((g & 15u) * 0x00204081ull) & 0x01010101ull;
    uint64_t hi = ((g >> 4) * 0x00204081ull) & 0x01010101ull;
    return (lo | hi << 32) * 0xFF;
}

/* Clears `bit` in m where a pixel of orig is gone from P: a tile row at
 * a time (eight image rows in cache), eight bytes per tile row byte. */
static void write_back(const tplane *P, const uint64_t *orig, uint8_t *m, uint8_t bit)
{
    int w = P->w;
    uint64_t clear = (uint64_t)bit * 0x0101010101010101ull;
    for (int ty = 0; ty * 8 < P->h; ty++) {
        size_t t0 = (size_t)(ty + 1) * P->TW + 1;
        for (int tx = 0; tx * 8 < w; tx++) {
            uint64_t gone = orig[t0 + tx] & ~P->t[t0 + tx];
            for (int r = 0; gone; r++, gone >>= 8) {
                unsigned g = (unsigned)gone & 0xFF;
                if (!g)
                    continue;
                uint8_t *px = m + (size_t)(ty * 8 + r) * w + tx * 8;
                if (tx * 8 + 8 <= w) {
                    uint64_t v;
                    memcpy(&v, px, 8);
                    v &= ~(byte_mask8(g) & clear);
                    memcpy(px, &v, 8);
                } else {
                    for (; g; g &= g - 1)
                        px[__builtin_ctz(g)] &= (uint8_t)~bit;
                }
            }
        }
    }
}

/* Thins the bit layer of m: Zhang-Suen then Lee-Chen (zs), or Lam-Lee-Suen. */
static int thin_packed(db_ctx *ctx, uint8_t *m, uint8_t bit, int w, int h, uint16_t *when,
                       db_thin_work *work, bool zs)
{
    size_t TH = ((size_t)h + 7) / 8 + 2;
    tplane P = {.TW = ((size_t)w + 7) / 8 + 2, .w = w, .h = h};
    size_t nw = P.TW * TH, nb = (nw + 63) / 64;
    DB_TRY(db_buf_grow(ctx, &work->words[0], &work->cap_words[0], nw, sizeof(uint64_t), false));
    DB_TRY(db_buf_grow(ctx, &work->words[1], &work->cap_words[1], nw, sizeof(uint64_t), false));
    DB_TRY(db_buf_grow(ctx, &work->words[2], &work->cap_words[2], nw, sizeof(uint64_t), false));
    DB_TRY(db_buf_grow(ctx, &work->pend, &work->cap_pend, 2 * nb * sizeof(uint64_t), 1, false));
    DB_TRY(db_buf_grow(ctx, &work->dead, &work->cap_dead, nw, sizeof(uint32_t), false));
    P.t = work->words[0];
    uint64_t *orig = work->words[1], *dels = work->words[2];
    /* the "test me" flags: bit ti of pend[0 .. nb) for the first rule, of
     * pend[nb .. 2nb) for the second; scanned in raster order, so the
     * tiles a sub-iteration visits are read in memory order */
    uint64_t *pend = (uint64_t *)(void *)work->pend;
    uint32_t *dead = work->dead;
    memset(P.t, 0, nw * sizeof *P.t);
    memset(pend, 0, 2 * nb * sizeof *pend);
    if (when)
        memset(when, 0, (size_t)w * h * sizeof *when);
    /* 64 pixels of a row pack to a word whose bytes are row y & 7 of 8 tiles */
    for (int y = 0; y < h; y++) {
        const uint8_t *src = m + (size_t)y * w;
        uint64_t *trow = P.t + (size_t)((y >> 3) + 1) * P.TW + 1;
        int sh = (y & 7) * 8;
        for (int x0 = 0; x0 < w; x0 += 64) {
            uint64_t v = db_pack_bits64(src + x0, w - x0 < 64 ? w - x0 : 64, bit);
            for (int k = 0; v; k++, v >>= 8)
                trow[(x0 >> 3) + k] |= (v & 0xFF) << sh;
        }
    }
    memcpy(orig, P.t, nw * sizeof *orig);
    /* the parallel sub-iterations on 16x16 tiles where AVX2 runs (thin_avx2.c) */
    bool wide = db_ctx_resolved_isa(ctx) >= DB_ISA_AVX2;
    if (wide)
        DB_TRY(db_thin_wide_avx2(ctx, zs, P.t, P.TW, w, h, when, work));
    /* every tile with pixels is tested first, but a full tile amid full
     * tiles (most of a page's background): no pixel of it has a 0 neighbour,
     * which both rules need, until a neighbour tile changes */
    for (size_t ti = P.TW; !wide && ti < nw - P.TW; ti++) {
        const uint64_t *t = P.t + ti, *u = t - P.TW, *d = t + P.TW;
        if (!t[0] || (~(t[-1] & t[0] & t[1] & u[-1] & u[0] & u[1] & d[-1] & d[0] & d[1])) == 0)
            continue;
        db_thin_flag(pend, nb, ti);
    }
    uint16_t step = 0;
    for (bool changed = !wide; changed;) {
        changed = false;
        for (int sub = 1; sub <= 2; sub++) {
            uint64_t *pb = pend + (sub == 1 ? 0 : nb);
            size_t ndead = 0;
            for (size_t b = 0; b < nb; b++)
                for (uint64_t v = pb[b]; v; v &= v - 1) {
                    int k = __builtin_ctzll(v);
                    uint32_t ti = (uint32_t)(b * 64 + (size_t)k);
                    uint64_t del = zs ? zs_word(&P, ti, sub) : lls_word(&P, ti, sub);
                    /* branch-free (about half the tiles delete): listed
                     * when they delete, unflagged when they survive */
                    dels[ndead] = del;
                    dead[ndead] = ti;
                    ndead += del != 0;
                    pb[b] &= ~((uint64_t)(del == 0) << k);
                }
            /* steps count every sub-iteration: odd = first, even = second */
            if (step < UINT16_MAX - 1)
                step++;
            changed |= ndead > 0;
            for (size_t k = 0; k < ndead; k++) {
                P.t[dead[k]] &= ~dels[k];
                if (when)
                    FOR_TILE_BITS(&P, dead[k], dels[k], x, y, when[(size_t)y * w + x] = step);
            }
            /* the tiles holding a neighbour of a deleted pixel are tested
             * again by both rules: the tile, and each tile beside it that
             * borders a deleted pixel (zero-ring tiles hold no pixel: never
             * flagged) */
            for (size_t k = 0; k < ndead; k++) {
                uint64_t d = dels[k];
                int r0 = (d & 0xFFull) ? -1 : 0, r1 = (d >> 56) ? 1 : 0;
                int c0 = (d & TILE_COL0) ? -1 : 0, c1 = (d & TILE_COL7) ? 1 : 0;
                for (int dr = r0; dr <= r1; dr++)
                    for (int dc = c0; dc <= c1; dc++) {
                        size_t j = dead[k] + (size_t)((ptrdiff_t)dr * (ptrdiff_t)P.TW + dc);
                        if (P.t[j]) {
                            db_thin_flag(pend, nb, j);
                        }
                    }
            }
        }
    }
    if (zs)
        lee_chen_passes(&P, dead);
    write_back(&P, orig, m, bit);
    return 0;
}

int db_thin_lee_chen(db_ctx *ctx, uint8_t *m, uint8_t bit, int w, int h, uint16_t *when,
                     db_thin_work *work)
{
    db_thin_work own = {0};
    int rc = thin_packed(ctx, m, bit, w, h, when, work ? work : &own, true);
    db_thin_work_free(&own);
    return rc;
}

int db_thin_matlab(db_ctx *ctx, uint8_t *m, int w, int h, db_thin_work *work)
{
    db_thin_work own = {0};
    int rc = thin_packed(ctx, m, 1, w, h, NULL, work ? work : &own, false);
    db_thin_work_free(&own);
    return rc;
}

/* ---- reference thinning: the definitions, one full-image pass per step ---- */

/* 8-neighbour code of (x, y) in the `bit` layer (bit 0 = N ... 7 = NW, as
 * pcode); out-of-image neighbours read 0. */
static unsigned ref_code(const uint8_t *m, uint8_t bit, int w, int h, int x, int y)
{
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

int db_thin_ref(db_ctx *ctx, uint8_t *m, uint8_t bit, int w, int h, bool lee_chen, uint16_t *when)
{
    size_t n = (size_t)w * h;
    uint8_t *del = db_plane_calloc(ctx, n, 1);
    if (!del)
        return DB_ENOMEM;
    if (when)
        memset(when, 0, n * sizeof *when);
    uint16_t step = 0;
    for (bool changed = true; changed;) {
        changed = false;
        for (int sub = 1; sub <= 2; sub++) {
            /* parallel: decide every deletion on the unchanged image first */
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                    size_t i = (size_t)y * w + x;
                    unsigned a = ref_code(m, bit, w, h, x, y);
                    del[i] = (m[i] & bit) &&
                             (lee_chen ? zhang_suen_deletes(a, sub) : lam_lee_suen_deletes(a, sub));
                }
            if (step < UINT16_MAX - 1)
                step++;
            for (size_t i = 0; i < n; i++)
                if (del[i]) {
                    m[i] &= (uint8_t)~bit;
                    changed = true;
                    if (when)
                        when[i] = step;
                }
        }
    }
    db_free(del);
    /* Table 1: sequential raster passes in place */
    for (bool removed = lee_chen; removed;) {
        removed = false;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                size_t i = (size_t)y * w + x;
                unsigned a = ref_code(m, bit, w, h, x, y);
                if ((m[i] & bit) && ((lee_chen_delete[a >> 6] >> (a & 63)) & 1)) {
                    m[i] &= (uint8_t)~bit;
                    removed = true;
                }
            }
    }
    return 0;
}

/* ---- distance transforms ---- */

static inline uint16_t min16(uint16_t a, uint16_t b)
{
    return a < b ? a : b;
}

/* d + 1, with 0xFFFF (no feature) staying 0xFFFF */
static inline uint16_t inc16(uint16_t d)
{
    return (uint16_t)(d + (d != 0xFFFF));
}

static inline uint8_t min8(uint8_t a, uint8_t b)
{
    return a < b ? a : b;
}

/* d + 1, saturating at 0xFF */
static inline uint8_t inc8(uint8_t d)
{
    return (uint8_t)(d + (d != 0xFF));
}

#if defined(__SSE2__)
/* The chessboard passes on 16 bytes at a time: 8 cells of 16 bits or 16
 * of 8 bits. SSE2 (every x86-64) has the unsigned saturating adds that make
 * "+1 unless none" one instruction, the 8-bit unsigned min, and byte
 * shifts of the whole register; the 16-bit min is a - sat(a - b). */
#define VMIN16(a, b) _mm_sub_epi16((a), _mm_subs_epu16((a), (b)))
#define VSAT16(a, k) _mm_adds_epu16((a), (k))
#define VMIN8(a, b) _mm_min_epu8((a), (b))
#define VSAT8(a, k) _mm_adds_epu8((a), (k))
/* one step of the along-row scan: each cell takes min(itself, the cell
 * `lanes` before it + lanes), cells before the vector being none (all ones) */
#define STEP_UP(V, VMIN, VSAT, SET1, lanes, bytes)                                             \
    V = VMIN(V, VSAT(_mm_or_si128(_mm_slli_si128(V, (lanes) * (bytes)),                       \
                                  _mm_srli_si128(none, 16 - (lanes) * (bytes))),               \
                     SET1(lanes)))
#define STEP_DN(V, VMIN, VSAT, SET1, lanes, bytes)                                             \
    V = VMIN(V, VSAT(_mm_or_si128(_mm_srli_si128(V, (lanes) * (bytes)),                       \
                                  _mm_slli_si128(none, 16 - (lanes) * (bytes))),               \
                     SET1(lanes)))

/* Along-row min-plus scan of one vector: cell i becomes the min over the
 * cells j on its near side (j <= i for dir > 0, j >= i else) of v[j] +
 * |i - j|, and of carry + (its distance to the previous cell), saturating:
 * the sequential d[x] = min(d[x], d[x -/+ 1] + 1) on a whole vector, in
 * shift steps of 1, 2, 4 and 8 cells (for 8 cells of 16 bits the last step
 * shifts everything out: none + 8 changes nothing). UP and DN: the carry's
 * distances to the cells, left to right. */
#define CHEB_SCAN(SUF, T, VMIN, VSAT, SET1, BYTES, UP, DN)                                     \
    static inline __m128i scan##SUF(__m128i v, T carry, int dir)                                \
    {                                                                                           \
        const __m128i none = _mm_set1_epi8(-1), c = SET1((T)carry);                             \
        if (dir > 0) {                                                                          \
            STEP_UP(v, VMIN, VSAT, SET1, 1, BYTES);                                             \
            STEP_UP(v, VMIN, VSAT, SET1, 2, BYTES);                                             \
            STEP_UP(v, VMIN, VSAT, SET1, 4, BYTES);                                             \
            STEP_UP(v, VMIN, VSAT, SET1, 8, BYTES);                                             \
            return VMIN(v, VSAT(c, UP));                                                        \
        }                                                                                       \
        STEP_DN(v, VMIN, VSAT, SET1, 1, BYTES);                                                 \
        STEP_DN(v, VMIN, VSAT, SET1, 2, BYTES);                                                 \
        STEP_DN(v, VMIN, VSAT, SET1, 4, BYTES);                                                 \
        STEP_DN(v, VMIN, VSAT, SET1, 8, BYTES);                                                 \
        return VMIN(v, VSAT(c, DN));                                                            \
    }
#define SET1_16(v) _mm_set1_epi16((short)(v))
#define SET1_8(v) _mm_set1_epi8((char)(v))
CHEB_SCAN(16, uint16_t, VMIN16, VSAT16, SET1_16, 2, _mm_setr_epi16(1, 2, 3, 4, 5, 6, 7, 8),
          _mm_setr_epi16(8, 7, 6, 5, 4, 3, 2, 1))
CHEB_SCAN(8, uint8_t, VMIN8, VSAT8, SET1_8, 1,
          _mm_setr_epi8(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16),
          _mm_setr_epi8(16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1))
#define HAVE_CHEB_VECTORS 1
#else
#define HAVE_CHEB_VECTORS 0
#endif

/* One row of a pass, for cells of type T (NONE = no feature, saturating):
 * first the three cells of the previous row (nb, already final for this
 * pass; NULL on the first row), then the sequential run along the row in
 * direction dir. This is the classic two-pass 8-neighbour relaxation with
 * its operations regrouped: each cell still ends as min(own, three
 * previous-row cells + 1, preceding cell + 1). The vector loops do the same
 * on 16 bytes at a time; the scalar loops finish the row (and are the whole
 * row without SSE2). One template, instantiated for 16 and 8 bits. */
#define CHEB_ROW(SUF, T, NONE, VMIN, VSAT, SET1, SCAN)                                         \
    static void cheb_row##SUF(T *restrict d, const T *restrict nb, int w, int dir)             \
    {                                                                                           \
        enum { LANES = 16 / sizeof(T) };                                                        \
        if (nb) {                                                                               \
            d[0] = min##SUF(d[0], inc##SUF(min##SUF(nb[0], w > 1 ? nb[1] : NONE)));             \
            int x = 1;                                                                          \
            for (; HAVE_CHEB_VECTORS && x + LANES <= w - 1; x += LANES)                         \
                CHEB_ROW_PREV(VMIN, VSAT, SET1);                                             \
            for (; x < w - 1; x++)                                                              \
                d[x] = min##SUF(d[x], inc##SUF(min##SUF(min##SUF(nb[x - 1], nb[x]), nb[x + 1]))); \
            if (w > 1)                                                                          \
                d[w - 1] = min##SUF(d[w - 1], inc##SUF(min##SUF(nb[w - 2], nb[w - 1])));       \
        }                                                                                       \
        if (dir > 0) {                                                                          \
            int x = 1;                                                                          \
            for (; HAVE_CHEB_VECTORS && x + LANES <= w; x += LANES)                             \
                CHEB_ROW_SCAN(SCAN, x, d[x - 1], 1);                                            \
            for (; x < w; x++)                                                                  \
                d[x] = min##SUF(d[x], inc##SUF(d[x - 1]));                                      \
        } else {                                                                                \
            int x = w - 2;                                                                      \
            for (; HAVE_CHEB_VECTORS && x - (LANES - 1) >= 0; x -= LANES)                       \
                CHEB_ROW_SCAN(SCAN, x - (LANES - 1), d[x + 1], -1);                             \
            for (; x >= 0; x--)                                                                 \
                d[x] = min##SUF(d[x], inc##SUF(d[x + 1]));                                      \
        }                                                                                       \
    }
#if HAVE_CHEB_VECTORS
/* d[x ..] = min(d[x ..], min of the three cells above + 1) */
#define CHEB_ROW_PREV(VMIN, VSAT, SET1)                                                     \
    do {                                                                                        \
        __m128i a = _mm_loadu_si128((const __m128i *)(nb + x - 1));                             \
        __m128i b = _mm_loadu_si128((const __m128i *)(nb + x));                                 \
        __m128i c = _mm_loadu_si128((const __m128i *)(nb + x + 1));                             \
        __m128i m = VSAT(VMIN(VMIN(a, b), c), SET1(1));                                         \
        _mm_storeu_si128((__m128i *)(d + x),                                                    \
                         VMIN(_mm_loadu_si128((const __m128i *)(d + x)), m));                   \
    } while (0)
#define CHEB_ROW_SCAN(SCAN, at, carry, dir)                                                    \
    _mm_storeu_si128((__m128i *)(d + (at)),                                                     \
                     SCAN(_mm_loadu_si128((const __m128i *)(d + (at))), (carry), (dir)))
CHEB_ROW(16, uint16_t, 0xFFFF, VMIN16, VSAT16, SET1_16, scan16)
CHEB_ROW(8, uint8_t, 0xFF, VMIN8, VSAT8, SET1_8, scan8)
#else
#define CHEB_ROW_PREV(VMIN, VSAT, SET1) (void)0
#define CHEB_ROW_SCAN(SCAN, at, carry, dir) (void)0
CHEB_ROW(16, uint16_t, 0xFFFF, _, _, _, _)
CHEB_ROW(8, uint8_t, 0xFF, _, _, _, _)
#endif

/* The two raster passes over the whole image, for cells of type T; returns
 * the largest distance (taken from each row while it is in cache). */
#define CHEB_DT(SUF, T, NONE)                                                                  \
    static T cheb_dt##SUF(const uint8_t *m, uint8_t bit, int w, int h, T *dist)                 \
    {                                                                                           \
        for (int y = 0; y < h; y++) {                                                           \
            const uint8_t *mr = m + (size_t)y * w;                                              \
            T *d = dist + (size_t)y * w;                                                        \
            for (int x = 0; x < w; x++)                                                         \
                d[x] = (mr[x] & bit) ? 0 : NONE;                                                \
            cheb_row##SUF(d, y > 0 ? d - w : NULL, w, 1);                                       \
        }                                                                                       \
        T most = 0;                                                                             \
        for (int y = h - 1; y >= 0; y--) {                                                      \
            T *d = dist + (size_t)y * w;                                                        \
            cheb_row##SUF(d, y < h - 1 ? d + w : NULL, w, -1);                                  \
            for (int x = 0; x < w; x++) /* vectorises (max, no branch) */                      \
                most = d[x] > most ? d[x] : most;                                               \
        }                                                                                       \
        return most;                                                                            \
    }
CHEB_DT(16, uint16_t, 0xFFFF)
CHEB_DT(8, uint8_t, 0xFF)

void db_chebyshev_dt(const uint8_t *m, uint8_t bit, int w, int h, uint16_t *dist)
{
    cheb_dt16(m, bit, w, h, dist);
}

bool db_chebyshev_dt8(const uint8_t *m, uint8_t bit, int w, int h, uint8_t *dist)
{
    return cheb_dt8(m, bit, w, h, dist) < 0xFF; /* (0xFF: one saturated) */
}

bool db_column_dist(const uint8_t *m, int w, int h, uint16_t *vd)
{
    bool any = false;
    /* down the columns, then up, one row at a time (rows are contiguous) */
    for (int y = 0; y < h; y++) {
        const uint8_t *mr = m + (size_t)y * w;
        uint16_t *d = vd + (size_t)y * w;
        const uint16_t *up = y > 0 ? d - w : NULL;
        uint8_t seen = 0;
        for (int x = 0; x < w; x++) /* an OR reduction: vectorises */
            seen |= mr[x];
        any |= seen != 0;
        int x = 0;
#if HAVE_CHEB_VECTORS
        for (const __m128i zero = _mm_setzero_si128(); up && x + 8 <= w; x += 8) {
            __m128i text = _mm_unpacklo_epi8(_mm_loadl_epi64((const __m128i *)(mr + x)), zero);
            __m128i below = VSAT16(_mm_loadu_si128((const __m128i *)(up + x)), _mm_set1_epi16(1));
            _mm_storeu_si128((__m128i *)(d + x), _mm_and_si128(_mm_cmpeq_epi16(text, zero), below));
        }
#endif
        for (; x < w; x++)
            d[x] = mr[x] ? 0 : up ? inc16(up[x]) : 0xFFFF;
    }
    for (int y = h - 2; y >= 0; y--) {
        uint16_t *d = vd + (size_t)y * w;
        const uint16_t *dn = d + w;
        int x = 0;
#if HAVE_CHEB_VECTORS
        for (; x + 8 <= w; x += 8) {
            __m128i v = _mm_loadu_si128((const __m128i *)(d + x));
            __m128i b = VSAT16(_mm_loadu_si128((const __m128i *)(dn + x)), _mm_set1_epi16(1));
            _mm_storeu_si128((__m128i *)(d + x), VMIN16(v, b));
        }
#endif
        for (; x < w; x++)
            d[x] = min16(d[x], inc16(dn[x]));
    }
    return any;
}

/* The row stage: the lower envelope of the parabolas (x - q)^2 + vd[q]^2
 * (Felzenszwalb-Huttenlocher), in exact integer arithmetic: the two
 * intersection tests of the algorithm are compared cross-multiplied
 * instead of divided, so no division and no rounding. */
void db_euclid_dt2_row(const uint16_t *vd, int w, uint64_t *dist2, int64_t *scratch,
                       int *iscratch)
{
    int64_t *F = scratch; /* f(v) + v^2 of the envelope's parabolas */
    int *v = iscratch, k = -1;
    for (int q = 0; q < w; q++) {
        if (vd[q] == 0xFFFF)
            continue;
        int64_t Fq = (int64_t)vd[q] * vd[q] + (int64_t)q * q;
        /* drop v[k] while its parabola meets q's at or before it meets v[k-1]'s */
        while (k >= 1 && (Fq - F[k]) * (v[k] - v[k - 1]) <= (F[k] - F[k - 1]) * (q - v[k]))
            k--;
        k++;
        v[k] = q;
        F[k] = Fq;
    }
    if (k < 0) { /* no feature in the column distances */
        for (int x = 0; x < w; x++)
            dist2[x] = DB_EDT_NONE;
        return;
    }
    /* Parabola k is the lowest from where it beats k - 1 to where k + 1
     * beats it: k + 1 is below k from the first q with F[k + 1] - F[k] <
     * 2q (v[k + 1] - v[k]), i.e. floor((F[k + 1] - F[k]) / (2 (v[k + 1] -
     * v[k]))) + 1; one division per parabola, then a plain fill per
     * segment instead of a data-dependent branch per pixel. A segment that
     * starts before q is empty (its parabola is never the lowest). */
    int q = 0;
    for (int j = 0; j <= k && q < w; j++) {
        int end = w;
        if (j < k) {
            int64_t num = F[j + 1] - F[j], den = 2 * (int64_t)(v[j + 1] - v[j]);
            int64_t fl = num >= 0 ? num / den : -((-num + den - 1) / den); /* floor */
            end = fl + 1 < q ? q : fl + 1 > w ? w : (int)(fl + 1);
        }
        int64_t base = F[j] - (int64_t)v[j] * v[j];
        for (; q < end; q++) {
            int64_t dq = q - v[j];
            dist2[q] = (uint64_t)(dq * dq + base);
        }
    }
}

bool db_euclid_dt2(const uint8_t *m, int w, int h, uint16_t *vd, uint64_t *dist2,
                   int64_t *scratch, int *iscratch)
{
    if (!db_column_dist(m, w, h, vd))
        return false;
    for (int y = 0; y < h; y++)
        db_euclid_dt2_row(vd + (size_t)y * w, w, dist2 + (size_t)y * w, scratch, iscratch);
    return true;
}
