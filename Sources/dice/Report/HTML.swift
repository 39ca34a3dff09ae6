// HTML: escaping text for HTML (elements and attributes) and JSON for a <script> element, and
// the number formats the report page uses.

import Foundation

/// Escaping and formatting for the report page.
enum HTML {
    /// `text` safe inside an element or a quoted attribute: & < > " ' escaped.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// JSON text made safe inside `<script type="application/json">`: every `<`, `>` and `&`
    /// (which JSON syntax uses only inside strings) becomes its `\uXXXX` escape, so no
    /// `</script>` or `<!--` can end or change the element; U+2028/U+2029 are escaped too.
    /// `JSON.parse` of the result gives back the same value.
    static func scriptSafeJSON(_ json: String) -> String {
        var out = ""
        out.reserveCapacity(json.utf8.count)
        for scalar in json.unicodeScalars {
            switch scalar {
            case "<": out += "\\u003c"
            case ">": out += "\\u003e"
            case "&": out += "\\u0026"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// A number for people: up to `digits` significant digits, no exponent for ordinary sizes
    /// ("0.0123", "1234", "1.5e-07"); "–" for nil or a non-finite value.
    static func number(_ x: Double?, digits: Int = 4) -> String {
        guard let x, x.isFinite else { return "–" }
        if x == 0 { return "0" }
        let magnitude = abs(x)
        if magnitude >= 1e-3 && magnitude < 1e6 {
            var s = String(format: "%.\(digits)g", x)
            if s.contains("e") { s = String(format: "%.0f", x) }
            return s
        }
        return String(format: "%.\(max(1, digits - 1))e", x)
    }

    /// A fraction as a percentage with one decimal ("61.3%"); "–" for nil.
    static func percent(_ x: Double?) -> String {
        guard let x, x.isFinite else { return "–" }
        return String(format: "%.1f%%", 100 * x)
    }

    /// A pixel coordinate with at most one decimal (0 for a value no chart can place).
    static func px(_ x: Double) -> String {
        guard x.isFinite, abs(x) < 1e9 else { return "0" }
        let r = (x * 10).rounded() / 10
        return r == r.rounded() ? String(Int(r)) : String(format: "%.1f", r)
    }
}
