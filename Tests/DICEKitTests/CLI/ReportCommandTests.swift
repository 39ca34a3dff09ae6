// `dice report` without a browser: the page of a real `dice bootstrap` run and of a demo folder
// holds the runs' data (checked against the run's own files), is self-contained, escapes
// hostile text, and damaged or missing input is named (file and line) while the page still shows
// the rest.

import DICEKit
import Foundation
import Testing

@Suite("dice report")
struct ReportCommandTests {
    /// Runs `dice report folder --output page.html` in `scratch`; returns the result and the page.
    static func report(_ folder: String, in scratch: ScratchFolder, page: String = "page.html",
                       sourceLocation: SourceLocation = #_sourceLocation) throws -> (DiceTool.Result, String?)? {
        guard let result = try DiceTool.run(["report", folder, "--output", page], in: scratch.url,
                                            sourceLocation: sourceLocation) else { return nil }
        return (result, try? String(contentsOf: scratch.file(page), encoding: .utf8))
    }

    /// The value of attribute `name` on the element whose `id` is `id`, from the page's markup.
    static func attribute(_ name: String, ofID id: String, in html: String) -> String? {
        guard let element = html.range(of: "id=\"\(id)\"") else { return nil }
        let tagStart = html[..<element.lowerBound].lastIndex(of: "<") ?? element.lowerBound
        guard let tagEnd = html[element.upperBound...].firstIndex(of: ">") else { return nil }
        let tag = html[tagStart ..< tagEnd]
        guard let a = tag.range(of: " \(name)=\"") else { return nil }
        return String(tag[a.upperBound...].prefix { $0 != "\"" })
    }

    /// Nothing on the page is fetched: no src/href to other files, no @import or url(), no <link>.
    static func expectSelfContained(_ html: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for needle in [" src=", "<link", "@import", "url(", "href=\"http", "href=\"//", "<iframe", "<img"] {
            #expect(!html.contains(needle), "the page contains \(needle)", sourceLocation: sourceLocation)
        }
        // The only absolute URL is SVG's namespace name (an identifier, never fetched).
        let urls = html.components(separatedBy: "http").count - 1
        let namespaces = html.components(separatedBy: "xmlns=\"http://www.w3.org/2000/svg\"").count - 1
        #expect(urls == namespaces, sourceLocation: sourceLocation)
    }

    @Test("a dice bootstrap run: every section, the pairs of pairs.jsonl, self-contained")
    func bootstrapRun() throws {
        let scratch = try ScratchFolder("report-run")
        defer { scratch.remove() }
        try ToyModelFolders.bootstrapInputs(in: scratch.url)
        let run = try DiceTool.run(ToyModelFolders.bootstrapArguments(scratch.url, run: "run"), in: scratch.url)
        try #require(run?.status == 0, "\(run?.stderr ?? "")")
        guard let (result, page) = try Self.report("run", in: scratch) else { return }
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.isEmpty)
        let html = try #require(page)
        Self.expectSelfContained(html)
        #expect(!html.contains("id=\"problems\""))
        for id in ["run", "round-1", "round-2", "pairs-round-1", "pairs-round-2", "page-check", "report-data"] {
            #expect(html.contains("id=\"\(id)\""), "no element \(id)")
        }
        for heading in ["α search", "Lengths of the pairs", "Implicit rewards", "Training", "Evaluation", "Pairs"] {
            #expect(html.contains(heading), "no \(heading)")
        }
        // Each round's table holds pairs.jsonl's rows, in order, with their lengths and rewards.
        let layout = RunLayout(root: scratch.file("run"))
        try Self.expectAlphaCaptions(html, layout: layout, rounds: 2)
        for t in 1 ... 2 {
            let pairs = try JSONL.read(GeneratedPair.self, from: layout.pairs(t))
            let training = try JSONL.read(TrainingPairRecord.self, from: layout.trainingSet(t))
            #expect(Self.attribute("data-total", ofID: "pairs-round-\(t)-count", in: html) == "\(pairs.count)")
            let rows = try #require(ReportRunFixture.tableRows(html, table: t - 1))
            try #require(rows.count == pairs.count)
            for (row, pair) in zip(rows, pairs) {
                #expect(row[0] as? Int == pair.promptIndex)
                #expect(row[2] as? String == pair.chosen.text)
                #expect(row[3] as? String == pair.rejected.text)
                #expect((row[4] as? Double).map { abs($0 - (pair.chosen.score?.reward ?? .nan)) < 1e-12 } == true)
                #expect((row[5] as? Double).map { abs($0 - (pair.rejected.score?.reward ?? .nan)) < 1e-12 } == true)
                #expect(row[6] as? Int == pair.chosenLength)
                #expect(row[7] as? Int == pair.rejectedLength)
                let trained = training.contains { $0.source == .generated && $0.chosenTokens == pair.chosen.tokens
                    && $0.rejectedTokens == pair.rejected.tokens }
                #expect(row[8] as? Int == (trained ? 1 : 0))
            }
        }
    }

    /// The α search recomputed from scored.jsonl gives, at α = 0 and at the round's α, the gaps
    /// the loop's pair builder recorded in the round report (the oracle).
    static func expectAlphaCaptions(_ html: String, layout: RunLayout, rounds: Int,
                                    sourceLocation: SourceLocation = #_sourceLocation) throws {
        for t in 1 ... rounds {
            let report = try JSONDecoder().decode(RoundReport.self, from: Data(contentsOf: layout.roundReportJSON(t)))
            let g = report.lengthRegularization
            func text(_ x: Double) -> String { x == 0 ? "0" : String(format: "%.4g", x) }
            let caption = ": \(text(g.meanLengthGapBefore)) at α = 0, \(text(g.meanLengthGapAfter)) at the round's α = \(text(g.alpha)) (\(g.pairCountAfter) pairs)"
            #expect(html.contains(caption), "round \(t): no caption \(caption)", sourceLocation: sourceLocation)
        }
    }

    @Test("evaluation: the report's own interval when recorded, else a Wilson interval of the counts")
    func evaluationIntervals() throws {
        let scratch = try ScratchFolder("report-evaluation")
        defer { scratch.remove() }
        let layout = RunLayout(root: scratch.file("run"))
        try ReportRunFixture.write(to: layout.root, prompts: 20)
        try Self.expectAlphaCaptions(try String(contentsOf: try Self.page(layout, in: scratch), encoding: .utf8),
                                     layout: layout, rounds: 1)
        // 60 wins, 10 ties, 30 losses: raw win rate 0.65 over n = 100; the LC rate with an
        // interval as a newer report might record it.
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: layout.roundReportJSON(1))) as? [String: Any])
        object["evaluation"] = [
            "winRate": ["wins": 60, "ties": 10, "losses": 30],
            "lengthControlled": ["rate": 0.6, "intercept": 0.405, "lengthCoefficient": 0.1, "lengthScale": 2.0,
                                 "iterations": 5, "low": 0.51, "high": 0.68],
            "lengthUnit": "tokens", "averageLength": 5.5, "baselineAverageLength": 6.25,
        ] as [String: Any]
        try JSONSerialization.data(withJSONObject: object).write(to: layout.roundReportJSON(1))
        let html = try String(contentsOf: try Self.page(layout, in: scratch), encoding: .utf8)
        // The oracle: the Wilson score interval as the two roots of |p − π| = z·√(π(1 − π)/n),
        // found by bisection.
        let p = 0.65, n = 100.0, z = 1.959963984540054
        func root(_ low: Double, _ high: Double) -> Double {
            var a = low, b = high
            let f = { (x: Double) in (p - x) * (p - x) - z * z * x * (1 - x) / n }
            for _ in 0 ..< 200 {
                let m = (a + b) / 2
                if (f(a) > 0) == (f(m) > 0) { a = m } else { b = m }
            }
            return (a + b) / 2
        }
        let low = root(0, p), high = root(p, 1)
        func percent(_ x: Double) -> String { String(format: "%.1f%%", 100 * x) }
        #expect(html.contains("65.0% <span class=\"ci\">[\(percent(low)), \(percent(high))]</span>"), "Wilson [\(low), \(high)]")
        #expect(html.contains("60.0% <span class=\"ci\">[51.0%, 68.0%]</span>"))
        #expect(html.contains("<td>60 / 10 / 30</td>"))
        #expect(html.contains("Wilson score 95%"))
    }

    /// `dice report` of `layout`'s run into scratch/page.html (status 0 expected); the page's URL.
    static func page(_ layout: RunLayout, in scratch: ScratchFolder,
                     sourceLocation: SourceLocation = #_sourceLocation) throws -> URL {
        let result = try DiceTool.run(["report", layout.root.path, "--output", "page.html"], in: scratch.url,
                                      sourceLocation: sourceLocation)
        #expect(result?.status == 0, "\(result?.stderr ?? "")", sourceLocation: sourceLocation)
        return scratch.file("page.html")
    }

    @Test("hostile text (</script>, tags, quotes, U+2028) is escaped and read back exactly")
    func escaping() throws {
        let scratch = try ScratchFolder("report-escape")
        defer { scratch.remove() }
        let hostile = ["</script><script>window.__pwned=1</script>", "<img src=x onerror=alert(1)>", "a & b \"q\" 'r' <!-- c",
                       "line\u{2028}separator </SCRIPT >", "<svg onload=alert(2)>"]
        let pairs = try ReportRunFixture.write(to: scratch.file("run"), prompts: 40,
                                               promptText: { "prompt \(hostile[$0 % hostile.count]) \($0)" },
                                               text: { p, s in "\(hostile[(p + s) % hostile.count]) #\(p)-\(s)" })
        guard let (result, page) = try Self.report("run", in: scratch) else { return }
        #expect(result.status == 0, "\(result.stderr)")
        let html = try #require(page)
        // Exactly the page's own three script elements, and no injected markup.
        #expect(html.components(separatedBy: "<script").count - 1 == 3)
        #expect(html.lowercased().components(separatedBy: "</script").count - 1 == 3)
        #expect(!html.contains("<img") && !html.contains("<svg onload") && !html.contains("__pwned=1<"))
        let rows = try #require(ReportRunFixture.tableRows(html))
        try #require(rows.count == pairs.count)
        for (row, pair) in zip(rows, pairs) {
            #expect(row[2] as? String == pair.chosen.text)
            #expect(row[3] as? String == pair.rejected.text)
            #expect(row[1] as? String == "prompt \(hostile[pair.promptIndex % hostile.count]) \(pair.promptIndex)")
        }
    }

    /// A way to damage a finished run.
    enum Damage: String, CaseIterable, CustomStringConvertible {
        case scoredMissing, pairsTruncated, metricsGarbled, settingsGarbled, stateMissing, roundReportTruncated, summaryTruncated
        var description: String { rawValue }
    }

    @Test("a damaged run: the file (and line) named on stderr and on the page, the rest still shown", arguments: Damage.allCases)
    func damagedRun(_ damage: Damage) throws {
        let scratch = try ScratchFolder("report-damaged")
        defer { scratch.remove() }
        let run = scratch.file("run")
        let pairs = try ReportRunFixture.write(to: run, prompts: 30)
        let layout = RunLayout(root: run)
        let fm = FileManager.default
        var named: String
        var shownPairs = pairs.count
        switch damage {
        case .scoredMissing:
            try fm.removeItem(at: layout.scored(1))
            named = "round-1/scored.jsonl: missing"
        case .pairsTruncated:
            // Cut in the middle of line 11: ten complete rows remain.
            let data = try Data(contentsOf: layout.pairs(1))
            let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            let keep = lines.prefix(10).reduce(0) { $0 + $1.count + 1 } + lines[10].count / 2
            try data.prefix(keep).write(to: layout.pairs(1))
            named = "round-1/pairs.jsonl:11: invalid JSON"
            shownPairs = 10
        case .metricsGarbled:
            var lines = try String(contentsOf: layout.metrics(1), encoding: .utf8).split(separator: "\n").map(String.init)
            lines[1] = "{\"step\": \"two\"}"
            try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: layout.metrics(1))
            named = "round-1/metrics.jsonl:2:"
        case .settingsGarbled:
            try Data("{\"version\": 1, \"configuration\": [".utf8).write(to: layout.settings)
            named = "settings.json: invalid JSON"
        case .stateMissing:
            try fm.removeItem(at: layout.state)
            named = "state.json: missing"
        case .roundReportTruncated:
            let data = try Data(contentsOf: layout.roundReportJSON(1))
            try data.prefix(data.count / 2).write(to: layout.roundReportJSON(1))
            named = "round-1/report.json: invalid JSON"
        case .summaryTruncated:
            let data = try Data(contentsOf: layout.reportJSON)
            try data.prefix(data.count - 3).write(to: layout.reportJSON)
            named = "report.json: invalid JSON"
        }
        guard let (result, page) = try Self.report("run", in: scratch) else { return }
        #expect(result.status == 1)
        #expect(result.stderr.contains("warning: " + named), "\(result.stderr)")
        #expect(!result.stderr.contains("Fatal error") && !result.stderr.contains("Stack dump"))
        let html = try #require(page, "no page written")
        #expect(html.contains("id=\"problems\""))
        let escaped = named.replacingOccurrences(of: "\"", with: "&quot;")
        let file = String(escaped.prefix { $0 != ":" })
        #expect(html.contains("<code>\(file)"), "the page does not name \(file)")
        // What could be read is still there.
        #expect(Self.attribute("data-total", ofID: "pairs-round-1-count", in: html) == "\(shownPairs)")
        #expect(ReportRunFixture.tableRows(html)?.count == shownPairs)
        #expect(html.contains("id=\"round-1\""))
    }

    @Test("absurd but well-formed numbers (10⁹ rounds, rewards of ±1e308, a round of 10¹⁸): a page, quickly")
    func absurdNumbers() throws {
        let scratch = try ScratchFolder("report-absurd")
        defer { scratch.remove() }
        let layout = RunLayout(root: scratch.file("run"))
        try ReportRunFixture.write(to: layout.root, prompts: 12)
        var settings = try JSONDecoder().decode(RunSettings.self, from: Data(contentsOf: layout.settings))
        settings.configuration.rounds = 1_000_000_000
        try settings.write(to: layout.settings)
        var scored = try JSONL.read(SampleRecord.self, from: layout.scored(1))
        for k in scored.indices { scored[k].score = RewardScore(reward: k % 2 == 0 ? 1e308 : -1e308) }
        try JSONL.write(scored, to: layout.scored(1))
        var pairs = try JSONL.read(GeneratedPair.self, from: layout.pairs(1))
        pairs[0].chosen.score = RewardScore(reward: 1.7e308)
        pairs[0].rejected.score = RewardScore(reward: -1.7e308)
        try JSONL.write(pairs, to: layout.pairs(1))
        try Data("{\"round\": 1, \"win_rate\": 1e300, \"rounds\": []}".utf8).write(to: layout.roundReportJSON(1))
        let demo = scratch.file("demo")
        try FileManager.default.createDirectory(at: demo.appendingPathComponent("runs"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: layout.root, to: demo.appendingPathComponent("runs/dice"))
        try Data("{\"rounds\": [{\"round\": 1e18, \"win_rate\": 1e308, \"lc_win_rate\": -1e308, \"win_rate_ci\": [-1e308, 1e308]}], \"ablations\": {\"x\": 5}}".utf8)
            .write(to: demo.appendingPathComponent("report.json"))
        let started = Date()
        guard let (result, page) = try Self.report("demo", in: scratch) else { return }
        #expect(Date().timeIntervalSince(started) < 30)
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("runs/dice/round-1/report.json: missing field"))
        #expect(result.stderr.contains("report.json: ablations.x: expected an object"))
        let html = try #require(page)
        #expect(html.contains("id=\"dice-round-1\"") && html.contains("id=\"dice-round-21\"") && !html.contains("id=\"dice-round-22\""))
        #expect(ReportRunFixture.tableRows(html)?.count == pairs.count)
    }

    @Test("a folder that is not a run: said so (exit 1), on a page that names runs found below it")
    func notARun() throws {
        let scratch = try ScratchFolder("report-not-a-run")
        defer { scratch.remove() }
        let folder = scratch.file("stuff")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("notes"), withIntermediateDirectories: true)
        try Data("hello".utf8).write(to: folder.appendingPathComponent("readme.txt"))
        try ReportRunFixture.write(to: folder.appendingPathComponent("experiments/run-a"), prompts: 4)
        guard let (result, page) = try Self.report("stuff", in: scratch) else { return }
        #expect(result.status == 1)
        #expect(result.stderr.contains("not a DICE run"), "\(result.stderr)")
        #expect(result.stderr.contains("experiments/run-a"))
        let html = try #require(page)
        #expect(html.contains("This folder is not a DICE run"))
        #expect(html.contains("<code>experiments/run-a</code>"))

        guard let (missing, nothing) = try Self.report("nowhere", in: scratch, page: "nowhere.html") else { return }
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("nowhere: no such folder"))
        #expect(nothing == nil)
    }

    @Test("a dice demo folder: every model against π_0 with the intervals report.json records, and each run")
    func demoFolder() throws {
        let scratch = try ScratchFolder("report-demo")
        defer { scratch.remove() }
        let demo = scratch.file("demo")
        try ReportRunFixture.write(to: demo.appendingPathComponent("runs/dice"), prompts: 12)
        try ReportRunFixture.write(to: demo.appendingPathComponent("runs/gamma_0"), prompts: 8, seed: 2)
        // Rows in the demo's keys; intervals in three spellings, and one row without.
        let report = """
        {"rounds": [
          {"round": 0, "win_rate": 0.5, "lc_win_rate": 0.5, "avg_length": 5.25},
          {"round": 1, "win_rate": 0.61, "lc_win_rate": 0.58, "avg_length": 5.5, "alpha": 0.01,
           "win_rate_ci": [0.55, 0.67], "lc_win_rate_ci": {"low": 0.52, "high": 0.64}},
          {"round": 2, "win_rate": 0.7, "lc_win_rate": 0.66, "avg_length": 5.75, "alpha": 0.02,
           "win_rate_low": 0.64, "win_rate_high": 0.76, "lc_win_rate_low": 0.6, "lc_win_rate_high": 0.72}],
         "ablations": {"gamma_0": {"round": 2, "win_rate": 0.4, "lc_win_rate": 0.45, "avg_length": 6, "alpha": 0.03,
                                   "comparisons": 1024}},
         "reward_accuracy": 0.625, "seed": 3}
        """
        try Data(report.utf8).write(to: demo.appendingPathComponent("report.json"))
        guard let (result, page) = try Self.report("demo", in: scratch) else { return }
        #expect(result.status == 0, "\(result.stderr)")
        let html = try #require(page)
        Self.expectSelfContained(html)
        for id in ["demo-summary", "dice-run", "dice-round-1", "gamma_0-run", "gamma_0-round-1"] {
            #expect(html.contains("id=\"\(id)\""), "no element \(id)")
        }
        for text in ["DICE round 2", "ablation: gamma 0, round 2", "61.0% <span class=\"ci\">[55.0%, 67.0%]</span>",
                     "58.0% <span class=\"ci\">[52.0%, 64.0%]</span>", "70.0% <span class=\"ci\">[64.0%, 76.0%]</span>",
                     "<th>comparisons</th>", "reward_accuracy: <b>0.625</b>"] {
            #expect(html.contains(text), "no \(text)")
        }
        #expect(html.contains("data-pair-tables=\"2\""))
    }
}
