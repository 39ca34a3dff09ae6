// RewardModel: a scalar reward model — transformers' *ForSequenceClassification with one label
// (a `score` head `[1, C]` read at the last token of prompt + response) on any architecture of
// the registry: load, score, save, and make one from a causal language model.

import Foundation

/// A reward model r(x, y): the backbone of a causal language model whose final hidden state at
/// the last token of `prompt + response` goes through `score.weight` `[1, C]` (no bias).
///
/// As transformers' `…ForSequenceClassification` reads the last non-pad token, a sequence is
/// scored without padding at its last token; an empty response is scored at the prompt's last
/// token. Batches are packed (no padding), prompts shared between the responses of one prompt.
public final class RewardModel {
    /// The network: the architecture's blocks with a `.score(labels: 1)` head.
    public let network: TransformerLM

    /// Wraps a network with a one-label score head.
    /// - Throws: `ModelError.invalidSpec` for a language-model head or a head with another
    ///   label count.
    public init(_ network: TransformerLM) throws {
        guard case let .score(labels) = network.head else {
            throw ModelError.invalidSpec("a reward model needs a score head (…ForSequenceClassification); this model has a language-model head")
        }
        guard labels == 1 else {
            throw ModelError.invalidSpec("a reward model has exactly one label; this score head has \(labels)")
        }
        self.network = network
    }

    /// Loads a `…ForSequenceClassification` Hugging Face directory with one label.
    /// - Throws: `FormatError.invalidConfig` naming config.json and `architectures` when the
    ///   checkpoint is not a sequence classifier (e.g. a `…ForCausalLM`), or `num_labels` when it
    ///   has more than one label; `FormatError.missingTensor` naming `score.weight` when the
    ///   weights have no score head; what `ModelDirectory.read` throws.
    ///
    /// `trainable: false` loads it frozen, to score only (see
    /// `TransformerLM.init(config:backend:trainable:)`).
    public convenience init(directory: URL, backend: any Backend, registry: ArchitectureRegistry = .standard,
                            trainable: Bool = true) throws {
        let contents = try ModelDirectory.read(from: directory, registry: registry)
        let configPath = directory.appendingPathComponent(ModelDirectory.configFile).path
        switch contents.config.head {
        case .languageModel:
            throw FormatError.invalidConfig(
                path: configPath, key: "architectures",
                reason: "a reward model is a …\(OutputHead.sequenceClassificationSuffix) checkpoint with a score head; this one is a causal language model")
        case let .score(labels) where labels != 1:
            throw FormatError.invalidConfig(path: configPath, key: "num_labels",
                                            reason: "\(labels) labels; a reward model has exactly one")
        case .score:
            try self.init(TransformerLM(contents, backend: backend, trainable: trainable))
        }
    }

    /// A reward model on the backbone of a causal language model, its score head drawn from
    /// N(0, `standardDeviation`²) with `seed` (transformers initialises it with the config's
    /// `initializer_range`, 0.02 by default). The language-model head is dropped.
    /// - Throws: `ModelError.invalidSpec` when `base` is not a causal language model;
    ///   `BackendError.allocationFailed`.
    public convenience init(languageModel base: ModelDirectory, backend: any Backend, seed: UInt64,
                            standardDeviation: Float = 0.02) throws {
        guard base.config.head == .languageModel else {
            throw ModelError.invalidSpec("the base of a new reward model must be a causal language model")
        }
        var config = base.config
        config.head = .score(labels: 1)
        var rng = SplitMix64(seed: seed)
        let c = config.spec.hiddenSize
        var tensors = base.tensors
        tensors[OutputHead.scoreWeightName] = HostTensor(shape: [1, c], values: (0..<c).map { _ in rng.nextGaussian() * standardDeviation })
        let names = Set(config.expectedWeights().map(\.name))
        tensors = tensors.filter { names.contains($0.key) }
        try self.init(TransformerLM(ModelDirectory(config: config, tensors: tensors), backend: backend))
    }

    /// The configuration (its head `.score(labels: 1)`).
    public var config: ModelConfig { network.config }

    /// r(prompt, response) of each pair: the score at the last token of prompt + response, from
    /// an inference pass (no activations kept).
    /// - Throws: `ModelError.invalidInput` naming the pair (an empty prompt, an id outside the
    ///   vocabulary, more tokens than the context); `BackendError.allocationFailed`.
    public func rewards(_ batch: [TokenPair]) throws -> [Double] {
        guard !batch.isEmpty else { return [] }
        let packed = try PackedBatch(sequenceEndsOf: batch, spec: network.spec, sharePrompts: network.sharesPrompts)
        return try network.inferenceOutputs(packed).map(Double.init)
    }

    /// `rewards(_:)` and its pullback: given ∂L/∂r (one value per pair) it runs the backward
    /// pass and adds ∂L/∂θ into the network's gradient buffer. Call the pullback at most once.
    /// - Throws: as `rewards(_:)`; the pullback throws `TensorError.shapeMismatch` for a
    ///   `dreward` whose count is not the batch's.
    public func rewardsWithPullback(_ batch: [TokenPair]) throws
        -> (rewards: [Double], pullback: (_ dreward: [Double]) throws -> Void) {
        guard !batch.isEmpty else { return ([], { _ in }) }
        let packed = try PackedBatch(sequenceEndsOf: batch, spec: network.spec, sharePrompts: network.sharesPrompts)
        let state = try network.forward(packed, training: true)
        let rewards: [Double] = (state.logits?.toArray() ?? []).map { Double($0) }
        let pullback: ([Double]) throws -> Void = { [network] dreward in
            guard dreward.count == batch.count else {
                throw TensorError.shapeMismatch(operation: "rewards pullback", expected: [batch.count],
                                                actual: [dreward.count])
            }
            let dlogits = try Tensor(dreward.map(Float.init), shape: [batch.count, 1], on: network.backend)
            try network.backward(state, dlogits: dlogits)
        }
        return (rewards, pullback)
    }

    /// The weights and configuration as a Hugging Face directory (`…ForSequenceClassification`,
    /// one label) that transformers loads.
    /// - Throws: `BackendError` when the weights cannot be read back.
    public func modelDirectory(generationConfig: GenerationConfig? = nil) throws -> ModelDirectory {
        try network.modelDirectory(config: network.config, generationConfig: generationConfig)
    }
}
