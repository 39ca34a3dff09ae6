// ExactString: a dictionary key that tells apart strings Swift calls equal.
//
// Swift's `String ==` and hashing follow Unicode canonical equivalence: "é" (U+00E9) equals
// "e\u{301}", and "Å" (U+212B ANGSTROM SIGN) equals "Å" (U+00C5). Python's `str`, JSON objects
// and the `tokenizers` library compare code points, so a vocabulary may hold both spellings as
// different tokens (Gemma's does). Keyed by `String`, one of them would silently replace the
// other; keyed by `ExactString`, both stay.

/// A string compared and hashed by its exact Unicode scalars (as Python compares `str`), not by
/// canonical equivalence as `String` is.
struct ExactString: Hashable, Sendable, CustomStringConvertible {
    /// The string, with its scalars as given.
    let value: String

    /// Wraps `value` (no normalization).
    init(_ value: String) { self.value = value }

    static func == (lhs: ExactString, rhs: ExactString) -> Bool {
        lhs.value.utf8.elementsEqual(rhs.value.utf8)
    }

    func hash(into hasher: inout Hasher) {
        var value = value
        value.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }

    var description: String { value }
}
