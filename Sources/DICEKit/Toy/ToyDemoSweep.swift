// ToyDemoSweep: the demo over several seeds — the seed-range syntax of `dice demo --seeds`, and
// the sweep summary: per model the mean and spread of its figures across seeds, and per seed
// which of the paper's findings held (ToyDemoFindings).

import Foundation

/// The summary of a demo sweep (sweep.json).
public struct ToyDemoSweep: Sendable, Hashable, Codable {
    /// Mean, sample standard deviation (n − 1; 0 for one seed), minimum and maximum across seeds.
    public struct Spread: Sendable, Hashable, Codable {
        /// The mean across seeds.
        public var mean: Double
        /// The sample standard deviation across seeds (JSON key `std`).
        public var standardDeviation: Double
        /// The smallest value across seeds.
        public var min: Double
        /// The largest value across seeds.
        public var max: Double

        enum CodingKeys: String, CodingKey {
            case mean, min, max
            case standardDeviation = "std"
        }

        /// The spread of `values` (at least one).
        init(_ values: [Double]) {
            let n = Double(values.count)
            mean = values.reduce(0, +) / n
            let m = mean
            standardDeviation = values.count > 1 ? (values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / (n - 1)).squareRoot() : 0
            min = values.min() ?? 0
            max = values.max() ?? 0
        }
    }

    /// One model's figures across seeds.
    public struct Model: Sendable, Hashable, Codable {
        /// `pi_0`, `round_1`, `round_2`, or an ablation's name.
        public var name: String
        /// The raw win rate against π_0 (`win_rate`).
        public var winRate: Spread
        /// The length-controlled win rate against π_0 (`lc_win_rate`).
        public var lcWinRate: Spread
        /// The mean answer length in words (`avg_length`).
        public var averageLength: Spread

        enum CodingKeys: String, CodingKey {
            case name
            case winRate = "win_rate"
            case lcWinRate = "lc_win_rate"
            case averageLength = "avg_length"
        }
    }

    /// One seed: its findings.
    public struct Seed: Sendable, Hashable, Codable {
        /// The seed.
        public var seed: UInt64
        /// Which of the three findings held on it.
        public var findings: ToyDemoFindings
    }

    /// The seeds, in the order run.
    public var seeds: [UInt64]
    /// π_0, round 1, round 2, then the ablations in name order (those present on every seed).
    public var models: [Model]
    /// Per seed, which findings held.
    public var perSeed: [Seed]
    /// Per finding (`finding_1_rounds`, `finding_2_replay`, `finding_3_length`), on how many
    /// seeds it held.
    public var held: [String: Int]

    enum CodingKeys: String, CodingKey {
        case seeds, models, held
        case perSeed = "per_seed"
    }

    /// Summarises one report per seed (each with rounds 0–2 and the three ablations).
    /// - Throws: `DICEError.invalidParameter` for no reports or a report without the rows the
    ///   findings need.
    public init(reports: [ToyDemoReport]) throws {
        guard let first = reports.first else {
            throw DICEError.invalidParameter(name: "reports", value: "[]", expected: "at least one seed's report")
        }
        seeds = reports.map(\.seed)
        perSeed = try reports.map { Seed(seed: $0.seed, findings: try ToyDemoFindings($0)) }
        var rows: [(String, (ToyDemoReport) -> ToyDemoRow?)] = first.rounds.map { row in
            (row.round == 0 ? "pi_0" : "round_\(row.round)", { $0.rounds.first { $0.round == row.round } })
        }
        for name in first.ablations.keys.sorted() { rows.append((name, { $0.ablations[name] })) }
        models = rows.compactMap { name, pick in
            let found = reports.compactMap(pick)
            guard found.count == reports.count else { return nil }
            return Model(name: name, winRate: Spread(found.map(\.winRate)), lcWinRate: Spread(found.map(\.lcWinRate)),
                         averageLength: Spread(found.map(\.averageLength)))
        }
        held = [
            "finding_1_rounds": perSeed.count { $0.findings.improvesOverRounds },
            "finding_2_replay": perSeed.count { $0.findings.replayHelps },
            "finding_3_length": perSeed.count { $0.findings.lengthRegularizationHelps },
        ]
    }

    /// Writes `sweep.json` in `folder` atomically (sorted keys, pretty-printed).
    /// - Throws: `FormatError.io`; `DICEError.invalidParameter` for a non-finite figure.
    public func write(to folder: URL) throws {
        try ReportFiles.writeJSON(self, named: "the sweep summary", to: folder.appendingPathComponent("sweep.json"))
    }

    /// Parses a seed list: comma-separated seeds and inclusive ranges, e.g. `0-9` or `0,3,5-7`,
    /// in the order written, without repeats.
    /// - Throws: `DICEError.invalidParameter` naming the bad part (not a number, a range whose
    ///   end is below its start, a seed listed twice, or an empty list).
    public static func seeds(parsing text: String) throws -> [UInt64] {
        func bad(_ part: String, _ why: String) -> DICEError {
            DICEError.invalidParameter(name: "--seeds", value: "'\(part)'", expected: why)
        }
        var out: [UInt64] = []
        var seen: Set<UInt64> = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false).map({ $0.trimmingCharacters(in: .whitespaces) }) {
            let ends = part.split(separator: "-", omittingEmptySubsequences: false)
            guard (1...2).contains(ends.count), let lo = UInt64(ends[0]), let hi = UInt64(ends[ends.count - 1]) else {
                throw bad(part, "a seed (e.g. 3) or an inclusive range (e.g. 0-9), separated by commas")
            }
            guard lo <= hi else { throw bad(part, "a range whose end is not below its start") }
            guard hi - lo < 10_000 else { throw bad(part, "at most 10000 seeds") }
            for s in lo...hi {
                guard seen.insert(s).inserted else { throw bad(part, "each seed once (\(s) repeats)") }
                out.append(s)
            }
        }
        return out
    }
}
