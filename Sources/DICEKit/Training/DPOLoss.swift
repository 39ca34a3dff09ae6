// DPOLoss: the DPO loss family on per-pair sequence log-probs, with closed-form derivatives
// that feed a policy's pullback. Definitions follow TRL's DPOTrainer (dpo_trainer.py).
//
// Notation, per pair: ρ_w = log π(y_w|x) − log π_ref(y_w|x), ρ_l likewise for the rejected
// response, Δ = ρ_w − ρ_l, z = β·Δ, σ the logistic function, ε the label smoothing.

import Foundation

/// A DPO-family loss: the per-pair term of `kind`, averaged over the batch, plus an optional
/// SFT term `sftWeight · (−Σ_pairs log π(y_w|x)) / Σ_pairs |y_w|` (TRL's `sft` loss: the mean
/// negative log-likelihood per chosen token). The `PreferenceLoss` that `DPOConfiguration`
/// stores and trainers use unless given another.
public struct DPOLoss: PreferenceLoss, Sendable, Hashable, Codable {
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

    /// - Throws: `DPOTrainingError.invalidSetting` naming the setting (see `validate()`).
    public init(kind: Kind = .sigmoid, beta: Double = 0.1, labelSmoothing: Double = 0, sftWeight: Double = 0) throws {
        self.kind = kind
        self.beta = beta
        self.labelSmoothing = labelSmoothing
        self.sftWeight = sftWeight
        try validate()
    }

    /// The name of the per-pair term (`"sigmoid"`, `"robust"`, `"ipo"`, `"hinge"`), recorded in
    /// checkpoints.
    public var name: String { kind.rawValue }

    /// Checks the settings (a decoded loss skips `init`'s check).
    /// - Throws: `DPOTrainingError.invalidSetting` naming `beta` (not a finite number > 0),
    ///   `labelSmoothing` (outside [0, 0.5] for sigmoid, [0, 0.5) for robust, not 0 for ipo and
    ///   hinge) or `sftWeight` (not a finite number ≥ 0).
    public func validate() throws {
        guard beta > 0, beta.isFinite else {
            throw DPOTrainingError.invalidSetting(name: "beta", value: "\(beta)", expected: "a finite number > 0")
        }
        switch kind {
        case .sigmoid where !(0...0.5).contains(labelSmoothing):
            throw DPOTrainingError.invalidSetting(name: "labelSmoothing", value: "\(labelSmoothing)",
                                                  expected: "a number in [0, 0.5] for the sigmoid loss")
        case .robust where !(labelSmoothing >= 0 && labelSmoothing < 0.5):
            throw DPOTrainingError.invalidSetting(name: "labelSmoothing", value: "\(labelSmoothing)",
                                                  expected: "a number in [0, 0.5) for the robust loss")
        case .ipo where labelSmoothing != 0, .hinge where labelSmoothing != 0:
            throw DPOTrainingError.invalidSetting(name: "labelSmoothing", value: "\(labelSmoothing)",
                                                  expected: "0 (the \(kind.rawValue) loss has no label smoothing)")
        default: break
        }
        guard sftWeight >= 0, sftWeight.isFinite else {
            throw DPOTrainingError.invalidSetting(name: "sftWeight", value: "\(sftWeight)", expected: "a finite number ≥ 0")
        }
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
    /// `batchChosenTokens` chosen tokens in all, and its derivatives with respect to each pair's
    /// policy log-probs (see `PreferenceLoss`). Summing the contributions of the micro-batches of
    /// a batch gives the batch's loss and gradient exactly.
    public func evaluate(_ pairs: [PairLogProbs], batchPairs: Int, batchChosenTokens: Int) -> PreferenceLossContribution {
        let n = Double(max(1, batchPairs))
        let tokens = Double(max(1, batchChosenTokens))
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
        return PreferenceLossContribution(loss: loss, dChosen: dw, dRejected: dl)
    }

    /// log σ(x), stable for large |x|.
    static func logSigmoid(_ x: Double) -> Double { -(max(-x, 0) + log1p(exp(-abs(x)))) }
    /// σ(x), stable for large |x|.
    static func sigmoid(_ x: Double) -> Double { x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x)) }
}
