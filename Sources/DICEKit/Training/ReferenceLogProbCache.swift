// ReferenceLogProbCache: the reference model's log-probs of every pair, computed once and kept
// on disk under a key = hash(weights fingerprint, data fingerprint), so that later runs and
// later DICE rounds reuse them without loading the reference model.

import Foundation
import Logging

/// The reference model's summed response log-probs (nats) of each pair, in pair order.
public struct ReferenceLogProbs: Sendable, Hashable, Codable {
    /// Σ log π_ref(chosen | prompt) of each pair, in nats, in pair order.
    public var chosen: [Double]
    /// Σ log π_ref(rejected | prompt) of each pair, in nats, in pair order.
    public var rejected: [Double]

    /// Reference log-probs computed elsewhere (one value per pair in each list).
    public init(chosen: [Double], rejected: [Double]) {
        self.chosen = chosen
        self.rejected = rejected
    }

    /// Scores `pairs` with `reference`, `batchSize` pairs per call (chosen and rejected of a
    /// pair side by side in one batch, so a model can share their prompt).
    /// - Throws: what the reference throws.
    public static func compute(_ pairs: [PreferencePair], reference: any ReferenceModel, batchSize: Int = 8,
                               progress: ((_ done: Int, _ total: Int) -> Void)? = nil) throws -> ReferenceLogProbs {
        var out = ReferenceLogProbs(chosen: [], rejected: [])
        try out.extend(pairs, reference: reference, batchSize: batchSize, until: pairs.count, progress: progress)
        return out
    }

    /// Scores `pairs[chosen.count ..< end]` and appends them.
    mutating func extend(_ pairs: [PreferencePair], reference: any ReferenceModel, batchSize: Int, until end: Int,
                         progress: ((Int, Int) -> Void)?) throws {
        let step = max(1, batchSize)
        var start = chosen.count
        while start < end {
            let slice = pairs[start..<min(end, start + step)]
            let values = try reference.logProbs(slice.flatMap { [$0.chosenPair, $0.rejectedPair] })
            for i in 0..<slice.count {
                chosen.append(values[2 * i])
                rejected.append(values[2 * i + 1])
            }
            start += slice.count
            progress?(start, pairs.count)
        }
    }
}

/// A folder of cached reference log-probs, one JSON file per key, written atomically.
///
/// A file may be partial (a run killed while computing): `logProbs(…)` continues it from where
/// it stopped. Values round-trip exactly (JSON numbers in shortest round-trip form).
public struct ReferenceLogProbCache: Sendable {
    /// The cache folder (created on first write).
    public let folder: URL
    /// Where the cache logs (label `dicekit.training` by default, see `LogSubsystem`): at
    /// `debug` a hit, a miss, a partial file continued and each save of progress.
    public var logger: Logger

    /// A cache in `folder` (created on first write), logging to `logger`.
    public init(folder: URL, logger: Logger = LogSubsystem.training.logger) {
        self.folder = folder
        self.logger = logger
    }

    /// Why no default cache folder could be chosen.
    public struct LocationError: Error, Sendable, Hashable, CustomStringConvertible {
        /// What is wrong with the environment (names `XDG_CACHE_HOME` and `HOME`).
        public let reason: String

        /// One readable sentence.
        public var description: String {
            "no folder for the reference log-prob cache: \(reason); set XDG_CACHE_HOME or HOME to an existing folder, or pass a cache folder explicitly"
        }
    }

    /// The default cache folder, as the XDG Base Directory specification places caches:
    /// `$XDG_CACHE_HOME/dicekit/reference-logprobs` when `XDG_CACHE_HOME` is an absolute path,
    /// else `$HOME/.cache/dicekit/reference-logprobs` when `HOME` is an absolute path to an
    /// existing folder. Empty or relative values are ignored, as the specification says.
    /// Nothing is created.
    /// - Throws: `LocationError` naming both variables when neither gives a folder.
    public static func defaultFolder(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> URL {
        let subfolder = "dicekit/reference-logprobs"
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") {
            return URL(fileURLWithPath: xdg, isDirectory: true).appendingPathComponent(subfolder, isDirectory: true)
        }
        let xdgState = environment["XDG_CACHE_HOME"].map { $0.isEmpty ? "XDG_CACHE_HOME is empty" : "XDG_CACHE_HOME=\($0) is not an absolute path" }
            ?? "XDG_CACHE_HOME is not set"
        guard let home = environment["HOME"], home.hasPrefix("/") else {
            let homeState = environment["HOME"].map { $0.isEmpty ? "HOME is empty" : "HOME=\($0) is not an absolute path" }
                ?? "HOME is not set"
            throw LocationError(reason: "\(xdgState) and \(homeState)")
        }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: home, isDirectory: &isFolder), isFolder.boolValue else {
            throw LocationError(reason: "\(xdgState) and HOME=\(home) is not an existing folder")
        }
        return URL(fileURLWithPath: home, isDirectory: true).appendingPathComponent(".cache/" + subfolder, isDirectory: true)
    }

    /// Creates the cache folder (and its parents) unless it exists, and checks that files can be
    /// written in it; `logProbs` calls it before computing anything.
    /// - Throws: `FormatError.io` naming the folder.
    public func prepareFolder() throws {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw FormatError.io(path: folder.path, reason: "cannot create the cache folder: \(error.localizedDescription)")
        }
        guard FileManager.default.isWritableFile(atPath: folder.path) else {
            throw FormatError.io(path: folder.path, reason: "the cache folder is not writable")
        }
    }

    /// The cache key of reference weights and tokenized data (SHA-256, hex).
    public static func key(weightsFingerprint: String, dataFingerprint: String) -> String {
        var hash = SHA256()
        hash.update("dicekit.reference-logprobs.v1")
        hash.update(weightsFingerprint)
        hash.update(dataFingerprint)
        return hash.hexDigest()
    }

    /// The file of `key`.
    public func file(_ key: String) -> URL { folder.appendingPathComponent("\(key).json") }

    private struct Stored: Codable {
        var key: String
        var count: Int
        var chosen: [Double]
        var rejected: [Double]
    }

    /// The cached values of `key` when all `count` pairs are present, else nil.
    /// - Throws: `FormatError.invalidJSON` for a damaged file.
    public func complete(_ key: String, count: Int) throws -> ReferenceLogProbs? {
        guard let stored = try read(key), stored.count == count, stored.chosen.count == count else { return nil }
        return ReferenceLogProbs(chosen: stored.chosen, rejected: stored.rejected)
    }

    /// The reference log-probs of `pairs`: from the cache when complete; otherwise computed
    /// with `reference()` (called only then, so the model is loaded only when needed),
    /// continuing a partial file, saving progress every `saveEvery` pairs. The folder is
    /// created and checked (`prepareFolder`) before `reference()` is called.
    /// - Throws: what `reference()` or the model throws; `FormatError` for unreadable or
    ///   unwritable cache files or folder.
    public func logProbs(key: String, pairs: [PreferencePair], reference: () throws -> any ReferenceModel,
                         batchSize: Int = 8, saveEvery: Int = 512,
                         progress: ((_ done: Int, _ total: Int) -> Void)? = nil) throws -> ReferenceLogProbs {
        var log = logger
        log[metadataKey: "cacheFile"] = "\(file(key).path)"
        if let done = try complete(key, count: pairs.count) {
            log.debug("reference log-prob cache hit", metadata: ["pairs": "\(pairs.count)"])
            return done
        }
        var partial = ReferenceLogProbs(chosen: [], rejected: [])
        if let stored = try read(key), stored.count == pairs.count, stored.chosen.count <= pairs.count {
            partial = ReferenceLogProbs(chosen: stored.chosen, rejected: stored.rejected)
        }
        log.debug("reference log-prob cache miss: computing",
                  metadata: ["pairs": "\(pairs.count)", "alreadyCached": "\(partial.chosen.count)"])
        try prepareFolder()
        let model = try reference()
        while partial.chosen.count < pairs.count {
            let end = min(pairs.count, partial.chosen.count + max(1, saveEvery))
            try partial.extend(pairs, reference: model, batchSize: batchSize, until: end, progress: progress)
            try write(Stored(key: key, count: pairs.count, chosen: partial.chosen, rejected: partial.rejected))
            log.debug("reference log-probs saved", metadata: ["done": "\(partial.chosen.count)", "pairs": "\(pairs.count)"])
        }
        return partial
    }

    /// Stores the complete `values` of `key` (atomically; e.g. gathered from several ranks).
    /// - Throws: `FormatError` for an unwritable folder or file.
    public func store(_ values: ReferenceLogProbs, key: String) throws {
        try write(Stored(key: key, count: values.chosen.count, chosen: values.chosen, rejected: values.rejected))
    }

    private func read(_ key: String) throws -> Stored? {
        let url = file(key)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        do {
            let stored = try JSONDecoder().decode(Stored.self, from: Data(contentsOf: url))
            guard stored.key == key, stored.chosen.count == stored.rejected.count else {
                throw FormatError.invalidJSON(path: url.path, offset: 0, tensor: nil,
                                              reason: "the file belongs to another key or its lists differ in length")
            }
            return stored
        } catch let error as FormatError {
            throw error
        } catch {
            throw FormatError.invalidJSON(path: url.path, offset: 0, tensor: nil, reason: "\(error)")
        }
    }

    private func write(_ stored: Stored) throws {
        try prepareFolder()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try AtomicFile.write(try encoder.encode(stored), to: file(stored.key))
    }
}
