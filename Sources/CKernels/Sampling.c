// The O(V) passes of the sampler (Sampler.swift) over one row of the vocabulary: temperature
// scaling, the top-p bucket histogram and its members, and the final draw.
#include <math.h>

#include "CKernels.h"
#include "VectorMath.h"

#if CK_X86
static CK_AVX512 float scale_max_avx512(float *x, int64_t n, float scale) {
    const __m512 s = _mm512_set1_ps(scale), minus = _mm512_set1_ps(-INFINITY);
    __m512 m = minus;
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 mk = ck_tail_mask(n - i);
        __m512 z = _mm512_mul_ps(_mm512_maskz_loadu_ps(mk, x + i), s);
        z = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(z, z, _CMP_UNORD_Q), z, minus);
        _mm512_mask_storeu_ps(x + i, mk, z);
        m = _mm512_mask_max_ps(m, mk, m, z);
    }
    return _mm512_reduce_max_ps(m);
}
#endif

float ck_scale_max(int level, float *x, int64_t n, float scale) {
#if CK_X86
    if (level >= CK_LEVEL_AVX512) return scale_max_avx512(x, n, scale);
#endif
    float m = -INFINITY;
    for (int64_t i = 0; i < n; i++) {
        float z = x[i] * scale;
        x[i] = z != z ? -INFINITY : z;
        m = x[i] > m ? x[i] : m;
    }
    return m;
}

CK_INLINE int64_t bucket_of(float w, int64_t buckets) {
    int64_t b = (int64_t)(w * (float)buckets);
    return b < buckets - 1 ? b : buckets - 1;
}

#if CK_X86
// 16 weights' buckets (as bucket_of; the weights are at most 1, so the products fit in int32),
// and the mask of those that are > 0.
CK_INLINE CK_AVX512 __m512i buckets16(__m512 x, __m512 scale, __m512i last, __mmask16 *positive) {
    *positive = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GT_OQ);
    return _mm512_min_epi32(_mm512_cvttps_epi32(_mm512_mul_ps(x, scale)), last);
}

static CK_AVX512 void bucket_mass_avx512(const float *w, int64_t n, int64_t buckets, double *mass) {
    const __m512 scale = _mm512_set1_ps((float)buckets);
    const __m512i last = _mm512_set1_epi32((int)(buckets - 1));
    int32_t index[16];
    float value[16];
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 mk = ck_tail_mask(n - i), positive;
        __m512 x = _mm512_maskz_loadu_ps(mk, w + i);
        _mm512_storeu_si512(index, buckets16(x, scale, last, &positive));
        _mm512_storeu_ps(value, x);
        for (int l = 0; l < 16; l++) {
            if (positive & (1u << l)) mass[(l & 3) * buckets + index[l]] += (double)value[l];
        }
    }
}

static CK_AVX512 int64_t bucket_members_avx512(const float *w, int64_t n, int64_t buckets, int64_t bucket,
                                               int64_t *members) {
    const __m512 scale = _mm512_set1_ps((float)buckets);
    const __m512i last = _mm512_set1_epi32((int)(buckets - 1)), wanted = _mm512_set1_epi32((int)bucket);
    const __m512i step = _mm512_set1_epi64(8);
    int64_t count = 0;
    __m512i lo = _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7), hi = _mm512_add_epi64(lo, step);
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 mk = ck_tail_mask(n - i), positive;
        __m512i b = buckets16(_mm512_maskz_loadu_ps(mk, w + i), scale, last, &positive);
        __mmask16 in = _mm512_mask_cmpeq_epi32_mask(mk & positive, b, wanted);
        _mm512_mask_compressstoreu_epi64(members + count, (__mmask8)in, lo);
        count += __builtin_popcount(in & 0xFF);
        _mm512_mask_compressstoreu_epi64(members + count, (__mmask8)(in >> 8), hi);
        count += __builtin_popcount(in >> 8);
        lo = _mm512_add_epi64(lo, _mm512_add_epi64(step, step));
        hi = _mm512_add_epi64(hi, _mm512_add_epi64(step, step));
    }
    return count;
}
#endif

void ck_bucket_mass(int level, const float *w, int64_t n, int64_t buckets, double *mass) {
    // Four interleaved histograms (no store-to-load chain when neighbours share a bucket),
    // added together after.
    for (int64_t b = 0; b < 4 * buckets; b++) mass[b] = 0;
#if CK_X86
    if (level >= CK_LEVEL_AVX512) {
        bucket_mass_avx512(w, n, buckets, mass);
    } else
#endif
    {
        for (int64_t i = 0; i < n; i++) {
            float x = w[i];
            if (x > 0) mass[(i & 3) * buckets + bucket_of(x, buckets)] += (double)x;
        }
    }
    for (int64_t b = 0; b < buckets; b++) {
        mass[b] = (mass[b] + mass[buckets + b]) + (mass[2 * buckets + b] + mass[3 * buckets + b]);
    }
}

int64_t ck_bucket_members(int level, const float *w, int64_t n, int64_t buckets, int64_t bucket, int64_t *members) {
#if CK_X86
    if (level >= CK_LEVEL_AVX512) return bucket_members_avx512(w, n, buckets, bucket, members);
#endif
    int64_t count = 0;
    for (int64_t i = 0; i < n; i++) {
        float x = w[i];
        members[count] = i;
        count += x > 0 && bucket_of(x, buckets) == bucket;
    }
    return count;
}

// Blocks of 64 weights: the block's Double sum decides whether the draw lands in it; only
// then is the block walked one weight at a time.
#define DRAW_BLOCK 64

int64_t ck_draw(int level, const float *w, int64_t n, double u) {
    double running = 0;
    for (int64_t j = 0; j < n; j += DRAW_BLOCK) {
        int64_t end = j + DRAW_BLOCK < n ? j + DRAW_BLOCK : n;
        double s = ck_sum(level, w + j, end - j);
        if (running + s <= u) {
            running += s;
            continue;
        }
        for (int64_t i = j; i < end; i++) {
            running += (double)w[i];
            if (w[i] > 0 && running > u) return i;
        }
    }
    // Rounding left u out of reach: the last kept token.
    for (int64_t i = n - 1; i >= 0; i--) {
        if (w[i] > 0) return i;
    }
    return 0;
}
