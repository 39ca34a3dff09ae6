// DPORunFolder: whether a `dice dpo` output folder already holds a run, checked before any work,
// so that a run is never started over on top of another without --resume.

import DICEKit
import Foundation

/// What an output folder of `dice dpo` already holds.
enum DPORunFolder {
    /// A folder that holds a run, given to a command that would start a new one.
    struct ExistingRun: Error, CustomStringConvertible {
        let description: String
    }

    /// The file that shows `folder` holds a DPO run: its checkpoint's trainer state, else a
    /// trained model's weights or config.json; nil when there is none.
    static func evidence(in folder: URL) -> URL? {
        if let state = DPOCheckpoint.stateFile(under: folder) { return state }
        return [ModelDirectory.weightsFile, ModelDirectory.indexFile, ModelDirectory.configFile]
            .map { folder.appendingPathComponent($0) }
            .first { FileManager.default.fileExists(atPath: $0.path) }
    }

    /// Refuses to start a new run in `folder` (`output` as given on the command line) when it
    /// holds one.
    /// - Throws: `ExistingRun` naming the folder and the file that shows the run.
    static func refuseExistingRun(in folder: URL, output: String) throws {
        guard let file = evidence(in: folder) else { return }
        throw ExistingRun(description: "\(output): already holds a run (\(file.path)); pass --resume to continue it, or choose another --output folder")
    }
}
