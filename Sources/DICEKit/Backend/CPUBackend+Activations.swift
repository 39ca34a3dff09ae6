import CKernels
import Foundation

// GELU (tanh form), SwiGLU and GeGLU on the CPU.

extension CPUBackend {
    /// √(2/π), the constant of the tanh approximation.
    static let geluScale: Float = 0.7978845608028654
    static let geluCubic: Float = 0.044715

    /// GELU, tanh form (`0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`, PyTorch's `gelu_new`), elementwise.
    public func gelu(_ x: BufferSlice, into out: BufferSlice) {
        precondition(x.count == out.count, "gelu of unequal counts")
        let px = pointer(x), po = pointer(out)
        loop.forEachChunk(x.count, grain: 1 << 14) { r in
            for i in r {
                let v = px[i]
                let t = tanhf(Self.geluScale * (v + Self.geluCubic * v * v * v))
                po[i] = 0.5 * v * (1 + t)
            }
        }
    }

    /// `dx += dout · gelu'(x)`, from the saved input x.
    public func geluBackward(_ x: BufferSlice, dout: BufferSlice, dx: BufferSlice) {
        precondition(x.count == dout.count && x.count == dx.count, "gelu backward counts")
        let px = pointer(x), pd = pointer(dout), pdx = pointer(dx)
        loop.forEachChunk(x.count, grain: 1 << 14) { r in
            for i in r {
                let v = px[i]
                let t = tanhf(Self.geluScale * (v + Self.geluCubic * v * v * v))
                let dt = (1 - t * t) * Self.geluScale * (1 + 3 * Self.geluCubic * v * v)
                pdx[i] += pd[i] * (0.5 * (1 + t) + 0.5 * v * dt)
            }
        }
    }

    /// `out = silu(gate) · up` elementwise (SIMD kernel `ck_swiglu`).
    public func swiglu(gate: BufferSlice, up: BufferSlice, into out: BufferSlice) {
        precondition(gate.count == up.count && gate.count == out.count, "swiglu counts")
        let pg = pointer(gate), pu = pointer(up), po = pointer(out), level = simd
        loop.forEachChunk(gate.count, grain: 1 << 14) { r in
            ck_swiglu(level, pg + r.lowerBound, pu + r.lowerBound, po + r.lowerBound, Int64(r.count))
        }
    }

    /// `dgate += dout · up · silu'(gate)` and `dup += dout · silu(gate)` (SIMD kernel).
    public func swigluBackward(gate: BufferSlice, up: BufferSlice, dout: BufferSlice,
                               dgate: BufferSlice, dup: BufferSlice) {
        precondition(gate.count == up.count && gate.count == dout.count
                     && gate.count == dgate.count && gate.count == dup.count,
                     "swiglu backward counts")
        let pg = pointer(gate), pu = pointer(up), pd = pointer(dout)
        let pdg = pointer(dgate), pdu = pointer(dup), level = simd
        loop.forEachChunk(gate.count, grain: 1 << 14) { r in
            let i = r.lowerBound
            ck_swiglu_backward(level, pg + i, pu + i, pd + i, pdg + i, pdu + i, Int64(r.count))
        }
    }

    /// `out = gelu(gate) · up` elementwise, tanh form of GELU (Gemma's `gelu_pytorch_tanh`).
    public func geglu(gate: BufferSlice, up: BufferSlice, into out: BufferSlice) {
        precondition(gate.count == up.count && gate.count == out.count, "geglu counts")
        let pg = pointer(gate), pu = pointer(up), po = pointer(out)
        loop.forEachChunk(gate.count, grain: 1 << 14) { r in
            for i in r {
                let v = pg[i]
                let t = tanhf(Self.geluScale * (v + Self.geluCubic * v * v * v))
                po[i] = 0.5 * v * (1 + t) * pu[i]
            }
        }
    }

    /// `dgate += dout · up · gelu'(gate)` and `dup += dout · gelu(gate)`.
    public func gegluBackward(gate: BufferSlice, up: BufferSlice, dout: BufferSlice,
                              dgate: BufferSlice, dup: BufferSlice) {
        precondition(gate.count == up.count && gate.count == dout.count
                     && gate.count == dgate.count && gate.count == dup.count,
                     "geglu backward counts")
        let pg = pointer(gate), pu = pointer(up), pd = pointer(dout)
        let pdg = pointer(dgate), pdu = pointer(dup)
        loop.forEachChunk(gate.count, grain: 1 << 14) { r in
            for i in r {
                let v = pg[i]
                let t = tanhf(Self.geluScale * (v + Self.geluCubic * v * v * v))
                let dt = (1 - t * t) * Self.geluScale * (1 + 3 * Self.geluCubic * v * v)
                pdu[i] += pd[i] * 0.5 * v * (1 + t)
                pdg[i] += pd[i] * pu[i] * (0.5 * (1 + t) + 0.5 * v * dt)
            }
        }
    }
}
