/* method.c - the method registry (classic and network methods) and the
 * "name:key=value,..." parser shared by the CLI, batch and eval. */
#include "classic/classic.h"
#include "db_internal.h"
#include "pipeline/net_methods.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Classic methods first, then the network methods (net_methods.c). */
int db_method_count(void) { return db_classic_method_count() + db_net_method_count(); }

const db_method_info *db_method_at(int index)
{
    int nc = db_classic_method_count();
    return index < nc ? db_classic_method_at(index) : db_net_method_at(index - nc);
}

/* info->run, or run_net with the attached model. */
static int run_info(db_ctx *ctx, const db_method *method, const db_image *in, db_image *out)
{
    const db_method_info *info = method->info;
    if (!info->run_net)
        return info->run(ctx, in, method->values, out);
    if (!method->model)
        return db_fail(ctx, DB_EINVAL, "%s: no model (db_method_set_model)",
                       info->name);
    return db_net_method_run(ctx, method, in, out);
}

const db_method_info *db_method_find(const char *name)
{
    for (int i = 0; i < db_method_count(); i++)
        if (strcmp(db_method_at(i)->name, name) == 0)
            return db_method_at(i);
    return NULL;
}

static int find_param(const db_method_info *info, const char *key, size_t len)
{
    for (int i = 0; i < info->nparams; i++)
        if (strlen(info->params[i].name) == len && strncmp(info->params[i].name, key, len) == 0)
            return i;
    return -1;
}

int db_method_parse(db_ctx *ctx, const char *spec, db_method *out)
{
    memset(out, 0, sizeof *out);
    const char *colon = strchr(spec, ':');
    size_t nlen = colon ? (size_t)(colon - spec) : strlen(spec);
    char name[64];
    if (nlen == 0 || nlen >= sizeof name)
        return db_fail(ctx, DB_EINVAL, "method: invalid method name '%.*s'", (int)nlen, spec);
    memcpy(name, spec, nlen);
    name[nlen] = '\0';
    const db_method_info *info = db_method_find(name);
    if (!info)
        return db_fail(ctx, DB_EINVAL, "method: unknown method '%s' (see --list-methods)", name);
    out->info = info;
    for (int i = 0; i < info->nparams; i++)
        out->values[i] = info->params[i].def;
    if (!colon)
        return 0;
    const char *p = colon + 1;
    if (*p == '\0')
        return db_fail(ctx, DB_EINVAL, "method: %s: empty parameter list", name);
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        if (!eq)
            return db_fail(ctx, DB_EINVAL, "method: %s: expected key=value, got '%.*s'", name,
                           (int)len, p);
        int idx = find_param(info, p, (size_t)(eq - p));
        if (idx < 0)
            return db_fail(ctx, DB_EINVAL, "method: %s: unknown parameter '%.*s'", name,
                           (int)(eq - p), p);
        const db_method_param *par = &info->params[idx];
        char num[64];
        size_t vlen = len - (size_t)(eq + 1 - p);
        if (vlen == 0 || vlen >= sizeof num)
            return db_fail(ctx, DB_EINVAL, "method: %s: bad value for %s", name, par->name);
        memcpy(num, eq + 1, vlen);
        num[vlen] = '\0';
        char *end;
        errno = 0;
        double v = strtod(num, &end);
        if (*end != '\0' || errno != 0 || !isfinite(v))
            return db_fail(ctx, DB_EINVAL, "method: %s: %s=%s is not a number", name, par->name,
                           num);
        if (par->integer && v != floor(v))
            return db_fail(ctx, DB_EINVAL, "method: %s: %s=%s must be a whole number", name,
                           par->name, num);
        if (v < par->min || v > par->max)
            return db_fail(ctx, DB_EINVAL, "method: %s: %s=%s is out of range [%g, %g]", name,
                           par->name, num, par->min, par->max);
        out->values[idx] = v;
        p += len;
        if (*p == ',') {
            p++;
            if (*p == '\0')
                return db_fail(ctx, DB_EINVAL, "method: %s: trailing comma", name);
        }
    }
    return 0;
}

int db_method_run(db_ctx *ctx, const db_method *method, const db_image *in, db_image *out)
{
    if (!method || !method->info)
        return db_fail(ctx, DB_EINVAL, "method: none selected");
    if (in->format != DB_GRAY8 && in->format != DB_RGB8)
        return db_fail(ctx, DB_EINVAL, "%s: input must be gray or RGB", method->info->name);
    if (in->format == DB_RGB8 && !method->info->wants_color) {
        db_image gray = {0};
        int rc = db_image_to_gray(ctx, in, &gray);
        if (rc == 0)
            rc = run_info(ctx, method, &gray, out);
        db_image_free(&gray);
        if (rc == 0) {
            out->xdpi = in->xdpi;
            out->ydpi = in->ydpi;
        }
        return rc;
    }
    DB_TRY(run_info(ctx, method, in, out));
    out->xdpi = in->xdpi;
    out->ydpi = in->ydpi;
    return 0;
}
