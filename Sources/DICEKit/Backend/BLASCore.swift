import CBLAS
import Foundation
import Logging

/// Which OpenBLAS kernel family is active, which one this CPU should use, and how a process
/// switches to it.
///
/// OpenBLAS builds with `DYNAMIC_ARCH` pick their kernels when the library loads, from the CPU
/// model they know. Releases older than the CPU (Debian 12 ships 0.3.21) get it wrong both
/// ways: recent Xeons fall back to the generic `Prescott` (SSE3) kernels, 5–8× slower sgemm,
/// and some AMD EPYC CPUs with AVX-512 get the `Haswell` (AVX2) kernels, about half the sgemm
/// throughput of `SkylakeX` on the same core (218–226 against 411–431 GFLOP/s, measured on one
/// for issue #16; on Zen 4, which runs 512-bit instructions on 256-bit units, the families tie).
/// OpenBLAS reads `OPENBLAS_CORETYPE` only at load time, so the choice is made before the
/// process computes: `configureProcess()` re-executes the program once with the right setting.
/// An `OPENBLAS_CORETYPE` already in the environment is always respected.
public enum BLASCore {
    /// OpenBLAS kernel families by what they need from the CPU, weakest first. The AVX-512
    /// families share their single-precision GEMM kernels.
    enum Level: Int, Comparable {
        case generic, avx2, avx512

        static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }

        /// The level of an OpenBLAS core name (`openblas_get_corename`, lower-cased by
        /// OpenBLAS for some builds): anything not known to use AVX2 or AVX-512 is generic.
        init(coreName: String) {
            switch coreName.lowercased() {
            case "skylakex", "cooperlake", "sapphirerapids": self = .avx512
            case "haswell", "zen", "excavator": self = .avx2
            default: self = .generic
            }
        }

        /// The best level a CPU with these `/proc/cpuinfo` flags runs.
        init(cpuFlags flags: Set<String>) {
            if flags.isSuperset(of: ["avx512f", "avx512dq", "avx512bw", "avx512vl"]) {
                self = .avx512
            } else if flags.isSuperset(of: ["avx2", "fma"]) {
                self = .avx2
            } else {
                self = .generic
            }
        }

        /// The `OPENBLAS_CORETYPE` that selects this level's kernels.
        var coreType: String? {
            switch self {
            case .avx512: return "SkylakeX"
            case .avx2: return "Haswell"
            case .generic: return nil
            }
        }
    }

    /// The kernel family OpenBLAS is using, e.g. `"SkylakeX"`, `"Haswell"`, `"Prescott"`.
    public static var active: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// The `OPENBLAS_CORETYPE` that this process should run with, or nil when OpenBLAS already
    /// uses the best kernels this CPU supports, when the environment sets the variable, or when
    /// the CPU has neither AVX-512 nor AVX2 (see `recommendedCoreType(active:cpuFlags:environment:)`).
    public static var recommendedCoreType: String? {
        recommendedCoreType(active: active, cpuFlags: cpuFlags(), environment: ProcessInfo.processInfo.environment)
    }

    /// The rule behind `recommendedCoreType`: the strongest kernel family the CPU supports
    /// (`SkylakeX` with AVX-512 F/DQ/BW/VL, else `Haswell` with AVX2 and FMA) when OpenBLAS's
    /// own choice `active` is weaker; nil when `environment` names `OPENBLAS_CORETYPE` (an
    /// explicit choice wins) or when `active` is as strong (`Cooperlake` on an AVX-512 CPU
    /// stays: its sgemm kernels are SkylakeX's).
    ///
    /// - Parameters:
    ///   - active: OpenBLAS's kernel family name, as `active` reports it.
    ///   - cpuFlags: the CPU's feature flags, as `/proc/cpuinfo` lists them.
    ///   - environment: the process environment.
    public static func recommendedCoreType(active: String, cpuFlags: Set<String>,
                                           environment: [String: String]) -> String? {
        guard environment["OPENBLAS_CORETYPE"] == nil else { return nil }
        let best = Level(cpuFlags: cpuFlags)
        return Level(coreName: active) < best ? best.coreType : nil
    }

    /// The first CPU's feature flags from `/proc/cpuinfo` (empty where it cannot be read).
    static func cpuFlags() -> Set<String> {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return [] }
        return Set(line.split(separator: " ").map(String.init))
    }

    /// Makes this process run OpenBLAS as it should on this machine, by re-executing it once
    /// (`execv` of `/proc/self/exe` with the same arguments) when its environment must change:
    /// `OPENBLAS_CORETYPE` set to `recommendedCoreType`, and `OPENBLAS_THREAD_TIMEOUT=4` (unless
    /// set) so that idle BLAS threads sleep instead of spinning on the cores that DICEKit's own
    /// loop kernels use next. `DICEKIT_BLAS_CONFIGURED=1` marks the new process, so it happens
    /// at most once.
    ///
    /// Call it first thing in `main`, before any other work and before starting threads (the
    /// `dice` tool and the examples do). When nothing needs to change, or where re-executing
    /// fails, it returns and the program carries on with OpenBLAS as loaded.
    ///
    /// - Parameter logger: where the decision is logged (label `dicekit.backend` by default, see
    ///   `LogSubsystem`): the active and the chosen kernel family at `debug` (in the process
    ///   that keeps running), a failed re-execution at `info`. Bootstrap `LoggingSystem` before
    ///   calling it to see these.
    public static func configureProcess(logger: Logger = LogSubsystem.backend.logger) {
        let environment = ProcessInfo.processInfo.environment
        guard environment["DICEKIT_BLAS_CONFIGURED"] == nil else {
            logger.debug("OpenBLAS kernel family", metadata: [
                "active": "\(active)", "OPENBLAS_CORETYPE": "\(environment["OPENBLAS_CORETYPE"] ?? "unset")",
                "reexecuted": "true"])
            return
        }
        var changed = false
        let core = recommendedCoreType
        if let core {
            setenv("OPENBLAS_CORETYPE", core, 1)
            changed = true
        }
        if environment["OPENBLAS_THREAD_TIMEOUT"] == nil {
            setenv("OPENBLAS_THREAD_TIMEOUT", "4", 1)
            changed = true
        }
        guard changed else {
            logger.debug("OpenBLAS kernel family", metadata: [
                "active": "\(active)", "OPENBLAS_CORETYPE": "\(environment["OPENBLAS_CORETYPE"] ?? "unset")",
                "reexecuted": "false"])
            return
        }
        setenv("DICEKIT_BLAS_CONFIGURED", "1", 1)
        var arguments = CommandLine.arguments.map { strdup($0) } + [nil]
        execv("/proc/self/exe", &arguments)
        // execv returns only on failure: carry on with OpenBLAS as loaded.
        let reason = String(cString: strerror(errno))
        for argument in arguments { free(argument) }
        logger.info("could not re-execute for OpenBLAS's kernel choice; continuing with the kernels loaded",
                    metadata: ["active": "\(active)", "wanted": "\(core ?? "unchanged")", "error": "\(reason)"])
    }
}
