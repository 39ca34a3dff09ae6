/// The MLP of a block: SwiGLU (`down(silu(gate(x)) · up(x))`, Llama), GeGLU
/// (`down(gelu(gate(x)) · up(x))`, Gemma) or GELU (`proj(gelu(fc(x)))`, GPT-2).
struct FeedForward {
    enum Kind {
        case swiglu(gate: Linear, up: Linear, down: Linear)
        case geglu(gate: Linear, up: Linear, down: Linear)
        case gelu(fc: Linear, proj: Linear)
    }

    let kind: Kind

    /// What the backward needs from the forward: the first projection's output (gate, or GELU's
    /// fc). The input (the MLP norm's output) and the activation are not kept: the backward is
    /// given the input again and recomputes the activation (the same kernel on the same values:
    /// the same bits). A gated MLP keeps its up projection only when the forward is asked to
    /// (`keepsUp`); otherwise the backward projects the input again — the same product on the
    /// same operands, so the same bits — for one more `[N, C] × [C, I]` product and `[N, I]` less
    /// per token.
    struct Saved {
        let first: Tensor      // gate (SwiGLU, GeGLU) or fc output (GELU), [N, I]
        let up: Tensor?        // [N, I]: gated MLPs with `keepsUp` only
    }

    /// out `[N, C]` = mlp(x `[N, C]`); `rowwise` as in `Linear.forward`. `keepsUp`: a gated MLP
    /// keeps its up projection's output for the backward (see `Saved`).
    func forward(_ x: Tensor, into out: Tensor, _ p: ParameterStore, rowwise: Bool = false,
                 keepsUp: Bool = false) throws -> Saved {
        let n = x.shape[0], b = p.backend
        switch kind {
        case let .swiglu(gate, up, down), let .geglu(gate, up, down):
            let g = try Tensor(uninitialized: [n, gate.outputSize], on: b)
            let u = try Tensor(uninitialized: [n, up.outputSize], on: b)
            let a = try Tensor(uninitialized: [n, gate.outputSize], on: b)
            try gate.forward(x, into: g, p, rowwise: rowwise)
            try up.forward(x, into: u, p, rowwise: rowwise)
            if case .geglu = kind {
                try Tensor.geglu(gate: g, up: u, into: a)
            } else {
                try Tensor.swiglu(gate: g, up: u, into: a)
            }
            try down.forward(a, into: out, p, rowwise: rowwise)
            return Saved(first: g, up: keepsUp ? u : nil)
        case let .gelu(fc, proj):
            let f = try Tensor(uninitialized: [n, fc.outputSize], on: b)
            let a = try Tensor(uninitialized: [n, fc.outputSize], on: b)
            try fc.forward(x, into: f, p, rowwise: rowwise)
            try f.gelu(into: a)
            try proj.forward(a, into: out, p, rowwise: rowwise)
            return Saved(first: f, up: nil)
        }
    }

    /// dx = ∂out/∂x · dout (overwritten: dx may start uninitialised) for the forward's input x
    /// `[N, C]` (given again: `Saved` does not keep it); weights' gradients accumulate. The
    /// activation `[N, I]` (and a gated MLP's up projection, unless saved) is recomputed and lives
    /// only during this call; the activation's buffer then holds the gate's gradient.
    func backward(_ s: Saved, input x: Tensor, dout: Tensor, dx: Tensor, _ p: ParameterStore) throws {
        let b = p.backend
        let a = try Tensor(uninitialized: s.first.shape, on: b)
        let da = try Tensor(uninitialized: s.first.shape, on: b)
        switch kind {
        case let .swiglu(gate, up, down), let .geglu(gate, up, down):
            let u: Tensor
            if let saved = s.up {
                u = saved
            } else {
                u = try Tensor(uninitialized: s.first.shape, on: b)
                try up.forward(x, into: u, p)
            }
            if case .geglu = kind {
                try Tensor.geglu(gate: s.first, up: u, into: a)
            } else {
                try Tensor.swiglu(gate: s.first, up: u, into: a)
            }
            try down.backward(x: a, dy: dout, dx: da, p, overwrite: true)
            // The activation is spent: its buffer becomes the gate's gradient (the kernels add).
            let dg = a, du = try Tensor(zeros: u.shape, on: b)
            dg.fill(0)
            if case .geglu = kind {
                try Tensor.gegluBackward(gate: s.first, up: u, dout: da, dgate: dg, dup: du)
            } else {
                try Tensor.swigluBackward(gate: s.first, up: u, dout: da, dgate: dg, dup: du)
            }
            try gate.backward(x: x, dy: dg, dx: dx, p, overwrite: true)
            try up.backward(x: x, dy: du, dx: dx, p)
        case let .gelu(fc, proj):
            try s.first.gelu(into: a)
            try proj.backward(x: a, dy: dout, dx: da, p, overwrite: true)
            let df = try Tensor(zeros: s.first.shape, on: b)
            try s.first.geluBackward(dout: da, dx: df)
            try fc.backward(x: x, dy: df, dx: dx, p, overwrite: true)
        }
    }
}
