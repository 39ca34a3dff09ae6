// SafeTensorsDType: the element types of the safetensors format that DICEKit reads and writes,
// and their conversions to and from Float32 (bit-exact, round to nearest even).

/// A safetensors element type DICEKit can convert to Float32.
///
/// Reading: F32 and F64 (rounded to the nearest Float32), F16 and BF16 (exact: every half and
/// bfloat16 value is a Float32 value). Writing: F32, F16, BF16 (round to nearest even; values
/// beyond the target's range become ±infinity, NaN stays NaN).
public enum SafeTensorsDType: String, Sendable, Hashable, CaseIterable, Codable {
    /// IEEE 754 binary32.
    case f32 = "F32"
    /// IEEE 754 binary16 (half precision).
    case f16 = "F16"
    /// bfloat16: the upper 16 bits of a binary32.
    case bf16 = "BF16"
    /// IEEE 754 binary64 (read only: converted to Float32).
    case f64 = "F64"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .f32: return 4
        case .f16, .bf16: return 2
        case .f64: return 8
        }
    }

    /// Every dtype name the safetensors format defines (including the ones DICEKit cannot
    /// convert), with its element size in bytes; used to tell "unknown" from "unsupported".
    static let formatDTypes: [String: Int] = [
        "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "F8_E8M0": 1,
        "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
        "I32": 4, "U32": 4, "F32": 4, "F64": 8, "I64": 8, "U64": 8, "C64": 8,
    ]
}

// MARK: - Half and bfloat16 conversions

/// Float32 → IEEE binary16 bits, rounding to nearest, ties to even. Overflow gives ±infinity,
/// values below half the smallest subnormal give ±0, NaN stays a (quiet) NaN.
@inline(__always)
func halfBits(from value: Float) -> UInt16 {
    let x = value.bitPattern
    let sign = UInt16(truncatingIfNeeded: (x >> 16) & 0x8000)
    let exponent = Int((x >> 23) & 0xFF)
    var mantissa = x & 0x7F_FFFF
    if exponent == 0xFF {
        if mantissa == 0 { return sign | 0x7C00 }
        return sign | 0x7E00 | UInt16(truncatingIfNeeded: mantissa >> 13)
    }
    let e = exponent - 127 + 15
    if e >= 0x1F { return sign | 0x7C00 }
    if e <= 0 {
        if e < -10 { return sign }
        mantissa |= 0x80_0000
        let shift = UInt32(14 - e)                      // 14 ... 24
        let kept = mantissa >> shift
        let rest = mantissa & ((1 << shift) - 1)
        let halfway: UInt32 = 1 << (shift - 1)
        var rounded = kept
        if rest > halfway || (rest == halfway && (kept & 1) == 1) { rounded += 1 }
        return sign | UInt16(truncatingIfNeeded: rounded)  // 0x400 becomes the smallest normal
    }
    var bits = (UInt32(e) << 10) | (mantissa >> 13)
    let rest = mantissa & 0x1FFF
    if rest > 0x1000 || (rest == 0x1000 && (bits & 1) == 1) { bits += 1 }  // may carry into ∞
    return sign | UInt16(truncatingIfNeeded: bits)
}

/// IEEE binary16 bits → Float32 (exact).
@inline(__always)
func float(fromHalfBits h: UInt16) -> Float {
    let sign = UInt32(h & 0x8000) << 16
    let exponent = UInt32((h >> 10) & 0x1F)
    let mantissa = UInt32(h & 0x3FF)
    if exponent == 0 {
        let magnitude = Float(mantissa) * 0x1p-24            // subnormal or zero: exact
        return Float(bitPattern: magnitude.bitPattern | sign)
    }
    if exponent == 0x1F {
        return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
    }
    return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
}

/// Float32 → bfloat16 bits, rounding to nearest, ties to even; NaN stays a quiet NaN.
@inline(__always)
func bfloat16Bits(from value: Float) -> UInt16 {
    let x = value.bitPattern
    if value.isNaN { return UInt16(truncatingIfNeeded: x >> 16) | 0x0040 }
    let rounded = x &+ 0x7FFF &+ ((x >> 16) & 1)
    return UInt16(truncatingIfNeeded: rounded >> 16)
}

/// bfloat16 bits → Float32 (exact).
@inline(__always)
func float(fromBFloat16Bits b: UInt16) -> Float {
    Float(bitPattern: UInt32(b) << 16)
}
