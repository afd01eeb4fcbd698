import Foundation
import TrellisCore
import TrellisFMIndex
import TrellisStore

/// The corpus's FM-index plus the map from index passage numbers to store passage ids, persisted
/// beside the store (`X.passages.fmi` and `X.passages.fmi.ids`, both written atomically: temporary
/// file, fsync, rename). A content fingerprint — FNV-1a 64 over the tokenizer fingerprint and every
/// passage's id and token ids, in id order — is recorded in store metadata
/// (`passages_fmi.fingerprint`); `open` recomputes it from the store (one sequential read of the
/// token blobs, O(total tokens)) and rebuilds the index when it differs or a file is missing.
/// Build cost: that of `FMIndex(tokens:passageEnds:)` (SA-IS, O(n log σ)). Immutable after
/// construction.
public final class PassageIndex: @unchecked Sendable {
    public let fmIndex: FMIndex
    /// Store id of index passage k.
    public let passageIDs: [PassageID]
    /// Content fingerprint the index was built from.
    public let fingerprint: String
    /// Index passage number of a store id.
    public let passageNumbers: [PassageID: Int]
    /// True when `open` had to (re)build the index.
    public let wasBuilt: Bool

    static let fingerprintKey = "passages_fmi.fingerprint"

    init(fmIndex: FMIndex, passageIDs: [PassageID], fingerprint: String, wasBuilt: Bool) {
        self.fmIndex = fmIndex
        self.passageIDs = passageIDs
        self.fingerprint = fingerprint
        self.wasBuilt = wasBuilt
        var numbers: [PassageID: Int] = [:]
        numbers.reserveCapacity(passageIDs.count)
        for (k, id) in passageIDs.enumerated() { numbers[id] = k }
        passageNumbers = numbers
    }

    /// Index file path for a store path: `Indexes/trellis.sqlite` → `Indexes/trellis.passages.fmi`.
    public static func path(forStore storePath: String) -> String {
        (storePath as NSString).deletingPathExtension + ".passages.fmi"
    }

    /// Tokenizes passages that lack tokens with `PassageText.modelText` (binding the store to the
    /// tokenizer's fingerprint) and returns how many were tokenized.
    @discardableResult
    public static func tokenizePassages(store: TrellisStore, tokenizer: any TextTokenizer, fingerprint: String,
                                        progress: ImportProgress? = nil) throws -> Int {
        try store.fillPassageTokens(fingerprint: fingerprint, progress: progress) { record in
            tokenizer.encode(PassageText.modelText(title: record.title, text: record.text))
        }
    }

    /// Opens the index at `path`, rebuilding it (and rewriting both files) when it is missing, its
    /// fingerprint differs from the store's current content, or it was written in an older file
    /// format (the index is derived from the store, so nothing is lost). A damaged file is an
    /// error, not a silent rebuild. `progress(done, total)` reports passages read while building.
    public static func open(store: TrellisStore, path: String, sampleRate: Int = 32,
                            progress: ImportProgress? = nil) throws -> PassageIndex {
        let current = try contentFingerprint(store: store)
        let recorded = try store.metadataValue(forKey: fingerprintKey)
        let fm = FileManager.default
        if recorded == current, fm.fileExists(atPath: path), fm.fileExists(atPath: path + ".ids") {
            let index: FMIndex
            do {
                index = try FMIndex(contentsOf: path)
            } catch FMIndexError.unsupportedVersion {
                return try build(store: store, path: path, sampleRate: sampleRate, progress: progress)
            }
            let ids = try readIDs(path + ".ids")
            guard ids.count == index.passageCount else {
                throw SearchError.indexMismatch(path: path, indexPassages: index.passageCount, idCount: ids.count)
            }
            return PassageIndex(fmIndex: index, passageIDs: ids, fingerprint: current, wasBuilt: false)
        }
        return try build(store: store, path: path, sampleRate: sampleRate, progress: progress)
    }

    /// Builds the index from every passage's tokens and writes it to `path` (nil: memory only).
    public static func build(store: TrellisStore, path: String?, sampleRate: Int = 32,
                             progress: ImportProgress? = nil) throws -> PassageIndex {
        let total = try store.counts().passages
        var tokens: [TokenID] = []
        var ends: [Int] = []
        var ids: [PassageID] = []
        var hasher = FNV1a64()
        var untokenized = 0
        try progress?(0, total)
        try store.forEachPassageTokens { id, passageTokens in
            guard let passageTokens else { untokenized += 1; return }
            hasher.add(id, passageTokens)
            tokens.append(contentsOf: passageTokens)
            ends.append(tokens.count)
            ids.append(id)
            if ids.count % 1000 == 0 { try progress?(ids.count, total) }
        }
        if untokenized > 0 { throw SearchError.passagesNotTokenized(count: untokenized) }
        try progress?(ids.count, total)
        let fingerprint = (try store.tokenizerFingerprint() ?? "") + ":" + hasher.hex
        let index = try FMIndex(tokens: tokens, passageEnds: ends, sampleRate: sampleRate)
        if let path {
            let folder = (path as NSString).deletingLastPathComponent
            if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
            try index.write(to: path)
            try writeIDs(ids, to: path + ".ids")
            // Recorded last: a crash before this line leaves a mismatch, hence a rebuild.
            try store.setMetadataValue(fingerprint, forKey: fingerprintKey)
        }
        return PassageIndex(fmIndex: index, passageIDs: ids, fingerprint: fingerprint, wasBuilt: true)
    }

    /// The fingerprint `build` would record for the store's current passages.
    public static func contentFingerprint(store: TrellisStore) throws -> String {
        var hasher = FNV1a64()
        try store.forEachPassageTokens { id, tokens in
            guard let tokens else { return }
            hasher.add(id, tokens)
        }
        return (try store.tokenizerFingerprint() ?? "") + ":" + hasher.hex
    }

    static func writeIDs(_ ids: [PassageID], to path: String) throws {
        let data = ids.withUnsafeBufferPointer { Data(buffer: $0) }
        do { try data.write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw SearchError.badIDFile(path: path, reason: "cannot write: \(error.localizedDescription)")
        }
    }

    static func readIDs(_ path: String) throws -> [PassageID] {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw SearchError.badIDFile(path: path, reason: "unreadable: \(error.localizedDescription)")
        }
        guard data.count % 8 == 0 else { throw SearchError.badIDFile(path: path, reason: "size \(data.count) is not a multiple of 8") }
        return data.withUnsafeBytes { raw in (0..<data.count / 8).map { raw.loadUnaligned(fromByteOffset: $0 * 8, as: PassageID.self) } }
    }
}

/// FNV-1a, 64 bits: a fast content hash for staleness checks (not cryptographic).
struct FNV1a64 {
    private(set) var state: UInt64 = 0xcbf2_9ce4_8422_2325

    @inline(__always) mutating func add(byte: UInt8) {
        state = (state ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
    }
    mutating func add(_ value: Int64) { for s in stride(from: 0, to: 64, by: 8) { add(byte: UInt8(truncatingIfNeeded: value >> Int64(s))) } }
    mutating func add(_ id: PassageID, _ tokens: [TokenID]) {
        add(id)
        add(Int64(tokens.count))
        for t in tokens { for s in stride(from: 0, to: 32, by: 8) { add(byte: UInt8(truncatingIfNeeded: t >> TokenID(s))) } }
    }
    var hex: String { String(state, radix: 16) }
}
