/* drd.c - Distance-Reciprocal Distortion (H. Lu, A.C. Kot, Y.Q. Shi, IEEE
 * SPL 11(2) 2004) as the DIBCO tool computes it: for each flipped pixel k,
 * DRD_k = sum over the 5x5 GT window centred on k of W(i,j) * |GT(i,j) - B(k)|
 * with W(i,j) = 1/sqrt(di^2 + dj^2), W(centre) = 0, normalised to sum 1;
 * window cells outside the image contribute 0. DRD = sum DRD_k / NUBN, NUBN =
 * the complete 8x8 GT blocks (grid anchored top-left; partial edge blocks not
 * counted) holding both text and background. NUBN = 0: DRD = the sum.
 */
#include "metrics_internal.h"

#include <math.h>

static void drd_matrix(double wm[5][5])
{
    double sum = 0.0;
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 5; j++) {
            int di = i - 2, dj = j - 2;
            wm[i][j] = (di || dj) ? 1.0 / sqrt((double)(di * di + dj * dj)) : 0.0;
            sum += wm[i][j];
        }
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 5; j++)
            wm[i][j] /= sum;
}

uint64_t db_drd_nubn(const db_mask *gt)
{
    uint64_t nubn = 0;
    int w = gt->w;
    for (int by = 0; by + 8 <= gt->h; by += 8)
        for (int bx = 0; bx + 8 <= w; bx += 8) {
            int sum = 0;
            for (int y = by; y < by + 8; y++) {
                const uint8_t *r = gt->m + (size_t)y * w + bx;
                for (int x = 0; x < 8; x++)
                    sum += r[x];
            }
            nubn += sum != 0 && sum != 64;
        }
    return nubn;
}

double db_drd_sum(const db_mask *gt, const db_mask *res)
{
    double wm[5][5];
    drd_matrix(wm);
    int w = gt->w, h = gt->h;
    double total = 0.0;
    for (int y = 0; y < h; y++) {
        const uint8_t *g = gt->m + (size_t)y * w, *r = res->m + (size_t)y * w;
        for (int x = 0; x < w; x++) {
            if (g[x] == r[x])
                continue;
            uint8_t v = r[x];
            double dk = 0.0;
            for (int i = 0; i < 5; i++) {
                int yy = y + i - 2;
                if (yy < 0 || yy >= h)
                    continue;
                const uint8_t *gr = gt->m + (size_t)yy * w;
                for (int j = 0; j < 5; j++) {
                    int xx = x + j - 2;
                    if (xx >= 0 && xx < w && gr[xx] != v)
                        dk += wm[i][j];
                }
            }
            total += dk;
        }
    }
    return total;
}

void db_drd_compute(const db_mask *gt, const db_mask *res, db_metrics *m)
{
    m->nubn = db_drd_nubn(gt);
    double sum = db_drd_sum(gt, res);
    if (m->nubn) {
        m->drd = sum / (double)m->nubn;
        m->defined |= DB_METRIC_DRD;
    } else {
        m->drd = sum;
    }
}
