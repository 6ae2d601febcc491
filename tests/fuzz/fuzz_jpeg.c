/* fuzz_jpeg.c - libFuzzer entry for the JPEG loader (src/io/io_jpeg.c) through
 * the public reader; body in fuzz_loader.h, seeds in corpus/jpeg/. */
#include "fuzz_loader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_loader_run(data, size, DB_FILE_JPEG);
}
