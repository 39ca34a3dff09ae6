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

    /// A slot filled by `copyPrefix` reads the prefix from its source slot (one copy of a
    /// prompt for its K samples); rewriting the source must not change what the copy sees, and
    /// reading through the source gives the same bits as reading a slot's own rows.
    @Test(arguments: Fixtures.modelNames)
    func sharedPrefixSurvivesRewritingItsSource(_ name: String) throws {
        let model = try TransformerLM(directory: Fixtures.model(name), backend: CPUBackend())
        let v = model.spec.vocabularySize
        var rng = SplitMix64(seed: 9)
        let a = (0..<9).map { _ in Int(rng.next() % UInt64(v)) }
        // Three tokens: every pass stays on the few-queries attention path (≤ 4 per sequence),
        // whose sums run over the keys in order whichever slot holds them.
        let other = (0..<3).map { _ in Int(rng.next() % UInt64(v)) }
        let full = try model.logits([a])

        // Slot 2 decodes `a` on its own rows; slot 0 gets a's first 5 positions from slot 1.
        let cache = try model.makeCache(slots: 3, capacity: 16)
        _ = try model.decode([DecodeSegment(slot: 1, start: 0, tokens: Array(a[0..<5])),
                              DecodeSegment(slot: 2, start: 0, tokens: Array(a[0..<5]))], cache: cache)
        try cache.copyPrefix(from: 1, to: 0, count: 5)
        for t in 5..<a.count {
            // Slot 1 is rewritten from position 2 in the same pass as slot 0's first step.
            let rewrite = t == 5 ? [DecodeSegment(slot: 1, start: 2, tokens: other)] : []
            let logits = try model.decode(rewrite + [DecodeSegment(slot: 0, start: t, tokens: [a[t]]),
                                                     DecodeSegment(slot: 2, start: t, tokens: [a[t]])], cache: cache)
            let row = rewrite.count
            let shared = logits[(row * v)..<((row + 1) * v)], own = logits[((row + 1) * v)..<((row + 2) * v)]
            #expect(Self.maxError(shared, full[0][(t * v)..<((t + 1) * v)]) < 1e-4, "\(name) position \(t)")
            // Bit for bit where the projections are row-wise (Llama family); GPT-2's Conv1D
            // projections go through sgemm, whose rows depend on their place in the batch.
            if model.layout.blocks.first?.attention.output.orientation == .outIn {
                #expect(Array(shared) == Array(own), "\(name) position \(t): shared prefix vs own rows")
            } else {
                #expect(Self.maxError(shared, own) < 1e-5, "\(name) position \(t): shared prefix vs own rows")
            }
        }
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
