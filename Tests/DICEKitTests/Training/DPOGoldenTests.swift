import Foundation
import Testing
@testable import DICEKit

/// One DPO update of the llama-gqa-tied fixture against PyTorch (Scripts/make_dpo_fixtures.py):
/// sigmoid loss β 0.1, reference log-probs from a perturbed copy, clipping to half the gradient
/// norm, SGD lr 0.1 — loss, TRL metrics and every updated weight within 1e-4 relative.
@Suite("DPO step vs PyTorch")
struct DPOGoldenTests {
    struct Golden: Decodable {
        struct Pair: Decodable { let prompt: [Int], chosen: [Int], rejected: [Int] }
        let pairs: [Pair]
        let beta: Double
        let lr: Double
        let max_grad_norm: Double
        let reference_chosen: [Double]
        let reference_rejected: [Double]
        let loss: Double
        let metrics: [String: Double]
    }

    @Test(arguments: [4, 2, 1])
    func sgdStepMatchesPyTorch(microBatch: Int) throws {
        let dir = Fixtures.root.appendingPathComponent("dpo")
        let golden = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: dir.appendingPathComponent("sgd_step.json")))
        let want = try SafeTensorsFile(contentsOf: dir.appendingPathComponent("sgd_step.safetensors"))
        let model = try TransformerLM(directory: Fixtures.model("llama-gqa-tied"), backend: CPUBackend())
        let pairs = golden.pairs.map { PreferencePair(prompt: $0.prompt, chosen: $0.chosen, rejected: $0.rejected) }
        let config = DPOConfiguration(loss: try DPOLoss(kind: .sigmoid, beta: golden.beta), optimizer: .sgd,
                                      learningRate: golden.lr, batchSize: 4, microBatchSize: microBatch, steps: 1,
                                      maxGradNorm: golden.max_grad_norm)
        var metrics: DPOMetrics?
        let trainer = StandardDPOTrainer(configuration: config) { event in
            if case .step(let m) = event { metrics = m }
        }
        _ = try trainer.train(model, pairs: pairs, reference: ReferenceLogProbs(
            chosen: golden.reference_chosen, rejected: golden.reference_rejected))
        let m = try #require(metrics)
        let got: [String: Double] = [
            "loss": m.loss, "rewards/chosen": m.rewardsChosen, "rewards/rejected": m.rewardsRejected,
            "rewards/margins": m.rewardsMargins, "rewards/accuracies": m.rewardsAccuracies,
            "logps/chosen": m.logpsChosen, "logps/rejected": m.logpsRejected, "grad_norm": m.gradNorm ?? .nan,
            "learning_rate": m.learningRate ?? .nan,
        ]
        for (name, w) in golden.metrics {
            let g = try #require(got[name], "metric \(name)")
            // Rewards are small differences of large log-probs: compare on the log-prob scale.
            let scale = name.hasPrefix("rewards/") && name != "rewards/accuracies" ? golden.beta * 10 : max(1e-3, abs(w))
            #expect(abs(g - w) <= 1e-4 * scale, "\(name): \(g) vs \(w)")
        }
        let initial = try ModelDirectory.read(from: Fixtures.model("llama-gqa-tied"))
        for entry in model.parameters.entries {
            let w = try want.doubles("updated." + entry.name)
            // The update itself (−lr·clipped gradient), as the gradient goldens: 1e-3 relative.
            let before = try #require(initial.tensors[entry.name]).values.map(Double.init)
            let dGot = zip(try model.parameters.get(entry.name), before).map { Double($0) - $1 }
            let dWant = zip(w, before).map { $0 - $1 }
            let dDiff = zip(dGot, dWant).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
            let dNorm = dWant.reduce(0.0) { $0 + $1 * $1 }.squareRoot()
            #expect(dDiff <= 1e-3 * max(dNorm, 1e-9), "\(entry.name): update relative error \(dDiff / dNorm)")
            let g = try model.parameters.get(entry.name)
            let diff = zip(g, w).reduce(0.0) { $0 + (Double($1.0) - $1.1) * (Double($1.0) - $1.1) }.squareRoot()
            let norm = w.reduce(0.0) { $0 + $1 * $1 }.squareRoot()
            #expect(diff <= 1e-4 * norm, "\(entry.name): relative error \(diff / norm)")
        }
    }
}
