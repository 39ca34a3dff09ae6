// The adapter half of a linear layer: forward `y += s·(dropout(x)·Aᵀ)·Bᵀ` and its backward.
// Nothing is saved between them: backward recomputes dropout(x)·Aᵀ `[N, r]` (cheap next to
// the layer's own matmuls) and the dropout mask from its key.

extension LoRAAdapter.Module {
    /// y `[N, out]` += s · (dropout(x) `[N, in]` · Aᵀ) · Bᵀ. Dropout applies only when
    /// `dropoutKey` is given (a training pass); `rowwise` computes each row independently of N
    /// (`Backend.rowwiseMatmul`, for decoding).
    func forward(_ x: Tensor, into y: Tensor, _ adapter: LoRAAdapter, dropoutKey: UInt64?,
                 rowwise: Bool) throws {
        let p = adapter.parameters, b = p.backend, n = x.shape[0], s = adapter.configuration.scale
        let input = try dropped(x, adapter, dropoutKey)
        let u = try Tensor(uninitialized: [n, adapter.configuration.rank], on: b)
        if rowwise {
            try input.rowwiseMatmul(weight: p.value(a), into: u)
            let t = try Tensor(uninitialized: y.shape, on: b)
            try u.rowwiseMatmul(weight: p.value(self.b), into: t)
            try y.addScaled(t, by: s)
        } else {
            try input.matmul(p.value(a), transposeOther: true, into: u)
            try u.matmul(p.value(self.b), transposeOther: true, into: y, alpha: s, beta: 1)
        }
    }

    /// From dy `[N, out]` at the layer's output: dB += s·dyᵀ·u, dA += (s·dy·B)ᵀ·dropout(x), and
    /// dx `[N, in]` += the adapter's share of ∂L/∂x (when `dx` is given), with u = dropout(x)·Aᵀ
    /// recomputed under the forward's `dropoutKey`.
    func backward(x: Tensor, dy: Tensor, dx: Tensor?, _ adapter: LoRAAdapter, dropoutKey: UInt64?) throws {
        let p = adapter.parameters, b = p.backend, n = x.shape[0], s = adapter.configuration.scale
        let r = adapter.configuration.rank
        let mask = dropoutKey.flatMap { dropoutMask(count: x.shape[0] * x.shape[1], adapter, key: $0) }
        let input = try mask.map { try Self.multiplied(x, by: $0) } ?? x
        let u = try Tensor(uninitialized: [n, r], on: b)
        try input.matmul(p.value(a), transposeOther: true, into: u)
        try dy.matmul(u, transposeSelf: true, into: p.gradient(self.b), alpha: s, beta: 1)
        let du = try Tensor(uninitialized: [n, r], on: b)
        try dy.matmul(p.value(self.b), into: du, alpha: s)
        try du.matmul(input, transposeSelf: true, into: p.gradient(a), beta: 1)
        guard let dx else { return }
        if let mask {
            let t = try Tensor(uninitialized: x.shape, on: b)
            try du.matmul(p.value(a), into: t)
            try dx.addScaled(Self.multiplied(t, by: mask), by: 1)
        } else {
            try du.matmul(p.value(a), into: dx, beta: 1)
        }
    }

    /// x itself, or x with the dropout mask applied (a new tensor).
    private func dropped(_ x: Tensor, _ adapter: LoRAAdapter, _ key: UInt64?) throws -> Tensor {
        guard let key, let mask = dropoutMask(count: x.shape[0] * x.shape[1], adapter, key: key) else { return x }
        return try Self.multiplied(x, by: mask)
    }

    /// Inverted dropout: each element 0 with probability p, else 1/(1 − p); drawn from a stream
    /// keyed by the adapter's seed, the pass's key and this module. nil without dropout.
    private func dropoutMask(count: Int, _ adapter: LoRAAdapter, key: UInt64) -> [Float]? {
        let probability = adapter.configuration.dropout
        guard probability > 0 else { return nil }
        var seeder = SplitMix64(seed: adapter.configuration.seed ^ 0x4c6f_5241_4472_6f70)
        _ = seeder.next()
        var rng = SplitMix64(seed: seeder.next() &+ key &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(ordinal) &* 0xD1B5_4A32_D192_ED03)
        let keep = Float(1 / (1 - probability))
        return (0..<count).map { _ in rng.nextDouble() < probability ? 0 : keep }
    }

    /// x ⊙ mask, elementwise, as a new tensor on x's backend.
    private static func multiplied(_ x: Tensor, by mask: [Float]) throws -> Tensor {
        var values = x.toArray()
        for i in values.indices { values[i] *= mask[i] }
        return try Tensor(values, shape: x.shape, on: x.backend)
    }
}
