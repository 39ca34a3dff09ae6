// BootstrapFromJSONL: DICE on a model directory from JSONL files, through the library API —
// what `dice bootstrap` does, in a page.
//
//   swift run BootstrapFromJSONL POLICY_DIR REFERENCE_DIR PROMPTS.jsonl PAIRS.jsonl RUN_DIR
//
// POLICY_DIR is π_0 (a DPO model), REFERENCE_DIR the model it was trained against (π_ref), both
// Hugging Face folders; PROMPTS.jsonl has {"prompt_ids": [int]} rows; PAIRS.jsonl has rows as
// `dice dpo` reads them (ids, or text with tokenizer.json in POLICY_DIR). Without arguments it
// first makes a tiny toy setup in a temporary folder (π_ref = SFT on the toy task's reference
// responses, π_0 = DPO on its judge-labelled pairs) and bootstraps that, in seconds.

import DICEKit
import Foundation

/// A row of PROMPTS.jsonl.
struct PromptRow: Decodable {
    let prompt_ids: [Int]
}

/// Writes the toy setup into `folder` and returns the five paths.
func makeToySetup(in folder: URL) throws -> [String] {
    let task = try ToyTask()
    let spec = TransformerSpec(modelType: "llama", vocabularySize: task.vocabularySize, hiddenSize: 32, intermediateSize: 64,
                               layers: 1, heads: 2, kvHeads: 1, maxPositions: 40)
    let backend = CPUBackend()
    let all = try task.prompts(count: 60, seed: 1)
    let prompts = Array(all.prefix(12)), offlinePrompts = Array(all.dropFirst(12))
    let offline = try task.offlinePairs(prompts: offlinePrompts, seed: 2)
    // Models end responses at EOS (id 0): generation_config.json says so.
    func save(_ model: TransformerLM, _ name: String) throws {
        var directory = try model.modelDirectory(config: ModelConfig(spec))
        directory.generationConfig = GenerationConfig(eosTokenId: .single(ToyTask.eos))
        try directory.write(to: folder.appendingPathComponent(name))
    }
    print("Setup: π_ref = SFT on toy reference responses; π_0 = DPO on \(offline.count) judge-labelled pairs")
    let model = try TransformerLM(spec: spec, backend: backend)
    try model.initializeRandomly(seed: 1)
    _ = try SFTTrainer(configuration: SFTConfiguration(learningRate: 1e-2, batchSize: 32, steps: 60, seed: 1))
        .train(model, examples: try task.sftExamples(prompts: all, perPrompt: 8, seed: 3))
    try save(model, "reference")
    let pairs = offline.map { PreferencePair(prompt: $0.prompt, chosen: $0.chosen, rejected: $0.rejected) }
    let logps = try ReferenceLogProbs.compute(pairs, reference: model)
    _ = try StandardDPOTrainer(configuration: DPOConfiguration(loss: try DPOLoss(beta: 0.1), learningRate: 2e-3,
                                                                batchSize: 16, steps: 10, evaluationInterval: 0,
                                                                checkpointInterval: 0))
        .train(model, pairs: pairs, reference: logps)
    try save(model, "policy")
    try Data(prompts.map { "{\"prompt_ids\": \($0)}\n" }.joined().utf8).write(to: folder.appendingPathComponent("prompts.jsonl"))
    try Data(offline.map { "{\"prompt_ids\": \($0.prompt), \"chosen_ids\": \($0.chosen), \"rejected_ids\": \($0.rejected)}\n" }
        .joined().utf8).write(to: folder.appendingPathComponent("pairs.jsonl"))
    return ["policy", "reference", "prompts.jsonl", "pairs.jsonl", "run"].map { folder.appendingPathComponent($0).path }
}

var arguments = Array(CommandLine.arguments.dropFirst())
if arguments.isEmpty {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dicekit-bootstrap-example-\(getpid())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    arguments = try makeToySetup(in: folder)
}
guard arguments.count == 5 else {
    FileHandle.standardError.write(Data("usage: BootstrapFromJSONL POLICY_DIR REFERENCE_DIR PROMPTS.jsonl PAIRS.jsonl RUN_DIR\n".utf8))
    exit(1)
}
let (policyURL, referenceURL) = (URL(fileURLWithPath: arguments[0]), URL(fileURLWithPath: arguments[1]))

// 1. Inputs: prompts as token ids; offline pairs tokenized and checked as `dice dpo` does.
let prompts = try JSONL.read(PromptRow.self, from: URL(fileURLWithPath: arguments[2])).map(\.prompt_ids)
let directory = try ModelDirectory.read(from: policyURL)
let tokenizer = FileManager.default.fileExists(atPath: policyURL.appendingPathComponent("tokenizer.json").path)
    ? try Tokenizer(directory: policyURL) : nil
let offline = try PreferenceDataset(
    contentsOf: URL(fileURLWithPath: arguments[3]),
    encoding: .init(tokenizer: tokenizer, template: .none, appendEOS: false),
    maxLength: TransformerSpec(directory.config).maxPositions, truncation: .error).pairs

// 2. The settings: every knob of the loop (see Documentation/DICELoop.md).
let dpo = DPOConfiguration(loss: try DPOLoss(beta: 0.1), learningRate: 2e-3, batchSize: 16, steps: 8,
                           evaluationInterval: 0, checkpointInterval: 4, seed: 0)
let configuration = DICEConfiguration(rounds: 2, samplesPerPrompt: 8, beta: 0.1, alpha: .auto, lengthUnit: .tokens,
                                      minValid: 4, gamma: 0.5, dpo: dpo, seed: 0)

// 3. Where models come from and go (π_t → RUN/round-t/model), and how π samples.
let layout = RunLayout(root: URL(fileURLWithPath: arguments[4]))
let generation = GenerationParameters(
    maxNewTokens: 24, sampling: SamplingParameters(temperature: 1),
    stopTokenIDs: GenerationParameters.defaultStopTokenIDs(generationConfig: directory.generationConfig, tokenizer: tokenizer))
let store = try DirectoryPolicyStore(referenceModel: referenceURL, initialPolicy: policyURL, layout: layout,
                                     backend: CPUBackend(), generation: generation, tokenizer: tokenizer)

// 4. The loop, with progress through the observer (the library never prints).
let bootstrapper = try DICEBootstrapper(configuration: configuration) { ids in
    tokenizer?.decode(ids, skipSpecialTokens: true) ?? ids.map(String.init).joined(separator: " ")
}
bootstrapper.observer = { event in
    switch event {
    case .phaseStarted(let round, let phase): print("round \(round): \(phase.rawValue)")
    case .phaseSkipped(let round, let phase): print("round \(round): \(phase.rawValue) (done in an earlier run)")
    case .roundFinished(let r):
        print(String(format: "round %d: %d pairs, α = %.4f, length gap %.2f → %.2f, trained on %d generated + %d offline, loss %.4f",
                     r.round, r.pairing.pairs, r.lengthRegularization.alpha, r.lengthRegularization.meanLengthGapBefore,
                     r.lengthRegularization.meanLengthGapAfter, r.generatedPairsUsed, r.offlinePairsUsed,
                     r.training?["loss"] ?? .nan))
    case .training: break
    }
}
// Rerunning with the same RUN_DIR resumes from the last completed phase, if the settings and
// data are those the run was started with (otherwise it stops and says what changed).
let reports = try bootstrapper.run(prompts: prompts, offline: offline, store: store, layout: layout, mode: .resume)
try RunReport(configuration: configuration, rounds: reports).write(to: layout)
print("π_\(reports.count): \(store.directory(for: .policy(reports.count)).path)")
print("report: \(layout.reportJSON.path)")
