// ReportPage+Run: the sections of one DICE run — its settings and round overview, then per
// round the pairing figures, the α search, lengths, rewards, training curves, evaluation and
// the browsable pairs — each saying what is missing when its file could not be read.

import DICEKit
import Foundation

extension ReportPage {
    /// Adds the sections of `run`: an overview, then one section per round. `idPrefix` keeps
    /// element ids unique when a page shows several runs.
    mutating func addRun(_ run: ReportRun, idPrefix: String, problems: [ReportProblem], reader: LenientReader) {
        let name = run.name.isEmpty ? "DICE run" : "Run “\(run.name)”"
        var s = "<h2>\(HTML.escape(name))</h2>"
        s += "<p class=\"path\"><code>\(HTML.escape(reader.relative(run.layout.root)))</code> · \(HTML.escape(Self.status(run)))</p>"
        if let c = run.configuration {
            s += "<table class=\"settings\"><tbody>"
            let rows: [(String, String)] = [
                ("rounds", "\(c.rounds)"), ("samples per prompt (K)", "\(c.samplesPerPrompt)"), ("β", HTML.number(c.beta)),
                ("α", c.alpha.description), ("γ (offline share)", HTML.number(c.gamma)), ("length unit", c.lengthUnit.rawValue),
                ("min valid responses", "\(c.minValid)"),
                ("DPO", "\(c.dpo.steps) steps of \(c.dpo.batchSize) pairs, lr \(HTML.number(c.dpo.learningRate))"),
                ("seed", "\(c.seed)"),
            ]
            for (k, v) in rows { s += "<tr><th scope=\"row\">\(HTML.escape(k))</th><td>\(HTML.escape(v))</td></tr>" }
            s += "</tbody></table>"
        } else {
            s += Self.missing("settings", files: [RunLayout(root: run.layout.root).settings], reader: reader, problems: problems)
        }
        s += Self.overview(run)
        addSection(id: "\(idPrefix)run", heading: name, html: s)
        for round in run.rounds {
            addRound(round, run: run, idPrefix: idPrefix, runName: name, problems: problems, reader: reader)
        }
    }

    /// Where the run stands, from its state.
    static func status(_ run: ReportRun) -> String {
        guard let state = run.state else { return "progress unknown (state.json unreadable)" }
        let rounds = run.configuration?.rounds ?? run.rounds.count
        if state.next(rounds: rounds) == nil && rounds > 0 { return "finished (\(rounds) rounds)" }
        guard let phase = state.phase else { return "nothing completed yet" }
        return "stopped or running: round \(state.round), last completed phase “\(phase.rawValue)” of \(rounds) rounds"
    }

    /// One row per round of the figures in its report.json.
    static func overview(_ run: ReportRun) -> String {
        let reports = run.rounds.compactMap(\.report)
        guard !reports.isEmpty else { return "" }
        var s = "<table class=\"overview\"><thead><tr><th>round</th><th>pairs</th><th>α</th><th>length gap before → after</th>"
        s += "<th>training set (generated + offline)</th><th>loss</th><th>reward accuracy</th><th>win rate</th><th>LC win rate</th></tr></thead><tbody>"
        for r in reports {
            let g = r.lengthRegularization
            s += "<tr><td>\(r.round)</td><td>\(r.pairing.pairs)</td><td>\(HTML.number(g.alpha))</td>"
            s += "<td>\(HTML.number(g.meanLengthGapBefore)) → \(HTML.number(g.meanLengthGapAfter))</td>"
            s += "<td>\(r.generatedPairsUsed) + \(r.offlinePairsUsed)</td><td>\(HTML.number(r.training?["loss"]))</td>"
            s += "<td>\(HTML.number(r.training?["rewards/accuracies"], digits: 3))</td>"
            s += "<td>\(HTML.percent(r.evaluation?.winRate.rate))</td><td>\(HTML.percent(r.evaluation?.lengthControlled.rate))</td></tr>"
        }
        return s + "</tbody></table>"
    }

    /// A note naming the files that `what` needs and why each is not shown.
    static func missing(_ what: String, files: [URL], reader: LenientReader, problems: [ReportProblem]) -> String {
        let names = files.map { reader.relative($0) }
        let listed = problems.filter { names.contains($0.file) }
        let reasons = listed.isEmpty ? names.map { "\($0): not written yet" } : listed.map(\.description)
        return "<p class=\"missing\">No \(HTML.escape(what)): " + reasons.map { "<code>\(HTML.escape($0))</code>" }.joined(separator: "; ") + "</p>"
    }

    private mutating func addRound(_ round: ReportRound, run: ReportRun, idPrefix: String, runName: String,
                                   problems: [ReportProblem], reader: LenientReader) {
        let t = round.round, layout = run.layout
        let unit = round.report?.lengthUnit ?? run.configuration?.lengthUnit ?? .characters
        var s = "<h3>\(HTML.escape(runName)) · round \(t)</h3>"
        if round.notRunYet {
            s += "<p class=\"missing\">Not run yet.</p>"
            addSection(id: "\(idPrefix)round-\(t)", heading: "\(runName), round \(t)", html: s)
            return
        }
        func none(_ what: String, _ files: [URL]) -> String {
            Self.missing(what, files: files, reader: reader, problems: problems)
        }
        var progress = round.completed.map { "phases completed: up to “\($0.rawValue)”" } ?? "progress unknown"
        if let samples = round.samples {
            let cut = samples.filter { $0.finishReason == .length }.count
            progress += " · \(samples.count) responses sampled, \(cut) stopped by the length cap"
        }
        s += "<p class=\"path\">\(HTML.escape(progress))</p>"
        // Pairing figures.
        if let r = round.report {
            let p = r.pairing, g = r.lengthRegularization
            let cards: [(String, String)] = [
                ("prompts × K", "\(r.prompts) × \(r.samplesPerPrompt)"),
                ("dropped responses", "\(p.truncated) truncated, \(p.degenerate) degenerate"),
                ("dropped prompts", "\(p.promptsWithTooFewValid) too few valid, \(p.promptsAllEqual) all equal"),
                ("pairs", "\(p.pairs)"),
                ("α", HTML.number(g.alpha)),
                ("length gap (\(unit.rawValue))", "\(HTML.number(g.meanLengthGapBefore)) → \(HTML.number(g.meanLengthGapAfter))"),
                ("training set (γ = \(HTML.number(r.gamma)))", "\(r.generatedPairsUsed) generated + \(r.offlinePairsUsed) offline"),
            ]
            s += "<dl class=\"cards\">" + cards.map { "<div><dt>\(HTML.escape($0.0))</dt><dd>\(HTML.escape($0.1))</dd></div>" }.joined() + "</dl>"
        } else {
            s += none("round report", [layout.roundReportJSON(t)])
        }
        // α search, lengths, rewards.
        s += "<div class=\"charts\">"
        if let scored = round.scored {
            let alpha = round.report?.lengthRegularization.alpha ?? 0
            if let curve = AlphaSearchCurve.make(scored: scored, configuration: run.configuration, unit: unit, chosenAlpha: alpha) {
                s += "<figure>" + ReportCharts.alphaSearch(curve, unit: unit)
                s += "<figcaption>Mean length gap (chosen − rejected) of the pairs each α would make, recomputed from <code>scored.jsonl</code>: \(HTML.number(curve.atZero.gap)) at α = 0, \(HTML.number(curve.chosen.gap)) at the round's α = \(HTML.number(curve.chosen.alpha)) (\(curve.chosen.pairs) pairs).</figcaption></figure>"
            } else {
                s += "<p class=\"missing\">No α search to show: no prompt kept two valid responses.</p>"
            }
        } else {
            s += none("α search", [layout.scored(t)])
        }
        if let pairs = round.pairs, !pairs.isEmpty {
            s += "<figure>" + ReportCharts.histogram(
                title: "Lengths of the pairs' responses", xLabel: "length (\(unit.rawValue))",
                series: [("chosen", ReportCharts.chosen, pairs.map { Double($0.chosenLength) }),
                         ("rejected", ReportCharts.rejected, pairs.map { Double($0.rejectedLength) })],
                integer: true) + "</figure>"
        } else if round.pairs == nil {
            s += none("pair lengths", [layout.pairs(t)])
        }
        let sampleRewards = (round.scored ?? []).compactMap { $0.score?.reward }
        let chosenRewards = (round.pairs ?? []).compactMap { $0.chosen.score?.reward }
        let rejectedRewards = (round.pairs ?? []).compactMap { $0.rejected.score?.reward }
        if !sampleRewards.isEmpty || !chosenRewards.isEmpty {
            var series: [(name: String, color: String, values: [Double])] = []
            if !sampleRewards.isEmpty { series.append(("all samples", ReportCharts.neutral, sampleRewards)) }
            if !chosenRewards.isEmpty {
                series.append(("chosen", ReportCharts.chosen, chosenRewards))
                series.append(("rejected", ReportCharts.rejected, rejectedRewards))
            }
            s += "<figure>" + ReportCharts.histogram(title: "Implicit rewards r = β·log(π/π_ref)", xLabel: "reward", series: series)
            s += "<figcaption>Unshaped rewards (before the length penalty α·|y|).</figcaption></figure>"
        } else if round.scored == nil {
            s += none("reward distribution", [layout.scored(t)])
        }
        s += "</div>"
        // Training.
        s += "<h4>Training</h4>"
        let curves = ReportCharts.training(round.metrics ?? [])
        if !curves.isEmpty {
            s += "<div class=\"charts small\">" + curves.map { "<figure>\($0)</figure>" }.joined() + "</div>"
        } else {
            s += none("training curves", [layout.metrics(t)])
        }
        if let training = round.report?.training, !training.isEmpty {
            s += "<table class=\"metrics\"><thead><tr><th>final metric</th><th>value</th></tr></thead><tbody>"
            for key in training.keys.sorted() { s += "<tr><td>\(HTML.escape(key))</td><td>\(HTML.number(training[key]))</td></tr>" }
            s += "</tbody></table>"
        }
        // Evaluation.
        s += "<h4>Evaluation</h4>" + Self.evaluation(round, runName: runName)
        // Pairs.
        s += "<h4>Pairs</h4>"
        if let pairs = round.pairs {
            let table = PairTableData(id: "pairs-\(idPrefix)round-\(t)", pairs: pairs, trainingSet: round.trainingSet, lengthUnit: unit)
            if round.trainingSet == nil { s += none("prompt texts", [layout.trainingSet(t)]) }
            s += addPairTable(table, caption: "\(runName), round \(t): \(pairs.count) pairs")
        } else {
            s += none("pairs", [layout.pairs(t)])
        }
        addSection(id: "\(idPrefix)round-\(t)", heading: "\(runName), round \(t)", html: s)
    }

    /// The round's evaluation against π_0 with intervals: the report's own when it records them,
    /// else a Wilson score interval of the raw win rate computed here from the counts.
    static func evaluation(_ round: ReportRound, runName: String) -> String {
        guard let e = round.report?.evaluation else {
            let accuracy = round.report?.rewardAccuracy
            return accuracy.map { "<p>Implicit reward accuracy on held-out offline pairs: \(HTML.percent($0.accuracy)) (\($0.correct)/\($0.total)).</p>" }
                ?? "<p class=\"note\">Not evaluated here: the round report has no evaluation (a run without an evaluator, one that has not reached that phase, or a demo run, which is judged in the demo summary).</p>"
        }
        let object = round.reportObject?["evaluation"] as? [String: Any] ?? [:]
        let lc = IntervalLookup.figure("lengthControlled", in: object) ?? Figure(value: e.lengthControlled.rate, interval: nil)
        var win = IntervalLookup.figure("winRate", in: object) ?? Figure(value: e.winRate.rate, interval: nil)
        var note = ""
        if win.interval == nil, let wilson = wilson(e.winRate) {
            win.interval = wilson
            note = "Win-rate interval: Wilson score 95%, computed by dice report from the counts (ties as half)."
        }
        var s = "<table class=\"evaluation\"><thead><tr><th>win rate</th><th>LC win rate</th><th>wins / ties / losses</th><th>avg length</th><th>π_0 avg length</th></tr></thead><tbody><tr>"
        s += "<td>\(HTML.percent(win.value))\(win.interval.map { " <span class=\"ci\">[\(HTML.percent($0.lowerBound)), \(HTML.percent($0.upperBound))]</span>" } ?? "")</td>"
        s += "<td>\(HTML.percent(lc.value))\(lc.interval.map { " <span class=\"ci\">[\(HTML.percent($0.lowerBound)), \(HTML.percent($0.upperBound))]</span>" } ?? "")</td>"
        s += "<td>\(e.winRate.wins) / \(e.winRate.ties) / \(e.winRate.losses)</td><td>\(HTML.number(e.averageLength))</td><td>\(HTML.number(e.baselineAverageLength))</td></tr></tbody></table>"
        s += ReportCharts.rates(title: "Round \(round.round) against π_0",
                                rows: [("round \(round.round)", [("win rate", ReportCharts.accent, win), ("LC win rate", ReportCharts.warm, lc)])])
        if !note.isEmpty { s += "<p class=\"note\">\(HTML.escape(note))</p>" }
        if let a = round.report?.rewardAccuracy {
            s += "<p>Implicit reward accuracy on held-out offline pairs: \(HTML.percent(a.accuracy)) (\(a.correct)/\(a.total)).</p>"
        }
        return s
    }

    /// The Wilson score 95% interval of (wins + ties/2)/n; nil without comparisons.
    static func wilson(_ w: WinRate) -> ClosedRange<Double>? {
        let n = Double(w.count)
        guard n > 0 else { return nil }
        let p = w.rate, z = 1.959963984540054
        let centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        let half = z / (1 + z * z / n) * (p * (1 - p) / n + z * z / (4 * n * n)).squareRoot()
        return max(0, centre - half) ... min(1, centre + half)
    }
}
