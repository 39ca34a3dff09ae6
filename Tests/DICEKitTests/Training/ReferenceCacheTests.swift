import Foundation
import Testing
@testable import DICEKit

/// The reference log-prob cache: keys, exact reuse without loading the model, continuation of
/// a partial file; SHA-256 against the FIPS 180-4 test vectors.
@Suite("Reference log-prob cache")
struct ReferenceCacheTests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ])
    func sha256Vectors(_ input: String, _ digest: String) {
        var h = SHA256()
        h.update(Array(input.utf8))
        #expect(h.hexDigest() == digest)
        // Fed in pieces, too.
        var split = SHA256()
        for byte in input.utf8 { split.update([byte]) }
        #expect(split.hexDigest() == digest)
    }

    @Test func modelAndDirectoryFingerprintsAgree() throws {
        let url = Fixtures.model("llama-gqa-tied")
        let model = try TransformerLM(directory: url, backend: CPUBackend())
        let dir = try ModelDirectory.read(from: url)
        #expect(try model.weightsFingerprint() == dir.weightsFingerprint())
        var values = try model.parameters.get("model.norm.weight")
        values[0] = values[0].nextUp
        try model.parameters.set("model.norm.weight", values)
        #expect(try model.weightsFingerprint() != dir.weightsFingerprint())
    }

    @Test func cachedValuesAreReusedExactlyWithoutTheModel() throws {
        let model = try TransformerLM(directory: Fixtures.model("llama-gqa-tied"), backend: CPUBackend())
        let pairs = DPOResumeTests.pairs(7)
        let folder = try ScratchFolder("refcache")
        defer { folder.remove() }
        let cache = ReferenceLogProbCache(folder: folder.url)
        let key = ReferenceLogProbCache.key(weightsFingerprint: try model.weightsFingerprint(),
                                            dataFingerprint: PreferenceDataset.fingerprint(pairs, template: "none", appendEOS: false))
        var loads = 0
        let first = try cache.logProbs(key: key, pairs: pairs, reference: { loads += 1; return model }, batchSize: 3)
        #expect(loads == 1)
        #expect(first == (try ReferenceLogProbs.compute(pairs, reference: model, batchSize: 3)))
        let second = try cache.logProbs(key: key, pairs: pairs, reference: { loads += 1; return model })
        #expect(loads == 1)
        #expect(second.chosen.map(\.bitPattern) == first.chosen.map(\.bitPattern))
        #expect(second.rejected.map(\.bitPattern) == first.rejected.map(\.bitPattern))
        #expect(try cache.complete(key, count: pairs.count) == first)
        #expect(try cache.complete("other", count: pairs.count) == nil)
    }

    @Test func partialFilesAreContinued() throws {
        let model = try TransformerLM(directory: Fixtures.model("llama-gqa-tied"), backend: CPUBackend())
        let pairs = DPOResumeTests.pairs(6)
        let folder = try ScratchFolder("refcache-partial")
        defer { folder.remove() }
        let cache = ReferenceLogProbCache(folder: folder.url)
        // A file holding only the first pairs is continued, not recomputed from the start.
        let all = try ReferenceLogProbs.compute(pairs, reference: model, batchSize: 2)
        let partial = #"{"chosen":[\#(all.chosen[0]),\#(all.chosen[1])],"count":6,"key":"p","rejected":[\#(all.rejected[0]),\#(all.rejected[1])]}"#
        try Data(partial.utf8).write(to: cache.file("p"))
        var scored = 0
        final class Counting: SequenceScorer {
            let inner: TransformerLM
            let count: (Int) -> Void
            init(_ inner: TransformerLM, _ count: @escaping (Int) -> Void) { self.inner = inner; self.count = count }
            func logProbs(_ batch: [TokenPair]) throws -> [Double] { count(batch.count); return try inner.logProbs(batch) }
        }
        let continued = try cache.logProbs(key: "p", pairs: pairs, reference: { Counting(model) { scored += $0 } }, batchSize: 2)
        #expect(scored == 2 * 4)
        #expect(continued == all)
        try Data("{".utf8).write(to: cache.file("bad"))
        #expect(throws: FormatError.self) { try cache.complete("bad", count: 6) }
    }
}
