/* channel.h - per-channel generators, stage 2 of Ju et al. 2022 ("Three-stage
 * binarization of color document images based on DWT and GANs", arXiv
 * 2211.16098): one network per channel of the page (R, G, B and BT.601
 * gray), each seeing only its channel. Internal, not installed.
 *
 * Such a network keeps the RGB input of the shared generator; its channel is
 * copied into R, G and B (db_channel_rows), so the architecture, the model
 * format and the engine are the same and only the page fed to it differs.
 * The trainer (`docbin train --channel C`) feeds pages made that way and
 * names the model "... channel=C"; db_graph_input_channel reads C back. The
 * `gan` method fuses a set of them (src/pipeline/channel_fusion.c). */
#ifndef DB_NETS_CHANNEL_H
#define DB_NETS_CHANNEL_H

#include "nets/graph.h"

/* (db_input_channel, db_channel_parse, db_channel_name: docbin.h) */
/* The channel of a per-channel network (graph name contains "channel=C"),
 * else DB_CHANNEL_ALL. */
int db_graph_input_channel(const db_graph *g);
/* The graph name the trainer writes: base, " global=N" when global > 0,
 * " channel=C" when channel is one of R..GRAY. */
void db_graph_model_name(const char *base, int global, int channel, char *name, size_t size);
/* n interleaved RGB pixels (or gray ones when gray_in) to RGB pixels holding
 * `channel` in all three samples (DB_CHANNEL_ALL: a plain copy / gray to RGB).
 * dst may equal src only when !gray_in. */
void db_channel_rows(const uint8_t *src, bool gray_in, size_t n, int channel, uint8_t *dst);

#endif
