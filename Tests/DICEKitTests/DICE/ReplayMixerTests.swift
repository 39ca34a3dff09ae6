// Experience replay: the sizes of both parts against the closed form for γ ∈ {0, ¼, ½, 1},
// prompt disjointness, determinism, and the shortfall when too few offline prompts are free.

import Foundation
import Testing
@testable import DICEKit

@Suite("DICE experience replay")
struct ReplayMixerTests {
    /// (γ, N_gen, N_off) → (n_gen, n_off), worked out by hand from DESIGN.md's formula.
    static let cases: [(gamma: Double, nGen: Int, nOff: Int, expectGen: Int, expectOff: Int)] = [
        (0, 80, 100, 80, 0),       // all generated pairs (N_gen ≤ N_off)
        (0, 120, 100, 100, 0),     // capped at N_off
        (0.25, 90, 100, 75, 25),   // ⌊100·¾⌋ = 75, ⌊¼·75/¾⌋ = 25
        (0.25, 30, 100, 30, 10),   // ⌊¼·30/¾⌋ = 10
        (0.5, 90, 100, 50, 50),
        (0.5, 30, 100, 30, 30),
        (1, 90, 100, 0, 100),      // offline only
    ]

    @Test("sizes follow n_gen = min(⌊N_off(1−γ)⌋, N_gen), n_off = ⌊γ·n_gen/(1−γ)⌋", arguments: cases.indices)
    func sizes(index: Int) throws {
        let c = Self.cases[index]
        let mixer = try ExperienceReplayMixer(gamma: c.gamma)
        let s = mixer.sizes(generated: c.nGen, offline: c.nOff)
        #expect(s.generated == c.expectGen && s.offline == c.expectOff)
        // Distinct prompts on both sides: the selection reaches the sizes exactly.
        let gen = (0 ..< c.nGen).map { "g\($0)" }
        let off = (0 ..< c.nOff).map { "o\($0)" }
        let sel = mixer.select(generatedPrompts: gen, offlinePrompts: off, seed: 42)
        #expect(sel.generated.count == c.expectGen && sel.offline.count == c.expectOff)
        #expect(sel.requestedOffline == c.expectOff)
        #expect(Set(sel.generated).count == sel.generated.count && Set(sel.offline).count == sel.offline.count)
        #expect(sel.generated == sel.generated.sorted() && sel.offline == sel.offline.sorted())
    }

    @Test("offline pairs never share a prompt with the generated part", arguments: [0.0, 0.25, 0.5, 1.0])
    func disjoint(gamma: Double) throws {
        // Generated and offline pairs share the prompt pool p0 … p59; offline has 2 pairs per prompt.
        let gen = (0 ..< 60).map { "p\($0)" }
        let off = (0 ..< 120).map { "p\($0 / 2)" }
        let mixer = try ExperienceReplayMixer(gamma: gamma)
        for seed in 0 ..< 20 as Range<UInt64> {
            let sel = mixer.select(generatedPrompts: gen, offlinePrompts: off, seed: seed)
            let used = Set(sel.generated.map { gen[$0] })
            #expect(sel.offline.allSatisfy { !used.contains(off[$0]) })
            let s = mixer.sizes(generated: 60, offline: 120)
            #expect(sel.generated.count == s.generated)
            // Free offline pairs: 2 per prompt outside the generated part.
            let free = 2 * (60 - used.count)
            #expect(sel.offline.count == min(s.offline, free))
            #expect(sel.requestedOffline == s.offline)
        }
    }

    @Test("the same seed gives the same selection; another seed another one")
    func determinism() throws {
        let mixer = try ExperienceReplayMixer(gamma: 0.5)
        let gen = (0 ..< 50).map { $0 }, off = (100 ..< 200).map { $0 }
        let a = mixer.select(generatedPrompts: gen, offlinePrompts: off, seed: 7)
        #expect(a == mixer.select(generatedPrompts: gen, offlinePrompts: off, seed: 7))
        #expect(a != mixer.select(generatedPrompts: gen, offlinePrompts: off, seed: 8))
    }

    @Test("γ outside [0, 1] is rejected", arguments: [-0.1, 1.01, Double.nan])
    func badGamma(gamma: Double) {
        #expect(throws: DICEError.self) { try ExperienceReplayMixer(gamma: gamma) }
    }

    @Test("sampling without replacement is uniform over the first position")
    func uniform() {
        var counts = [Int](repeating: 0, count: 5)
        var rng = SplitMix64(seed: 3)
        for _ in 0 ..< 50_000 { counts[rng.sampleWithoutReplacement(2, from: 5)[0]] += 1 }
        #expect(counts.allSatisfy { abs($0 - 10_000) < 500 })  // ~5σ
    }
}
