import Foundation
import Testing
@testable import DICEKit

/// The shared update step: the order zero → accumulate → reduce → clip → check → update, each
/// against a hand computation on four parameters.
@Suite("Training step")
struct TrainingStepTests {
    /// A reducer that logs its calls and multiplies the gradient by `factor` (as a sum over
    /// `factor` identical ranks would).
    final class ScalingReducer: GradientReducer {
        let factor: Float
        var log: [String]
        init(factor: Float, log: [String] = []) {
            self.factor = factor
            self.log = log
        }
        func reduce(_ gradients: BufferSlice, on backend: any Backend) throws {
            log.append("reduce")
            backend.upload(backend.download(gradients).map { $0 * factor }, to: gradients)
        }
    }

    static let start: [Float] = [0.5, -1.0, 2.0, 0.25]
    static let gradient: [Float] = [0.3, -0.4, 1.2, 0.0]

    @Test("the reducer runs once per update, after the accumulation, and the clip sees its result")
    func reducerRunsBetweenAccumulationAndClipping() throws {
        let p = try OptimizerTests.store(Self.start)
        let reducer = ScalingReducer(factor: 3)
        let step = TrainingStep(optimizer: try SGD(), learningRate: 0.1, maxGradNorm: 1.0, reducer: reducer)
        let outcome = try step.apply(to: p, index: 0) {
            reducer.log.append("accumulate")
            try OptimizerTests.setGradients(p, Self.gradient)
        }
        #expect(reducer.log == ["accumulate", "reduce"])
        // Reduced gradient 3g; its norm; PyTorch's clip factor maxNorm / (norm + 1e-6).
        let reduced = Self.gradient.map { 3 * Double($0) }
        let norm = reduced.reduce(0) { $0 + $1 * $1 }.squareRoot()
        #expect(abs(outcome.gradNorm - norm) < 1e-6 * norm, "\(outcome.gradNorm) vs \(norm)")
        #expect(outcome.learningRate == 0.1)
        let clip = 1.0 / (norm + 1e-6)
        let want = zip(Self.start, reduced).map { Double($0) - 0.1 * $1 * clip }
        let got = try p.get("w")
        for i in want.indices { #expect(abs(Double(got[i]) - want[i]) < 1e-6, "w[\(i)]: \(got[i]) vs \(want[i])") }
        // A second update calls it once more.
        try step.apply(to: p, index: 1) { try OptimizerTests.setGradients(p, Self.gradient) }
        #expect(reducer.log == ["accumulate", "reduce", "reduce"])
    }

    @Test("gradients are zeroed before the accumulation; the schedule sets the rate")
    func zeroesThenSchedules() throws {
        let p = try OptimizerTests.store(Self.start)
        try OptimizerTests.setGradients(p, [100, 100, 100, 100])
        let step = TrainingStep(optimizer: try SGD(), learningRate: 0.2, schedule: .warmup(warmupSteps: 4))
        let outcome = try step.apply(to: p, index: 1) {
            // Adds into what is there: only a zeroed gradient leaves exactly g.
            let g = try p.gradients()
            p.backend.upload(zip(p.backend.download(g), Self.gradient).map { $0 + $1 }, to: g)
        }
        #expect(outcome.learningRate == 0.2 * 0.25)
        let norm = Self.gradient.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
        #expect(abs(outcome.gradNorm - norm) < 1e-6)
        let got = try p.get("w")
        for i in Self.start.indices {
            #expect(abs(Double(got[i]) - (Double(Self.start[i]) - 0.05 * Double(Self.gradient[i]))) < 1e-6)
        }
    }

    @Test("a non-finite gradient norm stops before the update, naming the step and quantity")
    func nonFiniteNormStopsBeforeTheUpdate() throws {
        let p = try OptimizerTests.store(Self.start)
        let optimizer = try AdamW()
        let step = TrainingStep(optimizer: optimizer, learningRate: 0.1, maxGradNorm: 1.0, gradientNormName: "test norm")
        #expect(throws: DPOTrainingError.nonFinite(step: 5, quantity: "test norm", lastCheckpointStep: 3)) {
            try step.apply(to: p, index: 4, lastCheckpointStep: 3) {
                try OptimizerTests.setGradients(p, [0, .nan, 0, 0])
            }
        }
        #expect(try p.get("w") == Self.start)
        #expect(optimizer.step == 0)
    }

    @Test("an accumulation that throws leaves parameters and optimizer untouched")
    func throwingAccumulationChangesNothing() throws {
        struct Stop: Error {}
        let p = try OptimizerTests.store(Self.start)
        let optimizer = try SGD(momentum: 0.9)
        let reducer = ScalingReducer(factor: 2)
        let step = TrainingStep(optimizer: optimizer, learningRate: 0.1, reducer: reducer)
        #expect(throws: Stop.self) { try step.apply(to: p, index: 0) { throw Stop() } }
        #expect(try p.get("w") == Self.start && optimizer.step == 0 && reducer.log.isEmpty)
    }

    /// Every optimizer and schedule rule names its setting.
    @Test func optimizerSettingsNameTheirRule() {
        let cases: [(String, String, () throws -> Void)] = [
            ("beta1", "1.0", { _ = try AdamW(beta1: 1) }),
            ("beta2", "-0.1", { _ = try AdamW(beta2: -0.1) }),
            ("epsilon", "0.0", { _ = try AdamW(epsilon: 0) }),
            ("weightDecay", "-0.01", { _ = try AdamW(weightDecay: -0.01) }),
            ("momentum", "1.0", { _ = try SGD(momentum: 1) }),
            ("weightDecay", "nan", { _ = try SGD(weightDecay: .nan) }),
            ("weightDecay", "-1.0", { _ = try OptimizerKind.sgd.makeOptimizer(weightDecay: -1) }),
        ]
        for (setting, value, make) in cases {
            let error = #expect(throws: DPOTrainingError.self) { try make() }
            guard let error, case let .invalidSetting(name, got, _) = error else {
                Issue.record("\(setting): expected invalidSetting, got \(String(describing: error))")
                continue
            }
            #expect(name == setting && got == value, "\(setting) = \(value): got \(name) = \(got)")
        }
    }

    @Test func optimizerKindsKeepTheirNames() throws {
        #expect(OptimizerKind.allCases.map(\.rawValue) == ["adamw", "sgd"])
        #expect(try OptimizerKind.allCases.map { try $0.makeOptimizer().name } == ["adamw", "sgd"])
        // A configuration's bytes name the optimizer as before (run files store them).
        let data = try JSONEncoder().encode(OptimizerKind.sgd)
        #expect(String(decoding: data, as: UTF8.self) == "\"sgd\"")
    }
}
