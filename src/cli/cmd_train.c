/* cmd_train.c - `docbin train`: fits a 1-bit network to DIBCO-style folders
 * (nets/train/, db_trainer_* in docbin.h). Validation uses the official
 * metrics (db_metrics_compute); Ctrl-C writes the checkpoint and stops; a
 * progress line on stderr; --export writes the model file. */
#include "cli.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static atomic_int g_train_signal; /* set by SIGINT/SIGTERM: the trainer saves and stops */

static void on_train_signal(int sig) { atomic_store(&g_train_signal, sig); }

static void usage(FILE *f)
{
    fputs("usage: docbin train [options] -t TRAIN_DIR... [-v VAL_DIR...]\n"
          "\n"
          "Train a 1-bit binarization network on folders of page + <name>_gt.png pairs\n"
          "(ground truth: text = 0). Validation on full pages after every epoch keeps\n"
          "the best model; Ctrl-C writes the checkpoint and stops (resume with --resume).\n"
          "\n"
          "data and files:\n"
          "  -t, --train DIR         training folder (repeat for more)\n"
          "  -v, --val DIR           validation folder (repeat for more)\n"
          "  -o, --output FILE       best model (.dbm), rewritten at each new best val FM\n"
          "      --export FILE       model of the final state, written at the end\n"
          "      --checkpoint FILE   resumable state, rewritten every epoch and on Ctrl-C\n"
          "      --resume            continue from --checkpoint\n"
          "      --init CKPT         start a new run (step 0, fresh Adam and critic) from the\n"
          "                          generator of checkpoint CKPT of the same network (GAN\n"
          "                          fine-tuning); with --resume, only while --checkpoint\n"
          "                          does not exist yet\n"
          "      --val-pages N       validate on the first N pages only (0 = all)\n"
          "network:\n"
          "      --width N           channels at the first level (32)\n"
          "      --levels N          resolution levels, 1..5 (4)\n"
          "      --db-head           DB head (P and T maps) instead of one logit\n"
          "      --global N          the GLOBAL network of stage 3 (Ju et al. 2022): pages and\n"
          "                          ground truth resized to N x N (e.g. 512; patches drawn\n"
          "                          from them), validated at full size; install the model\n"
          "                          as gan_global.dbm next to gan.dbm (0 = local, default)\n"
          "      --input dwt|full    front end: Haar DWT, stem at half size (dwt), or the\n"
          "                          stem at full size on RGB (full: the no-DWT ablation)\n"
          "      --channel C         a per-channel generator (stage 2 of Ju et al. 2022):\n"
          "                          sees only channel C (r, g, b or gray) of every page;\n"
          "                          install as NAME_C.dbm, e.g. gan_r.dbm (all: the\n"
          "                          shared generator on R, G, B, default)\n"
          "schedule:\n"
          "      --patch N           patch side in pixels (128)\n"
          "      --batch N           patches per step (8)\n"
          "      --steps N           total steps (6000)\n"
          "      --epoch N           steps between validations and checkpoints (250)\n"
          "      --lr X              Adam learning rate (1e-3); --lr-min X cosine floor (1e-5)\n"
          "      --warmup N          linear warm-up steps (100)\n"
          "      --step-decay        x0.1 at 60% and 85% instead of cosine decay\n"
          "      --clip X            global gradient-norm clip, 0 = off (5)\n"
          "      --weight-decay X    on conv weights (0)\n"
          "losses:\n"
          "      --dice X            BCE + X * (1 - Dice) (1)\n"
          "      --db-k X --db-beta X --db-gamma X   DB head: steepness (50), B weight (1),\n"
          "                          threshold-map L1 weight (10)\n"
          "      --gan hinge|lsgan|none   PatchGAN critic and its loss (none)\n"
          "      --gan-weight X      adversarial weight (0.05); --gan-width N critic width (16)\n"
          "sign() gradient:\n"
          "      --estimator ste|reste|biper   (ste)\n"
          "      --reste-o X         final ReSTE exponent, annealed from 1 (3)\n"
          "      --reste-t X         ReSTE clip range (1.5); --reste-cap X cap (10)\n"
          "      --biper-omega X     BiPer frequency (3.14159)\n"
          "sampling:\n"
          "      --ink-share X       share of patches forced to contain ink (0.75)\n"
          "      --no-flips --no-rot90\n"
          "      --brightness X --contrast X --color X --scale X   jitter (0.1 0.2 0.1 0.15)\n"
          "      --seed N            (1)\n"
          "  -j, --jobs N            threads (default: all cores); results depend on the\n"
          "                          seed and N only\n"
          "  -q, --quiet             no progress line\n"
          "  -h, --help\n",
          f);
}

enum {
    OPT_EXPORT = 256, OPT_CKPT, OPT_RESUME, OPT_VALPAGES, OPT_WIDTH, OPT_LEVELS, OPT_DBHEAD,
    OPT_PATCH, OPT_BATCH, OPT_STEPS, OPT_EPOCH, OPT_LR, OPT_LRMIN, OPT_WARMUP, OPT_STEPDECAY,
    OPT_CLIP, OPT_WD, OPT_DICE, OPT_DBK, OPT_DBBETA, OPT_DBGAMMA, OPT_GAN, OPT_GANW,
    OPT_GANWIDTH, OPT_EST, OPT_RESTEO, OPT_RESTET, OPT_RESTECAP, OPT_BIPER, OPT_INK,
    OPT_NOFLIPS, OPT_NOROT, OPT_BRIGHT, OPT_CONTRAST, OPT_COLOR, OPT_SCALE, OPT_SEED,
    OPT_INIT, OPT_INPUT, OPT_GLOBAL, OPT_CHANNEL,
};

static const struct option long_opts[] = {
    {"train", required_argument, 0, 't'}, {"val", required_argument, 0, 'v'},
    {"output", required_argument, 0, 'o'}, {"export", required_argument, 0, OPT_EXPORT},
    {"checkpoint", required_argument, 0, OPT_CKPT}, {"resume", no_argument, 0, OPT_RESUME},
    {"val-pages", required_argument, 0, OPT_VALPAGES},
    {"init", required_argument, 0, OPT_INIT}, {"input", required_argument, 0, OPT_INPUT},
    {"global", required_argument, 0, OPT_GLOBAL}, {"channel", required_argument, 0, OPT_CHANNEL},
    {"width", required_argument, 0, OPT_WIDTH}, {"levels", required_argument, 0, OPT_LEVELS},
    {"db-head", no_argument, 0, OPT_DBHEAD}, {"patch", required_argument, 0, OPT_PATCH},
    {"batch", required_argument, 0, OPT_BATCH}, {"steps", required_argument, 0, OPT_STEPS},
    {"epoch", required_argument, 0, OPT_EPOCH}, {"lr", required_argument, 0, OPT_LR},
    {"lr-min", required_argument, 0, OPT_LRMIN}, {"warmup", required_argument, 0, OPT_WARMUP},
    {"step-decay", no_argument, 0, OPT_STEPDECAY}, {"clip", required_argument, 0, OPT_CLIP},
    {"weight-decay", required_argument, 0, OPT_WD}, {"dice", required_argument, 0, OPT_DICE},
    {"db-k", required_argument, 0, OPT_DBK}, {"db-beta", required_argument, 0, OPT_DBBETA},
    {"db-gamma", required_argument, 0, OPT_DBGAMMA}, {"gan", required_argument, 0, OPT_GAN},
    {"gan-weight", required_argument, 0, OPT_GANW},
    {"gan-width", required_argument, 0, OPT_GANWIDTH},
    {"estimator", required_argument, 0, OPT_EST}, {"reste-o", required_argument, 0, OPT_RESTEO},
    {"reste-t", required_argument, 0, OPT_RESTET},
    {"reste-cap", required_argument, 0, OPT_RESTECAP},
    {"biper-omega", required_argument, 0, OPT_BIPER},
    {"ink-share", required_argument, 0, OPT_INK}, {"no-flips", no_argument, 0, OPT_NOFLIPS},
    {"no-rot90", no_argument, 0, OPT_NOROT}, {"brightness", required_argument, 0, OPT_BRIGHT},
    {"contrast", required_argument, 0, OPT_CONTRAST}, {"color", required_argument, 0, OPT_COLOR},
    {"scale", required_argument, 0, OPT_SCALE}, {"seed", required_argument, 0, OPT_SEED},
    {"jobs", required_argument, 0, 'j'}, {"quiet", no_argument, 0, 'q'},
    {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
};

#define MAX_DIRS 64

typedef struct train_cli {
    const char *train[MAX_DIRS], *val[MAX_DIRS];
    const char *export_path;
    const char *init; /* --init checkpoint */
    bool resume, quiet;
    long jobs;
    db_train_options o;
} train_cli;

/* Validation metric: the official F-measure and PSNR (metrics/). */
static int official_metrics(void *user, db_ctx *ctx, const db_image *gt, const db_image *result,
                            double *fm, double *psnr)
{
    db_metrics m;
    int rc = db_metrics_compute(ctx, gt, result, NULL, &m);
    if (rc < 0)
        return rc;
    *fm = m.fm;
    *psnr = m.psnr;
    return 0;
}

typedef struct progress_state {
    bool quiet, tty;
} progress_state;

static void fmt_eta(double s, char *buf, size_t n)
{
    long t = (long)(s + 0.5);
    snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
}

static void on_progress(void *user, const db_train_progress *p)
{
    progress_state *ps = user;
    if (ps->quiet && !p->validated)
        return;
    char eta[32];
    fmt_eta(p->eta_s, eta, sizeof eta);
    if (p->validated) {
        if (ps->tty)
            fputs("\r\033[K", stderr);
        fprintf(stderr,
                "epoch %d step %ld/%ld loss %.4f val FM %.2f PSNR %.2f best %.2f%s "
                "(%.1f s) %.1f patches/s ETA %s\n",
                p->epoch, p->step, p->steps, p->loss, p->val_fm, p->val_psnr, p->best_fm,
                p->improved ? " (saved)" : "", p->val_s, p->patches_per_s, eta);
    } else if (ps->tty && (p->step % 5 == 0 || p->step == p->steps)) {
        fprintf(stderr, "\r\033[Kstep %ld/%ld loss %.4f lr %.2e val FM %.2f %.1f patches/s ETA %s",
                p->step, p->steps, p->loss, p->lr, p->val_fm, p->patches_per_s, eta);
    }
    fflush(stderr);
}

static int parse_args(int argc, char **argv, train_cli *c)
{
    db_train_options *o = &c->o;
    int nt = 0, nv = 0, opt;
    long v;
    double d;
    optind = 1;
#define INT_OPT(field, lo, hi)                                                         \
    do {                                                                               \
        if (cli_parse_int(long_opts[li].name, optarg, lo, hi, &v))                     \
            return CLI_EXIT_USAGE;                                                     \
        field = v;                                                                     \
    } while (0)
#define DBL_OPT(field, lo, hi)                                                         \
    do {                                                                               \
        if (cli_parse_double(long_opts[li].name, optarg, lo, hi, &d))                  \
            return CLI_EXIT_USAGE;                                                     \
        field = d;                                                                     \
    } while (0)
    int li = 0;
    while ((opt = getopt_long(argc, argv, "t:v:o:j:qh", long_opts, &li)) != -1) {
        switch (opt) {
        case 't':
            if (nt == MAX_DIRS)
                return cli_error("at most %d training folders", MAX_DIRS), CLI_EXIT_USAGE;
            c->train[nt++] = optarg;
            break;
        case 'v':
            if (nv == MAX_DIRS)
                return cli_error("at most %d validation folders", MAX_DIRS), CLI_EXIT_USAGE;
            c->val[nv++] = optarg;
            break;
        case 'o': o->best_model = optarg; break;
        case 'j':
            if (cli_parse_int("--jobs", optarg, 1, 256, &c->jobs))
                return CLI_EXIT_USAGE;
            break;
        case 'q': c->quiet = true; break;
        case 'h': usage(stdout); return -1;
        case OPT_EXPORT: c->export_path = optarg; break;
        case OPT_CKPT: o->checkpoint = optarg; break;
        case OPT_RESUME: c->resume = true; break;
        case OPT_VALPAGES: INT_OPT(o->val_max_pages, 0, 100000); break;
        case OPT_WIDTH: INT_OPT(o->width, 2, 512); break;
        case OPT_LEVELS: INT_OPT(o->levels, 1, 5); break;
        case OPT_DBHEAD: o->db_head = true; break;
        case OPT_GLOBAL: INT_OPT(o->global, 0, 2048); break;
        case OPT_INIT: c->init = optarg; break;
        case OPT_CHANNEL:
            o->channel = db_channel_parse(optarg);
            if (o->channel < DB_CHANNEL_ALL)
                return cli_error("--channel: '%s' is not r, g, b, gray or all", optarg),
                       CLI_EXIT_USAGE;
            break;
        case OPT_INPUT:
            if (strcmp(optarg, "dwt") == 0)
                o->input = DB_TRAIN_INPUT_DWT;
            else if (strcmp(optarg, "full") == 0)
                o->input = DB_TRAIN_INPUT_FULL;
            else
                return cli_error("--input: '%s' is not dwt or full", optarg), CLI_EXIT_USAGE;
            break;
        case OPT_PATCH: INT_OPT(o->patch, 8, 2048); break;
        case OPT_BATCH: INT_OPT(o->batch, 1, 1024); break;
        case OPT_STEPS: INT_OPT(o->steps, 1, 100000000); break;
        case OPT_EPOCH: INT_OPT(o->epoch_steps, 1, 100000000); break;
        case OPT_LR: DBL_OPT(o->lr, 1e-9, 1.0); break;
        case OPT_LRMIN: DBL_OPT(o->lr_min, 0, 1.0); break;
        case OPT_WARMUP: INT_OPT(o->warmup, 0, 100000000); break;
        case OPT_STEPDECAY: o->step_decay = true; break;
        case OPT_CLIP: DBL_OPT(o->clip, 0, 1e9); break;
        case OPT_WD: DBL_OPT(o->weight_decay, 0, 1.0); break;
        case OPT_DICE: DBL_OPT(o->dice_weight, 0, 100); break;
        case OPT_DBK: DBL_OPT(o->db_k, 1, 1000); break;
        case OPT_DBBETA: DBL_OPT(o->db_beta, 0, 100); break;
        case OPT_DBGAMMA: DBL_OPT(o->db_gamma, 0, 1000); break;
        case OPT_GAN:
            if (strcmp(optarg, "none") == 0)
                o->gan = 0;
            else if (strcmp(optarg, "hinge") == 0)
                o->gan = 1;
            else if (strcmp(optarg, "lsgan") == 0)
                o->gan = 2;
            else
                return cli_error("--gan: '%s' is not hinge, lsgan or none", optarg),
                       CLI_EXIT_USAGE;
            break;
        case OPT_GANW: DBL_OPT(o->gan_weight, 0, 100); break;
        case OPT_GANWIDTH: INT_OPT(o->gan_width, 2, 256); break;
        case OPT_EST:
            if (strcmp(optarg, "ste") == 0)
                o->estimator = DB_EST_STE;
            else if (strcmp(optarg, "reste") == 0)
                o->estimator = DB_EST_RESTE;
            else if (strcmp(optarg, "biper") == 0)
                o->estimator = DB_EST_BIPER;
            else
                return cli_error("--estimator: '%s' is not ste, reste or biper", optarg),
                       CLI_EXIT_USAGE;
            break;
        case OPT_RESTEO: DBL_OPT(o->reste_o_end, 1, 100); break;
        case OPT_RESTET: DBL_OPT(o->reste_t, 0.01, 100); break;
        case OPT_RESTECAP: DBL_OPT(o->reste_cap, 0.01, 1e6); break;
        case OPT_BIPER: DBL_OPT(o->biper_omega, 0.01, 1000); break;
        case OPT_INK: DBL_OPT(o->ink_share, 0, 1); break;
        case OPT_NOFLIPS: o->flips = false; break;
        case OPT_NOROT: o->rot90 = false; break;
        case OPT_BRIGHT: DBL_OPT(o->brightness, 0, 1); break;
        case OPT_CONTRAST: DBL_OPT(o->contrast, 0, 0.99); break;
        case OPT_COLOR: DBL_OPT(o->color, 0, 0.99); break;
        case OPT_SCALE: DBL_OPT(o->scale, 0, 0.8); break;
        case OPT_SEED: {
            long s;
            if (cli_parse_int("--seed", optarg, 0, 2147483647L, &s))
                return CLI_EXIT_USAGE;
            o->seed = (uint64_t)s;
            break;
        }
        default: usage(stderr); return CLI_EXIT_USAGE;
        }
    }
#undef INT_OPT
#undef DBL_OPT
    if (optind < argc)
        return cli_error("train: unexpected argument '%s' (folders go after -t/-v)",
                         argv[optind]),
               CLI_EXIT_USAGE;
    if (nt == 0)
        return cli_error("train: no training folder (-t DIR)"), CLI_EXIT_USAGE;
    if (c->resume && !o->checkpoint)
        return cli_error("train: --resume needs --checkpoint FILE"), CLI_EXIT_USAGE;
    if (!o->best_model && !c->export_path && !o->checkpoint)
        return cli_error("train: nothing would be written: give -o, --export or --checkpoint"),
               CLI_EXIT_USAGE;
    o->train_dirs = c->train;
    o->ntrain_dirs = nt;
    o->val_dirs = c->val;
    o->nval_dirs = nv;
    return 0;
}

/* An output path must be writable before hours of training: its folder must
 * exist and accept files. */
static int check_writable(const char *opt, const char *path)
{
    if (!path)
        return 0;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = 0;
    else
        snprintf(dir, sizeof dir, ".");
    if (access(dir, W_OK | X_OK) != 0) {
        cli_error("train: %s %s: folder %s is not writable", opt, path, dir);
        return CLI_EXIT_DATA;
    }
    return 0;
}

/* The library message already names the trainer ("train: ..."). */
static void train_error(db_ctx *ctx)
{
    cli_error("%s", db_ctx_message(ctx));
    db_ctx_clear_error(ctx);
}

int cmd_train(int argc, char **argv)
{
    train_cli c = {0};
    db_train_options_defaults(&c.o);
    int rc = parse_args(argc, argv, &c);
    if (rc != 0)
        return rc < 0 ? CLI_EXIT_OK : rc;
    c.o.metric = official_metrics;
    if (check_writable("-o", c.o.best_model) || check_writable("--export", c.export_path) ||
        check_writable("--checkpoint", c.o.checkpoint))
        return CLI_EXIT_DATA;

    db_pool *pool = NULL;
    db_ctx *ctx = NULL;
    long jobs = c.jobs > 0 ? c.jobs : sysconf(_SC_NPROCESSORS_ONLN);
    if (db_pool_create((int)(jobs > 0 ? jobs : 1), &pool) != 0 ||
        db_ctx_create(pool, &ctx) != 0) {
        cli_error("out of memory");
        db_pool_free(pool);
        return CLI_EXIT_DATA;
    }
    if (cli_apply_isa_env(ctx) != 0) {
        db_ctx_free(ctx);
        db_pool_free(pool);
        return CLI_EXIT_USAGE;
    }
    db_trainer *t = NULL;
    rc = CLI_EXIT_OK;
    if (db_trainer_create(ctx, &c.o, &t) != 0) {
        train_error(ctx);
        rc = CLI_EXIT_DATA;
    } else if (c.resume && access(c.o.checkpoint, F_OK) == 0) {
        if (db_trainer_resume(ctx, t, c.o.checkpoint) != 0) {
            train_error(ctx);
            rc = CLI_EXIT_DATA;
        }
    } else if (c.init && db_trainer_init_from(ctx, t, c.init) != 0) {
        train_error(ctx);
        rc = CLI_EXIT_DATA;
    } else if (c.init && !c.quiet) {
        fprintf(stderr, "docbin: train: generator initialised from %s\n", c.init);
    }
    if (rc == CLI_EXIT_OK) {
        struct sigaction sa = {0};
        sa.sa_handler = on_train_signal;
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        db_ctx_set_cancel_flag(ctx, &g_train_signal);
        if (db_trainer_step(t) >= c.o.steps && !c.quiet)
            fprintf(stderr,
                    "docbin: train: the checkpoint is at step %ld of %ld: nothing to train\n",
                    db_trainer_step(t), c.o.steps);
        else if (db_trainer_step(t) > 0 && !c.quiet)
            fprintf(stderr, "docbin: train: resuming at step %ld of %ld\n", db_trainer_step(t),
                    c.o.steps);
        progress_state ps = {c.quiet, isatty(fileno(stderr)) != 0};
        int r = db_trainer_run(ctx, t, on_progress, &ps);
        if (ps.tty && !c.quiet)
            fputs("\r\033[K", stderr);
        if (r == DB_ECANCELED) {
            cli_error("train: stopped by signal%s%s", c.o.checkpoint ? "; state saved in " : "",
                      c.o.checkpoint ? c.o.checkpoint : "");
            rc = CLI_EXIT_DATA;
        } else if (r != 0) {
            train_error(ctx);
            rc = CLI_EXIT_DATA;
        } else if (c.export_path && db_trainer_export(ctx, t, c.export_path) != 0) {
            train_error(ctx);
            rc = CLI_EXIT_DATA;
        }
    }
    db_trainer_free(t);
    db_ctx_free(ctx);
    db_pool_free(pool);
    int sig = atomic_load(&g_train_signal);
    if (sig) { /* the checkpoint is saved: die of the signal as expected */
        signal(sig, SIG_DFL);
        raise(sig);
    }
    return rc;
}
