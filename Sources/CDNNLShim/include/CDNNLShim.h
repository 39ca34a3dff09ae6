// oneDNN (Debian's libdnnl2, 2.x) bound at run time with dlopen/dlsym, for the CPU backend's
// bfloat16 matrix products: DICEKit builds and runs without it (the bfloat16 products then use
// CKernels' ck_gemm_nt_bf16). Only the handful of entry points below are used.
#ifndef CDNNL_SHIM_H
#define CDNNL_SHIM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Loads libdnnl.so.2 and creates a CPU engine and stream on first call (thread-safe); returns
/// 1 when oneDNN 2.x is usable, 0 otherwise (then `dk_dnnl_error()` says why).
int dk_dnnl_available(void);

/// Why oneDNN is not usable (a static string), or NULL when it is or was not tried yet.
const char *dk_dnnl_error(void);

/// C[i·ldc + j] (=, or += when `accumulate`) Σ_p A[i·as0 + p·as1] · B[p·bs0 + j·bs1] for
/// i < m, j < n, p < k: A [m×k] and B [k×n] bfloat16 with any element strides, C Float32 with
/// rows ldc apart, accumulated in Float32 (oneDNN's matmul primitive, cached per shape). Runs
/// on the calling thread only (callers split columns over threads; concurrent calls are
/// safe). Returns 0 on success, nonzero when oneDNN is unavailable or refuses the shape
/// (nothing is written then).
int dk_dnnl_matmul_bf16(int64_t m, int64_t n, int64_t k,
                        const uint16_t *a, int64_t as0, int64_t as1,
                        const uint16_t *b, int64_t bs0, int64_t bs1,
                        float *c, int64_t ldc, int accumulate);

/// oneDNN's name for the implementation it picked for the last shape created, e.g.
/// "brg:avx512_core_bf16" (a static buffer), or "" when none was.
const char *dk_dnnl_implementation(void);

#ifdef __cplusplus
}
#endif

#endif
