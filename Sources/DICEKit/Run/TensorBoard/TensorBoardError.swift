// TensorBoardError: an event file that cannot be read back.

/// Why an event file (TFRecord framing of `Event` protos) could not be read.
public enum TensorBoardError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The record at byte `offset` of the file at `path` is not what TFRecord or the `Event`
    /// proto allow; `reason` says what was found and what was expected.
    case damaged(path: String, offset: Int, reason: String)

    /// One sentence naming the file, the offset and the problem.
    public var description: String {
        switch self {
        case .damaged(let path, let offset, let reason):
            return "\(path): the TensorBoard record at byte \(offset) is damaged: \(reason)"
        }
    }
}
