/* net_methods.h - the network methods' registry entries (net_methods.c),
 * listed by method.c after the classic ones. Internal to src/pipeline/. */
#ifndef DB_PIPELINE_NET_METHODS_H
#define DB_PIPELINE_NET_METHODS_H

#include "docbin.h"

int db_net_method_count(void);
const db_method_info *db_net_method_at(int index);
/* db_method_run of a network method: run_net with the attached model, then
 * (`gan` with global=1 and a global model attached) the stage-3 fusion. */
int db_net_method_run(db_ctx *ctx, const db_method *method, const db_image *in, db_image *out);
/* Runs model on in (GRAY8/RGB8) whole or in tiles (tile as the `tile`
 * parameter): out = BIT1 mask (logit > 0), logits = F32 (may be NULL). */
int db_net_method_run_model(db_ctx *ctx, const db_model *model, const db_image *in, int tile,
                            db_image *out, db_image *logits);

/* ---- channel_fusion.c: stage 2 with per-channel generators (rule there) */
/* Networks in set (indexed by db_input_channel, NULL = absent). */
int db_channel_set_size(const db_model *const set[DB_CHANNEL_COUNT]);
/* Runs every network of set on in and fuses their probabilities: mask
 * (BIT1) = fused logit > 0, logits (F32) = the fused logit. */
int db_channel_fuse(db_ctx *ctx, const db_model *const set[DB_CHANNEL_COUNT],
                    const db_image *in, int tile, db_image *mask, db_image *logits);

/* ---- global_fusion.c: stage 3, local AND grown global (rule and source there) */
/* Whether a page of w x h gets the global branch of a size-n global network:
 * the longer side is at least n and at most 4 times the shorter. */
bool db_global_fusion_applies(int n, int w, int h);
/* mask (BIT1, the local result for page) &= the global network's ink
 * (probability upsampled bilinearly, > gthr) grown by a square of radius
 * grow px; unchanged where db_global_fusion_applies is false. */
int db_global_fuse(db_ctx *ctx, const db_model *global, const db_image *page, double gthr,
                   int grow, db_image *mask);

#endif
