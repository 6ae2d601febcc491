/* isauvola.c - ISauvola: Sauvola's ink, kept only where a connected stroke
 * touches high contrast.
 * Z. Hadjadj, A. Meziane, Y. Cherfa, M. Cheriet, I. Setitra, "ISauvola:
 * improved Sauvola's algorithm for document image binarization", ICIAR 2016:
 *  1. contrast image C = 255 (max - min) / (max + min + 1e-4) over the 3x3
 *     window (Su et al. 2010's local contrast, clipped at the border), made
 *     binary by Otsu's threshold of C: high contrast where C > t;
 *  2. Sauvola's binarization (same parameters and defaults as "sauvola");
 *  3. the result is every 8-connected Sauvola ink component that contains
 *     at least one high-contrast pixel (the paper's sequential combination;
 *     the morphological opening of its step 1 is left out, as in Doxa,
 *     because it erases thin strokes).
 * Components are labelled on runs with a union-find, two passes, streaming
 * the contrast row by row: memory is one int per run, never a page. */
#include "classic.h"
#include "db_internal.h"
#include "winstat.h"

#include <string.h>

static const db_method_param params[] = {
    {"window", 15, 3, DB_WINDOW_MAX, true, "Sauvola window side in pixels (odd)"},
    {"k", 0.5, 0, 1, false, "Sauvola sensitivity to the standard deviation"},
    {"R", 128, 1, 255, false, "Sauvola dynamic range of the standard deviation"},
};

/* 3x3 clipped contrast of row y, scaled to 0..255 (truncated). */
static void contrast_row(const db_image *g, int y, uint8_t *c)
{
    int w = g->width;
    const uint8_t *rows[3];
    int nr = 0;
    for (int yy = y - 1; yy <= y + 1; yy++)
        if (yy >= 0 && yy < g->height)
            rows[nr++] = db_image_row(g, yy);
    for (int x = 0; x < w; x++) {
        int lo = 255, hi = 0;
        for (int k = 0; k < nr; k++)
            for (int xx = x - 1; xx <= x + 1; xx++) {
                if (xx < 0 || xx >= w)
                    continue;
                int v = rows[k][xx];
                lo = v < lo ? v : lo;
                hi = v > hi ? v : hi;
            }
        c[x] = (uint8_t)(255.0 * (double)(hi - lo) / (0.0001 + hi + lo));
    }
}

/* Runs of ink in a packed row, as [x0[i], x1[i]); returns their count. */
static int row_runs(const uint64_t *bits, int w, int *x0, int *x1)
{
    int n = 0, x = 0;
    int words = (w + 63) / 64;
    while (x < w) {
        /* next set bit at or after x */
        int wi = x >> 6;
        uint64_t m = bits[wi] & (~(uint64_t)0 << (x & 63));
        while (!m && ++wi < words)
            m = bits[wi];
        if (!m)
            break;
        int s = wi * 64 + __builtin_ctzll(m);
        /* next clear bit after s */
        wi = s >> 6;
        m = ~bits[wi] & (~(uint64_t)0 << (s & 63));
        while (!m && ++wi < words)
            m = ~bits[wi];
        int e = m ? wi * 64 + __builtin_ctzll(m) : words * 64;
        e = e > w ? w : e;
        x0[n] = s;
        x1[n] = e;
        n++;
        x = e;
    }
    return n;
}

static int find(int *parent, int a)
{
    while (parent[a] != a) {
        parent[a] = parent[parent[a]];
        a = parent[a];
    }
    return a;
}

static int isauvola_run(db_ctx *ctx, const db_image *gray, const double *v, db_image *out)
{
    DB_TRY(db_sauvola_method.run(ctx, gray, v, out));
    int w = gray->width, h = gray->height;
    uint8_t *c = db_malloc(ctx, (size_t)w);
    int *rx0 = db_malloc(ctx, sizeof(int) * 2 * ((size_t)w / 2 + 1));
    int *rx1 = db_malloc(ctx, sizeof(int) * 2 * ((size_t)w / 2 + 1));
    int cap = 1024, nlab = 0;
    int *parent = db_malloc(ctx, sizeof(int) * (size_t)cap);
    uint8_t *keep = db_malloc(ctx, (size_t)cap);
    int rc = (c && rx0 && rx1 && parent && keep) ? 0 : DB_ENOMEM;
    uint64_t hist[256] = {0};
    for (int y = 0; rc == 0 && y < h; y++) {
        contrast_row(gray, y, c);
        for (int x = 0; x < w; x++)
            hist[c[x]]++;
    }
    int tc = rc == 0 ? db_otsu_threshold(hist) : 0;
    /* Pass 1: label runs, union 8-connected runs of consecutive rows, mark
     * a root kept when any run of it covers a high-contrast pixel. */
    int prev_first = 0, prev_n = 0;
    int *lab_x0 = NULL, *lab_x1 = NULL; /* the previous row's runs */
    for (int y = 0; rc == 0 && y < h; y++) {
        const uint64_t *bits = (const uint64_t *)(const void *)db_image_row(out, y);
        int n = row_runs(bits, w, rx0, rx1);
        if (nlab + n > cap) {
            while (nlab + n > cap)
                cap *= 2;
            int *np = db_realloc(ctx, parent, sizeof(int) * (size_t)cap);
            if (np)
                parent = np;
            uint8_t *nk = np ? db_realloc(ctx, keep, (size_t)cap) : NULL;
            if (nk)
                keep = nk;
            if (!np || !nk) {
                rc = DB_ENOMEM;
                break;
            }
        }
        contrast_row(gray, y, c);
        for (int i = 0; i < n; i++) {
            int id = nlab + i;
            parent[id] = id;
            keep[id] = 0;
            for (int x = rx0[i]; x < rx1[i] && !keep[id]; x++)
                keep[id] = c[x] > tc;
        }
        /* 8-connected to a run [b0, b1) above when b0 <= x1 and b1 >= x0 */
        int j = 0;
        for (int i = 0; i < n && prev_n; i++) {
            while (j < prev_n && lab_x1[j] < rx0[i])
                j++;
            for (int k = j; k < prev_n && lab_x0[k] <= rx1[i]; k++) {
                int a = find(parent, nlab + i), b = find(parent, prev_first + k);
                if (a != b) {
                    int root = a < b ? a : b, other = a < b ? b : a;
                    parent[other] = root;
                    keep[root] |= keep[other];
                }
            }
        }
        /* save this row's extents for the next one */
        int *t0 = lab_x0, *t1 = lab_x1;
        lab_x0 = rx0;
        lab_x1 = rx1;
        rx0 = t0 ? t0 : db_malloc(ctx, sizeof(int) * 2 * ((size_t)w / 2 + 1));
        rx1 = t1 ? t1 : db_malloc(ctx, sizeof(int) * 2 * ((size_t)w / 2 + 1));
        if (!rx0 || !rx1)
            rc = DB_ENOMEM;
        prev_first = nlab;
        prev_n = n;
        nlab += n;
    }
    /* Pass 2: the same runs in the same order; clear the ones not kept. */
    int id = 0;
    for (int y = 0; rc == 0 && y < h; y++) {
        uint64_t *bits = (uint64_t *)(void *)db_image_row(out, y);
        int n = row_runs(bits, w, rx0, rx1);
        for (int i = 0; i < n; i++, id++)
            if (!keep[find(parent, id)])
                for (int x = rx0[i]; x < rx1[i]; x++)
                    bits[x >> 6] &= ~((uint64_t)1 << (x & 63));
    }
    db_free(c);
    db_free(rx0);
    db_free(rx1);
    db_free(lab_x0);
    db_free(lab_x1);
    db_free(parent);
    db_free(keep);
    return rc;
}

const db_method_info db_isauvola_method = {
    .name = "isauvola",
    .summary = "Sauvola ink kept where its stroke touches high local contrast",
    .reference = "Z. Hadjadj et al., ICIAR 2016 (Sauvola k=0.5, R=128)",
    .nparams = 3,
    .params = params,
    .run = isauvola_run,
};
