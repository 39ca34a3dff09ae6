// DICERound's pair and mix phases: pairs from the scored samples (PairBuilder), then the
// round's training set from generated and offline pairs (ReplayMixer), each piece's output
// checked before it is used.

extension DICERound {
    // MARK: - Pairs

    /// Preference pairs from the round's `scored` samples by `builder`.
    ///
    /// Checked: every pair's prompt exists; its chosen and rejected responses are two different
    /// samples of that prompt, found in `scored` with the same token ids; its shaped rewards are
    /// finite.
    /// - Throws: what the builder throws; `DICEError.policyContract` naming the builder and the
    ///   bad pair otherwise.
    public func pairs(from scored: [SampleRecord], builder: any PairBuilder) throws -> PairBuildingResult {
        let result = try builder.buildPairs(from: scored)
        var tokens: [Pair: [Int]] = [:]
        for s in scored { tokens[Pair(prompt: s.promptIndex, sample: s.sampleIndex)] = s.tokens }
        let piece = "PairBuilder \(type(of: builder))"
        for (k, pair) in result.pairs.enumerated() {
            func bad(_ reason: String) -> DICEError { .policyContract(reason: "\(piece): pair \(k) \(reason)") }
            guard prompts.indices.contains(pair.promptIndex) else {
                throw bad("has prompt index \(pair.promptIndex), but there are \(prompts.count) prompts")
            }
            for (role, response) in [("chosen", pair.chosen), ("rejected", pair.rejected)] {
                guard response.promptIndex == pair.promptIndex else {
                    throw bad("of prompt \(pair.promptIndex) has a \(role) response of prompt \(response.promptIndex)")
                }
                guard tokens[Pair(prompt: response.promptIndex, sample: response.sampleIndex)] == response.tokens else {
                    throw bad("has a \(role) response (sample index \(response.sampleIndex)) that is not a scored sample of prompt \(pair.promptIndex)")
                }
            }
            guard pair.chosen.sampleIndex != pair.rejected.sampleIndex else {
                throw bad("pairs sample \(pair.chosen.sampleIndex) with itself")
            }
            guard pair.chosenShapedReward.isFinite, pair.rejectedShapedReward.isFinite else {
                throw bad("has shaped rewards \(pair.chosenShapedReward) / \(pair.rejectedShapedReward)")
            }
        }
        return result
    }

    // MARK: - Mix

    /// Which generated and offline pairs make up the round's training set, by `mixer`, keyed by
    /// prompt token ids (pairs with equal prompt ids share a prompt).
    /// - Throws: `DICEError.invalidSamples` for a pair of a prompt that does not exist;
    ///   `DICEError.policyContract` naming the mixer when an index is out of range or repeated.
    public func mix(_ pairs: [GeneratedPair], offline: [PreferencePair], mixer: any ReplayMixer,
                    seed: UInt64) throws -> ReplaySelection {
        if let bad = pairs.first(where: { !prompts.indices.contains($0.promptIndex) }) {
            throw DICEError.invalidSamples(prompt: bad.promptIndex, reason: "no such prompt (\(prompts.count) prompts)")
        }
        let selection = mixer.select(generatedPrompts: pairs.map { prompts[$0.promptIndex] },
                                     offlinePrompts: offline.map(\.prompt), seed: seed)
        let piece = "ReplayMixer \(type(of: mixer))"
        for (part, indices, count) in [("generated", selection.generated, pairs.count),
                                       ("offline", selection.offline, offline.count)] {
            if let bad = indices.first(where: { !(0 ..< count).contains($0) }) {
                throw DICEError.policyContract(reason: "\(piece) returned \(part) index \(bad), but there are \(count) \(part) pairs")
            }
            var seen = Set<Int>()
            if let repeated = indices.first(where: { !seen.insert($0).inserted }) {
                throw DICEError.policyContract(reason: "\(piece) returned \(part) index \(repeated) twice")
            }
        }
        return selection
    }

    /// The rows of the training set that `selection` describes: the chosen generated pairs (with
    /// the sampled token ids), then the chosen offline pairs, each in the selection's order.
    /// Requires a selection checked by `mix` for these `pairs` and `offline`.
    public func trainingSet(_ pairs: [GeneratedPair], offline: [PreferencePair],
                            selection: ReplaySelection) -> [TrainingPairRecord] {
        selection.generated.map { i -> TrainingPairRecord in
            let p = pairs[i]
            return TrainingPairRecord(generated: p, prompt: render(prompts[p.promptIndex]), promptTokens: prompts[p.promptIndex])
        } + selection.offline.map { i -> TrainingPairRecord in
            let o = offline[i]
            return TrainingPairRecord(source: .offline, prompt: render(o.prompt), chosen: render(o.chosen),
                                      rejected: render(o.rejected), promptTokens: o.prompt,
                                      chosenTokens: o.chosen, rejectedTokens: o.rejected)
        }
    }

    /// A sample's place: (prompt index, sample index).
    private struct Pair: Hashable {
        var prompt: Int
        var sample: Int
    }
}
