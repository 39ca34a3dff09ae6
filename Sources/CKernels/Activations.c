// SwiGLU forward and backward: out = silu(g)·u; dg += dout·u·σ(g)(1 + g(1 − σ(g))),
// du += dout·silu(g).
#include <math.h>
#include "CKernels.h"
#include "VectorMath.h"

#if CK_X86
static CK_AVX512 void swiglu_avx512(const float *g, const float *u, float *out, int64_t n) {
    const __m512 one = _mm512_set1_ps(1.0f);
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 m = ck_tail_mask(n - i);
        __m512 gv = _mm512_maskz_loadu_ps(m, g + i), uv = _mm512_maskz_loadu_ps(m, u + i);
        __m512 sigma = _mm512_div_ps(one, _mm512_add_ps(one, ck_exp512(_mm512_sub_ps(_mm512_setzero_ps(), gv))));
        _mm512_mask_storeu_ps(out + i, m, _mm512_mul_ps(_mm512_mul_ps(gv, sigma), uv));
    }
}

static CK_AVX512 void swiglu_backward_avx512(const float *g, const float *u, const float *dout,
                                             float *dg, float *du, int64_t n) {
    const __m512 one = _mm512_set1_ps(1.0f);
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 m = ck_tail_mask(n - i);
        __m512 gv = _mm512_maskz_loadu_ps(m, g + i), uv = _mm512_maskz_loadu_ps(m, u + i);
        __m512 d = _mm512_maskz_loadu_ps(m, dout + i);
        __m512 sigma = _mm512_div_ps(one, _mm512_add_ps(one, ck_exp512(_mm512_sub_ps(_mm512_setzero_ps(), gv))));
        __m512 silu = _mm512_mul_ps(gv, sigma);
        __m512 slope = _mm512_mul_ps(sigma, _mm512_fmadd_ps(gv, _mm512_sub_ps(one, sigma), one));
        _mm512_mask_storeu_ps(du + i, m, _mm512_fmadd_ps(d, silu, _mm512_maskz_loadu_ps(m, du + i)));
        _mm512_mask_storeu_ps(dg + i, m, _mm512_fmadd_ps(_mm512_mul_ps(d, uv), slope, _mm512_maskz_loadu_ps(m, dg + i)));
    }
}
#endif

void ck_swiglu(int level, const float *gate, const float *up, float *out, int64_t n) {
#if CK_X86
    if (level >= CK_LEVEL_AVX512) { swiglu_avx512(gate, up, out, n); return; }
#endif
    for (int64_t i = 0; i < n; i++) out[i] = gate[i] / (1 + expf(-gate[i])) * up[i];
}

void ck_swiglu_backward(int level, const float *gate, const float *up, const float *dout,
                        float *dgate, float *dup, int64_t n) {
#if CK_X86
    if (level >= CK_LEVEL_AVX512) { swiglu_backward_avx512(gate, up, dout, dgate, dup, n); return; }
#endif
    for (int64_t i = 0; i < n; i++) {
        float g = gate[i], sigma = 1 / (1 + expf(-g));
        dup[i] += dout[i] * g * sigma;
        dgate[i] += dout[i] * up[i] * sigma * (1 + g * (1 - sigma));
    }
}
