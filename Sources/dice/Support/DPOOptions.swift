// DPOOptions: the DPO flags of `dice bootstrap`, named and defaulted as in `dice dpo`.

import ArgumentParser
import DICEKit

/// The DPO run of each DICE round.
struct DPOOptions: ParsableArguments {
    @Option(help: "DPO loss: sigmoid | robust | ipo | hinge.") var loss = "sigmoid"
    // Numbers parse `.unconditional`ly, so that a negative value ("--lr -1") reaches the range
    // checks instead of being taken for a flag.
    @Option(parsing: .unconditional, help: "ε: label smoothing (cDPO with sigmoid; robust DPO).") var labelSmoothing = 0.0
    @Option(parsing: .unconditional, help: "Weight of the SFT (NLL per chosen token) term.") var sftWeight = 0.0
    @Option(help: "adamw | sgd.") var optimizer = "adamw"
    @Option(parsing: .unconditional, help: "Learning rate.") var lr = 5e-7
    @Option(parsing: .unconditional, help: "Weight decay.") var weightDecay = 0.0
    @Option(help: "constant | warmup | linear | cosine.") var schedule = "constant"
    @Option(parsing: .unconditional, help: "Warm-up updates.") var warmupSteps = 0
    @Option(parsing: .unconditional, help: "Pairs per DPO update (at most the training pairs).") var batchSize = 32
    @Option(parsing: .unconditional, help: "Pairs per forward/backward pass (default: the batch size).") var microBatchSize: Int?
    @Option(parsing: .unconditional, help: "Cut each update's batch (a rank's share under mpirun) into N micro-batches whose gradients are made apart and summed in order; the batch stays --batch-size. One process with N computes the bits of N ranks (Documentation/Distributed.md).")
    var microBatches = 1
    @Option(parsing: .unconditional, help: "DPO updates per round.") var steps = 300
    @Option(parsing: .unconditional, help: "Clip the gradient norm to this (0: no clipping).") var maxGradNorm = 1.0
    @Option(parsing: .unconditional, help: "Checkpoint every N updates (0: at the end only); a resumed round continues from the last one.")
    var saveEvery = 50
    @Flag(help: "Activation checkpointing: keep only each block's input and recompute its forward in the backward pass (far less memory for about one more forward pass; the same gradients).")
    var checkpointActivations = false

    /// The command-line flag of each DPO setting (`DPOTrainingError.invalidSetting`'s `name`).
    static let flags = [
        "beta": "--beta", "labelSmoothing": "--label-smoothing", "sftWeight": "--sft-weight",
        "learningRate": "--lr", "weightDecay": "--weight-decay", "schedule": "--schedule",
        "warmupSteps": "--warmup-steps", "batchSize": "--batch-size", "microBatchSize": "--micro-batch-size",
        "microBatches": "--micro-batches", "steps": "--steps", "maxGradNorm": "--max-grad-norm", "checkpointInterval": "--save-every",
        "validationSize": "--val-size", "evaluationInterval": "--eval-every",
    ]

    /// Runs `body`, reporting a setting it refuses under its command-line flag.
    /// - Throws: `ValidationError` "FLAG VALUE: expected …" for `DPOTrainingError.invalidSetting`
    ///   (the library's error when the setting has no flag); what else `body` throws.
    static func withFlagNames<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let DPOTrainingError.invalidSetting(name, value, expected) {
            guard let flag = flags[name] else { throw DPOTrainingError.invalidSetting(name: name, value: value, expected: expected) }
            throw ValidationError("\(flag) \(value): expected \(expected)")
        }
    }

    /// The DPO settings with β and the seed of the run, checked.
    /// - Throws: `ValidationError` for an unknown name or a setting out of range (naming its
    ///   flag): every number must be finite and in its range (`DPOConfiguration.validate`; β at
    ///   most `DPOConfiguration.largestBeta`; `--max-grad-norm` finite and ≥ 0).
    func configuration(beta: Double, seed: UInt64) throws -> DPOConfiguration {
        // 0 turns clipping off; NaN and ∞ are refused here (the library sees nil for 0).
        try FlagChecks.require(maxGradNorm.isFinite && maxGradNorm >= 0, "--max-grad-norm", maxGradNorm,
                               "a finite number ≥ 0 (0: no clipping)")
        try FlagChecks.require(steps >= 1, "--steps", steps, "a number ≥ 1")
        return try Self.withFlagNames {
            let configuration = DPOConfiguration(
                loss: try DPOLoss(kind: try parse(DPOLoss.Kind.self, loss, "--loss"), beta: beta,
                                  labelSmoothing: labelSmoothing, sftWeight: sftWeight),
                optimizer: try parse(OptimizerKind.self, optimizer, "--optimizer"),
                learningRate: lr, weightDecay: weightDecay,
                schedule: try LearningRateSchedule(named: schedule, warmupSteps: warmupSteps, totalSteps: steps),
                batchSize: batchSize, microBatchSize: microBatchSize, microBatches: microBatches, steps: steps,
                maxGradNorm: maxGradNorm > 0 ? maxGradNorm : nil, validationSize: 0,
                evaluationInterval: 0, checkpointInterval: saveEvery, seed: seed)
            try configuration.validate(pairs: 1)
            return configuration
        }
    }

    /// Refuses a batch larger than the `pairs` an update can draw from: a larger one repeats pairs
    /// within one update, spending memory (and time) on copies. (The micro-batch divides the
    /// batch, so it is bounded too.)
    /// - Parameter what: what `pairs` counts, for the message.
    /// - Throws: `ValidationError` "--batch-size N: expected at most PAIRS, WHAT".
    func checkBatchSize(atMost pairs: Int, _ what: String) throws {
        try FlagChecks.require(batchSize <= pairs, "--batch-size", batchSize, "at most \(pairs), \(what)")
    }

    private func parse<T: RawRepresentable>(_: T.Type, _ value: String, _ flag: String) throws -> T where T.RawValue == String {
        guard let v = T(rawValue: value.lowercased()) else { throw ValidationError("\(flag): unknown value '\(value)'") }
        return v
    }
}
