// ReportCharts: the report's charts as inline SVG — the α search (length gap against α),
// histograms (rewards, lengths), training curves and win rates with their intervals — each
// drawn with SVGPlot.

import DICEKit
import Foundation

/// The report's chart kinds.
enum ReportCharts {
    /// Colours of the series (readable on white, distinct for colour-blind readers).
    static let chosen = "#2f9e44", rejected = "#e03131", neutral = "#495057", accent = "#1c7ed6", warm = "#f08c00"

    /// The mean length gap (chosen − rejected) against α, log α axis, with α = 0 as a dashed
    /// level line and the round's α marked; nil when there is nothing to draw.
    static func alphaSearch(_ curve: AlphaSearchCurve, unit: LengthUnit) -> String {
        let points = curve.grid
        guard !points.isEmpty else {
            var plot = SVGPlot(title: "Length gap against α", xLabel: "α", yLabel: "mean gap (\(unit.rawValue))",
                               x: SVGPlot.Scale(low: 0, high: 1), y: SVGPlot.Scale.around([curve.atZero.gap, 0]))
            plot.hRule(curve.atZero.gap, color: neutral)
            plot.label("no ties between responses: the pairs are the same for every α", x: 0, y: curve.atZero.gap, dx: 6)
            return plot.svg()
        }
        let gaps = points.map(\.gap) + [curve.atZero.gap, 0, curve.chosen.gap]
        var plot = SVGPlot(title: "α search: length gap of the pairs against α", xLabel: "α (log scale)",
                           yLabel: "mean gap (\(unit.rawValue))",
                           x: SVGPlot.Scale.around(points.map(\.alpha), log: true), y: SVGPlot.Scale.around(gaps))
        plot.hRule(0, color: "#adb5bd")
        plot.line(points.map { ($0.alpha, curve.atZero.gap) }, color: neutral, width: 1, dashed: true)
        plot.line(points.map { ($0.alpha, $0.gap) }, color: accent)
        plot.addLegend("gap at α", color: accent)
        plot.addLegend("at α = 0", color: neutral)
        if curve.chosen.alpha > 0 {
            plot.vRule(curve.chosen.alpha, color: warm, label: "α = \(HTML.number(curve.chosen.alpha, digits: 3))")
            plot.dot(curve.chosen.alpha, curve.chosen.gap, color: warm,
                     tip: "α = \(curve.chosen.alpha): gap \(HTML.number(curve.chosen.gap)), \(curve.chosen.pairs) pairs")
        }
        return plot.svg()
    }

    /// Overlaid histograms of `series` on shared bins (up to `bins`), as filled step areas.
    static func histogram(title: String, xLabel: String, series: [(name: String, color: String, values: [Double])],
                          bins: Int = 30, integer: Bool = false) -> String {
        let all = series.flatMap(\.values).filter(\.isFinite)
        guard let lo = all.min(), let hi = all.max(), (hi - lo).isFinite else { return "" }
        var edges: [Double]
        if integer && hi - lo + 1 <= Double(bins) {
            edges = stride(from: lo - 0.5, through: hi + 0.5, by: 1).map { $0 }
        } else {
            let width = hi > lo ? (hi - lo) / Double(bins) : 1
            edges = (0 ... bins).map { lo + Double($0) * width }
            if hi == lo { edges = [lo - 0.5, lo + 0.5] }
        }
        let n = edges.count - 1
        var counts: [[Int]] = []
        for s in series {
            var c = [Int](repeating: 0, count: n)
            for v in s.values where v.isFinite {
                let f = (v - edges[0]) / (edges[n] - edges[0]) * Double(n)
                c[f.isFinite ? Int(min(Double(n - 1), max(0, f))) : 0] += 1
            }
            counts.append(c)
        }
        let top = Double(counts.flatMap { $0 }.max() ?? 1)
        var plot = SVGPlot(title: title, xLabel: xLabel, yLabel: "count",
                           x: SVGPlot.Scale(low: edges[0], high: edges[n]), y: SVGPlot.Scale(low: 0, high: top * 1.08))
        for (s, c) in zip(series, counts) {
            for k in 0 ..< n where c[k] > 0 {
                plot.bar(x0: edges[k], x1: edges[k + 1], value: Double(c[k]), color: s.color, opacity: series.count > 1 ? 0.45 : 0.8)
            }
            var outline: [(Double, Double)] = [(edges[0], 0)]
            for k in 0 ..< n { outline += [(edges[k], Double(c[k])), (edges[k + 1], Double(c[k]))] }
            outline.append((edges[n], 0))
            plot.line(outline, color: s.color, width: 1.2)
            let mean = s.values.filter(\.isFinite)
            if !mean.isEmpty {
                let m = mean.reduce(0, +) / Double(mean.count)
                plot.addLegend("\(s.name), mean \(HTML.number(m, digits: 2))", color: s.color)
            }
        }
        return plot.svg()
    }

    /// Training curves of one round's DPO updates: one small chart per figure (loss, reward
    /// accuracy, margins, chosen/rejected rewards, gradient norm).
    static func training(_ metrics: [DPOMetrics]) -> [String] {
        let rows = metrics.filter { !$0.isValidation }.sorted { $0.step < $1.step }
        guard !rows.isEmpty else { return [] }
        let steps = rows.map { Double($0.step) }
        let xs = SVGPlot.Scale.around(steps)
        func chart(_ title: String, _ series: [(String, String, [Double])], includeZero: Bool = false) -> String {
            var plot = SVGPlot(title: title, xLabel: "update", yLabel: "",
                               x: xs, y: SVGPlot.Scale.around(series.flatMap(\.2), includeZero: includeZero))
            plot.width = 330
            plot.height = 200
            for (name, color, values) in series {
                plot.line(Array(zip(steps, values)), color: color)
                if rows.count == 1, let v = values.first { plot.dot(steps[0], v, color: color) }
                if series.count > 1 { plot.addLegend(name, color: color) }
            }
            return plot.svg()
        }
        var out = [
            chart("loss", [("loss", accent, rows.map(\.loss))]),
            chart("rewards/accuracies", [("accuracy", accent, rows.map(\.rewardsAccuracies))], includeZero: true),
            chart("rewards/margins", [("margin", accent, rows.map(\.rewardsMargins))], includeZero: true),
            chart("rewards", [("chosen", chosen, rows.map(\.rewardsChosen)), ("rejected", rejected, rows.map(\.rewardsRejected))]),
        ]
        let norms = rows.compactMap(\.gradNorm)
        if norms.count == rows.count { out.append(chart("grad_norm", [("grad norm", neutral, norms)])) }
        return out
    }

    /// Horizontal dot-and-whisker chart of fractions in 0 … 1 (win rates), one row per entry,
    /// with the 50% line; intervals drawn where present.
    static func rates(title: String, rows: [(label: String, series: [(name: String, color: String, figure: Figure?)])]) -> String {
        let rowHeight = 26.0
        let names = rows.first?.series.map { ($0.name, $0.color) } ?? []
        let labelWidth = min(260, 40 + 6.4 * Double(rows.map(\.label.count).max() ?? 8))
        var plot = SVGPlot(title: title, xLabel: "against π_0 (50%: no better, no worse)", yLabel: "",
                           x: SVGPlot.Scale(low: 0, high: 1), y: SVGPlot.Scale(low: 0, high: Double(rows.count)))
        plot.height = 80 + rowHeight * Double(max(1, rows.count)) * Double(max(1, names.count)) * 0.8
        plot.width = 640
        plot.left = labelWidth
        plot.right = 28
        plot.vRule(0.5, color: "#adb5bd", label: "")
        for (name, color) in names { plot.addLegend(name, color: color) }
        for (i, row) in rows.enumerated() {
            let base = Double(rows.count - i) - 0.5
            plot.label(row.label, x: 0, y: base, anchor: "end", dx: -8)
            let k = Double(row.series.count)
            for (j, s) in row.series.enumerated() {
                guard let f = s.figure else { continue }
                let yv = base + (k > 1 ? 0.3 - 0.6 * Double(j) / (k - 1) : 0)
                if let r = f.interval { plot.whisker(y: yv, from: r.lowerBound, to: r.upperBound, color: s.color) }
                let tip = "\(row.label), \(s.name): \(HTML.percent(f.value))"
                    + (f.interval.map { " (interval \(HTML.percent($0.lowerBound)) – \(HTML.percent($0.upperBound)))" } ?? "")
                plot.dot(f.value, yv, color: s.color, radius: 4, tip: tip)
            }
        }
        return plot.svg(yTickFormat: { _ in "" }, xTickFormat: { HTML.percent($0) })
    }
}
