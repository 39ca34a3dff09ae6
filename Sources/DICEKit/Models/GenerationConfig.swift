// GenerationConfig: generation_config.json of a Hugging Face model directory — the defaults a
// model ships for sampling. Keys DICEKit does not use are ignored on reading and not written.

import Foundation

/// The sampling defaults of `generation_config.json`, Hugging Face key names.
///
/// Every field is optional: nil means "not stated" (the caller's default applies), and nil
/// fields are not written.
public struct GenerationConfig: Codable, Sendable, Hashable {
    /// `bos_token_id`: one id or a list.
    public var bosTokenId: TokenIDs?
    /// `eos_token_id`: one id or a list; any of them ends a response.
    public var eosTokenId: TokenIDs?
    /// `pad_token_id`.
    public var padTokenId: Int?
    /// `temperature` (> 0; logits are divided by it).
    public var temperature: Double?
    /// `top_p`: nucleus sampling mass in (0, 1].
    public var topP: Double?
    /// `top_k`: keep the k most likely tokens (0 = off).
    public var topK: Int?
    /// `max_new_tokens`: cap on generated tokens.
    public var maxNewTokens: Int?
    /// `do_sample`: false = greedy decoding.
    public var doSample: Bool?
    /// `repetition_penalty` (1 = off), as in transformers' `RepetitionPenaltyLogitsProcessor`.
    public var repetitionPenalty: Double?

    enum CodingKeys: String, CodingKey {
        case bosTokenId = "bos_token_id"
        case eosTokenId = "eos_token_id"
        case padTokenId = "pad_token_id"
        case temperature
        case topP = "top_p"
        case topK = "top_k"
        case maxNewTokens = "max_new_tokens"
        case doSample = "do_sample"
        case repetitionPenalty = "repetition_penalty"
    }

    /// A configuration with the given fields (all nil by default).
    public init(bosTokenId: TokenIDs? = nil, eosTokenId: TokenIDs? = nil, padTokenId: Int? = nil,
                temperature: Double? = nil, topP: Double? = nil, topK: Int? = nil,
                maxNewTokens: Int? = nil, doSample: Bool? = nil, repetitionPenalty: Double? = nil) {
        self.bosTokenId = bosTokenId
        self.eosTokenId = eosTokenId
        self.padTokenId = padTokenId
        self.temperature = temperature
        self.topP = topP
        self.topK = topK
        self.maxNewTokens = maxNewTokens
        self.doSample = doSample
        self.repetitionPenalty = repetitionPenalty
    }

    /// Reads `generation_config.json` at `url`.
    ///
    /// - Throws: `FormatError.missingFile`, `.io`, or `.invalidConfig` naming the key.
    public static func load(contentsOf url: URL) throws -> GenerationConfig {
        try ConfigJSON.decode(GenerationConfig.self, from: ConfigJSON.read(url), path: url.path)
    }

    /// The JSON text (pretty-printed, sorted keys) transformers reads as generation_config.json.
    public func encodedJSON() throws -> Data {
        try ConfigJSON.encode(self)
    }
}
