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
        const db_strip_info *st = m->strips;
        printf("    memory: %s%s\n", st ? "streams in bands (--strip-rows)" : "whole page",
               st && (st->hist || st->scan) ? ", two passes over the file" : "");
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

void cli_page_opts_init(cli_page_opts *o)
{
    memset(o, 0, sizeof *o);
    o->method_spec = "otsu";
    o->max_pixels = (uint64_t)1 << 30;
    db_clean_options_defaults(&o->po.clean);
}

bool cli_page_option(int c, const char *arg, cli_page_opts *o, int *exit_code)
{
    long v;
    *exit_code = -1;
    switch (c) {
    case 'm': o->method_spec = arg; break;
    case CLI_OPT_LIST:
        cli_list_methods();
        *exit_code = CLI_EXIT_OK;
        break;
    case 'f':
        if (cli_parse_format(arg, &o->po.wopts.format))
            *exit_code = CLI_EXIT_USAGE;
        break;
    case CLI_OPT_COMPRESSION:
        if (cli_parse_compression(arg, &o->po.wopts.compression))
            *exit_code = CLI_EXIT_USAGE;
        break;
    case CLI_OPT_PAGE:
        if (cli_parse_int("--page", arg, 1, 1000000, &o->po.page))
            *exit_code = CLI_EXIT_USAGE;
        break;
    case 'y': o->po.wopts.flags |= DB_WRITE_OVERWRITE; break;
    case CLI_OPT_MAXPX:
        if (cli_parse_int("--max-pixels", arg, 1, (long)1 << 40, &v))
            *exit_code = CLI_EXIT_USAGE;
        else
            o->max_pixels = (uint64_t)v;
        break;
    case CLI_OPT_ISA:
        if (db_isa_parse(arg, &o->isa) != 0) {
            cli_error("--isa: unknown '%s' (auto, ref, avx2, avx512)", arg);
            *exit_code = CLI_EXIT_USAGE;
        }
        o->isa_set = true;
        break;
    case CLI_OPT_OUTPUT:
        if (cli_parse_output_mode(arg, &o->po.output))
            *exit_code = CLI_EXIT_USAGE;
        break;
    case CLI_OPT_MARGIN:
        if (cli_parse_int("--margin", arg, 0, DB_CLEAN_MAX_MARGIN, &v))
            *exit_code = CLI_EXIT_USAGE;
        else
            o->po.clean.margin = (int)v;
        break;
    case CLI_OPT_NORMALIZE: o->po.clean.normalize = true; break;
    case CLI_OPT_DROP:
        if (cli_parse_drop_color(arg, &o->po.drop_hues))
            *exit_code = CLI_EXIT_USAGE;
        break;
    case CLI_OPT_MODEL: o->model = arg; break;
    case CLI_OPT_SAVE_MAPS: o->po.save_maps = arg; break;
    case CLI_OPT_STRIP_ROWS:
        if (cli_parse_int("--strip-rows", arg, 0, 1 << 24, &v))
            *exit_code = CLI_EXIT_USAGE;
        else
            o->po.strip_rows = v == 0 ? -1 : v;
        break;
    case 'q': o->quiet = true; break;
    case 'v': o->po.verbose = true; break;
    default: return false;
    }
    return true;
}

int cli_page_method(db_ctx *ctx, const cli_page_opts *o, db_method *method, db_model **model)
{
    *model = NULL;
    if (db_method_parse(ctx, o->method_spec, method) != 0) {
        cli_error_ctx(ctx, NULL);
        return CLI_EXIT_USAGE;
    }
    if (o->po.save_maps && !db_method_needs_model(method->info)) {
        cli_error("--save-maps: method %s has no maps (network methods only)",
                  method->info->name);
        return CLI_EXIT_USAGE;
    }
    return cli_method_attach_model(ctx, method, o->model, model);
}

int cli_page_ctx_setup(db_ctx *ctx, const cli_page_opts *o)
{
    db_ctx_set_pixel_limit(ctx, o->max_pixels);
    db_ctx_keep_networks(ctx, true); /* models outlive every ctx here */
    int rc = cli_apply_isa_env(ctx);
    if (rc == 0 && o->isa_set && db_ctx_set_isa(ctx, o->isa) != 0) {
        cli_error_ctx(ctx, "--isa");
        rc = CLI_EXIT_USAGE;
    }
    return rc;
}
