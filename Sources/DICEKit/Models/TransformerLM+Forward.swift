// The forward and backward passes over a packed batch, and the public entry points built on
// them: logits, sequence log-probs, and sequence log-probs with a pullback.

extension TransformerLM {
    /// What one forward pass keeps for its backward.
    struct ForwardState {
        let batch: PackedBatch
        let blocks: [BlockMemory]
        let selected: Tensor            // [R, C] final residual rows that produce logits
        let finalNorm: Normalization.Saved
        let normalized: Tensor          // [R, C]
        let logits: Tensor              // [R, V]
        /// The LoRA adapter the pass ran with (nil: the base alone) and its dropout key.
        let adapter: LoRAAdapter?
        let dropoutKey: UInt64?
    }

    /// What a training forward pass keeps of one block for the backward: everything the block
    /// saved, or (activation checkpointing) only its input `[N, C]`, from which the backward
    /// recomputes the rest.
    enum BlockMemory {
        case saved(TransformerBlock.Saved)
        case input(Tensor)
    }

    /// Runs the blocks on a packed batch: the final residual rows that produce outputs `[R, C]`,
    /// and what each block keeps for a backward pass when `keep` (its saved state, or under
    /// `checkpointsActivations` its input; the last block, whose backward comes first, keeps its
    /// saved state either way). An inference pass keeps none, so that only one block's
    /// activations are alive at a time.
    private func trunk(_ batch: PackedBatch, keep: Bool) throws -> (selected: Tensor, saved: [BlockMemory]) {
        let b = backend, p = parameters, c = spec.hiddenSize
        let n = batch.tokens.count
        p.refreshBF16()
        var x = try Tensor(uninitialized: [n, c], on: b)
        try Tensor.embedding(ids: batch.tokens, table: p.value(tokenEmbedding), into: x)
        if let scale = layout.embeddingScale { x.scale(by: scale) }
        if let positionEmbedding {
            let pos = try Tensor(uninitialized: [n, c], on: b)
            try Tensor.embedding(ids: batch.positions, table: p.value(positionEmbedding), into: pos)
            try x.add(pos, into: x)
        }
        var saved: [BlockMemory] = []
        saved.reserveCapacity(keep ? blocks.count : 0)
        // The last block computes only the rows that produce logits.
        for (l, block) in blocks.enumerated() {
            let last = l == blocks.count - 1
            let (out, s) = try block.forward(x, positions: batch.positions, sequences: batch.sequences,
                                             outputRows: last ? batch.outputRows : nil, p)
            if keep { saved.append(checkpointsActivations && !last ? .input(x) : .saved(s)) }
            x = out
        }
        let selected = blocks.isEmpty ? try TransformerBlock.gather(x, batch.outputRows) : x
        return (selected, saved)
    }

    /// Runs the network on a packed batch and computes logits for its selected rows only.
    /// `training`: a pass whose backward trains — an attached adapter's dropout is on.
    func forward(_ batch: PackedBatch, training: Bool = false) throws -> ForwardState {
        let b = backend, p = parameters, c = spec.hiddenSize
        let dropoutKey = training ? p.adapter.map { _ in Self.dropoutKey(batch) } : nil
        p.dropoutKey = dropoutKey
        defer { p.dropoutKey = nil }
        let (selected, saved) = try trunk(batch, keep: true)
        let r = selected.shape[0]
        let normalized = try Tensor(uninitialized: [r, c], on: b)
        let normSaved = try finalNorm.forward(selected, into: normalized, p)
        let logits = try Tensor(uninitialized: [r, outputProjection.shape[0]], on: b)
        try normalized.matmul(outputWeight(p.adapter), transposeOther: true, into: logits)
        return ForwardState(batch: batch, blocks: saved, selected: selected, finalNorm: normSaved,
                            normalized: normalized, logits: logits, adapter: p.adapter, dropoutKey: dropoutKey)
    }

    /// The key of a training pass's LoRA dropout masks: a hash of the batch's tokens, so that a
    /// resumed run draws the masks the uninterrupted one drew.
    static func dropoutKey(_ batch: PackedBatch) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for t in batch.tokens { h = (h ^ UInt64(UInt32(bitPattern: t))) &* 0x100_0000_01b3 }
        return h
    }

    /// The outputs `[r, O]` of final residual rows `[r, C]`: the final norm, then the output
    /// projection.
    private func project(_ rows: Tensor) throws -> Tensor {
        let r = rows.shape[0]
        let normalized = try Tensor(uninitialized: [r, spec.hiddenSize], on: backend)
        _ = try finalNorm.forward(rows, into: normalized, parameters)
        let out = try Tensor(uninitialized: [r, outputProjection.shape[0]], on: backend)
        try normalized.matmul(outputWeight(parameters.adapter), transposeOther: true, into: out)
        return out
    }

    /// The output projection `[O, C]` a pass with `adapter` uses: the adapter's trained score
    /// head when it has one, else the model's.
    private func outputWeight(_ adapter: LoRAAdapter?) -> Tensor {
        if let adapter, let head = adapter.head { return adapter.parameters.value(head) }
        return parameters.value(outputProjection)
    }

    /// The outputs `[R, O]` of a batch's selected rows from an inference pass (no activations
    /// kept): for heads with few outputs (a score head).
    func inferenceOutputs(_ batch: PackedBatch) throws -> [Float] {
        try project(trunk(batch, keep: false).selected).toArray()
    }

    /// The largest logits chunk of an inference pass, in Float32 elements (64 MiB): log-probs
    /// never hold `[R, V]` logits for every selected row at once.
    static let logitsChunkElements = 1 << 24

    /// log p(target) of each selected row `[R]` from an inference pass: the blocks keep no
    /// activations, and the final norm, the projection and the log-softmax run on chunks of at
    /// most `logitsChunkElements` logits. Each row's value is the one `forward` gives.
    private func inferenceLogProbs(_ batch: PackedBatch) throws -> [Float] {
        let selected = try trunk(batch, keep: false).selected
        let r = selected.shape[0], v = outputProjection.shape[0]
        let chunk = max(1, Self.logitsChunkElements / max(1, v))
        var out: [Float] = []
        out.reserveCapacity(r)
        var start = 0
        while start < r {
            let rows = start..<min(r, start + chunk)
            let logits = try project(try selected.rows(rows))
            let logp = try Tensor(uninitialized: [rows.count], on: backend)
            let lse = try Tensor(uninitialized: [rows.count], on: backend)
            try logits.logSoftmaxGather(targets: Array(batch.targets[rows]), into: logp, lse: lse)
            out += logp.toArray()
            start = rows.upperBound
        }
        return out
    }

    /// Accumulates every parameter's gradient from ∂L/∂logits `[R, V]` of a forward pass.
    /// With an adapter (the forward's), only the adapter's gradients accumulate.
    func backward(_ state: ForwardState, dlogits: Tensor) throws {
        let b = backend, p = parameters, c = spec.hiddenSize
        let batch = state.batch
        let r = state.selected.shape[0]
        let (attached, key) = (p.adapter, p.dropoutKey)
        (p.adapter, p.dropoutKey) = (state.adapter, state.dropoutKey)
        defer { (p.adapter, p.dropoutKey) = (attached, key) }
        let trainsBase = state.adapter == nil
        // logits = normalized · Wᵀ: dW += dlogitsᵀ · normalized; dnormalized = dlogits · W. W is
        // the base's (trained without an adapter) or an adapter's trained head.
        let headGradient: Tensor? = if trainsBase {
            try p.gradient(outputProjection)
        } else if let adapter = state.adapter, let head = adapter.head {
            try adapter.parameters.gradient(head)
        } else {
            nil
        }
        if let headGradient {
            try dlogits.matmul(state.normalized, transposeSelf: true, into: headGradient, beta: 1)
        }
        let dNormalized = try Tensor(uninitialized: [r, c], on: b)
        try dlogits.matmul(outputWeight(state.adapter), into: dNormalized)
        var dx = try Tensor(zeros: [r, c], on: b)
        try finalNorm.backward(state.finalNorm, dout: dNormalized, dx: dx, p)
        if blocks.isEmpty {
            let all = try Tensor(zeros: [batch.tokens.count, c], on: b)
            TransformerBlock.scatter(dx, batch.outputRows, into: all)
            dx = all
        }
        for (block, memory) in zip(blocks, state.blocks).reversed() {
            let saved: TransformerBlock.Saved
            switch memory {
            case let .saved(s): saved = s
            case let .input(x):
                // Only blocks before the last are checkpointed: they keep every row.
                saved = try block.forward(x, positions: batch.positions, sequences: batch.sequences, p).1
            }
            dx = try block.backward(saved, dout: dx, positions: batch.positions, sequences: batch.sequences, p)
        }
        guard trainsBase else { return }
        if let positionEmbedding {
            try Tensor.embeddingBackward(ids: batch.positions, dout: dx, dtable: p.gradient(positionEmbedding))
        }
        if let scale = layout.embeddingScale { dx.scale(by: scale) }
        try Tensor.embeddingBackward(ids: batch.tokens, dout: dx, dtable: p.gradient(tokenEmbedding))
    }

    /// The logits of every position of each sequence: `result[s]` is `[T_s × V]`, row-major.
    /// - Throws: `ModelError.invalidInput` for empty sequences, ids outside the vocabulary or
    ///   sequences longer than the context; `ModelError.invalidSpec` for a score head.
    public func logits(_ sequences: [[Int]]) throws -> [[Float]] {
        try requireLanguageModelHead()
        let batch = try PackedBatch(sequencesOfTokens: sequences, spec: spec)
        let state = try forward(batch)
        let all = state.logits.toArray()
        let v = spec.vocabularySize
        var out: [[Float]] = []
        var row = 0
        for range in batch.outputRows {
            out.append(Array(all[(row * v)..<((row + range.count) * v)]))
            row += range.count
        }
        return out
    }
}

extension TransformerLM: DifferentiableSequenceScorer {
    /// Σ log p(response token | everything before it) of each pair, in nats (Float32 per token,
    /// summed in Float64), from one packed forward pass (no padding; logits only at response
    /// positions). No activations are kept for a backward, and the logits are made and reduced
    /// in chunks of rows, so memory does not grow with `[tokens × V]`.
    /// - Throws: `ModelError.invalidInput` naming the pair (an empty prompt, an id
    ///   outside the vocabulary, more tokens than the context); `BackendError.allocationFailed`;
    ///   `ModelError.invalidSpec` for a score head.
    public func logProbs(_ batch: [TokenPair]) throws -> [Double] {
        try requireLanguageModelHead()
        let packed = try PackedBatch(pairs: batch, spec: spec, sharePrompts: sharesPrompts)
        guard packed.selectedCount > 0 else { return [Double](repeating: 0, count: batch.count) }
        let tokens = try inferenceLogProbs(packed)
        return packed.targetRanges.map { range in range.reduce(0.0) { $0 + Double(tokens[$1]) } }
    }

    /// `logProbs(_:)` and its pullback: given ∂L/∂logp (one value per pair) it runs the backward
    /// pass and adds ∂L/∂θ into `parameters`' gradient buffer. Call the pullback at most once.
    /// - Throws: as `logProbs(_:)`; the pullback throws `TensorError.shapeMismatch` for a `dlogp`
    ///   whose count is not the batch's.
    public func logProbsWithPullback(_ batch: [TokenPair]) throws
        -> (logProbs: [Double], pullback: (_ dlogp: [Double]) throws -> Void) {
        let (values, state, lse, packed) = try scored(batch)
        let pullback: ([Double]) throws -> Void = { [self] dlogp in
            guard dlogp.count == batch.count else {
                throw TensorError.shapeMismatch(operation: "logProbs pullback", expected: [batch.count],
                                                actual: [dlogp.count])
            }
            guard let state, let lse else { return }
            var perToken = [Float](repeating: 0, count: packed.selectedCount)
            for (i, range) in packed.targetRanges.enumerated() {
                for t in range { perToken[t] = Float(dlogp[i]) }
            }
            let b = backend
            let g = try Tensor(perToken, shape: [perToken.count], on: b)
            let dlogits = try Tensor(zeros: state.logits.shape, on: b)
            try state.logits.logSoftmaxGatherBackward(targets: packed.targets, lse: lse, dlogp: g, dlogits: dlogits)
            try backward(state, dlogits: dlogits)
        }
        return (values, pullback)
    }

    /// Forward pass plus the gather: per-pair sums (Double) and what the pullback needs.
    private func scored(_ batch: [TokenPair]) throws
        -> (logProbs: [Double], state: ForwardState?, lse: Tensor?, packed: PackedBatch) {
        try requireLanguageModelHead()
        let packed = try PackedBatch(pairs: batch, spec: spec, sharePrompts: sharesPrompts)
        guard packed.selectedCount > 0 else {
            return ([Double](repeating: 0, count: batch.count), nil, nil, packed)
        }
        let state = try forward(packed, training: true)
        let r = packed.selectedCount
        let logp = try Tensor(uninitialized: [r], on: backend), lse = try Tensor(uninitialized: [r], on: backend)
        try state.logits.logSoftmaxGather(targets: packed.targets, into: logp, lse: lse)
        let tokens = logp.toArray()
        let sums = packed.targetRanges.map { range in range.reduce(0.0) { $0 + Double(tokens[$1]) } }
        return (sums, state, lse, packed)
    }
}
