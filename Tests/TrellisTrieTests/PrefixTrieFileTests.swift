import Foundation
import TrellisCore
import TrellisTestSupport
import TrellisTrie
import XCTest

final class PrefixTrieFileTests: XCTestCase {
    private func sampleTrie(seed: UInt64 = 42, names: Int = 200) throws -> PrefixTrie {
        var rng = SplitMix64(seed: seed)
        var builder = PrefixTrieBuilder()
        for i in 0..<names {
            builder.insert((0..<Int.random(in: 1...5, using: &rng)).map { _ in TokenID.random(in: 0..<30, using: &rng) } + [0],
                           payload: UInt32(i))
        }
        return try builder.freeze()
    }

    func testFileRoundTripIsIdenticalAndMapped() throws {
        let folder = try TemporaryFolder()
        let trie = try sampleTrie()
        let path = folder.path("names.trie")
        try trie.write(to: path)
        let loaded = try PrefixTrie(path: path)
        XCTAssertEqual(loaded.serialized(), trie.serialized())
        XCTAssertEqual(loaded.origin, path)
        XCTAssertEqual(loaded.sizeInBytes, try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        XCTAssertEqual(loaded.sequences().map(\.tokens), trie.sequences().map(\.tokens))
        // Overwriting goes through a rename: readers of the old mapping keep valid bytes.
        let other = try sampleTrie(seed: 7, names: 10)
        try other.write(to: path)
        XCTAssertEqual(loaded.serialized(), trie.serialized())
        XCTAssertEqual(try PrefixTrie(path: path).serialized(), other.serialized())
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.url.path).filter { $0.contains(".tmp-") }
        XCTAssertEqual(leftovers, [])
    }

    func testMissingFileAndUnwritableFolderAreErrors() throws {
        XCTAssertThrowsError(try PrefixTrie(path: "/nonexistent/names.trie"))
        XCTAssertThrowsError(try sampleTrie().write(to: "/nonexistent/folder/names.trie")) { error in
            guard case .writeFailed = error as? TrieError else { return XCTFail("\(error)") }
        }
    }

    func testTruncatedFilesAreTypedErrors() throws {
        let bytes = try sampleTrie().serialized()
        for cut in [0, 3, 8, 40, 63, 64, 65, bytes.count / 2, bytes.count - 4, bytes.count - 1] {
            XCTAssertThrowsError(try PrefixTrie(serialized: Array(bytes.prefix(cut))), "cut \(cut)") { error in
                guard case .truncated = error as? TrieError else { return XCTFail("cut \(cut): \(error)") }
            }
        }
        XCTAssertThrowsError(try PrefixTrie(serialized: bytes + [0, 0, 0, 0])) { error in
            guard case .truncated = error as? TrieError else { return XCTFail("\(error)") }
        }
        let folder = try TemporaryFolder()
        let path = try folder.write("cut.trie", text: "")
        try Data(bytes.prefix(100)).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try PrefixTrie(path: path)) { error in
            XCTAssertEqual(error as? TrieError, .truncated(path: path, expectedBytes: bytes.count, actualBytes: 100))
        }
    }

    func testForeignAndFutureFilesAreTypedErrors() throws {
        XCTAssertThrowsError(try PrefixTrie(serialized: Array("not a trie at all, just some text......................................".utf8))) {
            XCTAssertEqual($0 as? TrieError, .notATrie(path: "<memory>"))
        }
        var bytes = try sampleTrie().serialized()
        bytes[8] = 9
        XCTAssertThrowsError(try PrefixTrie(serialized: bytes)) {
            XCTAssertEqual($0 as? TrieError, .unsupportedVersion(path: "<memory>", version: 9, supported: 1))
        }
    }

    /// Every single-byte change of the body is caught by the checksum; header changes by the
    /// header checks or the checksum. Never a crash.
    func testEverySingleByteDamageIsDetected() throws {
        let bytes = try sampleTrie(names: 20).serialized()
        for i in 0..<bytes.count where !(52..<56).contains(i) {  // 52..<56 is reserved
            var damaged = bytes
            damaged[i] ^= 0x5A
            XCTAssertThrowsError(try PrefixTrie(serialized: damaged), "byte \(i)")
        }
    }

    /// Without the checksum, structural validation alone still keeps traversal in bounds:
    /// random damage yields an error or a trie that validates and can be walked completely.
    func testStructuralValidationKeepsDamagedTriesSafe() throws {
        let bytes = try sampleTrie().serialized()
        var rng = SplitMix64(seed: 5)
        var rejected = 0
        for _ in 0..<2000 {
            var damaged = bytes
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                damaged[Int.random(in: 64..<damaged.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            guard let trie = try? PrefixTrie(serialized: damaged, validation: .structure) else {
                rejected += 1
                continue
            }
            var count = 0
            trie.forEachSequence { tokens, payloads in
                count += 1
                XCTAssertFalse(payloads.isEmpty)
                XCTAssertEqual(trie.walk(tokens).map { trie.isTerminal($0) }, true)
            }
            XCTAssertEqual(count, trie.sequenceCount)
        }
        XCTAssertGreaterThan(rejected, 100, "structural checks reject most offset damage")
    }
}
