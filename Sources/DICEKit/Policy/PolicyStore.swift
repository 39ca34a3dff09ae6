// PolicyStore: where a DICE run's models come from and where trained ones go. Scoring roles get
// a `SequenceScorer` (a frozen or remote reference needs nothing more); sampling and training
// roles get a `BootstrapPolicy`.

/// A policy the loop can sample from, score with and train.
public typealias BootstrapPolicy = Policy & TrainablePolicy

/// Where a run's models come from and where trained ones go.
///
/// The loop asks for the least it needs: `scorer(_:)` for the two models of the implicit reward
/// and the frozen reference of a round's DPO, `sampler(_:)` for the model it samples from,
/// `policy(_:)` only for the model it trains and the model it evaluates. π_ref is only ever scored, so a store may
/// hold it as a plain `SequenceScorer`.
public protocol PolicyStore {
    /// Model `id` as a scorer (log-probabilities only). π_ref and π_0 are given up front, π_t
    /// (t ≥ 1) were saved by `save`. Each call returns a fresh instance.
    /// - Throws: when the model is not held or cannot be loaded.
    func scorer(_ id: ModelID) throws -> any SequenceScorer
    /// Model `id` as a policy that samples and trains. Each call returns a fresh instance
    /// (training one never changes another).
    /// - Throws: when the model is not held, cannot be loaded, or is held only as a scorer.
    func policy(_ id: ModelID) throws -> any BootstrapPolicy
    /// Model `id` as a policy that only samples (the round's sampler): `policy(id)` by default;
    /// a store may hand out a frozen model here (no gradients, bfloat16 only under `.bf16`).
    /// - Throws: as `policy(_:)`.
    func sampler(_ id: ModelID) throws -> any Policy
    /// Keeps `policy` as model `id`, atomically.
    func save(_ policy: any BootstrapPolicy, as id: ModelID) throws
    /// Whether model `id` can be loaded now (given up front or saved).
    func holds(_ id: ModelID) -> Bool
    /// Whether saved models outlive the process (a folder on disk) or not (memory). A run whose
    /// trained models were kept in memory by another process cannot be resumed.
    var isPersistent: Bool { get }
}

extension PolicyStore {
    /// `policy(id)`: the sampler is the policy itself unless a store says otherwise.
    /// - Throws: as `policy(_:)`.
    public func sampler(_ id: ModelID) throws -> any Policy { try policy(id) }
}
