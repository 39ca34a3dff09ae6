// SVGPlot: a small inline-SVG chart frame — scales (linear or log10), axes with round ticks,
// a title and a legend — and the marks the report draws in it (lines, steps, bars, points,
// whiskers). No scripts, no fonts: the page's own CSS styles the text.

import Foundation

/// A chart being drawn: call the mark functions, then `svg`.
struct SVGPlot {
    /// One axis: its domain and whether it is logarithmic (base 10; the domain must be > 0).
    struct Scale {
        var low: Double
        var high: Double
        var log = false

        /// Where `v` lies in the domain, 0 … 1 (outside for values outside it).
        func fraction(_ v: Double) -> Double {
            if log {
                let a = Foundation.log10(low), b = Foundation.log10(high)
                return b > a ? (Foundation.log10(max(v, .leastNormalMagnitude)) - a) / (b - a) : 0.5
            }
            return high > low ? (v - low) / (high - low) : 0.5
        }

        /// Round tick values inside the domain: 1-2-5 steps (linear) or powers of ten (log).
        func ticks(count: Int = 5) -> [Double] {
            if log {
                guard low > 0, high.isFinite, high < 1e300 else { return [] }
                let a = Int(Foundation.log10(low).rounded(.up)), b = Int(Foundation.log10(high).rounded(.down))
                guard a <= b else { return [low, high] }
                let stride = max(1, (b - a + 1) / count)
                return Swift.stride(from: a, through: b, by: stride).map { pow(10, Double($0)) }
            }
            guard high > low else { return [low] }
            let raw = (high - low) / Double(count)
            let power = pow(10, (Foundation.log10(raw)).rounded(.down))
            let step = [1.0, 2, 5, 10].map { $0 * power }.first { $0 >= raw } ?? 10 * power
            guard step > 0, step.isFinite, low.isFinite, high.isFinite else { return [] }
            var out: [Double] = []
            var t = (low / step).rounded(.up) * step
            while t <= high + step * 1e-9 && out.count < 50 {
                out.append(abs(t) < step * 1e-9 ? 0 : t)
                t += step
            }
            return out
        }

        /// A domain around `values` (padded by 5%; a single value gets ±1 or ±10%).
        static func around(_ values: [Double], includeZero: Bool = false, log: Bool = false) -> Scale {
            var finite = values.filter { $0.isFinite && (!log || $0 > 0) }
            if includeZero && !log { finite.append(0) }
            guard let lo = finite.min(), let hi = finite.max() else { return Scale(low: log ? 1 : 0, high: log ? 10 : 1, log: log) }
            if log { return Scale(low: lo, high: hi > lo ? hi : lo * 10, log: true) }
            if hi == lo {
                let pad = lo == 0 ? 1 : abs(lo) * 0.1
                return Scale(low: lo - pad, high: hi + pad)
            }
            let pad = (hi - lo) * 0.05
            return Scale(low: includeZero && lo == 0 ? 0 : lo - pad, high: hi + pad)
        }
    }

    var title: String
    var xLabel: String
    var yLabel: String
    var x: Scale
    var y: Scale
    var width = 440.0
    var height = 230.0
    var left = 58.0
    var right = 12.0
    let top = 40.0, bottom = 40.0
    private var marks = ""
    private var legend: [(name: String, color: String)] = []

    /// A frame for `title` with the axes' labels and scales.
    init(title: String, xLabel: String, yLabel: String, x: Scale, y: Scale) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.x = x
        self.y = y
    }

    /// The pixel column of `v` (clamped to the frame).
    func px(_ v: Double) -> Double { left + min(1, max(0, x.fraction(v))) * (width - left - right) }
    /// The pixel row of `v` (clamped to the frame).
    func py(_ v: Double) -> Double { height - bottom - min(1, max(0, y.fraction(v))) * (height - top - bottom) }

    /// Adds `name` in `color` to the legend.
    mutating func addLegend(_ name: String, color: String) { legend.append((name, color)) }

    /// A line through `points` (non-finite points break it).
    mutating func line(_ points: [(Double, Double)], color: String, width stroke: Double = 1.6, dashed: Bool = false) {
        var runs: [[(Double, Double)]] = [[]]
        for p in points {
            if p.0.isFinite && p.1.isFinite { runs[runs.count - 1].append(p) } else if !(runs.last?.isEmpty ?? true) { runs.append([]) }
        }
        for run in runs where !run.isEmpty {
            let text = run.map { "\(HTML.px(px($0.0))),\(HTML.px(py($0.1)))" }.joined(separator: " ")
            marks += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"\(stroke)\"\(dashed ? " stroke-dasharray=\"4 3\"" : "") points=\"\(text)\"/>"
        }
    }

    /// A bar from `x0` to `x1` (data units) between y = `base` and `value`.
    mutating func bar(x0: Double, x1: Double, base: Double = 0, value: Double, color: String, opacity: Double = 1) {
        let a = px(x0), b = px(x1), top = py(max(value, base)), bottom = py(min(value, base))
        marks += "<rect x=\"\(HTML.px(a))\" y=\"\(HTML.px(top))\" width=\"\(HTML.px(max(0.5, b - a)))\" height=\"\(HTML.px(max(0, bottom - top)))\" fill=\"\(color)\" fill-opacity=\"\(opacity)\"/>"
    }

    /// A dot at (`xv`, `yv`) with a tooltip.
    mutating func dot(_ xv: Double, _ yv: Double, color: String, radius: Double = 3.5, tip: String? = nil) {
        marks += "<circle cx=\"\(HTML.px(px(xv)))\" cy=\"\(HTML.px(py(yv)))\" r=\"\(radius)\" fill=\"\(color)\">"
            + (tip.map { "<title>\(HTML.escape($0))</title>" } ?? "") + "</circle>"
    }

    /// A horizontal whisker at `yv` from `x0` to `x1`, with end caps.
    mutating func whisker(y yv: Double, from x0: Double, to x1: Double, color: String) {
        let r = HTML.px(py(yv)), a = HTML.px(px(x0)), b = HTML.px(px(x1))
        let up = HTML.px(py(yv) - 5), down = HTML.px(py(yv) + 5)
        marks += "<path d=\"M\(a),\(r)H\(b)M\(a),\(up)V\(down)M\(b),\(up)V\(down)\" stroke=\"\(color)\" stroke-width=\"1.5\" fill=\"none\"/>"
    }

    /// A vertical rule at `xv` with a label at the top.
    mutating func vRule(_ xv: Double, color: String, label: String) {
        let c = HTML.px(px(xv))
        marks += "<line x1=\"\(c)\" x2=\"\(c)\" y1=\"\(HTML.px(top))\" y2=\"\(HTML.px(height - bottom))\" stroke=\"\(color)\" stroke-dasharray=\"3 3\"/>"
        let anchor = px(xv) > width * 0.7 ? "end" : "start"
        marks += "<text x=\"\(HTML.px(px(xv) + (anchor == "end" ? -4 : 4)))\" y=\"\(HTML.px(top + 11))\" text-anchor=\"\(anchor)\" fill=\"\(color)\">\(HTML.escape(label))</text>"
    }

    /// A horizontal rule at `yv`.
    mutating func hRule(_ yv: Double, color: String) {
        let r = HTML.px(py(yv))
        marks += "<line x1=\"\(HTML.px(left))\" x2=\"\(HTML.px(width - right))\" y1=\"\(r)\" y2=\"\(r)\" stroke=\"\(color)\" stroke-dasharray=\"4 3\"/>"
    }

    /// A text label at data coordinates.
    mutating func label(_ text: String, x xv: Double, y yv: Double, anchor: String = "start", dx: Double = 0) {
        marks += "<text x=\"\(HTML.px(px(xv) + dx))\" y=\"\(HTML.px(py(yv) + 4))\" text-anchor=\"\(anchor)\">\(HTML.escape(text))</text>"
    }

    /// The chart as an `<svg>` element (`role="img"`, its title as the accessible name);
    /// `yTickFormat` formats the y ticks (default: `HTML.number`).
    func svg(yTickFormat: (Double) -> String = { HTML.number($0, digits: 3) },
             xTickFormat: (Double) -> String = { HTML.number($0, digits: 3) }) -> String {
        var s = "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(HTML.px(width)) \(HTML.px(height))\" width=\"\(HTML.px(width))\" height=\"\(HTML.px(height))\" role=\"img\" aria-label=\"\(HTML.escape(title))\">"
        s += "<title>\(HTML.escape(title))</title>"
        s += "<text class=\"chart-title\" x=\"\(HTML.px(left))\" y=\"16\">\(HTML.escape(title))</text>"
        let x0 = left, x1 = width - right, y0 = height - bottom, y1 = top
        for t in y.ticks() {
            let r = HTML.px(py(t))
            s += "<line class=\"grid\" x1=\"\(HTML.px(x0))\" x2=\"\(HTML.px(x1))\" y1=\"\(r)\" y2=\"\(r)\"/>"
            s += "<text class=\"tick\" x=\"\(HTML.px(x0 - 5))\" y=\"\(HTML.px(py(t) + 4))\" text-anchor=\"end\">\(HTML.escape(yTickFormat(t)))</text>"
        }
        for t in x.ticks() {
            let c = HTML.px(px(t))
            s += "<line class=\"axis\" x1=\"\(c)\" x2=\"\(c)\" y1=\"\(HTML.px(y0))\" y2=\"\(HTML.px(y0 + 4))\"/>"
            s += "<text class=\"tick\" x=\"\(c)\" y=\"\(HTML.px(y0 + 16))\" text-anchor=\"middle\">\(HTML.escape(xTickFormat(t)))</text>"
        }
        s += "<path class=\"axis\" d=\"M\(HTML.px(x0)),\(HTML.px(y1))V\(HTML.px(y0))H\(HTML.px(x1))\" fill=\"none\"/>"
        s += "<text class=\"axis-label\" x=\"\(HTML.px((x0 + x1) / 2))\" y=\"\(HTML.px(height - 6))\" text-anchor=\"middle\">\(HTML.escape(xLabel))</text>"
        s += "<text class=\"axis-label\" transform=\"translate(12 \(HTML.px((y0 + y1) / 2))) rotate(-90)\" text-anchor=\"middle\">\(HTML.escape(yLabel))</text>"
        s += marks
        var lx = x1
        for entry in legend.reversed() {
            let w = 18 + 6.2 * Double(entry.name.count)
            lx -= w
            s += "<rect x=\"\(HTML.px(lx))\" y=\"21\" width=\"10\" height=\"10\" fill=\"\(entry.color)\"/>"
            s += "<text class=\"legend\" x=\"\(HTML.px(lx + 14))\" y=\"30\">\(HTML.escape(entry.name))</text>"
        }
        return s + "</svg>"
    }
}
