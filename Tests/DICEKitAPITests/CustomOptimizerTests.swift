// An optimizer written by a user on the public `Optimizer` protocol — SGD with momentum on host
// arrays — checked against a hand computation and run through DICEBootstrapper.

import DICEKit
import Foundation
import Testing

/// SGD with momentum, on the host: v ← μ·v + g, θ ← θ − lr·v (v = 0 before the first update).
final class HostMomentumSGD: Optimizer {
    let name = "host-momentum-sgd"
    let momentum: Float
    private(set) var step = 0
    private var velocity: [Float] = []

    init(momentum: Float) {
        self.momentum = momentum
    }

    func update(_ parameters: any TrainableParameters, learningRate: Double) throws {
        let backend = parameters.backend
        var theta = backend.download(parameters.values)
        let g = backend.download(try parameters.gradients())
        if velocity.isEmpty { velocity = [Float](repeating: 0, count: theta.count) }
        guard velocity.count == theta.count else {
            throw OptimizationError.stateMismatch(buffer: "velocity", expected: theta.count, actual: velocity.count)
        }
        for i in theta.indices {
            velocity[i] = momentum * velocity[i] + g[i]
            theta[i] -= Float(learningRate) * velocity[i]
        }
        backend.upload(theta, to: parameters.values)
        step += 1
    }

    func state() -> OptimizerState {
        OptimizerState(step: step, tensors: velocity.isEmpty ? [:] : ["velocity": HostTensor(shape: [velocity.count], values: velocity)])
    }

    func restore(_ state: OptimizerState, parameterCount: Int, on backend: any Backend) throws {
        let saved = state.tensors["velocity"]?.values ?? []
        guard saved.isEmpty || saved.count == parameterCount else {
            throw OptimizationError.stateMismatch(buffer: "velocity", expected: parameterCount, actual: saved.count)
        }
        (step, velocity) = (state.step, saved)
    }
}

@Suite("A custom optimizer")
struct CustomOptimizerTests {
    @Test("two updates through TrainingStep match the hand computation")
    func matchesHandComputation() throws {
        let store = try ParameterStore(shapes: [(name: "w", shape: [3])], on: CPUBackend(threads: 1))
        try store.set("w", [1, -2, 0.5])
        let optimizer = HostMomentumSGD(momentum: 0.5)
        let step = TrainingStep(optimizer: optimizer, learningRate: 0.25)
        let gradients: [[Float]] = [[0.5, 1, -2], [1, 0, 0.25]]
        for (k, g) in gradients.enumerated() {
            try step.apply(to: store, index: k) { store.backend.upload(g, to: try store.gradients()) }
        }
        // v₁ = g₁ = (0.5, 1, −2), θ₁ = θ₀ − ¼v₁ = (0.875, −2.25, 1);
        // v₂ = ½v₁ + g₂ = (1.25, 0.5, −0.75), θ₂ = θ₁ − ¼v₂ = (0.5625, −2.375, 1.1875).
        #expect(try store.get("w") == [0.5625, -2.375, 1.1875])
        #expect(optimizer.step == 2 && optimizer.state().tensors["velocity"]?.values == [1.25, 0.5, -0.75])
        // Its state round trips: a restored copy takes the same third update.
        let copy = HostMomentumSGD(momentum: 0.5)
        try copy.restore(optimizer.state(), parameterCount: 3, on: store.backend)
        let twin = try ParameterStore(shapes: [(name: "w", shape: [3])], on: CPUBackend(threads: 1))
        try twin.set("w", try store.get("w"))
        try TrainingStep(optimizer: copy, learningRate: 0.25).apply(to: twin, index: 2) {
            twin.backend.upload([1, 1, 1], to: try twin.gradients())
        }
        try step.apply(to: store, index: 2) { store.backend.upload([1, 1, 1], to: try store.gradients()) }
        #expect(try twin.get("w") == store.get("w"))
    }

    @Test("it trains every round of a DICEBootstrapper run, and checkpoints name it")
    func runsThroughTheBootstrapper() throws {
        let toy = try TabularRun(promptCount: 16, offlinePrompts: 40, samples: 6, minValid: 3, steps: 6, seed: 6)
        let folder = try ScratchFolder("custom-optimizer-dice")
        defer { folder.remove() }
        let layout = toy.layout(folder)
        let bootstrapper = try DICEBootstrapper(configuration: toy.configuration)
        var optimizers: [HostMomentumSGD] = []
        bootstrapper.makeTrainer = { configuration, checkpointFolder in
            let optimizer = HostMomentumSGD(momentum: 0.9)
            optimizers.append(optimizer)
            return StandardDPOTrainer(configuration: configuration, optimizer: optimizer, checkpointFolder: checkpointFolder,
                                      resume: true)
        }
        let store = try toy.store()
        let reports = try bootstrapper.run(prompts: toy.prompts, offline: toy.offline, store: store, layout: layout, mode: .fresh)
        #expect(reports.count == 2 && optimizers.map(\.step) == [6, 6])
        for t in [1, 2] {
            let rows = try JSONL.read(DPOMetrics.self, from: layout.metrics(t))
            #expect(rows.map(\.step) == Array(1...6) && rows.allSatisfy { $0.learningRate == 0.05 })
            let saved = try toy.checkpoint(layout, round: t)
            #expect(saved?.state.optimizer == "host-momentum-sgd" && saved?.state.optimizerStep == 6)
            #expect(saved?.optimizer.tensors["velocity"]?.values == optimizers[t - 1].state().tensors["velocity"]?.values)
        }
        // The policy moved: π_1 differs from π_0.
        let values = { (id: ModelID) throws -> [Float] in
            let p = try store.policy(id).trainableParameters
            return p.backend.download(p.values)
        }
        #expect(try values(.policy(0)) != values(.policy(1)))
    }

    @Test("a checkpoint written with it is not resumed with another optimizer")
    func resumeChecksTheOptimizer() throws {
        let (policy, pairs, reference) = try CustomLossTests.tabularSetup()
        let folder = try ScratchFolder("custom-optimizer-resume")
        defer { folder.remove() }
        var config = DPOConfiguration(loss: try DPOLoss(beta: 0.1), optimizer: .sgd, learningRate: 0.5, batchSize: 4,
                                      steps: 2, evaluationInterval: 0, checkpointInterval: 1, seed: 3)
        _ = try StandardDPOTrainer(configuration: config, optimizer: HostMomentumSGD(momentum: 0.9), checkpointFolder: folder.url)
            .train(policy, pairs: pairs, reference: reference)
        config.steps = 3
        let error = #expect(throws: DPOTrainingError.self) {
            _ = try StandardDPOTrainer(configuration: config, checkpointFolder: folder.url, resume: true)
                .train(policy, pairs: pairs, reference: reference)
        }
        guard let error, case let .resumeMismatch(_, reason) = error else {
            Issue.record("expected resumeMismatch, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("host-momentum-sgd") && reason.contains("sgd"), "\(reason)")
    }
}
