/// A dense projection `y = x·Wᵀ + b` with a weight and optional bias from a `ParameterStore`.
///
/// Two weight layouts exist in Hugging Face checkpoints and both are used as stored:
/// `torch.nn.Linear` keeps W as `[out, in]`; GPT-2's `Conv1D` keeps it as `[in, out]`
/// (then `y = x·W + b`).
struct Linear {
    enum Layout { case outIn, inOut }

    let weight: ParameterStore.Entry
    let bias: ParameterStore.Entry?
    let layout: Layout

    var inputSize: Int { layout == .outIn ? weight.shape[1] : weight.shape[0] }
    var outputSize: Int { layout == .outIn ? weight.shape[0] : weight.shape[1] }

    /// y `[N, out]` = x `[N, in]` · W (+ b). `rowwise` (decoding) computes each row of y
    /// independently of N (`Backend.rowwiseMatmul`) for the `[out, in]` layout.
    func forward(_ x: Tensor, into y: Tensor, _ p: ParameterStore, rowwise: Bool = false) throws {
        if rowwise && layout == .outIn {
            try x.rowwiseMatmul(weight: p.value(weight), into: y)
        } else {
            try x.matmul(p.value(weight), transposeOther: layout == .outIn, into: y)
        }
        if let bias { try y.addBias(p.value(bias)) }
    }

    /// dW += dyᵀ·x (or xᵀ·dy), db += Σ dy, and dx += dy·W (when `dx` is given; `dx = dy·W`
    /// when `overwrite`, so that a fresh dx needs no zeroing).
    func backward(x: Tensor, dy: Tensor, dx: Tensor?, _ p: ParameterStore, overwrite: Bool = false) throws {
        let w = p.value(weight), dw = try p.gradient(weight)
        let beta: Float = overwrite ? 0 : 1
        switch layout {
        case .outIn:
            try dy.matmul(x, transposeSelf: true, into: dw, beta: 1)
            if let dx { try dy.matmul(w, into: dx, beta: beta) }
        case .inOut:
            try x.matmul(dy, transposeSelf: true, into: dw, beta: 1)
            if let dx { try dy.matmul(w, transposeOther: true, into: dx, beta: beta) }
        }
        if let bias { try dy.sumRows(into: p.gradient(bias)) }
    }
}
