/// Sequences laid end to end for one forward pass, with no padding.
///
/// `tokens[n]` is the input at packed row `n`, `positions[n]` its position in its own sequence,
/// and `sequences` the attention layout. `outputRows` are the packed rows whose next-token
/// distribution is wanted, as contiguous ranges, and `targets` the token each of those rows
/// is scored against (one per selected row, in order).
struct PackedBatch {
    var tokens: [Int32] = []
    var positions: [Int32] = []
    var sequences: [AttentionSequence] = []
    var outputRows: [Range<Int>] = []
    var targets: [Int32] = []
    /// For each pair of the caller's batch, its range in `targets` (empty when nothing is scored).
    var targetRanges: [Range<Int>] = []

    var selectedCount: Int { targets.count }

    /// Packs prompt/response pairs for scoring: each pair's input is prompt + response minus
    /// its last token, and only the rows that predict response tokens produce logits.
    /// - Throws: `ModelError.invalidInput` for an empty prompt, an id outside the vocabulary
    ///   or a sequence longer than `spec.maxPositions`.
    init(pairs: [TokenPair], spec: TransformerSpec) throws {
        for (i, pair) in pairs.enumerated() {
            guard !pair.prompt.isEmpty else {
                throw ModelError.invalidInput(sequence: i, reason: "the prompt is empty (it needs at least one token, e.g. BOS)")
            }
            let ids = pair.prompt + pair.response
            try Self.check(ids, sequence: i, spec: spec)
            let start = targets.count
            if pair.response.isEmpty {
                targetRanges.append(start..<start)
                continue
            }
            let input = ids.dropLast()
            let base = tokens.count
            tokens += input.map { Int32($0) }
            positions += (0..<input.count).map { Int32($0) }
            sequences.append(AttentionSequence(start: base, count: input.count))
            outputRows.append((base + pair.prompt.count - 1)..<(base + input.count))
            targets += pair.response.map { Int32($0) }
            targetRanges.append(start..<targets.count)
        }
    }

    /// Packs whole sequences with every row selected (for logits of all positions).
    init(sequencesOfTokens: [[Int]], spec: TransformerSpec) throws {
        for (i, ids) in sequencesOfTokens.enumerated() {
            guard !ids.isEmpty else { throw ModelError.invalidInput(sequence: i, reason: "empty sequence") }
            try Self.check(ids, sequence: i, spec: spec)
            let base = tokens.count
            tokens += ids.map { Int32($0) }
            positions += (0..<ids.count).map { Int32($0) }
            sequences.append(AttentionSequence(start: base, count: ids.count))
            outputRows.append(base..<(base + ids.count))
        }
    }

    private static func check(_ ids: [Int], sequence: Int, spec: TransformerSpec) throws {
        if let bad = ids.first(where: { $0 < 0 || $0 >= spec.vocabularySize }) {
            throw ModelError.invalidInput(sequence: sequence,
                                          reason: "token id \(bad) is outside the vocabulary 0..<\(spec.vocabularySize)")
        }
        if ids.count > spec.maxPositions {
            throw ModelError.invalidInput(sequence: sequence,
                                          reason: "\(ids.count) tokens exceed the model's context of \(spec.maxPositions)")
        }
    }
}
