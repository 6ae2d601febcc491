/* thin_avx2.c - the parallel sub-iterations of both thinnings (Zhang-Suen of
 * db_thin_lee_chen, Lam-Lee-Suen of db_thin_matlab) on 16x16 tiles, 256
 * decisions per AVX2 rule evaluation, beside the portable 8x8-tile loop in
 * skeleton.c (thin_packed); test_weights_fast compares both with the
 * reference thinning (DB_ISA_REF forces the portable path).
 *
 * Why wider tiles: a front of deletions advances one pixel per iteration, so
 * a tile on a front is revisited until the front has crossed it; a 16x16 tile
 * deletes 16 pixels per productive visit where an 8x8 tile deletes 8, and one
 * AVX2 evaluation costs about what one 64-bit evaluation does. The pending-
 * flag scheme is skeleton.c's, one flag per 16x16 tile and rule.
 *
 * A tile is 16 rows of 16 bits (lane r = row r, bit c = column c), 32 bytes;
 * the tile grid has a ring of zero tiles around the image.
 */
#include "metrics_internal.h"

#include <string.h>

#if defined(__AVX2__)
#include <immintrin.h>

typedef struct wide_plane {
    size_t TW;   /* tiles per tile row: (w + 15) / 16 + 2 */
    __m256i *t;  /* TW * ((h + 15) / 16 + 2) tiles */
} wide_plane;

/* Lanes moved down one row (lane r gets lane r - 1; lane 0 gets above's
 * lane 15): the north neighbours. */
static inline __m256i from_north(__m256i c, __m256i above)
{
    return _mm256_alignr_epi8(c, _mm256_permute2x128_si256(above, c, 0x21), 14);
}

/* lane r gets lane r + 1; lane 15 gets below's lane 0: the south neighbours */
static inline __m256i from_south(__m256i c, __m256i below)
{
    return _mm256_alignr_epi8(_mm256_permute2x128_si256(c, below, 0x21), c, 2);
}

/* bit c gets bit c + 1, bit 15 the right tile's bit 0: the east neighbours */
static inline __m256i from_east(__m256i c, __m256i right)
{
    return _mm256_or_si256(_mm256_srli_epi16(c, 1), _mm256_slli_epi16(right, 15));
}

static inline __m256i from_west(__m256i c, __m256i left)
{
    return _mm256_or_si256(_mm256_slli_epi16(c, 1), _mm256_srli_epi16(left, 15));
}

/* The eight neighbour masks of tile ti, clockwise from north (skeleton.c's
 * tile_neighbours); nb[8] = nb[0]. Returns the tile. */
static inline __m256i wide_neighbours(const wide_plane *P, size_t ti, __m256i nb[9])
{
    const __m256i *mid = P->t + ti, *up = mid - P->TW, *dn = mid + P->TW;
    __m256i cur = _mm256_loadu_si256(mid), l = _mm256_loadu_si256(mid - 1),
            r = _mm256_loadu_si256(mid + 1);
    __m256i nc = from_north(cur, _mm256_loadu_si256(up)),
            nl = from_north(l, _mm256_loadu_si256(up - 1)),
            nr = from_north(r, _mm256_loadu_si256(up + 1));
    __m256i sc = from_south(cur, _mm256_loadu_si256(dn)),
            sl = from_south(l, _mm256_loadu_si256(dn - 1)),
            sr = from_south(r, _mm256_loadu_si256(dn + 1));
    nb[0] = nb[8] = nc;
    nb[1] = from_east(nc, nr);
    nb[2] = from_east(cur, r);
    nb[3] = from_east(sc, sr);
    nb[4] = sc;
    nb[5] = from_west(sc, sl);
    nb[6] = from_west(cur, l);
    nb[7] = from_west(nc, nl);
    return cur;
}

/* The Zhang-Suen deletions of tile ti for sub-iteration sub (skeleton.c's
 * zs_word, 256 pixels wide). */
static inline __m256i zs_tile(const wide_plane *P, size_t ti, int sub)
{
    __m256i nb[9], cur = wide_neighbours(P, ti, nb);
    const __m256i ones = _mm256_set1_epi32(-1);
    __m256i o1 = _mm256_setzero_si256(), o2 = o1, z1 = o1, z2 = o1, t1 = o1, t2 = o1;
    for (int k = 0; k < 8; k++) {
        __m256i v = nb[k], nv = _mm256_xor_si256(v, ones), t = _mm256_andnot_si256(v, nb[k + 1]);
        o2 = _mm256_or_si256(o2, _mm256_and_si256(o1, v));
        o1 = _mm256_or_si256(o1, v);
        z2 = _mm256_or_si256(z2, _mm256_and_si256(z1, nv));
        z1 = _mm256_or_si256(z1, nv);
        t2 = _mm256_or_si256(t2, _mm256_and_si256(t1, t));
        t1 = _mm256_or_si256(t1, t);
    }
    __m256i p2 = nb[0], p4 = nb[2], p6 = nb[4], p8 = nb[6];
    __m256i keep = sub == 1 ? _mm256_or_si256(_mm256_and_si256(_mm256_and_si256(p2, p4), p6),
                                              _mm256_and_si256(_mm256_and_si256(p4, p6), p8))
                            : _mm256_or_si256(_mm256_and_si256(_mm256_and_si256(p2, p4), p8),
                                              _mm256_and_si256(_mm256_and_si256(p2, p6), p8));
    __m256i del = _mm256_and_si256(_mm256_and_si256(cur, o2), z2);
    del = _mm256_and_si256(del, _mm256_andnot_si256(t2, t1));
    return _mm256_andnot_si256(keep, del);
}

/* The Lam-Lee-Suen deletions (skeleton.c's lls_word, x1 = E counter-
 * clockwise to x8 = SE). */
static inline __m256i lls_tile(const wide_plane *P, size_t ti, int sub)
{
    __m256i nb[9], x[10], cur = wide_neighbours(P, ti, nb);
    static const int from[8] = {2, 1, 0, 7, 6, 5, 4, 3}; /* x(k+1) = nb[from[k]] */
    for (int k = 0; k < 8; k++)
        x[k + 1] = nb[from[k]];
    x[9] = x[1];
    const __m256i ones = _mm256_set1_epi32(-1);
    __m256i b1 = _mm256_setzero_si256(), b2 = b1, c1 = b1, c2 = b1, d1 = b1, d2 = b1;
    __m256i c4 = ones, d4 = ones;
    for (int i = 1; i <= 4; i++) {
        __m256i b = _mm256_andnot_si256(x[2 * i - 1], _mm256_or_si256(x[2 * i], x[2 * i + 1]));
        __m256i c = _mm256_or_si256(x[2 * i - 1], x[2 * i]);
        __m256i d = _mm256_or_si256(x[2 * i], x[2 * i + 1]);
        b2 = _mm256_or_si256(b2, _mm256_and_si256(b1, b));
        b1 = _mm256_or_si256(b1, b);
        c2 = _mm256_or_si256(c2, _mm256_and_si256(c1, c));
        c1 = _mm256_or_si256(c1, c);
        c4 = _mm256_and_si256(c4, c);
        d2 = _mm256_or_si256(d2, _mm256_and_si256(d1, d));
        d1 = _mm256_or_si256(d1, d);
        d4 = _mm256_and_si256(d4, d);
    }
    __m256i corner =
        sub == 1 ? _mm256_and_si256(_mm256_or_si256(_mm256_or_si256(x[2], x[3]),
                                                    _mm256_xor_si256(x[8], ones)),
                                    x[1])
                 : _mm256_and_si256(_mm256_or_si256(_mm256_or_si256(x[6], x[7]),
                                                    _mm256_xor_si256(x[4], ones)),
                                    x[5]);
    __m256i del = _mm256_and_si256(_mm256_andnot_si256(b2, b1), _mm256_and_si256(c2, d2));
    del = _mm256_andnot_si256(_mm256_and_si256(c4, d4), _mm256_and_si256(cur, del));
    return _mm256_andnot_si256(corner, del);
}

/* The 8x8 tile plane (skeleton.c: TW8 tiles a row, bit 8r + c) and the
 * 16x16 one, each with its zero ring: counting image tiles (ring excluded),
 * wide tile (X, Y) is narrow tiles (2X .. 2X + 1, 2Y .. 2Y + 1). */
static void narrow_to_wide(const uint64_t *t8, size_t TW8, wide_plane *P, size_t TH)
{
    for (size_t Y = 1; Y + 1 < TH; Y++)
        for (size_t X = 1; X + 1 < P->TW; X++) {
            uint16_t rows[16];
            for (int r = 0; r < 16; r++) {
                size_t row8 = 2 * (Y - 1) + (size_t)(r >> 3) + 1;
                const uint64_t *a = t8 + row8 * TW8 + 2 * (X - 1) + 1;
                int sh = (r & 7) * 8;
                rows[r] = (uint16_t)(((a[0] >> sh) & 0xFF) | ((a[1] >> sh) & 0xFF) << 8);
            }
            _mm256_storeu_si256(P->t + Y * P->TW + X, _mm256_loadu_si256((const __m256i *)rows));
        }
}

static void wide_to_narrow(const wide_plane *P, size_t TH, uint64_t *t8, size_t TW8)
{
    for (size_t Y = 1; Y + 1 < TH; Y++)
        for (size_t X = 1; X + 1 < P->TW; X++) {
            uint16_t rows[16];
            _mm256_storeu_si256((__m256i *)rows, _mm256_loadu_si256(P->t + Y * P->TW + X));
            for (int half = 0; half < 2; half++) {
                uint64_t *a = t8 + (2 * (Y - 1) + (size_t)half + 1) * TW8 + 2 * (X - 1) + 1;
                uint64_t lo = 0, hi = 0;
                for (int r = 0; r < 8; r++) {
                    lo |= (uint64_t)(rows[half * 8 + r] & 0xFF) << (8 * r);
                    hi |= (uint64_t)(rows[half * 8 + r] >> 8) << (8 * r);
                }
                a[0] = lo;
                a[1] = hi;
            }
        }
}

static inline bool all_set(__m256i v)
{
    return _mm256_testc_si256(v, _mm256_set1_epi32(-1)) != 0;
}

int db_thin_wide_avx2(db_ctx *ctx, bool zs, uint64_t *t8, size_t TW8, int w, int h,
                      uint16_t *when, db_thin_work *work)
{
    size_t TH = ((size_t)h + 15) / 16 + 2;
    wide_plane P = {.TW = ((size_t)w + 15) / 16 + 2};
    size_t nw = P.TW * TH, nb = (nw + 63) / 64;
    /* the narrow plane has at least as many tiles: its dead list and flag
     * bitmaps are large enough (pend: 2 * nb words) */
    DB_TRY(db_thin_work_wide(ctx, work, nw));
    P.t = (__m256i *)work->wide[0];
    __m256i *dels = (__m256i *)work->wide[1];
    uint64_t *pend = (uint64_t *)(void *)work->pend;
    uint32_t *dead = work->dead;
    memset(P.t, 0, nw * sizeof *P.t);
    memset(pend, 0, 2 * nb * sizeof *pend);
    narrow_to_wide(t8, TW8, &P, TH);
    for (size_t ti = P.TW; ti < nw - P.TW; ti++) { /* as skeleton.c: full amid full: skip */
        const __m256i *t = P.t + ti, *u = t - P.TW, *d = t + P.TW;
        __m256i cur = _mm256_loadu_si256(t);
        if (_mm256_testz_si256(cur, cur))
            continue;
        __m256i all = cur;
        for (int k = -1; k <= 1; k++)
            all = _mm256_and_si256(all, _mm256_and_si256(_mm256_loadu_si256(u + k),
                                                         _mm256_loadu_si256(d + k)));
        all = _mm256_and_si256(all, _mm256_and_si256(_mm256_loadu_si256(t - 1),
                                                     _mm256_loadu_si256(t + 1)));
        if (all_set(all))
            continue;
        db_thin_flag(pend, nb, ti);
    }
    uint16_t step = 0;
    for (bool changed = true; changed;) {
        changed = false;
        for (int sub = 1; sub <= 2; sub++) {
            uint64_t *pb = pend + (sub == 1 ? 0 : nb);
            size_t ndead = 0;
            for (size_t b = 0; b < nb; b++)
                for (uint64_t v = pb[b]; v; v &= v - 1) {
                    int k = __builtin_ctzll(v);
                    uint32_t ti = (uint32_t)(b * 64 + (size_t)k);
                    __m256i del = zs ? zs_tile(&P, ti, sub) : lls_tile(&P, ti, sub);
                    bool none = _mm256_testz_si256(del, del) != 0;
                    _mm256_storeu_si256(dels + ndead, del);
                    dead[ndead] = ti;
                    ndead += !none;
                    pb[b] &= ~((uint64_t)none << k);
                }
            if (step < UINT16_MAX - 1)
                step++;
            changed |= ndead > 0;
            for (size_t k = 0; k < ndead; k++) {
                __m256i *t = P.t + dead[k], d = _mm256_loadu_si256(dels + k);
                _mm256_storeu_si256(t, _mm256_andnot_si256(d, _mm256_loadu_si256(t)));
                uint16_t rows[16];
                _mm256_storeu_si256((__m256i *)rows, d);
                unsigned any = 0;
                for (int r = 0; r < 16; r++)
                    any |= rows[r];
                if (when) {
                    size_t y0 = (dead[k] / P.TW - 1) * 16, x0 = (dead[k] % P.TW - 1) * 16;
                    for (int r = 0; r < 16; r++)
                        for (unsigned g = rows[r]; g; g &= g - 1)
                            when[(y0 + (size_t)r) * (size_t)w + x0 + (size_t)__builtin_ctz(g)] =
                                step;
                }
                /* the tiles holding a neighbour of a deleted pixel, tested
                 * again by both rules (zero-ring tiles are never flagged) */
                int r0 = rows[0] ? -1 : 0, r1 = rows[15] ? 1 : 0;
                int c0 = (any & 1u) ? -1 : 0, c1 = (any & 0x8000u) ? 1 : 0;
                for (int dr = r0; dr <= r1; dr++)
                    for (int dc = c0; dc <= c1; dc++) {
                        size_t j = dead[k] + (size_t)((ptrdiff_t)dr * (ptrdiff_t)P.TW + dc);
                        __m256i tj = _mm256_loadu_si256(P.t + j);
                        if (!_mm256_testz_si256(tj, tj)) {
                            db_thin_flag(pend, nb, j);
                        }
                    }
            }
        }
    }
    wide_to_narrow(&P, TH, t8, TW8);
    return 0;
}

#else /* not built with AVX2: never selected, kept linkable */

int db_thin_wide_avx2(db_ctx *ctx, bool zs, uint64_t *t8, size_t TW8, int w, int h,
                      uint16_t *when, db_thin_work *work)
{
    (void)zs;
    (void)t8;
    (void)TW8;
    (void)w;
    (void)h;
    (void)when;
    (void)work;
    return db_fail(ctx, DB_EINVAL, "thinning: built without AVX2");
}

#endif
