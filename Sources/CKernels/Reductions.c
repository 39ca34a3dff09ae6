// Sums and sums of squares in Double lanes (Float inputs widened before they are added, so
// the result is as accurate as a sequential Double sum; the sums are memory-bound either way).
#include "CKernels.h"
#include "VectorMath.h"

#if CK_X86
static CK_AVX512 double sum_avx512(const float *x, int64_t n, int squares) {
    __m512d s0 = _mm512_setzero_pd(), s1 = _mm512_setzero_pd();
    for (int64_t i = 0; i < n; i += 16) {
        __m512 v = _mm512_maskz_loadu_ps(ck_tail_mask(n - i), x + i);
        __m512d lo = _mm512_cvtps_pd(_mm512_castps512_ps256(v));
        __m512d hi = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
        if (squares) { s0 = _mm512_fmadd_pd(lo, lo, s0); s1 = _mm512_fmadd_pd(hi, hi, s1); }
        else { s0 = _mm512_add_pd(s0, lo); s1 = _mm512_add_pd(s1, hi); }
    }
    return _mm512_reduce_add_pd(_mm512_add_pd(s0, s1));
}
#endif

static double sum_portable(const float *x, int64_t n, int squares) {
    double s[4] = {0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        for (int l = 0; l < 4; l++) {
            double v = x[i + l];
            s[l] += squares ? v * v : v;
        }
    }
    for (int l = 0; i < n; i++, l++) {
        double v = x[i];
        s[l] += squares ? v * v : v;
    }
    return (s[0] + s[2]) + (s[1] + s[3]);
}

double ck_sum(int level, const float *x, int64_t n) {
#if CK_X86
    if (level >= CK_LEVEL_AVX512) return sum_avx512(x, n, 0);
#endif
    return sum_portable(x, n, 0);
}

double ck_sum_squares(int level, const float *x, int64_t n) {
#if CK_X86
    if (level >= CK_LEVEL_AVX512) return sum_avx512(x, n, 1);
#endif
    return sum_portable(x, n, 1);
}
