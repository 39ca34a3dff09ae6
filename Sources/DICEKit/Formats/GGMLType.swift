// GGMLType: the element type of a GGUF tensor (ggml's `ggml_type`), with the block geometry of
// every type ggml defines (so any file's layout can be checked) and the subset DICEKit
// dequantises to Float32.

/// A GGUF tensor's element type, by its ggml number.
///
/// Quantised types store blocks of `blockSize` elements in `typeSize` bytes (a row's length must
/// be a multiple of `blockSize`). `isDequantizable` marks the types `GGUFFile.tensor(_:)` reads.
public struct GGMLType: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    /// The ggml type number as stored in the file.
    public var rawValue: UInt32

    /// The type numbered `rawValue` (any number: unknown ones have no `layout`).
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// IEEE binary32.
    public static let f32 = GGMLType(rawValue: 0)
    /// IEEE binary16.
    public static let f16 = GGMLType(rawValue: 1)
    /// 32-element blocks: fp16 scale d, 16 bytes of 4-bit q; x = (q − 8)·d.
    public static let q4_0 = GGMLType(rawValue: 2)
    /// 32-element blocks: fp16 scale d and min m, 16 bytes of 4-bit q; x = q·d + m.
    public static let q4_1 = GGMLType(rawValue: 3)
    /// 32-element blocks: fp16 scale d, 4 bytes of fifth bits, 16 bytes of 4-bit q; x = (q − 16)·d.
    public static let q5_0 = GGMLType(rawValue: 6)
    /// 32-element blocks: fp16 scale d and min m, 4 bytes of fifth bits, 16 bytes of 4-bit q;
    /// x = q·d + m.
    public static let q5_1 = GGMLType(rawValue: 7)
    /// 32-element blocks: fp16 scale d, 32 signed bytes q; x = q·d.
    public static let q8_0 = GGMLType(rawValue: 8)
    /// 256-element super-blocks: fp16 d and dmin, 12 bytes of packed 6-bit scales and mins for 8
    /// sub-blocks of 32, 128 bytes of 4-bit q; x = d·sc·q − dmin·m.
    public static let q4_K = GGMLType(rawValue: 12)
    /// 256-element super-blocks: 128 bytes of low 4 bits, 64 bytes of high 2 bits, 16 signed 8-bit
    /// scales (one per 16 elements), fp16 d; x = d·sc·(q − 32).
    public static let q6_K = GGMLType(rawValue: 14)
    /// bfloat16.
    public static let bf16 = GGMLType(rawValue: 30)

    /// The types DICEKit dequantises.
    public static let dequantizable: [GGMLType] = [.f32, .f16, .bf16, .q8_0, .q4_0, .q4_1, .q5_0, .q5_1, .q4_K, .q6_K]

    /// Whether `GGUFFile.tensor(_:)` can read this type.
    public var isDequantizable: Bool { Self.dequantizable.contains(self) }

    /// (name, elements per block, bytes per block) of every type ggml defines (gguf-py's
    /// `GGML_QUANT_SIZES`).
    private static let table: [UInt32: (name: String, blockSize: Int, typeSize: Int)] = [
        0: ("F32", 1, 4), 1: ("F16", 1, 2), 2: ("Q4_0", 32, 18), 3: ("Q4_1", 32, 20),
        6: ("Q5_0", 32, 22), 7: ("Q5_1", 32, 24), 8: ("Q8_0", 32, 34), 9: ("Q8_1", 32, 40),
        10: ("Q2_K", 256, 84), 11: ("Q3_K", 256, 110), 12: ("Q4_K", 256, 144), 13: ("Q5_K", 256, 176),
        14: ("Q6_K", 256, 210), 15: ("Q8_K", 256, 292), 16: ("IQ2_XXS", 256, 66), 17: ("IQ2_XS", 256, 74),
        18: ("IQ3_XXS", 256, 98), 19: ("IQ1_S", 256, 50), 20: ("IQ4_NL", 32, 18), 21: ("IQ3_S", 256, 110),
        22: ("IQ2_S", 256, 82), 23: ("IQ4_XS", 256, 136), 24: ("I8", 1, 1), 25: ("I16", 1, 2),
        26: ("I32", 1, 4), 27: ("I64", 1, 8), 28: ("F64", 1, 8), 29: ("IQ1_M", 256, 56),
        30: ("BF16", 1, 2), 34: ("TQ1_0", 256, 54), 35: ("TQ2_0", 256, 66), 39: ("MXFP4", 32, 17),
        40: ("NVFP4", 64, 36), 41: ("Q1_0", 128, 18),
    ]

    /// ggml's name ("Q4_K"), or "type N" for a number ggml does not define.
    public var name: String { Self.table[rawValue]?.name ?? "type \(rawValue)" }

    /// Elements per block and bytes per block, or nil for a number ggml does not define.
    public var layout: (blockSize: Int, typeSize: Int)? {
        Self.table[rawValue].map { ($0.blockSize, $0.typeSize) }
    }

    /// `name`.
    public var description: String { name }
}
