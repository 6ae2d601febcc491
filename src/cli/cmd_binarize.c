/* cmd_binarize.c - `docbin [options] IN OUT`: one file in (every page of a
 * multi-page TIFF), one binarized file out, written atomically. Also owns the
 * program-wide --help, --version and --list-methods. */
#include "cli.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static atomic_int g_stop_signal; /* the one piece of process state: set by signals */

static void on_signal(int sig) { atomic_store(&g_stop_signal, sig); }

static void usage(FILE *f)
{
    fputs("usage: docbin [options] IN OUT\n"
          "       docbin COMMAND [options] ...   (docbin COMMAND --help)\n"
          "\n"
          "Binarize a document image: IN is PNG, JPEG, TIFF or PNM ('-' = stdin);\n"
          "OUT is a 1-bit PNG, TIFF (CCITT G4) or PBM chosen by extension ('-' = stdout).\n"
          "\n"
          "options:\n"
          "  -m, --method SPEC      method and parameters, e.g. sauvola:window=31,k=0.2\n"
          "                         (default otsu; see --list-methods)\n"
          "      --list-methods     list methods with their parameters and defaults\n"
          "      --model FILE       model of a network method (-m gan, -m db); default:\n"
          "                         <name>.dbm in $DOCBIN_MODEL_DIR, then the install\n"
          "                         prefix's share/docbin, then ../share/docbin and the\n"
          "                         source tree's data/ beside the program\n"
          "      --save-maps PREFIX network methods: also write the probability maps as\n"
          "                         8-bit PNGs, PREFIX_P.png (and PREFIX_T.png for db)\n"
          "  -f, --format FMT       output format: png, tiff, pnm (default: from OUT's\n"
          "                         extension; png when OUT is '-')\n"
          "      --compression C    TIFF compression: g4 (1-bit default), lzw, deflate,\n"
          "                         packbits, none\n"
          "      --page N           only page N (1-based) of a multi-page input\n"
          "  -y, --overwrite        replace OUT if it exists (default: refuse)\n"
          "  -j, --threads N        worker threads (default: all cores)\n"
          "      --max-pixels N     refuse pages larger than N pixels (default 1073741824)\n"
          "      --isa ISA          force kernels: auto, ref, avx2, avx512 (or DOCBIN_ISA)\n",
          f);
    cli_print_output_usage(f);
    fputs(
          "  -q, --quiet            no warnings\n"
          "  -v, --verbose          report each page's size, resolution and time\n"
          "  -h, --help             this help\n"
          "  -V, --version          print the version\n"
          "\n"
          "exit status: 0 success, 1 a file could not be read, processed or written,\n"
          "2 usage error.\n",
          f);
    fputs("\ncommands:\n", f);
    for (int i = 0; i < cli_command_count(); i++)
        fprintf(f, "  %-12s %s\n", cli_command_at(i)->name, cli_command_at(i)->summary);
}

typedef struct binarize_opts {
    const char *method_spec;
    const char *in, *out;
    db_write_options wopts;
    long page; /* 0 = all */
    long threads;
    uint64_t max_pixels;
    db_isa isa;
    bool isa_set, quiet, verbose;
    db_output_mode output;
    db_clean_options clean;
    unsigned drop_hues;
    const char *model, *save_maps;
} binarize_opts;

/* Returns -1 to continue, or an exit code (help, version, errors). */
static int parse_args(int argc, char **argv, binarize_opts *o)
{
    enum { OPT_LIST = 256, OPT_COMPRESSION, OPT_PAGE, OPT_MAXPX, OPT_ISA, OPT_OUTPUT,
           OPT_MARGIN, OPT_NORMALIZE, OPT_DROP, OPT_MODEL, OPT_SAVE_MAPS };
    static const struct option longopts[] = {
        {"method", required_argument, 0, 'm'},
        {"list-methods", no_argument, 0, OPT_LIST},
        {"format", required_argument, 0, 'f'},
        {"compression", required_argument, 0, OPT_COMPRESSION},
        {"page", required_argument, 0, OPT_PAGE},
        {"overwrite", no_argument, 0, 'y'},
        {"threads", required_argument, 0, 'j'},
        {"max-pixels", required_argument, 0, OPT_MAXPX},
        {"isa", required_argument, 0, OPT_ISA},
        {"output", required_argument, 0, OPT_OUTPUT},
        {"margin", required_argument, 0, OPT_MARGIN},
        {"normalize", no_argument, 0, OPT_NORMALIZE},
        {"drop-color", required_argument, 0, OPT_DROP},
        {"model", required_argument, 0, OPT_MODEL},
        {"save-maps", required_argument, 0, OPT_SAVE_MAPS},
        {"quiet", no_argument, 0, 'q'},
        {"verbose", no_argument, 0, 'v'},
        {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, 'V'},
        {0, 0, 0, 0},
    };
    memset(o, 0, sizeof *o);
    o->method_spec = "otsu";
    o->max_pixels = (uint64_t)1 << 30;
    db_clean_options_defaults(&o->clean);
    opterr = 0;
    optind = 1;
    int c;
    long v;
    while ((c = getopt_long(argc, argv, ":m:f:yj:qvhV", longopts, NULL)) != -1) {
        switch (c) {
        case 'm': o->method_spec = optarg; break;
        case OPT_LIST: cli_list_methods(); return CLI_EXIT_OK;
        case 'f':
            if (cli_parse_format(optarg, &o->wopts.format))
                return CLI_EXIT_USAGE;
            break;
        case OPT_COMPRESSION:
            if (cli_parse_compression(optarg, &o->wopts.compression))
                return CLI_EXIT_USAGE;
            break;
        case OPT_PAGE:
            if (cli_parse_int("--page", optarg, 1, 1000000, &o->page))
                return CLI_EXIT_USAGE;
            break;
        case 'y': o->wopts.flags |= DB_WRITE_OVERWRITE; break;
        case 'j':
            if (cli_parse_int("--threads", optarg, 1, 1024, &o->threads))
                return CLI_EXIT_USAGE;
            break;
        case OPT_MAXPX:
            if (cli_parse_int("--max-pixels", optarg, 1, (long)1 << 40, &v))
                return CLI_EXIT_USAGE;
            o->max_pixels = (uint64_t)v;
            break;
        case OPT_ISA:
            if (db_isa_parse(optarg, &o->isa) != 0) {
                cli_error("--isa: unknown '%s' (auto, ref, avx2, avx512)", optarg);
                return CLI_EXIT_USAGE;
            }
            o->isa_set = true;
            break;
        case OPT_OUTPUT:
            if (cli_parse_output_mode(optarg, &o->output))
                return CLI_EXIT_USAGE;
            break;
        case OPT_MARGIN:
            if (cli_parse_int("--margin", optarg, 0, DB_CLEAN_MAX_MARGIN, &v))
                return CLI_EXIT_USAGE;
            o->clean.margin = (int)v;
            break;
        case OPT_NORMALIZE: o->clean.normalize = true; break;
        case OPT_DROP:
            if (cli_parse_drop_color(optarg, &o->drop_hues))
                return CLI_EXIT_USAGE;
            break;
        case OPT_MODEL: o->model = optarg; break;
        case OPT_SAVE_MAPS: o->save_maps = optarg; break;
        case 'q': o->quiet = true; break;
        case 'v': o->verbose = true; break;
        case 'h': usage(stdout); return CLI_EXIT_OK;
        case 'V': printf("docbin %s\n", db_version()); return CLI_EXIT_OK;
        case ':': cli_error("option %s needs a value", argv[optind - 1]); return CLI_EXIT_USAGE;
        default:
            cli_error("unknown option %s (see docbin --help)", argv[optind - 1]);
            return CLI_EXIT_USAGE;
        }
    }
    if (argc - optind != 2) {
        cli_error(argc - optind < 2 ? "expected IN and OUT (see docbin --help)"
                                    : "too many arguments: expected IN and OUT");
        return CLI_EXIT_USAGE;
    }
    o->in = argv[optind];
    o->out = argv[optind + 1];
    if (strcmp(o->out, "-") == 0) {
        if (o->wopts.format == DB_FILE_AUTO)
            o->wopts.format = DB_FILE_PNG;
    } else if (o->wopts.format == DB_FILE_AUTO) {
        o->wopts.format = db_file_format_from_name(o->out);
        if (o->wopts.format == DB_FILE_AUTO) {
            cli_error("%s: unknown output extension: use .png, .tif, .pbm or --format", o->out);
            return CLI_EXIT_USAGE;
        }
    }
    if (o->wopts.format == DB_FILE_JPEG && o->output == DB_OUTPUT_MASK) {
        cli_error("%s: JPEG cannot hold a 1-bit page: use .png, .tif or .pbm", o->out);
        return CLI_EXIT_USAGE;
    }
    return -1;
}

static void log_warning(void *user, const char *msg)
{
    if (!*(const bool *)user)
        fprintf(stderr, "docbin: warning: %s\n", msg);
}

int cmd_binarize(int argc, char **argv)
{
    binarize_opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc >= 0)
        return rc;

    db_pool *pool = NULL;
    db_ctx *ctx = NULL;
    if (db_pool_create((int)o.threads, &pool) != 0 || db_ctx_create(pool, &ctx) != 0) {
        cli_error("out of memory");
        db_pool_free(pool);
        return CLI_EXIT_DATA;
    }
    db_ctx_set_pixel_limit(ctx, o.max_pixels);
    db_ctx_set_log(ctx, log_warning, &o.quiet);
    db_method method;
    rc = cli_apply_isa_env(ctx);
    if (rc == 0 && o.isa_set && db_ctx_set_isa(ctx, o.isa) != 0) {
        cli_error_ctx(ctx, "--isa");
        rc = CLI_EXIT_USAGE;
    }
    if (rc == 0 && db_method_parse(ctx, o.method_spec, &method) != 0) {
        cli_error_ctx(ctx, NULL);
        rc = CLI_EXIT_USAGE;
    }
    if (rc == 0 && o.save_maps && !db_method_needs_model(method.info)) {
        cli_error("--save-maps: method %s has no maps (network methods only)",
                  method.info->name);
        rc = CLI_EXIT_USAGE;
    }
    db_model *model = NULL;
    if (rc == 0)
        rc = cli_method_attach_model(ctx, &method, o.model, &model);
    if (rc == 0 && strcmp(o.in, "-") != 0 && strcmp(o.out, "-") != 0 &&
        db_path_same_file(o.in, o.out)) {
        cli_error("%s: output would overwrite the input", o.out);
        rc = CLI_EXIT_USAGE;
    }
    if (rc == 0) {
        struct sigaction sa = {0};
        sa.sa_handler = on_signal;
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        db_ctx_set_cancel_flag(ctx, &g_stop_signal);
        cli_process_opts po = {.method = &method, .wopts = o.wopts, .page = o.page,
                               .verbose = o.verbose, .output = o.output, .clean = o.clean,
                               .drop_hues = o.drop_hues, .save_maps = o.save_maps};
        if (cli_process_file(ctx, &po, o.in, o.out) != 0) {
            if (db_ctx_code(ctx) != DB_ECANCELED)
                cli_error_ctx(ctx, NULL);
            rc = CLI_EXIT_DATA;
        }
    }
    db_model_free(model);
    db_ctx_free(ctx);
    db_pool_free(pool);
    int sig = atomic_load(&g_stop_signal);
    if (sig) { /* the temporary output is gone: die of the signal as expected */
        signal(sig, SIG_DFL);
        raise(sig);
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_error("error writing to standard output");
        return CLI_EXIT_DATA;
    }
    return rc;
}
