import ArgumentParser
import DICEKit
import Foundation

@main
struct Dice: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dice",
        abstract: "DICEKit: preference optimization (DPO, DICE) for language models.",
        subcommands: [Bench.self]
    )

    static func main() {
        selectBLASKernels()
        main(nil)
    }

    /// Re-executes the tool with `OPENBLAS_CORETYPE` set when OpenBLAS fell back to its generic
    /// kernels on a CPU that has AVX-512 or AVX2 (see `BLASCore`); a no-op otherwise.
    static func selectBLASKernels() {
        guard let core = BLASCore.recommendedCoreType else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        let args = CommandLine.arguments
        var cArgs = args.map { strdup($0) } + [nil]
        execv("/proc/self/exe", &cArgs)
        // execv returns only on failure: carry on with the generic kernels.
    }
}
