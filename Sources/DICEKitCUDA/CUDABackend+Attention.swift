import DICEKit

// Causal grouped-query attention over packed sequences on the GPU (kernels in
// Kernels/AttentionKernels.swift; the batch layout in CUDAAttentionPlan).

extension CUDABackend {
    /// The largest head size the attention kernels hold in registers (8 values per lane).
    static let maxHeadSize = 256

    /// Causal grouped-query attention over packed sequences (see `Backend.attention`), one warp
    /// per (work item of the batch plan, head), saving each score row's log-sum-exp in `lse`
    /// `[N, H]`; head sizes up to 256.
    public func attention(q: BufferSlice, k: BufferSlice, v: BufferSlice, into out: BufferSlice,
                          lse: BufferSlice, sequences: [AttentionSequence],
                          heads: Int, kvHeads: Int, headSize: Int, scale: Float) {
        Self.checkAttention(q: q, k: k, v: v, lse: lse, sequences: sequences, heads: heads,
                            kvHeads: kvHeads, headSize: headSize)
        precondition(out.count == q.count, "attention output must match q")
        let plan = CUDAAttentionPlan(sequences)
        guard plan.itemCount > 0 else { return }
        let seqs = deviceInts(plan.sequences), items = deviceInts(plan.items)
        launch(.attentionForward, warps: plan.itemCount * heads,
               [.pointer(address(q)), .pointer(address(k)), .pointer(address(v)), .pointer(address(out)),
                .pointer(address(lse)), .pointer(seqs.address), .pointer(items.address), .int32(plan.itemCount),
                .int32(heads), .int32(kvHeads), .int32(headSize), .float(scale)])
    }

    /// The attention backward: recomputes the probabilities from `lse` and adds into `dq`, `dk`,
    /// `dv`, with key/value gradients summed in a fixed order (deterministic).
    public func attentionBackward(dout: BufferSlice, q: BufferSlice, k: BufferSlice,
                                  v: BufferSlice, out: BufferSlice, lse: BufferSlice,
                                  dq: BufferSlice, dk: BufferSlice, dv: BufferSlice,
                                  sequences: [AttentionSequence],
                                  heads: Int, kvHeads: Int, headSize: Int, scale: Float) {
        Self.checkAttention(q: q, k: k, v: v, lse: lse, sequences: sequences, heads: heads,
                            kvHeads: kvHeads, headSize: headSize)
        precondition(dout.count == q.count && out.count == q.count && dq.count == q.count
                     && dk.count == k.count && dv.count == v.count, "attention gradient shapes")
        let plan = CUDAAttentionPlan(sequences)
        guard plan.itemCount > 0 else { return }
        let seqs = deviceInts(plan.sequences), items = deviceInts(plan.items)
        let keyRows = deviceInts(plan.keyRows), offsets = deviceInts(plan.offsets)
        let entries = deviceInts(plan.entries)
        let delta = scratch(lse.count)
        launch(.attentionBackwardQ, warps: plan.itemCount * heads,
               [.pointer(address(dout)), .pointer(address(q)), .pointer(address(k)), .pointer(address(v)),
                .pointer(address(out)), .pointer(address(lse)), .pointer(address(dq)), .pointer(delta.address),
                .pointer(seqs.address), .pointer(items.address), .int32(plan.itemCount),
                .int32(heads), .int32(kvHeads), .int32(headSize), .float(scale)])
        launch(.attentionBackwardKV, warps: plan.keyRows.count * kvHeads,
               [.pointer(address(dout)), .pointer(address(q)), .pointer(address(k)), .pointer(address(v)),
                .pointer(address(lse)), .pointer(delta.address), .pointer(address(dk)), .pointer(address(dv)),
                .pointer(seqs.address), .pointer(keyRows.address), .pointer(offsets.address),
                .pointer(entries.address), .int32(plan.keyRows.count), .int32(heads), .int32(kvHeads),
                .int32(headSize), .float(scale)])
    }

    /// Preconditions shared by the attention kernels (the CPU backend's, plus the head-size
    /// limit of the register-held rows).
    static func checkAttention(q: BufferSlice, k: BufferSlice, v: BufferSlice, lse: BufferSlice,
                               sequences: [AttentionSequence], heads: Int, kvHeads: Int, headSize: Int) {
        precondition(headSize > 0 && headSize <= maxHeadSize,
                     "head size \(headSize) outside 1...\(maxHeadSize) for the CUDA attention kernels")
        AttentionSequence.checkLayout(q: q, k: k, v: v, lse: lse, sequences: sequences, heads: heads,
                                      kvHeads: kvHeads, headSize: headSize)
    }
}
