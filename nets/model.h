/* model.h - internal side of the .dbm model file (model.c): the writer the
 * trainer exports through, and access to a loaded model's graph. */
#ifndef DB_NETS_MODEL_H
#define DB_NETS_MODEL_H

#include "nets/graph.h"

#define DB_MODEL_VERSION 1u
#define DB_MODEL_FLAG_SETBIT_NEG 1u /* a set bit means -1 (graph.h) */
#define DB_MODEL_FLAG_PAD_PLUS1 2u  /* binary spatial padding is +1 */

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
/* Per-thread scratch limit of the automatic tiles (tile -1, the default;
 * 384 MiB unless changed); for tests that want several tiles on a small page. */
void db_net_set_scratch_budget(db_net *net, size_t bytes);

#endif
