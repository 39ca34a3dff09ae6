/// One sequence's share of an incremental decoding pass: `tokens` fed at positions
/// `start ..< start + tokens.count` of cache slot `slot`.
///
/// A prompt's prefill is one segment with `start == 0`; a decoding step feeds one token per
/// active sample at `start == length so far`. The segment's tokens attend to the slot's cached
/// positions `0 ..< start` and causally to each other.
public struct DecodeSegment: Sendable, Hashable {
    /// The cache slot (one per sequence).
    public var slot: Int
    /// Position of `tokens[0]`; the slot must already hold positions `0 ..< start`.
    public var start: Int
    /// Token ids to feed (at least one).
    public var tokens: [Int]
    /// Whether the logits of the segment's last token are wanted.
    public var wantsLogits: Bool

    /// A segment of `tokens` at `start` in `slot`.
    public init(slot: Int, start: Int, tokens: [Int], wantsLogits: Bool = true) {
        self.slot = slot
        self.start = start
        self.tokens = tokens
        self.wantsLogits = wantsLogits
    }
}
