// DPOCheckpoint: everything a DPO run needs to continue bit for bit — parameters, optimizer
// state, trainer state — in one folder that is replaced atomically.
//
// Layout of <root>/checkpoint/:
//   trainer_state.json       step, configuration, data fingerprint, data order (RNG state,
//                            permutation, cursor), loss name, optimizer name and step
//   parameters.safetensors   "parameters" [P]: the flat Float32 values (exact, any policy)
//   optimizer.safetensors    the optimizer's buffers, e.g. "exp_avg", "exp_avg_sq" [P]
//   model/                   the policy as a Hugging Face directory (when an exporter is given)
//
// Writing: into <root>/.checkpoint-tmp-<random>/ (each file fsynced), then the old checkpoint
// is renamed to .checkpoint-old, the new one into place, and the old one removed. A crash at
// any moment leaves either checkpoint/ or .checkpoint-old/ complete; reading falls back to the
// latter. The temporary folders of writes that a crash cut short are removed by the next write
// (before it needs the space), and with a stale .checkpoint-old by `removeLeftovers` when a run
// starts or resumes.

import Foundation

/// A saved DPO training state (see the layout above).
public struct DPOCheckpoint: Sendable {
    /// The trainer state JSON.
    public struct State: Sendable, Hashable, Codable {
        /// The state file's format version (1).
        public var version = 1
        /// Updates completed.
        public var step: Int
        /// The settings trained with (a resume may change only `steps` and the intervals).
        public var configuration: DPOConfiguration
        /// `PreferenceDataset.fingerprint` of the pairs (template "", no EOS flag).
        public var dataFingerprint: String
        /// P, the number of flat parameters saved.
        public var parameterCount: Int
        /// `PreferenceLoss.name` of the loss trained with (nil in checkpoints written before
        /// it was recorded: the configuration's loss).
        public var loss: String?
        /// `Optimizer.name`.
        public var optimizer: String
        /// The optimizer's own step count (`Optimizer.step`).
        public var optimizerStep: Int
        /// Where the seeded data order stands, so a resume draws the same batches.
        public var dataOrder: DPODataOrder
        /// What else the run read, by name (e.g. the weight fingerprints of its models; see
        /// `StandardDPOTrainer.inputs`); nil when nothing was recorded (then nothing is
        /// compared on resume).
        public var inputs: [String: String]? = nil
    }

    /// The trainer state (`trainer_state.json`).
    public var state: State
    /// Flat parameters, `[P]`.
    public var parameters: [Float]
    /// The optimizer's state (its step and moments), restored bit for bit.
    public var optimizer: OptimizerState

    /// The folder name of the current checkpoint under a run's root.
    public static let folderName = "checkpoint"
    static let previousName = ".checkpoint-old"
    static let temporaryPrefix = ".checkpoint-tmp-"
    static let stateFileName = "trainer_state.json"

    /// Writes the checkpoint under `root` (created if needed), replacing the previous one only
    /// once the new one is complete. `exportModel`, if given, writes a model directory into the
    /// folder it is handed.
    /// - Throws: `FormatError.io` and what `exportModel` throws; the previous checkpoint then
    ///   stays in place.
    public func write(to root: URL, exportModel: ((URL) throws -> Void)?) throws {
        let fm = FileManager.default
        func io(_ path: URL, _ what: String, _ error: any Error) -> FormatError {
            .io(path: path.path, reason: "\(what): \(error.localizedDescription)")
        }
        do { try fm.createDirectory(at: root, withIntermediateDirectories: true) } catch { throw io(root, "cannot create folder", error) }
        for name in (try? fm.contentsOfDirectory(atPath: root.path)) ?? [] where name.hasPrefix(Self.temporaryPrefix) {
            try? fm.removeItem(at: root.appendingPathComponent(name))
        }
        let temporary = root.appendingPathComponent(Self.temporaryPrefix + String(UInt64.random(in: 0 ... .max), radix: 36))
        do { try fm.createDirectory(at: temporary, withIntermediateDirectories: false) } catch { throw io(temporary, "cannot create folder", error) }
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            try AtomicFile.write(try encoder.encode(state), to: temporary.appendingPathComponent(Self.stateFileName))
            try SafeTensors.write(["parameters": HostTensor(shape: [parameters.count], values: parameters)],
                                  to: temporary.appendingPathComponent("parameters.safetensors"))
            try SafeTensors.write(optimizer.tensors, to: temporary.appendingPathComponent("optimizer.safetensors"),
                                  metadata: ["step": String(optimizer.step)])
            if let exportModel { try exportModel(temporary.appendingPathComponent("model")) }
            AtomicFile.syncFolder(temporary.path)
        } catch {
            try? fm.removeItem(at: temporary)
            throw error
        }
        let current = root.appendingPathComponent(Self.folderName), previous = root.appendingPathComponent(Self.previousName)
        // With checkpoint/ in place, .checkpoint-old is stale; without it (a crash between the
        // two renames below), .checkpoint-old is the last good checkpoint and stays until the
        // new one is in place.
        if fm.fileExists(atPath: current.path) {
            try? fm.removeItem(at: previous)
            guard rename(current.path, previous.path) == 0 else {
                throw FormatError.io(path: current.path, reason: "cannot move the previous checkpoint aside")
            }
        }
        guard rename(temporary.path, current.path) == 0 else {
            throw FormatError.io(path: current.path, reason: "cannot move the new checkpoint into place")
        }
        AtomicFile.syncFolder(root.path)
        try? fm.removeItem(at: previous)
    }

    /// Removes what interrupted writes left under `root`: the temporary folders of checkpoint
    /// writes that never finished, and `.checkpoint-old` once `checkpoint/` is complete (a
    /// write cut short while removing it). Only call this while no write into `root` is in
    /// flight (e.g. when a run starts or resumes); best effort: what cannot be removed stays.
    public static func removeLeftovers(in root: URL) {
        let fm = FileManager.default
        for name in (try? fm.contentsOfDirectory(atPath: root.path)) ?? [] where name.hasPrefix(temporaryPrefix) {
            try? fm.removeItem(at: root.appendingPathComponent(name))
        }
        if fm.fileExists(atPath: root.appendingPathComponent(folderName).appendingPathComponent(stateFileName).path) {
            try? fm.removeItem(at: root.appendingPathComponent(previousName))
        }
    }

    /// The trainer state file `read(from:)` would use under `root` (`checkpoint/`, else the
    /// `.checkpoint-old/` of a write cut short), or nil when `root` holds no checkpoint.
    public static func stateFile(under root: URL) -> URL? {
        [folderName, previousName].lazy.map { root.appendingPathComponent($0).appendingPathComponent(stateFileName) }
            .first { FileManager.default.fileExists(atPath: $0.path) }
    }

    /// The trainer state of the checkpoint under `root` (without its parameters), or nil when
    /// there is none: what a run checks before it does expensive work.
    /// - Throws: `DPOTrainingError.unreadableCheckpoint` naming the file.
    public static func readState(from root: URL) throws -> State? {
        guard let url = stateFile(under: root) else { return nil }
        do {
            return try JSONDecoder().decode(State.self, from: Data(contentsOf: url))
        } catch {
            throw DPOTrainingError.unreadableCheckpoint(path: url.path, reason: "\(error)")
        }
    }

    /// The checkpoint under `root`, or nil when there is none.
    /// - Throws: `DPOTrainingError.unreadableCheckpoint` naming the damaged file.
    public static func read(from root: URL) throws -> DPOCheckpoint? {
        guard let stateURL = stateFile(under: root), let state = try readState(from: root) else { return nil }
        let folder = stateURL.deletingLastPathComponent()
        let parametersURL = folder.appendingPathComponent("parameters.safetensors")
        let optimizerURL = folder.appendingPathComponent("optimizer.safetensors")
        do {
            let tensors = try SafeTensors.read(contentsOf: parametersURL)
            guard let p = tensors["parameters"], p.values.count == state.parameterCount else {
                throw DPOTrainingError.unreadableCheckpoint(
                    path: parametersURL.path, reason: "expected \"parameters\" with \(state.parameterCount) values")
            }
            let optimizerTensors = try SafeTensors.read(contentsOf: optimizerURL)
            return DPOCheckpoint(state: state, parameters: p.values,
                                 optimizer: OptimizerState(step: state.optimizerStep, tensors: optimizerTensors))
        } catch let error as DPOTrainingError {
            throw error
        } catch {
            throw DPOTrainingError.unreadableCheckpoint(path: folder.path, reason: "\(error)")
        }
    }
}
