// PolicyStore: where a DICE run's models come from and where trained ones go.

/// A policy the loop can sample from, score with and train.
public typealias BootstrapPolicy = Policy & TrainablePolicy

/// Where a run's models come from and where trained ones go.
public protocol PolicyStore {
    /// Model `id`: π_ref and π_0 are given up front, π_t (t ≥ 1) were saved by `save`.
    /// Each call returns a fresh instance (training one never changes another).
    func load(_ id: ModelID) throws -> any BootstrapPolicy
    /// Keeps `policy` as model `id`, atomically.
    func save(_ policy: any BootstrapPolicy, as id: ModelID) throws
}
