// Folding a LoRA adapter into the base weights (`dice merge`): W ← W + s·B·A per module.

extension TransformerLM {
    /// Adds `adapter` into the base weights in place: for each module `W [out, in] += s·B·A`
    /// (GPT-2's `[in, out]` Conv1D weights: `+= s·(B·A)ᵀ`), so that the model without an adapter
    /// computes what it computed with `adapter` attached (up to Float32 rounding); an adapter's
    /// trained score head replaces the model's. The adapter is not attached afterwards. The
    /// model must be trainable (a frozen one's weights may be bfloat16 only; load the base with
    /// `trainable: true` to merge into it).
    /// - Throws: `ModelError.frozenParameters` for a frozen model; `LoRAError.baseMismatch` as
    ///   `checkFits(_:)`; `BackendError.allocationFailed`.
    public func merge(_ adapter: LoRAAdapter) throws {
        guard parameters.trainable else { throw ModelError.frozenParameters }
        try checkFits(adapter)
        let linears = Dictionary(layout.blockLinears.map { ($0.module, $0) }, uniquingKeysWith: { a, _ in a })
        let p = parameters, q = adapter.parameters, s = adapter.configuration.scale
        for m in adapter.modules {
            guard let linear = linears[m.name] else { continue }
            let w = p.value(try p.entry(m.name + ".weight"))
            switch linear.orientation {
            case .outIn: try q.value(m.b).matmul(q.value(m.a), into: w, alpha: s, beta: 1)
            case .inOut: try q.value(m.a).matmul(q.value(m.b), transposeSelf: true, transposeOther: true, into: w, alpha: s, beta: 1)
            }
        }
        if let head = adapter.head {
            try p.set(outputProjection.name, q.get(head.name))
        }
        if parameters.adapter === adapter { parameters.adapter = nil }
    }
}
