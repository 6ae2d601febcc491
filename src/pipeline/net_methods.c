/* net_methods.c - the 1-bit networks as binarization methods: `gan` (the
 * U-Net generator, one logit per pixel) and `db` (the DB-style head, logit
 * of P minus logit of T), both run by the engine (nets/engine.c) on a model
 * the caller loads and attaches (db_method_set_model). Also the probability
 * maps behind the mask (db_method_maps, `--save-maps`).
 *
 * Stage 3 (Ju et al. 2022): `gan` fuses its tiled (local) mask with a global
 * network run on the page resized to N x N when one is attached
 * (db_method_set_global_model); the rule and its source are in
 * global_fusion.c.
 *
 * Model ownership: the method borrows the model; the CLI (src/cli/model.c)
 * finds, loads and frees it. A db_net (plan + per-thread scratch) is made
 * per run, so one model serves any number of threads and contexts, or, when
 * the ctx keeps networks (db_ctx_keep_networks: batch, eval), made once and
 * kept in the ctx while the same model runs page after page.
 * Related: src/pipeline/method.c (registry, parser), nets/README.md. */
#include "db_internal.h"
#include "nets/channel.h"
#include "nets/graph.h"
#include "nets/model.h"
#include "nets/resample.h"
#include "pipeline/net_methods.h"

#include <math.h>
#include <string.h>

#ifndef DOCBIN_DEFAULT_MODEL_DIR
#define DOCBIN_DEFAULT_MODEL_DIR "/usr/local/share/docbin"
#endif

enum { P_TILE = 0, P_THRESHOLD = 1, P_GLOBAL = 2, P_GTHR = 3, P_GROW = 4, P_CHANNELS = 5 };

static const db_method_param net_params[] = {
    {"tile", -1, -1, 8192, true,
     "tile side in px (-1 = automatic within the scratch budget, 0 = whole page); the mask "
     "does not depend on it"},
    {"threshold", 0, -20, 20, false,
     "output logit above which a pixel is ink (0 = probability 0.5)"},
    {"global", 1, 0, 1, true,
     "1: fuse with the global network (gan_global.dbm) when one is found: ink = local AND "
     "grown global; 0: local network only"},
    {"gthr", 0.5, 0.01, 0.99, false,
     "global network: probability (after bilinear upsampling) above which it sees ink"},
    {"grow", 3, 0, 32, true, "global network: px its ink grows by (square) before the AND"},
    {"channels", 1, 0, 1, true,
     "1: a per-channel model (trained with --channel C, file NAME_C.dbm) is fused with "
     "its siblings NAME_r/_g/_b/_gray.dbm found beside it (stage 2 of Ju et al.); 0: that "
     "model alone"},
};

static const db_method_param db_params[] = {
    {"tile", -1, -1, 8192, true,
     "tile side in px (-1 = automatic within the scratch budget, 0 = whole page); the mask "
     "does not depend on it"},
    {"threshold", 0, -20, 20, false,
     "ink where logit(P) - logit(T) > threshold (0: P > T)"},
};

static bool has_db_head(const db_model *model)
{
    const db_graph *g = db_model_graph(model);
    return g->nnodes > 0 && g->nodes[g->nnodes - 1].op == DB_OP_DB_HEAD;
}

/* The page in the model's channels: a 3-channel model on a gray page gets
 * the gray value in R, G and B (the engine turns RGB into gray itself); a
 * per-channel model its channel in all three (nets/channel.h). */
static int model_input(db_ctx *ctx, const db_model *model, const db_image *in, db_image *tmp,
                       const db_image **page)
{
    *page = in;
    int channel = db_graph_input_channel(db_model_graph(model));
    if (db_model_graph(model)->nodes[0].cout != 3 ||
        (in->format != DB_GRAY8 && channel == DB_CHANNEL_ALL))
        return 0;
    DB_TRY(db_image_ensure(ctx, tmp, in->width, in->height, DB_RGB8));
    for (int y = 0; y < in->height; y++)
        db_channel_rows(db_image_row(in, y), in->format == DB_GRAY8, (size_t)in->width, channel,
                        db_image_row(tmp, y));
    tmp->xdpi = in->xdpi;
    tmp->ydpi = in->ydpi;
    *page = tmp;
    return 0;
}

static bool is_global(const db_model *model)
{
    return db_graph_global_size(db_model_graph(model)) > 0;
}

/* out (BIT1) = logits (F32) > threshold. */
static void threshold_mask(const db_image *logits, double threshold, db_image *out)
{
    float t = (float)threshold;
    for (int y = 0; y < out->height; y++) {
        const float *l = (const float *)(const void *)db_image_row(logits, y);
        for (int x = 0; x < out->width; x++)
            db_bit_set(out, x, y, l[x] > t);
    }
}

static void free_net(void *net) { db_net_free(net); }

/* A db_net for model: the one ctx keeps when it is for model
 * (db_ctx_keep_networks), else a new one, kept when keeping is on
 * (*owned = false) or owned by the caller (*owned = true). */
static int get_net(db_ctx *ctx, const db_model *model, db_net **net, bool *owned)
{
    *owned = false;
    db_net *kept = db_ctx_keeps_networks(ctx) ? db_ctx_kept(ctx) : NULL;
    if (kept && db_net_model(kept) == model) {
        *net = kept;
        return 0;
    }
    DB_TRY(db_net_create(ctx, model, net));
    if (db_ctx_keeps_networks(ctx))
        db_ctx_keep(ctx, *net, free_net);
    else
        *owned = true;
    return 0;
}

/* Runs model on in: out = BIT1 mask (logit > threshold); logits optional. */
static int run_model(db_ctx *ctx, const db_model *model, const db_image *in, int tile,
                     double threshold, db_image *out, db_image *logits)
{
    db_net *net = NULL;
    bool owned = false;
    db_image rgb = {0}, own = {0};
    const db_image *page;
    db_image *lg = logits ? logits : (threshold != 0.0 ? &own : NULL);
    int rc = model_input(ctx, model, in, &rgb, &page);
    if (rc == 0)
        rc = get_net(ctx, model, &net, &owned);
    if (rc == 0)
        rc = db_net_set_tile(ctx, net, tile);
    if (rc == 0)
        rc = db_net_run(ctx, net, page, out, lg);
    if (rc == 0 && threshold != 0.0) /* the engine's mask is logit > 0 */
        threshold_mask(lg, threshold, out);
    if (owned)
        db_net_free(net);
    db_image_free(&rgb);
    db_image_free(&own);
    return rc;
}

int db_net_method_run_model(db_ctx *ctx, const db_model *model, const db_image *in, int tile,
                            db_image *out, db_image *logits)
{
    return run_model(ctx, model, in, tile, 0.0, out, logits);
}

static int gan_run(db_ctx *ctx, const db_model *model, const db_image *in, const double *params,
                   db_image *out)
{
    return run_model(ctx, model, in, (int)params[P_TILE], params[P_THRESHOLD], out, NULL);
}

static int db_run(db_ctx *ctx, const db_model *model, const db_image *in, const double *params,
                  db_image *out)
{
    if (!has_db_head(model))
        return db_fail(ctx, DB_EINVAL, "db: the model has no DB head (P, T maps)");
    return run_model(ctx, model, in, (int)params[P_TILE], params[P_THRESHOLD], out, NULL);
}

static const db_method_info net_methods[] = {
    {.name = "gan",
     .summary = "1-bit U-Net generator (Haar DWT front end, GAN-trained): ink where logit > "
                "threshold; needs a model (gan.dbm or --model)",
     .reference = "Ju et al. 2022, DWT and GANs; Bi-Real/ReActNet 1-bit blocks",
     .nparams = 6,
     .params = net_params,
     .run = NULL,
     .wants_color = true,
     .model_name = "gan",
     .run_net = gan_run},
    {.name = "db",
     .summary = "1-bit network with a DB head: probability map P, threshold map T, ink "
                "where P > T; needs a model (db.dbm or --model)",
     .reference = "Liao et al. 2020, Differentiable Binarization",
     .nparams = 2,
     .params = db_params,
     .run = NULL,
     .wants_color = true,
     .model_name = "db",
     .run_net = db_run},
};

int db_net_method_count(void) { return (int)(sizeof net_methods / sizeof net_methods[0]); }

const db_method_info *db_net_method_at(int index)
{
    return index >= 0 && index < db_net_method_count() ? &net_methods[index] : NULL;
}

bool db_method_needs_model(const db_method_info *info) { return info && info->run_net; }

const char *db_model_default_dir(void) { return DOCBIN_DEFAULT_MODEL_DIR; }

int db_method_set_model(db_ctx *ctx, db_method *method, const db_model *model)
{
    if (!method || !method->info)
        return db_fail(ctx, DB_EINVAL, "method: none selected");
    if (model && !db_method_needs_model(method->info))
        return db_fail(ctx, DB_EINVAL, "%s: not a network method, it takes no model",
                       method->info->name);
    if (model && method->info->run_net == db_run && !has_db_head(model))
        return db_fail(ctx, DB_EINVAL, "db: the model has no DB head (P, T maps)");
    if (model && is_global(model))
        return db_fail(ctx, DB_EINVAL,
                       "%s: model '%s' is a global network (whole page at %dx%d); install it "
                       "as %s_global.dbm next to %s.dbm, not as the tiled model",
                       method->info->name, db_model_graph(model)->name,
                       db_graph_global_size(db_model_graph(model)),
                       db_graph_global_size(db_model_graph(model)), method->info->name,
                       method->info->name);
    method->model = model;
    return 0;
}

bool db_method_takes_global(const db_method *method)
{
    return method && method->info && method->info->run_net == gan_run &&
           method->values[P_GLOBAL] != 0;
}

int db_method_set_global_model(db_ctx *ctx, db_method *method, const db_model *model)
{
    if (!method || !method->info)
        return db_fail(ctx, DB_EINVAL, "method: none selected");
    if (model && method->info->run_net != gan_run)
        return db_fail(ctx, DB_EINVAL, "%s: takes no global model (gan only)",
                       method->info->name);
    if (model && !is_global(model))
        return db_fail(ctx, DB_EINVAL,
                       "gan: global model '%s' is not a global network (no \"global=N\" in its "
                       "name; train one with docbin train --global N)",
                       db_model_graph(model)->name);
    if (model && (has_db_head(model) || db_model_graph(model)->nodes[0].cout != 3))
        return db_fail(ctx, DB_EINVAL,
                       "gan: global model '%s' must be a one-logit network on RGB",
                       db_model_graph(model)->name);
    method->global_model = model;
    return 0;
}

/* The per-channel set `gan` fuses (channels=1 and siblings attached), or NULL. */
static const db_model *const *channel_set(const db_method *method)
{
    return db_method_takes_channels(method) && db_channel_set_size(method->channel_models) > 0
               ? method->channel_models
               : NULL;
}

int db_method_set_channel_model(db_ctx *ctx, db_method *method, const db_model *model)
{
    if (!method || !method->info)
        return db_fail(ctx, DB_EINVAL, "method: none selected");
    if (method->info->run_net != gan_run)
        return db_fail(ctx, DB_EINVAL, "%s: takes no per-channel models (gan only)",
                       method->info->name);
    int c = model ? db_graph_input_channel(db_model_graph(model)) : DB_CHANNEL_ALL;
    if (c == DB_CHANNEL_ALL || has_db_head(model) || is_global(model))
        return db_fail(ctx, DB_EINVAL,
                       "gan: model '%s' is not a per-channel generator (no \"channel=C\" in "
                       "its name; train one with docbin train --channel C)",
                       model ? db_model_graph(model)->name : "(none)");
    method->channel_models[c] = model;
    return 0;
}

bool db_method_takes_channels(const db_method *method)
{
    return method && method->info && method->info->run_net == gan_run &&
           method->values[P_CHANNELS] != 0;
}

int db_model_input_channel(const db_model *model)
{
    return model ? db_graph_input_channel(db_model_graph(model)) : DB_CHANNEL_ALL;
}

int db_net_method_run(db_ctx *ctx, const db_method *method, const db_image *in, db_image *out)
{
    const db_method_info *info = method->info;
    const db_model *const *set = channel_set(method);
    if (set) {
        db_image lg = {0};
        int rc = db_channel_fuse(ctx, set, in, (int)method->values[P_TILE], out, &lg);
        if (rc == 0)
            threshold_mask(&lg, method->values[P_THRESHOLD], out);
        db_image_free(&lg);
        DB_TRY(rc);
    } else {
        DB_TRY(info->run_net(ctx, method->model, in, method->values, out));
    }
    if (info->run_net != gan_run || !method->global_model || method->values[P_GLOBAL] == 0)
        return 0;
    return db_global_fuse(ctx, method->global_model, in, method->values[P_GTHR],
                          (int)method->values[P_GROW], out);
}

/* A copy of model's graph whose output is channel `chan` of the DB head's
 * input (a 1x1 real conv with weights 1 and 0: exactly that logit). */
static int head_channel_model(db_ctx *ctx, const db_model *model, int chan, db_model **out)
{
    db_graph g = {0};
    int rc = db_graph_copy(ctx, db_model_graph(model), &g);
    if (rc == 0) {
        db_gnode *last = &g.nodes[g.nnodes - 1];
        int src = last->in[0];
        db_free(last->w);
        for (int j = 0; j < 3; j++)
            db_free(last->p[j]);
        memset(last, 0, sizeof *last);
        g.nnodes--;
        int idx = db_graph_conv_real(ctx, &g, src, 1, 1, 1);
        if (idx < 0) {
            rc = idx;
        } else {
            g.nodes[idx].w[0] = chan == 0 ? 1.0f : 0.0f;
            g.nodes[idx].w[1] = chan == 1 ? 1.0f : 0.0f;
            rc = db_model_from_graph(ctx, &g, out);
        }
    }
    db_graph_free(&g);
    return rc;
}

/* GRAY8 map = round(255 * sigmoid(logit)). */
static int logits_to_gray(db_ctx *ctx, const db_image *logits, db_image *map)
{
    DB_TRY(db_image_ensure(ctx, map, logits->width, logits->height, DB_GRAY8));
    for (int y = 0; y < logits->height; y++) {
        const float *l = (const float *)(const void *)db_image_row(logits, y);
        uint8_t *d = db_image_row(map, y);
        for (int x = 0; x < logits->width; x++)
            d[x] = (uint8_t)lrintf(255.0f * db_sigmoid_out(l[x]));
    }
    map->xdpi = logits->xdpi;
    map->ydpi = logits->ydpi;
    return 0;
}

int db_method_maps(db_ctx *ctx, const db_method *method, const db_image *in, db_image maps[2],
                   int *nmaps)
{
    *nmaps = 0;
    if (!method || !method->info)
        return db_fail(ctx, DB_EINVAL, "method: none selected");
    if (!db_method_needs_model(method->info))
        return db_fail(ctx, DB_EINVAL, "%s: maps exist only for network methods",
                       method->info->name);
    if (!method->model)
        return db_fail(ctx, DB_EINVAL, "%s: no model", method->info->name);
    if (!in || (in->format != DB_GRAY8 && in->format != DB_RGB8))
        return db_fail(ctx, DB_EINVAL, "%s: input must be gray or RGB", method->info->name);
    int tile = (int)method->values[P_TILE];
    db_image mask = {0}, logits = {0};
    int rc = 0, n = has_db_head(method->model) ? 2 : 1;
    const db_model *const *set = channel_set(method);
    for (int c = 0; rc == 0 && c < n; c++) {
        db_model *sub = NULL;
        const db_model *m = method->model;
        if (n == 2) {
            rc = head_channel_model(ctx, method->model, c, &sub);
            m = sub;
        }
        if (rc == 0 && set) /* the fused probability of the per-channel set */
            rc = db_channel_fuse(ctx, set, in, tile, &mask, &logits);
        else if (rc == 0)
            rc = run_model(ctx, m, in, tile, 0.0, &mask, &logits);
        if (rc == 0)
            rc = logits_to_gray(ctx, &logits, &maps[c]);
        if (sub && db_ctx_kept(ctx) && db_net_model(db_ctx_kept(ctx)) == sub)
            db_ctx_keep(ctx, NULL, NULL); /* never keep a net of a freed model */
        db_model_free(sub);
    }
    db_image_free(&mask);
    db_image_free(&logits);
    if (rc == 0)
        *nmaps = n;
    return rc;
}
