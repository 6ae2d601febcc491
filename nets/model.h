/* model.h - internal side of the .dbm model file (model.c): the writer the
 * trainer exports through, and access to a loaded model's graph. */
#ifndef DB_NETS_MODEL_H
#define DB_NETS_MODEL_H

#include "nets/graph.h"

/* Format versions: 1 the first; 2 adds bilinear UPSAMPLE2 (attr 1). This
 * build reads both; the writer writes the lowest version that holds the
 * graph, so a file using no version-2 feature stays readable by older builds. */
#define DB_MODEL_VERSION 2u     /* the newest version read and written */
#define DB_MODEL_VERSION_MIN 1u /* the oldest version read */
#define DB_MODEL_FLAG_SETBIT_NEG 1u /* a set bit means -1 (graph.h) */
#define DB_MODEL_FLAG_PAD_PLUS1 2u  /* binary spatial padding is +1 */

/* The version the writer uses for g (the lowest that can hold it). */
unsigned db_model_version_for(const db_graph *g);
/* Serialises g (validated first) into a db_malloc'd buffer: free with db_free. */
int db_model_serialize(db_ctx *ctx, const db_graph *g, uint8_t **buf, size_t *size);
/* Writes g to path through a temporary file renamed into place. */
int db_model_save_graph(db_ctx *ctx, const db_graph *g, const char *path);
/* The loaded graph (BCONV weights are +-1.0f). Owned by the model. */
const db_graph *db_model_graph(const db_model *model);
/* Wraps a copy of g as a model (for tests and the trainer's eval). */
int db_model_from_graph(db_ctx *ctx, const db_graph *g, db_model **out);
/* CRC-32 (IEEE 802.3, reflected, as zlib's crc32) of n bytes, continuing crc. */
uint32_t db_crc32(uint32_t crc, const void *data, size_t n);
/* Tile overlap (input pixels) that makes tiled output equal untiled output,
 * and the alignment tile origins need (2^number of downsamplings). */
void db_graph_halo(const db_graph *g, int *halo, int *align);
/* The model net runs (as given to db_net_create). */
const db_model *db_net_model(const db_net *net);
/* Per-thread scratch limit of the automatic tiles (tile -1, the default;
 * 384 MiB unless changed); for tests that want several tiles on a small page. */
void db_net_set_scratch_budget(db_net *net, size_t bytes);

/* Per-op-kind CPU profile of db_net_run (for bench_kernels): thread CPU time
 * of every step, summed over workers; a BCONV group's time is split between
 * its kernel, output transform, own packing and fused head in proportion to
 * their cycle counts (rdtsc). Off by default (then nothing is measured). */
typedef enum db_net_prof {
    DB_PROF_INPUT,    /* page samples to float (+ page statistics) */
    DB_PROF_DOWN,     /* HAAR2 (the DWT front end), AVGPOOL2 */
    DB_PROF_STEM,     /* CONV_REAL before the last BCONV */
    DB_PROF_HEAD,     /* CONV_REAL after it (fused 1x1, full-size head) */
    DB_PROF_BCONV,    /* xor + popcount kernel */
    DB_PROF_BPOST,    /* BCONV output transform (BN, RPReLU, add, sign bits) */
    DB_PROF_PACK,     /* RSign packing of float maps */
    DB_PROF_ELTWISE,  /* float BN / RPReLU / ADD / UPSAMPLE2 steps */
    DB_PROF_CHANNELS, /* CONCAT, CHANNEL_DUP, CHANNEL_PAIR_MEAN, DB_HEAD */
    DB_PROF_OUTPUT,   /* logits to BIT1 */
    DB_PROF_COUNT_
} db_net_prof;
void db_net_set_profile(db_net *net, bool on);
/* Seconds per kind of the last db_net_run on worker thread `wid` (0 ..
 * db_net_workers - 1), or summed over all with -1 (zeros when profiling is
 * off). The largest per-worker total is the run's critical path. */
void db_net_profile(const db_net *net, int wid, double sec[DB_PROF_COUNT_]);
int db_net_workers(const db_net *net);
const char *db_net_prof_name(int kind);

#endif
