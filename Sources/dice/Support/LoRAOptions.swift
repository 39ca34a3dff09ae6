// LoRAOptions: the LoRA flags of `dice dpo`, `dice bootstrap` and `dice rm` — a new adapter
// (rank, alpha, dropout, targets) or an existing one (--adapter) over the frozen base.

import ArgumentParser
import DICEKit
import Foundation

/// `--adapter DIR` or `--lora-rank R` (with `--lora-alpha`, `--lora-dropout`, `--lora-targets`,
/// `--lora-rslora`): train LoRA adapters instead of every weight.
struct LoRAOptions: ParsableArguments {
    @Option(help: "Start from this LoRA adapter folder (PEFT layout: adapter_config.json + adapter_model.safetensors) and train it.")
    var adapter: String?
    @Option(parsing: .unconditional, help: "Train a new LoRA adapter of this rank (≥ 1) on the frozen base.") var loraRank: Int?
    @Option(parsing: .unconditional, help: "LoRA alpha: the adapter's output is scaled by alpha/rank (default: the rank, scale 1).")
    var loraAlpha: Double?
    @Option(parsing: .unconditional, help: "Dropout probability on the adapters' inputs while training, in [0, 1).") var loraDropout = 0.0
    @Option(help: "Comma-separated target modules (PEFT names: q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj; GPT-2 c_attn,c_proj,c_fc). Default: every attention and MLP projection.")
    var loraTargets: String?
    @Flag(help: "rsLoRA: scale by alpha/√rank.") var loraRslora = false

    /// Whether the run trains an adapter.
    var enabled: Bool { adapter != nil || loraRank != nil }

    /// The new adapter's settings, or nil without `--lora-rank`.
    /// - Throws: `ValidationError` naming the flag for a value out of range, or for LoRA
    ///   settings given beside `--adapter` (whose settings are the folder's).
    func configuration(seed: UInt64) throws -> LoRAConfiguration? {
        if adapter != nil {
            let given = [("--lora-rank", loraRank != nil), ("--lora-alpha", loraAlpha != nil),
                         ("--lora-dropout", loraDropout != 0), ("--lora-targets", loraTargets != nil), ("--lora-rslora", loraRslora)]
            if let flag = given.first(where: { $0.1 })?.0 {
                throw ValidationError("\(flag): not with --adapter (the adapter folder's adapter_config.json sets it)")
            }
            return nil
        }
        guard let loraRank else {
            for (flag, given) in [("--lora-alpha", loraAlpha != nil), ("--lora-targets", loraTargets != nil),
                                  ("--lora-dropout", loraDropout != 0), ("--lora-rslora", loraRslora)] where given {
                throw ValidationError("\(flag): needs --lora-rank (or --adapter)")
            }
            return nil
        }
        try FlagChecks.require(loraRank >= 1, "--lora-rank", loraRank, "a number ≥ 1")
        try FlagChecks.require(loraAlpha.map { $0.isFinite } ?? true, "--lora-alpha", loraAlpha ?? 0, "a finite number")
        try FlagChecks.require(loraDropout >= 0 && loraDropout < 1, "--lora-dropout", loraDropout, "a number in [0, 1)")
        let targets = loraTargets.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
        if let targets, targets.isEmpty { throw ValidationError("--lora-targets: expected at least one module name") }
        return LoRAConfiguration(rank: loraRank, alpha: loraAlpha ?? Double(loraRank), dropout: loraDropout,
                                 useRSLoRA: loraRslora, targetModules: targets, seed: seed)
    }

    /// The adapter to train on `model` (not attached): `--adapter`'s, or a new one initialised
    /// as PEFT does from `seed`; nil when LoRA is off. `trainsHead` (a reward model): the
    /// adapter also trains the model's score head in full (PEFT's SEQ_CLS task), and an
    /// `--adapter` folder must hold one.
    /// - Throws: `ValidationError`; `LoRAError` (an unknown target lists the modules that
    ///   exist; an adapter that does not fit the base names the module); `FormatError`.
    func makeAdapter(for model: TransformerLM, seed: UInt64, trainsHead: Bool = false) throws -> LoRAAdapter? {
        if let adapter {
            _ = try configuration(seed: seed)
            let loaded = try PEFTAdapterDirectory.read(from: URL(fileURLWithPath: adapter), for: model)
            if trainsHead, loaded.head == nil {
                throw ValidationError("--adapter \(adapter): a language model's adapter; a reward model's (task_type SEQ_CLS, modules_to_save [\"score\"]) was expected")
            }
            return loaded
        }
        guard var configuration = try configuration(seed: seed) else { return nil }
        configuration.trainsHead = trainsHead
        let made = try LoRAAdapter(configuration: configuration, for: model)
        try made.initialize()
        return made
    }

    /// A one-line description of the settings (what a resumed run must match).
    var summary: String {
        "adapter \(adapter ?? "-") rank \(loraRank.map(String.init) ?? "-") alpha \(loraAlpha.map { "\($0)" } ?? "-") dropout \(loraDropout) targets \(loraTargets ?? "all") rslora \(loraRslora)"
    }
}

/// `--adapter DIR` on the commands that only evaluate a model (logprobs, generate, eval).
struct AdapterOption: ParsableArguments {
    @Option(help: "A LoRA adapter folder (PEFT layout) applied over the model.") var adapter: String?

    /// Loads `--adapter` for `model` and attaches it; nothing without the flag.
    /// - Throws: `FormatError`, `LoRAError` naming the module that does not fit.
    func attach(to model: TransformerLM) throws {
        guard let adapter else { return }
        try model.attach(PEFTAdapterDirectory.read(from: URL(fileURLWithPath: adapter), for: model))
    }
}
