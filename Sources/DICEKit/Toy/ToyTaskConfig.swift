// ToyTaskConfig: every knob of the embedded toy instruction language (see
// Documentation/ToyTask.md for what each one does to the DICE effect).

/// The parameters of a `ToyTask`. The defaults are the demo's.
public struct ToyTaskConfig: Sendable, Hashable, Codable {
    /// Seeds the hidden word values (the "world"); prompts, data and labels take their own seeds.
    public var seed: UInt64 = 0
    /// Content words (token ids 1 … wordCount; id 0 is EOS). At most `ToyTask.wordList.count`.
    public var wordCount: Int = 24
    /// Words that can be a prompt's topic (ids 1 … topicCount).
    public var topicCount: Int = 6
    /// Words that can be a prompt's instruction (the next `instructionCount` ids).
    public var instructionCount: Int = 6
    /// Instructions per prompt (distinct, in increasing id order); a prompt has
    /// 1 + instructionsPerPrompt tokens.
    public var instructionsPerPrompt: Int = 2
    /// Standard deviation of each hidden value table entry (topic × word, instruction × word);
    /// a word's raw value for a prompt is the sum of its topic's and its instructions' entries.
    public var valueScale: Double = 1.0
    /// The judge's small explicit bias per content word:
    /// J = mean q(x, w) + coverageBonus·coverage + lengthBias·|y|.
    public var lengthBias: Double = 0.02
    /// The judge's bonus for covering the prompt's best words: coverageBonus × the fraction of
    /// the prompt's `coverageWords` highest-valued words that the response contains.
    public var coverageBonus: Double = 0.25
    /// How many of each prompt's highest-valued words the coverage bonus counts (≥ 1).
    public var coverageWords: Int = 3
    /// The judge calls a tie when |J_A − J_B| ≤ tieMargin.
    public var tieMargin: Double = 0.0
    /// Temperature of the noisy labels of offline pairs: P(A ≻ B) = σ((J_A − J_B)/T); 0 labels
    /// without noise.
    public var labelTemperature: Double = 1.0
    /// Shortest reference (SFT) response, in content words.
    public var minResponseWords: Int = 2
    /// Mean reference response length before the cap: the length is minResponseWords plus a
    /// geometric number of extra words (each further word with probability
    /// (mean − min)/(mean − min + 1)), so that the reference's chance of stopping after each word
    /// is constant and the length part of a DPO implicit reward is close to linear in length —
    /// what a per-word length penalty α can remove.
    public var meanResponseWords: Double = 6
    /// Longest reference response, in content words (a cap the geometric tail rarely reaches).
    public var maxResponseWords: Int = 24
    /// How much better than uniform the reference responses' words are: each word is drawn with
    /// probability ∝ exp(sftSharpness · v(x, w)), v the raw value (0: uniform).
    public var sftSharpness: Double = 0.5
    /// Per-topic target answer lengths (nil: none). With a target, reference lengths are
    /// L ± spread instead of the geometric ones above (min/mean/maxResponseWords are unused) and
    /// the judge's mean runs over L slots with shortfall and overrun penalties
    /// (`ToyLengthTarget`).
    public var lengthTarget: ToyLengthTarget?

    /// The defaults.
    public init() {}
}
