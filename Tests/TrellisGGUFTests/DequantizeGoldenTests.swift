import Foundation
import XCTest
import TrellisGGUF

/// Dequantization against values computed by an independent implementation (gguf-py) on
/// seeded random blocks; see Fixtures/make_dequant_golden.py.
final class DequantizeGoldenTests: XCTestCase {
    struct Golden: Decodable {
        struct Case: Decodable { let type: UInt32; let name: String; let hex: String; let values: [Float] }
        let cases: [Case]
    }

    func testEveryTypeMatchesTheIndependentReference() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/dequant_golden.json")
        let golden = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: url))
        var seen = Set<String>()
        for c in golden.cases {
            let type = try XCTUnwrap(GGMLType(rawValue: c.type), c.name)
            var bytes: [UInt8] = []
            var it = c.hex.makeIterator()
            while let a = it.next(), let b = it.next() { bytes.append(UInt8(String([a, b]), radix: 16)!) }
            XCTAssertEqual(bytes.count, type.byteCount(elements: c.values.count), c.name)
            var out = [Float](repeating: .nan, count: c.values.count)
            bytes.withUnsafeBytes { raw in
                out.withUnsafeMutableBufferPointer { type.dequantize(raw.baseAddress!, count: c.values.count, into: $0.baseAddress!) }
            }
            for i in out.indices {
                XCTAssertEqual(out[i], c.values[i], accuracy: 1e-6 * max(1, abs(c.values[i])), "\(c.name)[\(i)]")
            }
            seen.insert(c.name)
        }
        XCTAssertEqual(seen, ["Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q4_K", "Q5_K", "Q6_K", "F16", "BF16"])
    }
}
