import TrellisCore
import XCTest
@testable import TrellisFMIndex

final class SuffixArrayTests: XCTestCase {
    private func sais(_ text: [Int32], alphabet: Int) -> [Int32] {
        var sa = [Int32](repeating: -7, count: text.count)
        text.withUnsafeBufferPointer { t in
            sa.withUnsafeMutableBufferPointer { SuffixArray.build(text: t, alphabetSize: alphabet, into: $0) }
        }
        return sa
    }

    func testMatchesNaiveSortOnRandomTexts() {
        let seed = UInt64.random(in: 0...UInt64.max)
        var rng = SplitMix64(seed: seed)
        for round in 0..<400 {
            let alphabet = [2, 3, 6, 50, 301][round % 5]
            let length = Int.random(in: 0...300, using: &rng)
            var text = (0..<length).map { _ in Int32.random(in: 1..<Int32(alphabet), using: &rng) }
            text.append(0)
            XCTAssertEqual(sais(text, alphabet: alphabet), SuffixArray.naive(text: text),
                           "seed \(seed) round \(round) text \(text)")
        }
    }

    func testDegenerateAndRecursiveInputs() {
        XCTAssertEqual(sais([0], alphabet: 1), [0])
        XCTAssertEqual(sais([1, 0], alphabet: 2), [1, 0])
        let same = [Int32](repeating: 1, count: 1000) + [0]
        XCTAssertEqual(sais(same, alphabet: 2), SuffixArray.naive(text: same))
        // Periodic text forces several recursion levels with repeated LMS names.
        let periodic = (0..<2000).map { Int32([1, 2, 1, 2, 2, 1, 3][$0 % 7]) } + [0]
        XCTAssertEqual(sais(periodic, alphabet: 4), SuffixArray.naive(text: periodic))
        let fib = fibonacciWord(2500) + [0]
        XCTAssertEqual(sais(fib, alphabet: 3), SuffixArray.naive(text: fib))
    }

    private func fibonacciWord(_ n: Int) -> [Int32] {
        var a: [Int32] = [1], b: [Int32] = [1, 2]
        while b.count < n { (a, b) = (b, b + a) }
        return Array(b.prefix(n))
    }
}
