// DemoSummary: a `dice demo` folder's report.json read by key, leniently — the keys `rounds`
// and `ablations` (rows of round, win_rate, lc_win_rate, avg_length, alpha) and whatever the demo
// adds beside them (intervals, other figures), without requiring any of the additions.

import Foundation

/// One model's row of the demo's table.
struct DemoRow {
    /// What the row is about ("π_0", "DICE round 1", "ablation: gamma_0, round 2", …).
    var label: String
    /// The ablation's name, nil for the DICE run's rows.
    var ablation: String?
    /// 0 for π_0, t for π_t.
    var round: Int?
    /// The raw win rate against π_0, with its interval when recorded.
    var winRate: Figure?
    /// The length-controlled win rate against π_0, with its interval when recorded.
    var lcWinRate: Figure?
    /// Mean response length.
    var averageLength: Figure?
    /// The round's α.
    var alpha: Double?
    /// Every other numeric figure of the row, by key (sorted), shown as they are.
    var others: [(key: String, value: Double)]
}

/// The demo's report.json.
struct DemoSummary {
    /// π_0 and the DICE rounds, then the ablations (in the demo's order).
    var rows: [DemoRow]
    /// The top-level numbers other than the rows (reward_accuracy, seed, …), by key.
    var figures: [(key: String, value: Double)]

    /// The keys of a row that are shown in their own columns.
    static let rowKeys: Set<String> = ["round", "win_rate", "lc_win_rate", "avg_length", "alpha"]

    /// Reads `object` (report.json); rows that are not objects are skipped and recorded in
    /// `reader` against `url`.
    static func read(_ object: [String: Any], url: URL, reader: inout LenientReader) -> DemoSummary {
        var rows: [DemoRow] = []
        if let rounds = object["rounds"] as? [Any] {
            for (k, item) in rounds.enumerated() {
                guard let row = item as? [String: Any] else {
                    reader.record(url, "rounds[\(k)]: expected an object")
                    continue
                }
                let round = IntervalLookup.number(row["round"]).flatMap { Int(exactly: $0) }
                rows.append(make(row, label: round.map { $0 == 0 ? "π_0" : "DICE round \($0)" } ?? "row \(k)", ablation: nil))
            }
        } else {
            reader.record(url, "no \"rounds\" list")
        }
        if let ablations = object["ablations"] as? [String: Any] {
            let order = ReportFolder.demoRunOrder
            let names = order.filter { ablations[$0] != nil } + ablations.keys.filter { !order.contains($0) }.sorted()
            for name in names {
                guard let row = ablations[name] as? [String: Any] else {
                    reader.record(url, "ablations.\(name): expected an object")
                    continue
                }
                let round = IntervalLookup.number(row["round"]).flatMap { Int(exactly: $0) }
                let label = "ablation: \(name.replacingOccurrences(of: "_", with: " "))" + (round.map { ", round \($0)" } ?? "")
                rows.append(make(row, label: label, ablation: name))
            }
        }
        let figures = object.keys.sorted().compactMap { key in IntervalLookup.number(object[key]).map { (key, $0) } }
        return DemoSummary(rows: rows, figures: figures)
    }

    private static func make(_ row: [String: Any], label: String, ablation: String?) -> DemoRow {
        let shown = rowKeys
        var others: [(String, Double)] = []
        for key in row.keys.sorted() where !shown.contains(key) {
            // Interval ends of a shown figure are drawn with it, not listed again.
            if shown.contains(where: { key.hasPrefix($0 + "_") }) { continue }
            if let v = IntervalLookup.number(row[key]) { others.append((key, v)) }
        }
        return DemoRow(label: label, ablation: ablation, round: IntervalLookup.number(row["round"]).flatMap { Int(exactly: $0) },
                       winRate: IntervalLookup.figure("win_rate", in: row),
                       lcWinRate: IntervalLookup.figure("lc_win_rate", in: row),
                       averageLength: IntervalLookup.figure("avg_length", in: row),
                       alpha: IntervalLookup.number(row["alpha"]), others: others)
    }
}
