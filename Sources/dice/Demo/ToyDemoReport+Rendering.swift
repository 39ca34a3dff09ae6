// The demo's report as Markdown (a table like the paper's) and as an SVG bar chart: the tool's
// rendering of the library's ToyDemoReport.

import DICEKit
import Foundation

extension ToyDemoFindings {
    /// "1 ✓ · 2 ✗ · 3 ✓" (finding number, held or not).
    var summary: String {
        [improvesOverRounds, replayHelps, lengthRegularizationHelps].enumerated()
            .map { "\($0.offset + 1) \($0.element ? "✓" : "✗")" }.joined(separator: " · ")
    }
}

extension ToyDemoReport {
    static let ablationTitles = [
        "no_length_regularization": "no length regularization (α = 0)",
        "gamma_0": "no replay (γ = 0)",
        "offline_only": "offline data only (γ = 1)",
    ]

    static func percent(_ x: Double) -> String { String(format: "%.1f%%", 100 * x) }

    /// "61.2% [58.3, 64.0]": a rate and its interval, in percent.
    static func rate(_ x: Double, _ interval: BootstrapInterval) -> String {
        percent(x) + String(format: " [%.1f, %.1f]", 100 * interval.lower, 100 * interval.upper)
    }

    /// The table row of `r`, named `name`.
    static func tableRow(_ name: String, _ r: ToyDemoRow) -> String {
        "| \(name) | \(rate(r.winRate, r.winRateInterval)) | \(rate(r.lcWinRate, r.lcWinRateInterval)) | "
            + String(format: "%.2f", r.averageLength) + " | " + (r.alpha.map { String(format: "%.4g", $0) } ?? "—") + " |\n"
    }

    /// The table: π_0, round 1, round 2 and the ablations' last rounds, against π_0.
    var markdown: String {
        var s = "# DICE on the toy task\n\n"
        let n = rounds.first?.comparisons ?? 0
        s += "Each model answers held-out prompts; the hidden judge compares every answer with π_0's "
            + "(\(n) comparisons per model). Brackets: 95% bootstrap intervals.\n\n"
        s += "| model | win rate vs π_0 | LC win rate vs π_0 | avg length (words) | α |\n|---|---|---|---|---|\n"
        for r in rounds {
            s += Self.tableRow(r.round == 0 ? "π_0 (DPO on offline pairs)" : "DICE round \(r.round)", r)
        }
        for name in ablations.keys.sorted() {
            guard let r = ablations[name] else { continue }
            s += Self.tableRow("ablation: \(Self.ablationTitles[name] ?? name), round \(r.round)", r)
        }
        s += "\nImplicit reward accuracy of π_0 (vs π_ref) on held-out pairs: \(Self.percent(rewardAccuracy)).\n"
        if let findings = try? ToyDemoFindings(self) {
            s += "\nThe paper's findings on this seed: " + findings.summary + ".\n"
        }
        s += "\nSeed \(seed).\n"
        return s
    }

    /// A bar chart of the LC win rate (solid) and win rate (light) of each model against π_0.
    var svg: String {
        var entries: [(String, ToyDemoRow)] = rounds.map { ($0.round == 0 ? "π_0" : "round \($0.round)", $0) }
        for name in ablations.keys.sorted() { if let r = ablations[name] { entries.append((name.replacingOccurrences(of: "_", with: " "), r)) } }
        let barWidth = 36, gap = 40, height = 240, top = 30, left = 50
        let width = left + entries.count * (2 * barWidth + gap) + 20
        func y(_ v: Double) -> Int { top + Int(Double(height) * (1 - v)) }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(top + height + 60)\" font-family=\"sans-serif\" font-size=\"11\">\n"
        s += "<text x=\"\(left)\" y=\"18\" font-size=\"13\">Win rate (light) and LC win rate (dark) against π_0</text>\n"
        for tick in stride(from: 0.0, through: 1.0, by: 0.25) {
            s += "<line x1=\"\(left)\" y1=\"\(y(tick))\" x2=\"\(width - 10)\" y2=\"\(y(tick))\" stroke=\"#ddd\"/>"
            s += "<text x=\"\(left - 6)\" y=\"\(y(tick) + 4)\" text-anchor=\"end\">\(Int(tick * 100))%</text>\n"
        }
        for (i, (label, r)) in entries.enumerated() {
            let x = left + 10 + i * (2 * barWidth + gap)
            s += "<rect x=\"\(x)\" y=\"\(y(r.winRate))\" width=\"\(barWidth)\" height=\"\(y(0) - y(r.winRate))\" fill=\"#9ecae1\"/>"
            s += "<rect x=\"\(x + barWidth)\" y=\"\(y(r.lcWinRate))\" width=\"\(barWidth)\" height=\"\(y(0) - y(r.lcWinRate))\" fill=\"#3182bd\"/>"
            s += "<text x=\"\(x + barWidth)\" y=\"\(y(0) + 16)\" text-anchor=\"middle\">\(label)</text>"
            s += "<text x=\"\(x + barWidth)\" y=\"\(y(0) + 30)\" text-anchor=\"middle\" fill=\"#555\">"
                + String(format: "%.1f words", r.averageLength) + "</text>\n"
        }
        s += "<line x1=\"\(left)\" y1=\"\(y(0.5))\" x2=\"\(width - 10)\" y2=\"\(y(0.5))\" stroke=\"#c00\" stroke-dasharray=\"4 3\"/>\n"
        s += "</svg>\n"
        return s
    }
}
