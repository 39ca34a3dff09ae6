// SnapshotPolicyStore: a PolicyStore that keeps every model as a snapshot of its flat
// parameters in memory — for small policies, tests and examples.

/// Keeps models as copies of their flat parameter values; `load` builds a fresh policy with
/// `make` and uploads the snapshot. Works for any policy whose state is its parameters.
public final class SnapshotPolicyStore: PolicyStore {
    private let make: () throws -> any BootstrapPolicy
    private var snapshots: [ModelID: [Float]] = [:]

    /// A store whose π_ref and π_0 are the current parameters of `reference` and `initial`;
    /// `make` builds a policy of the same architecture (its parameters are overwritten).
    public init(reference: any BootstrapPolicy, initial: any BootstrapPolicy,
                make: @escaping () throws -> any BootstrapPolicy) {
        self.make = make
        snapshots[.reference] = Self.values(of: reference)
        snapshots[.policy(0)] = Self.values(of: initial)
    }

    public func load(_ id: ModelID) throws -> any BootstrapPolicy {
        guard let values = snapshots[id] else {
            throw DICEError.runState(path: "memory", reason: "no model \(id) has been saved")
        }
        let policy = try make()
        let p = policy.trainableParameters
        guard p.values.count == values.count else {
            throw DICEError.policyContract(reason: "model \(id) has \(values.count) parameters, a new policy \(p.values.count)")
        }
        p.backend.upload(values, to: p.values)
        return policy
    }

    public func save(_ policy: any BootstrapPolicy, as id: ModelID) throws {
        snapshots[id] = Self.values(of: policy)
    }

    private static func values(of policy: any BootstrapPolicy) -> [Float] {
        let p = policy.trainableParameters
        return p.backend.download(p.values)
    }
}
