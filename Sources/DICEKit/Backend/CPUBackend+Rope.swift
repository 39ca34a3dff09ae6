import Foundation

// Rotary position embedding on the CPU, Hugging Face's rotate-half layout.

extension CPUBackend {
    public func rope(_ x: BufferSlice, positions: [Int32], heads: Int, headSize: Int,
                     theta: Float, inverse: Bool) {
        precondition(headSize % 2 == 0, "RoPE needs an even head size, got \(headSize)")
        precondition(x.count >= positions.count * heads * headSize, "rope input too small")
        let half = headSize / 2
        // inv_freq as transformers computes it: 1 / θ^(2i/D), in Float32.
        let inverseFrequency = (0..<half).map { i in
            1 / powf(theta, Float(2 * i) / Float(headSize))
        }
        let px = pointer(x)
        let sign: Float = inverse ? -1 : 1
        inverseFrequency.withUnsafeBufferPointer { freq in
            positions.withUnsafeBufferPointer { pos in
                loop.forEachChunk(pos.count, grain: 16) { r in
                    var cosines = [Float](repeating: 0, count: half)
                    var sines = [Float](repeating: 0, count: half)
                    for n in r {
                        let p = Float(pos[n])
                        for i in 0..<half {
                            let angle = p * freq[i]
                            cosines[i] = cosf(angle)
                            sines[i] = sign * sinf(angle)
                        }
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
