// ReportRunFixture: a finished one-round DICE run folder written directly with the library's own
// types and pair builder (no model, no sampling), sized at will — for `dice report` tests that
// need many pairs (10,000) or texts of their choosing.

import DICEKit
import Foundation

enum ReportRunFixture {
    /// Writes a finished one-round run into `folder`: `prompts` prompts × 2 scored samples
    /// (lengths 1…40 tokens plus a stop token, seeded rewards), the pairs BestWorstPairBuilder
    /// makes from them (α searched), every pair in the training set with the prompt text
    /// `promptText(p)`, 3 metrics rows, the round report and the run summary. `text(p, s)` is the
    /// text of sample s of prompt p. Returns the pairs as written to pairs.jsonl.
    @discardableResult
    static func write(to folder: URL, prompts: Int, seed: UInt64 = 1,
                      promptText: (Int) -> String = { "prompt \($0)" },
                      text: (Int, Int) -> String = { "answer \($1) to prompt \($0)" }) throws -> [GeneratedPair] {
        let layout = RunLayout(root: folder)
        try layout.createDirectories(rounds: 1)
        let configuration = DICEConfiguration(rounds: 1, samplesPerPrompt: 2, alpha: .auto, lengthUnit: .tokens,
                                              minValid: 2, gamma: 0, dpo: DPOConfiguration(loss: try DPOLoss(beta: 0.1),
                                                                                            batchSize: 4, steps: 3),
                                              seed: seed)
        let promptTokens = (0 ..< prompts).map { [1 + $0 % 20, 2] }
        try RunSettings(configuration: configuration, prompts: promptTokens, offline: []).write(to: layout.settings)
        var rng = SplitMix64(seed: seed)
        var samples: [SampleRecord] = []
        for p in 0 ..< prompts {
            for s in 0 ..< 2 {
                let length = 1 + Int(rng.next() % 40)
                samples.append(SampleRecord(promptIndex: p, sampleIndex: s, tokens: Array(repeating: 3 + s, count: length) + [0],
                                            text: text(p, s), finishReason: .stop))
            }
        }
        let scored = samples.map { sample -> SampleRecord in
            var r = sample
            let reward = Double(Int(rng.next() % 2001) - 1000) / 1000 + 0.02 * Double(sample.tokens.count)
            r.score = RewardScore(reward: reward)
            return r
        }
        try JSONL.write(samples, to: layout.samples(1))
        try JSONL.write(scored, to: layout.scored(1))
        let builder = try BestWorstPairBuilder(lengthUnit: .tokens, minValid: 2, regularizer: LengthRegularizer(alpha: .auto))
        let built = try builder.buildPairs(from: scored)
        try JSONL.write(built.pairs, to: layout.pairs(1))
        let training = built.pairs.map {
            TrainingPairRecord(generated: $0, prompt: promptText($0.promptIndex), promptTokens: promptTokens[$0.promptIndex])
        }
        try JSONL.write(training, to: layout.trainingSet(1))
        var metrics: [DPOMetrics] = []
        for step in 1 ... 3 {
            let x = Double(step)
            metrics.append(DPOMetrics(step: step, epoch: x / 3, isValidation: false, loss: 0.69 - 0.05 * x,
                                      rewardsChosen: 0.01 * x, rewardsRejected: -0.01 * x, rewardsMargins: 0.02 * x,
                                      rewardsAccuracies: 0.5 + 0.1 * x, logpsChosen: -20, logpsRejected: -21,
                                      gradNorm: 1.5 / x, learningRate: 5e-7))
        }
        try JSONL.write(metrics, to: layout.metrics(1))
        var report = RoundReport(plan: RoundPlan(round: 1), prompts: prompts, samplesPerPrompt: 2, lengthUnit: .tokens,
                                 pairing: built, rewards: RoundRewards(scored: scored, pairs: built.pairs), gamma: 0,
                                 replay: ReplaySelection(generated: Array(built.pairs.indices), offline: [], requestedOffline: 0))
        report.training = metrics.last?.values
        try report.write(to: layout)
        try RunState(round: 1, phase: .evaluate).write(to: layout.state)
        try RunReport(configuration: configuration, rounds: [report]).write(to: layout)
        return built.pairs
    }

    /// The `<script type="application/json" id="report-data">` of a report page, parsed (nil when
    /// the page has none or it is not JSON).
    static func embeddedData(_ html: String) -> [String: Any]? {
        let open = "<script type=\"application/json\" id=\"report-data\">"
        guard let start = html.range(of: open), let end = html.range(of: "</script>", range: start.upperBound ..< html.endIndex)
        else { return nil }
        let json = Data(html[start.upperBound ..< end.lowerBound].utf8)
        return (try? JSONSerialization.jsonObject(with: json)) as? [String: Any]
    }

    /// The rows of table `k` of the embedded data.
    static func tableRows(_ html: String, table k: Int = 0) -> [[Any]]? {
        guard let tables = embeddedData(html)?["tables"] as? [[String: Any]], tables.indices.contains(k) else { return nil }
        return tables[k]["rows"] as? [[Any]]
    }
}
