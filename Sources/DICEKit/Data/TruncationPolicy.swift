// TruncationPolicy: what happens to a pair whose prompt + response is longer than allowed.

/// How a pair longer than `maxLength` tokens (prompt + the longer response) is handled.
///
/// `.truncate` follows TRL's order: first the prompt is cut from the *left* (its end, next to
/// the response, is kept) down to `maxPromptLength` tokens; then each response is cut from the
/// *right* to `maxLength − prompt` tokens. A pair that fits is never changed. Pairs whose
/// responses become identical are then dropped like any identical pair.
public enum TruncationPolicy: Sendable, Hashable, Codable {
    /// Reject the data set with `PreferenceDataError.tooLong`, naming the line.
    case error
    /// Cut as described above; `maxPromptLength` must be in `1..<maxLength`.
    case truncate(maxPromptLength: Int)

    /// The pair, cut to `maxLength` when it is longer (unchanged when it fits).
    /// - Throws: `PreferenceDataError.tooLong` (policy `.error`), `.invalidLimit`.
    func apply(_ pair: PreferencePair, maxLength: Int, path: String, line: Int) throws -> PreferencePair {
        let longest = pair.prompt.count + max(pair.chosen.count, pair.rejected.count)
        guard longest > maxLength else { return pair }
        switch self {
        case .error:
            throw PreferenceDataError.tooLong(path: path, line: line, length: longest, maxLength: maxLength)
        case .truncate(let maxPrompt):
            guard maxPrompt >= 1 && maxPrompt < maxLength else {
                throw PreferenceDataError.invalidLimit(
                    "the maximum prompt length \(maxPrompt) must lie in 1..<\(maxLength) (the maximum length)")
            }
            var out = pair
            if out.prompt.count > maxPrompt { out.prompt = Array(out.prompt.suffix(maxPrompt)) }
            let room = maxLength - out.prompt.count
            out.chosen = Array(out.chosen.prefix(room))
            out.rejected = Array(out.rejected.prefix(room))
            return out
        }
    }
}
