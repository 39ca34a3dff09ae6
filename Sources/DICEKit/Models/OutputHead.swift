// OutputHead: what a model projects its final hidden state to — next-token logits (a causal
// language model) or a few scores from the last token (transformers' *ForSequenceClassification,
// a reward model with one label).

/// The projection after the final norm.
///
/// A Hugging Face checkpoint says which in config.json's `architectures`: `LlamaForCausalLM`
/// (and every causal class of the registry) is `.languageModel`;
/// `LlamaForSequenceClassification` (any registered causal class's prefix +
/// `ForSequenceClassification`) is `.score`, its weight `score.weight` `[labels, C]` with no
/// bias, its label count `num_labels` (else the length of `id2label`, else transformers'
/// default 2).
public enum OutputHead: Sendable, Hashable {
    /// `[V, C]` next-token logits: `lm_head.weight`, or the token embedding when tied.
    case languageModel
    /// `[labels, C]` `score.weight`: one score per label, read at the last token of a sequence.
    case score(labels: Int)

    /// The transformers class suffix of a sequence classifier.
    public static let sequenceClassificationSuffix = "ForSequenceClassification"

    /// The name of the score head's weight.
    public static let scoreWeightName = "score.weight"
}
