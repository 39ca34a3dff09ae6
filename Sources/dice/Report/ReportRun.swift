// ReportRun: everything `dice report` could read of one `dice bootstrap` run folder — its
// settings, state, summary and each round's artifacts — with what was missing recorded in the
// LenientReader rather than thrown.

import DICEKit
import Foundation

/// One round's artifacts as read from `round-t/` (nil: missing or unreadable).
struct ReportRound {
    /// The round, 1-based.
    var round: Int
    /// `round-t/report.json`, typed.
    var report: RoundReport?
    /// `round-t/report.json` as a JSON object (for keys newer than `RoundReport`, e.g. intervals).
    var reportObject: [String: Any]?
    /// `round-t/samples.jsonl`.
    var samples: [SampleRecord]?
    /// `round-t/scored.jsonl`.
    var scored: [SampleRecord]?
    /// `round-t/pairs.jsonl`.
    var pairs: [GeneratedPair]?
    /// `round-t/train.jsonl`.
    var trainingSet: [TrainingPairRecord]?
    /// `round-t/metrics.jsonl`.
    var metrics: [DPOMetrics]?
    /// The last phase of this round that the run completed (nil: none, or unknown).
    var completed: RunPhase?
    /// Why nothing of the round is shown, when it was not run yet.
    var notRunYet: Bool
}

/// One run folder as read for the report.
struct ReportRun {
    /// The run's name on the page ("" for the only run of a `dice bootstrap` folder).
    var name: String
    /// The run folder.
    var layout: RunLayout
    /// `settings.json`.
    var settings: RunSettings?
    /// `state.json`.
    var state: RunState?
    /// `report.json` (written by `dice bootstrap` once every round is done).
    var summary: RunReport?
    /// Rounds 1 … T (T from the settings, the state or the round folders found).
    var rounds: [ReportRound]

    /// The loop settings, from settings.json or else from the summary.
    var configuration: DICEConfiguration? { settings?.configuration ?? summary?.configuration }

    /// Reads the run in `folder`, recording every problem in `reader`.
    static func read(_ folder: URL, name: String, reader: inout LenientReader) -> ReportRun {
        let layout = RunLayout(root: folder)
        let settings = reader.json(RunSettings.self, at: layout.settings, required: true)
        let state = reader.json(RunState.self, at: layout.state, required: true)
        let configured = settings?.configuration.rounds ?? 0
        var found = 0
        while LenientReader.exists(layout.roundDirectory(found + 1)) { found += 1 }
        // The summary is written by `dice bootstrap` (not by every program that runs the loop):
        // read when present, never required.
        let summary = reader.json(RunReport.self, at: layout.reportJSON, required: false)
        // Rounds beyond the last folder are shown as "not run yet", a few at most (a damaged
        // settings.json or state.json may claim any number).
        let count = min(max(configured, found, state?.round ?? 0, summary?.rounds.count ?? 0), found + 20)
        let rounds = (0 ..< count).map { readRound($0 + 1, layout: layout, state: state, reader: &reader) }
        return ReportRun(name: name, layout: layout, settings: settings, state: state, summary: summary, rounds: rounds)
    }

    /// Round `t`'s artifacts: a file is required once the state says its phase completed (or,
    /// without a readable state, when the round's folder exists).
    private static func readRound(_ t: Int, layout: RunLayout, state: RunState?, reader: inout LenientReader) -> ReportRound {
        let folderExists = LenientReader.exists(layout.roundDirectory(t))
        func required(_ phase: RunPhase) -> Bool {
            state.map { $0.isCompleted(round: t, phase: phase) } ?? folderExists
        }
        let completed = state.flatMap { s in RunPhase.allCases.last { s.isCompleted(round: t, phase: $0) } }
        var round = ReportRound(round: t, completed: completed,
                                notRunYet: !folderExists && state.map { !$0.isCompleted(round: t, phase: .sample) } ?? true)
        round.samples = reader.jsonl(SampleRecord.self, at: layout.samples(t), required: required(.sample))?.map(\.value)
        round.scored = reader.jsonl(SampleRecord.self, at: layout.scored(t), required: required(.score))?.map(\.value)
        round.pairs = reader.jsonl(GeneratedPair.self, at: layout.pairs(t), required: required(.pair))?.map(\.value)
        round.trainingSet = reader.jsonl(TrainingPairRecord.self, at: layout.trainingSet(t), required: required(.pair))?
            .map(\.value)
        round.metrics = reader.jsonl(DPOMetrics.self, at: layout.metrics(t), required: required(.train))?.map(\.value)
        round.report = reader.json(RoundReport.self, at: layout.roundReportJSON(t), required: required(.pair))
        if round.report != nil {
            var quiet = LenientReader(root: reader.root)
            round.reportObject = quiet.jsonObject(at: layout.roundReportJSON(t), required: false)
        }
        return round
    }
}
