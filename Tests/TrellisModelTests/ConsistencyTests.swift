import XCTest
import TrellisCore
import TrellisKernels
import TrellisTestSupport
@testable import TrellisModel

/// Batched vs single-sequence, forked vs recomputed, one-pass vs token-by-token: the fast paths
/// against their plain twins. Products may switch between quantized kernels (few rows) and
/// float32 sgemm (many rows), so with float32 activations results agree to float rounding,
/// within this:
let pathTolerance: Float = 5e-4
/// With int16 activations (the default on AVX-512 VNNI) a value a float rounding away from a
/// quantization step's midpoint can round either way, so two paths differ by up to about twice
/// the int16-vs-float32 difference (≈ 0.02 on SmolLM2): the checks run again with this.
let int16PathTolerance: Float = 0.05

/// The checks, written once against any model and run on a tiny one and on the real one.
struct ConsistencyChecks {
    let model: TransformerModel
    var rng: SplitMix64
    let tolerance: Float

    init(model: TransformerModel, seed: UInt64, tolerance: Float = pathTolerance) {
        self.model = model
        rng = SplitMix64(seed: seed)
        self.tolerance = tolerance
    }

    mutating func tokens(_ n: Int) -> [TokenID] {
        (0..<n).map { _ in TokenID(rng.next() % UInt64(model.vocabularySize)) }
    }

    /// Logits after `history` in a fresh sequence, computed in one pass.
    func fresh(_ history: [TokenID]) throws -> [Float] { try model.logits(forPrompt: history) }

    func extend(_ seq: SequenceID, _ tokens: [TokenID]) throws -> [Float] {
        let out = LogitMatrix(rows: 1, width: model.vocabularySize)
        try model.extend([SequenceExtension(sequence: seq, tokens: tokens)], logits: out)
        return out.rowArray(0)
    }

    /// Prompts of the given lengths in one batched extend, then two batched decode steps,
    /// each compared with the same sequence run alone.
    mutating func batchedEqualsSeparate(lengths: [Int], file: StaticString = #filePath, line: UInt = #line) throws -> Float {
        let prompts = lengths.map { tokens($0) }
        let seqs = try prompts.map { _ in try model.makeSequence() }
        defer { seqs.forEach(model.release) }
        let out = LogitMatrix(rows: 0, width: model.vocabularySize)
        var histories = prompts
        var worst: Float = 0
        var requests = zip(seqs, prompts).map { SequenceExtension(sequence: $0, tokens: $1) }
        for _ in 0..<3 {
            try model.extend(requests, logits: out)
            XCTAssertEqual(out.rows, requests.count, file: file, line: line)
            for (i, history) in histories.enumerated() {
                let alone = try fresh(history)
                let d = maxAbsDiff(out.rowArray(i), alone)
                XCTAssertLessThan(d, tolerance, "batched row \(i) of \(lengths)", file: file, line: line)
                worst = max(worst, d)
            }
            let next = tokens(requests.count)
            for i in requests.indices {
                requests[i].tokens = [next[i]]
                histories[i].append(next[i])
            }
        }
        return worst
    }

    /// A prefix crossing page boundaries, forked into children that append different tokens
    /// (single and several), with the parent also appending into the shared partial page.
    mutating func forkedEqualsRecomputed(prefixLength: Int, file: StaticString = #filePath, line: UInt = #line) throws -> Float {
        let prefix = tokens(prefixLength)
        let parent = try model.makeSequence()
        _ = try extend(parent, prefix)
        var worst: Float = 0
        var children: [(SequenceID, [TokenID])] = []
        for k in 0..<3 {
            let child = try model.fork(parent)
            XCTAssertEqual(model.length(of: child), prefixLength, file: file, line: line)
            children.append((child, prefix))
            _ = k
        }
        // Parent continues first: its copy-on-write must not leak into the children.
        let parentMore = tokens(2)
        let parentLogits = try extend(parent, parentMore)
        worst = max(worst, maxAbsDiff(parentLogits, try fresh(prefix + parentMore)))
        for (i, (child, history)) in children.enumerated() {
            let more = tokens(i == 1 ? 5 : 1)
            let logits = try extend(child, more)
            let d = maxAbsDiff(logits, try fresh(history + more))
            XCTAssertLessThan(d, tolerance, "child \(i) after fork at \(prefixLength)", file: file, line: line)
            worst = max(worst, d)
            // A grandchild forked from the child sees the child's tokens.
            let grandchild = try model.fork(child)
            let last = tokens(1)
            let g = maxAbsDiff(try extend(grandchild, last), try fresh(history + more + last))
            XCTAssertLessThan(g, tolerance, "grandchild of child \(i)", file: file, line: line)
            worst = max(worst, g)
            model.release(grandchild)
        }
        for (child, _) in children { model.release(child) }
        model.release(parent)
        XCTAssertTrue(model.cacheIsConsistent(), file: file, line: line)
        XCTAssertEqual(model.cacheUsage.pagesInUse, 0, file: file, line: line)
        return worst
    }

    /// One pass over a prompt equals appending it token by token, and equals chunked appends.
    mutating func onePassEqualsIncremental(length: Int, file: StaticString = #filePath, line: UInt = #line) throws -> Float {
        let prompt = tokens(length)
        let whole = try fresh(prompt)
        let seq = try model.makeSequence()
        defer { model.release(seq) }
        var last: [Float] = []
        for t in prompt { last = try extend(seq, [t]) }
        let d1 = maxAbsDiff(whole, last)
        XCTAssertLessThan(d1, tolerance, "token by token, \(length) tokens", file: file, line: line)
        let chunked = try model.makeSequence()
        defer { model.release(chunked) }
        var i = 0, size = 1
        while i < prompt.count {
            let end = min(prompt.count, i + size)
            last = try extend(chunked, Array(prompt[i..<end]))
            i = end
            size = size * 3 + 1   // 1, 4, 13, 40: both attention paths, after a cached prefix
        }
        let d2 = maxAbsDiff(whole, last)
        XCTAssertLessThan(d2, tolerance, "chunked appends, \(length) tokens", file: file, line: line)
        return max(d1, d2)
    }
}

final class TinyConsistencyTests: XCTestCase {
    /// The tiny model with float32 activations (exact paths, tight tolerance) unless `int16`.
    func tinyModel(pageSize: Int = 4, int16: Bool = false) throws -> TransformerModel {
        let path = try TinyTransformerGGUF.write(TinyTransformerSpec())
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return try TransformerModel(path: path, options: RuntimeOptions(pageSize: pageSize, int16Activations: int16))
    }

    /// The same checks on int16 activations, within their rounding.
    func testPathsAgreeWithInt16Activations() throws {
        guard InterleavedWeights.isFast else { throw XCTSkip("no AVX-512 VNNI: int16 activations are off here") }
        var checks = ConsistencyChecks(model: try tinyModel(int16: true), seed: 15, tolerance: int16PathTolerance)
        let batched = try checks.batchedEqualsSeparate(lengths: [1, 5, 17, 3, 30, 2])
        let forked = try checks.forkedEqualsRecomputed(prefixLength: 7)
        let onePass = try checks.onePassEqualsIncremental(length: 30)
        print("tiny model, int16 activations: batched \(batched), forked \(forked), one pass \(onePass)")
    }

    func testBatchedEqualsSeparate() throws {
        var checks = ConsistencyChecks(model: try tinyModel(), seed: 11)
        _ = try checks.batchedEqualsSeparate(lengths: [1, 5, 17, 3, 30, 2])
        _ = try checks.batchedEqualsSeparate(lengths: [1])
        _ = try checks.batchedEqualsSeparate(lengths: Array(repeating: 1, count: 20))
        // Batches of 4+ rows on sgemm, single rows on the kernels: the two paths meet here.
        let mixed = try tinyModel()
        mixed.setDenseRowThreshold(4)
        mixed.tiledAttentionRows = 16
        var mixedChecks = ConsistencyChecks(model: mixed, seed: 14)
        _ = try mixedChecks.batchedEqualsSeparate(lengths: [1, 2, 9, 1, 20])
    }

    /// Every row of `extendReturningAllLogits` equals the last-row logits of the same prefix,
    /// for two requests of different lengths in one batch (one short, one tiled).
    func testAllPositionLogitsEqualPrefixLogits() throws {
        let model = try tinyModel()
        let a: [TokenID] = (0..<3).map { TokenID(($0 * 7 + 1) % model.vocabularySize) }
        let b: [TokenID] = (0..<20).map { TokenID(($0 * 5 + 2) % model.vocabularySize) }
        let sa = try model.makeSequence(), sb = try model.makeSequence()
        defer { model.release(sa); model.release(sb) }
        let all = LogitMatrix(rows: 0, width: model.vocabularySize)
        try model.extendReturningAllLogits([SequenceExtension(sequence: sa, tokens: a), SequenceExtension(sequence: sb, tokens: b)], logits: all)
        XCTAssertEqual(all.rows, a.count + b.count)
        XCTAssertEqual(model.length(of: sb), b.count)
        let one = LogitMatrix(rows: 1, width: model.vocabularySize)
        for (offset, tokens) in [(0, a), (a.count, b)] {
            for j in [0, tokens.count / 2, tokens.count - 1] {
                let s = try model.makeSequence()
                defer { model.release(s) }
                try model.extend([SequenceExtension(sequence: s, tokens: Array(tokens[...j]))], logits: one)
                let expected = one.rowArray(0), got = all.rowArray(offset + j)
                let diff = zip(expected, got).map { abs($0 - $1) }.max() ?? 0
                XCTAssertLessThan(diff, 1e-3, "row \(j) of a \(tokens.count)-token request")
            }
        }
    }

    func testForkedEqualsRecomputed() throws {
        for pageSize in [1, 4, 16] {
            var checks = ConsistencyChecks(model: try tinyModel(pageSize: pageSize), seed: 12)
            for prefix in [1, 4, 7, 16, 21] { _ = try checks.forkedEqualsRecomputed(prefixLength: prefix) }
        }
    }

    func testOnePassEqualsIncremental() throws {
        var checks = ConsistencyChecks(model: try tinyModel(), seed: 13)
        for length in [1, 2, 15, 16, 17, 60] { _ = try checks.onePassEqualsIncremental(length: length) }
        // The same with appends of 16+ rows on sgemm attention tiles (the portable levels' path).
        let tiled = try tinyModel()
        tiled.tiledAttentionRows = 16
        var tiledChecks = ConsistencyChecks(model: tiled, seed: 13)
        for length in [15, 16, 17, 60] { _ = try tiledChecks.onePassEqualsIncremental(length: length) }
    }

    /// Random interleavings of make / fork / extend (batched, mixed lengths) / release, every
    /// result compared with a from-scratch recomputation and the cache's counts re-derived.
    func testRandomCacheOperationsAgainstRecompute() throws {
        for seed in UInt64(1)...6 {
            let model = try tinyModel(pageSize: 3)
            var rng = SplitMix64(seed: seed)
            var live: [(SequenceID, [TokenID])] = []
            let out = LogitMatrix(rows: 0, width: model.vocabularySize)
            for step in 0..<40 {
                let op = rng.next() % 10
                if live.isEmpty || op < 2 {
                    live.append((try model.makeSequence(), []))
                } else if op < 4 {
                    let i = Int(rng.next() % UInt64(live.count))
                    live.append((try model.fork(live[i].0), live[i].1))
                } else if op < 5 {
                    let i = Int(rng.next() % UInt64(live.count))
                    model.release(live.remove(at: i).0)
                } else {
                    // Extend a random subset of distinct sequences with 1-20 tokens each.
                    let chosen = Array(Set((0..<1 + Int(rng.next() % 3)).map { _ in Int(rng.next() % UInt64(live.count)) }))
                    var requests: [SequenceExtension] = []
                    for i in chosen {
                        let n = rng.next() % 4 == 0 ? 1 + Int(rng.next() % 20) : 1
                        let room = model.contextLength - live[i].1.count
                        guard room > 0 else { continue }
                        let toks = (0..<min(n, room)).map { _ in TokenID(rng.next() % UInt64(model.vocabularySize)) }
                        requests.append(SequenceExtension(sequence: live[i].0, tokens: toks))
                        live[i].1 += toks
                    }
                    guard !requests.isEmpty else { continue }
                    try model.extend(requests, logits: out)
                    for (row, request) in requests.enumerated() {
                        let history = live.first { $0.0 == request.sequence }!.1
                        let d = maxAbsDiff(out.rowArray(row), try model.logits(forPrompt: history))
                        XCTAssertLessThan(d, pathTolerance, "seed \(seed) step \(step) row \(row)")
                    }
                }
                XCTAssertTrue(model.cacheIsConsistent(), "seed \(seed) step \(step)")
                for (seq, history) in live { XCTAssertEqual(model.length(of: seq), history.count, "seed \(seed)") }
            }
            for (seq, _) in live { model.release(seq) }
            XCTAssertEqual(model.cacheUsage.pagesInUse, 0, "seed \(seed)")
        }
    }
}

final class RealConsistencyTests: XCTestCase {
    /// Each check on float32 activations (tight) and on the default int16 ones (their rounding).
    func models() throws -> [(TransformerModel, Float, String)] {
        var list = [(try RealModel.sharedFloat(), pathTolerance, "float32")]
        if InterleavedWeights.isFast { list.append((try RealModel.shared(), int16PathTolerance, "int16")) }
        return list
    }

    func testBatchedEqualsSeparate() throws {
        for (model, tolerance, label) in try models() {
            var checks = ConsistencyChecks(model: model, seed: 21, tolerance: tolerance)
            let d = try checks.batchedEqualsSeparate(lengths: [7, 20, 1, 33])
            print("real model, \(label) activations: batched vs separate max |diff| \(d)")
        }
    }

    func testForkedEqualsRecomputed() throws {
        for (model, tolerance, label) in try models() {
            var checks = ConsistencyChecks(model: model, seed: 22, tolerance: tolerance)
            let d = try checks.forkedEqualsRecomputed(prefixLength: 45)
            print("real model, \(label) activations: forked vs recomputed max |diff| \(d)")
        }
    }

    func testOnePassEqualsIncremental() throws {
        for (model, tolerance, label) in try models() {
            var checks = ConsistencyChecks(model: model, seed: 23, tolerance: tolerance)
            let d = try checks.onePassEqualsIncremental(length: 40)
            print("real model, \(label) activations: one pass vs incremental max |diff| \(d)")
        }
    }
}
