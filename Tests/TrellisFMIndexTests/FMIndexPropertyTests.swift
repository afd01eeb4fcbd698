import XCTest
import TrellisCore
@testable import TrellisFMIndex

final class FMIndexPropertyTests: XCTestCase {
    /// Checks count, locate, continuations and incremental vs from-scratch cursors for `ngram`.
    private func check(_ index: FMIndex, _ brute: BruteForceCorpus, _ ngram: [TokenID], _ context: String,
                       file: StaticString = #filePath, line: UInt = #line) {
        let expectedCount = brute.count(ngram)
        XCTAssertEqual(index.count(ngram), expectedCount, "count \(ngram) \(context)", file: file, line: line)
        let cursor = index.cursor(for: ngram)
        if expectedCount == 0 && !ngram.isEmpty { XCTAssertNil(cursor, "cursor \(ngram) \(context)", file: file, line: line); return }
        guard let cursor else { XCTFail("no cursor for \(ngram) \(context)", file: file, line: line); return }
        XCTAssertEqual(cursor.depth, ngram.count)
        if !ngram.isEmpty {
            let expected = brute.occurrences(ngram).map { FMIndexOccurrence(passage: $0.passage, offset: $0.offset) }
            XCTAssertEqual(index.locate(cursor), expected.sorted(), "locate \(ngram) \(context)", file: file, line: line)
            XCTAssertEqual(index.passages(cursor), Array(Set(expected.map(\.passage))).sorted(), context, file: file, line: line)
            let limited = index.locate(cursor, limit: 1)
            XCTAssertEqual(limited.count, 1)
            XCTAssertTrue(expected.contains(limited[0]), context, file: file, line: line)
        } else {
            XCTAssertEqual(index.locate(cursor), [], "root locates nothing")
        }
        let conts = brute.continuations(ngram)
        let got = index.continuations(cursor)
        XCTAssertEqual(got.map(\.token), conts.keys.sorted(), "continuations \(ngram) \(context)", file: file, line: line)
        XCTAssertEqual(got.map(\.count), conts.keys.sorted().map { conts[$0]! }, "counts \(ngram) \(context)", file: file, line: line)
        // Each continuation extends by one step to exactly the cursor of the longer n-gram.
        for c in got {
            let stepped = index.extend(cursor, with: c.token)
            XCTAssertEqual(stepped, index.cursor(for: ngram + [c.token]), context, file: file, line: line)
        }
    }

    func testAgreesWithBruteForceOverRandomCorpora() {
        let seed = UInt64.random(in: 0...UInt64.max)
        var rng = SplitMix64(seed: seed)
        for round in 0..<120 {
            let alphabet = [1, 2, 5, 300, 40][round % 5]
            // Odd rounds Zipf-skewed (deep Huffman codes), even rounds uniform.
            let passages = randomCorpus(&rng, alphabet: alphabet, maxPassages: 12, maxLength: 40, skewed: round % 2 == 1)
            let sampleRate = [1, 3, 32][round % 3]
            let context = "seed \(seed) round \(round) rate \(sampleRate) passages \(passages)"
            let index: FMIndex
            do { index = try FMIndex(passages: passages, sampleRate: sampleRate) } catch {
                XCTFail("build failed \(error) \(context)"); continue
            }
            let brute = BruteForceCorpus(passages: passages)
            XCTAssertEqual(index.passageCount, passages.count)
            XCTAssertEqual(index.tokenCount, brute.tokenCount)
            check(index, brute, [], context)
            // N-grams taken from the corpus, including ones running off the end of a passage.
            for _ in 0..<25 {
                guard let k = passages.indices.randomElement(using: &rng), !passages[k].isEmpty else { continue }
                let start = Int.random(in: 0..<passages[k].count, using: &rng)
                let length = Int.random(in: 1...6, using: &rng)
                var ngram = Array(passages[k][start..<min(start + length, passages[k].count)])
                // Crossing into the next passage must not match unless it occurs inside one.
                if start + length > passages[k].count, k + 1 < passages.count { ngram += passages[k + 1].prefix(2) }
                check(index, brute, ngram, context)
            }
            // Random n-grams (mostly absent), and a token that is not in the corpus.
            for _ in 0..<10 {
                let ngram = (0..<Int.random(in: 1...3, using: &rng)).map { _ in TokenID(Int.random(in: 0..<alphabet, using: &rng) * 7 + 3) }
                check(index, brute, ngram, context)
            }
            check(index, brute, [1], context)
        }
    }

    func testSingleTokenCorpusAndSkewedLargerCorpus() throws {
        // One distinct token: three text symbols with the separator and terminator, a tiny tree.
        let single = try FMIndex(passages: [[9, 9, 9], [], [9]])
        let singleBrute = BruteForceCorpus(passages: [[9, 9, 9], [], [9]])
        for ngram: [TokenID] in [[], [9], [9, 9], [9, 9, 9], [9, 9, 9, 9], [8]] {
            check(single, singleBrute, ngram, "single token")
        }
        // A larger Zipfian corpus: many code lengths, deep trees, wide ranges (sorted continuations).
        var rng = SplitMix64(seed: 11)
        let passages = randomCorpus(&rng, alphabet: 2_000, maxPassages: 60, maxLength: 300, skewed: true)
        let index = try FMIndex(passages: passages, sampleRate: 8)
        let brute = BruteForceCorpus(passages: passages)
        check(index, brute, [], "zipf root")
        for _ in 0..<40 {
            guard let k = passages.indices.randomElement(using: &rng), !passages[k].isEmpty else { continue }
            let start = Int.random(in: 0..<passages[k].count, using: &rng)
            check(index, brute, Array(passages[k][start..<min(start + Int.random(in: 1...3, using: &rng), passages[k].count)]), "zipf")
        }
    }

    func testSortByCodeMatchesStandardSort() {
        var rng = SplitMix64(seed: 5)
        for k in [0, 1, 2, 31, 32, 33, 511, 512, 513, 5000] {
            for codeCount in [k + 2, 1 << 22, (1 << 22) + 1] {
                // Distinct codes (as continuations are), random counts, shuffled.
                var codes = Set<UInt64>()
                while codes.count < k { codes.insert(UInt64.random(in: 2..<UInt64(max(codeCount, 3)), using: &rng)) }
                var items = codes.map { $0 << 32 | UInt64.random(in: 1...UInt64(Int32.max), using: &rng) }
                items.shuffle(using: &rng)
                let expected = items.sorted()
                items.withUnsafeMutableBufferPointer { FMIndex.sortByCode($0, codeCount: codeCount) }
                XCTAssertEqual(items, expected, "k \(k) codes \(codeCount)")
            }
        }
    }

    func testZeroPassagesMatchNothing() throws {
        let index = try FMIndex(passages: [])
        XCTAssertEqual(index.tokenCount, 0)
        XCTAssertEqual(index.count([]), 0)
        XCTAssertEqual(index.count([5]), 0)
        XCTAssertEqual(index.continuations(index.rootCursor), [])
        let onlyEmpty = try FMIndex(passages: [[], [], []])
        XCTAssertEqual(onlyEmpty.passageCount, 3)
        XCTAssertEqual(onlyEmpty.continuations(onlyEmpty.rootCursor), [])
    }

    func testBoundaryNgramsDoNotCross() throws {
        let index = try FMIndex(passages: [[1, 2, 3], [4, 5], [3, 4]])
        XCTAssertEqual(index.count([3, 4]), 1)  // only inside passage 2, not across 0|1
        XCTAssertEqual(index.locate(index.cursor(for: [3, 4])!), [FMIndexOccurrence(passage: 2, offset: 0)])
        XCTAssertEqual(index.count([2, 3, 4]), 0)
        XCTAssertEqual(index.continuations(index.cursor(for: [3])!), [FMIndexContinuation(token: 4, count: 1)])
        XCTAssertEqual(index.frequency(of: 3), 2)
        XCTAssertEqual(index.passages(index.cursor(for: [4])!), [1, 2])
    }

    func testRejectsBadInput() {
        XCTAssertThrowsError(try FMIndex(passages: [[1], [2, -3]])) {
            XCTAssertEqual($0 as? FMIndexError, .negativeToken(passage: 1, offset: 1, token: -3))
        }
        XCTAssertThrowsError(try FMIndex(passages: [[1]], sampleRate: 0)) {
            XCTAssertEqual($0 as? FMIndexError, .invalidSampleRate(0))
        }
        XCTAssertThrowsError(try FMIndex(tokens: [1, 2], passageEnds: [1])) { XCTAssertTrue($0 is FMIndexError) }
    }

    func testConstraintAllowsExactlyContinuations() throws {
        let passages: [[TokenID]] = [[10, 20, 30, 20, 30, 40], [20, 50], [7]]
        let index = try FMIndex(passages: passages)
        let constraint = FMIndexConstraint(index: index, maxLength: 3)
        let root = constraint.initialState
        XCTAssertFalse(constraint.isAccepting(root))
        XCTAssertEqual(constraint.allowed(in: root), .only([7, 10, 20, 30, 40, 50]))
        XCTAssertEqual(constraint.count(in: root), 9)
        let s20 = try XCTUnwrap(constraint.advance(root, by: 20))
        XCTAssertTrue(constraint.isAccepting(s20))
        XCTAssertEqual(constraint.allowed(in: s20), .only([30, 50]))
        XCTAssertEqual(constraint.continuations(in: s20), [FMIndexContinuation(token: 30, count: 2), FMIndexContinuation(token: 50, count: 1)])
        XCTAssertNil(constraint.advance(s20, by: 40))
        let s2030 = try XCTUnwrap(constraint.advance(s20, by: 30))
        XCTAssertEqual(constraint.allowed(in: s2030), .only([20, 40]))
        let s203040 = try XCTUnwrap(constraint.advance(s2030, by: 40))
        XCTAssertEqual(constraint.allowed(in: s203040), .only([]), "max length reached")
        XCTAssertNil(constraint.advance(s203040, by: 7))
        XCTAssertEqual(constraint.allowed(in: try XCTUnwrap(constraint.advance(root, by: 7))), .only([]), "passage end")
    }
}
