// ModelID: the names of a DICE run's models — π_ref and π_t — as stores and run files use them.

/// A model of a DICE run: the reference (SFT) model π_ref or a policy π_t (t ≥ 0; π_0 is the
/// DPO model given as input).
public enum ModelID: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    /// π_ref, the SFT model π_0 was trained against (also called π_{−1}).
    case reference
    /// π_t, t ≥ 0.
    case policy(Int)

    /// π_t with π_{−1} = π_ref. Requires t ≥ −1.
    public static func pi(_ t: Int) -> ModelID {
        precondition(t >= -1, "π_\(t) does not exist")
        return t == -1 ? .reference : .policy(t)
    }

    /// "pi_ref" or "pi_t".
    public var description: String {
        switch self {
        case .reference: return "pi_ref"
        case .policy(let t): return "pi_\(t)"
        }
    }

    /// The policy index, −1 for the reference.
    public var index: Int {
        switch self {
        case .reference: return -1
        case .policy(let t): return t
        }
    }

    /// Orders by position.
    public static func < (a: ModelID, b: ModelID) -> Bool { a.index < b.index }

    /// Parses "pi_ref" or "pi_t" (t ≥ 0); nil otherwise.
    public init?(_ text: String) {
        if text == "pi_ref" {
            self = .reference
        } else if text.hasPrefix("pi_"), let t = Int(text.dropFirst(3)), t >= 0, !text.contains("+") {
            self = .policy(t)
        } else {
            return nil
        }
    }

    /// Decodes the string form ("pi_ref", "pi_2").
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let id = ModelID(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected \"pi_ref\" or \"pi_<t>\", found \"\(text)\"")
        }
        self = id
    }

    /// Encodes the string form ("pi_ref", "pi_2").
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
