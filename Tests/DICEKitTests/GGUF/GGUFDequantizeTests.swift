import Foundation
import Testing
@testable import DICEKit

/// Dequantisation against gguf-py's `dequantize` (Tests/Fixtures/gguf/dequant.safetensors, made by
/// Scripts/make_gguf_fixtures.py): bit-identical, as both follow ggml's `dequantize_row_*`.
@Suite("GGUF dequantisation")
struct GGUFDequantizeTests {
    static let names = ["F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q6_K", "F32_3d"]

    @Test(arguments: names)
    func matchesGGUFPy(_ name: String) throws {
        let file = try GGUFFile(contentsOf: Fixtures.gguf("dequant.gguf"))
        let golden = try SafeTensorsFile(contentsOf: Fixtures.gguf("dequant.safetensors"))
        let got = try file.tensor("t.\(name)")
        let want = try golden.tensor("t.\(name)")
        #expect(got.shape == want.shape)
        let mismatches = zip(got.values, want.values).filter { $0.bitPattern != $1.bitPattern }.count
        #expect(mismatches == 0, "\(name): \(mismatches) of \(want.values.count) values differ")
        // The fixture's first 32 values are zero before quantisation: every type keeps them zero
        // (Q4_K/Q6_K are random blocks, and excluded).
        if !["Q4_K", "Q6_K", "F32_3d"].contains(name) {
            #expect(got.values.prefix(32).allSatisfy { $0 == 0 })
        }
    }

    /// A hand-made Q4_0 block against the closed form x = (q − 8)·d.
    @Test func q4_0ClosedForm() throws {
        var b = GGUFBytes()
        b.header(tensors: 1, kvs: 0)
        b.tensor("w", dims: [32], type: 2, offset: 0)
        while b.data.count % 32 != 0 { b.data.append(0) }
        b.data.append(contentsOf: [0x00, 0x38])               // fp16 0.5
        let nibbles: [UInt8] = (0..<16).map { (i: Int) -> UInt8 in UInt8(i) | (UInt8(15 - i) << 4) }
        b.data.append(contentsOf: nibbles)
        let values = try GGUFFile(data: b.data, path: "q4.gguf").tensor("w").values
        let low: [Float] = (0..<16).map { (i: Int) -> Float in Float(i - 8) * 0.5 }
        let high: [Float] = (0..<16).map { (i: Int) -> Float in Float(7 - i) * 0.5 }
        let want = low + high
        #expect(values == want)
    }
}
