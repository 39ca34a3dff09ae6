import Foundation
import Testing
@testable import DICEKit

/// Stopping a run in the middle and resuming it from its checkpoint ends with the same weights,
/// bit for bit, as a run that was never interrupted; a NaN stops the run with a typed error and
/// leaves the last good checkpoint in place.
@Suite("DPO resume and failures")
struct DPOResumeTests {
    struct Stop: Error {}

    /// Token-id pairs over the llama fixture's vocabulary (96), of varied lengths.
    static func pairs(_ count: Int, seed: UInt64 = 9, vocabulary: Int = 96) -> [PreferencePair] {
        var rng = SplitMix64(seed: seed)
        func ids(_ n: Int) -> [Int] { (0..<n).map { _ in Int(rng.next() % UInt64(vocabulary - 3)) + 3 } }
        return (0..<count).map { i in
            PreferencePair(prompt: [1] + ids(1 + i % 4), chosen: ids(2 + i % 3) + [2], rejected: ids(1 + (i + 1) % 4) + [2])
        }
    }

    static func config(steps: Int = 5, optimizer: OptimizerKind = .adamw) throws -> DPOConfiguration {
        DPOConfiguration(loss: try DPOLoss(kind: .sigmoid, beta: 0.1), optimizer: optimizer, learningRate: 1e-2,
                         weightDecay: 0.01, schedule: .cosine(warmupSteps: 1, totalSteps: steps), batchSize: 4,
                         microBatchSize: 2, steps: steps, maxGradNorm: 1.0, validationSize: 3,
                         evaluationInterval: 2, checkpointInterval: 2, seed: 11)
    }

    static func model() throws -> TransformerLM {
        try TransformerLM(directory: Fixtures.model("llama-gqa-tied"), backend: CPUBackend())
    }

    @Test(arguments: [OptimizerKind.adamw, .sgd])
    func resumeIsBitExact(_ optimizer: OptimizerKind) throws {
        let pairs = Self.pairs(13)
        let reference = try ReferenceLogProbs.compute(pairs, reference: Self.model())
        let config = try Self.config(optimizer: optimizer)

        let whole = try Self.model()
        let folderA = try ScratchFolder("dpo-whole")
        defer { folderA.remove() }
        var wholeMetrics: [DPOMetrics] = []
        _ = try StandardDPOTrainer(configuration: config, checkpointFolder: folderA.url) { event in
            if case .step(let m) = event { wholeMetrics.append(m) }
        }.train(whole, pairs: pairs, reference: reference)

        // Killed after step 3: the checkpoint on disk is step 2's.
        let folderB = try ScratchFolder("dpo-resumed")
        defer { folderB.remove() }
        let interrupted = try Self.model()
        #expect(throws: Stop.self) {
            _ = try StandardDPOTrainer(configuration: config, checkpointFolder: folderB.url) { event in
                if case .step(let m) = event, m.step == 3 { throw Stop() }
            }.train(interrupted, pairs: pairs, reference: reference)
        }
        let fresh = try Self.model()
        var resumedMetrics: [DPOMetrics] = []
        let summary = try StandardDPOTrainer(configuration: config, checkpointFolder: folderB.url, resume: true) { event in
            if case .step(let m) = event { resumedMetrics.append(m) }
        }.train(fresh, pairs: pairs, reference: reference)
        #expect(summary.resumedFrom == 2)
        #expect(resumedMetrics.map(\.step) == [3, 4, 5])
        #expect(resumedMetrics == Array(wholeMetrics.suffix(3)))
        for entry in whole.parameters.entries {
            #expect(try whole.parameters.get(entry.name).map(\.bitPattern) == fresh.parameters.get(entry.name).map(\.bitPattern),
                    "\(entry.name) differs after resume")
        }
    }

    /// A crash between the checkpoint's two renames leaves only .checkpoint-old: --resume reads
    /// it, continues bit-exactly, and the next checkpoint takes its place.
    @Test func resumeFromTheCheckpointMovedAside() throws {
        let pairs = Self.pairs(8)
        let reference = try ReferenceLogProbs.compute(pairs, reference: UnigramPolicy(vocabulary: 96, seed: 2))
        var config = try Self.config(steps: 4)
        config.validationSize = 0
        let folder = try ScratchFolder("dpo-aside")
        defer { folder.remove() }
        let whole = try UnigramPolicy(vocabulary: 96, seed: 1)
        _ = try StandardDPOTrainer(configuration: config, checkpointFolder: folder.url).train(whole, pairs: pairs, reference: reference)

        config.steps = 2
        let other = try ScratchFolder("dpo-aside-crashed")
        defer { other.remove() }
        _ = try StandardDPOTrainer(configuration: config, checkpointFolder: other.url)
            .train(try UnigramPolicy(vocabulary: 96, seed: 1), pairs: pairs, reference: reference)
        try FileManager.default.moveItem(at: other.file(DPOCheckpoint.folderName), to: other.file(".checkpoint-old"))
        config.steps = 4
        let resumed = try UnigramPolicy(vocabulary: 96, seed: 1)
        let summary = try StandardDPOTrainer(configuration: config, checkpointFolder: other.url, resume: true)
            .train(resumed, pairs: pairs, reference: reference)
        #expect(summary.resumedFrom == 2)
        #expect(try resumed.parameters.get("theta") == whole.parameters.get("theta"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: other.url.path) == [DPOCheckpoint.folderName])
    }

    @Test func resumeRejectsOtherData() throws {
        let pairs = Self.pairs(8)
        let policy = try UnigramPolicy(vocabulary: 96, seed: 1)
        let reference = try ReferenceLogProbs.compute(pairs, reference: UnigramPolicy(vocabulary: 96, seed: 2))
        let folder = try ScratchFolder("dpo-mismatch")
        defer { folder.remove() }
        var config = try Self.config(steps: 2)
        config.validationSize = 0
        _ = try StandardDPOTrainer(configuration: config, checkpointFolder: folder.url).train(policy, pairs: pairs, reference: reference)
        var other = pairs
        other[0].chosen = [5]
        #expect(throws: DPOTrainingError.self) {
            _ = try StandardDPOTrainer(configuration: config, checkpointFolder: folder.url, resume: true)
                .train(policy, pairs: other, reference: reference)
        }
    }

    @Test func nanStopsWithTypedErrorAndKeepsLastCheckpoint() throws {
        let pairs = Self.pairs(8)
        let policy = try UnigramPolicy(vocabulary: 96, seed: 1)
        let reference = try ReferenceLogProbs.compute(pairs, reference: UnigramPolicy(vocabulary: 96, seed: 2))
        var config = try Self.config(steps: 6)
        config.validationSize = 0
        config.microBatchSize = 4
        // One call per step: NaN from step 4 on; checkpoints at 2 (and 4, never reached).
        policy.nanFromCall = 4
        let folder = try ScratchFolder("dpo-nan")
        defer { folder.remove() }
        var afterStep3: [Float] = []
        let trainer = StandardDPOTrainer(configuration: config, checkpointFolder: folder.url) { event in
            if case .step(let m) = event, m.step == 3 { afterStep3 = try policy.parameters.get("theta") }
        }
        #expect(throws: DPOTrainingError.nonFinite(step: 4, quantity: "policy log-probs", lastCheckpointStep: 2)) {
            _ = try trainer.train(policy, pairs: pairs, reference: reference)
        }
        // No update was applied at the failing step.
        #expect(try policy.parameters.get("theta") == afterStep3)
        let saved = try #require(try DPOCheckpoint.read(from: folder.url))
        #expect(saved.state.step == 2)
        #expect(DPOTrainingError.nonFinite(step: 4, quantity: "loss", lastCheckpointStep: 2).description
            .contains("last good checkpoint is from step 2"))
    }

    /// A NaN or infinite gradient (finite log-probs and loss) stops the run at that step with
    /// no update applied, and the last checkpoint stays loadable and resumable.
    @Test(arguments: [Float.nan, .infinity, -.infinity])
    func nonFiniteGradientStopsAndKeepsLastCheckpoint(_ poison: Float) throws {
        let pairs = Self.pairs(8)
        let reference = try ReferenceLogProbs.compute(pairs, reference: UnigramPolicy(vocabulary: 96, seed: 2))
        var config = try Self.config(steps: 6)
        config.validationSize = 0
        config.microBatchSize = 4
        let folder = try ScratchFolder("dpo-nan-gradient")
        defer { folder.remove() }
        for clip in [1.0, nil] {
            config.maxGradNorm = clip
            let policy = try UnigramPolicy(vocabulary: 96, seed: 1)
            // One call per step: the gradient of step 5 is poisoned; checkpoints at 2 and 4.
            policy.poisonGradientFromCall = 5
            policy.gradientPoison = poison
            var afterStep4: [Float] = []
            let trainer = StandardDPOTrainer(configuration: config, checkpointFolder: folder.url) { event in
                if case .step(let m) = event, m.step == 4 { afterStep4 = try policy.parameters.get("theta") }
            }
            #expect(throws: DPOTrainingError.nonFinite(step: 5, quantity: "gradient norm", lastCheckpointStep: 4)) {
                _ = try trainer.train(policy, pairs: pairs, reference: reference)
            }
            #expect(try policy.parameters.get("theta") == afterStep4, "an update was applied (clip \(String(describing: clip)))")
            let saved = try #require(try DPOCheckpoint.read(from: folder.url))
            #expect(saved.state.step == 4 && saved.parameters == afterStep4)
            // Resumed with a healthy gradient, it finishes.
            let healthy = try UnigramPolicy(vocabulary: 96, seed: 1)
            let summary = try StandardDPOTrainer(configuration: config, checkpointFolder: folder.url, resume: true)
                .train(healthy, pairs: pairs, reference: reference)
            #expect(summary.resumedFrom == 4 && summary.steps == 6)
            try FileManager.default.removeItem(at: folder.file(DPOCheckpoint.folderName))
        }
    }

    /// A finite gradient of 1e30 at step 3 overflows the update: SGD's parameters (lr 1e12) or
    /// AdamW's second moment (g² = 1e60 in Float). The checkpoint due at step 3 is not written;
    /// step 2's stays.
    @Test(arguments: [OptimizerKind.sgd, .adamw])
    func overflowingUpdateIsNotCheckpointed(_ optimizer: OptimizerKind) throws {
        let pairs = Self.pairs(8)
        let reference = try ReferenceLogProbs.compute(pairs, reference: UnigramPolicy(vocabulary: 96, seed: 2))
        var config = try Self.config(steps: 6, optimizer: optimizer)
        config.validationSize = 0
        config.microBatchSize = 4
        config.maxGradNorm = nil
        config.checkpointInterval = 1
        if optimizer == .sgd { config.learningRate = 1e12 }
        let policy = try UnigramPolicy(vocabulary: 96, seed: 1)
        policy.poisonGradientFromCall = 3
        policy.gradientPoison = 1e30
        let folder = try ScratchFolder("dpo-overflow")
        defer { folder.remove() }
        #expect(throws: DPOTrainingError.nonFinite(step: 3, quantity: "parameters or optimizer state", lastCheckpointStep: 2)) {
            _ = try StandardDPOTrainer(configuration: config, checkpointFolder: folder.url).train(policy, pairs: pairs, reference: reference)
        }
        let saved = try #require(try DPOCheckpoint.read(from: folder.url))
        #expect(saved.state.step == 2 && saved.parameters.allSatisfy(\.isFinite))
        #expect(saved.optimizer.tensors.values.allSatisfy { $0.values.allSatisfy(\.isFinite) })
    }

    /// A checkpoint damaged outside DICEKit (its writes are atomic) stops --resume with an
    /// error naming the damaged file, never a crash.
    @Test(arguments: ["trainer_state.json", "parameters.safetensors", "optimizer.safetensors"])
    func damagedCheckpointIsNamed(_ file: String) throws {
        let pairs = Self.pairs(8)
        let policy = try UnigramPolicy(vocabulary: 96, seed: 1)
        let reference = try ReferenceLogProbs.compute(pairs, reference: UnigramPolicy(vocabulary: 96, seed: 2))
        var config = try Self.config(steps: 2)
        config.validationSize = 0
        let folder = try ScratchFolder("dpo-damaged")
        defer { folder.remove() }
        _ = try StandardDPOTrainer(configuration: config, checkpointFolder: folder.url).train(policy, pairs: pairs, reference: reference)
        let url = folder.file(DPOCheckpoint.folderName).appendingPathComponent(file)
        let bytes = try Data(contentsOf: url)
        try bytes.prefix(bytes.count / 2).write(to: url)
        let error = #expect(throws: DPOTrainingError.self) {
            _ = try StandardDPOTrainer(configuration: config, checkpointFolder: folder.url, resume: true)
                .train(policy, pairs: pairs, reference: reference)
        }
        guard case .unreadableCheckpoint(let path, let reason)? = error else {
            Issue.record("expected unreadableCheckpoint, got \(String(describing: error))")
            return
        }
        #expect((path + reason).contains(file), "\(path): \(reason)")
    }

    @Test func infiniteReferenceIsANonFiniteLoss() throws {
        let pairs = Self.pairs(4)
        let policy = try UnigramPolicy(vocabulary: 96, seed: 1)
        var reference = try ReferenceLogProbs.compute(pairs, reference: UnigramPolicy(vocabulary: 96, seed: 2))
        reference.rejected[1] = -.infinity
        var config = try Self.config(steps: 1)
        config.validationSize = 0
        #expect(throws: DPOTrainingError.nonFinite(step: 1, quantity: "loss", lastCheckpointStep: nil)) {
            _ = try StandardDPOTrainer(configuration: config).train(policy, pairs: pairs, reference: reference)
        }
    }

    @Test func userPolicyLearnsThePreference() throws {
        // Chosen responses use token 10, rejected token 20: DPO must raise θ₁₀ − θ₂₀.
        let pairs = (0..<8).map { _ in PreferencePair(prompt: [1], chosen: [10, 10], rejected: [20, 20]) }
        let policy = try UnigramPolicy(vocabulary: 32, seed: 3)
        let reference = try ReferenceLogProbs.compute(pairs, reference: UnigramPolicy(vocabulary: 32, seed: 3))
        let before = try policy.parameters.get("theta")
        let config = DPOConfiguration(loss: try DPOLoss(kind: .sigmoid, beta: 0.5), learningRate: 0.05, batchSize: 4,
                                      steps: 10, evaluationInterval: 0, checkpointInterval: 0)
        let summary = try StandardDPOTrainer(configuration: config).train(policy, pairs: pairs, reference: reference)
        let after = try policy.parameters.get("theta")
        #expect(after[10] - after[20] > before[10] - before[20] + 0.2)
        #expect((summary.lastStep?.rewardsAccuracies ?? 0) == 1)
    }

    @Test func rejectsMismatchedReferenceAndSettings() throws {
        let pairs = Self.pairs(4)
        let policy = try UnigramPolicy(vocabulary: 96, seed: 1)
        let config = try Self.config(steps: 1)
        #expect(throws: DPOTrainingError.self) {
            _ = try StandardDPOTrainer(configuration: config).train(policy, pairs: pairs,
                                                                    reference: ReferenceLogProbs(chosen: [0], rejected: [0]))
        }
    }

    /// Every rule of `DPOConfiguration.validate` names its setting and the value given; a
    /// trainer refuses the settings before it calls the policy.
    @Test(arguments: [
        ("batchSize", "0"), ("microBatchSize", "3"), ("microBatchSize", "0"), ("steps", "-1"), ("learningRate", "-0.1"),
        ("learningRate", "inf"), ("weightDecay", "-0.5"), ("maxGradNorm", "0.0"), ("validationSize", "10"),
        ("validationSize", "-1"), ("evaluationInterval", "-2"), ("checkpointInterval", "-3"), ("beta", "-1.0"),
    ])
    func settingsNameTheirRule(_ setting: String, _ value: String) throws {
        var bad = try Self.config(steps: 1)
        bad.batchSize = 4
        bad.microBatchSize = 2
        bad.validationSize = 0
        switch setting {
        case "batchSize": bad.batchSize = Int(value) ?? 0
        case "microBatchSize": bad.microBatchSize = Int(value) ?? 0
        case "steps": bad.steps = Int(value) ?? 0
        case "learningRate": bad.learningRate = Double(value) ?? 0
        case "weightDecay": bad.weightDecay = Double(value) ?? 0
        case "maxGradNorm": bad.maxGradNorm = Double(value)
        case "validationSize": bad.validationSize = Int(value) ?? 0
        case "evaluationInterval": bad.evaluationInterval = Int(value) ?? 0
        case "checkpointInterval": bad.checkpointInterval = Int(value) ?? 0
        default: bad.loss.beta = Double(value) ?? 0
        }
        let error = #expect(throws: DPOTrainingError.self) { try bad.validate(pairs: 10) }
        guard let error, case let .invalidSetting(name, got, _) = error else {
            Issue.record("expected invalidSetting, got \(String(describing: error))")
            return
        }
        #expect(name == setting && got == value)
        // The trainer refuses before any work: the policy is never called.
        let policy = try UnigramPolicy(vocabulary: 96, seed: 1)
        let pairs = Self.pairs(10)
        let reference = try ReferenceLogProbs.compute(pairs, reference: UnigramPolicy(vocabulary: 96, seed: 2))
        #expect(throws: error) { _ = try StandardDPOTrainer(configuration: bad).train(policy, pairs: pairs, reference: reference) }
        #expect(policy.calls == 0)
    }
}
