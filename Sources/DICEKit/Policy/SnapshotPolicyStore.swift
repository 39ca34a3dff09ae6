// SnapshotPolicyStore: a PolicyStore that keeps every model as a snapshot of its flat
// parameters in memory — for small policies, tests and examples.

/// Keeps models as copies of their flat parameter values; `policy(_:)` builds a fresh policy
/// with `make` and uploads the snapshot. Works for any policy whose state is its parameters.
///
/// π_ref may be given as a plain `SequenceScorer` (a frozen or remote model): it is then only
/// scored, never sampled or trained, which is all the DICE loop asks of it.
///
/// Models live in memory: a run folder written with this store can be resumed only by the
/// same store in the same process (`isPersistent` is false; `DICEBootstrapper` refuses a resume
/// that needs a model the store does not hold).
public final class SnapshotPolicyStore: PolicyStore {
    private let make: () throws -> any BootstrapPolicy
    private let frozenReference: (any SequenceScorer)?
    private var snapshots: [ModelID: [Float]] = [:]

    /// A store whose π_ref and π_0 are the current parameters of `reference` and `initial`;
    /// `make` builds a policy of the same architecture (its parameters are overwritten).
    public init(reference: any BootstrapPolicy, initial: any BootstrapPolicy,
                make: @escaping () throws -> any BootstrapPolicy) {
        self.make = make
        frozenReference = nil
        snapshots[.reference] = Self.values(of: reference)
        snapshots[.policy(0)] = Self.values(of: initial)
    }

    /// A store whose π_ref is the scorer `reference` itself (used as is, never copied: it must
    /// not change while the run uses it) and whose π_0 is the current parameters of `initial`.
    public init(frozenReference reference: any SequenceScorer, initial: any BootstrapPolicy,
                make: @escaping () throws -> any BootstrapPolicy) {
        self.make = make
        frozenReference = reference
        snapshots[.policy(0)] = Self.values(of: initial)
    }

    /// The frozen reference for π_ref when one was given, else `policy(id)`.
    /// - Throws: as `policy(_:)`.
    public func scorer(_ id: ModelID) throws -> any SequenceScorer {
        if id == .reference, let frozenReference { return frozenReference }
        return try policy(id)
    }

    /// A fresh policy from `make` with model `id`'s parameters.
    /// - Throws: `DICEError.modelNotHeld` for a model never saved (or π_ref given as a scorer
    ///   only); `DICEError.policyContract` when `make` builds a policy of another size.
    public func policy(_ id: ModelID) throws -> any BootstrapPolicy {
        guard let values = snapshots[id] else {
            throw DICEError.modelNotHeld(model: id, store: id == .reference && frozenReference != nil
                ? "SnapshotPolicyStore (π_ref was given as a scorer only: it can be scored, not sampled or trained)"
                : "SnapshotPolicyStore (in memory)")
        }
        let policy = try make()
        let p = policy.trainableParameters
        guard p.values.count == values.count else {
            throw DICEError.policyContract(reason: "SnapshotPolicyStore: model \(id) has \(values.count) parameters, a policy from `make` \(p.values.count)")
        }
        p.backend.upload(values, to: p.values)
        return policy
    }

    /// Keeps a copy of `policy`'s parameters as model `id`.
    public func save(_ policy: any BootstrapPolicy, as id: ModelID) throws {
        snapshots[id] = Self.values(of: policy)
    }

    /// Whether `id` was given up front or saved in this process.
    public func holds(_ id: ModelID) -> Bool {
        snapshots[id] != nil || (id == .reference && frozenReference != nil)
    }

    /// False: the models are in memory.
    public var isPersistent: Bool { false }

    private static func values(of policy: any BootstrapPolicy) -> [Float] {
        let p = policy.trainableParameters
        return p.backend.download(p.values)
    }
}
