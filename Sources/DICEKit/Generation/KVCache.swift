// KVCache: the keys and values of past positions, per layer, for incremental decoding.
//
// Layout (GQA-aware: only the G key/value heads are stored, never the H query heads):
//   keys[l], values[l]   [S · P, G, D]   S slots, P = capacity positions per slot
// Position `t` of slot `s` lives at row `s · P + t`, so one slot's keys are a contiguous range
// and `AttentionSequence(keyStart: s · P, keyCount: length)` reads them directly.

/// Cached keys and values for `slots` independent sequences of up to `capacity` positions each,
/// on the model's backend. A slot holds one sequence (one sample of one prompt); its
/// `lengths[slot]` positions `0 ..< length` are valid.
///
/// Made by `TransformerLM.makeCache(slots:capacity:)` and filled by
/// `TransformerLM.decode(_:cache:)`. Memory: `2 · layers · slots · capacity · G · D` Float32s.
/// Not `Sendable`: it refers to backend memory that one thread drives.
public final class KVCache {
    /// Number of sequences the cache holds.
    public let slots: Int
    /// Positions per slot.
    public let capacity: Int
    /// Valid positions of each slot (`0...capacity`).
    public internal(set) var lengths: [Int]
    /// Per layer, `[slots · capacity, G, D]`.
    let keys: [Tensor]
    /// Per layer, `[slots · capacity, G, D]`.
    let values: [Tensor]
    /// The spec of the model the cache was made for (decoding checks it).
    let spec: TransformerSpec
    /// Per slot, another slot whose first `count` positions hold the same keys and values
    /// (set by `copyPrefix`): decoding reads those positions from that slot, so that the K
    /// samples of a prompt read one copy of its keys (cache-friendly) rather than K. The
    /// copies are still made, and reading either gives the same results.
    private(set) var sharedPrefix: [(slot: Int, count: Int)?]

    /// An empty cache for a model of `spec` on `backend`.
    /// - Throws: `GenerationError.invalidCache` when `slots < 1`, `capacity < 1` or `capacity`
    ///   exceeds the model's context; `BackendError.allocationFailed`.
    init(spec: TransformerSpec, backend: any Backend, slots: Int, capacity: Int) throws {
        guard slots >= 1, capacity >= 1, capacity <= spec.maxPositions else {
            throw GenerationError.invalidCache(
                reason: "\(slots) slots × \(capacity) positions (needs ≥ 1 slot and 1...\(spec.maxPositions) positions)")
        }
        self.slots = slots
        self.capacity = capacity
        self.spec = spec
        self.lengths = [Int](repeating: 0, count: slots)
        self.sharedPrefix = [(slot: Int, count: Int)?](repeating: nil, count: slots)
        let shape = [slots * capacity, spec.kvHeads, spec.headSize]
        keys = try (0..<spec.layers).map { _ in try Tensor(zeros: shape, on: backend) }
        values = try (0..<spec.layers).map { _ in try Tensor(zeros: shape, on: backend) }
    }

    /// Elements of one position of one layer's keys (`G · D`).
    var rowSize: Int { spec.kvHeads * spec.headSize }

    /// Copies the first `count` positions of slot `source` into slot `destination`, in every
    /// layer, and sets the destination's length to `count` (the K samples of a prompt share
    /// its prefill this way).
    /// - Throws: `GenerationError.invalidCache` for a slot out of range or `count` beyond the
    ///   source's length.
    public func copyPrefix(from source: Int, to destination: Int, count: Int) throws {
        guard (0..<slots).contains(source), (0..<slots).contains(destination),
              count >= 0, count <= lengths[source] else {
            throw GenerationError.invalidCache(
                reason: "cannot copy \(count) positions from slot \(source) to slot \(destination) of \(slots) slots")
        }
        guard source != destination, count > 0 else {
            if source != destination {
                lengths[destination] = 0
                willWrite(slot: destination, from: 0)
            }
            return
        }
        willWrite(slot: destination, from: 0)
        let n = count * rowSize
        for tensor in keys + values {
            let b = tensor.backend
            b.copy(tensor.storage.slice(source * capacity * rowSize, n),
                   to: tensor.storage.slice(destination * capacity * rowSize, n))
        }
        lengths[destination] = count
        // Share with the slot the source itself reads its prefix from, when that covers it.
        if let root = sharedPrefix[source], root.count >= count {
            sharedPrefix[destination] = (root.slot, count)
        } else {
            sharedPrefix[destination] = (source, count)
        }
    }

    /// Records that positions `start...` of `slot` are about to be overwritten: slots sharing
    /// a prefix with it keep only the part before `start`, and so does `slot` itself.
    func willWrite(slot: Int, from start: Int) {
        for other in sharedPrefix.indices {
            guard let shared = sharedPrefix[other], other == slot || shared.slot == slot,
                  shared.count > start else { continue }
            sharedPrefix[other] = start > 0 ? (shared.slot, start) : nil
        }
    }
}
