#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import TrellisCore

extension FMIndex {
    /// Opens a saved index memory-mapped: pages load on first touch. Validates header, size,
    /// checksum and every structural invariant queries rely on (one sequential pass), so a
    /// corrupt or truncated file throws `FMIndexError` instead of crashing later.
    public convenience init(contentsOf path: String) throws {
        let file: MappedFile
        do { file = try MappedFile(path: path) } catch let error as TrellisError {
            throw FMIndexError.io(path: path, message: error.description)
        }
        guard file.count > 0 else {
            throw FMIndexError.truncated(path: path, expectedBytes: FMIndexLayout.headerSize, actualBytes: 0)
        }
        try self.init(bytes: file.bytes, owner: file, path: path, trusted: false)
    }

    /// Writes the index to `path` atomically: a temporary file beside it, fsync, then rename.
    public func write(to path: String) throws {
        let temporary = path + ".tmp.\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw FMIndexError.io(path: temporary, message: "cannot create: \(String(cString: strerror(errno)))") }
        var written = 0
        while written < bytes.count {
            let r = Glibc.write(fd, bytes.baseAddress! + written, bytes.count - written)
            if r < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                close(fd); unlink(temporary)
                throw FMIndexError.io(path: temporary, message: "write failed: \(reason)")
            }
            written += r
        }
        if fsync(fd) != 0 || close(fd) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw FMIndexError.io(path: temporary, message: "cannot flush: \(reason)")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw FMIndexError.io(path: path, message: "cannot rename into place: \(reason)")
        }
    }
}
