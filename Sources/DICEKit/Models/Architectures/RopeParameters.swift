// RopeParameters: config.json's RoPE keys — transformers 5's `rope_parameters` (θ, type and
// scaling fields together), transformers 4's top-level `rope_theta` and `rope_scaling` — read
// into a `RotaryEmbedding` and written back so both versions load it.

/// The RoPE fields of a config.json object (`rope_parameters` or `rope_scaling`).
struct RopeParameters: Codable, Equatable {
    var ropeTheta: Double?
    var ropeType: String?
    var type: String?
    var factor: Double?
    var lowFreqFactor: Double?
    var highFreqFactor: Double?
    var originalMaxPositionEmbeddings: Int?

    enum CodingKeys: String, CodingKey {
        case ropeTheta = "rope_theta"
        case ropeType = "rope_type"
        case type
        case factor
        case lowFreqFactor = "low_freq_factor"
        case highFreqFactor = "high_freq_factor"
        case originalMaxPositionEmbeddings = "original_max_position_embeddings"
    }

    /// The RoPE types DICEKit implements (transformers' `rope_type` names).
    static let supportedTypes = ["default", "linear", "llama3"]

    /// The object written for `rope` (θ included).
    init(_ rope: RotaryEmbedding) {
        ropeTheta = rope.theta
        switch rope.scaling {
        case .unscaled:
            ropeType = "default"
        case let .linear(factor):
            ropeType = "linear"
            self.factor = factor
        case let .llama3(factor, low, high, original):
            ropeType = "llama3"
            self.factor = factor
            lowFreqFactor = low
            highFreqFactor = high
            originalMaxPositionEmbeddings = original
        }
    }

    /// The scaling these fields describe; `key` names the object in errors.
    /// - Throws: `FormatError.invalidConfig` naming `key.rope_type` for a type not in
    ///   `supportedTypes` (listing them), or `key.<field>` for a missing or out-of-range field.
    func scaling(key: String) throws -> RotaryEmbedding.Scaling {
        let kind = ropeType ?? type ?? "default"
        func field<T>(_ value: T?, _ name: String) throws -> T {
            guard let value else { throw ConfigJSON.invalid("\(key).\(name)", "missing (RoPE type \"\(kind)\" needs it)") }
            return value
        }
        func positive(_ value: Double, _ name: String) throws -> Double {
            guard value > 0, value.isFinite else {
                throw ConfigJSON.invalid("\(key).\(name)", "expected a positive number, found \(value)")
            }
            return value
        }
        switch kind {
        case "default":
            return .unscaled
        case "linear":
            return .linear(factor: try positive(field(factor, "factor"), "factor"))
        case "llama3":
            let low = try positive(field(lowFreqFactor, "low_freq_factor"), "low_freq_factor")
            let high = try positive(field(highFreqFactor, "high_freq_factor"), "high_freq_factor")
            guard high > low else {
                throw ConfigJSON.invalid("\(key).high_freq_factor", "\(high) must exceed low_freq_factor \(low)")
            }
            let original = try field(originalMaxPositionEmbeddings, "original_max_position_embeddings")
            guard original > 0 else {
                throw ConfigJSON.invalid("\(key).original_max_position_embeddings",
                                         "expected a positive integer, found \(original)")
            }
            return .llama3(factor: try positive(field(factor, "factor"), "factor"), lowFrequencyFactor: low,
                           highFrequencyFactor: high, originalMaxPositions: original)
        default:
            throw ConfigJSON.invalid("\(key).rope_type",
                                     "RoPE type \"\(kind)\" is not supported (supported: \(Self.supportedTypes.joined(separator: ", ")))")
        }
    }

    /// The RoPE of a config: θ from `rope_parameters` (transformers 5), else the top-level
    /// `rope_theta`, else `defaultTheta`; the scaling from `rope_parameters` when it names a type
    /// other than "default", else from `rope_scaling` (transformers 4).
    /// - Throws: `FormatError.invalidConfig` as `scaling(key:)`, or for θ not positive and finite.
    static func rope(parameters: RopeParameters?, topLevel: Double?, scaling: RopeParameters?,
                     defaultTheta: Double = 10000) throws -> RotaryEmbedding {
        let theta = parameters?.ropeTheta ?? topLevel ?? defaultTheta
        guard theta > 0, theta.isFinite else {
            throw ConfigJSON.invalid("rope_theta", "expected a positive number, found \(theta)")
        }
        let fromParameters = try parameters?.scaling(key: "rope_parameters") ?? .unscaled
        if fromParameters != .unscaled { return RotaryEmbedding(theta: theta, scaling: fromParameters) }
        return RotaryEmbedding(theta: theta, scaling: try scaling?.scaling(key: "rope_scaling") ?? .unscaled)
    }
}
