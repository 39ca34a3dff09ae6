// TrainingRun: a StandardDPOTrainer run as `dice dpo` and `dice rm` show and record it —
// metrics.jsonl and TensorBoard rows, a progress bar, a resumed run's history, and a clean stop
// on SIGINT/SIGTERM after checkpointing the update.

import DICEKit
import Foundation

/// Trains `policy` with `trainer`, writing OUTPUT/metrics.jsonl (one row per update, validation
/// rows with the `eval_` prefix) and, unless `tensorBoardFolder` is nil, the same scalars as
/// TensorBoard events; `export` writes the model into the folder it is given (checkpoints).
/// Under several ranks only rank 0 writes and shows progress, and a signal to any rank stops
/// every rank at the same update.
/// - Parameters:
///   - label: the progress bar's label.
///   - communicator: the ranks of a data-parallel run (one process by default).
/// - Throws: what the trainer throws; `StopSignals.exitCode` after a signal stopped the run
///   (the update checkpointed).
func runTraining(_ trainer: StandardDPOTrainer, policy: any TrainablePolicy, pairs: [PreferencePair],
                 reference: ReferenceLogProbs, outputURL: URL, tensorBoardFolder: URL?, label: String,
                 communicator: any Communicator = LocalCommunicator(),
                 export: @escaping (URL) throws -> Void) throws -> DPOTrainingSummary {
    let leader = communicator.rank == 0
    let metricsURL = outputURL.appendingPathComponent("metrics.jsonl")
    var rows: [Data] = []
    var bar = ProgressBar(total: trainer.configuration.steps, label: label)
    let encoder = JSONL.sortedEncoder()
    var stepsDone = 0
    // The TensorBoard file holds what metrics.jsonl holds: started at the first row logged
    // (or, on resume, with the rows kept up to the checkpoint), then appended row by row.
    var board: TensorBoardWriter?
    func logToTensorBoard(_ m: DPOMetrics) throws {
        guard let tensorBoardFolder else { return }
        if board == nil { board = try TensorBoardWriter(directory: tensorBoardFolder) }
        try board?.add(m.tensorBoardScalars, step: m.step)
    }
    trainer.exportModel = export
    trainer.observer = { event in
        switch event {
        case .resumed(let step):
            guard leader else { break }
            rows = previousRows(metricsURL, upTo: step)
            if let tensorBoardFolder {
                board = try TensorBoardWriter(directory: tensorBoardFolder,
                                              history: try TensorBoardOptions.rows(ofMetrics: rows, file: metricsURL))
            }
            warn("resuming from step \(step)")
        case .step(let m):
            stepsDone = m.step
            if leader {
                rows.append(try encoder.encode(m))
                try writeRows(rows, to: metricsURL)
                try logToTensorBoard(m)
                bar.update(m.step, detail: String(format: "loss %.4f acc %.2f margin %.4f", m.loss, m.rewardsAccuracies,
                                                  m.rewardsMargins))
            }
            // SIGINT/SIGTERM: the trainer checkpoints this update, then stops (every rank at the
            // same update: a signal to any rank stops them all).
            if let stop = try StopSignals.request(over: communicator) { throw stop }
        case .validation(let m):
            guard leader else { break }
            rows.append(try encoder.encode(m))
            try writeRows(rows, to: metricsURL)
            try logToTensorBoard(m)
        case .checkpoint:
            break
        }
    }
    do {
        let summary = try trainer.train(policy, pairs: pairs, reference: reference)
        bar.finish()
        return summary
    } catch is RunStopped {
        bar.finish()
        warn("stopped at step \(stepsDone); --resume continues")
        throw StopSignals.exitCode
    }
}

/// The rows of an earlier metrics.jsonl whose step is at most `step` (a resumed run's history).
private func previousRows(_ url: URL, upTo step: Int) -> [Data] {
    guard let data = try? Data(contentsOf: url) else { return [] }
    return data.split(separator: 0x0A).compactMap { line in
        guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
              let s = object["step"] as? Int, s <= step else { return nil }
        return Data(line)
    }
}

private func writeRows(_ rows: [Data], to url: URL) throws {
    var out = Data()
    for row in rows {
        out.append(row)
        out.append(0x0A)
    }
    try AtomicFile.write(out, to: url)
}
