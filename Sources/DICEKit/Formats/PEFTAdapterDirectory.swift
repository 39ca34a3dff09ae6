// PEFTAdapterDirectory: a LoRA adapter folder in PEFT's layout — adapter_config.json (LoraConfig)
// and adapter_model.safetensors with PEFT's tensor names
// (`base_model.model.{module}.lora_A.weight` `[r, in]`, `….lora_B.weight` `[out, r]`, and for a
// reward model's adapter the trained score head `base_model.model.score.weight`) — read into a
// `LoRAAdapter` for a base model, and written from one.

import Foundation

/// Reading and writing LoRA adapters as `peft` (PyPI) saves and loads them.
public enum PEFTAdapterDirectory {
    /// adapter_config.json.
    public static let configFile = "adapter_config.json"
    /// adapter_model.safetensors.
    public static let weightsFile = "adapter_model.safetensors"
    /// The prefix PEFT gives every tensor name (`PeftModel` → `LoraModel` → the base model).
    public static let namePrefix = "base_model.model."

    /// The adapter saved in `url` for `model`'s architecture, on `model`'s backend (not attached).
    ///
    /// The adapted modules are the ones the weights file holds; rank, alpha, rsLoRA and dropout
    /// come from adapter_config.json. Tensors may be F32, F16, BF16 or F64. A sequence-classification
    /// adapter (`task_type` SEQ_CLS, `modules_to_save` ["classifier", "score"]: a reward model's)
    /// also holds the trained score head `base_model.model.score.weight` `[labels, C]`; `model`
    /// must then have a score head (a `RewardModel`'s network).
    /// - Throws: `FormatError` naming the file (`.missingFile`, `.invalidJSON`,
    ///   `.invalidConfig` naming the key — e.g. a `peft_type` other than LORA, DoRA, a trained
    ///   bias, per-module ranks —, any safetensors error, `.missingTensor` for an A without its B,
    ///   `.invalidTensor` for a name that is not a LoRA weight, `.missingTensor` for a score head
    ///   that `modules_to_save` lists and the weights lack); `LoRAError.baseMismatch` naming the
    ///   module for a module the base lacks, other sizes, a rank other than `r`, or a score head
    ///   over a model without one or of another shape.
    public static func read(from url: URL, for model: TransformerLM) throws -> LoRAAdapter {
        let configURL = url.appendingPathComponent(configFile), weightsURL = url.appendingPathComponent(weightsFile)
        let config = try ConfigJSON.read(configURL)
        return try read(config: config, configPath: configURL.path, weights: SafeTensorsFile(contentsOf: weightsURL),
                        weightsPath: weightsURL.path, for: model)
    }

    /// The base model the adapter folder `url` names: `base_model_name_or_path` of its
    /// adapter_config.json (a path or a Hub id, as written), nil when absent.
    /// - Throws: `FormatError` naming adapter_config.json (missing, invalid JSON, a setting
    ///   DICEKit cannot apply).
    public static func baseModel(of url: URL) throws -> String? {
        let configURL = url.appendingPathComponent(configFile)
        return try ConfigJSON.decode(AdapterConfig.self, from: ConfigJSON.read(configURL), path: configURL.path).baseModel
    }

    /// The adapter held by the bytes of an adapter_config.json and an adapter_model.safetensors
    /// (named `configPath` and `weightsPath` in errors), as `read(from:for:)` reads a folder.
    /// - Throws: as `read(from:for:)`.
    public static func read(config: Data, configPath: String, weights: Data, weightsPath: String,
                            for model: TransformerLM) throws -> LoRAAdapter {
        try read(config: config, configPath: configPath, weights: SafeTensorsFile(data: weights, path: weightsPath),
                 weightsPath: weightsPath, for: model)
    }

    private static func read(config data: Data, configPath: String, weights file: SafeTensorsFile, weightsPath: String,
                             for model: TransformerLM) throws -> LoRAAdapter {
        let config = try ConfigJSON.decode(AdapterConfig.self, from: data, path: configPath)
        let tensors = try file.allTensors()
        var modules: [String: (a: HostTensor?, b: HostTensor?)] = [:]
        var head: HostTensor?
        for (name, tensor) in tensors {
            guard name.hasPrefix(namePrefix) else {
                throw FormatError.invalidTensor(tensor: name, reason: "\(weightsPath): not a PEFT LoRA weight (names start with \(namePrefix))")
            }
            let rest = String(name.dropFirst(namePrefix.count))
            if rest == OutputHead.scoreWeightName, config.trainsHead {
                head = tensor
            } else if rest.hasSuffix(LoRAAdapter.aSuffix) {
                modules[String(rest.dropLast(LoRAAdapter.aSuffix.count)), default: (nil, nil)].a = tensor
            } else if rest.hasSuffix(LoRAAdapter.bSuffix) {
                modules[String(rest.dropLast(LoRAAdapter.bSuffix.count)), default: (nil, nil)].b = tensor
            } else {
                throw FormatError.invalidTensor(tensor: name, reason: "\(weightsPath): only lora_A and lora_B weights are supported")
            }
        }
        guard !modules.isEmpty else {
            throw FormatError.missingTensor(path: weightsPath, tensor: namePrefix + "…" + LoRAAdapter.aSuffix, expectedShape: nil)
        }
        let linears = Dictionary(model.layout.blockLinears.map { ($0.module, $0) }, uniquingKeysWith: { a, _ in a })
        let r = config.r
        for (module, pair) in modules.sorted(by: { $0.key < $1.key }) {
            guard let linear = linears[module] else {
                throw LoRAError.baseMismatch(module: module, reason: "the base model (\(model.spec.modelType)) has no linear layer of that name")
            }
            guard let a = pair.a else {
                throw FormatError.missingTensor(path: weightsPath, tensor: namePrefix + module + LoRAAdapter.aSuffix, expectedShape: [r, linear.inputs])
            }
            guard let b = pair.b else {
                throw FormatError.missingTensor(path: weightsPath, tensor: namePrefix + module + LoRAAdapter.bSuffix, expectedShape: [linear.outputs, r])
            }
            guard a.shape.count == 2, b.shape.count == 2, a.shape[0] == r, b.shape[1] == r else {
                throw LoRAError.baseMismatch(module: module, reason: "lora_A is \(a.shape) and lora_B \(b.shape), expected rank r = \(r) from \(configFile)")
            }
            guard a.shape[1] == linear.inputs, b.shape[0] == linear.outputs else {
                throw LoRAError.baseMismatch(module: module, reason: "lora_A is \(a.shape) and lora_B \(b.shape); the base layer maps \(linear.inputs) → \(linear.outputs) features, so expected [\(r), \(linear.inputs)] and [\(linear.outputs), \(r)]")
            }
        }
        if config.trainsHead {
            guard case .score = model.head else {
                throw LoRAError.baseMismatch(module: "score", reason: "\(configFile) trains a score head (task_type SEQ_CLS: a reward model's adapter); this base predicts tokens: load it as a reward model")
            }
            guard let head else {
                throw FormatError.missingTensor(path: weightsPath, tensor: namePrefix + OutputHead.scoreWeightName,
                                                expectedShape: model.outputProjection.shape)
            }
            guard head.shape == model.outputProjection.shape else {
                throw LoRAError.baseMismatch(module: "score", reason: "the adapter's score head is \(head.shape), the base's \(model.outputProjection.shape)")
            }
        }
        let configuration = LoRAConfiguration(rank: r, alpha: config.alpha, dropout: config.dropout,
                                              useRSLoRA: config.useRSLoRA, targetModules: modules.keys.sorted(),
                                              trainsHead: config.trainsHead)
        let adapter = try LoRAAdapter(configuration: configuration, for: model)
        for m in adapter.modules {
            guard let pair = modules[m.name], let a = pair.a, let b = pair.b else { continue }
            try adapter.parameters.set(m.a.name, a.values)
            try adapter.parameters.set(m.b.name, b.values)
        }
        if let head, let entry = adapter.head { try adapter.parameters.set(entry.name, head.values) }
        return adapter
    }

    /// Writes `adapter` to the folder `url` (created if needed) as PEFT saves it: Float32
    /// weights under PEFT's names and an adapter_config.json that `PeftModel.from_pretrained`
    /// loads over the base at `baseModel` (recorded as `base_model_name_or_path`). An adapter
    /// with a trained score head is written as PEFT's SEQ_CLS task writes it (`task_type`
    /// SEQ_CLS, `modules_to_save` ["classifier", "score"], the head as
    /// `base_model.model.score.weight`). Each file is written atomically, the weights first.
    /// - Throws: `FormatError.io` naming the path.
    public static func write(_ adapter: LoRAAdapter, to url: URL, baseModel: String? = nil) throws {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw FormatError.io(path: url.path, reason: "cannot create folder: \(error.localizedDescription)")
        }
        var tensors: [String: HostTensor] = [:]
        for entry in adapter.parameters.entries {
            tensors[namePrefix + entry.name] = HostTensor(shape: entry.shape, values: try adapter.parameters.get(entry.name))
        }
        try SafeTensors.write(tensors, to: url.appendingPathComponent(weightsFile), metadata: ["format": "pt"])
        let c = adapter.configuration
        let targets = c.targetModules ?? Array(Set(adapter.modules.map { $0.name.split(separator: ".").last.map(String.init) ?? $0.name })).sorted()
        let config = AdapterConfig(r: c.rank, alpha: c.alpha, dropout: c.dropout, useRSLoRA: c.useRSLoRA,
                                   targetModules: targets, baseModel: baseModel,
                                   fanInFanOut: adapter.baseModelType == "gpt2", trainsHead: adapter.head != nil)
        try AtomicFile.write(ConfigJSON.encode(config), to: url.appendingPathComponent(configFile))
    }

    /// The `modules_to_save` of PEFT's SEQ_CLS task (the module names its sequence classifiers
    /// give the head; DICEKit's is `score`).
    static let sequenceClassificationModules = ["classifier", "score"]

    /// adapter_config.json: PEFT's `LoraConfig` keys; what DICEKit cannot apply is rejected.
    struct AdapterConfig: Codable {
        var r: Int
        var alpha: Double
        var dropout: Double
        var useRSLoRA: Bool
        var targetModules: [String]?
        var baseModel: String?
        var fanInFanOut: Bool
        /// Whether `modules_to_save` names the score head (a SEQ_CLS adapter).
        var trainsHead: Bool

        init(r: Int, alpha: Double, dropout: Double, useRSLoRA: Bool, targetModules: [String]?,
             baseModel: String?, fanInFanOut: Bool, trainsHead: Bool) {
            (self.r, self.alpha, self.dropout, self.useRSLoRA) = (r, alpha, dropout, useRSLoRA)
            (self.targetModules, self.baseModel, self.fanInFanOut) = (targetModules, baseModel, fanInFanOut)
            self.trainsHead = trainsHead
        }

        enum CodingKeys: String, CodingKey {
            case r, alpha = "lora_alpha", dropout = "lora_dropout", useRSLoRA = "use_rslora"
            case targetModules = "target_modules", baseModel = "base_model_name_or_path"
            case fanInFanOut = "fan_in_fan_out", peftType = "peft_type", taskType = "task_type"
            case bias, useDoRA = "use_dora", modulesToSave = "modules_to_save", rankPattern = "rank_pattern"
            case alphaPattern = "alpha_pattern", inferenceMode = "inference_mode", initWeights = "init_lora_weights"
            case layersToTransform = "layers_to_transform"
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let peftType = try c.decodeIfPresent(String.self, forKey: .peftType) ?? "LORA"
            guard peftType == "LORA" else { throw ConfigJSON.invalid("peft_type", "only LORA adapters are supported, got \(peftType)") }
            r = try c.decode(Int.self, forKey: .r)
            guard r >= 1 else { throw ConfigJSON.invalid("r", "the rank must be at least 1, got \(r)") }
            alpha = try c.decodeIfPresent(Double.self, forKey: .alpha) ?? 8
            guard alpha.isFinite else { throw ConfigJSON.invalid("lora_alpha", "must be finite") }
            dropout = try c.decodeIfPresent(Double.self, forKey: .dropout) ?? 0
            guard dropout >= 0, dropout < 1 else { throw ConfigJSON.invalid("lora_dropout", "must lie in [0, 1), got \(dropout)") }
            useRSLoRA = try c.decodeIfPresent(Bool.self, forKey: .useRSLoRA) ?? false
            targetModules = try? c.decodeIfPresent([String].self, forKey: .targetModules)
            baseModel = try c.decodeIfPresent(String.self, forKey: .baseModel)
            fanInFanOut = try c.decodeIfPresent(Bool.self, forKey: .fanInFanOut) ?? false
            if let bias = try c.decodeIfPresent(String.self, forKey: .bias), bias != "none" {
                throw ConfigJSON.invalid("bias", "trained biases are not supported (\"none\" only), got \"\(bias)\"")
            }
            if try c.decodeIfPresent(Bool.self, forKey: .useDoRA) == true {
                throw ConfigJSON.invalid("use_dora", "DoRA adapters are not supported")
            }
            let saved = try c.decodeIfPresent([String].self, forKey: .modulesToSave) ?? []
            if let other = saved.first(where: { !PEFTAdapterDirectory.sequenceClassificationModules.contains($0) }) {
                throw ConfigJSON.invalid("modules_to_save", "only a sequence classifier's score head can be trained in full (\"score\", \"classifier\"), got \"\(other)\"")
            }
            trainsHead = saved.contains("score")
            for key in [CodingKeys.rankPattern, .alphaPattern] {
                if let pattern = try c.decodeIfPresent([String: Double].self, forKey: key), !pattern.isEmpty {
                    throw ConfigJSON.invalid(key.rawValue, "per-module ranks and alphas are not supported")
                }
            }
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode("LORA", forKey: .peftType)
            try c.encode(trainsHead ? "SEQ_CLS" : "CAUSAL_LM", forKey: .taskType)
            try c.encode(r, forKey: .r)
            try c.encode(alpha, forKey: .alpha)
            try c.encode(dropout, forKey: .dropout)
            try c.encode(useRSLoRA, forKey: .useRSLoRA)
            try c.encode(targetModules, forKey: .targetModules)
            try c.encode(baseModel, forKey: .baseModel)
            try c.encode(fanInFanOut, forKey: .fanInFanOut)
            try c.encode("none", forKey: .bias)
            try c.encode(false, forKey: .useDoRA)
            try c.encode(true, forKey: .inferenceMode)
            try c.encode(true, forKey: .initWeights)
            if trainsHead { try c.encode(PEFTAdapterDirectory.sequenceClassificationModules, forKey: .modulesToSave) }
        }
    }
}
