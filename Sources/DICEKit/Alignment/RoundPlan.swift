// RoundPlan: which model plays which part in each DICE round, so the loop cannot mix them up.
//
//   round t:  sample from π_{t−1}
//             score with r = β·(log π_{t−1} − log π_{t−2}),  π_{−1} = π_ref
//             train π_t, initialised from π_{t−1}, against the frozen reference π_{t−1}

/// A model of a DICE run: the reference (SFT) model π_ref or a policy π_t (t ≥ 0; π_0 is the
/// DPO model given as input).
public enum ModelID: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    /// π_ref, the SFT model π_0 was trained against (also called π_{−1}).
    case reference
    /// π_t, t ≥ 0.
    case policy(Int)

    /// π_t with π_{−1} = π_ref. Requires t ≥ −1.
    public static func pi(_ t: Int) -> ModelID {
        precondition(t >= -1, "π_\(t) does not exist")
        return t == -1 ? .reference : .policy(t)
    }

    /// "pi_ref" or "pi_t".
    public var description: String {
        switch self {
        case .reference: return "pi_ref"
        case .policy(let t): return "pi_\(t)"
        }
    }

    /// The policy index, −1 for the reference.
    public var index: Int {
        switch self {
        case .reference: return -1
        case .policy(let t): return t
        }
    }

    /// Orders by position.
    public static func < (a: ModelID, b: ModelID) -> Bool { a.index < b.index }

    /// Parses "pi_ref" or "pi_t" (t ≥ 0); nil otherwise.
    public init?(_ text: String) {
        if text == "pi_ref" {
            self = .reference
        } else if text.hasPrefix("pi_"), let t = Int(text.dropFirst(3)), t >= 0, !text.contains("+") {
            self = .policy(t)
        } else {
            return nil
        }
    }

    /// Decodes the string form ("pi_ref", "pi_2").
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let id = ModelID(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected \"pi_ref\" or \"pi_<t>\", found \"\(text)\"")
        }
        self = id
    }

    /// Encodes the string form ("pi_ref", "pi_2").
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// The models of one DICE round t ≥ 1.
public struct RoundPlan: Sendable, Hashable, Codable {
    /// The round, 1-based.
    public let round: Int

    /// Plans round `round`. Requires round ≥ 1 (use `RoundPlan.plans(rounds:)` for user input).
    public init(round: Int) {
        precondition(round >= 1, "rounds are 1-based")
        self.round = round
    }

    /// The rounds 1 … `rounds`.
    /// - Throws: `DICEError.invalidParameter` for rounds < 1.
    public static func plans(rounds: Int) throws -> [RoundPlan] {
        guard rounds >= 1 else {
            throw DICEError.invalidParameter(name: "rounds", value: "\(rounds)", expected: "≥ 1")
        }
        return (1 ... rounds).map(RoundPlan.init(round:))
    }

    /// The model responses are sampled from: π_{t−1}.
    public var sampler: ModelID { .pi(round - 1) }
    /// The policy of the implicit reward: π_{t−1}.
    public var rewardPolicy: ModelID { .pi(round - 1) }
    /// The reference of the implicit reward: π_{t−2} (π_ref in round 1).
    public var rewardReference: ModelID { .pi(round - 2) }
    /// The model training starts from: π_{t−1}.
    public var trainingInitialization: ModelID { .pi(round - 1) }
    /// The frozen reference of this round's DPO: π_{t−1}.
    public var trainingReference: ModelID { .pi(round - 1) }
    /// The model this round produces: π_t.
    public var output: ModelID { .pi(round) }
}
