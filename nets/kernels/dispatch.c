/* dispatch.c - picks the kernel table for an ISA once (per net); the tables
 * are static const, so selection allocates nothing and cannot fail except for
 * an ISA the CPU lacks. */
#include "nets/kernels/kernels.h"

const db_kernels *db_kernels_select(db_isa isa)
{
    if (isa == DB_ISA_AUTO)
        isa = db_cpu_best_isa();
    if (!db_cpu_supports(isa))
        return NULL;
    switch (isa) {
    case DB_ISA_AVX512: return &db_kernels_avx512;
    case DB_ISA_AVX2: return &db_kernels_avx2;
    default: return &db_kernels_ref;
    }
}
