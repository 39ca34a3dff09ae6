import Foundation
import Testing
@testable import DICEKit

/// What a training forward pass keeps for its backward, counted from the tensors it holds: every
/// block before the last keeps exactly what `MemoryPlan` counts per token — its input and the
/// residual after attention with the norms' statistics, q, k, v, the attention output and its
/// log-sum-exps, the MLP's gate and up (GPT-2: fc; a pass through a LoRA adapter keeps no up),
/// the q/k norms' and post-norms' inputs — and neither a norm's output nor the MLP's activation,
/// which the backward recomputes. On every fixture architecture. (That the recomputing backward
/// gives the right gradients is TransformerGoldenTests' and ArchitectureParityTests' PyTorch
/// goldens; that checkpointing gives its bits, ActivationCheckpointingTests; that LoRA's
/// recomputed up projection gives the bits of checkpointing's recomputed blocks, which keep it,
/// LoRACheckpointingTests.)
@Suite("Saved activations")
struct SavedActivationsTests {
    /// The distinct buffer ranges of every `Tensor` reachable from `value`, by buffer identity and
    /// offset, with their element counts (a reshaped view of a tensor counts once).
    static func tensors(in value: Any, into found: inout [String: Int]) {
        if let t = value as? Tensor {
            found["\(ObjectIdentifier(t.storage.buffer as AnyObject))+\(t.storage.offset)"] = t.storage.count
            return
        }
        for child in Mirror(reflecting: value).children { tensors(in: child.value, into: &found) }
    }

    @Test(arguments: Fixtures.modelNames, [false, true])
    func blocksKeepWhatThePlanCounts(_ name: String, lora: Bool) throws {
        let directory = try ModelDirectory.read(from: Fixtures.model(name))
        let model = try TransformerLM(directory, backend: CPUBackend())
        if lora {
            // An adapter keeps nothing between its forward and backward (LoRAAdapter+Layer).
            let adapter = try LoRAAdapter(configuration: LoRAConfiguration(rank: 4, alpha: 4, dropout: 0.1, seed: 1), for: model)
            try adapter.initialize()
            try model.attach(adapter)
        }
        let pairs = PrefixSharingTests.batch(vocabulary: model.spec.vocabularySize)
        let packed = try PackedBatch(pairs: pairs, spec: model.spec, sharePrompts: true)
        let state = try model.forward(packed, training: true)
        let perToken = MemoryPlan.Shape(directory.config).savedPerToken(keepsUp: !lora)
        #expect(state.blocks.items.count == model.blocks.count)
        for (l, memory) in state.blocks.items.dropLast().enumerated() {
            guard case let .saved(saved) = memory else {
                Issue.record("\(name) block \(l): kept only its input without checkpointing")
                continue
            }
            var found: [String: Int] = [:]
            Self.tensors(in: saved, into: &found)
            let kept = found.values.reduce(0, +)
            #expect(Double(kept) == perToken * Double(packed.tokens.count),
                    "\(name) block \(l): keeps \(kept) floats for \(packed.tokens.count) tokens, the plan counts \(perToken) per token")
        }
    }

    /// The backward takes each block's memory from the pass's state as it goes, so that a block's
    /// activations are released once its backward is done; a second backward of the same pass
    /// throws instead of running on what is gone.
    @Test func backwardReleasesWhatTheBlocksKept() throws {
        let model = try TransformerLM(directory: Fixtures.model("llama-gqa-tied"), backend: CPUBackend())
        let pairs = PrefixSharingTests.batch(vocabulary: model.spec.vocabularySize)
        let state = try model.forward(try PackedBatch(pairs: pairs, spec: model.spec, sharePrompts: true), training: true)
        #expect(state.blocks.items.count == model.blocks.count)
        let dlogits = try Tensor(zeros: try #require(state.logits).shape, on: model.backend)
        try model.backward(state, dlogits: dlogits)
        #expect(state.blocks.items.isEmpty)
        #expect(throws: ModelError.backwardRepeated) { try model.backward(state, dlogits: dlogits) }
    }
}

