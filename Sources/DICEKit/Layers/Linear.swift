/// A dense projection `y = x·Wᵀ + b` with a weight and optional bias from a `ParameterStore`,
/// plus the LoRA adapter of its module when the store has an adapter attached.
///
/// Two weight layouts exist in Hugging Face checkpoints and both are used as stored:
/// `torch.nn.Linear` keeps W as `[out, in]`; GPT-2's `Conv1D` keeps it as `[in, out]`
/// (then `y = x·W + b`).
struct Linear {
    enum Layout { case outIn, inOut }

    let weight: ParameterStore.Entry
    let bias: ParameterStore.Entry?
    let layout: Layout
    /// The module path (`model.layers.0.self_attn.q_proj`): what a LoRA adapter is keyed by.
    let module: String

    var inputSize: Int { layout == .outIn ? weight.shape[1] : weight.shape[0] }
    var outputSize: Int { layout == .outIn ? weight.shape[0] : weight.shape[1] }

    /// y `[N, out]` = x `[N, in]` · W (+ b) (+ the adapter's `s·(x·Aᵀ)·Bᵀ`). `rowwise` (decoding)
    /// computes each row of y independently of N (`Backend.rowwiseMatmul`, in either layout).
    func forward(_ x: Tensor, into y: Tensor, _ p: ParameterStore, rowwise: Bool = false) throws {
        if rowwise {
            if layout == .outIn {
                try x.rowwiseMatmul(weight: p.value(weight), into: y)
            } else {
                try x.rowwiseMatmul(inOutWeight: p.value(weight), into: y)
            }
        } else {
            try x.matmul(p.value(weight), transposeOther: layout == .outIn, into: y)
        }
        if let bias { try y.addBias(p.value(bias)) }
        if let adapter = p.adapter, let lora = adapter.module(module) {
            try lora.forward(x, into: y, adapter, dropoutKey: p.dropoutKey, rowwise: rowwise)
        }
    }

    /// dW += dyᵀ·x (or xᵀ·dy), db += Σ dy, and dx += dy·W (when `dx` is given; `dx = dy·W`
    /// when `overwrite`, so that a fresh dx needs no zeroing). With an adapter attached the base
    /// is frozen: W and b get no gradient, the adapter's A and B do.
    func backward(x: Tensor, dy: Tensor, dx: Tensor?, _ p: ParameterStore, overwrite: Bool = false) throws {
        let w = p.value(weight)
        let beta: Float = overwrite ? 0 : 1
        let dw: Tensor? = try p.adapter == nil ? p.gradient(weight) : nil
        switch layout {
        case .outIn:
            if let dw { try dy.matmul(x, transposeSelf: true, into: dw, beta: 1) }
            if let dx { try dy.matmul(w, into: dx, beta: beta) }
        case .inOut:
            if let dw { try x.matmul(dy, transposeSelf: true, into: dw, beta: 1) }
            if let dx { try dy.matmul(w, transposeOther: true, into: dx, beta: beta) }
        }
        if let bias, dw != nil { try dy.sumRows(into: p.gradient(bias)) }
        if let adapter = p.adapter, let lora = adapter.module(module) {
            try lora.backward(x: x, dy: dy, dx: dx, adapter, dropoutKey: p.dropoutKey)
        }
    }
}
