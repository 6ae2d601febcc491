/* cpu.c - which SIMD paths this CPU and OS can run (cpuid + xgetbv), so one
 * binary picks its kernels at run time. */
#include "db_internal.h"

#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static uint64_t xgetbv0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

static bool has_avx2(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return false;
    bool osxsave = c & (1u << 27), avx = c & (1u << 28), fma = c & (1u << 12),
         popcnt = c & (1u << 23);
    if (!osxsave || !avx || !fma || !popcnt)
        return false;
    if ((xgetbv0() & 0x6) != 0x6) /* XMM and YMM state enabled by the OS */
        return false;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
        return false;
    return (b & (1u << 5)) && (b & (1u << 8)); /* AVX2, BMI2 */
}

static bool has_avx512(void)
{
    if (!has_avx2())
        return false;
    unsigned a, b, c, d;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
        return false;
    bool f = b & (1u << 16), dq = b & (1u << 17), bw = b & (1u << 30), vl = b & (1u << 31);
    /* VNNI comes with VPOPCNTDQ on every CPU that has both (Ice Lake, Zen 4
     * and later); the integer stem's vpdpwssd needs it */
    bool vpopcntdq = c & (1u << 14), vnni = c & (1u << 11);
    if (!(f && dq && bw && vl && vpopcntdq && vnni))
        return false;
    return (xgetbv0() & 0xe6) == 0xe6; /* opmask, ZMM_Hi256, Hi16_ZMM enabled */
}
#else
static bool has_avx2(void) { return false; }
static bool has_avx512(void) { return false; }
#endif

bool db_cpu_supports(db_isa isa)
{
    switch (isa) {
    case DB_ISA_AUTO:
    case DB_ISA_REF: return true;
    case DB_ISA_AVX2: return has_avx2();
    case DB_ISA_AVX512: return has_avx512();
    }
    return false;
}

db_isa db_cpu_best_isa(void)
{
    if (has_avx512())
        return DB_ISA_AVX512;
    if (has_avx2())
        return DB_ISA_AVX2;
    return DB_ISA_REF;
}

const char *db_isa_name(db_isa isa)
{
    switch (isa) {
    case DB_ISA_AUTO: return "auto";
    case DB_ISA_REF: return "ref";
    case DB_ISA_AVX2: return "avx2";
    case DB_ISA_AVX512: return "avx512";
    }
    return "?";
}

int db_isa_parse(const char *name, db_isa *out)
{
    static const db_isa all[] = {DB_ISA_AUTO, DB_ISA_REF, DB_ISA_AVX2, DB_ISA_AVX512};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (strcmp(name, db_isa_name(all[i])) == 0) {
            *out = all[i];
            return 0;
        }
    return DB_EINVAL;
}
