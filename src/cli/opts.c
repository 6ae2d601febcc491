/* opts.c - option values shared by the single-page command (cmd_binarize.c)
 * and `docbin batch` (cmd_batch.c): output format and TIFF compression names,
 * and the --list-methods listing, so both commands accept the same words. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

int cli_parse_compression(const char *s, db_tiff_compression *out)
{
    static const struct {
        const char *name;
        db_tiff_compression c;
    } names[] = {{"g4", DB_TIFF_G4},           {"lzw", DB_TIFF_LZW}, {"deflate", DB_TIFF_DEFLATE},
                 {"packbits", DB_TIFF_PACKBITS}, {"none", DB_TIFF_NONE}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i].name) == 0) {
            *out = names[i].c;
            return 0;
        }
    cli_error("--compression: unknown '%s' (g4, lzw, deflate, packbits, none)", s);
    return CLI_EXIT_USAGE;
}

int cli_parse_format(const char *s, db_file_format *out)
{
    static const struct {
        const char *name;
        db_file_format f;
    } names[] = {{"png", DB_FILE_PNG}, {"tiff", DB_FILE_TIFF}, {"tif", DB_FILE_TIFF},
                 {"pnm", DB_FILE_PNM}, {"pbm", DB_FILE_PNM}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i].name) == 0) {
            *out = names[i].f;
            return 0;
        }
    cli_error("--format: unknown '%s' (png, tiff, pnm)", s);
    return CLI_EXIT_USAGE;
}

void cli_list_methods(void)
{
    for (int i = 0; i < db_method_count(); i++) {
        const db_method_info *m = db_method_at(i);
        printf("%s\n    %s\n    (%s)\n", m->name, m->summary, m->reference);
        for (int p = 0; p < m->nparams; p++) {
            const db_method_param *par = &m->params[p];
            printf("    %-10s default %-8g range [%g, %g]%s  %s\n", par->name, par->def,
                   par->min, par->max, par->integer ? " integer" : "", par->help);
        }
    }
}

int cli_parse_output_mode(const char *s, db_output_mode *out)
{
    static const struct {
        const char *name;
        db_output_mode m;
    } names[] = {{"mask", DB_OUTPUT_MASK},
                 {"clean-gray", DB_OUTPUT_CLEAN_GRAY},
                 {"clean-color", DB_OUTPUT_CLEAN_COLOR},
                 {"clean-colour", DB_OUTPUT_CLEAN_COLOR}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i].name) == 0) {
            *out = names[i].m;
            return 0;
        }
    cli_error("--output: unknown '%s' (mask, clean-gray, clean-color)", s);
    return CLI_EXIT_USAGE;
}

int cli_parse_drop_color(const char *s, unsigned *hues)
{
    db_ctx *ctx = NULL;
    if (db_ctx_create(NULL, &ctx) != 0) {
        cli_error("out of memory");
        return CLI_EXIT_USAGE;
    }
    int rc = 0;
    if (db_drop_color_parse(ctx, s, hues) != 0) {
        cli_error_ctx(ctx, NULL);
        rc = CLI_EXIT_USAGE;
    }
    db_ctx_free(ctx);
    return rc;
}

void cli_print_output_usage(FILE *f)
{
    fputs("      --output MODE      mask (1-bit, default), clean-gray (the page's gray\n"
          "                         levels where the mask says ink, white elsewhere: best\n"
          "                         for OCR engines that read gray, e.g. Tesseract) or\n"
          "                         clean-color (the same in colour); 8-bit PNG/TIFF/PNM\n"
          "      --margin N         px the mask grows by for the clean modes (default 1)\n"
          "      --normalize        clean modes: divide by the local paper level and\n"
          "                         stretch the ink to full contrast\n"
          "      --drop-color LIST  remove ink of these hues before binarizing: red,\n"
          "                         yellow, green, cyan, blue, magenta, all (comma list)\n",
          f);
}
