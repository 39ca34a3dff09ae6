/// Any JSON value: for rows whose extra fields pass through unchanged (`dice logprobs` keeps a
/// row's fields as given), and for reports from other programs (benchmark peers).
public enum JSONValue: Codable, Equatable, Sendable {
    /// JSON's `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number, as a Double (integers up to 2⁵³ exactly).
    case number(Double)
    /// A string.
    case string(String)
    /// An array, in order.
    case array([JSONValue])
    /// An object; key order is not kept.
    case object([String: JSONValue])

    /// Decodes any JSON value. From DICEKit's own readers (JSONL, config files) a number outside
    /// `Double`'s range (`1e309`) is an error naming its key path and byte; from other decoders,
    /// the first of null, boolean, number, string, array, object that decodes.
    public init(from decoder: any Decoder) throws {
        if let input = decoder as? JSONInputDecoder {
            self = try input.jsonValue()
            return
        }
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    /// Encodes integral numbers below 10¹⁵ as integers, so ids and counts round-trip as written.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let n):
            if n == n.rounded(), abs(n) < 1e15 { try c.encode(Int(n)) } else { try c.encode(n) }
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    /// The number, when this is one.
    public var number: Double? {
        if case .number(let n) = self { return n }
        return nil
    }

    /// The string, when this is one.
    public var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }
}
