import Testing
@testable import DICEKit

/// Bad shapes and indices throw typed errors that name what was expected; nothing crashes.
@Suite("Tensor errors")
struct TensorErrorTests {
    let backend = CPUBackend()

    @Test func matmulInnerDimensionMismatchNamesBothShapes() throws {
        let a = try Tensor(zeros: [3, 4], on: backend)
        let b = try Tensor(zeros: [5, 2], on: backend)
        let c = try Tensor(zeros: [3, 2], on: backend)
        #expect(throws: TensorError.shapeMismatch(operation: "matmul", expected: [4, 2], actual: [5, 2])) {
            try a.matmul(b, into: c)
        }
    }

    @Test func matmulOutputShapeMismatch() throws {
        let a = try Tensor(zeros: [3, 4], on: backend)
        let b = try Tensor(zeros: [2, 4], on: backend)
        let c = try Tensor(zeros: [3, 3], on: backend)
        #expect(throws: TensorError.shapeMismatch(operation: "matmul", expected: [3, 2], actual: [3, 3])) {
            try a.matmul(b, transposeOther: true, into: c)
        }
    }

    @Test func matmulComputesWhenShapesAgree() throws {
        let a = try Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3], on: backend)
        let b = try Tensor([1, 0, 0, 1, 1, 1], shape: [3, 2], on: backend)
        let c = try Tensor(zeros: [2, 2], on: backend)
        try a.matmul(b, into: c)
        #expect(c.toArray() == [4, 5, 10, 11])
    }

    @Test func tokenIDBeyondVocabularyThrows() throws {
        let table = try Tensor(zeros: [10, 4], on: backend)
        let out = try Tensor(zeros: [3, 4], on: backend)
        #expect(throws: TensorError.indexOutOfRange(operation: "embedding", index: 10, position: 2, bound: 10)) {
            try Tensor.embedding(ids: [0, 9, 10], table: table, into: out)
        }
        #expect(throws: TensorError.indexOutOfRange(operation: "embedding", index: -1, position: 0, bound: 10)) {
            try Tensor.embedding(ids: [-1, 9, 1], table: table, into: out)
        }
    }

    @Test func targetBeyondVocabularyThrows() throws {
        let logits = try Tensor(zeros: [2, 5], on: backend)
        let logp = try Tensor(zeros: [2], on: backend)
        let lse = try Tensor(zeros: [2], on: backend)
        #expect(throws: TensorError.indexOutOfRange(operation: "logSoftmaxGather", index: 5, position: 1, bound: 5)) {
            try logits.logSoftmaxGather(targets: [0, 5], into: logp, lse: lse)
        }
    }

    @Test func countMismatchAndNegativeDimensions() throws {
        #expect(throws: TensorError.countMismatch(operation: "Tensor(values:shape:)", shape: [2, 2], count: 3)) {
            _ = try Tensor([1, 2, 3], shape: [2, 2], on: backend)
        }
        #expect(throws: TensorError.self) { _ = try Tensor(zeros: [2, -1], on: backend) }
        #expect(throws: TensorError.self) { _ = try Tensor(zeros: [Int.max, 4], on: backend) }
        let t = try Tensor(zeros: [4, 3], on: backend)
        #expect(throws: TensorError.self) { _ = try t.rows(3..<5) }
        #expect(throws: TensorError.countMismatch(operation: "Tensor(shape:storage:)", shape: [5], count: 12)) {
            _ = try t.reshaped([5])
        }
    }

    @Test func attentionRejectsBadGroupingAndLayouts() throws {
        let q = try Tensor(zeros: [4, 3, 2], on: backend)
        let k = try Tensor(zeros: [4, 2, 2], on: backend)
        let out = try Tensor(zeros: [4, 3, 2], on: backend)
        let lse = try Tensor(zeros: [4, 3], on: backend)
        #expect(throws: TensorError.self) {
            try Tensor.attention(q: q, k: k, v: k, into: out, lse: lse,
                                 sequences: [AttentionSequence(start: 0, count: 4)], scale: 1)
        }
        let k1 = try Tensor(zeros: [4, 1, 2], on: backend)
        #expect(throws: TensorError.self) {
            try Tensor.attention(q: q, k: k1, v: k1, into: out, lse: lse,
                                 sequences: [AttentionSequence(start: 2, count: 3)], scale: 1)
        }
        #expect(throws: TensorError.self) {
            try Tensor.attention(q: q, k: k1, v: k1, into: out, lse: lse,
                                 sequences: [AttentionSequence(queryStart: 0, queryCount: 3, keyStart: 0, keyCount: 2)],
                                 scale: 1)
        }
    }

    @Test func ropeRejectsOddHeadSizeAndPositionCount() throws {
        let x = try Tensor(zeros: [2, 1, 3], on: backend)
        #expect(throws: TensorError.self) { try x.applyRope(positions: [0, 1], inverseFrequencies: [1]) }
        let y = try Tensor(zeros: [2, 1, 4], on: backend)
        #expect(throws: TensorError.shapeMismatch(operation: "rope", expected: [2], actual: [3])) {
            try y.applyRope(positions: [0, 1, 2], inverseFrequencies: [1, 0.01])
        }
        #expect(throws: TensorError.shapeMismatch(operation: "rope", expected: [2], actual: [3])) {
            try y.applyRope(positions: [0, 1], inverseFrequencies: [1, 0.1, 0.01])
        }
    }
}
