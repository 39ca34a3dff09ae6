// Helpers of the GPU parity tests: run one operation on the CPU backend (the reference) and on
// the CUDA backend from the same host inputs, and compare every buffer afterwards — outputs,
// in-place updates and accumulated gradients alike.

import DICEKit
import Foundation
import Testing
@testable import DICEKitCUDA

/// Uniform values in [−scale, scale), seeded.
func randomValues(_ count: Int, _ rng: inout SplitMix64, scale: Float = 1) -> [Float] {
    (0..<count).map { _ in (rng.nextFloat() * 2 - 1) * scale }
}

/// Runs `body` on a CPU backend and on a CUDA backend, each with slices holding `inputs`
/// (placed at an offset inside a larger buffer, so that ignored offsets show), then expects
/// every slice to agree: |cuda − cpu| ≤ atol + rtol·|cpu|. Returns the two results' scalars
/// when `body` returns one.
@discardableResult
func expectParity(_ what: String, inputs: [[Float]], rtol: Float = 1e-4, atol: Float = 1e-5,
                  sourceLocation: SourceLocation = #_sourceLocation,
                  _ body: (any Backend, [BufferSlice]) throws -> Double?) throws -> (cpu: Double?, cuda: Double?) {
    func run(_ backend: any Backend) throws -> ([[Float]], Double?) {
        let slices = try inputs.map { values -> BufferSlice in
            let buffer = try backend.allocate(values.count + 5)
            let slice = BufferSlice(buffer, offset: 5, count: values.count)
            backend.upload(values, to: slice)
            return slice
        }
        let scalar = try body(backend, slices)
        return (slices.map { backend.download($0) }, scalar)
    }
    let (want, wantScalar) = try run(CPUBackend(threads: 2))
    let (got, gotScalar) = try run(try CUDABackend())
    for (index, (w, g)) in zip(want, got).enumerated() {
        var bad = 0, worst = (i: -1, err: Float(0))
        for i in w.indices {
            let err = abs(g[i] - w[i])
            if !(err <= atol + rtol * abs(w[i])) {
                bad += 1
                if !(err <= worst.err) { worst = (i, err) }
            }
        }
        #expect(bad == 0, "\(what), buffer \(index): \(bad) of \(w.count) differ; worst at \(worst.i): cuda \(worst.i >= 0 ? g[worst.i] : 0) vs cpu \(worst.i >= 0 ? w[worst.i] : 0)",
                sourceLocation: sourceLocation)
    }
    if let w = wantScalar, let g = gotScalar {
        #expect(abs(g - w) <= Double(atol) + Double(rtol) * abs(w), "\(what): \(g) vs \(w)", sourceLocation: sourceLocation)
    }
    return (wantScalar, gotScalar)
}
