/* checkpoint.c - the trainer's resumable state: every latent weight and
 * parameter, BatchNorm running statistics, Adam moments (network and critic),
 * step, sampler RNG and validation scores, in one little-endian file closed by
 * a CRC-32. Written to a temporary file in the target folder, flushed and
 * renamed (a crash or Ctrl-C never leaves a half-written checkpoint); read back
 * completely and checked before anything in the trainer changes.
 * db_trainer_resume restores all of it; db_trainer_init_from takes only the
 * generator's weights and BatchNorm statistics (the head of the float data)
 * to start a new run (GAN fine-tuning of a pixel-loss generator).
 * Format version 1: header h[15] (zero in files written before the --input
 * option) is the front end, 0 DWT, 1 full; nothing else changed. */
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

/* The weights and BatchNorm statistics of a network, in file order. */
static void visit_weights(tnet *net, visit_fn fn, void *user)
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
}

/* Every float array of the state, in file order: generator weights, its Adam
 * moments, then (GAN) critic weights and moments. */
static void visit_net(tnet *net, tr_adam *a, visit_fn fn, void *user)
{
    visit_weights(net, fn, user);
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
    /* bits 0..7 input channels, 8..15 per-channel input + 1 (0: all; older
     * files), 16.. global N (0: local) */
    h[6] = TR_IN_CHANNELS | (int64_t)(t->o.channel + 1) << 8 | (int64_t)t->o.global << 16;
    h[7] = (int64_t)nfloats;
    h[8] = t->step;
    h[9] = (int64_t)t->rng.s;
    h[10] = t->adam.step;
    h[11] = t->cadam.step;
    memcpy(&h[12], &t->val_fm, sizeof(double));
    memcpy(&h[13], &t->val_psnr, sizeof(double));
    memcpy(&h[14], &t->best_fm, sizeof(double));
    h[15] = t->o.input;
}

/* Whether h describes the network of want (fields 1..7 and 15; 7 is the
 * float count, only for resume); otherwise a one-line DB_EINVAL. */
static int check_network(db_ctx *ctx, const char *path, const int64_t h[CKPT_NHDR],
                         const int64_t want[CKPT_NHDR], bool same_floats)
{
    static const char *const input[] = {"dwt", "full"};
    bool same = h[1] == want[1] && h[2] == want[2] && h[3] == want[3] &&
                (h[6] & 0xff) == (want[6] & 0xff) && h[15] == want[15];
    /* resume only: the channel must match too; --init may start a
     * per-channel run from the shared generator */
    if (same && same_floats && (h[6] >> 8 & 0xff) != (want[6] >> 8 & 0xff))
        return db_fail(ctx, DB_EINVAL,
                       "train: checkpoint %s is for --channel %s, this run --channel %s", path,
                       db_channel_name((int)(h[6] >> 8 & 0xff) - 1),
                       db_channel_name((int)(want[6] >> 8 & 0xff) - 1));
    /* resume only: the global size (field 6 >> 16) must match too; --init
     * may start a global run from a local checkpoint */
    if (same && same_floats && h[6] >> 16 != want[6] >> 16)
        return db_fail(ctx, DB_EINVAL,
                       "train: checkpoint %s is for --global %lld, this run --global %lld",
                       path, (long long)(h[6] >> 16), (long long)(want[6] >> 16));
    if (same && same_floats && memcmp(&h[4], &want[4], 4 * sizeof *h) == 0)
        return 0;
    if (same && !same_floats)
        return 0;
    if (same) /* same generator, another critic or float count */
        return db_fail(ctx, DB_EINVAL,
                       "train: checkpoint %s is for another run (gan %lld width %lld, "
                       "%lld floats; this run: gan %lld width %lld, %lld floats)",
                       path, (long long)h[4], (long long)h[5], (long long)h[7],
                       (long long)want[4], (long long)want[5], (long long)want[7]);
    return db_fail(ctx, DB_EINVAL,
                   "train: checkpoint %s is for another network (width %lld, levels %lld, "
                   "%s head, input %s; this run: width %lld, levels %lld, %s head, input %s)",
                   path, (long long)h[1], (long long)h[2], h[3] ? "db" : "mask",
                   h[15] == 0 || h[15] == 1 ? input[h[15]] : "?", (long long)want[1],
                   (long long)want[2], want[3] ? "db" : "mask", input[want[15] != 0]);
}

/* Reads a whole checkpoint file and checks magic, version, size and CRC;
 * *buf (db_malloc) holds it, h its header. */
static int read_checkpoint(db_ctx *ctx, const char *path, uint8_t **buf, size_t *size,
                           int64_t h[CKPT_NHDR])
{
    *buf = NULL;
    *size = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return db_fail(ctx, DB_EIO, "train: cannot open checkpoint %s (%s)", path,
                       strerror(errno));
    long len = -1;
    if (fseek(f, 0, SEEK_END) == 0)
        len = ftell(f);
    if (len < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return db_fail(ctx, DB_EIO, "train: cannot read checkpoint %s", path);
    }
    const size_t hdr = 8 + CKPT_NHDR * 8;
    if ((size_t)len < hdr + 4) {
        fclose(f);
        return db_fail(ctx, DB_ECORRUPT, "train: %s is not a docbin checkpoint", path);
    }
    uint8_t *b = db_malloc(ctx, (size_t)len);
    if (!b) {
        fclose(f);
        return DB_ENOMEM;
    }
    size_t got = fread(b, 1, (size_t)len, f);
    fclose(f);
    int rc = 0;
    if (got != (size_t)len) {
        rc = db_fail(ctx, DB_EIO, "train: cannot read checkpoint %s", path);
    } else if (memcmp(b, CKPT_MAGIC, 8) != 0) {
        rc = db_fail(ctx, DB_ECORRUPT, "train: %s is not a docbin checkpoint", path);
    } else {
        memcpy(h, b + 8, CKPT_NHDR * 8);
        uint32_t crc;
        if (h[0] != 1)
            rc = db_fail(ctx, DB_ECORRUPT, "train: checkpoint %s: unknown version %lld", path,
                         (long long)h[0]);
        else if (h[7] < 0 || (uint64_t)h[7] != ((size_t)len - hdr - 4) / sizeof(float) ||
                 ((size_t)len - hdr - 4) % sizeof(float))
            rc = db_fail(ctx, DB_ECORRUPT,
                         "train: checkpoint %s is truncated (%ld bytes for %lld floats)", path,
                         len, (long long)h[7]);
        else {
            memcpy(&crc, b + len - 4, 4);
            if (crc != db_crc32(0, b, (size_t)len - 4))
                rc = db_fail(ctx, DB_ECORRUPT, "train: checkpoint %s: CRC mismatch", path);
        }
    }
    if (rc < 0) {
        db_free(b);
        return rc;
    }
    *buf = b;
    *size = (size_t)len;
    return 0;
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
    uint8_t *buf;
    size_t size, nf = 0;
    int64_t h[CKPT_NHDR], want[CKPT_NHDR];
    DB_TRY(read_checkpoint(ctx, path, &buf, &size, h));
    visit_all(t, count_fn, &nf);
    header(t, nf, want);
    int rc = check_network(ctx, path, h, want, true);
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

int db_trainer_init_from(db_ctx *ctx, db_trainer *t, const char *path)
{
    uint8_t *buf;
    size_t size, nw = 0;
    int64_t h[CKPT_NHDR], want[CKPT_NHDR];
    DB_TRY(read_checkpoint(ctx, path, &buf, &size, h));
    visit_weights(&t->net, count_fn, &nw);
    header(t, 0, want);
    int rc = check_network(ctx, path, h, want, false);
    /* the file's generator: its weights, then its Adam moments (2 per weight) */
    if (rc == 0 && (uint64_t)h[7] < nw + 2 * t->adam.n)
        rc = db_fail(ctx, DB_ECORRUPT, "train: checkpoint %s holds %lld floats, fewer than "
                     "its network's %zu", path, (long long)h[7], nw + 2 * t->adam.n);
    if (rc == 0) {
        cursor c = {buf + 8 + sizeof h};
        visit_weights(&t->net, get_fn, &c);
    }
    db_free(buf);
    return rc;
}
