// The AdamW update (PyTorch's rule, as CPUBackend.adamW documents). The vector version uses
// the same operations in the same order as the scalar one (no fused multiply-adds), so both
// give identical results.
#include <math.h>
#include "CKernels.h"
#include "VectorMath.h"

#if CK_X86
static CK_AVX512 void adamw_avx512(float *p, const float *g, float *m, float *v, int64_t n,
                                   float b1, float b2, float eps, float decay, float stepSize,
                                   float rootCorrection2) {
    const __m512 vb1 = _mm512_set1_ps(b1), vb2 = _mm512_set1_ps(b2);
    const __m512 c1 = _mm512_set1_ps(1 - b1), c2 = _mm512_set1_ps(1 - b2);
    const __m512 ve = _mm512_set1_ps(eps), vd = _mm512_set1_ps(decay);
    const __m512 vs = _mm512_set1_ps(stepSize), vr = _mm512_set1_ps(rootCorrection2);
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 k = ck_tail_mask(n - i);
        __m512 gv = _mm512_maskz_loadu_ps(k, g + i);
        __m512 mi = _mm512_add_ps(_mm512_mul_ps(vb1, _mm512_maskz_loadu_ps(k, m + i)), _mm512_mul_ps(c1, gv));
        __m512 vi = _mm512_add_ps(_mm512_mul_ps(vb2, _mm512_maskz_loadu_ps(k, v + i)),
                                  _mm512_mul_ps(_mm512_mul_ps(c2, gv), gv));
        _mm512_mask_storeu_ps(m + i, k, mi);
        _mm512_mask_storeu_ps(v + i, k, vi);
        __m512 denom = _mm512_add_ps(_mm512_div_ps(_mm512_sqrt_ps(vi), vr), ve);
        __m512 pv = _mm512_sub_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(k, p + i), vd),
                                  _mm512_div_ps(_mm512_mul_ps(vs, mi), denom));
        _mm512_mask_storeu_ps(p + i, k, pv);
    }
}
#endif

void ck_adamw(int level, float *params, const float *grads, float *m, float *v, int64_t n,
              float beta1, float beta2, float epsilon, float decay, float stepSize,
              float rootCorrection2) {
#if CK_X86
    if (level >= CK_LEVEL_AVX512) {
        adamw_avx512(params, grads, m, v, n, beta1, beta2, epsilon, decay, stepSize, rootCorrection2);
        return;
    }
#endif
    for (int64_t i = 0; i < n; i++) {
        float g = grads[i];
        float mi = beta1 * m[i] + (1 - beta1) * g;
        float vi = beta2 * v[i] + (1 - beta2) * g * g;
        m[i] = mi;
        v[i] = vi;
        float denom = sqrtf(vi) / rootCorrection2 + epsilon;
        params[i] = params[i] * decay - stepSize * mi / denom;
    }
}
