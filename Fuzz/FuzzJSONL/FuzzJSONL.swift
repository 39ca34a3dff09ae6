// FuzzJSONL: JSONL bytes → the JSONL reader (rows of any JSON object, re-encoded), preference
// rows (`PreferenceRow`) and the whole preference data set (`PreferenceDataset(jsonl:…)`, text
// rows tokenized with the gpt2_bytelevel fixture tokenizer, both truncation policies).

import DICEKit
import Foundation
import FuzzSupport

/// Tests/Fixtures/tokenizers/gpt2_bytelevel, found from this source file; nil when the
/// checkout has no fixtures (text rows then stop at `needsTokenizer`).
let tokenizer: Tokenizer? = {
    let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    let folder = repository.appendingPathComponent("Tests/Fixtures/tokenizers/gpt2_bytelevel")
    return try? Tokenizer(directory: folder)
}()

@main enum FuzzJSONL {
    static func main() {
        if tokenizer == nil {
            FileHandle.standardError.write(Data("FuzzJSONL: no fixture tokenizer; text rows are not tokenized\n".utf8))
        }
        FuzzDriver.main { data in
            if let rows = try? JSONL.decodeRecords([String: JSONValue].self, from: data, path: "fuzz.jsonl") {
                _ = try? JSONL.encode(rows.map(\.value))
            }
            _ = try? JSONL.decode(PreferenceRow.self, from: data, path: "fuzz.jsonl")
            for truncation in [TruncationPolicy.error, .truncate(maxPromptLength: 8)] {
                let encoding = PreferenceDataset.Encoding(tokenizer: tokenizer, template: .chatml, appendEOS: true)
                _ = try? PreferenceDataset(jsonl: data, path: "fuzz.jsonl", encoding: encoding, maxLength: 24,
                                           truncation: truncation)
            }
        }
    }
}
