/* net_fixture.h - fixtures shared by the network-method tests of
 * tests/pipeline: a small random U-Net like the shipped gan, a mask read
 * back from a file docbin wrote, and the options of a tiny training run.
 * Include after test_util.h. */
#ifndef DB_TESTS_NET_FIXTURE_H
#define DB_TESTS_NET_FIXTURE_H

#include "nets/graph.h"
#include "nets/unet.h"

#include <string.h>

/* A small random U-Net with the Haar front end on RGB (the shipped gan's
 * kind: 2 levels of 8 and 16 channels), weights from seed. */
static inline void nf_small_gan_graph(db_ctx *ctx, db_graph *g, uint64_t seed)
{
    db_unet_spec s = db_unet_spec_default();
    s.in_channels = 3;
    s.levels = 2;
    s.ch[0] = 8;
    s.ch[1] = 16;
    s.haar = true;
    memset(g, 0, sizeof *g);
    assert_int_equal(db_unet_build(ctx, &s, g), 0);
    db_graph_randomize(g, seed);
}

/* mask = BIT1 of the image at path (ink: a set bit, or gray value 0). */
static inline void nf_load_mask(db_ctx *ctx, const char *path, db_image *mask)
{
    db_image img = {0}, gray = {0};
    assert_int_equal(db_image_load(ctx, path, &img), 0);
    assert_int_equal(db_image_to_gray(ctx, &img, &gray), 0); /* BIT1: ink -> 0 */
    assert_int_equal(db_image_ensure(ctx, mask, gray.width, gray.height, DB_BIT1), 0);
    for (int y = 0; y < gray.height; y++)
        for (int x = 0; x < gray.width; x++)
            db_bit_set(mask, x, y, db_image_row(&gray, y)[x] == 0);
    db_image_free(&img);
    db_image_free(&gray);
}

/* Defaults for a run of `steps` steps (one epoch) of a tiny network (width 8,
 * 2 levels, 2 patches of 32) trained and validated on the folder dirs[0]. */
static inline void nf_tiny_train_options(db_train_options *o, const char *const *dirs, long steps)
{
    db_train_options_defaults(o);
    o->train_dirs = dirs;
    o->ntrain_dirs = 1;
    o->val_dirs = dirs;
    o->nval_dirs = 1;
    o->width = 8;
    o->levels = 2;
    o->patch = 32;
    o->batch = 2;
    o->steps = steps;
    o->epoch_steps = (int)steps;
}

#endif
