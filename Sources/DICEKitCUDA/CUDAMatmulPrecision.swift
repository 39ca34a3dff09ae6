/// How `CUDABackend.matmul` multiplies (the operands and the result are Float32 in every case).
public enum CUDAMatmulPrecision: String, Sendable, CaseIterable, Codable {
    /// Exact fp32 products and sums (`cublasSgemm`), the default; matches the CPU backend.
    case fp32
    /// Inputs rounded to TF32 (10-bit mantissa) on tensor cores, fp32 accumulation
    /// (`CUBLAS_COMPUTE_32F_FAST_TF32`; Ampere or later).
    case tf32
    /// Inputs rounded to bfloat16 on tensor cores, fp32 accumulation
    /// (`CUBLAS_COMPUTE_32F_FAST_16BF`; Ampere or later).
    case bf16
}
