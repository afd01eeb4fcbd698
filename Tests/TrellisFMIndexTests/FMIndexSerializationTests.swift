import XCTest
import Foundation
import TrellisCore
@testable import TrellisFMIndex

final class FMIndexSerializationTests: XCTestCase {
    private func temporaryPath(_ name: String) -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fmindex-tests-\(getpid())")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent(name).path
    }

    func testRoundTripAnswersIdentically() throws {
        let seed = UInt64.random(in: 0...UInt64.max)
        var rng = SplitMix64(seed: seed)
        for round in 0..<10 {
            let passages = randomCorpus(&rng, alphabet: [1, 5, 300][round % 3], maxPassages: 20, maxLength: 60)
            let built = try FMIndex(passages: passages, sampleRate: 4)
            let path = temporaryPath("round\(round).fmi")
            try built.write(to: path)
            let loaded = try FMIndex(contentsOf: path)
            XCTAssertEqual(loaded.sizeInBytes, built.sizeInBytes, "seed \(seed)")
            XCTAssertEqual(loaded.vocabulary, built.vocabulary)
            XCTAssertEqual(loaded.passageCount, passages.count)
            let brute = BruteForceCorpus(passages: passages)
            for p in passages where !p.isEmpty {
                let ngram = Array(p.prefix(3))
                let c = try XCTUnwrap(loaded.cursor(for: ngram), "seed \(seed)")
                XCTAssertEqual(loaded.count(c), brute.count(ngram), "seed \(seed)")
                XCTAssertEqual(loaded.locate(c), built.locate(built.cursor(for: ngram)!), "seed \(seed)")
                XCTAssertEqual(loaded.continuations(c), built.continuations(built.cursor(for: ngram)!), "seed \(seed)")
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: path + ".tmp.\(getpid())"), "temporary renamed away")
        }
    }

    func testCorruptOrTruncatedFilesThrow() throws {
        var rng = SplitMix64(seed: 42)
        let passages = randomCorpus(&rng, alphabet: 300, maxPassages: 30, maxLength: 80)
        let index = try FMIndex(passages: passages + [[1, 2, 3]])
        let path = temporaryPath("good.fmi")
        try index.write(to: path)
        let good = try Data(contentsOf: URL(fileURLWithPath: path))

        func expectThrow(_ data: Data, _ what: String) {
            let bad = temporaryPath("bad.fmi")
            try? data.write(to: URL(fileURLWithPath: bad))
            XCTAssertThrowsError(try FMIndex(contentsOf: bad), what) { XCTAssertTrue($0 is FMIndexError, "\(what): \($0)") }
        }
        expectThrow(Data(), "empty file")
        for cut in [1, 8, 64, 127, 128, good.count / 2, good.count - 1] { expectThrow(good.prefix(cut), "cut at \(cut)") }
        expectThrow(good + Data([0]), "one byte extra")
        for _ in 0..<200 {
            var flipped = good
            let at = Int.random(in: 0..<good.count, using: &rng)
            flipped[at] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))
            expectThrow(flipped, "bit flip at \(at)")
        }
        var wrongVersion = good
        wrongVersion[8] = 9
        expectThrow(wrongVersion, "version")
        // A version-1 file (plain wavelet matrix) asks to be rebuilt instead of being misread.
        var versionOne = good
        versionOne[8] = 1
        let old = temporaryPath("v1.fmi")
        try versionOne.write(to: URL(fileURLWithPath: old))
        XCTAssertThrowsError(try FMIndex(contentsOf: old)) {
            guard case .unsupportedVersion(_, 1, 2)? = $0 as? FMIndexError else { return XCTFail("\($0)") }
            XCTAssertTrue("\($0)".contains("rebuild"), "\($0)")
        }
        XCTAssertThrowsError(try FMIndex(contentsOf: temporaryPath("missing.fmi"))) {
            guard case .io = $0 as? FMIndexError else { return XCTFail("\($0)") }
        }
    }
}
