/* commands.c - the table of subcommands: the menu of the docbin program.
 * A new subcommand adds one line here. "binarize" is what runs when the
 * first argument is not a subcommand name (docbin IN OUT). */
#include "cli.h"

#include <string.h>

static const cli_command table[] = {
    {"binarize", "binarize one page or file (the default: docbin IN OUT)", cmd_binarize},
    {"batch", "binarize many files into a folder (-j workers, --resume, --shard)", cmd_batch},
    {"train", "train a 1-bit network on page + ground-truth folders", cmd_train},
    {"model-info", "check a .dbm network model, print its layers and costs", cmd_model_info},
    {"eval", "DIBCO scores (FM, pFM, PSNR, DRD, ...) of results against ground truth", cmd_eval},
};

int cli_command_count(void) { return (int)(sizeof table / sizeof table[0]); }
const cli_command *cli_command_at(int index)
{
    return index >= 0 && index < cli_command_count() ? &table[index] : NULL;
}
const cli_command *cli_command_find(const char *name)
{
    for (int i = 0; i < cli_command_count(); i++)
        if (strcmp(table[i].name, name) == 0)
            return &table[i];
    return NULL;
}
