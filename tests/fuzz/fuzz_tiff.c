/* fuzz_tiff.c - libFuzzer entry for the TIFF loader (src/io/io_tiff.c) through
 * the public reader; body in fuzz_loader.h, seeds in corpus/tiff/. */
#include "fuzz_loader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_loader_run(data, size, DB_FILE_TIFF);
}
