// PairLogProbs: the per-pair numbers every preference loss reads — the policy's and the
// reference's sequence log-probs of the chosen and rejected responses, and their lengths.

/// One pair's sequence log-probabilities (sums over response tokens, in nats) and response
/// lengths (in tokens): what every DPO-family loss needs.
public struct PairLogProbs: Sendable, Hashable, Codable {
    /// log π(y_w|x) under the policy.
    public var policyChosen: Double
    /// log π(y_l|x) under the policy.
    public var policyRejected: Double
    /// log π_ref(y_w|x).
    public var referenceChosen: Double
    /// log π_ref(y_l|x).
    public var referenceRejected: Double
    /// |y_w|, tokens scored in the chosen response.
    public var chosenLength: Int
    /// |y_l|.
    public var rejectedLength: Int

    /// A pair's log-probs (nats) and response lengths (tokens).
    public init(policyChosen: Double, policyRejected: Double, referenceChosen: Double, referenceRejected: Double,
                chosenLength: Int, rejectedLength: Int) {
        self.policyChosen = policyChosen
        self.policyRejected = policyRejected
        self.referenceChosen = referenceChosen
        self.referenceRejected = referenceRejected
        self.chosenLength = chosenLength
        self.rejectedLength = rejectedLength
    }
}
