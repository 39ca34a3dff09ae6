// ck_attend: one query row of decoding attention, against keys and values stored in up to two
// parts (a shared prefix, then the sequence's own rows), with a row stride between keys.
//   s_j = scale · q·k_j,   lse = log Σ_j exp(s_j),   out = Σ_j exp(s_j − lse) · v_j
// Each result depends on the keys and values only, not on where the split between the parts
// falls (every sum runs over the keys in order), so a prefix read from another slot gives
// the same bits as a copy of it.
#include <math.h>
#include "CKernels.h"
#include "VectorMath.h"

// Row j of the keys (or values) in two parts: part 0's n0 rows, then part 1's, rows `stride`
// elements apart.
CK_INLINE const float *part_row(const float *rows0, int64_t n0, const float *rows1, int64_t j, int64_t stride) {
    return j < n0 ? rows0 + j * stride : rows1 + (j - n0) * stride;
}

#if CK_X86
// Rows are `stride` apart (other heads in between), which the hardware prefetcher does not
// follow: fetch columns [c, c + width) of the row 4 ahead of j, when there is one (n rows).
CK_INLINE void prefetch_ahead(const float *rows0, int64_t n0, const float *rows1, int64_t n, int64_t j,
                              int64_t stride, int64_t c, int64_t width) {
    if (j + 4 >= n) return;
    const float *ahead = part_row(rows0, n0, rows1, j + 4, stride) + c;
    for (int64_t x = 0; x < width; x += 16) _mm_prefetch((const char *)(ahead + x), _MM_HINT_T0);
}

// out[0..<d] = Σ_j w[j] · row_j over the n0 rows of part 0, then the n1 rows of part 1 (rows
// `stride` apart), 128 columns at a time in registers. One accumulation runs through both
// parts, so how the keys are split between them does not change the result.
CK_INLINE CK_AVX512 void weighted_rows_avx512(const float *w, const float *rows0, int64_t n0,
                                              const float *rows1, int64_t n1,
                                              int64_t stride, int64_t d, float *out) {
    for (int64_t c = 0; c < d; c += 128) {
        __m512 acc[8];
        int lanes = (int)((d - c + 15) / 16);
        if (lanes > 8) lanes = 8;
        for (int l = 0; l < 8; l++) acc[l] = _mm512_setzero_ps();
        for (int64_t j = 0; j < n0 + n1; j++) {
            __m512 wj = _mm512_set1_ps(w[j]);
            const float *r = part_row(rows0, n0, rows1, j, stride) + c;
            prefetch_ahead(rows0, n0, rows1, n0 + n1, j, stride, c, 16 * lanes);
            for (int l = 0; l < lanes; l++) {
                __mmask16 m = ck_tail_mask(d - c - 16 * l);
                acc[l] = _mm512_fmadd_ps(wj, _mm512_maskz_loadu_ps(m, r + 16 * l), acc[l]);
            }
        }
        for (int l = 0; l < lanes; l++) {
            _mm512_mask_storeu_ps(out + c + 16 * l, ck_tail_mask(d - c - 16 * l), acc[l]);
        }
    }
}

// weighted_rows_avx512 for two weight vectors at once (two query heads sharing the values):
// each value row is loaded once for both, and each output's sum runs in the same order, so
// the bits equal two separate calls.
CK_INLINE CK_AVX512 void weighted_rows2_avx512(const float *w0, const float *w1, const float *rows0, int64_t n0,
                                               const float *rows1, int64_t n1,
                                               int64_t stride, int64_t d, float *out0, float *out1) {
    for (int64_t c = 0; c < d; c += 128) {
        __m512 acc0[8], acc1[8];
        int lanes = (int)((d - c + 15) / 16);
        if (lanes > 8) lanes = 8;
        for (int l = 0; l < 8; l++) acc0[l] = acc1[l] = _mm512_setzero_ps();
        for (int64_t j = 0; j < n0 + n1; j++) {
            __m512 a = _mm512_set1_ps(w0[j]), b = _mm512_set1_ps(w1[j]);
            const float *r = part_row(rows0, n0, rows1, j, stride) + c;
            prefetch_ahead(rows0, n0, rows1, n0 + n1, j, stride, c, 16 * lanes);
            for (int l = 0; l < lanes; l++) {
                __m512 v = _mm512_maskz_loadu_ps(ck_tail_mask(d - c - 16 * l), r + 16 * l);
                acc0[l] = _mm512_fmadd_ps(a, v, acc0[l]);
                acc1[l] = _mm512_fmadd_ps(b, v, acc1[l]);
            }
        }
        for (int l = 0; l < lanes; l++) {
            __mmask16 m = ck_tail_mask(d - c - 16 * l);
            _mm512_mask_storeu_ps(out0 + c + 16 * l, m, acc0[l]);
            _mm512_mask_storeu_ps(out1 + c + 16 * l, m, acc1[l]);
        }
    }
}

// scores[j] *= 1 / Σ (after exp), returning log Σ exp of the raw scores.
CK_INLINE CK_AVX512 float softmax_avx512(float *scores, int64_t n) {
    float m = ck_max(CK_LEVEL_AVX512, scores, n);
    float sum = ck_exp_shift_sum(CK_LEVEL_AVX512, scores, n, m);
    float inverse = 1 / sum;
    for (int64_t j = 0; j < n; j += 16) {
        __mmask16 mk = ck_tail_mask(n - j);
        _mm512_mask_storeu_ps(scores + j, mk, _mm512_mul_ps(_mm512_maskz_loadu_ps(mk, scores + j), _mm512_set1_ps(inverse)));
    }
    return m + logf(sum);
}

// Two query heads (q0, q1) over the same keys: 8 keys × 2 heads per block, whose 16
// accumulators are reduced together. Each score is its own FMA chain along d and ck_reduce16
// adds every vector's lanes in the same pattern, so the scores equal attend_avx512's.
static CK_AVX512 void attend2_avx512(const float *q0, const float *q1, int64_t d, float scale,
                                     const float *k0, const float *v0, int64_t n0,
                                     const float *k1, const float *v1, int64_t n1,
                                     int64_t stride, float *scores0, float *scores1,
                                     float *out0, float *out1, float *lse) {
    int64_t n = n0 + n1;
    for (int64_t j0 = 0; j0 < n; j0 += 8) {
        int count = (int)(n - j0 < 8 ? n - j0 : 8);
        __m512 acc[16];
        for (int t = 0; t < 16; t++) acc[t] = _mm512_setzero_ps();
        for (int t = 0; t < count; t++) {
            int64_t j = j0 + t;
            const float *k = part_row(k0, n0, k1, j, stride);
            prefetch_ahead(k0, n0, k1, n, j, stride, 0, d);
            for (int64_t c = 0; c < d; c += 16) {
                __mmask16 m = ck_tail_mask(d - c);
                __m512 kv = _mm512_maskz_loadu_ps(m, k + c);
                acc[t] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, q0 + c), kv, acc[t]);
                acc[8 + t] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, q1 + c), kv, acc[8 + t]);
            }
        }
        __m512 s = _mm512_mul_ps(_mm512_set1_ps(scale), ck_reduce16(acc));
        __mmask16 mk = ck_tail_mask(count);
        _mm512_mask_storeu_ps(scores0 + j0, mk, s);
        _mm512_mask_storeu_ps(scores1 + j0, mk, _mm512_permutexvar_ps(_mm512_setr_epi32(8, 9, 10, 11, 12, 13, 14, 15,
                                                                                          0, 1, 2, 3, 4, 5, 6, 7), s));
    }
    lse[0] = softmax_avx512(scores0, n);
    lse[1] = softmax_avx512(scores1, n);
    weighted_rows2_avx512(scores0, scores1, v0, n0, v1, n1, stride, d, out0, out1);
}

static CK_AVX512 float attend_avx512(const float *q, int64_t d, float scale,
                                     const float *k0, const float *v0, int64_t n0,
                                     const float *k1, const float *v1, int64_t n1,
                                     int64_t stride, float *scores, float *out) {
    int64_t n = n0 + n1;
    // Scores 16 keys at a time, reduced together (ck_reduce16).
    for (int64_t j0 = 0; j0 < n; j0 += 16) {
        int count = (int)(n - j0 < 16 ? n - j0 : 16);
        __m512 acc[16];
        for (int t = 0; t < 16; t++) acc[t] = _mm512_setzero_ps();
        for (int t = 0; t < count; t++) {
            int64_t j = j0 + t;
            const float *k = part_row(k0, n0, k1, j, stride);
            prefetch_ahead(k0, n0, k1, n, j, stride, 0, d);
            for (int64_t c = 0; c < d; c += 16) {
                __mmask16 m = ck_tail_mask(d - c);
                acc[t] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, q + c), _mm512_maskz_loadu_ps(m, k + c), acc[t]);
            }
        }
        _mm512_mask_storeu_ps(scores + j0, ck_tail_mask(count), _mm512_mul_ps(_mm512_set1_ps(scale), ck_reduce16(acc)));
    }
    float lse = softmax_avx512(scores, n);
    weighted_rows_avx512(scores, v0, n0, v1, n1, stride, d, out);
    return lse;
}
#endif

static float attend_portable(const float *q, int64_t d, float scale,
                             const float *k0, const float *v0, int64_t n0,
                             const float *k1, const float *v1, int64_t n1,
                             int64_t stride, float *scores, float *out) {
    int64_t n = n0 + n1;
    for (int64_t j = 0; j < n; j++) {
        const float *k = part_row(k0, n0, k1, j, stride);
        float s = 0;
        for (int64_t c = 0; c < d; c++) s += q[c] * k[c];
        scores[j] = scale * s;
    }
    float m = ck_max(CK_LEVEL_PORTABLE, scores, n);
    float sum = ck_exp_shift_sum(CK_LEVEL_PORTABLE, scores, n, m);
    float inverse = 1 / sum;
    for (int64_t c = 0; c < d; c++) out[c] = 0;
    for (int64_t j = 0; j < n; j++) {
        const float *v = part_row(v0, n0, v1, j, stride);
        float w = scores[j] * inverse;
        for (int64_t c = 0; c < d; c++) out[c] += w * v[c];
    }
    return m + logf(sum);
}

float ck_attend(int level, const float *q, int64_t d, float scale,
                const float *k0, const float *v0, int64_t n0,
                const float *k1, const float *v1, int64_t n1,
                int64_t stride, float *scores, float *out) {
#if CK_X86
    if (level >= CK_LEVEL_AVX512) return attend_avx512(q, d, scale, k0, v0, n0, k1, v1, n1, stride, scores, out);
#endif
    return attend_portable(q, d, scale, k0, v0, n0, k1, v1, n1, stride, scores, out);
}

void ck_attend_heads(int level, int heads, const float *q, int64_t d, float scale,
                     const float *k0, const float *v0, int64_t n0,
                     const float *k1, const float *v1, int64_t n1,
                     int64_t stride, float *scores, float *out, float *lse) {
    int64_t n = n0 + n1;
    int h = 0;
#if CK_X86
    if (level >= CK_LEVEL_AVX512) {
        for (; h + 2 <= heads; h += 2) {
            attend2_avx512(q + h * d, q + (h + 1) * d, d, scale, k0, v0, n0, k1, v1, n1, stride,
                           scores + h * n, scores + (h + 1) * n, out + h * d, out + (h + 1) * d, lse + h);
        }
    }
#endif
    for (; h < heads; h++) {
        lse[h] = ck_attend(level, q + h * d, d, scale, k0, v0, n0, k1, v1, n1, stride, scores + h * n, out + h * d);
    }
}
