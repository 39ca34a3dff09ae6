import Foundation
import Testing
@testable import DICEKit

/// Each loss against its closed form written out independently on hand-made log-probs, and
/// each derivative against central finite differences of the loss.
@Suite("DPO losses")
struct DPOLossTests {
    /// Hand-made pairs: policy/reference chosen/rejected log-probs and lengths.
    static let pairs: [PairLogProbs] = [
        PairLogProbs(policyChosen: -12.5, policyRejected: -14.0, referenceChosen: -13.0, referenceRejected: -13.5,
                     chosenLength: 5, rejectedLength: 7),
        PairLogProbs(policyChosen: -30.0, policyRejected: -9.0, referenceChosen: -28.0, referenceRejected: -11.0,
                     chosenLength: 12, rejectedLength: 3),
        PairLogProbs(policyChosen: -4.0, policyRejected: -4.0, referenceChosen: -4.0, referenceRejected: -4.0,
                     chosenLength: 1, rejectedLength: 1),
        PairLogProbs(policyChosen: -100.0, policyRejected: -250.0, referenceChosen: -120.0, referenceRejected: -200.0,
                     chosenLength: 40, rejectedLength: 90),
    ]

    /// The per-pair closed forms, spelled out with plain exp/log (the oracle).
    static func closedForm(_ kind: DPOLoss.Kind, beta: Double, epsilon: Double, _ p: PairLogProbs) -> Double {
        let rw = p.policyChosen - p.referenceChosen, rl = p.policyRejected - p.referenceRejected
        let z = beta * (rw - rl)
        func logsig(_ x: Double) -> Double { -log(1 + exp(-x)) }
        switch kind {
        case .sigmoid: return -(1 - epsilon) * logsig(z) - epsilon * logsig(-z)
        case .robust: return (-(1 - epsilon) * logsig(z) + epsilon * logsig(-z)) / (1 - 2 * epsilon)
        case .ipo:
            let h = rw / Double(p.chosenLength) - rl / Double(p.rejectedLength)
            return (h - 1 / (2 * beta)) * (h - 1 / (2 * beta))
        case .hinge: return max(0, 1 - z)
        }
    }

    static let settings: [(DPOLoss.Kind, Double, Double)] = [
        (.sigmoid, 0.1, 0), (.sigmoid, 0.5, 0.2), (.robust, 0.1, 0.1), (.robust, 0.3, 0.4),
        (.ipo, 0.1, 0), (.ipo, 0.5, 0), (.hinge, 0.1, 0), (.hinge, 2.0, 0),
    ]

    @Test(arguments: 0..<settings.count)
    func matchesClosedForm(_ index: Int) throws {
        let (kind, beta, epsilon) = Self.settings[index]
        let loss = try DPOLoss(kind: kind, beta: beta, labelSmoothing: epsilon)
        let want = Self.pairs.map { Self.closedForm(kind, beta: beta, epsilon: epsilon, $0) }.reduce(0, +)
            / Double(Self.pairs.count)
        let got = loss.evaluate(Self.pairs).loss
        #expect(abs(got - want) <= 1e-12 * max(1, abs(want)), "\(kind) β=\(beta) ε=\(epsilon): \(got) vs \(want)")
    }

    @Test(arguments: 0..<settings.count)
    func derivativesMatchFiniteDifferences(_ index: Int) throws {
        let (kind, beta, epsilon) = Self.settings[index]
        let loss = try DPOLoss(kind: kind, beta: beta, labelSmoothing: epsilon, sftWeight: 0.3)
        let whole = loss.evaluate(Self.pairs)
        let (dw, dl) = (whole.dChosen, whole.dRejected)
        let h = 1e-5
        for i in Self.pairs.indices {
            for chosen in [true, false] {
                func at(_ shift: Double) -> Double {
                    var ps = Self.pairs
                    if chosen { ps[i].policyChosen += shift } else { ps[i].policyRejected += shift }
                    return loss.evaluate(ps).loss
                }
                let numeric = (at(h) - at(-h)) / (2 * h)
                let analytic = chosen ? dw[i] : dl[i]
                // Hinge has a kink at z = 1 that no pair here sits on.
                #expect(abs(numeric - analytic) <= 1e-6 * max(1, abs(numeric)),
                        "\(kind) pair \(i) \(chosen ? "chosen" : "rejected"): \(analytic) vs \(numeric)")
            }
        }
    }

    @Test func sftTermIsMeanNegativeLogLikelihoodPerChosenToken() throws {
        let plain = try DPOLoss(kind: .sigmoid, beta: 0.1)
        let withSFT = try DPOLoss(kind: .sigmoid, beta: 0.1, sftWeight: 0.5)
        let tokens = Double(Self.pairs.reduce(0) { $0 + $1.chosenLength })
        let nll = -Self.pairs.reduce(0) { $0 + $1.policyChosen } / tokens
        #expect(abs(withSFT.evaluate(Self.pairs).loss - plain.evaluate(Self.pairs).loss - 0.5 * nll) < 1e-12)
    }

    @Test func microBatchContributionsSumToTheBatch() throws {
        let loss = try DPOLoss(kind: .robust, beta: 0.2, labelSmoothing: 0.1, sftWeight: 0.2)
        let whole = loss.evaluate(Self.pairs)
        let tokens = Self.pairs.reduce(0) { $0 + $1.chosenLength }
        let a = loss.evaluate(Array(Self.pairs[0..<2]), batchPairs: 4, batchChosenTokens: tokens)
        let b = loss.evaluate(Array(Self.pairs[2..<4]), batchPairs: 4, batchChosenTokens: tokens)
        #expect(abs(a.loss + b.loss - whole.loss) < 1e-12)
        #expect(zip(a.dChosen + b.dChosen, whole.dChosen).allSatisfy { abs($0 - $1) < 1e-15 })
        #expect(zip(a.dRejected + b.dRejected, whole.dRejected).allSatisfy { abs($0 - $1) < 1e-15 })
    }

    @Test func extremeMarginsStayFinite() throws {
        let loss = try DPOLoss(kind: .sigmoid, beta: 1)
        let far = PairLogProbs(policyChosen: -1e4, policyRejected: 0, referenceChosen: 0, referenceRejected: 0,
                               chosenLength: 1, rejectedLength: 1)
        let r = loss.evaluate([far])
        #expect(r.loss.isFinite && abs(r.loss - 1e4) < 1e-6)
        #expect(abs(r.dChosen[0] + 1) < 1e-12)
    }

    /// Each bad setting is refused with `invalidSetting` naming it and the value given.
    @Test func rejectsBadHyperparameters() {
        let cases: [(name: String, value: String, make: () throws -> DPOLoss)] = [
            ("beta", "0.0", { try DPOLoss(kind: .sigmoid, beta: 0) }),
            ("beta", "inf", { try DPOLoss(kind: .sigmoid, beta: .infinity) }),
            ("labelSmoothing", "0.6", { try DPOLoss(kind: .sigmoid, beta: 0.1, labelSmoothing: 0.6) }),
            ("labelSmoothing", "0.5", { try DPOLoss(kind: .robust, beta: 0.1, labelSmoothing: 0.5) }),
            ("labelSmoothing", "0.1", { try DPOLoss(kind: .ipo, beta: 0.1, labelSmoothing: 0.1) }),
            ("labelSmoothing", "0.1", { try DPOLoss(kind: .hinge, beta: 0.1, labelSmoothing: 0.1) }),
            ("sftWeight", "-1.0", { try DPOLoss(kind: .sigmoid, beta: 0.1, sftWeight: -1) }),
        ]
        for c in cases {
            let error = #expect(throws: DPOTrainingError.self) { try c.make() }
            guard case let .invalidSetting(name, value, _)? = error else {
                Issue.record("\(c.name): expected invalidSetting, got \(String(describing: error))")
                continue
            }
            #expect(name == c.name && value == c.value, "\(c.name): \(name) = \(value)")
        }
        // The edges that are allowed.
        #expect(throws: Never.self) { try DPOLoss(kind: .sigmoid, beta: 0.1, labelSmoothing: 0.5) }
        #expect(throws: Never.self) { try DPOLoss(kind: .robust, beta: 0.1, labelSmoothing: 0.49) }
    }

    @Test func decodedLossIsValidated() throws {
        let decoded = try JSONDecoder().decode(DPOLoss.self, from: Data(#"{"kind":"hinge","beta":-1,"labelSmoothing":0,"sftWeight":0}"#.utf8))
        #expect(throws: DPOTrainingError.invalidSetting(name: "beta", value: "-1.0", expected: "a finite number > 0")) {
            try decoded.validate()
        }
        let config = DPOConfiguration(loss: decoded)
        #expect(throws: DPOTrainingError.invalidSetting(name: "beta", value: "-1.0", expected: "a finite number > 0")) {
            try config.validate(pairs: 10)
        }
    }

    @Test func metricsUseTRLNames() throws {
        let m = DPOMetrics.measure(Self.pairs, loss: 0.5, beta: 0.1, step: 3, epoch: 0.5, isValidation: false)
        // Rewards: β·(policy − reference), averaged; accuracy counts strict wins only.
        #expect(abs(m.rewardsChosen - 0.1 * (0.5 - 2 + 0 + 20) / 4) < 1e-12)
        #expect(abs(m.rewardsRejected - 0.1 * (-0.5 + 2 + 0 - 50) / 4) < 1e-12)
        #expect(m.rewardsAccuracies == 0.5)
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(m)) as? [String: Any]
        let keys = Set(json?.keys.map { $0 } ?? [])
        #expect(keys.isSuperset(of: ["loss", "rewards/chosen", "rewards/rejected", "rewards/margins",
                                     "rewards/accuracies", "logps/chosen", "logps/rejected", "step", "epoch"]))
        var v = m
        v.isValidation = true
        let evalKeys = Set((try JSONSerialization.jsonObject(with: JSONEncoder().encode(v)) as? [String: Any])?.keys.map { $0 } ?? [])
        #expect(evalKeys.contains("eval_loss") && evalKeys.contains("eval_rewards/margins"))
    }
}
