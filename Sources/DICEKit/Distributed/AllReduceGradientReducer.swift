// AllReduceGradientReducer: data parallelism's gradient reducer — the sum of every rank's
// gradient, in rank order, on every rank.

/// Replaces the flat gradient with the element-wise sum over the ranks of `communicator`
/// (`Communicator.allReduceSum`: deterministic, rank order), after `inner` (identity by
/// default) has reduced it locally.
///
/// A sum, not an average: the trainers scale each rank's loss derivatives to the global batch,
/// so the sum of the ranks' gradients is the whole batch's gradient.
public struct AllReduceGradientReducer: GradientReducer {
    /// The ranks that train together.
    public let communicator: any Communicator
    /// A reducer applied first, on this rank alone.
    public let inner: any GradientReducer

    /// A reducer over `communicator`, after `inner`.
    public init(_ communicator: any Communicator, after inner: any GradientReducer = .identity) {
        self.communicator = communicator
        self.inner = inner
    }

    /// True: the result is the sum over the ranks.
    public var sumsOverRanks: Bool { true }

    /// Sums `gradients` `[P]` over the ranks, in place: on the CPU backend in the buffer itself,
    /// elsewhere downloaded, reduced and uploaded.
    /// - Throws: what `inner` throws; `CommunicatorError` (a lost rank, a timeout).
    public func reduce(_ gradients: BufferSlice, on backend: any Backend) throws {
        try inner.reduce(gradients, on: backend)
        guard communicator.size > 1 else { return }
        if let cpu = backend as? CPUBackend, let host = cpu.hostFloats(gradients) {
            try communicator.allReduceSum(inPlace: host)
            return
        }
        var values = backend.download(gradients)
        try communicator.allReduceSum(&values)
        backend.upload(values, to: gradients)
    }
}
