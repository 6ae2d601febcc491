/* fuzz_png.c - libFuzzer entry for the PNG loader (src/io/io_png.c) through
 * the public reader; body in fuzz_loader.h, seeds in corpus/png/. */
#include "fuzz_loader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_loader_run(data, size, DB_FILE_PNG);
}
