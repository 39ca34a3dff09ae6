// The shape-checked entry points to the backward kernels, one beside each forward of
// Tensor+Kernels.swift. Each validates every operand against the forward's shapes, throwing
// `TensorError` (naming the expected and the actual shape) before any kernel runs, then calls
// the backend.
//
// As the kernels do, every backward here ACCUMULATES (`+=`) into its gradient tensors: the
// caller zeroes them (or passes buffers whose contents are meant to be added to).
//
// Two backwards need no entry of their own: a matmul's is matmuls (`matmul(…, beta: 1)`), and
// RoPE's is the inverse rotation applied to the gradient (`applyRope(…, inverse: true)`).

extension Tensor {
    // MARK: - Bias

    /// `dbias += Σ_r self[r, :]` for self = dy `[R, C]` and dbias `[C]`: the gradient of
    /// `addBias`.
    /// - Throws: `TensorError.shapeMismatch` when dbias is not `[C]`.
    public func sumRows(into dbias: Tensor) throws {
        let op = "sumRows"
        try expectBackend(of: dbias, op)
        try expectMatrix(op, "dy")
        try dbias.expectShape([shape[1]], op)
        backend.sumRows(storage, into: dbias.storage, rows: shape[0], columns: shape[1])
    }

    // MARK: - Embedding

    /// `dtable[ids[n], :] += dout[n, :]` (a scatter-add: repeated ids accumulate): the gradient
    /// of `embedding(ids:table:into:)`. dout `[N, C]`, dtable `[V, C]`, N = `ids.count`.
    /// - Throws: `TensorError.indexOutOfRange` for an id outside `0..<V`; shape errors.
    public static func embeddingBackward(ids: [Int32], dout: Tensor, dtable: Tensor) throws {
        let op = "embeddingBackward"
        try dtable.expectBackend(of: dout, op)
        try dtable.expectMatrix(op, "dtable")
        try checkIndices(ids, bound: dtable.shape[0], op)
        try dout.expectShape([ids.count, dtable.shape[1]], op)
        dtable.backend.embeddingBackward(ids: ids, dout: dout.storage, dtable: dtable.storage,
                                         channels: dtable.shape[1])
    }

    // MARK: - Normalisation

    /// The gradient of `rmsNorm` for self = its input x `[N, C]`, its `weight` `[C]` and the
    /// `rstd` `[N]` it saved: dx `[N, C]` and dweight `[C]` accumulate from dout `[N, C]`.
    /// - Throws: `TensorError.shapeMismatch` naming the first operand whose shape disagrees
    ///   with x's; `invalidArgument` when x is not 2-D.
    public func rmsNormBackward(weight: Tensor, rstd: Tensor, dout: Tensor, dx: Tensor,
                                dweight: Tensor) throws {
        let op = "rmsNormBackward"
        try expectBackend(of: [weight, rstd, dout, dx, dweight], op)
        try expectMatrix(op, "x")
        try weight.expectShape([shape[1]], op)
        try rstd.expectShape([shape[0]], op)
        try dout.expectShape(shape, op)
        try dx.expectShape(shape, op)
        try dweight.expectShape([shape[1]], op)
        backend.rmsNormBackward(dout: dout.storage, x: storage, weight: weight.storage, rstd: rstd.storage,
                                dx: dx.storage, dweight: dweight.storage, rows: shape[0], channels: shape[1])
    }

    /// The gradient of `layerNorm` for self = its input x `[N, C]`, its `weight` `[C]` and the
    /// `mean` and `rstd` `[N]` it saved: dx `[N, C]`, dweight and dbias `[C]` accumulate from
    /// dout `[N, C]`.
    /// - Throws: as `rmsNormBackward`.
    public func layerNormBackward(weight: Tensor, mean: Tensor, rstd: Tensor, dout: Tensor, dx: Tensor,
                                  dweight: Tensor, dbias: Tensor) throws {
        let op = "layerNormBackward"
        try expectBackend(of: [weight, mean, rstd, dout, dx, dweight, dbias], op)
        try expectMatrix(op, "x")
        try weight.expectShape([shape[1]], op)
        try mean.expectShape([shape[0]], op)
        try rstd.expectShape([shape[0]], op)
        try dout.expectShape(shape, op)
        try dx.expectShape(shape, op)
        try dweight.expectShape([shape[1]], op)
        try dbias.expectShape([shape[1]], op)
        backend.layerNormBackward(dout: dout.storage, x: storage, weight: weight.storage, mean: mean.storage,
                                  rstd: rstd.storage, dx: dx.storage, dweight: dweight.storage,
                                  dbias: dbias.storage, rows: shape[0], channels: shape[1])
    }

    // MARK: - Activations

    /// `dx += gelu'(self) · dout` for self = the forward's input; all three the same shape.
    /// - Throws: `TensorError.shapeMismatch`.
    public func geluBackward(dout: Tensor, dx: Tensor) throws {
        let op = "geluBackward"
        try expectBackend(of: [dout, dx], op)
        try dout.expectShape(shape, op)
        try dx.expectShape(shape, op)
        backend.geluBackward(storage, dout: dout.storage, dx: dx.storage)
    }

    /// The gradient of `swiglu(gate:up:into:)`: `dgate += dout · up · silu'(gate)` and
    /// `dup += dout · silu(gate)`; all five the same shape.
    /// - Throws: `TensorError.shapeMismatch`.
    public static func swigluBackward(gate: Tensor, up: Tensor, dout: Tensor, dgate: Tensor,
                                      dup: Tensor) throws {
        let op = "swigluBackward"
        try gate.expectBackend(of: [up, dout, dgate, dup], op)
        for t in [up, dout, dgate, dup] { try t.expectShape(gate.shape, op) }
        gate.backend.swigluBackward(gate: gate.storage, up: up.storage, dout: dout.storage,
                                    dgate: dgate.storage, dup: dup.storage)
    }

    /// The gradient of `geglu(gate:up:into:)`: `dgate += dout · up · gelu'(gate)` and
    /// `dup += dout · gelu(gate)`; all five the same shape.
    /// - Throws: `TensorError.shapeMismatch`.
    public static func gegluBackward(gate: Tensor, up: Tensor, dout: Tensor, dgate: Tensor,
                                     dup: Tensor) throws {
        let op = "gegluBackward"
        try gate.expectBackend(of: [up, dout, dgate, dup], op)
        for t in [up, dout, dgate, dup] { try t.expectShape(gate.shape, op) }
        gate.backend.gegluBackward(gate: gate.storage, up: up.storage, dout: dout.storage,
                                   dgate: dgate.storage, dup: dup.storage)
    }

    // MARK: - Attention

    /// The gradient of `attention(q:k:v:into:lse:sequences:scale:)`: dq `[Nq, H, D]`, dk and dv
    /// `[Nk, G, D]` accumulate from dout `[Nq, H, D]`, given the forward's inputs, its `out`
    /// and the `lse` `[Nq, H]` it saved. Sequences that share key rows (prefixes) add up in dk
    /// and dv.
    /// - Throws: the forward's errors, and `shapeMismatch` when dout, dq, dk or dv differ from
    ///   the shape of out, q, k or v.
    public static func attentionBackward(dout: Tensor, q: Tensor, k: Tensor, v: Tensor, out: Tensor,
                                         lse: Tensor, dq: Tensor, dk: Tensor, dv: Tensor,
                                         sequences: [AttentionSequence], scale: Float) throws {
        let op = "attentionBackward"
        let (heads, kvHeads, headSize) = try checkAttention(q: q, k: k, v: v, out: out, lse: lse,
                                                            sequences: sequences, op)
        try q.expectBackend(of: [dout, dq, dk, dv], op)
        try dout.expectShape(q.shape, op)
        try dq.expectShape(q.shape, op)
        try dk.expectShape(k.shape, op)
        try dv.expectShape(v.shape, op)
        q.backend.attentionBackward(dout: dout.storage, q: q.storage, k: k.storage, v: v.storage,
                                    out: out.storage, lse: lse.storage, dq: dq.storage, dk: dk.storage,
                                    dv: dv.storage, sequences: sequences, heads: heads, kvHeads: kvHeads,
                                    headSize: headSize, scale: scale)
    }

    // MARK: - Log-probabilities

    /// The gradient of `logSoftmaxGather` for self = its logits `[N, V]`, its `targets` and the
    /// `lse` `[N]` it saved: `dlogits[n, v] += dlogp[n] · (𝟙[v = targets[n]] − softmax(logits[n])[v])`,
    /// dlogp `[N]`, dlogits `[N, V]`.
    /// - Throws: `indexOutOfRange` for a target outside `0..<V`; shape errors.
    public func logSoftmaxGatherBackward(targets: [Int32], lse: Tensor, dlogp: Tensor,
                                         dlogits: Tensor) throws {
        let op = "logSoftmaxGatherBackward"
        try expectBackend(of: [lse, dlogp, dlogits], op)
        try expectMatrix(op, "logits")
        guard targets.count == shape[0] else {
            throw TensorError.shapeMismatch(operation: op, expected: [shape[0]], actual: [targets.count])
        }
        try Tensor.checkIndices(targets, bound: shape[1], op)
        try lse.expectShape([shape[0]], op)
        try dlogp.expectShape([shape[0]], op)
        try dlogits.expectShape(shape, op)
        backend.logSoftmaxGatherBackward(logits: storage, targets: targets, lse: lse.storage,
                                         dlogp: dlogp.storage, dlogits: dlogits.storage, vocabulary: shape[1])
    }
}
