import CCUDAShim
import DICEKit

// Matrix products through cuBLAS (column-major; see ColumnMajorGEMM for the mapping).

extension CUDABackend {
    /// Batched row-major GEMM `C_b = alpha · op(A_b) · op(B_b) + beta · C_b` (see `Backend.matmul`)
    /// by one strided-batched cuBLAS call on the column-major transpose, at `matmulPrecision`.
    public func matmul(_ a: BufferSlice, transposeA: Bool, _ b: BufferSlice, transposeB: Bool,
                       _ c: BufferSlice, m: Int, n: Int, k: Int, alpha: Float, beta: Float,
                       batch: Int, strideA: Int, strideB: Int, strideC: Int) {
        precondition(m >= 0 && n >= 0 && k >= 0 && batch >= 0, "negative matmul dimension")
        guard batch > 0 && m > 0 && n > 0 else { return }
        precondition((batch - 1) * strideA + m * k <= a.count && (batch - 1) * strideB + k * n <= b.count
                     && (batch - 1) * strideC + m * n <= c.count,
                     "matmul operands smaller than \(batch)×(\(m)×\(k) · \(k)×\(n))")
        let status = gemm(ColumnMajorGEMM(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k),
                          first: address(b), strideFirst: strideB, second: address(a), strideSecond: strideA,
                          result: address(c), strideResult: strideC, alpha: alpha, beta: beta, batch: batch,
                          precision: matmulPrecision)
        precondition(status == 0, "cuBLAS GEMM failed with status \(status) (\(m)×\(k) · \(k)×\(n), batch \(batch))")
    }

    /// Calls cuBLAS directly for row-major `C[M×N] = A[M×K] · Bᵀ` (B stored `N×K`), fp32,
    /// bypassing `matmul`'s checks and precision choice: the yardstick `dice bench kernels`
    /// measures the library's matmul against.
    public func referenceSgemm(_ a: BufferSlice, _ bTransposed: BufferSlice, _ c: BufferSlice,
                               m: Int, n: Int, k: Int) {
        var alpha: Float = 1, beta: Float = 0
        makeCurrent()
        let status = cublas.api.cublasSgemm_v2(cublasHandle, Int32(DK_CUBLAS_OP_T), Int32(DK_CUBLAS_OP_N),
                                               Int32(n), Int32(m), Int32(k), &alpha,
                                               UnsafePointer(bitPattern: UInt(address(bTransposed))), Int32(k),
                                               UnsafePointer(bitPattern: UInt(address(a))), Int32(k), &beta,
                                               UnsafeMutablePointer(bitPattern: UInt(address(c))), Int32(n))
        precondition(status == 0, "cublasSgemm failed with status \(status)")
    }

    /// One (strided-batched) cuBLAS GEMM; returns the cuBLAS status.
    func gemm(_ g: ColumnMajorGEMM, first: DKCUdeviceptr, strideFirst: Int, second: DKCUdeviceptr,
              strideSecond: Int, result: DKCUdeviceptr, strideResult: Int, alpha: Float, beta: Float,
              batch: Int, precision: CUDAMatmulPrecision) -> Int32 {
        makeCurrent()
        var alpha = alpha, beta = beta
        let opFirst = Int32(g.transposeFirst ? DK_CUBLAS_OP_T : DK_CUBLAS_OP_N)
        let opSecond = Int32(g.transposeSecond ? DK_CUBLAS_OP_T : DK_CUBLAS_OP_N)
        let pFirst = UnsafePointer<Float>(bitPattern: UInt(first))
        let pSecond = UnsafePointer<Float>(bitPattern: UInt(second))
        let pResult = UnsafeMutablePointer<Float>(bitPattern: UInt(result))
        let api = cublas.api
        switch precision {
        case .fp32 where batch == 1:
            return api.cublasSgemm_v2(cublasHandle, opFirst, opSecond, Int32(g.m), Int32(g.n), Int32(g.k), &alpha,
                                      pFirst, Int32(g.ldFirst), pSecond, Int32(g.ldSecond), &beta,
                                      pResult, Int32(g.ldResult))
        case .fp32:
            return api.cublasSgemmStridedBatched(cublasHandle, opFirst, opSecond, Int32(g.m), Int32(g.n), Int32(g.k),
                                                 &alpha, pFirst, Int32(g.ldFirst), Int64(strideFirst),
                                                 pSecond, Int32(g.ldSecond), Int64(strideSecond), &beta,
                                                 pResult, Int32(g.ldResult), Int64(strideResult), Int32(batch))
        case .tf32, .bf16:
            let compute = precision == .bf16 ? DK_CUBLAS_COMPUTE_32F_FAST_16BF : DK_CUBLAS_COMPUTE_32F_FAST_TF32
            let f32 = Int32(DK_CUDA_R_32F)
            return api.cublasGemmStridedBatchedEx(cublasHandle, opFirst, opSecond, Int32(g.m), Int32(g.n), Int32(g.k),
                                                  &alpha, pFirst, f32, Int32(g.ldFirst), Int64(strideFirst),
                                                  pSecond, f32, Int32(g.ldSecond), Int64(strideSecond), &beta,
                                                  pResult, f32, Int32(g.ldResult), Int64(strideResult),
                                                  Int32(batch), Int32(compute), Int32(DK_CUBLAS_GEMM_DEFAULT))
        }
    }
}
