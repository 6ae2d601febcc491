/* winstat.c - local-window statistics in row bands (see winstat.h for the
 * border rule and the memory bound): running column sums with row prefix
 * sums, and van Herk / Gil-Werman min/max filters, feeding a method's row
 * kernel. The methods live in their own files (sauvola.c, bernsen.c, ...);
 * the SIMD row kernels in winthresh_avx2.c / winthresh_avx512.c.
 *
 * van Herk / Gil-Werman (Pattern Recognition Letters 13, 1992): cut the line
 * into blocks of `window` samples; with a running prefix extremum g and a
 * suffix extremum h inside each block, any window [a, b] of length <= window
 * is h[a] op g[b] (or one of them when a and b share a block). Three
 * comparisons per sample whatever the window.
 */
#include "winstat.h"

#include "classic.h"
#include "db_internal.h"

#include <string.h>

/* ---- van Herk / Gil-Werman ---- */

#define INLINE static inline __attribute__((always_inline))

INLINE uint8_t op8(bool is_max, uint8_t a, uint8_t b)
{
    return is_max ? (a > b ? a : b) : (a < b ? a : b);
}

/* d = op(d, s) elementwise. The fixed 64-byte inner loop is what GCC's -O2
 * cost model vectorizes (no epilogue): about 10x the scalar loop. */
INLINE void op_rows64(bool is_max, uint8_t *restrict d, const uint8_t *restrict s)
{
    for (int i = 0; i < 64; i++)
        d[i] = op8(is_max, d[i], s[i]);
}
static void op_rows(bool is_max, uint8_t *restrict d, const uint8_t *restrict s, int w)
{
    int x = 0;
    if (is_max)
        for (; x + 64 <= w; x += 64)
            op_rows64(true, d + x, s + x);
    else
        for (; x + 64 <= w; x += 64)
            op_rows64(false, d + x, s + x);
    for (; x < w; x++)
        d[x] = op8(is_max, d[x], s[x]);
}
INLINE void op3_rows64(bool is_max, uint8_t *restrict d, const uint8_t *restrict a,
                       const uint8_t *restrict b)
{
    for (int i = 0; i < 64; i++)
        d[i] = op8(is_max, a[i], b[i]);
}
static void op3_rows(bool is_max, uint8_t *restrict d, const uint8_t *restrict a,
                     const uint8_t *restrict b, int w)
{
    int x = 0;
    if (is_max)
        for (; x + 64 <= w; x += 64)
            op3_rows64(true, d + x, a + x, b + x);
    else
        for (; x + 64 <= w; x += 64)
            op3_rows64(false, d + x, a + x, b + x);
    for (; x < w; x++)
        d[x] = op8(is_max, a[x], b[x]);
}

/* Horizontal clipped window extremum of one row: out[x] = op over
 * [x - r, x + r] within [0, w). pre and suf are w-byte scratch; blocks of
 * W = 2r + 1 samples start at 0 (the last one may be short). */
INLINE void hfilter_t(bool is_max, const uint8_t *restrict g, int w, int r,
                      uint8_t *restrict pre, uint8_t *restrict suf, uint8_t *restrict out)
{
    int W = 2 * r + 1;
    for (int b0 = 0; b0 < w; b0 += W) {
        int b1 = b0 + W < w ? b0 + W : w;
        uint8_t m = pre[b0] = g[b0];
        for (int x = b0 + 1; x < b1; x++)
            pre[x] = m = op8(is_max, m, g[x]);
        m = suf[b1 - 1] = g[b1 - 1];
        for (int x = b1 - 2; x >= b0; x--)
            suf[x] = m = op8(is_max, m, g[x]);
    }
    /* left border: the window [0, x + r] lies in block 0, a prefix */
    int left = r < w ? r : w;
    for (int x = 0; x < left; x++)
        out[x] = pre[x + r < w ? x + r : w - 1];
    /* interior: [x - r, x + r] spans two blocks, or is exactly one block, in
     * which case suf[x - r] and pre[x + r] both cover it */
    for (int x = left; x + r < w; x++)
        out[x] = op8(is_max, suf[x - r], pre[x + r]);
    /* right border: [x - r, w - 1]; suf of a block ends at w - 1 when it is
     * the last block */
    for (int x = w - r > left ? w - r : left; x < w; x++) {
        int a = x - r;
        out[x] = (a / W == (w - 1) / W) ? suf[a] : op8(is_max, suf[a], pre[w - 1]);
    }
}
static void hfilter(bool is_max, const uint8_t *g, int w, int r, uint8_t *pre, uint8_t *suf,
                    uint8_t *out)
{
    if (is_max)
        hfilter_t(true, g, w, r, pre, suf, out);
    else
        hfilter_t(false, g, w, r, pre, suf, out);
}

/* Vertical extremum over a stream of horizontally filtered rows. Blocks are
 * `window` rows aligned at row 0, so the result never depends on the band.
 * cur holds the rows of the block being filled (from cur_lo) and pre their
 * running extremum; suf holds the previous block turned into suffix extrema
 * (valid from suf_lo). */
typedef struct vstream {
    bool is_max;
    int W, r, w, h;
    uint8_t *cur, *suf, *pre, *out, *hpre, *hsuf;
    int cur_blk, cur_lo, next_row, tail_blk;
} vstream;

static void vs_reset(vstream *v, int first_row)
{
    v->cur_blk = -1;
    v->tail_blk = -1;
    v->next_row = first_row;
}

/* Turns cur's rows [cur_lo, last] into suffix extrema, in place. */
static void vs_suffix(vstream *v, int last)
{
    int base = v->cur_blk * v->W;
    for (int row = last - 1; row >= v->cur_lo; row--) {
        uint8_t *d = v->cur + (size_t)(row - base) * v->w;
        op_rows(v->is_max, d, d + v->w, v->w);
    }
}

static void vs_push(vstream *v, const db_image *gray)
{
    int row = v->next_row++;
    int k = row / v->W;
    if (k != v->cur_blk) {
        if (v->cur_blk >= 0) { /* the previous block is complete: it becomes suf */
            vs_suffix(v, v->cur_blk * v->W + v->W - 1);
            uint8_t *t = v->suf;
            v->suf = v->cur;
            v->cur = t;
        }
        v->cur_blk = k;
        v->cur_lo = row;
    }
    uint8_t *hrow = v->cur + (size_t)(row - k * v->W) * v->w;
    hfilter(v->is_max, db_image_row(gray, row), v->w, v->r, v->hpre, v->hsuf, hrow);
    if (row == v->cur_lo) {
        memcpy(v->pre, hrow, (size_t)v->w);
    } else {
        op_rows(v->is_max, v->pre, hrow, v->w);
    }
}

/* The extremum row of output row y (rows are asked for in increasing order). */
static const uint8_t *vs_row(vstream *v, const db_image *gray, int y)
{
    int a = y - v->r < 0 ? 0 : y - v->r;
    int b = y + v->r > v->h - 1 ? v->h - 1 : y + v->r;
    while (v->next_row <= b)
        vs_push(v, gray);
    int ka = a / v->W;
    if (ka == v->cur_blk) {
        if (a % v->W == 0)
            return v->pre;
        /* a and b share the last block: b is the clipped last row. */
        if (v->tail_blk != v->cur_blk) {
            vs_suffix(v, b);
            v->tail_blk = v->cur_blk;
        }
        return v->cur + (size_t)(a - ka * v->W) * v->w;
    }
    const uint8_t *s = v->suf + (size_t)(a - ka * v->W) * v->w;
    op3_rows(v->is_max, v->out, s, v->pre, v->w);
    return v->out;
}

/* ---- per-worker scratch ---- */

typedef struct worker {
    uint32_t *col_s, *col_q, *ps, *pq;
    uint64_t *pq64, *bits;
    vstream vmin, vmax;
    double acc;
} worker;

static size_t al64(size_t n) { return (n + 63) & ~(size_t)63; }

/* Bytes of scratch one worker needs, and (when base != NULL) the layout. */
static size_t worker_layout(worker *wk, uint8_t *base, int w, int h, int window, unsigned need)
{
    size_t off = 0, sw = (size_t)w, W = (size_t)window;
#define TAKE(ptr, bytes)                                                                     \
    do {                                                                                     \
        if (base)                                                                            \
            (ptr) = (void *)(base + off);                                                    \
        off += al64(bytes);                                                                  \
    } while (0)
    if (need & DB_WIN_SUMS) {
        TAKE(wk->col_s, sw * 4);
        TAKE(wk->col_q, sw * 4);
        TAKE(wk->ps, (sw + 1) * 4);
        TAKE(wk->pq, (sw + 1) * 4);
        if (window > DB_WINDOW_NARROW)
            TAKE(wk->pq64, (sw + 1) * 8);
    }
    TAKE(wk->bits, (sw + 63) / 64 * 8);
    for (int i = 0; i < 2; i++) {
        vstream *v = i ? &wk->vmax : &wk->vmin;
        if (!(need & (i ? DB_WIN_MAX : DB_WIN_MIN)))
            continue;
        TAKE(v->cur, W * sw);
        TAKE(v->suf, W * sw);
        TAKE(v->pre, sw);
        TAKE(v->out, sw);
        TAKE(v->hpre, sw);
        TAKE(v->hsuf, sw);
        if (base) {
            v->is_max = i == 1;
            v->W = window;
            v->r = window / 2;
            v->w = w;
            v->h = h;
        }
    }
#undef TAKE
    return off;
}

typedef struct job {
    const db_image *gray;
    const db_winpass *pass;
    db_image *out;
    worker *workers;
    double *band_acc;
    int bands;
    db_ctx *ctx;
    void (*step)(const uint8_t *, const uint8_t *, uint32_t *, uint32_t *, uint32_t *,
                 uint32_t *, int);
    atomic_int canceled;
} job;

static void band_run(void *arg, int band, int worker_id)
{
    job *J = arg;
    if (db_ctx_canceled(J->ctx)) {
        atomic_store(&J->canceled, 1);
        return;
    }
    const db_image *gray = J->gray;
    const db_winpass *P = J->pass;
    worker *wk = &J->workers[worker_id];
    int w = gray->width, h = gray->height, r = P->window / 2;
    int y0 = (int)((int64_t)h * band / J->bands), y1 = (int)((int64_t)h * (band + 1) / J->bands);
    if (y0 >= y1)
        return;
    size_t words = ((size_t)w + 63) / 64;
    db_winrow row = {.width = w, .height = h, .r = r};
    bool sums = P->need & DB_WIN_SUMS;
    if (sums) {
        /* Column sums over the window rows of y0; then one row in, one out. */
        memset(wk->col_s, 0, (size_t)w * 4);
        memset(wk->col_q, 0, (size_t)w * 4);
        int a = y0 - r < 0 ? 0 : y0 - r, b = y0 + r > h - 1 ? h - 1 : y0 + r;
        for (int yy = a; yy <= b; yy++) {
            const uint8_t *g = db_image_row(gray, yy);
            for (int x = 0; x < w; x++) {
                wk->col_s[x] += g[x];
                wk->col_q[x] += (uint32_t)g[x] * g[x];
            }
        }
        row.ps = wk->ps;
        row.pq = wk->pq;
        row.pq64 = wk->pq64;
    }
    if (P->need & DB_WIN_MIN)
        vs_reset(&wk->vmin, y0 - r < 0 ? 0 : y0 - r);
    if (P->need & DB_WIN_MAX)
        vs_reset(&wk->vmax, y0 - r < 0 ? 0 : y0 - r);
    double acc = 0;
    for (int y = y0; y < y1; y++) {
        int a = y - r < 0 ? 0 : y - r, b = y + r > h - 1 ? h - 1 : y + r;
        row.y = y;
        row.ny = b - a + 1;
        row.g = db_image_row(gray, y);
        if (sums) {
            /* Slide the column sums from y - 1 to y (one row in, one out) and
             * build the prefix sums; they wrap modulo 2^32, and differences of
             * at most a window are exact (winstat.h). */
            const uint8_t *gin = y > y0 && y + r < h ? db_image_row(gray, y + r) : NULL;
            const uint8_t *gout = y > y0 && y - r - 1 >= 0 ? db_image_row(gray, y - r - 1) : NULL;
            J->step(gin, gout, wk->col_s, wk->col_q, wk->ps, wk->pq, w);
            if (wk->pq64) {
                uint64_t q64 = 0;
                wk->pq64[0] = 0;
                for (int x = 0; x < w; x++) {
                    q64 += wk->col_q[x];
                    wk->pq64[x + 1] = q64;
                }
            }
        }
        if (P->need & DB_WIN_MIN)
            row.wmin = vs_row(&wk->vmin, gray, y);
        if (P->need & DB_WIN_MAX)
            row.wmax = vs_row(&wk->vmax, gray, y);
        uint64_t *bits = J->out ? (uint64_t *)(void *)db_image_row(J->out, y) : wk->bits;
        memset(bits, 0, words * 8);
        P->row(P->params, &row, bits, &acc);
    }
    J->band_acc[band] = acc;
}

void db_winsum_step_ref(const uint8_t *gin, const uint8_t *gout, uint32_t *col_s,
                        uint32_t *col_q, uint32_t *ps, uint32_t *pq, int w)
{
    if (gin)
        for (int x = 0; x < w; x++) {
            col_s[x] += gin[x];
            col_q[x] += (uint32_t)gin[x] * gin[x];
        }
    if (gout)
        for (int x = 0; x < w; x++) {
            col_s[x] -= gout[x];
            col_q[x] -= (uint32_t)gout[x] * gout[x];
        }
    uint32_t s = 0, q = 0;
    ps[0] = pq[0] = 0;
    for (int x = 0; x < w; x++) {
        s += col_s[x];
        q += col_q[x];
        ps[x + 1] = s;
        pq[x + 1] = q;
    }
}

int db_window_check(db_ctx *ctx, const char *who, double window)
{
    if (window != floor(window) || window < 3 || window > DB_WINDOW_MAX || fmod(window, 2) != 1)
        return db_fail(ctx, DB_EINVAL, "%s: window %g must be odd and in [3, %d]", who, window,
                       DB_WINDOW_MAX);
    return 0;
}

int db_winstat_run_bands(db_ctx *ctx, const db_image *gray, const db_winpass *pass, int bands,
                         db_image *out, double *acc_max)
{
    if (acc_max)
        *acc_max = 0;
    const char *who = pass->who ? pass->who : "window";
    if (gray->format != DB_GRAY8)
        return db_fail(ctx, DB_EINVAL, "%s: input must be gray", who);
    if (pass->window < 1 || pass->window > DB_WINDOW_MAX || pass->window % 2 == 0)
        return db_fail(ctx, DB_EINVAL, "%s: window %d must be odd and in [3, %d]", who,
                       pass->window, DB_WINDOW_MAX);
    DB_TRY(db_check_dimensions(ctx, who, gray->width, gray->height));
    if (out)
        DB_TRY(db_image_ensure(ctx, out, gray->width, gray->height, DB_BIT1));
    db_pool *pool = db_ctx_pool(ctx);
    int nworkers = db_pool_size(pool);
    if (bands <= 0) {
        /* One band per worker is enough when the pool is idle, but several
         * smooth out uneven workers; each band re-reads `window` rows to start
         * its column sums, so keep bands well above the window. */
        bands = nworkers == 1 ? 1 : 4 * nworkers;
        int min_rows = 4 * pass->window > 64 ? 4 * pass->window : 64;
        if (bands > gray->height / min_rows)
            bands = gray->height / min_rows;
        if (bands < 1)
            bands = 1;
    }
    if (bands > gray->height)
        bands = gray->height;
    worker tmp;
    size_t per = worker_layout(&tmp, NULL, gray->width, gray->height, pass->window, pass->need);
    size_t total;
    if (!db_mul_size(per, (size_t)nworkers, &total))
        return db_fail(ctx, DB_ETOOBIG, "%s: scratch size overflows", who);
    uint8_t *mem = db_aligned_alloc(ctx, total);
    worker *workers = db_calloc(ctx, (size_t)nworkers, sizeof *workers);
    double *band_acc = db_calloc(ctx, (size_t)bands, sizeof *band_acc);
    if (!mem || !workers || !band_acc) {
        db_aligned_free(mem);
        db_free(workers);
        db_free(band_acc);
        return DB_ENOMEM;
    }
    for (int i = 0; i < nworkers; i++)
        worker_layout(&workers[i], mem + per * (size_t)i, gray->width, gray->height,
                      pass->window, pass->need);
    job J = {.gray = gray, .pass = pass, .out = out, .workers = workers,
             .band_acc = band_acc, .bands = bands, .ctx = ctx,
             .step = db_winsum_step_ref};
#if defined(__x86_64__) || defined(__i386__)
    if (db_ctx_resolved_isa(ctx) == DB_ISA_AVX512)
        J.step = db_winsum_step_avx512;
    else if (db_ctx_resolved_isa(ctx) == DB_ISA_AVX2)
        J.step = db_winsum_step_avx2;
#endif
    atomic_init(&J.canceled, 0);
    db_pool_run(pool, bands, band_run, &J);
    double m = 0;
    for (int i = 0; i < bands; i++)
        m = band_acc[i] > m ? band_acc[i] : m;
    db_aligned_free(mem);
    db_free(workers);
    db_free(band_acc);
    if (atomic_load(&J.canceled))
        return db_fail(ctx, DB_ECANCELED, "%s: canceled", who);
    if (acc_max)
        *acc_max = m;
    if (out) {
        out->xdpi = gray->xdpi;
        out->ydpi = gray->ydpi;
    }
    return 0;
}

int db_winstat_run(db_ctx *ctx, const db_image *gray, const db_winpass *pass, db_image *out,
                   double *acc_max)
{
    return db_winstat_run_bands(ctx, gray, pass, 0, out, acc_max);
}

void db_gray_minmax(const db_image *gray, int *min, int *max)
{
    /* 64 running minima and maxima (vectorised, see op_rows64), folded once */
    uint8_t lo[64], hi[64];
    memset(lo, 255, sizeof lo);
    memset(hi, 0, sizeof hi);
    uint8_t l = 255, h = 0;
    for (int y = 0; y < gray->height; y++) {
        const uint8_t *g = db_image_row(gray, y);
        int x = 0;
        for (; x + 64 <= gray->width; x += 64) {
            op_rows64(false, lo, g + x);
            op_rows64(true, hi, g + x);
        }
        for (; x < gray->width; x++) {
            l = g[x] < l ? g[x] : l;
            h = g[x] > h ? g[x] : h;
        }
    }
    for (int i = 0; i < 64; i++) {
        l = lo[i] < l ? lo[i] : l;
        h = hi[i] > h ? hi[i] : h;
    }
    *min = l;
    *max = h;
}
