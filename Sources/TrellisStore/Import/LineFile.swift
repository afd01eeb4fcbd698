import Foundation
import TrellisCore

/// A text file read line by line from a memory mapping: no whole-file String, one small
/// copy per line. Lines end at "\n" (a trailing "\r" is dropped); a UTF-8 byte-order mark
/// at the start is skipped. O(file size).
struct LineFile {
    let path: String
    private let mapping: MappedFile

    init(path: String) throws {
        self.path = path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw StoreError.cannotReadFile(path: path, message: "no such file")
        }
        guard !isDirectory.boolValue else {
            throw StoreError.cannotReadFile(path: path, message: "is a directory, not a file")
        }
        do {
            mapping = try MappedFile(path: path)
        } catch let error as TrellisError {
            throw StoreError.cannotReadFile(path: path, message: error.description)
        }
    }

    /// Number of lines (a last line without "\n" counts), found with memchr.
    func lineCount() -> Int {
        let bytes = mapping.bytes
        guard let base = bytes.baseAddress, bytes.count > 0 else { return 0 }
        var count = 0
        var offset = 0
        while offset < bytes.count,
              let hit = memchr(base + offset, 0x0A, bytes.count - offset) {
            count += 1
            offset = base.distance(to: UnsafeRawPointer(hit)) + 1
        }
        if offset < bytes.count { count += 1 }
        return count
    }

    /// Calls `body(lineNumber, bytes)` for every line, 1-based, without its terminator.
    func forEachLine(_ body: (Int, UnsafeRawBufferPointer) throws -> Void) rethrows {
        let bytes = mapping.bytes
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        var offset = 0
        if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { offset = 3 }
        var lineNumber = 0
        while offset < bytes.count {
            lineNumber += 1
            let end: Int
            if let hit = memchr(base + offset, 0x0A, bytes.count - offset) {
                end = base.distance(to: UnsafeRawPointer(hit))
            } else {
                end = bytes.count
            }
            var length = end - offset
            if length > 0 && bytes[offset + length - 1] == 0x0D { length -= 1 }
            try body(lineNumber, UnsafeRawBufferPointer(start: base + offset, count: length))
            offset = end + 1
        }
    }

    /// Whether a line holds only ASCII whitespace (blank lines are allowed anywhere).
    static func isBlank(_ line: UnsafeRawBufferPointer) -> Bool {
        line.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
    }
}
