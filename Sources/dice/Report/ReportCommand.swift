// ReportCommand: `dice report RUN --output report.html` — one self-contained HTML page about a
// `dice bootstrap` run or a `dice demo` folder. Damaged or missing files are named on stderr
// and on the page, and the page shows whatever could be read.

import ArgumentParser
import DICEKit
import Foundation

/// `dice report`: the HTML run report.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write one self-contained HTML page about a dice bootstrap run or a dice demo folder.",
        discussion: """
        The page (no network, no external files) shows per round the α search (length gap against α), the \
        chosen/rejected lengths, the reward distributions, the training curves, the evaluation (with intervals \
        when recorded) and a searchable, sortable table of the pairs; for a demo folder, every model against π_0 \
        and each run. A missing, truncated or garbled file is named on stderr (with its line when known) and on \
        the page, which shows the rest; the exit status is then 1. A folder that is not a run gets a page saying \
        so (and naming any runs found below it), also with exit status 1. Open the page with any browser; \
        report.html#search=WORD opens it with the pair tables searched for WORD.
        """
    )

    @Argument(help: ArgumentHelp("The run folder (dice bootstrap --output, or dice demo --output).", valueName: "run"))
    var folder: String

    @Option(help: "The HTML file to write.")
    var output = "report.html"

    func run() throws {
        try reportingErrors(report)
    }

    private func report() throws {
        let url = URL(fileURLWithPath: folder)
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw ValidationError("\(folder): no such folder")
        }
        var reader = LenientReader(root: url)
        var page: ReportPage
        var summaryLine: String
        switch ReportFolder.classify(url) {
        case .run:
            page = ReportPage(title: "DICE run report", folder: folder)
            let run = ReportRun.read(url, name: "", reader: &reader)
            page.addRun(run, idPrefix: "", problems: reader.problems, reader: reader)
            summaryLine = "1 run, \(run.rounds.count) rounds"
        case .demo(let runs):
            page = ReportPage(title: "DICE demo report", folder: folder)
            let reportURL = url.appendingPathComponent("report.json")
            let object = reader.jsonObject(at: reportURL, required: true)
            let summary = object.map { DemoSummary.read($0, url: reportURL, reader: &reader) }
            var loaded: [ReportRun] = []
            for name in runs {
                loaded.append(ReportRun.read(url.appendingPathComponent("runs/\(name)"), name: name, reader: &reader))
            }
            if runs.isEmpty { reader.record(url.appendingPathComponent("runs"), "no run folders (the demo has not run DICE yet)") }
            page.addDemoSummary(summary, missingNote: ReportPage.missing("summary", files: [reportURL], reader: reader,
                                                                        problems: reader.problems))
            for run in loaded {
                page.addRun(run, idPrefix: "\(run.name)-", problems: reader.problems, reader: reader)
            }
            summaryLine = "\(loaded.count) runs, \(loaded.reduce(0) { $0 + $1.rounds.count }) rounds"
        case .notARun(let found):
            page = ReportPage(title: "Not a DICE run", folder: folder)
            var s = "<h2>This folder is not a DICE run</h2><p>A <code>dice bootstrap</code> run folder holds settings.json, "
            s += "state.json and round-1/, …; a <code>dice demo</code> folder holds report.json, models/ and runs/. "
            s += "None of them is in <code>\(HTML.escape(folder))</code>.</p>"
            if !found.isEmpty {
                s += "<p>Runs found below it (run <code>dice report</code> on one of them):</p><ul>"
                s += found.map { "<li><code>\(HTML.escape($0))</code></li>" }.joined() + "</ul>"
            }
            page.addSection(id: "not-a-run", heading: "Not a run", html: s)
            let hint = found.isEmpty ? "" : "; runs found below it: " + found.joined(separator: ", ")
            reader.record(url, "not a DICE run: no settings.json, state.json or round-1/ (dice bootstrap), and no report.json with runs/ (dice demo)\(hint)")
            summaryLine = "not a run"
        }
        let problems = reader.problems
        for p in problems { warn("warning: \(p.description)") }
        let html = try page.html(problems: problems)
        let out = URL(fileURLWithPath: output)
        try AtomicFile.write(Data(html.utf8), to: out)
        print("Wrote \(out.path) (\(summaryLine), \(page.pairCount) pairs, \(page.chartCount) charts).")
        if !problems.isEmpty {
            warn("error: \(problems.count == 1 ? "1 problem" : "\(problems.count) problems") with \(folder) (listed above and on the page)")
            throw ExitCode.failure
        }
    }
}
