// RunLayout: where every artifact of a DICE run lives.
//
//   RUN/
//     settings.json              RunSettings: what the run was started with (checked on resume)
//     state.json                 RunState: the last completed (round, phase)
//     round-1/
//       samples.jsonl            SampleRecord rows (no scores)            ← sample
//       scored.jsonl             SampleRecord rows with scores            ← score
//       pairs.jsonl              GeneratedPair rows                       ← pair
//       train.jsonl              TrainingPairRecord rows (the mixed set)  ← pair
//       model/                   π_1 (DirectoryPolicyStore: a Hugging Face model directory) ← train
//       metrics.jsonl            training metrics, one row per logged step ← train
//       report.json, report.md   RoundReport                              ← evaluate
//     round-2/ …
//     report.json, report.md     the run's summary (written last)

import Foundation

/// The paths of a DICE run directory: the run's own artifacts only. Where the input models
/// (π_ref, π_0) live is the `PolicyStore`'s business, so a run with models in memory needs no
/// model folders at all.
public struct RunLayout: Sendable, Hashable {
    /// The run directory.
    public let root: URL

    /// The run directory `root`.
    public init(root: URL) {
        self.root = root
    }

    /// `settings.json`: the `RunSettings` the run was started with.
    public var settings: URL { root.appendingPathComponent("settings.json") }
    /// `state.json`.
    public var state: URL { root.appendingPathComponent("state.json") }
    /// The run's summary report, `report.json`.
    public var reportJSON: URL { root.appendingPathComponent("report.json") }
    /// The run's summary report, `report.md`.
    public var reportMarkdown: URL { root.appendingPathComponent("report.md") }

    /// `round-t/` (t ≥ 1).
    public func roundDirectory(_ round: Int) -> URL { root.appendingPathComponent("round-\(round)") }
    /// `round-t/samples.jsonl`: `SampleRecord` rows without scores.
    public func samples(_ round: Int) -> URL { roundDirectory(round).appendingPathComponent("samples.jsonl") }
    /// `round-t/scored.jsonl`: `SampleRecord` rows with scores.
    public func scored(_ round: Int) -> URL { roundDirectory(round).appendingPathComponent("scored.jsonl") }
    /// `round-t/pairs.jsonl`: `GeneratedPair` rows.
    public func pairs(_ round: Int) -> URL { roundDirectory(round).appendingPathComponent("pairs.jsonl") }
    /// `round-t/train.jsonl`: the mixed training set, `TrainingPairRecord` rows.
    public func trainingSet(_ round: Int) -> URL { roundDirectory(round).appendingPathComponent("train.jsonl") }
    /// `round-t/metrics.jsonl`: training metrics.
    public func metrics(_ round: Int) -> URL { roundDirectory(round).appendingPathComponent("metrics.jsonl") }
    /// `round-t/report.json`: the `RoundReport`.
    public func roundReportJSON(_ round: Int) -> URL { roundDirectory(round).appendingPathComponent("report.json") }
    /// `round-t/report.md`: the `RoundReport` for people.
    public func roundReportMarkdown(_ round: Int) -> URL { roundDirectory(round).appendingPathComponent("report.md") }

    /// `round-t/model`: where a `DirectoryPolicyStore` keeps π_t (t ≥ 1).
    public func modelDirectory(round: Int) -> URL { roundDirectory(round).appendingPathComponent("model") }

    /// Creates the run directory and `round-1 … round-rounds`.
    /// - Throws: `FormatError.io` naming the folder that could not be created.
    public func createDirectories(rounds: Int) throws {
        for url in [root] + (0 ..< max(0, rounds)).map({ roundDirectory($0 + 1) }) {
            do {
                try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            } catch {
                throw FormatError.io(path: url.path, reason: "cannot create folder: \(error.localizedDescription)")
            }
        }
    }
}
