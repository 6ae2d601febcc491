/* howe.c - Howe's Laplacian-energy binarization with automatic tuning.
 * N. Howe, "A Laplacian energy for document binarization", ICDAR 2011, and
 * "Document binarization with automatic parameter tuning", IJDAR 16, 2013.
 * Follows the author's released MATLAB code (binarizeImage.m, Alg1-3):
 *  - data term from the Laplacian, computed as the divergence of the forward
 *    gradient (MATLAB divergence, central differences inside): ink costs
 *    1500 - L, paper 1500 + L, on a (w-1) x (h-1) grid of nodes;
 *  - bright outliers (I - G20*I > 2 rms, Gaussian sigma 20) are forced to paper
 *    by L = -500;
 *  - 4-neighbour smoothness weight c, removed where a Canny edge pixel (sigma
 *    0.6, thresholds tlo/thi) is the darker pixel of the pair;
 *  - graph cut (maxflow.c), ink = sink side; the last row and column repeated;
 *    ink pixels with paper above and to the left removed;
 *  - tuning (IJDAR Alg. 1): 33 cuts with c = 20..5120 (log-spaced); the c in
 *    the middle of the most stable stretch of the smoothed pixel-change curve
 *    wins; Alg. 2 (default) repeats it for thi = 0.15..0.65 and keeps the thi
 *    whose result changes least; Alg. 3 picks thi 0.25 or 0.5, whichever is
 *    closer to the result at 0.375. Our addition to both: a (nearly) blank
 *    result, the stable end of the thi range when a few strong edges leave
 *    the text without any, is not eligible (DIBCO 2017 page 1 came out empty).
 * Speed: the 363 cuts of Alg. 2 are one walk of a graph through the (thi, c)
 * grid, each cut starting from the previous flow (see howe_job_run); blocks
 * of thi values run as jobs on the ctx pool, with identical results.
 * Memory: about 40 bytes per pixel per job plus 1 bit per pixel per cut kept
 * (363 for Alg. 2).
 */
#include "canny.h"
#include "classic.h"
#include "db_internal.h"
#include "maxflow.h"

#include <math.h>
#include <string.h>

enum { HOWE_NC = 33, HOWE_MAX_THI = 11 };

/* A tuned result with less ink than this fraction of the fullest one is blank. */
#define HOWE_BLANK_FRACTION 0.125

/* Data shared by every cut of one page. */
typedef struct howe_page {
    const db_image *gray;
    int w, h, gw, gh;  /* image and node grid (w-1) x (h-1) */
    size_t gn;         /* nodes */
    size_t words;      /* 64-bit words per packed output row */
    size_t plane;      /* words per packed output image */
    float *mag;        /* Canny magnitude, w*h */
    uint8_t *maxima;   /* Canny local maxima, w*h */
    float *lap;        /* data term L per node */
    double tlo;
    double clist[HOWE_NC], thi[HOWE_MAX_THI];
    int nc, nthi;
    uint8_t *links;    /* nthi link maps (gn bytes each) */
    uint64_t *planes;  /* nthi * nc packed results, thi-major */
} howe_page;

/* Per-job scratch, made once per page. */
typedef struct howe_work {
    db_maxflow *graph;
    uint8_t *edges;    /* w*h */
    int32_t *stack;    /* w*h */
    int t0;            /* first thi of the job's block */
    int32_t *diff;     /* nodes whose links differ between thi t and t+1, t in the block */
    int32_t diff_start[HOWE_MAX_THI + 1];
} howe_work;

/* ---- Gaussian smoothing as Howe's gsmooth.m ---- */

static int reflect(int i, int n)
{
    /* MATLAB padarray 'symmetric': ... b a | a b c | c b ..., any distance */
    int p = 2 * n;
    i %= p;
    if (i < 0)
        i += p;
    return i < n ? i : p - 1 - i;
}

/* out = separable Gaussian(sigma, radius) of in (w x h floats); mirror = true
 * reflects the borders, false treats outside pixels as 0 (conv2 'same').
 * tmp: w*h floats, row: w + 2*radius floats. */
static void gsmooth(const float *in, int w, int h, double sigma, int radius, bool mirror,
                    float *tmp, float *row, float *out)
{
    float kbuf[2 * 128 + 1];
    float *k = kbuf + radius;
    double sum = 0;
    for (int i = -radius; i <= radius; i++)
        sum += exp(-(double)(i * i) / (2 * sigma * sigma));
    for (int i = -radius; i <= radius; i++)
        k[i] = (float)(exp(-(double)(i * i) / (2 * sigma * sigma)) / sum);
    /* columns */
    for (int y = 0; y < h; y++) {
        float *o = tmp + (size_t)y * w;
        memset(o, 0, (size_t)w * sizeof *o);
        for (int t = -radius; t <= radius; t++) {
            int yy = y + t;
            if (yy < 0 || yy >= h) {
                if (!mirror)
                    continue;
                yy = reflect(yy, h);
            }
            const float *src = in + (size_t)yy * w;
            float kt = k[t];
            for (int x = 0; x < w; x++)
                o[x] += kt * src[x];
        }
    }
    /* rows, through a padded copy so the inner loop has no border test */
    for (int y = 0; y < h; y++) {
        const float *src = tmp + (size_t)y * w;
        for (int x = -radius; x < w + radius; x++)
            row[x + radius] =
                x >= 0 && x < w ? src[x] : mirror ? src[reflect(x, w)] : 0.0f;
        float *o = out + (size_t)y * w;
        memset(o, 0, (size_t)w * sizeof *o);
        for (int t = -radius; t <= radius; t++) {
            const float *s = row + radius + t;
            float kt = k[t];
            for (int x = 0; x < w; x++)
                o[x] += kt * s[x];
        }
    }
}

/* ---- the page-wide terms ---- */

/* MATLAB gradient() along one axis of length n at index i of f (stride s). */
static inline float grad1(const float *f, int i, int n, ptrdiff_t s)
{
    if (n < 2)
        return 0;
    if (i == 0)
        return f[s] - f[0];
    if (i == n - 1)
        return f[0] - f[-s];
    return 0.5f * (f[s] - f[-s]);
}

static int howe_prepare(db_ctx *ctx, howe_page *pg, double sigma_edge)
{
    const db_image *g = pg->gray;
    const int w = pg->w, h = pg->h, gw = pg->gw, gh = pg->gh;
    const size_t n = (size_t)w * h, gn = (size_t)gw * gh;
    pg->mag = db_malloc(ctx, n * sizeof(float));
    pg->maxima = db_malloc(ctx, n);
    pg->lap = db_malloc(ctx, gn * sizeof(float));
    const int radius = 60;
    size_t scratch = db_canny_scratch_floats(w, h);
    if (scratch < 4 * n + (size_t)w + 2 * radius)
        scratch = 4 * n + (size_t)w + 2 * radius;
    float *s = db_malloc(ctx, scratch * sizeof(float));
    if (!pg->mag || !pg->maxima || !pg->lap || !s) {
        db_free(s);
        return DB_ENOMEM;
    }
    db_canny_gradient(g, sigma_edge, s, pg->mag, pg->maxima);

    /* Laplacian = divergence of the forward gradient, on the gw x gh grid. */
    float *dx = s, *dy = s + gn;
    for (int y = 0; y < gh; y++) {
        const uint8_t *r0 = db_image_row(g, y), *r1 = db_image_row(g, y + 1);
        for (int x = 0; x < gw; x++) {
            dx[(size_t)y * gw + x] = (float)r0[x + 1] - (float)r0[x];
            dy[(size_t)y * gw + x] = (float)r1[x] - (float)r0[x];
        }
    }
    for (int y = 0; y < gh; y++)
        for (int x = 0; x < gw; x++) {
            size_t i = (size_t)y * gw + x;
            pg->lap[i] = grad1(dx + i, x, gw, 1) + grad1(dy + i, y, gh, gw);
        }

    /* High-confidence paper: I - G*I more than twice the local rms. */
    float *img = s, *sm = s + n, *tmp = s + 2 * n, *sq = s + 3 * n, *row = s + 4 * n;
    for (int y = 0; y < h; y++) {
        const uint8_t *r = db_image_row(g, y);
        for (int x = 0; x < w; x++)
            img[(size_t)y * w + x] = r[x];
    }
    gsmooth(img, w, h, 20.0, radius, true, tmp, row, sm);
    for (size_t i = 0; i < n; i++) {
        img[i] -= sm[i]; /* img2 */
        sq[i] = img[i] * img[i];
    }
    gsmooth(sq, w, h, 20.0, 50, false, tmp, row, sm); /* gsmooth default radius ceil(2.5 sigma) */
    for (int y = 0; y < gh; y++)
        for (int x = 0; x < gw; x++) {
            size_t i = (size_t)y * w + x;
            float rms = sqrtf(sm[i] > 0 ? sm[i] : 0);
            if (img[i] > 2.0f * (rms + 2.2204460492503131e-16f))
                pg->lap[(size_t)y * gw + x] = -500.0f;
        }
    db_free(s);
    return 0;
}

/* ---- one thi: edges and links ---- */

/* links[k] for node k: DB_MF_LINK_DOWN / _RIGHT when that smoothness link is
 * kept. A link is dropped where a Canny edge pixel is the darker of the two. */
static void howe_links(const howe_page *pg, const uint8_t *e, uint8_t *links)
{
    const int w = pg->w, gw = pg->gw, gh = pg->gh;
    for (int y = 0; y < gh; y++) {
        const uint8_t *r0 = db_image_row(pg->gray, y), *r1 = db_image_row(pg->gray, y + 1);
        for (int x = 0; x < gw; x++) {
            size_t i = (size_t)y * w + x;
            int dxp = r0[x + 1] > r0[x], dyp = r1[x] > r0[x];
            int down = !((e[i] && dyp) || (e[i + w] && !dyp));
            int right = !((e[i] && dxp) || (e[i + 1] && !dxp));
            links[(size_t)y * gw + x] =
                (uint8_t)((down ? DB_MF_LINK_DOWN : 0) | (right ? DB_MF_LINK_RIGHT : 0));
        }
    }
}

/* Packs the cut into out (h rows of pg->words): ink = sink side, the last row
 * and column repeated, then ink with paper above and to the left removed. */
static void howe_extract(const howe_page *pg, const db_maxflow *gr, uint64_t *out)
{
    const int w = pg->w, h = pg->h, gw = pg->gw, gh = pg->gh;
    const size_t words = pg->words;
    for (int y = 0; y < h; y++) {
        uint64_t *o = out + (size_t)y * words;
        if (y < gh) {
            o[words - 1] = 0;
            db_maxflow_sink_bits(gr, y, o);
            if ((o[(gw - 1) >> 6] >> ((gw - 1) & 63)) & 1)
                o[(w - 1) >> 6] |= (uint64_t)1 << ((w - 1) & 63);
        } else {
            memcpy(o, o - words, words * sizeof *o);
        }
    }
    for (int y = h - 1; y >= 0; y--) { /* bottom-up so rows above are still unmodified */
        uint64_t *o = out + (size_t)y * words;
        const uint64_t *up = y > 0 ? o - words : o;
        uint64_t carry = o[0] & 1; /* x = 0 replicates itself: never paper to its left */
        for (size_t k = 0; k < words; k++) {
            uint64_t orig = o[k];
            uint64_t left = orig << 1 | carry;
            carry = orig >> 63;
            o[k] = orig & ~(~up[k] & ~left);
        }
    }
}

static size_t count_bits(const uint64_t *a, size_t nwords)
{
    size_t d = 0;
    for (size_t i = 0; i < nwords; i++)
        d += (size_t)__builtin_popcountll(a[i]);
    return d;
}

static size_t diff_bits(const uint64_t *a, const uint64_t *b, size_t nwords)
{
    size_t d = 0;
    for (size_t i = 0; i < nwords; i++)
        d += (size_t)__builtin_popcountll(a[i] ^ b[i]);
    return d;
}

/* d[m] = full convolution of v[0..n-1] with fspecial('gaussian',[6 1],1),
 * cropped by 2 at each end: n + 1 values. */
static void smooth_curve(const double *v, int n, double *d)
{
    double f[6], s = 0;
    for (int t = 0; t < 6; t++)
        s += f[t] = exp(-(t - 2.5) * (t - 2.5) / 2);
    for (int t = 0; t < 6; t++)
        f[t] /= s;
    for (int m = 0; m <= n; m++) {
        double acc = 0;
        for (int k = 0; k < n; k++)
            if (m + 2 - k >= 0 && m + 2 - k < 6)
                acc += v[k] * f[m + 2 - k];
        d[m] = acc;
    }
}

static const uint64_t *plane_at(const howe_page *pg, int t, int ic)
{
    return pg->planes + ((size_t)t * pg->nc + ic) * pg->plane;
}

/* Alg. 1: the c in the middle of the most stable stretch of the smoothed
 * change curve of thi t (q < r < s maximising d(q) + d(s) - 2 d(r), the first
 * maximum in loop order). */
static int howe_pick_c(const howe_page *pg, int t)
{
    if (pg->nc < 4)
        return 0;
    double bsd[HOWE_NC] = {0}, d[HOWE_NC + 1];
    for (int ic = 1; ic < pg->nc; ic++)
        bsd[ic - 1] = (double)diff_bits(plane_at(pg, t, ic), plane_at(pg, t, ic - 1), pg->plane) /
                      ((double)pg->w * pg->h);
    smooth_curve(bsd, pg->nc - 1, d);
    int r = 0;
    double best = -INFINITY;
    for (int i = 0; i < pg->nc - 2; i++)
        for (int j = i + 2; j < pg->nc; j++)
            for (int k = i + 1; k < j; k++) {
                double v = d[i] + d[j] - 2 * d[k];
                if (v > best) {
                    best = v;
                    r = k;
                }
            }
    return r;
}

/* ---- the cuts of a block of thi values: one graph walks the (thi, c) grid ---- */

/* Job k takes a contiguous block of thi values, with scratch and graph k (so
 * scratch is never shared, whatever worker runs the job). Its graph visits
 * every (thi, c) of the block in snake order: up the thi values at c[0], raise
 * c, down the thi values, raise c, ... Raising c keeps the flow and the trees
 * (only residuals grow); moving to the next thi changes only the links where
 * the two edge maps differ (db_maxflow_change_edge). Both moves are cheap
 * next to a cold solve. The cut kept is the smallest sink side of the minimum
 * cuts, so the path through the grid never changes a result. */
typedef struct howe_job {
    howe_page *pg;
    howe_work *work;
    int njobs;
    int phase; /* 0: link maps of the block's thi values, 1: the cuts */
} howe_job;

/* Moves gr from thi `from` to the neighbouring thi `to` at weight c: only the
 * links in the difference list of the pair (nodes whose link bits differ). */
static void howe_goto_thi(const howe_page *pg, const howe_work *wk, db_maxflow *gr, int from,
                          int to, float c)
{
    const int lo = from < to ? from : to;
    const uint8_t *b = pg->links + (size_t)to * pg->gn;
    const int32_t *list = wk->diff + wk->diff_start[lo - wk->t0];
    const int32_t count = wk->diff_start[lo - wk->t0 + 1] - wk->diff_start[lo - wk->t0];
    const uint8_t *a = pg->links + (size_t)from * pg->gn;
    for (int32_t k = 0; k < count; k++) {
        int32_t i = list[k];
        int x = (int)(i % pg->gw), y = (int)(i / pg->gw);
        uint8_t diff = a[i] ^ b[i];
        if ((diff & DB_MF_LINK_DOWN) && y + 1 < pg->gh)
            db_maxflow_change_edge(gr, x, y, DB_MF_DOWN, (b[i] & DB_MF_LINK_DOWN) ? c : 0.0f);
        if ((diff & DB_MF_LINK_RIGHT) && x + 1 < pg->gw)
            db_maxflow_change_edge(gr, x, y, DB_MF_RIGHT, (b[i] & DB_MF_LINK_RIGHT) ? c : 0.0f);
    }
}

/* Difference lists between consecutive thi of the block [t0, t1). */
static int howe_diffs(db_ctx *ctx, const howe_page *pg, howe_work *wk, int t0, int t1)
{
    size_t total = 0;
    for (int t = t0; t + 1 < t1; t++) {
        const uint8_t *a = pg->links + (size_t)t * pg->gn, *b = a + pg->gn;
        for (size_t i = 0; i < pg->gn; i++)
            total += a[i] != b[i];
    }
    wk->t0 = t0;
    wk->diff = db_malloc(ctx, (total ? total : 1) * sizeof(int32_t));
    if (!wk->diff)
        return DB_ENOMEM;
    size_t k = 0;
    wk->diff_start[0] = 0;
    for (int t = t0; t + 1 < t1; t++) {
        const uint8_t *a = pg->links + (size_t)t * pg->gn, *b = a + pg->gn;
        for (size_t i = 0; i < pg->gn; i++)
            if (a[i] != b[i])
                wk->diff[k++] = (int32_t)i;
        wk->diff_start[t - t0 + 1] = (int32_t)k;
    }
    return 0;
}

static void howe_job_run(void *arg, int job, int worker)
{
    howe_job *j = arg;
    howe_page *pg = j->pg;
    howe_work *wk = &j->work[job];
    const int t0 = (int)((int64_t)pg->nthi * job / j->njobs);
    const int t1 = (int)((int64_t)pg->nthi * (job + 1) / j->njobs);
    if (t0 >= t1)
        return;
    if (j->phase == 0) {
        for (int t = t0; t < t1; t++) {
            db_canny_edges(pg->w, pg->h, pg->mag, pg->maxima, pg->tlo, pg->thi[t], true,
                           wk->stack, wk->edges);
            howe_links(pg, wk->edges, pg->links + (size_t)t * pg->gn);
        }
        return;
    }
    db_maxflow *gr = wk->graph;
    db_maxflow_reset(gr);
    for (int y = 0; y < pg->gh; y++)
        for (int x = 0; x < pg->gw; x++) {
            float l = pg->lap[(size_t)y * pg->gw + x];
            db_maxflow_add_tweights(gr, x, y, 1500.0f - l, 1500.0f + l);
        }
    int t = t0;
    db_maxflow_add_edges(gr, pg->links + (size_t)t * pg->gn, (float)pg->clist[0]);
    for (int ic = 0; ic < pg->nc; ic++) {
        const float c = (float)pg->clist[ic];
        if (ic > 0)
            db_maxflow_add_edges(gr, pg->links + (size_t)t * pg->gn,
                                 c - (float)pg->clist[ic - 1]);
        const int step = ic % 2 == 0 ? 1 : -1;
        for (int k = 0; k < t1 - t0; k++) {
            int next = step > 0 ? t0 + k : t1 - 1 - k;
            if (next != t)
                howe_goto_thi(pg, wk, gr, t, next, c);
            t = next;
            db_maxflow_solve(gr);
            howe_extract(pg, gr, pg->planes + ((size_t)t * pg->nc + ic) * pg->plane);
        }
    }
}

static void work_free(howe_work *wk)
{
    db_maxflow_free(wk->graph);
    db_free(wk->edges);
    db_free(wk->stack);
    db_free(wk->diff);
}

static int work_alloc(db_ctx *ctx, const howe_page *pg, howe_work *wk)
{
    const size_t n = (size_t)pg->w * pg->h;
    DB_TRY(db_maxflow_create(ctx, pg->gw, pg->gh, &wk->graph));
    wk->edges = db_malloc(ctx, n);
    wk->stack = db_malloc(ctx, n * sizeof(int32_t));
    return wk->edges && wk->stack ? 0 : DB_ENOMEM;
}

enum { P_TUNE, P_C, P_THI, P_TLO, P_SIGMA, P_COUNT };

/* The parameter grid of the tuning mode. */
static void howe_grid(const double *params, howe_page *pg)
{
    const int tune = (int)params[P_TUNE];
    if (tune == 0) {
        pg->clist[0] = params[P_C];
        pg->nc = 1;
    } else {
        for (int i = 0; i < HOWE_NC; i++)
            pg->clist[i] = exp(log(20.0) + (log(5120.0) - log(20.0)) * i / (HOWE_NC - 1));
        pg->nc = HOWE_NC;
    }
    if (tune == 2) {
        pg->nthi = HOWE_MAX_THI;
        for (int i = 0; i < pg->nthi; i++)
            pg->thi[i] = 0.15 + 0.05 * i;
    } else if (tune == 3) {
        pg->nthi = 3;
        pg->thi[0] = 0.25;
        pg->thi[1] = 0.375;
        pg->thi[2] = 0.5;
    } else {
        pg->nthi = 1;
        pg->thi[0] = params[P_THI];
    }
}

static int howe_select(db_ctx *ctx, howe_page *pg, int tune, uint64_t *result)
{
    db_pool *pool = db_ctx_pool(ctx);
    int njobs = db_pool_size(pool);
    if (njobs > pg->nthi)
        njobs = pg->nthi;
    howe_work work[HOWE_MAX_THI];
    memset(work, 0, sizeof work);
    size_t nplanes = (size_t)pg->nthi * pg->nc, bytes;
    int rc = 0;
    if (!db_mul_size(nplanes * pg->plane, sizeof(uint64_t), &bytes))
        return db_fail(ctx, DB_ETOOBIG, "howe: image too large");
    pg->planes = db_malloc(ctx, bytes);
    pg->links = db_malloc(ctx, (size_t)pg->nthi * pg->gn);
    if (!pg->planes || !pg->links)
        rc = DB_ENOMEM;
    for (int i = 0; rc == 0 && i < njobs; i++)
        rc = work_alloc(ctx, pg, &work[i]);
    howe_job job = {.pg = pg, .work = work, .njobs = njobs};
    for (job.phase = 0; rc == 0 && job.phase < 2; job.phase++) {
        /* between the phases, on this thread: the difference lists */
        for (int i = 0; rc == 0 && job.phase == 1 && i < njobs; i++)
            rc = howe_diffs(ctx, pg, &work[i], (int)((int64_t)pg->nthi * i / njobs),
                            (int)((int64_t)pg->nthi * (i + 1) / njobs));
        if (rc != 0)
            break;
        if (njobs == 1)
            howe_job_run(&job, 0, 0);
        else
            db_pool_run(pool, njobs, howe_job_run, &job);
        if (db_ctx_canceled(ctx))
            rc = db_fail(ctx, DB_ECANCELED, "howe: canceled");
    }
    for (int i = 0; i < njobs; i++)
        work_free(&work[i]);
    if (rc == 0) {
        int r[HOWE_MAX_THI];
        for (int t = 0; t < pg->nthi; t++)
            r[t] = howe_pick_c(pg, t);
        int pick = 0;
        /* A high thi can leave too few edges to stop the smoothness term from
         * wiping the text out: the cuts then settle on a (nearly) blank page,
         * and that degenerate stretch is the most stable one. Such a result,
         * with under HOWE_BLANK_FRACTION of the ink of the fullest tuned
         * result, cannot win the thi selection (the fullest one never is). */
        size_t ink[HOWE_MAX_THI], most = 0;
        bool blank[HOWE_MAX_THI];
        for (int t = 0; t < pg->nthi; t++) {
            ink[t] = count_bits(plane_at(pg, t, r[t]), pg->plane);
            if (ink[t] > most)
                most = ink[t];
        }
        for (int t = 0; t < pg->nthi; t++)
            blank[t] = (double)ink[t] < HOWE_BLANK_FRACTION * (double)most;
        if (tune == 2) {
            /* Alg. 2: the thi whose Alg. 1 result changes least (smoothed) */
            double bsd[HOWE_MAX_THI] = {0}, d[HOWE_MAX_THI + 1];
            for (int t = 1; t < pg->nthi; t++)
                bsd[t - 1] = (double)diff_bits(plane_at(pg, t, r[t]), plane_at(pg, t - 1, r[t - 1]),
                                               pg->plane) /
                             ((double)pg->w * pg->h);
            smooth_curve(bsd, pg->nthi - 1, d);
            /* the first minimum among the non-blank results */
            pick = -1;
            for (int t = 0; t < pg->nthi; t++)
                if (!blank[t] && (pick < 0 || d[t] < d[pick]))
                    pick = t;
        } else if (tune == 3) {
            /* Alg. 3: thi 0.25 or 0.5, whichever result is closer to 0.375's */
            size_t dlo = diff_bits(plane_at(pg, 0, r[0]), plane_at(pg, 1, r[1]), pg->plane);
            size_t dhi = diff_bits(plane_at(pg, 2, r[2]), plane_at(pg, 1, r[1]), pg->plane);
            pick = blank[0] != blank[2] ? (blank[0] ? 2 : 0) : dlo < dhi ? 0 : 2;
        }
        memcpy(result, plane_at(pg, pick, r[pick]), pg->plane * sizeof(uint64_t));
    }
    db_free(pg->planes);
    db_free(pg->links);
    pg->planes = NULL;
    pg->links = NULL;
    return rc;
}

static int howe_run(db_ctx *ctx, const db_image *gray, const double *params, db_image *out)
{
    const int w = gray->width, h = gray->height;
    if (w < 2 || h < 2) {
        /* no 2x2 neighbourhood to take a Laplacian on: global Otsu */
        uint64_t hist[256];
        db_gray_histogram(gray, hist);
        return db_threshold_global(ctx, gray, db_otsu_threshold(hist), out);
    }
    howe_page pg = {.gray = gray, .w = w, .h = h, .gw = w - 1, .gh = h - 1,
                    .gn = (size_t)(w - 1) * (size_t)(h - 1), .words = ((size_t)w + 63) / 64,
                    .tlo = params[P_TLO]};
    pg.plane = (size_t)h * pg.words;
    howe_grid(params, &pg);
    for (int i = 0; i < pg.nthi; i++)
        if (pg.thi[i] <= pg.tlo)
            return db_fail(ctx, DB_EINVAL, "howe: thi %g must be above tlo %g", pg.thi[i],
                           pg.tlo);
    DB_TRY(db_image_ensure(ctx, out, w, h, DB_BIT1));
    int rc = howe_prepare(ctx, &pg, params[P_SIGMA]);
    uint64_t *result = NULL;
    if (rc == 0) {
        result = db_malloc(ctx, pg.plane * sizeof(uint64_t));
        rc = result ? howe_select(ctx, &pg, (int)params[P_TUNE], result) : DB_ENOMEM;
    }
    if (rc == 0) {
        for (int y = 0; y < h; y++)
            memcpy(db_image_row(out, y), result + (size_t)y * pg.words,
                   pg.words * sizeof(uint64_t));
    }
    db_free(result);
    db_free(pg.mag);
    db_free(pg.maxima);
    db_free(pg.lap);
    return rc;
}

static const db_method_param howe_params[P_COUNT] = {
    [P_TUNE] = {"tune", 2, 0, 3, true,
                "0 fixed c and thi, 1 tune c (Alg. 1), 2 tune c and thi (Alg. 2), "
                "3 tune c, thi 0.25 or 0.5 (Alg. 3)"},
    [P_C] = {"c", 160, 1, 100000, false, "smoothness weight when tune=0"},
    [P_THI] = {"thi", 0.4, 0.01, 1, false, "Canny high threshold (fraction of the maximum) "
                                           "when tune is 0 or 1"},
    [P_TLO] = {"tlo", 0.1, 0, 0.99, false, "Canny low threshold (fraction of the maximum)"},
    [P_SIGMA] = {"sigma", 0.6, 0.1, 10, false, "Canny Gaussian sigma in pixels"},
};

const db_method_info db_howe_method = {
    .name = "howe",
    .summary = "Laplacian energy minimised by graph cut, Canny edges, self-tuned c and thi",
    .reference = "N. Howe, IJDAR 16, 2013 (Alg. 2; defaults c=160 thi=0.4 tlo=0.1 sigma=0.6 "
                 "from the author's code)",
    .nparams = P_COUNT,
    .params = howe_params,
    .run = howe_run,
};
