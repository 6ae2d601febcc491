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
/* Histogram of a GRAY8 image. */
void db_gray_histogram(const db_image *gray, uint64_t hist[256]);
/* out (BIT1) = ink where gray <= t. */
int db_threshold_global(db_ctx *ctx, const db_image *gray, int t, db_image *out);

#endif
