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

    /// Damage that keeps the checksum valid (rewritten here) must still be caught by validation,
    /// or leave an index whose queries stay in bounds: flip a wavelet bit (rank tables disagree),
    /// or swap two bits inside one 1024-bit block (rank tables agree; a swap across a wavelet
    /// node boundary changes the node's count of ones and is refused, one inside a node gives a
    /// different but well-formed matrix).
    func testWaveletDamageBehindAValidChecksumIsCaughtOrHarmless() throws {
        let seed = UInt64.random(in: 0...UInt64.max)
        var rng = SplitMix64(seed: seed)
        let passages = randomCorpus(&rng, alphabet: 40, maxPassages: 30, maxLength: 120, skewed: true) + [[3, 10, 3]]
        let index = try FMIndex(passages: passages, sampleRate: 4)
        let path = temporaryPath("damage.fmi")
        try index.write(to: path)
        let good = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let layout = try good.withUnsafeBytes { try FMIndexLayout.readHeader($0, path: path).0 }
        let o = layout.offsets
        let waveletBits = (o.wmSuper - o.wmWords) * 8
        var refused = 0, accepted = 0
        for round in 0..<150 {
            var bytes = good
            let a = Int.random(in: 0..<waveletBits, using: &rng)
            if round % 2 == 0 {
                bytes[o.wmWords + a / 8] ^= UInt8(1 << (a % 8))
            } else {
                let b = (a & ~1023) + Int.random(in: 0..<1024, using: &rng)
                guard b < waveletBits else { continue }
                let bitA = bytes[o.wmWords + a / 8] >> (a % 8) & 1, bitB = bytes[o.wmWords + b / 8] >> (b % 8) & 1
                guard bitA != bitB else { continue }
                bytes[o.wmWords + a / 8] ^= UInt8(1 << (a % 8))
                bytes[o.wmWords + b / 8] ^= UInt8(1 << (b % 8))
            }
            bytes.withUnsafeMutableBytes { raw in
                let checksum = FMIndexLayout.checksum(UnsafeRawBufferPointer(raw))
                raw.storeBytes(of: checksum.littleEndian, toByteOffset: FMIndexLayout.checksumOffset, as: UInt64.self)
            }
            let damaged = temporaryPath("damaged.fmi")
            try Data(bytes).write(to: URL(fileURLWithPath: damaged))
            do {
                let loaded = try FMIndex(contentsOf: damaged)
                accepted += 1
                // Well-formed: every query must stay in bounds (a crash here fails the suite).
                var cursors = [loaded.rootCursor]
                loaded.forEachContinuation(loaded.rootCursor) { token, _ in
                    if let c = loaded.extend(loaded.rootCursor, with: token) { cursors.append(c) }
                }
                for c in cursors {
                    _ = loaded.continuations(c)
                    for occurrence in loaded.locate(c) { XCTAssertLessThan(occurrence.passage, loaded.passageCount) }
                }
            } catch let error as FMIndexError {
                guard case .corrupt = error else { return XCTFail("unexpected \(error), seed \(seed)") }
                refused += 1
            }
        }
        XCTAssertGreaterThan(refused, 0, "seed \(seed)")
    }
}
