import Foundation
import XCTest
import TrellisGGUF
import TrellisTestSupport

final class GGUFReaderTests: XCTestCase {
    private func sampleWriter() -> GGUFWriter {
        let w = GGUFWriter()
        w.add("general.architecture", .string("llama"))
        w.add("llama.block_count", .uint32(2))
        w.add("llama.rope.freq_base", .float32(10000))
        w.add("some.flag", .bool(true))
        w.add("some.i64", .int64(-5))
        w.add("some.f64", .float64(0.25))
        w.add("tokenizer.ggml.tokens", .array([.string("a"), .string("ü"), .string("<s>")]))
        w.add("tokenizer.ggml.token_type", .array([.int32(1), .int32(1), .int32(3)]))
        w.addTensor("w", dims: [4, 2], floats: [1, 2, 3, 4, 5, 6, 7, 8])
        w.addTensor("v", dims: [3], floats: [-1, 0, 1])
        return w
    }

    func testReadsMetadataAndTensors() throws {
        let path = try sampleWriter().write(to: temporaryPath(".gguf"))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let f = try GGUFFile(path: path)
        XCTAssertEqual(f.version, 3)
        XCTAssertEqual(try f.string("general.architecture"), "llama")
        XCTAssertEqual(try f.requireInt("llama.block_count"), 2)
        XCTAssertEqual(try f.double("llama.rope.freq_base"), 10000)
        XCTAssertEqual(try f.bool("some.flag"), true)
        XCTAssertEqual(try f.int("some.i64"), -5)
        XCTAssertEqual(try f.double("some.f64"), 0.25)
        XCTAssertEqual(try f.stringArray("tokenizer.ggml.tokens"), ["a", "ü", "<s>"])
        XCTAssertEqual(try f.intArray("tokenizer.ggml.token_type"), [1, 1, 3])
        XCTAssertThrowsError(try f.requireInt("missing.key")) { XCTAssertEqual($0 as? GGUFError, .missingKey(key: "missing.key")) }
        XCTAssertThrowsError(try f.int("general.architecture"))
        let w = try XCTUnwrap(f.tensor(named: "w"))
        XCTAssertEqual(w.dims, [4, 2])
        XCTAssertEqual(w.rows, 2)
        XCTAssertEqual(w.columns, 4)
        XCTAssertEqual(f.floats(of: w), [1, 2, 3, 4, 5, 6, 7, 8])
        XCTAssertEqual(f.floats(of: try XCTUnwrap(f.tensor(named: "v"))), [-1, 0, 1])
        XCTAssertEqual(w.fileOffset % 32, 0)
    }

    func testEveryTruncationIsAnErrorNotACrash() throws {
        let full = sampleWriter().data()
        let path = temporaryPath(".gguf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        // Every prefix of the file must be rejected with an error (the last tensor's bytes are needed).
        for length in stride(from: 0, to: full.count, by: 1) {
            try full.prefix(length).write(to: URL(fileURLWithPath: path))
            XCTAssertThrowsError(try GGUFFile(path: path), "prefix of \(length) bytes was accepted")
        }
    }

    func testRandomCorruptionNeverCrashes() throws {
        let full = sampleWriter().data()
        let path = temporaryPath(".gguf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        var rng = SystemRandomNumberGenerator()
        var rejected = 0
        for _ in 0..<500 {
            var bytes = [UInt8](full)
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            do { _ = try GGUFFile(path: path) } catch { rejected += 1 }
        }
        // Flipping bytes inside tensor data is still a valid file; header damage must be caught.
        XCTAssertGreaterThan(rejected, 0)
    }

    func testSpecificErrors() throws {
        let path = temporaryPath(".gguf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data("not a model at all".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try GGUFFile(path: path)) { XCTAssertEqual($0 as? GGUFError, .notGGUF(path: path)) }

        let v1 = sampleWriter()
        v1.version = 1
        try v1.write(to: path)
        XCTAssertThrowsError(try GGUFFile(path: path)) { XCTAssertEqual($0 as? GGUFError, .unsupportedVersion(path: path, version: 1)) }

        let unknown = GGUFWriter()
        unknown.addTensor("x", dims: [32], type: .f32, bytes: [UInt8](repeating: 0, count: 128))
        var bytes = [UInt8](unknown.data())
        // The tensor type code sits 12 bytes before the end of the info block (u32 type + u64 offset).
        let infoEnd = 24 + 8 + 1 + 4 + 8
        bytes[infoEnd] = 99
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try GGUFFile(path: path)) {
            XCTAssertEqual($0 as? GGUFError, .unknownTensorType(path: path, tensor: "x", type: 99))
        }

        XCTAssertThrowsError(try GGUFFile(path: "/nonexistent/model.gguf"))
        XCTAssertThrowsError(try GGUFFile(path: NSTemporaryDirectory()))
    }

    func testHalfConversionRoundTrips() {
        for bits in stride(from: 0, through: 0xFFFF, by: 1) {
            let h = UInt16(bits)
            let f = halfToFloat(h)
            if f.isNaN { continue }
            XCTAssertEqual(floatToHalf(f), h, "half \(String(h, radix: 16))")
        }
    }
}
