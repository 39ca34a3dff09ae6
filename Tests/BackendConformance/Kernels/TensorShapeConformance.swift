// The shape-checked `Tensor` entry points of the backward kernels, and of the forward ones the
// layers call beside them (addBias, rowwiseMatmul, columns, copy): with the right shapes each
// computes exactly what its kernel computes on the same buffers (so it passes the right
// dimensions), and a wrong shape is rejected with the `TensorError` that names it before any
// kernel runs (its outputs keep their values).

import DICEKit
import Testing

enum TensorShapeConformance {
    /// The cases of this file, in order.
    static let cases: [ConformanceCase] = {
        let group = "tensor"
        return [
            ConformanceCase(group, "addBias and sumRows (its gradient)") { try bias($0) },
            ConformanceCase(group, "rowwiseMatmul") { try rowwiseMatmul($0) },
            ConformanceCase(group, "copy, columns and addColumns (its gradient)") { try copies($0) },
            ConformanceCase(group, "embeddingBackward") { try embeddingBackward($0) },
            ConformanceCase(group, "rmsNormBackward") { try rmsNormBackward($0) },
            ConformanceCase(group, "layerNormBackward") { try layerNormBackward($0) },
            ConformanceCase(group, "geluBackward and swigluBackward") { try activationBackwards($0) },
            ConformanceCase(group, "attentionBackward") { try attentionBackward($0) },
            ConformanceCase(group, "logSoftmaxGatherBackward") { try logSoftmaxGatherBackward($0) },
        ]
    }()

    // MARK: - Helpers

    /// A tensor of `shape` holding uniform values in `range`.
    static func random(_ shape: [Int], _ rng: inout SplitMix64, on backend: any Backend,
                       in range: ClosedRange<Float> = -1 ... 1) throws -> Tensor {
        try Tensor(rng.floats(shape.reduce(1, *), in: range), shape: shape, on: backend)
    }

    /// A copy of `t` in a buffer of its own.
    static func copy(_ t: Tensor) throws -> Tensor {
        try Tensor(t.toArray(), shape: t.shape, on: t.backend)
    }

    /// Runs `wrapped` (the `Tensor` entry point) and `raw` (the kernel) on separate copies of
    /// `outputs` and expects the same bits; then expects `rejected` (the entry point with one
    /// wrong shape) to throw `error` and to leave its outputs as they were.
    static func expectWrapper(_ what: String, outputs: [Tensor], wrapped: ([Tensor]) throws -> Void,
                              raw: ([Tensor]) -> Void, rejected: ([Tensor]) throws -> Void,
                              throws error: TensorError,
                              sourceLocation: SourceLocation = #_sourceLocation) throws {
        let viaTensor = try outputs.map(copy), viaKernel = try outputs.map(copy)
        try wrapped(viaTensor)
        raw(viaKernel)
        for (i, (a, b)) in zip(viaTensor, viaKernel).enumerated() {
            #expect(a.toArray() == b.toArray(), "\(what): output \(i) differs from the kernel's",
                    sourceLocation: sourceLocation)
        }
        let before = viaTensor.map { $0.toArray() }
        #expect(throws: error, "\(what)", sourceLocation: sourceLocation) { try rejected(viaTensor) }
        #expect(viaTensor.map { $0.toArray() } == before, "\(what): a rejected call changed an output",
                sourceLocation: sourceLocation)
    }

    // MARK: - Checks

    static func bias(_ t: BackendUnderTest) throws {
        var rng = SplitMix64(seed: 1)
        let backend = try t.makeBackend()
        let (r, c) = (4, 6)
        let y = try random([r, c], &rng, on: backend), bias = try random([c], &rng, on: backend)
        try expectWrapper("addBias", outputs: [y], wrapped: { try $0[0].addBias(bias) },
                          raw: { backend.addBias($0[0].storage, bias.storage, rows: r, columns: c) },
                          rejected: { try $0[0].addBias(try Tensor(zeros: [c - 1], on: backend)) },
                          throws: .shapeMismatch(operation: "addBias", expected: [c], actual: [c - 1]))
        let dbias = try random([c], &rng, on: backend)
        try expectWrapper("sumRows", outputs: [dbias], wrapped: { try y.sumRows(into: $0[0]) },
                          raw: { backend.sumRows(y.storage, into: $0[0].storage, rows: r, columns: c) },
                          rejected: { _ in try y.sumRows(into: try Tensor(zeros: [r], on: backend)) },
                          throws: .shapeMismatch(operation: "sumRows", expected: [c], actual: [r]))
    }

    static func rowwiseMatmul(_ t: BackendUnderTest) throws {
        var rng = SplitMix64(seed: 2)
        let backend = try t.makeBackend()
        let (rows, inputs, outputs) = (3, 5, 4)
        let x = try random([rows, inputs], &rng, on: backend)
        let weight = try random([outputs, inputs], &rng, on: backend)
        let y = try random([rows, outputs], &rng, on: backend)
        try expectWrapper("rowwiseMatmul", outputs: [y], wrapped: { try x.rowwiseMatmul(weight: weight, into: $0[0]) },
                          raw: { backend.rowwiseMatmul(x.storage, weight: weight.storage, into: $0[0].storage,
                                                       rows: rows, inputs: inputs, outputs: outputs) },
                          rejected: { _ in
                              try x.rowwiseMatmul(weight: weight, into: try Tensor(zeros: [rows, inputs], on: backend))
                          },
                          throws: .shapeMismatch(operation: "rowwiseMatmul", expected: [rows, outputs],
                                                 actual: [rows, inputs]))
    }

    static func copies(_ t: BackendUnderTest) throws {
        var rng = SplitMix64(seed: 3)
        let backend = try t.makeBackend()
        let (rows, width) = (3, 4)
        let fused = try random([rows, 3 * width], &rng, on: backend)
        let part = try random([rows, width], &rng, on: backend)
        let row = try random([1, 3 * width], &rng, on: backend)
        try expectWrapper("copy", outputs: [row], wrapped: { try fused.rows(1 ..< 2).copy(into: $0[0]) },
                          raw: { backend.copy(fused.storage.slice(3 * width, 3 * width), to: $0[0].storage) },
                          rejected: { try fused.rows(1 ..< 2).copy(into: try $0[0].reshaped([3 * width, 1])) },
                          throws: .shapeMismatch(operation: "copy", expected: [1, 3 * width], actual: [3 * width, 1]))
        try expectWrapper("columns", outputs: [part], wrapped: { try fused.columns(width ..< 2 * width, into: $0[0]) },
                          raw: { backend.copy2D(fused.storage.slice(width, fused.count - width), sourceStride: 3 * width,
                                                to: $0[0].storage, destinationStride: width, rows: rows,
                                                columns: width, accumulate: false) },
                          rejected: { try fused.columns(width ..< 2 * width + 1, into: $0[0]) },
                          throws: .shapeMismatch(operation: "columns", expected: [rows, width + 1],
                                                 actual: [rows, width]))
        try expectWrapper("addColumns", outputs: [fused], wrapped: { try $0[0].addColumns(2 * width ..< 3 * width, from: part) },
                          raw: { backend.copy2D(part.storage, sourceStride: width,
                                                to: $0[0].storage.slice(2 * width, fused.count - 2 * width),
                                                destinationStride: 3 * width, rows: rows, columns: width,
                                                accumulate: true) },
                          rejected: { try $0[0].addColumns(0 ..< width, from: try Tensor(zeros: [rows - 1, width], on: backend)) },
                          throws: .shapeMismatch(operation: "addColumns", expected: [rows, width],
                                                 actual: [rows - 1, width]))
        #expect(throws: TensorError.invalidArgument(
            operation: "columns", reason: "columns \(2 * width ..< 3 * width + 1) of a tensor of shape \([rows, 3 * width])")) {
            try fused.columns(2 * width ..< 3 * width + 1, into: try Tensor(zeros: [rows, width + 1], on: backend))
        }
    }

    static func embeddingBackward(_ t: BackendUnderTest) throws {
        var rng = SplitMix64(seed: 4)
        let backend = try t.makeBackend()
        let (vocabulary, channels) = (9, 3)
        let ids: [Int32] = [0, 8, 3, 3, 5, 0]
        let dout = try random([ids.count, channels], &rng, on: backend)
        let dtable = try random([vocabulary, channels], &rng, on: backend)
        try expectWrapper("embeddingBackward", outputs: [dtable],
                          wrapped: { try Tensor.embeddingBackward(ids: ids, dout: dout, dtable: $0[0]) },
                          raw: { backend.embeddingBackward(ids: ids, dout: dout.storage, dtable: $0[0].storage,
                                                           channels: channels) },
                          rejected: {
                              try Tensor.embeddingBackward(ids: ids, dout: try Tensor(zeros: [ids.count, channels + 1], on: backend),
                                                           dtable: $0[0])
                          },
                          throws: .shapeMismatch(operation: "embeddingBackward", expected: [ids.count, channels],
                                                 actual: [ids.count, channels + 1]))
        #expect(throws: TensorError.indexOutOfRange(operation: "embeddingBackward", index: 9, position: 1,
                                                    bound: vocabulary)) {
            try Tensor.embeddingBackward(ids: [0, 9], dout: try Tensor(zeros: [2, channels], on: backend), dtable: dtable)
        }
    }

    static func rmsNormBackward(_ t: BackendUnderTest) throws {
        var rng = SplitMix64(seed: 5)
        let backend = try t.makeBackend()
        let (n, c) = (5, 7)
        let x = try random([n, c], &rng, on: backend), weight = try random([c], &rng, on: backend, in: 0.5 ... 1.5)
        let out = try Tensor(zeros: [n, c], on: backend), rstd = try Tensor(zeros: [n], on: backend)
        try x.rmsNorm(weight: weight, epsilon: 1e-5, into: out, rstd: rstd)
        let dout = try random([n, c], &rng, on: backend)
        let dx = try random([n, c], &rng, on: backend), dweight = try random([c], &rng, on: backend)
        try expectWrapper("rmsNormBackward", outputs: [dx, dweight],
                          wrapped: { try x.rmsNormBackward(weight: weight, rstd: rstd, dout: dout, dx: $0[0], dweight: $0[1]) },
                          raw: { backend.rmsNormBackward(dout: dout.storage, x: x.storage, weight: weight.storage,
                                                         rstd: rstd.storage, dx: $0[0].storage, dweight: $0[1].storage,
                                                         rows: n, channels: c) },
                          rejected: {
                              try x.rmsNormBackward(weight: weight, rstd: rstd, dout: dout, dx: $0[0],
                                                    dweight: try Tensor(zeros: [c + 1], on: backend))
                          },
                          throws: .shapeMismatch(operation: "rmsNormBackward", expected: [c], actual: [c + 1]))
    }

    static func layerNormBackward(_ t: BackendUnderTest) throws {
        var rng = SplitMix64(seed: 6)
        let backend = try t.makeBackend()
        let (n, c) = (4, 6)
        let x = try random([n, c], &rng, on: backend), weight = try random([c], &rng, on: backend, in: 0.5 ... 1.5)
        let bias = try random([c], &rng, on: backend)
        let out = try Tensor(zeros: [n, c], on: backend)
        let mean = try Tensor(zeros: [n], on: backend), rstd = try Tensor(zeros: [n], on: backend)
        try x.layerNorm(weight: weight, bias: bias, epsilon: 1e-5, into: out, mean: mean, rstd: rstd)
        let dout = try random([n, c], &rng, on: backend)
        let outputs = try [[n, c], [c], [c]].map { try random($0, &rng, on: backend) }
        try expectWrapper("layerNormBackward", outputs: outputs,
                          wrapped: {
                              try x.layerNormBackward(weight: weight, mean: mean, rstd: rstd, dout: dout, dx: $0[0],
                                                      dweight: $0[1], dbias: $0[2])
                          },
                          raw: { backend.layerNormBackward(dout: dout.storage, x: x.storage, weight: weight.storage,
                                                           mean: mean.storage, rstd: rstd.storage, dx: $0[0].storage,
                                                           dweight: $0[1].storage, dbias: $0[2].storage,
                                                           rows: n, channels: c) },
                          rejected: {
                              try x.layerNormBackward(weight: weight, mean: try Tensor(zeros: [n + 1], on: backend),
                                                      rstd: rstd, dout: dout, dx: $0[0], dweight: $0[1], dbias: $0[2])
                          },
                          throws: .shapeMismatch(operation: "layerNormBackward", expected: [n], actual: [n + 1]))
    }

    static func activationBackwards(_ t: BackendUnderTest) throws {
        var rng = SplitMix64(seed: 7)
        let backend = try t.makeBackend()
        let shape = [2, 5]
        let x = try random(shape, &rng, on: backend, in: -4 ... 4), up = try random(shape, &rng, on: backend)
        let dout = try random(shape, &rng, on: backend)
        let dx = try random(shape, &rng, on: backend), dup = try random(shape, &rng, on: backend)
        try expectWrapper("geluBackward", outputs: [dx], wrapped: { try x.geluBackward(dout: dout, dx: $0[0]) },
                          raw: { backend.geluBackward(x.storage, dout: dout.storage, dx: $0[0].storage) },
                          rejected: { try x.geluBackward(dout: dout, dx: try $0[0].reshaped([5, 2])) },
                          throws: .shapeMismatch(operation: "geluBackward", expected: shape, actual: [5, 2]))
        try expectWrapper("swigluBackward", outputs: [dx, dup],
                          wrapped: { try Tensor.swigluBackward(gate: x, up: up, dout: dout, dgate: $0[0], dup: $0[1]) },
                          raw: { backend.swigluBackward(gate: x.storage, up: up.storage, dout: dout.storage,
                                                        dgate: $0[0].storage, dup: $0[1].storage) },
                          rejected: {
                              try Tensor.swigluBackward(gate: x, up: up, dout: dout, dgate: $0[0],
                                                        dup: try Tensor(zeros: [2, 4], on: backend))
                          },
                          throws: .shapeMismatch(operation: "swigluBackward", expected: shape, actual: [2, 4]))
    }

    static func attentionBackward(_ t: BackendUnderTest) throws {
        var rng = SplitMix64(seed: 8)
        let backend = try t.makeBackend()
        let (n, heads, kvHeads, d) = (7, 4, 2, 4)
        let sequences = [AttentionSequence(start: 0, count: 3), AttentionSequence(start: 3, count: 4)]
        let q = try random([n, heads, d], &rng, on: backend)
        let k = try random([n, kvHeads, d], &rng, on: backend), v = try random([n, kvHeads, d], &rng, on: backend)
        let out = try Tensor(zeros: [n, heads, d], on: backend), lse = try Tensor(zeros: [n, heads], on: backend)
        try Tensor.attention(q: q, k: k, v: v, into: out, lse: lse, sequences: sequences, scale: 0.5)
        let dout = try random([n, heads, d], &rng, on: backend)
        let outputs = try [q.shape, k.shape, v.shape].map { try random($0, &rng, on: backend) }
        try expectWrapper("attentionBackward", outputs: outputs,
                          wrapped: {
                              try Tensor.attentionBackward(dout: dout, q: q, k: k, v: v, out: out, lse: lse, dq: $0[0],
                                                           dk: $0[1], dv: $0[2], sequences: sequences, scale: 0.5)
                          },
                          raw: { backend.attentionBackward(dout: dout.storage, q: q.storage, k: k.storage, v: v.storage,
                                                           out: out.storage, lse: lse.storage, dq: $0[0].storage,
                                                           dk: $0[1].storage, dv: $0[2].storage, sequences: sequences,
                                                           heads: heads, kvHeads: kvHeads, headSize: d, scale: 0.5) },
                          rejected: {
                              try Tensor.attentionBackward(dout: dout, q: q, k: k, v: v, out: out, lse: lse, dq: $0[0],
                                                           dk: try Tensor(zeros: [n, kvHeads, d + 1], on: backend),
                                                           dv: $0[2], sequences: sequences, scale: 0.5)
                          },
                          throws: .shapeMismatch(operation: "attentionBackward", expected: [n, kvHeads, d],
                                                 actual: [n, kvHeads, d + 1]))
        // The forward's layout checks apply too: a sequence beyond the buffers.
        #expect(throws: TensorError.self) {
            try Tensor.attentionBackward(dout: dout, q: q, k: k, v: v, out: out, lse: lse, dq: outputs[0],
                                         dk: outputs[1], dv: outputs[2],
                                         sequences: [AttentionSequence(start: 5, count: 3)], scale: 0.5)
        }
    }

    static func logSoftmaxGatherBackward(_ t: BackendUnderTest) throws {
        var rng = SplitMix64(seed: 9)
        let backend = try t.makeBackend()
        let (n, vocabulary) = (5, 11)
        let logits = try random([n, vocabulary], &rng, on: backend, in: -3 ... 3)
        let targets = rng.ids(n, below: vocabulary)
        let logp = try Tensor(zeros: [n], on: backend), lse = try Tensor(zeros: [n], on: backend)
        try logits.logSoftmaxGather(targets: targets, into: logp, lse: lse)
        let dlogp = try random([n], &rng, on: backend), dlogits = try random([n, vocabulary], &rng, on: backend)
        try expectWrapper("logSoftmaxGatherBackward", outputs: [dlogits],
                          wrapped: { try logits.logSoftmaxGatherBackward(targets: targets, lse: lse, dlogp: dlogp, dlogits: $0[0]) },
                          raw: { backend.logSoftmaxGatherBackward(logits: logits.storage, targets: targets, lse: lse.storage,
                                                                  dlogp: dlogp.storage, dlogits: $0[0].storage,
                                                                  vocabulary: vocabulary) },
                          rejected: {
                              try logits.logSoftmaxGatherBackward(targets: targets, lse: lse,
                                                                  dlogp: try Tensor(zeros: [n - 1], on: backend),
                                                                  dlogits: $0[0])
                          },
                          throws: .shapeMismatch(operation: "logSoftmaxGatherBackward", expected: [n], actual: [n - 1]))
        #expect(throws: TensorError.indexOutOfRange(operation: "logSoftmaxGatherBackward", index: vocabulary,
                                                    position: 0, bound: vocabulary)) {
            try logits.logSoftmaxGatherBackward(targets: [Int32(vocabulary)] + targets.dropFirst(), lse: lse,
                                                dlogp: dlogp, dlogits: dlogits)
        }
    }
}
