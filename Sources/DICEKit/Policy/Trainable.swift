// Trainable: the policy side of training — a model that exposes its flat parameters, and the
// TrainablePolicy that DPO and SFT train.

/// A model that can be trained: it exposes its `TrainableParameters`.
///
/// A policy for DPO is a `DifferentiableSequenceScorer & Trainable` (`TrainablePolicy`): its
/// pullback adds ∂L/∂θ into `trainableParameters.gradients()`.
public protocol Trainable: AnyObject {
    /// The parameters an optimizer updates.
    var trainableParameters: any TrainableParameters { get }
}

/// A policy DPO can train: sequence log-probs with a pullback, and flat parameters.
public typealias TrainablePolicy = DifferentiableSequenceScorer & Trainable

extension TransformerLM: Trainable {
    /// The attached LoRA adapter when there is one (the base is frozen then), else the model's
    /// `ParameterStore`.
    public var trainableParameters: any TrainableParameters { parameters.adapter ?? parameters }
}
