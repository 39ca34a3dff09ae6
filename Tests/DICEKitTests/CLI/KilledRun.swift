// KilledRun: runs of the `dice` executable that are stopped with SIGKILL part-way, and the check
// that whatever such a run left in its output folder is either absent or whole — for the
// crash-safety tests of `dice bootstrap` and `dice dpo`.

import DICEKit
import Foundation
import Testing

enum KilledRun {
    /// Starts `dice arguments…` in `folder`, waits until `ready(stderr so far)` holds (or the
    /// process ends, or 300 s pass), sleeps `delay` seconds and kills it with SIGKILL.
    /// - Returns: whether the process was still running when it was killed.
    static func run(_ dice: URL, _ arguments: [String], in folder: URL, delay: Double,
                    ready: (String) -> Bool = { _ in true }) throws -> Bool {
        let errURL = folder.appendingPathComponent("stderr-\(UUID().uuidString)")
        try Data().write(to: errURL)
        let err = try FileHandle(forWritingTo: errURL)
        defer { try? err.close() }
        let process = Process()
        process.executableURL = dice
        process.arguments = arguments
        process.currentDirectoryURL = folder
        process.standardOutput = FileHandle.nullDevice
        process.standardError = err
        try process.run()
        let deadline = Date().addingTimeInterval(300)
        while process.isRunning, Date() < deadline {
            if ready((try? String(contentsOf: errURL, encoding: .utf8)) ?? "") { break }
            Thread.sleep(forTimeInterval: 0.005)
        }
        Thread.sleep(forTimeInterval: delay)
        let wasRunning = process.isRunning
        if wasRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return wasRunning
    }

    /// Whether `name` is an in-flight temporary of an atomic write (`AtomicFile`'s
    /// `.<name>.tmp-<random>` or `DPOCheckpoint`'s `.checkpoint-tmp-<random>`), which a killed
    /// run may leave behind and which is never read.
    static func isTemporary(_ name: String) -> Bool {
        name.hasPrefix(".") && name.contains("tmp-")
    }

    /// Every artifact under `root`, skipping temporaries (see `isTemporary`), paired with the
    /// reason it is not whole: a `.safetensors` file must read with `SafeTensors`, a `.json` file
    /// must parse, every line of a `.jsonl` file must parse, and a DPO checkpoint must load with
    /// `DPOCheckpoint.read`. Empty when everything present is complete.
    static func damagedArtifacts(under root: URL) -> [String] {
        let fm = FileManager.default
        var damaged: [String] = []
        func visit(_ folder: URL) {
            for name in ((try? fm.contentsOfDirectory(atPath: folder.path)) ?? []).sorted() where !isTemporary(name) {
                let url = folder.appendingPathComponent(name)
                var isFolder: ObjCBool = false
                _ = fm.fileExists(atPath: url.path, isDirectory: &isFolder)
                if isFolder.boolValue {
                    visit(url)
                    continue
                }
                do {
                    let data = try Data(contentsOf: url)
                    if name.hasSuffix(".safetensors") {
                        _ = try SafeTensors.read(contentsOf: url)
                    } else if name.hasSuffix(".jsonl") {
                        for line in data.split(separator: 0x0A) { _ = try JSONSerialization.jsonObject(with: Data(line)) }
                        if !data.isEmpty && data.last != 0x0A { throw CocoaError(.fileReadCorruptFile) }
                    } else if name.hasSuffix(".json") {
                        _ = try JSONSerialization.jsonObject(with: data)
                    }
                } catch {
                    damaged.append("\(url.path): \(error)")
                }
            }
        }
        visit(root)
        do {
            _ = try DPOCheckpoint.read(from: root)
        } catch {
            damaged.append("\(root.path): checkpoint: \(error)")
        }
        return damaged
    }

    /// Paths under `root` (relative) that are temporaries of an atomic write.
    static func temporaries(under root: URL) -> [String] {
        let items = FileManager.default.enumerator(atPath: root.path)?.allObjects as? [String] ?? []
        return items.filter { isTemporary(($0 as NSString).lastPathComponent) }
    }
}
