// ck_best_level: the SIMD level the running CPU supports (and the OS enables).
#include "CKernels.h"
#include "Dispatch.h"

int ck_best_level(void) {
#if CK_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")
        && __builtin_cpu_supports("avx512vl")) return CK_LEVEL_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return CK_LEVEL_AVX2;
#endif
    return CK_LEVEL_PORTABLE;
}
