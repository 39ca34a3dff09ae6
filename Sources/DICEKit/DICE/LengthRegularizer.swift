// LengthRegularizer: shaped rewards r̃ = r − α·|y| and the per-round choice of α that makes
// chosen and rejected responses equally long on average.
//
// Exact search. For one prompt, the argmax and argmin of r̃_i(α) = r_i − α·l_i can change only
// where two candidates tie: α_ij = (r_i − r_j)/(l_i − l_j). Between consecutive positive
// breakpoints every prompt's pair — hence the objective |mean(l_chosen − l_rejected)| — is
// constant. The search evaluates α = 0 exactly, then splits (0, ∞) at the points where the
// objective's inputs (the sum of gaps and the number of pairs) actually change, and evaluates
// one point inside each piece: its midpoint (2·b for the last, unbounded piece (b, ∞); 1 when
// nothing changes). It returns the first (smallest) of these points that attains the minimum —
// the middle of the leftmost optimal piece, as far as possible from the ties at its ends. Each
// prompt contributes its breakpoints as events (how its length gap changes there), and one sweep
// over the sorted events evaluates all pieces: O(P·K² log(P·K)) for P prompts of K samples.
// Lengths are integers, so objective values are compared exactly (cross-multiplied integers).

/// The α of `r̃ = r − α·|y|`: fixed (0 disables the regularization) or searched per round.
public enum AlphaSetting: Sendable, Hashable, Codable, CustomStringConvertible {
    /// A fixed α ≥ 0, in reward units per length unit.
    case fixed(Double)
    /// The exact search for the α that minimises |mean(len_chosen − len_rejected)|.
    case auto

    /// `auto` or the number.
    public var description: String {
        switch self {
        case .auto: return "auto"
        case .fixed(let a): return "\(a)"
        }
    }

    /// Parses `auto` or a non-negative number (as on the command line).
    /// - Throws: `DICEError.invalidParameter` naming `alpha`.
    public init(parsing text: String) throws {
        if text == "auto" {
            self = .auto
        } else if let a = Double(text), a >= 0, a.isFinite {
            self = .fixed(a)
        } else {
            throw DICEError.invalidParameter(name: "alpha", value: text, expected: "auto or a finite number ≥ 0")
        }
    }
}

/// What the length regularization did in one round.
public struct LengthRegularization: Sendable, Hashable, Codable {
    /// The α used, in reward units per length unit.
    public var alpha: Double
    /// mean(len_chosen − len_rejected) of the pairs chosen with α = 0.
    public var meanLengthGapBefore: Double
    /// mean(len_chosen − len_rejected) of the pairs chosen with `alpha`.
    public var meanLengthGapAfter: Double
    /// Pairs with α = 0 (prompts whose rewards are not all equal).
    public var pairCountBefore: Int
    /// Pairs with `alpha`.
    public var pairCountAfter: Int

    /// Creates the value from its fields.
    public init(alpha: Double, meanLengthGapBefore: Double, meanLengthGapAfter: Double,
                pairCountBefore: Int, pairCountAfter: Int) {
        self.alpha = alpha
        self.meanLengthGapBefore = meanLengthGapBefore
        self.meanLengthGapAfter = meanLengthGapAfter
        self.pairCountBefore = pairCountBefore
        self.pairCountAfter = pairCountAfter
    }
}

/// Length-regularized best/worst selection: `r̃ = r − α·|y|`, chosen = argmax r̃, rejected =
/// argmin r̃, with α fixed or chosen per round by an exact search.
///
/// **Ties.** Among equal maxima the lowest candidate index is chosen; among equal minima the
/// highest index is rejected. A prompt whose r̃ are all equal yields no pair.
///
/// **Scaling with β.** The DPO implicit reward is linear in β, so for rewards computed with β
/// the optimal α is β times the optimal α for β = 1 (and the pairs are the same): a fixed α
/// tuned at one β must be rescaled by β'/β at another.
public struct LengthRegularizer: Sendable, Hashable {
    /// One response of a prompt: its reward and its length |y| in the chosen unit.
    public struct Candidate: Sendable, Hashable {
        /// The reward r.
        public var reward: Double
        /// |y| in the chosen unit.
        public var length: Int
        /// Creates the value from its fields.
        public init(reward: Double, length: Int) {
            self.reward = reward
            self.length = length
        }
    }

    /// How α is set.
    public var alpha: AlphaSetting

    /// - Throws: `DICEError.invalidParameter` for a fixed α that is negative or not finite.
    public init(alpha: AlphaSetting) throws {
        if case .fixed(let a) = alpha, !(a >= 0 && a.isFinite) {
            throw DICEError.invalidParameter(name: "alpha", value: "\(a)", expected: "a finite number ≥ 0")
        }
        self.alpha = alpha
    }

    /// The (chosen, rejected) candidate indices at `alpha`, or nil when all r̃ are equal (or
    /// there are fewer than two candidates). Ties: lowest index for the max, highest for the min.
    public static func bestWorst(_ candidates: [Candidate], alpha: Double) -> (chosen: Int, rejected: Int)? {
        guard candidates.count >= 2 else { return nil }
        var best = 0, worst = 0
        var bestValue = shaped(candidates[0], alpha), worstValue = bestValue
        for i in 1 ..< candidates.count {
            let v = shaped(candidates[i], alpha)
            if v > bestValue { best = i; bestValue = v }
            if v <= worstValue { worst = i; worstValue = v }
        }
        return bestValue > worstValue ? (best, worst) : nil
    }

    /// The shaped reward r − α·|y|.
    public static func shaped(_ c: Candidate, _ alpha: Double) -> Double {
        c.reward - alpha * Double(c.length)
    }

    /// The α for these prompts' candidates and the length gaps before (α = 0) and after.
    ///
    /// - Parameter groups: one array of candidates per prompt (already filtered); rewards must
    ///   be finite.
    public func regularize(_ groups: [[Candidate]]) -> LengthRegularization {
        let a: Double
        switch alpha {
        case .fixed(let value): a = value
        case .auto: a = Self.searchAlpha(groups)
        }
        let before = Self.gap(groups, alpha: 0)
        let after = Self.gap(groups, alpha: a)
        return LengthRegularization(alpha: a, meanLengthGapBefore: before.mean, meanLengthGapAfter: after.mean,
                                    pairCountBefore: before.count, pairCountAfter: after.count)
    }

    /// Σ(len_chosen − len_rejected), the number of pairs and their mean (0 without pairs) at α.
    public static func gap(_ groups: [[Candidate]], alpha: Double) -> (sum: Int, count: Int, mean: Double) {
        var sum = 0, count = 0
        for group in groups {
            if let (c, r) = bestWorst(group, alpha: alpha) {
                sum += group[c].length - group[r].length
                count += 1
            }
        }
        return (sum, count, count > 0 ? Double(sum) / Double(count) : 0)
    }

    // MARK: - Exact search

    /// The α ≥ 0 minimising |mean(len_chosen − len_rejected)|: 0 if it attains the minimum,
    /// else the midpoint of the leftmost optimal piece of (0, ∞) on which the gap sum and pair
    /// count are constant (see the file comment). A point without pairs counts as worst; 0 when
    /// no point has pairs.
    public static func searchAlpha(_ groups: [[Candidate]]) -> Double {
        // Events: at α = position, the sum of gaps changes by dSum and the pair count by dCount.
        var events: [(position: Double, dSum: Int, dCount: Int)] = []
        var sum = 0, count = 0  // just above α = 0
        for group in groups {
            let cuts = breakpoints(group)
            var previous = contribution(group, alpha: representative(cuts, 0))
            sum += previous.gap
            count += previous.count
            for k in cuts.indices {
                let current = contribution(group, alpha: representative(cuts, k + 1))
                if current != previous {
                    events.append((cuts[k], current.gap - previous.gap, current.count - previous.count))
                }
                previous = current
            }
        }
        events.sort { $0.position < $1.position }
        let positions = uniqueSorted(events.map(\.position))

        let atZero = gap(groups, alpha: 0)
        var best = (alpha: 0.0, sum: atZero.sum, count: atZero.count)
        func consider(_ alpha: Double, _ s: Int, _ c: Int) {
            if isBetter(s, c, than: best.sum, best.count) { best = (alpha, s, c) }
        }
        // The objective's own change points: positions where the total (sum, count) changes.
        var changes: [Double] = []
        var values = [(sum: sum, count: count)]
        var e = 0
        for position in positions {
            var s = values[values.count - 1].sum, c = values[values.count - 1].count
            while e < events.count, events[e].position == position {
                s += events[e].dSum
                c += events[e].dCount
                e += 1
            }
            if s != values[values.count - 1].sum || c != values[values.count - 1].count {
                changes.append(position)
                values.append((s, c))
            }
        }
        for (k, v) in values.enumerated() { consider(representative(changes, k), v.sum, v.count) }
        return best.alpha
    }

    /// Whether the objective |s/c| is strictly smaller than |bs/bc| (exactly, in integers); no
    /// pairs is worst.
    static func isBetter(_ s: Int, _ c: Int, than bs: Int, _ bc: Int) -> Bool {
        if c == 0 { return false }
        if bc == 0 { return true }
        return abs(s).multipliedFullWidth(by: bc) < abs(bs).multipliedFullWidth(by: c)
    }

    /// The sorted distinct positive α where two candidates of one group tie.
    static func breakpoints(_ group: [Candidate]) -> [Double] {
        var cuts: [Double] = []
        for i in group.indices {
            for j in group.indices where j > i && group[i].length != group[j].length {
                let a = (group[i].reward - group[j].reward) / Double(group[i].length - group[j].length)
                if a > 0, a.isFinite { cuts.append(a) }
            }
        }
        return uniqueSorted(cuts)
    }

    /// A point inside interval `k` of the partition of (0, ∞) by sorted `cuts`: interval 0 is
    /// (0, cuts[0]), interval k is (cuts[k−1], cuts[k]), the last is (cuts.last, ∞).
    static func representative(_ cuts: [Double], _ k: Int) -> Double {
        if cuts.isEmpty { return 1 }
        if k == 0 { return cuts[0] / 2 }
        if k == cuts.count { return cuts[k - 1] * 2 }
        return cuts[k - 1] + (cuts[k] - cuts[k - 1]) / 2
    }

    /// One group's (gap, pair count) at α.
    static func contribution(_ group: [Candidate], alpha: Double) -> Contribution {
        guard let (c, r) = bestWorst(group, alpha: alpha) else { return Contribution(gap: 0, count: 0) }
        return Contribution(gap: group[c].length - group[r].length, count: 1)
    }

    struct Contribution: Equatable {
        var gap: Int
        var count: Int
    }

    static func uniqueSorted(_ values: [Double]) -> [Double] {
        var out: [Double] = []
        for v in values.sorted() where out.last != v { out.append(v) }
        return out
    }
}
