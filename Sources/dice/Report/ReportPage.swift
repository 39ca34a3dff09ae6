// ReportPage: the self-contained HTML page of `dice report` — sections written as HTML with
// inline SVG charts, the pairs as JSON in a <script type="application/json">, the page's CSS and
// script inline. Nothing is loaded from anywhere else.

import DICEKit
import Foundation

/// The report page being assembled; `html()` gives the finished document.
struct ReportPage {
    /// The page title (also the `<h1>`).
    var title: String
    /// The folder the report is about, as given on the command line.
    var folder: String
    /// Sections in order: (id, heading for the contents list, HTML).
    private(set) var sections: [(id: String, heading: String, html: String)] = []
    /// Every pair table's rows, for the embedded JSON.
    private(set) var tables: [PairTableData] = []
    /// The pairs in all tables.
    var pairCount: Int { tables.reduce(0) { $0 + $1.rows.count } }
    /// The charts drawn.
    private(set) var chartCount = 0

    /// An empty page titled `title` about `folder`.
    init(title: String, folder: String) {
        self.title = title
        self.folder = folder
    }

    /// Appends a section with element id `id`, listed as `heading` in the contents.
    mutating func addSection(id: String, heading: String, html: String) {
        sections.append((id, heading, html))
        chartCount += html.components(separatedBy: "<svg class=\"chart\"").count - 1
    }

    /// Registers a pair table and returns its placeholder HTML (controls, header, count), which
    /// the page's script fills.
    mutating func addPairTable(_ table: PairTableData, caption: String) -> String {
        tables.append(table)
        let id = HTML.escape(table.id), n = table.rows.count
        var s = "<div class=\"pair-table\" id=\"\(id)\" data-table=\"\(tables.count - 1)\">"
        s += "<div class=\"pair-controls\"><input type=\"search\" class=\"pair-search\" placeholder=\"Search prompts and responses\" aria-label=\"Search the pairs of \(HTML.escape(caption))\">"
        s += "<label>rows per page <select class=\"pair-page-size\"><option>25</option><option selected>50</option><option>100</option><option>250</option></select></label>"
        s += "<span class=\"pair-count\" id=\"\(id)-count\" data-total=\"\(n)\" data-shown=\"\(n)\">\(n) pairs</span>"
        s += "<span class=\"pager\"><button type=\"button\" class=\"prev\">‹ previous</button> <span class=\"page-label\"></span> <button type=\"button\" class=\"next\">next ›</button></span></div>"
        s += "<table class=\"pairs\"><caption>\(HTML.escape(caption))</caption><thead><tr>"
        for (k, name) in Self.pairColumns.enumerated() {
            s += "<th data-column=\"\(k)\" scope=\"col\" tabindex=\"0\">\(HTML.escape(name.replacingOccurrences(of: "UNIT", with: table.lengthUnit)))</th>"
        }
        s += "</tr></thead><tbody><tr><td colspan=\"\(Self.pairColumns.count)\">The table needs JavaScript.</td></tr></tbody></table></div>"
        return s
    }

    /// The pair table's column headings, in the order of the script's columns.
    static let pairColumns = ["prompt #", "prompt", "chosen", "rejected", "r chosen", "r rejected", "margin",
                              "length chosen (UNIT)", "length rejected (UNIT)", "trained on"]

    /// The finished document.
    /// - Throws: `EncodingError` when the pair data cannot be encoded (it holds only finite
    ///   numbers and strings, so this does not happen for rows built by `PairTableData`).
    func html(problems: [ReportProblem]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let json = String(decoding: try encoder.encode(["tables": tables]), as: UTF8.self)
        var s = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        s += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        s += "<meta name=\"generator\" content=\"dice report\">"
        s += "<title>\(HTML.escape(title))</title>\n<style>\(ReportPageStyle.css)</style>\n"
        s += "<script>\(ReportPageScript.errorCapture)</script>\n</head>\n"
        s += "<body data-report-status=\"loading\" data-errors=\"0\" data-charts=\"\(chartCount)\" data-pair-tables=\"\(tables.count)\" data-pairs-total=\"\(pairCount)\">\n"
        s += "<header><h1>\(HTML.escape(title))</h1><p class=\"folder\">Folder <code>\(HTML.escape(folder))</code> · written by <code>dice report</code></p></header>\n"
        s += "<main>\n"
        if !problems.isEmpty {
            s += "<section id=\"problems\" class=\"problems\"><h2>What is missing</h2>"
            s += "<p>\(problems.count == 1 ? "One file" : "\(problems.count) files or lines") could not be read; the sections below show what could.</p><ul>"
            for p in problems {
                s += "<li><code>\(HTML.escape(p.file + (p.line.map { ":\($0)" } ?? "")))</code> \(HTML.escape(p.message))</li>"
            }
            s += "</ul></section>\n"
        }
        if sections.count > 1 {
            s += "<nav id=\"contents\"><h2>Contents</h2><ul>"
            for section in sections { s += "<li><a href=\"#\(HTML.escape(section.id))\">\(HTML.escape(section.heading))</a></li>" }
            s += "</ul></nav>\n"
        }
        for section in sections {
            s += "<section id=\"\(HTML.escape(section.id))\">\(section.html)</section>\n"
        }
        s += "<section id=\"page-check\"><h2>Page check</h2><p id=\"page-status\">The page's script has not run.</p>"
        s += "<pre id=\"page-errors\"></pre></section>\n</main>\n"
        s += "<script type=\"application/json\" id=\"report-data\">\(HTML.scriptSafeJSON(json))</script>\n"
        s += "<script>\(ReportPageScript.main)</script>\n</body></html>\n"
        return s
    }
}
