/// How the next token is chosen from a row of logits, with Hugging Face transformers'
/// semantics and order (`GenerationMixin._get_logits_processor`): repetition penalty, then
/// temperature, top-k, top-p, min-p; then a draw from the softmax of what is left. A
/// temperature of 0 means greedy decoding (argmax after the repetition penalty), as
/// `do_sample=False` does.
public struct SamplingParameters: Sendable, Hashable, Codable {
    /// Logits are divided by it (≥ 0; 0 = greedy; 1 = unchanged).
    public var temperature: Double
    /// Nucleus sampling: keep the most likely tokens while the mass ranked above them is
    /// below `topP`, in (0, 1]; 1 = off (`TopPLogitsWarper`).
    public var topP: Double
    /// Keep tokens whose scaled logit is at least the k-th largest (ties kept); 0 = off
    /// (`TopKLogitsWarper`).
    public var topK: Int
    /// Drop tokens whose probability is below `minP` × the top token's, in [0, 1]; 0 = off
    /// (`MinPLogitsWarper`).
    public var minP: Double
    /// For every token already in the prompt or the response, a logit `l` becomes `l / r` if
    /// positive, `l · r` otherwise; > 0, 1 = off (`RepetitionPenaltyLogitsProcessor`).
    public var repetitionPenalty: Double

    /// Sampling controls; the defaults leave the model's distribution unchanged.
    public init(temperature: Double = 1, topP: Double = 1, topK: Int = 0, minP: Double = 0,
                repetitionPenalty: Double = 1) {
        self.temperature = temperature
        self.topP = topP
        self.topK = topK
        self.minP = minP
        self.repetitionPenalty = repetitionPenalty
    }

    /// Greedy decoding (temperature 0).
    public static let greedy = SamplingParameters(temperature: 0)

    /// Whether the choice is the argmax (temperature 0).
    public var isGreedy: Bool { temperature == 0 }

    /// Checks every control is in its domain.
    /// - Throws: `GenerationError.invalidParameter` naming the first one that is not.
    public func validate() throws {
        func fail(_ name: String, _ value: CustomStringConvertible, _ expected: String) throws -> Never {
            throw GenerationError.invalidParameter(name: name, value: "\(value)", expected: expected)
        }
        if !(temperature.isFinite && temperature >= 0) { try fail("temperature", temperature, "a finite number ≥ 0 (0 = greedy)") }
        if !(topP > 0 && topP <= 1) { try fail("top-p", topP, "a number in (0, 1]") }
        if topK < 0 { try fail("top-k", topK, "an integer ≥ 0 (0 = off)") }
        if !(minP >= 0 && minP <= 1) { try fail("min-p", minP, "a number in [0, 1]") }
        if !(repetitionPenalty.isFinite && repetitionPenalty > 0) {
            try fail("repetition-penalty", repetitionPenalty, "a finite number > 0 (1 = off)")
        }
    }
}
