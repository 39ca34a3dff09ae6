// ReferenceModel: the frozen model the implicit reward is measured against. It only scores.

/// A frozen reference model: Σ log π_ref(response | prompt) per pair, the prompt masked.
///
/// It is exactly a `SequenceScorer`; the alias names the role. In round t of DICE the
/// reference for *scoring* is π_{t−2} (π_ref in round 1) and for *training* π_{t−1} (see
/// `RoundPlan`).
public typealias ReferenceModel = SequenceScorer
