/* bench_kernels.c - speed of the 1-bit kernels and engine (nets/), printed as
 * a table with ratios measured in the same run (this shared VM drifts):
 *  - peak: a register-only XOR + VPOPCNTQ + add loop (binary MACs/s);
 *  - binary 3x3 conv 64->64 and 128->128 on 512x512 (accumulators only, and
 *    with the fused float+bits output transform), % of peak;
 *  - the same conv in float: im2col + OpenBLAS sgemm (one thread), speedup;
 *  - end to end, on an A4 300-dpi page on 1 and 2 threads: the networks.md
 *    U-Net and the trainer's architecture (nets/train/arch.c, HAAR2 front end,
 *    width 32, 4 levels), both with random weights; CPU seconds per page.
 *
 *   bench_kernels [--isa ref|avx2|avx512] [--runs N] [--size WxH] [--tile T]
 *                 [--no-e2e] [--no-float] [--arch unet|train|both|none] [--model FILE]
 *  (--model: also the e2e table of a trained .dbm file, e.g. data/gan.dbm)
 */
#include "bench_util.h"
#include "docbin.h"

#include "nets/kernels/kernels.h"
#include "nets/model.h"
#include "nets/train/train_internal.h"
#include "nets/unet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef DOCBIN_HAVE_OPENBLAS
#include <cblas.h>
#endif
#if defined(__x86_64__)
#include <immintrin.h>
#endif

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545f4914f6cdd1dull;
}

/* ---- peak: 12 independent accumulators, operands in registers ---- */
#if defined(__x86_64__)
__attribute__((target("avx512f,avx512vpopcntdq"))) static double peak_avx512(long iters)
{
    __m512i a[12], s[12];
    for (int i = 0; i < 12; i++) {
        a[i] = _mm512_set1_epi64((long long)rnd());
        s[i] = _mm512_setzero_si512();
    }
    __m512i w = _mm512_set1_epi64((long long)rnd());
    double t0 = now_s();
    for (long it = 0; it < iters; it++) {
#pragma GCC unroll 12
        for (int i = 0; i < 12; i++)
            s[i] = _mm512_add_epi64(s[i], _mm512_popcnt_epi64(_mm512_xor_si512(a[i], w)));
        __asm__ volatile("" : "+v"(w)); /* keep the loop from being folded */
    }
    double t = now_s() - t0;
    __m512i tot = s[0];
    for (int i = 1; i < 12; i++)
        tot = _mm512_add_epi64(tot, s[i]);
    volatile long long sink = _mm512_reduce_add_epi64(tot);
    (void)sink;
    return (double)iters * 12 * 512 / t;
}
#endif

static double peak_scalar(long iters)
{
    uint64_t a[8], s[8] = {0}, w = rnd();
    for (int i = 0; i < 8; i++)
        a[i] = rnd();
    double t0 = now_s();
    for (long it = 0; it < iters; it++) {
#pragma GCC unroll 8
        for (int i = 0; i < 8; i++)
            s[i] += (uint64_t)__builtin_popcountll(a[i] ^ w);
        __asm__ volatile("" : "+r"(w));
    }
    double t = now_s() - t0;
    volatile uint64_t sink = s[0] + s[7];
    (void)sink;
    return (double)iters * 8 * 64 / t;
}

/* ---- binary conv on a whole map, the way the engine calls it ---- */
typedef struct bmap {
    int w, h, cin, cout, words;
    uint64_t *in, *wts, *bits;
    int32_t *acc;
    float *out, *alpha, *scale, *bias, *s1, *slope, *s2, *thr;
} bmap;

static void bmap_init(bmap *m, int w, int h, int cin, int cout)
{
    m->w = w;
    m->h = h;
    m->cin = cin;
    m->cout = cout;
    m->words = db_words(cin);
    size_t nin = (size_t)(w + 2) * (size_t)(h + 2) * (size_t)m->words;
    m->in = aligned_alloc(64, nin * 8);
    for (size_t i = 0; i < nin; i++)
        m->in[i] = rnd();
    size_t nw = (size_t)9 * (size_t)m->words * (size_t)db_cout8(cout);
    m->wts = aligned_alloc(64, nw * 8);
    for (size_t i = 0; i < nw; i++)
        m->wts[i] = rnd();
    m->acc = aligned_alloc(64, 64 * (size_t)cout * 4);
    m->out = aligned_alloc(64, (size_t)w * (size_t)h * (size_t)cout * 4);
    m->bits = aligned_alloc(64, (size_t)w * (size_t)h * (size_t)db_words(cout) * 8);
    float **ps[] = {&m->alpha, &m->scale, &m->bias, &m->s1, &m->slope, &m->s2, &m->thr};
    for (int i = 0; i < 7; i++) {
        *ps[i] = malloc((size_t)cout * 4);
        for (int o = 0; o < cout; o++)
            (*ps[i])[o] = (float)(rnd() >> 40) / (float)(1 << 24) - 0.5f;
    }
}

static void bmap_free(bmap *m)
{
    free(m->in);
    free(m->wts);
    free(m->acc);
    free(m->out);
    free(m->bits);
    float *ps[] = {m->alpha, m->scale, m->bias, m->s1, m->slope, m->s2, m->thr};
    for (int i = 0; i < 7; i++)
        free(ps[i]);
}

static double bconv_run(const db_kernels *k, bmap *m, bool post)
{
    size_t in_row = (size_t)(m->w + 2) * (size_t)m->words;
    db_bpost p = {.cout = m->cout,
                  .alpha = m->alpha,
                  .bn_scale = m->scale,
                  .bn_bias = m->bias,
                  .rp_s1 = m->s1,
                  .rp_slope = m->slope,
                  .rp_s2 = m->s2,
                  .thr = m->thr};
    int32_t K = 9 * m->cin, nwo = db_words(m->cout);
    double t0 = now_s();
    for (int y = 0; y < m->h; y++)
        for (int x = 0; x < m->w; x += 32) {
            int n = m->w - x < 32 ? m->w - x : 32;
            k->bconv(m->in + (size_t)y * in_row + (size_t)x * (size_t)m->words, in_row, m->words, 3,
                     1, n, m->wts, m->cout, K, m->acc);
            if (post) {
                size_t pix = (size_t)y * (size_t)m->w + (size_t)x;
                k->bpost(&p, m->acc, n, NULL, m->out + pix * (size_t)m->cout,
                         m->bits + pix * (size_t)nwo);
            }
        }
    return now_s() - t0;
}

#ifdef DOCBIN_HAVE_OPENBLAS
/* Float 3x3 conv, stride 1, zero padding: im2col in bands of 8 rows, then
 * C[px][cout] = A[px][9 cin] * W[9 cin][cout] with one-thread sgemm. */
static double float_conv(int w, int h, int cin, int cout)
{
    float *x = malloc((size_t)w * (size_t)h * (size_t)cin * 4);
    float *wt = malloc((size_t)9 * (size_t)cin * (size_t)cout * 4);
    float *y = malloc((size_t)w * (size_t)h * (size_t)cout * 4);
    int band = 8, kc = 9 * cin;
    float *col = malloc((size_t)band * (size_t)w * (size_t)kc * 4);
    for (size_t i = 0; i < (size_t)w * (size_t)h * (size_t)cin; i++)
        x[i] = (float)(rnd() >> 40) / (float)(1 << 24) - 0.5f;
    for (size_t i = 0; i < (size_t)kc * (size_t)cout; i++)
        wt[i] = (float)(rnd() >> 40) / (float)(1 << 24) - 0.5f;
    double t0 = now_s();
    for (int y0 = 0; y0 < h; y0 += band) {
        int nb = h - y0 < band ? h - y0 : band;
        for (int yy = 0; yy < nb; yy++)
            for (int xx = 0; xx < w; xx++) {
                float *c = col + ((size_t)yy * (size_t)w + (size_t)xx) * (size_t)kc;
                for (int ky = 0; ky < 3; ky++)
                    for (int kx = 0; kx < 3; kx++) {
                        int iy = y0 + yy + ky - 1, ix = xx + kx - 1;
                        float *d = c + (size_t)(ky * 3 + kx) * (size_t)cin;
                        if (iy < 0 || iy >= h || ix < 0 || ix >= w)
                            memset(d, 0, (size_t)cin * 4);
                        else
                            memcpy(d, x + ((size_t)iy * (size_t)w + (size_t)ix) * (size_t)cin,
                                   (size_t)cin * 4);
                    }
            }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, nb * w, cout, kc, 1.0f, col, kc, wt,
                    cout, 0.0f, y + (size_t)y0 * (size_t)w * (size_t)cout, cout);
    }
    double t = now_s() - t0;
    free(x);
    free(wt);
    free(y);
    free(col);
    return t;
}
#endif

static double scratch_mib; /* of the last e2e net, per thread */
static double first_cpu;   /* CPU time of its first page (net fresh: scratch first touched) */

/* One e2e measurement: medians over the timed runs (profiling off), then one
 * profiled run: its per-kind CPU seconds summed over threads (prof) and its
 * critical path, the largest per-thread CPU time (crit: the wall time on
 * idle cores). */
typedef struct e2e_result {
    double wall, cpu, crit, prof[DB_PROF_COUNT_];
} e2e_result;

static void e2e(db_ctx *ctx, const db_model *m, const db_image *page, int tile, int runs,
                e2e_result *r)
{
    db_net *net;
    if (db_net_create(ctx, m, &net) || db_net_set_tile(ctx, net, tile)) {
        fprintf(stderr, "bench_kernels: %s\n", db_ctx_message(ctx));
        exit(1);
    }
    db_image out = {0};
    double t[16], c[16];
    for (int i = 0; i <= runs + 1; i++) { /* run 0 warms the arena, the last is profiled */
        db_net_set_profile(net, i == runs + 1);
        double t0 = now_s(), c0 = cpu_s();
        if (db_net_run(ctx, net, page, &out, NULL)) {
            fprintf(stderr, "bench_kernels: %s\n", db_ctx_message(ctx));
            exit(1);
        }
        if (i == 0) {
            first_cpu = cpu_s() - c0;
        } else if (i <= runs) {
            t[i - 1] = now_s() - t0;
            c[i - 1] = cpu_s() - c0;
        }
    }
    db_net_profile(net, -1, r->prof);
    r->crit = 0;
    for (int w = 0; w < db_net_workers(net); w++) {
        double p[DB_PROF_COUNT_], sum = 0;
        db_net_profile(net, w, p);
        for (int k = 0; k < DB_PROF_COUNT_; k++)
            sum += p[k];
        if (sum > r->crit)
            r->crit = sum;
    }
    db_image_free(&out);
    scratch_mib = (double)db_net_scratch_size(net) / (1 << 20);
    db_net_free(net);
    r->cpu = median(c, runs);
    r->wall = median(t, runs);
}

/* One end-to-end table: g with random weights on page, 1 and 2 threads. The
 * CPU time (all threads of the process) per page is the number to compare
 * on this shared VM; wall time and binary MAC/s follow it. Then where the
 * one-thread CPU time goes, per kind of operation. */
static void e2e_table(db_ctx *ctx, db_isa isa, db_model *model, const db_image *page, int tile,
                      int runs, double peak)
{
    db_model_info info;
    db_model_get_info(model, &info);
    double mp = (double)page->width * page->height / 1e6;
    char tl[16] = "auto";
    if (tile >= 0)
        snprintf(tl, sizeof tl, "%d", tile);
    printf("\nend to end: %s, %.2f G binary MACs/MP, halo %d, tile %s, %dx%d (%.2f MP)\n",
           info.name, info.binary_macs_per_mp / 1e9, info.halo, tl, page->width, page->height,
           mp);
    e2e_result r1, r2;
    e2e(ctx, model, page, tile, runs, &r1);
    printf("%-34s %10.0f %12.0f %8.1f   cpu %.0f ms/page (first page %.0f), scratch %.0f "
           "MiB/thread\n",
           "1 thread", r1.wall * 1e3, info.binary_macs_per_mp * mp / r1.wall / 1e9,
           100.0 * info.binary_macs_per_mp * mp / r1.wall / peak, r1.cpu * 1e3, first_cpu * 1e3,
           scratch_mib);
    db_pool *pool;
    db_ctx *pctx;
    db_pool_create(2, &pool);
    db_ctx_create(pool, &pctx);
    if (isa != DB_ISA_AUTO)
        db_ctx_set_isa(pctx, isa);
    e2e(pctx, model, page, tile, runs, &r2);
    printf("%-34s %10.0f %12.0f %8s   cpu %.0f ms/page, scratch %.0f MiB/thread\n", "2 threads",
           r2.wall * 1e3, info.binary_macs_per_mp * mp / r2.wall / 1e9, "-", r2.cpu * 1e3,
           scratch_mib);
    /* on a loaded VM the wall ratio measures the neighbours; the CPU ratio
     * (one-thread CPU over the busiest thread's CPU) is what idle cores give */
    printf("  2 vs 1 thread: wall speedup %.2fx; cpu-based speedup %.2fx (1-thread cpu %.0f ms / "
           "busiest thread %.0f ms), extra work from halos %+.1f%%\n",
           r1.wall / r2.wall, r1.cpu / r2.crit, r1.cpu * 1e3, r2.crit * 1e3,
           100.0 * (r2.cpu / r1.cpu - 1.0));
    double tot = 0;
    for (int k = 0; k < DB_PROF_COUNT_; k++)
        tot += r1.prof[k];
    printf("  where the 1-thread cpu goes (one profiled page, %.0f ms):\n", tot * 1e3);
    for (int k = 0; k < DB_PROF_COUNT_; k++)
        if (r1.prof[k] > 0)
            printf("    %-40s %8.1f ms %6.1f%%\n", db_net_prof_name(k), r1.prof[k] * 1e3,
                   100.0 * r1.prof[k] / tot);
    db_ctx_free(pctx);
    db_pool_free(pool);
}

/* e2e_table of g with random weights (seeded). */
static void e2e_graph(db_ctx *ctx, db_isa isa, db_graph *g, const db_image *page, int tile,
                      int runs, double peak)
{
    db_graph_randomize(g, 42);
    db_model *model;
    if (db_model_from_graph(ctx, g, &model)) {
        fprintf(stderr, "bench_kernels: %s\n", db_ctx_message(ctx));
        exit(1);
    }
    e2e_table(ctx, isa, model, page, tile, runs, peak);
    db_model_free(model);
}

static void print_load(void)
{
    FILE *f = fopen("/proc/loadavg", "r");
    char line[128] = "?";
    if (f) {
        if (!fgets(line, sizeof line, f))
            snprintf(line, sizeof line, "?\n");
        fclose(f);
    }
    printf("machine load (1, 5, 15 min, /proc/loadavg): %s", line);
}

int main(int argc, char **argv)
{
    db_isa isa = DB_ISA_AUTO;
    int runs = 3, pw = 2480, ph = 3508, tile = -1; /* -1: the engine chooses */
    bool do_e2e = true, do_float = true, rgb = false;
    const char *arch_sel = "both", *model_path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--isa") && i + 1 < argc) {
            if (db_isa_parse(argv[++i], &isa)) {
                fprintf(stderr, "bench_kernels: bad --isa\n");
                return 2;
            }
        } else if (!strcmp(argv[i], "--runs") && i + 1 < argc) {
            runs = atoi(argv[++i]);
            runs = runs < 1 ? 1 : runs > 16 ? 16 : runs;
        } else if (!strcmp(argv[i], "--size") && i + 1 < argc) {
            if (sscanf(argv[++i], "%dx%d", &pw, &ph) != 2 || pw < 1 || ph < 1) {
                fprintf(stderr, "bench_kernels: bad --size\n");
                return 2;
            }
        } else if (!strcmp(argv[i], "--tile") && i + 1 < argc) {
            tile = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--no-e2e")) {
            do_e2e = false;
        } else if (!strcmp(argv[i], "--no-float")) {
            do_float = false;
        } else if (!strcmp(argv[i], "--rgb")) {
            rgb = true;
        } else if (!strcmp(argv[i], "--arch") && i + 1 < argc) {
            arch_sel = argv[++i];
        } else if (!strcmp(argv[i], "--model") && i + 1 < argc) {
            model_path = argv[++i];
        } else {
            fprintf(stderr, "usage: bench_kernels [--isa I] [--runs N] [--size WxH] [--tile T] "
                            "[--no-e2e] [--no-float] [--rgb] [--arch unet|train|both|none] "
                            "[--model FILE]\n");
            return 2;
        }
    }
    const db_kernels *k = db_kernels_select(isa);
    if (!k) {
        fprintf(stderr, "bench_kernels: isa not supported here\n");
        return 2;
    }
    printf("isa %s, median of %d runs, one core unless noted\n", db_isa_name(k->isa), runs);
    print_load();
    printf("\n");
    /* the VM's speed drifts (shared cores): the peak loop runs right before
     * each timed conv and the ratio is taken per run, then the median */
    long piters = 4L << 20;
    bool vpeak = false;
#if defined(__x86_64__)
    vpeak = k->isa == DB_ISA_AVX512;
    if (vpeak)
        peak_avx512(1 << 20);
#endif
#define PEAK() (vpeak ? PEAK512() : peak_scalar(piters))
#if defined(__x86_64__)
#define PEAK512() peak_avx512(piters)
#else
#define PEAK512() 0.0
#endif
    double pk[16];
    for (int r = 0; r < runs; r++)
        pk[r] = PEAK();
    double peak = median(pk, runs);
    printf("%-34s %10s %12s %8s %10s\n", "shape", "time ms", "Gbin-MAC/s", "% peak", "vs float");
    printf("%-34s %10s %12.0f %8s %10s\n", "xor+popcount peak loop", "-", peak / 1e9, "100", "-");
    int shapes[2] = {64, 128};
    for (int s = 0; s < 2; s++) {
        int c = shapes[s];
        bmap m;
        bmap_init(&m, 512, 512, c, c);
        double macs = 512.0 * 512.0 * 9.0 * c * c;
        double tf = 0;
#ifdef DOCBIN_HAVE_OPENBLAS
        if (do_float) {
            openblas_set_num_threads(1);
            double v[16];
            for (int r = 0; r < runs; r++)
                v[r] = float_conv(512, 512, c, c);
            tf = median(v, runs);
        }
#endif
        for (int post = 0; post <= 1; post++) {
            double v[16], ratio[16];
            bconv_run(k, &m, post);
            for (int r = 0; r < runs; r++) {
                double p = PEAK();
                v[r] = bconv_run(k, &m, post);
                ratio[r] = macs / v[r] / p;
            }
            double t = median(v, runs);
            char name[64], sp[16] = "-";
            snprintf(name, sizeof name, "bconv3x3 %d->%d 512x512%s", c, c, post ? " +post" : "");
            if (tf > 0)
                snprintf(sp, sizeof sp, "%.1fx", tf / t);
            printf("%-34s %10.2f %12.0f %8.1f %10s\n", name, t * 1e3, macs / t / 1e9,
                   100.0 * median(ratio, runs), sp);
        }
        if (tf > 0) {
            char name[64];
            snprintf(name, sizeof name, "float3x3 %d->%d im2col+sgemm", c, c);
            printf("%-34s %10.2f %12.0f %8s %10s   (%.0f GFLOP/s)\n", name, tf * 1e3,
                   macs / tf / 1e9, "-", "1.0x", 2 * macs / tf / 1e9);
        }
        bmap_free(&m);
    }
    if (!do_e2e)
        return 0;
    db_ctx *ctx;
    db_ctx_create(NULL, &ctx);
    if (isa != DB_ISA_AUTO)
        db_ctx_set_isa(ctx, isa);
    db_image page = {0};
    /* a gray page, or with --rgb a colour one (yellowish paper, bluish ink):
     * colour input runs the 3-channel stem, gray input its one-channel form */
    db_image_ensure(ctx, &page, pw, ph, rgb ? DB_RGB8 : DB_GRAY8);
    for (int y = 0; y < ph; y++)
        for (int x = 0; x < pw; x++) {
            int v = ((x / 9 + y / 13) % 4 ? 220 : 40) + (int)(rnd() & 15);
            uint8_t *p = db_image_row(&page, y) + (size_t)x * (rgb ? 3 : 1);
            p[0] = (uint8_t)v;
            if (rgb) {
                p[1] = (uint8_t)(v - 10);
                p[2] = (uint8_t)(v > 128 ? v - 40 : v + 20);
            }
        }
    db_graph g = {0};
    db_unet_spec sp = db_unet_spec_default();
    if (db_unet_build(ctx, &sp, &g)) {
        fprintf(stderr, "bench_kernels: %s\n", db_ctx_message(ctx));
        return 1;
    }
    if (!strcmp(arch_sel, "unet") || !strcmp(arch_sel, "both"))
        e2e_graph(ctx, isa, &g, &page, tile, runs, peak);
    db_graph_free(&g);
    /* the trainer's network (nets/train/arch.c defaults), exported */
    tnet tn;
    tnet_init(&tn);
    tr_rng trng;
    tr_rng_seed(&trng, 7);
    tr_arch arch = {.width = 32, .levels = 4, .head = TR_HEAD_MASK};
    if (tr_arch_build(ctx, &tn, &arch, &trng) || tnet_to_graph(ctx, &tn, "train-w32-l4", &g)) {
        fprintf(stderr, "bench_kernels: %s\n", db_ctx_message(ctx));
        return 1;
    }
    tnet_free(&tn);
    if (!strcmp(arch_sel, "train") || !strcmp(arch_sel, "both"))
        e2e_graph(ctx, isa, &g, &page, tile, runs, peak);
    db_graph_free(&g);
    if (model_path) { /* a trained model: its real weights and thresholds */
        db_model *model;
        if (db_model_load(ctx, model_path, &model)) {
            fprintf(stderr, "bench_kernels: %s\n", db_ctx_message(ctx));
            return 1;
        }
        e2e_table(ctx, isa, model, &page, tile, runs, peak);
        db_model_free(model);
    }
    print_load();
    db_image_free(&page);
    db_ctx_free(ctx);
    return 0;
}
