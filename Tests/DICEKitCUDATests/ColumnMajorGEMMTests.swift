import DICEKit
import Testing
@testable import DICEKitCUDA

/// The row-major → column-major mapping of `matmul` onto cuBLAS, checked without a GPU: a
/// naive column-major GEMM with BLAS semantics (the oracle of what cuBLAS computes) runs on the
/// row-major buffers with the mapped arguments and must give the row-major product.
@Suite("Row-major matmul as a cuBLAS call")
struct ColumnMajorGEMMTests {
    /// Column-major `C = alpha · op(X) · op(Y) + beta · C`, reference BLAS semantics.
    func columnMajorGEMM(transX: Bool, transY: Bool, m: Int, n: Int, k: Int, alpha: Double,
                         x: [Double], ldx: Int, y: [Double], ldy: Int, beta: Double,
                         c: inout [Double], ldc: Int) {
        for j in 0..<n {
            for i in 0..<m {
                var s = 0.0
                for p in 0..<k {
                    let xv = transX ? x[p + i * ldx] : x[i + p * ldx]
                    let yv = transY ? y[j + p * ldy] : y[p + j * ldy]
                    s += xv * yv
                }
                c[i + j * ldc] = alpha * s + beta * c[i + j * ldc]
            }
        }
    }

    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func mappingComputesTheRowMajorProduct(transposeA: Bool, transposeB: Bool) {
        var rng = SplitMix64(seed: 7)
        for (m, n, k) in [(3, 5, 4), (1, 7, 2), (6, 1, 3), (4, 4, 1)] {
            let a = (0..<(m * k)).map { _ in Double(rng.nextFloat()) - 0.5 }
            let b = (0..<(k * n)).map { _ in Double(rng.nextFloat()) - 0.5 }
            let c0 = (0..<(m * n)).map { _ in Double(rng.nextFloat()) - 0.5 }
            // Row-major oracle: C = 1.5 · op(A) · op(B) + 0.5 · C0.
            var want = c0
            for i in 0..<m {
                for j in 0..<n {
                    var s = 0.0
                    for p in 0..<k {
                        s += (transposeA ? a[p * m + i] : a[i * k + p]) * (transposeB ? b[j * k + p] : b[p * n + j])
                    }
                    want[i * n + j] = 1.5 * s + 0.5 * c0[i * n + j]
                }
            }
            let g = ColumnMajorGEMM(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k)
            var got = c0
            columnMajorGEMM(transX: g.transposeFirst, transY: g.transposeSecond, m: g.m, n: g.n, k: g.k, alpha: 1.5,
                            x: b, ldx: g.ldFirst, y: a, ldy: g.ldSecond, beta: 0.5, c: &got, ldc: g.ldResult)
            let err = zip(got, want).map { abs($0 - $1) }.max() ?? 0
            #expect(err < 1e-12, "m \(m) n \(n) k \(k) transposeA \(transposeA) transposeB \(transposeB): max error \(err)")
        }
    }
}
