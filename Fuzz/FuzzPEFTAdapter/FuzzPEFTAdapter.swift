// FuzzPEFTAdapter: bytes → a LoRA adapter folder's two files → `PEFTAdapterDirectory.read`
// (adapter_config.json decoding and its checks, the safetensors file, the names, ranks and
// shapes against a base) over a tiny Llama of the llama-gqa-tied fixture's shape (hidden 32,
// intermediate 48, 2 layers, 4 heads / 2 KV heads, vocabulary 96), whose zero weights are built
// once. An adapter that loads is attached and run on one short sequence.
//
// Input layout: a 2-byte little-endian length n, then n bytes of adapter_config.json, then the
// rest as adapter_model.safetensors (n beyond the input takes all of it as the config).

import DICEKit
import Foundation
import FuzzSupport

/// The base every input is read against. libFuzzer runs one input at a time on one thread, so
/// the model is never used concurrently (hence `nonisolated(unsafe)`).
nonisolated(unsafe) let base: TransformerLM? = try? TransformerLM(
    spec: TransformerSpec(modelType: "llama", vocabularySize: 96, hiddenSize: 32, intermediateSize: 48,
                          layers: 2, heads: 4, kvHeads: 2, maxPositions: 128),
    backend: CPUBackend(threads: 1))

@main enum FuzzPEFTAdapter {
    static func main() {
        FuzzDriver.main { data in
            guard let model = base else { return }
            let bytes = [UInt8](data)
            guard bytes.count >= 2 else { return }
            let n = min(Int(bytes[0]) | Int(bytes[1]) << 8, bytes.count - 2)
            let config = Data(bytes[2..<(2 + n)]), weights = Data(bytes[(2 + n)...])
            guard let adapter = try? PEFTAdapterDirectory.read(config: config, configPath: "adapter_config.json", weights: weights,
                                                               weightsPath: "adapter_model.safetensors", for: model) else { return }
            _ = try? model.withAdapter(adapter) { try model.logits([[1, 2, 3]]) }
        }
    }
}
