// LoRAConfiguration: the settings of a set of low-rank adapters — rank, alpha, dropout,
// rsLoRA scaling, the target modules and whether a score head trains in full — as PEFT's
// LoraConfig names them.

/// The settings of a LoRA adapter set (PEFT's `LoraConfig`): each targeted linear layer
/// `y = x·Wᵀ` becomes `y = x·Wᵀ + s·(dropout(x)·Aᵀ)·Bᵀ` with A `[r, in]`, B `[out, r]` and the
/// scale s = `alpha / r` (or `alpha / √r` with `useRSLoRA`).
public struct LoRAConfiguration: Sendable, Hashable {
    /// r, the rank (≥ 1).
    public var rank: Int
    /// alpha, the numerator of the scale.
    public var alpha: Double
    /// The dropout probability on the adapter's input during training, in [0, 1); 0 disables it.
    public var dropout: Double
    /// Whether the scale is `alpha / √r` (rank-stabilised LoRA) instead of `alpha / r`.
    public var useRSLoRA: Bool
    /// Target module names, matched as PEFT matches them: a linear layer whose module path
    /// equals a name or ends with `"." + name` (`q_proj`, `c_attn`, …). nil: every attention and
    /// MLP projection of the architecture.
    public var targetModules: [String]?
    /// The seed of A's initialisation and of the dropout masks.
    public var seed: UInt64
    /// Whether the adapter also holds a fully trained copy of the model's score head
    /// `score.weight` `[labels, C]` (PEFT's sequence-classification task, `task_type` SEQ_CLS
    /// with `modules_to_save = ["classifier", "score"]`): a reward model's LoRA. Only for a
    /// model with a score head.
    public var trainsHead: Bool

    /// A configuration; the defaults are PEFT's (rank 8, alpha 8, no dropout, `alpha / r`).
    public init(rank: Int = 8, alpha: Double = 8, dropout: Double = 0, useRSLoRA: Bool = false,
                targetModules: [String]? = nil, seed: UInt64 = 0, trainsHead: Bool = false) {
        self.rank = rank
        self.alpha = alpha
        self.dropout = dropout
        self.useRSLoRA = useRSLoRA
        self.targetModules = targetModules
        self.seed = seed
        self.trainsHead = trainsHead
    }

    /// s, the factor of the adapter's output: `alpha / r`, or `alpha / √r` with `useRSLoRA`.
    public var scale: Float {
        Float(useRSLoRA ? alpha / Double(rank).squareRoot() : alpha / Double(rank))
    }

    /// Throws unless the rank is positive, alpha finite and the dropout in [0, 1).
    /// - Throws: `LoRAError.invalidConfiguration` naming the field.
    public func validate() throws {
        guard rank >= 1 else { throw LoRAError.invalidConfiguration(field: "r", reason: "the rank must be at least 1, got \(rank)") }
        guard alpha.isFinite else { throw LoRAError.invalidConfiguration(field: "lora_alpha", reason: "must be finite, got \(alpha)") }
        guard dropout >= 0, dropout < 1 else {
            throw LoRAError.invalidConfiguration(field: "lora_dropout", reason: "must lie in [0, 1), got \(dropout)")
        }
        if let targetModules, targetModules.isEmpty {
            throw LoRAError.invalidConfiguration(field: "target_modules", reason: "an empty list targets nothing")
        }
    }
}
