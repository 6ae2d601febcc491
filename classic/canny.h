/* canny.h - Canny edge detection for the document-specific methods (howe.c,
 * su.c), internal to classic/. It follows MATLAB's edge(I,'canny_old',...),
 * the variant N. Howe's reference binarization was tuned with: Gaussian
 * smoothing, derivative-of-Gaussian gradient, magnitude normalised by its
 * maximum, non-maximum suppression with linear interpolation between the two
 * neighbours across the gradient, hysteresis on 8-connected components, then
 * one pass of the Lam-Lee-Suen thinning (bwmorph 'thin', 1). Borders
 * replicate the nearest pixel; pixels on the image border are never edges.
 * Pure kernels: no ctx, no allocation, buffers from the caller.
 */
#ifndef DB_CANNY_H
#define DB_CANNY_H

#include "docbin.h"

/* Floats of scratch db_canny_gradient needs for a w x h image. */
size_t db_canny_scratch_floats(int w, int h);
/* mag (w*h, row-major) = gradient magnitude / its maximum (all 0 on a flat
 * image); maxima (w*h) = 1 where the pixel is a local maximum across the
 * gradient direction. sigma > 0 is the Gaussian's standard deviation. */
void db_canny_gradient(const db_image *gray, double sigma, float *scratch, float *mag,
                       uint8_t *maxima);
/* edges (w*h) = 1 for maxima with mag > tlo that are 8-connected (through such
 * pixels) to one with mag > thi, thinned once when thin is true. stack: w*h
 * entries of scratch. */
void db_canny_edges(int w, int h, const float *mag, const uint8_t *maxima, double tlo,
                    double thi, bool thin, int32_t *stack, uint8_t *edges);
/* MATLAB's automatic thresholds: thi = the smallest multiple of 1/64 above
 * which at most 30% of the magnitudes lie (64-bin histogram), tlo = 0.4 thi. */
void db_canny_auto_thresholds(int w, int h, const float *mag, double *tlo, double *thi);

#endif
