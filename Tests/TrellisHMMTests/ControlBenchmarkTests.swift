import Foundation
import XCTest
import TrellisAutomata
import TrellisCore
import TrellisHMM
import TrellisTestSupport

/// Release-mode measurements, run only with TRELLIS_BENCH=1:
/// `TRELLIS_BENCH=1 TRELLIS_VOCAB_HEX=/tmp/smollm2_vocab.hex swift test -c release --filter ControlBenchmarkTests`
/// (the vocabulary file has one token's bytes in hex per line; a synthetic one is used if absent).
final class ControlBenchmarkTests: XCTestCase {
    func report(_ line: String) { FileHandle.standardError.write((line + "\n").data(using: .utf8)!) }

    func now() -> Double { Date().timeIntervalSince1970 }

    func vocabulary() -> [[UInt8]] {
        if let path = ProcessInfo.processInfo.environment["TRELLIS_VOCAB_HEX"],
           let text = try? String(contentsOfFile: path, encoding: .utf8) {
            return text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map { line in
                var bytes: [UInt8] = []
                var i = line.startIndex
                while i < line.endIndex {
                    let j = line.index(i, offsetBy: 2)
                    bytes.append(UInt8(line[i..<j], radix: 16)!)
                    i = j
                }
                return bytes
            }
        }
        var rng = SplitMix64(seed: 3)
        let letters = Array("etaoinshrdlcumwfgypbvk".utf8)
        return (0..<49152).map { _ in
            (Bool.random(using: &rng) ? [32] : []) + (0..<Int.random(in: 1...7, using: &rng)).map { _ in letters.randomElement(using: &rng)! }
        }
    }

    func testMeasureDFAEMAndGuidance() throws {
        guard ProcessInfo.processInfo.environment["TRELLIS_BENCH"] == "1" else { throw XCTSkip("set TRELLIS_BENCH=1") }
        let vocab = vocabulary()
        report("vocabulary \(vocab.count)")
        let words = ["dog", "frisbee", "catch", "throw", "park"]
        var guidanceDFA: TokenDFA? = nil
        for k in [3, 5] {
            let concepts = words.prefix(k).map { EnglishInflection.forms(of: $0) }
            var t0 = now()
            let raw = try TokenDFA.keyphrases(Array(concepts), vocabulary: vocab)
            let build = now() - t0
            t0 = now()
            let minimal = raw.minimized()
            let minimize = now() - t0
            t0 = now()
            let withEOS = try minimal.and(TokenDFA.endsWithEOS(0, vocabularySize: vocab.count)).minimized()
            let eos = now() - t0
            report("keyphrases k=\(k) alternatives=\(concepts.map(\.count).reduce(0, +)): build \(String(format: "%.2f", build)) s, states \(raw.stateCount), classes \(raw.classCount), \(raw.sizeInBytes) B; minimized (\(String(format: "%.2f", minimize)) s) states \(minimal.stateCount) classes \(minimal.classCount) \(minimal.sizeInBytes) B; +EOS (\(String(format: "%.2f", eos)) s) states \(withEOS.stateCount) classes \(withEOS.classCount) \(withEOS.sizeInBytes) B")
            if k == 3 { guidanceDFA = withEOS }
        }

        var rng = SplitMix64(seed: 9)
        let h = 256, v = vocab.count
        var t0 = now()
        let hmm = HiddenMarkovModel(randomWithHiddenStates: h, vocabularySize: v, using: &rng)
        report("random HMM init \(String(format: "%.2f", now() - t0)) s")

        // Guidance.
        t0 = now()
        let table = try GuidanceTable(hmm: hmm, dfa: guidanceDFA!, horizon: 32)
        report("guidance table (3 concepts, horizon 32): \(String(format: "%.3f", now() - t0)) s, \(table.sizeInBytes / 1_000_000) MB")
        let guided = HMMGuidedConstraint(table: table, weight: 1)
        var state = guided.initialState
        var logits = [Float](repeating: 0, count: v)
        var biasTime = 0.0, advanceTime = 0.0, maskTime = 0.0
        let steps = 20
        var finished = 0
        for _ in 0..<steps {
            if guided.isAccepting(state) {  // ended with EOS: start a new output
                finished += 1
                state = guided.initialState
            }
            t0 = now()
            logits.withUnsafeMutableBufferPointer { guided.addBias(in: state, to: $0) }
            biasTime += now() - t0
            t0 = now()
            let allowed = guided.allowed(in: state)
            maskTime += now() - t0
            guard case .mask(let mask) = allowed else { return XCTFail("mask expected") }
            let options = mask.tokens
            guard !options.isEmpty else {
                return XCTFail("dead end: state \(state.dfaState) used \(state.stepsUsed) distance \(guided.mask.distance[Int(state.dfaState)]) start distance \(guided.mask.distance[0])")
            }
            let finite = options.filter { logits[Int($0)] > -.infinity }.count
            XCTAssertEqual(finite, options.count, "allowed tokens with -inf bias")
            var best = Int(options[0])
            for x in options where logits[Int(x)] > logits[best] { best = Int(x) }
            t0 = now()
            state = guided.advance(state, by: TokenID(best))!
            advanceTime += now() - t0
            for i in 0..<v { logits[i] = 0 }
        }
        report("greedy guided outputs finished: \(finished) in \(steps) steps")
        report("per step at H=\(h) V=\(v): addBias \(String(format: "%.2f", biasTime / Double(steps) * 1000)) ms, allowed mask \(String(format: "%.3f", maskTime / Double(steps) * 1000)) ms, advance \(String(format: "%.3f", advanceTime / Double(steps) * 1000)) ms")

        // EM.
        let n = 5000, length = 32
        let data = (0..<n).map { _ in (0..<length).map { _ in TokenID(Int.random(in: 0..<v, using: &rng)) } }
        let trainer = BaumWelchTrainer(batchSize: 512)
        _ = try trainer.train(hmm, sequences: data, iterations: 2) { report, _ in
            self.report("EM iteration \(report.iteration): \(String(format: "%.2f", report.seconds)) s for \(n)x\(length) at H=\(h), LL/token \(String(format: "%.3f", report.logLikelihoodPerToken)); extrapolated 100k sequences: \(String(format: "%.1f", report.seconds * 20)) s/iteration")
            return true
        }
    }
}
