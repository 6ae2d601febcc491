/* eval.c - the trainer's binarized forward on a whole page: a plain NHWC
 * interpreter of an exported db_graph, written from graph.h's scalar
 * definitions alone (CONV_REAL in the ky, kx, ci order, the integer stem of
 * nets/stem8.h; BCONV by
 * acc = K - 2 popcount(a XOR w) with +1 padding). It is the validation path of
 * the trainer and the reference the engine (nets/engine.c) must equal bit for
 * bit. Maps are freed after their last reader to bound memory. */
#include "nets/train/train_internal.h"

#include "nets/stem8.h"

#include <string.h>

static int last_uses(const db_graph *g, int *last)
{
    for (int i = 0; i < g->nnodes; i++)
        last[i] = i;
    for (int i = 0; i < g->nnodes; i++)
        for (int j = 0; j < 2; j++)
            if (g->nodes[i].in[j] >= 0)
                last[g->nodes[i].in[j]] = i;
    return 0;
}

static void conv_real(const db_gnode *n, const float *x, int iw, int ih, float *y, int ow,
                      int oh)
{
    const int k = n->k, s = n->stride, pad = k / 2, cin = n->cin;
    for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++)
            for (int o = 0; o < n->cout; o++) {
                const float *w = n->w + (size_t)o * k * k * cin;
                float acc = 0.0f;
                for (int ky = 0; ky < k; ky++) {
                    int iy = oy * s + ky - pad;
                    for (int kx = 0; kx < k; kx++) {
                        int ix = ox * s + kx - pad;
                        bool in = iy >= 0 && iy < ih && ix >= 0 && ix < iw;
                        const float *px = in ? x + ((size_t)iy * iw + ix) * cin : NULL;
                        for (int c = 0; c < cin; c++, w++)
                            acc += *w * (in ? px[c] : 0.0f);
                    }
                }
                y[((size_t)oy * ow + ox) * n->cout + o] = acc + n->p[0][o];
            }
}

static void bconv(const db_gnode *n, const float *x, int iw, int ih, float *y, int ow, int oh,
                  uint64_t *abits, uint64_t *wbits)
{
    const int k = n->k, s = n->stride, pad = k / 2, cin = n->cin, nwd = db_words(cin);
    /* activations: bit set where x + thresh < 0 (-1); channel padding bits 0 */
    for (size_t p = 0; p < (size_t)iw * ih; p++) {
        uint64_t *dst = abits + p * nwd;
        memset(dst, 0, (size_t)nwd * sizeof *dst);
        for (int c = 0; c < cin; c++)
            if (db_rsign_bit(x[p * cin + c], n->p[0][c]))
                dst[c >> 6] |= (uint64_t)1 << (c & 63);
    }
    const size_t per_o = (size_t)k * k * nwd;
    for (int o = 0; o < n->cout; o++) {
        uint64_t *dst = wbits + (size_t)o * per_o;
        memset(dst, 0, per_o * sizeof *dst);
        for (int t = 0; t < k * k; t++)
            for (int c = 0; c < cin; c++)
                if (db_sign_bit(n->w[((size_t)o * k * k + t) * cin + c]))
                    dst[(size_t)t * nwd + (c >> 6)] |= (uint64_t)1 << (c & 63);
    }
    const int32_t K = k * k * cin;
    for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++)
            for (int o = 0; o < n->cout; o++) {
                const uint64_t *wb = wbits + (size_t)o * per_o;
                int32_t pop = 0;
                for (int ky = 0; ky < k; ky++) {
                    int iy = oy * s + ky - pad;
                    for (int kx = 0; kx < k; kx++, wb += nwd) {
                        int ix = ox * s + kx - pad;
                        /* a padded tap is +1 everywhere: a XOR w = w */
                        const uint64_t *ab = iy >= 0 && iy < ih && ix >= 0 && ix < iw
                                                 ? abits + ((size_t)iy * iw + ix) * nwd
                                                 : NULL;
                        for (int q = 0; q < nwd; q++)
                            pop += __builtin_popcountll((ab ? ab[q] : 0) ^ wb[q]);
                    }
                }
                y[((size_t)oy * ow + ox) * n->cout + o] = db_bconv_out(K - 2 * pop, n->p[1][o]);
            }
}

static void run_node(const db_graph *g, int i, float **maps, const int *hw, uint64_t *abits,
                     uint64_t *wbits)
{
    const db_gnode *n = &g->nodes[i];
    const int ow = hw[2 * i], oh = hw[2 * i + 1], C = n->cout;
    const int a = n->in[0], b = n->in[1];
    const float *x = a >= 0 ? maps[a] : NULL, *x2 = b >= 0 ? maps[b] : NULL;
    const int iw = a >= 0 ? hw[2 * a] : 0, ih = a >= 0 ? hw[2 * a + 1] : 0;
    const int Ca = a >= 0 ? g->nodes[a].cout : 0;
    float *y = maps[i];
    const size_t npx = (size_t)ow * oh;
    switch (n->op) {
    case DB_OP_CONV_REAL: conv_real(n, x, iw, ih, y, ow, oh); break;
    case DB_OP_BCONV: bconv(n, x, iw, ih, y, ow, oh, abits, wbits); break;
    case DB_OP_BATCHNORM:
        for (size_t p = 0; p < npx; p++)
            for (int c = 0; c < C; c++)
                y[p * C + c] = db_bn_out(x[p * C + c], n->p[0][c], n->p[1][c]);
        break;
    case DB_OP_RPRELU:
        for (size_t p = 0; p < npx; p++)
            for (int c = 0; c < C; c++)
                y[p * C + c] = db_rprelu_out(x[p * C + c], n->p[0][c], n->p[1][c], n->p[2][c]);
        break;
    case DB_OP_ADD:
        for (size_t q = 0; q < npx * C; q++)
            y[q] = x[q] + x2[q];
        break;
    case DB_OP_SIGMOID:
        for (size_t q = 0; q < npx * C; q++)
            y[q] = db_sigmoid_out(x[q]);
        break;
    case DB_OP_DB_HEAD:
        for (size_t p = 0; p < npx; p++)
            y[p] = x[2 * p] - x[2 * p + 1];
        break;
    case DB_OP_CONCAT: {
        const int Cb = g->nodes[b].cout;
        for (size_t p = 0; p < npx; p++) {
            memcpy(y + p * C, x + p * Ca, (size_t)Ca * sizeof(float));
            memcpy(y + p * C + Ca, x2 + p * Cb, (size_t)Cb * sizeof(float));
        }
        break;
    }
    case DB_OP_CHANNEL_DUP:
        for (size_t p = 0; p < npx; p++)
            for (int c = 0; c < C; c++)
                y[p * C + c] = x[p * Ca + c % Ca];
        break;
    case DB_OP_CHANNEL_PAIR_MEAN:
        for (size_t p = 0; p < npx; p++)
            for (int c = 0; c < C; c++)
                y[p * C + c] = db_pair_mean(x[p * Ca + 2 * c], x[p * Ca + 2 * c + 1]);
        break;
    case DB_OP_UPSAMPLE2:
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++)
                memcpy(y + ((size_t)oy * ow + ox) * C, x + ((size_t)(oy / 2) * iw + ox / 2) * Ca,
                       (size_t)C * sizeof(float));
        break;
    case DB_OP_AVGPOOL2:
    case DB_OP_HAAR2:
        for (int oy = 0; oy < oh; oy++) {
            int y0 = 2 * oy, y1 = 2 * oy + 1 < ih ? 2 * oy + 1 : ih - 1;
            for (int ox = 0; ox < ow; ox++) {
                int x0 = 2 * ox, x1 = 2 * ox + 1 < iw ? 2 * ox + 1 : iw - 1;
                const float *pa = x + ((size_t)y0 * iw + x0) * Ca;
                const float *pb = x + ((size_t)y0 * iw + x1) * Ca;
                const float *pc = x + ((size_t)y1 * iw + x0) * Ca;
                const float *pd = x + ((size_t)y1 * iw + x1) * Ca;
                float *o = y + ((size_t)oy * ow + ox) * C;
                for (int c = 0; c < Ca; c++) {
                    if (n->op == DB_OP_AVGPOOL2)
                        o[c] = db_avgpool_out(pa[c], pb[c], pc[c], pd[c]);
                    else
                        db_haar2_out(pa[c], pb[c], pc[c], pd[c], o + 4 * c);
                }
            }
        }
        break;
    default: break;
    }
}

/* A CONV_REAL on HAAR2(INPUT) by its integer definition (nets/stem8.h),
 * from the page's samples (its gray version for a one-channel input). */
static int stem8_node(db_ctx *ctx, const db_graph *g, int i, const db_image *img, float *out)
{
    db_stem8 q;
    db_image gray = {0};
    const db_image *page = img;
    int rc = db_stem8_init(ctx, g, i, &q);
    if (rc == 0 && q.c == 1 && img->format == DB_RGB8) {
        rc = db_image_to_gray(ctx, img, &gray);
        page = &gray;
    }
    if (rc == 0) {
        float mean[3] = {0, 0, 0}, inv_std[3] = {1, 1, 1};
        if (g->nodes[0].attr == DB_NORM_PAGE_STD)
            for (int c = 0; c < q.c; c++) {
                bool rgb = page->format == DB_RGB8;
                db_input_page_stats(page->data, page->stride, page->width, page->height,
                                    rgb ? 3 : 1, rgb ? c : 0, &mean[c], &inv_std[c]);
            }
        db_stem8_prepare(&q, g, i, mean, inv_std, page->format == DB_RGB8 ? 3 : 1);
        rc = db_stem8_run_ref(ctx, &q, page, out);
    }
    db_image_free(&gray);
    db_stem8_free(&q);
    return rc;
}

int tr_graph_run(db_ctx *ctx, const db_graph *g, const db_image *img, uint8_t *ink)
{
    DB_TRY(db_graph_validate(ctx, g));
    const db_gnode *in = &g->nodes[0];
    if ((img->format != DB_RGB8 && img->format != DB_GRAY8) || (in->cout != 1 && in->cout != 3))
        return db_fail(ctx, DB_EINVAL, "train: eval needs an 8-bit page and a 1/3-channel input");
    const int W = img->width, H = img->height, N = g->nnodes;
    int *hw = db_malloc(ctx, (size_t)N * 2 * sizeof *hw);
    int *last = db_malloc(ctx, (size_t)N * sizeof *last);
    float **maps = db_calloc(ctx, (size_t)N, sizeof *maps);
    uint64_t *abits = NULL, *wbits = NULL;
    int rc = (!hw || !last || !maps) ? DB_ENOMEM : 0;
    if (rc == 0)
        rc = db_graph_shapes(ctx, g, W, H, hw);
    if (rc == 0) {
        last_uses(g, last);
        size_t amax = 1, wmax = 1;
        for (int i = 0; i < N; i++) {
            const db_gnode *n = &g->nodes[i];
            if (n->op != DB_OP_BCONV)
                continue;
            size_t a = (size_t)hw[2 * n->in[0]] * hw[2 * n->in[0] + 1] * db_words(n->cin);
            size_t w = (size_t)n->cout * n->k * n->k * db_words(n->cin);
            amax = a > amax ? a : amax;
            wmax = w > wmax ? w : wmax;
        }
        abits = db_malloc(ctx, amax * sizeof *abits);
        wbits = db_malloc(ctx, wmax * sizeof *wbits);
        if (!abits || !wbits)
            rc = DB_ENOMEM;
    }
    for (int i = 0; i < N && rc == 0; i++) {
        if (db_ctx_canceled(ctx)) {
            rc = db_fail(ctx, DB_ECANCELED, "train: evaluation canceled");
            break;
        }
        size_t sz = (size_t)hw[2 * i] * hw[2 * i + 1] * g->nodes[i].cout;
        if (!(maps[i] = db_malloc(ctx, sz * sizeof(float)))) {
            rc = DB_ENOMEM;
            break;
        }
        if (i == 0) {
            for (int y = 0; y < H; y++) {
                const uint8_t *row = db_image_row(img, y);
                for (int x = 0; x < W; x++) {
                    float *o = maps[0] + ((size_t)y * W + x) * in->cout;
                    if (in->cout == 3 && img->format == DB_RGB8)
                        for (int c = 0; c < 3; c++)
                            o[c] = db_input_unit(row[3 * x + c]);
                    else if (in->cout == 3)
                        o[0] = o[1] = o[2] = db_input_unit(row[x]);
                    else if (img->format == DB_GRAY8)
                        o[0] = db_input_unit(row[x]);
                    else
                        o[0] = db_input_unit((uint8_t)((299 * row[3 * x] + 587 * row[3 * x + 1] +
                                                        114 * row[3 * x + 2] + 500) / 1000));
                }
            }
        } else if (db_stem8_applies(g, i)) {
            rc = stem8_node(ctx, g, i, img, maps[i]);
        } else {
            run_node(g, i, maps, hw, abits, wbits);
        }
        for (int j = 0; j < i; j++)
            if (maps[j] && last[j] <= i) {
                db_free(maps[j]);
                maps[j] = NULL;
            }
    }
    if (rc == 0) {
        const float *o = maps[N - 1];
        for (size_t p = 0; p < (size_t)W * H; p++)
            ink[p] = o[p] > 0.0f;
    }
    if (maps)
        for (int i = 0; i < N; i++)
            db_free(maps[i]);
    db_free(maps);
    db_free(hw);
    db_free(last);
    db_free(abits);
    db_free(wbits);
    return rc;
}
