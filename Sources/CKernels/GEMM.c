// ck_gemm_nt: C = alpha · A·Bᵀ + beta · C with A [M×K] and B [N×K] both row-major (the
// layout of a torch.nn.Linear weight), computed without packing either operand.
//
// Each element is a dot product along K, accumulated in SIMD lanes and reduced at the end
// (the "tinyBLAS" scheme). Tiles of RM rows of A × RN rows of B keep RM·RN accumulators in
// registers; per step along K they load RM + RN vectors for RM·RN fused multiply-adds. Every
// element is computed by the same instruction sequence whatever its tile, its row count M or
// the column range a caller hands out, so results do not depend on the batch layout or on how
// columns are split over threads.
#include <math.h>
#include "CKernels.h"
#include "Dispatch.h"
#include "VectorMath.h"

// Rows of A per block: the block (rows × K floats) stays in L2 while every column tile of the
// range passes over it.
static int64_t row_block(int64_t k, int64_t rm) {
    int64_t rows = (int64_t)(384 * 1024 / 4) / (k > 0 ? k : 1);
    rows -= rows % rm;
    return rows < rm ? rm : rows;
}

CK_INLINE void store(float *c, float value, float alpha, float beta) {
    *c = beta == 0 ? alpha * value : alpha * value + beta * *c;
}

// MARK: - Portable

// Eight partial sums per element, added pairwise at the end (vectorisable by the compiler).
CK_INLINE float dot_portable(const float *a, const float *b, int64_t k) {
    float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 8 <= k; i += 8) {
        for (int l = 0; l < 8; l++) s[l] += a[i + l] * b[i + l];
    }
    for (int l = 0; i < k; i++, l++) s[l] += a[i] * b[i];
    return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
}

static void gemm_nt_portable(int64_t m, int64_t n0, int64_t n1, int64_t k, float alpha,
                             const float *a, int64_t lda, const float *b, int64_t ldb,
                             float beta, float *c, int64_t ldc) {
    for (int64_t i = 0; i < m; i++) {
        for (int64_t j = n0; j < n1; j++) {
            store(c + i * ldc + j, dot_portable(a + i * lda, b + j * ldb, k), alpha, beta);
        }
    }
}

#if CK_X86

// MARK: - AVX2 (8 lanes, 16 registers: 3×4 tiles)

CK_INLINE CK_AVX2 float hsum256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

CK_INLINE CK_AVX2 __m256i tail_mask256(int64_t r) {
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)r), lanes);
}

CK_INLINE CK_AVX2 void tile_avx2(int rm, int rn, int64_t k, float alpha, const float *a, int64_t lda,
                                 const float *b, int64_t ldb, float beta, float *c, int64_t ldc) {
    __m256 acc[3][4];
    for (int r = 0; r < rm; r++)
        for (int s = 0; s < rn; s++) acc[r][s] = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= k; i += 8) {
        __m256 av[3];
        for (int r = 0; r < rm; r++) av[r] = _mm256_loadu_ps(a + r * lda + i);
        for (int s = 0; s < rn; s++) {
            __m256 bv = _mm256_loadu_ps(b + s * ldb + i);
            for (int r = 0; r < rm; r++) acc[r][s] = _mm256_fmadd_ps(av[r], bv, acc[r][s]);
        }
    }
    if (i < k) {
        __m256i mask = tail_mask256(k - i);
        __m256 av[3];
        for (int r = 0; r < rm; r++) av[r] = _mm256_maskload_ps(a + r * lda + i, mask);
        for (int s = 0; s < rn; s++) {
            __m256 bv = _mm256_maskload_ps(b + s * ldb + i, mask);
            for (int r = 0; r < rm; r++) acc[r][s] = _mm256_fmadd_ps(av[r], bv, acc[r][s]);
        }
    }
    for (int r = 0; r < rm; r++)
        for (int s = 0; s < rn; s++) store(c + r * ldc + s, hsum256(acc[r][s]), alpha, beta);
}

#define CK_TILE_CASE(fn, RM, RN) \
    case (RM) * 16 + (RN): fn(RM, RN, k, alpha, a, lda, b, ldb, beta, c, ldc); break;

static CK_AVX2 void tile_avx2_any(int rm, int rn, int64_t k, float alpha, const float *a, int64_t lda,
                                  const float *b, int64_t ldb, float beta, float *c, int64_t ldc) {
    switch (rm * 16 + rn) {
        CK_TILE_CASE(tile_avx2, 3, 4) CK_TILE_CASE(tile_avx2, 3, 3)
        CK_TILE_CASE(tile_avx2, 3, 2) CK_TILE_CASE(tile_avx2, 3, 1)
        CK_TILE_CASE(tile_avx2, 2, 4) CK_TILE_CASE(tile_avx2, 2, 3)
        CK_TILE_CASE(tile_avx2, 2, 2) CK_TILE_CASE(tile_avx2, 2, 1)
        CK_TILE_CASE(tile_avx2, 1, 4) CK_TILE_CASE(tile_avx2, 1, 3)
        CK_TILE_CASE(tile_avx2, 1, 2) CK_TILE_CASE(tile_avx2, 1, 1)
        default: break;
    }
}

static CK_AVX2 void gemm_nt_avx2(int64_t m, int64_t n0, int64_t n1, int64_t k, float alpha,
                                 const float *a, int64_t lda, const float *b, int64_t ldb,
                                 float beta, float *c, int64_t ldc) {
    const int64_t rmMax = 3, rnMax = 4, block = row_block(k, rmMax);
    for (int64_t i0 = 0; i0 < m; i0 += block) {
        int64_t i1 = i0 + block < m ? i0 + block : m;
        for (int64_t j = n0; j < n1; j += rnMax) {
            int rn = (int)(n1 - j < rnMax ? n1 - j : rnMax);
            for (int64_t i = i0; i < i1; i += rmMax) {
                int rm = (int)(i1 - i < rmMax ? i1 - i : rmMax);
                tile_avx2_any(rm, rn, k, alpha, a + i * lda, lda, b + j * ldb, ldb, beta, c + i * ldc + j, ldc);
            }
        }
    }
}

// MARK: - AVX-512 (16 lanes, 32 registers: 4×6 tiles)

// While a column tile is computed, the next one's rows of B are prefetched: the memory they
// span is dealt out in equal shares to the row tiles, and each row tile requests `per_step`
// cache lines of its share (from `ahead`) in each of its first `ahead_steps` steps along K.
// Requesting them all in the first row tile instead left most arriving late: in a
// decode-step microbenchmark (2 threads, 64 rows, the small model's 57 weights) spreading
// the requests made the step's GEMMs about 15% faster.
CK_INLINE CK_AVX512 void tile_avx512(int rm, int rn, int64_t k, float alpha, const float *a, int64_t lda,
                                     const float *b, int64_t ldb, float beta, float *c, int64_t ldc,
                                     const float *ahead, int64_t ahead_steps, int64_t per_step) {
    __m512 acc[4][6];
    for (int r = 0; r < rm; r++)
        for (int s = 0; s < rn; s++) acc[r][s] = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= k; i += 16) {
        if (i < ahead_steps * 16) {
            for (int64_t q = 0; q < per_step; q++) _mm_prefetch((const char *)(ahead + i * per_step + q * 16), _MM_HINT_T0);
        }
        __m512 av[4];
        for (int r = 0; r < rm; r++) av[r] = _mm512_loadu_ps(a + r * lda + i);
        for (int s = 0; s < rn; s++) {
            __m512 bv = _mm512_loadu_ps(b + s * ldb + i);
            for (int r = 0; r < rm; r++) acc[r][s] = _mm512_fmadd_ps(av[r], bv, acc[r][s]);
        }
    }
    if (i < k) {
        __mmask16 mask = (__mmask16)((1u << (k - i)) - 1);
        __m512 av[4];
        for (int r = 0; r < rm; r++) av[r] = _mm512_maskz_loadu_ps(mask, a + r * lda + i);
        for (int s = 0; s < rn; s++) {
            __m512 bv = _mm512_maskz_loadu_ps(mask, b + s * ldb + i);
            for (int r = 0; r < rm; r++) acc[r][s] = _mm512_fmadd_ps(av[r], bv, acc[r][s]);
        }
    }
    // Slot r·6 + s of two transposing reductions (unused slots hold zeros).
    __m512 flat[32];
    float sums[32];
    for (int i = 0; i < 32; i++) flat[i] = _mm512_setzero_ps();
    for (int r = 0; r < rm; r++)
        for (int s = 0; s < rn; s++) flat[r * 6 + s] = acc[r][s];
    _mm512_storeu_ps(sums, ck_reduce16(flat));
    if (rm > 2 || (rm == 2 && rn > 4)) _mm512_storeu_ps(sums + 16, ck_reduce16(flat + 16));
    for (int r = 0; r < rm; r++)
        for (int s = 0; s < rn; s++) store(c + r * ldc + s, sums[r * 6 + s], alpha, beta);
}

#define CK_TILE512(RM, RN) \
    case (RM) * 16 + (RN): tile_avx512(RM, RN, k, alpha, a, lda, b, ldb, beta, c, ldc, ahead, ahead_steps, per_step); break;

static CK_AVX512 void tile_avx512_any(int rm, int rn, int64_t k, float alpha, const float *a, int64_t lda,
                                      const float *b, int64_t ldb, float beta, float *c, int64_t ldc,
                                      const float *ahead, int64_t ahead_steps, int64_t per_step) {
    switch (rm * 16 + rn) {
        CK_TILE512(4, 6) CK_TILE512(4, 5) CK_TILE512(4, 4) CK_TILE512(4, 3) CK_TILE512(4, 2) CK_TILE512(4, 1)
        CK_TILE512(3, 6) CK_TILE512(3, 5) CK_TILE512(3, 4) CK_TILE512(3, 3) CK_TILE512(3, 2) CK_TILE512(3, 1)
        CK_TILE512(2, 6) CK_TILE512(2, 5) CK_TILE512(2, 4) CK_TILE512(2, 3) CK_TILE512(2, 2) CK_TILE512(2, 1)
        CK_TILE512(1, 6) CK_TILE512(1, 5) CK_TILE512(1, 4) CK_TILE512(1, 3) CK_TILE512(1, 2) CK_TILE512(1, 1)
        default: break;
    }
}

static CK_AVX512 void gemm_nt_avx512(int64_t m, int64_t n0, int64_t n1, int64_t k, float alpha,
                                     const float *a, int64_t lda, const float *b, int64_t ldb,
                                     float beta, float *c, int64_t ldc) {
    const int64_t rmMax = 4, rnMax = 6, block = row_block(k, rmMax);
    for (int64_t i0 = 0; i0 < m; i0 += block) {
        int64_t i1 = i0 + block < m ? i0 + block : m;
        for (int64_t j = n0; j < n1; j += rnMax) {
            int rn = (int)(n1 - j < rnMax ? n1 - j : rnMax);
            // The next tile's rows span `lines` cache lines (with the gaps when ldb > k).
            int64_t nextRows = n1 - (j + rnMax) < rnMax ? n1 - (j + rnMax) : rnMax;
            int64_t lines = nextRows > 0 ? ((nextRows - 1) * ldb + k + 15) / 16 : 0;
            int64_t tiles = (i1 - i0 + rmMax - 1) / rmMax, share = (lines + tiles - 1) / tiles;
            int64_t steps = k / 16, perStep = steps > 0 ? (share + steps - 1) / steps : 0;
            for (int64_t i = i0, first = 0; i < i1; i += rmMax, first += share) {
                int rm = (int)(i1 - i < rmMax ? i1 - i : rmMax);
                int64_t mine = first >= lines ? 0 : (lines - first < share ? lines - first : share);
                int64_t aheadSteps = perStep > 0 ? (mine + perStep - 1) / perStep : 0;
                tile_avx512_any(rm, rn, k, alpha, a + i * lda, lda, b + j * ldb, ldb, beta, c + i * ldc + j, ldc,
                                b + (j + rnMax) * ldb + first * 16, aheadSteps, perStep);
            }
        }
    }
}

#endif

void ck_gemm_nt(int level, int64_t m, int64_t n0, int64_t n1, int64_t k, float alpha,
                const float *a, int64_t lda, const float *b, int64_t ldb,
                float beta, float *c, int64_t ldc) {
    if (m <= 0 || n1 <= n0) return;
#if CK_X86
    if (level >= CK_LEVEL_AVX512) { gemm_nt_avx512(m, n0, n1, k, alpha, a, lda, b, ldb, beta, c, ldc); return; }
    if (level >= CK_LEVEL_AVX2) { gemm_nt_avx2(m, n0, n1, k, alpha, a, lda, b, ldb, beta, c, ldc); return; }
#endif
    gemm_nt_portable(m, n0, n1, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

// MARK: - X·W, row-wise (ck_gemm_nn_rowwise)

static void gemm_nn_rowwise_portable(int64_t m, int64_t n0, int64_t n1, int64_t k, const float *x, int64_t ldx,
                                     const float *w, int64_t ldw, float *y, int64_t ldy) {
    for (int64_t i = 0; i < m; i++) {
        for (int64_t j = n0; j < n1; j++) {
            float acc = 0;
            for (int64_t p = 0; p < k; p++) acc = fmaf(x[i * ldx + p], w[p * ldw + j], acc);
            y[i * ldy + j] = acc;
        }
    }
}

#if CK_X86

// Tiles of up to 4 rows × 16 columns (8 accumulators): per step along p, two loads of W's row
// and four broadcasts of X feed eight fused multiply-adds; a partial column block is masked.
static CK_AVX2 void gemm_nn_rowwise_avx2(int64_t m, int64_t n0, int64_t n1, int64_t k, const float *x, int64_t ldx,
                                         const float *w, int64_t ldw, float *y, int64_t ldy) {
    for (int64_t j = n0; j < n1; j += 16) {
        int64_t cols = n1 - j < 16 ? n1 - j : 16;
        __m256i m0 = tail_mask256(cols), m1 = tail_mask256(cols - 8);
        for (int64_t i = 0; i < m; i += 4) {
            int rm = (int)(m - i < 4 ? m - i : 4);
            __m256 acc[4][2];
            for (int r = 0; r < 4; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
            for (int64_t p = 0; p < k; p++) {
                const float *wr = w + p * ldw + j;
                __m256 w0 = _mm256_maskload_ps(wr, m0), w1 = _mm256_maskload_ps(wr + 8, m1);
                for (int r = 0; r < rm; r++) {
                    __m256 xv = _mm256_broadcast_ss(x + (i + r) * ldx + p);
                    acc[r][0] = _mm256_fmadd_ps(xv, w0, acc[r][0]);
                    acc[r][1] = _mm256_fmadd_ps(xv, w1, acc[r][1]);
                }
            }
            for (int r = 0; r < rm; r++) {
                _mm256_maskstore_ps(y + (i + r) * ldy + j, m0, acc[r][0]);
                _mm256_maskstore_ps(y + (i + r) * ldy + j + 8, m1, acc[r][1]);
            }
        }
    }
}

#endif

void ck_gemm_nn_rowwise(int level, int64_t m, int64_t n0, int64_t n1, int64_t k,
                        const float *x, int64_t ldx, const float *w, int64_t ldw, float *y, int64_t ldy) {
    if (m <= 0 || n1 <= n0) return;
#if CK_X86
    if (level >= CK_LEVEL_AVX2) { gemm_nn_rowwise_avx2(m, n0, n1, k, x, ldx, w, ldw, y, ldy); return; }
#endif
    (void)level;
    gemm_nn_rowwise_portable(m, n0, n1, k, x, ldx, w, ldw, y, ldy);
}
