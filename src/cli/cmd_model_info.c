/* cmd_model_info.c - `docbin model-info FILE...`: loads each .dbm model
 * (validating it: nets/model.c) and prints its architecture, parameter counts,
 * operation counts per megapixel and sizes. Exit 1 if any file is refused. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
    fputs("usage: docbin model-info [--layers] FILE...\n"
          "\n"
          "Check a 1-bit network model file (.dbm) and print what it holds: name,\n"
          "format version, parameter counts, binary and real multiply-accumulates per\n"
          "megapixel of input, tile overlap, file size. --layers lists every layer.\n",
          f);
}

static void print_info(const char *path, const db_model *m, bool layers)
{
    db_model_info in;
    db_model_get_info(m, &in);
    printf("%s\n", path);
    printf("  name             %s\n", in.name[0] ? in.name : "(none)");
    printf("  format version   %u\n", in.version);
    printf("  input            %s\n", in.in_channels == 3 ? "RGB" : "gray");
    printf("  layers           %d (%d binary conv, %d real conv)\n", in.nlayers, in.nbconv,
           in.nconv_real);
    printf("  binary weights   %llu (%.1f KiB packed)\n", (unsigned long long)in.binary_weights,
           (double)in.binary_weights / 8.0 / 1024.0);
    printf("  real parameters  %llu\n", (unsigned long long)in.real_params);
    printf("  binary MACs/MP   %.2f G\n", in.binary_macs_per_mp / 1e9);
    printf("  real MACs/MP     %.3f G\n", in.real_macs_per_mp / 1e9);
    printf("  tile overlap     %d px\n", in.halo);
    printf("  file size        %llu bytes\n", (unsigned long long)in.file_bytes);
    if (layers) {
        char line[128];
        for (int i = 0; i < in.nlayers; i++)
            printf("  %s\n", db_model_layer_describe(m, i, line, sizeof line));
    }
}

int cmd_model_info(int argc, char **argv)
{
    bool layers = false;
    int first = 1;
    for (; first < argc && argv[first][0] == '-' && argv[first][1]; first++) {
        if (!strcmp(argv[first], "--")) {
            first++;
            break;
        }
        if (!strcmp(argv[first], "-h") || !strcmp(argv[first], "--help")) {
            usage(stdout);
            return CLI_EXIT_OK;
        }
        if (!strcmp(argv[first], "--layers")) {
            layers = true;
            continue;
        }
        cli_error("model-info: unknown option %s", argv[first]);
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    if (first >= argc) {
        cli_error("model-info: no model file given");
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    db_ctx *ctx;
    if (db_ctx_create(NULL, &ctx) != 0) {
        cli_error("out of memory");
        return CLI_EXIT_DATA;
    }
    int rc = CLI_EXIT_OK;
    for (int i = first; i < argc; i++) {
        db_model *m;
        if (db_model_load(ctx, argv[i], &m) != 0) {
            cli_error_ctx(ctx, NULL); /* the message names the file */
            rc = CLI_EXIT_DATA;
            continue;
        }
        print_info(argv[i], m, layers);
        db_model_free(m);
    }
    db_ctx_free(ctx);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_error("model-info: cannot write to standard output");
        rc = CLI_EXIT_DATA;
    }
    return rc;
}
