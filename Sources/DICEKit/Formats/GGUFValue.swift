// GGUFValue: one metadata value of a GGUF file, in the file's own type (GGUF value types 0–12),
// with lenient accessors that read it as an integer, a number, a string or an array.

/// A GGUF metadata value. The case is the type the file declared (GGUF value type numbers in
/// parentheses).
public enum GGUFValue: Sendable, Hashable {
    /// (0) UINT8.
    case uint8(UInt8)
    /// (1) INT8.
    case int8(Int8)
    /// (2) UINT16.
    case uint16(UInt16)
    /// (3) INT16.
    case int16(Int16)
    /// (4) UINT32.
    case uint32(UInt32)
    /// (5) INT32.
    case int32(Int32)
    /// (6) FLOAT32.
    case float32(Float)
    /// (7) BOOL (one byte, 0 or 1).
    case bool(Bool)
    /// (8) STRING (UTF-8; invalid sequences are replaced by U+FFFD).
    case string(String)
    /// (9) ARRAY: elements of one type (possibly arrays themselves).
    case array([GGUFValue])
    /// (10) UINT64.
    case uint64(UInt64)
    /// (11) INT64.
    case int64(Int64)
    /// (12) FLOAT64.
    case float64(Double)

    /// The value as an `Int`, if it is an integer type whose value fits.
    public var int: Int? {
        switch self {
        case .uint8(let v): return Int(v)
        case .int8(let v): return Int(v)
        case .uint16(let v): return Int(v)
        case .int16(let v): return Int(v)
        case .uint32(let v): return Int(v)
        case .int32(let v): return Int(v)
        case .uint64(let v): return Int(exactly: v)
        case .int64(let v): return Int(v)
        default: return nil
        }
    }

    /// The value as a `Double`, if it is a float or an integer type (FLOAT32 widened exactly).
    public var double: Double? {
        switch self {
        case .float32(let v): return Double(v)
        case .float64(let v): return v
        default: return int.map(Double.init)
        }
    }

    /// The string, if the value is a STRING.
    public var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The flag, if the value is a BOOL.
    public var bool: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// The elements, if the value is an ARRAY.
    public var array: [GGUFValue]? {
        if case .array(let a) = self { return a }
        return nil
    }
}
