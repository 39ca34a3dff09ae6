// OptimizerKind: the optimizers a configuration (and the command line) names, and the fresh
// optimizer each name stands for.

/// A built-in optimizer by name, as configurations store it (`"adamw"`, `"sgd"`) and the
/// command line takes it (`--optimizer`). Trainers also accept any `Optimizer` directly.
public enum OptimizerKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// `AdamW` with PyTorch's default betas and epsilon.
    case adamw
    /// Plain `SGD` (no momentum).
    case sgd

    /// A fresh optimizer of this kind with `weightDecay` (AdamW's decoupled decay, SGD's L2
    /// penalty).
    /// - Throws: `DPOTrainingError.invalidSetting` naming `weightDecay` when it is negative.
    public func makeOptimizer(weightDecay: Double = 0) throws -> any Optimizer {
        switch self {
        case .adamw: return try AdamW(weightDecay: weightDecay)
        case .sgd: return try SGD(weightDecay: weightDecay)
        }
    }
}
