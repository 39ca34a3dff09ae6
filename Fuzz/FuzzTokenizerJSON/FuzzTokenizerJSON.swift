// FuzzTokenizerJSON: tokenizer.json bytes → `Tokenizer(tokenizerJSON:config:)`; a tokenizer that
// loads is then used (encode/decode, see `Tokenizer.exerciseForFuzzing`).

import DICEKit
import Foundation
import FuzzSupport

@main enum FuzzTokenizerJSON {
    static func main() {
        FuzzDriver.main { data in
            guard let tokenizer = try? Tokenizer(tokenizerJSON: data, config: nil) else { return }
            tokenizer.exerciseForFuzzing()
        }
    }
}
