// TensorBoardOptions: `--tensorboard DIR` and `--no-tensorboard` of the commands that train
// (`dice dpo`, `dice bootstrap`), and the event-file rows of a metrics log.

import ArgumentParser
import DICEKit
import Foundation

/// Where a training command writes its TensorBoard event files (`@OptionGroup`).
struct TensorBoardOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Folder for TensorBoard event files (default: OUTPUT/tensorboard; view with `tensorboard --logdir` on it). Event files already in it are replaced.", valueName: "dir"))
    var tensorboard: String?

    @Flag(help: "Write no TensorBoard event files.") var noTensorboard = false

    /// The folder for event files: `--tensorboard`, else `defaultFolder`; nil with
    /// `--no-tensorboard`.
    /// - Throws: `ValidationError` when both flags are given.
    func folder(default defaultFolder: URL) throws -> URL? {
        if noTensorboard {
            guard tensorboard == nil else { throw ValidationError("--tensorboard \(tensorboard ?? ""): not with --no-tensorboard") }
            return nil
        }
        return tensorboard.map { URL(fileURLWithPath: $0) } ?? defaultFolder
    }

    /// The event-file rows of `metrics.jsonl` rows (`DPOMetrics` as JSON), in order.
    /// - Throws: an error naming `file` and the row when one is no `DPOMetrics` row.
    static func rows(ofMetrics lines: [Data], file: URL) throws -> [TensorBoardWriter.Row] {
        try lines.enumerated().map { k, line in
            do {
                let metrics = try JSONDecoder().decode(DPOMetrics.self, from: line)
                return TensorBoardWriter.Row(step: metrics.step, scalars: metrics.tensorBoardScalars)
            } catch {
                throw ValidationError("\(file.path): row \(k + 1) is no metrics row (\(error)); cannot rebuild the TensorBoard history from it")
            }
        }
    }
}
