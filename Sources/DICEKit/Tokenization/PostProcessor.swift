// PostProcessor — tokenizer.json's `post_processor` section: special tokens wrapped around an
// encoding when `addSpecialTokens` is true (BOS for Llama, <s>…</s> for RoBERTa).

/// A post-processor, one case per supported tokenizer.json `type` (single sequences only).
indirect enum PostProcessor: Decodable, Sendable {
    /// `Sequence`: apply each in order.
    case sequence([PostProcessor])
    /// `ByteLevel`: only trims offsets in tokenizers; the ids are unchanged.
    case byteLevel
    /// `TemplateProcessing`: the `single` template, resolved to pieces.
    case template([TemplatePiece])
    /// `RobertaProcessing` / `BertProcessing`: `cls` ids, the sequence, `sep` ids.
    case wrap(cls: Int, sep: Int)

    /// One element of a `single` template.
    enum TemplatePiece: Sendable, Equatable {
        /// The ids of a special token of the template.
        case special([Int])
        /// The encoded sequence (`$A`).
        case sequence
    }

    enum CodingKeys: String, CodingKey {
        case processors, single, cls, sep
        case specialTokens = "special_tokens"
    }

    private enum ItemKeys: String, CodingKey {
        case specialToken = "SpecialToken"
        case sequence = "Sequence"
    }

    private struct ItemID: Decodable { var id: String }
    private struct SpecialTokenSpec: Decodable { var ids: [Int] }

    init(from decoder: any Decoder) throws {
        let type = try decoder.componentType()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch type {
        case "Sequence": self = .sequence(try c.decode([PostProcessor].self, forKey: .processors))
        case "ByteLevel": self = .byteLevel
        case "TemplateProcessing":
            let specials = try c.decodeIfPresent([String: SpecialTokenSpec].self, forKey: .specialTokens) ?? [:]
            var items = try c.nestedUnkeyedContainer(forKey: .single)
            var pieces: [TemplatePiece] = []
            while !items.isAtEnd {
                let item = try items.nestedContainer(keyedBy: ItemKeys.self)
                if let special = try item.decodeIfPresent(ItemID.self, forKey: .specialToken) {
                    guard let spec = specials[special.id] else {
                        throw DecodingError.dataCorruptedError(
                            forKey: .specialToken, in: item,
                            debugDescription: "special token '\(special.id)' is missing from special_tokens")
                    }
                    pieces.append(.special(spec.ids))
                } else if try item.decodeIfPresent(ItemID.self, forKey: .sequence) != nil {
                    pieces.append(.sequence)
                } else {
                    throw DecodingError.dataCorruptedError(
                        forKey: .sequence, in: item, debugDescription: "expected a SpecialToken or Sequence item")
                }
            }
            self = .template(pieces)
        case "RobertaProcessing", "BertProcessing":
            self = .wrap(cls: try Self.tokenID(c, .cls), sep: try Self.tokenID(c, .sep))
        default:
            throw UnsupportedComponent.postProcessor(type)
        }
    }

    /// The id of a `["<s>", 0]` pair.
    private static func tokenID(_ c: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> Int {
        var pair = try c.nestedUnkeyedContainer(forKey: key)
        _ = try pair.decode(String.self)
        return try pair.decode(Int.self)
    }

    /// `ids` with this processor's special tokens added (a single sequence).
    func process(_ ids: [Int]) -> [Int] {
        switch self {
        case .sequence(let steps): return steps.reduce(ids) { $1.process($0) }
        case .byteLevel: return ids
        case .template(let pieces):
            return pieces.flatMap { piece -> [Int] in
                switch piece {
                case .special(let special): return special
                case .sequence: return ids
                }
            }
        case let .wrap(cls, sep): return [cls] + ids + [sep]
        }
    }
}
