/// Detects stop strings in a growing response by decoding only its tail: the last
/// `longest + 2` tokens, where `longest` is the longest stop string in UTF-8 bytes (every BPE
/// token decodes to at least one byte, so a stop string completed by the newest token lies
/// inside that window).
struct StopStringMatcher: Sendable {
    let strings: [String]
    let tokenizer: Tokenizer
    let window: Int

    init(strings: [String], tokenizer: Tokenizer) {
        self.strings = strings
        self.tokenizer = tokenizer
        self.window = (strings.map(\.utf8.count).max() ?? 0) + 2
    }

    /// Whether the decoded tail of `ids` contains a stop string.
    func matches(_ ids: [Int]) -> Bool {
        let text = tokenizer.decode(Array(ids.suffix(window)))
        return strings.contains { text.contains($0) }
    }
}
