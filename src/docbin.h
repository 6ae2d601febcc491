/* docbin.h - the one public header of libdocbin.
 *
 * docbin binarizes document images: a page goes in (PNG, JPEG, TIFF, PNM), a
 * 1-bit page comes out, by a classic thresholding method or a 1-bit network.
 *
 * Conventions (the whole API follows them):
 *  - A function that can fail returns int: 0 on success or a negative DB_E*
 *    code. The message ("who: what (value)") is kept in the db_ctx passed as
 *    first argument; the first error wins until db_ctx_clear_error().
 *  - Whoever creates an object frees it (create/free, open/close pairs);
 *    *_free(NULL) does nothing. Outputs are caller-owned and reused: passing
 *    the same db_image again reallocates only when it must grow.
 *  - The library never prints, exits or starts threads of its own: work runs
 *    on the db_pool given to db_ctx_create (or on the caller's thread).
 *  - A db_ctx is used by one thread at a time; a loaded model is immutable
 *    and may be shared by many contexts.
 */
#ifndef DOCBIN_H
#define DOCBIN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DOCBIN_VERSION_MAJOR 0
#define DOCBIN_VERSION_MINOR 1
#define DOCBIN_VERSION_PATCH 0
const char *db_version(void);

/* ------------------------------------------------------------------ errors */

enum db_code {
    DB_OK = 0,
    DB_ENOMEM = -1,       /* out of memory */
    DB_EINVAL = -2,       /* invalid argument or parameter */
    DB_EIO = -3,          /* read/write/rename failed */
    DB_EFORMAT = -4,      /* not a file of a known format, or malformed */
    DB_EUNSUPPORTED = -5, /* valid file, variant we do not handle */
    DB_ETOOBIG = -6,      /* dimensions over the pixel limit or overflow */
    DB_ECORRUPT = -7,     /* truncated or corrupt data */
    DB_ECANCELED = -8,    /* the cancel flag was raised */
    DB_EEXIST = -9,       /* output exists and overwriting was not asked */
};
/* Short description of a code ("out of memory"); never NULL. */
const char *db_strerror(int code);

/* -------------------------------------------------------- pool and context */

typedef struct db_pool db_pool;
typedef struct db_ctx db_ctx;

/* A fixed set of worker threads. nthreads <= 0 means one per online CPU.
 * Free with db_pool_free. */
int db_pool_create(int nthreads, db_pool **out);
void db_pool_free(db_pool *pool);
/* Number of threads that run jobs (1 for a NULL pool). */
int db_pool_size(const db_pool *pool);
/* Runs fn(arg, job, worker) for job = 0..njobs-1 and waits for all of them.
 * worker is in 0..db_pool_size()-1 and identifies per-thread scratch. With a
 * NULL pool the jobs run in order on the calling thread. Not reentrant: a job
 * must not call db_pool_run on the same pool. */
typedef void (*db_job_fn)(void *arg, int job, int worker);
void db_pool_run(db_pool *pool, int njobs, db_job_fn fn, void *arg);

/* Instruction-set choice for the SIMD kernels. AUTO picks the best the CPU
 * and OS support; the others force a path (refused if unsupported). */
typedef enum db_isa { DB_ISA_AUTO = 0, DB_ISA_REF, DB_ISA_AVX2, DB_ISA_AVX512 } db_isa;
db_isa db_cpu_best_isa(void);
bool db_cpu_supports(db_isa isa);
const char *db_isa_name(db_isa isa);
/* Parses "auto", "ref", "avx2", "avx512"; returns DB_EINVAL otherwise. */
int db_isa_parse(const char *name, db_isa *out);

/* pool may be NULL (single-threaded); the ctx does not own it. */
int db_ctx_create(db_pool *pool, db_ctx **out);
void db_ctx_free(db_ctx *ctx);
db_pool *db_ctx_pool(const db_ctx *ctx);
/* The recorded error: code (0 if none) and message ("" if none). */
int db_ctx_code(const db_ctx *ctx);
const char *db_ctx_message(const db_ctx *ctx);
void db_ctx_clear_error(db_ctx *ctx);
/* Prefixes the recorded message with "prefix: " unless it already starts so
 * (callers add the file name, the page, ...). */
void db_ctx_prefix_message(db_ctx *ctx, const char *prefix);
/* Records an error (unless one is already recorded: the first wins) and
 * returns code, so callers write `return db_fail(ctx, DB_EINVAL, ...)`. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
int db_fail(db_ctx *ctx, int code, const char *fmt, ...);
/* Largest width*height any decoder or allocation accepts (default 1<<30,
 * one gigapixel); checked before allocating, against decompression bombs. */
void db_ctx_set_pixel_limit(db_ctx *ctx, uint64_t max_pixels);
uint64_t db_ctx_pixel_limit(const db_ctx *ctx);
/* Long operations poll *flag between bands and return DB_ECANCELED when it
 * is nonzero (e.g. set by a SIGINT handler). NULL disables. */
void db_ctx_set_cancel_flag(db_ctx *ctx, const atomic_int *flag);
/* Keeps a network method's runnable state (the engine's plan and per-thread
 * scratch, about 100 MiB for the shipped U-Net) in ctx between db_method_run
 * calls with the same model, so a batch touches fresh memory once instead
 * of once per page. Off by default. The kept state is found by the model's
 * address: while on, call db_ctx_keep_networks(ctx, false) (which frees it)
 * before running a model that replaces a freed one on ctx. db_ctx_free
 * frees it too; neither touches the model. */
void db_ctx_keep_networks(db_ctx *ctx, bool on);
/* Optional sink for warnings (codec warnings etc.); NULL drops them. */
typedef void (*db_log_fn)(void *user, const char *message);
void db_ctx_set_log(db_ctx *ctx, db_log_fn fn, void *user);
/* Forces an instruction set (default DB_ISA_AUTO). DB_EINVAL if unsupported. */
int db_ctx_set_isa(db_ctx *ctx, db_isa isa);
db_isa db_ctx_isa(const db_ctx *ctx);

/* ------------------------------------------------------------------ images */

typedef enum db_format {
    DB_GRAY8 = 1, /* 1 byte per pixel, 0 = black */
    DB_RGB8 = 2,  /* 3 bytes per pixel, interleaved R,G,B */
    DB_F32 = 3,   /* 1 float per pixel */
    DB_BIT1 = 4,  /* 1 bit per pixel: bit 1 = ink (black), LSB-first in
                     64-bit little-endian words; padding bits are 0 */
} db_format;

/* A plain image. Rows are top to bottom; stride is in bytes, a multiple of
 * 64, and data is 64-byte aligned. xdpi/ydpi are the resolution (0 = not
 * known: never invented). capacity is the allocated size in bytes. */
typedef struct db_image {
    int width, height;
    db_format format;
    size_t stride;
    uint8_t *data;
    size_t capacity;
    double xdpi, ydpi;
} db_image;

/* Zero-initialise a db_image before first use: db_image img = {0}; */
/* Shapes img as w x h in fmt, reusing its buffer when large enough. The pixels
 * are NOT cleared (use db_image_clear). DPI is left as it was. */
int db_image_ensure(db_ctx *ctx, db_image *img, int w, int h, db_format fmt);
/* Sets every byte of the pixel buffer (rows and padding) to 0. */
void db_image_clear(db_image *img);
/* Frees the pixels and zeroes the struct. */
void db_image_free(db_image *img);
/* Deep copy including DPI. */
int db_image_copy(db_ctx *ctx, const db_image *src, db_image *dst);
/* GRAY8 from GRAY8 (copy) or RGB8 (luma, ITU-R BT.601: (299R+587G+114B)/1000
 * rounded). BIT1 input gives 0 for ink, 255 for paper. DPI carried. */
int db_image_to_gray(db_ctx *ctx, const db_image *src, db_image *dst);
/* Bytes per row that hold pixels (without padding) for a format. */
size_t db_format_row_bytes(db_format fmt, int width);

static inline uint8_t *db_image_row(const db_image *img, int y)
{
    return img->data + (size_t)y * img->stride;
}
static inline int db_bit_get(const db_image *img, int x, int y)
{
    const uint64_t *row = (const uint64_t *)(const void *)db_image_row(img, y);
    return (int)((row[x >> 6] >> (x & 63)) & 1u);
}
static inline void db_bit_set(db_image *img, int x, int y, int ink)
{
    uint64_t *row = (uint64_t *)(void *)db_image_row(img, y);
    uint64_t m = (uint64_t)1 << (x & 63);
    row[x >> 6] = ink ? (row[x >> 6] | m) : (row[x >> 6] & ~m);
}

/* -------------------------------------------------------------- image files */

typedef enum db_file_format {
    DB_FILE_AUTO = 0, /* readers: by magic bytes; writers: by extension */
    DB_FILE_PNG,
    DB_FILE_JPEG,
    DB_FILE_TIFF,
    DB_FILE_PNM,
} db_file_format;
/* From a file name's extension (.png .tif .tiff .jpg .jpeg .pbm .pgm .ppm
 * .pnm), case-insensitive; DB_FILE_AUTO when unknown. */
db_file_format db_file_format_from_name(const char *path);
const char *db_file_format_name(db_file_format fmt);

/* A reader over one file's pages. path "-" reads standard input (buffered
 * in memory). The format comes from the magic bytes, never the name. */
typedef struct db_reader db_reader;
int db_reader_open(db_ctx *ctx, const char *path, db_reader **out);
/* Reads from a caller buffer, which must outlive the reader. name is used
 * in messages only. */
int db_reader_open_memory(db_ctx *ctx, const void *data, size_t size, const char *name,
                          db_reader **out);
void db_reader_close(db_reader *reader);
int db_reader_page_count(const db_reader *reader);
db_file_format db_reader_format(const db_reader *reader);
/* Decodes page (0-based) into out as DB_GRAY8 (gray, bilevel, gray+alpha, a
 * palette of grays) or DB_RGB8 (colour): 16-bit samples rounded to 8
 * ((v*255+32767)/65535), palettes expanded, alpha composited on white, CMYK
 * converted (naively, no colour profile), JPEG EXIF and TIFF orientation
 * applied (width/height and x/y DPI swap for 5-8), 1-bit and min-is-white
 * made 0 = black. out->xdpi/ydpi are the file's
 * resolution in dots per inch (PNG pHYs, TIFF X/YResolution in inch or cm,
 * JFIF density; 0 if absent or unit-less). out's buffer is reused when large
 * enough. The pixel limit is checked on the header before any allocation.
 * Errors name the file, and the page for multi-page files ("in.tif: page 2:
 * ..."): DB_EFORMAT (not an image / malformed header), DB_ECORRUPT (truncated
 * or damaged data: never a partly invented page), DB_EUNSUPPORTED (e.g.
 * float TIFF, 12-bit JPEG), DB_ETOOBIG, DB_ENOMEM, DB_EIO (file unreadable).
 * Supported: PNG (all types and depths, tRNS, interlaced); JPEG (baseline,
 * progressive, arithmetic if libjpeg has it; gray, YCbCr/RGB, CMYK/YCCK);
 * TIFF (strips/tiles, 1/2/4/8/16-bit, min-is-black/white, RGB, palette,
 * CMYK, YCbCr-JPEG, contiguous/separate planes, extra alpha, any codec
 * libtiff has: none, LZW, Deflate, PackBits, JPEG, CCITT G3/G4, ...);
 * PNM P1-P6 with maxval up to 65535. */
int db_reader_read(db_ctx *ctx, db_reader *reader, int page, db_image *out);
/* Convenience: first page of a file. */
int db_image_load(db_ctx *ctx, const char *path, db_image *out);

/* A writer: pages go to a temporary file in the target folder, renamed into
 * place by db_writer_commit. db_writer_free without commit removes the
 * temporary, so no partial output is ever left. path "-" writes to standard
 * output at commit. */
typedef struct db_writer db_writer;
enum db_write_flags {
    DB_WRITE_OVERWRITE = 1u << 0, /* replace an existing file (default: DB_EEXIST) */
};
/* TIFF compression; AUTO = CCITT G4 for 1-bit, Deflate otherwise. */
typedef enum db_tiff_compression {
    DB_TIFF_AUTO = 0, DB_TIFF_G4, DB_TIFF_LZW, DB_TIFF_DEFLATE, DB_TIFF_PACKBITS, DB_TIFF_NONE
} db_tiff_compression;
typedef struct db_write_options {
    db_file_format format;           /* DB_FILE_AUTO: from the extension */
    unsigned flags;                  /* db_write_flags */
    db_tiff_compression compression; /* TIFF only */
    int jpeg_quality;                /* JPEG (gray/colour only); 0 = 90 */
} db_write_options;
int db_writer_open(db_ctx *ctx, const char *path, const db_write_options *opts,
                   db_writer **out);
/* Opening refuses an existing path with DB_EEXIST unless DB_WRITE_OVERWRITE
 * (checked again, atomically, at commit); the format comes from opts->format
 * or the extension (DB_EINVAL when unknown; required for "-").
 * Appends one page. BIT1 gives a 1-bit file (PNG bit depth 1 with ink = 0;
 * TIFF CCITT G4 in one strip, min-is-white, ink = 1; PBM P4), GRAY8 8-bit
 * gray (TIFF: Deflate with predictor unless opts->compression says
 * otherwise; G4 for a non-BIT1 page is DB_EINVAL), RGB8 colour. JPEG writes
 * a BIT1 page as gray 0/255. DPI from the image (written only when both are
 * > 0). Only TIFF holds more than one page (others: DB_EINVAL). After a
 * failed add the writer only accepts db_writer_free. */
int db_writer_add(db_ctx *ctx, db_writer *writer, const db_image *page);
int db_writer_commit(db_ctx *ctx, db_writer *writer);
void db_writer_free(db_writer *writer);
/* Convenience: one page, open + add + commit. */
int db_image_save(db_ctx *ctx, const char *path, const db_write_options *opts,
                  const db_image *img);
/* 1 when a and b name the same existing file (same device and inode, so
 * links and different spellings match), else 0; "-" never matches. The CLI
 * uses it to refuse writing over its input. */
int db_path_same_file(const char *a, const char *b);

/* ------------------------------------------------------------------ methods */

/* A binarization method is a descriptor plus numeric parameters, written on
 * the command line as "name" or "name:key=value,key=value". */
#define DB_METHOD_MAX_PARAMS 16
typedef struct db_method_param {
    const char *name;
    double def, min, max;
    bool integer;     /* value must be a whole number */
    const char *help; /* one line, with the unit */
} db_method_param;

typedef struct db_method_info db_method_info;
typedef struct db_model db_model; /* a loaded network (section "networks") */
/* Runs the method on a GRAY8 page (or RGB8 when info->wants_color), filling
 * out as DB_BIT1 of the same size. params has info->nparams values. */
typedef int (*db_method_run_fn)(db_ctx *ctx, const db_image *in, const double *params,
                                db_image *out);
struct db_method_info {
    const char *name;      /* "sauvola" */
    const char *summary;   /* one line */
    const char *reference; /* paper the defaults come from */
    int nparams;
    const db_method_param *params;
    db_method_run_fn run;
    bool wants_color; /* run receives RGB8 when the input is colour */
    /* Network methods (section "network methods"): run is NULL, run_net gets
     * the model; model_name names its file, "<model_name>.dbm". */
    const char *model_name;
    int (*run_net)(db_ctx *ctx, const db_model *model, const db_image *in,
                   const double *params, db_image *out);
    /* How the method runs on row bands of a page too large to hold (section
     * "strips"); NULL: it needs the whole page. */
    const struct db_strip_info *strips;
};

typedef struct db_method {
    const db_method_info *info;
    double values[DB_METHOD_MAX_PARAMS];
    const db_model *model; /* network methods: borrowed (db_method_set_model) */
    const db_model *global_model; /* `gan`: the stage-3 global network, borrowed
                                     (db_method_set_global_model); NULL = none */
    const db_model *channel_models[4]; /* `gan`: per-channel generators by
                                          db_input_channel (r, g, b, gray), borrowed
                                          (db_method_set_channel_model); fused instead
                                          of `model` when any is set and channels=1 */
} db_method;

int db_method_count(void);
const db_method_info *db_method_at(int index);
const db_method_info *db_method_find(const char *name);
/* Parses "name[:key=value,...]"; unknown names or keys, malformed or out of
 * range values are DB_EINVAL with a message naming them. */
int db_method_parse(db_ctx *ctx, const char *spec, db_method *out);
/* Binarizes in (GRAY8 or RGB8) into out (DB_BIT1, same size, DPI carried). */
int db_method_run(db_ctx *ctx, const db_method *method, const db_image *in, db_image *out);

/* ------------------------------------------------------------------ metrics */

/* DIBCO evaluation of a binarization against its ground truth, reproducing the
 * official DIBCO_metrics tool. Text (ink) is the positive class. A GRAY8 pixel
 * is text only where its value is exactly 0 (the official tool's rule), an
 * RGB8 pixel where its BT.601 gray (db_image_to_gray) is 0, a BIT1 pixel where
 * its bit is 1. Ground truth and result must have the same size. */

/* The pseudo-F-measure weight maps of Ntirogiannis et al. (IEEE TIP 2013),
 * width*height floats each, row-major: recall[i] (GW, non-zero on GT text
 * only) and precision[i] (the stored PW - 1, non-zero on GT background near
 * text), exactly as in the official <gt>_RWeights.dat / <gt>_PWeights.dat.
 * Zero-initialise; free with db_weights_free. */
typedef struct db_weights {
    int width, height;
    float *recall;
    float *precision;
    struct db_weights_work *work; /* generator buffers kept for the next call (internal) */
} db_weights;

/* Generates both maps from a ground truth the way the official BinEvalWeights
 * tool does: equal to all 20 official files we have to 1e-6 per pixel (values
 * rounded to the 6 decimals the tool prints), and pFM equal to the official
 * scores on all 96 reference rows; a blob that thinning erases completely is
 * re-seeded at its centroid rounded up, as the tool does. Reuses out's
 * buffers when large enough, and keeps its working buffers in out->work
 * for the next call (so generating for page after page into the same out
 * touches no fresh memory). Single-threaded; about 0.55 CPU-second for a
 * 3000x4000 page (reused out; fresh buffers add their page faults). Sides
 * up to 65535 (DB_ETOOBIG beyond). */
int db_weights_generate(db_ctx *ctx, const db_image *gt, db_weights *out);
/* Reads official weight files (ASCII, one "%f" value per pixel, row-major;
 * gzip-compressed files are read transparently). Each file must hold exactly
 * width*height values: DB_EFORMAT otherwise, DB_EIO when unreadable. */
int db_weights_load(db_ctx *ctx, const char *recall_path, const char *precision_path,
                    int width, int height, db_weights *out);
void db_weights_free(db_weights *weights);

/* Which db_metrics values came from their formula. A value whose formula
 * divides by zero (degenerate input) is not flagged and holds the documented
 * fallback instead; nothing is ever NaN or infinite. */
enum db_metric_flag {
    DB_METRIC_RECALL = 1u << 0,     /* GT has text; else recall = 100 */
    DB_METRIC_PRECISION = 1u << 1,  /* result has text; else precision = 100 */
    DB_METRIC_FM = 1u << 2,         /* both of the above; else FM from the fallbacks */
    DB_METRIC_PRECALL = 1u << 3,    /* sum of recall weights > 0; else 100 */
    DB_METRIC_PPRECISION = 1u << 4, /* result has text; else 100 */
    DB_METRIC_PFM = 1u << 5,        /* both of the above */
    DB_METRIC_PSNR = 1u << 6,       /* images differ; else DB_METRICS_PSNR_MAX */
    DB_METRIC_DRD = 1u << 7,        /* NUBN > 0; else the DRD sum over 1 block */
    DB_METRIC_NRM = 1u << 8,        /* GT has text and background; else missing terms 0 */
    DB_METRIC_MPM = 1u << 9,        /* GT has a contour; else 0 */
    DB_METRIC_PFM_SKEL = 1u << 10,  /* GT skeleton non-empty and result has text */
};
#define DB_METRICS_PSNR_MAX 100.0 /* PSNR of identical images (dB) */

/* Every measure for one pair. Percentages are 0..100. Ratios with an empty
 * denominator follow one rule: nothing to find counts as all found (100),
 * nothing claimed counts as all right (100); an F-measure whose recall +
 * precision is 0 is 0. So identical images always score FM = pFM = 100,
 * DRD = NRM = MPM = 0, PSNR = DB_METRICS_PSNR_MAX. */
typedef struct db_metrics {
    double fm;          /* F-measure, 2RP/(R+P) */
    double pfm;         /* pseudo-F-measure (DIBCO 2013+), weighted */
    double psnr;        /* 10 log10(N / mismatches), dB (C = 1) */
    double drd;         /* Distance-Reciprocal Distortion (Lu et al. 2004) */
    double recall, precision;
    double precall, pprecision; /* pseudo-recall, pseudo-precision (weighted) */
    double nrm;         /* negative rate metric, 0..1 (papers print x100) */
    double mpm;         /* misclassification penalty metric (papers print x1000) */
    double avg_score;   /* (fm + pfm + psnr + (100 - drd)) / 4 */
    double pfm_skel;    /* older pseudo-FM (H-DIBCO 2010/2012): skeleton recall */
    double precall_skel; /* its pseudo-recall: GT skeleton pixels found, % */
    uint64_t tp, fp, fn, tn; /* pixel counts, text = positive */
    uint64_t nubn;      /* non-uniform complete 8x8 GT blocks (DRD denominator) */
    unsigned defined;   /* db_metric_flag bits */
    bool weights_generated; /* pFM used maps generated here, not loaded */
} db_metrics;

/* Scores result against gt (GRAY8, RGB8 or BIT1 each, same size). weights
 * (may be NULL: then generated from gt, as db_weights_generate) must match
 * the size. DB_EINVAL on a size mismatch, DB_EFORMAT when a GRAY8/RGB8
 * ground truth is not two-level (every value 0 or one other value). */
int db_metrics_compute(db_ctx *ctx, const db_image *gt, const db_image *result,
                       const db_weights *weights, db_metrics *out);
/* The same, with keep (may be NULL: then as db_metrics_compute) a
 * db_weights the caller keeps from pair to pair (zero-initialised before
 * its first use, freed with db_weights_free; one per thread): when weights
 * is NULL the maps are generated into keep (and stay there), and keep holds
 * the measures' scratch buffers, so scoring page after page touches no
 * fresh memory. keep may be the weights argument itself. */
int db_metrics_compute_kept(db_ctx *ctx, const db_image *gt, const db_image *result,
                            const db_weights *weights, db_weights *keep, db_metrics *out);
/* The same with work kept from pair to pair (as keep above), for callers
 * that do not want the maps: generated maps (weights NULL) are not stored,
 * the pseudo-F sums are taken as they are made (the same values; faster,
 * and about 100 MB less to touch on a 3000x4000 page). work's maps, if
 * any, are left as they were. What `docbin eval` uses. */
int db_metrics_compute_work(db_ctx *ctx, const db_image *gt, const db_image *result,
                            const db_weights *weights, db_weights *work, db_metrics *out);

/* Reports: one table row / CSV line / JSON object per pair and a mean row.
 * names label the rows (NULL: "image N"). Write to the caller's stream. */
typedef enum db_report_format { DB_REPORT_TABLE = 0, DB_REPORT_CSV, DB_REPORT_JSON } db_report_format;
/* Mean of n metrics, each field averaged over images as the competitions do
 * (counts summed; defined = bits set in every input). */
void db_metrics_mean(const db_metrics *items, int n, db_metrics *out);
/* Writes the report of n pairs (plus a "mean" row when n > 1, or when
 * with_mean). Returns 0, or DB_EIO when the stream reports an error. */
int db_report_write(FILE *stream, db_report_format fmt, const char *const *names,
                    const db_metrics *items, int n, bool with_mean);

/* --------------------------------------------------------------------- dwt */

/* One level of the orthonormal 2-D Haar transform (src/core/dwt.c): in is
 * GRAY8 or F32 (w x h); bands[0..3] become F32 of ceil(w/2) x ceil(h/2):
 * LL = (a+b+c+d)/2, LH = (a-b+c-d)/2, HL = (a+b-c-d)/2, HH = (a-b-c+d)/2 for
 * each 2x2 block (a b / c d), odd edges repeating the last column/row; the
 * same numbers as the networks' HAAR2 layer. Zero-initialise the bands. */
int db_dwt_haar(db_ctx *ctx, const db_image *in, db_image bands[4]);
/* Inverse: out becomes F32 w x h. Exact for bands of an 8-bit page. */
int db_dwt_haar_inverse(db_ctx *ctx, const db_image bands[4], int w, int h, db_image *out);

/* ---------------------------------------------------------------- networks */

/* A 1-bit network loaded from a .dbm model file (format in nets/model.c).
 * Immutable after loading: one model may be shared by many db_net. */
typedef struct db_model db_model;
/* Loads and validates a model file; a truncated, corrupt (CRC), wrong-version
 * or inconsistent file is refused (DB_ECORRUPT, DB_EFORMAT, DB_EUNSUPPORTED)
 * with a message. Free with db_model_free. */
int db_model_load(db_ctx *ctx, const char *path, db_model **out);
/* Same from memory (the buffer is not kept). */
int db_model_load_memory(db_ctx *ctx, const void *data, size_t size, db_model **out);
void db_model_free(db_model *model);

/* What `docbin model-info` prints. Operation counts are per megapixel of
 * input (one binary MAC = one XNOR + popcount bit). */
typedef struct db_model_info {
    char name[64];
    unsigned version;     /* file format version */
    int nlayers;          /* graph nodes */
    int in_channels;      /* 1 = gray, 3 = RGB */
    int nbconv, nconv_real;
    uint64_t binary_weights; /* bits */
    uint64_t real_params;    /* floats */
    double binary_macs_per_mp, real_macs_per_mp;
    uint64_t file_bytes;
    int halo;             /* tile overlap in input pixels */
} db_model_info;
void db_model_get_info(const db_model *model, db_model_info *out);
/* One line describing layer i (0 <= i < nlayers) into buf, e.g.
 * "  5 bconv      in 4      64 -> 64   k3 s1". Returns buf. */
const char *db_model_layer_describe(const db_model *model, int i, char *buf, size_t size);

/* A runnable network: the model's plan (packed weights, fused layers,
 * thresholds, kernels for the ctx ISA) plus per-thread scratch, allocated
 * once and reused for every tile and page. One db_net per ctx at a time. */
typedef struct db_net db_net;
int db_net_create(db_ctx *ctx, const db_model *model, db_net **out);
void db_net_free(db_net *net);
/* Tile size in output pixels (0 = whole page in one tile, memory grows with
 * the page; -1 = automatic, the default: the fewest equal tiles whose scratch
 * fits 384 MiB per thread, at least one per pool thread). Results do not
 * depend on it. */
int db_net_set_tile(db_ctx *ctx, db_net *net, int tile);
/* Runs the network on a GRAY8 (or RGB8 for 3-channel models) page: out
 * becomes BIT1 of the same size (ink where the output logit > 0), DPI carried;
 * logits (optional, may be NULL) becomes F32 with the output logit map.
 * Tiles run on the ctx pool; results are identical for any thread count. */
int db_net_run(db_ctx *ctx, db_net *net, const db_image *in, db_image *out, db_image *logits);
/* Scratch bytes per worker thread that the last db_net_run needed (0 before
 * the first run); bounded by the tile size, not the page size. */
size_t db_net_scratch_size(const db_net *net);

/* ------------------------------------------------------------------- train */

/* `docbin train`: fits a 1-bit network (nets/train/README.md) to DIBCO-style
 * folders (page + "<name>_gt.png", text = 0) on the CPU, and exports it as a
 * model file the engine runs. Deterministic for a given seed and pool size. */
typedef struct db_trainer db_trainer;

typedef enum db_train_estimator {
    DB_EST_STE = 0,   /* clipped straight-through (Bengio et al. 2013) */
    DB_EST_RESTE = 1, /* rectified STE, power function, exponent annealed (Wu et al. 2023) */
    DB_EST_BIPER = 2, /* square-wave weights, sine surrogate (Vargas et al. 2024) */
} db_train_estimator;

/* The generator's front end (`--input`). */
/* The page channel a network sees: the shared generator all of R, G, B; a
 * per-channel generator (stage 2 of Ju et al. 2022) one of them or the
 * BT.601 gray, copied into its three inputs. */
typedef enum db_input_channel {
    DB_CHANNEL_ALL = -1,
    DB_CHANNEL_R = 0,
    DB_CHANNEL_G = 1,
    DB_CHANNEL_B = 2,
    DB_CHANNEL_GRAY = 3,
    DB_CHANNEL_COUNT = 4
} db_input_channel;
/* "all", "r", "g", "b", "gray" -> DB_CHANNEL_ALL..GRAY; anything else -> -2. */
int db_channel_parse(const char *name);
/* DB_CHANNEL_R..GRAY -> "r".."gray"; other values -> "all". */
const char *db_channel_name(int channel);

typedef enum db_train_input {
    DB_TRAIN_INPUT_DWT = 0,  /* Haar DWT of R, G, B, stem at half size (default) */
    DB_TRAIN_INPUT_FULL = 1, /* no DWT: stem at full size on R, G, B (ablation) */
} db_train_input;

/* Per-page validation metrics, supplied by the caller (the CLI passes one
 * built on db_metrics_compute; NULL: the trainer's own F-measure). gt is
 * GRAY8 (0 = text), result BIT1. Returns 0 or a negative DB_E*. */
typedef int (*db_train_metric_fn)(void *user, db_ctx *ctx, const db_image *gt,
                                  const db_image *result, double *fm, double *psnr);

typedef struct db_train_options {
    const char *const *train_dirs; /* folders of training pairs */
    int ntrain_dirs;
    const char *const *val_dirs; /* validation folders (full pages); may be none */
    int nval_dirs;
    const char *checkpoint; /* resumable state, rewritten every epoch (NULL: none) */
    const char *best_model; /* model file written at each new best validation FM */
    /* network */
    int width;    /* channels of the first level (default 32) */
    int levels;   /* resolution levels (default 4) */
    bool db_head; /* DB head (P, T maps) instead of a single logit */
    db_train_input input; /* front end (default DWT) */
    int global;   /* > 0: the GLOBAL network of stage 3 (Ju et al. 2022): every
                     training page and its ground truth resized to global x global
                     (area average; ink where ink covers >= half), patches drawn
                     from those; validation runs on the page resized the same way,
                     scored at full size; the model is named "... global=N" */
    int channel;  /* -1 (default): the shared generator on R, G, B; 0..3: a
                     per-channel generator (stage 2 of Ju et al. 2022) trained on
                     R, G, B or BT.601 gray only, that channel copied into all three
                     inputs of every page; colour jitter off; the model is named
                     "... channel=r|g|b|gray" */
    /* schedule */
    int patch;          /* patch side in pixels (default 128) */
    int batch;          /* patches per step (default 8) */
    long steps;         /* total steps (default 6000) */
    int epoch_steps;    /* steps between validations/checkpoints (default 250) */
    double lr, lr_min;  /* Adam learning rate, cosine floor (1e-3, 1e-5) */
    long warmup;        /* linear warm-up steps (default 100) */
    bool step_decay;    /* x0.1 at 60% and 85% instead of cosine */
    double clip;        /* global gradient-norm clip (default 5; 0 = off) */
    double weight_decay; /* on conv weights (default 0) */
    /* losses */
    double dice_weight; /* BCE + w * (1 - Dice) (default 1) */
    double db_k, db_beta, db_gamma; /* DB head: steepness 50, B weight 1, T L1 weight 10 */
    int gan;            /* 0 off, 1 hinge, 2 least squares */
    double gan_weight;  /* adversarial weight on the generator (default 0.05) */
    int gan_width;      /* critic base channels (default 16) */
    /* sign() gradient estimator and its parameters */
    db_train_estimator estimator;
    double reste_o_end; /* ReSTE exponent at the end of the run (default 3) */
    double reste_t, reste_cap; /* ReSTE clip range 1.5, derivative cap 10 */
    double biper_omega; /* BiPer frequency (default pi) */
    /* sampling and augmentation */
    double ink_share;   /* share of patches forced to contain ink (0.75) */
    bool flips, rot90;  /* (both on) */
    double brightness, contrast, color, scale; /* jitter ranges (0.1 0.2 0.1 0.15) */
    uint64_t seed;
    int val_max_pages;  /* 0 = every validation page */
    db_train_metric_fn metric;
    void *metric_user;
} db_train_options;
void db_train_options_defaults(db_train_options *opts);

typedef struct db_train_progress {
    long step, steps;  /* steps done, total */
    int epoch;
    double loss;       /* mean training loss since the last report */
    double lr;
    bool validated;    /* this report follows a validation */
    double val_fm, val_psnr; /* last validation means (-1 before the first) */
    double best_fm;
    double patches_per_s, eta_s;
    bool improved;     /* the best model was just rewritten */
    double val_s;      /* seconds the last validation took */
} db_train_progress;
/* Called on the calling thread after every step (validated = false) and
 * after every validation. */
typedef void (*db_train_progress_fn)(void *user, const db_train_progress *p);

/* Loads the pages and builds the network. Errors: a folder without pairs or a
 * page without ground truth (DB_EINVAL), GT of another size (DB_EFORMAT),
 * unreadable files (DB_EIO). Free with db_trainer_free. */
int db_trainer_create(db_ctx *ctx, const db_train_options *opts, db_trainer **out);
void db_trainer_free(db_trainer *t);
/* Restores a checkpoint written by this trainer's options (same network);
 * corrupt or mismatching files are DB_ECORRUPT / DB_EINVAL, t unchanged. */
int db_trainer_resume(db_ctx *ctx, db_trainer *t, const char *path);
/* Starts a new run from the generator of a checkpoint (db_trainer_save's
 * file) of the same network (width, levels, head, input; the critic and the
 * optimiser state of the file are ignored): the latent weights and BatchNorm
 * statistics are copied, step, Adam moments and critic stay fresh. Call right
 * after db_trainer_create. Another network is DB_EINVAL, a damaged file
 * DB_ECORRUPT; t is unchanged on error. */
int db_trainer_init_from(db_ctx *ctx, db_trainer *t, const char *path);
/* Steps done so far (after a resume: the checkpoint's). */
long db_trainer_step(const db_trainer *t);
/* Trains up to opts.steps. Polls the ctx cancel flag between steps: on
 * cancel it writes the checkpoint (when set) and returns DB_ECANCELED. */
int db_trainer_run(db_ctx *ctx, db_trainer *t, db_train_progress_fn fn, void *user);
/* Writes the resumable state (temporary file + rename). */
int db_trainer_save(db_ctx *ctx, db_trainer *t, const char *path);
/* Writes the current network as a model file (BatchNorm folded, weights
 * packed by the model writer): run by the engine it gives exactly the
 * trainer's binarized output. */
int db_trainer_export(db_ctx *ctx, db_trainer *t, const char *path);

/* -------------------------------------------------------------- OCR output */

/* What the CLI writes for a page (`--output`): the 1-bit mask, or a "clean"
 * page for OCR engines that recognise from gray levels (Tesseract 4/5): the
 * input's own levels kept where the mask, grown by a margin, says ink, and
 * pure white elsewhere (stains, yellowing, bleed-through, seals gone; stroke
 * edges and anti-aliasing intact). src/pipeline/clean.c. */
typedef enum db_output_mode {
    DB_OUTPUT_MASK = 0,        /* BIT1: the binarization itself (default) */
    DB_OUTPUT_CLEAN_GRAY = 1,  /* GRAY8: gray levels under the grown mask, 255 elsewhere */
    DB_OUTPUT_CLEAN_COLOR = 2, /* RGB8: colour under the grown mask, white elsewhere */
} db_output_mode;

#define DB_CLEAN_MAX_MARGIN 32
typedef struct db_clean_options {
    int margin;     /* px the mask grows by before selecting pixels, 0..32 (default 1) */
    bool disk;      /* grow by a disk (Euclidean radius) instead of a square (default false) */
    bool normalize; /* contrast normalisation of the kept ink (default false): each
                       pixel is divided by a local background estimate (median of
                       the non-ink pixels in blocks of block px, bilinear between
                       block centres) and the ratio stretched so that the
                       ink_percentile-th darkest ink ratio maps to 0 and the
                       background to 255: uneven light and faded ink both vanish */
    int block;      /* background block side in px, 8..1024 (default 48) */
    double ink_percentile; /* 0..50 (default 2) */
} db_clean_options;
void db_clean_options_defaults(db_clean_options *opts);

/* Grows a BIT1 mask by margin px (0..DB_CLEAN_MAX_MARGIN): out pixel is ink
 * when an ink pixel of mask lies within the square (Chebyshev distance <=
 * margin) or, with disk, the disk (dx*dx + dy*dy <= margin*margin). Pixels
 * outside the image count as paper. out becomes BIT1 of the same size (DPI
 * carried); out must not be mask. DB_EINVAL on a bad format or margin. */
int db_clean_dilate(db_ctx *ctx, const db_image *mask, int margin, bool disk, db_image *out);
/* page GRAY8 (or RGB8: its BT.601 luma is used), mask BIT1 of the same size.
 * out becomes GRAY8: the page's level (normalised when opts->normalize)
 * where the mask grown by opts->margin has ink, 255 elsewhere; DPI from
 * page. opts NULL = defaults. Single-threaded; O(pixels). */
int db_clean_gray(db_ctx *ctx, const db_image *page, const db_image *mask,
                  const db_clean_options *opts, db_image *out);
/* The same on colour: page RGB8 (a GRAY8 page is expanded to gray RGB), out
 * RGB8 with the page's colour where the grown mask has ink and (255,255,255)
 * elsewhere; normalisation, when asked, runs per channel. */
int db_clean_color(db_ctx *ctx, const db_image *page, const db_image *mask,
                   const db_clean_options *opts, db_image *out);

/* `--drop-color`: removes coloured ink (stamps, seals, red rulings) from the
 * gray page a method sees, src/pipeline/dropcolor.c. Hue sectors are 60
 * degrees wide around red 0, yellow 60, green 120, cyan 180, blue 240,
 * magenta 300. Works on the RGB page directly (no DWT split yet). */
enum db_hue {
    DB_HUE_RED = 1u << 0, DB_HUE_YELLOW = 1u << 1, DB_HUE_GREEN = 1u << 2,
    DB_HUE_CYAN = 1u << 3, DB_HUE_BLUE = 1u << 4, DB_HUE_MAGENTA = 1u << 5,
};
typedef struct db_drop_color_options {
    unsigned hues;     /* db_hue bits; 0 = drop nothing */
    int min_chroma;    /* max(R,G,B) - min(R,G,B) from which a pixel starts to be
                          dropped, 1..255 (default 32); fully dropped at twice it */
} db_drop_color_options;
void db_drop_color_options_defaults(db_drop_color_options *opts);
/* Parses a comma-separated list of hue names ("red", "red,blue"; also
 * "orange" = red, "purple" = magenta, "all") into db_hue bits. DB_EINVAL
 * with a message naming the bad word. */
int db_drop_color_parse(db_ctx *ctx, const char *list, unsigned *hues);
/* page RGB8 (GRAY8: copied, nothing has a hue) -> out GRAY8, DPI carried.
 * A pixel keeps its BT.601 luma unless its hue lies in a chosen sector and
 * its chroma reaches min_chroma: then it moves towards max(R,G,B), the light
 * the ink lets through, which is the paper under a transparent coloured ink
 * (fully at 2*min_chroma). Black text crossing a seal stays dark in every
 * channel, so it is kept. *ndropped (may be NULL) counts the pixels changed. */
int db_drop_color(db_ctx *ctx, const db_image *page, const db_drop_color_options *opts,
                  db_image *out, uint64_t *ndropped);

/* --------------------------------------------------------- network methods */

/* `-m gan` (the 1-bit U-Net generator: ink where its logit > threshold) and
 * `-m db` (the DB-style head: ink where P > T) are methods like the classic
 * ones, but need a model (src/pipeline/net_methods.c). The caller loads it
 * (db_model_load), attaches it with db_method_set_model, and frees it after
 * the last db_method_run that uses it; the model is immutable, so one model
 * may serve any number of methods and threads. Running a network method
 * without a model is DB_EINVAL "<name>: no model". */
bool db_method_needs_model(const db_method_info *info);
/* Attaches (borrows) model; NULL detaches. The model's output must suit the
 * method: `db` needs a DB head (DB_EINVAL otherwise). */
int db_method_set_model(db_ctx *ctx, db_method *method, const db_model *model);
/* Stage 3 of Ju et al. 2022 for `gan`: attaches (borrows) a GLOBAL network
 * (a model trained with `docbin train --global N`, named "... global=N"): it
 * runs on the page resized to N x N and its grown ink mask is ANDed with the
 * tiled network's mask (src/pipeline/global_fusion.c; parameters global,
 * gthr, grow). NULL detaches. Another method, or a model that is not a global
 * one-logit RGB network, is DB_EINVAL; db_method_set_model refuses a global
 * network as the tiled model. */
int db_method_set_global_model(db_ctx *ctx, db_method *method, const db_model *model);
/* True for `gan` with global=1: the caller should look for a global model
 * ("<model_name>_global.dbm"). */
bool db_method_takes_global(const db_method *method);
/* Stage 2 of Ju et al. 2022 with per-channel generators, for `gan`: attaches
 * (borrows) model, trained with `docbin train --channel C` (named "...
 * channel=C"), in slot C of method->channel_models. With channels=1 (the
 * default) and any slot filled, `gan` runs every attached network on its
 * channel and fuses their probabilities (src/pipeline/channel_fusion.c)
 * instead of running `model`. Another method or a model that is not a
 * per-channel one-logit network is DB_EINVAL. */
int db_method_set_channel_model(db_ctx *ctx, db_method *method, const db_model *model);
/* True for `gan` with channels=1: a per-channel model's siblings should be
 * looked for ("NAME_r.dbm" ... "NAME_gray.dbm" beside it). */
bool db_method_takes_channels(const db_method *method);
/* The channel a model was trained on (db_input_channel; DB_CHANNEL_ALL for
 * the shared generator or NULL). */
int db_model_input_channel(const db_model *model);
/* owner takes other: db_model_free(owner) frees other too (lets one handle
 * keep a tiled model, its global and per-channel companions). owner may
 * take any number; other must not have adopted one itself, and a model
 * already held is DB_EINVAL. */
int db_model_adopt(db_ctx *ctx, db_model *owner, db_model *other);
/* The folder the build installs models into (${datadir}/docbin). */
const char *db_model_default_dir(void);
/* The probability maps behind a network method's mask, as GRAY8 of the
 * page's size (value = round(255 * sigmoid(logit))): a DB-head model gives
 * maps[0] = P and maps[1] = T (*nmaps = 2), any other maps[0] = P(ink)
 * (*nmaps = 1). Zero-initialise maps; free with db_image_free. */
int db_method_maps(db_ctx *ctx, const db_method *method, const db_image *in, db_image maps[2],
                   int *nmaps);

/* ------------------------------------------------------------------ strips */

/* Strip mode: a page far larger than memory should hold (a 20000 x 30000
 * scan is 600 MB of gray) is read, binarized and written in bands of rows,
 * so memory stays a few bands whatever the page height
 * (src/io/io_stream_read.c, src/io/io_stream_write.c, src/pipeline/strips.c).
 * The result is identical, byte for byte, to the whole-page route. */

/* A row-streaming reader over one page of a file: rows come top to bottom in
 * the format and with the exact bytes db_reader_read gives (GRAY8 or RGB8).
 * It streams non-interlaced PNG, baseline JPEG (gray, colour, CMYK; upright
 * EXIF), raw PNM (P4, P5, P6), and TIFF in strips or tiles (gray, bilevel,
 * RGB; 1 or 8 bits, contiguous, no extra samples, top-left orientation, any
 * codec but JPEG: a row of tiles is held); anything else (interlaced PNG,
 * progressive or EXIF-turned JPEG, plain PNM, 16-bit/palette/CMYK/separate-
 * plane TIFF, standard input) is decoded whole at open and served
 * from memory (db_row_info.streams = false). Open reads the header only for
 * streamed files. Errors as db_reader_read, naming the file. */
typedef struct db_row_reader db_row_reader;
typedef struct db_row_info {
    int width, height;
    db_format format; /* DB_GRAY8 or DB_RGB8 */
    double xdpi, ydpi;
    int npages;       /* pages in the file */
    bool streams;     /* false: the page was decoded whole */
} db_row_info;
int db_row_reader_open(db_ctx *ctx, const char *path, int page, db_row_reader **out);
/* The header only: *out describes the page when it streams; when it does
 * not, out->streams is false and the rest is 0 (nothing is decoded). */
int db_row_reader_probe(db_ctx *ctx, const char *path, int page, db_row_info *out);
void db_row_reader_close(db_row_reader *reader);
void db_row_reader_info(const db_row_reader *reader, db_row_info *out);
/* Decodes the next n rows into rows y0 .. y0+n-1 of dst, which must have the
 * page's width and format and at least y0+n rows. Reading past the last row
 * is DB_EINVAL; a truncated or damaged file DB_ECORRUPT. */
int db_row_reader_read(db_ctx *ctx, db_row_reader *reader, int n, db_image *dst, int y0);

/* Row-streamed writing of one 1-bit page through a db_writer (PNG, TIFF,
 * PNM; JPEG is DB_EUNSUPPORTED): begin, then rows top to bottom, then end;
 * db_writer_commit as usual. The file is byte-identical to db_writer_add of
 * the whole page. */
int db_writer_begin_rows(db_ctx *ctx, db_writer *writer, int width, int height, double xdpi,
                         double ydpi);
/* Appends rows y0 .. y0+n-1 of rows (BIT1, the page width). */
int db_writer_add_rows(db_ctx *ctx, db_writer *writer, const db_image *rows, int y0, int n);
/* After the last row (DB_EINVAL if rows are missing). */
int db_writer_end_rows(db_ctx *ctx, db_writer *writer);

/* What strip mode needs from a method (db_method_info.strips). The runner
 * gives run a band: the centre rows plus up to halo rows of context above
 * and below (fewer at the page's top and bottom), and keeps the centre rows
 * of its output. A method whose result at a pixel depends only on the rows
 * within halo of it (a clipped window) is thus exact. A method that also
 * needs page statistics asks for a first pass over the page. */
typedef struct db_page_stats {
    uint64_t hist[256]; /* gray histogram of the page (when hist is set) */
    double acc;         /* largest value scan gave (0 when none) */
} db_page_stats;
typedef struct db_strip_info {
    /* rows of context each side (a window's radius) for a page width */
    int (*halo)(const double *params, int width);
    bool hist; /* first pass: the page histogram */
    /* first pass, optional: *acc = max(*acc, the method's value over rows
     * [c0, c1) of band) */
    int (*scan)(db_ctx *ctx, const db_image *band, int c0, int c1, const double *params,
                double *acc);
    /* the band run with the first pass's statistics; NULL: info->run */
    int (*run)(db_ctx *ctx, const db_image *band, const double *params,
               const db_page_stats *stats, db_image *out);
} db_strip_info;

/* Options of db_strips_run. */
typedef struct db_strip_options {
    int band_rows;                       /* centre rows per band; 0 = about 16 MiB of gray */
    const db_drop_color_options *drop;   /* --drop-color on each band; NULL = none */
} db_strip_options;
/* True when method can run in strips (classic methods with strips set). */
bool db_method_strips(const db_method *method);
/* Binarizes page `page` of the file in_path with method into writer (which
 * must be open, with no page yet; the caller commits), band by band: memory
 * is O(width * (band_rows + 2 halo)), the output identical to db_method_run
 * on the whole page. Methods with a first pass read the file twice. Errors:
 * DB_EINVAL (method without strips, writer format), reader/writer errors. */
int db_strips_run(db_ctx *ctx, const db_method *method, const char *in_path, int page,
                  const db_strip_options *opts, db_writer *writer);

#ifdef __cplusplus
}
#endif
#endif
