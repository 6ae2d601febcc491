/* metrics_internal.h - shared inside metrics/: the text mask every measure
 * reads, connected components, thinning and distance transforms (skeleton.c),
 * and the per-family kernels (fmeasure.c, pfmeasure.c, psnr.c, drd.c, nrm.c,
 * mpm.c) that eval.c combines. Kernels take validated masks and cannot fail.
 */
#ifndef DB_METRICS_INTERNAL_H
#define DB_METRICS_INTERNAL_H

#include "db_internal.h"

#include <stdint.h>

/* A text mask: w*h bytes, row-major, 1 = text, 0 = background. */
typedef struct db_mask {
    int w, h;
    uint8_t *m;
} db_mask;

/* Text mask of an image (GRAY8/RGB8: value 0 is text; BIT1: bit 1 is text).
 * Allocates mask->m (free with db_free). For a ground truth, two_level asks
 * that GRAY8/RGB8 input holds at most two distinct gray values, one being
 * 0 when there are two (DB_EFORMAT otherwise). */
int db_mask_from_image(db_ctx *ctx, const db_image *img, bool two_level, const char *who,
                       db_mask *mask);
/* The same into buf (width * height bytes, the caller's): mask->m = buf. */
int db_mask_fill(db_ctx *ctx, const db_image *img, bool two_level, const char *who, uint8_t *buf,
                 db_mask *mask);

/* ---- confusion counts (fmeasure.c) ---- */
typedef struct db_counts {
    uint64_t tp, fp, fn, tn;
} db_counts;
void db_counts_compute(const db_mask *gt, const db_mask *res, db_counts *out);
/* Fills recall, precision, fm and their flags from the counts. */
void db_fmeasure_from_counts(const db_counts *c, db_metrics *m);
/* 2RP/(R+P), 0 when R + P = 0. */
double db_fmeasure_combine(double r, double p);

/* ---- pseudo measures (pfmeasure.c) ---- */
/* db_weights_generate with the reference ring scans (cell by cell) and
 * db_thin_ref: the specification the fast path is tested against; slow. */
int db_weights_generate_ref(db_ctx *ctx, const db_image *gt, db_weights *out);
/* Frees db_weights.work (NULL: nothing). */
void db_weights_work_free(struct db_weights_work *work);

struct db_thin_work;
/* The scratch of one scoring (eval.c), w*h elements each, kept in a
 * db_weights' work from pair to pair: the two text masks (gt still holds
 * the mask of the ground truth that db_weights_generate last read into
 * keep), a byte plane and a 16-bit plane (borrowed from the generator's
 * planes when it has run at this size: they are free once the maps are
 * written), thinning buffers. */
typedef struct db_score_bufs {
    uint8_t *gt, *res;
    uint8_t *plane8;
    uint16_t *plane16;
    struct db_thin_work *thin;
} db_score_bufs;
/* Makes keep->work hold the scoring scratch for w x h (created, or grown,
 * as needed; keep's maps are not touched). */
int db_weights_score_bufs(db_ctx *ctx, db_weights *keep, int w, int h, db_score_bufs *out);

/* The four sums of the pseudo measures (pfmeasure.c's definitions), in
 * raster order: recall weights over TP and over TP + FN, 1 + precision
 * weights over TP and over TP + FP. */
typedef struct db_pf_sums {
    double r_tp, r_all, p_tp, p_all;
} db_pf_sums;
/* The generator without the maps: reads gt into the ground-truth mask of
 * work (as db_weights_generate does) and result into its result mask
 * (db_score_bufs.res), and sums the weights of the maps it would make into
 * out, in the order db_pfmeasure_compute sums them (so the same doubles);
 * work's maps are neither made nor touched. */
int db_weights_pf_sums(db_ctx *ctx, const db_image *gt, const db_image *result, db_weights *work,
                       db_pf_sums *out);
void db_pfmeasure_compute(const db_mask *gt, const db_mask *res, const db_weights *w,
                          db_metrics *m);
/* The pseudo measures from their sums. */
void db_pfmeasure_from_sums(const db_pf_sums *s, db_metrics *m);
/* H-DIBCO 2010 skeleton pseudo-FM; needs m->precision already set. sk: a
 * w*h scratch plane, thin: thinning buffers (may be NULL). */
int db_pfmeasure_skel_compute(db_ctx *ctx, const db_mask *gt, const db_mask *res, uint8_t *sk,
                              struct db_thin_work *thin, db_metrics *m);

/* ---- the others ---- */
void db_psnr_from_counts(const db_counts *c, db_metrics *m);
void db_nrm_from_counts(const db_counts *c, db_metrics *m);
/* NUBN: complete 8x8 GT blocks (grid anchored top-left) holding both classes. */
uint64_t db_drd_nubn(const db_mask *gt);
/* Sum of DRD_k over mismatched pixels (window on the GT, out-of-image cells 0). */
double db_drd_sum(const db_mask *gt, const db_mask *res);
void db_drd_compute(const db_mask *gt, const db_mask *res, db_metrics *m);
/* contour: w*h bytes, vd: w*h 16-bit scratch planes. */
int db_mpm_compute(db_ctx *ctx, const db_mask *gt, const db_mask *res, uint8_t *contour,
                   uint16_t *vd, db_metrics *m);

/* ---- components, thinning, distances (skeleton.c) ---- */

/* Makes room for element n of the growable array *buf (cap elements of
 * elem bytes; doubles it, first elements when empty; contents kept). */
int db_room_for_one(db_ctx *ctx, void *buf, size_t *cap, size_t n, size_t elem, size_t first);

/* Bit k of the result is set where (p[k] & bit), k < n <= 64: one row
 * segment of a byte layer as one word of a bit plane. SSE2 (every x86-64)
 * tests 16 bytes per instruction; the loop below it is the reference. */
uint64_t db_pack_bits64(const uint8_t *p, int n, uint8_t bit);
uint64_t db_pack_bits64_ref(const uint8_t *p, int n, uint8_t bit);

/* db_malloc / db_calloc of count * size bytes for a per-pixel plane: big
 * planes are advised to use huge pages (fewer first-touch page faults).
 * Free with db_free. */
void *db_plane_malloc(db_ctx *ctx, size_t count, size_t size);
void *db_plane_calloc(db_ctx *ctx, size_t count, size_t size);

/* One 8-connected component: inclusive bounding box, raster-first pixel
 * (seed), pixel count, and the stroke width the weight generator assigns. */
typedef struct db_cc {
    int x0, y0, x1, y1;
    int seedx, seedy;
    int64_t count;
    int stroke;
} db_cc;

/* A run of the labelled class: columns x0..x1 of row y, and its component
 * (label). */
typedef struct db_ccrun {
    int32_t y, x0, x1;
    uint32_t lab;
} db_ccrun;

/* A labelling: label i in 1..n (0 = not part of the labelled class; only
 * when asked for; read with db_cc_label_at: 16-bit labels while n fits,
 * half the plane);
 * components are numbered in raster order of their first pixel (as the
 * reference two-pass union-find labelling does). runs lists the labelled
 * pixels as row runs in raster order, with their label; order lists the
 * runs component by component, each in raster order: runs[order[start[k]]]
 * .. runs[order[start[k+1]-1]] are component k+1's (its pixels in raster
 * order). A few bytes per run instead of four per pixel. */
typedef struct db_ccset {
    int n;
    db_cc *cc;        /* cc[k] is label k + 1 */
    void *labels;     /* w*h labels of label_bytes each (2 or 4) */
    int label_bytes;
    db_ccrun *runs;   /* nruns */
    size_t nruns;
    uint32_t *order;  /* nruns */
    uint32_t *start;  /* n + 1 */
    /* scratch (union-find parents and final numbers per run), and every
     * buffer's capacity (elements), kept for reuse */
    uint32_t *parent, *aux;
    size_t cap_labels, cap_order, cap_start, cap_cc, cap_parent, cap_aux, cap_runs;
} db_ccset;

/* Labels the pixels where (m[i] == value) with 8-connectivity (runs of
 * each row joined to the touching runs of the row above). with_labels:
 * also fill the labels plane (else out->labels is left as it was). out
 * must be zero-initialised before its first use; later calls reuse its
 * buffers when large enough. Free with db_ccset_free (also after a failure). */
int db_cc_label(db_ctx *ctx, const uint8_t *m, uint8_t value, int w, int h, bool with_labels,
                db_ccset *out);
/* The label of pixel i (labels made). */
static inline uint32_t db_cc_label_at(const db_ccset *s, size_t i)
{
    return s->label_bytes == 2 ? ((const uint16_t *)s->labels)[i] : ((const uint32_t *)s->labels)[i];
}
void db_ccset_free(db_ccset *s);

/* Makes *buf (any T **) hold at least need elements of elem bytes: kept
 * when *cap suffices, else freed and allocated anew (contents lost; *cap 0
 * and DB_ENOMEM on failure). plane: a per-pixel plane (huge-page advice). */
int db_buf_grow(db_ctx *ctx, void *buf, size_t *cap, size_t need, size_t elem, bool plane);

/* Buffers of the thinnings, kept between calls (work may also be NULL: then
 * temporary ones are used). Zero-initialise; free with db_thin_work_free. */
typedef struct db_thin_work {
    uint64_t *words[3]; /* 8x8-tile plane, its copy, deletion masks */
    uint32_t *dead;     /* the tiles of one sub-iteration's deletions */
    uint8_t *pend;      /* per-tile "test me" bits, one bitmap per rule */
    void *wide[2];      /* AVX2 path: 16x16-tile plane, deletion masks (32 bytes a tile) */
    size_t cap_words[3], cap_dead, cap_pend, cap_wide[2];
} db_thin_work;
void db_thin_work_free(db_thin_work *work);
/* Flags tile ti for both thinning rules: bit ti of the first nb words of
 * pend and of the next nb. */
static inline void db_thin_flag(uint64_t *pend, size_t nb, size_t ti)
{
    pend[ti >> 6] |= 1ull << (ti & 63);
    pend[nb + (ti >> 6)] |= 1ull << (ti & 63);
}
/* Makes work's wide buffers hold ntiles 16x16 tiles each. */
int db_thin_work_wide(db_ctx *ctx, db_thin_work *work, size_t ntiles);
/* The parallel sub-iterations of the thinnings on 16x16 tiles (AVX2,
 * thin_avx2.c): Zhang-Suen of db_thin_lee_chen (zs) or Lam-Lee-Suen of
 * db_thin_matlab, from and back into the 8x8-tile plane t8 (TW8 tiles a row
 * including its zero ring; work's dead list and flags sized for it); when
 * as db_thin_lee_chen's, already cleared. */
int db_thin_wide_avx2(db_ctx *ctx, bool zs, uint64_t *t8, size_t TW8, int w, int h,
                      uint16_t *when, db_thin_work *work);

/* Thins the `bit` layer of m in place to the skeleton BinEvalWeights uses:
 * Zhang-Suen (1984) sub-iterations to a fixed point, then the Lee-Chen (1992)
 * Table 1 simple-point table in sequential raster passes to a fixed point,
 * both on 8x8 tiles packed in 64-bit words (Zhang-Suen 64 decisions at a
 * time). Out-of-image neighbours are background. when (may be NULL; w*h) receives
 * for each pixel Zhang-Suen deleted the number of the sub-iteration (1, 2,
 * ...; saturating) that deleted it, 0 for the others. */
int db_thin_lee_chen(db_ctx *ctx, uint8_t *m, uint8_t bit, int w, int h, uint16_t *when,
                     db_thin_work *work);
/* MATLAB bwmorph(BW, 'thin', Inf) (Lam, Lee, Suen 1992): m is 0/1, in place;
 * the same tile machinery, 64 decisions at a time. */
int db_thin_matlab(db_ctx *ctx, uint8_t *m, int w, int h, db_thin_work *work);
/* The specification both thinnings are tested against: every sub-iteration
 * decides on the whole image, then deletes (slow). lee_chen: Zhang-Suen then
 * Table 1 as db_thin_lee_chen (when as there, may be NULL); else the Lam-Lee-
 * Suen rules of db_thin_matlab (when must be NULL). */
int db_thin_ref(db_ctx *ctx, uint8_t *m, uint8_t bit, int w, int h, bool lee_chen, uint16_t *when);
/* Exact chessboard distance to the nearest pixel with (m[i] & bit); 0xFFFF
 * where there is none. Two raster passes. */
void db_chebyshev_dt(const uint8_t *m, uint8_t bit, int w, int h, uint16_t *dist);
/* The same distances in bytes, saturating at 0xFF (also where there is no
 * feature): about twice as fast. True when every distance is exact (below
 * 0xFF), i.e. equal to db_chebyshev_dt's. */
bool db_chebyshev_dt8(const uint8_t *m, uint8_t bit, int w, int h, uint8_t *dist);
/* Exact squared Euclidean distance to the nearest pixel with m[i] != 0
 * (Felzenszwalb-Huttenlocher), in two stages so a caller can stream rows:
 * db_column_dist gives each pixel's distance to the nearest nonzero pixel
 * of its column in vd (w*h; 0xFFFF: none; false when m has no nonzero
 * pixel), then db_euclid_dt2_row turns one row of vd into that row's
 * squared distances (integers, exact; DB_EDT_NONE when m has none).
 * scratch: w + 1 int64, iscratch: w + 1 ints. db_euclid_dt2 runs both over
 * the image (dist2: w*h; scratch as for the widest row). */
#define DB_EDT_NONE UINT64_MAX
bool db_column_dist(const uint8_t *m, int w, int h, uint16_t *vd);
void db_euclid_dt2_row(const uint16_t *vd, int w, uint64_t *dist2, int64_t *scratch,
                       int *iscratch);
bool db_euclid_dt2(const uint8_t *m, int w, int h, uint16_t *vd, uint64_t *dist2,
                   int64_t *scratch, int *iscratch);

#endif
