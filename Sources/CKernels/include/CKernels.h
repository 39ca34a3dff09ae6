// CKernels: SIMD kernels for DICEKit's CPU backend, chosen at run time, with a portable C
// version of each: AVX-512 versions of all of them, AVX2+FMA of ck_gemm_nt (the other kernels
// run their portable versions at that level).
//
// Every function takes the SIMD `level` to run at as its first argument (a level above what
// the CPU supports must not be passed: use ck_best_level()). Results of one level are
// deterministic; different levels may differ in the last bits (different summation orders).
// Counts and strides are in elements; pointers are to Float32 arrays of at least the stated
// sizes. No function allocates, prints or keeps state, except ck_pool_run.
#ifndef CKERNELS_H
#define CKERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Portable C (whatever the compiler vectorises for the baseline target).
#define CK_LEVEL_PORTABLE 0
/// AVX2 with FMA (8 lanes).
#define CK_LEVEL_AVX2 1
/// AVX-512 F/DQ/VL (16 lanes).
#define CK_LEVEL_AVX512 2
/// AVX-512 with BF16 (VDPBF16PS): only the bfloat16 GEMM uses it, and only when
/// ck_bf16_supported() (ck_best_level never returns it; every other kernel treats it as AVX-512).
#define CK_LEVEL_AVX512_BF16 3

/// The highest level this CPU supports.
int ck_best_level(void);

/// One chunk of a parallel job: `fn(context, chunk)`.
typedef void (*ck_pool_task)(void *context, int64_t chunk);

/// Runs `fn(context, c)` for every c < chunks on a process-wide pool of `threads − 1` worker
/// threads plus the caller, and returns 1 once all have finished; chunks run in any order on
/// any of those threads. Returns 0 at once, running nothing, when another job holds the pool
/// (the caller then runs the chunks some other way). Workers spin for about 100 µs after a
/// job before sleeping (unless the pool has more threads than the machine has cores). (The one
/// function here that keeps state: the pool.)
int ck_pool_run(int threads, int64_t chunks, ck_pool_task fn, void *context);

/// Y[i, j] = Σ_p X[i·ldx + p] · W[p·ldw + j] for i < m and n0 ≤ j < n1 (X·W with W in GPT-2
/// Conv1D's [in, out] layout): each element is one chain of fused multiply-adds over p in
/// order, so its bits depend only on its row of X and column of W — not on m, the column
/// range or the level (the portable version uses fmaf). Decoding's row-wise products for
/// [in, out] weights.
void ck_gemm_nn_rowwise(int level, int64_t m, int64_t n0, int64_t n1, int64_t k,
                        const float *x, int64_t ldx, const float *w, int64_t ldw, float *y, int64_t ldy);

/// C[i, j] = alpha · Σ_k A[i·lda + k] · B[j·ldb + k] + beta · C[i·ldc + j] for i < m and
/// n0 ≤ j < n1 (A·Bᵀ with B in torch.nn.Linear's [out, in] layout). C is only read when
/// beta ≠ 0. Each element's value depends only on its row of A, its row of B, alpha and beta
/// (not on m or on the column range), so callers may split columns over threads.
void ck_gemm_nt(int level, int64_t m, int64_t n0, int64_t n1, int64_t k, float alpha,
                const float *a, int64_t lda, const float *b, int64_t ldb,
                float beta, float *c, int64_t ldc);

/// 1 when this CPU runs AVX512-BF16 (VDPBF16PS) and AVX-512 BW, else 0.
int ck_bf16_supported(void);

/// C[i, j] = alpha · Σ_k A[i·lda + k] · B[j·ldb + k] + beta · C[i·ldc + j] for i < m and
/// n0 ≤ j < n1, as ck_gemm_nt but with A and B bfloat16 (the upper half of a Float32's bits)
/// and every product accumulated in Float32. At CK_LEVEL_AVX512_BF16 (only when
/// ck_bf16_supported()) with VDPBF16PS, which flushes denormal inputs and products to zero; at
/// the other levels by widening to Float32 (at CK_LEVEL_AVX2: A and panels of B widened into
/// scratch memory, then ck_gemm_nt's AVX2 kernel; the portable kernel if the scratch cannot be
/// allocated). Each element depends only on its rows, alpha and beta (callers may split columns
/// over threads).
void ck_gemm_nt_bf16(int level, int64_t m, int64_t n0, int64_t n1, int64_t k, float alpha,
                     const uint16_t *a, int64_t lda, const uint16_t *b, int64_t ldb,
                     float beta, float *c, int64_t ldc);

/// y[i] = bfloat16(x[i]) for i < n, rounded to nearest even (NaN stays a quiet NaN). Every
/// level gives the same bits.
void ck_f32_to_bf16(int level, const float *x, uint16_t *y, int64_t n);

/// y[i] = Float32(x[i]) for i < n (exact).
void ck_bf16_to_f32(const uint16_t *x, float *y, int64_t n);

/// y[c·ldy + r] = bfloat16(x[r·ldx + c]) for r < rows, c < columns (a transposing
/// ck_f32_to_bf16, same rounding).
void ck_f32_to_bf16_transposed(int64_t rows, int64_t columns, const float *x, int64_t ldx,
                               uint16_t *y, int64_t ldy);

/// y[c·ldy + r] = x[r·ldx + c] for r < rows, c < columns (a bfloat16 transpose).
void ck_bf16_transposed(int64_t rows, int64_t columns, const uint16_t *x, int64_t ldx,
                        uint16_t *y, int64_t ldy);

/// x[i] = exp(x[i] − shift) for i < n; returns Σ x[i] (summed in Float).
float ck_exp_shift_sum(int level, float *x, int64_t n, float shift);

/// The largest of x[0..<n] (−∞ when n = 0; NaN never wins).
float ck_max(int level, const float *x, int64_t n);

/// log Σ exp(x[i]) over i < n, with the maximum subtracted first (returns the maximum itself
/// when it is not finite).
float ck_log_sum_exp(int level, const float *x, int64_t n);

/// y[i] += alpha · exp(x[i] − shift) for i < n.
void ck_add_scaled_exp(int level, float *y, const float *x, int64_t n, float shift, float alpha);

/// out[i] = silu(gate[i]) · up[i] for i < n.
void ck_swiglu(int level, const float *gate, const float *up, float *out, int64_t n);

/// dgate[i] += dout[i] · up[i] · σ(g)(1 + g(1 − σ(g))) and dup[i] += dout[i] · silu(g), g = gate[i].
void ck_swiglu_backward(int level, const float *gate, const float *up, const float *dout,
                        float *dgate, float *dup, int64_t n);

/// Σ x[i] over i < n, accumulated in Double lanes.
double ck_sum(int level, const float *x, int64_t n);

/// Σ x[i]² over i < n, accumulated in Double lanes.
double ck_sum_squares(int level, const float *x, int64_t n);

/// One AdamW update of n parameters: m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²;
/// p = p·decay − stepSize·m / (sqrt(v)/rootCorrection2 + ε). Every level gives the same bits.
void ck_adamw(int level, float *params, const float *grads, float *m, float *v, int64_t n,
              float beta1, float beta2, float epsilon, float decay, float stepSize,
              float rootCorrection2);

/// One query row of attention over n0 keys/values at k0/v0 then n1 at k1/v1 (rows `stride`
/// elements apart, head size d): scores s_j = scale · q·k_j are written to scores[0..<n0+n1]
/// and replaced by the softmax weights; out[0..<d] = Σ_j softmax(s)_j · v_j. Returns
/// log Σ_j exp(s_j). Needs n0 + n1 ≥ 1. The results do not depend on where the keys are
/// split between the two parts.
float ck_attend(int level, const float *q, int64_t d, float scale,
                const float *k0, const float *v0, int64_t n0,
                const float *k1, const float *v1, int64_t n1,
                int64_t stride, float *scores, float *out);

/// ck_attend for `heads` query heads that share these keys and values (a GQA group): head h's
/// query is q + h·d, its output out + h·d, its weights scores + h·(n0+n1) and its log Σ exp
/// lse[h]. Each head gets the same bits as its own ck_attend call; keys and values are read
/// once per pair of heads.
void ck_attend_heads(int level, int heads, const float *q, int64_t d, float scale,
                     const float *k0, const float *v0, int64_t n0,
                     const float *k1, const float *v1, int64_t n1,
                     int64_t stride, float *scores, float *out, float *lse);

/// x[i] = x[i] · scale for i < n, NaN products becoming −∞; returns the largest (−∞ when n = 0).
float ck_scale_max(int level, float *x, int64_t n, float scale);

/// The top-p histogram of weights w[0..<n] in [0, 1]: mass[b] = Σ w[i] (in Double) over the
/// w[i] > 0 whose bucket min(buckets − 1, ⌊w[i]·buckets⌋) (in Float) is b. `mass` holds
/// 4·buckets Doubles of scratch; the result is in its first `buckets`.
void ck_bucket_mass(int level, const float *w, int64_t n, int64_t buckets, double *mass);

/// The ascending indices i of the w[i] > 0 in bucket `bucket` (as in ck_bucket_mass), written
/// to members (room for n); returns their count.
int64_t ck_bucket_members(int level, const float *w, int64_t n, int64_t buckets, int64_t bucket, int64_t *members);

/// The draw from weights w[0..<n] ≥ 0 with u ∈ [0, Σw): the first i with w[i] > 0 whose running
/// sum exceeds u. The running sum is kept per block of 64 weights (each block's sum taken in
/// Double lanes, then the block that crosses u walked in order); when rounding leaves u out
/// of reach, the last i with w[i] > 0 (0 when there is none).
int64_t ck_draw(int level, const float *w, int64_t n, double u);

#ifdef __cplusplus
}
#endif

#endif
