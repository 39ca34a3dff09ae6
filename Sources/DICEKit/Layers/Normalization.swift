/// A per-row normalisation layer: RMSNorm (Llama; Gemma's scales by 1 + weight) or LayerNorm
/// (GPT-2).
struct Normalization {
    enum Kind { case rms, layer }

    let kind: Kind
    let weight: ParameterStore.Entry
    let bias: ParameterStore.Entry?
    let epsilon: Float
    /// Whether the scale is `1 + weight` (Gemma): the kernels then run with that sum, and the
    /// gradient of the sum is the weight's.
    var unitOffset = false

    /// The scale the kernels multiply by: the weight, or `1 + weight` (computed in Float32, as
    /// Gemma's `1.0 + self.weight.float()`).
    private func scale(_ p: ParameterStore) throws -> Tensor {
        let w = p.value(weight)
        guard unitOffset else { return w }
        let shifted = try Tensor(uninitialized: w.shape, on: p.backend)
        shifted.fill(1)
        try w.add(shifted, into: shifted)
        return shifted
    }

    /// What the backward needs from the forward.
    struct Saved {
        let input: Tensor
        let mean: Tensor?
        let rstd: Tensor
    }

    /// out `[N, C]` = norm(x `[N, C]`).
    func forward(_ x: Tensor, into out: Tensor, _ p: ParameterStore) throws -> Saved {
        let rows = x.shape[0]
        let rstd = try Tensor(uninitialized: [rows], on: p.backend)
        switch kind {
        case .rms:
            try x.rmsNorm(weight: scale(p), epsilon: epsilon, into: out, rstd: rstd)
            return Saved(input: x, mean: nil, rstd: rstd)
        case .layer:
            guard let bias else { throw ModelError.missingParameter(name: weight.name.replacingOccurrences(of: "weight", with: "bias")) }
            let mean = try Tensor(uninitialized: [rows], on: p.backend)
            try x.layerNorm(weight: p.value(weight), bias: p.value(bias), epsilon: epsilon,
                            into: out, mean: mean, rstd: rstd)
            return Saved(input: x, mean: mean, rstd: rstd)
        }
    }

    /// The forward's output `[N, C]` again, from what it saved: the same kernel on the same input,
    /// so the same bits. A block keeps only the norms' inputs and recomputes their outputs in the
    /// backward, which costs one pass over `[N, C]` and saves keeping `[N, C]` per norm.
    func output(_ saved: Saved, _ p: ParameterStore) throws -> Tensor {
        let out = try Tensor(uninitialized: saved.input.shape, on: p.backend)
        _ = try forward(saved.input, into: out, p)
        return out
    }

    /// dx += ∂out/∂x · dout; dweight (and dbias) accumulate — unless the store is frozen (a LoRA
    /// adapter attached), when they go to a scratch buffer that is dropped.
    func backward(_ saved: Saved, dout: Tensor, dx: Tensor, _ p: ParameterStore) throws {
        func gradient(_ entry: ParameterStore.Entry) throws -> Tensor {
            try p.adapter == nil ? p.gradient(entry) : Tensor(zeros: entry.shape, on: p.backend)
        }
        switch kind {
        case .rms:
            try saved.input.rmsNormBackward(weight: scale(p), rstd: saved.rstd, dout: dout, dx: dx,
                                            dweight: gradient(weight))
        case .layer:
            guard let bias, let mean = saved.mean else { return }
            try saved.input.layerNormBackward(weight: p.value(weight), mean: mean, rstd: saved.rstd, dout: dout,
                                              dx: dx, dweight: gradient(weight), dbias: gradient(bias))
        }
    }
}
