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
          "      --strip-rows N     binarize in bands of N rows (bounded memory; methods\n"
          "                         with a window or a global threshold); 0 = never;\n"
          "                         default: pages over 64 MP, bands of ~16 MiB\n"
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
    cli_page_opts page; /* the options batch shares */
    const char *in, *out;
    long threads;
} binarize_opts;

/* Returns -1 to continue, or an exit code (help, version, errors). */
static int parse_args(int argc, char **argv, binarize_opts *o)
{
    static const struct option longopts[] = {
        CLI_PAGE_LONGOPTS,
        {"threads", required_argument, 0, 'j'},
        {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, 'V'},
        {0, 0, 0, 0},
    };
    memset(o, 0, sizeof *o);
    cli_page_opts_init(&o->page);
    db_write_options *w = &o->page.po.wopts;
    opterr = 0;
    optind = 1;
    int c, rc;
    while ((c = getopt_long(argc, argv, ":" CLI_PAGE_SHORTOPTS "j:hV", longopts, NULL)) != -1) {
        if (cli_page_option(c, optarg, &o->page, &rc)) {
            if (rc >= 0)
                return rc;
            continue;
        }
        switch (c) {
        case 'j':
            if (cli_parse_int("--threads", optarg, 1, 1024, &o->threads))
                return CLI_EXIT_USAGE;
            break;
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
        if (w->format == DB_FILE_AUTO)
            w->format = DB_FILE_PNG;
    } else if (w->format == DB_FILE_AUTO) {
        w->format = db_file_format_from_name(o->out);
        if (w->format == DB_FILE_AUTO) {
            cli_error("%s: unknown output extension: use .png, .tif, .pbm or --format", o->out);
            return CLI_EXIT_USAGE;
        }
    }
    if (w->format == DB_FILE_JPEG && o->page.po.output == DB_OUTPUT_MASK) {
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
    db_ctx_set_log(ctx, log_warning, &o.page.quiet);
    db_method method;
    db_model *model = NULL;
    rc = cli_page_ctx_setup(ctx, &o.page);
    if (rc == 0)
        rc = cli_page_method(ctx, &o.page, &method, &model);
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
        cli_process_opts po = o.page.po;
        po.method = &method;
        if (cli_process_file(ctx, &po, o.in, o.out, NULL) != 0) {
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
