import ArgumentParser

/// `dice bench …`: benchmarks, each printing a human summary or one JSON object.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure DICEKit's speed beside its peers in the same run.",
        subcommands: [BenchKernels.self, BenchLogProbs.self, BenchDPO.self, BenchGenerate.self, BenchSmolLM2.self, BenchLoRA.self,
                      BenchSample.self]
    )
}
