/* dropcolor.c - `--drop-color`: coloured ink (stamps, seals, red rulings)
 * taken out of the gray page a method sees. A pixel whose hue lies in a
 * chosen 60-degree sector and whose chroma is high enough is replaced by
 * max(R,G,B): a transparent coloured ink absorbs in the other channels and
 * lets its own through, so that channel is (nearly) the paper under it, while
 * black text crossing the seal is dark in every channel and stays. Works on
 * the RGB page directly; a DWT channel split (src/core/dwt.c) does not exist
 * yet. Output modes live in clean.c.
 *
 *   db_drop_color_options_defaults  db_drop_color_parse  db_drop_color
 */
#include "db_internal.h"

#include <string.h>

void db_drop_color_options_defaults(db_drop_color_options *opts)
{
    *opts = (db_drop_color_options){.hues = 0, .min_chroma = 32};
}

int db_drop_color_parse(db_ctx *ctx, const char *list, unsigned *hues)
{
    static const struct {
        const char *name;
        unsigned bits;
    } names[] = {
        {"red", DB_HUE_RED},         {"orange", DB_HUE_RED},   {"yellow", DB_HUE_YELLOW},
        {"green", DB_HUE_GREEN},     {"cyan", DB_HUE_CYAN},    {"blue", DB_HUE_BLUE},
        {"magenta", DB_HUE_MAGENTA}, {"purple", DB_HUE_MAGENTA}, {"all", 0x3fu},
    };
    if (!hues)
        return db_fail(ctx, DB_EINVAL, "drop-color: no output");
    *hues = 0;
    if (!list || !*list)
        return db_fail(ctx, DB_EINVAL, "drop-color: empty colour list");
    unsigned bits = 0;
    for (const char *p = list;;) {
        size_t n = strcspn(p, ",");
        size_t i = 0;
        for (; i < sizeof names / sizeof names[0]; i++)
            if (strlen(names[i].name) == n && strncmp(p, names[i].name, n) == 0)
                break;
        if (i == sizeof names / sizeof names[0])
            return db_fail(ctx, DB_EINVAL,
                           "drop-color: unknown colour '%.*s' (red, yellow, green, cyan, blue, "
                           "magenta, all)",
                           (int)(n > 40 ? 40 : n), p);
        bits |= names[i].bits;
        if (!p[n])
            break;
        p += n + 1;
    }
    *hues = bits;
    return 0;
}

/* Sector (0 red .. 5 magenta) of an RGB colour with chroma c = max - min > 0:
 * the hexcone hue, 60 degrees per unit, sectors centred on the primaries. */
static int hue_sector(int r, int g, int b, int mx, int c)
{
    int h6; /* hue in units of 1/(6*c) of a turn, times 6: 0 .. 36*c */
    if (mx == r)
        h6 = 6 * (g - b) + (g < b ? 36 * c : 0);
    else if (mx == g)
        h6 = 6 * (b - r) + 12 * c;
    else
        h6 = 6 * (r - g) + 24 * c;
    /* shift by half a sector (30 degrees = 3c) so red covers [-30, 30) */
    int s = (h6 + 3 * c) / (6 * c);
    return s >= 6 ? 0 : s;
}

int db_drop_color(db_ctx *ctx, const db_image *page, const db_drop_color_options *opts,
                  db_image *out, uint64_t *ndropped)
{
    if (ndropped)
        *ndropped = 0;
    if (!page || !out || page == out)
        return db_fail(ctx, DB_EINVAL, "drop-color: page and a distinct output are needed");
    db_drop_color_options def;
    db_drop_color_options_defaults(&def);
    const db_drop_color_options *o = opts ? opts : &def;
    if (page->format != DB_GRAY8 && page->format != DB_RGB8)
        return db_fail(ctx, DB_EINVAL, "drop-color: page must be gray or RGB (format %d)",
                       page->format);
    if (o->min_chroma < 1 || o->min_chroma > 255)
        return db_fail(ctx, DB_EINVAL, "drop-color: min chroma %d out of range 1..255",
                       o->min_chroma);
    DB_TRY(db_image_to_gray(ctx, page, out));
    if (page->format == DB_GRAY8 || (o->hues & 0x3fu) == 0)
        return 0;
    int c0 = o->min_chroma, c1 = 2 * o->min_chroma;
    uint64_t n = 0;
    for (int y = 0; y < page->height; y++) {
        const uint8_t *p = db_image_row(page, y);
        uint8_t *q = db_image_row(out, y);
        for (int x = 0; x < page->width; x++) {
            int r = p[3 * x], g = p[3 * x + 1], b = p[3 * x + 2];
            int mx = r > g ? (r > b ? r : b) : (g > b ? g : b);
            int mn = r < g ? (r < b ? r : b) : (g < b ? g : b);
            int c = mx - mn;
            if (c < c0 || !(o->hues & (1u << hue_sector(r, g, b, mx, c))))
                continue;
            /* a soft ramp from c0 to 2*c0, so anti-aliased stamp edges fade
             * out instead of leaving a faint outline */
            int luma = q[x];
            int v = c >= c1 ? mx : luma + (mx - luma) * (c - c0) / (c1 - c0);
            if (v != luma) {
                q[x] = (uint8_t)v;
                n++;
            }
        }
    }
    if (ndropped)
        *ndropped = n;
    return 0;
}
