// ToyTask+Data: the data the demo starts from — SFT examples, offline preference pairs labelled
// by the judge with noise, and fixed candidate sets for tabular policies.

extension ToyTask {
    /// SFT examples: `perPrompt` reference responses (ending with EOS) for each prompt.
    /// Each (prompt, example) draws from its own stream of `seed`, so the result does not depend
    /// on how many other prompts are asked for.
    /// - Throws: `DICEError.invalidParameter` for a prompt outside the language or perPrompt < 0.
    public func sftExamples(prompts: [[Int]], perPrompt: Int, seed: UInt64) throws -> [TokenPair] {
        guard perPrompt >= 0 else {
            throw DICEError.invalidParameter(name: "perPrompt", value: "\(perPrompt)", expected: "≥ 0")
        }
        var out: [TokenPair] = []
        for prompt in prompts {
            try checkPrompt(prompt)
            for k in 0 ..< perPrompt {
                var rng = SplitMix64(seed: seed, stream: streamID(prompt, k))
                out.append(TokenPair(prompt: prompt, response: referenceResponse(prompt: prompt, rng: &rng)))
            }
        }
        return out
    }

    /// Offline preference pairs: per prompt, two reference responses labelled by the judge with
    /// Bradley–Terry noise, P(first ≻ second) = σ((J₁ − J₂)/labelTemperature). With
    /// labelTemperature = 0 the higher J is chosen and exact ties (|ΔJ| ≤ tieMargin) are skipped;
    /// identical responses are redrawn (up to 8 times, then the prompt is skipped).
    /// - Throws: `DICEError.invalidParameter` for a prompt outside the language.
    public func offlinePairs(prompts: [[Int]], seed: UInt64) throws -> [PreferencePair] {
        var out: [PreferencePair] = []
        for prompt in prompts {
            try checkPrompt(prompt)
            var rng = SplitMix64(seed: seed, stream: streamID(prompt, 0))
            var a = referenceResponse(prompt: prompt, rng: &rng)
            var b = referenceResponse(prompt: prompt, rng: &rng)
            var attempts = 0
            while a == b, attempts < 8 {
                b = referenceResponse(prompt: prompt, rng: &rng)
                attempts += 1
            }
            if a == b { continue }
            let delta = try judgeScore(prompt: prompt, response: a) - judgeScore(prompt: prompt, response: b)
            let firstWins: Bool
            if config.labelTemperature > 0 {
                firstWins = rng.nextDouble() < LengthControlledWinRate.sigmoid(delta / config.labelTemperature)
            } else {
                if abs(delta) <= config.tieMargin { continue }
                firstWins = delta > 0
            }
            if !firstWins { swap(&a, &b) }
            out.append(PreferencePair(prompt: prompt, chosen: a, rejected: b))
        }
        return out
    }

    /// `count` distinct reference responses per prompt (fewer if the draws keep repeating), for
    /// a `TabularPolicy`'s fixed response sets.
    /// - Throws: `DICEError.invalidParameter` for a prompt outside the language or count < 1.
    public func candidateResponses(prompts: [[Int]], count: Int, seed: UInt64) throws -> [[[Int]]] {
        guard count >= 1 else {
            throw DICEError.invalidParameter(name: "count", value: "\(count)", expected: "≥ 1")
        }
        return try prompts.map { prompt in
            try checkPrompt(prompt)
            var rng = SplitMix64(seed: seed, stream: streamID(prompt, 1))
            var set: [[Int]] = []
            var seen: Set<[Int]> = []
            var draws = 0
            while set.count < count, draws < 20 * count {
                let r = referenceResponse(prompt: prompt, rng: &rng)
                draws += 1
                if seen.insert(r).inserted { set.append(r) }
            }
            return set
        }
    }

    /// A stream id unique to (prompt, k).
    func streamID(_ prompt: [Int], _ k: Int) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for t in prompt + [k] {
            h = (h ^ UInt64(truncatingIfNeeded: t)) &* 0x0000_0100_0000_01B3
        }
        return h
    }
}
