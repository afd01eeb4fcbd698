import TrellisCore
import TrellisTestSupport
import XCTest
@testable import TrellisStore

final class TokenStreamingTests: XCTestCase {
    func testNameTokensRoundTripAgainstAPlainDictionary() throws {
        for seed: UInt64 in [1, 2, 3, 0xC0FFEE] {
            var random = SplitMix64(seed: seed)
            let store = try TrellisStore.inMemory()
            try store.bindTokenizer(fingerprint: "tok")
            var expected: [NameID: [TokenID]?] = [:]
            for e in 0..<Int.random(in: 1...40, using: &random) {
                let others = (0..<Int.random(in: 0...3, using: &random)).map {
                    EntityName(language: ["en", "fr", ""].randomElement(using: &random)!, name: "alias \(e).\($0)")
                }
                let added = try store.addEntity(key: "K\(e)", name: "Entity \(e)", otherNames: others)
                for name in added.names { expected[name.id] = .some(nil) }
            }
            // Tokenize a random subset, with degenerate lengths (empty, one token, long) and extreme ids.
            var updates: [(nameID: NameID, tokens: [TokenID])] = []
            for id in expected.keys.sorted() where Bool.random(using: &random) {
                let length = [0, 1, Int.random(in: 2...300, using: &random)].randomElement(using: &random)!
                let tokens = (0..<length).map { _ in
                    [TokenID.min, TokenID.max, 0, TokenID.random(in: 0..<49152, using: &random)].randomElement(using: &random)!
                }
                updates.append((id, tokens))
                expected[id] = tokens
            }
            try store.setNameTokens(updates)

            var seen: [NameID] = []
            try store.forEachName { record in
                XCTAssertEqual(record.tokens, expected[record.id]!, "seed \(seed), name \(record.id)")
                seen.append(record.id)
            }
            XCTAssertEqual(seen, expected.keys.sorted(), "seed \(seed): names must stream in id order")
            var untokenized: [NameID] = []
            try store.forEachName(onlyUntokenized: true) { untokenized.append($0.id) }
            XCTAssertEqual(untokenized, expected.filter { $0.value == nil }.keys.sorted(), "seed \(seed)")
            XCTAssertEqual(try store.counts().tokenizedNames, updates.count, "seed \(seed)")
        }
    }

    func testUnknownIdRollsBackTheWholeBatch() throws {
        let store = try TrellisStore.inMemory()
        try store.bindTokenizer(fingerprint: "tok")
        let added = try store.addEntity(key: "K", name: "Name")
        XCTAssertThrowsError(try store.setNameTokens([(added.names[0].id, [1]), (9999, [2])])) { error in
            XCTAssertEqual(error as? StoreError, .notFound(kind: "name", key: "9999"))
        }
        XCTAssertNil(try store.name(id: added.names[0].id)?.tokens)
        XCTAssertThrowsError(try store.setPassageTokens([(42, [1])]))
    }

    func testPassageStreamingInIdOrder() throws {
        let store = try TrellisStore.inMemory()
        var ids: [PassageID] = []
        for i in (0..<50).reversed() { ids.append(try store.upsertPassage(key: "p\(i)", title: "t\(i)", text: "text \(i)")) }
        try store.setPassageTokens(ids.enumerated().filter { $0.offset % 3 == 0 }.map { ($0.element, [TokenID($0.offset)]) },
                                   fingerprint: "tok")
        var streamed: [(PassageID, [TokenID]?)] = []
        try store.forEachPassageTokens { streamed.append(($0, $1)) }
        XCTAssertEqual(streamed.map(\.0), ids.sorted())
        for (offset, id) in ids.enumerated() {
            XCTAssertEqual(streamed.first { $0.0 == id }?.1, offset % 3 == 0 ? [TokenID(offset)] : nil)
        }
        var texts: [String] = []
        try store.forEachPassage(onlyUntokenized: true) { texts.append($0.text) }
        XCTAssertEqual(texts.count, 50 - 17)
        XCTAssertEqual(texts.first, "text 48")  // p49 was inserted first and is tokenized
    }

    func testStreamingStopsWhenTheBodyThrows() throws {
        struct Stop: Error {}
        let store = try TrellisStore.inMemory()
        for i in 0..<10 { _ = try store.addEntity(key: "K\(i)", name: "N\(i)") }
        var visited = 0
        XCTAssertThrowsError(try store.forEachName { _ in
            visited += 1
            if visited == 3 { throw Stop() }
        }) { XCTAssertTrue($0 is Stop) }
        XCTAssertEqual(visited, 3)
    }

    func testBlobCodingIsLittleEndianInt32() throws {
        let data = BlobCoding.data(tokens: [1, -1, 0x0102_0304])
        XCTAssertEqual(Array(data), [1, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 4, 3, 2, 1])
        XCTAssertEqual(BlobCoding.tokens(data), [1, -1, 0x0102_0304])
        XCTAssertNil(BlobCoding.tokens(Data([1, 2, 3])))
        XCTAssertEqual(BlobCoding.tokens(Data()), [])
        let store = try TrellisStore.inMemory()
        let added = try store.addEntity(key: "K", name: "N")
        try store.executeSQL("UPDATE names SET tokens = x'010203' WHERE id = \(added.names[0].id)")
        XCTAssertThrowsError(try store.names(ofEntity: added.entity.id)) { error in
            guard case .corruptData? = error as? StoreError else { return XCTFail("\(error)") }
        }
    }
}

final class TokenFillingTests: XCTestCase {
    /// A stand-in tokenizer: one token per UTF-8 byte.
    private func bytes(_ text: String) -> [TokenID] { text.utf8.map { TokenID($0) } }

    func testFillNameTokensInBatchesAndResumeAfterInterruption() throws {
        struct Interrupted: Error {}
        let store = try TrellisStore.inMemory()
        for i in 0..<25 { _ = try store.addEntity(key: "K\(i)", name: "Name \(i)", otherNames: [EntityName(language: "fr", name: "Nom \(i)")]) }
        var encoded = 0
        XCTAssertThrowsError(try store.fillNameTokens(fingerprint: "bytes", batchSize: 7) { record in
            encoded += 1
            if encoded == 20 { throw Interrupted() }
            return self.bytes(record.name)
        })
        XCTAssertEqual(try store.counts().tokenizedNames, 14)  // two whole batches committed
        var reports: [Int] = []
        let filled = try store.fillNameTokens(fingerprint: "bytes", batchSize: 7, progress: { done, total in
            XCTAssertEqual(total, 36)
            reports.append(done)
        }) { self.bytes($0.name) }
        XCTAssertEqual(filled, 36)
        XCTAssertEqual(reports, [0, 7, 14, 21, 28, 35, 36])
        try store.forEachName { XCTAssertEqual($0.tokens, self.bytes($0.name)) }
        XCTAssertEqual(try store.fillNameTokens(fingerprint: "bytes") { _ in [] }, 0)
        XCTAssertThrowsError(try store.fillNameTokens(fingerprint: "other") { _ in [] })
    }

    func testFillPassageTokens() throws {
        let store = try TrellisStore.inMemory()
        for i in 0..<5 { try store.upsertPassage(key: "p\(i)", title: "T\(i)", text: "text \(i)") }
        XCTAssertEqual(try store.fillPassageTokens(fingerprint: "bytes", batchSize: 2) { self.bytes($0.title + " " + $0.text) }, 5)
        try store.forEachPassage { XCTAssertEqual($0.tokens, self.bytes($0.title + " " + $0.text)) }
    }
}
