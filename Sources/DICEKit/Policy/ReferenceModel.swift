// ReferenceModel: the frozen model DPO measures the policy against, and fingerprints of its
// weights that key the cache of its log-probs.

import Foundation

/// A frozen reference model: Σ log π_ref(response | prompt) per pair, the prompt masked.
///
/// It is exactly a `SequenceScorer`; the alias names the role. DPO computes its log-probs once
/// per data set (see `ReferenceLogProbCache`), so the model need not be held while the policy
/// trains. In round t of DICE the reference for *scoring* is π_{t−2} (π_ref in round 1) and
/// for *training* π_{t−1} (see `RoundPlan`).
public typealias ReferenceModel = SequenceScorer

/// Weight fingerprints: SHA-256 over every weight sorted by name (name, shape, Float32 bytes,
/// little-endian). A model loaded from a directory and the directory itself give the same
/// fingerprint, so a cache can be checked without building the model.
public enum WeightsFingerprint {
    /// The fingerprint of named weights.
    public static func of(_ tensors: [String: HostTensor]) -> String {
        var hash = SHA256()
        hash.update("dicekit.weights.v1")
        hash.update(tensors.count)
        for name in tensors.keys.sorted() {
            guard let t = tensors[name] else { continue }
            feed(&hash, name: name, shape: t.shape, values: t.values)
        }
        return hash.hexDigest()
    }

    /// The fingerprint of a parameter store's weights (the same as of its `ModelDirectory`).
    public static func of(_ parameters: ParameterStore) throws -> String {
        var hash = SHA256()
        hash.update("dicekit.weights.v1")
        hash.update(parameters.entries.count)
        for entry in parameters.entries.sorted(by: { $0.name < $1.name }) {
            feed(&hash, name: entry.name, shape: entry.shape, values: try parameters.get(entry.name))
        }
        return hash.hexDigest()
    }

    private static func feed(_ hash: inout SHA256, name: String, shape: [Int], values: [Float]) {
        hash.update(name)
        hash.update(shape.count)
        for d in shape { hash.update(d) }
        #if _endian(little)
        values.withUnsafeBytes { hash.update($0) }
        #else
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { hash.update($0) } }
        #endif
    }
}

extension ModelDirectory {
    /// `WeightsFingerprint.of(tensors)`.
    public func weightsFingerprint() -> String { WeightsFingerprint.of(tensors) }
}

extension TransformerLM {
    /// `WeightsFingerprint.of(parameters)`: equal to the fingerprint of the directory it was
    /// loaded from.
    public func weightsFingerprint() throws -> String { try WeightsFingerprint.of(parameters) }
}
