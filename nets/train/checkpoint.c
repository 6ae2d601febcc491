/* checkpoint.c - the trainer's resumable state: every latent weight and
 * parameter, BatchNorm running statistics, Adam moments (network and critic),
 * step, sampler RNG and validation scores, in one little-endian file closed by
 * a CRC-32. Written to a temporary file in the target folder, flushed and
 * renamed (a crash or Ctrl-C never leaves a half-written checkpoint); read back
 * completely and checked before anything in the trainer changes. */
#include "nets/train/trainer_internal.h"

#include "nets/model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CKPT_MAGIC "DBTRCKP1"
#define CKPT_NHDR 16

typedef void (*visit_fn)(void *user, float *v, size_t n);

/* Every float array of the state, in file order. */
static void visit_net(tnet *net, tr_adam *a, visit_fn fn, void *user)
{
    for (int i = 0; i < net->nnodes; i++) {
        tn_node *nd = &net->nodes[i];
        if (nd->nw)
            fn(user, nd->pw, nd->nw);
        for (int j = 0; j < TN_MAXP; j++)
            if (nd->np[j])
                fn(user, nd->p[j], (size_t)nd->np[j]);
        if (nd->op == DB_OP_BATCHNORM) {
            fn(user, nd->run_mean, (size_t)nd->c);
            fn(user, nd->run_var, (size_t)nd->c);
        }
    }
    fn(user, a->m, a->n);
    fn(user, a->v, a->n);
}

static void visit_all(db_trainer *t, visit_fn fn, void *user)
{
    visit_net(&t->net, &t->adam, fn, user);
    if (t->o.gan)
        visit_net(&t->critic, &t->cadam, fn, user);
}

static void count_fn(void *user, float *v, size_t n)
{
    *(size_t *)user += n;
}

typedef struct cursor {
    uint8_t *p;
} cursor;

static void put_fn(void *user, float *v, size_t n)
{
    cursor *c = user;
    memcpy(c->p, v, n * sizeof(float));
    c->p += n * sizeof(float);
}

static void get_fn(void *user, float *v, size_t n)
{
    cursor *c = user;
    memcpy(v, c->p, n * sizeof(float));
    c->p += n * sizeof(float);
}

/* Header: 16 int64 fields after the magic. */
static void header(const db_trainer *t, size_t nfloats, int64_t h[CKPT_NHDR])
{
    memset(h, 0, CKPT_NHDR * sizeof *h);
    h[0] = 1; /* version */
    h[1] = t->o.width;
    h[2] = t->o.levels;
    h[3] = t->o.db_head;
    h[4] = t->o.gan;
    h[5] = t->o.gan_width;
    h[6] = TR_IN_CHANNELS;
    h[7] = (int64_t)nfloats;
    h[8] = t->step;
    h[9] = (int64_t)t->rng.s;
    h[10] = t->adam.step;
    h[11] = t->cadam.step;
    memcpy(&h[12], &t->val_fm, sizeof(double));
    memcpy(&h[13], &t->val_psnr, sizeof(double));
    memcpy(&h[14], &t->best_fm, sizeof(double));
}

int db_trainer_save(db_ctx *ctx, db_trainer *t, const char *path)
{
    size_t nf = 0;
    visit_all(t, count_fn, &nf);
    size_t size = 8 + CKPT_NHDR * 8 + nf * sizeof(float) + 4;
    uint8_t *buf = db_malloc(ctx, size);
    if (!buf)
        return DB_ENOMEM;
    int64_t h[CKPT_NHDR];
    header(t, nf, h);
    memcpy(buf, CKPT_MAGIC, 8);
    memcpy(buf + 8, h, sizeof h);
    cursor c = {buf + 8 + sizeof h};
    visit_all(t, put_fn, &c);
    uint32_t crc = db_crc32(0, buf, size - 4);
    memcpy(buf + size - 4, &crc, 4);

    char tmp[4096];
    int rc = 0;
    if (snprintf(tmp, sizeof tmp, "%s.tmpXXXXXX", path) >= (int)sizeof tmp) {
        db_free(buf);
        return db_fail(ctx, DB_EINVAL, "train: checkpoint path too long");
    }
    int fd = mkstemp(tmp);
    if (fd < 0) {
        rc = db_fail(ctx, DB_EIO, "train: cannot write checkpoint %s (%s)", path,
                     strerror(errno));
        db_free(buf);
        return rc;
    }
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        close(fd);
        rc = DB_EIO;
    } else {
        if (fwrite(buf, 1, size, f) != size || fflush(f) != 0 || fsync(fileno(f)) != 0)
            rc = DB_EIO;
        if (fclose(f) != 0)
            rc = DB_EIO;
    }
    if (rc == 0 && rename(tmp, path) != 0)
        rc = DB_EIO;
    if (rc < 0) {
        unlink(tmp);
        rc = db_fail(ctx, DB_EIO, "train: cannot write checkpoint %s (%s)", path,
                     strerror(errno));
    }
    db_free(buf);
    return rc;
}

int db_trainer_resume(db_ctx *ctx, db_trainer *t, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return db_fail(ctx, DB_EIO, "train: cannot open checkpoint %s (%s)", path,
                       strerror(errno));
    size_t nf = 0;
    visit_all(t, count_fn, &nf);
    size_t size = 8 + CKPT_NHDR * 8 + nf * sizeof(float) + 4;
    uint8_t *buf = db_malloc(ctx, size + 1);
    if (!buf) {
        fclose(f);
        return DB_ENOMEM;
    }
    size_t got = fread(buf, 1, size + 1, f);
    fclose(f);
    int rc = 0;
    int64_t h[CKPT_NHDR], want[CKPT_NHDR];
    uint32_t crc = 0;
    if (got < 8 + sizeof h || memcmp(buf, CKPT_MAGIC, 8) != 0) {
        rc = db_fail(ctx, DB_ECORRUPT, "train: %s is not a docbin checkpoint", path);
    } else {
        memcpy(h, buf + 8, sizeof h);
        header(t, nf, want);
        if (h[0] != 1 || memcmp(&h[1], &want[1], 7 * sizeof *h) != 0)
            rc = db_fail(ctx, DB_EINVAL,
                         "train: checkpoint %s is for another network (width %lld, levels "
                         "%lld, %lld floats)",
                         path, (long long)h[1], (long long)h[2], (long long)h[7]);
        else if (got != size)
            rc = db_fail(ctx, DB_ECORRUPT, "train: checkpoint %s is truncated (%zu of %zu bytes)",
                         path, got, size);
        else {
            memcpy(&crc, buf + size - 4, 4);
            if (crc != db_crc32(0, buf, size - 4))
                rc = db_fail(ctx, DB_ECORRUPT, "train: checkpoint %s: CRC mismatch", path);
        }
    }
    if (rc == 0) {
        cursor c = {buf + 8 + sizeof h};
        visit_all(t, get_fn, &c);
        t->step = h[8];
        t->rng.s = (uint64_t)h[9];
        t->adam.step = h[10];
        t->cadam.step = h[11];
        memcpy(&t->val_fm, &h[12], sizeof(double));
        memcpy(&t->val_psnr, &h[13], sizeof(double));
        memcpy(&t->best_fm, &h[14], sizeof(double));
    }
    db_free(buf);
    return rc;
}
