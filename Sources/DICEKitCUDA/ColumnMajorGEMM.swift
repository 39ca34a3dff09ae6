/// The column-major cuBLAS call that computes a row-major product.
///
/// A row-major matrix read as column-major is its transpose, so the row-major
/// `C[M×N] = op(A) · op(B)` is the column-major `Cᵀ[N×M] = op(B)ᵀ · op(A)ᵀ`: cuBLAS is called
/// with B first and A second, the dimensions M and N swapped, each operand keeping its own
/// transpose flag, and the row-major leading dimensions (the stored row lengths).
struct ColumnMajorGEMM: Equatable {
    /// Transpose flag of the first cuBLAS operand (the row-major B).
    var transposeFirst: Bool
    /// Transpose flag of the second cuBLAS operand (the row-major A).
    var transposeSecond: Bool
    /// cuBLAS's m, n, k: rows of the column-major result (= N), its columns (= M), the inner size.
    var m: Int, n: Int, k: Int
    /// Leading dimensions of the first operand (B), the second (A) and the result.
    var ldFirst: Int, ldSecond: Int, ldResult: Int

    /// The call for row-major `C[M×N] = op(A)[M×K] · op(B)[K×N]`, A stored `K×M` when
    /// `transposeA`, B stored `N×K` when `transposeB`.
    init(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int) {
        transposeFirst = transposeB
        transposeSecond = transposeA
        self.m = n
        self.n = m
        self.k = k
        ldFirst = max(1, transposeB ? k : n)
        ldSecond = max(1, transposeA ? m : k)
        ldResult = max(1, n)
    }
}
