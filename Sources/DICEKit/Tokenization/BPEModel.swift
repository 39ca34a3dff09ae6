// BPEModel — tokenizer.json's `model` section: byte-pair encoding of one pre-tokenized word.
//
// A word starts as one symbol per Unicode scalar (looked up in the vocabulary; scalars that are
// missing fall back to `<0xNN>` byte tokens when `byte_fallback` is on, else to the unknown
// token, else they are dropped — all as in `tokenizers`). Then, repeatedly, the adjacent pair
// with the lowest merge rank (leftmost on ties) is replaced by its merged token, until no
// adjacent pair has a merge. `BPEModel.mergeAll` is a transcription of tokenizers'
// `Word::merge_all` (priority queue, stale-entry check); `mergeNaive` is its reference oracle.

import Foundation

/// The `model` object of tokenizer.json (BPE only).
struct BPEModelJSON: Decodable {
    /// Token → id, tokens told apart by their exact scalars (see `ExactString`).
    var vocab: [ExactString: Int]
    var merges: [MergeJSON]
    var unkToken: String?
    var fuseUnk: Bool
    var byteFallback: Bool
    var ignoreMerges: Bool
    var continuingSubwordPrefix: String?
    var endOfWordSuffix: String?

    enum CodingKeys: String, CodingKey {
        case type, vocab, merges
        case unkToken = "unk_token"
        case fuseUnk = "fuse_unk"
        case byteFallback = "byte_fallback"
        case ignoreMerges = "ignore_merges"
        case continuingSubwordPrefix = "continuing_subword_prefix"
        case endOfWordSuffix = "end_of_word_suffix"
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        // Very old files omit `type`; a BPE model is recognised by its merges then.
        if let type = try c.decodeIfPresent(String.self, forKey: .type), type != "BPE" {
            throw UnsupportedComponent.model(type)
        }
        guard c.contains(.merges) else {
            throw c.contains(.type) ? UnsupportedComponent.missingMerges : UnsupportedComponent.model("(no type)")
        }
        // Not `[String: Int]`: that would merge canonically equivalent tokens ("é" and "e\u{301}").
        let tokens = try c.nestedContainer(keyedBy: TokenKey.self, forKey: .vocab)
        var vocab: [ExactString: Int] = [:]
        vocab.reserveCapacity(tokens.allKeys.count)
        for key in tokens.allKeys { vocab[ExactString(key.stringValue)] = try tokens.decode(Int.self, forKey: key) }
        self.vocab = vocab
        merges = try c.decode([MergeJSON].self, forKey: .merges)
        unkToken = try c.decodeIfPresent(String.self, forKey: .unkToken)
        fuseUnk = try c.decodeIfPresent(Bool.self, forKey: .fuseUnk) ?? false
        byteFallback = try c.decodeIfPresent(Bool.self, forKey: .byteFallback) ?? false
        ignoreMerges = try c.decodeIfPresent(Bool.self, forKey: .ignoreMerges) ?? false
        continuingSubwordPrefix = try c.decodeIfPresent(String.self, forKey: .continuingSubwordPrefix)
        endOfWordSuffix = try c.decodeIfPresent(String.self, forKey: .endOfWordSuffix)
    }
}

/// A vocabulary entry's key in tokenizer.json (any string).
private struct TokenKey: CodingKey {
    let stringValue: String
    init(stringValue: String) { self.stringValue = stringValue }
    var intValue: Int? { nil }
    init?(intValue: Int) { nil }
}

/// One merge: `"a b"` (older files) or `["a", "b"]` (tokenizers ≥ 0.20). `parts` must have two
/// elements; `BPEModel.init` reports any other count with the merge's index.
struct MergeJSON: Decodable {
    var parts: [String]
    /// A `"#version…"` header line of the string form, which tokenizers skips.
    var isVersionLine = false

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let line = try? c.decode(String.self) {
            isVersionLine = line.hasPrefix("#version")
            parts = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        } else {
            parts = try c.decode([String].self)
        }
    }
}

/// A byte-pair-encoding model with its merge table and word cache.
struct BPEModel: Sendable {
    /// Token string → id (tokens told apart by their exact scalars).
    let vocab: [ExactString: Int]
    /// (left id, right id) packed as `left << 32 | right` → (rank, merged id).
    let merges: [UInt64: (rank: Int, id: Int)]
    /// The unknown token's id, when the model has one.
    let unkID: Int?
    let fuseUnk: Bool
    /// `<0x00>`…`<0xFF>` ids when `byte_fallback` is on (an entry is nil if that token is missing).
    let byteFallbackIDs: [Int?]?
    let ignoreMerges: Bool
    let continuingSubwordPrefix: String?
    let endOfWordSuffix: String?
    let cache = WordCache(capacity: 10_000)

    /// Builds the model; throws `TokenizerError.invalidMerge` for a malformed merge or one whose
    /// tokens are not in the vocabulary, `.unknownToken` for a missing `unk_token`.
    init(_ json: BPEModelJSON, path: String) throws {
        vocab = json.vocab
        var merges: [UInt64: (rank: Int, id: Int)] = [:]
        merges.reserveCapacity(json.merges.count)
        let prefixBytes = json.continuingSubwordPrefix?.utf8.count ?? 0
        for (rank, merge) in json.merges.filter({ !$0.isVersionLine }).enumerated() {
            guard merge.parts.count == 2 else {
                throw TokenizerError.invalidMerge(path: path, index: rank,
                                                  reason: "expected two tokens, got \(merge.parts.count): \(merge.parts)")
            }
            let (a, b) = (merge.parts[0], merge.parts[1])
            guard let aID = vocab[ExactString(a)] else {
                throw TokenizerError.invalidMerge(path: path, index: rank, reason: "'\(a)' is not in the vocabulary")
            }
            guard let bID = vocab[ExactString(b)] else {
                throw TokenizerError.invalidMerge(path: path, index: rank, reason: "'\(b)' is not in the vocabulary")
            }
            var bTail = b
            if prefixBytes > 0, let prefix = json.continuingSubwordPrefix, b.hasPrefix(prefix) {
                bTail = String(b.dropFirst(prefix.count))
            }
            guard let newID = vocab[ExactString(a + bTail)] else {
                throw TokenizerError.invalidMerge(path: path, index: rank,
                                                  reason: "merged token '\(a + bTail)' is not in the vocabulary")
            }
            // A repeated pair keeps its last rank, as tokenizers' HashMap collect does.
            merges[Self.key(aID, bID)] = (rank, newID)
        }
        self.merges = merges
        if let unk = json.unkToken {
            guard let id = vocab[ExactString(unk)] else {
                throw TokenizerError.unknownToken(path: path, token: unk, context: "model.unk_token")
            }
            unkID = id
        } else {
            unkID = nil
        }
        fuseUnk = json.fuseUnk
        byteFallbackIDs = json.byteFallback
            ? (0..<256).map { json.vocab[ExactString(Self.byteToken(UInt8($0)))] }
            : nil
        ignoreMerges = json.ignoreMerges
        continuingSubwordPrefix = json.continuingSubwordPrefix
        endOfWordSuffix = json.endOfWordSuffix
    }

    /// `<0xNN>` with two uppercase hex digits, the byte-fallback token of `byte`.
    static func byteToken(_ byte: UInt8) -> String {
        let hex = String(byte, radix: 16, uppercase: true)
        return "<0x" + (hex.count == 1 ? "0" + hex : hex) + ">"
    }

    @inline(__always)
    static func key(_ a: Int, _ b: Int) -> UInt64 { UInt64(UInt32(truncatingIfNeeded: a)) << 32 | UInt64(UInt32(truncatingIfNeeded: b)) }

    /// The token ids of one pre-tokenized word (empty for an empty word).
    func tokenize(_ word: [Unicode.Scalar]) -> [Int] {
        guard !word.isEmpty else { return [] }
        let string = ExactString(String(String.UnicodeScalarView(word)))
        if ignoreMerges, let id = vocab[string] { return [id] }
        if let hit = cache.get(string) { return hit }
        let ids = Self.mergeAll(initialSymbols(word), merges: merges)
        cache.set(string, ids)
        return ids
    }

    /// One symbol per scalar (with byte fallback and unknown-token handling), before merging.
    func initialSymbols(_ word: [Unicode.Scalar]) -> [Int] {
        var symbols: [Int] = []
        symbols.reserveCapacity(word.count)
        var pendingUnk = false
        for (i, scalar) in word.enumerated() {
            var s = String(scalar)
            if i > 0, let prefix = continuingSubwordPrefix { s = prefix + s }
            if i == word.count - 1, let suffix = endOfWordSuffix { s += suffix }
            if let id = vocab[ExactString(s)] {
                if pendingUnk, let unk = unkID { symbols.append(unk); pendingUnk = false }
                symbols.append(id)
                continue
            }
            if let table = byteFallbackIDs {
                let ids = s.utf8.map { table[Int($0)] }
                if ids.allSatisfy({ $0 != nil }) {
                    symbols.append(contentsOf: ids.compactMap { $0 })
                    continue
                }
            }
            if let unk = unkID {
                if pendingUnk && !fuseUnk { symbols.append(unk) }
                pendingUnk = true
            }
        }
        if pendingUnk, let unk = unkID { symbols.append(unk) }
        return symbols
    }

    // MARK: - Merging

    /// Applies merges by rank with a priority queue (tokenizers' `Word::merge_all`).
    static func mergeAll(_ ids: [Int], merges: [UInt64: (rank: Int, id: Int)]) -> [Int] {
        let n = ids.count
        guard n > 1 else { return ids }
        var symbol = ids
        var prev = Array(-1..<(n - 1))
        var next = Array(1...n)
        next[n - 1] = -1
        var alive = [Bool](repeating: true, count: n)
        var queue = MergeQueue()
        for i in 0..<(n - 1) {
            if let m = merges[key(symbol[i], symbol[i + 1])] { queue.push(.init(rank: m.rank, pos: i, id: m.id)) }
        }
        while let top = queue.pop() {
            let pos = top.pos
            guard alive[pos], next[pos] >= 0 else { continue }
            let right = next[pos]
            guard let current = merges[key(symbol[pos], symbol[right])], current.id == top.id else { continue }
            symbol[pos] = top.id
            alive[right] = false
            let after = next[right]
            next[pos] = after
            if after >= 0 { prev[after] = pos }
            if prev[pos] >= 0, let m = merges[key(symbol[prev[pos]], symbol[pos])] {
                queue.push(.init(rank: m.rank, pos: prev[pos], id: m.id))
            }
            if after >= 0, let m = merges[key(symbol[pos], symbol[after])] {
                queue.push(.init(rank: m.rank, pos: pos, id: m.id))
            }
        }
        var out: [Int] = []
        out.reserveCapacity(n)
        var i = 0
        while i >= 0 { out.append(symbol[i]); i = next[i] }
        return out
    }

    /// The algorithmic reference for `mergeAll`: rescan for the lowest-ranked (leftmost) pair,
    /// merge it, repeat. O(n²) per word; used by tests as the oracle.
    static func mergeNaive(_ ids: [Int], merges: [UInt64: (rank: Int, id: Int)]) -> [Int] {
        var symbols = ids
        while symbols.count > 1 {
            var best: (rank: Int, pos: Int, id: Int)?
            for i in 0..<(symbols.count - 1) {
                if let m = merges[key(symbols[i], symbols[i + 1])], m.rank < (best?.rank ?? Int.max) {
                    best = (m.rank, i, m.id)
                }
            }
            guard let b = best else { break }
            symbols[b.pos] = b.id
            symbols.remove(at: b.pos + 1)
        }
        return symbols
    }
}

/// A binary min-heap of candidate merges ordered by (rank, position).
struct MergeQueue {
    struct Entry { var rank: Int; var pos: Int; var id: Int }
    private var heap: [Entry] = []

    @inline(__always)
    private static func less(_ a: Entry, _ b: Entry) -> Bool { a.rank != b.rank ? a.rank < b.rank : a.pos < b.pos }

    mutating func push(_ e: Entry) {
        heap.append(e)
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard Self.less(heap[i], heap[parent]) else { break }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> Entry? {
        guard let top = heap.first else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var smallest = i
                if l < heap.count && Self.less(heap[l], heap[smallest]) { smallest = l }
                if r < heap.count && Self.less(heap[r], heap[smallest]) { smallest = r }
                guard smallest != i else { break }
                heap.swapAt(i, smallest)
                i = smallest
            }
        }
        return top
    }
}

/// A bounded word → ids cache shared by all copies of a tokenizer, keyed by exact scalars (two
/// canonically equivalent words may encode differently).
///
/// `@unchecked Sendable`: the dictionary is only touched while holding `lock`.
final class WordCache: @unchecked Sendable {
    private var entries: [ExactString: [Int]] = [:]
    private let lock = NSLock()
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    func get(_ word: ExactString) -> [Int]? {
        lock.lock(); defer { lock.unlock() }
        return entries[word]
    }

    /// Stores `ids` unless the cache is full (as in tokenizers, a full cache stops growing).
    func set(_ word: ExactString, _ ids: [Int]) {
        lock.lock(); defer { lock.unlock() }
        if entries.count < capacity { entries[word] = ids }
    }
}
