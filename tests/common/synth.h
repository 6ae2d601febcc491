/* synth.h - seeded synthetic degraded document pages with exact ground truth,
 * for known-answer tests, benchmarks and the shipped sample. */
#ifndef DB_TEST_SYNTH_H
#define DB_TEST_SYNTH_H

#include "docbin.h"

typedef struct tu_synth_opts {
    int width, height;
    uint64_t seed;
    bool color;         /* RGB8 page (yellowed paper, one red seal) instead of GRAY8 */
    double gradient;    /* illumination fall-off, 0 (flat) .. 0.8 (strong); default 0.45 */
    double noise_sigma; /* gray levels; default 6 */
    int stains;         /* dark blotches; default 3 */
    bool bleed_through; /* faint mirrored strokes from a second page (not ink) */
    int text_height;    /* glyph box height in pixels; default height/60 clamped */
} tu_synth_opts;

/* Fills opts with the defaults for a w x h page. */
void tu_synth_defaults(tu_synth_opts *opts, int w, int h, uint64_t seed);
/* Renders the page into page (GRAY8 or RGB8) and the ground truth into truth
 * (BIT1, bit 1 = ink), both w x h; either output may be NULL. 0 or DB_E*. */
int tu_synth_page(db_ctx *ctx, const tu_synth_opts *opts, db_image *page, db_image *truth);

#endif
