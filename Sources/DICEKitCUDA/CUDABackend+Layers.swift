import DICEKit
import Foundation

// Normalisation, activations, RoPE, the log-prob kernel and the optimizers on the GPU.

extension CUDABackend {
    /// Threads per block for the one-block-per-row kernels: a multiple of 32, at most 1024.
    static func rowThreads(_ columns: Int) -> Int {
        min(1024, max(32, (min(columns, 1024) + 31) / 32 * 32))
    }

    // MARK: - Normalisation

    /// RMSNorm per row, one block per row: `out = x · rstd · weight`, `rstd = 1/√(mean(x²) + ε)`
    /// saved in `rstd` `[R]`; x, out `[R, C]`, weight `[C]`.
    public func rmsNorm(_ x: BufferSlice, weight: BufferSlice, epsilon: Float,
                        into out: BufferSlice, rstd: BufferSlice, rows: Int, channels: Int) {
        precondition(x.count >= rows * channels && out.count >= rows * channels
                     && weight.count >= channels && rstd.count >= rows, "rmsNorm shapes")
        launch(.rmsNorm, grid: (rows, 1), block: (Self.rowThreads(channels), 1),
               [.pointer(address(x)), .pointer(address(weight)), .float(epsilon), .pointer(address(out)),
                .pointer(address(rstd)), .int32(channels)])
    }

    /// RMSNorm backward: adds into `dx` `[R, C]` (one block per row) and `dweight` `[C]` (column sums
    /// in two deterministic stages).
    public func rmsNormBackward(dout: BufferSlice, x: BufferSlice, weight: BufferSlice,
                                rstd: BufferSlice, dx: BufferSlice, dweight: BufferSlice,
                                rows: Int, channels: Int) {
        launch(.rmsNormBackward, grid: (rows, 1), block: (Self.rowThreads(channels), 1),
               [.pointer(address(dout)), .pointer(address(x)), .pointer(address(weight)),
                .pointer(address(rstd)), .pointer(address(dx)), .int32(channels)])
        columnSums(mode: 1, a: address(dout), b: address(x), s: address(rstd), rows: rows, columns: channels,
                   into: address(dweight))
    }

    /// LayerNorm per row, one block per row: `out = (x − mean) · rstd · weight + bias`, saving
    /// `mean` and `rstd` `[R]`.
    public func layerNorm(_ x: BufferSlice, weight: BufferSlice, bias: BufferSlice, epsilon: Float,
                          into out: BufferSlice, mean: BufferSlice, rstd: BufferSlice,
                          rows: Int, channels: Int) {
        precondition(x.count >= rows * channels && out.count >= rows * channels
                     && weight.count >= channels && bias.count >= channels
                     && mean.count >= rows && rstd.count >= rows, "layerNorm shapes")
        launch(.layerNorm, grid: (rows, 1), block: (Self.rowThreads(channels), 1),
               [.pointer(address(x)), .pointer(address(weight)), .pointer(address(bias)), .float(epsilon),
                .pointer(address(out)), .pointer(address(mean)), .pointer(address(rstd)), .int32(channels)])
    }

    /// LayerNorm backward: adds into `dx` `[R, C]`, `dweight` and `dbias` `[C]` (column sums in two
    /// deterministic stages).
    public func layerNormBackward(dout: BufferSlice, x: BufferSlice, weight: BufferSlice,
                                  mean: BufferSlice, rstd: BufferSlice,
                                  dx: BufferSlice, dweight: BufferSlice, dbias: BufferSlice,
                                  rows: Int, channels: Int) {
        launch(.layerNormBackward, grid: (rows, 1), block: (Self.rowThreads(channels), 1),
               [.pointer(address(dout)), .pointer(address(x)), .pointer(address(weight)),
                .pointer(address(mean)), .pointer(address(rstd)), .pointer(address(dx)), .int32(channels)])
        columnSums(mode: 2, a: address(dout), b: address(x), m: address(mean), s: address(rstd),
                   rows: rows, columns: channels, into: address(dweight))
        columnSums(mode: 0, a: address(dout), rows: rows, columns: channels, into: address(dbias))
    }

    // MARK: - Activations

    /// GELU, tanh form (PyTorch's `gelu_new`), elementwise.
    public func gelu(_ x: BufferSlice, into out: BufferSlice) {
        precondition(x.count == out.count, "gelu of unequal counts")
        launch(.gelu, elements: x.count, [.pointer(address(x)), .pointer(address(out)), .int64(x.count)])
    }

    /// `dx += dout · gelu'(x)`, from the saved input x.
    public func geluBackward(_ x: BufferSlice, dout: BufferSlice, dx: BufferSlice) {
        precondition(x.count == dout.count && x.count == dx.count, "gelu backward counts")
        launch(.geluBackward, elements: x.count,
               [.pointer(address(x)), .pointer(address(dout)), .pointer(address(dx)), .int64(x.count)])
    }

    /// `out = silu(gate) · up` elementwise.
    public func swiglu(gate: BufferSlice, up: BufferSlice, into out: BufferSlice) {
        precondition(gate.count == up.count && gate.count == out.count, "swiglu counts")
        launch(.swiglu, elements: gate.count,
               [.pointer(address(gate)), .pointer(address(up)), .pointer(address(out)), .int64(gate.count)])
    }

    /// `dgate += dout · up · silu'(gate)` and `dup += dout · silu(gate)`.
    public func swigluBackward(gate: BufferSlice, up: BufferSlice, dout: BufferSlice,
                               dgate: BufferSlice, dup: BufferSlice) {
        precondition(gate.count == up.count && gate.count == dout.count
                     && gate.count == dgate.count && gate.count == dup.count, "swiglu backward counts")
        launch(.swigluBackward, elements: gate.count,
               [.pointer(address(gate)), .pointer(address(up)), .pointer(address(dout)),
                .pointer(address(dgate)), .pointer(address(dup)), .int64(gate.count)])
    }

    /// `out = gelu(gate) · up` elementwise (tanh form).
    public func geglu(gate: BufferSlice, up: BufferSlice, into out: BufferSlice) {
        precondition(gate.count == up.count && gate.count == out.count, "geglu counts")
        launch(.geglu, elements: gate.count,
               [.pointer(address(gate)), .pointer(address(up)), .pointer(address(out)), .int64(gate.count)])
    }

    /// `dgate += dout · up · gelu'(gate)` and `dup += dout · gelu(gate)`.
    public func gegluBackward(gate: BufferSlice, up: BufferSlice, dout: BufferSlice,
                              dgate: BufferSlice, dup: BufferSlice) {
        precondition(gate.count == up.count && gate.count == dout.count
                     && gate.count == dgate.count && gate.count == dup.count, "geglu backward counts")
        launch(.gegluBackward, elements: gate.count,
               [.pointer(address(gate)), .pointer(address(up)), .pointer(address(dout)),
                .pointer(address(dgate)), .pointer(address(dup)), .int64(gate.count)])
    }

    // MARK: - Positions

    /// Rotary position embedding in place (rotate-half layout): x `[N, heads, D]`, `positions`
    /// `[N]` and `inverseFrequencies` `[D/2]` copied to the device; `inverse` rotates back (the
    /// backward).
    public func rope(_ x: BufferSlice, positions: [Int32], heads: Int, headSize: Int,
                     inverseFrequencies: [Float], inverse: Bool) {
        precondition(headSize % 2 == 0, "RoPE needs an even head size, got \(headSize)")
        precondition(inverseFrequencies.count == headSize / 2, "RoPE needs D/2 inverse frequencies")
        precondition(x.count >= positions.count * heads * headSize, "rope input too small")
        guard !positions.isEmpty && heads > 0 && headSize > 0 else { return }
        let devicePositions = deviceInts(positions)
        let frequencies = scratch(inverseFrequencies.count)
        copyToDevice(inverseFrequencies, frequencies.address)
        launch(.rope, elements: positions.count * heads * headSize / 2,
               [.pointer(address(x)), .pointer(devicePositions.address), .pointer(frequencies.address),
                .int64(positions.count), .int32(heads), .int32(headSize), .float(inverse ? -1 : 1)])
    }

    // MARK: - Log-probabilities

    /// `logp[n] = logits[n, targets[n]] − lse[n]`, one block per row: logits `[N, V]`, logp and lse
    /// `[N]`.
    public func logSoftmaxGather(logits: BufferSlice, targets: [Int32], into logp: BufferSlice,
                                 lse: BufferSlice, vocabulary: Int) {
        let rows = targets.count
        precondition(logits.count >= rows * vocabulary && logp.count >= rows && lse.count >= rows,
                     "logSoftmaxGather shapes")
        for t in targets { precondition(t >= 0 && Int(t) < vocabulary, "target \(t) outside 0..<\(vocabulary)") }
        guard rows > 0 else { return }
        let deviceTargets = deviceInts(targets)
        launch(.logSoftmaxGather, grid: (rows, 1), block: (Self.rowThreads(vocabulary), 1),
               [.pointer(address(logits)), .pointer(deviceTargets.address), .pointer(address(logp)),
                .pointer(address(lse)), .int32(vocabulary)])
    }

    /// `dlogits[n, :] += dlogp[n] · (onehot(targets[n]) − softmax(logits[n, :]))`, the softmax
    /// rebuilt from `lse`, one block per row.
    public func logSoftmaxGatherBackward(logits: BufferSlice, targets: [Int32], lse: BufferSlice,
                                         dlogp: BufferSlice, dlogits: BufferSlice, vocabulary: Int) {
        let rows = targets.count
        precondition(logits.count >= rows * vocabulary && dlogits.count >= rows * vocabulary
                     && dlogp.count >= rows && lse.count >= rows, "logSoftmaxGather backward shapes")
        for t in targets { precondition(t >= 0 && Int(t) < vocabulary, "target \(t) outside 0..<\(vocabulary)") }
        guard rows > 0 else { return }
        let deviceTargets = deviceInts(targets)
        launch(.logSoftmaxGatherBackward, grid: (rows, 1), block: (Self.rowThreads(vocabulary), 1),
               [.pointer(address(logits)), .pointer(deviceTargets.address), .pointer(address(lse)),
                .pointer(address(dlogp)), .pointer(address(dlogits)), .int32(vocabulary)])
    }

    // MARK: - Optimisation

    /// One AdamW update in place over `[P]` slices (PyTorch's rule, bias corrections computed on the
    /// host in Double), one thread per parameter.
    public func adamW(params: BufferSlice, grads: BufferSlice, m: BufferSlice, v: BufferSlice,
                      _ step: AdamWStep) {
        precondition(params.count == grads.count && params.count == m.count && params.count == v.count,
                     "adamW counts")
        precondition(step.step >= 1, "AdamW step numbers start at 1")
        let correction1 = 1 - pow(Double(step.beta1), Double(step.step))
        let correction2 = 1 - pow(Double(step.beta2), Double(step.step))
        launch(.adamW, elements: params.count,
               [.pointer(address(params)), .pointer(address(grads)), .pointer(address(m)), .pointer(address(v)),
                .int64(params.count), .float(step.beta1), .float(step.beta2), .float(step.epsilon),
                .float(1 - step.learningRate * step.weightDecay),
                .float(Float(Double(step.learningRate) / correction1)), .float(Float(correction2.squareRoot()))])
    }

    /// One SGD update in place over `[P]` slices (PyTorch's rule; `momentumBuffer` read only when
    /// μ ≠ 0), one thread per parameter.
    public func sgd(params: BufferSlice, grads: BufferSlice, momentumBuffer: BufferSlice,
                    learningRate: Float, momentum: Float, weightDecay: Float) {
        precondition(params.count == grads.count, "sgd counts")
        precondition(momentum == 0 || momentumBuffer.count == params.count, "sgd momentum buffer")
        launch(.sgd, elements: params.count,
               [.pointer(address(params)), .pointer(address(grads)), .pointer(address(momentumBuffer)),
                .int64(params.count), .float(learningRate), .float(momentum), .float(weightDecay)])
    }
}
