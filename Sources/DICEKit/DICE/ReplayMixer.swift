// ReplayMixer: experience replay — which generated and which offline pairs make up a round's
// training set.

/// The rows of a round's training set: indices into the generated pairs and the offline pairs,
/// each in range and without repeats (the loop checks: `DICEError.policyContract`); the
/// training set lists them in this order (`ExperienceReplayMixer` sorts them ascending).
public struct ReplaySelection: Sendable, Hashable, Codable {
    /// Indices of the generated pairs used.
    public var generated: [Int]
    /// Indices of the offline pairs used.
    public var offline: [Int]
    /// How many offline pairs the replay ratio asked for (more than `offline.count` when too few
    /// offline pairs have prompts outside the generated part).
    public var requestedOffline: Int

    /// Creates the value from its fields.
    public init(generated: [Int], offline: [Int], requestedOffline: Int) {
        self.generated = generated
        self.offline = offline
        self.requestedOffline = requestedOffline
    }
}

/// Chooses a round's training pairs from the generated and the offline pairs.
public protocol ReplayMixer {
    /// The selection, given each pair's prompt (the key that makes two pairs "the same prompt";
    /// the DICE loop passes the prompt token ids).
    ///
    /// - Parameters:
    ///   - generatedPrompts: the prompt of each generated pair (N_gen).
    ///   - offlinePrompts: the prompt of each offline pair (N_off).
    ///   - seed: the same inputs and seed give the same selection.
    func select<Key: Hashable>(generatedPrompts: [Key], offlinePrompts: [Key], seed: UInt64) -> ReplaySelection
}

/// DICE's experience replay: γ is the offline share of the final set, whose size is capped at
/// N_off = |D_offline|.
///
/// - `n_gen = min(⌊N_off·(1−γ)⌋, N_gen)`, `n_off = ⌊γ·n_gen/(1−γ)⌋` for γ < 1.
/// - γ = 0: `n_gen = min(N_off, N_gen)` (all generated pairs whenever N_gen ≤ N_off), no offline.
/// - γ = 1: offline only — `n_gen = 0` and `n_off = N_off` (the formula's limit is undefined, so
///   this is a definition: with γ = 1 the round is DPO on D_offline again).
///
/// The generated pairs are drawn without replacement (seeded); the offline pairs are drawn
/// without replacement from those whose prompt is not among the chosen generated pairs' prompts,
/// so no prompt appears in both parts (if too few are eligible, all eligible ones are used and
/// `requestedOffline` records the shortfall). Floors are taken after adding 1e-9 so that, e.g.,
/// γ = 0.25 and n_gen = 3 give exactly n_off = 1 despite binary round-off.
public struct ExperienceReplayMixer: ReplayMixer {
    /// γ ∈ [0, 1], the offline share of the final set.
    public let gamma: Double

    /// - Throws: `DICEError.invalidParameter` for γ outside [0, 1] (or NaN).
    public init(gamma: Double) throws {
        guard gamma >= 0, gamma <= 1 else {
            throw DICEError.invalidParameter(name: "gamma", value: "\(gamma)", expected: "a number in [0, 1]")
        }
        self.gamma = gamma
    }

    /// (n_gen, n_off) for N_gen generated and N_off offline pairs, before the prompt-disjointness
    /// limit.
    public func sizes(generated nGenAvailable: Int, offline nOffAvailable: Int) -> (generated: Int, offline: Int) {
        if gamma >= 1 { return (0, nOffAvailable) }
        let nGen = min(Self.floor(Double(nOffAvailable) * (1 - gamma)), nGenAvailable)
        let nOff = Self.floor(gamma * Double(nGen) / (1 - gamma))
        return (nGen, nOff)
    }

    /// Draws n_gen generated pairs, then n_off offline pairs with prompts outside them (see the type).
    public func select<Key: Hashable>(generatedPrompts: [Key], offlinePrompts: [Key], seed: UInt64) -> ReplaySelection {
        let (nGen, nOff) = sizes(generated: generatedPrompts.count, offline: offlinePrompts.count)
        var genRNG = SplitMix64(seed: seed, stream: 1)
        let generated = genRNG.sampleWithoutReplacement(nGen, from: generatedPrompts.count).sorted()
        let used = Set(generated.map { generatedPrompts[$0] })
        let eligible = offlinePrompts.indices.filter { !used.contains(offlinePrompts[$0]) }
        var offRNG = SplitMix64(seed: seed, stream: 2)
        let picks = offRNG.sampleWithoutReplacement(min(nOff, eligible.count), from: eligible.count)
        return ReplaySelection(generated: generated, offline: picks.map { eligible[$0] }.sorted(), requestedOffline: nOff)
    }

    static func floor(_ x: Double) -> Int { Int((x + 1e-9).rounded(.down)) }
}
