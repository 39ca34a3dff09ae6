// Policy: the model DICE samples from and scores with. A transformer with a sampler conforms
// (Generation/), and so can any user type; `TabularPolicy` (Toy/) is the exact toy one.

/// A policy: it samples responses and scores them (`SequenceScorer`).
///
/// Sampling settings (temperature, top-p, length cap, stop tokens) belong to the conforming
/// value, so the DICE loop only says how many responses and which seed.
public protocol Policy: SequenceScorer {
    /// Samples `count` responses for each prompt.
    ///
    /// - Parameters:
    ///   - prompts: P prompts as token ids (each non-empty, including any template tokens).
    ///   - count: K ≥ 1 responses per prompt.
    ///   - seed: the same seed, prompts and policy give the same responses.
    /// - Returns: P arrays of K responses, in prompt order.
    /// - Throws: when a prompt is unusable or the policy fails.
    func sample(_ prompts: [[Int]], count: Int, seed: UInt64) throws -> [[GeneratedSample]]
}

extension Policy {
    /// `sample(_:count:seed:)`, checked: exactly one group of `count` responses per prompt, no
    /// negative token id, and every `.stop` response non-empty (it carries its stop token).
    /// - Throws: what `sample` throws; `DICEError.policyContract` when the result is malformed.
    public func checkedSample(_ prompts: [[Int]], count: Int, seed: UInt64) throws -> [[GeneratedSample]] {
        let groups = try sample(prompts, count: count, seed: seed)
        guard groups.count == prompts.count else {
            throw DICEError.policyContract(reason: "\(type(of: self)): \(groups.count) response groups for \(prompts.count) prompts")
        }
        for (p, group) in groups.enumerated() {
            guard group.count == count else {
                throw DICEError.policyContract(reason: "\(type(of: self)): prompt \(p): \(group.count) responses, expected \(count)")
            }
            if let s = group.firstIndex(where: { $0.finishReason == .stop && $0.ids.isEmpty }) {
                throw DICEError.policyContract(reason: "\(type(of: self)): prompt \(p), sample \(s): a stop response without its stop token")
            }
            if let s = group.firstIndex(where: { $0.ids.contains { $0 < 0 } }) {
                throw DICEError.policyContract(reason: "\(type(of: self)): prompt \(p), sample \(s): negative token id \(group[s].ids.first { $0 < 0 } ?? -1)")
            }
        }
        return groups
    }
}
