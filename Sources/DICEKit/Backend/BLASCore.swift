import CBLAS
import Foundation

/// Which OpenBLAS kernel family is active, and which one this CPU should use.
///
/// OpenBLAS builds with `DYNAMIC_ARCH` pick their kernels when the library loads. Releases older
/// than the CPU (Debian 12 ships 0.3.21) do not recognise recent Xeons and fall back to the
/// generic `Prescott` (SSE3) kernels, which run sgemm 5–8× slower. OpenBLAS reads the
/// `OPENBLAS_CORETYPE` environment variable at load time, so the choice has to be made
/// before the process starts: the `dice` tool re-executes itself with it set, and programs
/// that embed DICEKit set it in their environment (see `recommendedCoreType`).
public enum BLASCore {
    /// The kernel family OpenBLAS is using, e.g. `"SkylakeX"`, `"Haswell"`, `"Prescott"`.
    public static var active: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// The `OPENBLAS_CORETYPE` this CPU supports best when OpenBLAS fell back to its generic
    /// kernels (`nil` when it did not, when the variable is already set, or when the CPU has
    /// neither AVX-512 nor AVX2).
    public static var recommendedCoreType: String? {
        guard ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil,
              ["Prescott", "Core2", "Nehalem", "Sandybridge"].contains(active),
              let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flagsLine = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
        else { return nil }
        let flags = Set(flagsLine.split(separator: " ").map(String.init))
        if flags.isSuperset(of: ["avx512f", "avx512dq", "avx512bw", "avx512vl"]) { return "SkylakeX" }
        if flags.isSuperset(of: ["avx2", "fma"]) { return "Haswell" }
        return nil
    }
}
