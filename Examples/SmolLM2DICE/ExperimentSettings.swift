// ExperimentSettings: every size and knob of the SmolLM2 DICE example (the command's options).

import DICEKit
import Foundation

/// The example's settings; `settings.json` in the output folder records them, and a rerun in
/// the same folder must use the same ones (it resumes what is complete).
struct ExperimentSettings: Sendable, Hashable, Codable {
    /// Training prompts X (each also gives one offline pair when π_ref's two samples differ).
    var prompts: Int
    /// Held-out prompts for evaluation (disjoint from X).
    var heldOut: Int
    /// Constraints per prompt, of distinct kinds.
    var constraintsPerPrompt: Int
    /// Instructions longer than this (characters) are not drawn.
    var maxInstructionCharacters: Int
    /// K, DICE samples per prompt.
    var samples: Int
    /// DICE rounds T.
    var rounds: Int
    /// Cap on generated tokens (offline data, DICE and evaluation).
    var maxNewTokens: Int
    /// Sampling temperature and nucleus mass (Zephyr setting: 0.7, 0.9).
    var temperature: Double
    var topP: Double
    /// DPO updates of π_0 = DPO(π_ref, D_offline) and of each DICE round.
    var initialSteps: Int
    var steps: Int
    /// DPO learning rate (constant), pairs per update and per forward/backward pass.
    var learningRate: Double
    var batchSize: Int
    var microBatchSize: Int
    /// β of DPO and of the implicit reward; γ, the offline share of each round's training set.
    var beta: Double
    var gamma: Double
    /// A prompt is paired only when at least this many of its K samples finished (not truncated).
    var minValid: Int
    /// Responses per held-out prompt and model in the evaluation.
    var evaluationSamples: Int
    /// Also run the paper's comparisons: the same rounds with γ = 1 (offline data only) and
    /// with a reward model trained on D_offline in place of the implicit reward.
    var comparisons: Bool
    /// Bradley–Terry updates and learning rate of that reward model.
    var rewardModelSteps: Int
    var rewardModelLearningRate: Double
    /// Recompute each block's forward in backward instead of keeping its activations (the same
    /// gradients, bit for bit, for less memory).
    var checkpointActivations: Bool
    /// The matrix products' inputs: "fp32", or "bf16" (bfloat16 inputs, Float32 accumulation;
    /// results within bf16's tolerance of fp32's, see Documentation/Backends.md).
    var dtype: String
    var seed: UInt64

    /// Checks the settings before any work.
    /// - Throws: `ExampleError.invalidOption` naming the first bad one.
    func validate() throws {
        func check(_ ok: Bool, _ name: String, _ value: Any, _ expected: String) throws {
            if !ok { throw ExampleError.invalidOption(name: name, value: "\(value)", expected: expected) }
        }
        try check(prompts >= 2, "prompts", prompts, "at least 2")
        try check(heldOut >= 1, "held-out", heldOut, "at least 1")
        try check((1...Constraint.Kind.allCases.count).contains(constraintsPerPrompt), "constraints", constraintsPerPrompt,
                  "1 … \(Constraint.Kind.allCases.count)")
        try check(maxInstructionCharacters >= 1, "max-instruction-characters", maxInstructionCharacters, "at least 1")
        try check(samples >= 2, "samples", samples, "at least 2")
        try check(rounds >= 1, "rounds", rounds, "at least 1")
        try check(maxNewTokens >= 1, "max-new-tokens", maxNewTokens, "at least 1")
        try check(initialSteps >= 1, "initial-steps", initialSteps,
                  "at least 1 (with π_0 = π_ref the first round's implicit reward is identically 0)")
        try check(steps >= 1, "steps", steps, "at least 1")
        try check(batchSize >= 1, "batch-size", batchSize, "at least 1")
        try check(microBatchSize >= 1 && batchSize % microBatchSize == 0, "micro-batch-size", microBatchSize,
                  "a divisor of --batch-size \(batchSize)")
        try check(minValid >= 2 && minValid <= samples, "min-valid", minValid, "2 … --samples (\(samples))")
        try check(evaluationSamples >= 1, "evaluation-samples", evaluationSamples, "at least 1")
        try check(learningRate > 0 && learningRate.isFinite, "learning-rate", learningRate, "a finite number > 0")
        try check(DType(rawValue: dtype) != nil, "dtype", dtype, DType.allCases.map(\.rawValue).joined(separator: " or "))
        try check(rewardModelSteps >= 1, "rm-steps", rewardModelSteps, "at least 1")
        try check(rewardModelLearningRate > 0 && rewardModelLearningRate.isFinite, "rm-learning-rate",
                  rewardModelLearningRate, "a finite number > 0")
    }
}
