// BLASCore: the rule that picks OpenBLAS's kernel family, on CPUs it has been seen to get wrong.

@testable import DICEKit
import Foundation
import Testing

@Suite("OpenBLAS kernel family")
struct BLASCoreTests {
    static let avx512: Set<String> = ["sse4_2", "avx", "avx2", "fma", "avx512f", "avx512dq", "avx512bw", "avx512vl"]
    static let avx512bf16 = avx512.union(["avx512_bf16", "avx512_vnni"])
    static let avx2: Set<String> = ["sse4_2", "avx", "avx2", "fma"]
    static let sse: Set<String> = ["sse4_2", "avx"]

    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var active: String
        var flags: Set<String>
        var environment: [String: String] = [:]
        var expected: String?
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "AMD EPYC with AVX-512 given the AVX2 kernels", active: "Haswell", flags: avx512bf16, expected: "SkylakeX"),
        Case(name: "AMD given the Zen (AVX2) kernels on an AVX-512 CPU", active: "Zen", flags: avx512, expected: "SkylakeX"),
        Case(name: "recent Xeon given the generic kernels", active: "Prescott", flags: avx512, expected: "SkylakeX"),
        Case(name: "lower-cased core name", active: "haswell", flags: avx512, expected: "SkylakeX"),
        Case(name: "AVX2 CPU given the generic kernels", active: "Sandybridge", flags: avx2, expected: "Haswell"),
        Case(name: "AVX-512 CPU already on SkylakeX", active: "SkylakeX", flags: avx512, expected: nil),
        Case(name: "AVX-512 CPU on Cooperlake (SkylakeX's sgemm)", active: "Cooperlake", flags: avx512bf16, expected: nil),
        Case(name: "Sapphire Rapids is never downgraded", active: "SapphireRapids", flags: avx512, expected: nil),
        Case(name: "AVX2 CPU on Zen", active: "Zen", flags: avx2, expected: nil),
        Case(name: "AVX2 CPU on Haswell", active: "Haswell", flags: avx2, expected: nil),
        Case(name: "CPU without AVX2", active: "Prescott", flags: sse, expected: nil),
        Case(name: "AVX-512 without BW/VL is not enough", active: "Haswell", flags: avx2.union(["avx512f"]), expected: nil),
        Case(name: "no flags readable", active: "Prescott", flags: [], expected: nil),
        Case(name: "an explicit OPENBLAS_CORETYPE wins", active: "Haswell", flags: avx512,
             environment: ["OPENBLAS_CORETYPE": "Haswell"], expected: nil),
    ]

    @Test(arguments: cases)
    func rule(_ c: Case) {
        #expect(BLASCore.recommendedCoreType(active: c.active, cpuFlags: c.flags, environment: c.environment) == c.expected)
    }

    /// This process (`make test` exports OPENBLAS_CORETYPE by the same rule) runs the strongest
    /// kernel family its CPU supports: the rule finds nothing to change.
    @Test func thisProcessRunsTheBestKernels() {
        let flags = BLASCore.cpuFlags()
        let active = BLASCore.active
        #expect(BLASCore.Level(coreName: active) >= BLASCore.Level(cpuFlags: flags),
                "OpenBLAS runs \(active) on a CPU whose flags allow \(String(describing: BLASCore.Level(cpuFlags: flags)))")
    }
}
