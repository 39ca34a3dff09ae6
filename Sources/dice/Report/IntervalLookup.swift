// IntervalLookup: finds a figure and its interval (e.g. a 95% bootstrap interval of a win rate)
// in a JSON object whose keys may grow, under the names such reports commonly use — so that
// `dice report` shows intervals when a report has them and never requires them.

/// A figure with an optional interval around it.
struct Figure: Equatable {
    /// The value.
    var value: Double
    /// The interval's ends (low ≤ high), when recorded.
    var interval: ClosedRange<Double>?
}

/// Reads figures and intervals out of JSON objects (`[String: Any]` from `JSONSerialization`).
enum IntervalLookup {
    /// Names of an interval's lower and upper end, as keys of an object or suffixes of a key.
    static let lowNames = ["low", "lower", "lo", "min", "left"]
    /// See `lowNames`.
    static let highNames = ["high", "upper", "hi", "max", "right"]
    /// Keys of an object that hold the figure itself.
    static let valueNames = ["value", "rate", "mean", "estimate", "point"]

    /// `object[key]` with its interval, when `object[key]` is a number or an object holding one
    /// (`value`, `rate`, `mean`, …). The interval is looked for, in order: inside that object
    /// (`low`/`high`, `lower`/`upper`, `interval`: [a, b], …); at `key_<suffix>` holding [a, b] or
    /// such an object (`win_rate_ci`, `win_rate_95ci`, …); at `key_low` and `key_high` (or
    /// lower/upper, lo/hi); in `intervals`/`ci`/`confidence_intervals`: {key: …}. Nil when there
    /// is no finite figure.
    static func figure(_ key: String, in object: [String: Any]) -> Figure? {
        let raw = object[key]
        var value = number(raw)
        var interval: ClosedRange<Double>?
        if let nested = raw as? [String: Any] {
            value = valueNames.lazy.compactMap { number(nested[$0]) }.first
            interval = range(nested)
        }
        guard let value else { return nil }
        if interval == nil {
            for (k, v) in object.sorted(by: { $0.key < $1.key }) where k.hasPrefix(key + "_") && k != key {
                if let r = range(v) { interval = r; break }
            }
        }
        if interval == nil {
            for (lowName, highName) in zip(lowNames, highNames) {
                if let a = number(object["\(key)_\(lowName)"]), let b = number(object["\(key)_\(highName)"]) {
                    interval = ordered(a, b)
                    break
                }
            }
        }
        if interval == nil {
            for container in ["intervals", "interval", "ci", "confidence_intervals", "ci95"] {
                if let inner = object[container] as? [String: Any], let r = range(inner[key]) {
                    interval = r
                    break
                }
            }
        }
        return Figure(value: value, interval: interval)
    }

    /// A finite number (JSON numbers arrive as `NSNumber`, `Double` or `Int`).
    static func number(_ any: Any?) -> Double? {
        if let d = any as? Double, d.isFinite { return d }
        if let i = any as? Int { return Double(i) }
        return nil
    }

    /// [a, b], or an object with a low and a high end (or an `interval`/`ci` array inside it).
    static func range(_ any: Any?) -> ClosedRange<Double>? {
        if let array = any as? [Any], array.count == 2, let a = number(array[0]), let b = number(array[1]) {
            return ordered(a, b)
        }
        guard let object = any as? [String: Any] else { return nil }
        for (lowName, highName) in zip(lowNames, highNames) {
            if let a = number(object[lowName]), let b = number(object[highName]) { return ordered(a, b) }
        }
        for inner in ["interval", "ci", "ci95", "bounds"] {
            if let array = object[inner] as? [Any], let r = range(array) { return r }
        }
        return nil
    }

    private static func ordered(_ a: Double, _ b: Double) -> ClosedRange<Double> { min(a, b) ... max(a, b) }
}
