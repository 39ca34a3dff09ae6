// JinjaGlobals — the functions transformers' environment gives templates: range, namespace,
// dict, raise_exception and strftime_now (with the injectable clock of `JinjaOptions`).

import Foundation

enum JinjaGlobals {
    private static func fail(_ kind: JinjaError.Kind, _ message: String) -> JinjaError {
        JinjaPosition(line: 0, column: 0).error(kind, message)
    }

    /// Calls the global `name`.
    static func call(_ name: String, _ positional: [JinjaValue], _ keyword: [(String, JinjaValue)],
                     renderer: JinjaRenderer) throws -> JinjaValue {
        switch name {
        case "range":
            let ints = try positional.map { v -> Int in
                guard let i = v.integer else { throw fail(.type, "range() arguments must be integers, not \(v.typeName)") }
                return i
            }
            let (start, stop, step): (Int, Int, Int)
            switch ints.count {
            case 1: (start, stop, step) = (0, ints[0], 1)
            case 2: (start, stop, step) = (ints[0], ints[1], 1)
            case 3: (start, stop, step) = (ints[0], ints[1], ints[2])
            default: throw fail(.type, "range() takes 1 to 3 arguments")
            }
            guard step != 0 else { throw fail(.type, "range() arg 3 must not be zero") }
            let (span, overflow) = stop.subtractingReportingOverflow(start)
            let count: Int
            if overflow {
                count = Int.max
            } else if step > 0 {
                count = span <= 0 ? 0 : (span - 1) / step + 1
            } else {
                count = span >= 0 ? 0 : (span + 1) / step + 1
            }
            guard count <= renderer.options.limits.maxRange else {
                throw fail(.limit, "range of \(count) items is larger than the sandbox allows (\(renderer.options.limits.maxRange))")
            }
            return .array((0..<count).map { .int(start + $0 * step) })
        case "namespace", "dict":
            try renderer.checkNesting(.array(positional + keyword.map(\.1)))
            var d = JinjaDict()
            if let first = positional.first {
                guard case .dict(let initial) = first, positional.count == 1 else {
                    throw fail(.type, "\(name)() takes a single mapping and keyword arguments")
                }
                d = initial
            }
            for (k, v) in keyword { d[k] = v }
            if name == "dict" { return .dict(d) }
            if let bad = d.keys.first(where: { $0.hasPrefix("_") }) {
                throw fail(.security, "chat templates cannot store underscore-prefixed attributes on a namespace, but got '\(bad)'")
            }
            renderer.namespaces.append(d)
            return .namespace(renderer.namespaces.count - 1)
        case "raise_exception":
            throw fail(.raised, try positional.first?.pyStr() ?? "")
        case "strftime_now":
            guard case .string(let format)? = positional.first else { throw fail(.type, "strftime_now takes a format string") }
            return .string(strftime(format, renderer.options.now(), renderer.options.timeZone))
        default:
            throw fail(.undefined, "'\(name)' is undefined")
        }
    }

    /// C `strftime` for `date` in `zone` (C locale): %a %A %b %B %d %e %H %I %j %m %M %p %S %y %Y
    /// %Z %z %%, and glibc's `%-x` (no padding).
    static func strftime(_ format: String, _ date: Date, _ zone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        let (year, month, day) = (c.year ?? 1970, c.month ?? 1, c.day ?? 1)
        let (hour, minute, second) = (c.hour ?? 0, c.minute ?? 0, c.second ?? 0)
        let weekday = (c.weekday ?? 1) - 1
        let days = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
        let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                      "October", "November", "December"]
        let dayOfYear = calendar.ordinality(of: .day, in: .year, for: date) ?? 1
        var out = ""
        var chars = Array(format)
        var i = 0
        func pad(_ n: Int, _ width: Int, _ unpadded: Bool) -> String {
            let s = String(n)
            return unpadded || s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
        }
        while i < chars.count {
            guard chars[i] == "%", i + 1 < chars.count else { out.append(chars[i]); i += 1; continue }
            var unpadded = false
            var j = i + 1
            if chars[j] == "-", j + 1 < chars.count { unpadded = true; j += 1 }
            switch chars[j] {
            case "a": out += String(days[weekday].prefix(3))
            case "A": out += days[weekday]
            case "b", "h": out += String(months[month - 1].prefix(3))
            case "B": out += months[month - 1]
            case "d": out += pad(day, 2, unpadded)
            case "e": out += unpadded ? String(day) : (day < 10 ? " " : "") + String(day)
            case "H": out += pad(hour, 2, unpadded)
            case "I": out += pad(hour % 12 == 0 ? 12 : hour % 12, 2, unpadded)
            case "j": out += pad(dayOfYear, 3, unpadded)
            case "m": out += pad(month, 2, unpadded)
            case "M": out += pad(minute, 2, unpadded)
            case "p": out += hour < 12 ? "AM" : "PM"
            case "S": out += pad(second, 2, unpadded)
            case "y": out += pad(year % 100, 2, unpadded)
            case "Y": out += String(year)
            case "Z": out += zone.abbreviation(for: date) ?? ""
            case "z":
                let offset = zone.secondsFromGMT(for: date) / 60
                out += (offset < 0 ? "-" : "+") + pad(abs(offset) / 60, 2, false) + pad(abs(offset) % 60, 2, false)
            case "%": out += "%"
            default: out += String(chars[i...j])
            }
            i = j + 1
        }
        chars.removeAll()
        return out
    }
}
