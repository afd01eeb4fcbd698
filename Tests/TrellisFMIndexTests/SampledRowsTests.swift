import TrellisCore
import XCTest
@testable import TrellisFMIndex

final class SampledRowsTests: XCTestCase {
    func testPackedIntegersRoundTripAtEveryWidth() {
        var rng = SplitMix64(seed: 3)
        for width in 1...40 {
            let count = Int.random(in: 0...300, using: &rng)
            let values = (0..<count).map { _ in Int(rng.next() & ((1 << UInt64(width)) - 1)) }
            var words = [UInt64](repeating: 0, count: PackedIntegers.wordCount(count: count, width: width))
            words.withUnsafeMutableBufferPointer { w in
                for (i, v) in values.enumerated() { PackedIntegers.store(v, at: i, width: width, into: w.baseAddress!) }
            }
            words.withUnsafeBufferPointer { w in
                let packed = PackedIntegers(words: w.baseAddress!, width: width, count: count)
                for (i, v) in values.enumerated() { XCTAssertEqual(packed[i], v, "width \(width) index \(i)") }
            }
        }
        XCTAssertEqual(PackedIntegers.width(forMax: 0), 1)
        XCTAssertEqual(PackedIntegers.width(forMax: 255), 8)
        XCTAssertEqual(PackedIntegers.width(forMax: 256), 9)
    }

    func testMemberIndexAgainstBruteForce() {
        let seed = UInt64.random(in: 0...UInt64.max)
        var rng = SplitMix64(seed: seed)
        for round in 0..<40 {
            let rows = Int.random(in: 1...3000, using: &rng)
            // Densities from empty through every row sampled.
            let density = [0.0, 0.01, 0.03, 0.3, 1.0][round % 5]
            let members = (0..<rows).filter { _ in Double.random(in: 0..<1, using: &rng) < density }
            var starts = [UInt32](repeating: 0, count: SampledRows.bucketCount(rows: rows) + 1)
            var offsets = [UInt8](repeating: 0, count: max(members.count, 1))
            var m = 0
            for row in 0..<rows {
                if row % SampledRows.bucketRows == 0 { starts[row / SampledRows.bucketRows] = UInt32(m) }
                if m < members.count && members[m] == row { offsets[m] = UInt8(row & 255); m += 1 }
            }
            starts[starts.count - 1] = UInt32(m)
            starts.withUnsafeBufferPointer { s in offsets.withUnsafeBufferPointer { o in
                let set = SampledRows(bucketStarts: s.baseAddress!, offsets: o.baseAddress!, rowCount: rows)
                XCTAssertNil(set.inconsistency(memberCount: members.count), "seed \(seed)")
                XCTAssertNotNil(set.inconsistency(memberCount: members.count + 1), "seed \(seed)")
                var next = 0
                for row in 0..<rows {
                    if next < members.count && members[next] == row {
                        XCTAssertEqual(set.memberIndex(ofRow: row), next, "seed \(seed) row \(row)")
                        next += 1
                    } else {
                        XCTAssertNil(set.memberIndex(ofRow: row), "seed \(seed) row \(row)")
                    }
                }
            } }
        }
    }
}
