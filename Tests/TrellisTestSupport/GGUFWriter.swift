import Foundation
import TrellisGGUF

/// Writes GGUF v3 files for tests: tiny random models and deliberately malformed files.
public final class GGUFWriter {
    private var header = Data()
    private var kvCount: UInt64 = 0
    private var tensorInfos = Data()
    private var tensorData = Data()
    private var tensorCount: UInt64 = 0
    public var alignment = 32
    public var version: UInt32 = 3

    public init() {}

    private func u32(_ v: UInt32, _ d: inout Data) { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
    private func u64(_ v: UInt64, _ d: inout Data) { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
    private func str(_ s: String, _ d: inout Data) {
        let b = Array(s.utf8)
        u64(UInt64(b.count), &d)
        d.append(contentsOf: b)
    }

    private func value(_ v: GGUFValue, _ d: inout Data) {
        switch v {
        case .uint8(let x): d.append(x)
        case .int8(let x): d.append(UInt8(bitPattern: x))
        case .uint16(let x): withUnsafeBytes(of: x.littleEndian) { d.append(contentsOf: $0) }
        case .int16(let x): withUnsafeBytes(of: x.littleEndian) { d.append(contentsOf: $0) }
        case .uint32(let x): u32(x, &d)
        case .int32(let x): u32(UInt32(bitPattern: x), &d)
        case .uint64(let x): u64(x, &d)
        case .int64(let x): u64(UInt64(bitPattern: x), &d)
        case .float32(let x): u32(x.bitPattern, &d)
        case .float64(let x): u64(x.bitPattern, &d)
        case .bool(let x): d.append(x ? 1 : 0)
        case .string(let s): str(s, &d)
        case .array(let items):
            u32(items.first.map(Self.typeCode) ?? 4, &d)
            u64(UInt64(items.count), &d)
            for item in items { value(item, &d) }
        }
    }

    static func typeCode(_ v: GGUFValue) -> UInt32 {
        switch v {
        case .uint8: return 0
        case .int8: return 1
        case .uint16: return 2
        case .int16: return 3
        case .uint32: return 4
        case .int32: return 5
        case .float32: return 6
        case .bool: return 7
        case .string: return 8
        case .array: return 9
        case .uint64: return 10
        case .int64: return 11
        case .float64: return 12
        }
    }

    public func add(_ key: String, _ v: GGUFValue) {
        str(key, &header)
        u32(Self.typeCode(v), &header)
        value(v, &header)
        kvCount += 1
    }

    /// Adds a tensor of `type` whose raw bytes are given (dims innermost first).
    public func addTensor(_ name: String, dims: [Int], type: GGMLType, bytes: [UInt8]) {
        while tensorData.count % alignment != 0 { tensorData.append(0) }
        str(name, &tensorInfos)
        u32(UInt32(dims.count), &tensorInfos)
        for d in dims { u64(UInt64(d), &tensorInfos) }
        u32(type.rawValue, &tensorInfos)
        u64(UInt64(tensorData.count), &tensorInfos)
        tensorData.append(contentsOf: bytes)
        tensorCount += 1
    }

    /// Adds an F32 tensor.
    public func addTensor(_ name: String, dims: [Int], floats: [Float]) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(floats.count * 4)
        for f in floats { withUnsafeBytes(of: f.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        addTensor(name, dims: dims, type: .f32, bytes: bytes)
    }

    /// The complete file.
    public func data() -> Data {
        var out = Data()
        u32(0x4655_4747, &out)
        u32(version, &out)
        u64(tensorCount, &out)
        u64(kvCount, &out)
        out.append(header)
        out.append(tensorInfos)
        while out.count % alignment != 0 { out.append(0) }
        out.append(tensorData)
        return out
    }

    @discardableResult
    public func write(to path: String) throws -> String {
        try data().write(to: URL(fileURLWithPath: path))
        return path
    }
}

/// A fresh temporary file path that is removed when the test process ends... or not; tests clean up.
public func temporaryPath(_ suffix: String = "") -> String {
    NSTemporaryDirectory() + "trellis-test-\(UUID().uuidString)\(suffix)"
}
