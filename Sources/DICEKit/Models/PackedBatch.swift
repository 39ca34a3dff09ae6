/// Sequences laid end to end for one forward pass, with no padding.
///
/// `tokens[n]` is the input at packed row `n`, `positions[n]` its position in its own sequence,
/// and `sequences` the attention layout. `outputRows` are the packed rows whose next-token
/// distribution is wanted, as contiguous ranges, and `targets` the token each selected row is
/// scored against, in order. Only the output rows go through the last block's feed-forward
/// half, the final norm and the output projection.
///
/// Prefix sharing: pairs with identical prompts are laid out as the prompt minus its last token
/// once, followed by each response's inputs (the prompt's last token, then the response minus
/// its last token); each response attends to the shared rows as a key prefix. Every logit
/// equals the one the plain layout computes.
struct PackedBatch {
    var tokens: [Int32] = []
    var positions: [Int32] = []
    var sequences: [AttentionSequence] = []
    var outputRows: [Range<Int>] = []
    var targets: [Int32] = []
    /// For each pair of the caller's batch, its range in `targets` (empty when nothing is scored).
    var targetRanges: [Range<Int>] = []

    var selectedCount: Int { targets.count }

    /// Packs prompt/response pairs for scoring: a pair's input is prompt + response minus its
    /// last token, and only the rows that predict response tokens produce logits. With
    /// `sharePrompts`, pairs whose prompts are identical share one computation of the prompt.
    /// - Throws: `ModelError.invalidInput` for an empty prompt, an id outside the vocabulary
    ///   or a sequence longer than `spec.maxPositions`.
    init(pairs: [TokenPair], spec: TransformerSpec, sharePrompts: Bool = true) throws {
        try pack(pairs, spec: spec, sharePrompts: sharePrompts, sequenceEnds: false)
    }

    /// Packs prompt/response pairs for a sequence classifier: a pair's input is the whole
    /// prompt + response, and only its last row produces an output (`outputRows[i]` is pair i's
    /// last token, in pair order; no targets). An empty response ends at the prompt's last token.
    /// Prompts are shared as in `init(pairs:spec:sharePrompts:)`.
    /// - Throws: as `init(pairs:spec:sharePrompts:)`.
    init(sequenceEndsOf pairs: [TokenPair], spec: TransformerSpec, sharePrompts: Bool = true) throws {
        try pack(pairs, spec: spec, sharePrompts: sharePrompts, sequenceEnds: true)
    }

    /// Lays out `pairs` grouped by prompt (first-appearance order): the prompt minus its last
    /// token once per group, then each member's input — the prompt's last token and the response
    /// (minus its last token when scoring), whose queries see the shared prefix.
    private mutating func pack(_ pairs: [TokenPair], spec: TransformerSpec, sharePrompts: Bool,
                               sequenceEnds: Bool) throws {
        targetRanges = Array(repeating: 0..<0, count: pairs.count)
        var groups: [[Int]] = []
        var groupOfPrompt: [[Int]: Int] = [:]
        for (i, pair) in pairs.enumerated() {
            guard !pair.prompt.isEmpty else {
                throw ModelError.invalidInput(sequence: i, reason: "the prompt is empty (it needs at least one token, e.g. BOS)")
            }
            try Self.check(pair.prompt + pair.response, sequence: i, spec: spec)
            if pair.response.isEmpty && !sequenceEnds { continue }
            if sharePrompts, let g = groupOfPrompt[pair.prompt] {
                groups[g].append(i)
            } else {
                groupOfPrompt[pair.prompt] = groups.count
                groups.append([i])
            }
        }
        var ends = [Range<Int>](repeating: 0..<0, count: sequenceEnds ? pairs.count : 0)
        for group in groups {
            let prompt = pairs[group[0]].prompt
            let promptStart = tokens.count, p = prompt.count
            // The prompt minus its last token attends to itself; the last prompt token is fed
            // with each response, whose queries see the shared prefix before it.
            let shared = p - 1
            if shared > 0 {
                tokens += prompt.prefix(shared).map { Int32($0) }
                positions += (0..<shared).map { Int32($0) }
                sequences.append(AttentionSequence(start: promptStart, count: shared))
            }
            for i in group {
                let response = pairs[i].response
                let input = [prompt[p - 1]] + (sequenceEnds ? response[...] : response.dropLast())
                let base = tokens.count
                tokens += input.map { Int32($0) }
                positions += (0..<input.count).map { Int32(shared + $0) }
                sequences.append(AttentionSequence(start: base, count: input.count,
                                                   prefixStart: promptStart, prefixCount: shared))
                if sequenceEnds {
                    ends[i] = (base + input.count - 1)..<(base + input.count)
                    continue
                }
                outputRows.append(base..<(base + input.count))
                let start = targets.count
                targets += response.map { Int32($0) }
                targetRanges[i] = start..<targets.count
            }
        }
        if sequenceEnds { outputRows = ends }
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
