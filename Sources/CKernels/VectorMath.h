// Vectorised exp for the kernel files (AVX-512), and its scalar counterpart.
//
// exp(x) = 2^n · e^r with n = round(x·log2 e), r = x − n·ln 2 (ln 2 split in two for
// accuracy) and e^r from Cephes' degree-6 polynomial (about 1 ulp on the reduced range);
// _mm512_scalef_ps applies 2^n with correct overflow to +∞ and underflow to 0. NaN propagates.
#ifndef CKERNELS_VECTOR_MATH_H
#define CKERNELS_VECTOR_MATH_H

#include "Dispatch.h"

#if CK_X86
CK_INLINE CK_AVX512 __m512 ck_exp512(__m512 x) {
    x = _mm512_max_ps(_mm512_set1_ps(-104.0f), x);
    x = _mm512_min_ps(_mm512_set1_ps(89.0f), x);
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    return _mm512_scalef_ps(p, n);
}

// Lane i of the result is the sum of the 16 lanes of v[i] (a transposing reduction tree:
// 31 shuffles and 15 adds for 16 vectors instead of 64 + 64). Every vector's lanes are added
// in the same pattern whatever its position, so the sums do not depend on it.
CK_INLINE CK_AVX512 __m512 ck_reduce16(const __m512 *v) {
    __m512 w[8], x[4], y[2];
    for (int i = 0; i < 8; i++) {
        __m512 a = v[2 * i], b = v[2 * i + 1];
        w[i] = _mm512_add_ps(_mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(1, 0, 1, 0)),
                             _mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(3, 2, 3, 2)));
    }
    for (int i = 0; i < 4; i++) {
        __m512 a = w[2 * i], b = w[2 * i + 1];
        x[i] = _mm512_add_ps(_mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(2, 0, 2, 0)),
                             _mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(3, 1, 3, 1)));
    }
    for (int i = 0; i < 2; i++) {
        __m512 a = x[2 * i], b = x[2 * i + 1];
        y[i] = _mm512_add_ps(_mm512_unpacklo_ps(a, b), _mm512_unpackhi_ps(a, b));
    }
    __m512 r = _mm512_add_ps(_mm512_shuffle_ps(y[0], y[1], _MM_SHUFFLE(1, 0, 1, 0)),
                             _mm512_shuffle_ps(y[0], y[1], _MM_SHUFFLE(3, 2, 3, 2)));
    // Lane 4j + t now holds the sum of v[4t + j].
    const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    return _mm512_permutexvar_ps(order, r);
}

CK_INLINE CK_AVX512 __mmask16 ck_tail_mask(int64_t remaining) {
    return remaining >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << remaining) - 1);
}
#endif

#endif
