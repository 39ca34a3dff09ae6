import ArgumentParser
import DICEKit

@main
struct Dice: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dice",
        abstract: "DICEKit: preference optimization (DPO, DICE) for language models.",
        subcommands: [Bench.self]
    )
}
