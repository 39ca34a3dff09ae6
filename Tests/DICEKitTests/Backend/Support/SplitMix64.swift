// SplitMix64: a tiny seeded generator for reproducible kernel tests.
//
// The values it draws do not depend on the standard library's `random(in:using:)` algorithms,
// so a failing case reproduces bit for bit from its seed on any toolchain.

/// Steele, Lea & Flood's SplitMix64 (the seeding generator of xoshiro).
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 24 random bits (exactly representable as Float).
    mutating func unit() -> Float {
        Float(next() >> 40) * 0x1p-24
    }

    /// One Float uniform in `range`.
    mutating func float(in range: ClosedRange<Float> = -1 ... 1) -> Float {
        range.lowerBound + (range.upperBound - range.lowerBound) * unit()
    }

    /// `count` Floats uniform in `range`.
    mutating func floats(_ count: Int, in range: ClosedRange<Float> = -1 ... 1) -> [Float] {
        (0 ..< count).map { _ in float(in: range) }
    }

    /// An integer uniform in `0..<bound` (bound > 0; the modulo bias is irrelevant here).
    mutating func index(_ bound: Int) -> Int {
        precondition(bound > 0)
        return Int(next() % UInt64(bound))
    }

    /// `count` token ids in `0..<bound`.
    mutating func ids(_ count: Int, below bound: Int) -> [Int32] {
        (0 ..< count).map { _ in Int32(index(bound)) }
    }
}
