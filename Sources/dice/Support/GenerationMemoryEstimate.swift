// GenerationMemoryEstimate: the memory a sampling command needs — weights, the KV cache and the
// activations of one decoding batch, and the responses kept until they are written — estimated
// from config.json, the prompts and the settings alone (nothing is allocated), and checked
// against the machine's physical memory before any work.

import DICEKit
import Foundation

/// Peak memory of `Generator.generate` over a prompt list, in bytes, by part. Every count is a
/// Double, so that absurd settings (10¹² samples) give a large number rather than an overflow.
///
/// With V the vocabulary, C the width, I the MLP width, L layers, H query and G key/value heads
/// of size D, N prompts of at most T tokens, K samples per prompt, N_new new tokens at most:
/// - weights: 4 bytes × the elements of every weight config.json implies, per model held;
/// - KV cache (`KVCache`, Float32): 2·L·S·P·G·D·4 bytes for S = min(N, max(1, batch / K))·K
///   slots of P = min(context, T + N_new − 1) positions (the Generator's batch);
/// - activations and logits of one pass, Float32: max(prefill rows, S) rows of
///   4C + (H + 2G)·D + 3I + H·P values (residual stream and norms, q/k/v, the MLP, attention
///   scores), plus 2·S·V for the logits on the backend and their copy on the host;
/// - responses: 64 bytes per generated token (its id in the result, its id again in the output
///   row, its text, and its JSON) and 256 per response (array and string headers), for
///   `responseSets` sets of N·K responses, each at most min(N_new, context − prompt + 1) tokens.
///
/// The parts are sums of what the code holds at once, each rounded up (e.g. every generated
/// token is counted at the cap); it is an estimate from sizes, not a measurement, meant to err
/// high. Only refusals that no machine could run are tested (10¹² samples).
struct GenerationMemoryEstimate {
    /// Bytes of the model weights held.
    var weights: Double
    /// Bytes of the KV cache of one batch.
    var kvCache: Double
    /// Bytes of one pass's activations and logits.
    var activations: Double
    /// Bytes of the responses kept until the output is written.
    var responses: Double
    /// Prompts, samples per prompt and the longest response, for the message.
    let prompts: Int, samples: Int, longestResponse: Int

    /// The sum of the parts.
    var total: Double { weights + kvCache + activations + responses }

    /// Bytes per generated token kept until the output is written.
    static let bytesPerResponseToken = 64.0
    /// Bytes per response besides its tokens.
    static let bytesPerResponse = 256.0

    /// The estimate for generating `parameters.samplesPerPrompt` responses to each of `prompts`
    /// with a model of `config`.
    /// - Parameters:
    ///   - modelsHeld: models in memory at once (weights counted this many times).
    ///   - responseSets: sets of responses kept at once (`dice eval` keeps the model's and the
    ///     baseline's).
    init(config: ModelConfig, prompts: [[Int]], parameters: GenerationParameters, modelsHeld: Int = 1,
         responseSets: Int = 1) {
        let spec = config.spec
        let elements = config.expectedWeights().reduce(0.0) { total, weight in
            total + weight.shape.reduce(1.0) { $0 * Double($1) }
        }
        weights = 4 * elements * Double(modelsHeld)

        let k = max(1, parameters.samplesPerPrompt)
        let context = spec.maxPositions
        let newTokens = min(max(1, parameters.maxNewTokens), context)
        let longestPrompt = prompts.map(\.count).max() ?? 1
        let batchPrompts = min(prompts.count, max(1, parameters.batchSize / k))
        let slots = Double(batchPrompts) * Double(k)
        let positions = Double(min(context, longestPrompt + newTokens - 1))
        let (c, i, h, g, d, v) = (Double(spec.hiddenSize), Double(spec.intermediateSize), Double(spec.heads),
                                  Double(spec.kvHeads), Double(spec.headSize), Double(spec.vocabularySize))
        kvCache = 2 * Double(spec.layers) * slots * positions * g * d * 4
        let rows = max(Double(batchPrompts) * Double(longestPrompt), slots)
        activations = 4 * (rows * (4 * c + (h + 2 * g) * d + 3 * i + h * positions) + 2 * slots * v)

        let tokens = prompts.reduce(0.0) { total, prompt in
            total + Double(k) * Double(min(newTokens, max(1, context - prompt.count + 1)))
        }
        let count = Double(prompts.count) * Double(k)
        responses = Double(responseSets) * (tokens * Self.bytesPerResponseToken + count * Self.bytesPerResponse)
        self.prompts = prompts.count
        self.samples = k
        self.longestResponse = newTokens
    }

    /// The machine's physical memory, in bytes.
    static var limit: Double { Double(ProcessInfo.processInfo.physicalMemory) }

    /// Refuses an estimate above `limit`, naming `flag` (which set `value`), the estimate by part
    /// and the limit.
    /// - Throws: `ValidationError` "FLAG VALUE: expected … (about E: …), more than this machine's M".
    func check(flag: String, value: Any, limit: Double = Self.limit) throws {
        guard total > limit else { return }
        let parts = "weights \(Self.format(weights)), KV cache \(Self.format(kvCache)), activations and logits "
            + "\(Self.format(activations)), responses \(Self.format(responses))"
        throw FlagChecks.error(
            flag, value,
            "a count whose generation fits in memory: \(prompts) prompts × \(samples) samples × up to \(longestResponse) new tokens need about \(Self.format(total)) (\(parts)), more than this machine's \(Self.format(limit)) of memory; lower \(flag) or --max-new-tokens, or split the prompts")
    }

    /// `bytes` in binary units with three significant digits ("1.5 GiB").
    static func format(_ bytes: Double) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = bytes, unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return String(format: "%.3g %@", value, units[unit])
    }
}
