/* model.c - the .dbm model file: a versioned little-endian container for a
 * db_graph (nets/graph.h), its writer and a loader that trusts nothing.
 *
 * Layout (all integers little-endian):
 *   0   magic "DOCBINM\x1a"        8 bytes
 *   8   u32 version (1 or 2)       12  u32 flags (SETBIT_NEG | PAD_PLUS1, both required)
 *   16  u32 header_size            20  u32 nnodes          24 u32 ntensors   28 u32 0
 *   32  u64 file_size              40  char name[64] (NUL-terminated)
 *   104 nnodes node records, 12 x i32: op, in0, in1, cin, cout, k, stride, attr,
 *       tensor index of w, p0, p1, p2 (-1 = none)
 *   ... ntensors tensor records: u32 type (1 = f32, 2 = packed bits), u32 crc32,
 *       u64 offset, u64 nbytes, u64 count (floats or 64-bit words)
 *   ... u32 CRC-32 of every header byte before it; header_size ends here
 *   tensors, each at a 64-byte aligned offset. BCONV weights are packed bits
 *   [cout][k*k][db_words(cin)], set bit = negative weight, unused bits 0.
 */
#include "nets/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct db_model {
    db_graph g;
    unsigned version;
    uint64_t file_bytes;
    db_model *adopted; /* freed with this one (db_model_adopt) */
};

static const uint8_t magic[8] = {'D', 'O', 'C', 'B', 'I', 'N', 'M', 0x1a};
enum { HDR_FIXED = 104, NODE_REC = 48, TENSOR_REC = 32, T_F32 = 1, T_BITS = 2 };

uint32_t db_crc32(uint32_t crc, const void *data, size_t n)
{
    const uint8_t *p = data;
    crc = ~crc;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int b = 0; b < 8; b++)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }
static void wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static void wr64(uint8_t *p, uint64_t v)
{
    wr32(p, (uint32_t)v);
    wr32(p + 4, (uint32_t)(v >> 32));
}
static float f_from_u32(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}
static uint32_t u32_from_f(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static size_t align64(size_t v) { return (v + 63) & ~(size_t)63; }

/* ---------------------------------------------------------------- writer */

/* The tensors of one node in file order: w (f32 or bits), p0, p1, p2. */
static size_t bits_words(const db_gnode *n)
{
    return (size_t)n->cout * (size_t)(n->k * n->k) * (size_t)db_words(n->cin);
}

int db_model_serialize(db_ctx *ctx, const db_graph *g, uint8_t **buf, size_t *size)
{
    *buf = NULL;
    *size = 0;
    DB_TRY(db_graph_validate(ctx, g));
    size_t ntensors = 0;
    for (int i = 0; i < g->nnodes; i++) {
        ntensors += g->nodes[i].nw ? 1 : 0;
        for (int j = 0; j < 3; j++)
            ntensors += g->nodes[i].np[j] ? 1 : 0;
    }
    size_t hdr = HDR_FIXED + (size_t)g->nnodes * NODE_REC + ntensors * TENSOR_REC + 4;
    size_t total = align64(hdr);
    for (int i = 0; i < g->nnodes; i++) {
        const db_gnode *n = &g->nodes[i];
        if (n->nw)
            total = align64(total + (n->op == DB_OP_BCONV ? bits_words(n) * 8 : n->nw * 4));
        for (int j = 0; j < 3; j++)
            if (n->np[j])
                total = align64(total + (size_t)n->np[j] * 4);
    }
    uint8_t *b = db_calloc(ctx, 1, total);
    if (!b)
        return DB_ENOMEM;
    memcpy(b, magic, 8);
    wr32(b + 8, db_model_version_for(g));
    wr32(b + 12, DB_MODEL_FLAG_SETBIT_NEG | DB_MODEL_FLAG_PAD_PLUS1);
    wr32(b + 16, (uint32_t)hdr);
    wr32(b + 20, (uint32_t)g->nnodes);
    wr32(b + 24, (uint32_t)ntensors);
    wr64(b + 32, total);
    memcpy(b + 40, g->name, sizeof g->name);
    b[40 + 63] = 0;
    uint8_t *trec = b + HDR_FIXED + (size_t)g->nnodes * NODE_REC;
    size_t off = align64(hdr);
    int t = 0;
    for (int i = 0; i < g->nnodes; i++) {
        const db_gnode *n = &g->nodes[i];
        uint8_t *r = b + HDR_FIXED + (size_t)i * NODE_REC;
        int32_t f[12] = {(int32_t)n->op, n->in[0], n->in[1], n->cin, n->cout, n->k,
                         n->stride,      n->attr,  -1,       -1,     -1,      -1};
        for (int s = 0; s < 4; s++) {
            size_t count = s == 0 ? n->nw : (size_t)n->np[s - 1];
            if (!count)
                continue;
            uint8_t *d = b + off;
            uint32_t type = T_F32;
            size_t nbytes;
            if (s == 0 && n->op == DB_OP_BCONV) {
                type = T_BITS;
                int kk = n->k * n->k, words = db_words(n->cin);
                count = bits_words(n);
                for (int o = 0; o < n->cout; o++)
                    for (int tap = 0; tap < kk; tap++)
                        for (int ci = 0; ci < n->cin; ci++)
                            if (db_sign_bit(
                                    n->w[((size_t)o * (size_t)kk + (size_t)tap) * (size_t)n->cin +
                                         (size_t)ci])) {
                                uint8_t *wp = d + 8 * (((size_t)o * (size_t)kk + (size_t)tap) *
                                                           (size_t)words +
                                                       (size_t)(ci >> 6));
                                wp[(ci & 63) >> 3] |= (uint8_t)(1u << (ci & 7));
                            }
                nbytes = count * 8;
            } else {
                const float *src = s == 0 ? n->w : n->p[s - 1];
                for (size_t q = 0; q < count; q++)
                    wr32(d + 4 * q, u32_from_f(src[q]));
                nbytes = count * 4;
            }
            uint8_t *tr = trec + (size_t)t * TENSOR_REC;
            wr32(tr, type);
            wr32(tr + 4, db_crc32(0, d, nbytes));
            wr64(tr + 8, off);
            wr64(tr + 16, nbytes);
            wr64(tr + 24, count);
            f[8 + s] = t++;
            off = align64(off + nbytes);
        }
        for (int q = 0; q < 12; q++)
            wr32(r + 4 * q, (uint32_t)f[q]);
    }
    wr32(b + hdr - 4, db_crc32(0, b, hdr - 4));
    *buf = b;
    *size = total;
    return 0;
}

int db_model_save_graph(db_ctx *ctx, const db_graph *g, const char *path)
{
    uint8_t *buf;
    size_t size;
    DB_TRY(db_model_serialize(ctx, g, &buf, &size));
    size_t plen = strlen(path);
    char *tmp = db_malloc(ctx, plen + 16);
    if (!tmp) {
        db_free(buf);
        return DB_ENOMEM;
    }
    snprintf(tmp, plen + 16, "%s.tmp%ld", path, (long)getpid());
    int rc = 0;
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        rc = db_fail(ctx, DB_EIO, "model: cannot create %s", tmp);
    } else {
        bool ok = fwrite(buf, 1, size, f) == size;
        ok = fflush(f) == 0 && ok;
        ok = fclose(f) == 0 && ok;
        if (!ok || rename(tmp, path) != 0) {
            remove(tmp);
            rc = db_fail(ctx, DB_EIO, "model: cannot write %s", path);
        }
    }
    db_free(tmp);
    db_free(buf);
    return rc;
}

/* ---------------------------------------------------------------- loader */

static int corrupt(db_ctx *ctx, const char *what)
{
    return db_fail(ctx, DB_ECORRUPT, "model: %s", what);
}

/* Parses everything; on error g is left for the caller to free. */
static int parse(db_ctx *ctx, const uint8_t *b, size_t size, db_model *m)
{
    if (size < 8 || memcmp(b, magic, 8) != 0)
        return db_fail(ctx, DB_EFORMAT, "model: not a docbin model file (bad magic)");
    if (size < HDR_FIXED + 4)
        return corrupt(ctx, "file truncated in the header");
    uint32_t version = rd32(b + 8), flags = rd32(b + 12);
    if (version < DB_MODEL_VERSION_MIN || version > DB_MODEL_VERSION)
        return db_fail(ctx, DB_EUNSUPPORTED,
                       "model: format version %u not supported (this "
                       "build reads versions %u to %u)",
                       version, DB_MODEL_VERSION_MIN, DB_MODEL_VERSION);
    uint32_t hdr = rd32(b + 16), nnodes = rd32(b + 20), ntensors = rd32(b + 24);
    uint64_t fsize = rd64(b + 32);
    if (fsize != size)
        return db_fail(ctx, DB_ECORRUPT,
                       "model: file is %zu bytes, header says %llu "
                       "(truncated?)",
                       size, (unsigned long long)fsize);
    if (nnodes < 2 || nnodes > DB_GRAPH_MAX_NODES || ntensors > 4 * nnodes)
        return corrupt(ctx, "bad node or tensor count");
    uint64_t want = HDR_FIXED + (uint64_t)nnodes * NODE_REC + (uint64_t)ntensors * TENSOR_REC + 4;
    if (hdr != want || hdr > size)
        return corrupt(ctx, "bad header size");
    if (rd32(b + hdr - 4) != db_crc32(0, b, hdr - 4))
        return corrupt(ctx, "header checksum mismatch");
    /* only now is the header trusted enough to interpret */
    if (flags != (DB_MODEL_FLAG_SETBIT_NEG | DB_MODEL_FLAG_PAD_PLUS1))
        return db_fail(ctx, DB_EUNSUPPORTED,
                       "model: flags 0x%x not supported (bit convention "
                       "or padding value)",
                       flags);
    if (b[40 + 63] != 0)
        return corrupt(ctx, "name not terminated");
    m->version = version;
    m->file_bytes = size;
    memcpy(m->g.name, b + 40, 64);
    const uint8_t *trec = b + HDR_FIXED + (size_t)nnodes * NODE_REC;
    uint8_t *used = db_calloc(ctx, ntensors ? ntensors : 1, 1);
    if (!used)
        return DB_ENOMEM;
    int rc = 0;
    for (uint32_t i = 0; i < nnodes && rc == 0; i++) {
        const uint8_t *r = b + HDR_FIXED + (size_t)i * NODE_REC;
        int32_t f[12];
        for (int q = 0; q < 12; q++)
            f[q] = (int32_t)rd32(r + 4 * q);
        db_gnode t = {.op = (db_op)f[0],
                      .in = {f[1], f[2]},
                      .cout = f[4],
                      .k = f[5],
                      .stride = f[6],
                      .attr = f[7]};
        int idx = db_graph_add(ctx, &m->g, &t);
        if (idx < 0) {
            rc = idx;
            break;
        }
        db_gnode *n = &m->g.nodes[idx];
        if (n->cin != f[3]) {
            rc = corrupt(ctx, "node input channels inconsistent");
            break;
        }
        if (n->op == DB_OP_UPSAMPLE2 && n->attr != DB_UPSAMPLE_NEAREST && version < 2) {
            rc = corrupt(ctx, "bilinear upsampling in a version 1 file");
            break;
        }
        for (int s = 0; s < 4 && rc == 0; s++) {
            size_t count = s == 0 ? n->nw : (size_t)n->np[s - 1];
            int32_t ti = f[8 + s];
            if (!count) {
                if (ti != -1)
                    rc = corrupt(ctx, "tensor given to a node that takes none");
                continue;
            }
            if (ti < 0 || (uint32_t)ti >= ntensors || used[ti]) {
                rc = corrupt(ctx, "bad tensor reference");
                break;
            }
            used[ti] = 1;
            const uint8_t *tr = trec + (size_t)ti * TENSOR_REC;
            uint32_t type = rd32(tr);
            uint64_t off = rd64(tr + 8), nbytes = rd64(tr + 16), cnt = rd64(tr + 24);
            bool bits = s == 0 && n->op == DB_OP_BCONV;
            uint64_t want_cnt = bits ? bits_words(n) : count;
            if (type != (bits ? (uint32_t)T_BITS : (uint32_t)T_F32) || cnt != want_cnt ||
                nbytes != cnt * (bits ? 8u : 4u) || off % 64 != 0 || off < hdr || off > size ||
                nbytes > size - off) {
                rc = corrupt(ctx, "tensor record out of bounds or inconsistent");
                break;
            }
            const uint8_t *d = b + off;
            if (rd32(tr + 4) != db_crc32(0, d, (size_t)nbytes)) {
                char msg[64];
                snprintf(msg, sizeof msg, "tensor %d checksum mismatch", (int)ti);
                rc = corrupt(ctx, msg);
                break;
            }
            if (bits) {
                int kk = n->k * n->k, words = db_words(n->cin);
                for (int o = 0; o < n->cout && rc == 0; o++)
                    for (int tap = 0; tap < kk; tap++) {
                        const uint8_t *wp =
                            d + 8 * (((size_t)o * (size_t)kk + (size_t)tap) * (size_t)words);
                        float *dst = n->w + ((size_t)o * (size_t)kk + (size_t)tap) * (size_t)n->cin;
                        for (int q = 0; q < words; q++) {
                            uint64_t v = rd64(wp + 8 * q);
                            int valid = n->cin - 64 * q;
                            if (valid < 64 && (v >> valid) != 0) {
                                rc = corrupt(ctx, "padding bits set in binary weights");
                                break;
                            }
                            for (int c = 0; c < 64 && c < valid; c++)
                                dst[64 * q + c] = ((v >> c) & 1) ? -1.0f : 1.0f;
                        }
                        if (rc)
                            break;
                    }
            } else {
                float *dst = s == 0 ? n->w : n->p[s - 1];
                for (size_t q = 0; q < count; q++)
                    dst[q] = f_from_u32(rd32(d + 4 * q));
            }
        }
    }
    for (uint32_t t = 0; rc == 0 && t < ntensors; t++)
        if (!used[t])
            rc = corrupt(ctx, "tensor not used by any node");
    /* tensors in file order, and every byte outside them zero: then each
     * byte of the file is checked by a CRC or by this rule */
    uint64_t end = hdr;
    for (uint32_t t = 0; rc == 0 && t <= ntensors; t++) {
        const uint8_t *tr = trec + (size_t)t * TENSOR_REC;
        uint64_t off = t < ntensors ? rd64(tr + 8) : size;
        if (off < end) {
            rc = corrupt(ctx, "tensors overlap or are out of order");
            break;
        }
        for (uint64_t q = end; q < off; q++)
            if (b[q] != 0) {
                rc = corrupt(ctx, "nonzero padding between tensors");
                break;
            }
        if (t < ntensors)
            end = off + rd64(tr + 16);
    }
    db_free(used);
    if (rc == 0 && (int)nnodes != m->g.nnodes)
        rc = corrupt(ctx, "node count mismatch");
    if (rc == 0)
        rc = db_graph_validate(ctx, &m->g);
    return rc;
}

int db_model_load_memory(db_ctx *ctx, const void *data, size_t size, db_model **out)
{
    *out = NULL;
    db_model *m = db_calloc(ctx, 1, sizeof *m);
    if (!m)
        return DB_ENOMEM;
    int rc = parse(ctx, data, size, m);
    if (rc < 0) {
        db_model_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

int db_model_load(db_ctx *ctx, const char *path, db_model **out)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return db_fail(ctx, DB_EIO, "%s: model: cannot open", path);
    uint8_t *buf = NULL;
    size_t size = 0, cap = 0;
    int rc = 0;
    for (;;) {
        if (size == cap) {
            size_t ncap = cap ? cap * 2 : 1 << 16;
            if (ncap > ((size_t)1 << 31)) {
                rc = db_fail(ctx, DB_ETOOBIG, "%s: model: larger than 2 GiB", path);
                break;
            }
            uint8_t *nb = db_realloc(ctx, buf, ncap);
            if (!nb) {
                rc = DB_ENOMEM;
                break;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + size, 1, cap - size, f);
        size += got;
        if (got == 0) {
            if (ferror(f))
                rc = db_fail(ctx, DB_EIO, "%s: model: read error", path);
            break;
        }
    }
    fclose(f);
    if (rc == 0) {
        rc = db_model_load_memory(ctx, buf, size, out);
        if (rc < 0)
            db_ctx_prefix_message(ctx, path);
    }
    db_free(buf);
    return rc;
}

void db_model_free(db_model *m)
{
    if (!m)
        return;
    db_model_free(m->adopted);
    db_graph_free(&m->g);
    db_free(m);
}

int db_model_adopt(db_ctx *ctx, db_model *owner, db_model *other)
{
    if (!owner || !other || other->adopted)
        return db_fail(ctx, DB_EINVAL, "model: adopt needs two models, the adopted one alone");
    db_model *tail = owner; /* a chain: each model frees the next */
    for (;; tail = tail->adopted) {
        if (tail == other)
            return db_fail(ctx, DB_EINVAL, "model: adopted twice");
        if (!tail->adopted)
            break;
    }
    tail->adopted = other;
    return 0;
}

const db_graph *db_model_graph(const db_model *m) { return &m->g; }

int db_model_from_graph(db_ctx *ctx, const db_graph *g, db_model **out)
{
    *out = NULL;
    DB_TRY(db_graph_validate(ctx, g));
    db_model *m = db_calloc(ctx, 1, sizeof *m);
    if (!m)
        return DB_ENOMEM;
    int rc = db_graph_copy(ctx, g, &m->g);
    if (rc < 0) {
        db_free(m);
        return rc;
    }
    m->version = db_model_version_for(&m->g);
    *out = m;
    return 0;
}

unsigned db_model_version_for(const db_graph *g)
{
    for (int i = 0; i < g->nnodes; i++)
        if (g->nodes[i].op == DB_OP_UPSAMPLE2 && g->nodes[i].attr != DB_UPSAMPLE_NEAREST)
            return 2;
    return 1;
}

/* ---------------------------------------------------------------- info */

void db_model_get_info(const db_model *m, db_model_info *out)
{
    memset(out, 0, sizeof *out);
    const db_graph *g = &m->g;
    memcpy(out->name, g->name, sizeof out->name);
    out->name[sizeof out->name - 1] = 0;
    out->version = m->version;
    out->nlayers = g->nnodes;
    out->in_channels = g->nodes[0].cout;
    db_graph_stats st;
    db_graph_stats_compute(g, &st);
    out->nbconv = st.nbconv;
    out->nconv_real = st.nconv_real;
    out->binary_weights = st.binary_weights;
    out->real_params = st.real_params;
    out->binary_macs_per_mp = st.binary_macs_per_px * 1e6;
    out->real_macs_per_mp = st.real_macs_per_px * 1e6;
    out->file_bytes = m->file_bytes;
    int align;
    db_graph_halo(g, &out->halo, &align);
}

const char *db_model_layer_describe(const db_model *m, int i, char *buf, size_t size)
{
    const db_graph *g = &m->g;
    if (i < 0 || i >= g->nnodes) {
        snprintf(buf, size, "%3d (no such layer)", i);
        return buf;
    }
    const db_gnode *n = &g->nodes[i];
    char ins[32] = "-";
    if (n->in[1] >= 0)
        snprintf(ins, sizeof ins, "%d,%d", n->in[0], n->in[1]);
    else if (n->in[0] >= 0)
        snprintf(ins, sizeof ins, "%d", n->in[0]);
    int len = snprintf(buf, size, "%3d %-17s in %-7s %4d -> %d", i, db_op_name(n->op), ins, n->cin,
                       n->cout);
    if (len > 0 && (size_t)len < size && n->k)
        snprintf(buf + len, size - (size_t)len, ", k%d s%d", n->k, n->stride);
    return buf;
}
