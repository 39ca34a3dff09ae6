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

    /// The judge called `name`.
    /// - Parameters:
    ///   - lengthUnit: the unit the length judge compares in.
    ///   - constraints: the constraints judge's table (each prompt's rendered text → its
    ///     constraints); required for "constraints".
    /// - Throws: `EvalCommand.InputError` listing the known names for an unknown one;
    ///   `DICEError` when the toy task cannot be built.
    static func judge(named name: String, lengthUnit: LengthUnit, constraints: [String: [Constraint]] = [:]) throws -> Entry {
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
            throw EvalCommand.InputError(description: "--judge \(name): unknown judge; known judges: \(names.joined(separator: ", "))")
        }
    }
}
