// ToyTask: a small synthetic instruction language with a hidden ground-truth judge that has a
// small, explicit length bias — the embedded task of `dice demo`, the tests and the examples.
//
// Vocabulary: id 0 is EOS, ids 1 … W are content words; prompts are made of content words too
// (a topic word, then instruction words), so the vocabulary is exactly what responses use.
// Quality is decided word by word given the prompt: a content word w in a response to prompt
// x = (t; i₁ … i_k) has the raw value v(x, w) = A[t][w] + Σⱼ B[iⱼ][w] (A, B hidden Gaussian
// tables, seeded) and is worth
//     q(x, w) = v(x, w) − Σ_u p_ref(u | x)·v(x, u),      p_ref(w | x) ∝ exp(sftSharpness·v(x, w)),
// i.e. values centred on the reference (SFT) word distribution. The judge scores a response by
// the AVERAGE value of its words, a small bonus for covering the prompt's best words, and a
// small explicit length bias:
//     J(x, y) = mean_{w ∈ y} q(x, w) + coverageBonus·|y ∩ top_c(x)| / c + lengthBias·|y|
// (|y| in content words; top_c(x) the c = coverageWords highest-valued words). An average, not a
// sum: with a sum, length would be the dominant signal of every comparison. With a
// `ToyLengthTarget` (the demo's), answers have a target length L and the mean runs over L slots
// (a missing word costs shortfallPenalty, a word past L overrunPenalty): see ToyLengthTarget.

import Foundation

/// The toy task: its vocabulary, prompts, hidden values, reference responses and judge.
public struct ToyTask: Sendable {
    /// The configuration it was built from.
    public let config: ToyTaskConfig
    /// A[t][w]: topic t's value of word w (t, w content ids; index 0 unused).
    let topicValues: [[Double]]
    /// B[i][w]: instruction i's value of word w.
    let instructionValues: [[Double]]
    /// Per prompt: q(x, w) for w = 0 … wordCount (index 0, EOS, is 0), p_ref(w | x) for the
    /// content words (index k ↔ word k + 1), and the `coverageWords` highest-valued words.
    let promptTables: [[Int]: (values: [Double], reference: [Double], best: Set<Int>)]
    /// L per topic (index 0 unused), when the config has a `lengthTarget`.
    let targetLengths: [Int]?

    /// The EOS token id.
    public static let eos = 0

    /// The spellings of content words 1, 2, … (id k is `wordList[k − 1]`).
    public static let wordList = [
        "amber", "brisk", "cedar", "dune", "ember", "fable", "glint", "harbor", "ivory", "jolt",
        "kelp", "lumen", "maple", "nectar", "opal", "pixel", "quartz", "ripple", "saffron", "tundra",
        "umber", "velvet", "willow", "xenon", "yarrow", "zephyr", "atlas", "bramble", "comet", "delta",
        "echo", "flint", "garnet", "hazel", "iris", "juniper", "kestrel", "lotus", "meadow", "nimbus",
        "orchid", "pebble", "quill", "raven", "sable", "thistle", "ultra", "vesper",
    ]

    /// Builds the task's hidden tables from `config.seed`.
    /// - Throws: `DICEError.invalidParameter` naming the first unusable knob.
    public init(config: ToyTaskConfig = ToyTaskConfig()) throws {
        try Self.validate(config)
        self.config = config
        var rng = SplitMix64(seed: config.seed, stream: 0x70_79)
        let w = config.wordCount
        func table(_ rows: Int) -> [[Double]] {
            (0 ... rows).map { row in
                (0 ... w).map { col in row == 0 || col == 0 ? 0 : config.valueScale * Double(rng.nextGaussian()) }
            }
        }
        let topicValues = table(config.topicCount)
        let instructionValues = table(config.instructionCount)
        self.topicValues = topicValues
        self.instructionValues = instructionValues
        var tables: [[Int]: (values: [Double], reference: [Double], best: Set<Int>)] = [:]
        for prompt in Self.allPrompts(config) {
            let raw = (1 ... w).map { word in
                prompt.dropFirst().reduce(topicValues[prompt[0]][word]) { $0 + instructionValues[$1 - config.topicCount][word] }
            }
            let logits = raw.map { config.sftSharpness * $0 }
            let m = logits.max() ?? 0
            let e = logits.map { exp($0 - m) }
            let z = e.reduce(0, +)
            let reference = e.map { $0 / z }
            let mean = zip(reference, raw).reduce(0) { $0 + $1.0 * $1.1 }
            // Highest raw value first; ties broken by the lower id.
            let ranked = (1 ... w).sorted { (a: Int, b: Int) -> Bool in
                let va = raw[a - 1], vb = raw[b - 1]
                return va != vb ? va > vb : a < b
            }
            tables[prompt] = ([0] + raw.map { $0 - mean }, reference, Set(ranked.prefix(config.coverageWords)))
        }
        promptTables = tables
        if let target = config.lengthTarget {
            // Its own stream: the hidden value tables do not depend on whether there is a target.
            var lengths = SplitMix64(seed: config.seed, stream: 0x4C_45_4E)
            let choices = target.maxWords - target.minWords + 1
            targetLengths = (0 ... config.topicCount).map { t in
                t == 0 ? 0 : target.minWords + Int(lengths.next() % UInt64(choices))
            }
        } else {
            targetLengths = nil
        }
    }

    static func validate(_ c: ToyTaskConfig) throws {
        func bad(_ name: String, _ value: Any, _ expected: String) -> DICEError {
            DICEError.invalidParameter(name: name, value: "\(value)", expected: expected)
        }
        guard c.wordCount >= 2, c.wordCount <= wordList.count else {
            throw bad("wordCount", c.wordCount, "2 … \(wordList.count)")
        }
        guard c.topicCount >= 1, c.instructionCount >= 1, c.topicCount + c.instructionCount <= c.wordCount else {
            throw bad("topicCount + instructionCount", c.topicCount + c.instructionCount, "each ≥ 1, together ≤ wordCount (\(c.wordCount))")
        }
        guard c.instructionsPerPrompt >= 0, c.instructionsPerPrompt <= c.instructionCount else {
            throw bad("instructionsPerPrompt", c.instructionsPerPrompt, "0 … instructionCount (\(c.instructionCount))")
        }
        guard c.minResponseWords >= 1, c.maxResponseWords >= c.minResponseWords else {
            throw bad("minResponseWords … maxResponseWords", "\(c.minResponseWords) … \(c.maxResponseWords)", "1 ≤ min ≤ max")
        }
        guard c.meanResponseWords >= Double(c.minResponseWords), c.meanResponseWords <= Double(c.maxResponseWords) else {
            throw bad("meanResponseWords", c.meanResponseWords, "between minResponseWords (\(c.minResponseWords)) and maxResponseWords (\(c.maxResponseWords))")
        }
        guard c.coverageWords >= 1, c.coverageWords <= c.wordCount else {
            throw bad("coverageWords", c.coverageWords, "1 … wordCount (\(c.wordCount))")
        }
        for (name, v) in [("valueScale", c.valueScale), ("lengthBias", c.lengthBias), ("sftSharpness", c.sftSharpness),
                          ("coverageBonus", c.coverageBonus)]
        where !v.isFinite {
            throw bad(name, v, "a finite number")
        }
        try c.lengthTarget?.validate()
        for (name, v) in [("tieMargin", c.tieMargin), ("labelTemperature", c.labelTemperature)] where !(v >= 0 && v.isFinite) {
            throw bad(name, v, "a finite number ≥ 0")
        }
    }

    // MARK: - Vocabulary

    /// Token ids 0 … wordCount (EOS and the content words).
    public var vocabularySize: Int { config.wordCount + 1 }
    /// Content word ids.
    public var contentWords: ClosedRange<Int> { 1 ... config.wordCount }
    /// Topic word ids.
    public var topics: ClosedRange<Int> { 1 ... config.topicCount }
    /// Instruction word ids.
    public var instructions: ClosedRange<Int> { config.topicCount + 1 ... config.topicCount + config.instructionCount }
    /// Tokens per prompt: 1 + instructionsPerPrompt.
    public var promptLength: Int { 1 + config.instructionsPerPrompt }

    /// The text of token ids: content words joined by single spaces; EOS is not rendered.
    /// Ids outside the vocabulary render as `<id>`.
    public func render(_ tokens: [Int]) -> String {
        tokens.filter { $0 != Self.eos }.map { id in
            contentWords.contains(id) ? Self.wordList[id - 1] : "<\(id)>"
        }.joined(separator: " ")
    }

    // MARK: - Prompts

    /// Every prompt of the language: each topic with each increasing combination of
    /// `instructionsPerPrompt` instructions, in lexicographic order.
    public var allPrompts: [[Int]] { Self.allPrompts(config) }

    static func allPrompts(_ c: ToyTaskConfig) -> [[Int]] {
        var combos: [[Int]] = [[]]
        let instructions = c.topicCount + 1 ... c.topicCount + c.instructionCount
        for _ in 0 ..< c.instructionsPerPrompt {
            combos = combos.flatMap { combo in
                instructions.filter { $0 > (combo.last ?? 0) }.map { combo + [$0] }
            }
        }
        return (1 ... c.topicCount).flatMap { t in combos.map { [t] + $0 } }
    }

    /// `count` distinct prompts drawn without replacement (seeded), in draw order.
    /// - Throws: `DICEError.invalidParameter` when count exceeds the number of prompts.
    public func prompts(count: Int, seed: UInt64) throws -> [[Int]] {
        let all = allPrompts
        guard count >= 0, count <= all.count else {
            throw DICEError.invalidParameter(name: "count", value: "\(count)", expected: "0 … \(all.count) (the number of distinct prompts)")
        }
        var rng = SplitMix64(seed: seed, stream: 0x70)
        return rng.sampleWithoutReplacement(count, from: all.count).map { all[$0] }
    }

    /// Whether `prompt` is a prompt of the language.
    public func isPrompt(_ prompt: [Int]) -> Bool {
        guard prompt.count == promptLength, let t = prompt.first, topics.contains(t) else { return false }
        let rest = prompt.dropFirst()
        return rest.allSatisfy { instructions.contains($0) } && zip(rest, rest.dropFirst()).allSatisfy { $0 < $1 }
    }

    // MARK: - Hidden quality

    /// q(x, w): the value of content word `word` in a response to `prompt` (centred on the
    /// reference distribution). 0 for a prompt outside the language or a word outside the
    /// vocabulary (see `quality(prompt:response:)` for checked input).
    public func wordValue(prompt: [Int], word: Int) -> Double {
        guard let values = promptTables[prompt]?.values, values.indices.contains(word) else { return 0 }
        return values[word]
    }

    /// The mean of q(x, w) over the response's content words (a final EOS is ignored); 0 — the
    /// reference level — for an empty response. With a `lengthTarget` (target L for the
    /// prompt's topic), the mean over L slots instead: (Σ of the first min(n, L) words' q −
    /// shortfallPenalty·max(0, L − n) − overrunPenalty·max(0, n − L)) / L.
    /// - Throws: `DICEError.invalidParameter` for a prompt outside the language or a response
    ///   with a token that is not a content word (EOS allowed only last).
    public func quality(prompt: [Int], response: [Int]) throws -> Double {
        let words = try content(of: response, prompt: prompt)
        return meanValue(words, prompt: prompt)
    }

    /// The fraction of the prompt's `coverageWords` highest-valued words that the response
    /// contains (with a `lengthTarget`: among its first L words), in [0, 1]. Throws as `quality`.
    public func coverage(prompt: [Int], response: [Int]) throws -> Double {
        let words = try content(of: response, prompt: prompt)
        return coveredFraction(words, prompt: prompt)
    }

    /// The prompt's `coverageWords` highest-valued content words (ties: lower id first); empty
    /// for a prompt outside the language.
    public func bestWords(prompt: [Int]) -> Set<Int> {
        promptTables[prompt]?.best ?? []
    }

    /// The judge's score J = mean q(x, w) + coverageBonus·coverage + lengthBias·|y|, |y| in
    /// content words. Throws as `quality`.
    public func judgeScore(prompt: [Int], response: [Int]) throws -> Double {
        let words = try content(of: response, prompt: prompt)
        return meanValue(words, prompt: prompt) + config.coverageBonus * coveredFraction(words, prompt: prompt)
            + config.lengthBias * Double(words.count)
    }

    func meanValue(_ words: [Int], prompt: [Int]) -> Double {
        if let target = config.lengthTarget, let l = targetLength(prompt: prompt) {
            let counted = words.prefix(l).reduce(0) { $0 + wordValue(prompt: prompt, word: $1) }
            let missing = Double(max(0, l - words.count)), extra = Double(max(0, words.count - l))
            return (counted - target.shortfallPenalty * missing - target.overrunPenalty * extra) / Double(l)
        }
        return words.isEmpty ? 0 : words.reduce(0) { $0 + wordValue(prompt: prompt, word: $1) } / Double(words.count)
    }

    func coveredFraction(_ words: [Int], prompt: [Int]) -> Double {
        let best = bestWords(prompt: prompt)
        let counted = targetLength(prompt: prompt).map { Array(words.prefix($0)) } ?? words
        return best.isEmpty ? 0 : Double(best.intersection(counted).count) / Double(best.count)
    }

    /// The target answer length L of the prompt's topic, in content words; nil without a
    /// `lengthTarget` or for a prompt outside the language.
    public func targetLength(prompt: [Int]) -> Int? {
        guard let targetLengths, isPrompt(prompt) else { return nil }
        return targetLengths[prompt[0]]
    }

    /// The response's content words, checked.
    func content(of response: [Int], prompt: [Int]) throws -> [Int] {
        try checkPrompt(prompt)
        let words = response.last == Self.eos ? Array(response.dropLast()) : response
        if let bad = words.first(where: { !contentWords.contains($0) }) {
            throw DICEError.invalidParameter(name: "response", value: "token \(bad)", expected: "content word ids \(contentWords), EOS (\(Self.eos)) only at the end")
        }
        return words
    }

    /// - Throws: `DICEError.invalidParameter` when `prompt` is not a prompt of the language.
    func checkPrompt(_ prompt: [Int]) throws {
        guard isPrompt(prompt) else {
            throw DICEError.invalidParameter(name: "prompt", value: "\(prompt)", expected: "a toy prompt: a topic id in \(topics) then \(config.instructionsPerPrompt) increasing instruction ids in \(instructions)")
        }
    }

    // MARK: - Reference responses

    /// The reference (SFT) word distribution for `prompt`: p(w) ∝ exp(sftSharpness · v(x, w)),
    /// one probability per content word (index k ↔ word k + 1); uniform for a prompt outside
    /// the language.
    public func referenceWordDistribution(prompt: [Int]) -> [Double] {
        promptTables[prompt]?.reference ?? [Double](repeating: 1 / Double(config.wordCount), count: config.wordCount)
    }

    /// One reference response: minResponseWords plus a geometric number of extra words (another
    /// word with probability c = (mean − min)/(mean − min + 1) after each, up to
    /// maxResponseWords) — or, with a `lengthTarget`, L − spread + Binomial(2·spread, ½) words
    /// (at least 1) — the words drawn i.i.d. from `referenceWordDistribution`, then EOS.
    public func referenceResponse(prompt: [Int], rng: inout SplitMix64) -> [Int] {
        let p = referenceWordDistribution(prompt: prompt)
        if let target = config.lengthTarget, let l = targetLength(prompt: prompt) {
            var n = l - target.spread
            for _ in 0 ..< 2 * target.spread where rng.nextDouble() < 0.5 { n += 1 }
            return (0 ..< max(1, n)).map { _ in rng.categorical(p) + 1 } + [Self.eos]
        }
        let extra = config.meanResponseWords - Double(config.minResponseWords)
        let another = extra / (extra + 1)
        var n = config.minResponseWords
        while n < config.maxResponseWords, rng.nextDouble() < another { n += 1 }
        return (0 ..< n).map { _ in rng.categorical(p) + 1 } + [Self.eos]
    }
}
