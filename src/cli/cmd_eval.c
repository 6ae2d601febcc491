/* cmd_eval.c - `docbin eval`: DIBCO scores (metrics/) of binarized pages
 * against ground truth: one pair, two folders paired by name, or a DIBCO-style
 * folder binarized in memory by a method. Weight maps come from --weights,
 * from official files beside the ground truth, or are generated.
 */
#include "cli.h"

#include <ctype.h>
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

static void usage(FILE *f)
{
    fputs("usage: docbin eval [options] GT RESULT\n"
          "       docbin eval [options] GT_DIR RESULT_DIR\n"
          "       docbin eval [options] -m METHOD DATA_DIR\n"
          "\n"
          "Scores binarized pages against ground truth with the DIBCO measures, as\n"
          "the official DIBCO_metrics tool computes them: FM, pseudo-FM (DIBCO 2013+),\n"
          "PSNR, DRD, Avg-Score = (FM + pFM + PSNR + 100 - DRD) / 4, recall, precision,\n"
          "pseudo-recall/precision, NRM, MPM and the H-DIBCO 2010 skeleton pseudo-FM\n"
          "(pFM2010). A pixel is text only where its gray value is exactly 0.\n"
          "\n"
          "Pairing in GT_DIR RESULT_DIR: a ground truth X_gt, X_GT, X-gt, X_estGT or\n"
          "(when GT_DIR holds no such names) any image X is paired with X, X_bin,\n"
          "X_out, X_res, X_result or X_binarized in RESULT_DIR, any image extension\n"
          "(plain X is skipped when both folders are the same: that is the page).\n"
          "In DATA_DIR (-m), each X_gt is paired with the page X; the page is\n"
          "binarized in memory by METHOD and scored.\n"
          "Pseudo-FM weights: --weights, else official files beside the ground truth\n"
          "(<gt>_RWeights.dat + <gt>_PWeights.dat, also X_..., or X_rw.txt.gz +\n"
          "X_pw.txt.gz), else generated like the official BinEvalWeights tool.\n"
          "\n"
          "options:\n"
          "      --csv              CSV: a header, one line per image, a mean line\n"
          "      --json             JSON: {\"images\": [...], \"mean\": {...}}\n"
          "      --weights RW PW    official recall and precision weight files (one pair)\n"
          "      --generate-weights ignore weight files, always generate the maps\n"
          "  -m, --method SPEC      binarize DATA_DIR's pages with SPEC (see docbin\n"
          "                         --list-methods)\n"
          "      --model FILE       model of a network method (-m gan, -m db; default:\n"
          "                         found as by docbin --help)\n"
          "  -j, --threads N        score N images at once (folder modes; default 1)\n"
          "  -h, --help             this help\n"
          "\n"
          "The mean row averages each measure over the images, as the competitions do.\n"
          "exit status: 0 every pair scored, 1 a pair could not be scored (each one is\n"
          "reported; the others are still scored), 2 usage error.\n",
          f);
}

typedef struct eval_opts {
    db_report_format fmt;
    const char *rw, *pw;
    const char *method_spec;
    const char *model; /* --model FILE */
    bool generate;
    long threads;
    const char *a, *b; /* positional arguments */
} eval_opts;

static int parse_args(int argc, char **argv, eval_opts *o)
{
    enum { OPT_CSV = 256, OPT_JSON, OPT_WEIGHTS, OPT_GENERATE, OPT_MODEL };
    static const struct option longopts[] = {
        {"csv", no_argument, 0, OPT_CSV},
        {"json", no_argument, 0, OPT_JSON},
        {"weights", required_argument, 0, OPT_WEIGHTS},
        {"generate-weights", no_argument, 0, OPT_GENERATE},
        {"method", required_argument, 0, 'm'},
        {"model", required_argument, 0, OPT_MODEL},
        {"threads", required_argument, 0, 'j'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    memset(o, 0, sizeof *o);
    o->threads = 1;
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":m:j:h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_CSV: o->fmt = DB_REPORT_CSV; break;
        case OPT_JSON: o->fmt = DB_REPORT_JSON; break;
        case OPT_WEIGHTS:
            /* two values: RW then PW */
            if (optind >= argc) {
                cli_error("--weights needs two files: RW PW");
                return CLI_EXIT_USAGE;
            }
            o->rw = optarg;
            o->pw = argv[optind++];
            break;
        case OPT_GENERATE: o->generate = true; break;
        case 'm': o->method_spec = optarg; break;
        case OPT_MODEL: o->model = optarg; break;
        case 'j':
            if (cli_parse_int("--threads", optarg, 1, 1024, &o->threads))
                return CLI_EXIT_USAGE;
            break;
        case 'h': usage(stdout); return CLI_EXIT_OK;
        case ':': cli_error("option %s needs a value", argv[optind - 1]); return CLI_EXIT_USAGE;
        default:
            cli_error("eval: unknown option %s (see docbin eval --help)", argv[optind - 1]);
            return CLI_EXIT_USAGE;
        }
    }
    int npos = argc - optind, want = o->method_spec ? 1 : 2;
    if (npos != want) {
        cli_error(o->method_spec ? "eval: -m needs exactly one DATA_DIR (see docbin eval --help)"
                                 : "eval: expected GT and RESULT (files or folders)");
        return CLI_EXIT_USAGE;
    }
    o->a = argv[optind];
    o->b = want == 2 ? argv[optind + 1] : NULL;
    if (o->rw && o->generate) {
        cli_error("eval: --weights and --generate-weights exclude each other");
        return CLI_EXIT_USAGE;
    }
    return -1;
}

/* ---- file names ---- */

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static const char *const image_exts[] = {".png", ".tif", ".tiff", ".jpg", ".jpeg", ".pbm",
                                         ".pgm", ".ppm", ".pnm", ".bmp"};
#define NEXTS (sizeof image_exts / sizeof image_exts[0])

/* Length of name without an image extension, or 0 when it has none. */
static size_t image_stem_len(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (!dot)
        return 0;
    for (size_t k = 0; k < NEXTS; k++)
        if (strcasecmp(dot, image_exts[k]) == 0)
            return (size_t)(dot - name);
    return 0;
}

static const char *const gt_suffixes[] = {"_gt", "_GT", "-gt", "-GT", "_estGT", "_Gt"};
static const char *const result_suffixes[] = {"", "_bin", "_out", "_res", "_result",
                                              "_binarized", "-bin", "-out"};

/* Stem length of a ground-truth name (X of X_gt.png), or 0. */
static size_t gt_stem_len(const char *name)
{
    size_t n = image_stem_len(name);
    for (size_t k = 0; n && k < sizeof gt_suffixes / sizeof gt_suffixes[0]; k++) {
        size_t l = strlen(gt_suffixes[k]);
        if (n > l && strncmp(name + n - l, gt_suffixes[k], l) == 0)
            return n - l;
    }
    return 0;
}

/* Natural order: digit runs compare as numbers (2 before 10). */
static int natural_cmp(const void *pa, const void *pb)
{
    const char *a = *(const char *const *)pa, *b = *(const char *const *)pb;
    while (*a && *b) {
        if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
            char *ea, *eb;
            unsigned long long x = strtoull(a, &ea, 10), y = strtoull(b, &eb, 10);
            if (x != y)
                return x < y ? -1 : 1;
            a = ea;
            b = eb;
            continue;
        }
        if (*a != *b)
            return (unsigned char)*a - (unsigned char)*b;
        a++;
        b++;
    }
    return (unsigned char)*a - (unsigned char)*b;
}

/* The sorted file names of a folder (NULL-terminated; free with free_list). */
static char **list_dir(const char *dir, int *count)
{
    DIR *d = opendir(dir);
    *count = 0;
    if (!d)
        return NULL;
    size_t cap = 64, n = 0;
    char **v = malloc(cap * sizeof *v);
    struct dirent *e;
    while (v && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        if (n + 1 >= cap) {
            char **p = realloc(v, 2 * cap * sizeof *v);
            if (!p)
                break;
            v = p;
            cap *= 2;
        }
        v[n] = strdup(e->d_name);
        if (v[n])
            n++;
    }
    closedir(d);
    if (!v)
        return NULL;
    v[n] = NULL;
    qsort(v, n, sizeof *v, natural_cmp);
    *count = (int)n;
    return v;
}

static void free_list(char **v)
{
    for (char **p = v; p && *p; p++)
        free(*p);
    free(v);
}

static char *join(const char *dir, const char *name, size_t name_len, const char *suffix)
{
    size_t n = strlen(dir) + name_len + strlen(suffix) + 2;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s/%.*s%s", dir, (int)name_len, name, suffix);
    return s;
}

/* An image file dir/<stem><suffix>.<ext> for any image extension, or NULL. */
static char *find_image(const char *dir, const char *stem, size_t stem_len, const char *suffix)
{
    char buf[64];
    for (size_t k = 0; k < NEXTS; k++) {
        snprintf(buf, sizeof buf, "%s%s", suffix, image_exts[k]);
        char *p = join(dir, stem, stem_len, buf);
        if (p && is_file(p))
            return p;
        free(p);
    }
    return NULL;
}

/* ---- one pair ---- */

typedef struct pair {
    char *name;         /* row label */
    char *gt, *result;  /* result = the page to binarize with -m */
    char *rw, *pw;      /* weight files, or NULL */
    char *error;        /* pairing error (then nothing else is set) */
    db_metrics m;
    bool ok;
} pair;

static void pair_free(pair *p)
{
    free(p->name);
    free(p->gt);
    free(p->result);
    free(p->rw);
    free(p->pw);
    free(p->error);
}

/* Official weight files beside a ground truth: <gtbase>_RWeights.dat (or
 * .dat.gz), <stem>_RWeights.dat, <stem>_rw.txt.gz; both of a kind needed. */
static void find_weights(pair *p, const char *dir, const char *gtname, size_t stem_len)
{
    size_t base_len = image_stem_len(gtname);
    static const char *const kinds[][2] = {
        {"_RWeights.dat", "_PWeights.dat"},
        {"_RWeights.dat.gz", "_PWeights.dat.gz"},
        {"_rw.txt.gz", "_pw.txt.gz"},
        {"_rw.txt", "_pw.txt"},
    };
    size_t lens[2] = {base_len, stem_len};
    for (int b = 0; b < 2; b++)
        for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
            char *rw = join(dir, gtname, lens[b], kinds[k][0]);
            char *pw = join(dir, gtname, lens[b], kinds[k][1]);
            if (rw && pw && is_file(rw) && is_file(pw)) {
                p->rw = rw;
                p->pw = pw;
                return;
            }
            free(rw);
            free(pw);
        }
}

typedef struct eval_job {
    pair *pairs;
    int n;
    const eval_opts *o;
    const db_method *method;
    db_ctx **ctx; /* one per worker */
    db_weights *gen; /* one per worker: the generator's and measures' workspace,
                        kept from page to page so a folder allocates it once */
} eval_job;

static char *ctx_error(db_ctx *ctx)
{
    const char *msg = db_ctx_message(ctx);
    char *s = strdup(msg[0] ? msg : db_strerror(db_ctx_code(ctx)));
    db_ctx_clear_error(ctx);
    return s;
}

static void score_pair(void *arg, int job, int worker)
{
    eval_job *j = arg;
    pair *p = &j->pairs[job];
    if (p->error)
        return;
    db_ctx *ctx = j->ctx[worker];
    db_image gt = {0}, res = {0}, page = {0};
    db_weights w = {0};
    int rc = db_image_load(ctx, p->gt, &gt);
    if (!rc && j->method) {
        rc = db_image_load(ctx, p->result, &page);
        if (!rc)
            rc = db_method_run(ctx, j->method, &page, &res);
    } else if (!rc) {
        rc = db_image_load(ctx, p->result, &res);
    }
    const db_weights *use = NULL;
    bool generated = false;
    if (!rc && p->rw && !j->o->generate) {
        rc = db_weights_load(ctx, p->rw, p->pw, gt.width, gt.height, &w);
        use = &w;
    } else if (!rc && gt.width == res.width && gt.height == res.height) {
        /* (a size mismatch is left to db_metrics_compute to report) */
        generated = true; /* made into the worker's kept workspace below */
    }
    if (!rc) /* the worker's db_weights holds the generator's and measures' scratch */
        rc = db_metrics_compute_work(ctx, &gt, &res, use, &j->gen[worker], &p->m);
    if (!rc)
        p->m.weights_generated = generated;
    if (rc)
        p->error = ctx_error(ctx);
    else
        p->ok = true;
    db_weights_free(&w);
    db_image_free(&gt);
    db_image_free(&res);
    db_image_free(&page);
}

/* ---- pairing ---- */

static int add_pair(pair **v, int *n, int *cap)
{
    if (*n == *cap) {
        int c = *cap ? 2 * *cap : 32;
        pair *q = realloc(*v, (size_t)c * sizeof *q);
        if (!q)
            return -1;
        *v = q;
        *cap = c;
    }
    memset(&(*v)[*n], 0, sizeof **v);
    (*n)++;
    return 0;
}

static char *fmt_error(const char *fmt, const char *a, const char *b)
{
    size_t n = strlen(fmt) + strlen(a) + (b ? strlen(b) : 0) + 1;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, fmt, a, b ? b : "");
    return s;
}

/* Pairs GT_DIR with RESULT_DIR (or DATA_DIR with itself for -m). */
static int pair_dirs(const char *gtdir, const char *resdir, bool method, pair **out, int *count)
{
    int nfiles, n = 0, cap = 0;
    char **files = list_dir(gtdir, &nfiles);
    pair *v = NULL;
    *out = NULL;
    *count = 0;
    if (!files) {
        cli_error("eval: %s: cannot read the folder", gtdir);
        return CLI_EXIT_DATA;
    }
    bool suffixed = false;
    for (int i = 0; i < nfiles; i++)
        suffixed |= gt_stem_len(files[i]) > 0;
    bool same = method || db_path_same_file(gtdir, resdir);
    for (int i = 0; i < nfiles; i++) {
        const char *f = files[i];
        size_t stem = suffixed ? gt_stem_len(f) : image_stem_len(f);
        if (!stem)
            continue;
        if (add_pair(&v, &n, &cap) < 0)
            break;
        pair *p = &v[n - 1];
        p->name = strndup(f, stem);
        p->gt = join(gtdir, f, strlen(f), "");
        if (method) {
            p->result = find_image(resdir, f, stem, "");
        } else {
            for (size_t k = 0; !p->result && k < sizeof result_suffixes / sizeof *result_suffixes;
                 k++) {
                if (same && !result_suffixes[k][0])
                    continue;
                p->result = find_image(resdir, f, stem, result_suffixes[k]);
            }
        }
        if (!p->result)
            p->error = fmt_error(method ? "no page image %s.* beside the ground truth%s"
                                        : "no result for it in %s (tried X, X_bin, X_out, ...)",
                                 method ? p->name : resdir, NULL);
        find_weights(p, gtdir, f, stem);
    }
    free_list(files);
    if (!n) {
        cli_error("eval: %s: no ground-truth images found", gtdir);
        free(v);
        return CLI_EXIT_DATA;
    }
    *out = v;
    *count = n;
    return 0;
}

int cmd_eval(int argc, char **argv)
{
    eval_opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc >= 0)
        return rc;
    bool dirs = o.method_spec ? true : is_dir(o.a);
    if (!o.method_spec && dirs != is_dir(o.b)) {
        cli_error("eval: %s and %s must both be files or both be folders", o.a, o.b);
        return CLI_EXIT_USAGE;
    }
    if (o.method_spec && !is_dir(o.a)) {
        cli_error("eval: %s: not a folder", o.a);
        return CLI_EXIT_USAGE;
    }
    if (o.rw && dirs) {
        cli_error("eval: --weights applies to one pair, not folders");
        return CLI_EXIT_USAGE;
    }
    int workers = dirs ? (int)o.threads : 1;
    db_pool *pool = NULL;
    db_ctx **ctxs = calloc((size_t)workers, sizeof *ctxs);
    if (!ctxs || (workers > 1 && db_pool_create(workers, &pool) != 0)) {
        cli_error("out of memory");
        free(ctxs);
        return CLI_EXIT_DATA;
    }
    for (int k = 0; k < workers; k++) {
        if (db_ctx_create(NULL, &ctxs[k]) != 0 || cli_apply_isa_env(ctxs[k]) != 0)
            rc = CLI_EXIT_USAGE;
        else /* one engine state per worker across pages; models outlive ctxs */
            db_ctx_keep_networks(ctxs[k], true);
    }
    db_method method;
    if (rc < 0 && o.method_spec && db_method_parse(ctxs[0], o.method_spec, &method) != 0) {
        cli_error_ctx(ctxs[0], NULL);
        rc = CLI_EXIT_USAGE;
    }
    if (rc < 0 && o.model && !o.method_spec) {
        cli_error("eval: --model needs -m");
        rc = CLI_EXIT_USAGE;
    }
    db_model *model = NULL; /* shared by the workers */
    if (rc < 0 && o.method_spec) {
        int r = cli_method_attach_model(ctxs[0], &method, o.model, &model);
        if (r)
            rc = r;
    }
    pair *pairs = NULL;
    int n = 0;
    if (rc < 0 && dirs) {
        int r = pair_dirs(o.a, o.method_spec ? o.a : o.b, o.method_spec != NULL, &pairs, &n);
        if (r)
            rc = r;
    } else if (rc < 0) {
        pairs = calloc(1, sizeof *pairs);
        if (pairs) {
            n = 1;
            const char *slash = strrchr(o.b, '/');
            pairs[0].name = strdup(slash ? slash + 1 : o.b);
            pairs[0].gt = strdup(o.a);
            pairs[0].result = strdup(o.b);
            if (o.rw) {
                pairs[0].rw = strdup(o.rw);
                pairs[0].pw = strdup(o.pw);
            } else {
                const char *gs = strrchr(o.a, '/');
                const char *gname = gs ? gs + 1 : o.a;
                char *gdir = gs ? strndup(o.a, (size_t)(gs - o.a)) : strdup(".");
                size_t stem = gt_stem_len(gname);
                if (gdir)
                    find_weights(&pairs[0], gdir, gname, stem ? stem : image_stem_len(gname));
                free(gdir);
            }
        }
    }
    if (rc < 0 && pairs) {
        db_weights *gen = calloc((size_t)workers, sizeof *gen);
        eval_job job = {.pairs = pairs, .n = n, .o = &o,
                        .method = o.method_spec ? &method : NULL, .ctx = ctxs, .gen = gen};
        if (gen)
            db_pool_run(pool, n, score_pair, &job);
        for (int k = 0; gen && k < workers; k++)
            db_weights_free(&gen[k]);
        free(gen);
        /* report: errors on stderr, the scored rows on stdout */
        db_metrics *ms = malloc((size_t)n * sizeof *ms);
        const char **names = malloc((size_t)n * sizeof *names);
        int k = 0, bad = 0;
        for (int i = 0; ms && names && i < n; i++) {
            if (!pairs[i].ok) {
                cli_error("eval: %s: %s", pairs[i].gt ? pairs[i].gt : pairs[i].name,
                          pairs[i].error ? pairs[i].error : "out of memory");
                bad++;
                continue;
            }
            ms[k] = pairs[i].m;
            names[k++] = pairs[i].name;
        }
        if (!ms || !names) {
            cli_error("out of memory");
            bad++;
        } else if (k > 0 || o.fmt != DB_REPORT_TABLE) {
            if (db_report_write(stdout, o.fmt, names, ms, k, dirs && k > 0) != 0)
                bad++;
        }
        free(ms);
        free(names);
        rc = bad ? CLI_EXIT_DATA : CLI_EXIT_OK;
    } else if (rc < 0) {
        cli_error("out of memory");
        rc = CLI_EXIT_DATA;
    }
    for (int i = 0; i < n; i++)
        pair_free(&pairs[i]);
    free(pairs);
    db_model_free(model);
    for (int k = 0; k < workers; k++)
        db_ctx_free(ctxs[k]);
    free(ctxs);
    db_pool_free(pool);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_error("error writing to standard output");
        return CLI_EXIT_DATA;
    }
    return rc;
}
