// The shape-checked entry points to the forward kernels (the backward ones are in
// Tensor+Backward.swift). Each validates shapes, indices and layouts, throwing `TensorError`
// (naming both shapes) before any kernel runs, then calls the backend. Layers and models use
// these for anything that comes from user data.

extension Tensor {
    // MARK: - Checks

    /// Throws unless `shape == expected`.
    func expectShape(_ expected: [Int], _ operation: String) throws {
        guard shape == expected else {
            throw TensorError.shapeMismatch(operation: operation, expected: expected, actual: shape)
        }
    }

    /// Throws unless both tensors live on the same backend.
    func expectBackend(of other: Tensor, _ operation: String) throws {
        guard backend === other.backend else { throw TensorError.backendMismatch(operation: operation) }
    }

    /// Throws unless every tensor in `others` lives on this tensor's backend.
    func expectBackend(of others: [Tensor], _ operation: String) throws {
        for other in others { try expectBackend(of: other, operation) }
    }

    /// Throws unless the tensor is 2-D (`[rows, columns]`); `role` names it in the message.
    func expectMatrix(_ operation: String, _ role: String) throws {
        guard shape.count == 2 else {
            throw TensorError.invalidArgument(operation: operation, reason: "\(role) must be 2-D, got \(shape)")
        }
    }

    /// Throws unless every id is in `0..<bound`.
    static func checkIndices(_ ids: [Int32], bound: Int, _ operation: String) throws {
        if let position = ids.firstIndex(where: { $0 < 0 || Int($0) >= bound }) {
            throw TensorError.indexOutOfRange(operation: operation, index: Int(ids[position]),
                                              position: position, bound: bound)
        }
    }

    // MARK: - Matrix multiply

    /// `out = alpha · op(self) · op(other) + beta · out` for 2-D operands, or batched over a
    /// leading dimension for 3-D operands (`[B, M, K] · [B, K, N] → [B, M, N]`).
    /// - Throws: `TensorError.shapeMismatch` when inner dimensions, batch sizes or the output
    ///   shape disagree.
    public func matmul(_ other: Tensor, transposeSelf: Bool = false, transposeOther: Bool = false,
                       into out: Tensor, alpha: Float = 1, beta: Float = 0) throws {
        let op = "matmul"
        try expectBackend(of: other, op)
        try expectBackend(of: out, op)
        guard shape.count == other.shape.count, shape.count == 2 || shape.count == 3 else {
            throw TensorError.invalidArgument(
                operation: op, reason: "operands must both be 2-D or 3-D, got \(shape) and \(other.shape)")
        }
        let batched = shape.count == 3
        let a = batched ? Array(shape.dropFirst()) : shape
        let b = batched ? Array(other.shape.dropFirst()) : other.shape
        let batch = batched ? shape[0] : 1
        if batched, other.shape[0] != batch {
            throw TensorError.shapeMismatch(operation: op, expected: [batch] + b, actual: other.shape)
        }
        let (m, k) = transposeSelf ? (a[1], a[0]) : (a[0], a[1])
        let (k2, n) = transposeOther ? (b[1], b[0]) : (b[0], b[1])
        guard k == k2 else {
            let expected = transposeOther ? [n, k] : [k, n]
            throw TensorError.shapeMismatch(operation: op, expected: (batched ? [batch] : []) + expected,
                                            actual: other.shape)
        }
        try out.expectShape((batched ? [batch] : []) + [m, n], op)
        backend.matmul(storage, transposeA: transposeSelf, other.storage, transposeB: transposeOther,
                       out.storage, m: m, n: n, k: k, alpha: alpha, beta: beta, batch: batch,
                       strideA: m * k, strideB: k * n, strideC: m * n)
    }

    /// Decoding's projection `out = self · weightᵀ`: self `[R, in]`, weight `[out, in]` (the
    /// `torch.nn.Linear` layout), out `[R, out]`, each row computed independently of R
    /// (`Backend.rowwiseMatmul`: a token decodes to the same bits in any batch).
    /// - Throws: `TensorError.shapeMismatch` when self or out disagree with the weight.
    public func rowwiseMatmul(weight: Tensor, into out: Tensor) throws {
        let op = "rowwiseMatmul"
        try expectBackend(of: [weight, out], op)
        try weight.expectMatrix(op, "weight")
        let (outputs, inputs) = (weight.shape[0], weight.shape[1])
        let rows = shape.first ?? 0
        try expectShape([rows, inputs], op)
        try out.expectShape([rows, outputs], op)
        backend.rowwiseMatmul(storage, weight: weight.storage, into: out.storage,
                              rows: rows, inputs: inputs, outputs: outputs)
    }

    /// out `[R, out]` = self `[R, in]` · weight `[in, out]` (GPT-2's Conv1D layout), each row
    /// independent of R (`Backend.rowwiseMatmul(_:inOutWeight:into:rows:inputs:outputs:)`).
    /// - Throws: `TensorError` for other backends or mismatched shapes.
    public func rowwiseMatmul(inOutWeight weight: Tensor, into out: Tensor) throws {
        let op = "rowwiseMatmul"
        try expectBackend(of: [weight, out], op)
        try weight.expectMatrix(op, "weight")
        let (inputs, outputs) = (weight.shape[0], weight.shape[1])
        let rows = shape.first ?? 0
        try expectShape([rows, inputs], op)
        try out.expectShape([rows, outputs], op)
        backend.rowwiseMatmul(storage, inOutWeight: weight.storage, into: out.storage,
                              rows: rows, inputs: inputs, outputs: outputs)
    }

    // MARK: - Elementwise

    /// `out = self + other` (same shapes).
    public func add(_ other: Tensor, into out: Tensor) throws {
        try expectBackend(of: other, "add")
        try other.expectShape(shape, "add")
        try out.expectShape(shape, "add")
        backend.add(storage, other.storage, into: out.storage)
    }

    /// `self += alpha · x` (same shapes).
    public func addScaled(_ x: Tensor, by alpha: Float) throws {
        try expectBackend(of: x, "axpy")
        try x.expectShape(shape, "axpy")
        backend.axpy(alpha, x.storage, storage)
    }

    /// `self[r, :] += bias` for every row: self `[R, C]`, bias `[C]`. Its gradient is
    /// `sumRows(into:)`.
    public func addBias(_ bias: Tensor) throws {
        let op = "addBias"
        try expectBackend(of: bias, op)
        try expectMatrix(op, "input")
        try bias.expectShape([shape[1]], op)
        backend.addBias(storage, bias.storage, rows: shape[0], columns: shape[1])
    }

    /// `self *= alpha`.
    public func scale(by alpha: Float) { backend.scale(storage, by: alpha) }

    /// Σ of the elements, accumulated in Double.
    public func sum() -> Double { backend.sum(storage) }

    // MARK: - Copies

    /// `out = self` (same shapes; the two must not overlap).
    public func copy(into out: Tensor) throws {
        try expectBackend(of: out, "copy")
        try out.expectShape(shape, "copy")
        backend.copy(storage, to: out.storage)
    }

    /// `out = self[:, columns]`: a block of columns of self `[R, C]` into out
    /// `[R, columns.count]` (splits a fused projection). Its gradient is `addColumns`.
    /// - Throws: `invalidArgument` for columns outside `0..<C`; shape errors.
    public func columns(_ columns: Range<Int>, into out: Tensor) throws {
        let op = "columns"
        try expectBackend(of: out, op)
        try checkColumns(columns, op)
        try out.expectShape([shape[0], columns.count], op)
        backend.copy2D(storage.slice(columns.lowerBound, count - columns.lowerBound), sourceStride: shape[1],
                       to: out.storage, destinationStride: columns.count, rows: shape[0],
                       columns: columns.count, accumulate: false)
    }

    /// `self[:, columns] += source`: source `[R, columns.count]` added into a block of
    /// columns of self `[R, C]` (the gradient of `columns(_:into:)`).
    /// - Throws: `invalidArgument` for columns outside `0..<C`; shape errors.
    public func addColumns(_ columns: Range<Int>, from source: Tensor) throws {
        let op = "addColumns"
        try expectBackend(of: source, op)
        try checkColumns(columns, op)
        try source.expectShape([shape[0], columns.count], op)
        backend.copy2D(source.storage, sourceStride: columns.count,
                       to: storage.slice(columns.lowerBound, count - columns.lowerBound),
                       destinationStride: shape[1], rows: shape[0], columns: columns.count, accumulate: true)
    }

    /// Throws unless self is `[R, C]` and `columns` lies in `0..<C`.
    private func checkColumns(_ columns: Range<Int>, _ operation: String) throws {
        try expectMatrix(operation, "input")
        guard columns.lowerBound >= 0, columns.upperBound <= shape[1] else {
            throw TensorError.invalidArgument(
                operation: operation, reason: "columns \(columns) of a tensor of shape \(shape)")
        }
    }

    // MARK: - Embedding

    /// Gathers rows of `table` `[V, C]` at `ids` into `out` `[N, C]`.
    /// - Throws: `TensorError.indexOutOfRange` for an id outside `0..<V`, and shape errors.
    public static func embedding(ids: [Int32], table: Tensor, into out: Tensor) throws {
        let op = "embedding"
        guard table.shape.count == 2 else {
            throw TensorError.invalidArgument(operation: op, reason: "table must be [V, C], got \(table.shape)")
        }
        try checkIndices(ids, bound: table.shape[0], op)
        try out.expectShape([ids.count, table.shape[1]], op)
        table.backend.embedding(ids: ids, table: table.storage, into: out.storage, channels: table.shape[1])
    }

    // MARK: - Normalisation and activations

    /// RMSNorm of the rows of `self` `[N, C]` with `weight` `[C]` into `out` `[N, C]`,
    /// saving `rstd` `[N]`.
    public func rmsNorm(weight: Tensor, epsilon: Float, into out: Tensor, rstd: Tensor) throws {
        let op = "rmsNorm"
        guard shape.count == 2 else { throw TensorError.invalidArgument(operation: op, reason: "input must be [N, C], got \(shape)") }
        try weight.expectShape([shape[1]], op)
        try out.expectShape(shape, op)
        try rstd.expectShape([shape[0]], op)
        backend.rmsNorm(storage, weight: weight.storage, epsilon: epsilon, into: out.storage,
                        rstd: rstd.storage, rows: shape[0], channels: shape[1])
    }

    /// LayerNorm of the rows of `self` `[N, C]`, saving `mean` and `rstd` `[N]`.
    public func layerNorm(weight: Tensor, bias: Tensor, epsilon: Float, into out: Tensor,
                          mean: Tensor, rstd: Tensor) throws {
        let op = "layerNorm"
        guard shape.count == 2 else { throw TensorError.invalidArgument(operation: op, reason: "input must be [N, C], got \(shape)") }
        try weight.expectShape([shape[1]], op)
        try bias.expectShape([shape[1]], op)
        try out.expectShape(shape, op)
        try mean.expectShape([shape[0]], op)
        try rstd.expectShape([shape[0]], op)
        backend.layerNorm(storage, weight: weight.storage, bias: bias.storage, epsilon: epsilon,
                          into: out.storage, mean: mean.storage, rstd: rstd.storage,
                          rows: shape[0], channels: shape[1])
    }

    /// `out = gelu(self)` (tanh form), same shapes.
    public func gelu(into out: Tensor) throws {
        try out.expectShape(shape, "gelu")
        backend.gelu(storage, into: out.storage)
    }

    /// `out = silu(gate) · up`, all the same shape.
    public static func swiglu(gate: Tensor, up: Tensor, into out: Tensor) throws {
        try up.expectShape(gate.shape, "swiglu")
        try out.expectShape(gate.shape, "swiglu")
        gate.backend.swiglu(gate: gate.storage, up: up.storage, into: out.storage)
    }

    /// GeGLU: out = gelu(gate) · up (tanh form of GELU), all of one shape.
    /// - Throws: `TensorError.shapeMismatch`.
    public static func geglu(gate: Tensor, up: Tensor, into out: Tensor) throws {
        try up.expectShape(gate.shape, "geglu")
        try out.expectShape(gate.shape, "geglu")
        gate.backend.geglu(gate: gate.storage, up: up.storage, into: out.storage)
    }

    /// Positions RoPE accepts: `0..<maxRopePosition` (far beyond any model's context; the
    /// kernel tabulates one cos/sin row per position up to the largest).
    public static let maxRopePosition: Int32 = 1 << 22

    /// Rotary embedding in place on `self` `[N, heads, D]` at `positions` (`N` of them), with
    /// the per-layer `inverseFrequencies` `[D/2]` (`RotaryEmbedding.inverseFrequencies`).
    /// - Throws: `TensorError` for a shape that is not `[N, heads, even D]`, a position count
    ///   other than N, a frequency count other than D/2, or a position outside
    ///   `0..<maxRopePosition`.
    public func applyRope(positions: [Int32], inverseFrequencies: [Float], inverse: Bool = false) throws {
        let op = "rope"
        guard shape.count == 3, shape[2] % 2 == 0 else {
            throw TensorError.invalidArgument(operation: op, reason: "input must be [N, heads, even D], got \(shape)")
        }
        guard positions.count == shape[0] else {
            throw TensorError.shapeMismatch(operation: op, expected: [shape[0]], actual: [positions.count])
        }
        guard inverseFrequencies.count == shape[2] / 2 else {
            throw TensorError.shapeMismatch(operation: op, expected: [shape[2] / 2], actual: [inverseFrequencies.count])
        }
        if let bad = positions.firstIndex(where: { $0 < 0 || $0 >= Tensor.maxRopePosition }) {
            throw TensorError.indexOutOfRange(operation: op, index: Int(positions[bad]), position: bad,
                                              bound: Int(Tensor.maxRopePosition))
        }
        backend.rope(storage, positions: positions, heads: shape[1], headSize: shape[2],
                     inverseFrequencies: inverseFrequencies, inverse: inverse)
    }

    // MARK: - Attention

    /// Causal GQA attention: q `[Nq, H, D]`, k and v `[Nk, G, D]` → out `[Nq, H, D]`, saving
    /// lse `[Nq, H]`.
    /// - Throws: shape errors, and `invalidArgument` when H is not a multiple of G or a
    ///   sequence lies outside the buffers or has more queries than keys.
    public static func attention(q: Tensor, k: Tensor, v: Tensor, into out: Tensor, lse: Tensor,
                                 sequences: [AttentionSequence], scale: Float) throws {
        let op = "attention"
        let (heads, kvHeads, headSize) = try checkAttention(q: q, k: k, v: v, out: out, lse: lse,
                                                            sequences: sequences, op)
        q.backend.attention(q: q.storage, k: k.storage, v: v.storage, into: out.storage,
                            lse: lse.storage, sequences: sequences, heads: heads,
                            kvHeads: kvHeads, headSize: headSize, scale: scale)
    }

    /// The checks of `attention` (shared with its backward): q `[Nq, H, D]`, k and v
    /// `[Nk, G, D]` with H a multiple of G, out `[Nq, H, D]`, lse `[Nq, H]`, and every sequence
    /// inside the buffers with no more queries than keys. Returns (H, G, D).
    static func checkAttention(q: Tensor, k: Tensor, v: Tensor, out: Tensor, lse: Tensor,
                               sequences: [AttentionSequence],
                               _ op: String) throws -> (heads: Int, kvHeads: Int, headSize: Int) {
        guard q.shape.count == 3, k.shape.count == 3 else {
            throw TensorError.invalidArgument(operation: op, reason: "q and k must be 3-D, got \(q.shape) and \(k.shape)")
        }
        let (heads, headSize, kvHeads) = (q.shape[1], q.shape[2], k.shape[1])
        guard kvHeads > 0, heads % kvHeads == 0 else {
            throw TensorError.invalidArgument(operation: op, reason: "\(heads) query heads cannot share \(kvHeads) key/value heads")
        }
        try k.expectShape([k.shape[0], kvHeads, headSize], op)
        try v.expectShape(k.shape, op)
        try out.expectShape(q.shape, op)
        try lse.expectShape([q.shape[0], heads], op)
        try q.expectBackend(of: [k, v, out, lse], op)
        for (i, s) in sequences.enumerated() {
            guard s.queryCount >= 0, s.queryCount <= s.keyCount, s.queryStart >= 0, s.keyStart >= 0,
                  s.queryStart + s.queryCount <= q.shape[0], s.keyStart + s.keyCount <= k.shape[0],
                  s.prefixStart >= 0, s.prefixCount >= 0, s.prefixStart + s.prefixCount <= k.shape[0] else {
                throw TensorError.invalidArgument(
                    operation: op, reason: "sequence \(i) (\(s)) does not fit \(q.shape[0]) queries and \(k.shape[0]) keys")
            }
            if let window = s.window, window <= 0 {
                throw TensorError.invalidArgument(operation: op, reason: "sequence \(i) has window \(window) (expected > 0)")
            }
        }
        return (heads, kvHeads, headSize)
    }

    // MARK: - Log-probabilities

    /// logp[n] = log_softmax(self[n])[targets[n]] for logits `self` `[N, V]`; saves lse `[N]`.
    /// - Throws: `indexOutOfRange` for a target outside `0..<V`; shape errors.
    public func logSoftmaxGather(targets: [Int32], into logp: Tensor, lse: Tensor) throws {
        let op = "logSoftmaxGather"
        guard shape.count == 2 else { throw TensorError.invalidArgument(operation: op, reason: "logits must be [N, V], got \(shape)") }
        guard targets.count == shape[0] else {
            throw TensorError.shapeMismatch(operation: op, expected: [shape[0]], actual: [targets.count])
        }
        try Tensor.checkIndices(targets, bound: shape[1], op)
        try logp.expectShape([shape[0]], op)
        try lse.expectShape([shape[0]], op)
        backend.logSoftmaxGather(logits: storage, targets: targets, into: logp.storage,
                                 lse: lse.storage, vocabulary: shape[1])
    }
}
