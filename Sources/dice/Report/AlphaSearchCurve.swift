// AlphaSearchCurve: the length gap of a round's pairs as a function of α — what the round's α
// search minimised — recomputed from its scored samples with the library's own pairing rule
// (LengthRegularizer.gap), on a log-spaced grid of α around the ties where pairs change.

import DICEKit
import Foundation

/// mean(len_chosen − len_rejected) and the pair count of one round at each α of a grid.
struct AlphaSearchCurve {
    /// One point of the curve.
    struct Point {
        /// α, in reward units per length unit.
        var alpha: Double
        /// The mean length gap (chosen − rejected) of the pairs at α.
        var gap: Double
        /// Pairs at α (prompts whose shaped rewards are not all equal).
        var pairs: Int
    }

    /// The curve at α = 0 (no length regularization).
    var atZero: Point
    /// α > 0 on a log-spaced grid, ascending (empty when no two responses of a prompt tie at
    /// any α > 0, i.e. the pairs never change).
    var grid: [Point]
    /// The α the round used and the gap there.
    var chosen: Point

    /// Points on the grid.
    static let gridSize = 160

    /// The curve of `scored` samples filtered as the round's pair builder filters them
    /// (truncated and degenerate responses dropped, prompts with fewer than minValid left out),
    /// with lengths in `unit`; nil when no prompt keeps two responses.
    static func make(scored: [SampleRecord], configuration: DICEConfiguration?, unit: LengthUnit,
                     chosenAlpha: Double) -> AlphaSearchCurve? {
        let builder = try? BestWorstPairBuilder(
            lengthUnit: unit, minLength: configuration?.minLength ?? 1, maxLength: configuration?.maxLength,
            minValid: configuration?.minValid ?? 2, regularizer: LengthRegularizer(alpha: .fixed(0)))
        var byPrompt: [Int: [SampleRecord]] = [:]
        for s in scored { byPrompt[s.promptIndex, default: []].append(s) }
        var groups: [[LengthRegularizer.Candidate]] = []
        for prompt in byPrompt.keys.sorted() {
            let valid = (byPrompt[prompt] ?? []).sorted { $0.sampleIndex < $1.sampleIndex }.filter { s in
                guard let reward = s.score?.reward, reward.isFinite, s.finishReason != .length else { return false }
                return !(builder?.isDegenerate(s) ?? false)
            }
            if valid.count >= max(2, builder?.minValid ?? 2) {
                groups.append(valid.map { LengthRegularizer.Candidate(reward: $0.score?.reward ?? 0, length: $0.length(in: unit)) })
            }
        }
        guard !groups.isEmpty else { return nil }
        func point(_ alpha: Double) -> Point {
            let g = LengthRegularizer.gap(groups, alpha: alpha)
            return Point(alpha: alpha, gap: g.mean, pairs: g.count)
        }
        // Where two responses of a prompt tie: the pairs can change only there. (They set the
        // grid's range only: the first 2 million are enough, however large the round.)
        var ties: [Double] = []
        for group in groups where ties.count < 2_000_000 {
            for i in group.indices {
                for j in group.indices where j > i && group[i].length != group[j].length {
                    let a = (group[i].reward - group[j].reward) / Double(group[i].length - group[j].length)
                    if a > 0, a.isFinite { ties.append(a) }
                }
            }
        }
        var grid: [Point] = []
        if !ties.isEmpty {
            ties.sort()
            var low = ties[ties.count / 100] / 2, high = ties[ties.count - 1 - ties.count / 100] * 2
            if chosenAlpha > 0 {
                low = min(low, chosenAlpha / 2)
                high = max(high, chosenAlpha * 2)
            }
            let steps = Double(gridSize - 1), ratio = log(high / low)
            if low > 0, ratio.isFinite {
                grid = (0 ..< gridSize).map { point(low * exp(ratio * Double($0) / steps)) }
            }
        }
        return AlphaSearchCurve(atZero: point(0), grid: grid, chosen: point(chosenAlpha))
    }
}
