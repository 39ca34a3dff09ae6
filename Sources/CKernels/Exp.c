// Exponential-based row kernels: the shifted exponentials of a softmax, log-sum-exp, and the
// log-softmax backward's scaled exponentials. Sums run in Float lanes.
#include <math.h>
#include "CKernels.h"
#include "VectorMath.h"

#if CK_X86
static CK_AVX512 float exp_shift_sum_avx512(float *x, int64_t n, float shift) {
    __m512 sum = _mm512_setzero_ps(), s = _mm512_set1_ps(shift);
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 m = ck_tail_mask(n - i);
        __m512 e = ck_exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), s));
        e = _mm512_maskz_mov_ps(m, e);
        _mm512_mask_storeu_ps(x + i, m, e);
        sum = _mm512_add_ps(sum, e);
    }
    return _mm512_reduce_add_ps(sum);
}

static CK_AVX512 float max_avx512(const float *x, int64_t n) {
    __m512 best = _mm512_set1_ps(-INFINITY);
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 m = ck_tail_mask(n - i);
        best = _mm512_mask_max_ps(best, m, _mm512_maskz_loadu_ps(m, x + i), best);  // NaN never wins
    }
    return _mm512_reduce_max_ps(best);
}

static CK_AVX512 float sum_exp_avx512(const float *x, int64_t n, float shift) {
    __m512 sum = _mm512_setzero_ps(), s = _mm512_set1_ps(shift);
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 m = ck_tail_mask(n - i);
        __m512 e = ck_exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), s));
        sum = _mm512_add_ps(sum, _mm512_maskz_mov_ps(m, e));
    }
    return _mm512_reduce_add_ps(sum);
}

static CK_AVX512 void add_scaled_exp_avx512(float *y, const float *x, int64_t n, float shift, float alpha) {
    __m512 s = _mm512_set1_ps(shift), a = _mm512_set1_ps(alpha);
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 m = ck_tail_mask(n - i);
        __m512 e = ck_exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), s));
        __m512 yv = _mm512_fmadd_ps(a, e, _mm512_maskz_loadu_ps(m, y + i));
        _mm512_mask_storeu_ps(y + i, m, yv);
    }
}
#endif

float ck_exp_shift_sum(int level, float *x, int64_t n, float shift) {
#if CK_X86
    if (level >= CK_LEVEL_AVX512) return exp_shift_sum_avx512(x, n, shift);
#endif
    float sum = 0;
    for (int64_t i = 0; i < n; i++) {
        x[i] = expf(x[i] - shift);
        sum += x[i];
    }
    return sum;
}

float ck_max(int level, const float *x, int64_t n) {
#if CK_X86
    if (level >= CK_LEVEL_AVX512) return max_avx512(x, n);
#endif
    float best = -INFINITY;
    for (int64_t i = 0; i < n; i++) best = x[i] > best ? x[i] : best;
    return best;
}

float ck_log_sum_exp(int level, const float *x, int64_t n) {
    float m = ck_max(level, x, n);
    if (!isfinite(m)) return m;
    float sum;
#if CK_X86
    if (level >= CK_LEVEL_AVX512) {
        sum = sum_exp_avx512(x, n, m);
        return m + logf(sum);
    }
#endif
    sum = 0;
    for (int64_t i = 0; i < n; i++) sum += expf(x[i] - m);
    return m + logf(sum);
}

void ck_add_scaled_exp(int level, float *y, const float *x, int64_t n, float shift, float alpha) {
#if CK_X86
    if (level >= CK_LEVEL_AVX512) { add_scaled_exp_avx512(y, x, n, shift, alpha); return; }
#endif
    for (int64_t i = 0; i < n; i++) y[i] += alpha * expf(x[i] - shift);
}
