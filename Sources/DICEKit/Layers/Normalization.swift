/// A per-row normalisation layer: RMSNorm (Llama) or LayerNorm (GPT-2).
struct Normalization {
    enum Kind { case rms, layer }

    let kind: Kind
    let weight: ParameterStore.Entry
    let bias: ParameterStore.Entry?
    let epsilon: Float

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
            try x.rmsNorm(weight: p.value(weight), epsilon: epsilon, into: out, rstd: rstd)
            return Saved(input: x, mean: nil, rstd: rstd)
        case .layer:
            guard let bias else { throw ModelError.missingParameter(name: weight.name.replacingOccurrences(of: "weight", with: "bias")) }
            let mean = try Tensor(uninitialized: [rows], on: p.backend)
            try x.layerNorm(weight: p.value(weight), bias: p.value(bias), epsilon: epsilon,
                            into: out, mean: mean, rstd: rstd)
            return Saved(input: x, mean: mean, rstd: rstd)
        }
    }

    /// dx += ∂out/∂x · dout; dweight (and dbias) accumulate.
    func backward(_ saved: Saved, dout: Tensor, dx: Tensor, _ p: ParameterStore) throws {
        let b = p.backend
        let (rows, channels) = (saved.input.shape[0], saved.input.shape[1])
        switch kind {
        case .rms:
            b.rmsNormBackward(dout: dout.storage, x: saved.input.storage, weight: p.value(weight).storage,
                              rstd: saved.rstd.storage, dx: dx.storage,
                              dweight: try p.gradient(weight).storage, rows: rows, channels: channels)
        case .layer:
            guard let bias, let mean = saved.mean else { return }
            b.layerNormBackward(dout: dout.storage, x: saved.input.storage, weight: p.value(weight).storage,
                                mean: mean.storage, rstd: saved.rstd.storage, dx: dx.storage,
                                dweight: try p.gradient(weight).storage,
                                dbias: try p.gradient(bias).storage, rows: rows, channels: channels)
        }
    }
}
