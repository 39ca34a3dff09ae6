// SmolLM2DICE: DICE rounds on SmolLM2-135M-Instruct over AlpacaEval instructions that carry
// verifiable constraints, judged programmatically. Run `make smollm2` first (it fetches and
// converts the model and the instructions), then
//
//   swift run -c release SmolLM2DICE [--output smollm2-dice] [--prompts 32] …
//
// π_ref is the instruct model; D_offline is two π_ref samples per prompt labelled by the
// constraint judge; π_0 = DPO(π_ref, D_offline); each round samples K responses from π_{t−1},
// ranks them with the implicit reward, mixes the pairs with D_offline and trains π_t. The report
// compares every model with the starting model (π_ref) on held-out prompts.

import ArgumentParser
import DICEKit
import Foundation

@main
struct SmolLM2DICE: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "SmolLM2DICE",
        abstract: "DICE on SmolLM2-135M-Instruct with constrained AlpacaEval instructions and a programmatic judge.",
        discussion: """
            The default size (256 prompts × K 8 × 128 tokens, 2 rounds, 200 held-out prompts × 2, with the \
            γ = 1 and reward-model comparisons) takes about an hour on 2 cores; --no-comparisons runs the DICE \
            rounds alone. A rerun in the same --output resumes. Much smaller sizes can leave a round without \
            pairs (too few prompts with --min-valid finished samples): raise --max-new-tokens, --samples or --prompts.
            """)

    static var cache: String {
        (ProcessInfo.processInfo.environment["DICEKIT_CACHE"] ?? (NSHomeDirectory() + "/.cache/dicekit")) + "/smollm2"
    }

    @Option(help: "π_ref: a model directory or a .gguf (default: the `make smollm2` conversion).")
    var model = SmolLM2DICE.cache + "/hf"
    @Option(help: "AlpacaEval's example/outputs.json.")
    var alpaca = SmolLM2DICE.cache + "/alpaca_eval_outputs.json"
    @Option(help: "Folder of the run's artifacts and report.")
    var output = "smollm2-dice"
    @Flag(help: "Delete --output first.")
    var fresh = false

    @Option(help: "Training prompts X.") var prompts = 256
    @Option(help: "Held-out prompts for evaluation.") var heldOut = 200
    @Option(help: "Verifiable constraints per prompt (distinct kinds).") var constraints = 2
    @Option(help: "Only instructions of at most this many characters are drawn.") var maxInstructionCharacters = 200
    @Option(help: "K, samples per prompt in each round.") var samples = 8
    @Option(help: "DICE rounds.") var rounds = 2
    @Option(help: "Cap on generated tokens.") var maxNewTokens = 128
    @Option(help: "Sampling temperature.") var temperature = 0.7
    @Option(help: "Nucleus mass.") var topP = 0.9
    @Option(help: "DPO steps of π_0 = DPO(π_ref, offline pairs).") var initialSteps = 32
    @Option(help: "DPO steps per round.") var steps = 32
    @Option(help: "DPO learning rate (constant, AdamW, clip 1.0).") var learningRate = 5e-6
    @Option(help: "Pairs per DPO update.") var batchSize = 8
    @Option(help: "Pairs per forward/backward pass (divides --batch-size).") var microBatchSize = 4
    @Option(help: "β of DPO and of the implicit reward.") var beta = 0.1
    @Option(help: "γ, the offline share of each round's training set.") var gamma = 0.5
    @Option(help: "Finished (not truncated) samples a prompt needs to give a pair.") var minValid = 2
    @Option(help: "Responses per held-out prompt and model.") var evaluationSamples = 2
    @Flag(inversion: .prefixedNo, help: "Also run the same rounds with γ = 1 and with a reward model in place of the implicit reward.")
    var comparisons = true
    @Option(name: .customLong("rm-steps"), help: "Bradley–Terry updates of the comparison's reward model (on D_offline).")
    var rewardModelSteps = 48
    @Option(name: .customLong("rm-learning-rate"), help: "Its learning rate (constant, AdamW).")
    var rewardModelLearningRate = 1e-5
    @Flag(inversion: .prefixedNo, help: "Recompute each block's forward in backward (same gradients, less memory).")
    var checkpointActivations = true
    @Option(help: "Matrix products: fp32, or bf16 (bfloat16 inputs, Float32 accumulation).") var dtype = "fp32"
    @Option(help: "Seed of every draw.") var seed: UInt64 = 0

    /// Runs after `BLASCore.configureProcess()`, as `dice` does: OpenBLAS's kernel family and
    /// thread timeout are read when the library loads, so the process may re-execute once.
    static func main() {
        BLASCore.configureProcess()
        main(nil)
    }

    func run() throws {
        let settings = ExperimentSettings(
            prompts: prompts, heldOut: heldOut, constraintsPerPrompt: constraints,
            maxInstructionCharacters: maxInstructionCharacters, samples: samples, rounds: rounds,
            maxNewTokens: maxNewTokens, temperature: temperature, topP: topP, initialSteps: initialSteps,
            steps: steps, learningRate: learningRate, batchSize: batchSize, microBatchSize: microBatchSize,
            beta: beta, gamma: gamma, minValid: minValid, evaluationSamples: evaluationSamples, comparisons: comparisons,
            rewardModelSteps: rewardModelSteps, rewardModelLearningRate: rewardModelLearningRate,
            checkpointActivations: checkpointActivations, dtype: dtype, seed: seed)
        let outputURL = URL(fileURLWithPath: output)
        if fresh { try? FileManager.default.removeItem(at: outputURL) }
        let start = Date()
        let experiment = Experiment(settings: settings, model: URL(fileURLWithPath: model),
                                    alpaca: URL(fileURLWithPath: alpaca), output: outputURL) { line in
            let t = Int(Date().timeIntervalSince(start))
            FileHandle.standardError.write(Data(String(format: "[%02d:%02d] %@\n", t / 60, t % 60, line).utf8))
        }
        let report = try experiment.run()
        print(report.markdown)
        print("Wrote \(outputURL.appendingPathComponent("report.md").path) and report.json.")
    }
}
