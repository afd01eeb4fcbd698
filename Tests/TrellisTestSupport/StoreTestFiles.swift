import Foundation

/// A fresh temporary folder for one test, removed when the object goes away.
/// Store tests write their own small input files here (never the shared data).
public final class TemporaryFolder {
    public let url: URL

    public init(prefix: String = "trellis-test") throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(prefix)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// The path of `name` inside the folder (the file is not created).
    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Writes `lines` joined by "\n" (with a final newline) to `name` and returns its path.
    @discardableResult
    public func write(_ name: String, lines: [String]) throws -> String {
        try write(name, text: lines.map { $0 + "\n" }.joined())
    }

    @discardableResult
    public func write(_ name: String, text: String) throws -> String {
        let path = path(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }
}

/// JSON text of a value built from dictionaries/arrays/strings/numbers (keys sorted), for
/// writing JSONL test inputs without hand-escaping.
public func jsonLine(_ object: Any) -> String {
    let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    return String(decoding: data, as: UTF8.self)
}
