/* bench_train.c - training throughput of the trainer (nets/train/): one
 * training step (forward, loss, backward, Adam) of the default network on
 * random patches, timed per op kind (where the time goes), as patches/s and
 * GFLOP/s, against a plain sgemm of a typical layer shape measured in the same
 * run (the ceiling the convolutions can reach).
 *   bench_train [--width N] [--levels N] [--patch N] [--batch N] [--iters N] [-j N]
 */
#include "bench_util.h"
#include "nets/train/train_internal.h"

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { K_CONV, K_BCONV, K_BN, K_OTHER, K_LOSS_ADAM, K_N };
static const char *const kind_names[K_N] = {"conv_real", "bconv", "batchnorm", "other ops",
                                            "loss + adam"};

static int kind_of(db_op op)
{
    return op == DB_OP_CONV_REAL ? K_CONV
           : op == DB_OP_BCONV   ? K_BCONV
           : op == DB_OP_BATCHNORM ? K_BN
                                   : K_OTHER;
}

int main(int argc, char **argv)
{
    int width = 32, levels = 4, patch = 128, batch = 8, iters = 5, jobs = 2;
    for (int i = 1; i + 1 < argc; i += 2) {
        int v = atoi(argv[i + 1]);
        if (!strcmp(argv[i], "--width"))
            width = v;
        else if (!strcmp(argv[i], "--levels"))
            levels = v;
        else if (!strcmp(argv[i], "--patch"))
            patch = v;
        else if (!strcmp(argv[i], "--batch"))
            batch = v;
        else if (!strcmp(argv[i], "--iters"))
            iters = v;
        else if (!strcmp(argv[i], "-j"))
            jobs = v;
    }
    db_ctx *ctx = NULL;
    db_pool *pool = NULL;
    if (db_pool_create(jobs, &pool) || db_ctx_create(pool, &ctx))
        return 1;
    tnet net;
    tnet_init(&net);
    tr_rng rng;
    tr_rng_seed(&rng, 1);
    tr_arch a = {.width = width, .levels = levels, .head = TR_HEAD_MASK};
    tr_adam adam;
    if (tr_arch_build(ctx, &net, &a, &rng) || tnet_prepare(ctx, &net, pool, batch, patch, patch) ||
        tr_adam_init(ctx, &adam, &net)) {
        fprintf(stderr, "bench_train: %s\n", db_ctx_message(ctx));
        return 1;
    }
    size_t npx = (size_t)batch * patch * patch;
    float *x = malloc(npx * TR_IN_CHANNELS * sizeof *x), *t = malloc(npx * sizeof *t);
    for (size_t i = 0; i < npx * TR_IN_CHANNELS; i++)
        x[i] = (float)tr_rng_uniform(&rng);
    for (size_t i = 0; i < npx; i++)
        t[i] = tr_rng_uniform(&rng) < 0.1;
    double real_macs, bin_macs;
    tnet_macs(&net, patch, patch, &real_macs, &bin_macs);
    /* a training step is ~3 forward passes of MACs (forward, input and weight
     * gradients), 2 FLOP each */
    double flop_step = 3.0 * 2.0 * (real_macs + bin_macs) * batch;

    double *step_t = calloc((size_t)iters, sizeof *step_t);
    double kind_t[K_N] = {0};
    tn_node *out = tnet_out(&net);
    double cpu0 = 0, wall0 = 0;
    for (int it = 0; it <= iters; it++) { /* iteration 0 warms up */
        if (it == 1) {
            cpu0 = cpu_s();
            wall0 = now_s();
        }
        double k0[K_N] = {0};
        double t0 = now_s();
        memcpy(net.nodes[0].y, x, npx * TR_IN_CHANNELS * sizeof *x);
        for (int i = 1; i < net.nnodes; i++) {
            double s = now_s();
            tl_forward(&net, i, TN_TRAIN);
            k0[kind_of(net.nodes[i].op)] += now_s() - s;
        }
        double s = now_s();
        tr_loss_bce_dice_logits(out->y, 1, t, npx, 1.0f, out->gy);
        k0[K_LOSS_ADAM] += now_s() - s;
        tnet_zero_grad(&net);
        for (int i = 0; i < net.nnodes - 1; i++) {
            tn_node *nd = &net.nodes[i];
            memset(nd->gy, 0, (size_t)batch * nd->h * nd->w * nd->c * sizeof(float));
        }
        for (int i = net.nnodes - 1; i >= 1; i--) {
            double s2 = now_s();
            tl_backward(&net, i);
            k0[kind_of(net.nodes[i].op)] += now_s() - s2;
        }
        s = now_s();
        tr_adam_step(&adam, &net, 1e-4f, 1.0f);
        k0[K_LOSS_ADAM] += now_s() - s;
        if (it > 0) {
            step_t[it - 1] = now_s() - t0;
            for (int k = 0; k < K_N; k++)
                kind_t[k] += k0[k];
        }
    }
    double cpu_per_step = (cpu_s() - cpu0) / iters, wall_per_step = (now_s() - wall0) / iters;
    qsort(step_t, (size_t)iters, sizeof *step_t, cmp_double);
    double med = step_t[iters / 2];

    /* reference: sgemm of the level-1 3x3 conv shape, one per thread */
    int M = (patch / 2) * (patch / 2), N = width, K = 9 * width;
    float *A = calloc((size_t)M * K, sizeof *A), *B = calloc((size_t)N * K, sizeof *B);
    float *C = calloc((size_t)M * N, sizeof *C);
    for (size_t i = 0; i < (size_t)M * K; i++)
        A[i] = (float)(i % 7) * 0.1f;
    double g0 = now_s();
    int reps = 20;
    for (int r = 0; r < reps; r++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.0f, A, K, B, K, 0.0f, C, N);
    double gemm_gflops = 2.0 * M * N * K * reps / (now_s() - g0) / 1e9;

    printf("bench_train: width %d levels %d patch %d batch %d threads %d, %zu params\n", width,
           levels, patch, batch, db_pool_size(pool), tnet_param_count(&net));
    printf("per patch: %.3f G real MACs, %.3f G binary MACs (forward)\n", real_macs / 1e9,
           bin_macs / 1e9);
    printf("%-14s %10s %8s\n", "part", "ms/step", "share");
    double tot = 0;
    for (int k = 0; k < K_N; k++)
        tot += kind_t[k];
    for (int k = 0; k < K_N; k++)
        printf("%-14s %10.1f %7.1f%%\n", kind_names[k], 1e3 * kind_t[k] / iters,
               100.0 * kind_t[k] / tot);
    printf("step (median of %d): %.1f ms, %.2f patches/s, %.2f GFLOP/s\n", iters, 1e3 * med,
           batch / med, flop_step / med / 1e9);
    printf("CPU time: %.2f CPU-s per step (%.0f%% of %d threads busy): %.2f patches per CPU-s, "
           "%.2f patches/s on %d idle cores\n",
           cpu_per_step, 100.0 * cpu_per_step / wall_per_step / db_pool_size(pool),
           db_pool_size(pool), batch / cpu_per_step, batch / cpu_per_step * db_pool_size(pool),
           db_pool_size(pool));
    printf("reference sgemm %dx%dx%d on 1 thread: %.2f GFLOP/s; training reaches %.2f of it per "
           "thread\n",
           M, N, K, gemm_gflops, flop_step / med / 1e9 / db_pool_size(pool) / gemm_gflops);
    free(A);
    free(B);
    free(C);
    free(x);
    free(t);
    free(step_t);
    tr_adam_free(&adam);
    tnet_free(&net);
    db_ctx_free(ctx);
    db_pool_free(pool);
    return 0;
}
