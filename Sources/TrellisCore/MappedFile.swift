#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only memory mapping of a whole file; pages load on first touch, so opening a
/// large model or index costs almost nothing. The mapping lives as long as this object.
public final class MappedFile: @unchecked Sendable {
    public let path: String
    public let count: Int
    public let base: UnsafeRawPointer?

    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            throw TrellisError.io(path: path, message: "cannot open: \(reason)")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw TrellisError.io(path: path, message: "cannot stat: \(String(cString: strerror(errno)))")
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            throw TrellisError.io(path: path, message: "is a directory, not a file")
        }
        count = Int(st.st_size)
        if count == 0 {
            base = nil
            return
        }
        guard let p = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw TrellisError.io(path: path, message: "cannot map: \(String(cString: strerror(errno)))")
        }
        base = UnsafeRawPointer(p)
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), count) }
    }

    /// Drops the resident pages wholly inside `range` (which must lie in this mapping) from the
    /// process: a part whose bytes were copied elsewhere stops counting towards resident memory,
    /// and is read back from the file if touched again. Nothing outside the mapping is touched.
    public func releasePages(_ range: UnsafeRawBufferPointer) {
        guard let base, let start = range.baseAddress, start >= base,
              start + range.count <= base + count else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let first = (Int(bitPattern: start) + page - 1) / page * page
        let end = (Int(bitPattern: start) + range.count) / page * page
        guard end > first, let pointer = UnsafeMutableRawPointer(bitPattern: first) else { return }
        _ = madvise(pointer, end - first, Int32(MADV_DONTNEED))
    }

    /// The mapped bytes (empty for an empty file).
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
}
