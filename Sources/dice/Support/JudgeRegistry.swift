// JudgeRegistry: the judges `dice eval` knows, by name.

import DICEKit

/// The judges of `dice eval`, by name.
enum JudgeRegistry {
    /// A judge and what it needs of the evaluation.
    struct Entry {
        /// The judge.
        let judge: any Judge
        /// Token ids that must end responses for this judge (besides the model's EOS).
        let stopTokenIDs: [Int]
        /// The judge's own rendering of token ids (nil: the model's tokenizer).
        let render: (([Int]) -> String)?
        /// Why a prompt cannot be judged (nil when it can).
        let checkPrompt: ([Int]) -> String?
    }

    /// The names, sorted.
    static let names = ["constraints", "length", "toy"]
    /// The judges named with a folder: `llm:DIR`, a local chat model; `rm:DIR`, a reward model.
    static let folderJudges = ["llm:DIR", "rm:DIR"]
    /// Every spelling, for messages.
    static var allNames: String { (names + folderJudges).joined(separator: ", ") }

    /// Checks that `name` is a judge (before any work).
    /// - Throws: `EvalCommand.InputError` listing the known judges.
    static func validate(_ name: String) throws {
        let folderJudge = ["llm:", "rm:"].contains { name.hasPrefix($0) && name.count > $0.count }
        guard names.contains(name) || folderJudge else {
            throw EvalCommand.InputError(description: "--judge \(name): unknown judge; known judges: \(allNames)")
        }
    }

    /// The judge called `name`.
    /// - Parameters:
    ///   - lengthUnit: the unit the length judge compares in.
    ///   - constraints: the constraints judge's table (each prompt's text → its constraints);
    ///     required for "constraints".
    ///   - backend: where an `llm:` judge model runs.
    /// - Throws: `EvalCommand.InputError` listing the known names for an unknown one, or naming
    ///   an `llm:`/`rm:` folder without a tokenizer; `FormatError` naming config.json's
    ///   `architectures` or `num_labels` when an `rm:` folder is not a one-label reward model; `TokenizerError.missingChatTemplate` naming its
    ///   tokenizer_config.json when the judge model has no chat template; `DICEError` when the
    ///   toy task cannot be built; what loading the judge model throws.
    static func judge(named name: String, lengthUnit: LengthUnit, constraints: [String: [Constraint]] = [:],
                      backend: any Backend = CPUBackend()) throws -> Entry {
        if name.hasPrefix("llm:") {
            let folder = try ModelFolder(String(name.dropFirst(4)), flag: "--judge llm:")
            guard let tokenizer = folder.tokenizer else {
                throw EvalCommand.InputError(description: "--judge \(name): the judge model needs a tokenizer (tokenizer.json)")
            }
            let judge = try PairwiseLLMJudge(scorer: try TransformerLM(directory: folder.url, backend: backend, trainable: false),
                                             tokenizer: tokenizer)
            return Entry(judge: judge, stopTokenIDs: [], render: nil, checkPrompt: { _ in nil })
        }
        if name.hasPrefix("rm:") {
            let rm = try RewardModelFolder(String(name.dropFirst(3)), flag: "--judge rm:")
            let model = try rm.load(backend: backend), folder = rm.model
            guard let tokenizer = folder.tokenizer else {
                throw EvalCommand.InputError(description: "--judge \(name): the reward model needs a tokenizer (tokenizer.json)")
            }
            let judge = try RewardModelJudge(model: model, tokenizer: tokenizer, template: try folder.chatTemplate(nil))
            return Entry(judge: judge, stopTokenIDs: [], render: nil, checkPrompt: { _ in nil })
        }
        switch name {
        case "constraints":
            return Entry(judge: ConstraintJudge(constraints: constraints), stopTokenIDs: [], render: nil, checkPrompt: { _ in nil })
        case "length":
            return Entry(judge: LengthJudge(unit: lengthUnit), stopTokenIDs: [], render: nil, checkPrompt: { _ in nil })
        case "toy":
            let task = try ToyTask()
            return Entry(judge: ToyJudge(task: task), stopTokenIDs: [ToyTask.eos], render: task.render, checkPrompt: { prompt in
                task.isPrompt(prompt) ? nil
                    : "prompt \(prompt) is not a toy prompt (a topic id in \(task.topics), then \(task.config.instructionsPerPrompt) increasing instruction ids in \(task.instructions))"
            })
        default:
            throw EvalCommand.InputError(description: "--judge \(name): unknown judge; known judges: \(allNames)")
        }
    }
}
