// RunStopped and resume identity in the DPO trainer: a stop requested by the observer is saved at
// that update (validation included) and resumes bit for bit; a checkpoint records the run's
// inputs and refuses a resume under others, before any work; a resumed run that completes
// leaves no stale .checkpoint-old or temporary folder.

@testable import DICEKit
import Foundation
import Testing

@Suite("Run stops and resume identity (trainer)")
struct RunStoppedTests {
    @Test("a stop at an update between checkpoints saves that update; the resumed run ends bit for bit as a whole one")
    func stopSavesTheUpdate() throws {
        let pairs = DPOResumeTests.pairs(13)
        let reference = try ReferenceLogProbs.compute(pairs, reference: DPOResumeTests.model())
        var config = try DPOResumeTests.config(steps: 6)
        config.checkpointInterval = 4

        let whole = try DPOResumeTests.model()
        let folderA = try ScratchFolder("stop-whole")
        defer { folderA.remove() }
        var wholeValidations: [DPOMetrics] = []
        _ = try StandardDPOTrainer(configuration: config, checkpointFolder: folderA.url) { event in
            if case .validation(let m) = event { wholeValidations.append(m) }
        }.train(whole, pairs: pairs, reference: reference)

        // Stopped at step 2, an evaluated step that is not a checkpoint step.
        let folderB = try ScratchFolder("stop-stopped")
        defer { folderB.remove() }
        var events: [String] = []
        var validations: [DPOMetrics] = []
        let stop = RunStopped(reason: "test")
        let thrown = #expect(throws: RunStopped.self) {
            _ = try StandardDPOTrainer(configuration: config, checkpointFolder: folderB.url) { event in
                switch event {
                case .step(let m):
                    events.append("step \(m.step)")
                    if m.step == 2 { throw stop }
                case .validation(let m):
                    events.append("validation \(m.step)")
                    validations.append(m)
                case .checkpoint(let step, _): events.append("checkpoint \(step)")
                case .resumed: events.append("resumed")
                }
            }.train(try DPOResumeTests.model(), pairs: pairs, reference: reference)
        }
        #expect(thrown == stop)
        #expect(events == ["step 1", "step 2", "validation 2", "checkpoint 2"])
        #expect(try DPOCheckpoint.readState(from: folderB.url)?.step == 2)

        let resumed = try DPOResumeTests.model()
        let summary = try StandardDPOTrainer(configuration: config, checkpointFolder: folderB.url, resume: true) { event in
            if case .validation(let m) = event { validations.append(m) }
        }.train(resumed, pairs: pairs, reference: reference)
        #expect(summary.resumedFrom == 2)
        for entry in whole.parameters.entries {
            #expect(try whole.parameters.get(entry.name).map(\.bitPattern) == resumed.parameters.get(entry.name).map(\.bitPattern),
                    "\(entry.name) differs after the stop and resume")
        }
        #expect(validations == wholeValidations)
    }

    @Test("other errors from the observer stop at once, with no extra checkpoint")
    func otherErrorsAreNotStops() throws {
        let pairs = DPOResumeTests.pairs(13)
        let reference = try ReferenceLogProbs.compute(pairs, reference: DPOResumeTests.model())
        let config = try DPOResumeTests.config(steps: 6)
        let folder = try ScratchFolder("stop-other")
        defer { folder.remove() }
        #expect(throws: DPOResumeTests.Stop.self) {
            _ = try StandardDPOTrainer(configuration: config, checkpointFolder: folder.url) { event in
                if case .step(let m) = event, m.step == 3 { throw DPOResumeTests.Stop() }
            }.train(try DPOResumeTests.model(), pairs: pairs, reference: reference)
        }
        #expect(try DPOCheckpoint.readState(from: folder.url)?.step == 2)
    }

    @Test("a checkpoint records the inputs; a resume under other inputs is refused, naming the key, before any work")
    func resumeComparesInputs() throws {
        let pairs = DPOResumeTests.pairs(13)
        let reference = try ReferenceLogProbs.compute(pairs, reference: DPOResumeTests.model())
        let config = try DPOResumeTests.config(steps: 2)
        let folder = try ScratchFolder("resume-inputs")
        defer { folder.remove() }
        let first = StandardDPOTrainer(configuration: config, checkpointFolder: folder.url)
        first.inputs = ["policy": "weights a", "reference": "weights b"]
        _ = try first.train(try DPOResumeTests.model(), pairs: pairs, reference: reference)
        #expect(try DPOCheckpoint.readState(from: folder.url)?.inputs == ["policy": "weights a", "reference": "weights b"])

        var longer = config
        longer.steps = 4
        let parameterCount = try DPOResumeTests.model().parameters.values.count
        let path = folder.file(DPOCheckpoint.folderName).path
        let cases: [([String: String], String)] = [
            (["policy": "weights a", "reference": "weights c"], "reference: weights c differs from the checkpoint's weights b"),
            (["policy": "weights a"], "reference: the checkpoint recorded weights b, this run nothing"),
            (["policy": "weights a", "reference": "weights b", "adapter": "x"], "adapter: not recorded in the checkpoint"),
        ]
        for (inputs, reason) in cases {
            let trainer = StandardDPOTrainer(configuration: longer, checkpointFolder: folder.url, resume: true)
            trainer.inputs = inputs
            let early = #expect(throws: DPOTrainingError.self) {
                try trainer.resumableStep(pairs: pairs, parameterCount: parameterCount)
            }
            #expect(early == .resumeMismatch(path: path, reason: reason), "\(String(describing: early))")
            let late = #expect(throws: DPOTrainingError.self) {
                try trainer.train(try DPOResumeTests.model(), pairs: pairs, reference: reference)
            }
            #expect(late == early)
        }
        #expect(try DPOCheckpoint.readState(from: folder.url)?.step == 2, "a refused resume wrote a checkpoint")

        let same = StandardDPOTrainer(configuration: longer, checkpointFolder: folder.url, resume: true)
        same.inputs = ["reference": "weights b", "policy": "weights a"]
        #expect(try same.resumableStep(pairs: pairs, parameterCount: parameterCount) == 2)
        let otherPairs = #expect(throws: DPOTrainingError.self) {
            try same.resumableStep(pairs: Array(pairs.dropLast()), parameterCount: parameterCount)
        }
        #expect(otherPairs == .resumeMismatch(path: path, reason: "the checkpoint was trained on other pairs"))
        let notResuming = StandardDPOTrainer(configuration: longer, checkpointFolder: folder.url)
        #expect(try notResuming.resumableStep(pairs: pairs, parameterCount: parameterCount) == nil)
    }
}
