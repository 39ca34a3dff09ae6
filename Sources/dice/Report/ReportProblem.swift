// ReportProblem: one thing `dice report` could not read or show — the file, the line when known,
// and what was wrong — printed on stderr and listed on the page.

/// A file of the run that is missing, unreadable or damaged, as `dice report` found it.
struct ReportProblem: Hashable, Encodable {
    /// The file, relative to the folder given to `dice report` (e.g. `round-1/pairs.jsonl`).
    var file: String
    /// The 1-based line of a JSONL file the problem is on, when known.
    var line: Int?
    /// What was wrong, in words (e.g. "missing", "invalid JSON: …").
    var message: String

    /// "file:line: message" (or "file: message" without a line).
    var description: String {
        file + (line.map { ":\($0)" } ?? "") + ": " + message
    }
}
