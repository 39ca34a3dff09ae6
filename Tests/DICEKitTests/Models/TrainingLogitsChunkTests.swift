import Foundation
import Testing
@testable import DICEKit

/// A training pass whose selected rows hold more logits than `logitsChunkLimit` projects,
/// reduces and drops them chunk by chunk, and projects each chunk again in the backward. Its
/// log-probs and gradients are the whole-batch pass's to Float32 rounding: OpenBLAS picks its
/// kernels by matrix size, so a chunk's rows are not always summed in the whole product's order.
@Suite("Chunked logits in training passes")
struct TrainingLogitsChunkTests {
    @Test(arguments: Fixtures.modelNames)
    func chunkedPassMatchesWholeBatch(_ name: String) throws {
        let model = try TransformerLM(directory: Fixtures.model(name), backend: CPUBackend())
        let pairs = PrefixSharingTests.batch(vocabulary: model.spec.vocabularySize)
        let weights = [1.0, -0.7, 0.3, 2.0, -1.1, 0.5, 0.9]
        let rows = try PackedBatch(pairs: pairs, spec: model.spec).selectedCount
        let whole = try ActivationCheckpointingTests.run(model, pairs, weights, checkpoint: false)
        // Chunks of 3 rows: several chunks, the last one shorter unless 3 divides the rows.
        model.logitsChunkLimit = 3 * model.spec.vocabularySize
        #expect(rows > 3, "\(name): the batch should need several chunks")
        let chunked = try ActivationCheckpointingTests.run(model, pairs, weights, checkpoint: false)
        #expect(whole.norm > 0, "\(name): no gradient to compare")
        for (a, b) in zip(whole.logProbs, chunked.logProbs) {
            let x = Double(bitPattern: a), y = Double(bitPattern: b)
            #expect(abs(x - y) <= 1e-6 * max(1, abs(x)), "\(name): log-prob \(x) against \(y)")
        }
        var difference = 0.0, norm = 0.0
        for (a, b) in zip(whole.gradients, chunked.gradients) {
            let x = Double(Float(bitPattern: a)), y = Double(Float(bitPattern: b))
            difference += (x - y) * (x - y)
            norm += x * x
        }
        #expect((difference / norm).squareRoot() < 1e-5, "\(name): gradients differ by \((difference / norm).squareRoot()) relative")
    }
}
