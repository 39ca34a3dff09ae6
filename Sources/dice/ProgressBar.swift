import Foundation

/// A one-line progress bar on standard error (redrawn in place with `\r`).
struct ProgressBar {
    let total: Int
    let label: String
    private var lastDraw = 0.0

    init(total: Int, label: String) {
        self.total = max(1, total)
        self.label = label
    }

    /// Redraws the bar at `done` of `total` with `detail` after it (at most ~10 times a second,
    /// and always at the end).
    mutating func update(_ done: Int, detail: String = "") {
        let now = Date().timeIntervalSince1970
        guard done >= total || now - lastDraw >= 0.1 else { return }
        lastDraw = now
        let width = 30
        let filled = min(width, width * done / total)
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        FileHandle.standardError.write(Data("\r\(label) [\(bar)] \(done)/\(total) \(detail)\u{1B}[K".utf8))
    }

    /// Ends the line.
    func finish() { FileHandle.standardError.write(Data("\n".utf8)) }
}

/// Writes a line to standard error.
func warn(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
