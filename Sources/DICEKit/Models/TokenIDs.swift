// TokenIDs: Hugging Face configs write bos/eos token ids either as one integer or as a list;
// this keeps which form was read so that encoding writes it back the same way.

/// One token id or a list of them, as `bos_token_id` / `eos_token_id` appear in Hugging Face
/// configs (`"eos_token_id": 2` or `"eos_token_id": [2, 3]`).
public enum TokenIDs: Codable, Sendable, Hashable {
    /// A single id (`2`).
    case single(Int)
    /// A list of ids (`[2, 3]`); any of them ends generation when used as EOS.
    case list([Int])

    /// All ids, in order (one element for `.single`).
    public var ids: [Int] {
        switch self {
        case .single(let id): return [id]
        case .list(let ids): return ids
        }
    }

    /// The first id, if any.
    public var first: Int? { ids.first }

    /// Whether `id` is one of the ids.
    public func contains(_ id: Int) -> Bool { ids.contains(id) }

    /// Decodes an integer or an array of integers.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let id = try? container.decode(Int.self) {
            self = .single(id)
        } else {
            self = .list(try container.decode([Int].self))
        }
    }

    /// Encodes in the form it was created with.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .single(let id): try container.encode(id)
        case .list(let ids): try container.encode(ids)
        }
    }
}
