import Foundation
import XCTest
import TrellisCore
import TrellisDecoding
import TrellisTestSupport
import TrellisTrie
@testable import TrellisLinking

final class CandidateNameScorerTests: XCTestCase {
    private func randomNames(_ rng: inout SplitMix64, vocabulary: Int, end: TokenID, count: Int) -> [[TokenID]] {
        var names: [[TokenID]] = []
        var seen = Set<[TokenID]>()
        while names.count < count {
            var name: [TokenID] = []
            if let stem = names.randomElement(using: &rng), Bool.random(using: &rng) {
                name = Array(stem.dropLast().prefix(Int.random(in: 0...(stem.count - 1), using: &rng)))
            }
            while name.isEmpty || (name.count < 6 && Int.random(in: 0..<3, using: &rng) > 0) {
                name.append(TokenID.random(in: 1..<TokenID(vocabulary), using: &rng))
            }
            if seen.insert(name + [end]).inserted { names.append(name + [end]) }
        }
        return names
    }

    /// Exact scores equal the brute-force sum of token log-probabilities, for several mentions
    /// scored together over shared prefixes, and every forked cache is released.
    func testExactScoresMatchBruteForce() throws {
        let vocab = 11, end: TokenID = 0
        for seed in UInt64(1)...20 {
            var rng = SplitMix64(seed: seed)
            let model = ToyModel(vocabularySize: vocab, salt: seed)
            let document = try model.makeSequence()
            let prefix: [TokenID] = [3, 4, 5]
            let scratch = LogitMatrix(rows: 1, width: vocab)
            try model.extend([SequenceExtension(sequence: document, tokens: prefix)], logits: scratch)
            let requests = (0..<Int.random(in: 1...4, using: &rng)).map { _ in
                NameScoringRequest(question: (0..<Int.random(in: 1...3, using: &rng)).map { _ in TokenID.random(in: 1..<TokenID(vocab), using: &rng) },
                                   names: randomNames(&rng, vocabulary: vocab, end: end, count: Int.random(in: 1...8, using: &rng)))
            }
            var scorer = CandidateNameScorer(model: model)
            scorer.maxBatchRows = Int.random(in: 1...6, using: &rng)  // exercise chunking
            let scores = try scorer.score(document: document, requests: requests)
            for (request, row) in zip(requests, scores) {
                XCTAssertEqual(row.count, request.names.count)
                for (name, score) in zip(request.names, row) {
                    XCTAssertEqual(Double(score), model.logProb(of: name, after: prefix + request.question), accuracy: 1e-4, "seed \(seed)")
                }
            }
            XCTAssertEqual(model.history(of: document), prefix, "the document is only forked")
            model.release(document)
            XCTAssertEqual(model.liveSequences, 0)
            XCTAssertEqual(model.invalidReleases, 0)
        }
    }

    /// With a beam as wide as the name list, beam search over the names' trie finds every name
    /// with the same score as exact scoring.
    func testExactScoresAgreeWithWideBeamSearch() throws {
        let vocab = 13, end: TokenID = 0
        for seed in UInt64(1)...15 {
            var rng = SplitMix64(seed: seed)
            let model = ToyModel(vocabularySize: vocab, salt: seed &* 7)
            let names = randomNames(&rng, vocabulary: vocab, end: end, count: Int.random(in: 1...9, using: &rng))
            var builder = PrefixTrieBuilder()
            for (i, name) in names.enumerated() { builder.insert(name, payload: UInt32(i)) }
            let trie = try builder.freeze()
            let document = try model.makeSequence()
            let scratch = LogitMatrix(rows: 1, width: vocab)
            try model.extend([SequenceExtension(sequence: document, tokens: [2, 9])], logits: scratch)
            let question: [TokenID] = [7, 1]
            let options = BeamSearchOptions(beamSize: names.count, maxNewTokens: 8, lengthPenalty: 0, endTokens: [end])
            let hyps = try BeamSearch(constraint: PrefixTrieConstraint(trie: trie), options: options)
                .run(model: model, prompt: question, parent: document)
            let exact = try CandidateNameScorer(model: model).score(document: document, requests: [NameScoringRequest(question: question, names: names)])[0]
            XCTAssertEqual(hyps.count, names.count, "seed \(seed)")
            for h in hyps {
                let i = Int(trie.payloads(at: h.state).first!)
                XCTAssertEqual(h.logProb, exact[i], accuracy: 1e-4, "seed \(seed)")
            }
            model.release(document)
            XCTAssertEqual(model.liveSequences, 0)
        }
    }

    func testEmptyQuestionIsAnError() throws {
        let model = ToyModel(vocabularySize: 5)
        let document = try model.makeSequence()
        defer { model.release(document) }
        XCTAssertThrowsError(try CandidateNameScorer(model: model).score(document: document, requests: [NameScoringRequest(question: [], names: [[1, 0]])]))
        XCTAssertEqual(try CandidateNameScorer(model: model).score(document: document, requests: []), [])
    }
}
