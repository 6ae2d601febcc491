/* cli.h - the docbin program: subcommands and shared CLI helpers.
 * Only src/cli/ prints, exits, reads the environment or handles signals. */
#ifndef DB_CLI_H
#define DB_CLI_H

#include "docbin.h"

enum cli_exit {
    CLI_EXIT_OK = 0,    /* success */
    CLI_EXIT_DATA = 1,  /* a file could not be read, processed or written */
    CLI_EXIT_USAGE = 2, /* bad command line */
};

/* Each subcommand gets argv after the subcommand name (argv[0] = name) and
 * returns a cli_exit code. Registered in commands.c. */
typedef int (*cli_command_fn)(int argc, char **argv);
typedef struct cli_command {
    const char *name;
    const char *summary;
    cli_command_fn run;
} cli_command;
const cli_command *cli_command_find(const char *name);

/* The subcommands (one file each: cmd_<name>.c). */
int cmd_binarize(int argc, char **argv);
int cmd_batch(int argc, char **argv); /* cmd_batch.c: many files, -j workers */
int cmd_train(int argc, char **argv); /* cmd_train.c: db_trainer_* */
int cmd_model_info(int argc, char **argv); /* cmd_model_info.c: db_model_get_info */
int cmd_eval(int argc, char **argv); /* cmd_eval.c: DIBCO scores (metrics/) */
int cli_command_count(void);
const cli_command *cli_command_at(int index);

/* "docbin: <message>" on stderr, one line. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "docbin: <what>: <ctx message>" and clears the ctx error. */
void cli_error_ctx(db_ctx *ctx, const char *what);
/* Reads DOCBIN_ISA into the ctx when set; returns CLI_EXIT_USAGE on a bad value. */
int cli_apply_isa_env(db_ctx *ctx);
/* Strict whole-number parser for option values: 0 or CLI_EXIT_USAGE. */
int cli_parse_int(const char *opt, const char *text, long min, long max, long *out);
int cli_parse_double(const char *opt, const char *text, double min, double max, double *out);

/* ---- opts.c: option values shared by binarize and batch ---- */
/* "png", "tiff"/"tif", "pnm"/"pbm": 0, or CLI_EXIT_USAGE after a message. */
int cli_parse_format(const char *s, db_file_format *out);
/* "g4", "lzw", "deflate", "packbits", "none": 0, or CLI_EXIT_USAGE. */
int cli_parse_compression(const char *s, db_tiff_compression *out);
/* The --list-methods text on stdout. */
void cli_list_methods(void);
/* --output: "mask", "clean-gray", "clean-color": 0, or CLI_EXIT_USAGE. */
int cli_parse_output_mode(const char *s, db_output_mode *out);
/* --drop-color: "red", "red,blue", ... into db_hue bits: 0, or CLI_EXIT_USAGE. */
int cli_parse_drop_color(const char *s, unsigned *hues);
/* The usage lines of the OCR output options (--output, --margin,
 * --normalize, --drop-color), for each command's --help. */
void cli_print_output_usage(FILE *f);

/* ---- model.c: the model of a network method (search order in model.c) ---- */
/* Finds "<name>.dbm": $DOCBIN_MODEL_DIR, the install prefix, the executable's
 * ../share/docbin, the source tree's data/. 0 with path filled, or
 * CLI_EXIT_DATA after one line naming every place searched. */
int cli_find_model(const char *name, char *path, size_t size);
/* For a network method: loads model_opt (--model) or the found file and
 * attaches it; *owned is the model to db_model_free after the last run
 * (NULL for classic methods). --model with a classic method: CLI_EXIT_USAGE;
 * missing or bad file: CLI_EXIT_DATA; both after a message. */
int cli_method_attach_model(db_ctx *ctx, db_method *method, const char *model_opt,
                            db_model **owned);
/* --save-maps: writes the method's maps of page as PREFIX_P.png (and
 * PREFIX_T.png for a DB head; "_pN" before "_P" for multi-page input).
 * 0 or a DB_E* code with the reason in ctx. */
int cli_save_maps(db_ctx *ctx, const db_method *method, const db_image *page, const char *prefix,
                  int page_index, int npages, bool overwrite);

/* ---- process.c: one file through the pipeline ---- */
typedef struct cli_process_opts {
    const db_method *method;
    db_write_options wopts; /* format already resolved (not AUTO) */
    long page;              /* 1-based; 0 = every page */
    bool verbose;           /* one line per page on stderr */
    /* OCR output (clean.c, dropcolor.c); zero = a plain 1-bit mask */
    db_output_mode output;  /* --output */
    db_clean_options clean; /* --margin, --normalize; used by the clean modes.
                               Zeroed (margin 0, block 0) means the defaults */
    unsigned drop_hues;     /* --drop-color: db_hue bits, 0 = none */
    const char *save_maps;  /* --save-maps PREFIX (network methods), or NULL */
    long strip_rows;        /* --strip-rows: 0 = strips for pages over
                               CLI_STRIP_AUTO_PIXELS, N > 0 = always, bands of N
                               rows, -1 = never (src/pipeline/strips.c) */
} cli_process_opts;
/* Pages larger than this run in strips when the method allows (64 MP: a
 * 600 dpi A3 scan is 70 MP). */
#define CLI_STRIP_AUTO_PIXELS (64ull << 20)
/* The images one page goes through. A caller that processes many files
 * (batch: one per worker) keeps them, so each page reuses memory already
 * touched instead of faulting in fresh pages (slow on these VMs). */
typedef struct cli_page_buffers {
    db_image page, mask, seen, clean;
} cli_page_buffers;
void cli_page_buffers_free(cli_page_buffers *b);
/* Reads in, binarizes every selected page, writes out atomically. 0, or -1
 * with the reason in ctx (prefixed with the file name). Pass a ctx whose
 * cancel flag is set to stop between pages (DB_ECANCELED). reuse: buffers
 * kept across calls, or NULL for temporary ones. */
int cli_process_file(db_ctx *ctx, const cli_process_opts *o, const char *in, const char *out,
                     cli_page_buffers *reuse);

/* ---- opts.c: the page-pipeline options of `docbin IN OUT` and `docbin batch` ----
 * Both commands put CLI_PAGE_LONGOPTS in their getopt_long table and
 * CLI_PAGE_SHORTOPTS in their short list, and hand each option to
 * cli_page_option first, so the two accept the same words. */
typedef struct cli_page_opts {
    const char *method_spec; /* -m (default "otsu") */
    const char *model;       /* --model FILE, or NULL */
    cli_process_opts po;     /* -f, --compression, -y, --page, -v, the OCR output options,
                                --save-maps; .method is filled by the command */
    uint64_t max_pixels;     /* --max-pixels */
    db_isa isa;              /* --isa, when isa_set */
    bool isa_set, quiet;
} cli_page_opts;
enum {
    CLI_OPT_LIST = 1000, CLI_OPT_COMPRESSION, CLI_OPT_PAGE, CLI_OPT_MAXPX, CLI_OPT_ISA,
    CLI_OPT_OUTPUT, CLI_OPT_MARGIN, CLI_OPT_NORMALIZE, CLI_OPT_DROP, CLI_OPT_MODEL,
    CLI_OPT_SAVE_MAPS, CLI_OPT_STRIP_ROWS,
    CLI_OPT_FIRST_FREE /* commands number their own options from here */
};
#define CLI_PAGE_SHORTOPTS "m:f:yqv"
#define CLI_PAGE_LONGOPTS                                                                        \
    {"method", required_argument, 0, 'm'}, {"list-methods", no_argument, 0, CLI_OPT_LIST},      \
        {"format", required_argument, 0, 'f'},                                                   \
        {"compression", required_argument, 0, CLI_OPT_COMPRESSION},                              \
        {"page", required_argument, 0, CLI_OPT_PAGE}, {"overwrite", no_argument, 0, 'y'},        \
        {"max-pixels", required_argument, 0, CLI_OPT_MAXPX},                                     \
        {"isa", required_argument, 0, CLI_OPT_ISA},                                              \
        {"output", required_argument, 0, CLI_OPT_OUTPUT},                                        \
        {"margin", required_argument, 0, CLI_OPT_MARGIN},                                        \
        {"normalize", no_argument, 0, CLI_OPT_NORMALIZE},                                        \
        {"drop-color", required_argument, 0, CLI_OPT_DROP},                                      \
        {"model", required_argument, 0, CLI_OPT_MODEL},                                          \
        {"save-maps", required_argument, 0, CLI_OPT_SAVE_MAPS},                                  \
        {"strip-rows", required_argument, 0, CLI_OPT_STRIP_ROWS},                                \
        {"quiet", no_argument, 0, 'q'}, {"verbose", no_argument, 0, 'v'}
void cli_page_opts_init(cli_page_opts *o);
/* Applies option c when it is a page option and returns true; *exit_code is
 * then -1 to go on, or the status to exit with (0 after --list-methods,
 * CLI_EXIT_USAGE after a message). False: not a page option. */
bool cli_page_option(int c, const char *arg, cli_page_opts *o, int *exit_code);
/* Pixel limit and ISA (--isa, DOCBIN_ISA) into ctx: 0 or CLI_EXIT_USAGE. */
int cli_page_ctx_setup(db_ctx *ctx, const cli_page_opts *o);
/* Parses -m, checks --save-maps, loads the model of a network method into
 * *model (free it with db_model_free): 0 or an exit status after a message. */
int cli_page_method(db_ctx *ctx, const cli_page_opts *o, db_method *method, db_model **model);

#endif
