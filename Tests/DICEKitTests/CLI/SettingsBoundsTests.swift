// The library rules behind the flags' bounds: `DPOConfiguration.validate` refuses a non-finite
// gradient clip and a β above Float32's largest value; `DICEConfiguration.validate` refuses the
// same β and a fixed α above it; at the bound, the loss and the rewards stay finite.

import DICEKit
import Testing

@Suite("settings bounds: max-grad-norm, β and α")
struct SettingsBoundsTests {
    static func dpo(beta: Double = 0.1, maxGradNorm: Double? = 1) throws -> DPOConfiguration {
        var configuration = DPOConfiguration(loss: try DPOLoss(beta: 0.1), batchSize: 2, steps: 1, maxGradNorm: maxGradNorm)
        configuration.loss.beta = beta  // past init's check, as a decoded configuration would be
        return configuration
    }

    /// The name `validate` refuses, or nil when it accepts.
    static func refused(_ configuration: DPOConfiguration) -> String? {
        do {
            try configuration.validate(pairs: 4)
            return nil
        } catch let DPOTrainingError.invalidSetting(name, _, _) {
            return name
        } catch {
            return "\(error)"
        }
    }

    @Test("a gradient clip must be finite and > 0 (nil: none)", arguments: [Double.infinity, .nan, 0, -1])
    func maxGradNorm(_ value: Double) throws {
        #expect(Self.refused(try Self.dpo(maxGradNorm: value)) == "maxGradNorm")
        #expect(Self.refused(try Self.dpo(maxGradNorm: nil)) == nil)
        #expect(Self.refused(try Self.dpo(maxGradNorm: 1e30)) == nil)
    }

    @Test("β up to Float32's largest value is accepted; above it refused")
    func betaBound() throws {
        let largest = Double(Float.greatestFiniteMagnitude)
        #expect(DPOConfiguration.largestBeta == largest)
        #expect(Self.refused(try Self.dpo(beta: largest)) == nil)
        #expect(Self.refused(try Self.dpo(beta: largest.nextUp)) == "beta")
        #expect(Self.refused(try Self.dpo(beta: 1e308)) == "beta")
        #expect(Self.refused(try Self.dpo(beta: .infinity)) == "beta")

        func dice(beta: Double, alpha: AlphaSetting = .auto) throws -> DICEConfiguration {
            DICEConfiguration(beta: beta, alpha: alpha, dpo: try Self.dpo(beta: beta))
        }
        func diceRefused(_ c: DICEConfiguration) -> String? {
            do {
                try c.validate()
                return nil
            } catch let DICEError.invalidParameter(name, _, _) {
                return name
            } catch {
                return "\(error)"
            }
        }
        #expect(diceRefused(try dice(beta: largest)) == nil)
        #expect(diceRefused(try dice(beta: 1e308)) == "beta")
        #expect(diceRefused(try dice(beta: 0.1, alpha: .fixed(largest))) == nil)
        #expect(diceRefused(try dice(beta: 0.1, alpha: .fixed(1e300))) == "alpha")
    }

    /// At β = `largestBeta`, a log-prob gap as large as a model can give (2 · 2³¹ Float32 token
    /// log-probs of magnitude Float.max) keeps the sigmoid loss finite, and its derivatives (β·σ)
    /// within Float32's range; the rewards β·Δ stay finite in Double.
    @Test("at the bound, loss, derivatives and rewards stay finite")
    func finiteAtTheBound() throws {
        let beta = DPOConfiguration.largestBeta
        let loss = try DPOLoss(kind: .sigmoid, beta: beta)
        let extreme = 2 * 0x1p31 * Double(Float.greatestFiniteMagnitude)
        for gap in [-extreme, -1, 0, 1e-30, 1, extreme] {
            let term = loss.pairTerm(PairLogProbs(policyChosen: gap, policyRejected: 0, referenceChosen: 0,
                                                  referenceRejected: 0, chosenLength: 1, rejectedLength: 1))
            #expect(term.loss.isFinite && term.dChosen.isFinite && term.dRejected.isFinite, "gap \(gap)")
            #expect(abs(term.dChosen) <= Double(Float.greatestFiniteMagnitude), "gap \(gap)")
            #expect((beta * gap).isFinite && (beta * 2 * gap).isFinite, "gap \(gap)")
        }
    }
}
