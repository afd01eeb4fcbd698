import TrellisCore

// GGUF layout (versions 2 and 3, little-endian):
//   u32 magic "GGUF" | u32 version | u64 tensor count | u64 metadata count
//   metadata: { string key | u32 value type | value }*        string = u64 length + UTF-8 bytes
//             array value = u32 element type | u64 count | elements
//   tensor infos: { string name | u32 n_dims | u64 dims[n_dims] | u32 ggml type | u64 offset }*
//   padding to `general.alignment` (default 32), then the tensor data; each offset is relative
//   to the start of the data section. dims[0] is the innermost (row length) dimension.

/// One tensor's entry in a GGUF file: name, shape, element type and where its bytes lie.
public struct GGUFTensorInfo: Sendable {
    public let name: String
    /// Dimensions innermost first, as GGUF stores them: `dims[0]` is the row length.
    public let dims: [Int]
    public let type: GGMLType
    /// Absolute byte offset in the file.
    public let fileOffset: Int
    public let byteCount: Int

    public var elementCount: Int { dims.reduce(1, *) }
    /// Row length (innermost dimension).
    public var columns: Int { dims.first ?? 1 }
    /// Number of rows (product of the outer dimensions).
    public var rows: Int { dims.dropFirst().reduce(1, *) }
}

/// A memory-mapped GGUF model file: typed metadata and a table of tensors whose bytes are read
/// in place (no copy at load, so opening a model costs milliseconds).
///
/// Every length, count and offset is checked against the file size before it is used: a
/// truncated or malformed file raises `GGUFError`, never a crash.
public final class GGUFFile: @unchecked Sendable {
    public let path: String
    public let version: UInt32
    public let metadata: [String: GGUFValue]
    /// Metadata keys in file order.
    public let metadataKeys: [String]
    public let tensors: [GGUFTensorInfo]
    public let alignment: Int
    private let tensorIndex: [String: Int]
    private let mapping: MappedFile

    /// Drops the resident pages of `bytes` (inside this file's mapping; see
    /// `MappedFile.releasePages`), e.g. once a tensor has been copied into another layout.
    public func releasePages(_ bytes: UnsafeRawBufferPointer) { mapping.releasePages(bytes) }

    public convenience init(path: String) throws {
        try self.init(mapping: try MappedFile(path: path))
    }

    public init(mapping: MappedFile) throws {
        self.mapping = mapping
        self.path = mapping.path
        var reader = ByteReader(bytes: mapping.bytes, path: mapping.path)
        guard mapping.count >= 4, try reader.u32() == 0x4655_4747 else { throw GGUFError.notGGUF(path: path) }
        version = try reader.u32()
        guard version == 2 || version == 3 else { throw GGUFError.unsupportedVersion(path: path, version: version) }
        let tensorCount = try reader.u64()
        let kvCount = try reader.u64()
        // Each entry takes at least 8+4 bytes; larger counts cannot fit in the file.
        guard kvCount <= UInt64(mapping.count / 12) else {
            throw GGUFError.implausibleCount(path: path, what: "metadata", count: kvCount)
        }
        guard tensorCount <= UInt64(mapping.count / 24) else {
            throw GGUFError.implausibleCount(path: path, what: "tensor", count: tensorCount)
        }
        var metadata: [String: GGUFValue] = [:]
        var keys: [String] = []
        for _ in 0..<kvCount {
            let key = try reader.string()
            let type = try reader.u32()
            metadata[key] = try reader.value(type: type, key: key, depth: 0)
            keys.append(key)
        }
        self.metadata = metadata
        self.metadataKeys = keys
        let alignment = metadata["general.alignment"]?.integer ?? 32
        guard alignment > 0, alignment.nonzeroBitCount == 1 else {
            throw GGUFError.badTensorShape(path: path, tensor: "-", reason: "general.alignment \(alignment) is not a power of two")
        }
        self.alignment = alignment

        struct RawInfo { var name: String; var dims: [Int]; var type: GGMLType; var offset: UInt64 }
        var raw: [RawInfo] = []
        raw.reserveCapacity(Int(tensorCount))
        for _ in 0..<tensorCount {
            let name = try reader.string()
            let nDims = try reader.u32()
            guard nDims >= 1 && nDims <= 4 else {
                throw GGUFError.badTensorShape(path: path, tensor: name, reason: "\(nDims) dimensions")
            }
            var dims: [Int] = []
            for _ in 0..<nDims {
                let d = try reader.u64()
                guard d >= 1 && d < 1 << 40 else {
                    throw GGUFError.badTensorShape(path: path, tensor: name, reason: "dimension \(d)")
                }
                dims.append(Int(d))
            }
            let typeCode = try reader.u32()
            guard let type = GGMLType(rawValue: typeCode) else {
                throw GGUFError.unknownTensorType(path: path, tensor: name, type: typeCode)
            }
            guard dims[0] % type.blockSize == 0 else {
                throw GGUFError.badTensorShape(path: path, tensor: name,
                                               reason: "row length \(dims[0]) is not a multiple of \(type) block size \(type.blockSize)")
            }
            raw.append(RawInfo(name: name, dims: dims, type: type, offset: try reader.u64()))
        }
        let dataStart = (reader.offset + alignment - 1) / alignment * alignment
        var tensors: [GGUFTensorInfo] = []
        var index: [String: Int] = [:]
        for r in raw {
            let (elements, overflow) = r.dims.reduce((1, false)) { acc, d in
                let (p, o) = acc.0.multipliedReportingOverflow(by: d)
                return (p, acc.1 || o)
            }
            guard !overflow, r.offset < UInt64(Int.max / 2) else {
                throw GGUFError.tensorOutOfBounds(path: path, tensor: r.name)
            }
            let bytes = r.type.byteCount(elements: elements)
            let start = dataStart + Int(r.offset)
            guard start + bytes <= mapping.count else { throw GGUFError.tensorOutOfBounds(path: path, tensor: r.name) }
            index[r.name] = tensors.count
            tensors.append(GGUFTensorInfo(name: r.name, dims: r.dims, type: r.type, fileOffset: start, byteCount: bytes))
        }
        self.tensors = tensors
        self.tensorIndex = index
    }

    public var fileSize: Int { mapping.count }

    public func tensor(named name: String) -> GGUFTensorInfo? {
        tensorIndex[name].map { tensors[$0] }
    }

    /// The tensor's bytes, in place in the mapping (valid while this object lives).
    public func data(of tensor: GGUFTensorInfo) -> UnsafeRawPointer {
        mapping.base!.advanced(by: tensor.fileOffset)
    }

    // MARK: typed metadata access

    public func requireInt(_ key: String) throws -> Int {
        guard let v = metadata[key] else { throw GGUFError.missingKey(key: key) }
        guard let i = v.integer else { throw GGUFError.wrongValueType(key: key, expected: "an integer") }
        return i
    }

    public func int(_ key: String) throws -> Int? {
        guard let v = metadata[key] else { return nil }
        guard let i = v.integer else { throw GGUFError.wrongValueType(key: key, expected: "an integer") }
        return i
    }

    public func double(_ key: String) throws -> Double? {
        guard let v = metadata[key] else { return nil }
        guard let d = v.double else { throw GGUFError.wrongValueType(key: key, expected: "a number") }
        return d
    }

    public func string(_ key: String) throws -> String? {
        guard let v = metadata[key] else { return nil }
        guard let s = v.string else { throw GGUFError.wrongValueType(key: key, expected: "a string") }
        return s
    }

    public func bool(_ key: String) throws -> Bool? {
        guard let v = metadata[key] else { return nil }
        guard let b = v.bool else { throw GGUFError.wrongValueType(key: key, expected: "a boolean") }
        return b
    }

    public func stringArray(_ key: String) throws -> [String]? {
        guard let v = metadata[key] else { return nil }
        guard let a = v.array else { throw GGUFError.wrongValueType(key: key, expected: "an array of strings") }
        return try a.map {
            guard let s = $0.string else { throw GGUFError.wrongValueType(key: key, expected: "an array of strings") }
            return s
        }
    }

    public func intArray(_ key: String) throws -> [Int]? {
        guard let v = metadata[key] else { return nil }
        guard let a = v.array else { throw GGUFError.wrongValueType(key: key, expected: "an array of integers") }
        return try a.map {
            guard let i = $0.integer else { throw GGUFError.wrongValueType(key: key, expected: "an array of integers") }
            return i
        }
    }
}

/// Bounds-checked little-endian cursor over the mapped header.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    let path: String
    var offset = 0

    init(bytes: UnsafeRawBufferPointer, path: String) {
        self.bytes = bytes
        self.path = path
    }

    mutating func need(_ n: Int) throws {
        guard n >= 0, offset <= bytes.count, n <= bytes.count - offset else {
            throw GGUFError.truncated(path: path, offset: offset, needed: n)
        }
    }

    mutating func load<T: FixedWidthInteger>(_: T.Type) throws -> T {
        try need(MemoryLayout<T>.size)
        let v = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += MemoryLayout<T>.size
        return T(littleEndian: v)
    }

    mutating func u32() throws -> UInt32 { try load(UInt32.self) }
    mutating func u64() throws -> UInt64 { try load(UInt64.self) }

    mutating func string() throws -> String {
        let start = offset
        let n = try u64()
        guard n <= UInt64(bytes.count) else { throw GGUFError.truncated(path: path, offset: offset, needed: Int(clamping: n)) }
        try need(Int(n))
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + Int(n)])
        offset += Int(n)
        guard let s = String(validating: slice, as: UTF8.self) else {
            throw GGUFError.invalidString(path: path, offset: start)
        }
        return s
    }

    mutating func value(type: UInt32, key: String, depth: Int) throws -> GGUFValue {
        switch type {
        case 0: return .uint8(try load(UInt8.self))
        case 1: return .int8(try load(Int8.self))
        case 2: return .uint16(try load(UInt16.self))
        case 3: return .int16(try load(Int16.self))
        case 4: return .uint32(try load(UInt32.self))
        case 5: return .int32(try load(Int32.self))
        case 6: return .float32(Float(bitPattern: try load(UInt32.self)))
        case 7:
            let b = try load(UInt8.self)
            return .bool(b != 0)
        case 8: return .string(try string())
        case 9:
            guard depth < 4 else { throw GGUFError.unknownValueType(path: path, key: key, type: type) }
            let elementType = try u32()
            let count = try u64()
            guard count <= UInt64(bytes.count - offset) else {
                throw GGUFError.implausibleCount(path: path, what: "array \(key)", count: count)
            }
            var items: [GGUFValue] = []
            items.reserveCapacity(Int(count))
            for _ in 0..<count { items.append(try value(type: elementType, key: key, depth: depth + 1)) }
            return .array(items)
        case 10: return .uint64(try load(UInt64.self))
        case 11: return .int64(try load(Int64.self))
        case 12: return .float64(Double(bitPattern: try load(UInt64.self)))
        default: throw GGUFError.unknownValueType(path: path, key: key, type: type)
        }
    }
}
