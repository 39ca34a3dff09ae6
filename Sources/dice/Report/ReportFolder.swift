// ReportFolder: what kind of folder `dice report` was given — a `dice bootstrap` run, a
// `dice demo` folder (several runs and a summary), or neither — judged by the files each writes.

import DICEKit
import Foundation

/// The kind of folder `dice report` reads.
enum ReportFolder: Equatable {
    /// A `dice bootstrap` run (RunLayout): settings.json, state.json, round-t/ …
    case run
    /// A `dice demo` folder: report.json with `rounds` and `ablations`, runs/NAME/ (each a run),
    /// models/.
    case demo(runs: [String])
    /// Neither; `found` lists the sub-folders (up to two levels down) that are runs or demo
    /// folders, relative to the folder.
    case notARun(found: [String])

    /// The demo's runs in the order the demo makes them (DICE first, then its ablations), then
    /// any others by name.
    static let demoRunOrder = ["dice", "no_length_regularization", "gamma_0", "offline_only"]

    /// What the files in `folder` say it is.
    static func classify(_ folder: URL) -> ReportFolder {
        if isDemo(folder) {
            let runsFolder = folder.appendingPathComponent("runs")
            let names = subfolders(runsFolder).filter { isRun(runsFolder.appendingPathComponent($0)) }
            let ordered = demoRunOrder.filter(names.contains) + names.filter { !demoRunOrder.contains($0) }.sorted()
            return .demo(runs: ordered)
        }
        if isRun(folder) { return .run }
        var found: [String] = []
        for name in subfolders(folder) {
            let child = folder.appendingPathComponent(name)
            if isDemo(child) || isRun(child) {
                found.append(name)
            } else {
                for inner in subfolders(child) {
                    let grandchild = child.appendingPathComponent(inner)
                    if isDemo(grandchild) || isRun(grandchild) { found.append(name + "/" + inner) }
                }
            }
        }
        return .notARun(found: found)
    }

    /// A run folder has settings.json, state.json or a round-1/ folder.
    static func isRun(_ folder: URL) -> Bool {
        let layout = RunLayout(root: folder)
        return LenientReader.exists(layout.settings) || LenientReader.exists(layout.state)
            || LenientReader.exists(layout.roundDirectory(1))
    }

    /// A demo folder has runs/ (with at least one run in it) or models/pi_0 beside a report.json.
    static func isDemo(_ folder: URL) -> Bool {
        let runs = folder.appendingPathComponent("runs")
        if subfolders(runs).contains(where: { isRun(runs.appendingPathComponent($0)) }) { return true }
        return LenientReader.exists(folder.appendingPathComponent("models/pi_0"))
            && LenientReader.exists(folder.appendingPathComponent("report.json"))
    }

    /// The names of the folders directly in `folder`, sorted (none when it cannot be listed).
    static func subfolders(_ folder: URL) -> [String] {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: folder.path) else { return [] }
        return names.filter { name in
            var isFolder: ObjCBool = false
            return !name.hasPrefix(".") && fm.fileExists(atPath: folder.appendingPathComponent(name).path, isDirectory: &isFolder)
                && isFolder.boolValue
        }.sorted()
    }
}
