/* classic.h - the classic thresholding area, internal to libdocbin.
 * methods.c holds the table of methods (the menu); each method lives in its
 * own file (otsu.c, sauvola.c, ...) and exposes its db_method_info. */
#ifndef DB_CLASSIC_H
#define DB_CLASSIC_H

#include "docbin.h"

int db_classic_method_count(void);
const db_method_info *db_classic_method_at(int index);

/* ---- otsu.c ---- */
extern const db_method_info db_otsu_method;
/* Otsu's threshold for a 256-bin histogram: the t maximising the
 * between-class variance of {v <= t} and {v > t}. Ties resolve to the
 * smallest t. Returns 0 for an empty or single-valued histogram... */
int db_otsu_threshold(const uint64_t hist[256]);

/* ---- threshold.c: the global-threshold machinery and "threshold:t=" ---- */
extern const db_method_info db_threshold_method;
/* Histogram of a GRAY8 image (single thread). */
void db_gray_histogram(const db_image *gray, uint64_t hist[256]);
/* out (BIT1) = ink where gray <= t (t < 0: no ink). Row bands on the ctx
 * pool, SIMD packing per the ctx ISA; identical for any pool size. */
int db_threshold_global(db_ctx *ctx, const db_image *gray, int t, db_image *out);
/* A global method: histogram (bands on the pool, summed exactly), t =
 * pick(hist), then db_threshold_global. */
int db_global_run(db_ctx *ctx, const db_image *gray, int (*pick)(const uint64_t hist[256]),
                  db_image *out);
/* Row packers: bits of g[0..w) <= t, padding bits zero. */
void db_threshold_row_ref(const uint8_t *g, int w, int t, uint64_t *bits);
void db_threshold_row_avx512(const uint8_t *g, int w, int t, uint64_t *bits);
void db_threshold_row_avx2(const uint8_t *g, int w, int t, uint64_t *bits);

/* ---- kittler.c, kapur.c: more global thresholds (same contract as Otsu) ---- */
extern const db_method_info db_kittler_method, db_kapur_method;
int db_kittler_threshold(const uint64_t hist[256]);
int db_kapur_threshold(const uint64_t hist[256]);

/* ---- local-window methods: one file each, statistics in winstat.c ---- */
extern const db_method_info db_niblack_method, db_sauvola_method, db_wolf_method,
    db_nick_method, db_bradley_method, db_phansalkar_method, db_bernsen_method,
    db_trsingh_method, db_wan_method, db_adotsu_method, db_bataineh_method, db_isauvola_method;

/* ---- document-specific methods (part B): gatos.c, su.c, howe.c; helpers
 * canny.h (edges) and maxflow.h (graph cut) ---- */
extern const db_method_info db_gatos_method, db_su_method, db_su2013_method, db_howe_method;

/* ---- strips.c: strip-mode descriptors (db_method_info.strips) ---- */
extern const db_strip_info db_strips_window, db_strips_bradley, db_strips_pointwise,
    db_strips_otsu, db_strips_kittler, db_strips_kapur, db_strips_wolf;

#endif
