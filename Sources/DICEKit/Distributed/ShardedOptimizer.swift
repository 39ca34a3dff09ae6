// ShardedOptimizer: ZeRO stage 1 — each rank keeps the optimizer state of its shard of the
// parameters only, updates that shard, and the ranks all-gather the updated parameters.

/// Wraps an element-wise optimizer (`AdamW`, `SGD`) so that each rank of `communicator` holds
/// and updates only its shard of the state (ZeRO stage 1): AdamW's `exp_avg` and `exp_avg_sq`
/// take `P/size` values per rank instead of `P`.
///
/// Per update the gradient is already the whole batch's on every rank (the trainer all-reduced
/// and clipped it); each rank updates its shard `Communicator.shard(of: P)` of the parameters
/// with `inner`, then the shards are all-gathered so every rank holds all parameters again. The
/// update is element-wise, so the result is the one of `inner` on all parameters.
///
/// `state()` is this rank's shard; `checkpointState()` gathers every rank's (a collective: every
/// rank calls it) into the layout of `inner` on all parameters, so a checkpoint written with
/// sharding is resumed with or without it, and `restore` takes such a whole state and keeps
/// this rank's shard. The name is `inner`'s.
public final class ShardedOptimizer: Optimizer {
    /// The optimizer of this rank's shard.
    public let inner: any Optimizer
    /// The ranks that share the state.
    public let communicator: any Communicator

    /// Shards `inner`'s state over `communicator`.
    public init(_ inner: any Optimizer, communicator: any Communicator) {
        self.inner = inner
        self.communicator = communicator
    }

    /// `inner`'s name (a checkpoint does not depend on the sharding).
    public var name: String { inner.name }
    /// Updates applied so far.
    public var step: Int { inner.step }

    /// Updates this rank's shard of `parameters` `[P]` with `inner`, then all-gathers the shards.
    /// - Throws: what `inner` throws; `CommunicatorError`.
    public func update(_ parameters: any TrainableParameters, learningRate: Double) throws {
        let count = parameters.values.count, backend = parameters.backend
        let range = communicator.shard(of: count)
        let shard = ShardParameters(parameters, range: range, gradients: try parameters.gradients())
        try inner.update(shard, learningRate: learningRate)
        guard communicator.size > 1 else { return }
        let mine = backend.download(shard.values)
        let all = try Distribution.floats(communicator.allGather(Distribution.bytes(mine)).flatMap { $0 })
        guard all.count == count else {
            throw CommunicatorError.countMismatch(operation: "the all-gather of parameter shards", expected: count,
                                                  rank: communicator.rank, actual: all.count)
        }
        backend.upload(all, to: parameters.values)
    }

    /// This rank's shard of the state.
    public func state() -> OptimizerState { inner.state() }

    /// Every rank's shard, gathered into the whole state (each buffer `[P]`, rank order).
    /// - Throws: `CommunicatorError`.
    public func checkpointState() throws -> OptimizerState {
        let mine = inner.state()
        guard communicator.size > 1 else { return mine }
        var tensors: [String: HostTensor] = [:]
        for key in mine.tensors.keys.sorted() {
            let values = try Distribution.floats(communicator.allGather(Distribution.bytes(mine.tensors[key]?.values ?? []))
                .flatMap { $0 })
            tensors[key] = HostTensor(shape: [values.count], values: values)
        }
        return OptimizerState(step: mine.step, tensors: tensors)
    }

    /// Restores this rank's shard of a whole `state` (buffers `[parameterCount]`).
    /// - Throws: `OptimizationError.stateMismatch` for a buffer of another length; what `inner` throws.
    public func restore(_ state: OptimizerState, parameterCount: Int, on backend: any Backend) throws {
        let range = communicator.shard(of: parameterCount)
        var tensors: [String: HostTensor] = [:]
        for (key, tensor) in state.tensors {
            guard tensor.values.count == parameterCount else {
                throw OptimizationError.stateMismatch(buffer: key, expected: parameterCount, actual: tensor.values.count)
            }
            tensors[key] = HostTensor(shape: [range.count], values: Array(tensor.values[range]))
        }
        try inner.restore(OptimizerState(step: state.step, tensors: tensors), parameterCount: range.count, on: backend)
    }
}

/// A view of a range of flat parameters and their gradients (what `ShardedOptimizer`'s inner
/// optimizer updates).
final class ShardParameters: TrainableParameters {
    let backend: any Backend
    let values: BufferSlice
    private let gradientSlice: BufferSlice

    init(_ whole: any TrainableParameters, range: Range<Int>, gradients: BufferSlice) {
        backend = whole.backend
        values = whole.values.slice(range.lowerBound, range.count)
        gradientSlice = gradients.slice(range.lowerBound, range.count)
    }

    func gradients() -> BufferSlice { gradientSlice }

    func zeroGradients() { backend.fill(gradientSlice, with: 0) }
}
