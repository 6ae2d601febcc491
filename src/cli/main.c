/* main.c - entry point of the docbin program: dispatches to a subcommand
 * (commands.c) or, when the first argument names none, binarizes. */
#include "cli.h"

int main(int argc, char **argv)
{
    if (argc >= 2) {
        const cli_command *c = cli_command_find(argv[1]);
        if (c)
            return c->run(argc - 1, argv + 1);
    }
    return cli_command_find("binarize")->run(argc, argv);
}
