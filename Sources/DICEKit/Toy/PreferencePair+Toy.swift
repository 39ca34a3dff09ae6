// Offline pairs of the toy task as text, for the JSONL files of a DICE run.

extension PreferencePair {
    /// The pair as a training-set row (`source` = offline), its text rendered by `task`.
    public func record(in task: ToyTask) -> TrainingPairRecord {
        TrainingPairRecord(source: .offline, prompt: task.render(prompt), chosen: task.render(chosen),
                           rejected: task.render(rejected), promptTokens: prompt, chosenTokens: chosen,
                           rejectedTokens: rejected)
    }
}
