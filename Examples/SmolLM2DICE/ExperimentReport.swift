// ExperimentReport: what the SmolLM2 DICE example found — report.json and report.md.

import DICEKit
import Foundation

/// How often one model's held-out responses meet their constraints.
struct Satisfaction: Sendable, Hashable, Codable {
    /// Constraints met / constraints asked, over all responses.
    var constraintRate: Double
    /// Responses that meet every constraint of their prompt / responses.
    var allMetRate: Double
    /// Responses cut by the token cap / responses.
    var truncatedRate: Double
    /// Mean response length in characters.
    var averageCharacters: Double
}

/// One model on the held-out prompts: its constraint satisfaction and, for a trained model,
/// its head-to-head against the starting model (π_ref, the instruct model).
struct ModelRow: Sendable, Hashable, Codable {
    /// "pi_ref", "pi_0", "pi_1", …
    var model: String
    var satisfaction: Satisfaction
    /// Against π_ref's responses, judged by `ConstraintJudge` (nil for π_ref itself).
    var againstStart: HeadToHeadResult?
}

/// One DICE round's pairing and training, in brief.
struct RoundRow: Sendable, Hashable, Codable {
    /// "dice" (the implicit reward) or "rm" (the reward model's scores).
    var run: String
    var round: Int
    var pairs: Int
    var truncatedDropped: Int
    var promptsWithTooFewValid: Int
    var alpha: Double
    var generatedPairsUsed: Int
    var offlinePairsUsed: Int
    var finalLoss: Double?
    /// The constraint judge on the round's generated pairs (chosen as A, rejected as B): how
    /// often the implicit reward's ranking agrees with the ground truth (ties: both responses
    /// equally good by the judge).
    var judgeOnPairs: WinRate
}

/// The comparison's reward model, trained on D_offline.
struct RewardModelRow: Sendable, Hashable, Codable {
    var trainingPairs: Int
    var validationPairs: Int
    var steps: Int
    /// Reward accuracy of the last update's batch and on the held-out offline pairs.
    var trainingAccuracy: Double?
    var validationAccuracy: Double?
    var validationLoss: Double?
}

/// Wall-clock and CPU seconds of one phase ("dice round 1 sample", "offline only round 2 train", …).
struct PhaseTime: Sendable, Hashable, Codable {
    var phase: String
    var seconds: Double
    /// The process's user + system seconds (all threads) during the phase.
    var cpuSeconds: Double
}

/// The whole example's report.
struct ExperimentReport: Sendable, Hashable, Codable {
    var settings: ExperimentSettings
    /// The model directory π_ref was loaded from.
    var model: String
    /// Offline pairs made (π_ref's two samples judged apart) and prompts whose two samples tied.
    var offlinePairs: Int
    var offlineTies: Int
    var rows: [ModelRow]
    var rounds: [RoundRow]
    /// The comparison's reward model (nil without --comparisons).
    var rewardModel: RewardModelRow?
    /// Wall-clock seconds per stage, and "total".
    var seconds: [String: Double]
    /// Wall-clock seconds per phase of every round (this invocation).
    var phases: [PhaseTime]
    /// CPU threads the backend used.
    var threads: Int

    /// The report for people.
    var markdown: String {
        func pct(_ x: Double) -> String { String(format: "%.1f%%", 100 * x) }
        let s = settings
        var md = "# SmolLM2-135M-Instruct: DICE on constrained AlpacaEval instructions\n\n"
        md += "Model `\(model)`; \(s.prompts) training prompts, \(s.heldOut) held out, \(s.constraintsPerPrompt) verifiable constraints per prompt; "
        md += "K = \(s.samples), \(s.rounds) round(s), \(s.maxNewTokens) new tokens, T \(s.temperature), top-p \(s.topP); "
        md += "DPO \(s.initialSteps) (π_0) and \(s.steps) (per round) steps, lr \(s.learningRate), batch \(s.batchSize), β \(s.beta), γ \(s.gamma); seed \(s.seed); \(threads) threads.\n\n"
        md += "Offline data: \(offlinePairs) pairs, each two samples of π_ref labelled by the constraint judge (\(offlineTies) prompts tied and gave none).\n\n"
        md += "## Held-out prompts (\(s.heldOut) × \(s.evaluationSamples) responses per model)\n\n"
        md += "Models: π_0 = DPO(π_ref, D_offline); pi_t: DICE round t (implicit reward, γ \(s.gamma)); offline_only_t: the same rounds on D_offline alone (γ = 1); "
        md += "rm_t: DICE round t ranked by a reward model trained on D_offline. Each against π_ref's responses, with 95% bootstrap intervals.\n\n"
        md += "| model | constraints met | all met | truncated | avg chars | win rate vs π_ref | LC win rate vs π_ref | W / T / L |\n"
        md += "|---|---|---|---|---|---|---|---|\n"
        func withInterval(_ x: Double, _ i: BootstrapInterval?) -> String {
            guard let i else { return pct(x) }
            return "\(pct(x)) [\(String(format: "%.1f", 100 * i.lower)), \(String(format: "%.1f", 100 * i.upper))]"
        }
        for r in rows {
            let h2h = r.againstStart.map {
                "\(withInterval($0.winRate.rate, $0.intervals?.winRate)) | \(withInterval($0.lengthControlled.rate, $0.intervals?.lengthControlled)) | \($0.winRate.wins) / \($0.winRate.ties) / \($0.winRate.losses)"
            } ?? "— | — | —"
            md += "| \(r.model) | \(pct(r.satisfaction.constraintRate)) | \(pct(r.satisfaction.allMetRate)) | \(pct(r.satisfaction.truncatedRate)) | \(String(format: "%.0f", r.satisfaction.averageCharacters)) | \(h2h) |\n"
        }
        md += "\nWin rate: the constraint judge (more constraints met wins; equal counts go to the smaller graded violation; otherwise a tie, counted ½). "
        md += "LC: AlpacaEval 2's length-controlled win rate (logistic fit on tanh(Δchars / sd), read at Δ = 0).\n\n"
        md += "## Rounds\n\n| run | round | pairs | truncated dropped | prompts with too few valid | judge on pairs: chosen W / T / L | α | generated + offline used | final DPO loss |\n|---|---|---|---|---|---|---|---|---|\n"
        for r in rounds {
            md += "| \(r.run) | \(r.round) | \(r.pairs) | \(r.truncatedDropped) | \(r.promptsWithTooFewValid) | \(r.judgeOnPairs.wins) / \(r.judgeOnPairs.ties) / \(r.judgeOnPairs.losses) | \(String(format: "%.4g", r.alpha)) | \(r.generatedPairsUsed) + \(r.offlinePairsUsed) | \(r.finalLoss.map { String(format: "%.4f", $0) } ?? "—") |\n"
        }
        if let rm = rewardModel {
            func acc(_ x: Double?) -> String { x.map(pct) ?? "—" }
            md += "\nReward model: Bradley–Terry on \(rm.trainingPairs) offline pairs, \(rm.steps) updates; reward accuracy \(acc(rm.trainingAccuracy)) on the last batch, "
            md += "\(acc(rm.validationAccuracy)) on \(rm.validationPairs) held-out offline pairs.\n"
        }
        md += "\n## Time (this invocation: a resumed run counts only what it ran)\n\n| phase | wall seconds | CPU seconds |\n|---|---|---|\n"
        for p in phases { md += "| \(p.phase) | \(String(format: "%.0f", p.seconds)) | \(String(format: "%.0f", p.cpuSeconds)) |\n" }
        md += "\n| stage | seconds |\n|---|---|\n"
        for key in seconds.keys.sorted() { md += "| \(key) | \(String(format: "%.0f", seconds[key] ?? 0)) |\n" }
        return md
    }

    /// Writes report.json and report.md into `folder`, atomically.
    /// - Throws: `FormatError.io`; `ExampleError.badInput` when a figure is not finite.
    func write(to folder: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        let json: Data
        do { json = try encoder.encode(self) } catch {
            throw ExampleError.badInput(path: folder.appendingPathComponent("report.json").path, reason: "cannot encode: \(error)")
        }
        try AtomicFile.write(json, to: folder.appendingPathComponent("report.json"))
        try AtomicFile.write(Data(markdown.utf8), to: folder.appendingPathComponent("report.md"))
    }
}
