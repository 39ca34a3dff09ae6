// ScalarTrie: a set of strings keyed by Unicode scalars, answering "which members are prefixes
// of this text" in one walk — linear in the text, where looking up every prefix in a dictionary
// costs the square of its length.

/// Strings (as Unicode scalar sequences, compared scalar by scalar as Python compares `str`)
/// stored in a trie: one hash-table entry per edge.
struct ScalarTrie {
    /// The edges: `node << 21 | scalar` (a scalar fits in 21 bits) → the node one scalar further.
    /// Node 0 is the root (the empty string).
    private var edges: [UInt64: Int] = [:]
    /// Whether a member ends at each node.
    private var isMember: [Bool] = [false]

    /// The trie of `members`.
    init(_ members: some Sequence<some Sequence<Unicode.Scalar>>) {
        for member in members { insert(member) }
    }

    private static func edge(_ node: Int, _ scalar: Unicode.Scalar) -> UInt64 {
        UInt64(node) << 21 | UInt64(scalar.value)
    }

    /// Adds `member`.
    mutating func insert(_ member: some Sequence<Unicode.Scalar>) {
        var node = 0
        for scalar in member {
            let key = Self.edge(node, scalar)
            if let next = edges[key] {
                node = next
            } else {
                isMember.append(false)
                node = isMember.count - 1
                edges[key] = node
            }
        }
        isMember[node] = true
    }

    /// The lengths (in scalars, ascending) of the members that are prefixes of `text`, the empty
    /// string included when it is a member. Cost: O(length of the longest such prefix).
    func prefixLengths(of text: some Sequence<Unicode.Scalar>) -> [Int] {
        var lengths: [Int] = isMember[0] ? [0] : []
        var node = 0
        var length = 0
        for scalar in text {
            guard let next = edges[Self.edge(node, scalar)] else { break }
            node = next
            length += 1
            if isMember[node] { lengths.append(length) }
        }
        return lengths
    }
}
