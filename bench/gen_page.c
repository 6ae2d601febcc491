/* gen_page.c - writes seeded synthetic degraded pages with their ground truth
 * (tests/common/synth.c), for benchmarks, batch tests and the shipped sample.
 *
 *   gen_page [--color] [--seed N] [--noise S] W H page.png [truth.png]
 */
#include "synth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    tu_synth_opts o;
    bool color = false;
    unsigned long long seed = 1;
    double noise = -1;
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        if (strcmp(argv[i], "--color") == 0)
            color = true;
        else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 0);
        else if (strcmp(argv[i], "--noise") == 0 && i + 1 < argc)
            noise = atof(argv[++i]);
        else
            break;
    }
    if (argc - i < 3) {
        fprintf(stderr, "usage: gen_page [--color] [--seed N] [--noise S] W H page.png "
                        "[truth.png]\n");
        return 2;
    }
    int w = atoi(argv[i]), h = atoi(argv[i + 1]);
    tu_synth_defaults(&o, w, h, seed);
    o.color = color;
    if (noise >= 0)
        o.noise_sigma = noise;
    db_ctx *ctx;
    if (db_ctx_create(NULL, &ctx) != 0)
        return 1;
    db_image page = {0}, truth = {0};
    db_write_options wo = {.flags = DB_WRITE_OVERWRITE};
    int rc = tu_synth_page(ctx, &o, &page, argc - i > 3 ? &truth : NULL);
    if (rc == 0)
        rc = db_image_save(ctx, argv[i + 2], &wo, &page);
    if (rc == 0 && argc - i > 3)
        rc = db_image_save(ctx, argv[i + 3], &wo, &truth);
    if (rc != 0)
        fprintf(stderr, "gen_page: %s\n", db_ctx_message(ctx));
    db_image_free(&page);
    db_image_free(&truth);
    db_ctx_free(ctx);
    return rc ? 1 : 0;
}
