// FuzzGGUF: GGUF bytes → `GGUFFile(data:path:)` (header, metadata, tensor descriptors); for a file
// that parses: every tensor dequantised, the embedded tokenizer rebuilt and used, the Llama
// configuration and the whole model directory extracted.

import DICEKit
import Foundation
import FuzzSupport

@main enum FuzzGGUF {
    static func main() {
        FuzzDriver.main { data in
            guard let file = try? GGUFFile(data: data, path: "fuzz.gguf") else { return }
            for info in file.tensors { _ = try? file.tensor(info.name) }
            if let tokenizer = try? Tokenizer(gguf: file) { tokenizer.exerciseForFuzzing() }
            _ = try? LlamaConfig(gguf: file)
            _ = try? file.modelDirectory()
        }
    }
}
