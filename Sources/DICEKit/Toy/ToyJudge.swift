// ToyJudge: the toy task's hidden ground-truth judge as a `Judge`.

/// The toy task's judge: A wins when J(x, A) − J(x, B) > tieMargin, loses when it is
/// < −tieMargin, ties otherwise, with J = mean q(x, w) + coverageBonus·coverage + lengthBias·|y|
/// (`ToyTask.judgeScore`). Deterministic; the noisy labels of offline pairs come from
/// `ToyTask.offlinePairs`.
public struct ToyJudge: Judge, Sendable {
    /// The task whose hidden values decide.
    public let task: ToyTask

    /// Creates the value from its fields.
    public init(task: ToyTask) { self.task = task }

    /// Judges by token ids (the texts are ignored); responses may end with EOS.
    /// - Throws: `DICEError.invalidParameter` for a prompt or response outside the language.
    public func verdict(prompt: TokenizedText, a: TokenizedText, b: TokenizedText) throws -> Verdict {
        let delta = try task.judgeScore(prompt: prompt.tokens, response: a.tokens)
            - task.judgeScore(prompt: prompt.tokens, response: b.tokens)
        if delta > task.config.tieMargin { return .win }
        if delta < -task.config.tieMargin { return .loss }
        return .tie
    }

    /// The judge on bare token ids.
    public func verdict(prompt: [Int], a: [Int], b: [Int]) throws -> Verdict {
        try verdict(prompt: TokenizedText(text: task.render(prompt), tokens: prompt),
                    a: TokenizedText(text: task.render(a), tokens: a),
                    b: TokenizedText(text: task.render(b), tokens: b))
    }
}
