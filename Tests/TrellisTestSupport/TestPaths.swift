import Foundation

/// Where tests find the default model and the shared reference files.
public enum TestPaths {
    /// The package root (three levels above this file).
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The default model if present: `TRELLIS_MODEL`, else `models/SmolLM2-135M-Instruct.Q4_1.gguf`.
    public static var defaultModel: String? {
        if let env = ProcessInfo.processInfo.environment["TRELLIS_MODEL"],
           FileManager.default.fileExists(atPath: env) { return env }
        let path = packageRoot.appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf").path
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    /// `shared/reference/NAME` in the nearest ancestor of the package that has it (`../shared`
    /// beside the main checkout, `../../shared` beside a worktree under `wt/`), if present.
    public static func reference(_ name: String) -> String? {
        var dir = packageRoot.deletingLastPathComponent()
        while true {
            let path = dir.appendingPathComponent("shared/reference/\(name)").path
            if FileManager.default.fileExists(atPath: path) { return path }
            let parent = dir.deletingLastPathComponent()
            if parent.path == dir.path { return nil }
            dir = parent
        }
    }
}
