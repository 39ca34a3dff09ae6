// The demo sweep's summary as Markdown (per model: mean and spread across seeds; per seed: each
// model's LC win rate and which findings held) and as an SVG figure (per model: the mean LC win
// rate, ± one standard deviation and the min–max range across seeds).

import DICEKit
import Foundation

extension ToyDemoSweep {
    static let modelTitles = [
        "pi_0": "π_0", "round_1": "DICE round 1", "round_2": "DICE round 2",
        "no_length_regularization": "no length regularization (α = 0)",
        "gamma_0": "no replay (γ = 0)", "offline_only": "offline data only (γ = 1)",
    ]

    private static func spread(_ s: Spread, percent: Bool) -> String {
        let k = percent ? 100.0 : 1.0
        return String(format: percent ? "%.1f%% ± %.1f (%.1f–%.1f)" : "%.2f ± %.2f (%.2f–%.2f)",
                      k * s.mean, k * s.standardDeviation, k * s.min, k * s.max)
    }

    /// The summary tables; `reports` are the seeds' reports, in `seeds` order.
    func markdown(reports: [ToyDemoReport]) -> String {
        var s = "# DICE on the toy task: \(seeds.count) seeds\n\n"
        s += "Against π_0 on each seed's held-out prompts: mean ± standard deviation (min–max) across seeds.\n\n"
        s += "| model | win rate | LC win rate | avg length (words) |\n|---|---|---|---|\n"
        for m in models {
            s += "| \(Self.modelTitles[m.name] ?? m.name) | \(Self.spread(m.winRate, percent: true)) | "
                + "\(Self.spread(m.lcWinRate, percent: true)) | \(Self.spread(m.averageLength, percent: false)) |\n"
        }
        s += "\n![LC win rate across seeds](report.svg)\n\n## Per seed\n\n"
        s += "LC win rates against π_0 (round 2 with its 95% interval), lengths in words, and the paper's findings: "
            + "(1) round 1 > 55% and round 2 ≥ round 1; (2) round 2 ≥ offline only + 2 points and > no replay; "
            + "(3) α = 0 longer than round 2 and its LC ≤ the top of round 2's interval.\n\n"
        s += "| seed | round 1 | round 2 | offline only | no replay | α = 0 | length r2 / α = 0 | findings |\n"
        s += "|---|---|---|---|---|---|---|---|\n"
        for (report, row) in zip(reports, perSeed) {
            let r1 = report.rounds.first { $0.round == 1 }, r2 = report.rounds.first { $0.round == 2 }
            func lc(_ r: ToyDemoRow?) -> String { r.map { ToyDemoReport.percent($0.lcWinRate) } ?? "—" }
            let r2Text = r2.map { ToyDemoReport.rate($0.lcWinRate, $0.lcWinRateInterval) } ?? "—"
            let lengths = String(format: "%.2f / %.2f", r2?.averageLength ?? .nan,
                                 report.ablations["no_length_regularization"]?.averageLength ?? .nan)
            s += "| \(row.seed) | \(lc(r1)) | \(r2Text) | \(lc(report.ablations["offline_only"])) | "
                + "\(lc(report.ablations["gamma_0"])) | \(lc(report.ablations["no_length_regularization"])) | "
                + "\(lengths) | \(row.findings.summary) |\n"
        }
        s += "\nFindings held: "
            + ["finding_1_rounds", "finding_2_replay", "finding_3_length"].enumerated()
            .map { "(\($0.offset + 1)) on \(held[$0.element] ?? 0) of \(seeds.count) seeds" }.joined(separator: ", ") + ".\n"
        return s
    }

    /// Per model: a dot at the mean LC win rate, a box of ± one standard deviation and a line
    /// over the min–max range across seeds; the 50% line dashed.
    var svg: String {
        let top = 30, height = 240, left = 50, slot = 110
        let width = left + models.count * slot + 20
        func y(_ v: Double) -> Int { top + Int(Double(height) * (1 - Swift.min(Swift.max(v, 0), 1))) }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(top + height + 60)\" "
            + "font-family=\"sans-serif\" font-size=\"11\">\n"
        s += "<text x=\"\(left)\" y=\"18\" font-size=\"13\">LC win rate against π_0 across \(seeds.count) seeds: "
            + "mean (dot), ± 1 sd (box), min–max (line)</text>\n"
        for tick in stride(from: 0.0, through: 1.0, by: 0.25) {
            s += "<line x1=\"\(left)\" y1=\"\(y(tick))\" x2=\"\(width - 10)\" y2=\"\(y(tick))\" stroke=\"#ddd\"/>"
            s += "<text x=\"\(left - 6)\" y=\"\(y(tick) + 4)\" text-anchor=\"end\">\(Int(tick * 100))%</text>\n"
        }
        for (i, m) in models.enumerated() {
            let x = left + slot / 2 + i * slot
            let lc = m.lcWinRate
            s += "<line x1=\"\(x)\" y1=\"\(y(lc.max))\" x2=\"\(x)\" y2=\"\(y(lc.min))\" stroke=\"#555\"/>"
            let hi = y(lc.mean + lc.standardDeviation), lo = y(lc.mean - lc.standardDeviation)
            s += "<rect x=\"\(x - 14)\" y=\"\(hi)\" width=\"28\" height=\"\(Swift.max(lo - hi, 1))\" fill=\"#9ecae1\" stroke=\"#3182bd\"/>"
            s += "<circle cx=\"\(x)\" cy=\"\(y(lc.mean))\" r=\"4\" fill=\"#08519c\"/>"
            s += "<text x=\"\(x)\" y=\"\(y(0) + 16)\" text-anchor=\"middle\">\(m.name.replacingOccurrences(of: "_", with: " "))</text>"
            s += "<text x=\"\(x)\" y=\"\(y(0) + 30)\" text-anchor=\"middle\" fill=\"#555\">"
                + String(format: "%.1f%%, %.1f words", 100 * lc.mean, m.averageLength.mean) + "</text>\n"
        }
        s += "<line x1=\"\(left)\" y1=\"\(y(0.5))\" x2=\"\(width - 10)\" y2=\"\(y(0.5))\" stroke=\"#c00\" stroke-dasharray=\"4 3\"/>\n"
        s += "</svg>\n"
        return s
    }
}
