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

    /// y `[N, out]` = x `[N, in]` · W (+ b).
    func forward(_ x: Tensor, into y: Tensor, _ p: ParameterStore) throws {
        try x.matmul(p.value(weight), transposeOther: layout == .outIn, into: y)
        if let bias {
            p.backend.addBias(y.storage, p.value(bias).storage, rows: y.shape[0], columns: outputSize)
        }
    }

    /// dW += dyᵀ·x (or xᵀ·dy), db += Σ dy, and dx += dy·W (when `dx` is given).
    func backward(x: Tensor, dy: Tensor, dx: Tensor?, _ p: ParameterStore) throws {
        let w = p.value(weight), dw = try p.gradient(weight)
        switch layout {
        case .outIn:
            try dy.matmul(x, transposeSelf: true, into: dw, beta: 1)
            if let dx { try dy.matmul(w, into: dx, beta: 1) }
        case .inOut:
            try x.matmul(dy, transposeSelf: true, into: dw, beta: 1)
            if let dx { try dy.matmul(w, transposeOther: true, into: dx, beta: 1) }
        }
        if let bias {
            p.backend.sumRows(dy.storage, into: try p.gradient(bias).storage,
                              rows: dy.shape[0], columns: outputSize)
        }
    }
}
