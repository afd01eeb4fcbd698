import TrellisCore
import TrellisTestSupport
import XCTest
@testable import TrellisStore

final class TokenizerBindingTests: XCTestCase {
    func testFirstBindRecordsLaterMismatchThrows() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("kb.sqlite")
        do {
            let store = try TrellisStore(path: path)
            XCTAssertNil(try store.tokenizerFingerprint())
            try store.bindTokenizer(fingerprint: "smollm2-abc")
            try store.bindTokenizer(fingerprint: "smollm2-abc")  // same: no-op
        }
        let store = try TrellisStore(path: path)
        XCTAssertEqual(try store.tokenizerFingerprint(), "smollm2-abc")
        XCTAssertThrowsError(try store.bindTokenizer(fingerprint: "llama-xyz")) { error in
            XCTAssertEqual(error as? StoreError, .tokenizerMismatch(path: path, bound: "smollm2-abc", given: "llama-xyz"))
        }
        XCTAssertEqual(try store.tokenizerFingerprint(), "smollm2-abc")
        XCTAssertThrowsError(try store.bindTokenizer(fingerprint: ""))
    }

    func testTokensNeedABoundTokenizer() throws {
        let store = try TrellisStore.inMemory()
        let added = try store.addEntity(key: "Q1", name: "One")
        XCTAssertThrowsError(try store.setNameTokens([(added.names[0].id, [1, 2])])) { error in
            XCTAssertEqual(error as? StoreError, .tokenizerNotBound(path: ":memory:"))
        }
        // Passing the fingerprint binds on first use; a different one later is refused.
        try store.setNameTokens([(added.names[0].id, [1, 2])], fingerprint: "tok-A")
        XCTAssertEqual(try store.tokenizerFingerprint(), "tok-A")
        XCTAssertThrowsError(try store.setNameTokens([(added.names[0].id, [3])], fingerprint: "tok-B")) { error in
            XCTAssertEqual(error as? StoreError, .tokenizerMismatch(path: ":memory:", bound: "tok-A", given: "tok-B"))
        }
        XCTAssertEqual(try store.name(id: added.names[0].id)?.tokens, [1, 2])
    }

    func testRebindClearsEveryTokenBlob() throws {
        let store = try TrellisStore.inMemory()
        try store.bindTokenizer(fingerprint: "tok-A")
        let added = try store.addEntity(key: "Q1", name: "One")
        let passage = try store.upsertPassage(key: "p1", title: "T", text: "text")
        try store.setNameTokens([(added.names[0].id, [5])])
        try store.setPassageTokens([(passage, [6, 7])])
        XCTAssertEqual(try store.counts().tokenizedNames, 1)
        try store.rebindTokenizer(fingerprint: "tok-B")
        XCTAssertEqual(try store.tokenizerFingerprint(), "tok-B")
        let counts = try store.counts()
        XCTAssertEqual(counts.tokenizedNames, 0)
        XCTAssertEqual(counts.tokenizedPassages, 0)
        XCTAssertEqual(counts.names, 1)
    }
}
