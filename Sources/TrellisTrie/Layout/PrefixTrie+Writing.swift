#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import TrellisCore

extension PrefixTrie {
    /// The serialized bytes: exactly what `write(to:)` stores and `init(serialized:)` reads.
    public func serialized() -> [UInt8] { Array(bytes) }

    /// Writes the trie to `path` atomically: into a temporary file beside it, flushed to disk,
    /// then renamed over `path`, so a crash never leaves a half-written trie under that name.
    public func write(to path: String) throws {
        let temporary = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw TrieError.writeFailed(path: path, reason: String(cString: strerror(errno))) }
        var failure = writeAll(fd, bytes)
        if failure == nil && fsync(fd) != 0 { failure = String(cString: strerror(errno)) }
        if close(fd) != 0 && failure == nil { failure = String(cString: strerror(errno)) }
        if failure == nil && rename(temporary, path) != 0 { failure = String(cString: strerror(errno)) }
        if let failure {
            unlink(temporary)
            throw TrieError.writeFailed(path: path, reason: failure)
        }
    }
}

/// Writes every byte to `fd`, retrying short writes; the error text, or nil.
private func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> String? {
    var offset = 0
    while offset < bytes.count {
        let written = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
        if written < 0 {
            if errno == EINTR { continue }
            return String(cString: strerror(errno))
        }
        offset += written
    }
    return nil
}
