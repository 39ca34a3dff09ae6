import ArgumentParser
import DICEKit
import Foundation

@main
struct Dice: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dice",
        abstract: "DICEKit: preference optimization (DPO, DICE) for language models.",
        subcommands: [Bench.self, LogProbsCommand.self, Generate.self, DPOCommand.self, ConvertCommand.self,
                      DemoCommand.self, BootstrapCommand.self, EvalCommand.self]
    )

    static func main() {
        selectBLASKernels()
        main(nil)
    }

    /// Re-executes the tool once with OpenBLAS configured for this machine (its settings are
    /// read when the library loads, before `main` runs): `OPENBLAS_CORETYPE` when OpenBLAS fell
    /// back to its generic kernels on a CPU with AVX-512 or AVX2 (see `BLASCore`), and a short
    /// `OPENBLAS_THREAD_TIMEOUT` so that idle BLAS threads sleep instead of spinning on the
    /// cores that DICEKit's own loop kernels use next.
    static func selectBLASKernels() {
        let environment = ProcessInfo.processInfo.environment
        guard environment["DICEKIT_BLAS_CONFIGURED"] == nil else { return }
        var changed = false
        if let core = BLASCore.recommendedCoreType {
            setenv("OPENBLAS_CORETYPE", core, 1)
            changed = true
        }
        if environment["OPENBLAS_THREAD_TIMEOUT"] == nil {
            setenv("OPENBLAS_THREAD_TIMEOUT", "4", 1)
            changed = true
        }
        guard changed else { return }
        setenv("DICEKIT_BLAS_CONFIGURED", "1", 1)
        var arguments = CommandLine.arguments.map { strdup($0) } + [nil]
        execv("/proc/self/exe", &arguments)
        // execv returns only on failure: carry on as configured.
    }
}
