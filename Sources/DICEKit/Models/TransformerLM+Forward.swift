// The forward and backward passes over a packed batch, and the public entry points built on
// them: logits, sequence log-probs, and sequence log-probs with a pullback.

extension TransformerLM {
    /// What one forward pass keeps for its backward.
    struct ForwardState {
        let batch: PackedBatch
        /// What each block keeps for the backward, taken (and so released) block by block by it.
        let blocks: BlockMemories
        let selected: Tensor            // [R, C] final residual rows that produce logits
        let finalNorm: Normalization.Saved
        let normalized: Tensor          // [R, C]
        /// `[R, V]`, or nil when the pass did not project (`forward(_:training:projecting:)`):
        /// the caller then projects chunks of `normalized` with `headOutputs(_:adapter:)`.
        let logits: Tensor?
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

    /// The blocks' memories of a forward pass, in block order. The backward takes them from the
    /// end, one block at a time, so that a block's activations are released as soon as its
    /// backward is done: the blocks still to go then share the memory with the next block's
    /// backward buffers, and under checkpointing the last block's full saved state is gone
    /// before the recomputed blocks' states are made. A class, so that the state's copies
    /// share it.
    final class BlockMemories {
        /// The memories not yet taken by a backward, in block order.
        private(set) var items: [BlockMemory]

        init(_ items: [BlockMemory]) { self.items = items }

        /// The last block's memory, removed from the list (nil once the backward took them all).
        func takeLast() -> BlockMemory? { items.popLast() }
    }

    /// Runs the blocks on a packed batch: the final residual rows that produce outputs `[R, C]`,
    /// and what each block keeps for a backward pass when `keep` (its saved state, or under
    /// `checkpointsActivations` its input; the last block, whose backward comes first, keeps its
    /// saved state either way). An inference pass keeps none, so that only one block's
    /// activations are alive at a time.
    ///
    /// A pass through a LoRA adapter does not keep the MLP's up projections: the backward
    /// projects them again (the same bits, one more `[N, C] × [C, I]` product per block),
    /// `[N, I]` less per block. LoRA is the memory-lean way to train, and its peak is mostly
    /// these activations; full training keeps them, its peak being mostly the weights, their
    /// gradients and AdamW's moments.
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
                                             outputRows: last ? batch.outputRows : nil, keepsUp: p.adapter == nil, p)
            if keep { saved.append(checkpointsActivations && !last ? .input(x) : .saved(s)) }
            x = out
        }
        let selected = blocks.isEmpty ? try TransformerBlock.gather(x, batch.outputRows) : x
        return (selected, saved)
    }

    /// Runs the network on a packed batch and computes logits for its selected rows only.
    /// `training`: a pass whose backward trains — an attached adapter's dropout is on.
    /// `projecting`: false stops at the final norm (`logits` nil), for callers that project in
    /// chunks of rows.
    func forward(_ batch: PackedBatch, training: Bool = false, projecting: Bool = true) throws -> ForwardState {
        let b = backend, p = parameters, c = spec.hiddenSize
        let dropoutKey = training ? p.adapter.map { _ in Self.dropoutKey(batch) } : nil
        p.dropoutKey = dropoutKey
        defer { p.dropoutKey = nil }
        let (selected, saved) = try trunk(batch, keep: true)
        let r = selected.shape[0]
        let normalized = try Tensor(uninitialized: [r, c], on: b)
        let normSaved = try finalNorm.forward(selected, into: normalized, p)
        let logits = projecting ? try headOutputs(normalized, adapter: p.adapter) : nil
        return ForwardState(batch: batch, blocks: BlockMemories(saved), selected: selected, finalNorm: normSaved,
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
        return try headOutputs(normalized, adapter: parameters.adapter)
    }

    /// The head's outputs `[r, O]` of final-normed rows `[r, C]`, with `adapter`'s head when it
    /// has one.
    func headOutputs(_ normalized: Tensor, adapter: LoRAAdapter?) throws -> Tensor {
        let out = try Tensor(uninitialized: [normalized.shape[0], outputProjection.shape[0]], on: backend)
        try normalized.matmul(outputWeight(adapter), transposeOther: true, into: out)
        return out
    }

    /// `0 ..< count` in consecutive ranges of at most `size` rows.
    static func chunks(_ count: Int, of size: Int) -> [Range<Int>] {
        stride(from: 0, to: count, by: max(1, size)).map { $0..<min(count, $0 + max(1, size)) }
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

    /// The largest logits chunk of a pass that computes log-probs, in Float32 elements (64
    /// MiB): inference and training passes never hold `[R, V]` logits for every selected row at
    /// once.
    static let logitsChunkElements = 1 << 24

    /// log p(target) of each selected row `[R]` from an inference pass: the blocks keep no
    /// activations, and the final norm, the projection and the log-softmax run on chunks of at
    /// most `logitsChunkElements` logits. Each row's value is the one `forward` gives.
    private func inferenceLogProbs(_ batch: PackedBatch) throws -> [Float] {
        let selected = try trunk(batch, keep: false).selected
        let r = selected.shape[0], v = outputProjection.shape[0]
        let chunk = max(1, logitsChunkLimit / max(1, v))
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

    /// The gradient buffer of the head a pass trains: the base's output projection (trained
    /// without an adapter), an adapter's trained head, or nil (an adapter without one).
    private func headGradient(_ state: ForwardState) throws -> Tensor? {
        if state.adapter == nil { return try parameters.gradient(outputProjection) }
        if let adapter = state.adapter, let head = adapter.head { return try adapter.parameters.gradient(head) }
        return nil
    }

    /// The head's part of the backward for rows `rows` of a pass: with outputs = normalized · Wᵀ,
    /// dW += dlogitsᵀ · normalized[rows] and dnormalized[rows] = dlogits · W.
    private func headBackward(_ state: ForwardState, rows: Range<Int>, dlogits: Tensor, into dNormalized: Tensor,
                              gradient: Tensor?) throws {
        if let gradient {
            try dlogits.matmul(state.normalized.rows(rows), transposeSelf: true, into: gradient, beta: 1)
        }
        try dlogits.matmul(outputWeight(state.adapter), into: dNormalized.rows(rows))
    }

    /// Accumulates every parameter's gradient from ∂L/∂logits `[R, V]` of a forward pass.
    /// With an adapter (the forward's), only the adapter's gradients accumulate. Once per pass:
    /// the backward releases the blocks' activations as it goes (a second call throws
    /// `ModelError.backwardRepeated`).
    func backward(_ state: ForwardState, dlogits: Tensor) throws {
        let r = state.selected.shape[0]
        let dNormalized = try Tensor(uninitialized: [r, spec.hiddenSize], on: backend)
        try headBackward(state, rows: 0..<r, dlogits: dlogits, into: dNormalized, gradient: try headGradient(state))
        try backward(state, dNormalized: dNormalized)
    }

    /// The backward below the head, from ∂L/∂(final-normed rows) `[R, C]`.
    private func backward(_ state: ForwardState, dNormalized: Tensor) throws {
        let b = backend, p = parameters, c = spec.hiddenSize
        let batch = state.batch
        let r = state.selected.shape[0]
        let (attached, key) = (p.adapter, p.dropoutKey)
        (p.adapter, p.dropoutKey) = (state.adapter, state.dropoutKey)
        defer { (p.adapter, p.dropoutKey) = (attached, key) }
        let trainsBase = state.adapter == nil
        var dx = try Tensor(zeros: [r, c], on: b)
        try finalNorm.backward(state.finalNorm, dout: dNormalized, dx: dx, p)
        if blocks.isEmpty {
            let all = try Tensor(zeros: [batch.tokens.count, c], on: b)
            TransformerBlock.scatter(dx, batch.outputRows, into: all)
            dx = all
        }
        for block in blocks.reversed() {
            // Taken from the state: this block's activations are released once its backward is done.
            guard let memory = state.blocks.takeLast() else { throw ModelError.backwardRepeated }
            let saved: TransformerBlock.Saved
            switch memory {
            case let .saved(s): saved = s
            case let .input(x):
                // Only blocks before the last are checkpointed: they keep every row. This state
                // lives only for the block's backward, so it keeps the up projection too.
                saved = try block.forward(x, positions: batch.positions, sequences: batch.sequences,
                                          keepsUp: true, p).1
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
        let all = state.logits?.toArray() ?? []
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
            let b = backend, r = packed.selectedCount
            let g = try Tensor(perToken, shape: [r], on: b)
            let dNormalized = try Tensor(uninitialized: [r, spec.hiddenSize], on: b)
            let gradient = try headGradient(state)
            // Chunk by chunk, as the forward gathered: logits recomputed where it kept none.
            for rows in Self.chunks(r, of: trainingChunkRows) {
                let logits = try state.logits?.rows(rows) ?? headOutputs(state.normalized.rows(rows), adapter: state.adapter)
                let dlogits = try Tensor(zeros: logits.shape, on: b)
                try logits.logSoftmaxGatherBackward(targets: Array(packed.targets[rows]), lse: lse.rows(rows),
                                                    dlogp: g.rows(rows), dlogits: dlogits)
                try headBackward(state, rows: rows, dlogits: dlogits, into: dNormalized, gradient: gradient)
            }
            try backward(state, dNormalized: dNormalized)
        }
        return (values, pullback)
    }

    /// The rows of one logits chunk of a training pass (`logitsChunkElements` logits). A batch
    /// of more selected rows keeps no `[R, V]` logits: the forward projects, reduces and drops
    /// one chunk at a time and the backward projects each chunk again (one more head product),
    /// so neither the logits nor their gradient is ever held whole. Every logit, log-prob and
    /// ∂L/∂logit is the one the whole-batch pass computes; the head's weight gradient is summed
    /// chunk by chunk.
    private var trainingChunkRows: Int { max(1, logitsChunkLimit / max(1, outputProjection.shape[0])) }

    /// Forward pass plus the gather: per-pair sums (Double) and what the pullback needs.
    private func scored(_ batch: [TokenPair]) throws
        -> (logProbs: [Double], state: ForwardState?, lse: Tensor?, packed: PackedBatch) {
        try requireLanguageModelHead()
        let packed = try PackedBatch(pairs: batch, spec: spec, sharePrompts: sharesPrompts)
        guard packed.selectedCount > 0 else {
            return ([Double](repeating: 0, count: batch.count), nil, nil, packed)
        }
        let r = packed.selectedCount, chunk = trainingChunkRows
        let state = try forward(packed, training: true, projecting: r <= chunk)
        let logp = try Tensor(uninitialized: [r], on: backend), lse = try Tensor(uninitialized: [r], on: backend)
        for rows in Self.chunks(r, of: chunk) {
            let logits = try state.logits?.rows(rows) ?? headOutputs(state.normalized.rows(rows), adapter: state.adapter)
            try logits.logSoftmaxGather(targets: Array(packed.targets[rows]), into: logp.rows(rows), lse: lse.rows(rows))
        }
        let tokens = logp.toArray()
        let sums = packed.targetRanges.map { range in range.reduce(0.0) { $0 + Double(tokens[$1]) } }
        return (sums, state, lse, packed)
    }
}
