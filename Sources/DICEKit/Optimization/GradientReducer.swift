// GradientReducer: the seam where data-parallel training combines the gradients of the ranks —
// called by `TrainingStep` once per update, after the accumulation, before clipping.

/// Combines the accumulated gradient of one update across workers, in place.
///
/// `TrainingStep.apply` calls `reduce` exactly once per update: after the caller's
/// accumulation (every micro-batch's forward and pullback) and before the gradient's global
/// norm is measured and clipped, so clipping, the finite check and the optimizer all see the
/// reduced gradient. A single process needs nothing: `IdentityGradientReducer` (`.identity`),
/// the default everywhere, returns at once.
///
/// Data parallelism (each rank holds its share of the global batch and a copy of the
/// parameters) must leave every rank with the gradient of the whole batch: the average of the
/// ranks' gradients when each rank normalises its loss by its own share (equal shares), the
/// sum when each normalises by the global batch. Every rank must end with the same bits, so the
/// reduction adds the ranks' values in one fixed order (rank 0, 1, …, or a fixed tree), never in
/// arrival order; otherwise the replicas drift apart and a resumed run differs from an
/// uninterrupted one.
public protocol GradientReducer {
    /// Reduces `gradients` (the flat gradient slice `[P]` of `TrainableParameters`, on
    /// `backend`) in place.
    /// - Throws: what the transport throws (a lost rank, a timeout); the update is then not
    ///   applied.
    func reduce(_ gradients: BufferSlice, on backend: any Backend) throws

    /// Whether `reduce` already sums the gradient over the ranks of a data-parallel run (as
    /// `AllReduceGradientReducer` and NCCL's reducer do): a trainer whose communicator has
    /// several ranks then adds no all-reduce of its own. False by default.
    var sumsOverRanks: Bool { get }
}

extension GradientReducer {
    /// False: a reducer sums over the ranks only when it says so.
    public var sumsOverRanks: Bool { false }
}

/// The reducer of a single process: leaves the gradient as it is.
public struct IdentityGradientReducer: GradientReducer, Sendable {
    /// The identity reducer.
    public init() {}

    /// Does nothing.
    public func reduce(_ gradients: BufferSlice, on backend: any Backend) {}
}

extension GradientReducer where Self == IdentityGradientReducer {
    /// The reducer of a single process (no reduction).
    public static var identity: IdentityGradientReducer { IdentityGradientReducer() }
}
