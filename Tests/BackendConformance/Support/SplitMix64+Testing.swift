// Test helpers on DICEKit's seeded generator, for reproducible kernel tests.
//
// The values drawn do not depend on the standard library's `random(in:using:)` algorithms,
// so a failing case reproduces bit for bit from its seed on any toolchain.

import DICEKit

extension SplitMix64 {
    /// Uniform in [0, 1) with 24 random bits (exactly representable as Float).
    public mutating func unit() -> Float {
        Float(next() >> 40) * 0x1p-24
    }

    /// One Float uniform in `range`.
    public mutating func float(in range: ClosedRange<Float> = -1 ... 1) -> Float {
        range.lowerBound + (range.upperBound - range.lowerBound) * unit()
    }

    /// `count` Floats uniform in `range`.
    public mutating func floats(_ count: Int, in range: ClosedRange<Float> = -1 ... 1) -> [Float] {
        (0 ..< count).map { _ in float(in: range) }
    }

    /// An integer uniform in `0..<bound` (bound > 0; the modulo bias is irrelevant here).
    public mutating func index(_ bound: Int) -> Int {
        precondition(bound > 0)
        return Int(next() % UInt64(bound))
    }

    /// `count` token ids in `0..<bound`.
    public mutating func ids(_ count: Int, below bound: Int) -> [Int32] {
        (0 ..< count).map { _ in Int32(index(bound)) }
    }
}
