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
/* Largest width*height any decoder or allocation accepts (default 1<<30,
 * one gigapixel); checked before allocating, against decompression bombs. */
void db_ctx_set_pixel_limit(db_ctx *ctx, uint64_t max_pixels);
uint64_t db_ctx_pixel_limit(const db_ctx *ctx);
/* Long operations poll *flag between bands and return DB_ECANCELED when it
 * is nonzero (e.g. set by a SIGINT handler). NULL disables. */
void db_ctx_set_cancel_flag(db_ctx *ctx, const atomic_int *flag);
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
/* Decodes page (0-based) into out as DB_GRAY8 or DB_RGB8: 16-bit samples
 * rounded to 8, palettes expanded, alpha composited on white, CMYK converted,
 * JPEG EXIF orientation applied, 1-bit and min-is-white made 0 = black.
 * out->xdpi/ydpi are the file's resolution in dots per inch (0 if absent). */
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
/* Appends one page. BIT1 gives a 1-bit file (PNG bit depth 1, TIFF G4 in one
 * strip, min-is-white, PBM), GRAY8 8-bit gray, RGB8 colour. DPI from the
 * image. Only TIFF holds more than one page. */
int db_writer_add(db_ctx *ctx, db_writer *writer, const db_image *page);
int db_writer_commit(db_ctx *ctx, db_writer *writer);
void db_writer_free(db_writer *writer);
/* Convenience: one page, open + add + commit. */
int db_image_save(db_ctx *ctx, const char *path, const db_write_options *opts,
                  const db_image *img);

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
};

typedef struct db_method {
    const db_method_info *info;
    double values[DB_METHOD_MAX_PARAMS];
} db_method;

int db_method_count(void);
const db_method_info *db_method_at(int index);
const db_method_info *db_method_find(const char *name);
/* Parses "name[:key=value,...]"; unknown names or keys, malformed or out of
 * range values are DB_EINVAL with a message naming them. */
int db_method_parse(db_ctx *ctx, const char *spec, db_method *out);
/* Binarizes in (GRAY8 or RGB8) into out (DB_BIT1, same size, DPI carried). */
int db_method_run(db_ctx *ctx, const db_method *method, const db_image *in, db_image *out);

#ifdef __cplusplus
}
#endif
#endif
