import Foundation
import XCTest
import TrellisCore
import TrellisStore
import TrellisTestSupport
@testable import TrellisLinking

final class EntityLinkerTests: XCTestCase {
    private func makeKB() throws -> (TrellisStore, [String: EntityID]) {
        let store = try TrellisStore.inMemory()
        var ids: [String: EntityID] = [:]
        ids["Paris"] = try store.addEntity(key: "Paris", name: "Paris", otherNames: [EntityName(language: "fr", name: "Paris"), EntityName(language: "en", name: "City of Light")]).entity.id
        ids["Paris Hilton"] = try store.addEntity(key: "Paris Hilton", name: "Paris Hilton").entity.id
        ids["Jordan"] = try store.addEntity(key: "Jordan", name: "Jordan").entity.id
        ids["Michael Jordan"] = try store.addEntity(key: "Michael Jordan", name: "Michael Jordan", otherNames: [EntityName(language: "en", name: "MJ")]).entity.id
        return (store, ids)
    }

    func testLinksOnlyToKnowledgeBaseEntities() throws {
        let (store, ids) = try makeKB()
        let tokenizer = ByteTokenizer()
        try NameTrieIndex.tokenizeNames(store: store, tokenizer: tokenizer, fingerprint: "bytes")
        let path = temporaryPath(".trie")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let end = EntityLinker.endToken(for: tokenizer)
        let index = try NameTrieIndex.open(store: store, path: path, endToken: end)
        let linker = EntityLinker(store: store, tokenizer: tokenizer, model: ToyModel(vocabularySize: 258), names: index, endToken: end)
        let (text, spans) = try MentionSpan.parseMarked("[Jordan] scored 40 points in [Paris].")
        XCTAssertEqual(spans, [MentionSpan(start: 0, end: 6), MentionSpan(start: 27, end: 32)])
        let results = try linker.link(text: text, spans: spans, topK: 10)
        XCTAssertEqual(results.count, 2)
        for ranked in results {
            XCTAssertFalse(ranked.isEmpty)
            XCTAssertTrue(ranked.allSatisfy { Set(ids.values).contains($0.entityID) && $0.score.isFinite })
            XCTAssertEqual(ranked.map(\.score), ranked.map(\.score).sorted(by: >))
        }
        // Candidates restrict the answer to themselves, with the prior folded in.
        let restricted = try linker.link(text: text, spans: [spans[0]],
                                         candidates: [[CandidateEntity(entityID: ids["Jordan"]!, prior: 3), CandidateEntity(entityID: ids["Michael Jordan"]!, prior: 1)]])
        XCTAssertEqual(Set(restricted[0].map(\.key)), ["Jordan", "Michael Jordan"])
        XCTAssertEqual(restricted[0].compactMap(\.prior).reduce(0, +), 1, accuracy: 1e-5)
    }

    /// A mention without a candidate list takes the mention table's candidates, or with
    /// `usesMentionTable` off searches the whole KB.
    func testMentionTableCanBeBypassedForWholeKBLinking() throws {
        let (store, ids) = try makeKB()
        let tokenizer = ByteTokenizer()
        try NameTrieIndex.tokenizeNames(store: store, tokenizer: tokenizer, fingerprint: "bytes")
        try store.setMentionPrior(surface: "Jordan", entityID: ids["Michael Jordan"]!, prior: 1)
        let path = temporaryPath(".trie")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let end = EntityLinker.endToken(for: tokenizer)
        let index = try NameTrieIndex.open(store: store, path: path, endToken: end)
        let linker = EntityLinker(store: store, tokenizer: tokenizer, model: ToyModel(vocabularySize: 258), names: index, endToken: end)
        let (text, spans) = try MentionSpan.parseMarked("[Jordan] scored.")
        XCTAssertEqual(try linker.link(text: text, spans: spans, topK: 10)[0].map(\.key), ["Michael Jordan"])
        linker.options.usesMentionTable = false
        let whole = try linker.link(text: text, spans: spans, topK: 10)[0]
        XCTAssertGreaterThan(whole.count, 1, "the whole KB is searched")
        XCTAssertTrue(whole.allSatisfy { Set(ids.values).contains($0.entityID) })
    }

    func testAddedEntityLinksWithoutRebuild() throws {
        let (store, _) = try makeKB()
        let tokenizer = ByteTokenizer()
        try NameTrieIndex.tokenizeNames(store: store, tokenizer: tokenizer, fingerprint: "bytes")
        let path = temporaryPath(".trie")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let end = EntityLinker.endToken(for: tokenizer)
        _ = try NameTrieIndex.open(store: store, path: path, endToken: end)
        let added = try store.addEntity(key: "Zorblax", name: "Zorblax")
        try NameTrieIndex.tokenizeNames(store: store, tokenizer: tokenizer, fingerprint: "bytes")
        let index = try NameTrieIndex.open(store: store, path: path, endToken: end)
        XCTAssertEqual(index.addedNameCount, 1)
        let c = index.constraint
        let state = try XCTUnwrap(c.advance(c.initialState, by: TokenID(UInt8(ascii: " "))))
        let z = try XCTUnwrap(c.advance(state, by: TokenID(UInt8(ascii: "Z"))))
        var s = z
        for b in "orblax".utf8 { s = try XCTUnwrap(c.advance(s, by: TokenID(b))) }
        s = try XCTUnwrap(c.advance(s, by: end))
        XCTAssertEqual(c.payloads(at: s), [UInt32(added.entity.id)])
    }

    func testDamagedTrieFileIsRebuiltFromTheStore() throws {
        let (store, _) = try makeKB()
        let tokenizer = ByteTokenizer()
        try NameTrieIndex.tokenizeNames(store: store, tokenizer: tokenizer, fingerprint: "bytes")
        let path = temporaryPath(".trie")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let end = EntityLinker.endToken(for: tokenizer)
        let first = try NameTrieIndex.open(store: store, path: path, endToken: end)
        try Data("garbage, not a trie".utf8).write(to: URL(fileURLWithPath: path))
        let reopened = try NameTrieIndex.open(store: store, path: path, endToken: end)
        XCTAssertEqual(reopened.tries.base.sequenceCount, first.tries.base.sequenceCount)
        XCTAssertGreaterThan(reopened.tries.base.sequenceCount, 0)
    }

    func testBadInputIsAClearError() throws {
        XCTAssertThrowsError(try MentionSpan.parseMarked("[unclosed"))
        XCTAssertThrowsError(try MentionSpan.parseMarked("a ] b"))
        XCTAssertThrowsError(try MentionSpan.parseMarked("[a [b]]"))
        XCTAssertEqual(try MentionSpan.parseMarked(#"\[x\] [y]"#).spans, [MentionSpan(start: 4, end: 5)])
        let (store, _) = try makeKB()
        let linker = EntityLinker(store: store, tokenizer: ByteTokenizer(), model: ToyModel(vocabularySize: 258), names: nil, endToken: 10)
        XCTAssertThrowsError(try linker.link(text: "abc", spans: [MentionSpan(start: 2, end: 9)]))
        XCTAssertThrowsError(try linker.link(text: "abc", spans: []))
        XCTAssertThrowsError(try linker.link(text: "abc", spans: [MentionSpan(start: 0, end: 1)])) {
            XCTAssertEqual($0 as? LinkingError, .emptyKnowledgeBase)
        }
    }
}
