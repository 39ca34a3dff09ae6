import Foundation

// Rotary position embedding on the CPU, Hugging Face's rotate-half layout.

extension CPUBackend {
    /// Rotary position embedding in place, Hugging Face's rotate-half layout: x `[N, heads, D]`,
    /// `positions` `[N]`, `inverseFrequencies` `[D/2]` (computed once per layer on the host,
    /// see `RotaryEmbedding`); `inverse` rotates back (the backward).
    public func rope(_ x: BufferSlice, positions: [Int32], heads: Int, headSize: Int,
                     inverseFrequencies inverseFrequency: [Float], inverse: Bool) {
        precondition(headSize % 2 == 0, "RoPE needs an even head size, got \(headSize)")
        precondition(inverseFrequency.count == headSize / 2, "RoPE needs D/2 inverse frequencies")
        precondition(x.count >= positions.count * heads * headSize, "rope input too small")
        let half = headSize / 2
        let px = pointer(x)
        let sign: Float = inverse ? -1 : 1
        // cos/sin per distinct position (packed batches repeat positions across sequences, and
        // a decoding step's rows share a few), computed only for the positions present.
        let maxPosition = Int(positions.max() ?? 0)
        var present = [Bool](repeating: false, count: maxPosition + 1)
        for p in positions { present[Int(p)] = true }
        let distinct = present.indices.filter { present[$0] }
        var table = [Float](repeating: 0, count: (maxPosition + 1) * headSize)
        table.withUnsafeMutableBufferPointer { t in
            guard let base = t.baseAddress else { return }
            loop.forEachChunk(distinct.count, grain: 64) { r in
                for p in distinct[r] {
                    for i in 0..<half {
                        let angle = Float(p) * inverseFrequency[i]
                        base[p * headSize + i] = cosf(angle)
                        base[p * headSize + half + i] = sign * sinf(angle)
                    }
                }
            }
        }
        table.withUnsafeBufferPointer { t in
            let base = t.baseAddress!
            positions.withUnsafeBufferPointer { pos in
                loop.forEachChunk(pos.count, grain: 16) { r in
                    for n in r {
                        let cosines = base + Int(pos[n]) * headSize, sines = cosines + half
                        for h in 0..<heads {
                            let v = px + (n * heads + h) * headSize
                            for i in 0..<half {
                                let a = v[i], b = v[i + half]
                                v[i] = a * cosines[i] - b * sines[i]
                                v[i + half] = b * cosines[i] + a * sines[i]
                            }
                        }
                    }
                }
            }
        }
    }
}
