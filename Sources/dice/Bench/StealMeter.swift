import Foundation

/// The share of this machine's CPU time that its hypervisor gave to other guests while a
/// benchmark ran ("steal" in Linux's /proc/stat), for reading figures taken on a shared host.
struct StealMeter {
    private let start: (steal: Double, total: Double)?

    /// Starts measuring now.
    init() { start = Self.sample() }

    /// Percent of all CPU time since `init` that was stolen (nil where /proc/stat is absent).
    var percent: Double? {
        guard let start, let now = Self.sample(), now.total > start.total else { return nil }
        return 100 * (now.steal - start.steal) / (now.total - start.total)
    }

    /// The aggregate `cpu` line's steal ticks and its total of user … steal ticks.
    private static func sample() -> (steal: Double, total: Double)? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") })
        else { return nil }
        let ticks = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard ticks.count >= 8 else { return nil }
        return (ticks[7], ticks[0..<8].reduce(0, +))
    }
}
