/* test_train_learn.c - the trainer end to end on synthetic degraded pages:
 * a tiny 1-bit network learns to binarize them in seconds (loss falls, FM on
 * held-back pages over a bar), the exported model file reproduces the
 * trainer's binarized output exactly, runs are deterministic for a seed
 * (1 thread == 2 threads), resuming a checkpoint continues the same run,
 * --init starts a new run from a checkpoint's generator, and the no-DWT
 * network (--input full) learns too. */
#include "test_util.h"
#include "train_synth.h"

#include "nets/model.h"
#include "nets/train/trainer_internal.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char base[1024], train_dir[1100], val_dir[1100];

static int setup(void **s)
{
    snprintf(base, sizeof base, "%s", tu_tmpdir("train_learn"));
    snprintf(train_dir, sizeof train_dir, "%s/train", base);
    snprintf(val_dir, sizeof val_dir, "%s/val", base);
    mkdir(train_dir, 0777);
    mkdir(val_dir, 0777);
    synth_write_set(train_dir, "p", 6, 120, 100, tu_seed());
    synth_write_set(val_dir, "v", 3, 110, 90, tu_seed() ^ 0xabcdef);
    return 0;
}

static const char *tdirs[1], *vdirs[1];

static void tiny_options(db_train_options *o)
{
    db_train_options_defaults(o);
    tdirs[0] = train_dir;
    vdirs[0] = val_dir;
    o->train_dirs = tdirs;
    o->ntrain_dirs = 1;
    o->val_dirs = vdirs;
    o->nval_dirs = 1;
    o->width = 8;
    o->levels = 2;
    o->patch = 32;
    o->batch = 4;
    o->steps = 300;
    o->epoch_steps = 100;
    o->lr = 3e-3;
    o->warmup = 20;
    o->seed = 7;
}

typedef struct record {
    double first_loss, last_loss, last_fm;
    int nval;
} record;

static void on_progress(void *user, const db_train_progress *p)
{
    record *r = user;
    if (p->step == 10)
        r->first_loss = p->loss;
    if (p->validated) {
        r->last_loss = p->loss;
        r->last_fm = p->val_fm;
        r->nval++;
        printf("step %ld loss %.4f val FM %.2f PSNR %.2f best %.2f (%.0f patches/s)\n", p->step,
               p->loss, p->val_fm, p->val_psnr, p->best_fm, p->patches_per_s);
    }
}

/* Global Otsu-like bar: FM of thresholding the gray value at the midpoint
 * between ink and paper means is beaten by the network on these pages. */
#define LEARN_FM_BAR 90.0

/* A ctx on a fresh pool of 2 threads (free the ctx, then the pool). */
static db_ctx *pooled_ctx(db_pool **pool)
{
    db_ctx *ctx = NULL;
    assert_int_equal(db_pool_create(2, pool), 0);
    assert_int_equal(db_ctx_create(*pool, &ctx), 0);
    return ctx;
}

/* The model file at path gives exactly the trainer's binarized output on
 * every held-back page. */
static void assert_model_matches_trainer(db_ctx *ctx, db_trainer *t, const char *path)
{
    db_model *m = NULL;
    assert_int_equal(db_model_load(ctx, path, &m), 0);
    db_graph g;
    assert_int_equal(tnet_to_graph(ctx, &t->net, "x", &g), 0);
    db_image img = {0};
    for (int i = 0; i < t->val.n; i++) {
        const tr_page *p = &t->val.pages[i];
        uint8_t *a = malloc((size_t)p->w * p->h), *b = malloc((size_t)p->w * p->h);
        assert_int_equal(tr_page_image(ctx, p, &img), 0);
        assert_int_equal(tr_graph_run(ctx, &g, &img, a), 0);
        assert_int_equal(tr_graph_run(ctx, db_model_graph(m), &img, b), 0);
        assert_memory_equal(a, b, (size_t)p->w * p->h);
        free(a);
        free(b);
    }
    db_image_free(&img);
    db_graph_free(&g);
    db_model_free(m);
}

static void test_tiny_net_learns_synthetic_pages(void **s)
{
    db_pool *pool = NULL;
    db_ctx *ctx = pooled_ctx(&pool);
    db_train_options o;
    tiny_options(&o);
    char best[1200], exported[1200];
    snprintf(best, sizeof best, "%s/best.dbm", base);
    snprintf(exported, sizeof exported, "%s/final.dbm", base);
    o.best_model = best;
    db_trainer *t = NULL;
    assert_int_equal(db_trainer_create(ctx, &o, &t), 0);
    record r = {0};
    int rc = db_trainer_run(ctx, t, on_progress, &r);
    if (rc)
        fprintf(stderr, "%s\n", db_ctx_message(ctx));
    assert_int_equal(rc, 0);
    assert_int_equal(r.nval, 3);
    printf("loss %.4f -> %.4f, FM on held-back pages %.2f (bar %.1f)\n", r.first_loss,
           r.last_loss, r.last_fm, LEARN_FM_BAR);
    assert_true(r.last_loss < 0.6 * r.first_loss);
    assert_true(r.last_fm > LEARN_FM_BAR);
    assert_true(tu_file_exists(best));

    /* the model file gives exactly the trainer's binarized output */
    assert_int_equal(db_trainer_export(ctx, t, exported), 0);
    assert_model_matches_trainer(ctx, t, exported);
    db_trainer_free(t);
    db_ctx_free(ctx);
    db_pool_free(pool);
}

typedef struct canceler {
    atomic_int flag;
    long at;
} canceler;

static void cancel_at(void *user, const db_train_progress *p)
{
    canceler *c = user;
    if (p->step == c->at)
        atomic_store(&c->flag, 1);
}

/* Runs `steps` steps (canceled, as by Ctrl-C, after step stop_at when > 0) and
 * returns the checkpoint's bytes. */
static char *run_to_checkpoint(int threads, long steps, long stop_at, const char *resume_from,
                               const char *ckpt, int gan, db_train_estimator est, size_t *size)
{
    db_ctx *ctx = NULL;
    db_pool *pool = NULL;
    if (threads > 1)
        assert_int_equal(db_pool_create(threads, &pool), 0);
    assert_int_equal(db_ctx_create(pool, &ctx), 0);
    db_train_options o;
    tiny_options(&o);
    o.steps = steps;
    o.epoch_steps = 10;
    o.checkpoint = ckpt;
    o.gan = gan;
    o.estimator = est;
    o.val_max_pages = 1;
    db_trainer *t = NULL;
    assert_int_equal(db_trainer_create(ctx, &o, &t), 0);
    if (resume_from)
        assert_int_equal(db_trainer_resume(ctx, t, resume_from), 0);
    canceler c = {.at = stop_at};
    atomic_init(&c.flag, 0);
    db_ctx_set_cancel_flag(ctx, &c.flag);
    assert_int_equal(db_trainer_run(ctx, t, cancel_at, &c), stop_at > 0 ? DB_ECANCELED : 0);
    db_trainer_free(t);
    db_ctx_free(ctx);
    db_pool_free(pool);
    return tu_read_file(ckpt, size);
}

static void test_runs_are_deterministic_for_any_thread_count(void **s)
{
    char c1[1200], c2[1200];
    snprintf(c1, sizeof c1, "%s/det1.ckpt", base);
    snprintf(c2, sizeof c2, "%s/det2.ckpt", base);
    for (int est = 0; est < 3; est++) {
        size_t n1, n2;
        char *a = run_to_checkpoint(1, 20, 0, NULL, c1, est == 0, (db_train_estimator)est, &n1);
        char *b = run_to_checkpoint(2, 20, 0, NULL, c2, est == 0, (db_train_estimator)est, &n2);
        assert_non_null(a);
        assert_non_null(b);
        assert_int_equal(n1, n2);
        assert_memory_equal(a, b, n1);
        free(a);
        free(b);
    }
}

static void test_canceled_run_resumes_to_the_same_state(void **s)
{
    char straight[1200], half[1200], resumed[1200];
    snprintf(straight, sizeof straight, "%s/straight.ckpt", base);
    snprintf(half, sizeof half, "%s/half.ckpt", base);
    snprintf(resumed, sizeof resumed, "%s/resumed.ckpt", base);
    size_t n1, n2, n3;
    /* the interrupted run stops after step 13: not at an epoch boundary, so
     * the checkpoint comes from the cancel path */
    char *a = run_to_checkpoint(2, 30, 0, NULL, straight, 1, DB_EST_RESTE, &n1);
    char *h = run_to_checkpoint(2, 30, 13, NULL, half, 1, DB_EST_RESTE, &n2);
    char *b = run_to_checkpoint(2, 30, 0, half, resumed, 1, DB_EST_RESTE, &n3);
    assert_int_equal(n1, n3);
    assert_memory_equal(a, b, n1);
    free(a);
    free(h);
    free(b);
}

static void test_db_head_trains_and_exports(void **s)
{
    db_ctx *ctx = NULL;
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    db_train_options o;
    tiny_options(&o);
    o.db_head = true;
    o.steps = 200;
    db_trainer *t = NULL;
    assert_int_equal(db_trainer_create(ctx, &o, &t), 0);
    record r = {0};
    assert_int_equal(db_trainer_run(ctx, t, on_progress, &r), 0);
    printf("DB head: loss %.4f -> %.4f, FM %.2f\n", r.first_loss, r.last_loss, r.last_fm);
    assert_true(r.last_loss < r.first_loss);
    assert_true(r.last_fm > 80.0);
    char path[1200];
    snprintf(path, sizeof path, "%s/db.dbm", base);
    assert_int_equal(db_trainer_export(ctx, t, path), 0);
    db_trainer_free(t);
    db_ctx_free(ctx);
}

/* Eval-mode forward of both generators on the same seeded batch: equal bits. */
static void assert_same_generator(db_ctx *ctx, db_trainer *a, db_trainer *b)
{
    const int n = 2, P = 32;
    assert_int_equal(a->net.nnodes, b->net.nnodes);
    assert_int_equal(tnet_prepare(ctx, &a->net, NULL, n, P, P), 0);
    assert_int_equal(tnet_prepare(ctx, &b->net, NULL, n, P, P), 0);
    size_t nx = (size_t)n * P * P * TR_IN_CHANNELS;
    float *x = malloc(nx * sizeof *x);
    uint64_t r = tu_seed() ^ 77;
    for (size_t i = 0; i < nx; i++)
        x[i] = (float)(tu_rand(&r) % 256) / 255.0f;
    tnet_forward(&a->net, x, TN_EVAL);
    tnet_forward(&b->net, x, TN_EVAL);
    tn_node *ya = tnet_out(&a->net), *yb = tnet_out(&b->net);
    assert_memory_equal(ya->y, yb->y, (size_t)n * P * P * ya->c * sizeof(float));
    free(x);
}

/* --init: a new run (step 0, fresh Adam and critic) whose generator is the
 * checkpoint's, whichever critic either run has. */
static void test_init_takes_the_generator_of_a_checkpoint(void **s)
{
    db_ctx *ctx = NULL;
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    char ckpt[1200];
    snprintf(ckpt, sizeof ckpt, "%s/src.ckpt", base);
    for (int src_gan = 0; src_gan < 2; src_gan++) {
        db_train_options o;
        tiny_options(&o);
        o.steps = 15;
        o.epoch_steps = 15;
        o.val_max_pages = 1;
        o.gan = src_gan;
        o.checkpoint = ckpt;
        db_trainer *a = NULL, *b = NULL;
        assert_int_equal(db_trainer_create(ctx, &o, &a), 0);
        assert_int_equal(db_trainer_run(ctx, a, NULL, NULL), 0);
        /* the new run: another critic (or none), another seed */
        o.gan = src_gan ? 0 : 1;
        o.gan_width = 8;
        o.seed = 99;
        o.checkpoint = NULL;
        o.steps = 5;
        assert_int_equal(db_trainer_create(ctx, &o, &b), 0);
        /* a fresh net of another seed differs */
        const tn_node *stem = &a->net.nodes[2]; /* INPUT, HAAR2, the stem conv */
        assert_int_equal(stem->op, DB_OP_CONV_REAL);
        assert_true(memcmp(stem->pw, b->net.nodes[2].pw, stem->nw * sizeof(float)) != 0);
        assert_int_equal(db_trainer_init_from(ctx, b, ckpt), 0);
        assert_int_equal(db_trainer_step(b), 0);
        assert_int_equal(b->adam.step, 0);
        for (size_t i = 0; i < b->adam.n; i++)
            assert_true(b->adam.m[i] == 0 && b->adam.v[i] == 0);
        assert_same_generator(ctx, a, b);
        /* the exported models are the same file */
        char pa[1200], pb[1200];
        snprintf(pa, sizeof pa, "%s/init_a.dbm", base);
        snprintf(pb, sizeof pb, "%s/init_b.dbm", base);
        assert_int_equal(db_trainer_export(ctx, a, pa), 0);
        assert_int_equal(db_trainer_export(ctx, b, pb), 0);
        size_t na, nb;
        char *ba = tu_read_file(pa, &na), *bb = tu_read_file(pb, &nb);
        assert_int_equal(na, nb);
        assert_memory_equal(ba, bb, na);
        free(ba);
        free(bb);
        /* and it trains on from there */
        assert_int_equal(db_trainer_run(ctx, b, NULL, NULL), 0);
        assert_int_equal(db_trainer_step(b), 5);
        db_trainer_free(a);
        db_trainer_free(b);
    }
    db_ctx_free(ctx);
}

/* --input full (no DWT front end): learns the synthetic task, and its model
 * file gives exactly the trainer's binarized output. */
static void test_full_input_learns_and_exports(void **s)
{
    db_pool *pool = NULL;
    db_ctx *ctx = pooled_ctx(&pool);
    db_train_options o;
    tiny_options(&o);
    o.input = DB_TRAIN_INPUT_FULL;
    o.steps = 200;
    db_trainer *t = NULL;
    assert_int_equal(db_trainer_create(ctx, &o, &t), 0);
    /* no HAAR2 and no final UPSAMPLE2 (only the decoder's, one per level
     * below the first): the stem convolves the RGB input itself */
    int nup = 0;
    for (int i = 0; i < t->net.nnodes; i++) {
        assert_int_not_equal(t->net.nodes[i].op, DB_OP_HAAR2);
        nup += t->net.nodes[i].op == DB_OP_UPSAMPLE2;
    }
    assert_int_equal(nup, o.levels - 1);
    assert_int_equal(t->net.nodes[1].op, DB_OP_CONV_REAL);
    assert_int_equal(t->net.nodes[1].in0, 0);
    record r = {0};
    assert_int_equal(db_trainer_run(ctx, t, on_progress, &r), 0);
    printf("full input: loss %.4f -> %.4f, FM %.2f (bar %.1f)\n", r.first_loss, r.last_loss,
           r.last_fm, LEARN_FM_BAR);
    assert_true(r.last_loss < 0.6 * r.first_loss);
    assert_true(r.last_fm > LEARN_FM_BAR);
    char path[1200];
    snprintf(path, sizeof path, "%s/full.dbm", base);
    assert_int_equal(db_trainer_export(ctx, t, path), 0);
    assert_model_matches_trainer(ctx, t, path);
    db_trainer_free(t);
    db_ctx_free(ctx);
    db_pool_free(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tiny_net_learns_synthetic_pages),
        cmocka_unit_test(test_init_takes_the_generator_of_a_checkpoint),
        cmocka_unit_test(test_full_input_learns_and_exports),
        cmocka_unit_test(test_runs_are_deterministic_for_any_thread_count),
        cmocka_unit_test(test_canceled_run_resumes_to_the_same_state),
        cmocka_unit_test(test_db_head_trains_and_exports),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
