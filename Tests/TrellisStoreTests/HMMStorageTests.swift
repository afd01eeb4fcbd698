import TrellisCore
import TrellisTestSupport
import XCTest
@testable import TrellisStore

final class HMMStorageTests: XCTestCase {
    private func randomValues(_ count: Int, seed: UInt64) -> [Float] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { _ in Float.random(in: -10...10, using: &random) }
    }

    func testLargeMatricesRoundTripBitExactly() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("hmm.sqlite")
        let hidden = 64, vocabulary = 5000  // emission: 320,000 floats = 1.28 MB, two chunks
        let emission = randomValues(hidden * vocabulary, seed: 7)
        var transition = randomValues(hidden * hidden, seed: 8)
        transition[0] = .infinity
        transition[1] = -.infinity
        transition[2] = -0.0
        transition[3] = .leastNonzeroMagnitude
        let initial = randomValues(hidden, seed: 9)
        let modelID: HMMModelID
        do {
            let store = try TrellisStore(path: path)
            let model = try store.createHMMModel(name: "smollm2-h64", tokenizerFingerprint: "tok",
                                                 modelFingerprint: "model-1", hiddenStates: hidden,
                                                 vocabularySize: vocabulary)
            modelID = model.id
            try store.saveHMMTensors([
                HMMTensor(kind: HMMTensor.initial, rows: 1, columns: hidden, values: initial),
                HMMTensor(kind: HMMTensor.transition, rows: hidden, columns: hidden, values: transition),
                HMMTensor(kind: HMMTensor.emission, rows: hidden, columns: vocabulary, values: emission),
            ], model: model.id, checkpoint: (iteration: 1, logLikelihood: -12345.5))
            XCTAssertEqual(try store.fetchStrings(
                "SELECT COUNT(*) FROM hmm_chunks WHERE kind = 'emission'"), ["2"])
        }
        let store = try TrellisStore(path: path, options: .init(readOnly: true))
        let model = try XCTUnwrap(store.hmmModel(named: "smollm2-h64"))
        XCTAssertEqual(model.id, modelID)
        XCTAssertEqual(model.hiddenStates, hidden)
        XCTAssertEqual(model.vocabularySize, vocabulary)
        XCTAssertEqual(model.modelFingerprint, "model-1")
        XCTAssertEqual(try store.hmmModel(id: modelID), model)
        let loaded = try store.loadHMMTensor(kind: HMMTensor.emission, model: modelID)
        XCTAssertEqual(loaded.rows, hidden)
        XCTAssertEqual(loaded.columns, vocabulary)
        XCTAssertEqual(loaded.values.map(\.bitPattern), emission.map(\.bitPattern))
        XCTAssertEqual(try store.loadHMMTensor(kind: HMMTensor.transition, model: modelID).values.map(\.bitPattern),
                       transition.map(\.bitPattern))
        XCTAssertEqual(try store.loadHMMTensor(kind: HMMTensor.initial, model: modelID).values, initial)
        XCTAssertEqual(try store.hmmTensorShapes(model: modelID).map { "\($0.kind) \($0.rows)x\($0.columns)" },
                       ["emission 64x5000", "initial 1x64", "transition 64x64"])
        XCTAssertEqual(try store.latestHMMCheckpoint(model: modelID)?.iteration, 1)
        XCTAssertEqual(try store.latestHMMCheckpoint(model: modelID)?.logLikelihood, -12345.5)
    }

    func testExactChunkMultiplesAndEmptyTensors() throws {
        let store = try TrellisStore.inMemory()
        let chunk = TrellisStore.hmmChunkFloats
        let model = try store.createHMMModel(name: "m", tokenizerFingerprint: "t", modelFingerprint: "m",
                                             hiddenStates: 2, vocabularySize: chunk)
        let exact = randomValues(2 * chunk, seed: 1)
        try store.saveHMMTensors([HMMTensor(kind: HMMTensor.emission, rows: 2, columns: chunk, values: exact),
                                  HMMTensor(kind: "scratch", rows: 0, columns: 5, values: [])], model: model.id)
        XCTAssertEqual(try store.fetchStrings("SELECT chunk_count FROM hmm_tensors WHERE kind = 'emission'"), ["2"])
        XCTAssertEqual(try store.loadHMMTensor(kind: HMMTensor.emission, model: model.id).values, exact)
        XCTAssertEqual(try store.loadHMMTensor(kind: "scratch", model: model.id),
                       HMMTensor(kind: "scratch", rows: 0, columns: 5, values: []))
    }

    func testCheckpointsResumeAndReplaceTensors() throws {
        let store = try TrellisStore.inMemory()
        let model = try store.createHMMModel(name: "m", tokenizerFingerprint: "t", modelFingerprint: "m",
                                             hiddenStates: 3, vocabularySize: 4)
        XCTAssertNil(try store.latestHMMCheckpoint(model: model.id))
        for iteration in 1...3 {
            let values = [Float](repeating: Float(iteration), count: 12)
            try store.saveHMMTensors([HMMTensor(kind: HMMTensor.emission, rows: 3, columns: 4, values: values)],
                                     model: model.id, checkpoint: (iteration, Double(-100 + iteration)))
        }
        XCTAssertEqual(try store.hmmCheckpoints(model: model.id).map(\.iteration), [1, 2, 3])
        XCTAssertEqual(try store.hmmCheckpoints(model: model.id).map(\.logLikelihood), [-99, -98, -97])
        XCTAssertEqual(try store.loadHMMTensor(kind: HMMTensor.emission, model: model.id).values,
                       [Float](repeating: 3, count: 12))
        XCTAssertEqual(try store.fetchStrings("SELECT COUNT(*) FROM hmm_chunks"), ["1"])

        // A failing save (bad shape in the batch) leaves the last checkpoint intact.
        XCTAssertThrowsError(try store.saveHMMTensors([
            HMMTensor(kind: HMMTensor.emission, rows: 3, columns: 4, values: [Float](repeating: 4, count: 12)),
            HMMTensor(kind: HMMTensor.transition, rows: 3, columns: 4, values: [Float](repeating: 4, count: 12)),
        ], model: model.id, checkpoint: (4, -96)))
        XCTAssertEqual(try store.latestHMMCheckpoint(model: model.id)?.iteration, 3)
        XCTAssertEqual(try store.loadHMMTensor(kind: HMMTensor.emission, model: model.id).values.first, 3)

        try store.deleteHMMModel(id: model.id)
        XCTAssertEqual(try store.fetchStrings("SELECT COUNT(*) FROM hmm_chunks"), ["0"])
        XCTAssertEqual(try store.hmmCheckpoints(model: model.id), [])
        XCTAssertThrowsError(try store.deleteHMMModel(id: model.id))
    }

    func testValidationErrors() throws {
        let store = try TrellisStore.inMemory()
        try store.bindTokenizer(fingerprint: "tok")
        XCTAssertThrowsError(try store.createHMMModel(name: "m", tokenizerFingerprint: "other", modelFingerprint: "x",
                                                      hiddenStates: 2, vocabularySize: 2)) { error in
            XCTAssertEqual(error as? StoreError, .tokenizerMismatch(path: ":memory:", bound: "tok", given: "other"))
        }
        XCTAssertThrowsError(try store.createHMMModel(name: "m", tokenizerFingerprint: "tok", modelFingerprint: "x",
                                                      hiddenStates: 0, vocabularySize: 2))
        let model = try store.createHMMModel(name: "m", tokenizerFingerprint: "tok", modelFingerprint: "x",
                                             hiddenStates: 2, vocabularySize: 3)
        XCTAssertEqual(try store.hmmModels().map(\.name), ["m"])
        XCTAssertThrowsError(try store.createHMMModel(name: "m", tokenizerFingerprint: "tok", modelFingerprint: "x",
                                                      hiddenStates: 2, vocabularySize: 3)) { error in
            XCTAssertEqual(error as? StoreError, .duplicateKey(kind: "hmm model", key: "m"))
        }
        for bad in [HMMTensor(kind: HMMTensor.initial, rows: 1, columns: 3, values: [1, 2, 3]),
                    HMMTensor(kind: HMMTensor.emission, rows: 2, columns: 3, values: [1]),
                    HMMTensor(kind: "", rows: 1, columns: 1, values: [1]),
                    HMMTensor(kind: "free", rows: -1, columns: -1, values: [1])] {
            XCTAssertThrowsError(try store.saveHMMTensors([bad], model: model.id), "\(bad)") { error in
                guard case .invalidArgument? = error as? StoreError else { return XCTFail("\(error)") }
            }
        }
        XCTAssertThrowsError(try store.saveHMMTensors([], model: 999)) { error in
            XCTAssertEqual(error as? StoreError, .notFound(kind: "hmm model", key: "999"))
        }
        XCTAssertThrowsError(try store.loadHMMTensor(kind: HMMTensor.emission, model: model.id)) { error in
            XCTAssertEqual(error as? StoreError, .notFound(kind: "hmm tensor", key: "\(model.id)/emission"))
        }
    }

    func testCorruptChunksAreReportedNotTrusted() throws {
        let store = try TrellisStore.inMemory()
        let model = try store.createHMMModel(name: "m", tokenizerFingerprint: "t", modelFingerprint: "m",
                                             hiddenStates: 2, vocabularySize: 3)
        try store.saveHMMTensors([HMMTensor(kind: HMMTensor.emission, rows: 2, columns: 3, values: [1, 2, 3, 4, 5, 6])],
                                 model: model.id)
        try store.executeSQL("UPDATE hmm_chunks SET data = x'00000000' WHERE kind = 'emission'")
        XCTAssertThrowsError(try store.loadHMMTensor(kind: HMMTensor.emission, model: model.id)) { error in
            guard case .corruptData? = error as? StoreError else { return XCTFail("\(error)") }
        }
        try store.executeSQL("DELETE FROM hmm_chunks")
        XCTAssertThrowsError(try store.loadHMMTensor(kind: HMMTensor.emission, model: model.id)) { error in
            guard case .corruptData? = error as? StoreError else { return XCTFail("\(error)") }
        }
    }
}
