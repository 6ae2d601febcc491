/* layers.c - the real-valued layers of the engine that are not convolutions:
 * input normalisation, element-wise BN/RPReLU/ADD/SIGMOID, pooling, Haar
 * analysis, nearest upsampling, channel concat/copy/pair mean, DB head, and
 * the border of a bit map. Every value is
 * computed with the scalar functions of graph.h. Maps are NHWC, rows
 * contiguous (row pitch = width * channels). */
#include "nets/layers.h"

#include <string.h>

DB_VECTORIZE void db_layer_input(const db_image *page, int cx, int cy, int w, int h, int c,
                                 int norm, const float *mean, const float *inv_std, float *out)
{
    int pc = page->format == DB_RGB8 ? 3 : 1;
    /* db_input_unit(v) = v * (1/255) = (v - 0) * (1/255) exactly, so both
     * norms are (v - m) * s; m and s repeated with the channel period over
     * 48 lanes (a multiple of 3 and of the vector widths) for plain loops */
    enum { PER = 48 };
    float mp[PER], sp[PER];
    for (int j = 0; j < PER; j++) {
        int ch = j % c;
        mp[j] = norm == DB_NORM_UNIT ? 0.0f : mean[ch];
        sp[j] = norm == DB_NORM_UNIT ? 1.0f / 255.0f : inv_std[ch];
    }
    for (int y = 0; y < h; y++) {
        const uint8_t *row = db_image_row(page, cy + y) + (size_t)cx * (size_t)pc;
        float *o = out + (size_t)y * (size_t)w * (size_t)c;
        if (pc == c) {
            size_t n = (size_t)w * (size_t)c, i = 0;
            for (; i + PER <= n; i += PER)
                for (int j = 0; j < PER; j++)
                    o[i + (size_t)j] = ((float)row[i + (size_t)j] - mp[j]) * sp[j];
            for (int j = 0; i + (size_t)j < n; j++)
                o[i + (size_t)j] = ((float)row[i + (size_t)j] - mp[j]) * sp[j];
        } else { /* a gray page read by a c-channel input: the sample repeated */
            for (int x = 0; x < w; x++)
                for (int ch = 0; ch < c; ch++)
                    o[(size_t)x * (size_t)c + (size_t)ch] =
                        ((float)row[(size_t)x * (size_t)pc + (size_t)(pc == 1 ? 0 : ch)] - mp[ch]) *
                        sp[ch];
        }
    }
}

DB_VECTORIZE void db_layer_elementwise(const db_gnode *n, const float *a, const float *b,
                                       size_t npix, float *out)
{
    /* the op switch sits outside the loops so each loop vectorises */
    size_t c = (size_t)n->cout, total = npix * c;
    switch (n->op) {
    case DB_OP_ADD:
        for (size_t i = 0; i < total; i++)
            out[i] = a[i] + b[i];
        break;
    case DB_OP_BATCHNORM:
        for (size_t i = 0; i < npix; i++)
            for (size_t o = 0; o < c; o++)
                out[i * c + o] = db_bn_out(a[i * c + o], n->p[0][o], n->p[1][o]);
        break;
    case DB_OP_RPRELU:
        for (size_t i = 0; i < npix; i++)
            for (size_t o = 0; o < c; o++)
                out[i * c + o] = db_rprelu_out(a[i * c + o], n->p[0][o], n->p[1][o], n->p[2][o]);
        break;
    case DB_OP_SIGMOID:
        for (size_t i = 0; i < total; i++)
            out[i] = db_sigmoid_out(a[i]);
        break;
    default: break;
    }
}

void db_layer_channels(const db_gnode *n, const float *a, int ca, const float *b, int cb,
                       size_t npix, float *out)
{
    int c = n->cout;
    for (size_t i = 0; i < npix; i++) {
        const float *x = a + i * (size_t)ca;
        float *y = out + i * (size_t)c;
        switch (n->op) {
        case DB_OP_CONCAT:
            memcpy(y, x, (size_t)ca * sizeof(float));
            memcpy(y + ca, b + i * (size_t)cb, (size_t)cb * sizeof(float));
            break;
        case DB_OP_CHANNEL_DUP:
            memcpy(y, x, (size_t)ca * sizeof(float));
            memcpy(y + ca, x, (size_t)ca * sizeof(float));
            break;
        case DB_OP_CHANNEL_PAIR_MEAN:
            for (int o = 0; o < c; o++)
                y[o] = db_pair_mean(x[2 * o], x[2 * o + 1]);
            break;
        case DB_OP_DB_HEAD: y[0] = x[0] - x[1]; break;
        default: break;
        }
    }
}

DB_VECTORIZE void db_layer_down2_row(const db_gnode *n, const float *r0, const float *r1, int w,
                                  float *out)
{
    int c = n->cin, ow = (w + 1) / 2;
    bool pool = n->op == DB_OP_AVGPOOL2; /* outside the loops: they vectorise */
    for (int x = 0; x < ow; x++) {
        size_t x0 = (size_t)(2 * x) * (size_t)c;
        size_t x1 = 2 * x + 1 < w ? x0 + (size_t)c : x0; /* edge replicate */
        float *o = out + (size_t)x * (size_t)n->cout;
        if (pool) {
            for (int ch = 0; ch < c; ch++)
                o[ch] = db_avgpool_out(r0[x0 + (size_t)ch], r0[x1 + (size_t)ch],
                                       r1[x0 + (size_t)ch], r1[x1 + (size_t)ch]);
        } else {
            for (int ch = 0; ch < c; ch++) {
                float hv[4];
                db_haar2_out(r0[x0 + (size_t)ch], r0[x1 + (size_t)ch], r1[x0 + (size_t)ch],
                             r1[x1 + (size_t)ch], hv);
                for (int b = 0; b < 4; b++)
                    o[4 * ch + b] = hv[b];
            }
        }
    }
}

void db_layer_upsample2_row(int c, const float *a, int w, float *out)
{
    for (int x = 0; x < w; x++)
        memcpy(out + (size_t)x * (size_t)c, a + (size_t)(x / 2) * (size_t)c,
               (size_t)c * sizeof(float));
}

DB_VECTORIZE void db_layer_upsample2_bilinear_row(int c, const float *r0, const float *r1, int aw,
                                               int w, float *out)
{
    for (int x = 0; x < w; x++) {
        size_t x0 = (size_t)(x / 2) * (size_t)c, x1 = (size_t)db_up2_other(x, aw) * (size_t)c;
        for (int ch = 0; ch < c; ch++) {
            float h0 = db_up2_lerp(r0[x0 + (size_t)ch], r0[x1 + (size_t)ch]);
            float h1 = db_up2_lerp(r1[x0 + (size_t)ch], r1[x1 + (size_t)ch]);
            out[(size_t)x * (size_t)c + (size_t)ch] = db_up2_lerp(h0, h1);
        }
    }
}

void db_layer_upsample2_bilinear(int c, const float *a, int aw, int ah, int w, int h, float *out)
{
    size_t pitch = (size_t)aw * (size_t)c;
    for (int y = 0; y < h; y++)
        db_layer_upsample2_bilinear_row(c, a + (size_t)(y / 2) * pitch,
                                        a + (size_t)db_up2_other(y, ah) * pitch, aw, w,
                                        out + (size_t)y * (size_t)w * (size_t)c);
}

void db_layer_clear_border(uint64_t *bits, int w, int h, int words)
{
    size_t pw = (size_t)(w + 2) * (size_t)words;
    memset(bits, 0, pw * 8);
    memset(bits + (size_t)(h + 1) * pw, 0, pw * 8);
    for (int y = 1; y <= h; y++) {
        uint64_t *row = bits + (size_t)y * pw;
        memset(row, 0, (size_t)words * 8);
        memset(row + (size_t)(w + 1) * (size_t)words, 0, (size_t)words * 8);
    }
}
