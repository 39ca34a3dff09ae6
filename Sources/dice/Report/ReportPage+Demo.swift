// ReportPage+Demo: the summary section of a `dice demo` folder — every model against π_0 (win
// rate and LC win rate, with intervals where report.json records them), the ablations beside
// DICE, and the demo's other figures.

import Foundation

extension ReportPage {
    /// Adds the demo summary read from report.json (`summary` nil: the section says it is missing).
    mutating func addDemoSummary(_ summary: DemoSummary?, missingNote: String) {
        var s = "<h2>The demo: every model against π_0</h2>"
        guard let summary, !summary.rows.isEmpty else {
            addSection(id: "demo-summary", heading: "Demo summary", html: s + missingNote)
            return
        }
        let hasIntervals = summary.rows.contains { $0.winRate?.interval != nil || $0.lcWinRate?.interval != nil }
        s += "<table class=\"demo\"><thead><tr><th>model</th><th>win rate</th><th>LC win rate</th><th>avg length</th><th>α</th>"
        let otherKeys = Array(Set(summary.rows.flatMap { $0.others.map(\.key) })).sorted()
        for key in otherKeys { s += "<th>\(HTML.escape(key))</th>" }
        s += "</tr></thead><tbody>"
        func cell(_ f: Figure?) -> String {
            guard let f else { return "<td>–</td>" }
            return "<td>\(HTML.percent(f.value))" + (f.interval.map { " <span class=\"ci\">[\(HTML.percent($0.lowerBound)), \(HTML.percent($0.upperBound))]</span>" } ?? "") + "</td>"
        }
        for row in summary.rows {
            s += "<tr\(row.ablation == nil ? "" : " class=\"ablation\"")><td>\(HTML.escape(row.label))</td>\(cell(row.winRate))\(cell(row.lcWinRate))"
            s += "<td>\(HTML.number(row.averageLength?.value))</td><td>\(HTML.number(row.alpha))</td>"
            for key in otherKeys { s += "<td>\(HTML.number(row.others.first { $0.key == key }?.value))</td>" }
            s += "</tr>"
        }
        s += "</tbody></table>"
        s += "<figure>" + ReportCharts.rates(title: "Win rate and length-controlled win rate against π_0", rows: summary.rows.map { row in
            (row.label, [("win rate", ReportCharts.accent, row.winRate), ("LC win rate", ReportCharts.warm, row.lcWinRate)])
        })
        s += "<figcaption>" + (hasIntervals ? "Whiskers: the intervals report.json records." : "report.json records no intervals.")
            + " The dashed line is 50%: no better and no worse than π_0.</figcaption></figure>"
        if !summary.figures.isEmpty {
            s += "<p>" + summary.figures.map { "\(HTML.escape($0.key)): <b>\(HTML.number($0.value))</b>" }.joined(separator: " · ") + "</p>"
        }
        addSection(id: "demo-summary", heading: "Demo summary", html: s)
    }
}
