// DPOMetrics: the numbers TRL's DPOTrainer logs, under TRL's names.

/// What one training step (or one validation pass) measured, encoded under TRL's names:
/// `loss`, `rewards/chosen`, `rewards/rejected`, `rewards/margins`, `rewards/accuracies`,
/// `logps/chosen`, `logps/rejected`, `grad_norm`, `learning_rate` (validation rows carry the
/// `eval_` prefix, as TRL's evaluation logs do, and no gradient norm or learning rate).
///
/// Rewards are β·(log π − log π_ref) per response, averaged over the pairs; accuracy is the
/// share of pairs whose chosen reward is strictly above the rejected one; log-probs are the
/// summed response log-probs (nats), averaged.
public struct DPOMetrics: Sendable, Hashable, Codable {
    /// Updates completed when this was measured (1 after the first update).
    public var step: Int
    /// Passes over the training pairs so far (fractional).
    public var epoch: Double
    /// Whether these are validation figures.
    public var isValidation: Bool
    /// The batch's mean loss (`loss`).
    public var loss: Double
    /// Mean β·(log π − log π_ref) of the chosen responses (`rewards/chosen`).
    public var rewardsChosen: Double
    /// Mean β·(log π − log π_ref) of the rejected responses (`rewards/rejected`).
    public var rewardsRejected: Double
    /// Mean chosen minus rejected reward (`rewards/margins`).
    public var rewardsMargins: Double
    /// Share of pairs whose chosen reward is strictly above the rejected one (`rewards/accuracies`).
    public var rewardsAccuracies: Double
    /// Mean summed log-prob of the chosen responses under the policy, in nats (`logps/chosen`).
    public var logpsChosen: Double
    /// Mean summed log-prob of the rejected responses under the policy, in nats (`logps/rejected`).
    public var logpsRejected: Double
    /// Global L2 norm of the gradient before clipping (training only).
    public var gradNorm: Double?
    /// The learning rate of this update (training only).
    public var learningRate: Double?

    /// Figures measured elsewhere (a custom trainer's), field by field; `measure` builds them
    /// from per-pair log-probs.
    public init(step: Int, epoch: Double, isValidation: Bool, loss: Double, rewardsChosen: Double,
                rewardsRejected: Double, rewardsMargins: Double, rewardsAccuracies: Double, logpsChosen: Double,
                logpsRejected: Double, gradNorm: Double? = nil, learningRate: Double? = nil) {
        self.step = step
        self.epoch = epoch
        self.isValidation = isValidation
        self.loss = loss
        self.rewardsChosen = rewardsChosen
        self.rewardsRejected = rewardsRejected
        self.rewardsMargins = rewardsMargins
        self.rewardsAccuracies = rewardsAccuracies
        self.logpsChosen = logpsChosen
        self.logpsRejected = logpsRejected
        self.gradNorm = gradNorm
        self.learningRate = learningRate
    }

    /// The figures under TRL's names (`eval_`-prefixed for validation), without step and epoch.
    public var values: [String: Double] {
        let p = isValidation ? "eval_" : ""
        var out = [p + "loss": loss, p + "rewards/chosen": rewardsChosen, p + "rewards/rejected": rewardsRejected,
                   p + "rewards/margins": rewardsMargins, p + "rewards/accuracies": rewardsAccuracies,
                   p + "logps/chosen": logpsChosen, p + "logps/rejected": logpsRejected]
        if let gradNorm { out["grad_norm"] = gradNorm }
        if let learningRate { out["learning_rate"] = learningRate }
        return out
    }

    /// Encodes `step`, `epoch` and `values` as one flat object under TRL's names (a row of
    /// `metrics.jsonl`).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(step, forKey: Key("step"))
        try c.encode(epoch, forKey: Key("epoch"))
        for (name, value) in values { try c.encode(value, forKey: Key(name)) }
    }

    fileprivate struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ s: String) { stringValue = s }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// The batch figures of `pairs` under β: mean rewards β·(log π − log π_ref), margins,
    /// accuracy (chosen reward strictly above rejected) and mean log-probs; `loss` is supplied
    /// by the caller, which knows its loss.
    public static func measure(_ pairs: [PairLogProbs], loss: Double, beta: Double, step: Int, epoch: Double,
                        isValidation: Bool) -> DPOMetrics {
        let n = Double(max(1, pairs.count))
        var rc = 0.0, rr = 0.0, acc = 0.0, lc = 0.0, lr = 0.0
        for p in pairs {
            let c = beta * (p.policyChosen - p.referenceChosen), r = beta * (p.policyRejected - p.referenceRejected)
            rc += c
            rr += r
            acc += c > r ? 1 : 0
            lc += p.policyChosen
            lr += p.policyRejected
        }
        return DPOMetrics(step: step, epoch: epoch, isValidation: isValidation, loss: loss,
                          rewardsChosen: rc / n, rewardsRejected: rr / n, rewardsMargins: (rc - rr) / n,
                          rewardsAccuracies: acc / n, logpsChosen: lc / n, logpsRejected: lr / n,
                          gradNorm: nil, learningRate: nil)
    }
}

extension DPOMetrics {
    /// Reads a row written by `encode(to:)` (a validation row is one with `eval_loss`).
    /// - Throws: `DecodingError` naming the missing field.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        step = try c.decode(Int.self, forKey: Key("step"))
        epoch = try c.decode(Double.self, forKey: Key("epoch"))
        isValidation = c.contains(Key("eval_loss"))
        let p = isValidation ? "eval_" : ""
        func value(_ name: String) throws -> Double { try c.decode(Double.self, forKey: Key(p + name)) }
        loss = try value("loss")
        rewardsChosen = try value("rewards/chosen")
        rewardsRejected = try value("rewards/rejected")
        rewardsMargins = try value("rewards/margins")
        rewardsAccuracies = try value("rewards/accuracies")
        logpsChosen = try value("logps/chosen")
        logpsRejected = try value("logps/rejected")
        gradNorm = try c.decodeIfPresent(Double.self, forKey: Key("grad_norm"))
        learningRate = try c.decodeIfPresent(Double.self, forKey: Key("learning_rate"))
    }
}
