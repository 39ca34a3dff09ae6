// StandardDPOTrainer: the DPO training loop — seeded batches, micro-batch gradient accumulation
// (chosen and rejected of each pair side by side in one policy call, so the model can share
// their prompt) inside the shared TrainingStep (reduce, clip, scheduled update), any
// PreferenceLoss and Optimizer, periodic validation and atomic, bit-exact resumable checkpoints.

import Foundation
import Logging

/// The standard `DPOTrainer`.
///
/// Per update (one `TrainingStep.apply`): `batchSize` pairs are drawn (`DPODataOrder`); for
/// each pass of `microBatchSize` pairs the policy scores `[chosen₀, rejected₀, chosen₁,
/// rejected₁, …]` in one `logProbsWithPullback` call, the loss's derivatives (scaled to the
/// global batch) go into the pullback; with `microBatches` N > 1 the batch is first cut into N
/// contiguous micro-batches whose gradients are made apart and summed in order
/// (`TrainingStep.apply(to:index:lastCheckpointStep:microBatches:accumulate:)`); then the
/// gradient is reduced (`reducer`), its global norm is measured (and clipped), the learning
/// rate is the base rate times the schedule at this update, and the optimizer updates the flat
/// parameters.
///
/// The loss is `configuration.loss` unless another `PreferenceLoss` is given, the optimizer a
/// fresh one of `configuration.optimizer`'s kind per `train` call unless an `Optimizer` is
/// given. Checkpoints record both names and refuse to resume under others.
///
/// A NaN or infinite log-prob, loss or gradient norm stops the run with
/// `DPOTrainingError.nonFinite` before any update is applied, and so do parameters or optimizer
/// state that an update overflowed, found when a checkpoint is due (before it is written): the
/// last checkpoint stays the last good state. A checkpoint that cannot be written (a full
/// disk) stops the run with `DPOTrainingError.checkpointNotWritten`, the previous checkpoint
/// left in place. Temporary files and folders that a killed run left in `checkpointFolder`
/// (and a stale `.checkpoint-old`) are removed when training starts.
///
/// An observer that throws `RunStopped` at `.step` or `.validation` stops the run cleanly: the
/// update is finished (validated when due), checkpointed, and then the error is rethrown.
/// A checkpoint records `inputs`; a resume under other inputs is refused.
///
/// Data parallelism: with a `communicator` of several ranks, every rank runs `train` with the
/// same pairs and settings; each takes its contiguous share (`Communicator.shard(of:)`) of every
/// global batch, the loss derivatives stay scaled to the global batch, and the gradients are
/// summed over the ranks (`AllReduceGradientReducer` after `reducer`, or `reducer` itself when it
/// `sumsOverRanks`, e.g. NCCL's on GPUs) before clipping, so every
/// rank applies the same update. A rank's share is cut into `microBatches` micro-batches as one
/// process's batch is, so N ranks with one micro-batch and one process with N compute the same
/// bits: the same slices, each gradient made from zero, the same Float32 additions in the same
/// order, and the loss summed per micro-batch then in order as the ranks' losses are. Metrics
/// cover the whole batch (the ranks' log-probs are gathered); validation runs on every rank; only rank 0 writes checkpoints (and calls
/// `exportModel`), and every rank resumes from them (on several hosts the output folder must be
/// shared).
public final class StandardDPOTrainer: DPOTrainer {
    /// The run's settings (batches, schedule, clipping, validation, checkpoints, seed).
    public let configuration: DPOConfiguration
    /// The loss trained with: `configuration.loss` unless another was given.
    public let loss: any PreferenceLoss
    /// The optimizer to update with, used as it is (its state carries over between `train`
    /// calls); nil makes a fresh one of `configuration.optimizer`'s kind in each `train` call.
    public var optimizer: (any Optimizer)?
    /// Combines the accumulated gradient across workers before clipping (identity by default).
    public var reducer: any GradientReducer
    /// Where checkpoints go (`<folder>/checkpoint`); nil writes none.
    public var checkpointFolder: URL?
    /// Continue from the checkpoint in `checkpointFolder` when there is one.
    public var resume: Bool
    /// Writes the policy as a model directory into the folder it is given (for checkpoints).
    public var exportModel: ((URL) throws -> Void)?
    /// Receives progress; throwing stops the run (`RunStopped` after saving the update, see
    /// the type's description).
    public var observer: ((DPOEvent) throws -> Void)?
    /// What the run reads besides its pairs and settings, by name — e.g. the weight
    /// fingerprints of the policy it starts from and of the reference — recorded in every
    /// checkpoint (`DPOCheckpoint.State.inputs`; nothing when empty) and compared on resume: a
    /// checkpoint that recorded other values is refused, naming each key that differs.
    public var inputs: [String: String] = [:]
    /// Where training logs (label `dicekit.training` by default, see `LogSubsystem`): at
    /// `debug` the start (pairs, held-out pairs, steps), a resume from a checkpoint, every
    /// checkpoint written and the end; at `trace` every update's loss, gradient norm and
    /// learning rate.
    public var logger: Logger = LogSubsystem.training.logger
    /// The ranks that train together (`LocalCommunicator`, one process, by default); see the
    /// type's description.
    public var communicator: any Communicator = LocalCommunicator()

    /// A trainer; a trailing closure is the `observer`. `loss` and `optimizer` replace the
    /// configuration's (nil: the configuration's); `reducer` is called on every update's
    /// gradient before clipping.
    public init(configuration: DPOConfiguration, loss: (any PreferenceLoss)? = nil, optimizer: (any Optimizer)? = nil,
                reducer: any GradientReducer = .identity, checkpointFolder: URL? = nil, resume: Bool = false,
                observer: ((DPOEvent) throws -> Void)? = nil, exportModel: ((URL) throws -> Void)? = nil) {
        self.configuration = configuration
        self.loss = loss ?? configuration.loss
        self.optimizer = optimizer
        self.reducer = reducer
        self.checkpointFolder = checkpointFolder
        self.resume = resume
        self.exportModel = exportModel
        self.observer = observer
    }

    /// Trains `policy` in place (see the type's description).
    /// - Throws: `DPOTrainingError` (`invalidSetting` before any work, `referenceCountMismatch`,
    ///   `nonFinite`, `lossContract` when the loss returns derivatives for another number of
    ///   pairs, `checkpointNotWritten`, `resumeMismatch`, `unreadableCheckpoint`); what the
    ///   policy, the optimizer, the reducer and the observer throw.
    public func train(_ policy: any TrainablePolicy, pairs: [PreferencePair], reference: ReferenceLogProbs) throws
        -> DPOTrainingSummary {
        let c = configuration, loss = self.loss
        try c.validate(pairs: pairs.count)
        guard reference.chosen.count == pairs.count, reference.rejected.count == pairs.count else {
            throw DPOTrainingError.referenceCountMismatch(pairs: pairs.count, chosen: reference.chosen.count,
                                                          rejected: reference.rejected.count)
        }
        let parameters = policy.trainableParameters
        let backend = parameters.backend
        let optimizer = try self.optimizer ?? c.optimizer.makeOptimizer(weightDecay: c.weightDecay)
        let communicator = self.communicator, writes = communicator.rank == 0
        let update = TrainingStep(optimizer: optimizer, learningRate: c.learningRate, schedule: c.schedule,
                                  maxGradNorm: c.maxGradNorm,
                                  reducer: communicator.size > 1 && !reducer.sumsOverRanks
                                      ? AllReduceGradientReducer(communicator, after: reducer) : reducer)
        let validation = DPODataOrder.validationIndices(count: pairs.count, size: c.validationSize, seed: c.seed)
        let held = Set(validation)
        let training = (0..<pairs.count).filter { !held.contains($0) }
        let fingerprint = PreferenceDataset.fingerprint(pairs, template: "", appendEOS: false)
        var order = DPODataOrder(count: training.count, seed: c.seed)
        var step = 0
        var lastCheckpoint: Int?
        var summary = DPOTrainingSummary(steps: 0)

        if let folder = checkpointFolder, writes {
            AtomicFile.removeLeftovers(in: folder)
            DPOCheckpoint.removeLeftovers(in: folder)
        }
        logger.debug("DPO training started",
                     metadata: ["pairs": "\(training.count)", "heldOut": "\(validation.count)", "steps": "\(c.steps)",
                                "batchSize": "\(c.batchSize)", "loss": "\(loss.name)", "optimizer": "\(optimizer.name)"])
        if resume, let folder = checkpointFolder, let saved = try DPOCheckpoint.read(from: folder) {
            try check(saved.state, folder: folder, fingerprint: fingerprint, parameterCount: parameters.values.count,
                      loss: loss.name, optimizer: optimizer.name)
            backend.upload(saved.parameters, to: parameters.values)
            try optimizer.restore(saved.optimizer, parameterCount: parameters.values.count, on: backend)
            order = saved.state.dataOrder
            step = saved.state.step
            lastCheckpoint = step
            summary.resumedFrom = step
            logger.debug("resumed from the checkpoint", metadata: ["step": "\(step)", "folder": "\(folder.path)"])
            try observer?(.resumed(step: step))
        }

        while step < c.steps {
            let batch = order.next(c.batchSize).map { training[$0] }
            let chosenTokens = batch.reduce(0) { $0 + pairs[$1].chosen.count }
            var measured: [PairLogProbs] = []
            var batchLoss = 0.0
            // This rank's share of the global batch (all of it in one process).
            let share = Array(batch[communicator.shard(of: batch.count)])
            let outcome = try update.apply(to: parameters, index: step, lastCheckpointStep: lastCheckpoint,
                                           microBatches: c.microBatches) { k in
                // Micro-batch k of the share (the whole share with one), in passes of microBatchSize;
                // its loss summed apart and added in order, as the ranks' losses are gathered.
                let part = Array(share[Distribution.shard(of: share.count, rank: k, size: c.microBatches)])
                var partLoss = 0.0
                for start in stride(from: 0, to: part.count, by: c.microBatchSize) {
                    let micro = Array(part[start..<min(part.count, start + c.microBatchSize)])
                    let (logps, pullback) = try policy.logProbsWithPullback(micro.flatMap { [pairs[$0].chosenPair, pairs[$0].rejectedPair] })
                    guard logps.count == 2 * micro.count, logps.allSatisfy(\.isFinite) else {
                        throw DPOTrainingError.nonFinite(step: step + 1, quantity: "policy log-probs", lastCheckpointStep: lastCheckpoint)
                    }
                    let values = Self.pairLogProbs(micro, logps, pairs, reference)
                    let contribution = loss.evaluate(values, batchPairs: batch.count, batchChosenTokens: chosenTokens)
                    try Self.checkContribution(contribution, pairs: micro.count, loss: loss)
                    guard contribution.loss.isFinite else {
                        throw DPOTrainingError.nonFinite(step: step + 1, quantity: "loss", lastCheckpointStep: lastCheckpoint)
                    }
                    var dlogp = [Double](repeating: 0, count: logps.count)
                    for j in 0..<micro.count {
                        dlogp[2 * j] = contribution.dChosen[j]
                        dlogp[2 * j + 1] = contribution.dRejected[j]
                    }
                    try pullback(dlogp)
                    partLoss += contribution.loss
                    measured += values
                }
                batchLoss += partLoss
            }
            step += 1
            if communicator.size > 1 { (measured, batchLoss) = try Self.gather(measured, loss: batchLoss, over: communicator) }

            let epoch = Double(order.consumed) / Double(max(1, training.count))
            var metrics = DPOMetrics.measure(measured, loss: batchLoss, beta: loss.beta, step: step, epoch: epoch,
                                             isValidation: false)
            metrics.gradNorm = outcome.gradNorm
            metrics.learningRate = outcome.learningRate
            summary.lastStep = metrics
            summary.steps = step
            logger.trace("update", metadata: ["step": "\(step)", "loss": "\(batchLoss)", "gradNorm": "\(outcome.gradNorm)",
                                              "learningRate": "\(outcome.learningRate)"])
            // A stop request is held until the update is validated and checkpointed.
            var stop: RunStopped?
            do { try observer?(.step(metrics)) } catch let request as RunStopped { stop = request }

            let last = step == c.steps
            if !validation.isEmpty && (last || (c.evaluationInterval > 0 && step % c.evaluationInterval == 0)) {
                let v = try evaluate(policy, pairs: pairs, indices: validation, reference: reference, step: step, epoch: epoch)
                summary.lastValidation = v
                do { try observer?(.validation(v)) } catch let request as RunStopped { stop = stop ?? request }
            }
            if let folder = checkpointFolder,
               last || stop != nil || (c.checkpointInterval > 0 && step % c.checkpointInterval == 0) {
                // Every rank takes part in gathering a sharded optimizer's state; rank 0 writes.
                let optimizerState = try optimizer.checkpointState()
                guard writes else {
                    if let stop { throw stop }
                    continue
                }
                let state = DPOCheckpoint.State(step: step, configuration: c, dataFingerprint: fingerprint,
                                                parameterCount: parameters.values.count, loss: loss.name,
                                                optimizer: optimizer.name,
                                                optimizerStep: optimizer.step, dataOrder: order,
                                                inputs: inputs.isEmpty ? nil : inputs)
                let values = backend.download(parameters.values)
                guard values.allSatisfy(\.isFinite),
                      optimizerState.tensors.values.allSatisfy({ $0.values.allSatisfy(\.isFinite) }) else {
                    throw DPOTrainingError.nonFinite(step: step, quantity: "parameters or optimizer state",
                                                     lastCheckpointStep: lastCheckpoint)
                }
                do {
                    try DPOCheckpoint(state: state, parameters: values, optimizer: optimizerState)
                        .write(to: folder, exportModel: exportModel)
                } catch {
                    throw DPOTrainingError.checkpointNotWritten(
                        folder: folder.appendingPathComponent(DPOCheckpoint.folderName).path, step: step,
                        reason: String(describing: error), lastCheckpointStep: lastCheckpoint)
                }
                lastCheckpoint = step
                logger.debug("checkpoint written", metadata: [
                    "step": "\(step)", "folder": "\(folder.appendingPathComponent(DPOCheckpoint.folderName).path)"])
                try observer?(.checkpoint(step: step, folder: folder.appendingPathComponent(DPOCheckpoint.folderName)))
            }
            if let stop { throw stop }
        }
        summary.steps = step
        logger.debug("DPO training finished", metadata: ["steps": "\(step)",
                                                          "loss": "\(summary.lastStep.map { "\($0.loss)" } ?? "none")"])
        return summary
    }

    /// The step of the checkpoint that `train` would continue for `pairs` and a policy of
    /// `parameterCount` parameters, checked as `train` checks it (the pairs, the settings, the
    /// loss and optimizer, `inputs`) but reading only the checkpoint's state file — so that a
    /// caller can refuse a resume before any expensive work. Nil when `train` would start from
    /// scratch (`resume` off, no `checkpointFolder`, or no checkpoint in it).
    /// - Throws: `DPOTrainingError.resumeMismatch` naming what differs, `.unreadableCheckpoint`,
    ///   `.invalidSetting` for an optimizer setting.
    public func resumableStep(pairs: [PreferencePair], parameterCount: Int) throws -> Int? {
        guard resume, let folder = checkpointFolder, let saved = try DPOCheckpoint.readState(from: folder) else { return nil }
        let optimizer = try self.optimizer ?? configuration.optimizer.makeOptimizer(weightDecay: configuration.weightDecay)
        try check(saved, folder: folder, fingerprint: PreferenceDataset.fingerprint(pairs, template: "", appendEOS: false),
                  parameterCount: parameterCount, loss: loss.name, optimizer: optimizer.name)
        return saved.step
    }

    /// The loss and metrics of `indices` without updating (log-probs only).
    /// - Throws: `DPOTrainingError.lossContract` when the loss's derivatives do not cover the
    ///   pairs; what the policy throws.
    public func evaluate(_ policy: any TrainablePolicy, pairs: [PreferencePair], indices: [Int],
                         reference: ReferenceLogProbs, step: Int, epoch: Double) throws -> DPOMetrics {
        var values: [PairLogProbs] = []
        for start in stride(from: 0, to: indices.count, by: configuration.microBatchSize) {
            let micro = Array(indices[start..<min(indices.count, start + configuration.microBatchSize)])
            let logps = try policy.logProbs(micro.flatMap { [pairs[$0].chosenPair, pairs[$0].rejectedPair] })
            values += Self.pairLogProbs(micro, logps, pairs, reference)
        }
        let part = loss.evaluate(values)
        try Self.checkContribution(part, pairs: values.count, loss: loss)
        return DPOMetrics.measure(values, loss: part.loss, beta: loss.beta, step: step, epoch: epoch,
                                  isValidation: true)
    }

    /// Every rank's log-probs of its share (in rank order: the batch's order) and the sum of the
    /// ranks' losses (each already scaled to the global batch).
    private static func gather(_ measured: [PairLogProbs], loss: Double, over communicator: any Communicator) throws
        -> ([PairLogProbs], Double) {
        let flat = [loss] + measured.flatMap {
            [$0.policyChosen, $0.policyRejected, $0.referenceChosen, $0.referenceRejected,
             Double($0.chosenLength), Double($0.rejectedLength)]
        }
        let parts = try communicator.allGather(Distribution.bytes(flat)).map(Distribution.doubles)
        var all: [PairLogProbs] = [], total = 0.0
        for part in parts {
            total += part.first ?? 0
            for k in stride(from: 1, to: part.count - 5, by: 6) {
                all.append(PairLogProbs(policyChosen: part[k], policyRejected: part[k + 1], referenceChosen: part[k + 2],
                                        referenceRejected: part[k + 3], chosenLength: Int(part[k + 4]),
                                        rejectedLength: Int(part[k + 5])))
            }
        }
        return (all, total)
    }

    /// Refuses a loss contribution whose derivatives do not cover `pairs` pairs.
    private static func checkContribution(_ part: PreferenceLossContribution, pairs: Int, loss: any PreferenceLoss) throws {
        guard part.dChosen.count == pairs, part.dRejected.count == pairs else {
            throw DPOTrainingError.lossContract(
                name: loss.name,
                reason: "\(part.dChosen.count) chosen and \(part.dRejected.count) rejected derivatives for \(pairs) pairs")
        }
    }

    private static func pairLogProbs(_ indices: [Int], _ logps: [Double], _ pairs: [PreferencePair],
                                     _ reference: ReferenceLogProbs) -> [PairLogProbs] {
        indices.enumerated().map { k, i in
            PairLogProbs(policyChosen: logps[2 * k], policyRejected: logps[2 * k + 1],
                         referenceChosen: reference.chosen[i], referenceRejected: reference.rejected[i],
                         chosenLength: pairs[i].chosen.count, rejectedLength: pairs[i].rejected.count)
        }
    }

    private func check(_ saved: DPOCheckpoint.State, folder: URL, fingerprint: String, parameterCount: Int,
                       loss: String, optimizer: String) throws {
        let path = folder.appendingPathComponent(DPOCheckpoint.folderName).path
        func fail(_ reason: String) throws -> Never { throw DPOTrainingError.resumeMismatch(path: path, reason: reason) }
        if let recorded = saved.inputs {
            let changed = Set(recorded.keys).union(inputs.keys).sorted().filter { recorded[$0] != inputs[$0] }
            if !changed.isEmpty {
                try fail(changed.map { key in
                    switch (recorded[key], inputs[key]) {
                    case let (old?, new?): return "\(key): \(new) differs from the checkpoint's \(old)"
                    case let (old?, nil): return "\(key): the checkpoint recorded \(old), this run nothing"
                    default: return "\(key): not recorded in the checkpoint"
                    }
                }.joined(separator: "; "))
            }
        }
        if saved.dataFingerprint != fingerprint { try fail("the checkpoint was trained on other pairs") }
        if saved.parameterCount != parameterCount {
            try fail("the checkpoint holds \(saved.parameterCount) parameters, the policy \(parameterCount)")
        }
        if saved.optimizer != optimizer { try fail("the checkpoint used \(saved.optimizer), this run \(optimizer)") }
        if let savedLoss = saved.loss, savedLoss != loss {
            try fail("the checkpoint used the loss \(savedLoss), this run \(loss)")
        }
        var a = saved.configuration, b = configuration
        (a.steps, a.evaluationInterval, a.checkpointInterval) = (0, 0, 0)
        (b.steps, b.evaluationInterval, b.checkpointInterval) = (0, 0, 0)
        if a != b { try fail("the settings differ from the checkpoint's (only steps and intervals may change)") }
        if saved.step > configuration.steps { try fail("the checkpoint is at step \(saved.step), past --steps \(configuration.steps)") }
    }
}
