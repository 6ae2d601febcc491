/* trainer_internal.h - the db_trainer object shared by trainer.c and
 * checkpoint.c (and the tests). */
#ifndef DB_TRAINER_INTERNAL_H
#define DB_TRAINER_INTERNAL_H

#include "nets/train/train_internal.h"

struct db_trainer {
    db_train_options o; /* folder pointers are the caller's, used only in create */
    tnet net, critic;
    tr_adam adam, cadam;
    tr_pageset train, val;
    tr_aug aug;
    tr_rng rng; /* batch sampling; saved in checkpoints */
    long step;
    double val_fm, val_psnr, best_fm;
    double val_s; /* duration of the last validation (for the ETA) */
    /* batch buffers */
    float *x, *tgt, *gz, *tt, *tm, *cx;
};

/* Builds network, critic, optimisers and buffers from t->o (pages loaded). */
int tr_trainer_setup(db_ctx *ctx, db_trainer *t);
/* Mean FM / PSNR over the validation pages (the exported graph run by the
 * engine); -1 when there are none. */
int tr_validate(db_ctx *ctx, db_trainer *t, double *fm, double *psnr);

#endif
