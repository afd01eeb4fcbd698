import Foundation
import TrellisCore
import TrellisDecoding
import TrellisTestSupport
import TrellisTrie
import XCTest

final class SamplerTests: XCTestCase {
    func testSeededGeneratorIsReproducibleAndUniform() {
        var a = SeededGenerator(seed: 42), b = SeededGenerator(seed: 42), c = SeededGenerator(seed: 43)
        let xs = (0..<100).map { _ in a.next() }
        XCTAssertEqual(xs, (0..<100).map { _ in b.next() })
        XCTAssertNotEqual(xs, (0..<100).map { _ in c.next() })
        var g = SeededGenerator(seed: 0)
        var buckets = [Int](repeating: 0, count: 10)
        for _ in 0..<100_000 {
            let u = g.nextUnitInterval()
            XCTAssertTrue(u >= 0 && u < 1)
            buckets[Int(u * 10)] += 1
        }
        XCTAssertTrue(buckets.allSatisfy { abs($0 - 10_000) < 500 }, "\(buckets)")
    }

    func testGreedyAndDeterminismPerSeed() {
        let logits: [Float] = [2, 1, 0.5, -1, -.infinity, 3, 3]
        logits.withUnsafeBufferPointer { row in
            var greedy = Sampler.greedy
            XCTAssertEqual(greedy.sample(row), 5, "first of the tied maxima")
            for (k, p) in [(0, Float(1)), (3, 1), (0, 0.8), (2, 0.5)] {
                var a = Sampler(temperature: 1.3, topK: k, topP: p, seed: 9), b = Sampler(temperature: 1.3, topK: k, topP: p, seed: 9)
                let xs = (0..<200).map { _ in a.sample(row)! }
                XCTAssertEqual(xs, (0..<200).map { _ in b.sample(row)! })
                XCTAssertFalse(xs.contains(4), "-inf is never sampled")
                var other = Sampler(temperature: 1.3, topK: k, topP: p, seed: 10)
                if other.distribution(row).count > 1 { XCTAssertNotEqual(xs, (0..<200).map { _ in other.sample(row)! }) }
            }
        }
        let dead: [Float] = [-.infinity, -.infinity]
        dead.withUnsafeBufferPointer { row in
            var s = Sampler(temperature: 1)
            XCTAssertNil(s.sample(row))
            XCTAssertNil(Sampler.greedy.sampleOnce(row))
        }
    }

    /// Top-k and top-p supports equal their brute-force definitions on random rows, and the
    /// empirical frequencies follow the renormalized probabilities.
    func testTopKAndTopPRestrictSupportExactly() {
        var rng = SplitMix64(seed: 4)
        for trial in 0..<200 {
            let n = Int.random(in: 1...300, using: &rng)
            let row: [Float] = (0..<n).map { _ in Int.random(in: 0..<15, using: &rng) == 0 ? -.infinity : Float(Int.random(in: -40...40, using: &rng)) / 8 }
            let temperature = Float.random(in: 0.3...2, using: &rng)
            let k = Int.random(in: 0...8, using: &rng)
            let p = [1, 0.9, 0.5, 0.1, 0][Int.random(in: 0..<5, using: &rng)] as Float
            // Brute force: sort by probability (ties to the lower id), cut by k, then by p.
            let finite = row.enumerated().filter { $0.element > -.infinity }
            guard !finite.isEmpty else { continue }
            let m = finite.map(\.element).max()!
            var ranked = finite.map { (token: TokenID($0.offset), weight: exp(Double(($0.element - m) / temperature))) }
                .sorted { $0.weight > $1.weight || ($0.weight == $1.weight && $0.token < $1.token) }
            let totalMass = ranked.reduce(0) { $0 + $1.weight }
            if k > 0 { ranked = Array(ranked.prefix(k)) }
            if p < 1 {
                let reference = k > 0 ? ranked.reduce(0) { $0 + $1.weight } : totalMass
                var running = 0.0
                var keep = ranked.count
                for (i, r) in ranked.enumerated() {
                    running += r.weight
                    if running >= Double(p) * reference * (1 - 1e-6) { keep = i + 1; break }
                }
                ranked = Array(ranked.prefix(keep))
            }
            var sampler = Sampler(temperature: temperature, topK: k, topP: p, seed: UInt64(trial))
            let distribution = row.withUnsafeBufferPointer { sampler.distribution($0) }
            XCTAssertEqual(distribution.map(\.token), ranked.map(\.token), "trial \(trial) k \(k) p \(p)")
            let total = ranked.reduce(0) { $0 + $1.weight }
            for (d, r) in zip(distribution, ranked) { XCTAssertEqual(d.probability, r.weight / total, accuracy: 1e-5) }
            let allowed = Set(ranked.map(\.token))
            let draws = row.withUnsafeBufferPointer { buf in (0..<300).map { _ in sampler.sample(buf)! } }
            XCTAssertTrue(draws.allSatisfy(allowed.contains), "trial \(trial)")
        }
    }

    func testFrequenciesFollowProbabilities() {
        let logits: [Float] = [0, 1, 2, -.infinity, 0.5]
        for (k, p) in [(0, Float(1)), (0, 0.8), (3, 1)] {
            var sampler = Sampler(temperature: 1, topK: k, topP: p, seed: 77)
            let distribution = logits.withUnsafeBufferPointer { sampler.distribution($0) }
            var counts = [TokenID: Int]()
            let draws = 40_000
            logits.withUnsafeBufferPointer { row in for _ in 0..<draws { counts[sampler.sample(row)!, default: 0] += 1 } }
            for (token, probability) in distribution {
                let observed = Double(counts[token] ?? 0) / Double(draws)
                XCTAssertEqual(observed, probability, accuracy: 0.01, "token \(token) k \(k) p \(p)")
            }
            XCTAssertEqual(Set(counts.keys), Set(distribution.map(\.token)))
        }
    }

    func testGeneratorStopsAtStopTokenAndHonoursConstraint() throws {
        let trie = try PrefixTrie.build([(tokens: [4, 5, 6], payload: 0)])
        let generator = TokenGenerator(constraint: PrefixTrieConstraint(trie: trie), maxTokens: 10, stopTokens: [0])
        let result = try generator.generate(model: ToyModel(vocabularySize: 8), prompt: [1], sampler: Sampler(temperature: 1, seed: 3))
        XCTAssertEqual(result.tokens, [4, 5, 6])
        XCTAssertEqual(result.finishReason, .constraint)
        var streamed: [TokenID] = []
        let free = TokenGenerator(constraint: Unconstrained(), maxTokens: 5, stopTokens: [])
        let model = ToyModel(vocabularySize: 8)
        let r2 = try free.generate(model: model, prompt: [1], sampler: Sampler()) { streamed.append($0); return true }
        XCTAssertEqual(r2.tokens, streamed)
        XCTAssertEqual(r2.finishReason, .length)
        XCTAssertEqual(r2.tokens.count, 5)
        XCTAssertEqual(model.liveSequences, 0)
    }
}

extension Sampler {
    /// One sample from a copy (for checks that must not advance a sampler).
    func sampleOnce(_ row: UnsafeBufferPointer<Float>) -> TokenID? {
        var copy = self
        return copy.sample(row)
    }
}
