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
