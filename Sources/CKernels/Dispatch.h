// Shared by the kernel files of CKernels: the target attributes of the SIMD variants.
//
// Each kernel has a portable C version and, on x86-64, AVX2+FMA and AVX-512 versions compiled
// with function-level target attributes (the package itself builds for baseline x86-64); the
// level is chosen at run time from what the CPU supports (see ck_best_level).
#ifndef CKERNELS_DISPATCH_H
#define CKERNELS_DISPATCH_H

#include <stdint.h>

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define CK_X86 1
#include <immintrin.h>
#define CK_AVX2 __attribute__((target("avx2,fma")))
#define CK_AVX512 __attribute__((target("avx512f,avx512dq,avx512vl,avx2,fma")))
#else
#define CK_X86 0
#endif

#define CK_INLINE static inline __attribute__((always_inline))

#endif
