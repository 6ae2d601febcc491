/* fuzz_pnm.c - libFuzzer entry for the PNM loader (src/io/io_pnm.c) through
 * the public reader; body in fuzz_loader.h, seeds in corpus/pnm/. */
#include "fuzz_loader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_loader_run(data, size, DB_FILE_PNM);
}
