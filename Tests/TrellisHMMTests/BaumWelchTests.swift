import XCTest
import TrellisCore
import TrellisHMM
import TrellisTestSupport

final class BaumWelchTests: XCTestCase {
    func testLikelihoodIncreasesEveryIteration() throws {
        let seed: UInt64 = 21
        var rng = SplitMix64(seed: seed)
        let truth = HiddenMarkovModel(randomWithHiddenStates: 3, vocabularySize: 4, using: &rng)
        let data = (0..<300).map { _ in truth.sample(length: 12, using: &rng) }
        let start = HiddenMarkovModel(randomWithHiddenStates: 3, vocabularySize: 4, using: &rng)
        var history: [Double] = []
        let trainer = BaumWelchTrainer(batchSize: 64, transitionPseudocount: 0, emissionPseudocount: 0)
        let trained = try trainer.train(start, sequences: data, iterations: 15) { report, _ in
            history.append(report.logLikelihood)
            return true
        }
        XCTAssertEqual(history.count, 15)
        for i in 1..<history.count {
            XCTAssertGreaterThanOrEqual(history[i], history[i - 1] - 1e-3 * abs(history[i - 1]) * 1e-3, "seed \(seed) iteration \(i): \(history)")
        }
        XCTAssertGreaterThan(history.last!, history.first! + 1, "EM must improve the fit")
        // The batched E-step log-likelihood equals the plain forward algorithm's.
        let reference = data.reduce(0.0) { $0 + start.logLikelihood($1) }
        XCTAssertEqual(history[0], reference, accuracy: 1e-3 * abs(reference))
        // Trained parameters are valid distributions and round-trip through flat arrays.
        let (shapes, values) = trained.flatParameters
        XCTAssertEqual(shapes, [[3], [3, 3], [3, 4]])
        XCTAssertEqual(try HiddenMarkovModel(hiddenStates: 3, vocabularySize: 4, parameters: values), trained)
    }

    func testBatchSizeDoesNotChangeTheResult() throws {
        var rng = SplitMix64(seed: 4)
        let start = HiddenMarkovModel(randomWithHiddenStates: 2, vocabularySize: 3, using: &rng)
        let data = (0..<50).map { _ in start.sample(length: 5, using: &rng) }
        let a = try BaumWelchTrainer(batchSize: 7).train(start, sequences: data, iterations: 2)
        let b = try BaumWelchTrainer(batchSize: 50).train(start, sequences: data, iterations: 2)
        for (x, y) in zip(a.flatParameters.values, b.flatParameters.values) { XCTAssertEqual(x, y, accuracy: 1e-4) }
    }

    func testBLASThreadSettingDoesNotChangeTheResult() throws {
        var rng = SplitMix64(seed: 9)
        let start = HiddenMarkovModel(randomWithHiddenStates: 8, vocabularySize: 5, using: &rng)
        let data = (0..<64).map { _ in start.sample(length: 6, using: &rng) }
        let single = try BaumWelchTrainer(batchSize: 32, blasThreads: 1).train(start, sequences: data, iterations: 2)
        let free = try BaumWelchTrainer(batchSize: 32).train(start, sequences: data, iterations: 2)
        for (x, y) in zip(single.flatParameters.values, free.flatParameters.values) { XCTAssertEqual(x, y, accuracy: 1e-4) }
    }

    func testTypedInputErrors() {
        var rng = SplitMix64(seed: 1)
        let hmm = HiddenMarkovModel(randomWithHiddenStates: 2, vocabularySize: 3, using: &rng)
        let trainer = BaumWelchTrainer()
        XCTAssertThrowsError(try trainer.train(hmm, sequences: [], iterations: 1)) { XCTAssertEqual($0 as? HMMError, .emptyTrainingSet) }
        XCTAssertThrowsError(try trainer.train(hmm, sequences: [[0, 1], [0]], iterations: 1)) {
            XCTAssertEqual($0 as? HMMError, .raggedSequences(expectedLength: 2, sequence: 1, got: 1))
        }
        XCTAssertThrowsError(try trainer.train(hmm, sequences: [[0, 3]], iterations: 1)) {
            XCTAssertEqual($0 as? HMMError, .tokenOutsideVocabulary(token: 3, vocabularySize: 3, sequence: 0))
        }
        XCTAssertThrowsError(try HiddenMarkovModel(initial: [0.5, 0.6], transition: [1, 0, 0, 1], emission: [1, 0, 0, 1], vocabularySize: 2)) {
            XCTAssertEqual($0 as? HMMError, .invalidProbabilities(what: "initial", row: 0))
        }
    }
}
