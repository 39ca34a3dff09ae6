// RoundReport+TensorBoard: what a DICE round reports, as TensorBoard scalars whose step is the
// round.

extension RoundReport {
    /// The round's figures as TensorBoard scalars (step: `round`), under `round/`:
    ///
    /// - `round/alpha`, `round/length_gap_before`, `round/length_gap_after` (chosen − rejected,
    ///   in `lengthUnit`);
    /// - counts: `round/pairs`, `round/responses_truncated`, `round/responses_degenerate`,
    ///   `round/prompts_too_few_valid`, `round/prompts_all_rewards_equal`,
    ///   `round/training_pairs_generated`, `round/training_pairs_offline`;
    /// - implicit rewards, when recorded: `round/rewards/samples_mean`,
    ///   `round/rewards/samples_std`, `round/rewards/chosen_mean`, `round/rewards/rejected_mean`;
    /// - the trainer's final metrics, when it ran: `round/train/` + each `training` name;
    /// - evaluation, when it ran: `round/eval/win_rate`, `round/eval/lc_win_rate`,
    ///   `round/eval/average_length`, `round/eval/baseline_average_length`, and
    ///   `round/held_out/reward_accuracy`.
    public var tensorBoardScalars: [TensorBoardScalar] {
        let g = lengthRegularization, p = pairing
        var out = [TensorBoardScalar("round/alpha", g.alpha),
                   TensorBoardScalar("round/length_gap_before", g.meanLengthGapBefore),
                   TensorBoardScalar("round/length_gap_after", g.meanLengthGapAfter),
                   TensorBoardScalar("round/pairs", Double(p.pairs)),
                   TensorBoardScalar("round/responses_truncated", Double(p.truncated)),
                   TensorBoardScalar("round/responses_degenerate", Double(p.degenerate)),
                   TensorBoardScalar("round/prompts_too_few_valid", Double(p.promptsWithTooFewValid)),
                   TensorBoardScalar("round/prompts_all_rewards_equal", Double(p.promptsAllEqual)),
                   TensorBoardScalar("round/training_pairs_generated", Double(generatedPairsUsed)),
                   TensorBoardScalar("round/training_pairs_offline", Double(offlinePairsUsed))]
        if let samples = rewards?.samples {
            out += [TensorBoardScalar("round/rewards/samples_mean", samples.mean),
                    TensorBoardScalar("round/rewards/samples_std", samples.standardDeviation)]
        }
        if let chosen = rewards?.chosenMean { out.append(TensorBoardScalar("round/rewards/chosen_mean", chosen)) }
        if let rejected = rewards?.rejectedMean { out.append(TensorBoardScalar("round/rewards/rejected_mean", rejected)) }
        for name in (training ?? [:]).keys.sorted() {
            if let value = training?[name] { out.append(TensorBoardScalar("round/train/" + name, value)) }
        }
        if let e = evaluation {
            out += [TensorBoardScalar("round/eval/win_rate", e.winRate.rate),
                    TensorBoardScalar("round/eval/lc_win_rate", e.lengthControlled.rate),
                    TensorBoardScalar("round/eval/average_length", e.averageLength),
                    TensorBoardScalar("round/eval/baseline_average_length", e.baselineAverageLength)]
        }
        if let a = rewardAccuracy { out.append(TensorBoardScalar("round/held_out/reward_accuracy", a.accuracy)) }
        return out
    }
}
