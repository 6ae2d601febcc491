/* trainer.c - `docbin train`: the training loop. Minibatches of augmented
 * patches (sampler.c) through the 1-bit U-Net (arch.c), BCE + Dice or the DB
 * loss (loss.c), optionally a PatchGAN critic (gan.c), Adam with warm-up and
 * decay and global-norm clipping (optim.c); validation on full pages: the
 * exported graph run by the engine (equal to eval.c's reference forward, bit
 * for bit), best model kept,
 * checkpoints (checkpoint.c). */
#include "nets/train/trainer_internal.h"

#include "nets/model.h"
#include "nets/resample.h"

#include <math.h>
#include <string.h>
#include <time.h>

void db_train_options_defaults(db_train_options *o)
{
    memset(o, 0, sizeof *o);
    o->width = 32;
    o->levels = 4;
    o->patch = 128;
    o->batch = 8;
    o->steps = 6000;
    o->epoch_steps = 250;
    o->lr = 1e-3;
    o->lr_min = 1e-5;
    o->warmup = 100;
    o->clip = 5.0;
    o->dice_weight = 1.0;
    o->db_k = 50.0;
    o->db_beta = 1.0;
    o->db_gamma = 10.0;
    o->gan_weight = 0.05;
    o->gan_width = 16;
    o->estimator = DB_EST_STE;
    o->reste_o_end = 3.0;
    o->reste_t = 1.5;
    o->reste_cap = 10.0;
    o->biper_omega = 3.14159265358979;
    o->ink_share = 0.75;
    o->flips = o->rot90 = true;
    o->brightness = 0.1;
    o->contrast = 0.2;
    o->color = 0.1;
    o->scale = 0.15;
    o->seed = 1;
    o->channel = -1;
}

static int check_options(db_ctx *ctx, const db_train_options *o)
{
    if (o->ntrain_dirs <= 0 || !o->train_dirs)
        return db_fail(ctx, DB_EINVAL, "train: no training folder");
    if (o->batch < 1 || o->batch > 1024 || o->steps < 1 || o->epoch_steps < 1)
        return db_fail(ctx, DB_EINVAL, "train: batch %d, steps %ld, epoch %d must be positive",
                       o->batch, o->steps, o->epoch_steps);
    if (o->input != DB_TRAIN_INPUT_DWT && o->input != DB_TRAIN_INPUT_FULL)
        return db_fail(ctx, DB_EINVAL, "train: input %d (dwt 0, full 1)", (int)o->input);
    tr_arch a = {o->width, o->levels, TR_HEAD_MASK, (tr_input)o->input};
    if (o->levels < 1 || o->levels > 5)
        return db_fail(ctx, DB_EINVAL, "train: levels %d (1..5)", o->levels);
    int unit = 2 * tr_arch_unit(&a);
    if (o->patch < unit || o->patch > 2048 || o->patch % unit)
        return db_fail(ctx, DB_EINVAL, "train: patch %d must be a multiple of %d in %d..2048",
                       o->patch, unit, unit);
    if (!(o->lr > 0) || o->lr_min < 0 || o->clip < 0 || o->dice_weight < 0 ||
        o->gan < 0 || o->gan > 2 || o->gan_weight < 0 || o->gan_width < 2 ||
        (int)o->estimator < 0 || (int)o->estimator > 2 || o->reste_o_end < 1 ||
        o->ink_share < 0 || o->ink_share > 1 || o->scale < 0 || o->scale >= 0.9)
        return db_fail(ctx, DB_EINVAL, "train: an option is out of range");
    if (o->channel < DB_CHANNEL_ALL || o->channel >= DB_CHANNEL_COUNT)
        return db_fail(ctx, DB_EINVAL, "train: channel %d (-1 all, 0..3 r g b gray)",
                       o->channel);
    if (o->global != 0 &&
        (o->global < DB_GLOBAL_MIN || o->global > DB_GLOBAL_MAX || o->patch > o->global))
        return db_fail(ctx, DB_EINVAL, "train: global size %d (%d..%d, at least the patch %d)",
                       o->global, DB_GLOBAL_MIN, DB_GLOBAL_MAX, o->patch);
    return 0;
}

void db_trainer_free(db_trainer *t)
{
    if (!t)
        return;
    tnet_free(&t->net);
    tnet_free(&t->critic);
    tr_adam_free(&t->adam);
    tr_adam_free(&t->cadam);
    tr_pageset_free(&t->train);
    tr_pageset_free(&t->val);
    db_aligned_free(t->x);
    db_aligned_free(t->tgt);
    db_aligned_free(t->gz);
    db_aligned_free(t->cx);
    db_aligned_free(t->tt);
    db_aligned_free(t->tm);
    db_free(t);
}

int db_trainer_create(db_ctx *ctx, const db_train_options *opts, db_trainer **out)
{
    *out = NULL;
    DB_TRY(check_options(ctx, opts));
    db_trainer *t = db_calloc(ctx, 1, sizeof *t);
    if (!t)
        return DB_ENOMEM;
    t->o = *opts;
    t->val_fm = t->val_psnr = -1;
    t->best_fm = -1;
    tnet_init(&t->net);
    tnet_init(&t->critic);
    int rc = 0;
    for (int i = 0; i < opts->ntrain_dirs && rc == 0; i++)
        rc = tr_pageset_load_dir(ctx, &t->train, opts->train_dirs[i]);
    if (rc == 0)
        tr_pageset_channel(&t->train, opts->channel);
    if (rc == 0 && opts->global) /* validation pages stay full size */
        rc = tr_pageset_resize(ctx, &t->train, opts->global);
    for (int i = 0; i < opts->nval_dirs && rc == 0; i++)
        rc = tr_pageset_load_dir(ctx, &t->val, opts->val_dirs[i]);
    if (rc == 0)
        tr_pageset_channel(&t->val, opts->channel);
    if (rc == 0)
        rc = tr_trainer_setup(ctx, t);
    if (rc < 0) {
        db_trainer_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

int tr_trainer_setup(db_ctx *ctx, db_trainer *t)
{
    const db_train_options *o = &t->o;
    tr_rng_seed(&t->rng, o->seed);
    tr_rng init;
    tr_rng_seed(&init, o->seed ^ 0x5eedull);
    tr_arch a = {o->width, o->levels, o->db_head ? TR_HEAD_DB : TR_HEAD_MASK,
                 (tr_input)o->input};
    DB_TRY(tr_arch_build(ctx, &t->net, &a, &init));
    t->net.est.kind = (tr_est)o->estimator;
    t->net.est.reste_t = (float)o->reste_t;
    t->net.est.reste_cap = (float)o->reste_cap;
    t->net.est.biper_omega = (float)o->biper_omega;
    DB_TRY(tr_adam_init(ctx, &t->adam, &t->net));
    t->adam.weight_decay = (float)o->weight_decay;
    if (o->gan) {
        DB_TRY(tr_gan_build(ctx, &t->critic, TR_IN_CHANNELS + 1, o->gan_width, &init));
        DB_TRY(tr_adam_init(ctx, &t->cadam, &t->critic));
        t->cadam.beta1 = 0.5f;
    }
    tr_aug_defaults(&t->aug);
    t->aug.patch = o->patch;
    t->aug.ink_share = (float)o->ink_share;
    t->aug.flips = o->flips;
    t->aug.rot90 = o->rot90;
    t->aug.brightness = (float)o->brightness;
    t->aug.contrast = (float)o->contrast;
    /* per-channel: the three inputs must stay copies of one channel */
    t->aug.color = o->channel == DB_CHANNEL_ALL ? (float)o->color : 0.0f;
    t->aug.scale = (float)o->scale;
    size_t px = (size_t)o->batch * o->patch * o->patch;
    t->x = db_aligned_alloc(ctx, px * TR_IN_CHANNELS * sizeof(float));
    t->tgt = db_aligned_alloc(ctx, px * sizeof(float));
    t->gz = db_aligned_alloc(ctx, 2 * px * sizeof(float));
    t->tt = db_aligned_alloc(ctx, px * sizeof(float));
    t->tm = db_aligned_alloc(ctx, px * sizeof(float));
    t->cx = db_aligned_alloc(ctx, px * (TR_IN_CHANNELS + 1) * sizeof(float));
    if (!t->x || !t->tgt || !t->gz || !t->tt || !t->tm || !t->cx)
        return DB_ENOMEM;
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double sigmoid(float z)
{
    return 1.0 / (1.0 + exp(-(double)z));
}

/* Adversarial part of one step: a critic update on (patch, GT) vs (patch,
 * prediction), then the generator's adversarial gradient added to gz. */
static int gan_step(db_ctx *ctx, db_trainer *t, const float *zout, int zc, float lr)
{
    const db_train_options *o = &t->o;
    const int n = o->batch, P = o->patch, C1 = TR_IN_CHANNELS + 1;
    const size_t npx = (size_t)P * P;
    tnet *d = &t->critic;
    DB_TRY(tnet_prepare(ctx, d, db_ctx_pool(ctx), n, P, P));
    tn_node *dout = tnet_out(d);
    const size_t nd = (size_t)n * dout->h * dout->w;
    for (int pass = 0; pass < 3; pass++) {
        /* 0: real pairs, 1: fake pairs (critic), 2: fake pairs (generator) */
        for (int b = 0; b < n; b++)
            for (size_t p = 0; p < npx; p++) {
                size_t q = (size_t)b * npx + p;
                float *cx = t->cx + q * C1;
                memcpy(cx, t->x + q * TR_IN_CHANNELS, TR_IN_CHANNELS * sizeof(float));
                cx[TR_IN_CHANNELS] = pass == 0 ? t->tgt[q] : (float)sigmoid(zout[q * zc]);
            }
        if (pass != 1)
            tnet_zero_grad(d);
        tnet_forward(d, t->cx, TN_TRAIN);
        tr_gan_loss_eval((tr_gan_loss)o->gan, dout->y, nd, pass == 0, pass == 2, dout->gy);
        tnet_backward(d);
        if (pass == 1) {
            double nrm = tr_grad_norm(d);
            float sc = o->clip > 0 && nrm > o->clip ? (float)(o->clip / nrm) : 1.0f;
            tr_adam_step(&t->cadam, d, lr, sc);
        }
    }
    /* dL_adv / d mask channel, through the sigmoid, into the generator logits */
    const float *gin = d->nodes[0].gy;
    for (size_t q = 0; q < (size_t)n * npx; q++) {
        double p = sigmoid(zout[q * zc]);
        t->gz[q * zc] += (float)(o->gan_weight * gin[q * C1 + TR_IN_CHANNELS] * p * (1 - p));
    }
    return 0;
}

/* One optimisation step; returns the pixel loss. */
static double train_step(db_ctx *ctx, db_trainer *t, float lr)
{
    const db_train_options *o = &t->o;
    const int n = o->batch, P = o->patch;
    const size_t npx = (size_t)P * P;
    for (int b = 0; b < n; b++)
        tr_sample_patch(&t->train, &t->aug, &t->rng, t->x + (size_t)b * npx * TR_IN_CHANNELS,
                        t->tgt + (size_t)b * npx);
    tnet *net = &t->net;
    tnet_forward(net, t->x, TN_TRAIN);
    /* the loss node: the logit conv (the DB head's input for the DB loss) */
    int from = o->db_head ? net->nnodes - 2 : net->nnodes - 1;
    tn_node *zn = &net->nodes[from];
    const int zc = zn->c;
    double L;
    if (o->db_head) {
        for (int b = 0; b < n; b++)
            tr_db_threshold_target(t->tgt + (size_t)b * npx, P, P, 3, 0.3f, 0.7f,
                                   t->tt + (size_t)b * npx, t->tm + (size_t)b * npx);
        L = tr_loss_db(zn->y, t->tgt, t->tt, t->tm, (size_t)n * npx, (float)o->db_k,
                       (float)o->dice_weight, (float)o->db_beta, (float)o->db_gamma, t->gz);
    } else {
        L = tr_loss_bce_dice_logits(zn->y, 1, t->tgt, (size_t)n * npx, (float)o->dice_weight,
                                    t->gz);
    }
    if (o->gan)
        gan_step(ctx, t, zn->y, zc, lr);
    memcpy(zn->gy, t->gz, (size_t)n * npx * zc * sizeof(float));
    tnet_zero_grad(net);
    tnet_backward_from(net, from);
    double nrm = tr_grad_norm(net);
    float sc = o->clip > 0 && nrm > o->clip ? (float)(o->clip / nrm) : 1.0f;
    if (!isfinite(nrm))
        sc = 0.0f; /* a non-finite gradient skips the update */
    tr_adam_step(&t->adam, net, lr, sc);
    return L;
}

int tr_validate(db_ctx *ctx, db_trainer *t, double *fm, double *psnr)
{
    *fm = *psnr = -1;
    int n = t->val.n;
    if (t->o.val_max_pages > 0 && t->o.val_max_pages < n)
        n = t->o.val_max_pages;
    if (n == 0)
        return 0;
    /* the engine runs the exported graph on the pool, tiled; it equals the
     * reference forward tr_graph_run bit for bit (test_train_engine) */
    db_graph g;
    char name[64];
    db_graph_model_name("docbin-train", t->o.global, t->o.channel, name, sizeof name);
    DB_TRY(tnet_to_graph(ctx, &t->net, name, &g));
    db_model *model = NULL;
    db_net *net = NULL;
    int rc = db_model_from_graph(ctx, &g, &model);
    db_graph_free(&g);
    if (rc == 0)
        rc = db_net_create(ctx, model, &net);
    db_image img = {0}, gt = {0}, res = {0};
    double sfm = 0, spsnr = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        const tr_page *p = &t->val.pages[i];
        const size_t np = (size_t)p->w * p->h;
        if (t->o.global) {
            rc = tr_global_run(ctx, net, p, t->o.global, &res);
        } else {
            rc = tr_page_image(ctx, p, &img);
            if (rc == 0)
                rc = db_net_run(ctx, net, &img, &res, NULL);
        }
        if (rc == 0)
            rc = db_image_ensure(ctx, &gt, p->w, p->h, DB_GRAY8);
        if (rc < 0)
            break;
        for (int y = 0; y < p->h; y++) {
            uint8_t *gr = db_image_row(&gt, y);
            for (int x = 0; x < p->w; x++)
                gr[x] = p->ink[(size_t)y * p->w + x] ? 0 : 255;
        }
        double f = 0, ps = 0;
        if (t->o.metric) {
            rc = t->o.metric(t->o.metric_user, ctx, &gt, &res, &f, &ps);
        } else {
            uint64_t tp = 0, fp = 0, fn = 0;
            for (int y = 0; y < p->h; y++)
                for (int x = 0; x < p->w; x++) {
                    int a = db_bit_get(&res, x, y), b = p->ink[(size_t)y * p->w + x];
                    tp += a && b;
                    fp += a && !b;
                    fn += !a && b;
                }
            f = tr_fmeasure(tp, fp, fn);
            ps = fp + fn ? 10.0 * log10((double)np / (double)(fp + fn)) : 100.0;
        }
        sfm += f;
        spsnr += ps;
    }
    db_image_free(&img);
    db_image_free(&gt);
    db_image_free(&res);
    db_net_free(net);
    db_model_free(model);
    if (rc < 0)
        return rc;
    *fm = sfm / n;
    *psnr = spsnr / n;
    return 0;
}

int db_trainer_export(db_ctx *ctx, db_trainer *t, const char *path)
{
    db_graph g;
    char name[64];
    db_graph_model_name("docbin-train", t->o.global, t->o.channel, name, sizeof name);
    DB_TRY(tnet_to_graph(ctx, &t->net, name, &g));
    int rc = db_model_save_graph(ctx, &g, path);
    db_graph_free(&g);
    return rc;
}

long db_trainer_step(const db_trainer *t)
{
    return t->step;
}

int db_trainer_run(db_ctx *ctx, db_trainer *t, db_train_progress_fn fn, void *user)
{
    const db_train_options *o = &t->o;
    DB_TRY(tnet_prepare(ctx, &t->net, db_ctx_pool(ctx), o->batch, o->patch, o->patch));
    double t0 = now_s(), lsum = 0;
    long s0 = t->step, nl = 0;
    while (t->step < o->steps) {
        if (db_ctx_canceled(ctx)) {
            if (o->checkpoint)
                DB_TRY(db_trainer_save(ctx, t, o->checkpoint));
            return db_fail(ctx, DB_ECANCELED, "train: canceled at step %ld", t->step);
        }
        float lr = tr_lr_at(t->step, o->steps, o->warmup, (float)o->lr, (float)o->lr_min,
                            !o->step_decay);
        t->net.est.reste_o =
            (float)(1.0 + (o->reste_o_end - 1.0) * (double)t->step / (double)o->steps);
        lsum += train_step(ctx, t, lr);
        nl++;
        t->step++;
        double el = now_s() - t0;
        db_train_progress pr = {
            .step = t->step, .steps = o->steps, .epoch = (int)(t->step / o->epoch_steps),
            .loss = lsum / nl, .lr = lr, .val_fm = t->val_fm, .val_psnr = t->val_psnr,
            .best_fm = t->best_fm,
            .patches_per_s = el > 0 ? (double)(t->step - s0) * o->batch / el : 0,
        };
        pr.eta_s = pr.patches_per_s > 0
                       ? (double)(o->steps - t->step) * o->batch / pr.patches_per_s
                       : 0;
        /* plus the validations still to come */
        pr.eta_s += (double)((o->steps - t->step) / o->epoch_steps) * t->val_s;
        if (t->step % o->epoch_steps == 0 || t->step == o->steps) {
            double v0 = now_s();
            DB_TRY(tr_validate(ctx, t, &t->val_fm, &t->val_psnr));
            pr.val_s = t->val_s = now_s() - v0;
            t0 += pr.val_s; /* patches/s counts training time only */
            pr.validated = true;
            pr.val_fm = t->val_fm;
            pr.val_psnr = t->val_psnr;
            if (t->val_fm > t->best_fm || t->val.n == 0) {
                t->best_fm = t->val_fm;
                if (o->best_model) {
                    DB_TRY(db_trainer_export(ctx, t, o->best_model));
                    pr.improved = true;
                }
            }
            pr.best_fm = t->best_fm;
            if (o->checkpoint)
                DB_TRY(db_trainer_save(ctx, t, o->checkpoint));
            lsum = 0;
            nl = 0;
        }
        if (fn)
            fn(user, &pr);
    }
    return 0;
}
