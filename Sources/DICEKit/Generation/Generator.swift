// Generator: K sampled responses per prompt, batched across prompts and samples, with each
// prompt's prefill computed once and shared by its K samples through the KV cache.
//
// Per batch of P prompts (P·K ≤ batchSize, at least one prompt), with cache slots
// p·K + j for sample j of prompt p:
//   1. prefill: one pass over the P prompts (logits of their last tokens only), into slots p·K;
//      the prompt's keys/values are copied to its other K − 1 slots;
//   2. every sample draws its first token from its prompt's logits row;
//   3. decode: one pass per step over the samples still running (one token each), then each
//      draws from its own row, until every sample has stopped or reached its length cap.
// Sampling runs on the host (`Sampler`), each sample with its own `SplitMix64` stream keyed by
// (prompt row, sample index), so results do not depend on the batch layout.

import CKernels
import Foundation
import Logging

/// Generates responses from a `TransformerLM`: the entry point for `dice generate` and for
/// the DICE loop's sampling.
///
/// Not `Sendable` (it drives a model on one thread).
public final class Generator {
    /// The model sampled from.
    public let model: TransformerLM
    /// The controls, validated.
    public let parameters: GenerationParameters
    let sampler: Sampler
    let stopIDs: Set<Int>
    let stopStrings: StopStringMatcher?
    /// Spreads the per-row sampling of a step over the cores.
    let samplingLoop = ParallelLoop(threads: ProcessInfo.processInfo.activeProcessorCount)
    /// Where generation logs (label `dicekit.generation` by default, see `LogSubsystem`): at
    /// `debug` each batch's prompts, samples, tokens generated and how many responses were cut
    /// at the length cap.
    public var logger: Logger = LogSubsystem.generation.logger

    /// A generator for `model` with `parameters`.
    /// - Parameters:
    ///   - model: the model sampled from.
    ///   - parameters: the sampling controls (validated here).
    ///   - tokenizer: decodes responses for `parameters.stopStrings` (needed only then).
    /// - Throws: `GenerationError.invalidParameter` for a parameter outside its domain,
    ///   `.stopStringsNeedTokenizer` when stop strings come without a tokenizer.
    public init(model: TransformerLM, parameters: GenerationParameters, tokenizer: Tokenizer? = nil) throws {
        try parameters.validate()
        self.model = model
        self.parameters = parameters
        self.sampler = try Sampler(parameters.sampling)
        self.stopIDs = Set(parameters.stopTokenIDs)
        if parameters.stopStrings.isEmpty {
            stopStrings = nil
        } else {
            guard let tokenizer else { throw GenerationError.stopStringsNeedTokenizer }
            stopStrings = StopStringMatcher(strings: parameters.stopStrings, tokenizer: tokenizer)
        }
    }

    /// Checks prompts as `generate` does, without generating.
    /// - Throws: `GenerationError.emptyPrompt`, `.promptTooLong` (more tokens than the
    ///   model's context), `.tokenOutOfRange`, naming the row (`firstRow` + index).
    public func validate(prompts: [[Int]], firstRow: Int = 0) throws {
        let spec = model.spec
        for (i, prompt) in prompts.enumerated() {
            let row = firstRow + i
            guard !prompt.isEmpty else { throw GenerationError.emptyPrompt(row: row) }
            guard prompt.count <= spec.maxPositions else {
                throw GenerationError.promptTooLong(row: row, tokens: prompt.count, context: spec.maxPositions)
            }
            if let position = prompt.firstIndex(where: { $0 < 0 || $0 >= spec.vocabularySize }) {
                throw GenerationError.tokenOutOfRange(row: row, position: position, id: prompt[position],
                                                      vocabulary: spec.vocabularySize)
            }
        }
    }

    /// K responses for every prompt: `result[i][j]` is sample `j` of `prompts[i]`.
    ///
    /// Sample `j` of prompt `i` draws from `SplitMix64(seed:stream:)` with stream
    /// `(firstRow + i) << 32 | j`, so the same seed gives the same responses whatever the batch
    /// size or the other prompts of the call (pass `firstRow` when generating a slice of a
    /// larger prompt list, to keep each row's streams). A response ends at a stop token or
    /// stop string (`.stop`), or after `maxNewTokens` tokens or at the model's context
    /// (`.length`: at most `maxPositions − prompt.count + 1` tokens).
    ///
    /// - Parameters:
    ///   - prompts: token ids, each non-empty and within the model's context.
    ///   - firstRow: the row index of `prompts[0]` (≥ 0) for the random streams and errors.
    ///   - progress: called after every decoding pass.
    /// - Throws: what `validate(prompts:firstRow:)` throws, before any work;
    ///   `BackendError.allocationFailed`.
    public func generate(prompts: [[Int]], firstRow: Int = 0,
                         progress: ((GenerationProgress) -> Void)? = nil) throws -> [[GeneratedSample]] {
        guard firstRow >= 0 else {
            throw GenerationError.invalidParameter(name: "first row", value: "\(firstRow)", expected: "an integer ≥ 0")
        }
        try validate(prompts: prompts, firstRow: firstRow)
        let k = parameters.samplesPerPrompt
        let perBatch = max(1, parameters.batchSize / k)
        var results: [[GeneratedSample]] = []
        results.reserveCapacity(prompts.count)
        var status = GenerationProgress(completedPrompts: 0, totalPrompts: prompts.count, generatedTokens: 0)
        for start in stride(from: 0, to: prompts.count, by: perBatch) {
            let batch = Array(prompts[start..<min(prompts.count, start + perBatch)])
            results += try generateBatch(batch, firstRow: firstRow + start, status: &status, progress: progress)
        }
        return results
    }

    /// One response in the making.
    private struct Running {
        let prompt: Int          // index in the batch
        let slot: Int
        let promptLength: Int
        let limit: Int           // new-token cap for this prompt
        var rng: SplitMix64
        var ids: [Int] = []
        var logProb = 0.0        // Σ log p(ids) under the raw logits
        var seen: [Int]          // distinct ids of prompt + response (repetition penalty only)
        var seenSet: Set<Int>
        var finish: FinishReason?
    }

    private func generateBatch(_ prompts: [[Int]], firstRow: Int, status: inout GenerationProgress,
                               progress: ((GenerationProgress) -> Void)?) throws -> [[GeneratedSample]] {
        let spec = model.spec, k = parameters.samplesPerPrompt, v = spec.vocabularySize
        let penalized = parameters.sampling.repetitionPenalty != 1
        let longest = prompts.map(\.count).max() ?? 1
        let capacity = min(spec.maxPositions, longest + parameters.maxNewTokens - 1)
        let cache = try model.makeCache(slots: prompts.count * k, capacity: capacity)

        // Prefill once per prompt, then share the prompt's cache with its other samples.
        let prefill = prompts.enumerated().map { DecodeSegment(slot: $0.offset * k, start: 0, tokens: $0.element) }
        let promptLogits = try model.decode(prefill, cache: cache)
        var running: [Running] = []
        for (p, prompt) in prompts.enumerated() {
            for j in 0..<k {
                if j > 0 { try cache.copyPrefix(from: p * k, to: p * k + j, count: prompt.count) }
                let seen = penalized ? Sampler.unique(prompt, below: v) : []
                running.append(Running(
                    prompt: p, slot: p * k + j, promptLength: prompt.count,
                    limit: min(parameters.maxNewTokens, spec.maxPositions - prompt.count + 1),
                    rng: SplitMix64(seed: parameters.seed, stream: UInt64(firstRow + p) << 32 | UInt64(j)),
                    seen: seen, seenSet: Set(seen)))
            }
        }
        var scratch = [Float](repeating: 0, count: v)
        try promptLogits.withUnsafeBufferPointer { raw in
            guard let raw = raw.baseAddress else { throw GenerationError.invalidCache(reason: "no logits") }
            for s in running.indices {
                let p = running[s].prompt
                scratch.replaceSubrange(0..<v, with: promptLogits[(p * v)..<((p + 1) * v)])
                scratch.withUnsafeMutableBufferPointer { choose(&running[s], row: $0, raw: raw + p * v) }
            }
        }
        report(running, prompts: prompts.count, &status, progress)

        while true {
            let active = running.indices.filter { running[$0].finish == nil }
            guard !active.isEmpty else { break }
            let segments = active.map { s in
                let r = running[s]
                return DecodeSegment(slot: r.slot, start: r.promptLength + r.ids.count - 1, tokens: [r.ids[r.ids.count - 1]])
            }
            let raw = try model.decode(segments, cache: cache)
            var logits = raw  // the sampler overwrites its rows; `raw` keeps the model's logits
            // Rows are independent (own logits, own state, own generator): sample them in parallel.
            raw.withUnsafeBufferPointer { original in
                logits.withUnsafeMutableBufferPointer { all in
                    running.withUnsafeMutableBufferPointer { states in
                        guard let rows = all.baseAddress, let original = original.baseAddress,
                              let states = states.baseAddress else { return }
                        samplingLoop.forEach(active.count) { row in
                            choose(&states[active[row]], row: UnsafeMutableBufferPointer(start: rows + row * v, count: v),
                                   raw: original + row * v)
                        }
                    }
                }
            }
            report(running, prompts: prompts.count, &status, progress)
        }
        status.completedPrompts += prompts.count
        let tokens = running.reduce(0) { $0 + $1.ids.count }
        status.generatedTokens += tokens
        logger.debug("batch generated", metadata: [
            "firstRow": "\(firstRow)", "prompts": "\(prompts.count)", "samples": "\(running.count)",
            "tokens": "\(tokens)", "truncated": "\(running.filter { $0.finish != .stop }.count)"])
        return (0..<prompts.count).map { p in
            running[(p * k)..<((p + 1) * k)].map {
                GeneratedSample(ids: $0.ids, finishReason: $0.finish ?? .length, logProb: $0.logProb)
            }
        }
    }

    /// Draws the next token of `r` from its logits `row` (overwritten), adds its log-probability
    /// under the model's logits `raw` (`V` values, left as they are: log-softmax at the token, as
    /// the scoring kernel computes it) and decides whether the response has finished.
    private func choose(_ r: inout Running, row: UnsafeMutableBufferPointer<Float>, raw: UnsafePointer<Float>) {
        let token = sampler.sample(row, penalized: r.seen, using: &r.rng)
        r.logProb += Double(raw[token] - ck_log_sum_exp(Sampler.simd, raw, Int64(row.count)))
        r.ids.append(token)
        if parameters.sampling.repetitionPenalty != 1, r.seenSet.insert(token).inserted { r.seen.append(token) }
        if stopIDs.contains(token) || stopStrings?.matches(r.ids) == true {
            r.finish = .stop
        } else if r.ids.count >= r.limit {
            r.finish = .length
        }
    }

    private func report(_ running: [Running], prompts: Int, _ status: inout GenerationProgress,
                        _ progress: ((GenerationProgress) -> Void)?) {
        guard let progress else { return }
        let k = parameters.samplesPerPrompt
        let done = (0..<prompts).filter { p in running[(p * k)..<((p + 1) * k)].allSatisfy { $0.finish != nil } }.count
        var now = status
        now.completedPrompts += done
        now.generatedTokens += running.reduce(0) { $0 + $1.ids.count }
        progress(now)
    }
}
