// ProgressBar: progress of long work on stderr, for a person watching (never on stdout, which
// carries machine-readable output).

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A progress display on stderr: count, rate and ETA of `total` units of work, and an optional
/// detail (e.g. the current loss).
///
/// When stderr is a terminal it redraws one line in place (at most 10 times a second):
/// `label [██████░░░░░░] 120/400 35.2 rows/s ETA 0:08 detail`. Otherwise (a log file, a pipe) it
/// writes a plain line at most every `lineInterval` seconds and one from `finish()`, so that logs
/// stay short. A value type: keep it in a `var` and use it from one thread.
struct ProgressBar {
    /// What is being done, e.g. "logprobs".
    let label: String
    /// Units of work in all (≥ 0).
    let total: Int
    /// The unit's plural name for the rate ("rows" → "rows/s"); empty gives "/s".
    let unit: String
    /// Units done so far.
    private(set) var completed = 0

    private let isTerminal: Bool
    private let lineInterval: Double
    private let start = DispatchTime.now().uptimeNanoseconds
    private var lastDraw: Double = -.infinity
    private var detail = ""
    private var finished = false

    /// A bar for `total` units; nothing is drawn until the first `update` or `advance`.
    /// - Parameters:
    ///   - unit: the unit's plural name, shown in the rate.
    ///   - lineInterval: seconds between plain lines when stderr is not a terminal.
    ///   - isTerminal: whether to redraw in place; by default, whether stderr is a terminal.
    init(total: Int, label: String, unit: String = "", lineInterval: Double = 10,
         isTerminal: Bool = isatty(STDERR_FILENO) != 0) {
        self.total = max(0, total)
        self.label = label
        self.unit = unit
        self.lineInterval = lineInterval
        self.isTerminal = isTerminal
    }

    /// Records `count` more units done (and `detail`, shown after the figures when non-nil).
    mutating func advance(by count: Int = 1, detail: String? = nil) {
        update(completed + count, detail: detail)
    }

    /// Records that `done` units are done (clamped to `0...total`) and redraws when it is time to.
    mutating func update(_ done: Int, detail: String? = nil) {
        completed = min(total, max(0, done))
        if let detail { self.detail = detail }
        let now = elapsed
        let due = now - lastDraw >= (isTerminal ? 0.1 : lineInterval)
        // A plain line for the last unit would repeat the one `finish` writes.
        if isTerminal ? (due || completed == total) : (due && completed < total) {
            lastDraw = now
            draw(elapsed: now)
        }
    }

    /// Draws the final state and ends the line; later calls do nothing.
    mutating func finish() {
        guard !finished else { return }
        finished = true
        let now = elapsed
        if isTerminal {
            draw(elapsed: now)
            Self.write("\n")
        } else {
            let units = unit.isEmpty ? "" : " " + unit
            Self.write("\(label): \(completed)/\(total)\(units) in " + String(format: "%.1f s", now)
                       + " (\(rateText(elapsed: now)))" + (detail.isEmpty ? "" : " " + detail) + "\n")
        }
    }

    // MARK: - Drawing

    private var elapsed: Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }

    private func rate(elapsed: Double) -> Double { elapsed > 0 ? Double(completed) / elapsed : 0 }

    /// "35.2 rows/s", or "35.2/s" without a unit.
    private func rateText(elapsed: Double) -> String {
        String(format: "%.1f", rate(elapsed: elapsed)) + (unit.isEmpty ? "/s" : " \(unit)/s")
    }

    private func draw(elapsed: Double) {
        let rate = rate(elapsed: elapsed)
        let eta = rate > 0 ? Self.clock(Double(total - completed) / rate) : "--:--"
        var stats = "\(completed)/\(total) \(rateText(elapsed: elapsed)) ETA \(eta)"
        if !detail.isEmpty { stats += " " + detail }
        if isTerminal {
            let width = 24
            let filled = total > 0 ? width * completed / total : width
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            Self.write("\r\u{1B}[K\(label) [\(bar)] \(stats)")
        } else {
            let percent = total > 0 ? 100 * completed / total : 100
            Self.write("\(label): \(stats) (\(percent)%)\n")
        }
    }

    /// `m:ss` or `h:mm:ss`.
    private static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                         : String(format: "%d:%02d", s / 60, s % 60)
    }

    private static func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
