// RunSettings: what a DICE run was started with — its settings, fingerprints of its data and
// the caller's own inputs — kept in `settings.json` and compared when the run is resumed.

import Foundation

/// The settings and data a run depends on. A resumed run must match them except in `rounds`
/// (a finished run may be given more rounds).
public struct RunSettings: Sendable, Hashable, Codable {
    /// The format version of `settings.json`.
    public var version: Int = 1
    /// The loop's settings.
    public var configuration: DICEConfiguration
    /// Fingerprint (SHA-256) of the prompts' token ids, in order.
    public var prompts: String
    /// Fingerprint (SHA-256) of the offline pairs' token ids, in order.
    public var offline: String
    /// What else the caller's run depends on, by name (model folders, sampling settings, …),
    /// compared as strings.
    public var inputs: [String: String]

    /// The settings of a run of `configuration` on `prompts` and `offline`, with the caller's
    /// `inputs`.
    public init(configuration: DICEConfiguration, prompts: [[Int]], offline: [PreferencePair],
                inputs: [String: String] = [:]) {
        self.configuration = configuration
        self.prompts = PreferenceDataset.fingerprint(prompts.map { PreferencePair(prompt: $0, chosen: [], rejected: []) },
                                                     template: "prompts", appendEOS: false)
        self.offline = PreferenceDataset.fingerprint(offline, template: "offline", appendEOS: false)
        self.inputs = inputs
    }

    /// What differs between `self` (the run's recorded settings) and `other`, ignoring
    /// `rounds`: "name (old → new)" for each loop setting (dotted paths, e.g.
    /// `dpo.learningRate`), "the prompts", "the offline pairs", and each input key. Empty when
    /// the run may be resumed with `other`.
    public func differences(from other: RunSettings) -> [String] {
        var a = configuration, b = other.configuration
        a.rounds = 0
        b.rounds = 0
        var out: [String] = []
        if a != b {
            let old = Self.flatten(a), new = Self.flatten(b)
            let changed = Set(old.keys).union(new.keys).sorted().filter { old[$0] != new[$0] }
            out += changed.isEmpty ? ["the DICE settings"]
                : changed.map { "\($0) (\(old[$0] ?? "none") → \(new[$0] ?? "none"))" }
        }
        if prompts != other.prompts { out.append("the prompts") }
        if offline != other.offline { out.append("the offline pairs") }
        for key in Set(inputs.keys).union(other.inputs.keys).sorted() where inputs[key] != other.inputs[key] {
            out.append(key)
        }
        return out
    }

    /// The configuration's JSON leaves by dotted path, each as compact JSON text.
    private static func flatten(_ configuration: DICEConfiguration) -> [String: String] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(configuration),
              let object = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else { return [:] }
        var out: [String: String] = [:]
        func walk(_ value: Any, _ path: String) {
            if let dictionary = value as? [String: Any], !dictionary.isEmpty {
                for (key, child) in dictionary { walk(child, path.isEmpty ? key : path + "." + key) }
            } else if let leaf = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys]) {
                out[path] = String(decoding: leaf, as: UTF8.self)
            }
        }
        walk(object, "")
        return out
    }

    // MARK: - Files

    /// Writes the settings as JSON to `url`, atomically.
    /// - Throws: `FormatError.io`; `DICEError.invalidParameter` for a setting JSON cannot hold.
    public func write(to url: URL) throws {
        try ReportFiles.writeJSON(self, named: "the run settings", to: url)
    }

    /// The settings in `url`.
    /// - Throws: `DICEError.runState` naming the file when it is unreadable, not settings, or
    ///   from an unknown version.
    public static func read(from url: URL) throws -> RunSettings {
        let settings: RunSettings
        do {
            settings = try JSONDecoder().decode(RunSettings.self, from: Data(contentsOf: url))
        } catch let error as DecodingError {
            throw DICEError.runState(path: url.path, reason: "not run settings: \(DecodingProblem(error).key) \(DecodingProblem(error).reason)")
        } catch {
            throw DICEError.runState(path: url.path, reason: "cannot read: \(error.localizedDescription)")
        }
        guard settings.version == 1 else {
            throw DICEError.runState(path: url.path, reason: "unknown version \(settings.version) (expected 1)")
        }
        return settings
    }
}
