// ByteLevel — GPT-2's reversible map between the 256 byte values and printable Unicode scalars.
//
// Byte-level BPE (GPT-2, Llama-3, SmolLM, Qwen) never sees raw bytes: every UTF-8 byte of the
// text is first replaced by one printable scalar (`bytes_to_unicode` in GPT-2's encoder.py), so
// the vocabulary is plain strings. Printable Latin-1 bytes map to themselves; the other 68 bytes
// (controls, space, …) map to U+0100 onwards, in byte order — space (0x20) becomes "Ġ" (U+0120).

/// The byte ↔ scalar tables of byte-level BPE.
enum ByteLevel {
    /// `scalarForByte[b]` is the scalar that stands for byte `b` (256 entries).
    static let scalarForByte: [Unicode.Scalar] = {
        var printable: [Int] = Array(0x21...0x7E) + Array(0xA1...0xAC) + Array(0xAE...0xFF)
        var codes = printable
        var extra = 0
        for byte in 0..<256 where !printable.contains(byte) {
            printable.append(byte)
            codes.append(256 + extra)
            extra += 1
        }
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        for (byte, code) in zip(printable, codes) {
            // All codes are below 0x200, hence valid scalars.
            table[byte] = Unicode.Scalar(UInt32(code)) ?? " "
        }
        return table
    }()

    /// The inverse map: scalar → byte, for decoding.
    static let byteForScalar: [Unicode.Scalar: UInt8] = {
        var map: [Unicode.Scalar: UInt8] = [:]
        for (byte, scalar) in scalarForByte.enumerated() { map[scalar] = UInt8(byte) }
        return map
    }()

    /// Replaces every UTF-8 byte of `scalars` by its stand-in scalar.
    static func encode(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(scalars.count)
        for scalar in scalars {
            UTF8.encode(scalar) { byte in out.append(scalarForByte[Int(byte)]) }
        }
        return out
    }

    /// The bytes a token stands for: its scalars mapped back through `byteForScalar` when every
    /// scalar is a stand-in, else the token's own UTF-8 (as `tokenizers`' ByteLevel decoder does,
    /// so added tokens such as "<|im_end|>" or " " decode to themselves).
    static func bytes(ofToken token: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(token.unicodeScalars.count)
        for scalar in token.unicodeScalars {
            guard let byte = byteForScalar[scalar] else { return Array(token.utf8) }
            out.append(byte)
        }
        return out
    }
}
