import Foundation
import Testing
@testable import DICEKit

/// The demo pipeline at a reduced size: it writes its report, and the same seed gives the same
/// report bytes (in a fresh folder, and when rerun in a finished folder).
@Suite("Toy demo")
struct ToyDemoTests {
    static func small() throws -> ToyDemoConfiguration {
        var c = try ToyDemoConfiguration.standard(seed: 3)
        // 4 topics × C(6, 2) = 60 prompts over the demo's vocabulary.
        c.task.topicCount = 4
        c.task.instructionCount = 6
        c.task.instructionsPerPrompt = 2
        c.heldOutPrompts = 20
        c.offlinePairsPerPrompt = 1
        c.bootstrapResamples = 50
        c.sftExamplesPerPrompt = 4
        c.sft.steps = 20
        c.initialDPO.steps = 4
        c.dice.dpo.steps = 3
        c.dice.samplesPerPrompt = 4
        c.dice.minValid = 2
        c.evaluationSamplesPerPrompt = 2
        c.ablations = false
        return c
    }

    @Test func sameSeedSameReport() throws {
        let a = try ScratchFolder(), b = try ScratchFolder()
        defer { a.remove(); b.remove() }
        let report = try ToyDemo(configuration: try Self.small(), folder: a.url, backend: CPUBackend()).run()
        #expect(report.rounds.map(\.round) == [0, 1, 2])
        #expect(report.rounds[0].winRate == 0.5 && report.rounds[0].lcWinRate == 0.5)
        #expect(FileManager.default.fileExists(atPath: a.url.appendingPathComponent("report.json").path))
        let first = try Data(contentsOf: a.url.appendingPathComponent("report.json"))
        _ = try ToyDemo(configuration: try Self.small(), folder: b.url, backend: CPUBackend()).run()
        #expect(try Data(contentsOf: b.url.appendingPathComponent("report.json")) == first)
        _ = try ToyDemo(configuration: try Self.small(), folder: a.url, backend: CPUBackend()).run()
        #expect(try Data(contentsOf: a.url.appendingPathComponent("report.json")) == first)
        let decoded = try JSONDecoder().decode(ToyDemoReport.self, from: first)
        #expect(decoded == report)
    }

    /// report.json keeps the keys `dice report` reads — rounds [{round, win_rate, lc_win_rate,
    /// avg_length, alpha}] and ablations {name: same fields} — and adds each rate's interval.
    @Test func reportKeys() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        var c = try Self.small()
        c.ablations = true
        c.dice.rounds = 1
        _ = try ToyDemo(configuration: c, folder: folder.url, backend: CPUBackend()).run()
        let json = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: folder.url.appendingPathComponent("report.json"))) as? [String: Any])
        let rowKeys: Set<String> = ["round", "win_rate", "lc_win_rate", "avg_length", "alpha", "win_rate_ci",
                                    "lc_win_rate_ci", "comparisons"]
        let rounds = try #require(json["rounds"] as? [[String: Any]])
        #expect(rounds.count == 2)
        // π_0's alpha is null, so JSONEncoder omits it; every DICE row has all the keys.
        #expect(Set(rounds[0].keys) == rowKeys.subtracting(["alpha"]) && Set(rounds[1].keys) == rowKeys)
        let ablations = try #require(json["ablations"] as? [String: [String: Any]])
        #expect(Set(ablations.keys) == ["no_length_regularization", "gamma_0", "offline_only"])
        for (name, row) in ablations { #expect(Set(row.keys) == rowKeys, "\(name)") }
        let interval = try #require(rounds[1]["lc_win_rate_ci"] as? [String: Any])
        #expect(Set(interval.keys) == ["lower", "upper", "level", "resamples"])
        let lc = try #require(rounds[1]["lc_win_rate"] as? Double)
        let lower = try #require(interval["lower"] as? Double), upper = try #require(interval["upper"] as? Double)
        #expect(lower <= lc && lc <= upper && interval["level"] as? Double == 0.95)
        #expect(rounds[0]["comparisons"] as? Int == c.heldOutPrompts * c.evaluationSamplesPerPrompt)
    }

    /// The prompt split: held-out and training prompts are disjoint, together every prompt of
    /// the language, the same for the same seed and different for another; the standard
    /// demo has hundreds of held-out prompts, ≥ 1000 comparisons per model, and a vocabulary
    /// that is exactly the task's words and EOS.
    @Test func promptSplit() throws {
        let c = try ToyDemoConfiguration.standard(seed: 5)
        let (heldOut, training) = try c.promptSplit()
        let all = try ToyTask(config: c.task).allPrompts
        #expect(Set(heldOut).isDisjoint(with: training))
        #expect(Set(heldOut).union(training) == Set(all) && heldOut.count + training.count == all.count)
        #expect(heldOut.count == c.heldOutPrompts && training.count >= 1000)
        #expect(c.heldOutPrompts * c.evaluationSamplesPerPrompt >= 1000)
        let vocabulary = try ToyTask(config: c.task).vocabularySize
        #expect(c.model.vocabularySize == vocabulary)
        #expect(try c.promptSplit().heldOut == heldOut)
        #expect(try c.withSeed(6).promptSplit().heldOut != heldOut)
        var bad = c
        bad.heldOutPrompts = all.count
        #expect(throws: DICEError.self) { try bad.promptSplit() }
    }

    /// The standard demo's answers have a target length, DICE's length filter keeps exactly the
    /// reference answers' lengths (every SFT answer passes it), and π_0, the rounds' DPO and the
    /// implicit reward share one β.
    @Test func standardLengthsAndBeta() throws {
        let c = try ToyDemoConfiguration.standard(seed: 2)
        let target = try #require(c.task.lengthTarget)
        let maxLength = try #require(c.dice.maxLength)
        #expect(c.dice.minLength == target.minWords - target.spread && maxLength == target.maxWords + target.spread)
        let task = try ToyTask(config: c.task)
        let examples = try task.sftExamples(prompts: Array(try c.promptSplit().training.prefix(200)), perPrompt: 4, seed: 1)
        let lengths = examples.map { $0.response.count - 1 }
        #expect(lengths.allSatisfy { (c.dice.minLength ... maxLength).contains($0) })
        #expect(lengths.min() == c.dice.minLength && lengths.max() == maxLength)
        #expect(c.initialDPO.loss.beta == c.dice.beta && c.dice.dpo.loss.beta == c.dice.beta)
    }

    /// withSeed sets every seed of the configuration, as standard(seed:) does.
    @Test func reseeding() throws {
        #expect(try ToyDemoConfiguration.standard(seed: 0).withSeed(7) == ToyDemoConfiguration.standard(seed: 7))
    }

    /// Rounds 1 and 2 of the demo's DICE run, checked against what must hold whatever the
    /// seed: each round trains exactly its configured steps; its first update starts from
    /// π_t = π_{t−1} = the training reference, so the sigmoid loss is log 2 and every reward 0
    /// (closed form); training changes the weights; and the reported rates are proportions.
    @Test func roundsOneAndTwoTrainFromTheirReference() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let c = try Self.small()
        #expect(c.dice.dpo.loss.kind == .sigmoid && c.dice.dpo.loss.labelSmoothing == 0 && c.dice.dpo.loss.sftWeight == 0)
        let report = try ToyDemo(configuration: c, folder: folder.url, backend: CPUBackend()).run()
        let run = folder.url.appendingPathComponent("runs/dice")
        var previous = folder.url.appendingPathComponent("models/pi_0/model.safetensors")
        for t in 1...2 {
            let round = run.appendingPathComponent("round-\(t)")
            let rows = try JSONL.read(DPOMetrics.self, from: round.appendingPathComponent("metrics.jsonl"))
            #expect(rows.map(\.step) == Array(1...c.dice.dpo.steps), "round \(t)")
            let first = try #require(rows.first)
            #expect(abs(first.loss - log(2)) < 1e-6, "round \(t): first loss \(first.loss)")
            #expect(abs(first.rewardsChosen) < 1e-6 && abs(first.rewardsRejected) < 1e-6, "round \(t)")
            #expect(rows.allSatisfy { $0.loss.isFinite && ($0.gradNorm ?? .nan).isFinite }, "round \(t)")
            let weights = round.appendingPathComponent("model/model.safetensors")
            #expect(try Data(contentsOf: weights) != Data(contentsOf: previous), "round \(t) did not change the weights")
            previous = weights
            let row = report.rounds[t]
            #expect(row.round == t && row.alpha != nil)
            #expect((0...1).contains(row.winRate) && (0...1).contains(row.lcWinRate) && row.averageLength > 0)
        }
    }
}
