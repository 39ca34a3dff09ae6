import Foundation
import Testing
@testable import DICEKit

/// AdamW and SGD on flat parameters against naive Double loops of PyTorch's update rules, and
/// their state round trips.
@Suite("Optimizers")
struct OptimizerTests {
    static func store(_ values: [Float]) throws -> ParameterStore {
        let p = try ParameterStore(shapes: [("w", [values.count])], on: CPUBackend(threads: 1))
        try p.set("w", values)
        return p
    }

    static func setGradients(_ p: ParameterStore, _ g: [Float]) throws {
        p.backend.upload(g, to: try p.gradients())
    }

    @Test func adamWMatchesNaiveLoop() throws {
        var rng = SplitMix64(seed: 4)
        let n = 37
        var theta = (0..<n).map { _ in Double(rng.nextFloat() - 0.5) }
        let p = try Self.store(theta.map(Float.init))
        let adam = try AdamW(weightDecay: 0.01)
        var m = [Double](repeating: 0, count: n), v = m
        for t in 1...3 {
            let g = (0..<n).map { _ in rng.nextFloat() - 0.5 }
            try Self.setGradients(p, g)
            let lr = 1e-2 * Double(t)
            try adam.update(p, learningRate: lr)
            for i in 0..<n {
                theta[i] *= 1 - lr * 0.01
                m[i] = 0.9 * m[i] + 0.1 * Double(g[i])
                v[i] = 0.999 * v[i] + 0.001 * Double(g[i]) * Double(g[i])
                let mh = m[i] / (1 - pow(0.9, Double(t))), vh = v[i] / (1 - pow(0.999, Double(t)))
                theta[i] -= lr * mh / (vh.squareRoot() + 1e-8)
            }
        }
        let got = try p.get("w")
        for i in 0..<n { #expect(abs(Double(got[i]) - theta[i]) < 1e-5) }
        #expect(adam.step == 3)
    }

    @Test func sgdMatchesNaiveLoop() throws {
        let p = try Self.store([1, -2, 3])
        let sgd = try SGD(weightDecay: 0.5)
        try Self.setGradients(p, [0.5, 0.25, -1])
        try sgd.update(p, learningRate: 0.1)
        // θ − lr·(g + λθ)
        let want: [Double] = [1 - 0.1 * (0.5 + 0.5), -2 - 0.1 * (0.25 - 1), 3 - 0.1 * (-1 + 1.5)]
        for (g, w) in zip(try p.get("w"), want) { #expect(abs(Double(g) - w) < 1e-6) }
    }

    @Test func sgdMomentumFirstStepUsesTheGradient() throws {
        let p = try Self.store([0, 0])
        let sgd = try SGD(momentum: 0.9)
        try Self.setGradients(p, [1, 2])
        try sgd.update(p, learningRate: 1)
        try sgd.update(p, learningRate: 1)
        // buf₁ = g, buf₂ = 0.9g + g: θ = −(g + 1.9g) = −2.9g.
        let got = try p.get("w")
        #expect(abs(got[0] + 2.9) < 1e-6 && abs(got[1] + 5.8) < 1e-6)
    }

    @Test func adamWStateRoundTripsBitForBit() throws {
        let a = try Self.store([0.1, 0.2, 0.3, 0.4]), b = try Self.store([0.1, 0.2, 0.3, 0.4])
        let first = try AdamW()
        try Self.setGradients(a, [0.3, -0.1, 0.7, 0.01])
        try first.update(a, learningRate: 0.01)
        // Copy the state to a fresh optimizer and parameters, then take the same update on both.
        b.backend.upload(try a.get("w"), to: b.values)
        let second = try AdamW()
        try second.restore(first.state(), parameterCount: 4, on: b.backend)
        try Self.setGradients(b, [0.2, 0.2, -0.5, 1])
        try Self.setGradients(a, [0.2, 0.2, -0.5, 1])
        try first.update(a, learningRate: 0.01)
        try second.update(b, learningRate: 0.01)
        #expect(try a.get("w").map(\.bitPattern) == b.get("w").map(\.bitPattern))
        #expect(throws: OptimizationError.self) {
            try AdamW().restore(first.state(), parameterCount: 5, on: b.backend)
        }
    }
}
