// LengthControlledWinRate: AlpacaEval 2's length-controlled win rate (Dubois et al., 2024,
// "Length-Controlled AlpacaEval"), in its minimal form (`length_controlled_minimal`: no
// instruction-difficulty term, which needs a leaderboard of other models).
//
// A logistic model of the judge's verdict (A beats B; ties as ½-targets) on
//   x₀ = 1 (the model's own quality)   and   x₁ = tanh(Δ / s),
// Δ = len(A) − len(B) and s the sample standard deviation (n − 1) of Δ over the evaluation set,
// as in AlpacaEval's `std_delta_len`. The length-controlled win rate is the model's prediction
// at Δ = 0: σ(θ₀). Fitted by Newton's method (IRLS) on the summed log-loss plus a light ridge
// (λ/2)‖θ‖², λ = 0.01 by default — AlpacaEval regularizes too (L1 with C = 100, i.e. a penalty
// of 0.01·‖θ‖₁ beside the summed loss), which keeps the fit finite when length separates the
// verdicts perfectly.

import Foundation

/// A length-controlled win rate: the fitted logistic model and its prediction at zero length
/// difference.
public struct LengthControlledWinRate: Sendable, Hashable, Codable {
    /// σ(θ₀): the predicted win rate when A and B are equally long, in [0, 1].
    public var rate: Double
    /// θ₀, the intercept (log-odds of winning at equal length).
    public var intercept: Double
    /// θ₁, the weight of tanh(Δ/s).
    public var lengthCoefficient: Double
    /// s, the standard deviation of Δ used to standardize it (0 when Δ is constant: then x₁ = 0).
    public var lengthScale: Double
    /// Newton iterations used.
    public var iterations: Int

    /// The ridge strength λ of the default fit: the objective is
    /// Σᵢ logloss(yᵢ, σ(θ·xᵢ)) + (λ/2)‖θ‖² (intercept included, as in AlpacaEval's fit).
    public static let defaultRidge = 0.01

    /// Fits the model to verdicts with the lengths of A and B.
    ///
    /// - Parameters:
    ///   - verdicts: A's outcome in each comparison.
    ///   - lengthsA: |A| per comparison (any one unit).
    ///   - lengthsB: |B| per comparison, in the same unit.
    ///   - ridge: λ ≥ 0 (> 0 keeps separable data finite).
    /// - Throws: `DICEError.invalidParameter` when the arrays differ in length, are empty, or
    ///   λ < 0.
    public init(verdicts: [Verdict], lengthsA: [Int], lengthsB: [Int], ridge: Double = defaultRidge) throws {
        try self.init(scores: verdicts.map(\.score), lengthsA: lengthsA, lengthsB: lengthsB, ridge: ridge)
    }

    /// Fits the model to soft outcomes with the lengths of A and B: each score is A's share of
    /// the comparison in [0, 1] (1 a win, ½ a tie, 0 a loss; AlpacaEval's weighted annotators
    /// give values in between, `preference − 1`). The log-loss takes them as targets.
    ///
    /// - Parameters:
    ///   - scores: A's outcome in each comparison, in [0, 1].
    ///   - lengthsA: |A| per comparison (any one unit).
    ///   - lengthsB: |B| per comparison, in the same unit.
    ///   - ridge: λ ≥ 0 (> 0 keeps separable data finite).
    /// - Throws: `DICEError.invalidParameter` when the arrays differ in length, are empty, a
    ///   score is outside [0, 1], or λ < 0.
    public init(scores: [Double], lengthsA: [Int], lengthsB: [Int], ridge: Double = defaultRidge) throws {
        guard scores.count == lengthsA.count, scores.count == lengthsB.count else {
            throw DICEError.invalidParameter(name: "lengths", value: "\(lengthsA.count), \(lengthsB.count)",
                                             expected: "one length of A and of B per verdict (\(scores.count))")
        }
        guard !scores.isEmpty else {
            throw DICEError.invalidParameter(name: "verdicts", value: "[]", expected: "at least one comparison")
        }
        if let bad = scores.first(where: { !($0 >= 0 && $0 <= 1) }) {
            throw DICEError.invalidParameter(name: "scores", value: "\(bad)", expected: "outcomes in [0, 1]")
        }
        guard ridge >= 0, ridge.isFinite else {
            throw DICEError.invalidParameter(name: "ridge", value: "\(ridge)", expected: "a finite number ≥ 0")
        }
        let deltas = zip(lengthsA, lengthsB).map { Double($0 - $1) }
        let scale = Self.sampleStandardDeviation(deltas)
        let features = deltas.map { scale > 0 ? tanh($0 / scale) : 0 }
        let fit = Self.fit(features: features, targets: scores, ridge: ridge)
        intercept = fit.theta.0
        lengthCoefficient = fit.theta.1
        lengthScale = scale
        iterations = fit.iterations
        rate = Self.sigmoid(intercept)
    }

    // MARK: - The fit

    /// The penalized log-loss Σ −[y log σ(z) + (1−y) log(1−σ(z))] + (λ/2)(θ₀² + θ₁²),
    /// z = θ₀ + θ₁·x — the function `fit` minimises.
    public static func objective(_ theta: (Double, Double), features: [Double], targets: [Double], ridge: Double) -> Double {
        var loss = 0.5 * ridge * (theta.0 * theta.0 + theta.1 * theta.1)
        for (x, y) in zip(features, targets) {
            let z = theta.0 + theta.1 * x
            // −[y log σ(z) + (1−y) log σ(−z)] = y·softplus(−z) + (1−y)·softplus(z)
            loss += y * softplus(-z) + (1 - y) * softplus(z)
        }
        return loss
    }

    /// Newton's method with step halving on `objective`, from θ = 0, until the step is below
    /// 1e-10 or after 100 iterations.
    static func fit(features: [Double], targets: [Double], ridge: Double) -> (theta: (Double, Double), iterations: Int) {
        var theta = (0.0, 0.0)
        var current = objective(theta, features: features, targets: targets, ridge: ridge)
        var iteration = 0
        while iteration < 100 {
            iteration += 1
            var g0 = ridge * theta.0, g1 = ridge * theta.1
            var h00 = ridge, h01 = 0.0, h11 = ridge
            for (x, y) in zip(features, targets) {
                let p = sigmoid(theta.0 + theta.1 * x)
                let w = p * (1 - p)
                g0 += p - y
                g1 += (p - y) * x
                h00 += w
                h01 += w * x
                h11 += w * x * x
            }
            let det = h00 * h11 - h01 * h01
            // A singular Hessian (λ = 0 with a constant feature): solve along the intercept only.
            let step: (Double, Double)
            if det > 1e-300 * max(1, h00 * h11) {
                step = ((h11 * g0 - h01 * g1) / det, (h00 * g1 - h01 * g0) / det)
            } else {
                step = (h00 > 0 ? g0 / h00 : 0, 0)
            }
            var scale = 1.0
            var candidate = (theta.0 - step.0, theta.1 - step.1)
            var value = objective(candidate, features: features, targets: targets, ridge: ridge)
            while value > current, scale > 1e-10 {
                scale /= 2
                candidate = (theta.0 - scale * step.0, theta.1 - scale * step.1)
                value = objective(candidate, features: features, targets: targets, ridge: ridge)
            }
            guard value <= current else { break }
            theta = candidate
            current = value
            if max(abs(scale * step.0), abs(scale * step.1)) < 1e-10 { break }
        }
        return (theta, iteration)
    }

    /// σ(z) = 1/(1 + e^−z), evaluated without overflow.
    public static func sigmoid(_ z: Double) -> Double {
        z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z))
    }

    /// log(1 + e^z), evaluated without overflow.
    static func softplus(_ z: Double) -> Double {
        z > 0 ? z + log1p(exp(-z)) : log1p(exp(z))
    }

    /// The sample standard deviation (n − 1 in the denominator, as pandas' `std`); 0 for n < 2.
    static func sampleStandardDeviation(_ v: [Double]) -> Double {
        guard v.count >= 2 else { return 0 }
        let mean = v.reduce(0, +) / Double(v.count)
        let ss = v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        return (ss / Double(v.count - 1)).squareRoot()
    }
}
