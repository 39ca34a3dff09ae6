// Attention with shared key prefixes (prefix sharing) against the Double oracle run on the
// equivalent contiguous layout: each sequence's keys laid out as [prefix rows; own rows].

import DICEKit
import Testing

enum PrefixAttentionConformance {
    /// The cases of this file, in order.
    static let cases: [ConformanceCase] = {
        let group = "prefix attention"
        var all: [ConformanceCase] = []
        all += ConformanceCase.each(group, "forward and backward match the contiguous oracle (heads, kvHeads)", [(4, 4), (4, 2), (4, 1)]) {
            try forwardAndBackwardMatchTheContiguousOracle(heads: $0.0, kvHeads: $0.1, $1)
        }
        return all
    }()

    // Layout: rows 0..<5 are a prompt that attends to itself; sequences 1 and 2 are responses
    // that see it as a prefix; sequence 3 is independent; sequence 4 sees a 2-row prefix of
    // sequence 3's rows.
    static let sequences = [
        AttentionSequence(start: 0, count: 5),
        AttentionSequence(start: 5, count: 3, prefixStart: 0, prefixCount: 5),
        AttentionSequence(start: 8, count: 4, prefixStart: 0, prefixCount: 5),
        AttentionSequence(start: 12, count: 2),
        AttentionSequence(start: 14, count: 3, prefixStart: 12, prefixCount: 2),
    ]
    static let rows = 17

    /// The contiguous equivalent: per sequence, its keys (prefix then own) copied into a new
    /// key buffer, queries unchanged.
    static func contiguous(k: [Double], rowWidth: Int) -> (k: [Double], sequences: [AttentionSequence]) {
        var out: [Double] = []
        var seqs: [AttentionSequence] = []
        for s in sequences {
            let start = out.count / rowWidth
            for r in Array(s.prefixStart..<(s.prefixStart + s.prefixCount)) + Array(s.keyStart..<(s.keyStart + s.keyCount)) {
                out += k[(r * rowWidth)..<((r + 1) * rowWidth)]
            }
            seqs.append(AttentionSequence(queryStart: s.queryStart, queryCount: s.queryCount,
                                          keyStart: start, keyCount: s.prefixCount + s.keyCount))
        }
        return (out, seqs)
    }

    static func oracle(q: [Double], k: [Double], v: [Double], heads: Int, kvHeads: Int, headSize: Int,
                       scale: Double) -> [Double] {
        let (kc, seqs) = contiguous(k: k, rowWidth: kvHeads * headSize)
        let (vc, _) = contiguous(k: v, rowWidth: kvHeads * headSize)
        return NaiveKernels.attention(q: q, k: kc, v: vc, sequences: seqs, queryRows: rows, heads: heads,
                                      kvHeads: kvHeads, headSize: headSize, scale: scale).out
    }

    static func forwardAndBackwardMatchTheContiguousOracle(heads: Int, kvHeads: Int, _ t: BackendUnderTest) throws {
        let backend = try t.makeBackend()
        let d = 6, scale = 0.4
        var rng = SplitMix64(seed: UInt64(heads * 10 + kvHeads))
        let q = rng.floats(Self.rows * heads * d), k = rng.floats(Self.rows * kvHeads * d)
        let v = rng.floats(Self.rows * kvHeads * d), w = rng.floats(Self.rows * heads * d)
        let qs = try makeSlice(backend, q), ks = try makeSlice(backend, k), vs = try makeSlice(backend, v)
        let out = try makeSlice(backend, count: q.count), lse = try makeSlice(backend, count: Self.rows * heads)
        backend.attention(q: qs, k: ks, v: vs, into: out, lse: lse, sequences: Self.sequences,
                          heads: heads, kvHeads: kvHeads, headSize: d, scale: Float(scale))
        let expected = Self.oracle(q: q.doubles, k: k.doubles, v: v.doubles, heads: heads, kvHeads: kvHeads,
                                   headSize: d, scale: scale)
        t.expectClose(backend.download(out), expected, rtol: 1e-5, atol: 1e-6, "prefix attention forward")

        let dout = try makeSlice(backend, w)
        let dq = try AccumulatingGradient(backend, count: q.count, rng: &rng)
        let dk = try AccumulatingGradient(backend, count: k.count, rng: &rng)
        let dv = try AccumulatingGradient(backend, count: v.count, rng: &rng)
        backend.attentionBackward(dout: dout, q: qs, k: ks, v: vs, out: out, lse: lse, dq: dq.slice,
                                  dk: dk.slice, dv: dv.slice, sequences: Self.sequences, heads: heads,
                                  kvHeads: kvHeads, headSize: d, scale: Float(scale))
        let loss = { (q: [Double], k: [Double], v: [Double]) in
            dot(w.doubles, Self.oracle(q: q, k: k, v: v, heads: heads, kvHeads: kvHeads, headSize: d, scale: scale))
        }
        t.expectGradient(dq.accumulated(backend), finiteDifferences(of: { loss($0, k.doubles, v.doubles) }, at: q.doubles), "dq")
        t.expectGradient(dk.accumulated(backend), finiteDifferences(of: { loss(q.doubles, $0, v.doubles) }, at: k.doubles), "dk")
        t.expectGradient(dv.accumulated(backend), finiteDifferences(of: { loss(q.doubles, k.doubles, $0) }, at: v.doubles), "dv")
    }
}
