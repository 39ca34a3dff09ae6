// Writing a model one tensor at a time: the same bytes as the whole-host-copy path (one file,
// shards, bfloat16), and a tensor whose values disagree with its shape aborts the write with
// nothing left behind.

import Foundation
import Testing
@testable import DICEKit

@Suite("Streaming model writes")
struct StreamingWriteTests {
    /// Every file of `folder`, name → bytes.
    private static func files(_ folder: URL) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
            out[name] = try Data(contentsOf: folder.appendingPathComponent(name))
        }
        return out
    }

    @Test("TransformerLM.write gives modelDirectory().write's files byte for byte",
          arguments: Fixtures.modelNames, [nil, 20_000] as [Int?])
    func sameBytesAsHostCopy(name: String, maxShardBytes: Int?) throws {
        let directory = try ModelDirectory.read(from: Fixtures.model(name))
        let model = try TransformerLM(directory: Fixtures.model(name), backend: CPUBackend())
        let folder = try ScratchFolder()
        defer { folder.remove() }
        for dtype in [SafeTensorsDType.f32, .bf16] {
            let whole = folder.file("whole-\(dtype)"), streamed = folder.file("streamed-\(dtype)")
            try model.modelDirectory(config: directory.config, generationConfig: directory.generationConfig)
                .write(to: whole, dtype: dtype, maxShardBytes: maxShardBytes)
            try model.write(to: streamed, config: directory.config, generationConfig: directory.generationConfig,
                            dtype: dtype, maxShardBytes: maxShardBytes)
            let expected = try Self.files(whole), actual = try Self.files(streamed)
            #expect(actual.keys.sorted() == expected.keys.sorted())
            #expect(expected.keys.contains { $0.hasSuffix(".safetensors") })
            for (file, bytes) in expected { #expect(actual[file] == bytes, "\(name) \(dtype) \(file)") }
            // And the written weights are the model's (the oracle: the folder it was read from).
            #expect(try ModelDirectory.read(from: streamed).tensors.keys.sorted() == directory.tensors.keys.sorted())
        }
    }

    @Test("SafeTensors.write(shapes:values:) equals encode's bytes for the same tensors")
    func streamedSafeTensorsEqualEncode() throws {
        let tensors = [
            "b": HostTensor(shape: [2, 3], values: [1, -2, 3.5, 0, 1e-8, -7]),
            "a": HostTensor(shape: [4], values: [0.25, 0.5, 0.75, 1]),
            "scalar": HostTensor(shape: [], values: [42]),
        ]
        let folder = try ScratchFolder()
        defer { folder.remove() }
        var asked: [String] = []
        try SafeTensors.write(shapes: tensors.mapValues(\.shape), values: { asked.append($0); return tensors[$0]?.values ?? [] },
                              to: folder.file("t.safetensors"), dtype: .f32, metadata: ["format": "pt"])
        #expect(asked == ["a", "b", "scalar"])
        #expect(try Data(contentsOf: folder.file("t.safetensors")) == SafeTensors.encode(tensors, metadata: ["format": "pt"]))
        #expect(try SafeTensors.read(contentsOf: folder.file("t.safetensors")) == tensors)
    }

    @Test("values that disagree with the shape abort the write: typed error, nothing left")
    func wrongCountLeavesNothing() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let url = folder.file("t.safetensors")
        #expect {
            try SafeTensors.write(shapes: ["a": [2], "b": [3]], values: { $0 == "a" ? [1, 2] : [1, 2] }, to: url)
        } throws: { error in
            guard case FormatError.invalidTensor(let tensor, let reason) = error else { return false }
            return tensor == "b" && reason.contains("2 values for shape [3]")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path).isEmpty)
    }
}
