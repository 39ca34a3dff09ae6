// alpaca_eval interop: annotations scored exactly as alpaca_eval 0.6.6's `get_winrate` scores
// them (goldens from Scripts/make-alpaca-eval-goldens.py, which runs alpaca_eval itself), bad
// annotation files refused with the record and field, and the model_outputs.json layout.

import DICEKit
import Foundation
import Testing

@Suite("alpaca_eval interop")
struct AlpacaEvalTests {
    /// get_winrate's dict, as the script saved it.
    struct Golden: Decodable {
        var win_rate: Double
        var standard_error: Double?
        var n_wins: Double
        var n_wins_base: Double
        var n_draws: Double
        var n_total: Double
        var discrete_win_rate: Double
    }

    static func folder() -> URL { Fixtures.root.appendingPathComponent("alpaca-eval") }

    static func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-9 * max(1, abs(b)) }

    @Test("win rate, standard error, counts and discrete win rate equal alpaca_eval's get_winrate",
          arguments: ["discrete", "weighted", "small"])
    func getWinrateParity(_ name: String) throws {
        let records = try AlpacaEvalAnnotation.read(contentsOf: Self.folder().appendingPathComponent("\(name).annotations.json"))
        let golden = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: Self.folder().appendingPathComponent("\(name).winrate.json")))
        let result = try AlpacaEvalWinRate(annotations: records, resamples: 200, seed: 1)
        #expect(Self.close(result.winRate, golden.win_rate), "\(result.winRate) vs \(golden.win_rate)")
        #expect(Self.close(result.discreteWinRate, golden.discrete_win_rate))
        #expect(result.standardError.map { Self.close($0, golden.standard_error ?? .nan) } ?? (golden.standard_error == nil))
        #expect(Double(result.wins) == golden.n_wins && Double(result.baselineWins) == golden.n_wins_base)
        #expect(Double(result.draws) == golden.n_draws && Double(result.total) == golden.n_total)
        #expect(result.total + result.unannotated == records.count)
        let iv = result.intervals
        #expect(iv.winRate.lower <= result.winRate / 100 && result.winRate / 100 <= iv.winRate.upper)
        #expect(iv.lengthControlled.lower <= iv.lengthControlled.upper)
    }

    @Test("lengths are counted in characters (Unicode scalars, Python's len), not bytes")
    func characterLengths() throws {
        let records = [AlpacaEvalAnnotation(instruction: "i", baselineOutput: "ab", modelOutput: "数据🙂", preference: 2),
                       AlpacaEvalAnnotation(instruction: "j", baselineOutput: "abcd", modelOutput: "é", preference: 1)]
        let result = try AlpacaEvalWinRate(annotations: records, resamples: 10)
        #expect(result.averageLength == 2 && result.baselineAverageLength == 3)
        #expect(result.winRate == 50 && result.wins == 1 && result.baselineWins == 1 && result.draws == 0)
    }

    @Test("the LC fit takes soft preferences as targets: with equal lengths and no ridge it is their mean")
    func softTargets() throws {
        let scores = [0.9, 0.2, 0.75, 0.5, 1, 0.33]
        let lc = try LengthControlledWinRate(scores: scores, lengthsA: [5, 5, 5, 5, 5, 5], lengthsB: [5, 5, 5, 5, 5, 5], ridge: 0)
        #expect(abs(lc.rate - scores.reduce(0, +) / 6) < 1e-9)
        #expect(throws: DICEError.self) {
            try LengthControlledWinRate(scores: [1.2], lengthsA: [1], lengthsB: [1])
        }
    }

    static func decodeError(_ json: String) -> AlpacaEvalError? {
        do {
            _ = try AlpacaEvalAnnotation.decode(Data(json.utf8), path: "a.json")
            return nil
        } catch let error as AlpacaEvalError {
            return error
        } catch {
            return nil
        }
    }

    static let good = #"{"instruction": "i", "output_1": "a", "output_2": "b", "preference": 2}"#

    @Test("bad annotation files: typed errors naming the file, the record and the field")
    func badInput() {
        #expect(Self.decodeError("[\(Self.good), {\"instruction\": \"i\", \"output_1\": \"a\", \"preference\": 1}]")
                == .missingField(path: "a.json", index: 1, field: "output_2"))
        #expect(Self.decodeError(#"[{"instruction": "i", "output_1": "a", "output_2": "b"}]"#)
                == .missingField(path: "a.json", index: 0, field: "preference"))
        if case let .invalidField(path, index, field, offset, _, found)? =
            Self.decodeError(#"[{"instruction": "i", "output_1": "a", "output_2": "b", "preference": 3}]"#) {
            #expect(path == "a.json" && index == 0 && field == "preference" && found == "3.0" && offset == 70)
        } else {
            Issue.record("a preference of 3 must be refused")
        }
        for bad in ["0.5", "-1", "2.0001", "\"2\"", "true"] {
            let error = Self.decodeError("[{\"instruction\": \"i\", \"output_1\": \"a\", \"output_2\": \"b\", \"preference\": \(bad)}]")
            guard case .invalidField(_, 0, "preference", _, _, _)? = error else {
                Issue.record("preference \(bad): \(String(describing: error))")
                continue
            }
        }
        if case .invalidField(_, 0, "output_1", _, _, _)? =
            Self.decodeError(#"[{"instruction": "i", "output_1": 7, "output_2": "b", "preference": 1}]"#) {} else {
            Issue.record("a number where output_1 is expected must be refused")
        }
        #expect(Self.decodeError(#"{"instruction": "i"}"#) == .notAList(path: "a.json", found: "an object"))
        #expect(Self.decodeError("[\(Self.good), 5]") == .notARecord(path: "a.json", index: 1, found: "a number"))
        guard case .invalidJSON(path: "a.json", offset: _, reason: _)? = Self.decodeError("[{") else {
            Issue.record("truncated JSON must be refused")
            return
        }
        // null preferences and draws spelled 0 are alpaca_eval's, and accepted.
        #expect(Self.decodeError("[\(Self.good), {\"instruction\": \"i\", \"output_1\": \"a\", \"output_2\": \"b\", \"preference\": null}, {\"instruction\": \"i\", \"output_1\": \"a\", \"output_2\": \"b\", \"preference\": 0}]") == nil)
    }

    @Test("no preference at all is an error, not a 0% win rate")
    func allNull() {
        #expect(throws: DICEError.self) {
            try AlpacaEvalWinRate(annotations: [AlpacaEvalAnnotation(instruction: "i", baselineOutput: "a",
                                                                     modelOutput: "b", preference: nil)])
        }
    }

    @Test("model_outputs.json: a list of records with exactly instruction, output, generator and dataset")
    func modelOutputs() throws {
        let data = try AlpacaEvalModelOutput.encodedJSON([
            AlpacaEvalModelOutput(instruction: "Say hi / now", output: "Hi 🙂", generator: "dice-round-2", dataset: "helpful_base"),
        ])
        let parsed = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: String]])
        #expect(parsed == [["instruction": "Say hi / now", "output": "Hi 🙂", "generator": "dice-round-2", "dataset": "helpful_base"]])
    }
}
