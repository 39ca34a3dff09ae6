// DPOMetrics+TensorBoard: a DPO update's or validation's figures under the tags Hugging Face's
// Trainer gives TRL's logs in TensorBoard.

extension DPOMetrics {
    /// The figures as TensorBoard scalars, tagged as `transformers`' `TensorBoardCallback`
    /// tags TRL's logs (`rewrite_logs`): an update's `train/loss`, `train/grad_norm`,
    /// `train/learning_rate`, `train/rewards/chosen`, `train/rewards/rejected`,
    /// `train/rewards/accuracies`, `train/rewards/margins`, `train/logps/chosen`,
    /// `train/logps/rejected`, `train/epoch`; a validation's `eval/loss`, `eval/rewards/…`,
    /// `eval/logps/…` (its epoch is the update's, already logged as `train/epoch`).
    ///
    /// Each is `values[name]` (the `metrics.jsonl` field) under `train/` + name, or for a
    /// validation `eval/` + the name without its `eval_` prefix; the step is `step`.
    public var tensorBoardScalars: [TensorBoardScalar] {
        let names = ["loss", "grad_norm", "learning_rate", "rewards/chosen", "rewards/rejected", "rewards/accuracies",
                     "rewards/margins", "logps/chosen", "logps/rejected"]
        let values = self.values
        if isValidation {
            return names.compactMap { name in values["eval_" + name].map { TensorBoardScalar("eval/" + name, $0) } }
        }
        return names.compactMap { name in values[name].map { TensorBoardScalar("train/" + name, $0) } }
            + [TensorBoardScalar("train/epoch", epoch)]
    }
}
