// RMSNorm and LayerNorm on the CPU. Rows are independent in the forward; the backward's
// weight/bias gradients are summed over rows into one partial buffer per worker, then added
// in worker order (deterministic for a fixed thread count).

extension CPUBackend {
    /// RMSNorm per row: `out = x · rstd · weight` with `rstd = 1/√(mean(x²) + ε)` saved in
    /// `rstd` `[R]`; x, out `[R, C]`, weight `[C]`.
    public func rmsNorm(_ x: BufferSlice, weight: BufferSlice, epsilon: Float,
                        into out: BufferSlice, rstd: BufferSlice, rows: Int, channels: Int) {
        precondition(x.count >= rows * channels && out.count >= rows * channels
                     && weight.count >= channels && rstd.count >= rows, "rmsNorm shapes")
        let px = pointer(x), pw = pointer(weight), po = pointer(out), pr = pointer(rstd)
        loop.forEachChunk(rows, grain: 8) { r in
            for row in r {
                let xr = px + row * channels, or = po + row * channels
                var ss: Float = 0
                for c in 0..<channels { ss += xr[c] * xr[c] }
                let s = 1 / (ss / Float(channels) + epsilon).squareRoot()
                pr[row] = s
                for c in 0..<channels { or[c] = xr[c] * s * pw[c] }
            }
        }
    }

    /// RMSNorm backward: adds into `dx` `[R, C]` and `dweight` `[C]` (the weight gradient summed
    /// per worker, then in worker order).
    public func rmsNormBackward(dout: BufferSlice, x: BufferSlice, weight: BufferSlice,
                                rstd: BufferSlice, dx: BufferSlice, dweight: BufferSlice,
                                rows: Int, channels: Int) {
        let pd = pointer(dout), px = pointer(x), pw = pointer(weight), pr = pointer(rstd)
        let pdx = pointer(dx)
        accumulateOverRows(rows: rows, channels: channels, parameters: [dweight]) { r, partial in
            let dw = partial[0]
            for row in r {
                let xr = px + row * channels, dr = pd + row * channels, dxr = pdx + row * channels
                let s = pr[row]
                // dx = s · (dxhat − xhat · mean(dxhat · xhat)), xhat = x·s, dxhat = dout·w.
                var dot: Float = 0
                for c in 0..<channels {
                    let xhat = xr[c] * s
                    dot += dr[c] * pw[c] * xhat
                    dw[c] += dr[c] * xhat
                }
                let mean = dot / Float(channels)
                for c in 0..<channels {
                    dxr[c] += s * (dr[c] * pw[c] - xr[c] * s * mean)
                }
            }
        }
    }

    /// LayerNorm per row: `out = (x − mean) · rstd · weight + bias`, saving `mean` and `rstd`
    /// `[R]`; x, out `[R, C]`, weight and bias `[C]`.
    public func layerNorm(_ x: BufferSlice, weight: BufferSlice, bias: BufferSlice,
                          epsilon: Float, into out: BufferSlice, mean: BufferSlice,
                          rstd: BufferSlice, rows: Int, channels: Int) {
        precondition(x.count >= rows * channels && out.count >= rows * channels
                     && weight.count >= channels && bias.count >= channels
                     && mean.count >= rows && rstd.count >= rows, "layerNorm shapes")
        let px = pointer(x), pw = pointer(weight), pb = pointer(bias), po = pointer(out)
        let pm = pointer(mean), pr = pointer(rstd)
        loop.forEachChunk(rows, grain: 8) { r in
            for row in r {
                let xr = px + row * channels, or = po + row * channels
                var m: Float = 0
                for c in 0..<channels { m += xr[c] }
                m /= Float(channels)
                var v: Float = 0
                for c in 0..<channels { v += (xr[c] - m) * (xr[c] - m) }
                let s = 1 / (v / Float(channels) + epsilon).squareRoot()
                pm[row] = m
                pr[row] = s
                for c in 0..<channels { or[c] = (xr[c] - m) * s * pw[c] + pb[c] }
            }
        }
    }

    /// LayerNorm backward: adds into `dx` `[R, C]`, `dweight` and `dbias` `[C]` (parameter
    /// gradients summed per worker, then in worker order).
    public func layerNormBackward(dout: BufferSlice, x: BufferSlice, weight: BufferSlice,
                                  mean: BufferSlice, rstd: BufferSlice,
                                  dx: BufferSlice, dweight: BufferSlice, dbias: BufferSlice,
                                  rows: Int, channels: Int) {
        let pd = pointer(dout), px = pointer(x), pw = pointer(weight)
        let pm = pointer(mean), pr = pointer(rstd), pdx = pointer(dx)
        accumulateOverRows(rows: rows, channels: channels, parameters: [dweight, dbias]) { r, partial in
            let dw = partial[0], db = partial[1]
            for row in r {
                let xr = px + row * channels, dr = pd + row * channels, dxr = pdx + row * channels
                let m = pm[row], s = pr[row]
                // dx = s · (dxhat − mean(dxhat) − xhat · mean(dxhat · xhat)).
                var sumD: Float = 0, sumDX: Float = 0
                for c in 0..<channels {
                    let xhat = (xr[c] - m) * s
                    let dxhat = dr[c] * pw[c]
                    sumD += dxhat
                    sumDX += dxhat * xhat
                    dw[c] += dr[c] * xhat
                    db[c] += dr[c]
                }
                let meanD = sumD / Float(channels), meanDX = sumDX / Float(channels)
                for c in 0..<channels {
                    let xhat = (xr[c] - m) * s
                    dxr[c] += s * (dr[c] * pw[c] - meanD - xhat * meanDX)
                }
            }
        }
    }

    /// Splits `rows` over the workers; each gets zeroed private `[channels]` accumulators (one
    /// per entry of `parameters`), which are added into `parameters` in worker order after.
    func accumulateOverRows(rows: Int, channels: Int, parameters: [BufferSlice],
                            _ body: (Range<Int>, [UnsafeMutablePointer<Float>]) -> Void) {
        let chunks = max(1, min(threads, rows / 8))
        let width = channels * parameters.count
        var scratch = [Float](repeating: 0, count: chunks * width)
        scratch.withUnsafeMutableBufferPointer { buf in
            let base = buf.baseAddress!
            loop.forEach(chunks) { chunk in
                let lower = rows * chunk / chunks, upper = rows * (chunk + 1) / chunks
                let parts = (0..<parameters.count).map { base + chunk * width + $0 * channels }
                body(lower..<upper, parts)
            }
            for (j, p) in parameters.enumerated() {
                let dst = pointer(p)
                for chunk in 0..<chunks {
                    let src = base + chunk * width + j * channels
                    for c in 0..<channels { dst[c] += src[c] }
                }
            }
        }
    }
}
