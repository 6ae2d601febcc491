/* model.c - finding, loading and attaching the model of a network method
 * (`-m gan`, `-m db`) for binarize, batch and eval, and `--save-maps`.
 *
 * Search order for "<name>.dbm" (the first existing file wins):
 *   1. --model FILE (only that file; no search)
 *   2. $DOCBIN_MODEL_DIR/<name>.dbm
 *   3. the install prefix: db_model_default_dir() = ${datadir}/docbin
 *   4. <folder of the executable>/../share/docbin (a relocated install)
 *   5. <folder of the executable>/../data when that parent is the source tree
 *      (a build folder inside the source tree: build/docbin -> data/)
 * `-m gan` also looks for its stage-3 GLOBAL network (gan:global=1, the
 * default; src/pipeline/global_fusion.c) and uses it when found:
 *   1. $DOCBIN_GLOBAL_MODEL (that file; an error when it cannot be used)
 *   2. next to the tiled model used, DIR/NAME.dbm: DIR/NAME_global.dbm (so
 *      gan_global.dbm beside the found gan.dbm, or x_global.dbm beside
 *      --model x.dbm; never a global model from another folder)
 * Not found: the tiled network alone, silently.
 * A per-channel model (trained with `docbin train --channel C`) given or found
 * as DIR/NAME_C.dbm brings its siblings DIR/NAME_r.dbm, NAME_g.dbm,
 * NAME_b.dbm, NAME_gray.dbm when they exist (gan:channels=1, the default):
 * `gan` fuses the set (src/pipeline/channel_fusion.c).
 * The library never reads the environment; this file does (cli.h). */
#include "cli.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The folder holding the running executable ("" when unknown). */
static void exe_dir(char *buf, size_t size)
{
    buf[0] = '\0';
    char path[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    if (n <= 0)
        return;
    path[n] = '\0';
    char *slash = strrchr(path, '/');
    if (!slash)
        return;
    *slash = '\0';
    snprintf(buf, size, "%s", path);
}

/* Tries dir/<name>.dbm: true (path filled) when it exists. Appends dir to
 * the searched list either way. */
static bool try_dir(const char *dir, const char *name, char *path, size_t size, char *searched,
                    size_t ssize)
{
    size_t used = strlen(searched);
    if (snprintf(searched + used, ssize - used, "%s%s", used ? ", " : "", dir) < 0)
        searched[used] = '\0'; /* a long list is cut: it only feeds a message */
    int n = snprintf(path, size, "%s/%s.dbm", dir, name);
    return n > 0 && (size_t)n < size && is_file(path);
}

int cli_find_model(const char *name, char *path, size_t size)
{
    char searched[4096] = "";
    const char *env = getenv("DOCBIN_MODEL_DIR");
    if (env && *env && try_dir(env, name, path, size, searched, sizeof searched))
        return 0;
    if (!env || !*env)
        snprintf(searched, sizeof searched, "$DOCBIN_MODEL_DIR (unset)");
    if (try_dir(db_model_default_dir(), name, path, size, searched, sizeof searched))
        return 0;
    char exe[PATH_MAX], dir[PATH_MAX + 32];
    exe_dir(exe, sizeof exe);
    if (exe[0]) {
        snprintf(dir, sizeof dir, "%s/../share/docbin", exe);
        if (try_dir(dir, name, path, size, searched, sizeof searched))
            return 0;
        snprintf(dir, sizeof dir, "%s/../CMakeLists.txt", exe);
        if (is_file(dir)) {
            snprintf(dir, sizeof dir, "%s/../data", exe);
            if (try_dir(dir, name, path, size, searched, sizeof searched))
                return 0;
        }
    }
    cli_error("%s: no model: %s.dbm not found in %s; give one with --model FILE", name, name,
              searched);
    return CLI_EXIT_DATA;
}

/* The global companion of a `gan` model (search order at the top): loaded,
 * attached and adopted by owner; 0 when none is found. */
static int attach_global(db_ctx *ctx, db_method *method, const char *local, db_model *owner)
{
    char path[PATH_MAX + 64];
    const char *env = getenv("DOCBIN_GLOBAL_MODEL");
    bool must = env && *env;
    if (must) {
        snprintf(path, sizeof path, "%s", env);
    } else {
        size_t len = strlen(local);
        if (len > 4 && strcmp(local + len - 4, ".dbm") == 0)
            len -= 4;
        int n = snprintf(path, sizeof path, "%.*s_global.dbm", (int)len, local);
        if (n < 0 || (size_t)n >= sizeof path || !is_file(path))
            return 0;
    }
    db_model *g = NULL;
    if (db_model_load(ctx, path, &g) != 0) {
        cli_error_ctx(ctx, NULL);
        return CLI_EXIT_DATA;
    }
    if (db_method_set_global_model(ctx, method, g) != 0 || db_model_adopt(ctx, owner, g) != 0) {
        cli_error_ctx(ctx, path);
        db_method_set_global_model(ctx, method, NULL);
        db_model_free(g);
        return CLI_EXIT_DATA;
    }
    return 0;
}

/* Loads path, attaches it as a per-channel model and lets owner adopt it. */
static int attach_channel_file(db_ctx *ctx, db_method *method, const char *path, int channel,
                               db_model *owner)
{
    db_model *m = NULL;
    if (db_model_load(ctx, path, &m) != 0) {
        cli_error_ctx(ctx, NULL);
        return CLI_EXIT_DATA;
    }
    if (db_model_input_channel(m) != channel) {
        cli_error("%s: a sibling of a per-channel set must be trained on channel %s (--channel "
                  "%s), this one is for %s",
                  path, db_channel_name(channel), db_channel_name(channel),
                  db_channel_name(db_model_input_channel(m)));
        db_model_free(m);
        return CLI_EXIT_DATA;
    }
    if (db_method_set_channel_model(ctx, method, m) != 0 || db_model_adopt(ctx, owner, m) != 0) {
        cli_error_ctx(ctx, path);
        db_model_free(m);
        return CLI_EXIT_DATA;
    }
    return 0;
}

/* The per-channel set of the model at path (DIR/NAME_C.dbm, see the top):
 * the model itself in its slot, its existing siblings loaded beside it. */
static int attach_channels(db_ctx *ctx, db_method *method, const char *path, db_model *model)
{
    int own = db_model_input_channel(model);
    if (db_method_set_channel_model(ctx, method, model) != 0) {
        cli_error_ctx(ctx, path);
        return CLI_EXIT_DATA;
    }
    char suffix[16];
    snprintf(suffix, sizeof suffix, "_%s.dbm", db_channel_name(own));
    size_t len = strlen(path), slen = strlen(suffix);
    if (len <= slen || strcmp(path + len - slen, suffix) != 0)
        return 0; /* not named as a set member: the model alone */
    for (int c = 0; c < DB_CHANNEL_COUNT; c++) {
        char sib[PATH_MAX + 64];
        int n = snprintf(sib, sizeof sib, "%.*s_%s.dbm", (int)(len - slen), path,
                         db_channel_name(c));
        if (c == own || n < 0 || (size_t)n >= sizeof sib || !is_file(sib))
            continue;
        int rc = attach_channel_file(ctx, method, sib, c, model);
        if (rc)
            return rc;
    }
    return 0;
}

int cli_method_attach_model(db_ctx *ctx, db_method *method, const char *model_opt,
                            db_model **owned)
{
    *owned = NULL;
    if (!db_method_needs_model(method->info)) {
        if (model_opt) {
            cli_error("--model: method %s takes no model", method->info->name);
            return CLI_EXIT_USAGE;
        }
        return 0;
    }
    char found[PATH_MAX + 64];
    const char *path = model_opt;
    if (!path) {
        int rc = cli_find_model(method->info->model_name, found, sizeof found);
        if (rc)
            return rc;
        path = found;
    }
    if (db_model_load(ctx, path, owned) != 0) { /* the loader names the file */
        cli_error_ctx(ctx, NULL);
        return CLI_EXIT_DATA;
    }
    int rc = CLI_EXIT_DATA;
    if (db_method_set_model(ctx, method, *owned) != 0) {
        cli_error_ctx(ctx, path);
    } else {
        rc = 0;
        if (db_method_takes_channels(method) && db_model_input_channel(*owned) != DB_CHANNEL_ALL)
            rc = attach_channels(ctx, method, path, *owned);
        if (rc == 0 && db_method_takes_global(method))
            rc = attach_global(ctx, method, path, *owned);
    }
    if (rc != 0) {
        memset(method->channel_models, 0, sizeof method->channel_models);
        db_method_set_model(ctx, method, NULL);
        db_model_free(*owned);
        *owned = NULL;
    }
    return rc;
}

int cli_save_maps(db_ctx *ctx, const db_method *method, const db_image *page, const char *prefix,
                  int page_index, int npages, bool overwrite)
{
    db_image maps[2] = {{0}, {0}};
    int n = 0;
    int rc = db_method_maps(ctx, method, page, maps, &n);
    static const char *const names[2][2] = {{"P", ""}, {"P", "T"}};
    db_write_options wo = {0};
    wo.format = DB_FILE_PNG;
    wo.flags = overwrite ? DB_WRITE_OVERWRITE : 0;
    for (int i = 0; rc == 0 && i < n; i++) {
        char path[PATH_MAX + 64], pg[32] = "";
        if (npages > 1)
            snprintf(pg, sizeof pg, "_p%d", page_index + 1);
        snprintf(path, sizeof path, "%s%s_%s.png", prefix, pg, names[n - 1][i]);
        rc = db_image_save(ctx, path, &wo, &maps[i]);
    }
    db_image_free(&maps[0]);
    db_image_free(&maps[1]);
    return rc;
}
