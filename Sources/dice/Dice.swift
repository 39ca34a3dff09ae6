import ArgumentParser
import DICEKit
import Foundation

@main
struct Dice: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dice",
        abstract: "DICEKit: preference optimization (DPO, DICE) for language models.",
        subcommands: [Bench.self, LogProbsCommand.self, Generate.self, DPOCommand.self, ConvertCommand.self,
                      DemoCommand.self, BootstrapCommand.self, EvalCommand.self, TemplateCommand.self]
    )

    /// Runs the tool after `BLASCore.configureProcess()` (which may re-execute it once with
    /// OpenBLAS's kernel family and thread timeout set for this machine).
    static func main() {
        BLASCore.configureProcess()
        main(nil)
    }
}
