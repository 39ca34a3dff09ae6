import Foundation
import Testing
@testable import DICEKit

/// Incremental decoding against the full forward pass (`TransformerLM.logits`, itself checked
/// against PyTorch): at every step, the cached pass's logits equal the full pass's logits at
/// that position, on the three fixture models, with two slots decoding at once (one filled by
/// `copyPrefix`).
@Suite("Incremental decoding")
struct DecodingTests {
    static func maxError(_ got: ArraySlice<Float>, _ want: ArraySlice<Float>) -> Float {
        zip(got, want).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? .infinity
    }

    @Test(arguments: Fixtures.modelNames)
    func cachedLogitsEqualFullForward(_ name: String) throws {
        let model = try TransformerLM(directory: Fixtures.model(name), backend: CPUBackend())
        let v = model.spec.vocabularySize
        var rng = SplitMix64(seed: 5)
        let prefix = (0..<6).map { _ in Int(rng.next() % UInt64(v)) }
        let a = prefix + (0..<9).map { _ in Int(rng.next() % UInt64(v)) }
        let b = prefix + (0..<7).map { _ in Int(rng.next() % UInt64(v)) }
        let full = try model.logits([a, b])
        let cache = try model.makeCache(slots: 3, capacity: 20)

        // Prefill the shared prefix into slot 2, copy it to slot 0; slot 1 prefills 3 tokens more.
        let prefill = try model.decode([DecodeSegment(slot: 2, start: 0, tokens: prefix),
                                        DecodeSegment(slot: 1, start: 0, tokens: Array(b[0..<9]))], cache: cache)
        #expect(Self.maxError(prefill[0..<v], full[0][(5 * v)..<(6 * v)]) < 1e-4)
        #expect(Self.maxError(prefill[v..<(2 * v)], full[1][(8 * v)..<(9 * v)]) < 1e-4)
        try cache.copyPrefix(from: 2, to: 0, count: prefix.count)
        #expect(cache.lengths == [6, 9, 6])

        var ta = prefix.count, tb = 9
        while ta < a.count || tb < b.count {
            var segments: [DecodeSegment] = []
            if ta < a.count { segments.append(DecodeSegment(slot: 0, start: ta, tokens: [a[ta]])) }
            if tb < b.count { segments.append(DecodeSegment(slot: 1, start: tb, tokens: [b[tb]])) }
            let logits = try model.decode(segments, cache: cache)
            var row = 0
            if ta < a.count {
                let e = Self.maxError(logits[(row * v)..<((row + 1) * v)], full[0][(ta * v)..<((ta + 1) * v)])
                #expect(e < 1e-4, "\(name) a position \(ta): \(e)")
                row += 1
                ta += 1
            }
            if tb < b.count {
                let e = Self.maxError(logits[(row * v)..<((row + 1) * v)], full[1][(tb * v)..<((tb + 1) * v)])
                #expect(e < 1e-4, "\(name) b position \(tb): \(e)")
                tb += 1
            }
        }
        #expect(cache.lengths == [a.count, b.count, 6])
    }

    @Test func malformedSegmentsAreRejected() throws {
        let model = try TransformerLM(directory: Fixtures.model("gpt2"), backend: CPUBackend())
        let cache = try model.makeCache(slots: 2, capacity: 8)
        let cases: [DecodeSegment] = [
            DecodeSegment(slot: 0, start: 0, tokens: []),
            DecodeSegment(slot: 2, start: 0, tokens: [1]),
            DecodeSegment(slot: 0, start: 1, tokens: [1]),
            DecodeSegment(slot: 0, start: 0, tokens: [Int](repeating: 1, count: 9)),
            DecodeSegment(slot: 0, start: 0, tokens: [96]),
        ]
        for segment in cases {
            #expect(throws: GenerationError.self) { try model.decode([segment], cache: cache) }
        }
        #expect(throws: GenerationError.invalidSegment(index: 1, reason: "slot 0 appears in two segments of one pass")) {
            try model.decode([DecodeSegment(slot: 0, start: 0, tokens: [1]), DecodeSegment(slot: 0, start: 0, tokens: [2])],
                             cache: cache)
        }
        #expect(cache.lengths == [0, 0])
        #expect(throws: GenerationError.self) { try model.makeCache(slots: 1, capacity: 65) }
        #expect(throws: GenerationError.self) { try model.makeCache(slots: 0, capacity: 8) }
    }
}
