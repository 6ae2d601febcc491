/* unet.c - the U-Net of shared/docs/networks.md as a db_graph (see unet.h);
 * Bi-Real/ReActNet blocks with real, parameter-free shortcuts. */
#include "nets/unet.h"

#include <math.h>
#include <stdio.h>

db_unet_spec db_unet_spec_default(void)
{
    return (db_unet_spec){
        .in_channels = 1, .norm = DB_NORM_PAGE_STD, .levels = 4, .ch = {32, 64, 128, 128}};
}

/* y = RPRELU(BN(BCONV3x3(x))) + shortcut(x) */
static int block(db_ctx *ctx, db_graph *g, int x, int cout, int stride)
{
    int cin = g->nodes[x].cout;
    int b = db_graph_bconv(ctx, g, x, cout, 3, stride);
    DB_TRY(b);
    int bn = db_graph_unary(ctx, g, DB_OP_BATCHNORM, b);
    DB_TRY(bn);
    int rp = db_graph_unary(ctx, g, DB_OP_RPRELU, bn);
    DB_TRY(rp);
    int sc = x;
    if (stride == 2)
        DB_TRY(sc = db_graph_unary(ctx, g, DB_OP_AVGPOOL2, sc));
    if (cout == 2 * cin)
        DB_TRY(sc = db_graph_unary(ctx, g, DB_OP_CHANNEL_DUP, sc));
    else if (2 * cout == cin)
        DB_TRY(sc = db_graph_unary(ctx, g, DB_OP_CHANNEL_PAIR_MEAN, sc));
    else if (cout != cin)
        return db_fail(ctx, DB_EINVAL, "unet: channels %d -> %d need a 2x step", cin, cout);
    return db_graph_binary(ctx, g, DB_OP_ADD, sc, rp);
}

int db_unet_build(db_ctx *ctx, const db_unet_spec *sp, db_graph *g)
{
    if (sp->levels < 1 || sp->levels > 6)
        return db_fail(ctx, DB_EINVAL, "unet: %d levels (1..6)", sp->levels);
    snprintf(g->name, sizeof g->name, "unet%d-%d%s", sp->levels, sp->ch[0],
             sp->haar ? "-haar" : "");
    int in = db_graph_input(ctx, g, sp->in_channels, sp->norm);
    DB_TRY(in);
    int x = in;
    if (sp->haar)
        DB_TRY(x = db_graph_unary(ctx, g, DB_OP_HAAR2, x));
    DB_TRY(x = db_graph_conv_real(ctx, g, x, sp->ch[0], 3, 1));
    int skip[6];
    DB_TRY(x = block(ctx, g, x, sp->ch[0], 1));
    skip[0] = x;
    for (int l = 1; l < sp->levels; l++) {
        DB_TRY(x = block(ctx, g, x, sp->ch[l], 2));
        DB_TRY(x = block(ctx, g, x, sp->ch[l], 1));
        skip[l] = x;
    }
    for (int l = sp->levels - 1; l > 0; l--) {
        DB_TRY(x = block(ctx, g, x, sp->ch[l - 1], 1));
        DB_TRY(x = db_graph_binary(ctx, g, DB_OP_UPSAMPLE2, x, skip[l - 1]));
        DB_TRY(x = db_graph_binary(ctx, g, DB_OP_ADD, skip[l - 1], x));
        DB_TRY(x = block(ctx, g, x, sp->ch[l - 1], 1));
    }
    if (sp->haar)
        DB_TRY(x = db_graph_binary(ctx, g, DB_OP_UPSAMPLE2, x, in));
    DB_TRY(x = db_graph_conv_real(ctx, g, x, 1, 1, 1));
    return 0;
}

static float urand(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return (float)((*s * 0x2545f4914f6cdd1dull) >> 40) / (float)(1 << 24) * 2.0f - 1.0f;
}

void db_graph_randomize(db_graph *g, uint64_t seed)
{
    uint64_t s = seed ? seed : 1;
    for (int i = 0; i < g->nnodes; i++) {
        db_gnode *n = &g->nodes[i];
        float fan = (float)(n->k * n->k * (n->cin ? n->cin : 1));
        for (size_t q = 0; q < n->nw; q++)
            n->w[q] = urand(&s) * (n->op == DB_OP_CONV_REAL ? sqrtf(3.0f / fan) : 1.0f);
        for (int j = 0; j < 3; j++)
            for (int q = 0; q < n->np[j]; q++) {
                float r = urand(&s), v = 0.0f;
                switch (n->op) {
                case DB_OP_CONV_REAL: v = 0.1f * r; break;
                case DB_OP_BCONV: v = j == 0 ? 0.2f * r : 1.0f + 0.2f * r; break; /* thr, alpha */
                case DB_OP_BATCHNORM:
                    v = j == 0 ? (1.0f + 0.3f * r) /
                                     sqrtf(fan > 1 ? (float)g->nodes[n->in[0]].cin * 9.0f : 1.0f)
                               : 0.2f * r;
                    break;
                case DB_OP_RPRELU: v = j == 1 ? 0.25f + 0.2f * r : 0.1f * r; break;
                default: break;
                }
                n->p[j][q] = v;
            }
    }
}
