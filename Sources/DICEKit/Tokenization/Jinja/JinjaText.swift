// JinjaText — Python's str operations on Unicode scalars (what templates' string methods and
// filters do): whitespace, strip, split, find, replace, case mappings.

enum JinjaText {
    /// Python's `str.isspace()` for one code point (White_Space plus U+001C–U+001F).
    static func isSpace(_ c: Unicode.Scalar) -> Bool {
        let v = c.value
        if v < 0x80 { return v == 0x20 || (v >= 0x09 && v <= 0x0D) || (v >= 0x1C && v <= 0x1F) }
        return c.properties.isWhitespace
    }

    /// `s.strip(chars)` / `lstrip` / `rstrip`: removes leading and/or trailing scalars that are in
    /// `chars` (whitespace when nil).
    static func strip(_ s: String, _ chars: String?, leading: Bool, trailing: Bool) -> String {
        let set = chars.map { Set($0.unicodeScalars) }
        func drop(_ c: Unicode.Scalar) -> Bool { set.map { $0.contains(c) } ?? isSpace(c) }
        let scalars = Array(s.unicodeScalars)
        var lo = 0, hi = scalars.count
        if leading { while lo < hi && drop(scalars[lo]) { lo += 1 } }
        if trailing { while hi > lo && drop(scalars[hi - 1]) { hi -= 1 } }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars[lo..<hi])
        return String(out)
    }

    /// Offset (in scalars) of the first occurrence of `needle` in `s` at or after `from`.
    static func find(_ needle: String, in s: String, from: Int = 0) -> Int? {
        let h = Array(s.unicodeScalars), n = Array(needle.unicodeScalars)
        guard n.count <= h.count else { return nil }
        if n.isEmpty { return from <= h.count ? from : nil }
        var i = max(0, from)
        while i + n.count <= h.count {
            if h[i] == n[0] && Array(h[i..<i + n.count]) == n { return i }
            i += 1
        }
        return nil
    }

    /// `s.split(sep, maxsplit)`; with `sep` nil, runs of whitespace separate and empty pieces drop.
    static func split(_ s: String, _ sep: String?, maxSplit: Int = -1) -> [String] {
        let h = Array(s.unicodeScalars)
        func text(_ r: Range<Int>) -> String {
            var v = String.UnicodeScalarView()
            v.append(contentsOf: h[r])
            return String(v)
        }
        var parts: [String] = []
        guard let sep else {
            var i = 0
            while i < h.count {
                while i < h.count && isSpace(h[i]) { i += 1 }
                guard i < h.count else { break }
                if maxSplit >= 0 && parts.count == maxSplit {
                    var end = h.count
                    while end > i && isSpace(h[end - 1]) { end -= 1 }
                    parts.append(text(i..<end))
                    break
                }
                var j = i
                while j < h.count && !isSpace(h[j]) { j += 1 }
                parts.append(text(i..<j))
                i = j
            }
            return parts
        }
        let n = Array(sep.unicodeScalars)
        var start = 0, i = 0
        while i + n.count <= h.count && (maxSplit < 0 || parts.count < maxSplit) {
            if Array(h[i..<i + n.count]) == n {
                parts.append(text(start..<i))
                i += n.count
                start = i
            } else {
                i += 1
            }
        }
        parts.append(text(start..<h.count))
        return parts
    }

    /// `s.replace(old, new, count)` (count < 0: all).
    static func replace(_ s: String, _ old: String, _ new: String, count: Int = -1) -> String {
        let h = Array(s.unicodeScalars), n = Array(old.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0, done = 0
        if n.isEmpty {
            for c in h {
                if count < 0 || done < count { out.append(contentsOf: new.unicodeScalars); done += 1 }
                out.append(c)
            }
            if count < 0 || done < count { out.append(contentsOf: new.unicodeScalars) }
            return String(out)
        }
        while i < h.count {
            if (count < 0 || done < count) && i + n.count <= h.count && Array(h[i..<i + n.count]) == n {
                out.append(contentsOf: new.unicodeScalars)
                i += n.count
                done += 1
            } else {
                out.append(h[i])
                i += 1
            }
        }
        return String(out)
    }

    /// `s.upper()`.
    static func upper(_ s: String) -> String { s.uppercased() }
    /// `s.lower()`.
    static func lower(_ s: String) -> String { s.lowercased() }

    /// `s.capitalize()`: the first character upper-cased, the rest lower-cased.
    static func capitalize(_ s: String) -> String {
        guard let first = s.first else { return s }
        return String(first).uppercased() + s.dropFirst().lowercased()
    }

    /// `s.title()`: each cased run starts upper-case, the rest lower-case.
    static func title(_ s: String) -> String {
        var out = ""
        var previousCased = false
        for c in s {
            let cased = c.isCased
            out += previousCased ? String(c).lowercased() : String(c).uppercased()
            previousCased = cased
        }
        return out
    }
}
