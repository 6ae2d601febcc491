/* maxflow.h - s-t minimum cut on a 4-connected grid graph (Boykov-Kolmogorov),
 * internal to classic/. Used by howe.c; tested against brute force in
 * tests/classic/test_maxflow.c.
 *
 * The graph has one node per pixel of a w x h grid. Each node has a terminal
 * link (capacity from the source, capacity to the sink) and up to four arcs to
 * its grid neighbours, each with its own capacity (an edge is two arcs). After
 * db_maxflow_solve, db_maxflow_in_sink tells the side of the minimum cut: a
 * node is on the sink side exactly when it can still reach the sink in the
 * residual graph (the smallest sink side over all minimum cuts; nodes that
 * could go either way are on the source side), so the answer does not depend
 * on the order in which paths were found.
 *
 * Capacities are floats, flows are exact as long as capacities are integers
 * below 2^24; otherwise the result is the cut of a maximum flow found with
 * float residuals (a residual never goes negative: a saturated arc is exactly
 * 0). Memory: 38 bytes per node. Not thread-safe: one graph per thread.
 */
#ifndef DB_MAXFLOW_H
#define DB_MAXFLOW_H

#include "docbin.h"

typedef struct db_maxflow db_maxflow;

/* Arc directions from a node. An edge joins (x,y) to its right (DB_MF_RIGHT)
 * or lower (DB_MF_DOWN) neighbour. */
enum { DB_MF_RIGHT = 0, DB_MF_DOWN = 2 };

/* A w x h grid with every capacity 0. Free with db_maxflow_free. */
int db_maxflow_create(db_ctx *ctx, int w, int h, db_maxflow **out);
void db_maxflow_free(db_maxflow *g);
/* All capacities and the flow back to 0, the same size (no allocation). */
void db_maxflow_reset(db_maxflow *g);

/* Adds terminal capacities (both >= 0) to node (x,y); before the first solve. */
void db_maxflow_add_tweights(db_maxflow *g, int x, int y, float cap_source, float cap_sink);
/* Sets the edge from (x,y) to its neighbour in direction dir (DB_MF_RIGHT or
 * DB_MF_DOWN): cap forward, rev_cap backward (>= 0); before the first solve.
 * The neighbour must be inside the grid. */
void db_maxflow_set_edge(db_maxflow *g, int x, int y, int dir, float cap, float rev_cap);
/* Raises both arcs of an edge by delta >= 0, at any time. After a solve the
 * flow found so far is kept and the next solve only augments it (Kohli-Torr
 * style reuse of the search trees): a sequence of cuts with growing edge
 * weights costs little more than the first. */
void db_maxflow_add_edge(db_maxflow *g, int x, int y, int dir, float delta);

/* db_maxflow_add_edge on every edge named in links (w*h bytes, row-major):
 * bit DB_MF_LINK_DOWN for the edge below (x,y), DB_MF_LINK_RIGHT for the edge
 * to its right (bits for edges that would leave the grid are ignored). */
enum { DB_MF_LINK_DOWN = 1, DB_MF_LINK_RIGHT = 2 };
void db_maxflow_add_edges(db_maxflow *g, const uint8_t *links, float delta);
/* Sets both arcs of an edge whose two arcs had equal capacities to cap >= 0,
 * at any time. After a solve, flow the edge can no longer carry is sent back
 * through the terminals of its two nodes (a constant added to every cut, so
 * the minimum cut is unchanged; Kohli-Torr reparametrisation) and the next
 * solve repairs the search trees around the edge and keeps the flow. */
void db_maxflow_change_edge(db_maxflow *g, int x, int y, int dir, float cap);
/* Copies the whole state of src into dst (same size, a contract): a solved
 * graph kept as the warm start of later problems. */
void db_maxflow_copy(const db_maxflow *src, db_maxflow *dst);

/* Maximum flow value (equal to the minimum cut capacity). */
double db_maxflow_solve(db_maxflow *g);
/* After a solve: true when (x,y) is on the sink side of the cut. */
bool db_maxflow_in_sink(const db_maxflow *g, int x, int y);
/* Row y of the sink side as bits (LSB first, bit x of word x/64); the bits
 * of the last word past w are 0. */
void db_maxflow_sink_bits(const db_maxflow *g, int y, uint64_t *bits);

#endif
