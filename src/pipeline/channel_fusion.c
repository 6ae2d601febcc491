/* channel_fusion.c - stage 2 of Ju et al. 2022 (arXiv 2211.16098) with
 * per-channel generators: each network of the set sees one channel of the
 * page (R, G, B or BT.601 gray; nets/channel.h) and the set's probabilities
 * are fused into one map.
 *
 * Fusion rule: the authors' code (predict_for_stage3.py of their repository)
 * averages each colour's output with the gray output, (p_c + p_gray) / 2,
 * and hands the three results to the stage-3 network; docbin has no
 * stage-3 refiner on those maps, so it takes their mean:
 *   p = (p_r + p_g + p_b) / 6 + p_gray / 2,
 * i.e. weights 1, 1, 1, 3. With part of the set installed, the weights of
 * the networks present are renormalised. The result is returned as a logit,
 * so thresholds and `--save-maps` work as for one network. */
#include "db_internal.h"
#include "nets/channel.h"
#include "nets/layers.h"
#include "nets/model.h"
#include "pipeline/net_methods.h"

#include <math.h>
#include <string.h>

static const float channel_weight[DB_CHANNEL_COUNT] = {1.0f, 1.0f, 1.0f, 3.0f};

int db_channel_set_size(const db_model *const set[DB_CHANNEL_COUNT])
{
    int n = 0;
    for (int c = 0; c < DB_CHANNEL_COUNT; c++)
        n += set[c] != NULL;
    return n;
}

int db_channel_fuse(db_ctx *ctx, const db_model *const set[DB_CHANNEL_COUNT],
                    const db_image *in, int tile, db_image *mask, db_image *logits)
{
    const int w = in->width, h = in->height;
    float wsum = 0.0f;
    for (int c = 0; c < DB_CHANNEL_COUNT; c++)
        wsum += set[c] ? channel_weight[c] : 0.0f;
    if (wsum == 0.0f)
        return db_fail(ctx, DB_EINVAL, "gan: no per-channel network attached");
    db_image one = {0};
    int rc = db_image_ensure(ctx, logits, w, h, DB_F32);
    for (int y = 0; rc == 0 && y < h; y++) /* the fused probability sums here */
        memset(db_image_row(logits, y), 0, (size_t)w * sizeof(float));
    for (int c = 0; rc == 0 && c < DB_CHANNEL_COUNT; c++) {
        if (!set[c])
            continue;
        rc = db_net_method_run_model(ctx, set[c], in, tile, mask, &one);
        const float k = channel_weight[c] / wsum;
        for (int y = 0; rc == 0 && y < h; y++) {
            const float *l = (const float *)(const void *)db_image_row(&one, y);
            float *p = (float *)(void *)db_image_row(logits, y);
            for (int x = 0; x < w; x++)
                p[x] += k * db_sigmoid_out(l[x]);
        }
    }
    /* back to a logit; probabilities clamped so that 0 and 1 stay finite */
    for (int y = 0; rc == 0 && y < h; y++) {
        float *p = (float *)(void *)db_image_row(logits, y);
        for (int x = 0; x < w; x++) {
            float q = p[x] < 1e-6f ? 1e-6f : p[x] > 1.0f - 1e-6f ? 1.0f - 1e-6f : p[x];
            p[x] = logf(q / (1.0f - q));
            db_bit_set(mask, x, y, p[x] > 0.0f);
        }
    }
    logits->xdpi = mask->xdpi = in->xdpi;
    logits->ydpi = mask->ydpi = in->ydpi;
    db_image_free(&one);
    return rc;
}
