// GGMLDequantize: GGUF tensor bytes → Float32, one loop per type, following ggml's
// `dequantize_row_*` (ggml-quants.c) operation for operation so that results are bit-identical
// to ggml's and gguf-py's `dequantize` (products are evaluated in the same order; no fused
// multiply-add).

/// Dequantisation kernels for the types in `GGMLType.dequantizable`.
enum GGMLDequantize {
    /// Fills `out` (the tensor's element count) from `source` (exactly the tensor's bytes).
    /// `precondition`s that the type is dequantizable and the sizes agree (checked by the caller).
    static func run(_ type: GGMLType, _ source: UnsafeRawBufferPointer, into out: UnsafeMutableBufferPointer<Float>) {
        guard let layout = type.layout, type.isDequantizable else {
            preconditionFailure("GGMLDequantize: \(type.name) is not dequantizable")
        }
        let blocks = out.count / layout.blockSize
        precondition(blocks * layout.blockSize == out.count && blocks * layout.typeSize == source.count,
                     "GGMLDequantize: \(source.count) bytes for \(out.count) \(type.name) elements")
        guard let y = out.baseAddress, blocks > 0 else { return }
        switch type {
        case .f32:
            for i in 0..<out.count { y[i] = Float(bitPattern: source.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self).littleEndian) }
        case .f16:
            for i in 0..<out.count { y[i] = half(source, 2 * i) }
        case .bf16:
            for i in 0..<out.count {
                y[i] = float(fromBFloat16Bits: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian)
            }
        case .q8_0:
            for b in 0..<blocks { q8_0(source, b * 34, y + b * 32) }
        case .q4_0:
            for b in 0..<blocks { q4_0(source, b * 18, y + b * 32) }
        case .q4_1:
            for b in 0..<blocks { q4_1(source, b * 20, y + b * 32) }
        case .q5_0:
            for b in 0..<blocks { q5_0(source, b * 22, y + b * 32) }
        case .q5_1:
            for b in 0..<blocks { q5_1(source, b * 24, y + b * 32) }
        case .q4_K:
            for b in 0..<blocks { q4_K(source, b * 144, y + b * 256) }
        case .q6_K:
            for b in 0..<blocks { q6_K(source, b * 210, y + b * 256) }
        default:
            preconditionFailure("GGMLDequantize: \(type.name) has no kernel")
        }
    }

    @inline(__always)
    static func half(_ s: UnsafeRawBufferPointer, _ at: Int) -> Float {
        float(fromHalfBits: s.loadUnaligned(fromByteOffset: at, as: UInt16.self).littleEndian)
    }

    /// block_q8_0 { fp16 d; int8 qs[32] }: y = qs·d.
    @inline(__always)
    static func q8_0(_ s: UnsafeRawBufferPointer, _ at: Int, _ y: UnsafeMutablePointer<Float>) {
        let d = half(s, at)
        for j in 0..<32 { y[j] = Float(Int8(bitPattern: s[at + 2 + j])) * d }
    }

    /// block_q4_0 { fp16 d; u8 qs[16] }: y[j] = (low nibble − 8)·d, y[j+16] = (high nibble − 8)·d.
    @inline(__always)
    static func q4_0(_ s: UnsafeRawBufferPointer, _ at: Int, _ y: UnsafeMutablePointer<Float>) {
        let d = half(s, at)
        for j in 0..<16 {
            let q = s[at + 2 + j]
            y[j] = Float(Int(q & 0x0F) - 8) * d
            y[j + 16] = Float(Int(q >> 4) - 8) * d
        }
    }

    /// block_q4_1 { fp16 d; fp16 m; u8 qs[16] }: y[j] = low·d + m, y[j+16] = high·d + m.
    @inline(__always)
    static func q4_1(_ s: UnsafeRawBufferPointer, _ at: Int, _ y: UnsafeMutablePointer<Float>) {
        let d = half(s, at)
        let m = half(s, at + 2)
        for j in 0..<16 {
            let q = s[at + 4 + j]
            y[j] = Float(q & 0x0F) * d + m
            y[j + 16] = Float(q >> 4) * d + m
        }
    }

    /// The 5-bit values of a Q5_0/Q5_1 block whose fifth bits `qh` (a little-endian u32) start at
    /// `at` and nibbles at `at + 4` (ggml's `dequantize_row_q5_0` bit layout): element j < 16 takes
    /// the low nibble of byte j and bit j of qh, element j + 16 the high nibble and bit j + 16.
    @inline(__always)
    static func fiveBit(_ s: UnsafeRawBufferPointer, _ at: Int, _ j: Int) -> (Int, Int) {
        let qh = s.loadUnaligned(fromByteOffset: at, as: UInt32.self).littleEndian
        let q = s[at + 4 + j]
        let high0 = Int(((qh >> UInt32(j)) << 4) & 0x10)
        let high1 = Int((qh >> UInt32(j + 12)) & 0x10)
        return (Int(q & 0x0F) | high0, Int(q >> 4) | high1)
    }

    /// block_q5_0 { fp16 d; u8 qh[4]; u8 qs[16] }: y = (q − 16)·d.
    @inline(__always)
    static func q5_0(_ s: UnsafeRawBufferPointer, _ at: Int, _ y: UnsafeMutablePointer<Float>) {
        let d = half(s, at)
        for j in 0..<16 {
            let (x0, x1) = fiveBit(s, at + 2, j)
            y[j] = Float(x0 - 16) * d
            y[j + 16] = Float(x1 - 16) * d
        }
    }

    /// block_q5_1 { fp16 d; fp16 m; u8 qh[4]; u8 qs[16] }: y = q·d + m.
    @inline(__always)
    static func q5_1(_ s: UnsafeRawBufferPointer, _ at: Int, _ y: UnsafeMutablePointer<Float>) {
        let d = half(s, at)
        let m = half(s, at + 2)
        for j in 0..<16 {
            let (x0, x1) = fiveBit(s, at + 4, j)
            y[j] = Float(x0) * d + m
            y[j + 16] = Float(x1) * d + m
        }
    }

    /// The 6-bit scale and min of sub-block `j` (0..<8) of a Q4_K block (ggml's `get_scale_min_k4`).
    @inline(__always)
    static func scaleMinK4(_ j: Int, _ s: UnsafeRawBufferPointer, _ q: Int) -> (Float, Float) {
        if j < 4 {
            return (Float(s[q + j] & 63), Float(s[q + j + 4] & 63))
        }
        let sc = (s[q + j + 4] & 0x0F) | ((s[q + j - 4] >> 6) << 4)
        let m = (s[q + j + 4] >> 4) | ((s[q + j] >> 6) << 4)
        return (Float(sc), Float(m))
    }

    /// block_q4_K { fp16 d; fp16 dmin; u8 scales[12]; u8 qs[128] }: four groups of 64 elements;
    /// each group's 32 bytes give 32 low nibbles (sub-block 2g) then 32 high nibbles (2g+1);
    /// y = (d·sc)·q − (dmin·m).
    @inline(__always)
    static func q4_K(_ s: UnsafeRawBufferPointer, _ at: Int, _ y: UnsafeMutablePointer<Float>) {
        let d = half(s, at)
        let dmin = half(s, at + 2)
        let scales = at + 4
        var q = at + 16
        var out = y
        for group in 0..<4 {
            let (sc1, m1) = scaleMinK4(2 * group, s, scales)
            let (sc2, m2) = scaleMinK4(2 * group + 1, s, scales)
            let d1 = d * sc1, min1 = dmin * m1
            let d2 = d * sc2, min2 = dmin * m2
            for l in 0..<32 { out[l] = d1 * Float(s[q + l] & 0x0F) - min1 }
            for l in 0..<32 { out[32 + l] = d2 * Float(s[q + l] >> 4) - min2 }
            q += 32
            out += 64
        }
    }

    /// block_q6_K { u8 ql[128]; u8 qh[64]; i8 scales[16]; fp16 d }: two halves of 128 elements;
    /// q = (4 low bits from ql) | (2 high bits from qh) << 4, y = (d·scale)·(q − 32).
    @inline(__always)
    static func q6_K(_ s: UnsafeRawBufferPointer, _ at: Int, _ y: UnsafeMutablePointer<Float>) {
        let d = half(s, at + 208)
        var ql = at
        var qh = at + 128
        var sc = at + 192
        var out = y
        for _ in 0..<2 {
            for l in 0..<32 {
                let isc = l / 16
                let low0 = s[ql + l], low32 = s[ql + l + 32], high = s[qh + l]
                let q1 = Int(low0 & 0x0F | ((high >> 0) & 3) << 4) - 32
                let q2 = Int(low32 & 0x0F | ((high >> 2) & 3) << 4) - 32
                let q3 = Int(low0 >> 4 | ((high >> 4) & 3) << 4) - 32
                let q4 = Int(low32 >> 4 | ((high >> 6) & 3) << 4) - 32
                out[l] = d * Float(Int8(bitPattern: s[sc + isc])) * Float(q1)
                out[l + 32] = d * Float(Int8(bitPattern: s[sc + isc + 2])) * Float(q2)
                out[l + 64] = d * Float(Int8(bitPattern: s[sc + isc + 4])) * Float(q3)
                out[l + 96] = d * Float(Int8(bitPattern: s[sc + isc + 6])) * Float(q4)
            }
            ql += 64
            qh += 32
            sc += 8
            out += 128
        }
    }
}
