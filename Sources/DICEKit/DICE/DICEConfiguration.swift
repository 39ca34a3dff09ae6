// DICEConfiguration: every knob of the DICE loop (DESIGN.md, "The DICE loop, exactly").

/// The settings of a DICE run. Defaults follow the paper's reference code where it has one.
public struct DICEConfiguration: Sendable, Hashable, Codable {
    /// Rounds T (the paper uses 2).
    public var rounds: Int
    /// Responses sampled per prompt, K (16).
    public var samplesPerPrompt: Int
    /// β of the implicit reward r = β·(log π_{t−1} − log π_{t−2}); it must equal the DPO loss's
    /// β (`dpo.loss.beta`), since the implicit reward is the reward that DPO fits.
    public var beta: Double
    /// α of the length regularizer r̃ = r − α·|y|: fixed, 0 (off) or `auto` (per round, the
    /// exact minimiser of |mean(len_chosen − len_rejected)|). α scales with β.
    public var alpha: AlphaSetting
    /// The unit of |y| (default: tokens; `.characters` counts the rendered text, so it needs
    /// the bootstrapper's `render` to give real text).
    public var lengthUnit: LengthUnit
    /// Responses shorter than this (in `lengthUnit`) are degenerate and dropped.
    public var minLength: Int
    /// Responses longer than this are degenerate and dropped (nil: no bound).
    public var maxLength: Int?
    /// A prompt is kept only if at least this many of its responses survive filtering (8 of 16).
    public var minValid: Int
    /// Replay ratio γ: the offline share of each round's training set, in [0, 1].
    public var gamma: Double
    /// The DPO run of each round (its `seed` is offset by the round).
    public var dpo: DPOConfiguration
    /// Seed of sampling and replay (each round and phase derives its own stream).
    public var seed: UInt64
    /// Pairs per scoring call.
    public var scoringBatchSize: Int

    /// The settings; every default is documented on its property.
    public init(rounds: Int = 2, samplesPerPrompt: Int = 16, beta: Double = 0.1, alpha: AlphaSetting = .auto,
                lengthUnit: LengthUnit = .tokens, minLength: Int = 1, maxLength: Int? = nil,
                minValid: Int = 8, gamma: Double = 0.5, dpo: DPOConfiguration, seed: UInt64 = 0,
                scoringBatchSize: Int = 64) {
        self.rounds = rounds
        self.samplesPerPrompt = samplesPerPrompt
        self.beta = beta
        self.alpha = alpha
        self.lengthUnit = lengthUnit
        self.minLength = minLength
        self.maxLength = maxLength
        self.minValid = minValid
        self.gamma = gamma
        self.dpo = dpo
        self.seed = seed
        self.scoringBatchSize = scoringBatchSize
    }

    /// Checks the settings before any work starts.
    /// - Throws: `DICEError.invalidParameter` naming the first bad setting (for a β that differs
    ///   from the DPO loss's, both: `beta / dpo.loss.beta`). β and a fixed α must not exceed
    ///   `DPOConfiguration.largestBeta` (Float32's largest value), so that every reward
    ///   β·Δlog π and every shaped reward r − α·|y| stays finite and encodable.
    public func validate() throws {
        func bad(_ name: String, _ value: Any, _ expected: String) -> DICEError {
            .invalidParameter(name: name, value: "\(value)", expected: expected)
        }
        guard rounds >= 1 else { throw bad("rounds", rounds, "at least 1") }
        guard samplesPerPrompt >= 2 else { throw bad("samples", samplesPerPrompt, "at least 2 (a pair needs two responses)") }
        guard gamma >= 0, gamma <= 1 else { throw bad("gamma", gamma, "a number in [0, 1]") }
        guard beta > 0, beta.isFinite else { throw bad("beta", beta, "a finite number > 0") }
        guard beta <= DPOConfiguration.largestBeta else {
            throw bad("beta", beta, "a finite number > 0 and ≤ \(DPOConfiguration.largestBeta) (Float32's largest: rewards β·Δlog π stay finite)")
        }
        if case .fixed(let a) = alpha, !(a >= 0 && a <= DPOConfiguration.largestBeta) {
            throw bad("alpha", a, "auto or a number in [0, \(DPOConfiguration.largestBeta)] (Float32's largest: r − α·|y| stays finite)")
        }
        guard dpo.loss.beta == beta else {
            throw bad("beta / dpo.loss.beta", "\(beta) / \(dpo.loss.beta)",
                      "one β for the implicit reward and the DPO loss (the reward is the one DPO fits)")
        }
        guard minValid >= 2, minValid <= samplesPerPrompt else {
            throw bad("min-valid", minValid, "between 2 and the samples per prompt (\(samplesPerPrompt))")
        }
        guard scoringBatchSize >= 1 else { throw bad("scoring batch size", scoringBatchSize, "at least 1") }
    }
}
