// `dice report` pages in a real browser (headless Chromium): the page script runs without console
// errors, the sections and pair counts are in the DOM, a search through the page's test hook
// (#search=WORD) filters the pair table, 10,000 pairs load, and the screenshot is a rendered
// page (many colours, the charts' own colours among them), not a blank one. Skipped, with the
// reason, when Chromium is missing or does not start.

import DICEKit
import Foundation
import Testing

@Suite("dice report in a browser", .serialized,
       .enabled(if: ReportChromium.available, "chromium is missing or does not start (the reason is printed)"))
struct ReportBrowserTests {
    /// A finished bootstrap run's page with 10,000 pairs, a tenth of them mentioning "zebra".
    static func bigReport(in scratch: ScratchFolder) throws -> (pairs: [GeneratedPair], page: URL)? {
        let pairs = try ReportRunFixture.write(
            to: scratch.file("run"), prompts: 10_000,
            promptText: { "Question \($0): say something about animals" },
            text: { p, s in p % 10 == 3 && s == 0 ? "A zebra has stripes (\(p))" : "Answer \(s) about cats and dogs, number \(p)" })
        guard let result = try DiceTool.run(["report", "run", "--output", "report.html"], in: scratch.url) else { return nil }
        #expect(result.status == 0, "\(result.stderr)")
        return (pairs, scratch.file("report.html"))
    }

    /// The value of attribute `name` of the page's <body> in a DOM dump.
    static func attribute(_ name: String, in dom: String) -> String? {
        guard let body = dom.range(of: "<body"), let end = dom[body.upperBound...].firstIndex(of: ">"),
              let a = dom[body.upperBound ..< end].range(of: " \(name)=\"") else { return nil }
        return String(dom[a.upperBound...].prefix { $0 != "\"" })
    }

    /// `--dump-dom` of `page` (with `fragment`): the DOM after the load event, when the page's
    /// script (synchronous, no timers on load) has run.
    static func dump(_ page: URL, fragment: String = "") throws -> ReportChromium.Output? {
        guard let path = ReportChromium.probe.path else { return nil }
        return try ReportChromium.run(path, ["--dump-dom", page.absoluteString + fragment])
    }

    @Test("10,000 pairs: ready without errors, every section, the count, and #search=zebra filtering")
    func bigRun() throws {
        let scratch = try ScratchFolder("report-browser")
        defer { scratch.remove() }
        guard let (pairs, page) = try Self.bigReport(in: scratch) else { return }
        try #require(pairs.count == 10_000)
        let html = try String(contentsOf: page, encoding: .utf8)
        #expect(html.utf8.count < 12_000_000, "page of \(html.utf8.count) bytes")

        let started = Date()
        let plain = try #require(try Self.dump(page))
        let seconds = Date().timeIntervalSince(started)
        #expect(plain.status == 0, "\(plain.stderr.suffix(500))")
        #expect(seconds < 60, "the browser took \(seconds) s")
        let dom = plain.stdout
        #expect(dom.contains("data-report-status=\"ready\""), "the page's script did not finish")
        #expect(dom.contains("data-errors=\"0\""))
        #expect(ReportChromium.consoleLines(plain.stderr).isEmpty, "\(ReportChromium.consoleLines(plain.stderr))")
        for id in ["run", "round-1", "pairs-round-1", "page-check"] { #expect(dom.contains("id=\"\(id)\""), "no \(id)") }
        #expect(dom.contains("data-total=\"10000\" data-shown=\"10000\""))
        #expect(dom.contains("10000 pairs · showing 1–50"))
        // Only one page of rows is in the DOM.
        let rows = dom.components(separatedBy: "<td class=\"num\">").count - 1
        #expect(rows == 50 * 6, "\(rows) numeric cells")
        #expect(dom.contains("Script ran: ") && dom.contains(" pair tables, 10000 pairs"))

        // The search hook: the count of pairs whose texts mention "zebra" (the oracle: the pairs).
        let expected = pairs.filter { ($0.chosen.text + " " + $0.rejected.text).lowercased().contains("zebra") }.count
        try #require(expected > 0 && expected < 10_000)
        let searched = try #require(try Self.dump(page, fragment: "#search=zebra"))
        #expect(searched.status == 0)
        #expect(searched.stdout.contains("data-total=\"10000\" data-shown=\"\(expected)\""), "expected \(expected) rows")
        #expect(searched.stdout.contains("\(expected) of 10000 pairs match"))
        #expect(searched.stdout.contains("data-pairs-shown=\"\(expected)\""))
        #expect(searched.stdout.contains("A zebra has stripes"))
        #expect(searched.stdout.contains("number 3</div>") && !searched.stdout.contains("number 4</div>"))
        // Responsive: the search over 10,000 pairs and the whole script each take well under a second.
        let searchMS = try #require(Self.attribute("data-search-ms", in: searched.stdout).flatMap(Int.init))
        let scriptMS = try #require(Self.attribute("data-script-ms", in: plain.stdout).flatMap(Int.init))
        #expect(searchMS < 1000 && scriptMS < 3000, "search \(searchMS) ms, script \(scriptMS) ms")
        print("dice report, 10,000 pairs: page \(html.utf8.count) bytes, script \(scriptMS) ms, search \(searchMS) ms")
        #expect(ReportChromium.consoleLines(searched.stderr).isEmpty)

        let none = try #require(try Self.dump(page, fragment: "#search=no-such-word-anywhere"))
        #expect(none.stdout.contains("data-shown=\"0\""))
        #expect(none.stdout.contains("No pair matches"))
    }

    @Test("a damaged demo-like page still runs cleanly and says what is missing")
    func damagedPage() throws {
        let scratch = try ScratchFolder("report-browser-damaged")
        defer { scratch.remove() }
        let layout = RunLayout(root: scratch.file("run"))
        try ReportRunFixture.write(to: layout.root, prompts: 50)
        try FileManager.default.removeItem(at: layout.scored(1))
        try Data("{\"step\": 1, \"loss\":".utf8).write(to: layout.metrics(1))
        guard let result = try DiceTool.run(["report", "run", "--output", "report.html"], in: scratch.url) else { return }
        #expect(result.status == 1)
        let output = try #require(try Self.dump(scratch.file("report.html")))
        #expect(output.stdout.contains("data-report-status=\"ready\""))
        #expect(output.stdout.contains("data-errors=\"0\""))
        #expect(ReportChromium.consoleLines(output.stderr).isEmpty)
        #expect(output.stdout.contains("What is missing"))
        #expect(output.stdout.contains("round-1/scored.jsonl"))
        #expect(output.stdout.contains("round-1/metrics.jsonl:1"))
        #expect(output.stdout.contains("data-total=\"50\" data-shown=\"50\""))
    }

    @Test("the screenshot is a rendered page: many colours and the charts' colours, unlike a blank page's")
    func screenshot() throws {
        let scratch = try ScratchFolder("report-browser-shot")
        defer { scratch.remove() }
        try ReportRunFixture.write(to: scratch.file("run"), prompts: 300)
        guard let result = try DiceTool.run(["report", "run", "--output", "report.html"], in: scratch.url) else { return }
        #expect(result.status == 0)
        let path = try #require(ReportChromium.probe.path)
        func shoot(_ url: URL, to png: URL) throws -> ReportPNG {
            let run = try ReportChromium.run(path, ["--hide-scrollbars", "--window-size=1280,2400", "--virtual-time-budget=5000",
                                                    "--screenshot=\(png.path)", url.absoluteString])
            #expect(run.status == 0, "\(run.stderr.suffix(400))")
            return try ReportPNG(try Data(contentsOf: png))
        }
        // The negative control: a blank page decodes to one colour.
        let blankPage = scratch.file("blank.html")
        try Data("<!DOCTYPE html><html><body></body></html>".utf8).write(to: blankPage)
        let blank = try shoot(blankPage, to: scratch.file("blank.png"))
        #expect(Set(blank.pixels).count == 1)

        let image = try shoot(scratch.file("report.html"), to: scratch.file("report.png"))
        #expect(image.width == 1280 && image.height == 2400)
        let colours = Set(image.pixels)
        let background = Dictionary(grouping: image.pixels, by: { $0 }).max { $0.value.count < $1.value.count }?.key
        let painted = image.pixels.filter { $0 != background }.count
        #expect(colours.count > 200, "\(colours.count) colours")
        #expect(Double(painted) / Double(image.pixels.count) > 0.03, "\(painted) non-background pixels")
        // The charts' solid colours: the evaluation dots are absent here (no evaluation), but
        // the α marker (#f08c00) and the lines' blue (#1c7ed6) are drawn at full opacity.
        for colour: UInt32 in [0x1C7ED6, 0xF08C00] {
            #expect(colours.contains(colour), "no pixel of colour \(String(colour, radix: 16))")
        }
    }
}
