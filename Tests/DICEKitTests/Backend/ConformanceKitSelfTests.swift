// The conformance kit must be able to fail: a backend that forwards to the CPU backend but
// breaks one kernel's contract fails exactly the checks of that kernel, run through the same
// factory path a new backend uses.

import BackendConformance
import DICEKit
import Testing

@Suite("Conformance kit: a faulty backend fails")
struct ConformanceKitSelfTests {
    @Test("a geluBackward that overwrites dx instead of adding to it fails every geluBackward gradient check")
    func overwritingBackwardFails() throws {
        let faulty = BackendUnderTest(name: "faulty", tolerance: .reference) {
            FaultyBackend(fault: .geluBackwardOverwrites)
        }
        let checks = ConformanceCase.all.filter { $0.group == "gradient" && $0.name.hasPrefix("geluBackward") }
        #expect(checks.count == 4)
        for check in checks {
            withKnownIssue("\(check.name)") { try check.run(on: faulty) }
        }
        // The other kernels still pass: the fault is found where it is, nowhere else.
        let gelu = try #require(ConformanceCase.all.first { $0.name.hasPrefix("gelu (tanh form)") })
        try gelu.run(on: faulty)
    }

    @Test("a matmul that ignores beta fails the matmul checks that accumulate into C")
    func matmulIgnoringBetaFails() throws {
        let faulty = BackendUnderTest(name: "faulty", tolerance: .reference) {
            FaultyBackend(fault: .matmulIgnoresBeta)
        }
        let accumulating = ConformanceCase.all.filter {
            $0.group == "forward" && $0.name.hasPrefix("matmul (") && !$0.name.contains("β=0.0")
        }
        #expect(accumulating.count == 6)
        for check in accumulating {
            withKnownIssue("\(check.name)") { try check.run(on: faulty) }
        }
    }
}

/// The CPU backend with one kernel broken on purpose.
final class FaultyBackend: Backend {
    enum Fault { case geluBackwardOverwrites, matmulIgnoresBeta }

    let base = CPUBackend(threads: 2)
    let fault: Fault
    var name: String { "faulty" }

    init(fault: Fault) { self.fault = fault }

    func allocate(_ count: Int, zeroed: Bool) throws -> any DeviceBuffer { try base.allocate(count, zeroed: zeroed) }
    func upload(_ values: [Float], to destination: BufferSlice) { base.upload(values, to: destination) }
    func download(_ source: BufferSlice) -> [Float] { base.download(source) }
    func fill(_ destination: BufferSlice, with value: Float) { base.fill(destination, with: value) }
    func copy(_ source: BufferSlice, to destination: BufferSlice) { base.copy(source, to: destination) }
    func copy2D(_ source: BufferSlice, sourceStride: Int, to destination: BufferSlice, destinationStride: Int,
                rows: Int, columns: Int, accumulate: Bool) {
        base.copy2D(source, sourceStride: sourceStride, to: destination, destinationStride: destinationStride,
                    rows: rows, columns: columns, accumulate: accumulate)
    }

    func matmul(_ a: BufferSlice, transposeA: Bool, _ b: BufferSlice, transposeB: Bool, _ c: BufferSlice,
                m: Int, n: Int, k: Int, alpha: Float, beta: Float, batch: Int,
                strideA: Int, strideB: Int, strideC: Int) {
        base.matmul(a, transposeA: transposeA, b, transposeB: transposeB, c, m: m, n: n, k: k, alpha: alpha,
                    beta: fault == .matmulIgnoresBeta ? 0 : beta, batch: batch,
                    strideA: strideA, strideB: strideB, strideC: strideC)
    }

    func add(_ a: BufferSlice, _ b: BufferSlice, into out: BufferSlice) { base.add(a, b, into: out) }
    func scale(_ x: BufferSlice, by alpha: Float) { base.scale(x, by: alpha) }
    func axpy(_ alpha: Float, _ x: BufferSlice, _ y: BufferSlice) { base.axpy(alpha, x, y) }
    func sum(_ x: BufferSlice) -> Double { base.sum(x) }
    func sumOfSquares(_ x: BufferSlice) -> Double { base.sumOfSquares(x) }
    func addBias(_ x: BufferSlice, _ bias: BufferSlice, rows: Int, columns: Int) {
        base.addBias(x, bias, rows: rows, columns: columns)
    }
    func sumRows(_ dy: BufferSlice, into dbias: BufferSlice, rows: Int, columns: Int) {
        base.sumRows(dy, into: dbias, rows: rows, columns: columns)
    }

    func embedding(ids: [Int32], table: BufferSlice, into out: BufferSlice, channels: Int) {
        base.embedding(ids: ids, table: table, into: out, channels: channels)
    }
    func embeddingBackward(ids: [Int32], dout: BufferSlice, dtable: BufferSlice, channels: Int) {
        base.embeddingBackward(ids: ids, dout: dout, dtable: dtable, channels: channels)
    }

    func rmsNorm(_ x: BufferSlice, weight: BufferSlice, epsilon: Float, into out: BufferSlice, rstd: BufferSlice,
                 rows: Int, channels: Int) {
        base.rmsNorm(x, weight: weight, epsilon: epsilon, into: out, rstd: rstd, rows: rows, channels: channels)
    }
    func rmsNormBackward(dout: BufferSlice, x: BufferSlice, weight: BufferSlice, rstd: BufferSlice,
                         dx: BufferSlice, dweight: BufferSlice, rows: Int, channels: Int) {
        base.rmsNormBackward(dout: dout, x: x, weight: weight, rstd: rstd, dx: dx, dweight: dweight,
                             rows: rows, channels: channels)
    }
    func layerNorm(_ x: BufferSlice, weight: BufferSlice, bias: BufferSlice, epsilon: Float, into out: BufferSlice,
                   mean: BufferSlice, rstd: BufferSlice, rows: Int, channels: Int) {
        base.layerNorm(x, weight: weight, bias: bias, epsilon: epsilon, into: out, mean: mean, rstd: rstd,
                       rows: rows, channels: channels)
    }
    func layerNormBackward(dout: BufferSlice, x: BufferSlice, weight: BufferSlice, mean: BufferSlice,
                           rstd: BufferSlice, dx: BufferSlice, dweight: BufferSlice, dbias: BufferSlice,
                           rows: Int, channels: Int) {
        base.layerNormBackward(dout: dout, x: x, weight: weight, mean: mean, rstd: rstd, dx: dx, dweight: dweight,
                               dbias: dbias, rows: rows, channels: channels)
    }

    func gelu(_ x: BufferSlice, into out: BufferSlice) { base.gelu(x, into: out) }
    func geluBackward(_ x: BufferSlice, dout: BufferSlice, dx: BufferSlice) {
        if fault == .geluBackwardOverwrites { base.fill(dx, with: 0) }
        base.geluBackward(x, dout: dout, dx: dx)
    }
    func swiglu(gate: BufferSlice, up: BufferSlice, into out: BufferSlice) { base.swiglu(gate: gate, up: up, into: out) }
    func swigluBackward(gate: BufferSlice, up: BufferSlice, dout: BufferSlice, dgate: BufferSlice, dup: BufferSlice) {
        base.swigluBackward(gate: gate, up: up, dout: dout, dgate: dgate, dup: dup)
    }

    func geglu(gate: BufferSlice, up: BufferSlice, into out: BufferSlice) { base.geglu(gate: gate, up: up, into: out) }
    func gegluBackward(gate: BufferSlice, up: BufferSlice, dout: BufferSlice, dgate: BufferSlice, dup: BufferSlice) {
        base.gegluBackward(gate: gate, up: up, dout: dout, dgate: dgate, dup: dup)
    }

    func rope(_ x: BufferSlice, positions: [Int32], heads: Int, headSize: Int, inverseFrequencies: [Float],
              inverse: Bool) {
        base.rope(x, positions: positions, heads: heads, headSize: headSize, inverseFrequencies: inverseFrequencies,
                  inverse: inverse)
    }

    func attention(q: BufferSlice, k: BufferSlice, v: BufferSlice, into out: BufferSlice, lse: BufferSlice,
                   sequences: [AttentionSequence], heads: Int, kvHeads: Int, headSize: Int, scale: Float) {
        base.attention(q: q, k: k, v: v, into: out, lse: lse, sequences: sequences, heads: heads, kvHeads: kvHeads,
                       headSize: headSize, scale: scale)
    }
    func attentionBackward(dout: BufferSlice, q: BufferSlice, k: BufferSlice, v: BufferSlice, out: BufferSlice,
                           lse: BufferSlice, dq: BufferSlice, dk: BufferSlice, dv: BufferSlice,
                           sequences: [AttentionSequence], heads: Int, kvHeads: Int, headSize: Int, scale: Float) {
        base.attentionBackward(dout: dout, q: q, k: k, v: v, out: out, lse: lse, dq: dq, dk: dk, dv: dv,
                               sequences: sequences, heads: heads, kvHeads: kvHeads, headSize: headSize, scale: scale)
    }

    func logSoftmaxGather(logits: BufferSlice, targets: [Int32], into logp: BufferSlice, lse: BufferSlice,
                          vocabulary: Int) {
        base.logSoftmaxGather(logits: logits, targets: targets, into: logp, lse: lse, vocabulary: vocabulary)
    }
    func logSoftmaxGatherBackward(logits: BufferSlice, targets: [Int32], lse: BufferSlice, dlogp: BufferSlice,
                                  dlogits: BufferSlice, vocabulary: Int) {
        base.logSoftmaxGatherBackward(logits: logits, targets: targets, lse: lse, dlogp: dlogp, dlogits: dlogits,
                                      vocabulary: vocabulary)
    }

    func adamW(params: BufferSlice, grads: BufferSlice, m: BufferSlice, v: BufferSlice, _ step: AdamWStep) {
        base.adamW(params: params, grads: grads, m: m, v: v, step)
    }
    func sgd(params: BufferSlice, grads: BufferSlice, momentumBuffer: BufferSlice, learningRate: Float,
             momentum: Float, weightDecay: Float) {
        base.sgd(params: params, grads: grads, momentumBuffer: momentumBuffer, learningRate: learningRate,
                 momentum: momentum, weightDecay: weightDecay)
    }
}
