// ck_gemm_nt_bf16: C = alpha · A·Bᵀ + beta · C with A [M×K] and B [N×K] row-major bfloat16
// and C Float32, every product accumulated in Float32; and the Float32 ↔ bfloat16 conversions
// that feed it.
//
// The same "tinyBLAS" scheme as ck_gemm_nt (GEMM.c): each element is a dot product along K in
// SIMD lanes, reduced at the end, tiles of RM rows of A × RN rows of B held in registers. With
// AVX512-BF16, VDPBF16PS multiplies 32 bfloat16 pairs per instruction (twice the lanes of a
// Float32 FMA) and adds each adjacent pair of products into one Float32 lane. Without it, the
// AVX-512 and portable versions widen bfloat16 to Float32 (exact) and use FMAs: the products
// are the same (a product of two bfloat16 values is exact in Float32), the sums may differ in
// the last bits (another order, and VDPBF16PS flushes denormals).
#include <stdlib.h>
#include "CKernels.h"
#include "Dispatch.h"
#include "VectorMath.h"

#if CK_X86
#define CK_AVX512BF16 __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,avx512bf16,avx2,fma")))
#define CK_AVX512BW __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,avx2,fma")))
#endif

int ck_bf16_supported(void) {
#if CK_X86
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("avx512bw")
        && ck_best_level() >= CK_LEVEL_AVX512;
#else
    return 0;
#endif
}

// MARK: - Conversions

// Round to nearest even; NaN stays NaN (quiet), ±∞ stays ±∞.
CK_INLINE uint16_t to_bf16(float x) {
    union { float f; uint32_t u; } v = { x };
    if ((v.u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((v.u >> 16) | 0x40u);
    return (uint16_t)((v.u + 0x7fffu + ((v.u >> 16) & 1u)) >> 16);
}

CK_INLINE float from_bf16(uint16_t h) {
    union { uint32_t u; float f; } v = { (uint32_t)h << 16 };
    return v.f;
}

#if CK_X86
// The same rounding as to_bf16, 16 lanes at a time.
CK_INLINE CK_AVX512BW __m256i to_bf16_512(__m512 x) {
    __m512i u = _mm512_castps_si512(x);
    __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
    __m512i rounded = _mm512_srli_epi32(_mm512_add_epi32(u, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7fff))), 16);
    __m512i quiet = _mm512_or_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(0x40));
    __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(u, _mm512_set1_epi32(0x7fffffff)),
                                            _mm512_set1_epi32(0x7f800000));
    return _mm512_cvtepi32_epi16(_mm512_mask_blend_epi32(nan, rounded, quiet));
}

static CK_AVX512BW void to_bf16_avx512(const float *x, uint16_t *y, int64_t n) {
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) _mm256_storeu_si256((__m256i *)(y + i), to_bf16_512(_mm512_loadu_ps(x + i)));
    for (; i < n; i++) y[i] = to_bf16(x[i]);
}
#endif

void ck_f32_to_bf16(int level, const float *x, uint16_t *y, int64_t n) {
#if CK_X86
    if (level >= CK_LEVEL_AVX512) { to_bf16_avx512(x, y, n); return; }
#endif
    (void)level;
    for (int64_t i = 0; i < n; i++) y[i] = to_bf16(x[i]);
}

void ck_bf16_to_f32(const uint16_t *x, float *y, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] = from_bf16(x[i]);
}

// Blocks of 32×32 keep both sides' lines in L1 while they are read and written.
void ck_f32_to_bf16_transposed(int64_t rows, int64_t columns, const float *x, int64_t ldx,
                               uint16_t *y, int64_t ldy) {
    for (int64_t r0 = 0; r0 < rows; r0 += 32) {
        int64_t r1 = r0 + 32 < rows ? r0 + 32 : rows;
        for (int64_t c0 = 0; c0 < columns; c0 += 32) {
            int64_t c1 = c0 + 32 < columns ? c0 + 32 : columns;
            for (int64_t c = c0; c < c1; c++)
                for (int64_t r = r0; r < r1; r++) y[c * ldy + r] = to_bf16(x[r * ldx + c]);
        }
    }
}

void ck_bf16_transposed(int64_t rows, int64_t columns, const uint16_t *x, int64_t ldx,
                        uint16_t *y, int64_t ldy) {
    for (int64_t r0 = 0; r0 < rows; r0 += 32) {
        int64_t r1 = r0 + 32 < rows ? r0 + 32 : rows;
        for (int64_t c0 = 0; c0 < columns; c0 += 32) {
            int64_t c1 = c0 + 32 < columns ? c0 + 32 : columns;
            for (int64_t c = c0; c < c1; c++)
                for (int64_t r = r0; r < r1; r++) y[c * ldy + r] = x[r * ldx + c];
        }
    }
}

// MARK: - GEMM

CK_INLINE void store_bf(float *c, float value, float alpha, float beta) {
    *c = beta == 0 ? alpha * value : alpha * value + beta * *c;
}

// Rows of A per block: the block (rows × K bfloat16) stays in L2 while every column tile of
// the range passes over it.
static int64_t row_block_bf16(int64_t k, int64_t rm) {
    int64_t rows = (int64_t)(384 * 1024 / 2) / (k > 0 ? k : 1);
    rows -= rows % rm;
    return rows < rm ? rm : rows;
}

static void gemm_nt_bf16_portable(int64_t m, int64_t n0, int64_t n1, int64_t k, float alpha,
                                  const uint16_t *a, int64_t lda, const uint16_t *b, int64_t ldb,
                                  float beta, float *c, int64_t ldc) {
    for (int64_t i = 0; i < m; i++) {
        for (int64_t j = n0; j < n1; j++) {
            float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
            const uint16_t *ar = a + i * lda, *br = b + j * ldb;
            int64_t p = 0;
            for (; p + 8 <= k; p += 8)
                for (int l = 0; l < 8; l++) s[l] += from_bf16(ar[p + l]) * from_bf16(br[p + l]);
            for (int l = 0; p < k; p++, l++) s[l] += from_bf16(ar[p]) * from_bf16(br[p]);
            store_bf(c + i * ldc + j, ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7])), alpha, beta);
        }
    }
}

#if CK_X86

// Stores the tile's rm × rn sums (slot r·6 + s of two transposing reductions).
CK_INLINE CK_AVX512 void store_tile(int rm, int rn, __m512 acc[4][6], float alpha, float beta,
                                    float *c, int64_t ldc) {
    __m512 flat[32];
    float sums[32];
    for (int i = 0; i < 32; i++) flat[i] = _mm512_setzero_ps();
    for (int r = 0; r < rm; r++)
        for (int s = 0; s < rn; s++) flat[r * 6 + s] = acc[r][s];
    _mm512_storeu_ps(sums, ck_reduce16(flat));
    if (rm > 2 || (rm == 2 && rn > 4)) _mm512_storeu_ps(sums + 16, ck_reduce16(flat + 16));
    for (int r = 0; r < rm; r++)
        for (int s = 0; s < rn; s++) store_bf(c + r * ldc + s, sums[r * 6 + s], alpha, beta);
}

// MARK: AVX512-BF16 (32 bfloat16 per step, 4×6 tiles)

CK_INLINE CK_AVX512BF16 void tile_bf16(int rm, int rn, int64_t k, float alpha, const uint16_t *a, int64_t lda,
                                       const uint16_t *b, int64_t ldb, float beta, float *c, int64_t ldc) {
    __m512 acc[4][6];
    for (int r = 0; r < rm; r++)
        for (int s = 0; s < rn; s++) acc[r][s] = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= k; i += 32) {
        __m512bh av[4];
        for (int r = 0; r < rm; r++) av[r] = (__m512bh)_mm512_loadu_si512(a + r * lda + i);
        for (int s = 0; s < rn; s++) {
            __m512bh bv = (__m512bh)_mm512_loadu_si512(b + s * ldb + i);
            for (int r = 0; r < rm; r++) acc[r][s] = _mm512_dpbf16_ps(acc[r][s], av[r], bv);
        }
    }
    if (i < k) {
        __mmask32 mask = (__mmask32)((1ull << (k - i)) - 1);
        __m512bh av[4];
        for (int r = 0; r < rm; r++) av[r] = (__m512bh)_mm512_maskz_loadu_epi16(mask, a + r * lda + i);
        for (int s = 0; s < rn; s++) {
            __m512bh bv = (__m512bh)_mm512_maskz_loadu_epi16(mask, b + s * ldb + i);
            for (int r = 0; r < rm; r++) acc[r][s] = _mm512_dpbf16_ps(acc[r][s], av[r], bv);
        }
    }
    store_tile(rm, rn, acc, alpha, beta, c, ldc);
}

// MARK: AVX-512 without BF16 (16 widened bfloat16 per step, 4×6 tiles)

CK_INLINE CK_AVX512BW __m512 widen(const uint16_t *p, __mmask16 mask) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(mask, p)), 16));
}

CK_INLINE CK_AVX512BW void tile_widen(int rm, int rn, int64_t k, float alpha, const uint16_t *a, int64_t lda,
                                      const uint16_t *b, int64_t ldb, float beta, float *c, int64_t ldc) {
    __m512 acc[4][6];
    for (int r = 0; r < rm; r++)
        for (int s = 0; s < rn; s++) acc[r][s] = _mm512_setzero_ps();
    for (int64_t i = 0; i < k; i += 16) {
        __mmask16 mask = ck_tail_mask(k - i);
        __m512 av[4];
        for (int r = 0; r < rm; r++) av[r] = widen(a + r * lda + i, mask);
        for (int s = 0; s < rn; s++) {
            __m512 bv = widen(b + s * ldb + i, mask);
            for (int r = 0; r < rm; r++) acc[r][s] = _mm512_fmadd_ps(av[r], bv, acc[r][s]);
        }
    }
    store_tile(rm, rn, acc, alpha, beta, c, ldc);
}

#define CK_TILEBF(FN, RM, RN) \
    case (RM) * 16 + (RN): FN(RM, RN, k, alpha, a, lda, b, ldb, beta, c, ldc); break;
#define CK_TILEBF_ALL(FN) \
    CK_TILEBF(FN, 4, 6) CK_TILEBF(FN, 4, 5) CK_TILEBF(FN, 4, 4) CK_TILEBF(FN, 4, 3) CK_TILEBF(FN, 4, 2) CK_TILEBF(FN, 4, 1) \
    CK_TILEBF(FN, 3, 6) CK_TILEBF(FN, 3, 5) CK_TILEBF(FN, 3, 4) CK_TILEBF(FN, 3, 3) CK_TILEBF(FN, 3, 2) CK_TILEBF(FN, 3, 1) \
    CK_TILEBF(FN, 2, 6) CK_TILEBF(FN, 2, 5) CK_TILEBF(FN, 2, 4) CK_TILEBF(FN, 2, 3) CK_TILEBF(FN, 2, 2) CK_TILEBF(FN, 2, 1) \
    CK_TILEBF(FN, 1, 6) CK_TILEBF(FN, 1, 5) CK_TILEBF(FN, 1, 4) CK_TILEBF(FN, 1, 3) CK_TILEBF(FN, 1, 2) CK_TILEBF(FN, 1, 1)

// MARK: AVX2 (bfloat16 widened to Float32, then ck_gemm_nt's AVX2 kernel)

// Widening inside the tile kernel costs two vector instructions per loaded row and step, on
// the ports the multiply-adds need (measured: about half the Float32 kernel's speed). Instead A
// is widened once, and B in panels of columns small enough to stay in L2, and the Float32 AVX2
// kernel runs on the widened values: the same products and sums in the same order for every
// element whatever the tiling, and B still read from memory as bfloat16 once per panel.
static CK_AVX2 void widen_rows(int64_t rows, int64_t k, const uint16_t *x, int64_t ldx, float *y) {
    for (int64_t r = 0; r < rows; r++) {
        const uint16_t *src = x + r * ldx;
        float *dst = y + r * k;
        int64_t i = 0;
        for (; i + 8 <= k; i += 8) {
            __m256i w = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(src + i)));
            _mm256_storeu_ps(dst + i, _mm256_castsi256_ps(_mm256_slli_epi32(w, 16)));
        }
        for (; i < k; i++) dst[i] = from_bf16(src[i]);
    }
}

// 0 when the scratch memory could not be had (the caller falls back to the portable kernel).
static int gemm_nt_bf16_avx2(int64_t m, int64_t n0, int64_t n1, int64_t k, float alpha,
                             const uint16_t *a, int64_t lda, const uint16_t *b, int64_t ldb,
                             float beta, float *c, int64_t ldc) {
    int64_t panel = (int64_t)(128 * 1024 / 4) / (k > 0 ? k : 1);
    panel -= panel % 4;
    if (panel < 4) panel = 4;
    if (panel > n1 - n0) panel = n1 - n0;
    float *aw = malloc((size_t)(m * k > 0 ? m * k : 1) * sizeof(float));
    float *bw = malloc((size_t)(panel * k > 0 ? panel * k : 1) * sizeof(float));
    if (!aw || !bw) {
        free(aw);
        free(bw);
        return 0;
    }
    widen_rows(m, k, a, lda, aw);
    for (int64_t j0 = n0; j0 < n1; j0 += panel) {
        int64_t nc = n1 - j0 < panel ? n1 - j0 : panel;
        widen_rows(nc, k, b + j0 * ldb, ldb, bw);
        ck_gemm_nt(CK_LEVEL_AVX2, m, 0, nc, k, alpha, aw, k, bw, k, beta, c + j0, ldc);
    }
    free(aw);
    free(bw);
    return 1;
}

static CK_AVX512BF16 void tile_bf16_any(int rm, int rn, int64_t k, float alpha, const uint16_t *a, int64_t lda,
                                        const uint16_t *b, int64_t ldb, float beta, float *c, int64_t ldc) {
    switch (rm * 16 + rn) {
        CK_TILEBF_ALL(tile_bf16)
        default: break;
    }
}

static CK_AVX512BW void tile_widen_any(int rm, int rn, int64_t k, float alpha, const uint16_t *a, int64_t lda,
                                       const uint16_t *b, int64_t ldb, float beta, float *c, int64_t ldc) {
    switch (rm * 16 + rn) {
        CK_TILEBF_ALL(tile_widen)
        default: break;
    }
}

typedef void (*tile_fn)(int, int, int64_t, float, const uint16_t *, int64_t, const uint16_t *, int64_t,
                        float, float *, int64_t);

static void gemm_nt_bf16_tiled(tile_fn tile, int64_t m, int64_t n0, int64_t n1, int64_t k, float alpha,
                               const uint16_t *a, int64_t lda, const uint16_t *b, int64_t ldb,
                               float beta, float *c, int64_t ldc) {
    const int64_t rmMax = 4, rnMax = 6, block = row_block_bf16(k, rmMax);
    for (int64_t i0 = 0; i0 < m; i0 += block) {
        int64_t i1 = i0 + block < m ? i0 + block : m;
        for (int64_t j = n0; j < n1; j += rnMax) {
            int rn = (int)(n1 - j < rnMax ? n1 - j : rnMax);
            for (int64_t i = i0; i < i1; i += rmMax) {
                int rm = (int)(i1 - i < rmMax ? i1 - i : rmMax);
                tile(rm, rn, k, alpha, a + i * lda, lda, b + j * ldb, ldb, beta, c + i * ldc + j, ldc);
            }
        }
    }
}

#endif

void ck_gemm_nt_bf16(int level, int64_t m, int64_t n0, int64_t n1, int64_t k, float alpha,
                     const uint16_t *a, int64_t lda, const uint16_t *b, int64_t ldb,
                     float beta, float *c, int64_t ldc) {
    if (m <= 0 || n1 <= n0) return;
#if CK_X86
    if (level >= CK_LEVEL_AVX512_BF16) {
        gemm_nt_bf16_tiled(tile_bf16_any, m, n0, n1, k, alpha, a, lda, b, ldb, beta, c, ldc);
        return;
    }
    if (level >= CK_LEVEL_AVX512) {
        gemm_nt_bf16_tiled(tile_widen_any, m, n0, n1, k, alpha, a, lda, b, ldb, beta, c, ldc);
        return;
    }
    if (level >= CK_LEVEL_AVX2 && gemm_nt_bf16_avx2(m, n0, n1, k, alpha, a, lda, b, ldb, beta, c, ldc)) return;
#endif
    gemm_nt_bf16_portable(m, n0, n1, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
