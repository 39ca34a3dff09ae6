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

    /// The groups of `rows` only of what `sample(prompts, count:seed:)` returns (e.g. one rank's
    /// share of the prompts in a data-parallel run): every row keeps the random streams it has
    /// in the whole call. The default samples every prompt and keeps `rows` (the same result,
    /// no work saved); a policy that can sample a slice alone implements it.
    /// - Parameters:
    ///   - prompts: every prompt of the whole call (P token-id sequences).
    ///   - rows: a range within `prompts.indices`.
    ///   - count: K, responses per prompt.
    ///   - seed: the seed of the whole call.
    /// - Returns: `rows.count` arrays of `count` responses, in prompt order.
    /// - Throws: as `sample(_:count:seed:)`.
    func sample(_ prompts: [[Int]], rows: Range<Int>, count: Int, seed: UInt64) throws -> [[GeneratedSample]]

    /// How many prompts are sampled together in one batch when each gets `count` responses:
    /// slices of `sample(_:rows:count:seed:)` that start at multiples of it are computed as in
    /// the whole call, bit for bit (the default, 1: every prompt alone).
    func promptsPerSamplingBatch(count: Int) -> Int
}

extension Policy {
    /// Samples every prompt and keeps `rows` (see the requirement).
    /// - Throws: as `sample(_:count:seed:)`.
    public func sample(_ prompts: [[Int]], rows: Range<Int>, count: Int, seed: UInt64) throws -> [[GeneratedSample]] {
        Array(try sample(prompts, count: count, seed: seed)[rows])
    }

    /// 1: every prompt is sampled on its own.
    public func promptsPerSamplingBatch(count: Int) -> Int { 1 }
}

extension Policy {
    /// `sample(_:count:seed:)`, checked: exactly one group of `count` responses per prompt, no
    /// negative token id, and every `.stop` response non-empty (it carries its stop token).
    /// - Throws: what `sample` throws; `DICEError.policyContract` when the result is malformed.
    public func checkedSample(_ prompts: [[Int]], count: Int, seed: UInt64) throws -> [[GeneratedSample]] {
        try checkedSample(prompts, rows: prompts.indices, count: count, seed: seed)
    }

    /// `sample(_:rows:count:seed:)`, checked as `checkedSample(_:count:seed:)` is (one group per
    /// row of `rows`, prompts named by their index in `prompts`).
    /// - Throws: what `sample` throws; `DICEError.policyContract` when the result is malformed.
    public func checkedSample(_ prompts: [[Int]], rows: Range<Int>, count: Int, seed: UInt64) throws -> [[GeneratedSample]] {
        let groups = rows == prompts.indices ? try sample(prompts, count: count, seed: seed)
            : try sample(prompts, rows: rows, count: count, seed: seed)
        guard groups.count == rows.count else {
            throw DICEError.policyContract(reason: "\(type(of: self)): \(groups.count) response groups for \(rows.count) prompts")
        }
        for (p, group) in zip(rows, groups) {
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
