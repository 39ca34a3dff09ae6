// PreferenceDataset: a preference JSONL file turned into token-id pairs — template-wrapped
// prompt and responses tokenized separately (no special tokens) and concatenated by the model —
// with the bad-input rules of DPO training applied and reported.

import Foundation
import Logging

/// Tokenized preference pairs read from a JSONL file, and what was dropped on the way.
///
/// Rules, in order, for each row:
/// 1. token-id rows are used as they are; text rows are rendered with `template` (the prompt
///    messages, with the generation prompt) and tokenized without special tokens; each response
///    is tokenized on its own, without special tokens;
/// 2. `appendEOS` appends the EOS id to both responses;
/// 3. an empty prompt or response is an error (`PreferenceDataError.emptyPrompt` /
///    `.emptyResponse`), never silently dropped;
/// 4. pairs over `maxLength` follow `truncation`;
/// 5. pairs whose chosen and rejected responses are identical carry no preference: they are
///    dropped and listed in `dropped`.
public struct PreferenceDataset: Sendable {
    /// The usable pairs, in file order.
    public var pairs: [PreferencePair]
    /// 1-based lines of the rows that were dropped, with the reason.
    public var dropped: [(line: Int, reason: String)]
    /// 1-based line of each pair in `pairs`.
    public var lines: [Int]
    /// How many pairs were truncated.
    public var truncatedCount: Int

    /// How text rows become token ids.
    public struct Encoding: Sendable {
        /// Needed for text rows, and for `appendEOS` without `eosTokenID`.
        public var tokenizer: Tokenizer?
        /// The chat template that wraps prompts.
        public var template: ChatTemplate
        /// Whether responses end with EOS.
        public var appendEOS: Bool
        /// The EOS id; the tokenizer's when nil.
        public var eosTokenID: Int?

        /// How text rows become ids: `tokenizer` and `template` for text, `appendEOS` with
        /// `eosTokenID` (the tokenizer's EOS when nil) for the responses' end.
        public init(tokenizer: Tokenizer?, template: ChatTemplate, appendEOS: Bool, eosTokenID: Int? = nil) {
            self.tokenizer = tokenizer
            self.template = template
            self.appendEOS = appendEOS
            self.eosTokenID = eosTokenID
        }
    }

    /// Reads and tokenizes the pairs of the JSONL file at `url`.
    /// - Parameters:
    ///   - url: the JSONL file (named in every error with the line).
    ///   - encoding: how text rows become token ids.
    ///   - maxLength: the longest prompt + response allowed, in tokens.
    ///   - truncation: what to do with longer pairs.
    ///   - logger: where each truncated pair and each dropped row is logged at `debug`, with its
    ///     line (label `dicekit.formats` by default, see `LogSubsystem`).
    /// - Throws: `JSONLError` for unreadable or malformed rows (file and line),
    ///   `PreferenceDataError` for the rules above, `TokenizerError` from a template.
    public init(contentsOf url: URL, encoding: Encoding, maxLength: Int, truncation: TruncationPolicy,
                logger: Logger = LogSubsystem.formats.logger) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw JSONLError.io(path: url.path, reason: "cannot read: \(error.localizedDescription)")
        }
        try self.init(jsonl: data, path: url.path, encoding: encoding, maxLength: maxLength, truncation: truncation,
                      logger: logger)
    }

    /// As `init(contentsOf:…)`, from JSONL bytes; `path` names them in errors.
    public init(jsonl data: Data, path: String, encoding: Encoding, maxLength: Int,
                truncation: TruncationPolicy, logger: Logger = LogSubsystem.formats.logger) throws {
        let rows = try JSONL.decode(PreferenceRow.self, from: data, path: path)
        try self.init(rows: rows, lines: Self.rowLines(data), path: path, encoding: encoding,
                      maxLength: maxLength, truncation: truncation, logger: logger)
    }

    /// Tokenizes decoded rows; `lines[i]` is row i's line for errors (the row index + 1 when
    /// shorter); `logger` as for `init(contentsOf:…)`.
    public init(rows: [PreferenceRow], lines: [Int] = [], path: String, encoding: Encoding, maxLength: Int,
                truncation: TruncationPolicy, logger: Logger = LogSubsystem.formats.logger) throws {
        guard maxLength >= 2 else { throw PreferenceDataError.invalidLimit("the maximum length \(maxLength) is below 2") }
        pairs = []
        dropped = []
        self.lines = []
        truncatedCount = 0
        for (i, row) in rows.enumerated() {
            let line = i < lines.count ? lines[i] : i + 1
            var pair = try Self.tokenize(row, encoding: encoding, path: path, line: line)
            guard !pair.prompt.isEmpty else { throw PreferenceDataError.emptyPrompt(path: path, line: line) }
            for (field, ids) in [("chosen", pair.chosen), ("rejected", pair.rejected)] where ids.isEmpty {
                throw PreferenceDataError.emptyResponse(path: path, line: line, field: field)
            }
            let cut = try truncation.apply(pair, maxLength: maxLength, path: path, line: line)
            if cut != pair {
                truncatedCount += 1
                logger.debug("pair truncated", metadata: ["file": "\(path)", "line": "\(line)", "maxLength": "\(maxLength)"])
            }
            pair = cut
            guard pair.chosen != pair.rejected else {
                dropped.append((line, "chosen and rejected are identical"))
                logger.debug("pair dropped: chosen and rejected are identical", metadata: ["file": "\(path)", "line": "\(line)"])
                continue
            }
            pairs.append(pair)
            self.lines.append(line)
        }
        guard !pairs.isEmpty else { throw PreferenceDataError.empty(path: path) }
        logger.debug("preference pairs read", metadata: ["file": "\(path)", "pairs": "\(pairs.count)",
                                                         "truncated": "\(truncatedCount)", "dropped": "\(dropped.count)"])
    }

    private static func tokenize(_ row: PreferenceRow, encoding: Encoding, path: String, line: Int) throws -> PreferencePair {
        var pair: PreferencePair
        switch row {
        case let .ids(prompt, chosen, rejected):
            for (field, ids) in [("prompt_ids", prompt), ("chosen_ids", chosen), ("rejected_ids", rejected)] {
                if let bad = ids.first(where: { $0 < 0 }) {
                    throw PreferenceDataError.invalidTokenID(path: path, line: line, field: field, id: bad)
                }
            }
            pair = PreferencePair(prompt: prompt, chosen: chosen, rejected: rejected)
        case let .conversation(messages, chosen, rejected):
            guard let tokenizer = encoding.tokenizer else {
                throw PreferenceDataError.needsTokenizer(
                    path: path, line: line, reason: "a text row needs a tokenizer (tokenizer.json in the model folder)")
            }
            let text = try tokenizer.applyChatTemplate(messages, addGenerationPrompt: true, template: encoding.template)
            pair = PreferencePair(prompt: tokenizer.encode(text, addSpecialTokens: false),
                                  chosen: chosen.isEmpty ? [] : tokenizer.encode(chosen, addSpecialTokens: false),
                                  rejected: rejected.isEmpty ? [] : tokenizer.encode(rejected, addSpecialTokens: false))
        }
        if encoding.appendEOS {
            guard let eos = encoding.eosTokenID ?? encoding.tokenizer?.eosTokenID else {
                throw PreferenceDataError.needsTokenizer(path: path, line: line,
                                                         reason: "--append-eos needs an EOS token id, and none is known")
            }
            // An empty response stays empty, so that it is reported rather than trained as "EOS".
            if !pair.chosen.isEmpty { pair.chosen.append(eos) }
            if !pair.rejected.isEmpty { pair.rejected.append(eos) }
        }
        return pair
    }

    /// 1-based numbers of the lines JSONL decodes (non-blank ones), in order.
    static func rowLines(_ data: Data) -> [Int] {
        var out: [Int] = []
        var number = 0
        for line in data.split(separator: 0x0A, omittingEmptySubsequences: false) {
            number += 1
            if line.contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D && $0 != 0xEF && $0 != 0xBB && $0 != 0xBF }) {
                out.append(number)
            }
        }
        return out
    }

    /// A fingerprint of the tokenized pairs and how they were made (SHA-256, hex): a key for
    /// caches of anything computed from the pairs.
    public static func fingerprint(_ pairs: [PreferencePair], template: String, appendEOS: Bool) -> String {
        var hash = SHA256()
        hash.update("dicekit.preference-pairs.v1")
        hash.update(template)
        hash.update(appendEOS ? 1 : 0)
        hash.update(pairs.count)
        for pair in pairs {
            for ids in [pair.prompt, pair.chosen, pair.rejected] {
                hash.update(ids.count)
                var bytes: [UInt8] = []
                bytes.reserveCapacity(ids.count * 4)
                for id in ids { withUnsafeBytes(of: UInt32(truncatingIfNeeded: id).littleEndian) { bytes += $0 } }
                hash.update(bytes)
            }
        }
        return hash.hexDigest()
    }
}
