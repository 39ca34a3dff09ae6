// `dice template` end to end: a model folder with Qwen3's real template renders the golden
// conversations (goldens.json, made with transformers) to the same text and ids; bad rows are
// named by file and line.

import Foundation
import Testing
@testable import DICEKit

@Suite("dice template")
struct TemplateCommandTests {
    /// A model folder: the fixture tokenizer `tokenizer` with `template` as its chat template.
    func modelFolder(_ scratch: ScratchFolder, template: String, tokenizer: String = "gpt2_bytelevel") throws -> URL {
        let model = scratch.file("model")
        try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
        try TokenizerFixtures.tokenizerJSON(tokenizer).write(to: model.appendingPathComponent("tokenizer.json"))
        let configURL = TokenizerFixtures.directory(tokenizer).appendingPathComponent("tokenizer_config.json")
        guard case .dict(var config) = try JinjaValue(jsonText: String(contentsOf: configURL, encoding: .utf8)) else {
            throw JinjaError(.type, "config", line: 0, column: 0)
        }
        config["chat_template"] = .string(template)
        try Data(try JinjaValue.dict(config).jsonText().utf8).write(to: model.appendingPathComponent("tokenizer_config.json"))
        return model
    }

    @Test("Qwen3's template: text and ids equal transformers' for every golden case")
    func goldens() throws {
        let scratch = try ScratchFolder("dice-template")
        defer { scratch.remove() }
        let source = try String(contentsOf: JinjaGoldenTests.directory.appendingPathComponent("qwen3.jinja"), encoding: .utf8)
        guard case .array(let cases)? = JinjaGoldenTests.field(try JinjaGoldenTests.goldens(), "cases") else {
            Issue.record("no cases")
            return
        }
        // The tokenizer the goldens were made with (Scripts/make-template-goldens.py: qwen2_split).
        let qwen3 = cases.filter { JinjaGoldenTests.field($0, "template") == .string("qwen3") }
        guard case .string(let tokenizer)? = qwen3.first.flatMap({ JinjaGoldenTests.field($0, "tokenizer") }) else {
            Issue.record("no qwen3 case names its tokenizer")
            return
        }
        let model = try modelFolder(scratch, template: source, tokenizer: tokenizer)
        var expected: [(JinjaValue, JinjaValue)] = []
        var lines: [String] = []
        for c in cases where JinjaGoldenTests.field(c, "template") == .string("qwen3") {
            guard let messages = JinjaGoldenTests.field(c, "messages"), let text = JinjaGoldenTests.field(c, "text"),
                  let ids = JinjaGoldenTests.field(c, "ids") else { continue }
            var row = JinjaDict()
            row["id"] = .int(lines.count)
            row["messages"] = messages
            row["add_generation_prompt"] = JinjaGoldenTests.field(c, "add_generation_prompt")
            row["template_kwargs"] = JinjaGoldenTests.field(c, "kwargs")
            lines.append(try JinjaValue.dict(row).jsonText())
            expected.append((text, ids))
        }
        #expect(expected.count >= 10)
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: scratch.file("in.jsonl"))
        let result = try #require(try DiceTool.run(["template", "--model", model.path, "--input", "in.jsonl",
                                                    "--output", "out.jsonl"], in: scratch.url))
        #expect(result.status == 0, "\(result.stderr)")
        let output = try String(contentsOf: scratch.file("out.jsonl"), encoding: .utf8)
        let rows = output.split(separator: "\n")
        #expect(rows.count == expected.count)
        for (index, (line, (text, ids))) in zip(rows, expected).enumerated() {
            let row = try JinjaValue(jsonText: String(line))
            #expect(JinjaGoldenTests.field(row, "id") == .int(index))
            #expect(JinjaGoldenTests.field(row, "text") == text, "row \(index)")
            #expect(JinjaGoldenTests.field(row, "ids") == ids, "row \(index)")
        }
    }

    @Test("bad rows and template errors are named by file and line")
    func badRows() throws {
        let scratch = try ScratchFolder("dice-template")
        defer { scratch.remove() }
        let model = try modelFolder(scratch, template: "{% if messages|length > 1 %}{{ raise_exception('one message only') }}{% endif %}{{ messages[0].content }}")
        let good = #"{"messages": [{"role": "user", "content": "hi"}]}"#
        for (row, message) in [
            (#"{"prompt": "hi"}"#, "in.jsonl:2: missing field \"messages\""),
            (#"{"messages": [], "add_generation_prompt": 1}"#, "in.jsonl:2: \"add_generation_prompt\" must be true or false"),
            (#"{"messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]}"#,
             "in.jsonl:2: chat template line 1, column 32: raise_exception: one message only"),
            (#"{"messages": "#, "in.jsonl:2: invalid JSON"),
        ] {
            try Data((good + "\n" + row + "\n").utf8).write(to: scratch.file("in.jsonl"))
            let result = try #require(try DiceTool.run(["template", "--model", model.path, "--input", "in.jsonl",
                                                        "--output", "out.jsonl"], in: scratch.url))
            #expect(result.status == 1)
            #expect(result.stderr.contains(message), "\(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: scratch.file("out.jsonl").path))
        }
    }
}
