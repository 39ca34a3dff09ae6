// DPOLoss: the DPO loss family on per-pair sequence log-probs, with closed-form derivatives
// that feed a policy's pullback. Definitions follow TRL's DPOTrainer (dpo_trainer.py).
//
// Notation, per pair: ρ_w = log π(y_w|x) − log π_ref(y_w|x), ρ_l likewise for the rejected
// response, Δ = ρ_w − ρ_l, z = β·Δ, σ the logistic function, ε the label smoothing.

import Foundation

/// One pair's sequence log-probabilities (sums over response tokens, in nats) and response
/// lengths (in tokens): what every DPO-family loss needs.
public struct PairLogProbs: Sendable, Hashable, Codable {
    /// log π(y_w|x) under the policy.
    public var policyChosen: Double
    /// log π(y_l|x) under the policy.
    public var policyRejected: Double
    /// log π_ref(y_w|x).
    public var referenceChosen: Double
    /// log π_ref(y_l|x).
    public var referenceRejected: Double
    /// |y_w|, tokens scored in the chosen response.
    public var chosenLength: Int
    /// |y_l|.
    public var rejectedLength: Int

    public init(policyChosen: Double, policyRejected: Double, referenceChosen: Double, referenceRejected: Double,
                chosenLength: Int, rejectedLength: Int) {
        self.policyChosen = policyChosen
        self.policyRejected = policyRejected
        self.referenceChosen = referenceChosen
        self.referenceRejected = referenceRejected
        self.chosenLength = chosenLength
        self.rejectedLength = rejectedLength
    }
}

/// A DPO-family loss: the per-pair term of `kind`, averaged over the batch, plus an optional
/// SFT term `sftWeight · (−Σ_pairs log π(y_w|x)) / Σ_pairs |y_w|` (TRL's `sft` loss: the mean
/// negative log-likelihood per chosen token).
public struct DPOLoss: Sendable, Hashable, Codable {
    /// The per-pair term.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// DPO; with ε > 0 the conservative cDPO: −(1−ε)·log σ(z) − ε·log σ(−z).
        case sigmoid
        /// Robust DPO (Chowdhury et al. 2024): (−(1−ε)·log σ(z) + ε·log σ(−z)) / (1 − 2ε).
        case robust
        /// IPO (Azar et al. 2023) on length-averaged log-ratios, as TRL:
        /// (ρ_w/|y_w| − ρ_l/|y_l| − 1/(2β))².
        case ipo
        /// SLiC hinge: max(0, 1 − z).
        case hinge
    }

    /// The per-pair term used.
    public var kind: Kind
    /// β (IPO's τ): the strength of the tie to the reference.
    public var beta: Double
    /// ε: the assumed rate of flipped labels (sigmoid, robust).
    public var labelSmoothing: Double
    /// Weight of the SFT term on the chosen responses (0 disables it).
    public var sftWeight: Double

    /// - Throws: `OptimizationError.invalidHyperparameter` for β ≤ 0, ε outside [0, 0.5]
    ///   (sigmoid) or [0, 0.5) (robust), ε ≠ 0 with ipo or hinge, or a negative SFT weight.
    public init(kind: Kind = .sigmoid, beta: Double = 0.1, labelSmoothing: Double = 0, sftWeight: Double = 0) throws {
        guard beta > 0, beta.isFinite else {
            throw OptimizationError.invalidHyperparameter(name: "beta", value: beta, reason: "must be positive")
        }
        switch kind {
        case .sigmoid where !(0...0.5).contains(labelSmoothing):
            throw OptimizationError.invalidHyperparameter(name: "label_smoothing", value: labelSmoothing,
                                                          reason: "must lie in [0, 0.5] for the sigmoid loss")
        case .robust where !(labelSmoothing >= 0 && labelSmoothing < 0.5):
            throw OptimizationError.invalidHyperparameter(name: "label_smoothing", value: labelSmoothing,
                                                          reason: "must lie in [0, 0.5) for the robust loss")
        case .ipo where labelSmoothing != 0, .hinge where labelSmoothing != 0:
            throw OptimizationError.invalidHyperparameter(name: "label_smoothing", value: labelSmoothing,
                                                          reason: "the \(kind.rawValue) loss has no label smoothing")
        default: break
        }
        guard sftWeight >= 0, sftWeight.isFinite else {
            throw OptimizationError.invalidHyperparameter(name: "sft_weight", value: sftWeight, reason: "must be ≥ 0")
        }
        self.kind = kind
        self.beta = beta
        self.labelSmoothing = labelSmoothing
        self.sftWeight = sftWeight
    }

    /// One pair's term (before averaging) and its derivatives with respect to the policy's
    /// chosen and rejected log-probs.
    public func pairTerm(_ p: PairLogProbs) -> (loss: Double, dChosen: Double, dRejected: Double) {
        let rhoW = p.policyChosen - p.referenceChosen, rhoL = p.policyRejected - p.referenceRejected
        let z = beta * (rhoW - rhoL), e = labelSmoothing
        switch kind {
        // The ε terms only when ε > 0: at z = ±∞ their log σ is −∞, and 0 · (−∞) would be NaN.
        case .sigmoid:
            var loss = -(1 - e) * Self.logSigmoid(z), dz = -(1 - e) * Self.sigmoid(-z)
            if e > 0 {
                loss -= e * Self.logSigmoid(-z)
                dz += e * Self.sigmoid(z)
            }
            return (loss, beta * dz, -beta * dz)
        case .robust:
            var loss = -(1 - e) * Self.logSigmoid(z), dz = -(1 - e) * Self.sigmoid(-z)
            if e > 0 {
                loss += e * Self.logSigmoid(-z)
                dz -= e * Self.sigmoid(z)
            }
            return (loss / (1 - 2 * e), beta * dz / (1 - 2 * e), -beta * dz / (1 - 2 * e))
        case .ipo:
            let nw = Double(max(1, p.chosenLength)), nl = Double(max(1, p.rejectedLength))
            let h = rhoW / nw - rhoL / nl - 1 / (2 * beta)
            return (h * h, 2 * h / nw, -2 * h / nl)
        case .hinge:
            // PyTorch's relu has derivative 0 at 0: none at z = 1.
            return z < 1 ? (1 - z, -beta, beta) : (0, 0, 0)
        }
    }

    /// The contribution of `pairs` to the loss of a batch of `batchPairs` pairs holding
    /// `batchChosenTokens` chosen tokens in all (defaults: `pairs` is the whole batch), and its
    /// derivatives with respect to each pair's policy log-probs. Summing the contributions of
    /// the micro-batches of a batch gives the batch's loss and gradient exactly.
    public func evaluate(_ pairs: [PairLogProbs], batchPairs: Int? = nil, batchChosenTokens: Int? = nil)
        -> (loss: Double, dChosen: [Double], dRejected: [Double]) {
        let n = Double(max(1, batchPairs ?? pairs.count))
        let tokens = Double(max(1, batchChosenTokens ?? pairs.reduce(0) { $0 + $1.chosenLength }))
        var loss = 0.0
        var dw: [Double] = [], dl: [Double] = []
        dw.reserveCapacity(pairs.count)
        dl.reserveCapacity(pairs.count)
        for p in pairs {
            let t = pairTerm(p)
            loss += t.loss / n
            var dc = t.dChosen / n
            if sftWeight > 0 {
                loss -= sftWeight * p.policyChosen / tokens
                dc -= sftWeight / tokens
            }
            dw.append(dc)
            dl.append(t.dRejected / n)
        }
        return (loss, dw, dl)
    }

    /// log σ(x), stable for large |x|.
    static func logSigmoid(_ x: Double) -> Double { -(max(-x, 0) + log1p(exp(-abs(x)))) }
    /// σ(x), stable for large |x|.
    static func sigmoid(_ x: Double) -> Double { x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x)) }
}
