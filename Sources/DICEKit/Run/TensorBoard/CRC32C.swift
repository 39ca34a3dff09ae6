// CRC32C: the Castagnoli CRC that TFRecord framing (TensorBoard's event files) checks, and the
// masking TFRecord applies to it.

/// CRC-32C (Castagnoli: reflected polynomial 0x82F63B78, initial value and final XOR 0xFFFFFFFF),
/// as `crc32c` of TensorFlow and of `tensorboard.compat`; check value: "123456789" → 0xE3069283.
public enum CRC32C {
    /// The checksum of `bytes`.
    public static func checksum<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
        }
        return crc ^ 0xFFFF_FFFF
    }

    /// TFRecord's masked form of a checksum, `((crc >> 15) | (crc << 17)) + 0xA282EAD8`
    /// (wrapping), which keeps a CRC of bytes that embed CRCs from being degenerate.
    public static func masked(_ crc: UInt32) -> UInt32 {
        ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }

    /// The masked checksum of `bytes`: what a TFRecord stores.
    public static func maskedChecksum<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> UInt32 {
        masked(checksum(bytes))
    }

    /// The CRC of each byte value (one bit at a time, the algorithmic reference).
    private static let table: [UInt32] = (0 ..< 256).map { value in
        var crc = UInt32(value)
        for _ in 0 ..< 8 {
            crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1
        }
        return crc
    }
}
