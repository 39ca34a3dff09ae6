// ConstrainedPrompt: an AlpacaEval instruction with its verifiable constraints, and the seeded
// draw that builds the example's prompt sets from the 805 instructions.

import DICEKit
import Foundation

/// An instruction, the constraints added to it, and the user message the model sees.
struct ConstrainedPrompt: Sendable, Hashable, Codable {
    /// The AlpacaEval instruction, as given.
    var instruction: String
    /// The constraints appended to it (distinct kinds).
    var constraints: [Constraint]

    /// The user message: the instruction, then each constraint's sentence.
    var text: String {
        ([instruction.trimmingCharacters(in: .whitespacesAndNewlines)] + constraints.map(\.instruction))
            .joined(separator: " ")
    }
}

extension ConstraintJudge {
    /// A judge keyed by each prompt's user message (`ConstrainedPrompt.text`).
    init(prompts: [ConstrainedPrompt]) {
        var table: [String: [Constraint]] = [:]
        for p in prompts { table[p.text] = p.constraints }
        self.init(constraints: table)
    }
}

/// Draws constrained prompts from instructions with a seed.
struct ConstraintDraw {
    /// Constraints per prompt, of distinct kinds (1 … the number of kinds).
    var perPrompt: Int
    /// Instructions longer than this (characters) are skipped, to keep prompts short.
    var maxInstructionCharacters: Int

    /// Words the keyword constraint asks for (common enough to fit most answers).
    static let keywords = ["example", "simple", "important", "because", "first", "people", "future", "always"]
    /// Words the closing-word constraint asks for.
    static let closingWords = ["done", "thanks", "indeed", "goodbye", "everyone", "today"]

    /// `count` prompts from `instructions`: the eligible ones (short enough) in a seeded order,
    /// the first `count` taken, each given `perPrompt` seeded constraints.
    /// - Throws: `ExampleError.invalidOption` when fewer than `count` instructions are eligible.
    func prompts(from instructions: [String], count: Int, seed: UInt64) throws -> [ConstrainedPrompt] {
        let eligible = instructions.filter {
            let n = $0.trimmingCharacters(in: .whitespacesAndNewlines).count
            return n > 0 && n <= maxInstructionCharacters
        }
        guard eligible.count >= count else {
            throw ExampleError.invalidOption(name: "prompts + held-out", value: "\(count)",
                                             expected: "at most \(eligible.count) (instructions of ≤ \(maxInstructionCharacters) characters)")
        }
        var rng = SplitMix64(seed: seed)
        let order = Self.shuffled(Array(eligible.indices), &rng)
        return order.prefix(count).map { i in
            let kinds = Self.shuffled(Constraint.Kind.allCases, &rng).prefix(perPrompt)
            return ConstrainedPrompt(instruction: eligible[i], constraints: kinds.map { Self.constraint($0, &rng) })
        }
    }

    /// A constraint of `kind` with seeded parameters.
    static func constraint(_ kind: Constraint.Kind, _ rng: inout SplitMix64) -> Constraint {
        switch kind {
        case .maxWords: return .maxWords(limit: pick([15, 20, 25, 30], &rng))
        case .bulletPoints: return .bulletPoints(count: pick([2, 3], &rng))
        case .noCommas: return .noCommas
        case .includeKeywords: return .includeKeywords(words: [pick(keywords, &rng)])
        case .endWith: return .endWith(word: pick(closingWords, &rng))
        case .lowercase: return .lowercase
        }
    }

    /// A uniform index below `bound` (≥ 1), unbiased (rejection on SplitMix64's raw output).
    static func index(below bound: Int, _ rng: inout SplitMix64) -> Int {
        let n = UInt64(bound)
        while true {
            let product = rng.next().multipliedFullWidth(by: n)
            if product.low >= (0 &- n) % n { return Int(product.high) }
        }
    }

    static func pick<T>(_ items: [T], _ rng: inout SplitMix64) -> T { items[index(below: items.count, &rng)] }

    /// Fisher–Yates on SplitMix64.
    static func shuffled<T>(_ items: [T], _ rng: inout SplitMix64) -> [T] {
        var items = items
        for i in stride(from: items.count - 1, to: 0, by: -1) { items.swapAt(i, index(below: i + 1, &rng)) }
        return items
    }
}

/// The instructions of AlpacaEval's `example/outputs.json` (a JSON array of objects with an
/// "instruction" string), in file order.
enum AlpacaEval {
    /// - Throws: `ExampleError.badInput` naming the file when it is unreadable, not a JSON
    ///   array of objects, or a row has no "instruction" string.
    static func instructions(from url: URL) throws -> [String] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ExampleError.badInput(path: url.path, reason: "cannot read it (\(error.localizedDescription)); run `make smollm2` to fetch it")
        }
        struct Row: Decodable { let instruction: String }
        do {
            return try JSONDecoder().decode([Row].self, from: data).map(\.instruction)
        } catch {
            throw ExampleError.badInput(path: url.path, reason: "expected a JSON array of objects with an \"instruction\" string (\(error))")
        }
    }
}
