import Foundation
import TrellisCore
import TrellisFMIndex
import TrellisSearch
import TrellisStore
import TrellisTestSupport
import XCTest

final class SEALSearchTests: XCTestCase {
    func bruteCount(_ ngram: [TokenID], _ passages: [[TokenID]]) -> Int {
        passages.reduce(0) { total, p in
            guard p.count >= ngram.count else { return total }
            return total + (0...(p.count - ngram.count)).filter { Array(p[$0..<$0 + ngram.count]) == ngram }.count
        }
    }

    func testCursorExtensionAppendsOnTheRight() throws {
        let index = try FMIndex(passages: [[1, 2, 3], [3, 2]])
        XCTAssertEqual(index.count([1, 2]), 1)
        XCTAssertEqual(index.count([2, 1]), 0)
        XCTAssertEqual(index.count([3, 2]), 1)
        let one = try XCTUnwrap(index.cursor(for: [1]))
        XCTAssertEqual(index.continuations(one).map(\.token), [2], "after 1 comes 2 (left-to-right)")
        // No n-gram crosses the passage boundary: 3 then 3 would.
        XCTAssertEqual(index.count([3, 3]), 0)
    }

    func testEveryGeneratedNgramOccursInTheCorpusWithItsCountAndLogProb() throws {
        for seed in UInt64(1)...8 {
            var rng = SplitMix64(seed: seed)
            let vocabulary = 3 + Int(rng.next() % 10)
            let passages = (0..<(1 + Int(rng.next() % 6))).map { _ in
                (0..<Int(rng.next() % 25)).map { _ in TokenID(rng.next() % UInt64(vocabulary)) }
            }
            let index = try FMIndex(passages: passages)
            let model = ToyModel(vocabularySize: vocabulary)
            let generator = SEALNgramGenerator(index: index, beamSize: 4, maxLength: 5)
            let prompt: [TokenID] = [0, 1]
            let ngrams = try generator.generate(model: model, prompt: prompt)
            if index.tokenCount > 0 { XCTAssertFalse(ngrams.isEmpty, "seed \(seed)") }
            XCTAssertEqual(Set(ngrams.map(\.tokens)).count, ngrams.count, "no duplicates, seed \(seed)")
            for n in ngrams {
                XCTAssertLessThanOrEqual(n.tokens.count, 5)
                XCTAssertEqual(n.count, bruteCount(n.tokens, passages), "seed \(seed) n-gram \(n.tokens)")
                XCTAssertGreaterThan(n.count, 0)
                var history = prompt
                var expected: Double = 0
                for t in n.tokens {
                    expected += model.logProb(of: t, after: history)
                    history.append(t)
                }
                XCTAssertEqual(n.logProb, expected, accuracy: 1e-3, "seed \(seed)")
            }
            XCTAssertEqual(model.liveSequences, 0, "sequences released, seed \(seed)")
            // Each step keeps at most beamSize n-grams.
            for length in 1...5 { XCTAssertLessThanOrEqual(ngrams.filter { $0.tokens.count == length }.count, 4) }
        }
    }

    func testCorpusImportThenSearchEndToEnd() throws {
        let folder = try TemporaryFolder()
        let corpus = try folder.write("corpus.jsonl", lines: [
            #"{"_id": "cats", "title": "Cats", "text": "cats purr and cats sleep all day"}"#,
            #"{"_id": "dogs", "title": "Dogs", "text": "dogs bark at the mail carrier"}"#,
            #"{"_id": "fish", "title": "Fish", "text": "fish swim in the sea"}"#,
        ])
        let store = try TrellisStore(path: folder.path("trellis.sqlite"))
        _ = try store.importCorpus(from: corpus)
        let tokenizer = ByteTokenizer()
        XCTAssertEqual(try PassageIndex.tokenizePassages(store: store, tokenizer: tokenizer, fingerprint: "bytes"), 3)
        let path = PassageIndex.path(forStore: folder.path("trellis.sqlite"))
        XCTAssertEqual(path, folder.path("trellis.passages.fmi"))
        let built = try PassageIndex.open(store: store, path: path)
        XCTAssertTrue(built.wasBuilt)
        XCTAssertEqual(built.fmIndex.passageCount, 3)
        // Passage text convention: " " + title + " " + text.
        XCTAssertEqual(built.fmIndex.count(tokenizer.encode(" Cats cats purr")), 1)
        let reopened = try PassageIndex.open(store: store, path: path)
        XCTAssertFalse(reopened.wasBuilt, "fresh index is reused")
        XCTAssertEqual(reopened.passageIDs, built.passageIDs)

        let searcher = SEALSearcher(index: reopened, store: store, model: ToyModel(vocabularySize: tokenizer.vocabularySize),
                                    tokenizer: tokenizer)
        var options = SEALOptions()
        options.beamSize = 6
        options.maxNgramLength = 6
        searcher.options = options
        let result = try searcher.search("what do cats do?", limit: 3)
        XCTAssertFalse(result.hits.isEmpty)
        for (a, b) in zip(result.hits, result.hits.dropFirst()) { XCTAssertGreaterThanOrEqual(a.score, b.score) }
        for hit in result.hits {
            let tokens = try XCTUnwrap(try store.passage(id: hit.passageID)?.tokens)
            XCTAssertGreaterThan(hit.score, 0)
            for m in hit.matches {
                let n = result.ngrams[m.ngram].tokens
                XCTAssertEqual(Array(tokens[m.offset..<m.offset + n.count]), n, "counted n-gram is where the match says")
            }
        }

        // A changed corpus makes the index stale: it is rebuilt with the new passage.
        _ = try store.upsertPassage(key: "owls", title: "Owls", text: "owls hoot at night")
        try PassageIndex.tokenizePassages(store: store, tokenizer: tokenizer, fingerprint: "bytes")
        let rebuilt = try PassageIndex.open(store: store, path: path)
        XCTAssertTrue(rebuilt.wasBuilt)
        XCTAssertEqual(rebuilt.fmIndex.passageCount, 4)
        XCTAssertEqual(rebuilt.fmIndex.count(tokenizer.encode("hoot")), 1)
        // An index written in another file format version is rebuilt, not an error.
        let handle = try XCTUnwrap(FileHandle(forUpdatingAtPath: path))
        try handle.seek(toOffset: 8)
        try handle.write(contentsOf: Data([1, 0, 0, 0]))
        try handle.close()
        XCTAssertThrowsError(try FMIndex(contentsOf: path))
        let upgraded = try PassageIndex.open(store: store, path: path)
        XCTAssertTrue(upgraded.wasBuilt)
        XCTAssertEqual(upgraded.fmIndex.count(tokenizer.encode("hoot")), 1)
        XCTAssertFalse(try PassageIndex.open(store: store, path: path).wasBuilt, "the rebuilt file is current")
        // BM25 and SEAL fuse into one ranking.
        let bm25 = try store.bm25Search(query: "owls", limit: 10).map(SearchHit.init)
        XCTAssertEqual(bm25.count, 1)
        let fused = RankFusion.fuse(seal: result.hits, bm25: bm25, method: .reciprocalRank(k: 60), limit: 10)
        XCTAssertTrue(fused.contains { $0.passageID == bm25[0].passageID })
    }

    func testUntokenizedPassagesAreReported() throws {
        let store = try TrellisStore.inMemory()
        _ = try store.upsertPassage(key: "a", title: "", text: "x")
        XCTAssertThrowsError(try PassageIndex.build(store: store, path: nil)) { error in
            XCTAssertEqual(error as? SearchError, .passagesNotTokenized(count: 1))
        }
    }
}
