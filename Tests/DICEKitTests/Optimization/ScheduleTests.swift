import Foundation
import Testing
@testable import DICEKit

/// Schedules against transformers' lr_lambda formulas (optimization.py), written out here.
@Suite("Learning-rate schedules")
struct ScheduleTests {
    static func transformersLinear(_ s: Int, w: Int, t: Int) -> Double {
        if s < w { return Double(s) / Double(max(1, w)) }
        return max(0, Double(t - s) / Double(max(1, t - w)))
    }

    static func transformersCosine(_ s: Int, w: Int, t: Int) -> Double {
        if s < w { return Double(s) / Double(max(1, w)) }
        let progress = Double(s - w) / Double(max(1, t - w))
        return max(0, 0.5 * (1 + cos(Double.pi * 0.5 * 2 * progress)))
    }

    @Test(arguments: [0, 1, 5, 9, 10, 11, 50, 99, 100, 120])
    func matchTransformers(_ step: Int) {
        #expect(LearningRateSchedule.constant.multiplier(step: step) == 1)
        #expect(LearningRateSchedule.warmup(warmupSteps: 10).multiplier(step: step) == (step < 10 ? Double(step) / 10 : 1))
        #expect(abs(LearningRateSchedule.linear(warmupSteps: 10, totalSteps: 100).multiplier(step: step)
                    - Self.transformersLinear(step, w: 10, t: 100)) < 1e-15)
        #expect(abs(LearningRateSchedule.cosine(warmupSteps: 10, totalSteps: 100).multiplier(step: step)
                    - Self.transformersCosine(step, w: 10, t: 100)) < 1e-15)
    }

    @Test func knownValues() {
        // Hand-computed: linear at the midpoint of decay is 0.5; cosine there is 0.5 too; at
        // a quarter of the decay, cosine is (1 + cos(π/4))/2.
        #expect(LearningRateSchedule.linear(warmupSteps: 0, totalSteps: 10).multiplier(step: 5) == 0.5)
        #expect(abs(LearningRateSchedule.cosine(warmupSteps: 0, totalSteps: 8).multiplier(step: 4) - 0.5) < 1e-15)
        #expect(abs(LearningRateSchedule.cosine(warmupSteps: 0, totalSteps: 8).multiplier(step: 2)
                    - (1 + 0.5.squareRoot()) / 2) < 1e-15)
        #expect(LearningRateSchedule.warmup(warmupSteps: 4).multiplier(step: 0) == 0)
    }

    @Test func parsesNames() throws {
        #expect(try LearningRateSchedule(named: "cosine", warmupSteps: 3, totalSteps: 9) == .cosine(warmupSteps: 3, totalSteps: 9))
        #expect(try LearningRateSchedule(named: "constant", warmupSteps: 0, totalSteps: 9) == .constant)
        #expect(throws: DPOTrainingError.invalidSetting(name: "schedule", value: "step",
                                                        expected: "constant, warmup, linear or cosine")) {
            try LearningRateSchedule(named: "step", warmupSteps: 0, totalSteps: 9)
        }
        #expect(throws: DPOTrainingError.invalidSetting(name: "warmupSteps", value: "-1", expected: "a number ≥ 0")) {
            try LearningRateSchedule(named: "linear", warmupSteps: -1, totalSteps: 9)
        }
    }
}
