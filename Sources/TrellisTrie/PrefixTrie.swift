import Foundation
import TrellisCore

/// A frozen prefix trie over token-id sequences (entity names), stored as flat arrays so it can be
/// memory-mapped: opening a trie of millions of names costs one validation pass, not a rebuild.
///
/// Layout (all little-endian 32-bit, one contiguous buffer): header (magic, version, node count N,
/// edge count E, payload count P, reserved), `childStart[N+1]`, `edgeToken[E]` (sorted within a
/// node), `edgeTarget[E]`, `payloadStart[N+1]`, `payloads[P]`. Node 0 is the root. A node's
/// children are `edgeToken[childStart[n] ..< childStart[n+1]]`; a node where a sequence ends
/// holds that sequence's payloads (e.g. name row ids).
///
/// Complexity: `children(of:)` O(1); `child(of:token:)` O(log fan-out); memory 4·(2N + 2E + P)
/// bytes, at most 16 bytes per stored token id since N ≤ E + 1.
/// Used as GENRE's constraint (De Cao et al. 2021, "Autoregressive Entity Retrieval"), but with a
/// cursor per hypothesis instead of a walk from the root at every step.
public final class PrefixTrie: @unchecked Sendable {
    public typealias Node = UInt32
    public static let root: Node = 0
    static let magic: UInt32 = 0x4549_5254  // "TRIE"
    static let version: UInt32 = 1
    static let headerWords = 6

    public let nodeCount: Int
    public let edgeCount: Int
    public let payloadCount: Int
    private let owner: AnyObject
    private let words: UnsafePointer<UInt32>
    private let childStart: UnsafePointer<UInt32>
    private let edgeToken: UnsafePointer<Int32>
    private let edgeTarget: UnsafePointer<UInt32>
    private let payloadStart: UnsafePointer<UInt32>
    private let payloadValues: UnsafePointer<UInt32>

    /// Opens a trie file, memory-mapped, validating its structure.
    public convenience init(path: String) throws {
        let file = try MappedFile(path: path)
        try self.init(owner: file, bytes: file.bytes, path: path)
    }

    /// A trie over an in-memory serialized buffer (as written by `serialized()`).
    public convenience init(serialized data: [UInt8]) throws {
        let box = ByteBox(data)
        try self.init(owner: box, bytes: UnsafeRawBufferPointer(start: box.pointer, count: data.count), path: "<memory>")
    }

    init(owner: AnyObject, bytes: UnsafeRawBufferPointer, path: String) throws {
        let headerBytes = Self.headerWords * 4
        guard bytes.count >= headerBytes, let base = bytes.baseAddress else { throw TrieError.notATrie(path: path) }
        guard Int(bitPattern: base) % 4 == 0 else { throw TrieError.corrupt(path: path, reason: "misaligned buffer") }
        let w = base.assumingMemoryBound(to: UInt32.self)
        guard UInt32(littleEndian: w[0]) == Self.magic else { throw TrieError.notATrie(path: path) }
        let version = UInt32(littleEndian: w[1])
        guard version == Self.version else { throw TrieError.unsupportedVersion(path: path, version: version) }
        let n = Int(UInt32(littleEndian: w[2])), e = Int(UInt32(littleEndian: w[3])), p = Int(UInt32(littleEndian: w[4]))
        let expected = headerBytes + 4 * (2 * (n + 1) + 2 * e + p)
        guard n >= 1, bytes.count == expected else {
            throw TrieError.corrupt(path: path, reason: "size \(bytes.count) bytes, header implies \(expected)")
        }
        self.owner = owner
        self.words = w
        self.nodeCount = n
        self.edgeCount = e
        self.payloadCount = p
        var offset = Self.headerWords
        childStart = w + offset; offset += n + 1
        edgeToken = UnsafeRawPointer(w + offset).assumingMemoryBound(to: Int32.self); offset += e
        edgeTarget = w + offset; offset += e
        payloadStart = w + offset; offset += n + 1
        payloadValues = w + offset
        try validate(path: path)
    }

    /// One linear pass: offsets monotone and in range, targets valid, tokens sorted per node.
    private func validate(path: String) throws {
        guard childStart[0] == 0, Int(childStart[nodeCount]) == edgeCount,
              payloadStart[0] == 0, Int(payloadStart[nodeCount]) == payloadCount else {
            throw TrieError.corrupt(path: path, reason: "offset table ends do not match counts")
        }
        for node in 0..<nodeCount {
            let a = childStart[node], b = childStart[node + 1]
            guard a <= b, payloadStart[node] <= payloadStart[node + 1] else {
                throw TrieError.corrupt(path: path, reason: "offsets of node \(node) decrease")
            }
            var previous = Int64.min
            for i in Int(a)..<Int(b) {
                let t = Int64(edgeToken[i])
                // Children have larger ids than their parent (preorder), which also rules out cycles.
                guard t > previous, t >= 0, Int(edgeTarget[i]) < nodeCount, Int(edgeTarget[i]) > node else {
                    throw TrieError.corrupt(path: path, reason: "children of node \(node) unsorted or out of range")
                }
                previous = t
            }
        }
    }

    /// Sorted tokens that may follow `node`, in place (valid while the trie lives).
    @inline(__always)
    public func children(of node: Node) -> UnsafeBufferPointer<Int32> {
        let a = Int(childStart[Int(node)]), b = Int(childStart[Int(node) + 1])
        return UnsafeBufferPointer(start: edgeToken + a, count: b - a)
    }

    /// The child of `node` along `token`, or nil.
    @inline(__always)
    public func child(of node: Node, token: TokenID) -> Node? {
        var lo = Int(childStart[Int(node)]), hi = Int(childStart[Int(node) + 1])
        while lo < hi {
            let mid = (lo + hi) >> 1
            if edgeToken[mid] < token { lo = mid + 1 } else { hi = mid }
        }
        guard lo < Int(childStart[Int(node) + 1]), edgeToken[lo] == token else { return nil }
        return edgeTarget[lo]
    }

    /// The node reached by `tokens` from `start`, or nil when the path leaves the trie.
    public func walk(_ tokens: some Sequence<TokenID>, from start: Node = PrefixTrie.root) -> Node? {
        var node = start
        for t in tokens {
            guard let next = child(of: node, token: t) else { return nil }
            node = next
        }
        return node
    }

    /// Payloads of sequences ending exactly at `node`.
    public func payloads(at node: Node) -> UnsafeBufferPointer<UInt32> {
        let a = Int(payloadStart[Int(node)]), b = Int(payloadStart[Int(node) + 1])
        return UnsafeBufferPointer(start: payloadValues + a, count: b - a)
    }

    public func isTerminal(_ node: Node) -> Bool { payloadStart[Int(node)] != payloadStart[Int(node) + 1] }

    public func contains(_ sequence: [TokenID]) -> Bool {
        walk(sequence).map(isTerminal) ?? false
    }

    /// Bytes of the serialized form (and of memory when mapped).
    public var sizeInBytes: Int { 4 * (Self.headerWords + 2 * (nodeCount + 1) + 2 * edgeCount + payloadCount) }

    /// Every stored sequence with its payloads, depth-first in token order (tests, small tries).
    public func enumerate(_ body: ([TokenID], UnsafeBufferPointer<UInt32>) -> Void) {
        var path: [TokenID] = []
        func visit(_ node: Node) {
            let p = payloads(at: node)
            if !p.isEmpty { body(path, p) }
            let a = Int(childStart[Int(node)]), b = Int(childStart[Int(node) + 1])
            for i in a..<b {
                path.append(edgeToken[i])
                visit(edgeTarget[i])
                path.removeLast()
            }
        }
        visit(Self.root)
    }

    /// The serialized bytes (what `write(to:)` stores).
    public func serialized() -> [UInt8] {
        [UInt8](UnsafeRawBufferPointer(start: UnsafeRawPointer(words), count: sizeInBytes))
    }

    /// Writes the trie to `path` through a temporary file and an atomic rename, so an
    /// interrupted write never leaves a half-written trie behind.
    public func write(to path: String) throws {
        let tmp = path + ".tmp-\(getpid())"
        let data = Data(bytes: UnsafeRawPointer(words), count: sizeInBytes)
        do {
            try data.write(to: URL(fileURLWithPath: tmp))
            if FileManager.default.fileExists(atPath: path) {
                _ = try FileManager.default.replaceItemAt(URL(fileURLWithPath: path), withItemAt: URL(fileURLWithPath: tmp))
            } else {
                try FileManager.default.moveItem(atPath: tmp, toPath: path)
            }
        } catch {
            try? FileManager.default.removeItem(atPath: tmp)
            throw TrellisError.io(path: path, message: "cannot write trie: \(error.localizedDescription)")
        }
    }
}

/// Owns an aligned copy of serialized bytes for in-memory tries.
final class ByteBox {
    let pointer: UnsafeMutableRawPointer
    init(_ bytes: [UInt8]) {
        pointer = .allocate(byteCount: max(bytes.count, 4), alignment: 16)
        bytes.withUnsafeBytes { pointer.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
    }
    deinit { pointer.deallocate() }
}
